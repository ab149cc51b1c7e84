// Package inbound reads what taxpayers text the platform: it normalises a
// message (full-width forms, case, spaces) and classifies it by keyword and
// syntax into an Intent — an invoice check, a look-up of the tax
// administrator, a tax question, a complaint, a report, opting out or in,
// help — leaving the rest of the text for the service that answers it.
//
// Keywords are data (keywords.txt, embedded; Parse reads a replacement):
// Chinese words, pinyin initials (FP, CX, TS, …) and English, each naming
// its intent. A message is classified by the longest keyword it starts
// with; a Latin keyword must stand as a word (followed by a space, a digit,
// punctuation or the end), a Chinese one may run into what follows
// (发票1234…). Opting out and in take the whole message ("T" alone; never
// the T of "TAX"), as carriers expect of such words. A message with no
// keyword is classified by its syntax: the digits of an invoice check
// (F and 20 digits, or a bare 20-digit number), the words 投诉 or 举报
// anywhere, a question's words or mark; else it is Other.
package inbound

import (
	"bufio"
	_ "embed"
	"io"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"taxsms"
)

// Intent is what a message asks for.
type Intent string

// Intents.
const (
	InvoiceCheck Intent = "invoice"   // check an invoice: FP <code> <number>, F…, a 20-digit number
	AdminLookup  Intent = "admin"     // who is my tax administrator
	Question     Intent = "question"  // a tax question, for the knowledge base
	Complaint    Intent = "complaint" // 投诉: a ticket with a number
	Report       Intent = "report"    // 举报: a ticket with a number
	OptOut       Intent = "optout"    // stop the messages a contact may refuse
	OptIn        Intent = "optin"     // receive them again
	Help         Intent = "help"      // the list of services
	Other        Intent = "other"     // anything else: a helpful reply, kept for staff
)

// Intents lists every intent, Other last.
var Intents = []Intent{InvoiceCheck, AdminLookup, Question, Complaint, Report, OptOut, OptIn, Help, Other}

// Valid reports whether i is one of Intents.
func (i Intent) Valid() bool { return slices.Contains(Intents, i) }

// Keyword is a word that names an intent.
type Keyword struct {
	Intent Intent
	Word   string // as written; matched normalised
}

//go:embed keywords.txt
var defaultKeywords string

// DefaultKeywords returns the embedded keywords.
func DefaultKeywords() []Keyword {
	ks, err := Parse(strings.NewReader(defaultKeywords))
	if err != nil {
		panic("inbound: embedded keywords: " + err.Error())
	}
	return ks
}

// Parse reads keywords, one "intent word" a line ('#' starts a comment).
// An unknown intent, a missing word, a word of more than 20 characters or
// a word given twice (once normalised) is EINVALID naming the line.
func Parse(r io.Reader) ([]Keyword, error) {
	var ks []Keyword
	seen := make(map[string]int)
	sc := bufio.NewScanner(r)
	for n := 1; sc.Scan(); n++ {
		line, _, _ := strings.Cut(sc.Text(), "#")
		f := strings.Fields(line)
		if len(f) == 0 {
			continue
		}
		if len(f) != 2 {
			return nil, taxsms.Invalid("keywords", "line %d: want \"intent word\", got %q", n, strings.TrimSpace(line))
		}
		k := Keyword{Intent: Intent(f[0]), Word: f[1]}
		if !k.Intent.Valid() || k.Intent == Other {
			return nil, taxsms.Invalid("keywords", "line %d: unknown intent %q", n, f[0])
		}
		if utf8.RuneCountInString(k.Word) > 20 {
			return nil, taxsms.Invalid("keywords", "line %d: %q is longer than 20 characters", n, k.Word)
		}
		norm := Normalize(k.Word)
		if first, dup := seen[norm]; dup {
			return nil, taxsms.Invalid("keywords", "line %d: %q is already a keyword (line %d)", n, k.Word, first)
		}
		seen[norm] = n
		ks = append(ks, k)
	}
	if err := sc.Err(); err != nil {
		return nil, taxsms.Invalid("keywords", "%v", err)
	}
	return ks, nil
}

// Normalize returns text as the classifier reads it: full-width ASCII
// forms and the ideographic space made half-width, letters upper-cased,
// runs of white space made one space, trimmed.
func Normalize(text string) string {
	var b strings.Builder
	b.Grow(len(text))
	space := false
	for _, r := range text {
		switch {
		case r == '\u3000' || unicode.IsSpace(r):
			space = b.Len() > 0
			continue
		case r >= '\uff01' && r <= '\uff5e':
			r -= 0xfee0
		}
		if space {
			b.WriteByte(' ')
			space = false
		}
		b.WriteRune(unicode.ToUpper(r))
	}
	return b.String()
}

// Classified is a message as the classifier read it.
type Classified struct {
	Intent  Intent
	Keyword string // the keyword it started with, normalised; "" when classified by syntax
	Text    string // the whole message, normalised
	Rest    string // what follows the keyword (the whole text without one), trimmed
}

// Classifier classifies messages by a set of keywords. It is read-only
// once made and safe for concurrent use.
type Classifier struct {
	words []Keyword // normalised, longest first
}

// NewClassifier returns a classifier of keywords (DefaultKeywords if nil).
func NewClassifier(keywords []Keyword) *Classifier {
	if keywords == nil {
		keywords = DefaultKeywords()
	}
	c := &Classifier{}
	for _, k := range keywords {
		c.words = append(c.words, Keyword{Intent: k.Intent, Word: Normalize(k.Word)})
	}
	slices.SortStableFunc(c.words, func(a, b Keyword) int { return len(b.Word) - len(a.Word) })
	return c
}

// Classify reads a message.
func (c *Classifier) Classify(text string) Classified {
	t := Normalize(text)
	bare := strings.TrimRight(t, ".!。！")
	for _, k := range c.words {
		whole := k.Intent == OptOut || k.Intent == OptIn
		if whole {
			if bare == k.Word {
				return Classified{Intent: k.Intent, Keyword: k.Word, Text: t}
			}
			continue
		}
		rest, ok := strings.CutPrefix(t, k.Word)
		if !ok || !boundary(k.Word, rest) {
			continue
		}
		return Classified{Intent: k.Intent, Keyword: k.Word, Text: t, Rest: strings.TrimLeft(rest, " :：,，")}
	}
	return Classified{Intent: bySyntax(t), Text: t, Rest: t}
}

// boundary reports whether a keyword may be followed by rest: anything
// after a Chinese keyword; after a Latin one, the end, a space, a digit or
// punctuation, so that CX does not match CXK and T not TAX.
func boundary(word, rest string) bool {
	last, _ := utf8.DecodeLastRuneInString(word)
	if last >= utf8.RuneSelf && !unicode.IsPunct(last) {
		return true
	}
	next, _ := utf8.DecodeRuneInString(rest)
	return rest == "" || next == ' ' || unicode.IsDigit(next) || unicode.IsPunct(next) && next != '_'
}

// bySyntax classifies a normalised text that starts with no keyword.
func bySyntax(t string) Intent {
	compact := strings.ReplaceAll(t, " ", "")
	switch {
	case looksLikeInvoice(compact):
		return InvoiceCheck
	case strings.Contains(t, "举报"):
		return Report
	case strings.Contains(t, "投诉"):
		return Complaint
	case strings.Contains(t, "管理员") || strings.Contains(t, "专管员"):
		return AdminLookup
	case strings.ContainsAny(t, "?？") || containsAny(t, "吗", "怎么", "如何", "什么", "多少", "哪", "是否", "能否", "可以"):
		return Question
	}
	return Other
}

// looksLikeInvoice reports whether a text without spaces is F and 20
// digits (a 12-digit code and an 8-digit number run together) or a bare
// 20-digit number (a fully digitised invoice); package invoice parses it.
func looksLikeInvoice(s string) bool {
	s = strings.TrimPrefix(s, "F")
	return len(s) == 20 && strings.Trim(s, "0123456789") == ""
}

func containsAny(s string, words ...string) bool {
	for _, w := range words {
		if strings.Contains(s, w) {
			return true
		}
	}
	return false
}
