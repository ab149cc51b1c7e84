package content

import "sort"

// automaton is an Aho–Corasick matcher over runes: every term is found in
// one left-to-right pass, whatever the number of terms.
//
// Runes are first mapped to a dense symbol (0 means "in no term", which
// always leads back to the root). The root's transitions are a dense table;
// every other state keeps its transitions sorted by symbol in one shared
// slice, searched by bisection, so 10,000 terms cost a few megabytes at most.
type automaton struct {
	ascii   [128]int32               // symbol of an ASCII rune
	symbols map[rune]int32           // symbol of any other rune
	root    []int32                  // root transition per symbol (0 = stay at root)
	edges   []edge                   // transitions of states other than the root
	span    []struct{ lo, hi int32 } // state → its edges[lo:hi]
	fail    []int32                  // failure link
	out     []int32                  // state → index of the term ending here, or -1
	next    []int32                  // state → nearest state on the failure chain with out ≥ 0, or -1
}

type edge struct {
	sym int32
	to  int32
}

// build returns an automaton for terms (already normalised, non-empty). A term
// given twice is reported once, under its first index.
func build(terms [][]rune) *automaton {
	a := &automaton{symbols: make(map[rune]int32)}
	nsym := int32(1)
	symOf := func(r rune) int32 {
		if s := a.lookup(r); s != 0 {
			return s
		}
		s := nsym
		nsym++
		if r < 128 {
			a.ascii[r] = s
		} else {
			a.symbols[r] = s
		}
		return s
	}
	// Trie with per-state maps while building.
	trie := []map[int32]int32{{}}
	out := []int32{-1}
	for i, t := range terms {
		s := int32(0)
		for _, r := range t {
			sym := symOf(r)
			n, ok := trie[s][sym]
			if !ok {
				n = int32(len(trie))
				trie = append(trie, map[int32]int32{})
				out = append(out, -1)
				trie[s][sym] = n
			}
			s = n
		}
		if out[s] < 0 {
			out[s] = int32(i)
		}
	}
	n := len(trie)
	a.out = out
	a.fail = make([]int32, n)
	a.next = make([]int32, n)
	a.span = make([]struct{ lo, hi int32 }, n)
	a.root = make([]int32, nsym)
	for sym, to := range trie[0] {
		a.root[sym] = to
	}
	for s := 1; s < n; s++ {
		lo := int32(len(a.edges))
		for sym, to := range trie[s] {
			a.edges = append(a.edges, edge{sym, to})
		}
		e := a.edges[lo:]
		sort.Slice(e, func(i, j int) bool { return e[i].sym < e[j].sym })
		a.span[s] = struct{ lo, hi int32 }{lo, int32(len(a.edges))}
	}
	// Breadth-first: failure and output links.
	a.next[0] = -1
	queue := make([]int32, 0, n)
	for _, to := range trie[0] {
		a.fail[to] = 0
		a.next[to] = -1
		queue = append(queue, to)
	}
	for len(queue) > 0 {
		s := queue[0]
		queue = queue[1:]
		for sym, to := range trie[s] {
			f := a.fail[s]
			for {
				if g := a.step(f, sym); g >= 0 {
					a.fail[to] = g
					break
				}
				if f == 0 {
					a.fail[to] = 0
					break
				}
				f = a.fail[f]
			}
			if fo := a.fail[to]; a.out[fo] >= 0 {
				a.next[to] = fo
			} else {
				a.next[to] = a.next[fo]
			}
			queue = append(queue, to)
		}
	}
	return a
}

func (a *automaton) lookup(r rune) int32 {
	if r >= 0 && r < 128 {
		return a.ascii[r]
	}
	return a.symbols[r]
}

// step returns the goto transition of s on sym, or -1 when there is none
// (the root has one for every symbol: itself).
func (a *automaton) step(s, sym int32) int32 {
	if s == 0 {
		return a.root[sym]
	}
	sp := a.span[s]
	e := a.edges[sp.lo:sp.hi]
	lo, hi := 0, len(e)
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if e[m].sym < sym {
			lo = m + 1
		} else {
			hi = m
		}
	}
	if lo < len(e) && e[lo].sym == sym {
		return e[lo].to
	}
	return -1
}

// scan calls match(term, end) for every occurrence of every term in text,
// end being the index in text just past the occurrence.
func (a *automaton) scan(text []rune, match func(term, end int)) {
	s := int32(0)
	for i, r := range text {
		sym := a.lookup(r)
		if sym == 0 {
			s = 0
			continue
		}
		for {
			if g := a.step(s, sym); g >= 0 {
				s = g
				break
			}
			s = a.fail[s]
		}
		for o := s; o >= 0; o = a.next[o] {
			if a.out[o] >= 0 {
				match(int(a.out[o]), i+1)
			}
			if o == 0 {
				break
			}
		}
	}
}
