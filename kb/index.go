package kb

import (
	"math"
	"slices"
	"strings"
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
	keywords  [][]string // normalised, spaces removed, per entry
	postings  map[string][]posting
	idf       map[string]float64
	unseen    float64      // weight of a term no entry has
	norm      [][2]float64 // per entry: norm of bigram+word terms, of all terms
}

type posting struct {
	doc int32
	w   float32
}

// NewIndex builds an index of the enabled entries. Entries are copied;
// their ids need not be unique, but Match reports the first of equal
// scores by the order given.
func NewIndex(entries []Entry, opt Options) *Index {
	ix := &Index{threshold: opt.Threshold, postings: make(map[string][]posting), idf: make(map[string]float64)}
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
		var kws []string
		for _, k := range e.Keywords {
			if n := strings.ReplaceAll(Normalize(k), " ", ""); utf8.RuneCountInString(n) >= 2 {
				kws = append(kws, n)
			} else {
				kws = append(kws, "")
			}
		}
		ix.entries = append(ix.entries, e)
		ix.keywords = append(ix.keywords, kws)
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
	dots := make(map[int32]float64)
	var qn float64
	for t, c := range tf {
		if isUnigram(t) && !short {
			continue
		}
		w := ix.weight(t, c)
		qn += w * w
		for _, p := range ix.postings[t] {
			dots[p.doc] += w * float64(p.w)
		}
	}
	if qn == 0 || len(dots) == 0 {
		return nil
	}
	qn = math.Sqrt(qn)
	flat := strings.ReplaceAll(norm, " ", "")
	type scored struct {
		doc   int32
		score float64
		hits  []string
	}
	all := make([]scored, 0, len(dots))
	for d, dot := range dots {
		dn := ix.norm[d][space]
		if dn == 0 {
			continue
		}
		s := min(dot/(qn*dn), 1)
		var hits []string
		for i, k := range ix.keywords[d] {
			if k != "" && strings.Contains(flat, k) {
				hits = append(hits, ix.entries[d].Keywords[i])
			}
		}
		if len(hits) > 0 {
			s += (1 - s) * keywordBoost * (1 - math.Pow(0.5, float64(len(hits))))
		}
		all = append(all, scored{d, s, hits})
	}
	slices.SortFunc(all, func(a, b scored) int {
		switch {
		case a.score > b.score:
			return -1
		case a.score < b.score:
			return 1
		}
		return int(a.doc - b.doc)
	})
	out := make([]Match, 0, min(n, len(all)))
	for _, s := range all[:min(n, len(all))] {
		e := ix.entries[s.doc]
		e.Keywords = slices.Clone(e.Keywords)
		out = append(out, Match{Entry: e, Score: s.score, Keywords: s.hits})
	}
	return out
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
