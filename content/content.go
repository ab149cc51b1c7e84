// Package content checks the text of a message before it is sent (Art. 18
// of the bureau's SMS measures): words of the prohibited categories, text
// unrelated to tax work, and links and telephone numbers not on the allow-list.
//
// The lists are data. The ones embedded here (words.txt, vocabulary.txt,
// allow.txt) are short and illustrative; the city administrator replaces
// them, and New builds a Checker from any lists.
//
// Text is normalised before it is matched: full-width forms are folded to
// ASCII, Latin letters lower-cased, and everything but letters and digits
// dropped, so "法*轮*功", "赌 博", "ｂ．ｏ．ｍ．ｂ" and words split by zero-width
// characters read as what they spell. Every normalised rune remembers where it
// came from, so a flag points at the original text. All terms — prohibited
// words and tax vocabulary — are found in one pass of an Aho–Corasick automaton.
package content

import (
	_ "embed"
	"fmt"
	"regexp"
	"sort"
	"strings"
	"sync"
	"unicode/utf8"
)

var (
	//go:embed words.txt
	defaultWords []byte
	//go:embed vocabulary.txt
	defaultVocabulary []byte
	//go:embed allow.txt
	defaultAllow []byte
)

// Checker checks texts against a set of lists. It is safe for concurrent use.
type Checker struct {
	ac    *automaton
	terms []entry // index = automaton term index
	allow Allow
	pool  sync.Pool // *normalized
}

type entry struct {
	category Category // "" for a tax vocabulary term
	term     string   // as written in the list
	length   int      // in normalised runes
	latin    bool     // made of Latin letters and digits only: matched on word boundaries
}

// New returns a Checker for a prohibited word list, a tax vocabulary and an
// allow-list (as from ParseTerms, ParseVocabulary and ParseAllow).
func New(terms []Term, vocabulary []string, allow Allow) (*Checker, error) {
	c := &Checker{allow: allow}
	var norm [][]rune
	add := func(cat Category, term string) error {
		r := normalizeTerm(term)
		if len(r) == 0 {
			return fmt.Errorf("content: term %q has no letter or digit", term)
		}
		latin := true
		for _, x := range r {
			latin = latin && isWordRune(x)
		}
		norm = append(norm, r)
		c.terms = append(c.terms, entry{category: cat, term: term, length: len(r), latin: latin})
		return nil
	}
	for _, t := range terms {
		if !prohibited(t.Category) {
			return nil, fmt.Errorf("content: term %q: unknown category %q", t.Term, t.Category)
		}
		if err := add(t.Category, t.Term); err != nil {
			return nil, err
		}
	}
	for _, v := range vocabulary {
		if err := add("", v); err != nil {
			return nil, err
		}
	}
	c.ac = build(norm)
	c.pool.New = func() any { return new(normalized) }
	return c, nil
}

// Default returns a Checker for the embedded lists. It panics if they do not
// parse, which the package's tests rule out.
func Default() *Checker {
	terms, err := ParseTerms(defaultWords)
	if err != nil {
		panic("content: words.txt: " + err.Error())
	}
	vocab, err := ParseVocabulary(defaultVocabulary)
	if err != nil {
		panic("content: vocabulary.txt: " + err.Error())
	}
	allow, err := ParseAllow(defaultAllow)
	if err != nil {
		panic("content: allow.txt: " + err.Error())
	}
	c, err := New(terms, vocab, allow)
	if err != nil {
		panic(err.Error())
	}
	return c
}

// Flag is one finding, at the place in the original text where it occurs.
type Flag struct {
	Category  Category
	Term      string // the list term matched; the link's host or the number's digits for Link and Phone
	Start     int    // byte offset of the fragment in the original text
	End       int    // byte offset just past it
	RuneStart int    // the same, in runes (for the console's highlighting)
	RuneEnd   int
	Text      string // the original fragment, text[Start:End]
}

// Report is the outcome of a check.
type Report struct {
	Flags     []Flag // in order of position
	Unrelated bool   // no term of the tax vocabulary occurs (Art. 18 (十))
}

// Clean reports whether the text may go without an approver's override.
func (r Report) Clean() bool { return len(r.Flags) == 0 && !r.Unrelated }

// Count is the number of flags of one category and the distinct terms found.
type Count struct {
	Category Category
	N        int
	Terms    []string
}

// Summary counts the flags per category, in the order of Art. 18 then links
// and numbers; Unrelated appears (with N = 1) when the text is unrelated to tax work.
func (r Report) Summary() []Count {
	order := append(append([]Category{}, Prohibited...), Unrelated, Link, Phone)
	var out []Count
	for _, cat := range order {
		c := Count{Category: cat}
		if cat == Unrelated && r.Unrelated {
			c.N = 1
		}
		seen := map[string]bool{}
		for _, f := range r.Flags {
			if f.Category != cat {
				continue
			}
			c.N++
			if !seen[f.Term] {
				seen[f.Term] = true
				c.Terms = append(c.Terms, f.Term)
			}
		}
		if c.N > 0 {
			out = append(out, c)
		}
	}
	return out
}

// String is a one-line summary: "clean", or the categories with their
// counts and terms, e.g. "obscenity_gambling_violence 2 (赌博, bomb); phone 1".
func (r Report) String() string {
	s := r.Summary()
	if len(s) == 0 {
		return "clean"
	}
	parts := make([]string, len(s))
	for i, c := range s {
		parts[i] = fmt.Sprintf("%s %d", c.Category, c.N)
		if c.Category != Unrelated && len(c.Terms) > 0 {
			parts[i] += " (" + strings.Join(c.Terms, ", ") + ")"
		}
	}
	return strings.Join(parts, "; ")
}

// Check checks text.
func (c *Checker) Check(text string) Report {
	var rep Report
	n := c.pool.Get().(*normalized)
	defer c.pool.Put(n)
	normalize(text, n)
	tax := false
	c.ac.scan(n.runes, func(i, end int) {
		e := &c.terms[i]
		if e.category == "" {
			tax = true
			return
		}
		start := end - e.length
		if e.latin && !n.boundary(start, end) {
			return
		}
		from, to := n.pos[start], n.pos[end-1]
		rep.Flags = append(rep.Flags, Flag{
			Category: e.category, Term: e.term,
			Start: from.start, End: to.end, RuneStart: from.rune, RuneEnd: to.rune + 1,
			Text: text[from.start:to.end],
		})
	})
	rep.Unrelated = !tax
	rep.Flags = append(rep.Flags, c.links(text)...)
	sort.SliceStable(rep.Flags, func(i, j int) bool {
		a, b := rep.Flags[i], rep.Flags[j]
		if a.Start != b.Start {
			return a.Start < b.Start
		}
		return a.End > b.End
	})
	return rep
}

// boundary reports whether the normalised runes [start, end) stand as a word:
// not glued, in the original text, to a Latin letter or digit on either side.
// "b.o.m.b" is a word; the "sex" of "Sussex" is not.
func (n *normalized) boundary(start, end int) bool {
	if start > 0 && isWordRune(n.runes[start-1]) && n.pos[start-1].end == n.pos[start].start {
		return false
	}
	if end < len(n.runes) && isWordRune(n.runes[end]) && n.pos[end-1].end == n.pos[end].start {
		return false
	}
	return true
}

var (
	linkRE = regexp.MustCompile(`(?:https?://|www\.)[^\s<>"'，。；！？、（）()\[\]{}]+` +
		`|[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)*\.(?:cn|com|net|org|gov|edu|info|top|xyz|cc|io|me|vip|shop|site|online|club|app|link|ly|tk)(?:[/?#][^\s<>"'，。；！？、（）()\[\]{}]*)?`)
	phoneRE = regexp.MustCompile(`(?:\+?86[- ]?)?1[3-9]\d[- ]?\d{4}[- ]?\d{4}` + // mobile
		`|[48]00[- ]?\d{3}[- ]?\d{4}` + // 400 and 800 numbers
		`|(?:\(0\d{2,3}\)|0\d{2,3})[- ]?\d{7,8}`) // landline with area code
)

// links flags links and telephone numbers not on the allow-list. They are
// found in the width-folded text (one rune per original rune), so full-width
// forms are caught and the spans map back. The expressions run only on the
// short runs of ASCII that could hold a link or a number, which keeps a long
// text cheap.
func (c *Checker) links(text string) []Flag {
	s := foldText(text)
	var flags []Flag
	flag := func(cat Category, term string, a, b int) {
		from, fromRune := mapBack(text, a)
		to, toRune := mapBack(text, b)
		flags = append(flags, Flag{Category: cat, Term: term,
			Start: from, End: to, RuneStart: fromRune, RuneEnd: toRune, Text: text[from:to]})
	}
	runs(s, linkByte, func(lo, hi int) {
		if strings.IndexByte(s[lo:hi], '.') < 0 {
			return
		}
		for _, m := range linkRE.FindAllStringIndex(s[lo:hi], -1) {
			a, b := lo+m[0], lo+m[1]
			if a > 0 && (isWordRune(rune(s[a-1])) || s[a-1] == '@') || strings.Contains(s[a:b], "@") {
				continue // part of a longer word or an e-mail address
			}
			raw := strings.TrimRight(s[a:b], ".,;:!?")
			b = a + len(raw)
			host := linkHost(raw)
			if host == "" || c.hostAllowed(host) {
				continue
			}
			flag(Link, host, a, b)
		}
	})
	runs(s, phoneByte, func(lo, hi int) {
		n := 0
		for i := lo; i < hi; i++ {
			if '0' <= s[i] && s[i] <= '9' {
				n++
			}
		}
		if n < 10 {
			return
		}
		for _, m := range phoneRE.FindAllStringIndex(s[lo:hi], -1) {
			a, b := lo+m[0], lo+m[1]
			if a > 0 && isWordRune(rune(s[a-1])) || b < len(s) && isWordRune(rune(s[b])) {
				continue // inside a longer number or code
			}
			d := digits(s[a:b])
			if c.phoneAllowed(d) {
				continue
			}
			flag(Phone, d, a, b)
		}
	})
	return flags
}

// runs calls fn with every maximal run s[lo:hi] of bytes of class.
func runs(s string, class uint8, fn func(lo, hi int)) {
	for i := 0; i < len(s); {
		if byteClass[s[i]]&class == 0 {
			i++
			continue
		}
		j := i + 1
		for j < len(s) && byteClass[s[j]]&class != 0 {
			j++
		}
		fn(i, j)
		i = j
	}
}

// The classes of bytes runs looks for: a link is made of printable ASCII
// but space; a telephone number of digits, spaces, dashes, plus signs and
// brackets.
const (
	linkByte uint8 = 1 << iota
	phoneByte
)

var byteClass = func() (t [256]uint8) {
	for c := '!'; c < 0x7f; c++ {
		t[c] |= linkByte
	}
	for _, c := range "0123456789 -+()" {
		t[c] |= phoneByte
	}
	return t
}()

// foldText returns text with every rune folded, one rune for each.
func foldText(text string) string {
	b := make([]byte, 0, len(text))
	for i := 0; i < len(text); {
		if c := text[i]; c < utf8.RuneSelf {
			if 'A' <= c && c <= 'Z' {
				c += 'a' - 'A'
			}
			b = append(b, c)
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(text[i:])
		if f := fold(r); f != r || r == utf8.RuneError {
			b = utf8.AppendRune(b, f) // an invalid byte becomes U+FFFD, as mapBack counts it
		} else {
			b = append(b, text[i:i+size]...)
		}
		i += size
	}
	return string(b)
}

// mapBack returns the byte and rune offsets in text of the byte offset off of
// its folded form (fold writes one rune per rune of text).
func mapBack(text string, off int) (at, runes int) {
	n := 0
	for i, r := range text {
		if n >= off {
			return i, runes
		}
		n += utf8.RuneLen(fold(r))
		runes++
	}
	return len(text), runes
}

// linkHost returns the host of a link found in text, lower-case, without port.
func linkHost(link string) string {
	h := link
	if i := strings.Index(h, "://"); i >= 0 {
		h = h[i+3:]
	}
	if i := strings.IndexAny(h, "/?#"); i >= 0 {
		h = h[:i]
	}
	if i := strings.LastIndexByte(h, ':'); i >= 0 {
		h = h[:i]
	}
	return strings.TrimSuffix(strings.ToLower(h), ".")
}

func (c *Checker) hostAllowed(host string) bool {
	for _, a := range c.allow.Hosts {
		if host == a || strings.HasSuffix(host, "."+a) {
			return true
		}
	}
	return false
}

func (c *Checker) phoneAllowed(d string) bool {
	d = strings.TrimPrefix(d, "86")
	for _, a := range c.allow.Phones {
		a = strings.TrimPrefix(a, "86")
		if d == a {
			return true
		}
		// A short service number behind an area code: 0532-12366.
		if len(a) <= 6 && strings.HasSuffix(d, a) && d[0] == '0' && len(d)-len(a) >= 3 && len(d)-len(a) <= 4 {
			return true
		}
	}
	return false
}
