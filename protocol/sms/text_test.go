package sms

import (
	"bytes"
	"errors"
	"testing"
)

func TestEncode(t *testing.T) {
	for _, tt := range []struct {
		name string
		text string
		c    Coding
		hex  string
	}{
		// gocmpp submit_test.go content (PROTOCOLS.md §1.5).
		{"UCS2", "测试gocmpp submit", UCS2, "6d4b8bd50067006f0063006d00700070002000730075006200 6d00690074"},
		{"UCS2SurrogatePair", "a😀", UCS2, "0061 d83d de00"},
		{"GB18030TwoByte", "中文", GB18030, "d6d0 cec4"},
		{"GB18030FourByte", "€😀", GB18030, "a2e3 9439fc36"},
		{"GB18030ASCII", "12366", GB18030, "3132333636"},
		{"ASCII", "This is a test MO.", ASCII, "546869732069732061207465737420 4d4f2e"},
		{"Latin1", "café", Latin1, "636166e9"},
		{"Binary", "\x01\xff", Binary, "01ff"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Encode(tt.text, tt.c)
			if err != nil {
				t.Fatalf("Encode: %v", err)
			}
			if want := unhex(t, tt.hex); !bytes.Equal(got, want) {
				t.Errorf("Encode = %x, want %x", got, want)
			}
			back, err := Decode(got, tt.c)
			if err != nil || back != tt.text {
				t.Errorf("Decode = %q, %v, want %q", back, err, tt.text)
			}
		})
	}
}

func TestEncode_Unencodable(t *testing.T) {
	for _, tt := range []struct {
		text string
		c    Coding
	}{
		{"税务", ASCII},
		{"税务", Latin1},
		{"税务", GSM7},
		{"bad\xffutf8", GB18030},
		{"bad\xffutf8", Latin1},
	} {
		if _, err := Encode(tt.text, tt.c); !errors.Is(err, ErrUnencodable) {
			t.Errorf("Encode(%q, %v) err = %v, want ErrUnencodable", tt.text, tt.c, err)
		}
	}
	if _, err := Encode("x", Coding(99)); err == nil {
		t.Errorf("Encode with unknown coding: err = nil, want error")
	}
}

func TestDecode_Lenient(t *testing.T) {
	for _, tt := range []struct {
		name string
		in   string
		c    Coding
		want string
	}{
		{"UCS2OddLength", "0061 00", UCS2, "a\uFFFD"},
		{"UCS2LoneHigh", "d83d 0061", UCS2, "\uFFFDa"},
		{"UCS2LoneLow", "de00 0061", UCS2, "\uFFFDa"},
		{"UCS2HighAtEnd", "0061 d83d", UCS2, "a\uFFFD"},
		{"ASCIIHigh", "41 c8", ASCII, "A\uFFFD"},
		{"GB18030Cut", "d6d0 ce", GB18030, "中\uFFFD"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Decode(unhex(t, tt.in), tt.c)
			if got != tt.want {
				t.Errorf("Decode = %q, want %q", got, tt.want)
			}
			if !errors.Is(err, ErrInvalid) {
				t.Errorf("err = %v, want ErrInvalid", err)
			}
		})
	}
}

func TestParseUDH(t *testing.T) {
	for _, tt := range []struct {
		name string
		hex  string
		want UDH
	}{
		// gosmpp pdu/UDH_test.go (PROTOCOLS.md §6.3).
		{"Concat8", "0500030c0201", UDH{Len: 6, Concat: true, Ref: 12, Total: 2, Seq: 1}},
		{"Concat16", "06080403e80201", UDH{Len: 7, Concat: true, Ref16: true, Ref: 1000, Total: 2, Seq: 1}},
		// SMSGate TestMsgErrDeliverRequestDecoder: WAP push, 16-bit ports.
		{"Ports16", "060504c34f0000 0106", UDH{Len: 7, Ports: true, DstPort: 0xc34f}},
		{"Ports8", "0404020a0b", UDH{Len: 5, Ports: true, DstPort: 10, SrcPort: 11}},
		{"OtherIESkipped", "0a 0a03000102 00030c0302", UDH{Len: 11, Concat: true, Ref: 12, Total: 3, Seq: 2}},
		{"ConcatSeqZeroIgnored", "050003010200", UDH{Len: 6}},
		{"ConcatSeqAboveTotalIgnored", "050003010203", UDH{Len: 6}},
		{"Empty", "00 41", UDH{Len: 1}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseUDH(unhex(t, tt.hex))
			if err != nil {
				t.Fatalf("ParseUDH: %v", err)
			}
			if got != tt.want {
				t.Errorf("ParseUDH = %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestParseUDH_Invalid(t *testing.T) {
	for _, tt := range []struct{ name, hex string }{
		{"NoContent", ""},
		{"LengthPastContent", "0500030c02"},
		{"ElementPastHeader", "0300050102"},
		{"TruncatedElement", "0100"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := ParseUDH(unhex(t, tt.hex)); !errors.Is(err, ErrInvalid) {
				t.Errorf("err = %v, want ErrInvalid", err)
			}
		})
	}
}

func TestDecodeContent(t *testing.T) {
	t.Run("CMPPMOWithUDHI0x40", func(t *testing.T) {
		// SMSGate TestMsgErrDeliverRequestDecoder: TP_udhi 0x40, Msg_Fmt 8,
		// UDH 05 00 03 00 01 01 (a one-part "long" message).
		content := unhex(t, "05000300010167098fc74e0d53bb76847ecf5386ff0c53ea67098d704e0d51fa768481ea5df1ff01603b662f62c55fc38eab8fb94f1a593153bb8c01ff0c53ef621153745fd84e8695eeff0c53c867098c014f1a5bb36015593153bb6211ff1f4eba751fff0c52aa529b4e86300173cd60dc4e86300195ee5fc365e061275c31597dff01")
		text, h, err := DecodeContent(content, FromMsgFmt(8), 0x40 != 0, false, 0)
		if err != nil {
			t.Fatalf("DecodeContent: %v", err)
		}
		if want := (UDH{Len: 6, Concat: true, Ref: 0, Total: 1, Seq: 1}); h != want {
			t.Errorf("UDH = %+v, want %+v", h, want)
		}
		if want := "有过不去的经历，只有走不出的自己！总是担心身边会失去谁，可我却忘了问，又有谁会害怕失去我？人生，努力了、珍惜了、问心无愧就好！"; text != want {
			t.Errorf("text = %q, want %q", text, want)
		}
	})
	t.Run("PackedGSM7AfterUDH", func(t *testing.T) {
		sept, _ := Encode("Hello [world]", GSM7)
		udh := unhex(t, "050003070201")
		content := append(udh, PackSeptets(nil, sept, 1)...)
		text, h, err := DecodeContent(content, GSM7, true, true, 7+len(sept))
		if err != nil || text != "Hello [world]" || h.Seq != 1 {
			t.Errorf("DecodeContent = %q, %+v, %v, want %q", text, h, err, "Hello [world]")
		}
		text, _, err = DecodeContent(content, GSM7, true, true, 0)
		if err != nil || text != "Hello [world]" {
			t.Errorf("DecodeContent without UDL = %q, %v, want %q", text, err, "Hello [world]")
		}
	})
	t.Run("BadUDH", func(t *testing.T) {
		if _, _, err := DecodeContent([]byte{9, 0}, UCS2, true, false, 0); !errors.Is(err, ErrInvalid) {
			t.Errorf("err = %v, want ErrInvalid", err)
		}
	})
}
