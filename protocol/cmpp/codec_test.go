package cmpp

import (
	"bytes"
	"encoding/hex"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"
	"unicode/utf16"
)

// ucs2 returns s as UTF-16BE, the bytes CMPP calls UCS-2.
func ucs2(s string) []byte {
	var b []byte
	for _, u := range utf16.Encode([]rune(s)) {
		b = append(b, byte(u>>8), byte(u))
	}
	return b
}

func mustHex(t testing.TB, s string) []byte {
	b, err := hex.DecodeString(strings.Join(strings.Fields(s), ""))
	if err != nil {
		panic(fmt.Sprintf("bad hex in test: %v", err))
	}
	return b
}

// normalize makes a parsed PDU comparable with reflect.DeepEqual against a
// literal: no internal backing array, nil for empty content.
func normalize(p PDU) PDU {
	switch p := p.(type) {
	case *Submit:
		p.DestTerminalIDs = slices.Clone(p.DestTerminalIDs)
		p.dest1 = [1]string{}
		if len(p.Content) == 0 {
			p.Content = nil
		}
	case *Deliver:
		if len(p.Content) == 0 {
			p.Content = nil
		}
	}
	return p
}

// Common inputs of the gocmpp vectors (PROTOCOLS.md §1.4-§1.6).
var (
	vecAuthSource = [16]byte{0x90, 0xd0, 0x0c, 0x1d, 0x51, 0x7a, 0xbd, 0x0b, 0x4f, 0x65, 0xf6, 0xbc, 0xf8, 0x53, 0x5d, 0x16}
	vecTimestamp  = uint32(1021080510)
)

func vecSubmit(v Version) *Submit {
	return &Submit{
		Version: v, Seq: 0x17, PkTotal: 1, PkNumber: 1, RegisteredDelivery: 1, MsgLevel: 1,
		ServiceID: "test", FeeUserType: 2, FeeTerminalID: "13500002696", MsgFmt: FmtUCS2,
		MsgSrc: "900001", FeeType: "02", FeeCode: "10", ValidTime: "151105131555101+",
		SrcID: "900001", DestTerminalIDs: []string{"13500002696"},
		Content: ucs2("测试gocmpp submit"),
	}
}

var codecTests = []struct {
	name string
	v    Version // layout passed to Parse
	pdu  PDU
	hex  string
}{
	{"Connect/2.1", V21, &Connect{Seq: 0x17, SourceAddr: "900001", AuthenticatorSource: vecAuthSource, Version: V21, Timestamp: vecTimestamp},
		"00000027 00000001 00000017 393030303031 90d00c1d517abd0b4f65f6bcf8535d16 21 3cdc73be"},
	{"Connect/3.0", V30, &Connect{Seq: 0x17, SourceAddr: "900001", AuthenticatorSource: vecAuthSource, Version: V30, Timestamp: vecTimestamp},
		"00000027 00000001 00000017 393030303031 90d00c1d517abd0b4f65f6bcf8535d16 30 3cdc73be"},
	{"ConnectResp/2.1", V21, &ConnectResp{Seq: 0x17, Version: V21, Layout: V20,
		AuthenticatorISMG: [16]byte{0x6c, 0x0b, 0x84, 0x6e, 0x25, 0xba, 0xb6, 0xda, 0xa4, 0xed, 0x1c, 0x46, 0x6e, 0x0f, 0x4b, 0xd8}},
		"0000001e 80000001 00000017 00 6c0b846e25bab6daa4ed1c466e0f4bd8 21"},
	{"ConnectResp/3.0", V30, &ConnectResp{Seq: 0x17, Version: V30, Layout: V30,
		AuthenticatorISMG: [16]byte{0x79, 0x42, 0x97, 0x72, 0x74, 0x09, 0x8c, 0xf2, 0x10, 0xab, 0x0c, 0x16, 0xc3, 0x67, 0xbc, 0x8d}},
		"00000021 80000001 00000017 00000000 7942977274098cf210ab0c16c367bc8d 30"},
	{"ConnectResp/3.0/AuthFailed", V30, &ConnectResp{Seq: 2, Version: V30, Layout: V30, Status: StatusAuthFailed},
		"00000021 80000001 00000002 00000003 00000000000000000000000000000000 30"},
	{"Submit/2.x", V20, vecSubmit(V20),
		"000000bd0000000400000017000000000000000001010101746573740000000000000231333530303030323639360000000000000000000000000839303030303130323130000000003135313130353133313535353130312b000000000000000000000000000000000000393030303031000000000000000000000000000000013133353030303032363936000000000000000000001e6d4b8bd50067006f0063006d007000700020007300750062006d006900740000000000000000"},
	{"Submit/3.0", V30, vecSubmit(V30),
		"000000e10000000400000017000000000000000001010101746573740000000000000231333530303030323639360000000000000000000000000000000000000000000000000839303030303130323130000000003135313130353133313535353130312b000000000000000000000000000000000000393030303031000000000000000000000000000000013133353030303032363936000000000000000000000000000000000000000000001e6d4b8bd50067006f0063006d007000700020007300750062006d006900740000000000000000000000000000000000000000"},
	{"SubmitResp/2.x", V20, &SubmitResp{response{Version: V20, Seq: 0x17, MsgID: 0xb2b9da8000010000}},
		"00000015 80000004 00000017 b2b9da8000010000 00"},
	{"SubmitResp/3.0", V30, &SubmitResp{response{Version: V30, Seq: 0x17, MsgID: 0xb2b9da8000010000}},
		"00000018 80000004 00000017 b2b9da8000010000 00000000"},
	{"SubmitResp/3.0/Throttled", V30, &SubmitResp{response{Version: V30, Seq: 9, Result: ResultThrottled}},
		"00000018 80000004 00000009 0000000000000000 00000008"},
	{"Deliver/3.0/MO", V30, &Deliver{Version: V30, Seq: 1, MsgID: 0xb4c5530000010000, DestID: "900001",
		SrcTerminalID: "13412340000", Content: []byte("This is a test MO.")},
		"0000007f0000000500000001b4c55300000100003930303030310000000000000000000000000000000000000000000000000000000031333431323334303030300000000000000000000000000000000000000000000000125468697320697320612074657374204d4f2e0000000000000000000000000000000000000000"},
	{"Deliver/2.x/MO", V20, &Deliver{Version: V20, Seq: 5, MsgID: 0xb525628000010000, DestID: "900001",
		SrcTerminalID: "13412340000", Content: []byte("This is a test MO.")},
		"000000670000000500000005b5256280000100003930303030310000000000000000000000000000000000000000000000000000000031333431323334303030300000000000000000000000125468697320697320612074657374204d4f2e0000000000000000"},
	{"DeliverResp/3.0", V30, &DeliverResp{response{Version: V30, Seq: 1, MsgID: 0xb4c5530000010000}},
		"00000018 80000005 00000001 b4c5530000010000 00000000"},
	{"DeliverResp/2.x", V20, &DeliverResp{response{Version: V20, Seq: 5, MsgID: 0xb525628000010000}},
		"00000015 80000005 00000005 b525628000010000 00"},
	// SMSGate TestMsgErrDeliverRequestDecoder: a real 3.0 report with a
	// 71-byte Msg_Content, header added (Sequence_Id 0).
	{"Deliver/3.0/Report71", V30, &Deliver{Version: V30, MsgID: 0x522a4980002aa6ce, DestID: "10085101",
		ServiceID: "cmcczx_sms", SrcTerminalID: "13592261791", RegisteredDelivery: 1,
		Content: mustHex(nil, "522a4980002aa6cd41463a340000003030303130313030303030303031303130303030313335393232363137393100000000000000000000000000000000000000000000000000")},
		"000000b4 00000005 00000000 522a4980002aa6ce313030383531303100000000000000000000000000636d63637a785f736d730000003133353932323631373931000000000000000000000000000000000000000000000147522a4980002aa6cd41463a3400000030303031303130303030303030313031303030303133353932323631373931000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000"},
	// SMSGate TestMsgErrDeliverRequestDecoder.testReport: a real 3.0 report
	// with a 60-byte Msg_Content, header added (Sequence_Id 12345678).
	{"Deliver/3.0/Report60", V30, &Deliver{Version: V30, Seq: 12345678, MsgID: 0xc2cf84f10ce0003f, DestID: "100869881008698810086",
		MsgFmt: 0x0f, SrcTerminalID: "18703815655187038156551870381565", RegisteredDelivery: 1, LinkID: "0000000000000123456",
		Content: mustHex(nil, "c2cf8400a37359d844454c495652443232313230353139353632323132303531393536313030383639383800000000000000000000000000000000ff")},
		"000000a9 00000005 00bc614e c2cf84f10ce0003f3130303836393838313030383639383831303038360000000000000000000000000f313837303338313536353531383730333831353635353138373033383135363500013cc2cf8400a37359d844454c495652443232313230353139353632323132303531393536313030383639383800000000000000000000000000000000ff3030303030303030303030303031323334353600"},
	{"ActiveTest", V30, &ActiveTest{Seq: 0x17}, "0000000c 00000008 00000017"},
	{"ActiveTestResp", V30, &ActiveTestResp{Seq: 0x17}, "0000000d 80000008 00000017 00"},
	{"Terminate", V30, &Terminate{Seq: 0x17}, "0000000c 00000002 00000017"},
	{"TerminateResp", V30, &TerminateResp{Seq: 0x17}, "0000000c 80000002 00000017"},
}

func TestCodec(t *testing.T) {
	for _, tt := range codecTests {
		t.Run(tt.name, func(t *testing.T) {
			want := mustHex(t, tt.hex)
			got := tt.pdu.AppendMarshal(nil)
			if !bytes.Equal(got, want) {
				t.Fatalf("AppendMarshal =\n%x\nwant\n%x", got, want)
			}
			p, err := Parse(tt.v, want)
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if !reflect.DeepEqual(normalize(p), tt.pdu) {
				t.Errorf("Parse =\n%+v\nwant\n%+v", p, tt.pdu)
			}
			if p.Command() != tt.pdu.Command() || p.Sequence() != tt.pdu.Sequence() {
				t.Errorf("Command, Sequence = %v, %d, want %v, %d", p.Command(), p.Sequence(), tt.pdu.Command(), tt.pdu.Sequence())
			}
		})
	}
}

func TestAuthenticator(t *testing.T) {
	if got := AuthenticatorSource("900001", "888888", vecTimestamp, true); got != vecAuthSource {
		t.Errorf("AuthenticatorSource = %x, want %x", got, vecAuthSource)
	}
	if got := AuthenticatorSource("900001", "888888", vecTimestamp, false); got != vecAuthSource {
		t.Errorf("AuthenticatorSource unpadded = %x, want %x", got, vecAuthSource)
	}
	for _, tt := range codecTests {
		if r, ok := tt.pdu.(*ConnectResp); ok && r.Status == 0 {
			if got := AuthenticatorISMG(r.Version, 0, vecAuthSource, "888888"); got != r.AuthenticatorISMG {
				t.Errorf("%s: AuthenticatorISMG = %x, want %x", tt.name, got, r.AuthenticatorISMG)
			}
		}
	}
	// A short SP id: the padded and unpadded forms differ.
	if AuthenticatorSource("9001", "s", 1, true) == AuthenticatorSource("9001", "s", 1, false) {
		t.Errorf("AuthenticatorSource padded == unpadded for a 4-character id")
	}
}

func TestTimestamp(t *testing.T) {
	for _, tt := range []struct {
		t    string
		want uint32
	}{
		{"2015-10-21 08:05:10", 1021080510},
		{"2024-01-01 00:00:00", 101000000},
		{"2024-12-31 23:59:59", 1231235959},
	} {
		tm, _ := timeParse(tt.t)
		if got := Timestamp(tm); got != tt.want {
			t.Errorf("Timestamp(%s) = %d, want %d", tt.t, got, tt.want)
		}
	}
}

func TestReport(t *testing.T) {
	t.Run("60/gocmpp", func(t *testing.T) {
		b := mustHex(t, "b4c5530000010000 44454c49565244 31353131313230393535 31353131313230393537 3133343132333430303030 00000000000000000000 12345678")
		want := Report{MsgID: 0xb4c5530000010000, Stat: "DELIVRD", SubmitTime: "1511120955", DoneTime: "1511120957",
			DestTerminalID: "13412340000", SMSCSequence: 0x12345678}
		got, err := ParseReport(b)
		if err != nil {
			t.Fatal(err)
		}
		if got != want {
			t.Errorf("ParseReport = %+v, want %+v", got, want)
		}
		if m := want.AppendMarshal(nil); !bytes.Equal(m, b) {
			t.Errorf("AppendMarshal = %x, want %x", m, b)
		}
		rc := got.Receipt()
		if rc.MsgID != "B4C5530000010000" || rc.Stat != "DELIVRD" || !rc.Delivered() || rc.Dest != "13412340000" {
			t.Errorf("Receipt = %+v", rc)
		}
		if s := rc.Submitted.Format("2006-01-02 15:04 -0700"); s != "2015-11-12 09:55 +0800" {
			t.Errorf("Receipt.Submitted = %s, want 2015-11-12 09:55 +0800", s)
		}
		if s := rc.Done.Format("15:04"); s != "09:57" {
			t.Errorf("Receipt.Done = %s, want 09:57", s)
		}
	})
	t.Run("71/SMSGate", func(t *testing.T) {
		p, err := Parse(V30, mustHex(t, codecTests[slices.IndexFunc(codecTests, func(c struct {
			name string
			v    Version
			pdu  PDU
			hex  string
		}) bool {
			return c.name == "Deliver/3.0/Report71"
		})].hex))
		if err != nil {
			t.Fatal(err)
		}
		d := p.(*Deliver)
		r, err := d.Report()
		if err != nil {
			t.Fatal(err)
		}
		want := Report{MsgID: 0x522a4980002aa6cd, Stat: "AF:4", SubmitTime: "0001010000", DoneTime: "0001010000",
			DestTerminalID: "13592261791", Wide: true}
		if r != want {
			t.Errorf("Report = %+v, want %+v", r, want)
		}
		if m := r.AppendMarshal(nil); !bytes.Equal(m, d.Content) {
			t.Errorf("AppendMarshal = %x, want %x", m, d.Content)
		}
		rc, _ := d.Receipt()
		if rc.MsgID != "522A4980002AA6CD" || rc.Delivered() {
			t.Errorf("Receipt = %+v, want id 522A4980002AA6CD, not delivered", rc)
		}
		if !rc.Submitted.IsZero() && rc.Submitted.Year() != 2000 {
			t.Errorf("Receipt.Submitted = %v", rc.Submitted)
		}
	})
	t.Run("ErrLength", func(t *testing.T) {
		if _, err := ParseReport(make([]byte, 61)); !errors.Is(err, ErrMalformed) {
			t.Errorf("ParseReport(61 bytes) error = %v, want ErrMalformed", err)
		}
	})
	t.Run("ErrNotReport", func(t *testing.T) {
		d := &Deliver{Content: make([]byte, 60)}
		if _, err := d.Receipt(); !errors.Is(err, ErrNotReport) {
			t.Errorf("Receipt of an MO error = %v, want ErrNotReport", err)
		}
	})
}

// SMSGate TestDiffrentMsgFmt: four real CMPP 2.0 SUBMIT segments of one long
// message, the last one in Msg_Fmt 0 while the others are UCS-2.
const smsgateLongSubmit = "0000012b0000000455c51d4e43c0ee40261c1d50040100093130303836000000000002000000000000000000000000000000000000000000000108000000000000303130303030303000000000000000000000000000000000000000000000000000000000000000000000313030383600000000000000000000000000000000013133383030313338303030000000000000000000008c050003e404015c0a656c76845ba26237002c60a8597dff0160a84e8e0032003000310036002d00300033002d00320033002000310034003a00350031003a00330036901a8fc74e2d56fd79fb52a8003100300030003800359500552e4e137ebf8ba28d2d768430104e0052a0624b673a9ad86e059632522e4fdd62a4819c3011ff0c8bf770b951fb652f4ed800000000000000000000012b0000000455c51d5143c0ee40261c1d50040200093130303836000000000002000000000000000000000000000000000000000000000108000000000000303130303030303000000000000000000000000000000000000000000000000000000000000000000000313030383600000000000000000000000000000000013133383030313338303030000000000000000000008c050003e404020068007400740070003a002f002f007700770077002e00310030003000380035002e0063006e002f00770065006200380035002f0070006100670065002f007a0079007a0078007000610079002f007700610070005f006f0072006400650072002e00680074006d006c003f006f007200640065007200490064003d0037003600440045004600000000000000000000012b0000000455c51d5243c0ee40261c1d50040300093130303836000000000002000000000000000000000000000000000000000000000108000000000000303130303030303000000000000000000000000000000000000000000000000000000000000000000000313030383600000000000000000000000000000000013133383030313338303030000000000000000000008c050003e40403003900410045003100380030003800460035003000360046004400340045003600430042003700380032004500330042003800450037004500450038003700350045003700360036004400330044003300330035004300205b8c62104e0b535530028bf75728003600305206949f51855b8c6210652f4ed8ff0c59826709759195eeff0c8bf70000000000000000000000ad0000000455c51d5343c0ee40261c1d50040400093130303836000000000002000000000000000000000000000000000000000000000100000000000000303130303030303000000000000000000000000000000000000000000000000000000000000000000000313030383600000000000000000000000000000000013133383030313338303030000000000000000000000e050003e4040461626331303038350000000000000000"

func TestSubmit_LongMixedFmt(t *testing.T) {
	r := bytes.NewReader(mustHex(t, smsgateLongSubmit))
	var text []rune
	for i := 1; i <= 4; i++ {
		frame, err := ReadFrame(r, nil)
		if err != nil {
			t.Fatalf("segment %d: ReadFrame: %v", i, err)
		}
		p, err := Parse(V20, frame)
		if err != nil {
			t.Fatalf("segment %d: Parse: %v", i, err)
		}
		s := p.(*Submit)
		if s.PkTotal != 4 || int(s.PkNumber) != i || !s.HasUDH() || s.MsgLevel != 9 {
			t.Errorf("segment %d: Pk_total, Pk_number, TP_udhi, Msg_level = %d, %d, %d, %d, want 4, %d, 1, 9",
				i, s.PkTotal, s.PkNumber, s.TPUDHI, s.MsgLevel, i)
		}
		if s.ServiceID != "10086" || s.SrcID != "10086" || s.FeeType != "01" || s.FeeCode != "000000" ||
			len(s.DestTerminalIDs) != 1 || s.DestTerminalIDs[0] != "13800138000" {
			t.Errorf("segment %d: fields = %+v", i, s)
		}
		if got := s.AppendMarshal(nil); !bytes.Equal(got, frame) {
			t.Errorf("segment %d: AppendMarshal =\n%x\nwant\n%x", i, got, frame)
		}
		body := s.Content[6:] // UDH 05 00 03 e4 04 0n
		if s.Content[5] != byte(i) {
			t.Errorf("segment %d: UDH = %x", i, s.Content[:6])
		}
		switch s.MsgFmt {
		case FmtUCS2:
			u := make([]uint16, len(body)/2)
			for j := range u {
				u[j] = uint16(body[2*j])<<8 | uint16(body[2*j+1])
			}
			text = append(text, utf16.Decode(u)...)
		case FmtASCII:
			text = append(text, []rune(string(body))...)
		default:
			t.Errorf("segment %d: Msg_Fmt %d", i, s.MsgFmt)
		}
	}
	if got := string(text); !strings.HasPrefix(got, "尊敬的客户,您好！") || !strings.HasSuffix(got, "如有疑问，请abc10085") {
		t.Errorf("joined text = %q", got)
	}
}

func TestParse_Errors(t *testing.T) {
	sub3 := vecSubmit(V30).AppendMarshal(nil)
	for _, tt := range []struct {
		name string
		b    []byte
		want error
	}{
		{"Short", []byte{0, 0, 0}, ErrMalformed},
		{"LengthOverMax", mustHex(t, "00010000 00000004 00000001"), ErrMalformed},
		{"LengthMismatch", mustHex(t, "0000000d 00000008 00000001"), ErrMalformed},
		{"ActiveTestWithBody", mustHex(t, "0000000d 00000008 00000001 00"), ErrMalformed},
		{"Unsupported", mustHex(t, "0000000c 00000006 00000001"), ErrUnsupported},
		{"SubmitTruncated", withLen(sub3[:200]), ErrMalformed},
		{"SubmitMsgLengthTooBig", func() []byte {
			b := slices.Clone(sub3)
			b[12+129+32+1] = 200
			return b
		}(), ErrMalformed},
		{"SubmitDestCountTooBig", func() []byte {
			b := slices.Clone(sub3)
			b[12+128] = 101
			return b
		}(), ErrMalformed},
		{"SubmitAs2x", nil, ErrMalformed},
		{"ConnectRespOddLength", withLen(mustHex(t, "00000000 80000001 00000017 0000 7942977274098cf210ab0c16c367bc8d 30")), ErrMalformed},
		{"SubmitRespShort", withLen(mustHex(t, "00000000 80000004 00000017 b2b9da80")), ErrMalformed},
	} {
		t.Run(tt.name, func(t *testing.T) {
			v := V30
			b := tt.b
			if tt.name == "SubmitAs2x" {
				v, b = V20, sub3
			}
			_, err := Parse(v, b)
			if !errors.Is(err, tt.want) {
				t.Fatalf("Parse error = %v, want %v", err, tt.want)
			}
			if !strings.Contains(err.Error(), "bytes") {
				t.Errorf("error %q quotes no bytes", err)
			}
		})
	}
}

// withLen rewrites Total_Length to the slice's length.
func withLen(b []byte) []byte {
	b = slices.Clone(b)
	n := len(b)
	b[0], b[1], b[2], b[3] = byte(n>>24), byte(n>>16), byte(n>>8), byte(n)
	return b
}

func TestSubmit_Validate(t *testing.T) {
	ok := vecSubmit(V30)
	if err := ok.Validate(); err != nil {
		t.Fatalf("Validate = %v, want nil", err)
	}
	for _, tt := range []struct {
		name string
		edit func(s *Submit)
	}{
		{"NoDest", func(s *Submit) { s.DestTerminalIDs = nil }},
		{"TooManyDests", func(s *Submit) { s.DestTerminalIDs = make([]string, 101) }},
		{"LongServiceID", func(s *Submit) { s.ServiceID = "12345678901" }},
		{"LongDest2x", func(s *Submit) { s.Version = V20; s.DestTerminalIDs = []string{strings.Repeat("1", 22)} }},
		{"LongContent", func(s *Submit) { s.Content = make([]byte, 141) }},
	} {
		t.Run(tt.name, func(t *testing.T) {
			s := vecSubmit(V30)
			tt.edit(s)
			if err := s.Validate(); err == nil {
				t.Errorf("Validate = nil, want an error")
			}
		})
	}
}

func TestMsgID(t *testing.T) {
	for _, tt := range []struct {
		id                MsgID
		mon, day, h, m, s int
		gw                uint32
		seq               uint16
		str               string
	}{
		{0xb2b9da8000010000, 11, 5, 14, 29, 42, 1, 0, "B2B9DA8000010000"},
		{0x522a4980002aa6ce, 5, 4, 10, 36, 38, 42, 42702, "522A4980002AA6CE"},
	} {
		got := []any{tt.id.Month(), tt.id.Day(), tt.id.Hour(), tt.id.Minute(), tt.id.Second(), tt.id.Gateway(), tt.id.Seq()}
		want := []any{tt.mon, tt.day, tt.h, tt.m, tt.s, tt.gw, tt.seq}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s fields = %v, want %v", tt.str, got, want)
		}
		if s := tt.id.String(); s != tt.str {
			t.Errorf("String = %s, want %s", s, tt.str)
		}
		tm, _ := timeParse("2024-" + pad2(tt.mon) + "-" + pad2(tt.day) + " " + pad2(tt.h) + ":" + pad2(tt.m) + ":" + pad2(tt.s))
		if id := MakeMsgID(tm, tt.gw, tt.seq); id != tt.id {
			t.Errorf("MakeMsgID = %s, want %s", id, tt.id)
		}
		if id, err := ParseMsgID(" " + strings.ToLower(tt.str) + "\x00"); err != nil || id != tt.id {
			t.Errorf("ParseMsgID = %s, %v, want %s", id, err, tt.id)
		}
	}
	g := MsgIDGenerator{Gateway: 7}
	a, b := g.Next(), g.Next()
	if a == b || a.Gateway() != 7 || b.Seq() != a.Seq()+1 {
		t.Errorf("Next = %s, %s, want distinct ids of gateway 7 with consecutive sequences", a, b)
	}
}

func TestCodec_RealTraffic(t *testing.T) {
	for _, tt := range realStreams {
		t.Run(tt.name, func(t *testing.T) {
			r := bytes.NewReader(mustHex(t, tt.hex))
			for i := range tt.frames {
				frame, err := ReadFrame(r, nil)
				if err != nil {
					t.Fatalf("frame %d: ReadFrame: %v", i, err)
				}
				p, err := Parse(tt.v, frame)
				if err != nil {
					t.Fatalf("frame %d: Parse: %v", i, err)
				}
				if got := p.AppendMarshal(nil); !bytes.Equal(got, frame) {
					t.Errorf("frame %d: AppendMarshal =\n%x\nwant\n%x", i, got, frame)
				}
				t.Logf("frame %d: %+v", i, p)
			}
			if r.Len() != 0 {
				t.Errorf("%d bytes left after %d frames", r.Len(), tt.frames)
			}
		})
	}
}

func ExampleParse() {
	// A CMPP 3.0 DELIVER carrying a status report (60-byte form).
	d := NewReportDeliver(V30, "1066612366", Report{
		MsgID: 0xb4c5530000010000, Stat: "DELIVRD", SubmitTime: "2406011200",
		DoneTime: "2406011201", DestTerminalID: "13800138000",
	})
	d.MsgID, d.Seq = 0x522a4980002aa6ce, 7
	frame := d.AppendMarshal(nil)

	p, err := Parse(V30, frame)
	if err != nil {
		fmt.Println(err)
		return
	}
	r, _ := p.(*Deliver).Receipt()
	fmt.Println(len(frame), p.Command(), r.MsgID, r.Stat, r.Done.Format("2006-01-02 15:04"))
	// Output: 169 DELIVER B4C5530000010000 DELIVRD 2024-06-01 12:01
}
