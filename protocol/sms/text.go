package sms

import (
	"errors"
	"fmt"
	"unicode/utf16"
	"unicode/utf8"

	"golang.org/x/text/encoding/simplifiedchinese"
)

// Errors returned by this package; test them with errors.Is.
var (
	// ErrUnencodable means a character of the text is not in the coding.
	ErrUnencodable = errors.New("character not in coding")
	// ErrInvalid means encoded bytes are malformed for their coding or a
	// UDH is malformed.
	ErrInvalid = errors.New("malformed payload")
	// ErrTooLong means a text needs more than 255 segments, or more than
	// 65535 octets as one message_payload.
	ErrTooLong = errors.New("text too long")
	// ErrFull means the reassembler refused a fragment that alone exceeds
	// its memory bound.
	ErrFull = errors.New("reassembler full")
)

func unencodable(c Coding, text string, off int, r rune) error {
	return fmt.Errorf("sms: %v: %q at byte %d of %q: %w", c, r, off, clip(text, 40), ErrUnencodable)
}

func invalidAt(c Coding, b []byte, off int, what string) error {
	return fmt.Errorf("sms: %v: %s at offset %d in % x: %w", c, what, off, snippet(b, off), ErrInvalid)
}

// snippet returns up to 16 bytes of b around off, for error messages.
func snippet(b []byte, off int) []byte {
	lo := max(0, off-8)
	hi := min(len(b), lo+16)
	return b[lo:hi]
}

func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	i := n
	for i > 0 && !utf8.RuneStart(s[i]) {
		i--
	}
	return s[:i] + "…"
}

func firstErr(have, next error) error {
	if have != nil {
		return have
	}
	return next
}

// Encode returns text encoded in coding c. GSM7 gives the unpacked form,
// one septet per octet with extension characters as 0x1B xx (what SMPP
// data_coding 0 carries; PackSeptets packs it for a TPDU). UCS2 gives
// UTF-16BE with surrogate pairs. Binary gives the bytes of text unchanged.
// It returns ErrUnencodable, wrapped with the character and its offset, when
// text holds a character c cannot represent.
func Encode(text string, c Coding) ([]byte, error) {
	return AppendEncode(nil, text, c)
}

// AppendEncode is Encode appending to dst. On error dst is returned with
// part of the text appended.
func AppendEncode(dst []byte, text string, c Coding) ([]byte, error) {
	switch c {
	case GSM7:
		return appendGSM7(dst, text)
	case UCS2:
		return appendUCS2(dst, text), nil
	case ASCII:
		for i := 0; i < len(text); i++ {
			if text[i] >= 0x80 {
				r, _ := utf8.DecodeRuneInString(text[i:])
				return dst, unencodable(c, text, i, r)
			}
		}
		return append(dst, text...), nil
	case Latin1:
		for i, r := range text {
			if r > 0xFF || (r == utf8.RuneError && !validRuneAt(text, i)) {
				return dst, unencodable(c, text, i, r)
			}
			dst = append(dst, byte(r))
		}
		return dst, nil
	case Binary:
		return append(dst, text...), nil
	case GB18030:
		for i, r := range text {
			if r == utf8.RuneError && !validRuneAt(text, i) {
				return dst, unencodable(c, text, i, r)
			}
		}
		b, err := simplifiedchinese.GB18030.NewEncoder().Bytes([]byte(text))
		if err != nil {
			return dst, fmt.Errorf("sms: GB18030: %w: %w", ErrUnencodable, err)
		}
		return append(dst, b...), nil
	}
	return dst, fmt.Errorf("sms: encode: unknown coding %v", c)
}

// validRuneAt reports whether the U+FFFD decoded at text[i] was really
// written there rather than produced by invalid UTF-8.
func validRuneAt(text string, i int) bool {
	_, size := utf8.DecodeRuneInString(text[i:])
	return size == 3
}

func appendUCS2(dst []byte, text string) []byte {
	for _, r := range text {
		if r >= 0x10000 {
			r1, r2 := utf16.EncodeRune(r)
			dst = append(dst, byte(r1>>8), byte(r1), byte(r2>>8), byte(r2))
			continue
		}
		dst = append(dst, byte(r>>8), byte(r))
	}
	return dst
}

// Decode returns the text of payload b (without its UDH) in coding c. GSM7
// is read in the unpacked form (UnpackSeptets first for packed payloads),
// UCS2 as UTF-16BE, Binary as the bytes unchanged. Decoding is lenient: a
// malformed byte or an unpaired surrogate becomes U+FFFD and the error,
// wrapping ErrInvalid, names the first one; the text is returned either way
// so that an inbound message is never lost.
func Decode(b []byte, c Coding) (string, error) {
	out, err := AppendDecode(make([]byte, 0, len(b)+len(b)/2), b, c)
	return string(out), err
}

// AppendDecode is Decode appending the UTF-8 text to dst.
func AppendDecode(dst, b []byte, c Coding) ([]byte, error) {
	switch c {
	case GSM7:
		return decodeGSM7(dst, b)
	case UCS2:
		return decodeUCS2(dst, b)
	case ASCII:
		var err error
		for i, x := range b {
			if x >= 0x80 {
				dst = utf8.AppendRune(dst, utf8.RuneError)
				err = firstErr(err, invalidAt(c, b, i, "octet above 0x7F"))
				continue
			}
			dst = append(dst, x)
		}
		return dst, err
	case Latin1:
		for _, x := range b {
			dst = utf8.AppendRune(dst, rune(x))
		}
		return dst, nil
	case GB18030:
		return decodeGB18030(dst, b)
	}
	// Binary and anything unknown: the octets as they are.
	return append(dst, b...), nil
}

func decodeUCS2(dst, b []byte) ([]byte, error) {
	var err error
	n := len(b) &^ 1
	for i := 0; i < n; i += 2 {
		u := rune(b[i])<<8 | rune(b[i+1])
		switch {
		case !utf16.IsSurrogate(u):
			dst = utf8.AppendRune(dst, u)
			continue
		case u < 0xDC00 && i+3 < n:
			lo := rune(b[i+2])<<8 | rune(b[i+3])
			if r := utf16.DecodeRune(u, lo); r != utf8.RuneError {
				dst = utf8.AppendRune(dst, r)
				i += 2
				continue
			}
		}
		dst = utf8.AppendRune(dst, utf8.RuneError)
		err = firstErr(err, invalidAt(UCS2, b, i, "unpaired surrogate"))
	}
	if n != len(b) {
		dst = utf8.AppendRune(dst, utf8.RuneError)
		err = firstErr(err, invalidAt(UCS2, b, n, "odd length"))
	}
	return dst, err
}

// gbCharLen returns the length of the GB18030 character starting at b[i]:
// 1 for ASCII, 4 when the second byte is a digit, else 2; 0 when the lead
// byte (0x80, 0xFF) or the sequence is malformed or cut short.
func gbCharLen(b []byte, i int) int {
	c := b[i]
	switch {
	case c < 0x80:
		return 1
	case c == 0x80 || c == 0xFF:
		return 0
	case i+1 >= len(b):
		return 0
	}
	c2 := b[i+1]
	if c2 >= 0x30 && c2 <= 0x39 {
		if i+3 >= len(b) || b[i+2] < 0x81 || b[i+2] > 0xFE || b[i+3] < 0x30 || b[i+3] > 0x39 {
			return 0
		}
		return 4
	}
	if c2 < 0x40 || c2 == 0x7F || c2 == 0xFF {
		return 0
	}
	return 2
}

func decodeGB18030(dst, b []byte) ([]byte, error) {
	var err error
	for i := 0; i < len(b); {
		if n := gbCharLen(b, i); n > 0 {
			i += n
			continue
		}
		err = invalidAt(GB18030, b, i, "malformed GB18030 sequence")
		break
	}
	out, derr := simplifiedchinese.GB18030.NewDecoder().Bytes(b)
	if derr != nil {
		// The decoder replaces what it cannot read; an error here means
		// something unexpected, so keep the bytes visible as U+FFFD.
		return utf8.AppendRune(dst, utf8.RuneError), firstErr(err, fmt.Errorf("sms: GB18030: %w: %w", ErrInvalid, derr))
	}
	return append(dst, out...), err
}
