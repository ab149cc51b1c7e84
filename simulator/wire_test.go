package simulator

import (
	"bytes"
	"encoding/binary"
	"net"
	"testing"
	"time"
)

// recorder is a net.Conn that keeps what is written to it.
type recorder struct {
	net.Conn
	buf bytes.Buffer
}

func (r *recorder) Write(p []byte) (int, error) { return r.buf.Write(p) }

func cmppFrame(cmd, seq uint32, body int) []byte {
	b := make([]byte, 12+body)
	binary.BigEndian.PutUint32(b, uint32(len(b)))
	binary.BigEndian.PutUint32(b[4:], cmd)
	binary.BigEndian.PutUint32(b[8:], seq)
	for i := 12; i < len(b); i++ {
		b[i] = byte(seq)
	}
	return b
}

func TestWireConn_Write(t *testing.T) {
	const resp = 0x80000004
	frames := [][]byte{
		cmppFrame(resp, 1, 12), cmppFrame(0x80000008, 2, 1), cmppFrame(resp, 3, 12),
		cmppFrame(resp, 4, 12), cmppFrame(0x00000005, 5, 100), cmppFrame(resp, 6, 12),
	}
	var stream []byte
	for _, f := range frames {
		stream = append(stream, f...)
	}
	// Answers 3 and 6 are lost, 4 is garbled; everything else passes.
	var want []byte
	for _, f := range frames {
		switch binary.BigEndian.Uint32(f[8:]) {
		case 3, 6:
		case 4:
			want = append(want, garbageBytes[:]...)
		default:
			want = append(want, f...)
		}
	}
	for chunk := 1; chunk <= len(stream); chunk++ {
		rec := &recorder{}
		wc := newWireConn(rec, CMPP, 0)
		n := 0
		wc.onAnswer = func() action {
			n++
			switch n {
			case 2, 4:
				return actDrop
			case 3:
				return actGarbage
			}
			return actPass
		}
		for i := 0; i < len(stream); i += chunk {
			p := stream[i:min(i+chunk, len(stream))]
			if got, err := wc.Write(p); got != len(p) || err != nil {
				t.Fatalf("chunk %d: Write = %d, %v; want %d, nil", chunk, got, err, len(p))
			}
		}
		if !bytes.Equal(rec.buf.Bytes(), want) {
			t.Fatalf("chunk %d: wrote\n%x\nwant\n%x", chunk, rec.buf.Bytes(), want)
		}
	}
}

// pipeConn reads from a fixed stream.
type pipeConn struct {
	net.Conn
	r *bytes.Reader
}

func (p *pipeConn) Read(b []byte) (int, error)  { return p.r.Read(b) }
func (p *pipeConn) SetDeadline(time.Time) error { return nil }

func TestWireConn_Window(t *testing.T) {
	var stream []byte
	for seq := uint32(1); seq <= 4; seq++ {
		stream = append(stream, cmppFrame(0x00000004, seq, 20)...)
	}
	stream = append(stream, cmppFrame(0x00000004, 2, 20)...) // a resend
	for chunk := 1; chunk <= len(stream); chunk++ {
		wc := newWireConn(&pipeConn{r: bytes.NewReader(stream)}, CMPP, 2)
		buf := make([]byte, chunk)
		for {
			if _, err := wc.Read(buf); err != nil {
				break
			}
		}
		for seq, want := range map[uint32]bool{1: false, 2: false, 3: true, 4: true} {
			if got := wc.overWindow(key32(seq)); got != want {
				t.Errorf("chunk %d: overWindow(%d) = %v, want %v", chunk, seq, got, want)
			}
		}
		// Answering 1, 3 and 4 (the last two throttled) leaves 2 in flight:
		// the next new submit is in the window.
		rec := &recorder{}
		wc.Conn = rec
		for _, seq := range []uint32{1, 3, 4} {
			wc.Write(cmppFrame(0x80000004, seq, 12))
		}
		wc.Conn = &pipeConn{r: bytes.NewReader(cmppFrame(0x00000004, 9, 20))}
		wc.Read(make([]byte, 64))
		if wc.overWindow(key32(9)) {
			t.Errorf("chunk %d: overWindow(9) after an answer = true, want false", chunk)
		}
	}
}
