package smpp

import (
	"testing"
	"time"

	"taxsms/protocol"
)

// TestReceipt_MsgID checks, for ids of every shape, that the message_id a
// client reads from a submit_sm_resp on the wire is, after
// protocol.NormalizeID, the MsgID of the receipt the zero Dialect reads from
// the matching deliver_sm, whether the id comes from the TLV or the text.
func TestReceipt_MsgID(t *testing.T) {
	tests := []struct {
		name string
		id   string
	}{
		{"Decimal", "59113978"},
		{"LeadingZeros", "0059113978"},
		{"Zeros", "0000"},
		{"LowerHex", "00ab12cd"},
		{"UUID", "1101c1-ab3f-4e00-9a7c-000000000001"},
		{"Max", "ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff"},
	}
	at := time.Date(2024, 3, 5, 9, 41, 0, 0, time.UTC)
	for _, tc := range tests {
		for _, variant := range []string{"TLV", "Text"} {
			t.Run(tc.name+"/"+variant, func(t *testing.T) {
				p, err := Parse(Marshal(&SubmitResp{Header: Header{Seq: 7}, MessageID: tc.id}))
				if err != nil {
					t.Fatal(err)
				}
				submitID := protocol.NormalizeID(p.(*SubmitResp).MessageID)

				s := &Submit{SM: SM{Source: "12366", Dest: "13800138000"}}
				d := ReceiptDeliver(s, tc.id, StateDelivered, "000", at, at)
				if variant == "Text" {
					d.ReceiptedID, d.State = "", 0
				}
				q, err := Parse(Marshal(d))
				if err != nil {
					t.Fatal(err)
				}
				r, err := Dialect{}.Receipt(q.(*Deliver))
				if err != nil {
					t.Fatal(err)
				}
				if r.MsgID != submitID {
					t.Errorf("Receipt().MsgID = %q, want %q (the submit_sm_resp id)", r.MsgID, submitID)
				}
				if got := (Dialect{}).MsgID(p.(*SubmitResp)); got != submitID {
					t.Errorf("Dialect{}.MsgID = %q, want %q", got, submitID)
				}
			})
		}
	}
}
