package sgip

import (
	"testing"

	"taxsms/protocol"
)

// TestReceipt_MsgID checks, for Seqs of every shape, that the id a client
// takes from the Submit_Resp on the wire (its Seq) is, after
// protocol.NormalizeID, the MsgID of the receipt built from the matching
// Report.
func TestReceipt_MsgID(t *testing.T) {
	tests := []struct {
		name string
		seq  Seq
	}{
		{"Zero", Seq{}},
		{"SP", Seq{Node: 3010012345, Time: 203153000, Number: 42}},
		{"January", Seq{Node: 3053112345, Time: 101000000, Number: 0}},
		{"Max", Seq{Node: ^uint32(0), Time: ^uint32(0), Number: ^uint32(0)}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p, err := Parse((&SubmitResp{Seq: tc.seq}).AppendMarshal(nil))
			if err != nil {
				t.Fatal(err)
			}
			submitID := protocol.NormalizeID(p.(*SubmitResp).Seq.MsgID())

			rep := &Report{Seq: Seq{Node: 12366, Time: 1, Number: 9}, SubmitSeq: tc.seq, UserNumber: "8613000000000"}
			q, err := Parse(rep.AppendMarshal(nil))
			if err != nil {
				t.Fatal(err)
			}
			if got := q.(*Report).Receipt().MsgID; got != submitID {
				t.Errorf("Receipt().MsgID = %q, want %q (the Submit_Resp Seq)", got, submitID)
			}
		})
	}
}
