package kb

import (
	"math"
	"slices"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"
)

// DefaultThreshold is the score under which Match reports no good match.
// It was chosen from the tests in this package: the 50 rephrased questions
// of the default knowledge base score 0.35 or more, greetings, small talk
// and random letters 0.15 or less; 0.25 lies between.
const DefaultThreshold = 0.25

// keywordBoost is how much of the distance to a full score keyword hits
// close: one hit 1/2 of keywordBoost, two 3/4, and so on.
const keywordBoost = 0.5

// unseenFactor scales the weight of a term no entry has: words outside
// the knowledge base ("这张", "上个月") dilute a text less than a rare
// word of it.
const unseenFactor = 0.3

// Match is an entry and how well a text matched it.
type Match struct {
	Entry    Entry
	Score    float64  // in [0, 1]
	Keywords []string // the entry's keywords found in the text
}

// Options change how an Index scores.
type Options struct {
	// Threshold is the score under which Match reports no good match; 0
	// means DefaultThreshold.
	Threshold float64
}

// Index matches texts against the enabled entries it was built from. It
// is immutable, and safe for concurrent use; a changed knowledge base
// needs a new Index.
//
// A text is normalised (see Normalize) and cut into terms: the character
// bigrams of each run of Chinese characters, each run of other letters and
// digits as one word ("12366", "ca"), and the single characters, which
// count only for short texts (three Chinese characters or fewer) so that
// "退税" or "个税" alone still find something. Terms are weighted by
// TF-IDF over the entries' questions and keywords; filler such as 请问 and
// 怎么 weighs a tenth. The score is the cosine of the text's and the
// entry's weights, raised towards 1 for each of the entry's keywords found
// in the text.
//
// Known limits: no word segmentation, so a typo breaks the two bigrams it
// sits in; traditional characters and pinyin are not folded; synonyms count
// only if they are among an entry's keywords.
type Index struct {
	threshold float64
	entries   []Entry
	keywords  map[string][]kwRef // by the first two characters of the keyword
	postings  map[string][]posting
	idf       map[string]float64
	unseen    float64      // weight of a term no entry has
	norm      [][2]float64 // per entry: norm of bigram+word terms, of all terms
}

// kwRef is one keyword of an entry, normalised and without spaces.
type kwRef struct {
	doc int32
	i   int // in the entry's Keywords
	kw  string
}

type posting struct {
	doc int32
	w   float32
}

// NewIndex builds an index of the enabled entries. Entries are copied;
// their ids need not be unique, but Match reports the first of equal
// scores by the order given.
func NewIndex(entries []Entry, opt Options) *Index {
	ix := &Index{threshold: opt.Threshold, postings: make(map[string][]posting), idf: make(map[string]float64),
		keywords: make(map[string][]kwRef)}
	if ix.threshold <= 0 {
		ix.threshold = DefaultThreshold
	}
	var docs []map[string]float64
	df := make(map[string]int)
	for _, e := range entries {
		if !e.Enabled {
			continue
		}
		e.Keywords = slices.Clone(e.Keywords)
		text := e.Question + " " + strings.Join(e.Keywords, " ")
		tf := terms(Normalize(text), true)
		for t := range tf {
			df[t]++
		}
		for i, k := range e.Keywords {
			if n := strings.ReplaceAll(Normalize(k), " ", ""); utf8.RuneCountInString(n) >= 2 {
				p := prefix2(n)
				ix.keywords[p] = append(ix.keywords[p], kwRef{int32(len(ix.entries)), i, n})
			}
		}
		ix.entries = append(ix.entries, e)
		docs = append(docs, tf)
	}
	n := float64(len(docs))
	for t, d := range df {
		ix.idf[t] = math.Log(1 + n/float64(d))
	}
	ix.unseen = math.Log(1+n) * unseenFactor
	ix.norm = make([][2]float64, len(docs))
	for i, tf := range docs {
		for t, c := range tf {
			w := ix.weight(t, c)
			ix.postings[t] = append(ix.postings[t], posting{int32(i), float32(w)})
			if !isUnigram(t) {
				ix.norm[i][0] += w * w
			}
			ix.norm[i][1] += w * w
		}
		ix.norm[i][0], ix.norm[i][1] = math.Sqrt(ix.norm[i][0]), math.Sqrt(ix.norm[i][1])
	}
	return ix
}

// Len returns the number of entries the index matches against.
func (ix *Index) Len() int { return len(ix.entries) }

// Threshold returns the score under which Match reports no good match.
func (ix *Index) Threshold() float64 { return ix.threshold }

// weight is a term's TF-IDF weight given its count.
func (ix *Index) weight(t string, count float64) float64 {
	idf, ok := ix.idf[t]
	if !ok {
		idf = ix.unseen
	}
	w := (1 + math.Log(count)) * idf
	if filler[strings.TrimPrefix(t, "u:")] {
		w /= 10
	}
	return w
}

// Match returns the entry that matches text best, and whether its score
// reaches the threshold. When ok is false, best is still the closest entry
// (or the zero Match if nothing shares a term with text): the text should
// go to staff.
func (ix *Index) Match(text string) (best Match, ok bool) {
	top := ix.Top(text, 1)
	if len(top) == 0 {
		return Match{}, false
	}
	return top[0], top[0].Score >= ix.threshold
}

// Top returns up to n entries that share a term with text, best first
// (equal scores in the order the index was built), whatever their score.
func (ix *Index) Top(text string, n int) []Match {
	if n <= 0 || len(ix.entries) == 0 {
		return nil
	}
	norm := Normalize(text)
	tf := terms(norm, false)
	if len(tf) == 0 {
		return nil
	}
	short := hanCount(norm) <= 3
	space := 0
	if short {
		space = 1
	}
	sc := ix.scratch()
	defer scratchPool.Put(sc)
	var qn float64
	for t, c := range tf {
		if isUnigram(t) && !short {
			continue
		}
		w := ix.weight(t, c)
		qn += w * w
		for _, p := range ix.postings[t] {
			if sc.dots[p.doc] == 0 {
				sc.touched = append(sc.touched, p.doc)
			}
			sc.dots[p.doc] += w * float64(p.w)
		}
	}
	if qn == 0 || len(sc.touched) == 0 {
		return nil
	}
	qn = math.Sqrt(qn)

	// The keywords found in the text, by entry.
	flat := strings.ReplaceAll(norm, " ", "")
	hits := make(map[int32][]int)
	for i := range flat {
		for _, k := range ix.keywords[prefix2(flat[i:])] {
			if strings.HasPrefix(flat[i:], k.kw) && !slices.Contains(hits[k.doc], k.i) {
				hits[k.doc] = append(hits[k.doc], k.i)
			}
		}
	}

	// The n best, kept sorted by score, then by order in the index.
	type scored struct {
		doc   int32
		score float64
	}
	best := make([]scored, 0, n+1)
	for _, d := range sc.touched {
		dn := ix.norm[d][space]
		if dn == 0 || sc.dots[d] <= 0 {
			continue
		}
		s := min(sc.dots[d]/(qn*dn), 1)
		if k := len(hits[d]); k > 0 {
			s += (1 - s) * keywordBoost * (1 - math.Pow(0.5, float64(k)))
		}
		better := func(a scored) bool { return a.score < s || a.score == s && a.doc > d }
		if len(best) == n && !better(best[n-1]) {
			continue
		}
		i, _ := slices.BinarySearchFunc(best, scored{d, s}, func(a, b scored) int {
			if better(a) {
				return 1
			}
			return -1
		})
		best = slices.Insert(best, i, scored{d, s})
		if len(best) > n {
			best = best[:n]
		}
	}
	out := make([]Match, 0, len(best))
	for _, b := range best {
		e := ix.entries[b.doc]
		e.Keywords = slices.Clone(e.Keywords)
		var found []string
		slices.Sort(hits[b.doc])
		for _, i := range hits[b.doc] {
			found = append(found, e.Keywords[i])
		}
		out = append(out, Match{Entry: e, Score: b.score, Keywords: found})
	}
	return out
}

// scratch holds the dot products of one Top call.
type scratch struct {
	dots    []float64 // by entry
	touched []int32   // entries with a dot product, in the order first met
}

var scratchPool sync.Pool

// scratch returns a clean scratch for the index's entries; put it back in
// scratchPool when done.
func (ix *Index) scratch() *scratch {
	sc, _ := scratchPool.Get().(*scratch)
	if sc == nil {
		sc = new(scratch)
	}
	for _, d := range sc.touched {
		if int(d) < len(sc.dots) {
			sc.dots[d] = 0
		}
	}
	sc.touched = sc.touched[:0]
	if len(sc.dots) < len(ix.entries) {
		sc.dots = make([]float64, len(ix.entries))
	}
	return sc
}

// prefix2 returns the first two characters of s (fewer if s is shorter).
func prefix2(s string) string {
	_, a := utf8.DecodeRuneInString(s)
	_, b := utf8.DecodeRuneInString(s[a:])
	return s[:a+b]
}

// filler are words that say little about which question is asked.
var filler = map[string]bool{
	"请问": true, "你好": true, "您好": true, "怎么": true, "如何": true, "什么": true, "一下": true,
	"我想": true, "想问": true, "可以": true, "是否": true, "需要": true, "哪里": true, "么办": true,
	"怎样": true, "问一": true, "我的": true, "我们": true, "公司": true, "是不": true, "不是": true,
	"有没": true, "没有": true, "谢谢": true, "麻烦": true, "了吗": true, "吗": true, "的": true, "了": true,
	"我": true, "请": true, "问": true, "么": true, "怎": true, "是": true, "在": true, "要": true, "呢": true,
}

func isUnigram(t string) bool { return strings.HasPrefix(t, "u:") }

func isHan(r rune) bool { return unicode.Is(unicode.Han, r) }

func hanCount(s string) int {
	n := 0
	for _, r := range s {
		if isHan(r) {
			n++
		}
	}
	return n
}

// terms counts the terms of a normalised text: Chinese bigrams, words of
// other letters and digits, and single Chinese characters prefixed "u:".
// A word of one letter or digit is dropped unless all is true.
func terms(norm string, all bool) map[string]float64 {
	out := make(map[string]float64)
	for _, word := range strings.Split(norm, " ") {
		var prev rune
		start := -1 // start of a run of other letters and digits
		for i, r := range word {
			if isHan(r) {
				if start >= 0 {
					addWord(out, word[start:i], all)
					start = -1
				}
				out["u:"+string(r)]++
				if prev != 0 {
					out[string(prev)+string(r)]++
				}
				prev = r
				continue
			}
			prev = 0
			if start < 0 {
				start = i
			}
		}
		if start >= 0 {
			addWord(out, word[start:], all)
		}
	}
	return out
}

func addWord(out map[string]float64, w string, all bool) {
	if all || utf8.RuneCountInString(w) > 1 {
		out["w:"+w]++
	}
}
