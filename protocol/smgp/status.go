package smgp

import (
	"errors"
	"fmt"

	"taxsms/protocol"
)

// Status is the Status field of Login_Resp, Submit_Resp and Deliver_Resp
// [spec §6.2.6].
type Status uint32

// Status codes [spec §6.2.6]. 128–255 are vendor-defined.
const (
	StatusOK                 Status = 0  // success
	StatusBusy               Status = 1  // system busy
	StatusTooManyConnections Status = 2  // too many connections
	StatusBadStructure       Status = 10 // bad message structure
	StatusBadCommand         Status = 11 // bad command word
	StatusDuplicateSequence  Status = 12 // duplicate sequence number
	StatusBadIP              Status = 20 // bad IP address
	StatusAuthFailed         Status = 21 // authentication error
	StatusVersionTooHigh     Status = 22 // version too high
	StatusBadMsgType         Status = 30 // invalid MsgType
	StatusBadPriority        Status = 31 // invalid Priority
	StatusBadFeeType         Status = 32 // invalid FeeType
	StatusBadFeeCode         Status = 33 // invalid FeeCode
	StatusBadMsgFormat       Status = 34 // invalid MsgFormat
	StatusBadTime            Status = 35 // invalid time format
	StatusBadMsgLength       Status = 36 // invalid MsgLength
	StatusExpired            Status = 37 // validity expired
	StatusBadDestTermID      Status = 47 // invalid DestTermID
	StatusBadChargeTermID    Status = 48 // invalid ChargeTermID
	StatusBadSPCode          Status = 49 // invalid SP code
	StatusForbiddenPeriod    Status = 74 // SP may not send in this time period
	StatusDailyLimit         Status = 75 // SP exceeded its daily volume
	StatusAccountExpired     Status = 76 // SP account expired
)

var statusNames = map[Status]string{
	StatusOK: "OK", StatusBusy: "system busy", StatusTooManyConnections: "too many connections",
	StatusBadStructure: "bad structure", StatusBadCommand: "bad command", StatusDuplicateSequence: "duplicate sequence",
	StatusBadIP: "bad IP address", StatusAuthFailed: "authentication failed", StatusVersionTooHigh: "version too high",
	StatusBadMsgType: "invalid MsgType", StatusBadPriority: "invalid Priority", StatusBadFeeType: "invalid FeeType",
	StatusBadFeeCode: "invalid FeeCode", StatusBadMsgFormat: "invalid MsgFormat", StatusBadTime: "invalid time format",
	StatusBadMsgLength: "invalid MsgLength", StatusExpired: "validity expired", StatusBadDestTermID: "invalid DestTermID",
	StatusBadChargeTermID: "invalid ChargeTermID", StatusBadSPCode: "invalid SP code",
	StatusForbiddenPeriod: "sending not allowed in this period", StatusDailyLimit: "daily volume exceeded",
	StatusAccountExpired: "account expired",
}

// String returns the code and its meaning, e.g. "1 (system busy)".
func (s Status) String() string {
	if n, ok := statusNames[s]; ok {
		return fmt.Sprintf("%d (%s)", uint32(s), n)
	}
	return fmt.Sprintf("%d", uint32(s))
}

// Throttled reports whether s asks the sender to slow down rather than
// reporting a failure: system busy (1), forbidden period (74) and daily
// volume exceeded (75).
func (s Status) Throttled() bool {
	return s == StatusBusy || s == StatusForbiddenPeriod || s == StatusDailyLimit
}

// ErrTooManyConnections is matched (errors.Is) by a Login answered with
// status 2: the account has all the connections it may open.
var ErrTooManyConnections = errors.New("too many connections")

// StatusError is a response whose Status is not OK.
//
// errors.Is(err, protocol.ErrThrottled) holds for the throttle codes (see
// Status.Throttled), errors.Is(err, ErrTooManyConnections) for status 2, and
// errors.Is(err, protocol.ErrAuth) for every other refused Login.
type StatusError struct {
	Command Command // the response that carried the status
	Status  Status
}

// Error names the response and its status.
func (e *StatusError) Error() string {
	return fmt.Sprintf("smgp: %v status %v", e.Command, e.Status)
}

// Is implements the matches described on StatusError.
func (e *StatusError) Is(target error) bool {
	switch target {
	case protocol.ErrThrottled:
		return e.Status.Throttled()
	case ErrTooManyConnections:
		return e.Status == StatusTooManyConnections
	case protocol.ErrAuth:
		return e.Command == CmdLoginResp && !e.Status.Throttled() && e.Status != StatusTooManyConnections
	}
	return false
}
