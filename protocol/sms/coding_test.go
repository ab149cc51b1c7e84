package sms

import "testing"

func TestFromMsgFmt(t *testing.T) {
	for _, tt := range []struct {
		in   byte
		want Coding
	}{
		{0, ASCII}, {3, Binary}, {4, Binary}, {8, UCS2}, {9, UCS2}, {15, GB18030},
		{1, Binary}, {2, Binary}, {5, Binary}, {14, Binary},
		{0xF5, Binary}, // WAP push in real CMPP MO traffic (PROTOCOLS.md §1.6)
		{0xF1, GSM7}, {0xF0, GSM7}, {0x18, UCS2}, {0x14, Binary}, {0x30, Binary},
	} {
		if got := FromMsgFmt(tt.in); got != tt.want {
			t.Errorf("FromMsgFmt(0x%02x) = %v, want %v", tt.in, got, tt.want)
		}
	}
}

func TestCoding_MsgFmt(t *testing.T) {
	for _, c := range []Coding{ASCII, Binary, UCS2, GB18030} {
		b, ok := c.MsgFmt()
		if !ok || FromMsgFmt(b) != c {
			t.Errorf("%v.MsgFmt() = %d, %v; FromMsgFmt of it = %v, want %v", c, b, ok, FromMsgFmt(b), c)
		}
	}
	for _, c := range []Coding{GSM7, Latin1, Coding(99)} {
		if _, ok := c.MsgFmt(); ok {
			t.Errorf("%v.MsgFmt() ok = true, want false", c)
		}
	}
}

func TestFromDataCoding(t *testing.T) {
	for _, tt := range []struct {
		in   byte
		dflt Coding
		want Coding
	}{
		{0x00, GSM7, GSM7},
		{0x00, ASCII, ASCII},
		{0x01, GSM7, ASCII},
		{0x02, GSM7, Binary},
		{0x03, GSM7, Latin1},
		{0x04, GSM7, Binary},
		{0x05, GSM7, Binary}, // JIS: not 8-bit data by accident of masking
		{0x08, GSM7, UCS2},
		{0x0F, GSM7, GB18030},
		{0x10, GSM7, GSM7},   // general group, class 0
		{0x11, GSM7, GSM7},   // masking would say IA5
		{0x18, GSM7, UCS2},   // UCS2 flash
		{0x14, GSM7, Binary}, // 8-bit, class 0
		{0x24, GSM7, Binary}, // compressed
		{0xC0, GSM7, GSM7},   // message waiting, discard
		{0xE0, GSM7, UCS2},   // message waiting, store, UCS2
		{0xF0, GSM7, GSM7},   // GSM7 flash
		{0xF5, GSM7, Binary}, // masking would say JIS
		{0xF6, GSM7, Binary},
		{0x85, GSM7, Binary}, // reserved group
	} {
		if got := FromDataCoding(tt.in, tt.dflt); got != tt.want {
			t.Errorf("FromDataCoding(0x%02x, %v) = %v, want %v", tt.in, tt.dflt, got, tt.want)
		}
	}
}

func TestCoding_DataCoding(t *testing.T) {
	for _, c := range []Coding{GSM7, ASCII, Latin1, Binary, UCS2} {
		b, ok := c.DataCoding()
		if !ok || FromDataCoding(b, GSM7) != c {
			t.Errorf("%v.DataCoding() = 0x%02x, %v; read back %v", c, b, ok, FromDataCoding(b, GSM7))
		}
	}
	if _, ok := GB18030.DataCoding(); ok {
		t.Errorf("GB18030.DataCoding() ok = true, want false")
	}
}

func TestCoding_String(t *testing.T) {
	if got, want := Coding(7).String(), "Coding(7)"; got != want {
		t.Errorf("String = %q, want %q", got, want)
	}
	if got, want := UCS2.String(), "UCS2"; got != want {
		t.Errorf("String = %q, want %q", got, want)
	}
}
