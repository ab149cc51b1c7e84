package cmpp

import (
	"crypto/md5"
	"fmt"
	"strconv"
	"time"

	"taxsms/protocol"
)

// Timestamp returns t's month, day and time as the number MMDDHHMMSS, the
// CONNECT Timestamp.
func Timestamp(t time.Time) uint32 {
	return uint32(t.Month())*100000000 + uint32(t.Day())*1000000 +
		uint32(t.Hour())*10000 + uint32(t.Minute())*100 + uint32(t.Second())
}

// AuthenticatorSource returns MD5(Source_Addr + 9 zero bytes + secret +
// timestamp), the timestamp written as ten decimal digits with leading zeros.
// With pad, sourceAddr enters the hash zero-padded to its 6-byte field, as on
// the wire; without it, as given. The two agree for 6-character SP ids.
func AuthenticatorSource(sourceAddr, secret string, timestamp uint32, pad bool) [16]byte {
	b := make([]byte, 0, 6+9+len(secret)+10)
	if pad {
		b = appendFixed(b, sourceAddr, 6)
	} else {
		b = append(b, sourceAddr...)
	}
	b = append(b, make([]byte, 9)...)
	b = append(b, secret...)
	b = fmt.Appendf(b, "%010d", timestamp)
	return md5.Sum(b)
}

// AuthenticatorISMG returns MD5(Status + AuthenticatorSource + secret), the
// status written as one byte when v is below V30 and as four bytes
// big-endian from V30 on.
func AuthenticatorISMG(v Version, status uint32, authSource [16]byte, secret string) [16]byte {
	b := make([]byte, 0, 4+16+len(secret))
	b = appendStatus(b, v, status)
	b = append(b, authSource[:]...)
	b = append(b, secret...)
	return md5.Sum(b)
}

// Login status codes of CONNECT_RESP.
const (
	StatusOK             uint32 = 0 // success
	StatusBadStructure   uint32 = 1 // bad message structure
	StatusBadSource      uint32 = 2 // illegal source address
	StatusAuthFailed     uint32 = 3 // authentication failed
	StatusVersionTooHigh uint32 = 4 // version too high
	StatusOther          uint32 = 5 // other error (5 and above)
)

// Result codes of SUBMIT_RESP and DELIVER_RESP.
const (
	ResultOK           uint32 = 0  // success
	ResultBadStructure uint32 = 1  // bad message structure
	ResultBadCommand   uint32 = 2  // bad command word
	ResultDuplicateSeq uint32 = 3  // duplicate sequence number
	ResultBadLength    uint32 = 4  // bad message length
	ResultBadFeeCode   uint32 = 5  // bad fee code
	ResultTooLong      uint32 = 6  // over the maximum message length
	ResultBadServiceID uint32 = 7  // bad service code
	ResultThrottled    uint32 = 8  // flow control error
	ResultOther        uint32 = 9  // 2.0: other error; 3.0 SUBMIT: charged number not served
	ResultBadSrcID     uint32 = 10 // bad Src_Id (3.0)
	ResultBadMsgSrc    uint32 = 11 // bad Msg_src (3.0)
	ResultBadFeeTerm   uint32 = 12 // bad Fee_terminal_Id (3.0)
	ResultBadDestTerm  uint32 = 13 // bad Dest_terminal_Id (3.0)
)

var statusText = [...]string{
	"success", "bad message structure", "illegal source address",
	"authentication failed", "version too high",
}

var resultText = [...]string{
	"success", "bad message structure", "bad command word", "duplicate sequence number",
	"bad message length", "bad fee code", "over the maximum message length",
	"bad service code", "flow control error", "other error", "bad Src_Id",
	"bad Msg_src", "bad Fee_terminal_Id", "bad Dest_terminal_Id",
}

// ResultError is a non-zero Status of CONNECT_RESP or Result of
// SUBMIT_RESP or DELIVER_RESP. It matches protocol.ErrAuth with errors.Is
// when it answers a login, and protocol.ErrThrottled when the Result is 8.
type ResultError struct {
	Command CommandID // the response that carried the code
	Code    uint32
}

// Error names the response, the code and its meaning.
func (e *ResultError) Error() string {
	var text string
	switch {
	case e.Command == CmdConnectResp && e.Code < uint32(len(statusText)):
		text = statusText[e.Code]
	case e.Command == CmdConnectResp:
		text = "other error"
	case e.Code < uint32(len(resultText)):
		text = resultText[e.Code]
	default:
		text = "gateway-specific error"
	}
	return e.Command.String() + " " + strconv.FormatUint(uint64(e.Code), 10) + " (" + text + ")"
}

// Is makes errors.Is(err, protocol.ErrAuth) and
// errors.Is(err, protocol.ErrThrottled) hold when they should.
func (e *ResultError) Is(target error) bool {
	switch target {
	case protocol.ErrAuth:
		return e.Command == CmdConnectResp
	case protocol.ErrThrottled:
		return e.Command != CmdConnectResp && e.Code == ResultThrottled
	}
	return false
}
