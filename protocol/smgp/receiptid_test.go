package smgp

import (
	"testing"
	"time"

	"taxsms/protocol"
)

// TestReceipt_MsgID checks, for ids of every shape (BCD or not), that the id
// a client reads from a Submit_Resp on the wire is, after
// protocol.NormalizeID, the MsgID of the receipt built from the matching
// status report.
func TestReceipt_MsgID(t *testing.T) {
	at := time.Date(2024, 12, 31, 23, 59, 0, 0, time.UTC)
	bcd, err := NewMsgID("010612", at, 999999)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		id   MsgID
	}{
		{"Zero", MsgID{}},
		{"BCD", bcd},
		{"NotBCD", MsgID{0xab, 0xcd, 0xef, 0, 1, 2, 3, 4, 5, 0xff}},
		{"NULsAndSpaces", MsgID{0, ' ', 0, ' ', 0, 0, 0, 0, ' ', 0}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p, err := Parse((&SubmitResp{SequenceID: 7, MsgID: tc.id}).AppendMarshal(nil))
			if err != nil {
				t.Fatal(err)
			}
			submitID := protocol.NormalizeID(p.(*SubmitResp).MsgID.String())

			rep := NewReport(tc.id, "DELIVRD", "000", at, at)
			d := &Deliver{SequenceID: 8, IsReport: true, SrcTermID: "13300000000", DestTermID: "10612366",
				MsgContent: rep.AppendMarshal(nil)}
			q, err := Parse(d.AppendMarshal(nil))
			if err != nil {
				t.Fatal(err)
			}
			r, err := q.(*Deliver).Receipt()
			if err != nil {
				t.Fatal(err)
			}
			if r.MsgID != submitID {
				t.Errorf("Receipt().MsgID = %q, want %q (the Submit_Resp id)", r.MsgID, submitID)
			}
		})
	}
}
