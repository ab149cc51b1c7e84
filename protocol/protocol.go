// Package protocol holds what the carrier protocols share: the common form of a
// delivery receipt, carrier message ids normalised for matching, and the errors
// a session reports to its user.
//
// The protocol packages (cmpp, sgip, smgp, smpp) know nothing of the store or of
// the domain; they speak in these types and their own PDUs.
package protocol

import (
	"errors"
	"strings"
	"time"
)

// Receipt is a delivery status report in the form shared by all protocols.
type Receipt struct {
	// MsgID is the carrier's id of the submitted segment, normalised by NormalizeID.
	MsgID string
	// Stat is the final status word as the carrier wrote it (DELIVRD, UNDELIV,
	// EXPIRED, REJECTD, ...), upper case. SGIP, which reports a number, is
	// mapped to DELIVRD/UNDELIV.
	Stat string
	// Err is the carrier's error code as text, "000" or "" when none.
	Err string
	// Dest is the number the segment was sent to, as the carrier wrote it.
	Dest string
	// Submitted and Done are the carrier's submit and done times; zero when absent.
	Submitted, Done time.Time
}

// Delivered reports whether the receipt says the segment reached the handset.
func (r Receipt) Delivered() bool { return r.Stat == "DELIVRD" || r.Stat == "DELIVERED" }

// NormalizeID returns the form of a carrier message id used to match receipts
// to submits: surrounding spaces and NULs removed, upper case. Protocols whose
// ids are numbers or bytes format them before calling it (hex for CMPP and
// SMGP, decimal sequence triplets for SGIP).
func NormalizeID(id string) string {
	return strings.ToUpper(strings.Trim(id, " \x00"))
}

// ParseReportTime reads the submit or done time of a status report, written
// YYMMDDhhmm, YYMMDDhhmmss or YYYYMMDDhhmmss in loc (the forms the CMPP,
// SMGP and SMPP reports use). Any other length, or digits that do not make a
// time, give the zero Time: a report is still worth its status without its
// dates.
func ParseReportTime(s string, loc *time.Location) time.Time {
	var layout string
	switch len(s) {
	case 10:
		layout = "0601021504"
	case 12:
		layout = "060102150405"
	case 14:
		layout = "20060102150405"
	default:
		return time.Time{}
	}
	t, err := time.ParseInLocation(layout, s, loc)
	if err != nil {
		return time.Time{}
	}
	return t
}

// Errors a session returns. Callers test them with errors.Is.
var (
	// ErrThrottled means the carrier asked us to slow down (CMPP result 8,
	// SMPP 0x58/0x14, SGIP/SMGP busy codes): retry later, the message did not fail.
	ErrThrottled = errors.New("carrier throttled the request")
	// ErrTimeout means no response arrived after every resend.
	ErrTimeout = errors.New("no response from carrier")
	// ErrClosed means the session is closed or closing.
	ErrClosed = errors.New("session closed")
	// ErrAuth means the login was refused.
	ErrAuth = errors.New("login refused")
)
