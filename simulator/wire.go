package simulator

import (
	"encoding/binary"
	"net"
	"sync"
)

// frameSpec is what the wire wrapper needs of a protocol's frame header:
// every protocol starts a frame with a 4-byte length that counts the header
// and a 4-byte command id; the sequence number follows at seqOff.
type frameSpec struct {
	seqOff, seqLen     int
	submit, submitResp uint32
}

func specOf(p Protocol) frameSpec {
	switch p {
	case CMPP:
		return frameSpec{seqOff: 8, seqLen: 4, submit: 0x00000004, submitResp: 0x80000004}
	case SGIP:
		return frameSpec{seqOff: 8, seqLen: 12, submit: 0x00000003, submitResp: 0x80000003}
	case SMGP:
		return frameSpec{seqOff: 8, seqLen: 4, submit: 0x00000002, submitResp: 0x80000002}
	}
	return frameSpec{seqOff: 12, seqLen: 4, submit: 0x00000004, submitResp: 0x80000004}
}

func (s frameSpec) need() int { return s.seqOff + s.seqLen }

// seqKey is a request's sequence number as it is on the wire.
type seqKey [12]byte

func key32(seq uint32) (k seqKey) {
	binary.BigEndian.PutUint32(k[:], seq)
	return k
}

func keySGIP(node, t, n uint32) (k seqKey) {
	binary.BigEndian.PutUint32(k[0:], node)
	binary.BigEndian.PutUint32(k[4:], t)
	binary.BigEndian.PutUint32(k[8:], n)
	return k
}

// action is what the wrapper does to a submit response on its way out.
type action uint8

const (
	actPass    action = iota
	actDrop           // the response is not sent
	actGarbage        // garbage bytes are sent instead
)

// garbage is what actGarbage writes: a length field no protocol accepts.
var garbageBytes = [...]byte{0xFF, 0xFF, 0xFF, 0xF0, 0xDE, 0xAD, 0xBE, 0xEF, 0x00, 0x00, 0x00, 0x00, 0x47, 0x41, 0x52, 0x42, 0x41, 0x47, 0x45, 0x21}

// tracker follows frame boundaries in one direction of a byte stream.
type tracker struct {
	rem  int  // bytes of the current frame still to come after its header
	drop bool // the current frame is being discarded (outbound)
	nh   int  // header bytes gathered across reads or writes
	hdr  [20]byte
}

// wireConn wraps an accepted connection. It counts the submits received and
// not yet answered (the link's window, on the wire), and applies the actions
// registered for submit responses. A connection closed by drop reports
// itself closed to the protocol Conn like any peer hang-up.
type wireConn struct {
	net.Conn
	spec   frameSpec
	window int // 0: no window kept

	wmu    sync.Mutex // serialises Write, owns out and pieces
	out    tracker
	pieces net.Buffers

	mu       sync.Mutex // guards in and the maps
	in       tracker
	inflight map[seqKey]struct{}
	over     map[seqKey]struct{}

	// onAnswer, when set, decides the fate of each submit response.
	onAnswer func() action
}

func newWireConn(nc net.Conn, p Protocol, window int) *wireConn {
	return &wireConn{
		Conn: nc, spec: specOf(p), window: window,
		inflight: make(map[seqKey]struct{}),
		over:     make(map[seqKey]struct{}),
	}
}

func (c *wireConn) key(hdr []byte) (k seqKey) {
	copy(k[:], hdr[c.spec.seqOff:c.spec.need()])
	return k
}

// Read reads from the connection and notes every submit that arrives.
func (c *wireConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	if n > 0 && c.window > 0 {
		c.mu.Lock()
		c.scanIn(p[:n])
		c.mu.Unlock()
	}
	return n, err
}

// scanIn walks the frames in b; c.mu is held.
func (c *wireConn) scanIn(b []byte) {
	t, need := &c.in, c.spec.need()
	for len(b) > 0 {
		if t.rem > 0 {
			n := min(t.rem, len(b))
			b, t.rem = b[n:], t.rem-n
			continue
		}
		n := copy(t.hdr[t.nh:need], b)
		t.nh, b = t.nh+n, b[n:]
		if t.nh < need {
			return
		}
		t.nh = 0
		t.rem = max(int(binary.BigEndian.Uint32(t.hdr[:4]))-need, 0)
		if binary.BigEndian.Uint32(t.hdr[4:8]) != c.spec.submit {
			continue
		}
		k := c.key(t.hdr[:need])
		if _, ok := c.inflight[k]; ok {
			continue // a resend of a submit not answered yet
		}
		if len(c.inflight) >= c.window {
			c.over[k] = struct{}{}
		}
		c.inflight[k] = struct{}{}
	}
}

// overWindow reports whether the submit with key k arrived with the window
// already full.
func (c *wireConn) overWindow(k seqKey) bool {
	if c.window <= 0 {
		return false
	}
	c.mu.Lock()
	_, ok := c.over[k]
	c.mu.Unlock()
	return ok
}

// decide returns the fate of an outbound frame with header hdr; c.mu is held.
func (c *wireConn) decide(hdr []byte) action {
	if binary.BigEndian.Uint32(hdr[4:8]) != c.spec.submitResp {
		return actPass
	}
	k := c.key(hdr)
	if c.window > 0 {
		delete(c.inflight, k)
		delete(c.over, k)
	}
	if c.onAnswer == nil {
		return actPass
	}
	return c.onAnswer()
}

// Write writes p, leaving out or replacing the submit responses that
// onAnswer says to. Bytes of a frame header cut by the end of p are held until the
// next Write completes it. Write reports len(p) written unless the
// connection fails.
func (c *wireConn) Write(p []byte) (int, error) {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	t, need := &c.out, c.spec.need()
	pieces := c.pieces[:0]
	c.mu.Lock()
	start, i := 0, 0
	for i < len(p) {
		if t.rem > 0 {
			n := min(t.rem, len(p)-i)
			i, t.rem = i+n, t.rem-n
			if t.drop {
				start = i
			}
			continue
		}
		var hdr []byte
		if t.nh == 0 && len(p)-i >= need {
			hdr = p[i : i+need]
		} else {
			if t.nh == 0 && start < i {
				pieces = append(pieces, p[start:i])
			}
			n := copy(t.hdr[t.nh:need], p[i:])
			t.nh, i, start = t.nh+n, i+n, i+n
			if t.nh < need {
				break
			}
			t.nh = 0
			hdr = t.hdr[:need]
		}
		a := c.decide(hdr)
		t.rem = max(int(binary.BigEndian.Uint32(hdr[:4]))-need, 0)
		t.drop = a != actPass
		held := &hdr[0] == &t.hdr[0]
		switch {
		case a == actPass && held:
			pieces = append(pieces, append([]byte(nil), hdr...))
		case a == actPass:
			i += need
		default:
			if !held {
				if start < i {
					pieces = append(pieces, p[start:i])
				}
				i += need
				start = i
			}
			if a == actGarbage {
				pieces = append(pieces, garbageBytes[:])
			}
		}
	}
	if start < i {
		pieces = append(pieces, p[start:i])
	}
	c.mu.Unlock()
	c.pieces = pieces[:0]
	var err error
	switch len(pieces) {
	case 0:
	case 1:
		_, err = c.Conn.Write(pieces[0])
	default:
		bufs := pieces
		_, err = bufs.WriteTo(c.Conn)
	}
	if err != nil {
		return 0, err
	}
	return len(p), nil
}
