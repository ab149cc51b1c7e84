package smpp

import (
	"bytes"
	"reflect"
	"testing"
)

// FuzzParse checks that Parse never panics, and that whatever it accepts
// marshals to bytes that parse back to the same PDU and marshal identically.
func FuzzParse(f *testing.F) {
	for _, tc := range codecCases {
		f.Add(unhex(f, tc.hex))
		if tc.wire != "" {
			f.Add(unhex(f, tc.wire))
		}
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := Parse(b)
		if err != nil {
			return
		}
		b2 := Marshal(p)
		p2, err := Parse(b2)
		if err != nil {
			t.Fatalf("Parse(Marshal(Parse(%x))) = %v; marshalled %x", b, err, b2)
		}
		if !reflect.DeepEqual(p, p2) {
			t.Fatalf("round trip of %x:\n got %+v\nwant %+v", b, p2, p)
		}
		if b3 := Marshal(p2); !bytes.Equal(b2, b3) {
			t.Fatalf("second marshal %x, want %x", b3, b2)
		}
		if _, err := ReadPDU(bytes.NewReader(b)); err != nil {
			t.Fatalf("ReadPDU(%x) = %v after Parse accepted it", b, err)
		}
	})
}

// FuzzParseReceiptText checks the receipt-text reader on arbitrary text.
func FuzzParseReceiptText(f *testing.F) {
	f.Add("id:0059113978 sub:001 dlvrd:001 submit date:1002101730 done date:1002101731 stat:DELIVRD err:000 text:@$#!%&/:")
	f.Add("ID:abc STAT:undeliv TEXT:")
	f.Add("id: text:id:")
	f.Fuzz(func(t *testing.T, s string) {
		r, ok := ParseReceiptText(s)
		if ok && !containsFold(s, "id:") {
			t.Fatalf("ParseReceiptText(%q) = %+v, true without an id: key", s, r)
		}
		for _, v := range []string{r.ID, r.Sub, r.Dlvrd, r.SubmitDate, r.DoneDate, r.Stat, r.Err, r.Text} {
			if len(v) > len(s) {
				t.Fatalf("field %q longer than input %q", v, s)
			}
		}
		d := &Deliver{SM: SM{ESMClass: ESMClassReceipt, Message: []byte(s)}}
		_, _ = Dialect{TextID: IDDecimal}.Receipt(d)
	})
}

func containsFold(s, sub string) bool {
	return bytes.Contains(bytes.ToLower([]byte(s)), []byte(sub))
}
