package smgp

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"time"

	"taxsms/protocol"
)

func TestParseReport(t *testing.T) {
	for _, tc := range []struct {
		name string
		hex  string
		want Report
	}{
		{
			// hujm smgp/smgp30/pdu_deliver_test.go, capitalised "Submit date" and "Text:", vendor stat.
			name: "hujm/RT",
			hex:  "69643a01601712291424100007207375623a30303120646c7672643a303031205375626d697420646174653a3233313232393134323420646f6e6520646174653a3233313232393134323420737461743a52543a30313438206572723a31343820546578743a0000000000000000000000000000000000000000",
			want: Report{MsgID: id(t, "01601712291424100007"), Sub: "001", Dlvrd: "001", SubmitDate: "2312291424",
				DoneDate: "2312291424", Stat: "RT:0148", Err: "148"},
		},
		{
			name: "hujm/DELIVRD",
			hex:  "69643a01601301032038120568207375623a30303120646c7672643a303031205375626d697420646174653a3234303130333230333820646f6e6520646174653a3234303130333230333820737461743a44454c49565244206572723a30303020546578743a0000000000000000000000000000000000000000",
			want: Report{MsgID: id(t, "01601301032038120568"), Sub: "001", Dlvrd: "001", SubmitDate: "2401032038",
				DoneDate: "2401032038", Stat: "DELIVRD", Err: "000"},
		},
		{
			// hujm TestExtractDeliveryReceiptHndx: 's' as separator, capitalised, underscores.
			name: "hujm/hndx",
			hex:  "69643a04701501161242686134735375623a30303173446c7672643a303030735375626d69745f446174653a3234303131363132343273446f6e655f446174653a3234303131363132343273537461743a42574c49535453734572723a31363373546578743a30303742574c4953545300000000000000000000",
			want: Report{MsgID: id(t, "04701501161242686134"), Sub: "001", Dlvrd: "000", SubmitDate: "2401161242",
				DoneDate: "2401161242", Stat: "BWLISTS", Err: "163", Text: "007BWLISTS"},
		},
		{
			// hujm DeliverContentTestSuite: the spec form, lower-case labels.
			name: "hujm/spec",
			hex:  "69643a00006308222132427973207375623a30303120646c7672643a303031207375626d697420646174653a3235303832323231333220646f6e6520646174653a3235303832323231333220737461743a44454c49565244206572723a30303020746578743a0000000000000000000000000000000000000000",
			want: Report{MsgID: id(t, "00006308222132427973"), Sub: "001", Dlvrd: "001", SubmitDate: "2508222132",
				DoneDate: "2508222132", Stat: "DELIVRD", Err: "000"},
		},
		{
			// SMSGate TestSMGPMsgIdUtil: non-BCD id, no separator after it, underscores, "txt:" with GB18030 text.
			name: "SMSGate",
			hex:  "69643a6495c36ac4ea6b00000b7375623a30303120646c7672643a303031207375626d69745f646174653a3138303730353232303720646f6e655f646174653a3138303730353232303720737461743a44454c49565244206572723a303030207478743ad6d0b9fa306138616535",
			want: Report{MsgID: id(t, "6495C36AC4EA6B00000B"), Sub: "001", Dlvrd: "001", SubmitDate: "1807052207",
				DoneDate: "1807052207", Stat: "DELIVRD", Err: "000", Text: "\xd6\xd0\xb9\xfa0a8ae5"},
		},
		{
			name: "ours/SMPP-like short values",
			hex:  strings.TrimSpace(hexOf("id:\x01\x02\x03\x04\x05\x06\x07\x08\x09\x10 sub:1 dlvrd:1 submit date:2401161242 done date:2401161243 stat:UNDELIV err:5 text:hi")),
			want: Report{MsgID: id(t, "01020304050607080910"), Sub: "1", Dlvrd: "1", SubmitDate: "2401161242",
				DoneDate: "2401161243", Stat: "UNDELIV", Err: "5", Text: "hi"},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseReport(unhex(t, tc.hex))
			if err != nil {
				t.Fatalf("ParseReport: %v", err)
			}
			if got != tc.want {
				t.Errorf("ParseReport =\n%+v\nwant\n%+v", got, tc.want)
			}
		})
	}
}

func hexOf(s string) string {
	const digits = "0123456789abcdef"
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		b.WriteByte(digits[s[i]>>4])
		b.WriteByte(digits[s[i]&15])
	}
	return b.String()
}

func TestReport_AppendMarshal(t *testing.T) {
	// hujm DeliverContentTestSuite is exactly the spec form.
	want := unhex(t, "69643a00006308222132427973207375623a30303120646c7672643a303031207375626d697420646174653a3235303832323231333220646f6e6520646174653a3235303832323231333220737461743a44454c49565244206572723a30303020746578743a0000000000000000000000000000000000000000")
	r := NewReport(id(t, "00006308222132427973"), "DELIVRD", "000",
		time.Date(2025, 8, 22, 13, 32, 0, 0, time.UTC), time.Date(2025, 8, 22, 21, 32, 59, 0, chinaTime))
	got := r.AppendMarshal(nil)
	if !bytes.Equal(got, want) || len(got) != ReportLen {
		t.Errorf("AppendMarshal =\n%x\nwant\n%x", got, want)
	}
	back, err := ParseReport(got)
	if err != nil || back != r {
		t.Errorf("ParseReport(AppendMarshal) = %+v, %v, want %+v", back, err, r)
	}
}

func TestParseReport_Errors(t *testing.T) {
	for _, tc := range []struct{ name, in, want string }{
		{"Empty", "", "no \"id:\""},
		{"ShortID", "id:123", "no \"id:\""},
		{"NoID", "xx:0123456789 stat:DELIVRD", "no \"id:\""},
		{"NoStat", "id:0123456789 sub:001 err:000", "no stat"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseReport([]byte(tc.in))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("ParseReport error = %v, want one containing %q", err, tc.want)
			}
		})
	}
}

func TestDeliver_Receipt(t *testing.T) {
	msgID := id(t, "01006101161700012345")
	r := NewReport(msgID, "UNDELIV", "005",
		time.Date(2024, 1, 16, 17, 0, 0, 0, chinaTime), time.Date(2024, 1, 16, 17, 1, 0, 0, chinaTime))
	d := &Deliver{IsReport: true, SrcTermID: "13800138000", DestTermID: "1065912366", MsgContent: r.AppendMarshal(nil)}
	got, err := d.Receipt()
	if err != nil {
		t.Fatal(err)
	}
	want := protocol.Receipt{MsgID: "01006101161700012345", Stat: "UNDELIV", Err: "005", Dest: "13800138000",
		Submitted: time.Date(2024, 1, 16, 9, 0, 0, 0, time.UTC), Done: time.Date(2024, 1, 16, 9, 1, 0, 0, time.UTC)}
	if got.MsgID != want.MsgID || got.Stat != want.Stat || got.Err != want.Err || got.Dest != want.Dest ||
		!got.Submitted.Equal(want.Submitted) || !got.Done.Equal(want.Done) {
		t.Errorf("Receipt = %+v, want %+v", got, want)
	}
	if got.MsgID != protocol.NormalizeID(strings.ToLower(msgID.String())) {
		t.Errorf("Receipt.MsgID %q does not match the normalised Submit_Resp id", got.MsgID)
	}
	if got.Delivered() {
		t.Errorf("Delivered() = true, want false")
	}
	if _, err := (&Deliver{MsgContent: []byte("hello")}).Receipt(); !errors.Is(err, ErrNotReport) {
		t.Errorf("Receipt of an MO: error %v, want ErrNotReport", err)
	}
	if got := reportTime("2401"); !got.IsZero() {
		t.Errorf("reportTime(2401) = %v, want zero", got)
	}
	if got := reportTime("20240116170159"); !got.Equal(time.Date(2024, 1, 16, 9, 1, 59, 0, time.UTC)) {
		t.Errorf("reportTime(14 digits) = %v, want 2024-01-16 09:01:59 UTC", got)
	}
}
