package smgp

import (
	"bytes"
	"encoding/hex"
	"errors"
	"io"
	"net"
	"reflect"
	"strings"
	"testing"
	"time"
)

func unhex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(strings.Join(strings.Fields(s), ""))
	if err != nil {
		t.Fatalf("bad hex in test: %v", err)
	}
	return b
}

func id(t testing.TB, s string) MsgID {
	t.Helper()
	m, err := ParseMsgID(s)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func pad16(s string) (a [16]byte) {
	copy(a[:], s)
	return a
}

type vector struct {
	name string
	pdu  PDU
	hex  string
}

// vectors are every SMGP packet of PROTOCOLS.md §3.11/§8 that has a whole
// packet, plus packets of ours for what the references lack (marked "ours").
func vectors(t testing.TB) []vector {
	return []vector{
		{
			// hujm2023/go-sms-protocol smgp/smgp30/pdu_login_test.go
			name: "Login/hujm",
			pdu: &Login{SequenceID: 1, ClientID: "testid",
				AuthenticatorClient: AuthenticatorClient("testid", "testauth", 0x3cdc73be),
				LoginMode:           ModeSend, TimeStamp: 0x3cdc73be, ClientVersion: V30},
			hex: "0000002a 00000001 00000001 7465737469640000 ca0eff036f70aa1116b8e5df1d55cf48 00 3cdc73be 30",
		},
		{
			// hujm pdu_login_test.go
			name: "Login_Resp/hujm",
			pdu:  &LoginResp{SequenceID: 1, Status: StatusOK, AuthenticatorServer: pad16("AuthServer"), ServerVersion: V30},
			hex:  "00000021 80000001 00000001 00000000 41757468536572766572000000000000 30",
		},
		{
			// hujm smgp/smgp30/pdu_submit_test.go (3.0 layout, FixedFee present)
			name: "Submit/hujm",
			pdu: &Submit{SequenceID: 1234, MsgType: MsgTypeMT, NeedReport: true, Priority: 2,
				ServiceID: "serviceId", FeeType: "0", FeeCode: "0", FixedFee: "0", MsgFormat: FormatGB18030,
				SrcTermID: "10690001111", DestTermIDs: []string{"17600000000"}, MsgContent: []byte("hello test msg")},
			hex: "000000a1 00000002 000004d2 06 01 02 73657276696365496400 3000 300000000000 300000000000 0f" +
				"0000000000000000000000000000000000 0000000000000000000000000000000000" +
				"313036393030303131313100000000000000000000 000000000000000000000000000000000000000000" +
				"01 313736303030303030303000000000000000000000 0e 68656c6c6f2074657374206d7367 0000000000000000",
		},
		{
			// hujm pdu_submit_test.go
			name: "Submit_Resp/hujm",
			pdu:  &SubmitResp{SequenceID: 1234, MsgID: id(t, "01020304050607080901")},
			hex:  "0000001a 80000002 000004d2 01020304050607080901 00000000",
		},
		{
			// hujm smgp/smgp30/pdu_deliver_test.go
			name: "Deliver/hujm",
			pdu: &Deliver{SequenceID: 123, MsgID: id(t, "01020304050607080901"), IsReport: true, MsgFormat: FormatGB18030,
				SrcTermID: "1069000000", DestTermID: "17500000000", MsgContent: []byte("hello test msg")},
			hex: "00000067 00000003 0000007b 01020304050607080901 01 0f 0000000000000000000000000000" +
				"313036393030303030300000000000000000000000 313735303030303030303000000000000000000000" +
				"0e 68656c6c6f2074657374206d7367 0000000000000000",
		},
		{
			// hujm pdu_deliver_test.go
			name: "Deliver_Resp/hujm",
			pdu:  &DeliverResp{SequenceID: 1234, MsgID: id(t, "01010203040506070809")},
			hex:  "0000001a 80000003 000004d2 01010203040506070809 00000000",
		},
		{
			// hujm smgp/smgp30/pdu_activetest_test.go
			name: "Active_Test/hujm",
			pdu:  &ActiveTest{SequenceID: 1234},
			hex:  "0000000c 00000004 000004d2",
		},
		{
			name: "Active_Test_Resp/ours",
			pdu:  &ActiveTestResp{SequenceID: 0x17},
			hex:  "0000000c 80000004 00000017",
		},
		{
			// hujm smgp/smgp30/pdu_exit_test.go
			name: "Exit/hujm",
			pdu:  &Exit{SequenceID: 1234},
			hex:  "0000000c 00000006 000004d2",
		},
		{
			name: "Exit_Resp/ours",
			pdu:  &ExitResp{SequenceID: 7},
			hex:  "0000000c 80000006 00000007",
		},
		{
			name: "Login_Resp/ours/refused",
			pdu:  &LoginResp{SequenceID: 9, Status: StatusAuthFailed, ServerVersion: V30},
			hex:  "00000021 80000001 00000009 00000015 00000000000000000000000000000000 30",
		},
		{
			name: "Submit/ours/long-segment-TLVs",
			pdu: &Submit{SequenceID: 2, MsgType: MsgTypeMT, NeedReport: true, ServiceID: "12366", FeeType: "00",
				FeeCode: "000000", FixedFee: "000000", MsgFormat: FormatUCS2, SrcTermID: "1065912366",
				DestTermIDs: []string{"13800138000", "13800138001"}, MsgContent: []byte{5, 0, 3, 0x2a, 2, 1, 0x4f, 0x60},
				TLVs: TLVs{TPUdhi: Byte(1), LinkID: "L1", PkTotal: Byte(2), PkNumber: Byte(1), MsgSrc: "12366",
					Unknown: []TLV{{Tag: 0x0014, Value: []byte{1}}}}},
			hex: "000000e8 00000002 00000002 06 01 00 31323336360000000000 3030 303030303030 303030303030 08" +
				"0000000000000000000000000000000000 0000000000000000000000000000000000" +
				"313036353931323336360000000000000000000000 000000000000000000000000000000000000000000" +
				"02 313338303031333830303000000000000000000000 313338303031333830303100000000000000000000" +
				"08 0500032a02014f60 0000000000000000" +
				"0002 0001 01 0003 0014 4c31000000000000000000000000000000000000" +
				"0009 0001 02 000a 0001 01 0010 0008 3132333636000000 0014 0001 01",
		},
		{
			name: "Deliver/ours/report",
			pdu: &Deliver{SequenceID: 5, MsgID: id(t, "01006101161700012346"), IsReport: true, RecvTime: "20240116170100",
				SrcTermID: "13800138000", DestTermID: "1065912366",
				MsgContent: unhex(t, "69643a01006101161700012345207375623a30303120646c7672643a303031"+
					"207375626d697420646174653a3234303131363137303020646f6e6520646174653a32343031313631373031"+
					"20737461743a44454c49565244206572723a30303020746578743a0000000000000000000000000000000000000000")},
			hex: "000000d3 00000003 00000005 01006101161700012346 01 00 3230323430313136313730313030" +
				"313338303031333830303000000000000000000000 313036353931323336360000000000000000000000 7a" +
				"69643a01006101161700012345207375623a30303120646c7672643a303031" +
				"207375626d697420646174653a3234303131363137303020646f6e6520646174653a32343031313631373031" +
				"20737461743a44454c49565244206572723a30303020746578743a0000000000000000000000000000000000000000" +
				"0000000000000000",
		},
	}
}

func TestPDU_Marshal(t *testing.T) {
	for _, v := range vectors(t) {
		t.Run(v.name, func(t *testing.T) {
			want := unhex(t, v.hex)
			got := v.pdu.AppendMarshal(nil)
			if !bytes.Equal(got, want) {
				t.Fatalf("AppendMarshal =\n%x\nwant\n%x", got, want)
			}
			// Appending to a non-empty buffer leaves the prefix alone.
			got = v.pdu.AppendMarshal([]byte{0xee})
			if got[0] != 0xee || !bytes.Equal(got[1:], want) {
				t.Errorf("AppendMarshal after a prefix = %x, want ee%x", got, want)
			}
		})
	}
}

func TestPDU_Parse(t *testing.T) {
	for _, v := range vectors(t) {
		t.Run(v.name, func(t *testing.T) {
			got, err := Parse(unhex(t, v.hex))
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if !reflect.DeepEqual(got, v.pdu) {
				t.Errorf("Parse =\n%#v\nwant\n%#v", got, v.pdu)
			}
			if got.Command() != v.pdu.Command() || got.Seq() != v.pdu.Seq() {
				t.Errorf("Command, Seq = %v, %d, want %v, %d", got.Command(), got.Seq(), v.pdu.Command(), v.pdu.Seq())
			}
		})
	}
}

// TestParse_SMSGateSubmit13 parses the real 1.3-layout Submit of SMSGate
// TestSMGPSubmitMessage.testuUnknowTLV (11 TLVs, one of them 0x0014).
func TestParse_SMSGateSubmit13(t *testing.T) {
	const in = "000000eb000000021b46734c0601020000000000000000000030303030303030300000000000000000000000000000000000000000000000000000000000000000000000313030383600000000000000000000000000000000000000000000000000000000000000000000000000013133383030313338303030000000000000000000002464666138656236612d616439662d343635342d393466612d66313134373138656430356100000000000000000001000100000200010000040001000005000100001400010100070001000009000101000a000101000b000100000c0001000012000441424300"
	b := unhex(t, in)
	want := &Submit{SequenceID: 0x1b46734c, Version: V13, MsgType: MsgTypeMT, NeedReport: true, Priority: 2,
		FeeType: "00", FeeCode: "000000", SrcTermID: "10086", DestTermIDs: []string{"13800138000"},
		MsgContent: []byte("dfa8eb6a-ad9f-4654-94fa-f114718ed05a"),
		TLVs: TLVs{TPPid: Byte(0), TPUdhi: Byte(0), ChargeUserType: Byte(0), ChargeTermType: Byte(0),
			DestTermType: Byte(0), PkTotal: Byte(1), PkNumber: Byte(1), SubmitMsgType: Byte(0), SPDealResult: Byte(0),
			MServiceID: "ABC", Unknown: []TLV{{Tag: 0x0014, Value: []byte{1}}}},
	}
	got, err := ParseVersion(b, V13)
	if err != nil {
		t.Fatalf("ParseVersion(V13): %v", err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("ParseVersion(V13) =\n%#v\nwant\n%#v", got, want)
	}
	if _, err := Parse(b); err == nil {
		t.Errorf("Parse in the 3.0 layout: got no error, want one")
	}
	// Re-marshalled: known tags in tag order, the unknown 0x0014 last, and
	// MServiceID padded to its 21 bytes.
	wantOut := in[:len(in)-len("0001000100000200010000040001000005000100001400010100070001000009000101000a000101000b000100000c0001000012000441424300")] +
		"0001 0001 00 0002 0001 00 0004 0001 00 0005 0001 00 0007 0001 00 0009 0001 01 000a 0001 01 000b 0001 00 000c 0001 00" +
		"0012 0015 414243000000000000000000000000000000000000 0014 0001 01"
	out := got.AppendMarshal(nil)
	wantB := unhex(t, wantOut)
	copy(wantB, []byte{0, 0, 0, byte(len(wantB))})
	if !bytes.Equal(out, wantB) {
		t.Errorf("AppendMarshal =\n%x\nwant\n%x", out, wantB)
	}
}

func TestParse_Lenient(t *testing.T) {
	// hujm's Active_Test_Resp carries CMPP's reserved byte.
	p, err := Parse(unhex(t, "0000000d 80000004 00000017 00"))
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	if want := (&ActiveTestResp{SequenceID: 0x17}); !reflect.DeepEqual(p, want) {
		t.Errorf("Parse = %#v, want %#v", p, want)
	}
	// Fixed strings padded with spaces.
	b := (&Deliver{SrcTermID: "x", DestTermID: "y"}).AppendMarshal(nil)
	copy(b[HeaderLen+26:], " 13800138000  ")
	p, err = Parse(b)
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	if got := p.(*Deliver).SrcTermID; got != "13800138000" {
		t.Errorf("SrcTermID = %q, want %q", got, "13800138000")
	}
}

func TestParse_Errors(t *testing.T) {
	submit := (&Submit{DestTermIDs: []string{"1"}}).AppendMarshal(nil)
	tooMany := bytes.Clone(submit)
	tooMany[HeaderLen+104] = 101
	tlvShort := append(bytes.Clone(submit), 0, 2, 0, 5, 1)
	copy(tlvShort, []byte{0, 0, 0, byte(len(tlvShort))})
	tlvHeader := append(bytes.Clone(submit), 0, 2, 0)
	copy(tlvHeader, []byte{0, 0, 0, byte(len(tlvHeader))})
	for _, tc := range []struct {
		name, want string
		b          []byte
	}{
		{"Short", "shorter than the header", unhex(t, "0000000c 0000")},
		{"LengthMismatch", "PacketLength 13 but 12 bytes", unhex(t, "0000000d 00000004 00000001")},
		{"OverMax", "over the maximum", append(unhex(t, "00001001 00000002 00000001"), make([]byte, 4096-12+1)...)},
		{"LoginShort", "Login: string needs 8 bytes", unhex(t, "00000010 00000001 00000001 74657374")},
		{"LoginLong", "1 trailing bytes", append(unhex(t, "0000002b"), (&Login{}).AppendMarshal(nil)[4:]...)},
		{"DestTermIDCount", "DestTermIDCount 101 over 100", tooMany},
		{"TLVLength", "TLV 0x0002 length 5", tlvShort},
		{"TLVHeader", "TLV header needs 4 bytes", tlvHeader},
		{"Unknown", "unknown RequestID 0x00000005", unhex(t, "0000000c 00000005 00000001")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.name == "LoginLong" {
				tc.b = append(tc.b, 0)
			}
			_, err := Parse(tc.b)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Parse error = %v, want one containing %q", err, tc.want)
			}
		})
	}
	_, err := Parse(unhex(t, "0000000c 00000005 00000001"))
	if !errors.Is(err, ErrUnknownCommand) {
		t.Errorf("Parse(Forward) error = %v, want ErrUnknownCommand", err)
	}
	var pe *ParseError
	if _, err := Parse(tooMany); !errors.As(err, &pe) || pe.Command != CmdSubmit || pe.Offset != HeaderLen+104 {
		t.Errorf("Parse error = %#v, want a *ParseError for Submit at %d", err, HeaderLen+104)
	}
}

func TestAuthenticator(t *testing.T) {
	// Spec §6.2.4: 1 March 00:00:00 is "0301000000", TimeStamp 0x11F0E540.
	if got := Timestamp(time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC)); got != 0x11F0E540 {
		t.Errorf("Timestamp(1 Mar 00:00:00) = %#x, want 0x11f0e540", got)
	}
	// hujm: 21 Oct 08:05:10 is 0x3cdc73be.
	if got := Timestamp(time.Date(2021, 10, 21, 8, 5, 10, 0, time.UTC)); got != 0x3cdc73be {
		t.Errorf("Timestamp(21 Oct 08:05:10) = %#x, want 0x3cdc73be", got)
	}
	login := NewLogin("testid", "testauth", ModeSend, V30, time.Date(2021, 10, 21, 8, 5, 10, 0, time.UTC))
	login.SequenceID = 1
	if got, want := login.AppendMarshal(nil), unhex(t, vectors(t)[0].hex); !bytes.Equal(got, want) {
		t.Errorf("NewLogin marshalled = %x, want %x", got, want)
	}
	a := AuthenticatorServer(StatusOK, login.AuthenticatorClient, "testauth")
	if a == AuthenticatorServer(StatusOK, login.AuthenticatorClient, "other") || a == AuthenticatorServer(StatusBusy, login.AuthenticatorClient, "testauth") {
		t.Errorf("AuthenticatorServer does not depend on the secret and status")
	}
}

func TestMsgID(t *testing.T) {
	// Spec §6.2.26 example: gateway 010061, 16 Jan 17:00, sequence 012345.
	got, err := NewMsgID("010061", time.Date(2024, 1, 16, 17, 0, 59, 0, time.UTC), 1012345)
	if err != nil {
		t.Fatal(err)
	}
	if want := id(t, "01006101161700012345"); got != want {
		t.Errorf("NewMsgID = %s, want %s", got, want)
	}
	if got.SMGW() != "010061" || got.Time() != "01161700" || got.Sequence() != "012345" {
		t.Errorf("parts = %s %s %s, want 010061 01161700 012345", got.SMGW(), got.Time(), got.Sequence())
	}
	raw := MsgID{0x64, 0x95, 0xc3, 0x6a, 0xc4, 0xea, 0x6b, 0, 0, 0x0b}
	if s := raw.String(); s != "6495C36AC4EA6B00000B" {
		t.Errorf("String = %s, want 6495C36AC4EA6B00000B", s)
	}
	if back := id(t, " 6495c36ac4ea6b00000b\x00"); back != raw {
		t.Errorf("ParseMsgID = %s, want %s", back, raw)
	}
	for _, bad := range []string{"0102", "0102030405060708090G", "010203040506070809011"} {
		if _, err := ParseMsgID(bad); err == nil {
			t.Errorf("ParseMsgID(%q): got no error, want one", bad)
		}
	}
	if _, err := NewMsgID("01A061", time.Time{}, 0); err == nil {
		t.Errorf("NewMsgID(01A061): got no error, want one")
	}

	t.Run("Generator", func(t *testing.T) {
		now := time.Date(2024, 12, 31, 23, 59, 0, 0, time.UTC)
		g, err := NewMsgIDGenerator("591060", func() time.Time { return now })
		if err != nil {
			t.Fatal(err)
		}
		for i, want := range []string{"59106012312359000000", "59106012312359000001"} {
			if got := g.Next().String(); got != want {
				t.Errorf("Next #%d = %s, want %s", i, got, want)
			}
		}
		g.seq.Store(999999)
		if got, want := g.Next().Sequence(), "999999"; got != want {
			t.Errorf("Next sequence = %s, want %s", got, want)
		}
		if got, want := g.Next().Sequence(), "000000"; got != want {
			t.Errorf("Next sequence after 999999 = %s, want %s", got, want)
		}
		if _, err := NewMsgIDGenerator("5910", nil); err == nil {
			t.Errorf("NewMsgIDGenerator(5910): got no error, want one")
		}
	})
}

// Split reads: a stream of every vector, cut at every byte boundary and
// written over net.Pipe in two writes, reads back as the same packets.
func TestReader_Split(t *testing.T) {
	var stream []byte
	var want [][]byte
	for _, v := range vectors(t) {
		b := unhex(t, v.hex)
		want = append(want, b)
		stream = append(stream, b...)
	}
	check := func(t *testing.T, write func(w io.Writer)) {
		t.Helper()
		a, b := net.Pipe()
		defer b.Close()
		go func() { // ends when the stream is written or the pipe closed
			write(a)
			a.Close()
		}()
		r := NewReader(b)
		for i, w := range want {
			got, err := r.ReadFrame()
			if err != nil {
				t.Fatalf("ReadFrame #%d: %v", i, err)
			}
			if !bytes.Equal(got, w) {
				t.Fatalf("ReadFrame #%d = %x, want %x", i, got, w)
			}
			if _, err := Parse(got); err != nil {
				t.Fatalf("Parse #%d: %v", i, err)
			}
		}
		if _, err := r.ReadFrame(); err != io.EOF {
			t.Fatalf("ReadFrame at the end: %v, want io.EOF", err)
		}
	}
	for i := 1; i < len(stream); i++ {
		check(t, func(w io.Writer) {
			w.Write(stream[:i])
			w.Write(stream[i:])
		})
	}
	t.Run("ByteByByte", func(t *testing.T) {
		check(t, func(w io.Writer) {
			for i := range stream {
				if _, err := w.Write(stream[i : i+1]); err != nil {
					return
				}
			}
		})
	})
	t.Run("Errors", func(t *testing.T) {
		r := NewReader(bytes.NewReader(unhex(t, "0000000b 00000004 000000")))
		if _, err := r.ReadFrame(); err == nil || !strings.Contains(err.Error(), "PacketLength 11") {
			t.Errorf("ReadFrame(short length) = %v, want a PacketLength error", err)
		}
		r = NewReader(bytes.NewReader(unhex(t, "00001001 00000002")))
		if _, err := r.ReadFrame(); err == nil || !strings.Contains(err.Error(), "PacketLength 4097") {
			t.Errorf("ReadFrame(long length) = %v, want a PacketLength error", err)
		}
		r = NewReader(bytes.NewReader(unhex(t, "0000000c 00000004 0000")))
		if _, err := r.ReadFrame(); err != io.ErrUnexpectedEOF {
			t.Errorf("ReadFrame(cut) = %v, want io.ErrUnexpectedEOF", err)
		}
	})
}
