package cmpp

import (
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
)

// Version is the CMPP protocol version byte: the high nibble is the major
// version, the low nibble the minor one.
type Version uint8

// Protocol versions. V20 and V21 share the 2.0 layout; V30 and anything above
// it use the 3.0 layout.
const (
	V20 Version = 0x20 // CMPP 2.0
	V21 Version = 0x21 // CMPP 2.1, 2.0 layout
	V30 Version = 0x30 // CMPP 3.0
)

// Is3 reports whether v uses the CMPP 3.0 layout (32-byte terminal ids,
// 4-byte status and result fields, 20-byte LinkID).
func (v Version) Is3() bool { return v >= V30 }

// String returns the version as major.minor, "3.0".
func (v Version) String() string { return fmt.Sprintf("%d.%d", v>>4, v&0xf) }

// CommandID is the Command_Id of a frame header.
type CommandID uint32

// Command ids. A response is its request's id with the high bit set.
const (
	CmdConnect        CommandID = 0x00000001 // CMPP_CONNECT
	CmdConnectResp    CommandID = 0x80000001 // CMPP_CONNECT_RESP
	CmdTerminate      CommandID = 0x00000002 // CMPP_TERMINATE
	CmdTerminateResp  CommandID = 0x80000002 // CMPP_TERMINATE_RESP
	CmdSubmit         CommandID = 0x00000004 // CMPP_SUBMIT
	CmdSubmitResp     CommandID = 0x80000004 // CMPP_SUBMIT_RESP
	CmdDeliver        CommandID = 0x00000005 // CMPP_DELIVER
	CmdDeliverResp    CommandID = 0x80000005 // CMPP_DELIVER_RESP
	CmdQuery          CommandID = 0x00000006 // CMPP_QUERY (not implemented)
	CmdCancel         CommandID = 0x00000007 // CMPP_CANCEL (not implemented)
	CmdActiveTest     CommandID = 0x00000008 // CMPP_ACTIVE_TEST
	CmdActiveTestResp CommandID = 0x80000008 // CMPP_ACTIVE_TEST_RESP
	CmdFwd            CommandID = 0x00000009 // CMPP_FWD (not implemented)
)

// IsResponse reports whether id is a response command.
func (id CommandID) IsResponse() bool { return id&0x80000000 != 0 }

// String returns the specification's name without the CMPP_ prefix, or
// the id in hex.
func (id CommandID) String() string {
	switch id {
	case CmdConnect:
		return "CONNECT"
	case CmdConnectResp:
		return "CONNECT_RESP"
	case CmdTerminate:
		return "TERMINATE"
	case CmdTerminateResp:
		return "TERMINATE_RESP"
	case CmdSubmit:
		return "SUBMIT"
	case CmdSubmitResp:
		return "SUBMIT_RESP"
	case CmdDeliver:
		return "DELIVER"
	case CmdDeliverResp:
		return "DELIVER_RESP"
	case CmdQuery:
		return "QUERY"
	case CmdCancel:
		return "CANCEL"
	case CmdActiveTest:
		return "ACTIVE_TEST"
	case CmdActiveTestResp:
		return "ACTIVE_TEST_RESP"
	case CmdFwd:
		return "FWD"
	}
	return fmt.Sprintf("0x%08x", uint32(id))
}

// Sizes and limits.
const (
	// HeaderLen is the size of the frame header.
	HeaderLen = 12
	// MaxDests is the largest DestUsr_tl accepted.
	MaxDests = 100
	// MaxContentLen is the largest Msg_Content the one-byte Msg_Length can
	// declare. The specification allows at most 140 bytes (under 160 for
	// Msg_Fmt 0); Submit.Validate enforces that.
	MaxContentLen = 255
	// MaxPDULen is the largest Total_Length accepted: a CMPP 3.0 SUBMIT with
	// MaxDests destinations and MaxContentLen bytes of content.
	MaxPDULen = 163 + 32*MaxDests + MaxContentLen
)

// Msg_Fmt values (CMPP specification; other values are passed through).
const (
	FmtASCII  uint8 = 0  // ASCII
	FmtWrite  uint8 = 3  // SIM card write
	FmtBinary uint8 = 4  // binary
	FmtUCS2   uint8 = 8  // UCS-2, sent as UTF-16BE
	FmtGB     uint8 = 15 // contains GB characters
)

// Errors of the codec. Parse errors wrap ErrMalformed and carry the command,
// the field, its offset and a hex snippet of the bytes around it.
var (
	// ErrMalformed means a frame does not follow the layout of its command.
	ErrMalformed = errors.New("malformed CMPP frame")
	// ErrUnsupported means a well-framed command this package does not decode
	// (QUERY, CANCEL, FWD, route commands).
	ErrUnsupported = errors.New("unsupported CMPP command")
)

// snippet quotes up to 16 bytes of b starting a little before off, in hex.
func snippet(b []byte, off int) string {
	start := max(0, min(off-4, len(b)))
	end := min(len(b), start+16)
	s := hex.EncodeToString(b[start:end])
	if end < len(b) {
		s += "…"
	}
	return fmt.Sprintf("[%d:] %s", start, s)
}

func malformed(cmd CommandID, b []byte, off int, format string, args ...any) error {
	return fmt.Errorf("parse %v: %s at offset %d, bytes %s: %w",
		cmd, fmt.Sprintf(format, args...), off, snippet(b, off), ErrMalformed)
}

// Header is the 12-byte header of every frame.
type Header struct {
	Length  uint32    // Total_Length, header included
	Command CommandID // Command_Id
	Seq     uint32    // Sequence_Id
}

// ParseHeader decodes the header at the start of b. It fails if b is shorter
// than HeaderLen or Total_Length lies outside [HeaderLen, MaxPDULen].
func ParseHeader(b []byte) (Header, error) {
	if len(b) < HeaderLen {
		return Header{}, fmt.Errorf("parse header: %d bytes, want %d, bytes %s: %w",
			len(b), HeaderLen, snippet(b, 0), ErrMalformed)
	}
	h := Header{
		Length:  binary.BigEndian.Uint32(b),
		Command: CommandID(binary.BigEndian.Uint32(b[4:])),
		Seq:     binary.BigEndian.Uint32(b[8:]),
	}
	if h.Length < HeaderLen || h.Length > MaxPDULen {
		return h, fmt.Errorf("parse header: Total_Length %d outside [%d, %d], bytes %s: %w",
			h.Length, HeaderLen, MaxPDULen, snippet(b, 0), ErrMalformed)
	}
	return h, nil
}

// ReadFrame reads one whole frame from r into buf (grown when too small) and
// returns it. Total_Length is checked against [HeaderLen, MaxPDULen] before
// anything is allocated. The frame aliases buf.
func ReadFrame(r io.Reader, buf []byte) ([]byte, error) {
	var hb [4]byte
	if _, err := io.ReadFull(r, hb[:]); err != nil {
		return nil, err
	}
	n := binary.BigEndian.Uint32(hb[:])
	if n < HeaderLen || n > MaxPDULen {
		return nil, fmt.Errorf("read frame: Total_Length %d outside [%d, %d], bytes [0:] %x: %w",
			n, HeaderLen, MaxPDULen, hb, ErrMalformed)
	}
	if cap(buf) < int(n) {
		buf = make([]byte, n)
	}
	buf = buf[:n]
	copy(buf, hb[:])
	if _, err := io.ReadFull(r, buf[4:]); err != nil {
		if err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		return nil, err
	}
	return buf, nil
}

// PDU is one decoded CMPP frame.
type PDU interface {
	// Command returns the Command_Id the PDU is written with.
	Command() CommandID
	// Sequence returns the Sequence_Id.
	Sequence() uint32
	// AppendMarshal appends the whole frame, header included, to b.
	AppendMarshal(b []byte) []byte
	setSequence(seq uint32)
}

// Parse decodes one whole frame. v selects the layout of SUBMIT and DELIVER;
// responses are decoded by their length, whatever v says. The text fields of
// the result are copies; Content fields alias b. Parse returns an error
// wrapping ErrMalformed when the frame does not follow its layout, and
// ErrUnsupported for a well-framed command this package does not decode.
func Parse(v Version, b []byte) (PDU, error) {
	h, err := ParseHeader(b)
	if err != nil {
		return nil, err
	}
	if int(h.Length) != len(b) {
		return nil, fmt.Errorf("parse %v: Total_Length %d, frame has %d bytes, bytes %s: %w",
			h.Command, h.Length, len(b), snippet(b, 0), ErrMalformed)
	}
	var p PDU
	switch h.Command {
	case CmdConnect:
		c := new(Connect)
		p, err = c, c.parse(b)
	case CmdConnectResp:
		c := new(ConnectResp)
		p, err = c, c.parse(b)
	case CmdSubmit:
		p, err = parseSubmit(v, b)
	case CmdSubmitResp:
		r := new(SubmitResp)
		p, err = r, r.parse(b)
	case CmdDeliver:
		d := new(Deliver)
		p, err = d, d.parse(v, b)
	case CmdDeliverResp:
		r := new(DeliverResp)
		p, err = r, r.parse(b)
	case CmdActiveTest:
		p, err = &ActiveTest{Seq: h.Seq}, exactLen(h, b, HeaderLen)
	case CmdActiveTestResp:
		if err = exactLen(h, b, HeaderLen+1); err == nil {
			p = &ActiveTestResp{Seq: h.Seq, Reserved: b[12]}
		}
	case CmdTerminate:
		p, err = &Terminate{Seq: h.Seq}, exactLen(h, b, HeaderLen)
	case CmdTerminateResp:
		p, err = &TerminateResp{Seq: h.Seq}, exactLen(h, b, HeaderLen)
	default:
		return nil, fmt.Errorf("parse %v: seq %d, bytes %s: %w", h.Command, h.Seq, snippet(b, 0), ErrUnsupported)
	}
	if err != nil {
		return nil, err
	}
	return p, nil
}

func exactLen(h Header, b []byte, want int) error {
	if len(b) != want {
		return malformed(h.Command, b, 0, "length %d, want %d", len(b), want)
	}
	return nil
}

// appendHeader appends a header for a frame of n bytes.
func appendHeader(b []byte, n int, cmd CommandID, seq uint32) []byte {
	b = slices.Grow(b, n)
	b = binary.BigEndian.AppendUint32(b, uint32(n))
	b = binary.BigEndian.AppendUint32(b, uint32(cmd))
	return binary.BigEndian.AppendUint32(b, seq)
}

// writer fills a zeroed frame at fixed offsets.
type writer struct {
	b   []byte
	off int
}

// extend grows b by a zeroed frame of n bytes, writes its header and returns
// a writer positioned on the body.
func extend(b []byte, n int, cmd CommandID, seq uint32) ([]byte, writer) {
	start := len(b)
	b = slices.Grow(b, n)[:start+n]
	f := b[start:]
	clear(f[HeaderLen:])
	binary.BigEndian.PutUint32(f, uint32(n))
	binary.BigEndian.PutUint32(f[4:], uint32(cmd))
	binary.BigEndian.PutUint32(f[8:], seq)
	return b, writer{b: f, off: HeaderLen}
}

func (w *writer) bytes(x ...byte) { w.off += copy(w.b[w.off:], x) }

func (w *writer) u64(x uint64) {
	binary.BigEndian.PutUint64(w.b[w.off:], x)
	w.off += 8
}

// text writes s cut to n bytes; the zeroed frame supplies the padding.
func (w *writer) text(s string, n int) {
	copy(w.b[w.off:w.off+n], s)
	w.off += n
}

// appendFixed appends s cut or zero-padded to n bytes.
func appendFixed(b []byte, s string, n int) []byte {
	if len(s) > n {
		s = s[:n]
	}
	b = append(b, s...)
	return append(b, make([]byte, n-len(s))...)
}

// appendStatus appends a status or result: one byte in 2.0, four in 3.0.
func appendStatus(b []byte, v Version, x uint32) []byte {
	if v.Is3() {
		return binary.BigEndian.AppendUint32(b, x)
	}
	return append(b, byte(x))
}

// fixed returns the text of a fixed-width field: cut at the first NUL,
// spaces trimmed. It is a substring of s, so it allocates nothing.
func fixed(s string) string {
	if len(s) > 0 && s[0] == 0 { // empty, the common case
		return ""
	}
	if i := strings.IndexByte(s, 0); i >= 0 {
		s = s[:i]
	}
	if len(s) > 0 && (s[0] == ' ' || s[len(s)-1] == ' ') {
		s = strings.Trim(s, " ")
	}
	return s
}

// reader walks a frame b. The text fields of b[base:] were copied once into
// s; every field read is a slice of b or a substring of s.
type reader struct {
	b    []byte
	s    string
	base int
	off  int
}

func (r *reader) u8() uint8 {
	x := r.b[r.off]
	r.off++
	return x
}

func (r *reader) u32() uint32 {
	x := binary.BigEndian.Uint32(r.b[r.off:])
	r.off += 4
	return x
}

func (r *reader) u64() uint64 {
	x := binary.BigEndian.Uint64(r.b[r.off:])
	r.off += 8
	return x
}

func (r *reader) text(n int) string {
	f := r.s[r.off-r.base:][:n]
	r.off += n
	return fixed(f)
}

// tail returns the text of the n-byte field at r.off, copied on its own, and
// allocates nothing when the field is empty (its first byte 0).
func (r *reader) tail(n int) string {
	f := r.b[r.off : r.off+n]
	r.off += n
	if f[0] == 0 {
		return ""
	}
	return fixed(string(f))
}
