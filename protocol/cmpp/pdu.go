package cmpp

import (
	"encoding/binary"
	"fmt"
)

// Connect is CMPP_CONNECT, the SP's login. Its layout is the same in 2.0 and
// 3.0.
type Connect struct {
	Seq uint32
	// SourceAddr is Source_Addr, the SP's enterprise code (6 bytes).
	SourceAddr string
	// AuthenticatorSource is MD5(Source_Addr + 9 zero bytes + secret +
	// timestamp); see AuthenticatorSource.
	AuthenticatorSource [16]byte
	// Version is the highest version the SP speaks.
	Version Version
	// Timestamp is MMDDHHMMSS as a number; see Timestamp.
	Timestamp uint32
}

const connectLen = HeaderLen + 6 + 16 + 1 + 4

// Command returns CmdConnect.
func (p *Connect) Command() CommandID { return CmdConnect }

// Sequence returns the Sequence_Id.
func (p *Connect) Sequence() uint32       { return p.Seq }
func (p *Connect) setSequence(seq uint32) { p.Seq = seq }

// AppendMarshal appends the 39-byte frame to b.
func (p *Connect) AppendMarshal(b []byte) []byte {
	b = appendHeader(b, connectLen, CmdConnect, p.Seq)
	b = appendFixed(b, p.SourceAddr, 6)
	b = append(b, p.AuthenticatorSource[:]...)
	b = append(b, byte(p.Version))
	return binary.BigEndian.AppendUint32(b, p.Timestamp)
}

func (p *Connect) parse(b []byte) error {
	if len(b) != connectLen {
		return malformed(CmdConnect, b, 0, "length %d, want %d", len(b), connectLen)
	}
	r := reader{b: b, off: HeaderLen + 6}
	p.Seq = binary.BigEndian.Uint32(b[8:])
	p.SourceAddr = fixed(string(b[HeaderLen : HeaderLen+6]))
	copy(p.AuthenticatorSource[:], b[r.off:])
	r.off += 16
	p.Version = Version(r.u8())
	p.Timestamp = r.u32()
	return nil
}

// ConnectResp is CMPP_CONNECT_RESP, the gateway's answer to a login.
type ConnectResp struct {
	Seq uint32
	// Status is 0 for success; 1 bad structure, 2 illegal source address,
	// 3 authentication failed, 4 version too high, 5 and above other errors.
	// It is one byte in 2.0 and four in 3.0.
	Status uint32
	// AuthenticatorISMG is MD5(Status + AuthenticatorSource + secret), zero
	// when the login failed; see AuthenticatorISMG.
	AuthenticatorISMG [16]byte
	// Version is the gateway's highest version.
	Version Version
	// Layout selects the form written: below V30 the 30-byte 2.0 form, else
	// the 33-byte 3.0 form; 0 means as Version says. Parse sets it (V20 or
	// V30) from the frame's length, since a 3.0 gateway may answer a 2.0
	// login with Version 0x30 in the 2.0 layout.
	Layout Version
}

func (p *ConnectResp) layout() Version {
	if p.Layout != 0 {
		return p.Layout
	}
	return p.Version
}

const (
	connectResp2Len = HeaderLen + 1 + 16 + 1
	connectResp3Len = HeaderLen + 4 + 16 + 1
)

// Command returns CmdConnectResp.
func (p *ConnectResp) Command() CommandID { return CmdConnectResp }

// Sequence returns the Sequence_Id.
func (p *ConnectResp) Sequence() uint32       { return p.Seq }
func (p *ConnectResp) setSequence(seq uint32) { p.Seq = seq }

// AppendMarshal appends the 30-byte (2.0) or 33-byte (3.0) frame to b.
func (p *ConnectResp) AppendMarshal(b []byte) []byte {
	n := connectResp2Len
	if p.layout().Is3() {
		n = connectResp3Len
	}
	b = appendHeader(b, n, CmdConnectResp, p.Seq)
	b = appendStatus(b, p.layout(), p.Status)
	b = append(b, p.AuthenticatorISMG[:]...)
	return append(b, byte(p.Version))
}

func (p *ConnectResp) parse(b []byte) error {
	r := reader{b: b, off: HeaderLen}
	p.Seq = binary.BigEndian.Uint32(b[8:])
	switch len(b) {
	case connectResp2Len:
		p.Layout, p.Status = V20, uint32(r.u8())
	case connectResp3Len:
		p.Layout, p.Status = V30, r.u32()
	default:
		return malformed(CmdConnectResp, b, 0, "length %d, want %d or %d", len(b), connectResp2Len, connectResp3Len)
	}
	copy(p.AuthenticatorISMG[:], b[r.off:])
	r.off += 16
	p.Version = Version(r.u8())
	return nil
}

// Submit is CMPP_SUBMIT, a message from the SP to the gateway. Text fields
// longer than their width are cut by AppendMarshal; Validate reports them.
type Submit struct {
	// Version selects the layout: 2.0 below V30, 3.0 from V30 on. A Conn
	// sets it to the session's version.
	Version Version
	Seq     uint32
	// MsgID is Msg_Id; the SP sends 0.
	MsgID MsgID
	// PkTotal and PkNumber are Pk_total and Pk_number, from 1.
	PkTotal, PkNumber uint8
	// RegisteredDelivery is 1 to ask for a status report.
	RegisteredDelivery uint8
	MsgLevel           uint8
	ServiceID          string // Service_Id, 10 bytes
	// FeeUserType is Fee_UserType: 0 destination, 1 source, 2 SP,
	// 3 FeeTerminalID.
	FeeUserType     uint8
	FeeTerminalID   string // Fee_terminal_Id, 21 bytes (2.0) or 32 (3.0)
	FeeTerminalType uint8  // Fee_terminal_type, 3.0 only
	TPPID           uint8  // TP_pId
	// TPUDHI is TP_udhi; non-zero means Content starts with a UDH.
	TPUDHI uint8
	// MsgFmt is Msg_Fmt: FmtASCII, FmtUCS2, FmtGB, FmtBinary or another
	// data coding value.
	MsgFmt    uint8
	MsgSrc    string // Msg_src, the SP id, 6 bytes
	FeeType   string // FeeType, 2 bytes: "01" free … "05"
	FeeCode   string // FeeCode in fen, 6 bytes
	ValidTime string // ValId_Time, 17 bytes, may be empty
	AtTime    string // At_Time, 17 bytes, may be empty
	SrcID     string // Src_Id, the number shown to the user, 21 bytes
	// DestTerminalIDs are the Dest_terminal_Id values, 1 to MaxDests.
	DestTerminalIDs  []string
	DestTerminalType uint8 // Dest_terminal_type, 3.0 only
	// Content is Msg_Content, raw bytes in MsgFmt, UDH included.
	Content []byte
	// LinkID is LinkID (20 bytes) in 3.0 and Reserve (8 bytes) in 2.0.
	LinkID string

	dest1 [1]string // backs DestTerminalIDs for one destination after Parse
}

// Command returns CmdSubmit.
func (p *Submit) Command() CommandID { return CmdSubmit }

// Sequence returns the Sequence_Id.
func (p *Submit) Sequence() uint32       { return p.Seq }
func (p *Submit) setSequence(seq uint32) { p.Seq = seq }

// HasUDH reports whether TP_udhi is set (any non-zero value, as some
// gateways send the GSM bit 0x40).
func (p *Submit) HasUDH() bool { return p.TPUDHI != 0 }

// submitLayout returns the terminal id width, the body size before the
// destinations, the size between destinations and content, and the trailer.
func submitLayout(v Version) (termW, head, mid, tail int) {
	if v.Is3() {
		return 32, 129, 2, 20
	}
	return 21, 117, 1, 8
}

// Len returns the size of the frame AppendMarshal writes.
func (p *Submit) Len() int {
	termW, head, mid, tail := submitLayout(p.Version)
	return HeaderLen + head + termW*len(p.DestTerminalIDs) + mid + len(p.Content) + tail
}

// Validate reports a field AppendMarshal would cut or a count the protocol
// forbids: text wider than its field, no destination or more than MaxDests,
// content over 140 bytes (160 for Msg_Fmt 0).
func (p *Submit) Validate() error {
	termW, _, _, tail := submitLayout(p.Version)
	for _, f := range []struct {
		name string
		s    string
		n    int
	}{
		{"Service_Id", p.ServiceID, 10}, {"Fee_terminal_Id", p.FeeTerminalID, termW},
		{"Msg_src", p.MsgSrc, 6}, {"FeeType", p.FeeType, 2}, {"FeeCode", p.FeeCode, 6},
		{"ValId_Time", p.ValidTime, 17}, {"At_Time", p.AtTime, 17}, {"Src_Id", p.SrcID, 21},
		{"LinkID", p.LinkID, tail},
	} {
		if len(f.s) > f.n {
			return fmt.Errorf("submit: %s %q is %d bytes, field holds %d", f.name, f.s, len(f.s), f.n)
		}
	}
	if len(p.DestTerminalIDs) == 0 || len(p.DestTerminalIDs) > MaxDests {
		return fmt.Errorf("submit: %d destinations, want 1 to %d", len(p.DestTerminalIDs), MaxDests)
	}
	for i, d := range p.DestTerminalIDs {
		if len(d) > termW {
			return fmt.Errorf("submit: Dest_terminal_Id[%d] %q is %d bytes, field holds %d", i, d, len(d), termW)
		}
	}
	limit := 140
	if p.MsgFmt == FmtASCII {
		limit = 159
	}
	if len(p.Content) > limit {
		return fmt.Errorf("submit: Msg_Content is %d bytes, Msg_Fmt %d allows %d", len(p.Content), p.MsgFmt, limit)
	}
	return nil
}

// AppendMarshal appends the frame to b in p.Version's layout. It allocates
// nothing when b has room for Len bytes.
func (p *Submit) AppendMarshal(b []byte) []byte {
	termW, _, _, tail := submitLayout(p.Version)
	v3 := p.Version.Is3()
	b, w := extend(b, p.Len(), CmdSubmit, p.Seq)
	w.u64(uint64(p.MsgID))
	w.bytes(p.PkTotal, p.PkNumber, p.RegisteredDelivery, p.MsgLevel)
	w.text(p.ServiceID, 10)
	w.bytes(p.FeeUserType)
	w.text(p.FeeTerminalID, termW)
	if v3 {
		w.bytes(p.FeeTerminalType)
	}
	w.bytes(p.TPPID, p.TPUDHI, p.MsgFmt)
	w.text(p.MsgSrc, 6)
	w.text(p.FeeType, 2)
	w.text(p.FeeCode, 6)
	w.text(p.ValidTime, 17)
	w.text(p.AtTime, 17)
	w.text(p.SrcID, 21)
	w.bytes(byte(len(p.DestTerminalIDs)))
	for _, d := range p.DestTerminalIDs {
		w.text(d, termW)
	}
	if v3 {
		w.bytes(p.DestTerminalType)
	}
	w.bytes(byte(len(p.Content)))
	w.off += copy(w.b[w.off:], p.Content)
	w.text(p.LinkID, tail)
	return b
}

// parseSubmit decodes a SUBMIT frame. The fields are read into locals and
// the Submit is built in one composite literal, so that storing the strings
// into the new object needs no write barriers.
func parseSubmit(v Version, b []byte) (*Submit, error) {
	termW, head, mid, tail := submitLayout(v)
	if len(b) < HeaderLen+head+mid+tail {
		return nil, malformed(CmdSubmit, b, 0, "length %d below the %v minimum %d", len(b), v, HeaderLen+head+mid+tail)
	}
	n := int(b[HeaderLen+head-1])
	if n > MaxDests {
		return nil, malformed(CmdSubmit, b, HeaderLen+head-1, "DestUsr_tl %d over %d", n, MaxDests)
	}
	lenOff := HeaderLen + head + termW*n + mid - 1
	if lenOff >= len(b) {
		return nil, malformed(CmdSubmit, b, HeaderLen+head-1, "DestUsr_tl %d runs past the frame end %d", n, len(b))
	}
	l := int(b[lenOff])
	if want := lenOff + 1 + l + tail; want != len(b) {
		return nil, malformed(CmdSubmit, b, lenOff, "Msg_Length %d makes %d bytes, frame has %d", l, want, len(b))
	}
	v3 := v.Is3()
	// One copy of the fields from Service_Id to the destinations backs
	// every text field but LinkID.
	const base = HeaderLen + 12
	r := reader{b: b, s: string(b[base:lenOff]), base: base, off: base}
	serviceID := r.text(10)
	r.off++ // Fee_UserType
	feeTerminalID := r.text(termW)
	if v3 {
		r.off++ // Fee_terminal_type
	}
	r.off += 3 // TP_pId, TP_udhi, Msg_Fmt
	msgSrc := r.text(6)
	feeType := r.text(2)
	feeCode := r.text(6)
	validTime := r.text(17)
	atTime := r.text(17)
	srcID := r.text(21)
	r.off++ // DestUsr_tl
	var dest0 string
	var dests []string
	if n == 1 {
		dest0 = r.text(termW)
	} else {
		dests = make([]string, n)
		for i := range dests {
			dests[i] = r.text(termW)
		}
	}
	var destType uint8
	if v3 {
		destType = r.u8()
	}
	r.off++ // Msg_Length
	content := b[r.off : r.off+l : r.off+l]
	r.off += l
	linkID := r.tail(tail)

	feeTermOff := HeaderLen + 23 + termW // Fee_terminal_type or TP_pId
	tpOff := feeTermOff
	var feeTermType uint8
	if v3 {
		feeTermType = b[feeTermOff]
		tpOff++
	}
	p := &Submit{
		Version:            v,
		Seq:                binary.BigEndian.Uint32(b[8:]),
		MsgID:              MsgID(binary.BigEndian.Uint64(b[HeaderLen:])),
		PkTotal:            b[HeaderLen+8],
		PkNumber:           b[HeaderLen+9],
		RegisteredDelivery: b[HeaderLen+10],
		MsgLevel:           b[HeaderLen+11],
		ServiceID:          serviceID,
		FeeUserType:        b[HeaderLen+22],
		FeeTerminalID:      feeTerminalID,
		FeeTerminalType:    feeTermType,
		TPPID:              b[tpOff],
		TPUDHI:             b[tpOff+1],
		MsgFmt:             b[tpOff+2],
		MsgSrc:             msgSrc,
		FeeType:            feeType,
		FeeCode:            feeCode,
		ValidTime:          validTime,
		AtTime:             atTime,
		SrcID:              srcID,
		DestTerminalIDs:    dests,
		DestTerminalType:   destType,
		Content:            content,
		LinkID:             linkID,
		dest1:              [1]string{dest0},
	}
	if n == 1 {
		p.DestTerminalIDs = p.dest1[:]
	}
	return p, nil
}

// response is the shared body of SUBMIT_RESP and DELIVER_RESP.
type response struct {
	// Version selects the layout written: a one-byte Result below V30, four
	// bytes from V30 on. Parse sets it (V20 or V30) from the frame length.
	Version Version
	Seq     uint32
	MsgID   MsgID
	// Result is 0 for success; see the Result constants.
	Result uint32
}

// Sequence returns the Sequence_Id.
func (p *response) Sequence() uint32       { return p.Seq }
func (p *response) setSequence(seq uint32) { p.Seq = seq }

func (p *response) appendMarshal(b []byte, cmd CommandID) []byte {
	n := HeaderLen + 8 + 1
	if p.Version.Is3() {
		n += 3
	}
	b = appendHeader(b, n, cmd, p.Seq)
	b = binary.BigEndian.AppendUint64(b, uint64(p.MsgID))
	return appendStatus(b, p.Version, p.Result)
}

func (p *response) parse(cmd CommandID, b []byte) error {
	p.Seq = binary.BigEndian.Uint32(b[8:])
	p.MsgID = MsgID(binary.BigEndian.Uint64(b[HeaderLen:]))
	switch len(b) {
	case HeaderLen + 9:
		p.Version, p.Result = V20, uint32(b[HeaderLen+8])
	case HeaderLen + 12:
		p.Version, p.Result = V30, binary.BigEndian.Uint32(b[HeaderLen+8:])
	default:
		return malformed(cmd, b, 0, "length %d, want %d or %d", len(b), HeaderLen+9, HeaderLen+12)
	}
	return nil
}

// SubmitResp is CMPP_SUBMIT_RESP: the Msg_Id the gateway gave the message
// and the Result (21 bytes in 2.0, 24 in 3.0).
type SubmitResp struct{ response }

// Command returns CmdSubmitResp.
func (p *SubmitResp) Command() CommandID { return CmdSubmitResp }

// AppendMarshal appends the frame to b.
func (p *SubmitResp) AppendMarshal(b []byte) []byte { return p.appendMarshal(b, CmdSubmitResp) }

func (p *SubmitResp) parse(b []byte) error {
	if len(b) < HeaderLen+8 {
		return malformed(CmdSubmitResp, b, 0, "length %d, want %d or %d", len(b), HeaderLen+9, HeaderLen+12)
	}
	return p.response.parse(CmdSubmitResp, b)
}

// DeliverResp is CMPP_DELIVER_RESP: the DELIVER's Msg_Id and the Result
// (21 bytes in 2.0, 24 in 3.0).
type DeliverResp struct{ response }

// Command returns CmdDeliverResp.
func (p *DeliverResp) Command() CommandID { return CmdDeliverResp }

// AppendMarshal appends the frame to b.
func (p *DeliverResp) AppendMarshal(b []byte) []byte { return p.appendMarshal(b, CmdDeliverResp) }

func (p *DeliverResp) parse(b []byte) error {
	if len(b) < HeaderLen+8 {
		return malformed(CmdDeliverResp, b, 0, "length %d, want %d or %d", len(b), HeaderLen+9, HeaderLen+12)
	}
	return p.response.parse(CmdDeliverResp, b)
}

// Deliver is CMPP_DELIVER, a message from the gateway to the SP: an MO
// message when RegisteredDelivery is 0, a status report (see Report) when it
// is 1.
type Deliver struct {
	// Version selects the layout as for Submit.
	Version   Version
	Seq       uint32
	MsgID     MsgID  // Msg_Id, new for this DELIVER
	DestID    string // Dest_Id, the SP's number, 21 bytes
	ServiceID string // Service_Id, 10 bytes
	TPPID     uint8  // TP_pid
	TPUDHI    uint8  // TP_udhi; any non-zero value means a UDH
	MsgFmt    uint8  // Msg_Fmt
	// SrcTerminalID is Src_terminal_Id: the sender of an MO, the destination
	// of the reported message. 21 bytes (2.0) or 32 (3.0).
	SrcTerminalID   string
	SrcTerminalType uint8 // Src_terminal_type, 3.0 only
	// RegisteredDelivery is 0 for an MO message, 1 for a status report.
	RegisteredDelivery uint8
	// Content is Msg_Content, raw bytes in MsgFmt.
	Content []byte
	// LinkID is LinkID (20 bytes) in 3.0 and Reserved (8 bytes) in 2.0.
	LinkID string
}

// Command returns CmdDeliver.
func (p *Deliver) Command() CommandID { return CmdDeliver }

// Sequence returns the Sequence_Id.
func (p *Deliver) Sequence() uint32       { return p.Seq }
func (p *Deliver) setSequence(seq uint32) { p.Seq = seq }

// IsReport reports whether the DELIVER carries a status report.
func (p *Deliver) IsReport() bool { return p.RegisteredDelivery == 1 }

// HasUDH reports whether TP_udhi is set.
func (p *Deliver) HasUDH() bool { return p.TPUDHI != 0 }

func deliverLayout(v Version) (termW, head, tail int) {
	if v.Is3() {
		return 32, 8 + 21 + 10 + 3 + 32 + 1 + 1, 20
	}
	return 21, 8 + 21 + 10 + 3 + 21 + 1, 8
}

// Len returns the size of the frame AppendMarshal writes.
func (p *Deliver) Len() int {
	_, head, tail := deliverLayout(p.Version)
	return HeaderLen + head + 1 + len(p.Content) + tail
}

// Validate reports a text field wider than its field or content longer than
// MaxContentLen.
func (p *Deliver) Validate() error {
	termW, _, tail := deliverLayout(p.Version)
	for _, f := range []struct {
		name string
		s    string
		n    int
	}{
		{"Dest_Id", p.DestID, 21}, {"Service_Id", p.ServiceID, 10},
		{"Src_terminal_Id", p.SrcTerminalID, termW}, {"LinkID", p.LinkID, tail},
	} {
		if len(f.s) > f.n {
			return fmt.Errorf("deliver: %s %q is %d bytes, field holds %d", f.name, f.s, len(f.s), f.n)
		}
	}
	if len(p.Content) > MaxContentLen {
		return fmt.Errorf("deliver: Msg_Content is %d bytes, over %d", len(p.Content), MaxContentLen)
	}
	return nil
}

// AppendMarshal appends the frame to b in p.Version's layout.
func (p *Deliver) AppendMarshal(b []byte) []byte {
	termW, _, tail := deliverLayout(p.Version)
	b, w := extend(b, p.Len(), CmdDeliver, p.Seq)
	w.u64(uint64(p.MsgID))
	w.text(p.DestID, 21)
	w.text(p.ServiceID, 10)
	w.bytes(p.TPPID, p.TPUDHI, p.MsgFmt)
	w.text(p.SrcTerminalID, termW)
	if p.Version.Is3() {
		w.bytes(p.SrcTerminalType)
	}
	w.bytes(p.RegisteredDelivery, byte(len(p.Content)))
	w.off += copy(w.b[w.off:], p.Content)
	w.text(p.LinkID, tail)
	return b
}

func (p *Deliver) parse(v Version, b []byte) error {
	termW, head, tail := deliverLayout(v)
	if len(b) < HeaderLen+head+1+tail {
		return malformed(CmdDeliver, b, 0, "length %d below the %v minimum %d", len(b), v, HeaderLen+head+1+tail)
	}
	lenOff := HeaderLen + head
	l := int(b[lenOff])
	if want := lenOff + 1 + l + tail; want != len(b) {
		return malformed(CmdDeliver, b, lenOff, "Msg_Length %d makes %d bytes, frame has %d", l, want, len(b))
	}
	const base = HeaderLen + 8
	r := reader{b: b, s: string(b[base:lenOff]), base: base, off: HeaderLen}
	p.Version = v
	p.Seq = binary.BigEndian.Uint32(b[8:])
	p.MsgID = MsgID(r.u64())
	p.DestID = r.text(21)
	p.ServiceID = r.text(10)
	p.TPPID, p.TPUDHI, p.MsgFmt = b[r.off], b[r.off+1], b[r.off+2]
	r.off += 3
	p.SrcTerminalID = r.text(termW)
	if v.Is3() {
		p.SrcTerminalType = r.u8()
	}
	p.RegisteredDelivery = r.u8()
	r.off++ // Msg_Length
	p.Content = b[r.off : r.off+l : r.off+l]
	r.off += l
	p.LinkID = r.tail(tail)
	return nil
}

// ActiveTest is CMPP_ACTIVE_TEST, the keep-alive probe (header only).
type ActiveTest struct{ Seq uint32 }

// Command returns CmdActiveTest.
func (p *ActiveTest) Command() CommandID { return CmdActiveTest }

// Sequence returns the Sequence_Id.
func (p *ActiveTest) Sequence() uint32       { return p.Seq }
func (p *ActiveTest) setSequence(seq uint32) { p.Seq = seq }

// AppendMarshal appends the 12-byte frame to b.
func (p *ActiveTest) AppendMarshal(b []byte) []byte {
	return appendHeader(b, HeaderLen, CmdActiveTest, p.Seq)
}

// ActiveTestResp is CMPP_ACTIVE_TEST_RESP: the header and one reserved byte.
type ActiveTestResp struct {
	Seq      uint32
	Reserved uint8
}

// Command returns CmdActiveTestResp.
func (p *ActiveTestResp) Command() CommandID { return CmdActiveTestResp }

// Sequence returns the Sequence_Id.
func (p *ActiveTestResp) Sequence() uint32       { return p.Seq }
func (p *ActiveTestResp) setSequence(seq uint32) { p.Seq = seq }

// AppendMarshal appends the 13-byte frame to b.
func (p *ActiveTestResp) AppendMarshal(b []byte) []byte {
	return append(appendHeader(b, HeaderLen+1, CmdActiveTestResp, p.Seq), p.Reserved)
}

// Terminate is CMPP_TERMINATE, the request to end the session (header only).
type Terminate struct{ Seq uint32 }

// Command returns CmdTerminate.
func (p *Terminate) Command() CommandID { return CmdTerminate }

// Sequence returns the Sequence_Id.
func (p *Terminate) Sequence() uint32       { return p.Seq }
func (p *Terminate) setSequence(seq uint32) { p.Seq = seq }

// AppendMarshal appends the 12-byte frame to b.
func (p *Terminate) AppendMarshal(b []byte) []byte {
	return appendHeader(b, HeaderLen, CmdTerminate, p.Seq)
}

// TerminateResp is CMPP_TERMINATE_RESP (header only).
type TerminateResp struct{ Seq uint32 }

// Command returns CmdTerminateResp.
func (p *TerminateResp) Command() CommandID { return CmdTerminateResp }

// Sequence returns the Sequence_Id.
func (p *TerminateResp) Sequence() uint32       { return p.Seq }
func (p *TerminateResp) setSequence(seq uint32) { p.Seq = seq }

// AppendMarshal appends the 12-byte frame to b.
func (p *TerminateResp) AppendMarshal(b []byte) []byte {
	return appendHeader(b, HeaderLen, CmdTerminateResp, p.Seq)
}
