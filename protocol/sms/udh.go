package sms

import "fmt"

// UDH is what this package reads from a user data header.
type UDH struct {
	// Len is the length of the header in octets, the UDHL octet included:
	// the payload starts at content[Len].
	Len int
	// Concat is true when a concatenation element (IEI 0x00 or 0x08) was
	// present; Ref, Total and Seq are then its values and Ref16 tells the
	// 16-bit form.
	Concat     bool
	Ref16      bool
	Ref        uint16
	Total, Seq int
	// Ports is true when an application port element (IEI 0x04 or 0x05,
	// as in WAP push) was present, with its ports.
	Ports            bool
	DstPort, SrcPort uint16
}

// ParseUDH reads the user data header at the start of content, which a
// set udhi flag announces. Elements other than concatenation and ports
// are skipped. A concatenation element with a total or sequence number of
// 0, or a sequence number above the total, is ignored (3GPP TS 23.040
// §9.2.3.24.1 says to). It returns ErrInvalid when the header or an
// element runs past its declared length.
func ParseUDH(content []byte) (UDH, error) {
	if len(content) == 0 {
		return UDH{}, invalidAt(Binary, content, 0, "udhi set but content empty")
	}
	h := UDH{Len: 1 + int(content[0])}
	if h.Len > len(content) {
		return UDH{}, invalidAt(Binary, content, 0, fmt.Sprintf("UDH length %d beyond content of %d octets", content[0], len(content)))
	}
	ies := content[1:h.Len]
	for i := 0; i < len(ies); {
		if i+2 > len(ies) {
			return UDH{}, invalidAt(Binary, content, 1+i, "truncated information element")
		}
		iei, l := ies[i], int(ies[i+1])
		if i+2+l > len(ies) {
			return UDH{}, invalidAt(Binary, content, 1+i, fmt.Sprintf("element 0x%02x of %d octets runs past the UDH", iei, l))
		}
		v := ies[i+2 : i+2+l]
		switch {
		case iei == 0x00 && l == 3:
			h.setConcat(false, uint16(v[0]), v[1], v[2])
		case iei == 0x08 && l == 4:
			h.setConcat(true, uint16(v[0])<<8|uint16(v[1]), v[2], v[3])
		case iei == 0x04 && l == 2:
			h.Ports, h.DstPort, h.SrcPort = true, uint16(v[0]), uint16(v[1])
		case iei == 0x05 && l == 4:
			h.Ports = true
			h.DstPort = uint16(v[0])<<8 | uint16(v[1])
			h.SrcPort = uint16(v[2])<<8 | uint16(v[3])
		}
		i += 2 + l
	}
	return h, nil
}

func (h *UDH) setConcat(ref16 bool, ref uint16, total, seq byte) {
	if total == 0 || seq == 0 || seq > total {
		return
	}
	h.Concat, h.Ref16, h.Ref, h.Total, h.Seq = true, ref16, ref, int(total), int(seq)
}

// septetsOf returns the number of septets a UDH of n octets occupies in a
// packed GSM7 user data (with its fill bits), and the fill bits.
func septetsOf(n int) (septets, fill int) {
	septets = (n*8 + 6) / 7
	return septets, septets*7 - n*8
}

// DecodeContent returns the text of an inbound message content (CMPP
// Msg_Content, SMPP short_message) in coding c. When udhi is set (any
// non-zero TP_udhi counts; gateways send 1 or 0x40) the UDH is parsed,
// returned and stripped. packed says GSM7 content is packed septets; septets
// is then the TP-UDL when known, or 0 to derive it from the length. Text
// decoding is lenient as in Decode: the text is returned even with an
// error wrapping ErrInvalid. A malformed UDH gives an error and no text.
func DecodeContent(content []byte, c Coding, udhi, packed bool, septets int) (string, UDH, error) {
	var h UDH
	payload := content
	if udhi {
		var err error
		if h, err = ParseUDH(content); err != nil {
			return "", UDH{}, err
		}
		payload = content[h.Len:]
	}
	if c == GSM7 && packed {
		units, uerr := unpack(payload, h.Len, septets)
		text, err := Decode(units, GSM7)
		return text, h, firstErr(uerr, err)
	}
	text, err := Decode(payload, c)
	return text, h, err
}

// unpack unpacks GSM7 user data that follows a UDH of udhLen octets.
func unpack(payload []byte, udhLen, udl int) ([]byte, error) {
	skip, fill := 0, 0
	if udhLen > 0 {
		skip, fill = septetsOf(udhLen)
	}
	n := -1
	if udl > 0 {
		n = max(0, udl-skip)
	}
	return UnpackSeptets(make([]byte, 0, len(payload)*8/7+1), payload, fill, n)
}
