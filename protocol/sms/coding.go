package sms

import "fmt"

// Coding is the character coding of a message payload. The values of ASCII,
// Binary, UCS2 and GB18030 are the Msg_Fmt (CMPP), MessageCoding (SGIP) and
// MsgFormat (SMGP) values for them, so those three protocols may write
// byte(c) for these four. GSM7 and Latin1 exist only on SMPP links; their
// values are chosen from a range that no carrier table assigns, so MsgFmt
// reports false for them. Use MsgFmt, FromMsgFmt, DataCoding and
// FromDataCoding to convert; never mask the protocol byte.
type Coding uint8

const (
	// ASCII is Msg_Fmt 0, SMPP data_coding 0x01 (IA5). One octet per character.
	ASCII Coding = 0
	// Binary is Msg_Fmt 4, SMPP data_coding 0x04: opaque octets, never text.
	Binary Coding = 4
	// UCS2 is Msg_Fmt 8, SMPP data_coding 0x08, carried as UTF-16BE so that
	// characters outside the BMP travel as surrogate pairs.
	UCS2 Coding = 8
	// GB18030 is Msg_Fmt 15 (CMPP "GB", SGIP GBK, SMGP GB18030); GB18030 is
	// a superset of GBK and GB2312 and is used to read all three.
	GB18030 Coding = 15
	// GSM7 is the GSM 03.38 default alphabet with its extension table, SMPP
	// data_coding 0x00. It has no Msg_Fmt. Payloads use the unpacked form
	// (one septet per octet) unless a function says otherwise.
	GSM7 Coding = 0x80
	// Latin1 is ISO-8859-1, SMPP data_coding 0x03. It has no Msg_Fmt.
	Latin1 Coding = 0x83
)

// String returns the coding's name.
func (c Coding) String() string {
	switch c {
	case ASCII:
		return "ASCII"
	case Binary:
		return "Binary"
	case UCS2:
		return "UCS2"
	case GB18030:
		return "GB18030"
	case GSM7:
		return "GSM7"
	case Latin1:
		return "Latin1"
	}
	return fmt.Sprintf("Coding(%d)", uint8(c))
}

// valid reports whether c is one of the named codings.
func (c Coding) valid() bool {
	switch c {
	case ASCII, Binary, UCS2, GB18030, GSM7, Latin1:
		return true
	}
	return false
}

// MsgFmt returns the CMPP Msg_Fmt / SGIP MessageCoding / SMGP MsgFormat
// value for c, and false for GSM7, Latin1 and unknown values, which those
// protocols cannot carry.
func (c Coding) MsgFmt() (byte, bool) {
	switch c {
	case ASCII, Binary, UCS2, GB18030:
		return byte(c), true
	}
	return 0, false
}

// FromMsgFmt returns the coding of a CMPP Msg_Fmt, SGIP MessageCoding or SMGP
// MsgFormat byte (PROTOCOLS.md §6.1):
//
//	0        ASCII
//	3, 4     Binary (3 is "SIM write": data for the SIM, not text)
//	8, 9     UCS2 (9 is the "UCS2 without sign" some gateways send)
//	15       GB18030 (CMPP "GB", SGIP GBK, SMGP GB18030)
//	16..255  a GSM 03.38 data coding scheme byte, read by FromDCS
//	other    Binary
//
// Unknown values are Binary so that the bytes survive undecoded.
func FromMsgFmt(b byte) Coding {
	switch b {
	case 0:
		return ASCII
	case 8, 9:
		return UCS2
	case 15:
		return GB18030
	}
	if b >= 0x10 {
		return FromDCS(b)
	}
	return Binary
}

// FromDCS returns the coding named by a GSM 03.38 (3GPP TS 23.038 §4) data
// coding scheme byte: the general and auto-deletion groups (00xx xxxx, 01xx
// xxxx) by their alphabet bits, the message-waiting groups 1100 and 1101 as
// GSM7, 1110 as UCS2, and the data coding/message class group 1111 by its
// bit 2 (0xF5 is 8-bit data, so Binary). Compressed text, reserved
// alphabets and reserved groups (1000-1011) are Binary: the specification
// says to read them as GSM7, but keeping the octets loses nothing.
func FromDCS(dcs byte) Coding {
	switch dcs >> 4 {
	case 0x0, 0x1, 0x2, 0x3, 0x4, 0x5, 0x6, 0x7:
		if dcs&0x20 != 0 { // compressed
			return Binary
		}
		switch (dcs >> 2) & 0x3 {
		case 0:
			return GSM7
		case 1:
			return Binary
		case 2:
			return UCS2
		}
		return Binary
	case 0xC, 0xD:
		return GSM7
	case 0xE:
		return UCS2
	case 0xF:
		if dcs&0x04 != 0 {
			return Binary
		}
		return GSM7
	}
	return Binary
}

// DataCoding returns the SMPP 3.4 data_coding value for c: GSM7 0x00 (the
// SMSC default alphabet), ASCII 0x01 (IA5), Latin1 0x03, Binary 0x04, UCS2
// 0x08. It reports false for GB18030, which SMPP 3.4 does not define (some
// Chinese SMSCs take 0x0F for it by local agreement; FromDataCoding reads it
// so) and for unknown values.
func (c Coding) DataCoding() (byte, bool) {
	switch c {
	case GSM7:
		return 0x00, true
	case ASCII:
		return 0x01, true
	case Latin1:
		return 0x03, true
	case Binary:
		return 0x04, true
	case UCS2:
		return 0x08, true
	}
	return 0, false
}

// FromDataCoding returns the coding of an SMPP 3.4 data_coding byte
// (PROTOCOLS.md §6.1), reading the value as a whole rather than masking it:
//
//	0x00       smscDefault (the SMSC default alphabet; GSM7 on most links)
//	0x01       ASCII (IA5)
//	0x02, 0x04 Binary
//	0x03       Latin1
//	0x08       UCS2
//	0x0F       GB18030 (not SMPP 3.4; Chinese SMSCs' GBK by local agreement)
//	0x05-0x07, 0x09-0x0E  Binary (JIS, Cyrillic, Hebrew, pictogram,
//	           ISO-2022-JP, kanji, KS C 5601: no decoder here, bytes kept)
//	0x10-0xFF  a GSM 03.38 DCS read by FromDCS (0x18 is UCS2 class 0,
//	           0xF0 GSM7 flash, 0xF5 8-bit data)
func FromDataCoding(dc byte, smscDefault Coding) Coding {
	switch dc {
	case 0x00:
		return smscDefault
	case 0x01:
		return ASCII
	case 0x03:
		return Latin1
	case 0x08:
		return UCS2
	case 0x0F:
		return GB18030
	}
	if dc >= 0x10 {
		return FromDCS(dc)
	}
	return Binary
}
