package invoice

import (
	"bytes"
	"fmt"
	"strconv"
	"unicode/utf8"

	"taxsms"
)

// MaxText is the longest text Parse reads, in bytes: a check is short, and a
// longer text is something else.
const MaxText = 300

// Keywords are the words an invoice check may start with, longest first.
// The single letter F is the historical Qingdao syntax (see the package
// comment).
var Keywords = []string{"发票查验", "查验发票", "查发票", "FPCX", "CXFP", "发票", "FP", "F"}

// labels may stand between the numbers and are skipped, longest first.
var labels = [][]byte{[]byte("发票代码"), []byte("发票号码"), []byte("数电票"), []byte("代码"), []byte("号码")}

// Parse reads an invoice check, with or without its keyword (see the package
// comment for the forms it accepts and how it reads twenty digits in a row).
// The error is a *ParseError naming what was wrong, with code EINVALID.
func Parse(text string) (Query, error) {
	if len(text) > MaxText {
		return Query{}, parseError("text", "the message is too long for an invoice check", "短信太长，请只发发票代码和号码。")
	}
	var nb [MaxText]byte
	b := normalize(nb[:0], text)
	b = bytes.TrimLeft(b, " ,;:+-#/.")
	keyword := ""
	for _, kw := range Keywords {
		if bytes.HasPrefix(b, []byte(kw)) {
			keyword, b = kw, b[len(kw):]
			break
		}
	}
	// The digit groups, gathered into one buffer.
	var db [MaxText]byte
	d := db[:0]
	var ends [4]int
	groups := 0
	in := false
	for i := 0; i < len(b); {
		c := b[i]
		switch {
		case c >= '0' && c <= '9':
			if !in {
				if groups == len(ends) {
					return Query{}, tooMany()
				}
				groups++
				in = true
			}
			d = append(d, c)
			ends[groups-1] = len(d)
			i++
			continue
		case c == ' ' || c == ',' || c == ';' || c == ':' || c == '+' || c == '-' || c == '#' || c == '/' || c == '.':
			i++
		default:
			n := skipLabel(b[i:])
			if n == 0 {
				r, _ := utf8.DecodeRune(b[i:])
				return Query{}, parseError("text", fmt.Sprintf("unexpected %q", r),
					fmt.Sprintf("无法识别“%c”。", r))
			}
			i += n
		}
		in = false
	}
	all := string(d)
	group := func(k int) string {
		start := 0
		if k > 0 {
			start = ends[k-1]
		}
		return all[start:ends[k]]
	}
	var q Query
	switch groups {
	case 0:
		return Query{}, parseError("number", "no invoice number", "未找到发票号码。")
	case 1:
		g := group(0)
		switch len(g) {
		case 8:
			return Query{}, parseError("code", "the invoice code is missing", "缺少发票代码。")
		case 10, 12:
			return Query{}, parseError("number", "the invoice number is missing", "缺少发票号码。")
		case 18:
			q = Query{Code: g[:10], Number: g[10:]}
		case 20:
			return read20(g, keyword == "F")
		default:
			return Query{}, parseError("number", "got "+strconv.Itoa(len(g))+" digits: want a code and a number, or a 20-digit 数电 number",
				"收到"+strconv.Itoa(len(g))+"位数字，应为发票代码加号码或20位数电票号码。")
		}
	case 2:
		a, n := group(0), group(1)
		if len(a) == 8 && (len(n) == 10 || len(n) == 12) {
			a, n = n, a // the number first
		}
		if len(a) != 10 && len(a) != 12 {
			return Query{}, parseError("code", "the code has "+strconv.Itoa(len(a))+" digits, want 10 or 12",
				"发票代码应为10或12位，收到"+strconv.Itoa(len(a))+"位。")
		}
		if len(n) != 8 {
			return Query{}, parseError("number", "the number has "+strconv.Itoa(len(n))+" digits, want 8",
				"发票号码应为8位，收到"+strconv.Itoa(len(n))+"位。")
		}
		q = Query{Code: a, Number: n}
	default:
		return Query{}, tooMany()
	}
	if err := q.Validate(); err != nil {
		return Query{}, structureError(q)
	}
	return q, nil
}

func tooMany() error {
	return parseError("text", "too many numbers: send only the code and the number", "数字太多，请只发发票代码和号码。")
}

// structureError is the error of a query of the right lengths that fails
// Validate.
func structureError(q Query) error {
	err := q.Validate()
	if q.Code == "" {
		return parseError("number", err.Error(), q.Number+"不是有效的数电票号码。")
	}
	if taxsms.ErrorField(err) == "number" {
		return parseError("number", err.Error(), "发票号码有误。")
	}
	return parseError("code", err.Error(), "发票代码"+q.Code+"有误。")
}

// read20 reads twenty digits in a row (see the package comment).
func read20(g string, legacy bool) (Query, error) {
	coded := Query{Code: g[:12], Number: g[12:]}
	digital := Query{Number: g}
	codeOK, digitalOK := coded.Validate() == nil, digital.Validate() == nil
	switch {
	case codeOK && digitalOK:
		coded.Ambiguous, digital.Ambiguous = true, true
		if legacy {
			return coded, nil
		}
		return digital, nil
	case codeOK:
		return coded, nil
	case digitalOK:
		return digital, nil
	}
	return Query{}, parseError("number", "the 20 digits are neither a code and a number nor a 数电 number",
		"这20位数字既不是发票代码加号码，也不是数电票号码。")
}

// skipLabel returns the length of the label at the start of b, or 0.
func skipLabel(b []byte) int {
	for _, l := range labels {
		if bytes.HasPrefix(b, l) {
			return len(l)
		}
	}
	return 0
}

// normalize appends s to dst with full-width forms folded to ASCII, ASCII
// letters in upper case, and the ideographic space, comma and full stop,
// the enumeration comma and the semicolon written as ASCII separators.
// The result is never longer than s.
func normalize(dst []byte, s string) []byte {
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 'a' && c <= 'z' {
				c -= 'a' - 'A'
			} else if c == '\t' || c == '\r' || c == '\n' {
				c = ' '
			}
			dst = append(dst, c)
			i++
			continue
		}
		r, n := utf8.DecodeRuneInString(s[i:])
		switch {
		case r >= 0xFF01 && r <= 0xFF5E: // full-width ASCII
			c := byte(r - 0xFEE0)
			if c >= 'a' && c <= 'z' {
				c -= 'a' - 'A'
			}
			dst = append(dst, c)
		case r == 0x3000: // ideographic space
			dst = append(dst, ' ')
		case r == '、' || r == '，' || r == '；':
			dst = append(dst, ',')
		case r == '。':
			dst = append(dst, '.')
		default:
			dst = append(dst, s[i:i+n]...)
		}
		i += n
	}
	return dst
}
