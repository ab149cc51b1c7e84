package sgip

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"strings"
)

// CommandID is the CommandID field of the header.
type CommandID uint32

// Command ids [SGIP 1.2 §5.1]. A response is its request OR 0x80000000.
const (
	CmdBind        CommandID = 0x00000001 // SGIP_BIND
	CmdBindResp    CommandID = 0x80000001 // SGIP_BIND_RESP
	CmdUnbind      CommandID = 0x00000002 // SGIP_UNBIND
	CmdUnbindResp  CommandID = 0x80000002 // SGIP_UNBIND_RESP
	CmdSubmit      CommandID = 0x00000003 // SGIP_SUBMIT
	CmdSubmitResp  CommandID = 0x80000003 // SGIP_SUBMIT_RESP
	CmdDeliver     CommandID = 0x00000004 // SGIP_DELIVER
	CmdDeliverResp CommandID = 0x80000004 // SGIP_DELIVER_RESP
	CmdReport      CommandID = 0x00000005 // SGIP_REPORT
	CmdReportResp  CommandID = 0x80000005 // SGIP_REPORT_RESP
	CmdUserRpt     CommandID = 0x00000011 // SGIP_USERRPT (not decoded)
	CmdTrace       CommandID = 0x00001000 // SGIP_TRACE (not decoded)
	CmdTraceResp   CommandID = 0x80001000 // SGIP_TRACE_RESP (not decoded)
)

// String returns the spec's name of the command, or its hex value.
func (c CommandID) String() string {
	switch c {
	case CmdBind:
		return "SGIP_BIND"
	case CmdBindResp:
		return "SGIP_BIND_RESP"
	case CmdUnbind:
		return "SGIP_UNBIND"
	case CmdUnbindResp:
		return "SGIP_UNBIND_RESP"
	case CmdSubmit:
		return "SGIP_SUBMIT"
	case CmdSubmitResp:
		return "SGIP_SUBMIT_RESP"
	case CmdDeliver:
		return "SGIP_DELIVER"
	case CmdDeliverResp:
		return "SGIP_DELIVER_RESP"
	case CmdReport:
		return "SGIP_REPORT"
	case CmdReportResp:
		return "SGIP_REPORT_RESP"
	case CmdUserRpt:
		return "SGIP_USERRPT"
	case CmdTrace:
		return "SGIP_TRACE"
	case CmdTraceResp:
		return "SGIP_TRACE_RESP"
	}
	return fmt.Sprintf("command 0x%08x", uint32(c))
}

// Login types of Bind [SGIP 1.2 §4.2.3.1].
const (
	LoginSPToSMG  uint8 = 1  // SP dials SMG to submit
	LoginSMGToSP  uint8 = 2  // SMG dials SP to deliver MO and reports
	LoginSMGToSMG uint8 = 3  // between gateways
	LoginTest     uint8 = 11 // test link
)

// Result codes of the responses and Report.ErrorCode [SGIP 1.2 §5.2].
const (
	ResultOK            uint8 = 0  // accepted
	ResultIllegalLogin  uint8 = 1  // bad login name or password
	ResultRepeatedLogin uint8 = 2  // Bind twice on one link
	ResultTooManyConns  uint8 = 3  // too many connections for the node
	ResultBadLoginType  uint8 = 4  // LoginType wrong for this link
	ResultBadFormat     uint8 = 5  // parameter format or range error
	ResultBadNumber     uint8 = 6  // mobile number without "86" or invalid
	ResultBadMsgID      uint8 = 7  // message id error
	ResultBadLength     uint8 = 8  // message length error
	ResultBadSequence   uint8 = 9  // sequence number repeated or malformed
	ResultIllegalGNS    uint8 = 10 // illegal GNS operation
	ResultBusy          uint8 = 11 // node busy, queue full: the throttle answer
	ResultOverSpeed     uint8 = 88 // vendor "over speed" answer, also a throttle
)

// Report.State values [SGIP 1.2 §4.2.3.5].
const (
	StateDelivered uint8 = 0 // reached the handset
	StateWaiting   uint8 = 1 // not final yet
	StateFailed    uint8 = 2 // failed; ErrorCode says why
)

// Sizes.
const (
	HeaderLen       = 20
	MaxLength       = 2048 // the spec's cap on a whole frame
	MaxUsers        = 100  // the most UserNumbers in one Submit
	bindLen         = HeaderLen + 1 + 16 + 16 + 8
	respLen         = HeaderLen + 1 + 8
	reportLen       = HeaderLen + 12 + 1 + 21 + 1 + 1 + 8
	submitFixedLen  = HeaderLen + 21 + 21 + 1 + 5 + 10 + 1 + 6 + 6 + 1 + 1 + 1 + 16 + 16 + 1 + 1 + 1 + 1 + 1 + 4 + 8
	deliverFixedLen = HeaderLen + 21 + 21 + 1 + 1 + 1 + 4 + 8
	numberLen       = 21
)

// ErrMalformed is wrapped by every error about bytes that are not a valid
// SGIP frame. The spec's answer to one is to close the link and reconnect.
var ErrMalformed = errors.New("malformed SGIP frame")

// PDU is one decoded SGIP frame: *Bind, *BindResp, *Unbind, *UnbindResp,
// *Submit, *SubmitResp, *Deliver, *DeliverResp, *Report or *ReportResp.
type PDU interface {
	// Command returns the header's CommandID.
	Command() CommandID
	// Sequence returns the header's SequenceNumber.
	Sequence() Seq
	// AppendMarshal appends the whole frame, header included, to b.
	AppendMarshal(b []byte) []byte
	setSeq(Seq)
}

// Bind logs in [SGIP 1.2 §4.2.3.1]. The password travels in plain text.
type Bind struct {
	Seq           Seq
	LoginType     uint8
	LoginName     string // at most 16 bytes
	LoginPassword string // at most 16 bytes
}

// Resp is the body shared by Bind_Resp, Submit_Resp, Deliver_Resp and
// Report_Resp: a Result code (0 = OK).
type Resp struct {
	Seq    Seq
	Result uint8
}

// BindResp answers Bind.
type BindResp Resp

// SubmitResp answers Submit. Its Seq is the Submit's, so Seq.MsgID() is the
// id a later Report quotes.
type SubmitResp Resp

// DeliverResp answers Deliver.
type DeliverResp Resp

// ReportResp answers Report.
type ReportResp Resp

// Unbind ends a session; it has no body.
type Unbind struct{ Seq Seq }

// UnbindResp answers Unbind; it has no body.
type UnbindResp struct{ Seq Seq }

// Submit sends a message to one or more users (SP → SMG) [SGIP 1.2 §4.2.3.3].
// Text fields longer than their width are cut by AppendMarshal; Validate
// reports them instead.
type Submit struct {
	Seq              Seq
	SPNumber         string   // 21: the number shown to the user
	ChargeNumber     string   // 21: "" = the user pays; 21 × '0' = the SP pays
	UserNumbers      []string // 21 each, "86"-prefixed; 1 to MaxUsers
	CorpID           string   // 5
	ServiceType      string   // 10
	FeeType          uint8
	FeeValue         string // 6, in fen
	GivenValue       string // 6
	AgentFlag        uint8
	MorelatetoMTFlag uint8
	Priority         uint8
	ExpireTime       string // 16, "yymmddhhmmsstnnp" or ""
	ScheduleTime     string // 16
	ReportFlag       ReportFlag
	TPPID            uint8
	TPUDHI           uint8
	MessageCoding    uint8 // 0 ASCII, 4 binary, 8 UCS-2, 15 GBK
	MessageType      uint8 // 0 = SMS
	Content          []byte
}

// ReportFlag says when the SMG should send a Report for a Submit. Unlike the
// wire, where 0 ("only on error") is the spec's default, the zero value here
// is ReportAlways, so that a Submit built without thought asks for a receipt.
// AppendMarshal writes the wire value (Wire) and Parse reads it back.
type ReportFlag uint8

// Report flags.
const (
	ReportAlways  ReportFlag = 0 // wire 1: a Report for every message
	ReportOnError ReportFlag = 1 // wire 0: a Report only on failure
	ReportNever   ReportFlag = 2 // wire 2
	ReportMonthly ReportFlag = 3 // wire 3: only for monthly-fee messages
)

// Wire returns the byte written in the ReportFlag field.
func (f ReportFlag) Wire() uint8 {
	if f < 2 {
		return uint8(f) ^ 1
	}
	return uint8(f)
}

func reportFlagOf(wire uint8) ReportFlag {
	if wire < 2 {
		return ReportFlag(wire ^ 1)
	}
	return ReportFlag(wire)
}

// Deliver carries a mobile-originated message (SMG → SP) [SGIP 1.2 §4.2.3.4].
type Deliver struct {
	Seq           Seq
	UserNumber    string // 21: the sender
	SPNumber      string // 21: the number the user wrote to
	TPPID         uint8
	TPUDHI        uint8
	MessageCoding uint8
	Content       []byte
}

// Report is a status report for an earlier Submit (SMG → SP)
// [SGIP 1.2 §4.2.3.5]. SubmitSeq is that Submit's SequenceNumber.
type Report struct {
	Seq        Seq
	SubmitSeq  Seq
	ReportType uint8  // 0 = for a Submit, 1 = for a forwarded Deliver
	UserNumber string // 21
	State      uint8  // StateDelivered, StateWaiting or StateFailed
	ErrorCode  uint8
}

// Command returns CmdBind.
func (*Bind) Command() CommandID { return CmdBind }

// Command returns CmdBindResp.
func (*BindResp) Command() CommandID { return CmdBindResp }

// Command returns CmdUnbind.
func (*Unbind) Command() CommandID { return CmdUnbind }

// Command returns CmdUnbindResp.
func (*UnbindResp) Command() CommandID { return CmdUnbindResp }

// Command returns CmdSubmit.
func (*Submit) Command() CommandID { return CmdSubmit }

// Command returns CmdSubmitResp.
func (*SubmitResp) Command() CommandID { return CmdSubmitResp }

// Command returns CmdDeliver.
func (*Deliver) Command() CommandID { return CmdDeliver }

// Command returns CmdDeliverResp.
func (*DeliverResp) Command() CommandID { return CmdDeliverResp }

// Command returns CmdReport.
func (*Report) Command() CommandID { return CmdReport }

// Command returns CmdReportResp.
func (*ReportResp) Command() CommandID { return CmdReportResp }

// Sequence returns the header's SequenceNumber.
func (p *Bind) Sequence() Seq { return p.Seq }

// Sequence returns the header's SequenceNumber.
func (p *BindResp) Sequence() Seq { return p.Seq }

// Sequence returns the header's SequenceNumber.
func (p *Unbind) Sequence() Seq { return p.Seq }

// Sequence returns the header's SequenceNumber.
func (p *UnbindResp) Sequence() Seq { return p.Seq }

// Sequence returns the header's SequenceNumber.
func (p *Submit) Sequence() Seq { return p.Seq }

// Sequence returns the header's SequenceNumber.
func (p *SubmitResp) Sequence() Seq { return p.Seq }

// Sequence returns the header's SequenceNumber.
func (p *Deliver) Sequence() Seq { return p.Seq }

// Sequence returns the header's SequenceNumber.
func (p *DeliverResp) Sequence() Seq { return p.Seq }

// Sequence returns the header's SequenceNumber.
func (p *Report) Sequence() Seq { return p.Seq }

// Sequence returns the header's SequenceNumber.
func (p *ReportResp) Sequence() Seq { return p.Seq }

func (p *Bind) setSeq(s Seq)        { p.Seq = s }
func (p *BindResp) setSeq(s Seq)    { p.Seq = s }
func (p *Unbind) setSeq(s Seq)      { p.Seq = s }
func (p *UnbindResp) setSeq(s Seq)  { p.Seq = s }
func (p *Submit) setSeq(s Seq)      { p.Seq = s }
func (p *SubmitResp) setSeq(s Seq)  { p.Seq = s }
func (p *Deliver) setSeq(s Seq)     { p.Seq = s }
func (p *DeliverResp) setSeq(s Seq) { p.Seq = s }
func (p *Report) setSeq(s Seq)      { p.Seq = s }
func (p *ReportResp) setSeq(s Seq)  { p.Seq = s }

// MsgID returns the id a Report for this Submit will quote.
func (p *SubmitResp) MsgID() string { return p.Seq.MsgID() }

// Len returns the length of the frame AppendMarshal writes.
func (p *Submit) Len() int { return submitFixedLen + numberLen*len(p.UserNumbers) + len(p.Content) }

// Len returns the length of the frame AppendMarshal writes.
func (p *Deliver) Len() int { return deliverFixedLen + len(p.Content) }

// AppendMarshal appends the frame to b.
func (p *Bind) AppendMarshal(b []byte) []byte {
	b = appendHeader(b, bindLen, CmdBind, p.Seq)
	b = append(b, p.LoginType)
	b = appendText(b, p.LoginName, 16)
	b = appendText(b, p.LoginPassword, 16)
	return appendZeros(b, 8)
}

func appendResp(b []byte, cmd CommandID, seq Seq, result uint8) []byte {
	b = appendHeader(b, respLen, cmd, seq)
	b = append(b, result)
	return appendZeros(b, 8)
}

// AppendMarshal appends the frame to b.
func (p *BindResp) AppendMarshal(b []byte) []byte {
	return appendResp(b, CmdBindResp, p.Seq, p.Result)
}

// AppendMarshal appends the frame to b.
func (p *SubmitResp) AppendMarshal(b []byte) []byte {
	return appendResp(b, CmdSubmitResp, p.Seq, p.Result)
}

// AppendMarshal appends the frame to b.
func (p *DeliverResp) AppendMarshal(b []byte) []byte {
	return appendResp(b, CmdDeliverResp, p.Seq, p.Result)
}

// AppendMarshal appends the frame to b.
func (p *ReportResp) AppendMarshal(b []byte) []byte {
	return appendResp(b, CmdReportResp, p.Seq, p.Result)
}

// AppendMarshal appends the frame to b.
func (p *Unbind) AppendMarshal(b []byte) []byte { return appendHeader(b, HeaderLen, CmdUnbind, p.Seq) }

// AppendMarshal appends the frame to b.
func (p *UnbindResp) AppendMarshal(b []byte) []byte {
	return appendHeader(b, HeaderLen, CmdUnbindResp, p.Seq)
}

// AppendMarshal appends the frame to b. UserCount is len(UserNumbers) and
// MessageLength is len(Content); call Validate first to refuse what the
// frame cannot hold.
func (p *Submit) AppendMarshal(b []byte) []byte {
	b = appendHeader(b, p.Len(), CmdSubmit, p.Seq)
	b = appendText(b, p.SPNumber, 21)
	b = appendText(b, p.ChargeNumber, 21)
	b = append(b, uint8(len(p.UserNumbers)))
	for _, u := range p.UserNumbers {
		b = appendText(b, u, numberLen)
	}
	b = appendText(b, p.CorpID, 5)
	b = appendText(b, p.ServiceType, 10)
	b = append(b, p.FeeType)
	b = appendText(b, p.FeeValue, 6)
	b = appendText(b, p.GivenValue, 6)
	b = append(b, p.AgentFlag, p.MorelatetoMTFlag, p.Priority)
	b = appendText(b, p.ExpireTime, 16)
	b = appendText(b, p.ScheduleTime, 16)
	b = append(b, p.ReportFlag.Wire(), p.TPPID, p.TPUDHI, p.MessageCoding, p.MessageType)
	b = binary.BigEndian.AppendUint32(b, uint32(len(p.Content)))
	b = append(b, p.Content...)
	return appendZeros(b, 8)
}

// AppendMarshal appends the frame to b.
func (p *Deliver) AppendMarshal(b []byte) []byte {
	b = appendHeader(b, p.Len(), CmdDeliver, p.Seq)
	b = appendText(b, p.UserNumber, 21)
	b = appendText(b, p.SPNumber, 21)
	b = append(b, p.TPPID, p.TPUDHI, p.MessageCoding)
	b = binary.BigEndian.AppendUint32(b, uint32(len(p.Content)))
	b = append(b, p.Content...)
	return appendZeros(b, 8)
}

// AppendMarshal appends the frame to b.
func (p *Report) AppendMarshal(b []byte) []byte {
	b = appendHeader(b, reportLen, CmdReport, p.Seq)
	b = p.SubmitSeq.appendTo(b)
	b = append(b, p.ReportType)
	b = appendText(b, p.UserNumber, 21)
	b = append(b, p.State, p.ErrorCode)
	return appendZeros(b, 8)
}

// Validate reports what AppendMarshal could not write faithfully: a user
// count outside 1..MaxUsers, a text field longer than its width, or a frame
// longer than MaxLength.
func (p *Submit) Validate() error {
	if n := len(p.UserNumbers); n < 1 || n > MaxUsers {
		return fmt.Errorf("sgip submit: %d user numbers, want 1 to %d", n, MaxUsers)
	}
	if p.Len() > MaxLength {
		return fmt.Errorf("sgip submit: frame of %d bytes, over the maximum %d", p.Len(), MaxLength)
	}
	fields := []struct {
		name  string
		value string
		width int
	}{
		{"SPNumber", p.SPNumber, 21}, {"ChargeNumber", p.ChargeNumber, 21},
		{"CorpId", p.CorpID, 5}, {"ServiceType", p.ServiceType, 10},
		{"FeeValue", p.FeeValue, 6}, {"GivenValue", p.GivenValue, 6},
		{"ExpireTime", p.ExpireTime, 16}, {"ScheduleTime", p.ScheduleTime, 16},
	}
	for _, f := range fields {
		if len(f.value) > f.width {
			return fmt.Errorf("sgip submit: %s %q longer than %d bytes", f.name, f.value, f.width)
		}
	}
	for i, u := range p.UserNumbers {
		if len(u) > numberLen {
			return fmt.Errorf("sgip submit: UserNumber[%d] %q longer than %d bytes", i, u, numberLen)
		}
	}
	return nil
}

// Validate reports a text field longer than its width or a frame longer
// than MaxLength.
func (p *Deliver) Validate() error {
	if p.Len() > MaxLength {
		return fmt.Errorf("sgip deliver: frame of %d bytes, over the maximum %d", p.Len(), MaxLength)
	}
	if len(p.UserNumber) > 21 || len(p.SPNumber) > 21 {
		return fmt.Errorf("sgip deliver: UserNumber %q or SPNumber %q longer than 21 bytes", p.UserNumber, p.SPNumber)
	}
	return nil
}

// Validate reports a UserNumber longer than its width.
func (p *Report) Validate() error {
	if len(p.UserNumber) > 21 {
		return fmt.Errorf("sgip report: UserNumber %q longer than 21 bytes", p.UserNumber)
	}
	return nil
}

// Validate reports a LoginName or LoginPassword longer than 16 bytes.
func (p *Bind) Validate() error {
	if len(p.LoginName) > 16 || len(p.LoginPassword) > 16 {
		return fmt.Errorf("sgip bind: login name %q or password longer than 16 bytes", p.LoginName)
	}
	return nil
}

func appendHeader(b []byte, length int, cmd CommandID, seq Seq) []byte {
	b = binary.BigEndian.AppendUint32(b, uint32(length))
	b = binary.BigEndian.AppendUint32(b, uint32(cmd))
	return seq.appendTo(b)
}

// appendText writes s left-aligned in width bytes, padded with 0x00 and cut
// if longer.
func appendText(b []byte, s string, width int) []byte {
	if len(s) > width {
		s = s[:width]
	}
	b = append(b, s...)
	return appendZeros(b, width-len(s))
}

var zeros [32]byte

func appendZeros(b []byte, n int) []byte { return append(b, zeros[:n]...) }

// Parse decodes one whole frame, header included. Content fields alias b.
// It returns an error wrapping ErrMalformed when the length field disagrees
// with len(b), when a body has the wrong length for its command, or when the
// command is not one this package decodes.
func Parse(b []byte) (PDU, error) {
	if len(b) < HeaderLen {
		return nil, parseErr(b, 0, "header", "frame of %d bytes, shorter than the %d-byte header", len(b), HeaderLen)
	}
	n := binary.BigEndian.Uint32(b)
	if int64(n) != int64(len(b)) {
		return nil, parseErr(b, 0, "header", "MessageLength %d, frame has %d bytes", n, len(b))
	}
	if n > MaxLength {
		return nil, parseErr(b, 0, "header", "MessageLength %d over the maximum %d", n, MaxLength)
	}
	cmd := CommandID(binary.BigEndian.Uint32(b[4:]))
	seq := seqAt(b[8:])
	body := b[HeaderLen:]
	want := func(l int) error {
		if len(b) != l {
			return parseErr(b, 0, cmd.String(), "length %d, want %d", len(b), l)
		}
		return nil
	}
	switch cmd {
	case CmdBind:
		if err := want(bindLen); err != nil {
			return nil, err
		}
		s := string(body[1:33])
		return &Bind{Seq: seq, LoginType: body[0], LoginName: text(s[:16]), LoginPassword: text(s[16:32])}, nil
	case CmdBindResp, CmdSubmitResp, CmdDeliverResp, CmdReportResp:
		if err := want(respLen); err != nil {
			return nil, err
		}
		r := Resp{Seq: seq, Result: body[0]}
		switch cmd {
		case CmdBindResp:
			return (*BindResp)(&r), nil
		case CmdSubmitResp:
			return (*SubmitResp)(&r), nil
		case CmdDeliverResp:
			return (*DeliverResp)(&r), nil
		default:
			return (*ReportResp)(&r), nil
		}
	case CmdUnbind:
		if err := want(HeaderLen); err != nil {
			return nil, err
		}
		return &Unbind{Seq: seq}, nil
	case CmdUnbindResp:
		if err := want(HeaderLen); err != nil {
			return nil, err
		}
		return &UnbindResp{Seq: seq}, nil
	case CmdSubmit:
		return parseSubmit(b, seq)
	case CmdDeliver:
		return parseDeliver(b, seq)
	case CmdReport:
		if err := want(reportLen); err != nil {
			return nil, err
		}
		return &Report{
			Seq:        seq,
			SubmitSeq:  seqAt(body),
			ReportType: body[12],
			UserNumber: text(string(body[13:34])),
			State:      body[34],
			ErrorCode:  body[35],
		}, nil
	}
	return nil, parseErr(b, 4, "header", "%s not supported", cmd)
}

func parseSubmit(b []byte, seq Seq) (PDU, error) {
	const countAt = HeaderLen + 21 + 21
	if len(b) < submitFixedLen {
		return nil, parseErr(b, 0, "SGIP_SUBMIT", "length %d, shorter than the %d fixed bytes", len(b), submitFixedLen)
	}
	users := int(b[countAt])
	if users < 1 || users > MaxUsers {
		return nil, parseErr(b, countAt, "SGIP_SUBMIT", "UserCount %d, want 1 to %d", users, MaxUsers)
	}
	if len(b) < submitFixedLen+users*numberLen {
		return nil, parseErr(b, countAt, "SGIP_SUBMIT", "length %d too short for %d user numbers", len(b), users)
	}
	// One string holds every text field; the fields are its substrings.
	s := string(b[HeaderLen : countAt+1+users*numberLen+5+10+1+6+6+3+32])
	p := &Submit{Seq: seq}
	p.SPNumber = text(s[0:21])
	p.ChargeNumber = text(s[21:42])
	p.UserNumbers = make([]string, users)
	o := 43
	for i := range p.UserNumbers {
		p.UserNumbers[i] = text(s[o : o+numberLen])
		o += numberLen
	}
	p.CorpID = text(s[o : o+5])
	p.ServiceType = text(s[o+5 : o+15])
	p.FeeType = s[o+15]
	p.FeeValue = text(s[o+16 : o+22])
	p.GivenValue = text(s[o+22 : o+28])
	p.AgentFlag, p.MorelatetoMTFlag, p.Priority = s[o+28], s[o+29], s[o+30]
	p.ExpireTime = text(s[o+31 : o+47])
	p.ScheduleTime = text(s[o+47 : o+63])
	o += HeaderLen + 63
	p.ReportFlag = reportFlagOf(b[o])
	p.TPPID, p.TPUDHI, p.MessageCoding, p.MessageType = b[o+1], b[o+2], b[o+3], b[o+4]
	l := binary.BigEndian.Uint32(b[o+5:])
	o += 9
	if int64(len(b)) != int64(o)+int64(l)+8 {
		return nil, parseErr(b, o-4, "SGIP_SUBMIT", "MessageLength %d disagrees with frame length %d", l, len(b))
	}
	p.Content = b[o : o+int(l) : o+int(l)]
	return p, nil
}

func parseDeliver(b []byte, seq Seq) (PDU, error) {
	if len(b) < deliverFixedLen {
		return nil, parseErr(b, 0, "SGIP_DELIVER", "length %d, shorter than the %d fixed bytes", len(b), deliverFixedLen)
	}
	const o = HeaderLen + 21 + 21 + 3
	l := binary.BigEndian.Uint32(b[o:])
	if int64(len(b)) != int64(deliverFixedLen)+int64(l) {
		return nil, parseErr(b, o, "SGIP_DELIVER", "MessageLength %d disagrees with frame length %d", l, len(b))
	}
	s := string(b[HeaderLen : HeaderLen+42])
	return &Deliver{
		Seq:           seq,
		UserNumber:    text(s[:21]),
		SPNumber:      text(s[21:42]),
		TPPID:         b[o-3],
		TPUDHI:        b[o-2],
		MessageCoding: b[o-1],
		Content:       b[o+4 : o+4+int(l) : o+4+int(l)],
	}, nil
}

// text decodes a fixed-width text field: cut at the first NUL, spaces trimmed.
func text(s string) string {
	if i := strings.IndexByte(s, 0); i >= 0 {
		s = s[:i]
	}
	return strings.TrimSpace(s)
}

// parseErr names the command (or header) being decoded and quotes the bytes
// around offset in hex.
func parseErr(b []byte, offset int, state, format string, args ...any) error {
	return fmt.Errorf("sgip: parse %s: %s at offset %d [% x]: %w", state, fmt.Sprintf(format, args...), offset, snippet(b, offset), ErrMalformed)
}

func snippet(b []byte, offset int) []byte {
	lo := max(0, min(offset, len(b))-4)
	hi := min(len(b), lo+16)
	return b[lo:hi]
}

// ReadFrame reads one whole frame from r. It checks the length field against
// [HeaderLen, MaxLength] before allocating, and returns an error wrapping
// ErrMalformed if it is out of range, or the reader's error (io.EOF before
// the first byte, io.ErrUnexpectedEOF inside a frame).
func ReadFrame(r io.Reader) ([]byte, error) {
	var h [4]byte
	if _, err := io.ReadFull(r, h[:]); err != nil {
		return nil, err
	}
	n := binary.BigEndian.Uint32(h[:])
	if n < HeaderLen || n > MaxLength {
		return nil, parseErr(h[:], 0, "header", "MessageLength %d outside [%d, %d]", n, HeaderLen, MaxLength)
	}
	b := make([]byte, n)
	copy(b, h[:])
	if _, err := io.ReadFull(r, b[4:]); err != nil {
		if err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		return nil, err
	}
	return b, nil
}

// ReadPDU reads and decodes one frame from r (see ReadFrame and Parse).
func ReadPDU(r io.Reader) (PDU, error) {
	b, err := ReadFrame(r)
	if err != nil {
		return nil, err
	}
	return Parse(b)
}
