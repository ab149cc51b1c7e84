package sms

import (
	"fmt"
	"unicode/utf8"
)

// Concat selects how the segments of a long message are tied together.
type Concat uint8

const (
	// ConcatUDH8 prefixes each segment with the 6-octet UDH
	// 05 00 03 RR TT NN (8-bit reference). The default.
	ConcatUDH8 Concat = iota
	// ConcatUDH16 prefixes each segment with the 7-octet UDH
	// 06 08 04 RH RL TT NN (16-bit reference).
	ConcatUDH16
	// ConcatSAR puts no UDH in the payload; the caller sends Ref, Total and
	// Seq as SMPP sar_msg_ref_num, sar_total_segments and
	// sar_segment_seqnum. Segments are sized as for ConcatUDH8, because
	// the SMSC adds that UDH on the air. Never combine with a UDH.
	ConcatSAR
	// ConcatPayload returns one segment with the whole text, for SMPP
	// message_payload (sm_length 0); the SMSC splits it.
	ConcatPayload
)

// String returns the name of the concatenation method.
func (c Concat) String() string {
	switch c {
	case ConcatUDH8:
		return "UDH8"
	case ConcatUDH16:
		return "UDH16"
	case ConcatSAR:
		return "SAR"
	case ConcatPayload:
		return "Payload"
	}
	return fmt.Sprintf("Concat(%d)", uint8(c))
}

// Capacities of one SMS: 140 octets of user data.
const (
	// MaxOctets is the user data of one message in octets.
	MaxOctets = 140
	// MaxSeptets is the user data of one message in GSM 7-bit septets.
	MaxSeptets = 160
	// MaxSegments is the largest total a concatenation UDH can carry.
	MaxSegments = 255
	// MaxPayload is the largest SMPP message_payload value.
	MaxPayload = 65535
)

// SplitOptions says how Split encodes and divides a text.
type SplitOptions struct {
	// Coding is the coding of the payloads; Choose picks one.
	Coding Coding
	// Concat ties the segments together; zero is ConcatUDH8.
	Concat Concat
	// Ref is the concatenation reference, the same in every segment of
	// one message and different between messages to the same number; the
	// caller keeps the counter. ConcatUDH8 uses its low byte.
	Ref uint16
	// CarrierSignature is a signature (such as "【12366】") that the
	// carrier adds to the first segment. Split leaves room for it there and
	// does not put it in any payload. A signature the platform sends
	// itself belongs in the text instead.
	CarrierSignature string
	// PackGSM7 makes GSM7 payloads packed septets (a TPDU's user data),
	// with the fill bits that align them after the UDH. Otherwise GSM7
	// payloads are unpacked, one septet per octet, as SMPP data_coding 0
	// carries them; the SMSC packs them, so the septet capacities are the
	// same (160, 153 with ConcatUDH8, 152 with ConcatUDH16).
	PackGSM7 bool
}

// Segment is one message to submit.
type Segment struct {
	// UDH is the concatenation user data header, nil for a single message
	// and for ConcatSAR and ConcatPayload. When it is set the link's udhi
	// flag (CMPP/SGIP TP_udhi 1, SMGP TP_udhi TLV, SMPP esm_class 0x40)
	// must be set.
	UDH []byte
	// Payload is the encoded text of this segment, after the UDH. For
	// packed GSM7 it starts with the fill bits that follow the UDH.
	Payload []byte
	// Septets is the number of GSM7 septets in Payload (0 for other
	// codings); with packing, the TP-UDL is this plus the UDH's septets.
	Septets int
	// Ref, Total and Seq (from 1) number the segment; Total and Seq are 1
	// for a single message. They are CMPP Pk_total/Pk_number, SMGP
	// PkTotal/PkNumber and, with ConcatSAR, the SMPP sar_* values.
	Ref        uint16
	Total, Seq int
}

// AppendContent appends UDH and Payload: the message content (CMPP
// Msg_Content, SMPP short_message) of the segment.
func (s *Segment) AppendContent(dst []byte) []byte {
	return append(append(dst, s.UDH...), s.Payload...)
}

// limits returns the unit capacity of a single message and of one segment
// for a coding and concatenation: septets for GSM7, octets otherwise.
func limits(c Coding, cc Concat) (single, seg int) {
	udh := 6
	if cc == ConcatUDH16 {
		udh = 7
	}
	if c == GSM7 {
		// UDH octets rounded up to whole septets.
		return MaxSeptets, (MaxOctets*8 - ((udh*8+6)/7)*7) / 7
	}
	return MaxOctets, MaxOctets - udh
}

// unitLen returns the number of units (septets for GSM7, octets otherwise)
// of the character starting at b[i] of an encoded payload, never 0.
func unitLen(c Coding, b []byte, i int) int {
	switch c {
	case GSM7:
		if b[i] == gsm7Esc && i+1 < len(b) {
			return 2
		}
	case UCS2:
		if i+3 < len(b) && b[i] >= 0xD8 && b[i] <= 0xDB && b[i+2] >= 0xDC && b[i+2] <= 0xDF {
			return 4
		}
		if i+1 < len(b) {
			return 2
		}
	case GB18030:
		if n := gbCharLen(b, i); n > 0 {
			return n
		}
	}
	return 1
}

// Split encodes text in opts.Coding and divides it into the segments to
// submit. A text that fits one message (160 GSM7 septets, 70 UCS-2
// characters, 140 octets otherwise, signature included) is one segment
// with no UDH. Longer texts are cut into segments of at most 153/152
// septets, 67/66 UCS-2 characters or 134/133 octets, never inside a
// character: not inside a surrogate pair, a GB18030 multi-byte character or
// a GSM7 escape pair. It returns ErrUnencodable when the text (or the
// signature) has a character the coding lacks, and ErrTooLong beyond 255
// segments (or 65535 octets for ConcatPayload). len(result) equals
// Count(text, opts.CarrierSignature, opts.Coding) except for ConcatUDH16
// and ConcatPayload, whose sizes differ.
func Split(text string, opts SplitOptions) ([]Segment, error) {
	c := opts.Coding
	if !c.valid() {
		return nil, fmt.Errorf("sms: split: unknown coding %v", c)
	}
	sig, err := sigUnits(opts.CarrierSignature, c)
	if err != nil {
		return nil, err
	}
	buf, err := AppendEncode(make([]byte, 0, encodedCap(text, c)), text, c)
	if err != nil {
		return nil, err
	}
	single, segCap := limits(c, opts.Concat)
	if sig+len(buf) <= single || opts.Concat == ConcatPayload {
		if len(buf) > MaxPayload {
			return nil, fmt.Errorf("sms: split: %d octets in one message_payload: %w", len(buf), ErrTooLong)
		}
		return []Segment{finish(Segment{Total: 1, Seq: 1}, buf, c, opts)}, nil
	}
	var cuts [MaxSegments + 1]int
	n, err := cutPoints(buf, c, sig, segCap, cuts[:])
	if err != nil {
		return nil, err
	}
	segs := make([]Segment, n)
	var udhs []byte
	if opts.Concat == ConcatUDH8 || opts.Concat == ConcatUDH16 {
		udhs = make([]byte, 0, n*7)
	}
	for k := range n {
		s := Segment{Ref: opts.Ref, Total: n, Seq: k + 1}
		switch opts.Concat {
		case ConcatUDH8:
			udhs = append(udhs, 5, 0, 3, byte(opts.Ref), byte(n), byte(k+1))
			s.UDH = udhs[len(udhs)-6 : len(udhs) : len(udhs)]
		case ConcatUDH16:
			udhs = append(udhs, 6, 8, 4, byte(opts.Ref>>8), byte(opts.Ref), byte(n), byte(k+1))
			s.UDH = udhs[len(udhs)-7 : len(udhs) : len(udhs)]
		}
		segs[k] = finish(s, buf[cuts[k]:cuts[k+1]:cuts[k+1]], c, opts)
	}
	return segs, nil
}

// finish sets the payload of s, packing GSM7 when asked.
func finish(s Segment, units []byte, c Coding, opts SplitOptions) Segment {
	if c != GSM7 {
		s.Payload = units
		return s
	}
	s.Septets = len(units)
	if !opts.PackGSM7 {
		s.Payload = units
		return s
	}
	fill := 0
	if len(s.UDH) > 0 {
		fill = (7 - len(s.UDH)*8%7) % 7
	}
	s.Payload = PackSeptets(nil, units, fill)
	return s
}

// cutPoints fills cuts with the segment boundaries in buf, the first
// segment having sig units fewer, and returns the number of segments.
func cutPoints(buf []byte, c Coding, sig, segCap int, cuts []int) (int, error) {
	n := 0
	room := segCap - sig
	if room <= 0 {
		return 0, fmt.Errorf("sms: split: signature leaves no room in the first segment: %w", ErrTooLong)
	}
	i := 0
	for i < len(buf) {
		if n == MaxSegments {
			return 0, fmt.Errorf("sms: split: more than %d segments: %w", MaxSegments, ErrTooLong)
		}
		start := i
		for i < len(buf) {
			u := unitLen(c, buf, i)
			if i-start+u > room {
				break
			}
			i += u
		}
		if i == start {
			return 0, fmt.Errorf("sms: split: signature leaves no room in the first segment: %w", ErrTooLong)
		}
		cuts[n] = start
		n++
		room = segCap
	}
	cuts[n] = len(buf)
	return n, nil
}

// encodedCap estimates the encoded size of text, to allocate once.
func encodedCap(text string, c Coding) int {
	switch c {
	case UCS2:
		return 2 * len(text) // at most 2 octets per UTF-8 octet
	case GSM7:
		return len(text) + 8
	}
	return len(text)
}

// sigUnits returns the units the carrier signature takes in coding c.
func sigUnits(sig string, c Coding) (int, error) {
	if sig == "" {
		return 0, nil
	}
	n, _, err := units(sig, c)
	if err != nil {
		return 0, fmt.Errorf("sms: carrier signature: %w", err)
	}
	return n, nil
}

// units returns the units text takes in coding c without encoding it
// (except for GB18030, whose widths need the table), and for GB18030 the
// encoded bytes.
func units(text string, c Coding) (int, []byte, error) {
	n := 0
	switch c {
	case UCS2:
		for _, r := range text {
			if r >= 0x10000 {
				n += 4
			} else {
				n += 2
			}
		}
	case GSM7:
		for i, r := range text {
			k := gsm7Len(r)
			if k == 0 {
				return 0, nil, unencodable(c, text, i, r)
			}
			n += k
		}
	case ASCII:
		for i := 0; i < len(text); i++ {
			if text[i] >= 0x80 {
				r, _ := utf8.DecodeRuneInString(text[i:])
				return 0, nil, unencodable(c, text, i, r)
			}
		}
		return len(text), nil, nil
	case Latin1:
		for i, r := range text {
			if r > 0xFF || (r == utf8.RuneError && !validRuneAt(text, i)) {
				return 0, nil, unencodable(c, text, i, r)
			}
			n++
		}
	case Binary:
		return len(text), nil, nil
	case GB18030:
		b, err := Encode(text, c)
		return len(b), b, err
	default:
		return 0, nil, fmt.Errorf("sms: unknown coding %v", c)
	}
	return n, nil, nil
}

// Count returns the number of messages a carrier bills for text sent in
// coding c with the signature the carrier adds (signature "" when there is
// none, or when the text already contains it): 1 up to 160 GSM7 septets,
// 70 UCS-2 characters or 140 octets, signature included; beyond that one
// per segment of 153 septets, 67 characters or 134 octets, cut where Split
// cuts (a character outside the BMP counts as two UCS-2 characters and is
// never divided). It equals len(Split(...)) with ConcatUDH8 or ConcatSAR
// and allocates nothing except for GB18030. Errors are those of Split.
func Count(text, signature string, c Coding) (int, error) {
	sig, err := sigUnits(signature, c)
	if err != nil {
		return 0, err
	}
	single, segCap := limits(c, ConcatUDH8)
	var total, n int
	switch c {
	case UCS2, GSM7:
		total, n, err = walk(text, c, sig, segCap)
		if err != nil {
			return 0, err
		}
	case GB18030:
		var gb []byte
		if total, gb, err = units(text, c); err != nil {
			return 0, err
		}
		if sig+total > single {
			var cuts [MaxSegments + 1]int
			return cutPoints(gb, c, sig, segCap, cuts[:])
		}
	default:
		if total, _, err = units(text, c); err != nil {
			return 0, err
		}
		// One unit per character: plain division.
		n = (sig + total + segCap - 1) / segCap
	}
	switch {
	case sig+total <= single:
		return 1, nil
	case sig >= segCap || n < 0:
		return 0, fmt.Errorf("sms: count: signature leaves no room in the first segment: %w", ErrTooLong)
	case n > MaxSegments:
		return 0, fmt.Errorf("sms: count: more than %d segments: %w", MaxSegments, ErrTooLong)
	}
	return n, nil
}

// walk returns in one pass the units text takes in coding c (UCS2 or GSM7)
// and the number of segments of segCap units Split cuts it into, the first
// holding sig units fewer; n is -1 when the signature leaves no room for
// the first character.
func walk(text string, c Coding, sig, segCap int) (total, n int, err error) {
	n, used := 1, sig
	for i, r := range text {
		u := 2
		if c == GSM7 {
			if u = gsm7Len(r); u == 0 {
				return 0, 0, unencodable(c, text, i, r)
			}
		} else if r >= 0x10000 {
			u = 4
		}
		total += u
		if used+u > segCap {
			if n == 1 && used == sig {
				n = -1 << 30 // no room for the first character
			}
			n++
			used = 0
		}
		used += u
	}
	if n < 0 {
		n = -1
	}
	return total, n, nil
}
