package taxsms

import (
	"strings"
)

// IDType is the kind of a taxpayer identifier; it decides which check applies.
type IDType string

// Identifier types (../shared DOMAIN.md §6).
const (
	IDUSCC     IDType = "uscc"     // 18-character unified social credit code, GB 32100-2015
	IDResident IDType = "resident" // 18-digit resident identity card number, GB 11643
	IDOld15    IDType = "old15"    // 15-character taxpayer number before 2015 (division + organisation code)
	IDOld20    IDType = "old20"    // 20-character taxpayer number (resident id + 2 digits, or 15-digit id + 5)
)

// Valid reports whether t is a known identifier type.
func (t IDType) Valid() bool {
	switch t {
	case IDUSCC, IDResident, IDOld15, IDOld20:
		return true
	}
	return false
}

const usccAlphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY"

var usccWeights = [17]int{1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28}

var residentWeights = [17]int{7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2}

// NormalizeIdentifier trims spaces, folds full-width characters to half-width
// and upper-cases letters, the form in which identifiers are stored.
func NormalizeIdentifier(s string) string {
	var b strings.Builder
	for _, r := range strings.TrimSpace(s) {
		if r >= '！' && r <= '～' {
			r -= '！' - '!'
		}
		if r >= 'a' && r <= 'z' {
			r -= 'a' - 'A'
		}
		b.WriteRune(r)
	}
	return b.String()
}

// USCCCheck returns the check character for the first 17 characters of a
// unified social credit code, or 0 if one of them is outside the alphabet.
func USCCCheck(first17 string) byte {
	if len(first17) != 17 {
		return 0
	}
	sum := 0
	for i := 0; i < 17; i++ {
		v := strings.IndexByte(usccAlphabet, first17[i])
		if v < 0 {
			return 0
		}
		sum += v * usccWeights[i]
	}
	return usccAlphabet[(31-sum%31)%31]
}

// ResidentCheck returns the check character for the first 17 digits of a
// resident identity card number, or 0 if they are not 17 digits.
func ResidentCheck(first17 string) byte {
	if len(first17) != 17 || !digits(first17) {
		return 0
	}
	sum := 0
	for i := 0; i < 17; i++ {
		sum += int(first17[i]-'0') * residentWeights[i]
	}
	return "10X98765432"[sum%11]
}

// ValidateIdentifier checks a normalised identifier against the rules of its
// type. With an empty type it accepts any type whose rules the value passes
// and returns that type. Errors are EINVALID naming the field "identifier".
func ValidateIdentifier(t IDType, id string) (IDType, error) {
	if id == "" {
		return "", Invalid("identifier", "required")
	}
	if t == "" {
		for _, c := range []IDType{IDUSCC, IDResident, IDOld15, IDOld20} {
			if _, err := ValidateIdentifier(c, id); err == nil {
				return c, nil
			}
		}
		switch len(id) {
		case 18:
			return "", Invalid("identifier", "%q: check character is neither a valid credit code nor a valid resident id", id)
		case 15, 20:
			return "", Invalid("identifier", "%q: not a valid %d-character taxpayer number", id, len(id))
		}
		return "", Invalid("identifier", "%q: want 15, 18 or 20 characters, got %d", id, len([]rune(id)))
	}
	switch t {
	case IDUSCC:
		if len(id) != 18 {
			return "", Invalid("identifier", "%q: a credit code has 18 characters, got %d", id, len([]rune(id)))
		}
		for i := 0; i < 18; i++ {
			if strings.IndexByte(usccAlphabet, id[i]) < 0 {
				return "", Invalid("identifier", "%q: character %q at position %d is not allowed in a credit code", id, id[i], i+1)
			}
		}
		if !digits(id[2:8]) {
			return "", Invalid("identifier", "%q: positions 3-8 must be the division code digits", id)
		}
		if c := USCCCheck(id[:17]); c != id[17] {
			return "", Invalid("identifier", "%q: check character is %c, want %c", id, id[17], c)
		}
	case IDResident:
		if len(id) != 18 || !digits(id[:17]) {
			return "", Invalid("identifier", "%q: a resident id has 17 digits and a check character", id)
		}
		if c := ResidentCheck(id[:17]); c != id[17] {
			return "", Invalid("identifier", "%q: check character is %c, want %c", id, id[17], c)
		}
	case IDOld15:
		if len(id) != 15 || !digits(id[:6]) || !alnum(id[6:]) {
			return "", Invalid("identifier", "%q: an old taxpayer number has 6 division digits and a 9-character organisation code", id)
		}
	case IDOld20:
		long := len(id) == 20 && ResidentCheck(id[:17]) == id[17] && digits(id[18:])
		short := len(id) == 20 && digits(id[:15]) && id[15:] == "00000"
		if !long && !short {
			return "", Invalid("identifier", "%q: a 20-character taxpayer number is a valid resident id and 2 digits, or a 15-digit id and 00000", id)
		}
	default:
		return "", Invalid("id_type", "unknown identifier type %q", t)
	}
	return t, nil
}

func digits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

func alnum(s string) bool {
	for i := 0; i < len(s); i++ {
		if (s[i] < '0' || s[i] > '9') && (s[i] < 'A' || s[i] > 'Z') {
			return false
		}
	}
	return true
}
