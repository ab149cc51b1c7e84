package cmpp

import (
	"testing"
	"time"

	"taxsms/protocol"
)

// TestReceipt_MsgID checks, for ids of every shape, that the id a client
// reads from a SUBMIT_RESP on the wire is, after protocol.NormalizeID, the
// MsgID of the receipt built from the matching status report.
func TestReceipt_MsgID(t *testing.T) {
	at := time.Date(2024, 12, 31, 23, 59, 59, 0, time.UTC)
	tests := []struct {
		name string
		v    Version
		id   MsgID
		wide bool
	}{
		{"Zero", V30, 0, false},
		{"LeadingZeros", V30, 0x00000000000000AB, false},
		{"Max", V30, ^MsgID(0), true},
		{"Made", V20, MakeMsgID(at, 12366, 65535), false},
		{"MadeWide", V30, MakeMsgID(at, 0x3fffff, 1), true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			resp := &SubmitResp{response{Version: tc.v, Seq: 7, MsgID: tc.id}}
			p, err := Parse(tc.v, resp.AppendMarshal(nil))
			if err != nil {
				t.Fatal(err)
			}
			submitID := protocol.NormalizeID(p.(*SubmitResp).MsgID.String())

			d := NewReportDeliver(tc.v, "12366", Report{MsgID: tc.id, Stat: "DELIVRD", DestTerminalID: "13800138000", Wide: tc.wide})
			d.MsgID, d.Seq = 99, 8
			q, err := Parse(tc.v, d.AppendMarshal(nil))
			if err != nil {
				t.Fatal(err)
			}
			r, err := q.(*Deliver).Receipt()
			if err != nil {
				t.Fatal(err)
			}
			if r.MsgID != submitID {
				t.Errorf("Receipt().MsgID = %q, want %q (the SUBMIT_RESP id)", r.MsgID, submitID)
			}
		})
	}
}
