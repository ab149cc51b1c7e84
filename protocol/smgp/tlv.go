package smgp

import (
	"encoding/binary"
	"fmt"
)

// Tag is the tag of an optional parameter (TLV) [spec §6.3].
type Tag uint16

// TLV tags [spec §6.3].
const (
	TagTPPid            Tag = 0x0001 // TP_pid
	TagTPUdhi           Tag = 0x0002 // TP_udhi
	TagLinkID           Tag = 0x0003 // LinkID
	TagChargeUserType   Tag = 0x0004 // ChargeUserType
	TagChargeTermType   Tag = 0x0005 // ChargeTermType
	TagChargeTermPseudo Tag = 0x0006 // ChargeTermPseudo
	TagDestTermType     Tag = 0x0007 // DestTermType
	TagDestTermPseudo   Tag = 0x0008 // DestTermPseudo
	TagPkTotal          Tag = 0x0009 // PkTotal
	TagPkNumber         Tag = 0x000A // PkNumber
	TagSubmitMsgType    Tag = 0x000B // SubmitMsgType
	TagSPDealResult     Tag = 0x000C // SPDealResult
	TagSrcTermType      Tag = 0x000D // SrcTermType
	TagSrcTermPseudo    Tag = 0x000E // SrcTermPseudo
	TagNodesCount       Tag = 0x000F // NodesCount
	TagMsgSrc           Tag = 0x0010 // MsgSrc
	TagSrcType          Tag = 0x0011 // SrcType
	TagMServiceID       Tag = 0x0012 // MServiceID
)

// OptByte is an optional one-byte parameter; Valid says whether it is sent.
type OptByte struct {
	Value byte
	Valid bool
}

// Byte returns a present OptByte holding v.
func Byte(v byte) OptByte { return OptByte{Value: v, Valid: true} }

// TLV is a parameter this package does not know, kept as it came.
type TLV struct {
	Tag   Tag
	Value []byte
}

// TLVs are the optional parameters of Submit and Deliver. One-byte ones are
// sent when Valid, string ones when not empty. Strings are NUL-padded to the
// spec's width where it gives one (LinkID 20, MsgSrc 8, MServiceID 21) and
// never cut. AppendMarshal writes them in tag order, then Unknown in order.
//
// A long message sets TPUdhi to 1 (the content starts with a UDH) and may
// set PkTotal and PkNumber.
type TLVs struct {
	TPPid            OptByte // 0x0001 GSM TP-PID
	TPUdhi           OptByte // 0x0002 GSM TP-UDHI: 1 when the content starts with a UDH
	LinkID           string  // 0x0003 20 bytes, links an MT to the MO that asked for it
	ChargeUserType   OptByte // 0x0004 0 destination, 1 source, 2 SP, 3 ChargeTermID
	ChargeTermType   OptByte // 0x0005 0 real number, 1 pseudo number
	ChargeTermPseudo string  // 0x0006
	DestTermType     OptByte // 0x0007 0 real number, 1 pseudo number
	DestTermPseudo   string  // 0x0008
	PkTotal          OptByte // 0x0009 segments in the message
	PkNumber         OptByte // 0x000A this segment, from 1
	SubmitMsgType    OptByte // 0x000B 0 normal, 1 WEB order, ...
	SPDealResult     OptByte // 0x000C
	SrcTermType      OptByte // 0x000D 0 real number, 1 pseudo number
	SrcTermPseudo    string  // 0x000E
	NodesCount       OptByte // 0x000F gateways passed
	MsgSrc           string  // 0x0010 8 bytes, the SP's service code
	SrcType          OptByte // 0x0011
	MServiceID       string  // 0x0012 21 bytes, business code
	// Unknown holds tags outside the spec (some gateways send 0x0014) and
	// known one-byte tags whose length is not 1.
	Unknown []TLV
}

// field returns the field for tag: one of the results is nil.
func (t *TLVs) field(tag Tag) (*OptByte, *string, int) {
	switch tag {
	case TagTPPid:
		return &t.TPPid, nil, 0
	case TagTPUdhi:
		return &t.TPUdhi, nil, 0
	case TagLinkID:
		return nil, &t.LinkID, 20
	case TagChargeUserType:
		return &t.ChargeUserType, nil, 0
	case TagChargeTermType:
		return &t.ChargeTermType, nil, 0
	case TagChargeTermPseudo:
		return nil, &t.ChargeTermPseudo, 0
	case TagDestTermType:
		return &t.DestTermType, nil, 0
	case TagDestTermPseudo:
		return nil, &t.DestTermPseudo, 0
	case TagPkTotal:
		return &t.PkTotal, nil, 0
	case TagPkNumber:
		return &t.PkNumber, nil, 0
	case TagSubmitMsgType:
		return &t.SubmitMsgType, nil, 0
	case TagSPDealResult:
		return &t.SPDealResult, nil, 0
	case TagSrcTermType:
		return &t.SrcTermType, nil, 0
	case TagSrcTermPseudo:
		return nil, &t.SrcTermPseudo, 0
	case TagNodesCount:
		return &t.NodesCount, nil, 0
	case TagMsgSrc:
		return nil, &t.MsgSrc, 8
	case TagSrcType:
		return &t.SrcType, nil, 0
	case TagMServiceID:
		return nil, &t.MServiceID, 21
	}
	return nil, nil, 0
}

// appendTo appends the parameters in tag order, then Unknown.
func (t *TLVs) appendTo(b []byte) []byte {
	for tag := TagTPPid; tag <= TagMServiceID; tag++ {
		ob, s, width := t.field(tag)
		switch {
		case ob != nil && ob.Valid:
			b = binary.BigEndian.AppendUint16(b, uint16(tag))
			b = binary.BigEndian.AppendUint16(b, 1)
			b = append(b, ob.Value)
		case s != nil && *s != "":
			n := min(max(len(*s), width), 0xffff)
			b = binary.BigEndian.AppendUint16(b, uint16(tag))
			b = binary.BigEndian.AppendUint16(b, uint16(n))
			b = appendStr(b, *s, n)
		}
	}
	for _, u := range t.Unknown {
		v := u.Value[:min(len(u.Value), 0xffff)]
		b = binary.BigEndian.AppendUint16(b, uint16(u.Tag))
		b = binary.BigEndian.AppendUint16(b, uint16(len(v)))
		b = append(b, v...)
	}
	return b
}

func (t *TLVs) validate() error {
	for tag := TagTPPid; tag <= TagMServiceID; tag++ {
		if _, s, width := t.field(tag); s != nil && width > 0 && len(*s) > width {
			return fmt.Errorf("smgp: TLV %#04x value %q longer than %d bytes", uint16(tag), *s, width)
		}
	}
	return nil
}

// tlvs reads TLVs up to the end of the packet.
func (d *decoder) tlvs() TLVs {
	var t TLVs
	for d.err == nil && d.off < len(d.b) {
		off := d.off
		if !d.need(4, "TLV header") {
			break
		}
		tag := Tag(binary.BigEndian.Uint16(d.b[d.off:]))
		n := int(binary.BigEndian.Uint16(d.b[d.off+2:]))
		d.off += 4
		if len(d.b)-d.off < n {
			d.err = parseErr(d.cmd, d.b, off, "TLV %#04x length %d, %d bytes left", uint16(tag), n, len(d.b)-d.off)
			break
		}
		v := d.b[d.off : d.off+n]
		d.off += n
		ob, s, _ := t.field(tag)
		switch {
		case ob != nil && n == 1:
			*ob = Byte(v[0])
		case s != nil:
			*s = cstring(v)
		default:
			t.Unknown = append(t.Unknown, TLV{Tag: tag, Value: append([]byte(nil), v...)})
		}
	}
	return t
}
