package kb

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// Normalize returns text in the form the matcher compares: full-width
// forms folded to half-width (Ａ→a, １→1, the ideographic space to a
// space), lower case, every character that is not a letter or a digit
// (punctuation, symbols, emoji, invalid bytes) turned into a space, and
// runs of spaces collapsed to one, none at either end. Normalize is
// idempotent.
func Normalize(text string) string {
	var b strings.Builder
	b.Grow(len(text))
	space := false
	for _, r := range text {
		r = fold(r)
		if !unicode.IsLetter(r) && !unicode.IsDigit(r) {
			space = b.Len() > 0
			continue
		}
		if space {
			b.WriteByte(' ')
			space = false
		}
		b.WriteRune(r)
	}
	return b.String()
}

// fold maps a full-width form to its half-width one and a letter to lower
// case. A letter whose lower case is not itself lower case again (a few
// titlecase letters) is kept as it is, so that Normalize stays idempotent.
func fold(r rune) rune {
	switch {
	case r >= 0xFF01 && r <= 0xFF5E:
		r -= 0xFEE0
	case r == 0x3000:
		return ' '
	case r == utf8.RuneError:
		return ' '
	}
	if l := unicode.ToLower(r); unicode.ToLower(l) == l {
		return l
	}
	return r
}
