package cmpp

import (
	"encoding/binary"
	"errors"
	"fmt"
	"time"

	"taxsms/protocol"
)

// Sizes of the status report carried in Msg_Content.
const (
	ReportLen     = 60 // Dest_terminal_Id of 21 bytes, as both specifications say
	ReportLenWide = 71 // Dest_terminal_Id of 32 bytes, as many 3.0 gateways send
)

// Report is the status report a DELIVER with Registered_Delivery 1 carries in
// its Msg_Content.
type Report struct {
	// MsgID is the Msg_Id the SUBMIT_RESP returned: match reports on it, not
	// on the outer DELIVER's Msg_Id.
	MsgID MsgID
	// Stat is the final status word (7 bytes): DELIVRD, EXPIRED, DELETED,
	// UNDELIV, ACCEPTD, UNKNOWN, REJECTD or a code such as "MA:0001".
	Stat string
	// SubmitTime and DoneTime are YYMMDDHHMM.
	SubmitTime, DoneTime string
	// DestTerminalID is the number the message went to.
	DestTerminalID string
	// SMSCSequence is SMSC_sequence.
	SMSCSequence uint32
	// Wide selects the 71-byte form (32-byte Dest_terminal_Id) instead of the
	// 60-byte form. ParseReport sets it from the length.
	Wide bool
}

// ParseReport decodes a status report from a DELIVER's Msg_Content: 60 bytes
// (21-byte Dest_terminal_Id) or 71 bytes (32-byte). Any other length is an
// error wrapping ErrMalformed.
func ParseReport(content []byte) (Report, error) {
	var r Report
	var destW int
	switch len(content) {
	case ReportLen:
		destW = 21
	case ReportLenWide:
		destW, r.Wide = 32, true
	default:
		return r, fmt.Errorf("parse report: Msg_Length %d, want %d or %d, bytes %s: %w",
			len(content), ReportLen, ReportLenWide, snippet(content, 0), ErrMalformed)
	}
	s := string(content)
	r.MsgID = MsgID(binary.BigEndian.Uint64(content))
	r.Stat = fixed(s[8:15])
	r.SubmitTime = fixed(s[15:25])
	r.DoneTime = fixed(s[25:35])
	r.DestTerminalID = fixed(s[35 : 35+destW])
	r.SMSCSequence = binary.BigEndian.Uint32(content[35+destW:])
	return r, nil
}

// AppendMarshal appends the 60- or 71-byte report (per r.Wide) to b.
func (r *Report) AppendMarshal(b []byte) []byte {
	destW := 21
	if r.Wide {
		destW = 32
	}
	b = binary.BigEndian.AppendUint64(b, uint64(r.MsgID))
	b = appendFixed(b, r.Stat, 7)
	b = appendFixed(b, r.SubmitTime, 10)
	b = appendFixed(b, r.DoneTime, 10)
	b = appendFixed(b, r.DestTerminalID, destW)
	return binary.BigEndian.AppendUint32(b, r.SMSCSequence)
}

// chinaTime is UTC+8, the zone CMPP gateways write their times in.
var chinaTime = time.FixedZone("CST", 8*60*60)

// Receipt returns the report in the form shared by all protocols. Times are
// read as YYMMDDHHMM in China Standard Time; a time that does not parse is
// left zero. CMPP has no error code apart from Stat, so Err is empty.
func (r *Report) Receipt() protocol.Receipt {
	return protocol.Receipt{
		MsgID:     protocol.NormalizeID(r.MsgID.String()),
		Stat:      protocol.NormalizeID(r.Stat),
		Dest:      r.DestTerminalID,
		Submitted: reportTime(r.SubmitTime),
		Done:      reportTime(r.DoneTime),
	}
}

func reportTime(s string) time.Time { return protocol.ParseReportTime(s, chinaTime) }

// ErrNotReport is returned when a status report is asked of an MO DELIVER.
var ErrNotReport = errors.New("DELIVER is not a status report")

// Report decodes the status report the DELIVER carries. It returns
// ErrNotReport when Registered_Delivery is not 1.
func (p *Deliver) Report() (Report, error) {
	if !p.IsReport() {
		return Report{}, ErrNotReport
	}
	return ParseReport(p.Content)
}

// Receipt decodes the status report the DELIVER carries into the common
// form; errors as for Report.
func (p *Deliver) Receipt() (protocol.Receipt, error) {
	r, err := p.Report()
	if err != nil {
		return protocol.Receipt{}, err
	}
	return r.Receipt(), nil
}

// NewReportDeliver returns a DELIVER carrying r, addressed from
// r.DestTerminalID to the SP number destID, for a gateway to push. The outer
// Msg_Id is left 0 for the Conn to fill.
func NewReportDeliver(v Version, destID string, r Report) *Deliver {
	return &Deliver{
		Version:            v,
		DestID:             destID,
		SrcTerminalID:      r.DestTerminalID,
		RegisteredDelivery: 1,
		MsgFmt:             FmtASCII,
		Content:            r.AppendMarshal(nil),
	}
}
