package content

import (
	"unicode"
	"unicode/utf8"
)

// fold maps full-width forms to their ASCII counterparts and lower-cases:
// one rune in, one rune out, so folded positions map back one to one.
func fold(r rune) rune {
	switch {
	case r >= 0xFF01 && r <= 0xFF5E: // full-width ASCII forms
		r -= 0xFEE0
	case r == 0x3000: // ideographic space
		r = ' '
	}
	if r < 128 {
		if 'A' <= r && r <= 'Z' {
			r += 'a' - 'A'
		}
		return r
	}
	if isHan(r) {
		return r // most of a Chinese text, without case
	}
	return unicode.ToLower(r)
}

// isHan reports whether r is a CJK unified ideograph of the basic block or
// its extension A: letters, all of them, without case.
func isHan(r rune) bool {
	return 0x4E00 <= r && r <= 0x9FFF || 0x3400 <= r && r <= 0x4DBF
}

// keep reports whether a folded rune is matched: letters and digits.
// Everything else — spaces, punctuation, symbols, zero-width and other
// format characters — is dropped, so "法*轮*功", "赌 博" and "b.o.m.b"
// read as the words they spell.
func keep(r rune) bool {
	if r < 128 {
		return 'a' <= r && r <= 'z' || '0' <= r && r <= '9'
	}
	return isHan(r) || unicode.IsLetter(r) || unicode.IsDigit(r)
}

// normalized is the text matched against the lists, with a map from each of
// its runes back to the original text.
type normalized struct {
	runes []rune
	pos   []origin // pos[i]: where runes[i] came from
}

// origin is the span of one original rune.
type origin struct {
	start, end int // byte offsets in the original text
	rune       int // rune offset in the original text
}

// normalize folds and filters text into n, reusing its slices.
func normalize(text string, n *normalized) {
	n.runes = n.runes[:0]
	n.pos = n.pos[:0]
	ri := 0
	for i := 0; i < len(text); {
		r, size := utf8.DecodeRuneInString(text[i:])
		if f := fold(r); keep(f) {
			n.runes = append(n.runes, f)
			n.pos = append(n.pos, origin{start: i, end: i + size, rune: ri})
		}
		i += size
		ri++
	}
}

// normalizeTerm returns the form a list term is matched in.
func normalizeTerm(term string) []rune {
	var n normalized
	normalize(term, &n)
	return n.runes
}

// isWordRune reports whether r (folded) is part of a Latin word or number,
// for the word boundaries of Latin terms.
func isWordRune(r rune) bool {
	return r < 128 && keep(r)
}
