package taxsms

import (
	"bufio"
	_ "embed"
	"fmt"
	"strings"
)

// Carrier is a mobile network operator.
type Carrier string

// Carriers.
const (
	CarrierMobile   Carrier = "mobile"   // China Mobile, CMPP
	CarrierUnicom   Carrier = "unicom"   // China Unicom, SGIP
	CarrierTelecom  Carrier = "telecom"  // China Telecom, SMGP
	CarrierBroadnet Carrier = "broadnet" // China Broadnet
)

// Valid reports whether c is a known carrier.
func (c Carrier) Valid() bool {
	switch c {
	case CarrierMobile, CarrierUnicom, CarrierTelecom, CarrierBroadnet:
		return true
	}
	return false
}

// NormalizeMobile returns the 11-digit national form of a mainland mobile
// number. It accepts the +86, 0086 and 86 prefixes, spaces, hyphens, dots,
// parentheses and full-width digits. Anything else, or a number whose prefix
// no carrier was allocated, is an EINVALID error naming the field "mobile".
func NormalizeMobile(s string) (string, error) {
	var b strings.Builder
	for _, r := range s {
		switch {
		case (r == '+' || r == '＋') && b.Len() == 0: // a country code follows
		case r >= '0' && r <= '9':
			b.WriteRune(r)
		case r >= '０' && r <= '９':
			b.WriteRune('0' + r - '０')
		case r == ' ' || r == '-' || r == '－' || r == '.' || r == '(' || r == ')' || r == '\t' || r == '\u3000' || r == '\u00a0':
		default:
			return "", Invalid("mobile", "%q: unexpected character %q", s, r)
		}
	}
	d := b.String()
	switch {
	case len(d) == 15 && strings.HasPrefix(d, "0086"):
		d = d[4:]
	case len(d) == 13 && strings.HasPrefix(d, "86"):
		d = d[2:]
	}
	if d == "" {
		return "", Invalid("mobile", "required")
	}
	if len(d) != 11 {
		return "", Invalid("mobile", "%q: want 11 digits, got %d", s, len(d))
	}
	if d[0] != '1' || d[1] < '3' {
		return "", Invalid("mobile", "%q: a mainland mobile number starts with 13-19", s)
	}
	if _, ok := DefaultPrefixes.Carrier(d); !ok {
		return "", Invalid("mobile", "%q: prefix %s is not allocated to any carrier", s, d[:3])
	}
	return d, nil
}

// MaskMobile returns the form shown wherever a full number is not allowed:
// the first 3 and last 4 digits, e.g. "138****1234". Input that is not 11
// characters long is masked whole.
func MaskMobile(m string) string {
	if len(m) != 11 {
		return strings.Repeat("*", len(m))
	}
	return m[:3] + "****" + m[7:]
}

// PrefixTable maps number prefixes to the carrier that was allocated them;
// the longest matching prefix wins. It is read-only after it is built.
type PrefixTable struct {
	carriers map[string]Carrier
	maxLen   int
}

//go:embed prefixes.txt
var prefixesTxt string

// DefaultPrefixes is the allocation table of ../shared DOMAIN.md §3.2,
// embedded from prefixes.txt.
var DefaultPrefixes = mustParsePrefixes(prefixesTxt)

func mustParsePrefixes(s string) *PrefixTable {
	t, err := ParsePrefixes(s)
	if err != nil {
		panic(err)
	}
	return t
}

// ParsePrefixes reads a prefix table: one "prefix carrier" pair a line, with
// blank lines and '#' comments ignored. An error names the line.
func ParsePrefixes(text string) (*PrefixTable, error) {
	t := &PrefixTable{carriers: make(map[string]Carrier)}
	sc := bufio.NewScanner(strings.NewReader(text))
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if i := strings.IndexByte(line, '#'); i >= 0 {
			line = strings.TrimSpace(line[:i])
		}
		if line == "" {
			continue
		}
		f := strings.Fields(line)
		if len(f) != 2 {
			return nil, fmt.Errorf("prefix table line %d: want \"prefix carrier\", got %q", n, line)
		}
		p, c := f[0], Carrier(f[1])
		if strings.Trim(p, "0123456789") != "" || len(p) < 2 || len(p) > 11 {
			return nil, fmt.Errorf("prefix table line %d: bad prefix %q", n, p)
		}
		if !c.Valid() {
			return nil, fmt.Errorf("prefix table line %d: unknown carrier %q", n, c)
		}
		if _, dup := t.carriers[p]; dup {
			return nil, fmt.Errorf("prefix table line %d: prefix %s listed twice", n, p)
		}
		t.carriers[p] = c
		t.maxLen = max(t.maxLen, len(p))
	}
	return t, sc.Err()
}

// Carrier returns the carrier allocated the longest prefix of number, and
// false if none matches.
func (t *PrefixTable) Carrier(number string) (Carrier, bool) {
	for n := min(t.maxLen, len(number)); n > 0; n-- {
		if c, ok := t.carriers[number[:n]]; ok {
			return c, true
		}
	}
	return "", false
}
