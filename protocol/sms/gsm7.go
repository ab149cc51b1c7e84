package sms

import "unicode/utf8"

// gsm7Esc is the escape septet that selects the extension table.
const gsm7Esc = 0x1B

// gsm7BasicChars is the GSM 03.38 default alphabet in septet order; the
// escape position 0x1B holds a placeholder that is never matched.
const gsm7BasicChars = "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞ\x1bÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?" +
	"¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"

// gsm7Tables holds the decode and encode tables; it is built once and only
// read afterwards.
type gsm7Tables struct {
	basic [128]rune
	ext   [128]rune // 0 where the extension table has no character
	// ascii encodes runes below 0x80: low byte the septet, 0x100 set when
	// escaped, 0 for "not representable" (and '@', handled apart).
	ascii [128]uint16
	other map[rune]uint16
}

var gsm7 = buildGSM7()

func buildGSM7() *gsm7Tables {
	t := &gsm7Tables{other: make(map[rune]uint16)}
	i := 0
	for _, r := range gsm7BasicChars {
		t.basic[i] = r
		i++
	}
	if i != 128 {
		panic("sms: GSM 03.38 table has wrong size")
	}
	for code, r := range map[byte]rune{
		0x0A: '\f', 0x14: '^', 0x28: '{', 0x29: '}', 0x2F: '\\',
		0x3C: '[', 0x3D: '~', 0x3E: ']', 0x40: '|', 0x65: '€',
	} {
		t.ext[code] = r
	}
	set := func(r rune, v uint16) {
		if r < 0x80 {
			t.ascii[r] = v
		} else {
			t.other[r] = v
		}
	}
	for code, r := range t.basic {
		if code == gsm7Esc {
			continue
		}
		set(r, uint16(code)|0x200)
	}
	for code, r := range t.ext {
		if r != 0 {
			set(r, uint16(code)|0x100|0x200)
		}
	}
	return t
}

// gsm7Lookup returns the septet for r, whether it needs the escape, and
// whether r is in the alphabet at all.
func gsm7Lookup(r rune) (septet byte, escaped, ok bool) {
	var v uint16
	if r >= 0 && r < 0x80 {
		v = gsm7.ascii[r]
	} else {
		v = gsm7.other[r]
	}
	if v&0x200 == 0 {
		return 0, false, false
	}
	return byte(v), v&0x100 != 0, true
}

// gsm7Len returns the number of septets r takes (2 for the extension table)
// or 0 when r is not in the GSM 03.38 alphabet.
func gsm7Len(r rune) int {
	_, esc, ok := gsm7Lookup(r)
	switch {
	case !ok:
		return 0
	case esc:
		return 2
	}
	return 1
}

// appendGSM7 appends text as unpacked septets, an extension character as
// the pair 0x1B xx. It fails on the first character outside the alphabet.
func appendGSM7(dst []byte, text string) ([]byte, error) {
	for i, r := range text {
		s, esc, ok := gsm7Lookup(r)
		if !ok {
			return dst, unencodable(GSM7, text, i, r)
		}
		if esc {
			dst = append(dst, gsm7Esc)
		}
		dst = append(dst, s)
	}
	return dst, nil
}

// decodeGSM7 decodes unpacked septets. A septet above 0x7F and an escape
// at the end become U+FFFD and make the error non-nil; an escape followed by
// a septet the extension table lacks gives the default-alphabet character,
// as 3GPP TS 23.038 §6.2.1.1 asks.
func decodeGSM7(dst []byte, b []byte) ([]byte, error) {
	var err error
	for i := 0; i < len(b); i++ {
		c := b[i]
		if c >= 0x80 {
			dst = utf8.AppendRune(dst, utf8.RuneError)
			err = firstErr(err, invalidAt(GSM7, b, i, "septet above 0x7F"))
			continue
		}
		if c == gsm7Esc {
			if i+1 >= len(b) {
				dst = utf8.AppendRune(dst, utf8.RuneError)
				err = firstErr(err, invalidAt(GSM7, b, i, "escape at end"))
				continue
			}
			i++
			n := b[i]
			if n >= 0x80 {
				dst = utf8.AppendRune(dst, utf8.RuneError)
				err = firstErr(err, invalidAt(GSM7, b, i, "septet above 0x7F"))
				continue
			}
			if r := gsm7.ext[n]; r != 0 {
				dst = utf8.AppendRune(dst, r)
				continue
			}
			if n == gsm7Esc {
				dst = append(dst, ' ')
				continue
			}
			c = n
		}
		dst = utf8.AppendRune(dst, gsm7.basic[c])
	}
	return dst, err
}

// PackSeptets appends septets (one per octet, values below 0x80) packed
// seven bits each, least significant bit first, as GSM 03.38 §6.1.2.1 and
// SMS TPDUs carry them. fillBits (0-6) zero bits come first: the padding
// that puts the first septet on a septet boundary after a UDH. When the last
// octet would have exactly seven unused bits, they hold CR (0x0D), as
// 3GPP TS 23.038 §6.1.2.3.1 asks, so that a receiver counting septets from
// the octet length does not read a spurious '@'.
func PackSeptets(dst, septets []byte, fillBits int) []byte {
	fillBits &= 7
	nbits := fillBits + 7*len(septets)
	n := (nbits + 7) / 8
	start := len(dst)
	dst = append(dst, make([]byte, n)...)
	out := dst[start:]
	pos := fillBits
	put := func(s byte) {
		s &= 0x7F
		i, sh := pos/8, pos%8
		out[i] |= s << sh
		if sh > 1 {
			out[i+1] |= s >> (8 - sh)
		}
		pos += 7
	}
	for _, s := range septets {
		put(s)
	}
	if n*8-nbits == 7 {
		put('\r')
	}
	return dst
}

// UnpackSeptets appends the septets packed in b after fillBits leading
// bits, one per octet. n is the number of septets to read (the TP-UDL less
// the UDH's septets); a negative n reads all that b holds and then drops a
// final CR that fills the last seven bits (the padding PackSeptets writes).
// It returns an error, and what it could read, when b is shorter than n
// septets.
func UnpackSeptets(dst, b []byte, fillBits, n int) ([]byte, error) {
	fillBits &= 7
	avail := (len(b)*8 - fillBits) / 7
	if len(b) == 0 {
		avail = 0
	}
	strip := false
	var err error
	switch {
	case n < 0:
		n = avail
		strip = n > 0 && len(b)*8-fillBits == 7*n
	case n > avail:
		err = invalidAt(GSM7, b, len(b), "packed septets shorter than the septet count")
		n = avail
	}
	pos := fillBits
	start := len(dst)
	for k := 0; k < n; k++ {
		i, sh := pos/8, pos%8
		v := uint16(b[i]) >> sh
		if sh > 1 {
			v |= uint16(b[i+1]) << (8 - sh)
		}
		dst = append(dst, byte(v)&0x7F)
		pos += 7
	}
	if strip && dst[len(dst)-1] == '\r' && len(dst) > start {
		dst = dst[:len(dst)-1]
	}
	return dst, err
}
