package sgip

import (
	"bytes"
	"reflect"
	"testing"
)

// FuzzParse checks that Parse never panics, that whatever it accepts
// marshals back to a frame it parses to the same PDU, and that ReadFrame
// never returns a frame outside [HeaderLen, MaxLength].
func FuzzParse(f *testing.F) {
	for _, tt := range pduTests {
		f.Add(unhex(f, tt.hex))
	}
	f.Add([]byte{0, 0, 0, 20, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0})
	f.Add([]byte{0xff, 0xff, 0xff, 0xff, 0, 0, 0, 3})
	f.Fuzz(func(t *testing.T, b []byte) {
		if frame, err := ReadFrame(bytes.NewReader(b)); err == nil {
			if len(frame) < HeaderLen || len(frame) > MaxLength || !bytes.Equal(frame, b[:len(frame)]) {
				t.Fatalf("ReadFrame returned %d bytes %x from %x", len(frame), frame, b)
			}
		}
		p, err := Parse(b)
		if err != nil {
			return
		}
		if len(b) > MaxLength {
			t.Fatalf("Parse accepted %d bytes, over MaxLength", len(b))
		}
		out := p.AppendMarshal(nil)
		if len(out) != len(b) {
			t.Fatalf("AppendMarshal wrote %d bytes, parsed from %d: %x", len(out), len(b), b)
		}
		q, err := Parse(out)
		if err != nil {
			t.Fatalf("Parse(AppendMarshal(Parse(%x))): %v", b, err)
		}
		if !reflect.DeepEqual(p, q) {
			t.Fatalf("round trip: %+v, then %+v", p, q)
		}
		if again := q.AppendMarshal(nil); !bytes.Equal(again, out) {
			t.Fatalf("second marshal %x, first %x", again, out)
		}
	})
}
