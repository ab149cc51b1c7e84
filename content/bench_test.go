package content

import (
	"math/rand/v2"
	"strings"
	"testing"
)

// benchChecker returns a Checker with n prohibited terms (made-up Chinese
// and Latin words) beside the embedded lists.
func benchChecker(b *testing.B, n int) *Checker {
	terms, err := ParseTerms(defaultWords)
	if err != nil {
		b.Fatal(err)
	}
	vocab, _ := ParseVocabulary(defaultVocabulary)
	allow, _ := ParseAllow(defaultAllow)
	rng := rand.New(rand.NewPCG(7, 8))
	for len(terms) < n {
		var w strings.Builder
		if rng.IntN(4) == 0 {
			for range 4 + rng.IntN(6) {
				w.WriteRune(rune('a' + rng.IntN(26)))
			}
		} else {
			for range 2 + rng.IntN(4) {
				w.WriteRune(rune(0x4E00 + rng.IntN(3500))) // the commonest block of CJK
			}
		}
		terms = append(terms, Term{Prohibited[rng.IntN(len(Prohibited))], w.String()})
	}
	c, err := New(terms, vocab, allow)
	if err != nil {
		b.Fatal(err)
	}
	return c
}

// benchText is a bureau notice of about 500 characters.
func benchText() string {
	var s strings.Builder
	for i := 0; s.Len() == 0 || len([]rune(s.String())) < 500; i++ {
		s.WriteString(notices[i%len(notices)])
	}
	return string([]rune(s.String())[:500])
}

func BenchmarkCheck(b *testing.B) {
	c := benchChecker(b, 10000)
	text := benchText()
	b.SetBytes(int64(len(text)))
	b.ReportAllocs()
	for b.Loop() {
		c.Check(text)
	}
}

func BenchmarkScan(b *testing.B) {
	c := benchChecker(b, 10000)
	var n normalized
	normalize(benchText(), &n)
	b.ReportAllocs()
	for b.Loop() {
		c.ac.scan(n.runes, func(int, int) {})
	}
}
