package smpp

import (
	"bytes"
	"encoding/hex"
	"errors"
	"reflect"
	"runtime"
	"strings"
	"testing"
)

func unhex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(strings.NewReplacer(" ", "", "\n", "", "\t", "").Replace(s))
	if err != nil {
		t.Fatalf("bad test hex: %v", err)
	}
	return b
}

// hexStr is the hex of a string, for building vectors readably.
func hexStr(s string) string { return hex.EncodeToString([]byte(s)) }

type codecCase struct {
	name string
	pdu  PDU
	// hex is what AppendMarshal writes and Parse reads back to pdu.
	hex string
	// wire, when set, is a vector as an SMSC sent it, with TLVs in another
	// order than ours: Parse(wire) must give pdu, which marshals to hex.
	wire string
}

// codecCases holds every SMPP vector of PROTOCOLS.md §4.9/§8 (cloudhopper
// PduEncoderTest and SMSGate TestBaseSmCodec) and our own cases.
var codecCases = []codecCase{
	{name: "enquire_link", pdu: &EnquireLink{Header{Seq: 171192039}},
		hex: "0000001000000015000000000a342ee7"},
	{name: "enquire_link_resp", pdu: &EnquireLinkResp{Header{Seq: 171192045}},
		hex: "0000001080000015000000000a342eed"},
	{name: "unbind", pdu: &Unbind{Header{Seq: 1}},
		hex: "00000010000000060000000000000001"},
	{name: "unbind_resp", pdu: &UnbindResp{Header{Seq: 1}},
		hex: "00000010800000060000000000000001"},
	{name: "generic_nack", pdu: &GenericNack{Header{Status: StatusInvMsgLen, Seq: 535159}},
		hex: "00000010800000000000000100082a77"},
	{name: "submit_sm", pdu: &Submit{Header: Header{Seq: 20456}, SM: SM{
		SourceTON: 1, SourceNPI: 1, Source: "40404",
		DestTON: 1, DestNPI: 1, Dest: "44951361920",
		RegisteredDelivery: 1, Message: []byte("@$#!%&/:")}},
		hex: "00000039 00000004 00000000 00004FE8 00 01 01 3430343034 00 01 01 3434393531333631393230 00 00 00 00 00 00 01 00 00 00 08 4024232125262F3A"},
	{name: "submit_sm_resp", pdu: &SubmitResp{Header: Header{Seq: 171192033}, MessageID: "94258431594"},
		hex: "0000001c80000004000000000a342ee1393432353834333135393400"},
	{name: "submit_sm_resp/empty id", pdu: &SubmitResp{Header: Header{Seq: 171192033}},
		hex: "0000001180000004000000000a342ee100"},
	{name: "submit_sm_resp/error without body", pdu: &SubmitResp{Header: Header{Status: 0x30, Seq: 171192033}},
		hex: "0000001080000004000000300a342ee1"},
	{name: "submit_sm_resp/throttled", pdu: &SubmitResp{Header: Header{Status: StatusThrottled, Seq: 7}},
		hex: "00000010800000040000005800000007"},
	{name: "deliver_sm_resp/with id", pdu: &DeliverResp{Header: Header{Seq: 1141447}, MessageID: "94258431594"},
		hex: "0000001c800000050000000000116ac7393432353834333135393400"},
	{name: "deliver_sm_resp", pdu: &DeliverResp{Header: Header{Seq: 2}},
		hex: "00000011800000050000000000000002 00"},
	{name: "bind_transceiver_resp", pdu: &BindResp{Header: Header{Seq: 235857}, Cmd: CmdBindTransceiverResp, SystemID: "Smsc Simulator"},
		hex: "0000001f800000090000000000039951536d73632053696d756c61746f7200"},
	{name: "bind_transceiver_resp/failed with system_id", pdu: &BindResp{Header: Header{Status: StatusInvPassword, Seq: 19891}, Cmd: CmdBindTransceiverResp, SystemID: "SMSC"},
		hex: "00000015800000090000000e00004db3534d534300"},
	{name: "bind_transceiver_resp/failed without body", pdu: &BindResp{Header: Header{Status: StatusBindFail, Seq: 1}, Cmd: CmdBindTransceiverResp},
		hex: "00000010800000090000000d00000001"},
	{name: "bind_transceiver_resp/sc_interface_version", pdu: &BindResp{Header: Header{Seq: 235843}, Cmd: CmdBindTransceiverResp, SystemID: "Smsc GW",
		TLVs: []TLV{{TagSCInterfaceVersion, []byte{0x34}}}},
		hex: "0000001d800000090000000000039943536d7363204757000210000134"},
	{name: "bind_transmitter_resp/sc_interface_version", pdu: &BindResp{Header: Header{Seq: 235871}, Cmd: CmdBindTransmitterResp, SystemID: "TWITTER",
		TLVs: []TLV{{TagSCInterfaceVersion, []byte{0x34}}}},
		hex: "0000001d80000002000000000003995f54574954544552000210000134"},
	{name: "bind_receiver_resp/sc_interface_version", pdu: &BindResp{Header: Header{Seq: 235874}, Cmd: CmdBindReceiverResp, SystemID: "twitter",
		TLVs: []TLV{{TagSCInterfaceVersion, []byte{0x34}}}},
		hex: "0000001d80000001000000000003996274776974746572000210000134"},
	{name: "bind_transceiver", pdu: &Bind{Header: Header{Seq: 235857}, Cmd: CmdBindTransceiver, SystemID: "ALL_TW", Password: "ALL_TW", InterfaceVersion: 0x34},
		hex: "00000023 00000009 00000000 00039951 414c4c5f5457 00 414c4c5f5457 00 00 34 00 00 00"},
	{name: "bind_transceiver/address range ton npi", pdu: &Bind{Header: Header{Seq: 235857}, Cmd: CmdBindTransceiver, SystemID: "ALL_TW", Password: "ALL_TW", InterfaceVersion: 0x34, AddrTON: 1, AddrNPI: 2},
		hex: "00000023000000090000000000039951414c4c5f545700414c4c5f5457000034010200"},
	{name: "bind_transmitter", pdu: &Bind{Header: Header{Seq: 235871}, Cmd: CmdBindTransmitter, SystemID: "twitter", Password: "twitter", InterfaceVersion: 0x34},
		hex: "0000002500000002000000000003995f747769747465720074776974746572000034000000"},
	{name: "bind_receiver", pdu: &Bind{Header: Header{Seq: 235873}, Cmd: CmdBindReceiver, SystemID: "twitter", Password: "twitter", InterfaceVersion: 0x34},
		hex: "00000025000000010000000000039961747769747465720074776974746572000034000000"},
	{name: "deliver_sm/network type TLVs kept in order", pdu: &Deliver{Header: Header{Seq: 3}, SM: SM{
		SourceTON: 2, SourceNPI: 1, Source: "87654321", DestTON: 4, DestNPI: 9, Dest: "40404",
		Message: []byte("@$#!%&/:"),
		TLVs:    []TLV{{TagSourceNetworkType, []byte{1}}, {TagDestNetworkType, []byte{1}}}}},
		hex: "000000400000000500000000000000030002013837363534333231000409343034303400000000000000000000084024232125262F3A000E0001010006000101"},
	{name: "deliver_sm/receipt cloudhopper", pdu: &Deliver{Header: Header{Seq: 2}, SM: SM{
		SourceTON: 1, SourceNPI: 1, Source: "44951361920", DestTON: 1, DestNPI: 1, Dest: "40404",
		ESMClass:    0x04,
		Message:     []byte("id:0059113978 sub:001 dlvrd:001 submit date:1002101730 done date:1002101731 stat:DELIVRD err:000 text:@$#!%&/:"),
		ReceiptedID: "38601fa", State: StateDelivered,
		TLVs: []TLV{{TagSourceNetworkType, []byte{1}}, {TagDestNetworkType, []byte{1}}}}},
		wire: "000000BA00000005000000000000000200010134343935313336313932300001013430343034000400000000000000006E69643A30303539313133393738207375623A30303120646C7672643A303031207375626D697420646174653A3130303231303137333020646F6E6520646174653A3130303231303137333120737461743A44454C49565244206572723A30303020746578743A4024232125262F3A000E0001010006000101001E000833383630316661000427000102",
		hex:  "000000BA00000005000000000000000200010134343935313336313932300001013430343034000400000000000000006E69643A30303539313133393738207375623A30303120646C7672643A303031207375626D697420646174653A3130303231303137333020646F6E6520646174653A3130303231303137333120737461743A44454C49565244206572723A30303020746578743A4024232125262F3A 001E000833383630316661 000427000102 000E000101 0006000101"},
	{name: "deliver_sm/receipt SMSGate state before id", pdu: &Deliver{Header: Header{Seq: 1}, SM: SM{
		SourceTON: 1, SourceNPI: 1, Source: "44951361920", DestTON: 0, DestNPI: 1, Dest: "40404",
		ESMClass: 0x04, DataCoding: 3,
		Message:     []byte("id:126e85a6edeac1a02020099312479564 sub:001 dlvrd:001 submit date:1002191630 done date:1002191630 stat:DELIVRD err:000 Text:Hello               "),
		ReceiptedID: "126e85a6edeac1a02020099312479564", State: StateDelivered}},
		wire: "000000EB00000005000000000000000100010134343935313336313932300000013430343034000400000000000003009069643A3132366538356136656465616331613032303230303939333132343739353634207375623A30303120646C7672643A303031207375626D697420646174653A3130303231393136333020646F6E6520646174653A3130303231393136333020737461743A44454C49565244206572723A30303020546578743A48656C6C6F202020202020202020202020202020 0427000102 001E0021313236653835613665646561633161303230323030393933313234373935363400",
		hex:  "000000EB00000005000000000000000100010134343935313336313932300000013430343034000400000000000003009069643A3132366538356136656465616331613032303230303939333132343739353634207375623A30303120646C7672643A303031207375626D697420646174653A3130303231393136333020646F6E6520646174653A3130303231393136333020737461743A44454C49565244206572723A30303020546578743A48656C6C6F202020202020202020202020202020 001E0021313236653835613665646561633161303230323030393933313234373935363400 0427000102"},
	{name: "deliver_sm/receipt SMSGate failed end to end", pdu: &Deliver{Header: Header{Seq: 1141461}, SM: SM{
		SourceTON: 1, SourceNPI: 1, Source: "4495136192057", DestTON: 5, DestNPI: 1, Dest: "GTBank",
		ESMClass: 0x04, RegisteredDelivery: 1,
		Message: []byte("id:94251430923 sub:001 dlvrd:001 submit date:0911040124 done date:0911040124 stat:ACCEPTD err:107 text: 26F102")}},
		hex: "000000A2000000050000000000116AD500010134343935313336313932303537000501475442616E6B000400000000010000006E69643A3934323531343330393233207375623A30303120646C7672643A303031207375626D697420646174653A3039313130343031323420646F6E6520646174653A3039313130343031323420737461743A41434345505444206572723A31303720746578743A20323646313032"},
	{name: "deliver_sm/large sequence number", pdu: &Deliver{Header: Header{Seq: 0xA2859F22}, SM: SM{
		ServiceType: "1001", SourceTON: 1, SourceNPI: 1, Source: "44951361920", DestTON: 0, DestNPI: 1, Dest: "4040404040404040",
		DataCoding: 8}},
		hex: "000000400000000500000000A2859F22313030310001013434393531333631393230000001343034303430343034303430343034300000000000000000080000"},
	{name: "submit_sm/SAR and payload in fixed order", pdu: &Submit{Header: Header{Seq: 9}, SM: SM{
		Source: "12366", Dest: "13800138000", DataCoding: 8,
		SAR:     SAR{Ref: 0x1234, Total: 2, Seq: 1},
		Payload: []byte{0x4f, 0x60}}},
		hex: "00000047 00000004 00000000 00000009 00 00 00 " + hexStr("12366") + "00 00 00 " + hexStr("13800138000") + "00 00 00 00 00 00 00 00 08 00 00" +
			"020C00021234 020E000102 020F000101 042400024f60"},
	{name: "submit_sm/SAR arriving out of order", pdu: &Submit{Header: Header{Seq: 9}, SM: SM{
		Source: "12366", Dest: "13800138000", DataCoding: 8, Message: []byte{0x4f, 0x60},
		SAR: SAR{Ref: 0x1234, Total: 2, Seq: 1}}},
		wire: "00000043 00000004 00000000 00000009 00 00 00 " + hexStr("12366") + "00 00 00 " + hexStr("13800138000") + "00 00 00 00 00 00 00 00 08 00 02 4f60" +
			"020F000101 020E000102 020C00021234",
		hex: "00000043 00000004 00000000 00000009 00 00 00 " + hexStr("12366") + "00 00 00 " + hexStr("13800138000") + "00 00 00 00 00 00 00 00 08 00 02 4f60" +
			"020C00021234 020E000102 020F000101"},
	{name: "submit_sm/UDH", pdu: &Submit{Header: Header{Seq: 10}, SM: SM{
		Source: "12366", Dest: "13800138000", ESMClass: 0x40, RegisteredDelivery: 1, DataCoding: 8,
		Message: []byte{0x05, 0x00, 0x03, 0x0c, 0x02, 0x01, 0x4f, 0x60}}},
		hex: "00000039 00000004 00000000 0000000a 00 00 00 " + hexStr("12366") + "00 00 00 " + hexStr("13800138000") + "00 40 00 00 00 00 01 00 08 00 08 0500030c0201 4f60"},
	{name: "submit_sm/incomplete SAR kept raw", pdu: &Submit{Header: Header{Seq: 11}, SM: SM{
		TLVs: []TLV{{TagSARMsgRefNum, []byte{0, 1}}, {TagSARTotalSegments, []byte{0}}, {TagSARSegmentSeqnum, []byte{1}}}}},
		hex: "00000031 00000004 00000000 0000000b 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 020C00020001 020E000100 020F000101"},
	{name: "unknown command kept raw", pdu: &Unknown{Header: Header{Seq: 5}, Cmd: 0x00000103, Body: []byte{1, 2, 3}},
		hex: "00000013 00000103 00000000 00000005 010203"},
}

func TestParse(t *testing.T) {
	for _, tc := range codecCases {
		t.Run(tc.name, func(t *testing.T) {
			want := unhex(t, tc.hex)
			got := tc.pdu.AppendMarshal(nil)
			if !bytes.Equal(got, want) {
				t.Errorf("AppendMarshal = %x, want %x", got, want)
			}
			p, err := Parse(want)
			if err != nil {
				t.Fatalf("Parse(hex) error %v", err)
			}
			if !reflect.DeepEqual(p, tc.pdu) {
				t.Errorf("Parse(hex) = %+v, want %+v", p, tc.pdu)
			}
			if tc.wire != "" {
				p, err := Parse(unhex(t, tc.wire))
				if err != nil {
					t.Fatalf("Parse(wire) error %v", err)
				}
				if !reflect.DeepEqual(p, tc.pdu) {
					t.Errorf("Parse(wire) = %+v, want %+v", p, tc.pdu)
				}
			}
			// Appending keeps what the buffer held.
			pre := []byte{0xAA}
			if got := tc.pdu.AppendMarshal(pre); !bytes.Equal(got[1:], want) || got[0] != 0xAA {
				t.Errorf("AppendMarshal(prefix) = %x, want aa%x", got, want)
			}
		})
	}
}

func TestParse_Errors(t *testing.T) {
	submit := unhex(t, "00000039000000040000000000004FE80001013430343034000101343439353133363139323000000000000001000000084024232125262F3A")
	tests := []struct {
		name  string
		b     []byte
		field string // in the error text
	}{
		{"short header", submit[:10], "bad command_length"},
		{"length below header", unhex(t, "0000000c000000150000000000000001"), "command_length 12"},
		{"length over frame", append(append([]byte(nil), submit...), 0), "command_length 57, frame 58"},
		{"length over max", unhex(t, "00100000000000150000000000000001"), "command_length"},
		{"truncated body", fixLen(submit[:40]), "protocol_id: truncated at offset 40"},
		{"sm_length beyond body", fixLen(submit[:len(submit)-1]), "short_message: sm_length 8, 7 bytes left"},
		{"trailing bytes in enquire_link", unhex(t, "0000001100000015000000000000000100"), "1 trailing bytes"},
		{"source_addr too long", fixLen(append(append(unhex(t, "0000000000000004000000000000000100 0101"), bytes.Repeat([]byte("1"), 21)...), 0)), "source_addr: no NUL within 21 bytes"},
		{"TLV truncated", fixLen(append(append([]byte(nil), submit...), 0x04, 0x24, 0x00, 0x05, 1)), "TLV 0x0424: length 5, 1 bytes left"},
		{"bind system_id too long", fixLen(append(unhex(t, "000000000000000900000000000000 01"), bytes.Repeat([]byte("a"), 20)...)), "system_id: no NUL within 16 bytes"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p, err := Parse(tc.b)
			if err == nil {
				t.Fatalf("Parse = %+v, want error containing %q", p, tc.field)
			}
			if !strings.Contains(err.Error(), tc.field) {
				t.Errorf("error = %q, want it to contain %q", err, tc.field)
			}
		})
	}
	t.Run("ErrLength", func(t *testing.T) {
		_, err := Parse(submit[:10])
		if !errors.Is(err, ErrLength) {
			t.Errorf("error = %v, want ErrLength", err)
		}
		var pe *ParseError
		_, err = Parse(fixLen(submit[:45]))
		if !errors.As(err, &pe) || pe.Cmd != CmdSubmitSM || len(pe.Snippet) == 0 {
			t.Errorf("error = %#v, want *ParseError for submit_sm with a snippet", err)
		}
	})
}

// fixLen sets command_length to len(b).
func fixLen(b []byte) []byte {
	b = append([]byte(nil), b...)
	n := len(b)
	b[0], b[1], b[2], b[3] = byte(n>>24), byte(n>>16), byte(n>>8), byte(n)
	return b
}

func TestReadPDU(t *testing.T) {
	t.Run("OK", func(t *testing.T) {
		var stream []byte
		for _, tc := range codecCases {
			stream = append(stream, unhex(t, tc.hex)...)
		}
		r := bytes.NewReader(stream)
		for _, tc := range codecCases {
			p, err := ReadPDU(r)
			if err != nil {
				t.Fatalf("%s: ReadPDU error %v", tc.name, err)
			}
			if !reflect.DeepEqual(p, tc.pdu) {
				t.Errorf("%s: ReadPDU = %+v, want %+v", tc.name, p, tc.pdu)
			}
		}
		if _, err := ReadPDU(r); err == nil || err.Error() != "EOF" {
			t.Errorf("ReadPDU at end = %v, want EOF", err)
		}
	})
	t.Run("LengthCheckedBeforeAllocating", func(t *testing.T) {
		_, err := ReadPDU(bytes.NewReader(unhex(t, "7fffffff")))
		if !errors.Is(err, ErrLength) {
			t.Errorf("ReadPDU error = %v, want ErrLength", err)
		}
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		_, _ = ReadPDU(bytes.NewReader([]byte{0x7f, 0xff, 0xff, 0xff}))
		runtime.ReadMemStats(&after)
		if n := after.TotalAlloc - before.TotalAlloc; n > 64<<10 {
			t.Errorf("allocated %d bytes for an oversized length, want no frame buffer", n)
		}
	})
	t.Run("TruncatedBody", func(t *testing.T) {
		_, err := ReadPDU(bytes.NewReader(unhex(t, "0000001000000015")))
		if err == nil || !strings.Contains(err.Error(), "unexpected EOF") {
			t.Errorf("ReadPDU error = %v, want unexpected EOF", err)
		}
	})
}

func TestValidate(t *testing.T) {
	ok := SM{Source: "12366", Dest: "13800138000", Message: make([]byte, 254)}
	if err := ok.Validate(); err != nil {
		t.Errorf("Validate(valid) = %v, want nil", err)
	}
	tests := []struct {
		name string
		edit func(*SM)
		want string
	}{
		{"short_message 255", func(m *SM) { m.Message = make([]byte, 255) }, "short_message: 255 bytes"},
		{"dest 21", func(m *SM) { m.Dest = strings.Repeat("1", 21) }, "destination_addr"},
		{"NUL in source", func(m *SM) { m.Source = "1\x002" }, "contains NUL"},
		{"payload and message", func(m *SM) { m.Payload = []byte{1} }, "both set"},
		{"UDH and SAR", func(m *SM) { m.ESMClass = ESMClassUDHI; m.SAR = SAR{Ref: 1, Total: 2, Seq: 1} }, "sar_* TLVs and a UDH"},
		{"validity", func(m *SM) { m.ValidityPeriod = "0001" }, "validity_period"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := ok
			tc.edit(&m)
			err := m.Validate()
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Validate = %v, want error containing %q", err, tc.want)
			}
		})
	}
	b := Bind{Cmd: CmdBindTransceiver, SystemID: "taxsms", Password: "123456789"}
	if err := b.Validate(); err == nil || !strings.Contains(err.Error(), "password") {
		t.Errorf("Bind.Validate = %v, want password error", err)
	}
}
