// Package smgp speaks SMGP 3.0 (3.0.3), China Telecom's SP-to-gateway
// protocol: a pure codec for the PDUs the platform needs in both directions
// and a session (Conn) for the client (SP) and server (gateway) sides.
//
// Every integer is big-endian. Fixed-width strings are left-aligned and padded
// with 0x00; the decoder cuts them at the first 0x00 and trims spaces. Every
// PDU starts with a 12-byte header:
//
//	+----------------+----------------+----------------+
//	| PacketLength 4 | RequestID 4    | SequenceID 4   |   length counts the header
//	+----------------+----------------+----------------+
//
// Bodies (byte widths; "N×21" repeats, "L" is MsgLength):
//
//	Login        ClientID 8 | AuthenticatorClient 16 | LoginMode 1 | TimeStamp 4 | ClientVersion 1    = 42
//	Login_Resp   Status 4 | AuthenticatorServer 16 | ServerVersion 1                               = 33
//	Submit       MsgType 1 | NeedReport 1 | Priority 1 | ServiceID 10 | FeeType 2 | FeeCode 6 |
//	             FixedFee 6 (absent in 1.3) | MsgFormat 1 | ValidTime 17 | AtTime 17 | SrcTermID 21 |
//	             ChargeTermID 21 | DestTermIDCount 1 | DestTermID N×21 | MsgLength 1 | MsgContent L |
//	             Reserve 8 | TLVs                                            = 126 + 21N + L + TLVs
//	Submit_Resp  MsgID 10 | Status 4                                                            = 26
//	Deliver      MsgID 10 | IsReport 1 | MsgFormat 1 | RecvTime 14 | SrcTermID 21 | DestTermID 21 |
//	             MsgLength 1 | MsgContent L | Reserve 8 | TLVs                   = 89 + L + TLVs
//	Deliver_Resp MsgID 10 | Status 4                                                            = 26
//	Active_Test, Active_Test_Resp, Exit, Exit_Resp: header only                                 = 12
//
// A TLV is Tag 2 | Length 2 | Value. TLVs follow Reserve; this package writes
// the ones it knows in tag order, then unknown ones in the order they came.
//
// The MsgID is 10 bytes of BCD: SMGW code (6 digits) | MMDDHHMM | sequence
// (6 digits). It travels raw, also inside the status report text, and is
// matched as its 20-digit upper-case hex form (MsgID.String), so ids that are
// not valid BCD still match.
//
// A status report is a Deliver with IsReport = 1 whose MsgContent is
//
//	id:<10 raw bytes> sub:001 dlvrd:001 submit date:YYMMDDHHMM done date:YYMMDDHHMM stat:DELIVRD err:000 text:<20>
//
// (122 bytes). ParseReport reads the id by position and the other fields by
// their labels, tolerating the variants seen from real gateways.
//
// Known limits: Forward, Query and the routing commands are not implemented
// (Parse reports them as unknown; a Conn ignores them). The short-connection
// mode of the spec is not supported. Inbound Submit/Deliver handlers run one
// at a time per Conn; while one blocks, further inbound requests queue (up to
// 64, then reading stops, which delays responses to our own requests). A
// request cut off by a dropped connection may or may not have been taken by
// the peer. String TLVs with a spec width (LinkID, MsgSrc, MServiceID) are
// written NUL-padded to it, which some gateways send shorter.
package smgp

import (
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"slices"
)

// Command is an SMGP RequestID.
type Command uint32

// Request IDs [spec §6.1.2]. A response ID is its request's ID | 0x80000000.
const (
	CmdLogin          Command = 0x00000001 // Login
	CmdLoginResp      Command = 0x80000001 // Login_Resp
	CmdSubmit         Command = 0x00000002 // Submit
	CmdSubmitResp     Command = 0x80000002 // Submit_Resp
	CmdDeliver        Command = 0x00000003 // Deliver
	CmdDeliverResp    Command = 0x80000003 // Deliver_Resp
	CmdActiveTest     Command = 0x00000004 // Active_Test
	CmdActiveTestResp Command = 0x80000004 // Active_Test_Resp
	CmdExit           Command = 0x00000006 // Exit
	CmdExitResp       Command = 0x80000006 // Exit_Resp
)

var commandNames = map[Command]string{
	CmdLogin: "Login", CmdLoginResp: "Login_Resp",
	CmdSubmit: "Submit", CmdSubmitResp: "Submit_Resp",
	CmdDeliver: "Deliver", CmdDeliverResp: "Deliver_Resp",
	CmdActiveTest: "Active_Test", CmdActiveTestResp: "Active_Test_Resp",
	CmdExit: "Exit", CmdExitResp: "Exit_Resp",
}

// String returns the spec's name of c, or its hex value when unknown.
func (c Command) String() string {
	if s, ok := commandNames[c]; ok {
		return s
	}
	return fmt.Sprintf("RequestID(%#08x)", uint32(c))
}

// IsResponse reports whether c is a response ID.
func (c Command) IsResponse() bool { return c&0x80000000 != 0 }

// Version is the protocol version byte of Login and Login_Resp.
type Version byte

// Versions. V13 is the 1.3 layout, whose Submit has no FixedFee field.
const (
	V30 Version = 0x30 // SMGP 3.0
	V13 Version = 0x13 // SMGP 1.3
)

// LoginMode is Login.LoginMode.
type LoginMode byte

// Login modes [spec §6.2.3].
const (
	ModeSend     LoginMode = 0 // SP sends MT only
	ModeReceive  LoginMode = 1 // SP receives MO and reports only
	ModeTransmit LoginMode = 2 // both directions on one connection
)

// Message formats (MsgFormat) [spec §6.2.14].
const (
	FormatASCII   byte = 0  // ASCII; required for status reports
	FormatWrite   byte = 3  // SIM card write
	FormatBinary  byte = 4  // binary
	FormatUCS2    byte = 8  // UCS-2 (UTF-16BE)
	FormatGB18030 byte = 15 // GB18030 text, as the spec asks for Chinese
)

// Message types (Submit.MsgType) [spec §6.2.10].
const (
	MsgTypeMO  byte = 0 // mobile originated
	MsgTypeMT  byte = 6 // mobile terminated
	MsgTypeP2P byte = 7 // point to point
)

// Sizes and limits.
const (
	// HeaderLen is the size of the PDU header.
	HeaderLen = 12
	// MaxPacketLength is the largest PacketLength accepted. The largest
	// legal Submit is 126 + 100×21 + 255 = 2481 bytes before TLVs.
	MaxPacketLength = 4096
	// MaxDestTermIDs is the most destinations one Submit may carry.
	MaxDestTermIDs = 100
	// MaxContent is the most content bytes MsgLength can declare; carriers
	// accept at most 140 for MT.
	MaxContent = 255
)

// PDU is one SMGP packet. Its concrete type is one of the pointer types of
// this package (*Login, *Submit, ...).
type PDU interface {
	// Command returns the RequestID of the PDU.
	Command() Command
	// Seq returns the SequenceID of the PDU.
	Seq() uint32
	// AppendMarshal appends the whole packet, header included, to b.
	AppendMarshal(b []byte) []byte
	// appendSeq is AppendMarshal with the given SequenceID.
	appendSeq(b []byte, seq uint32) []byte
}

// ParseError is a malformed packet. It names the PDU, the offset and the
// problem and quotes the bytes around the offset.
type ParseError struct {
	Command Command // RequestID of the packet, 0 when the header itself is bad
	Offset  int     // offset in the packet of the problem
	Reason  string
	Snippet string // hex of up to 16 bytes from Offset
}

// Error returns "smgp: parse <PDU>: <reason> at byte <n> (bytes <hex>)".
func (e *ParseError) Error() string {
	return fmt.Sprintf("smgp: parse %v: %s at byte %d (bytes %s)", e.Command, e.Reason, e.Offset, e.Snippet)
}

func parseErr(cmd Command, b []byte, off int, format string, args ...any) error {
	return &ParseError{Command: cmd, Offset: off, Reason: fmt.Sprintf(format, args...), Snippet: snippet(b, off)}
}

// snippet quotes up to 16 bytes of b from off, in hex.
func snippet(b []byte, off int) string {
	if off < 0 {
		off = 0
	}
	if off > len(b) {
		off = len(b)
	}
	end := min(off+16, len(b))
	s := hex.EncodeToString(b[off:end])
	if end < len(b) {
		s += "…"
	}
	if s == "" {
		s = "<end>"
	}
	return s
}

// ErrUnknownCommand is wrapped by Parse for a well-framed packet whose
// RequestID this package does not decode.
var ErrUnknownCommand = errors.New("unknown RequestID")

// Parse decodes one whole packet, header included. It keeps no reference to
// b. It returns a *ParseError when the packet is short, longer than
// MaxPacketLength, its PacketLength disagrees with len(b), a field is out of
// range or bytes are left over (a body on Active_Test, Exit and their
// responses is ignored), and an error wrapping ErrUnknownCommand for a RequestID it does
// not know. Submit is decoded in the 3.0 layout; use ParseVersion for 1.3.
func Parse(b []byte) (PDU, error) { return ParseVersion(b, V30) }

// ParseVersion is Parse with the Submit layout of version v (V13 has no
// FixedFee).
func ParseVersion(b []byte, v Version) (PDU, error) {
	if len(b) < HeaderLen {
		return nil, parseErr(0, b, 0, "packet of %d bytes shorter than the header", len(b))
	}
	n := binary.BigEndian.Uint32(b)
	cmd := Command(binary.BigEndian.Uint32(b[4:]))
	if n > MaxPacketLength {
		return nil, parseErr(cmd, b, 0, "PacketLength %d over the maximum %d", n, MaxPacketLength)
	}
	if int(n) != len(b) {
		return nil, parseErr(cmd, b, 0, "PacketLength %d but %d bytes", n, len(b))
	}
	seq := binary.BigEndian.Uint32(b[8:])
	d := decoder{b: b, off: HeaderLen, cmd: cmd}
	var p PDU
	switch cmd {
	case CmdLogin:
		p = d.login(seq)
	case CmdLoginResp:
		p = d.loginResp(seq)
	case CmdSubmit:
		p = d.submit(seq, v)
	case CmdSubmitResp:
		p = &SubmitResp{SequenceID: seq, MsgID: d.msgID(), Status: Status(d.u32())}
	case CmdDeliver:
		p = d.deliver(seq)
	case CmdDeliverResp:
		p = &DeliverResp{SequenceID: seq, MsgID: d.msgID(), Status: Status(d.u32())}
	case CmdActiveTest, CmdActiveTestResp, CmdExit, CmdExitResp:
		// No body in the spec; some gateways send CMPP's one reserved
		// byte, so a body is ignored.
		d.off = len(b)
		switch cmd {
		case CmdActiveTest:
			p = &ActiveTest{SequenceID: seq}
		case CmdActiveTestResp:
			p = &ActiveTestResp{SequenceID: seq}
		case CmdExit:
			p = &Exit{SequenceID: seq}
		default:
			p = &ExitResp{SequenceID: seq}
		}
	default:
		return nil, fmt.Errorf("smgp: parse: %w %#08x (bytes %s)", ErrUnknownCommand, uint32(cmd), snippet(b, 0))
	}
	if d.err != nil {
		return nil, d.err
	}
	if d.off != len(b) {
		return nil, parseErr(cmd, b, d.off, "%d trailing bytes", len(b)-d.off)
	}
	return p, nil
}

// Reader reads whole packets from a stream. It checks PacketLength against
// MaxPacketLength before reading the body, and reuses one buffer.
type Reader struct {
	r   io.Reader
	buf []byte
}

// NewReader returns a Reader reading from r. Wrap r in a bufio.Reader when
// reads are expensive.
func NewReader(r io.Reader) *Reader { return &Reader{r: r, buf: make([]byte, 0, 512)} }

// ReadFrame returns the next whole packet. The slice is valid until the next
// call. It returns io.EOF when the stream ends between packets,
// io.ErrUnexpectedEOF when it ends inside one, and a *ParseError when
// PacketLength is below HeaderLen or above MaxPacketLength (the stream can
// then not be resynchronised).
func (r *Reader) ReadFrame() ([]byte, error) {
	if cap(r.buf) < HeaderLen {
		r.buf = make([]byte, 0, 512)
	}
	h := r.buf[:4]
	if _, err := io.ReadFull(r.r, h); err != nil {
		return nil, err
	}
	n := binary.BigEndian.Uint32(h)
	if n < HeaderLen || n > MaxPacketLength {
		return nil, parseErr(0, h, 0, "PacketLength %d outside [%d, %d]", n, HeaderLen, MaxPacketLength)
	}
	if cap(r.buf) < int(n) {
		nb := make([]byte, 0, max(int(n), 2*cap(r.buf)))
		r.buf = append(nb, h...)
	}
	b := r.buf[:n]
	if _, err := io.ReadFull(r.r, b[4:]); err != nil {
		if err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		return nil, err
	}
	return b, nil
}

// ReadPDU reads and parses the next packet (3.0 layout).
func (r *Reader) ReadPDU() (PDU, error) {
	b, err := r.ReadFrame()
	if err != nil {
		return nil, err
	}
	return Parse(b)
}

// decoder reads fields from a packet; after the first error every read
// returns zero values and err keeps the first error.
type decoder struct {
	b   []byte
	s   string // string(b), made by the first str that needs it
	off int
	cmd Command
	err error
}

func (d *decoder) need(n int, field string) bool {
	if d.err != nil {
		return false
	}
	if len(d.b)-d.off < n {
		d.err = parseErr(d.cmd, d.b, d.off, "%s needs %d bytes, %d left", field, n, len(d.b)-d.off)
		return false
	}
	return true
}

func (d *decoder) u8() byte {
	if !d.need(1, "byte") {
		return 0
	}
	v := d.b[d.off]
	d.off++
	return v
}

func (d *decoder) u32() uint32 {
	if !d.need(4, "integer") {
		return 0
	}
	v := binary.BigEndian.Uint32(d.b[d.off:])
	d.off += 4
	return v
}

// str reads a fixed-width string, cut at the first NUL, spaces trimmed.
// Strings share one copy of the packet, made on first use.
func (d *decoder) str(n int) string {
	if !d.need(n, "string") {
		return ""
	}
	i, j := trimmed(d.b[d.off : d.off+n])
	i, j = i+d.off, j+d.off
	d.off += n
	if i == j {
		return ""
	}
	if d.s == "" {
		d.s = string(d.b)
	}
	return d.s[i:j]
}

func (d *decoder) bytes(n int) []byte {
	if !d.need(n, "bytes") {
		return nil
	}
	v := d.b[d.off : d.off+n]
	d.off += n
	return v
}

func (d *decoder) msgID() (id MsgID) {
	copy(id[:], d.bytes(len(id)))
	return id
}

// cstring returns b cut at its first NUL with surrounding spaces removed.
func cstring(b []byte) string {
	i, j := trimmed(b)
	return string(b[i:j])
}

// trimmed returns the bounds of b cut at its first NUL with surrounding
// spaces removed.
func trimmed(b []byte) (i, j int) {
	j = len(b)
	for k, c := range b {
		if c == 0 {
			j = k
			break
		}
	}
	for i < j && b[i] == ' ' {
		i++
	}
	for j > i && b[j-1] == ' ' {
		j--
	}
	return i, j
}

// appendHeader appends a header with a zero length; finish fills it in.
func appendHeader(b []byte, cmd Command, seq uint32) ([]byte, int) {
	start := len(b)
	b = binary.BigEndian.AppendUint32(b, 0)
	b = binary.BigEndian.AppendUint32(b, uint32(cmd))
	b = binary.BigEndian.AppendUint32(b, seq)
	return b, start
}

func finish(b []byte, start int) []byte {
	binary.BigEndian.PutUint32(b[start:], uint32(len(b)-start))
	return b
}

// appendStr appends s left-aligned in n bytes padded with NUL, cut to n.
func appendStr(b []byte, s string, n int) []byte {
	start := len(b)
	b = slices.Grow(b, n)[:start+n]
	clear(b[start+copy(b[start:], s):])
	return b
}
