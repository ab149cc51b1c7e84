package sms

import (
	"errors"
	"fmt"
)

// Choose returns the coding among allowed that sends text (with the
// signature the carrier adds, "" for none) in the fewest billed messages;
// on a tie the one listed first wins. List the codings the link accepts in
// order of preference: a Chinese carrier link takes ASCII and UCS2 (and
// GB18030 on SMGP), not GSM7; an SMPP link typically GSM7 and UCS2. Binary
// is never chosen for text. It returns ErrUnencodable when no allowed
// coding can represent the text, and ErrTooLong when every one that can
// needs more than 255 segments.
func Choose(text, signature string, allowed ...Coding) (Coding, error) {
	best, bestN := Coding(0), 0
	var last error
	for _, c := range allowed {
		if c == Binary {
			continue
		}
		n, err := Count(text, signature, c)
		if err != nil {
			if last == nil || !errors.Is(last, ErrTooLong) {
				last = err
			}
			continue
		}
		if bestN == 0 || n < bestN {
			best, bestN = c, n
		}
	}
	if bestN == 0 {
		if last == nil {
			last = fmt.Errorf("sms: choose: no text coding allowed: %w", ErrUnencodable)
		}
		return 0, last
	}
	return best, nil
}
