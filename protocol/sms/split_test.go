package sms

import (
	"bytes"
	"errors"
	"strings"
	"testing"
)

// smsgateText is the text of SMSGate's TestDiffrentMsgFmt.java, a real
// four-segment CMPP 2.0 submit (PROTOCOLS.md §1.5).
const smsgateText = "尊敬的客户,您好！您于2016-03-23 14:51:36通过中国移动10085销售专线订购的【一加手机高清防刮保护膜】，请点击支付http://www.10085.cn/web85/page/zyzxpay/wap_order.html?orderId=76DEF9AE1808F506FD4E6CB782E3B8E7EE875E766D3D335C 完成下单。请在60分钟内完成支付，如有疑问，请abc10085"

// smsgateContents are the Msg_Content of its four segments: three UCS-2
// (Msg_Fmt 8) and the last ASCII (Msg_Fmt 0), all with UDH 05 00 03 e4 04 nn.
var smsgateContents = []struct {
	coding Coding
	hex    string
}{
	{UCS2, "050003e404015c0a656c76845ba26237002c60a8597dff0160a84e8e0032003000310036002d00300033002d00320033002000310034003a00350031003a00330036901a8fc74e2d56fd79fb52a8003100300030003800359500552e4e137ebf8ba28d2d768430104e0052a0624b673a9ad86e059632522e4fdd62a4819c3011ff0c8bf770b951fb652f4ed8"},
	{UCS2, "050003e404020068007400740070003a002f002f007700770077002e00310030003000380035002e0063006e002f00770065006200380035002f0070006100670065002f007a0079007a0078007000610079002f007700610070005f006f0072006400650072002e00680074006d006c003f006f007200640065007200490064003d00370036004400450046"},
	{UCS2, "050003e40403003900410045003100380030003800460035003000360046004400340045003600430042003700380032004500330042003800450037004500450038003700350045003700360036004400330044003300330035004300205b8c62104e0b535530028bf75728003600305206949f51855b8c6210652f4ed8ff0c59826709759195eeff0c8bf7"},
	{ASCII, "050003e404046162633130303835"},
}

func TestSplit_SMSGateVector(t *testing.T) {
	segs, err := Split(smsgateText, SplitOptions{Coding: UCS2, Ref: 0xe4})
	if err != nil {
		t.Fatalf("Split: %v", err)
	}
	if len(segs) != 4 {
		t.Fatalf("len(segs) = %d, want 4", len(segs))
	}
	// The first three segments are byte-exact; the real client sent the
	// last eight characters as ASCII, we send UCS-2.
	for i := range 3 {
		got := segs[i].AppendContent(nil)
		if want := unhex(t, smsgateContents[i].hex); !bytes.Equal(got, want) {
			t.Errorf("segment %d = %x, want %x", i+1, got, want)
		}
	}
	if got, want := segs[3].AppendContent(nil), unhex(t, "050003e40404 0061006200630031003000300038 0035"); !bytes.Equal(got, want) {
		t.Errorf("segment 4 = %x, want %x", got, want)
	}
	for i, s := range segs {
		if s.Total != 4 || s.Seq != i+1 || s.Ref != 0xe4 {
			t.Errorf("segment %d numbered %d/%d ref %d, want %d/4 ref 228", i+1, s.Seq, s.Total, s.Ref, i+1)
		}
	}
	if n, err := Count(smsgateText, "", UCS2); n != 4 || err != nil {
		t.Errorf("Count = %d, %v, want 4", n, err)
	}
}

func TestSplit_UDH(t *testing.T) {
	text := strings.Repeat("x", 200)
	t.Run("UDH8", func(t *testing.T) {
		segs, err := Split(text, SplitOptions{Coding: ASCII, Ref: 12})
		if err != nil {
			t.Fatal(err)
		}
		if got, want := segs[0].UDH, unhex(t, "0500030c0201"); !bytes.Equal(got, want) {
			t.Errorf("UDH = %x, want %x", got, want)
		}
		if got, want := segs[1].UDH, unhex(t, "0500030c0202"); !bytes.Equal(got, want) {
			t.Errorf("UDH = %x, want %x", got, want)
		}
		if len(segs[0].Payload) != 134 || len(segs[1].Payload) != 66 {
			t.Errorf("payloads %d+%d octets, want 134+66", len(segs[0].Payload), len(segs[1].Payload))
		}
	})
	t.Run("UDH16", func(t *testing.T) {
		segs, err := Split(text, SplitOptions{Coding: ASCII, Ref: 1000, Concat: ConcatUDH16})
		if err != nil {
			t.Fatal(err)
		}
		if got, want := segs[0].UDH, unhex(t, "06080403e80201"); !bytes.Equal(got, want) {
			t.Errorf("UDH = %x, want %x", got, want)
		}
		if len(segs[0].Payload) != 133 {
			t.Errorf("payload %d octets, want 133", len(segs[0].Payload))
		}
	})
	t.Run("SAR", func(t *testing.T) {
		segs, err := Split(text, SplitOptions{Coding: ASCII, Ref: 1000, Concat: ConcatSAR})
		if err != nil {
			t.Fatal(err)
		}
		if len(segs) != 2 || segs[0].UDH != nil || segs[0].Ref != 1000 || segs[1].Seq != 2 || len(segs[0].Payload) != 134 {
			t.Errorf("segs = %+v, want two without UDH, ref 1000, 134 octets first", segs)
		}
	})
	t.Run("Payload", func(t *testing.T) {
		segs, err := Split(text, SplitOptions{Coding: ASCII, Concat: ConcatPayload})
		if err != nil {
			t.Fatal(err)
		}
		if len(segs) != 1 || segs[0].UDH != nil || len(segs[0].Payload) != 200 || segs[0].Total != 1 {
			t.Errorf("segs = %+v, want one of 200 octets", segs)
		}
	})
	t.Run("Single", func(t *testing.T) {
		segs, err := Split("short", SplitOptions{Coding: ASCII, Ref: 5})
		if err != nil {
			t.Fatal(err)
		}
		if len(segs) != 1 || segs[0].UDH != nil || segs[0].Total != 1 || segs[0].Seq != 1 {
			t.Errorf("segs = %+v, want one without UDH", segs)
		}
	})
}

func TestSplit_Boundaries(t *testing.T) {
	t.Run("SurrogatePairNotSplit", func(t *testing.T) {
		// 66 BMP characters then an emoji: 132 + 4 > 134, so the emoji
		// starts segment 2.
		text := strings.Repeat("税", 66) + "😀" + strings.Repeat("税", 10)
		segs, err := Split(text, SplitOptions{Coding: UCS2})
		if err != nil {
			t.Fatal(err)
		}
		if len(segs[0].Payload) != 132 {
			t.Errorf("segment 1 = %d octets, want 132", len(segs[0].Payload))
		}
		if got, _ := Decode(segs[1].Payload, UCS2); !strings.HasPrefix(got, "😀") {
			t.Errorf("segment 2 = %q, want it to start with the emoji", got)
		}
		assertJoin(t, segs, UCS2, text)
	})
	t.Run("GB18030NotSplit", func(t *testing.T) {
		text := "a" + strings.Repeat("税", 80)
		segs, err := Split(text, SplitOptions{Coding: GB18030})
		if err != nil {
			t.Fatal(err)
		}
		if len(segs[0].Payload) != 133 {
			t.Errorf("segment 1 = %d octets, want 133", len(segs[0].Payload))
		}
		assertJoin(t, segs, GB18030, text)
	})
	t.Run("GB18030FourByteNotSplit", func(t *testing.T) {
		text := strings.Repeat("税", 66) + "😀😀😀"
		segs, err := Split(text, SplitOptions{Coding: GB18030})
		if err != nil {
			t.Fatal(err)
		}
		if len(segs[0].Payload) != 132 {
			t.Errorf("segment 1 = %d octets, want 132", len(segs[0].Payload))
		}
		assertJoin(t, segs, GB18030, text)
	})
	t.Run("GSM7EscapeNotSplit", func(t *testing.T) {
		text := strings.Repeat("a", 152) + "€b" + strings.Repeat("c", 10)
		segs, err := Split(text, SplitOptions{Coding: GSM7})
		if err != nil {
			t.Fatal(err)
		}
		if segs[0].Septets != 152 || segs[1].Payload[0] != gsm7Esc {
			t.Errorf("segment 1 = %d septets, segment 2 starts %x; want 152 and 1b", segs[0].Septets, segs[1].Payload[0])
		}
		assertJoin(t, segs, GSM7, text)
	})
	t.Run("GSM7Packed", func(t *testing.T) {
		text := strings.Repeat("abcdefg", 30)
		segs, err := Split(text, SplitOptions{Coding: GSM7, PackGSM7: true, Ref: 1})
		if err != nil {
			t.Fatal(err)
		}
		if len(segs) != 2 || segs[0].Septets != 153 {
			t.Fatalf("got %d segments, first %d septets; want 2, 153", len(segs), segs[0].Septets)
		}
		if n := len(segs[0].AppendContent(nil)); n != 140 {
			t.Errorf("segment 1 content = %d octets, want 140", n)
		}
		var joined string
		for _, s := range segs {
			part, _, err := DecodeContent(s.AppendContent(nil), GSM7, true, true, 7+s.Septets)
			if err != nil {
				t.Fatal(err)
			}
			joined += part
		}
		if joined != text {
			t.Errorf("joined = %q, want %q", joined, text)
		}
	})
	t.Run("SignatureReserved", func(t *testing.T) {
		text := strings.Repeat("税", 64) + "end"
		segs, err := Split(text, SplitOptions{Coding: UCS2, CarrierSignature: "【12366】"})
		if err != nil {
			t.Fatal(err)
		}
		// 67 + 7 = 74 > 70: two segments, the first leaving 7 characters.
		if len(segs) != 2 || len(segs[0].Payload) != 120 {
			t.Errorf("got %d segments, first %d octets; want 2, 120", len(segs), len(segs[0].Payload))
		}
	})
}

func assertJoin(t *testing.T, segs []Segment, c Coding, want string) {
	t.Helper()
	var b strings.Builder
	for i, s := range segs {
		part, err := Decode(s.Payload, c)
		if err != nil {
			t.Fatalf("segment %d: %v", i+1, err)
		}
		b.WriteString(part)
	}
	if b.String() != want {
		t.Errorf("joined = %q, want %q", b.String(), want)
	}
}

func TestSplit_Errors(t *testing.T) {
	if _, err := Split("税务", SplitOptions{Coding: GSM7}); !errors.Is(err, ErrUnencodable) {
		t.Errorf("GSM7 Chinese: err = %v, want ErrUnencodable", err)
	}
	if _, err := Split(strings.Repeat("x", 134*255+1), SplitOptions{Coding: ASCII}); !errors.Is(err, ErrTooLong) {
		t.Errorf("256 segments: err = %v, want ErrTooLong", err)
	}
	if _, err := Split(strings.Repeat("x", 134*255), SplitOptions{Coding: ASCII}); err != nil {
		t.Errorf("255 segments: err = %v, want nil", err)
	}
	if _, err := Split(strings.Repeat("税", 200), SplitOptions{Coding: UCS2, CarrierSignature: strings.Repeat("签", 67)}); !errors.Is(err, ErrTooLong) {
		t.Errorf("signature filling a segment: err = %v, want ErrTooLong", err)
	}
	if _, err := Split(strings.Repeat("x", MaxPayload+1), SplitOptions{Coding: ASCII, Concat: ConcatPayload}); !errors.Is(err, ErrTooLong) {
		t.Errorf("message_payload over 65535: err = %v, want ErrTooLong", err)
	}
}

func TestCount(t *testing.T) {
	han := func(n int) string { return strings.Repeat("税", n) }
	for _, tt := range []struct {
		name      string
		text, sig string
		c         Coding
		want      int
	}{
		{"UCS2Empty", "", "", UCS2, 1},
		{"UCS270", han(70), "", UCS2, 1},
		{"UCS271", han(71), "", UCS2, 2},
		{"UCS2134", han(134), "", UCS2, 2},
		{"UCS2135", han(135), "", UCS2, 3},
		{"UCS2Signature63", han(63), "【12366】", UCS2, 1},
		{"UCS2Signature64", han(64), "【12366】", UCS2, 2},
		{"UCS2SignatureLong", han(127), "【12366】", UCS2, 2},
		{"UCS2SignatureLong128", han(128), "【12366】", UCS2, 3},
		{"UCS2Emoji", han(68) + "😀", "", UCS2, 1}, // 70 UTF-16 units
		{"UCS2EmojiOver", han(69) + "😀", "", UCS2, 2},
		{"UCS2EmojiAtBoundary", han(66) + "😀" + han(67), "", UCS2, 3},
		{"GSM7160", strings.Repeat("a", 160), "", GSM7, 1},
		{"GSM7161", strings.Repeat("a", 161), "", GSM7, 2},
		{"GSM7306", strings.Repeat("a", 306), "", GSM7, 2},
		{"GSM7307", strings.Repeat("a", 307), "", GSM7, 3},
		{"GSM7Escapes", strings.Repeat("€", 80), "", GSM7, 1},
		{"GSM7EscapesOver", strings.Repeat("€", 81), "", GSM7, 2},
		{"GSM7EscapeAtBoundary", strings.Repeat("a", 152) + "€" + strings.Repeat("a", 152), "", GSM7, 3},
		{"ASCII140", strings.Repeat("a", 140), "", ASCII, 1},
		{"ASCII141", strings.Repeat("a", 141), "", ASCII, 2},
		{"ASCII268", strings.Repeat("a", 268), "", ASCII, 2},
		{"ASCII269", strings.Repeat("a", 269), "", ASCII, 3},
		{"GB1803070", han(70), "", GB18030, 1},
		{"GB18030Mixed", han(60) + strings.Repeat("a", 20), "", GB18030, 1},
		{"GB18030Odd", "a" + han(67) + han(67), "", GB18030, 3},
		{"Binary", strings.Repeat("\x00", 141), "", Binary, 2},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Count(tt.text, tt.sig, tt.c)
			if err != nil || got != tt.want {
				t.Errorf("Count = %d, %v, want %d", got, err, tt.want)
			}
			segs, err := Split(tt.text, SplitOptions{Coding: tt.c, CarrierSignature: tt.sig})
			if err != nil || len(segs) != got {
				t.Errorf("len(Split) = %d, %v, want %d", len(segs), err, got)
			}
		})
	}
}

func TestCount_Errors(t *testing.T) {
	if _, err := Count("税", "", GSM7); !errors.Is(err, ErrUnencodable) {
		t.Errorf("err = %v, want ErrUnencodable", err)
	}
	if _, err := Count("abc", "【12366】", GSM7); !errors.Is(err, ErrUnencodable) {
		t.Errorf("signature: err = %v, want ErrUnencodable", err)
	}
	if _, err := Count(strings.Repeat("税", 67*255+1), "", UCS2); !errors.Is(err, ErrTooLong) {
		t.Errorf("err = %v, want ErrTooLong", err)
	}
	if _, err := Count(strings.Repeat("税", 100), strings.Repeat("签", 67), UCS2); !errors.Is(err, ErrTooLong) {
		t.Errorf("signature fills segment: err = %v, want ErrTooLong", err)
	}
}

func TestChoose(t *testing.T) {
	for _, tt := range []struct {
		name, text, sig string
		allowed         []Coding
		want            Coding
	}{
		{"ChineseOnCMPP", "您的发票已开具", "", []Coding{ASCII, UCS2}, UCS2},
		{"EnglishOnCMPP", "Your invoice is ready", "", []Coding{ASCII, UCS2}, ASCII},
		{"EnglishWithSignature", "Your invoice is ready", "【12366】", []Coding{ASCII, UCS2}, UCS2},
		{"EnglishOnSMPP", "Your invoice is ready", "", []Coding{GSM7, UCS2}, GSM7},
		{"LongEnglishPrefersGSM7", strings.Repeat("a", 150), "", []Coding{ASCII, GSM7, UCS2}, GSM7},
		{"TieKeepsOrder", "short", "", []Coding{ASCII, GSM7}, ASCII},
		{"BracketsOnSMPP", "{x}", "", []Coding{GSM7, UCS2}, GSM7},
		{"MixedOnSMGP", strings.Repeat("税", 60) + strings.Repeat("a", 15), "", []Coding{ASCII, UCS2, GB18030}, GB18030},
		{"EmojiOnSMPP", "ok 😀", "", []Coding{GSM7, UCS2}, UCS2},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Choose(tt.text, tt.sig, tt.allowed...)
			if err != nil || got != tt.want {
				t.Errorf("Choose = %v, %v, want %v", got, err, tt.want)
			}
		})
	}
	if _, err := Choose("税", "", GSM7, ASCII); !errors.Is(err, ErrUnencodable) {
		t.Errorf("Choose with nothing fitting: err = %v, want ErrUnencodable", err)
	}
	if _, err := Choose("x", "", Binary); !errors.Is(err, ErrUnencodable) {
		t.Errorf("Choose Binary only: err = %v, want ErrUnencodable", err)
	}
	if _, err := Choose(strings.Repeat("税", 20000), "", ASCII, UCS2); !errors.Is(err, ErrTooLong) {
		t.Errorf("Choose too long: err = %v, want ErrTooLong", err)
	}
}

func TestCount_NoAlloc(t *testing.T) {
	for _, c := range []Coding{UCS2, GSM7, ASCII, Latin1, Binary} {
		text := strings.Repeat("abc", 100)
		allocs := testing.AllocsPerRun(10, func() {
			if _, err := Count(text, "", c); err != nil {
				t.Fatal(err)
			}
		})
		if allocs != 0 {
			t.Errorf("Count(%v) allocs = %v, want 0", c, allocs)
		}
	}
}
