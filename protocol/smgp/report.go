package smgp

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"taxsms/protocol"
)

// ReportLen is the length of a status report written by AppendMarshal.
const ReportLen = 122

// chinaTime is the zone of the dates in reports (UTC+8, no daylight saving).
var chinaTime = time.FixedZone("CST", 8*60*60)

// Report is the status report carried in the MsgContent of a Deliver with
// IsReport set [spec §6.2.63].
type Report struct {
	// MsgID is the id the gateway gave the reported message in Submit_Resp.
	MsgID      MsgID
	Sub        string // messages submitted, "001"
	Dlvrd      string // messages delivered, "001" or "000"
	SubmitDate string // YYMMDDHHMM, China time
	DoneDate   string // YYMMDDHHMM, China time
	Stat       string // DELIVRD, EXPIRED, DELETED, UNDELIV, ACCEPTD, UNKNOWN, REJECTD or a vendor word
	Err        string // "000" for success; see the spec's table
	Text       string // raw bytes: 3 ASCII digits of length, then up to 17 bytes of the message
}

// NewReport returns a report of the message id with the usual sub and dlvrd
// ("001", and "000" unless stat is DELIVRD) and dates formatted in China time.
func NewReport(id MsgID, stat, errCode string, submitted, done time.Time) Report {
	dlvrd := "000"
	if stat == "DELIVRD" {
		dlvrd = "001"
	}
	return Report{
		MsgID: id, Sub: "001", Dlvrd: dlvrd,
		SubmitDate: submitted.In(chinaTime).Format("0601021504"),
		DoneDate:   done.In(chinaTime).Format("0601021504"),
		Stat:       stat, Err: errCode,
	}
}

// AppendMarshal appends the 122-byte report text to b: fields in the spec's
// order with lower-case labels, values NUL-padded (or cut) to their widths.
func (r *Report) AppendMarshal(b []byte) []byte {
	b = append(b, "id:"...)
	b = append(b, r.MsgID[:]...)
	b = appendStr(append(b, " sub:"...), r.Sub, 3)
	b = appendStr(append(b, " dlvrd:"...), r.Dlvrd, 3)
	b = appendStr(append(b, " submit date:"...), r.SubmitDate, 10)
	b = appendStr(append(b, " done date:"...), r.DoneDate, 10)
	b = appendStr(append(b, " stat:"...), r.Stat, 7)
	b = appendStr(append(b, " err:"...), r.Err, 3)
	b = appendStr(append(b, " text:"...), r.Text, 20)
	return b
}

// ErrNotReport is returned by Deliver.Report for a Deliver without IsReport.
var ErrNotReport = errors.New("smgp: Deliver is not a status report")

// reportFields are the labelled fields after the id, in the spec's order,
// with their widths. Labels match without regard to case, with '_' for ' '.
var reportFields = [...]struct {
	label string
	width int
}{
	{"sub:", 3}, {"dlvrd:", 3}, {"submit date:", 10}, {"done date:", 10}, {"stat:", 7}, {"err:", 3},
}

// ParseReport reads a status report text. The id is the 10 raw bytes after
// "id:"; the other fields are found by their labels (any case, '_' or ' '
// inside, any one-byte separator, "text:" or "txt:"), each read over at most
// its spec width and cut at a NUL or a space, so the fixed-width spec form and
// the shorter variants seen in the wild both parse. It returns an error when
// b does not start with "id:" and 10 bytes, or has no stat.
func ParseReport(b []byte) (Report, error) {
	var r Report
	if len(b) < 13 || indexFold(b[:3], "id:", 0) != 0 {
		return r, fmt.Errorf("smgp: status report: no \"id:\" and 10 bytes at the start (bytes %s)", snippet(b, 0))
	}
	copy(r.MsgID[:], b[3:13])
	dst := [...]*string{&r.Sub, &r.Dlvrd, &r.SubmitDate, &r.DoneDate, &r.Stat, &r.Err}
	pos := 13
	for i, f := range reportFields {
		at := indexFold(b, f.label, pos)
		if at < 0 {
			at = indexFold(b, f.label, 13) // out of order
		}
		if at < 0 {
			continue
		}
		start := at + len(f.label)
		v := b[start:min(start+f.width, len(b))]
		for j, c := range v {
			if c == 0 || c == ' ' {
				v = v[:j]
				break
			}
		}
		*dst[i] = string(v)
		pos = start + len(v)
	}
	if r.Stat == "" {
		return r, fmt.Errorf("smgp: status report %s: no stat (bytes %s)", r.MsgID, snippet(b, 13))
	}
	at, label := indexFold(b, "text:", pos), "text:"
	if at < 0 {
		at, label = indexFold(b, "txt:", pos), "txt:"
	}
	if at >= 0 {
		start := at + len(label)
		v := b[start:min(start+20, len(b))]
		for len(v) > 0 && v[len(v)-1] == 0 {
			v = v[:len(v)-1]
		}
		r.Text = string(v)
	}
	return r, nil
}

// indexFold returns the index of label in b at or after from, comparing
// letters without case and '_' as ' ', or -1. label is lower case.
func indexFold(b []byte, label string, from int) int {
	for i := from; i+len(label) <= len(b); i++ {
		j := 0
		for ; j < len(label); j++ {
			c := b[i+j]
			if 'A' <= c && c <= 'Z' {
				c += 'a' - 'A'
			} else if c == '_' {
				c = ' '
			}
			if c != label[j] {
				break
			}
		}
		if j == len(label) {
			return i
		}
	}
	return -1
}

// Receipt returns r in the common form; dest is the handset number (the
// Deliver's SrcTermID). Dates that do not parse as YYMMDDHHMM (or
// YYMMDDHHMMSS, YYYYMMDDHHMMSS) in China time are left zero.
func (r *Report) Receipt(dest string) protocol.Receipt {
	return protocol.Receipt{
		MsgID:     r.MsgID.Normalized(),
		Stat:      strings.ToUpper(strings.TrimSpace(r.Stat)),
		Err:       strings.TrimSpace(r.Err),
		Dest:      dest,
		Submitted: reportTime(r.SubmitDate),
		Done:      reportTime(r.DoneDate),
	}
}

func reportTime(s string) time.Time { return protocol.ParseReportTime(s, chinaTime) }

// Report parses the status report in d's content. It returns ErrNotReport
// when d is an MO message.
func (d *Deliver) Report() (Report, error) {
	if !d.IsReport {
		return Report{}, ErrNotReport
	}
	return ParseReport(d.MsgContent)
}

// Receipt returns d's status report in the common form, matched to the
// submit by MsgID. It returns ErrNotReport for an MO message and an error
// from ParseReport for a malformed report.
func (d *Deliver) Receipt() (protocol.Receipt, error) {
	r, err := d.Report()
	if err != nil {
		return protocol.Receipt{}, err
	}
	return r.Receipt(d.SrcTermID), nil
}
