package smpp

import (
	"errors"
	"testing"
	"time"

	"taxsms/protocol"
)

func TestParseReceiptText(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want ReceiptText
		ok   bool
	}{
		{"appendix B", "id:0059113978 sub:001 dlvrd:001 submit date:1002101730 done date:1002101731 stat:DELIVRD err:000 text:@$#!%&/:",
			ReceiptText{ID: "0059113978", Sub: "001", Dlvrd: "001", SubmitDate: "1002101730", DoneDate: "1002101731", Stat: "DELIVRD", Err: "000", Text: "@$#!%&/:"}, true},
		{"upper-case keys and underscores", "ID:abc SUB:1 DLVRD:0 SUBMIT_DATE:2401020304 DONE_DATE:240102030405 STAT:undeliv ERR:012 TEXT:hi id:x",
			ReceiptText{ID: "abc", Sub: "1", Dlvrd: "0", SubmitDate: "2401020304", DoneDate: "240102030405", Stat: "undeliv", Err: "012", Text: "hi id:x"}, true},
		{"reordered and missing", "stat:EXPIRED  id: 77  err:",
			ReceiptText{ID: "77", Stat: "EXPIRED"}, true},
		{"no id", "stat:DELIVRD", ReceiptText{Stat: "DELIVRD"}, false},
		{"key inside a word does not count", "id:1 stat:DELIVRD xstat:UNDELIV",
			ReceiptText{ID: "1", Stat: "DELIVRD xstat:UNDELIV"}, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := ParseReceiptText(tc.in)
			if got != tc.want || ok != tc.ok {
				t.Errorf("ParseReceiptText = %+v, %v, want %+v, %v", got, ok, tc.want, tc.ok)
			}
		})
	}
}

func TestNormalizeID(t *testing.T) {
	tests := []struct {
		id   string
		r    IDRadix
		want string
	}{
		{"38601fa", IDAsIs, "38601FA"},
		{"038601FA ", IDAsIs, "038601FA"},
		{"038601FA ", IDHex, "38601FA"},
		{"0059113978", IDDecimal, "38601FA"},
		{"38601fa", IDHex, "38601FA"},
		{"0000", IDAsIs, "0000"},
		{"0000", IDDecimal, "0"},
		{"1101c1-ab", IDAsIs, "1101C1-AB"},
		{"1101c1-ab", IDDecimal, "1101C1-AB"},
		{"", IDAsIs, ""},
		{"99999999999999999999999", IDDecimal, "99999999999999999999999"},
	}
	for _, tc := range tests {
		if got := NormalizeID(tc.id, tc.r); got != tc.want {
			t.Errorf("NormalizeID(%q, %d) = %q, want %q", tc.id, tc.r, got, tc.want)
		}
	}
}

func TestDialect_Receipt(t *testing.T) {
	cases := map[string]*Deliver{}
	for _, tc := range codecCases {
		if d, ok := tc.pdu.(*Deliver); ok {
			cases[tc.name] = d
		}
	}
	t.Run("TLVs win, hex TLV matches decimal text", func(t *testing.T) {
		d := cases["deliver_sm/receipt cloudhopper"]
		r, err := Dialect{}.Receipt(d)
		if err != nil {
			t.Fatal(err)
		}
		want := protocol.Receipt{MsgID: "38601FA", Stat: "DELIVRD", Err: "000", Dest: "44951361920",
			Submitted: time.Date(2010, 2, 10, 17, 30, 0, 0, time.UTC), Done: time.Date(2010, 2, 10, 17, 31, 0, 0, time.UTC)}
		if r != want {
			t.Errorf("Receipt = %+v, want %+v", r, want)
		}
		// Without the TLV, the decimal text id gives the same key.
		noTLV := *d
		noTLV.ReceiptedID, noTLV.State = "", 0
		r2, err := Dialect{TextID: IDDecimal}.Receipt(&noTLV)
		if err != nil {
			t.Fatal(err)
		}
		if r2.MsgID != r.MsgID || r2.Stat != "DELIVRD" {
			t.Errorf("Receipt(text only) = %+v, want MsgID %q stat DELIVRD", r2, r.MsgID)
		}
		if got := (Dialect{}).MsgID(&SubmitResp{MessageID: "38601fa"}); got != r.MsgID {
			t.Errorf("MsgID(submit_sm_resp) = %q, want %q", got, r.MsgID)
		}
	})
	t.Run("text only, in a location", func(t *testing.T) {
		sh := time.FixedZone("CST", 8*3600)
		r, err := Dialect{Location: sh}.Receipt(cases["deliver_sm/receipt SMSGate failed end to end"])
		if err != nil {
			t.Fatal(err)
		}
		want := protocol.Receipt{MsgID: "94251430923", Stat: "ACCEPTD", Err: "107", Dest: "4495136192057",
			Submitted: time.Date(2009, 11, 4, 1, 24, 0, 0, sh), Done: time.Date(2009, 11, 4, 1, 24, 0, 0, sh)}
		if !r.Submitted.Equal(want.Submitted) || r.MsgID != want.MsgID || r.Stat != want.Stat || r.Err != want.Err || r.Dest != want.Dest {
			t.Errorf("Receipt = %+v, want %+v", r, want)
		}
	})
	t.Run("ErrNotReceipt", func(t *testing.T) {
		_, err := Dialect{}.Receipt(&Deliver{SM: SM{Message: []byte("id:1 stat:DELIVRD")}})
		if !errors.Is(err, ErrNotReceipt) {
			t.Errorf("Receipt(MO) error = %v, want ErrNotReceipt", err)
		}
	})
	t.Run("no id", func(t *testing.T) {
		_, err := Dialect{}.Receipt(&Deliver{SM: SM{ESMClass: 4, Message: []byte("stat:DELIVRD")}})
		if err == nil {
			t.Error("Receipt without id: error nil, want error")
		}
	})
	t.Run("ReceiptDeliver round trip", func(t *testing.T) {
		s := &Submit{SM: SM{Source: "12366", Dest: "13800138000"}}
		at := time.Date(2024, 3, 5, 9, 41, 0, 0, time.UTC)
		d := ReceiptDeliver(s, "00ab12", StateUndeliverable, "012", at, at.Add(time.Minute))
		p, err := Parse(Marshal(d))
		if err != nil {
			t.Fatal(err)
		}
		r, err := Dialect{}.Receipt(p.(*Deliver))
		if err != nil {
			t.Fatal(err)
		}
		want := protocol.Receipt{MsgID: "00AB12", Stat: "UNDELIV", Err: "012", Dest: "13800138000", Submitted: at, Done: at.Add(time.Minute)}
		if r != want {
			t.Errorf("Receipt = %+v, want %+v", r, want)
		}
	})
}
