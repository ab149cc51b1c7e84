package sgip

import (
	"bytes"
	"encoding/hex"
	"errors"
	"io"
	"net"
	"reflect"
	"strings"
	"testing"
	"testing/iotest"
)

func unhex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(strings.Join(strings.Fields(s), ""))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// pduTests holds every SGIP vector of PROTOCOLS.md §8 (and the other frames
// of the same test files), plus our own for what they do not cover.
var pduTests = []struct {
	name string
	pdu  PDU
	hex  string
}{
	{
		// SMSGate src/test/java/com/zx/sms/codec/sgip/TestSGIPcodec.java: a real 168-byte Submit.
		name: "Submit/SMSGate",
		pdu: &Submit{
			Seq:           Seq{Node: 0, Time: 301151218, Number: 1857753309},
			SPNumber:      "106559125028",
			UserNumbers:   []string{"8618657118636"},
			CorpID:        "61118",
			FeeType:       2,
			Priority:      9,
			ReportFlag:    ReportAlways,
			Content:       []byte("233a"),
			MessageCoding: 0,
		},
		hex: `000000a8 00000003 00000000 11f333f2 6ebb10dd
			313036353539313235303238000000000000000000 000000000000000000000000000000000000000000
			01 383631383635373131383633360000000000000000 3631313138 00000000000000000000
			02 000000000000 000000000000 00 00 09 00000000000000000000000000000000
			00000000000000000000000000000000 01 00 00 00 00 00000004 32333361 0000000000000000`,
	},
	{
		// hujm2023/go-sms-protocol sgip/sgip12/pdu_bind_test.go.
		name: "Bind/hujm",
		pdu:  &Bind{LoginType: LoginSPToSMG, LoginName: "testusername", LoginPassword: "testpwd"},
		hex: `0000003d 00000001 00000000 00000000 00000000
			01 74657374757365726e616d6500000000 74657374707764000000000000000000 0000000000000000`,
	},
	{
		name: "BindResp/hujm",
		pdu:  &BindResp{},
		hex:  `0000001d 80000001 00000000 00000000 00000000 00 0000000000000000`,
	},
	{
		name: "BindResp/refused",
		pdu:  &BindResp{Seq: Seq{3010012345, 1120203225, 7}, Result: ResultIllegalLogin},
		hex:  `0000001d 80000001 b36924b9 42c4f1d9 00000007 01 0000000000000000`,
	},
	{
		// hujm sgip/sgip12/pdu_unbind_test.go.
		name: "Unbind/hujm",
		pdu:  &Unbind{},
		hex:  `00000014 00000002 00000000 00000000 00000000`,
	},
	{
		name: "UnbindResp/hujm",
		pdu:  &UnbindResp{Seq: Seq{10, 20, 30}},
		hex:  `00000014 80000002 0000000a 00000014 0000001e`,
	},
	{
		// hujm sgip/sgip12/pdu_submit_test.go TestSubmit: two users, ReportFlag 0.
		name: "Submit/hujm-two-users",
		pdu: &Submit{
			SPNumber:     "10690090",
			ChargeNumber: "17600537300",
			UserNumbers:  []string{"17600000000", "17611111111"},
			CorpID:       "12345",
			ExpireTime:   "yymmddhhmmsstnnp",
			ScheduleTime: "yymmddhhmmsstnnp",
			ReportFlag:   ReportOnError,
			Content:      []byte("test msg"),
		},
		hex: `000000c1 00000003 00000000 00000000 00000000
			313036393030393000000000000000000000000000 313736303035333733303000000000000000000000
			02 313736303030303030303000000000000000000000 313736313131313131313100000000000000000000
			3132333435 00000000000000000000 00 000000000000 000000000000 00 00 00
			79796d6d646468686d6d7373746e6e70 79796d6d646468686d6d7373746e6e70
			00 00 00 00 00 00000008 74657374206d7367 0000000000000000`,
	},
	{
		// hujm sgip/sgip12/pdu_submit_test.go TestSubmit_1: UCS-2 content.
		name: "Submit/hujm-ucs2",
		pdu: &Submit{
			Seq:              Seq{0, 520220943, 98},
			SPNumber:         "1069026931203",
			ChargeNumber:     "931203",
			UserNumbers:      []string{"18026901024"},
			CorpID:           "12345",
			ServiceType:      "931203",
			FeeType:          1,
			FeeValue:         "000",
			GivenValue:       "00000",
			MorelatetoMTFlag: 2,
			ReportFlag:       ReportAlways,
			MessageCoding:    8,
			Content:          []byte("\x00t\x00e\x00s\x00t\x00s\x00m\x00s\x00s\x00g\x00i\x00p\x001\x002\x003"),
		},
		hex: `000000c0 00000003 00000000 1f01f10f 00000062
			313036393032363933313230330000000000000000 393331323033000000000000000000000000000000
			01 313830323639303130323400000000000000000000 3132333435 39333132303300000000
			01 303030000000 303030303000 00 02 00 00000000000000000000000000000000
			00000000000000000000000000000000 01 00 00 08 00 0000001c
			00740065007300740073006d00730073006700690070003100320033 0000000000000000`,
	},
	{
		name: "SubmitResp/hujm",
		pdu:  &SubmitResp{},
		hex:  `0000001d 80000003 00000000 00000000 00000000 00 0000000000000000`,
	},
	{
		name: "SubmitResp/busy",
		pdu:  &SubmitResp{Seq: Seq{3053112345, 203153000, 42}, Result: ResultBusy},
		hex:  `0000001d 80000003 b5facc19 0c1bde68 0000002a 0b 0000000000000000`,
	},
	{
		// hujm sgip/sgip12/pdu_deliver_test.go.
		name: "Deliver/hujm",
		pdu: &Deliver{
			UserNumber: "17600111111",
			SPNumber:   "1069999999999",
			Content:    []byte("hello deliver test msg"),
		},
		hex: `00000063 00000004 00000000 00000000 00000000
			313736303031313131313100000000000000000000 313036393939393939393939390000000000000000
			00 00 00 00000016 68656c6c6f2064656c697665722074657374206d7367 0000000000000000`,
	},
	{
		name: "Deliver/ucs2-udh",
		pdu: &Deliver{
			Seq:           Seq{1020000001, 1231235959, 4294967295},
			UserNumber:    "8613012345678",
			SPNumber:      "10655",
			TPUDHI:        1,
			MessageCoding: 8,
			Content:       []byte{0x05, 0x00, 0x03, 0x0c, 0x02, 0x01, 0x4f, 0x60, 0x59, 0x7d},
		},
		hex: `00000057 00000004 3ccbf701 49632b77 ffffffff
			383631333031323334353637380000000000000000 313036353500000000000000000000000000000000
			00 01 08 0000000a 0500030c0201 4f60597d 0000000000000000`,
	},
	{
		name: "DeliverResp/hujm",
		pdu:  &DeliverResp{},
		hex:  `0000001d 80000004 00000000 00000000 00000000 00 0000000000000000`,
	},
	{
		// hujm sgip/sgip12/pdu_report_test.go: State 2, ErrorCode 9.
		name: "Report/hujm",
		pdu: &Report{
			SubmitSeq:  Seq{0, 0, 2},
			UserNumber: "17611000000",
			State:      StateFailed,
			ErrorCode:  9,
		},
		hex: `00000040 00000005 00000000 00000000 00000000
			00000000 00000000 00000002 00 313736313130303030303000000000000000000000 02 09 0000000000000000`,
	},
	{
		name: "Report/delivered",
		pdu: &Report{
			Seq:        Seq{1020000001, 203153005, 1},
			SubmitSeq:  Seq{3053112345, 203153000, 42},
			UserNumber: "8613012345678",
			State:      StateDelivered,
		},
		hex: `00000040 00000005 3ccbf701 0c1bde6d 00000001
			b5facc19 0c1bde68 0000002a 00 383631333031323334353637380000000000000000 00 00 0000000000000000`,
	},
	{
		name: "ReportResp/hujm",
		pdu:  &ReportResp{},
		hex:  `0000001d 80000005 00000000 00000000 00000000 00 0000000000000000`,
	},
}

func TestParse(t *testing.T) {
	for _, tt := range pduTests {
		t.Run(tt.name, func(t *testing.T) {
			want := unhex(t, tt.hex)
			got := tt.pdu.AppendMarshal(nil)
			if !bytes.Equal(got, want) {
				t.Fatalf("AppendMarshal = %x, want %x", got, want)
			}
			p, err := Parse(want)
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if !reflect.DeepEqual(p, tt.pdu) {
				t.Errorf("Parse = %+v, want %+v", p, tt.pdu)
			}
			if p.Command() != tt.pdu.Command() || p.Sequence() != tt.pdu.Sequence() {
				t.Errorf("Command, Sequence = %v, %v, want %v, %v", p.Command(), p.Sequence(), tt.pdu.Command(), tt.pdu.Sequence())
			}
			// Appending keeps what is already in the buffer.
			prefixed := tt.pdu.AppendMarshal([]byte{0xAA})
			if prefixed[0] != 0xAA || !bytes.Equal(prefixed[1:], want) {
				t.Errorf("AppendMarshal with prefix = %x, want aa%x", prefixed, want)
			}
		})
	}
}

func TestParse_Errors(t *testing.T) {
	submit := pduTests[0].pdu.AppendMarshal(nil)
	deliver := (&Deliver{UserNumber: "1", Content: []byte("hi")}).AppendMarshal(nil)
	mutate := func(b []byte, f func([]byte)) []byte {
		c := bytes.Clone(b)
		f(c)
		return c
	}
	tests := []struct {
		name  string
		frame []byte
		want  string
	}{
		{"Short", []byte{0, 0, 0, 20, 0, 0, 0, 2}, "shorter than the 20-byte header"},
		{"LengthMismatch", mutate(submit, func(b []byte) { b[3]-- }), "MessageLength 167, frame has 168 bytes"},
		{"OverMax", append(append([]byte{0, 0, 0x08, 0x01}, submit[4:]...), make([]byte, 2049-168)...), "over the maximum"},
		{"UnknownCommand", unhex(t, "00000014 00001000 00000000 00000000 00000000"), "SGIP_TRACE not supported"},
		{"BindShort", unhex(t, "00000015 00000001 00000000 00000000 00000000 01"), "SGIP_BIND: length 21, want 61"},
		{"RespLong", unhex(t, "0000001e 80000003 00000000 00000000 00000000 00 0000000000000000 00"), "length 30, want 29"},
		{"UnbindBody", unhex(t, "00000015 00000002 00000000 00000000 00000000 00"), "length 21, want 20"},
		{"SubmitNoUsers", mutate(submit, func(b []byte) { b[62] = 0 }), "UserCount 0"},
		{"SubmitTooManyUsers", mutate(submit, func(b []byte) { b[62] = 101 }), "UserCount 101"},
		{"SubmitUsersBeyondFrame", mutate(submit, func(b []byte) { b[62] = 2 }), "too short for 2 user numbers"},
		{"SubmitContentLength", mutate(submit, func(b []byte) { b[155] = 5 }), "MessageLength 5 disagrees"},
		{"SubmitHugeContentLength", mutate(submit, func(b []byte) { b[152] = 0xff }), "disagrees"},
		{"SubmitShort", unhex(t, "00000015 00000003 00000000 00000000 00000000 00"), "shorter than the 143 fixed bytes"},
		{"DeliverContentLength", mutate(deliver, func(b []byte) { b[68]++ }), "MessageLength 3 disagrees"},
		{"DeliverShort", unhex(t, "00000015 00000004 00000000 00000000 00000000 00"), "shorter than the 77 fixed bytes"},
		{"ReportShort", unhex(t, "00000015 00000005 00000000 00000000 00000000 00"), "length 21, want 64"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := Parse(tt.frame)
			if err == nil {
				t.Fatalf("Parse = %+v, want error", p)
			}
			if !errors.Is(err, ErrMalformed) {
				t.Errorf("error %v does not wrap ErrMalformed", err)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error = %q, want it to contain %q", err, tt.want)
			}
			if !strings.Contains(err.Error(), "[") {
				t.Errorf("error = %q, want a hex snippet", err)
			}
		})
	}
}

func TestParse_TrimsSpacesAndStopsAtNUL(t *testing.T) {
	b := (&Deliver{UserNumber: " 8613012345678 ", SPNumber: "10655\x00junk"}).AppendMarshal(nil)
	p, err := Parse(b)
	if err != nil {
		t.Fatal(err)
	}
	d := p.(*Deliver)
	if d.UserNumber != "8613012345678" || d.SPNumber != "10655" {
		t.Errorf("UserNumber, SPNumber = %q, %q, want %q, %q", d.UserNumber, d.SPNumber, "8613012345678", "10655")
	}
}

func TestSubmit_Validate(t *testing.T) {
	ok := func() *Submit {
		return &Submit{SPNumber: "10655", UserNumbers: []string{"8613012345678"}, Content: []byte("hi")}
	}
	if err := ok().Validate(); err != nil {
		t.Fatalf("Validate = %v, want nil", err)
	}
	tests := []struct {
		name string
		edit func(*Submit)
		want string
	}{
		{"NoUsers", func(s *Submit) { s.UserNumbers = nil }, "0 user numbers"},
		{"TooManyUsers", func(s *Submit) { s.UserNumbers = make([]string, 101) }, "101 user numbers"},
		{"TooLong", func(s *Submit) { s.Content = make([]byte, MaxLength) }, "over the maximum"},
		{"LongField", func(s *Submit) { s.CorpID = "123456" }, "CorpId"},
		{"LongUser", func(s *Submit) { s.UserNumbers[0] = strings.Repeat("8", 22) }, "UserNumber[0]"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := ok()
			tt.edit(s)
			err := s.Validate()
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Validate = %v, want error containing %q", err, tt.want)
			}
		})
	}
}

func TestReportFlag_Wire(t *testing.T) {
	for f, want := range map[ReportFlag]uint8{ReportAlways: 1, ReportOnError: 0, ReportNever: 2, ReportMonthly: 3, 9: 9} {
		if got := f.Wire(); got != want {
			t.Errorf("ReportFlag(%d).Wire() = %d, want %d", f, got, want)
		}
		if got := reportFlagOf(want); got != f {
			t.Errorf("reportFlagOf(%d) = %d, want %d", want, got, f)
		}
	}
}

func TestReadFrame(t *testing.T) {
	t.Run("OneByteAtATime", func(t *testing.T) {
		var all []byte
		for _, tt := range pduTests {
			all = tt.pdu.AppendMarshal(all)
		}
		r := iotest.OneByteReader(bytes.NewReader(all))
		for _, tt := range pduTests {
			p, err := ReadPDU(r)
			if err != nil {
				t.Fatalf("%s: ReadPDU: %v", tt.name, err)
			}
			if !reflect.DeepEqual(p, tt.pdu) {
				t.Errorf("%s: ReadPDU = %+v, want %+v", tt.name, p, tt.pdu)
			}
		}
		if _, err := ReadPDU(r); err != io.EOF {
			t.Errorf("ReadPDU at end = %v, want io.EOF", err)
		}
	})
	t.Run("LengthOutOfRange", func(t *testing.T) {
		for _, h := range []string{"00000013", "00000801", "ffffffff"} {
			_, err := ReadFrame(bytes.NewReader(unhex(t, h)))
			if !errors.Is(err, ErrMalformed) {
				t.Errorf("ReadFrame(%s) = %v, want ErrMalformed", h, err)
			}
		}
	})
	t.Run("Truncated", func(t *testing.T) {
		b := (&Unbind{}).AppendMarshal(nil)
		_, err := ReadFrame(bytes.NewReader(b[:10]))
		if err != io.ErrUnexpectedEOF {
			t.Errorf("ReadFrame = %v, want io.ErrUnexpectedEOF", err)
		}
	})
}

// TestReadPDU_SplitPipe writes each frame in two pieces, split at every byte
// boundary, over net.Pipe.
func TestReadPDU_SplitPipe(t *testing.T) {
	for _, tt := range pduTests {
		t.Run(tt.name, func(t *testing.T) {
			frame := tt.pdu.AppendMarshal(nil)
			a, b := net.Pipe()
			defer a.Close()
			defer b.Close()
			errc := make(chan error, 1)
			go func() { // ends when every piece is written or the pipe is closed
				for i := 1; i < len(frame); i++ {
					if _, err := a.Write(frame[:i]); err != nil {
						errc <- err
						return
					}
					if _, err := a.Write(frame[i:]); err != nil {
						errc <- err
						return
					}
				}
				errc <- nil
			}()
			for i := 1; i < len(frame); i++ {
				p, err := ReadPDU(b)
				if err != nil {
					t.Fatalf("split at %d: ReadPDU: %v", i, err)
				}
				if !reflect.DeepEqual(p, tt.pdu) {
					t.Fatalf("split at %d: ReadPDU = %+v, want %+v", i, p, tt.pdu)
				}
			}
			if err := <-errc; err != nil {
				t.Fatal(err)
			}
		})
	}
}

func TestSeq(t *testing.T) {
	s := Seq{Node: 3053112345, Time: 203153000, Number: 42}
	if got, want := s.String(), "3053112345-0203153000-42"; got != want {
		t.Errorf("String = %q, want %q", got, want)
	}
	for _, id := range []string{"3053112345-0203153000-42", " 3053112345-203153000-0042\x00", "3053112345-0203153000-42 "} {
		got, err := ParseSeq(id)
		if err != nil || got != s {
			t.Errorf("ParseSeq(%q) = %v, %v, want %v", id, got, err, s)
		}
		if got.MsgID() != s.MsgID() {
			t.Errorf("ParseSeq(%q).MsgID() = %q, want %q", id, got.MsgID(), s.MsgID())
		}
	}
	for _, id := range []string{"", "1-2", "1-2-3-4", "a-1-2", "1-2-4294967296"} {
		if _, err := ParseSeq(id); err == nil {
			t.Errorf("ParseSeq(%q) = nil error, want error", id)
		}
	}
}

func TestSeqTime(t *testing.T) {
	tm := mustTime(t, "2024-11-20T20:32:25Z")
	if got, want := SeqTime(tm), uint32(1120203225); got != want {
		t.Errorf("SeqTime = %d, want %d", got, want)
	}
}

func TestNodeID(t *testing.T) {
	tests := []struct {
		area, corp string
		want       uint32
	}{
		{"010", "12345", 3010012345},
		{"0755", "12345", 3075512345},
		{"053", "11234", 3053011234},
	}
	for _, tt := range tests {
		got, err := NodeID(tt.area, tt.corp)
		if err != nil || got != tt.want {
			t.Errorf("NodeID(%q, %q) = %d, %v, want %d", tt.area, tt.corp, got, err, tt.want)
		}
	}
	for _, bad := range [][2]string{{"10", "12345"}, {"01000", "12345"}, {"010", "1234"}, {"0a0", "12345"}} {
		if _, err := NodeID(bad[0], bad[1]); err == nil {
			t.Errorf("NodeID(%q, %q) = nil error, want error", bad[0], bad[1])
		}
	}
}

func TestReport_Receipt(t *testing.T) {
	tests := []struct {
		state, code uint8
		stat, err   string
	}{
		{StateDelivered, 0, "DELIVRD", "000"},
		{StateWaiting, 0, "ENROUTE", "000"},
		{StateFailed, 29, "UNDELIV", "029"},
		{7, 32, "UNDELIV", "032"},
	}
	for _, tt := range tests {
		r := (&Report{SubmitSeq: Seq{3053112345, 203153000, 42}, UserNumber: "8613012345678", State: tt.state, ErrorCode: tt.code}).Receipt()
		if r.MsgID != "3053112345-0203153000-42" || r.Stat != tt.stat || r.Err != tt.err || r.Dest != "8613012345678" {
			t.Errorf("Receipt(state %d, code %d) = %+v, want id 3053112345-0203153000-42, stat %s, err %s", tt.state, tt.code, r, tt.stat, tt.err)
		}
		if r.Delivered() != (tt.state == StateDelivered) {
			t.Errorf("Receipt(state %d).Delivered() = %v", tt.state, r.Delivered())
		}
	}
}
