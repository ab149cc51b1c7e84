package cmpp

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"reflect"
	"runtime"
	"testing"
)

// FuzzParse checks that Parse never panics, that whatever it accepts
// marshals back to a frame that parses to the same PDU, and that ReadFrame
// refuses a Total_Length over MaxPDULen before reading the body.
func FuzzParse(f *testing.F) {
	for _, tt := range codecTests {
		f.Add(mustHex(f, tt.hex), tt.v.Is3())
	}
	f.Add(mustHex(f, smsgateLongSubmit)[:0x12b], false)
	for _, tt := range realStreams {
		b := mustHex(f, tt.hex)
		f.Add(b[:binary.BigEndian.Uint32(b)], tt.v.Is3())
	}
	f.Fuzz(func(t *testing.T, b []byte, v3 bool) {
		v := V20
		if v3 {
			v = V30
		}
		frame, err := ReadFrame(bytes.NewReader(b), nil)
		if len(b) >= 4 {
			if n := binary.BigEndian.Uint32(b); (n > MaxPDULen || n < HeaderLen) && err == nil {
				t.Fatalf("ReadFrame accepted Total_Length %d", n)
			}
		}
		if err == nil && len(frame) > MaxPDULen {
			t.Fatalf("ReadFrame returned %d bytes", len(frame))
		}
		p, err := Parse(v, b)
		if err != nil {
			if !errors.Is(err, ErrMalformed) && !errors.Is(err, ErrUnsupported) {
				t.Fatalf("Parse error %v wraps neither ErrMalformed nor ErrUnsupported", err)
			}
			return
		}
		m := p.AppendMarshal(nil)
		if len(m) != len(b) {
			t.Fatalf("AppendMarshal wrote %d bytes, parsed frame had %d", len(m), len(b))
		}
		p2, err := Parse(v, m)
		if err != nil {
			t.Fatalf("Parse(AppendMarshal(Parse(b))): %v\nb = %x\nm = %x", err, b, m)
		}
		if !reflect.DeepEqual(normalize(p2), normalize(p)) {
			t.Fatalf("round trip:\n%+v\n%+v", p, p2)
		}
		if m2 := p2.AppendMarshal(nil); !bytes.Equal(m, m2) {
			t.Fatalf("second marshal differs:\n%x\n%x", m, m2)
		}
		if d, ok := p.(*Deliver); ok && d.IsReport() {
			if r, err := d.Report(); err == nil {
				if rb := r.AppendMarshal(nil); len(rb) != len(d.Content) {
					t.Fatalf("report marshals to %d bytes, was %d", len(rb), len(d.Content))
				}
			}
		}
	})
}

// FuzzParseReport checks ParseReport on arbitrary Msg_Content.
func FuzzParseReport(f *testing.F) {
	f.Add(mustHex(f, "b4c5530000010000 44454c49565244 31353131313230393535 31353131313230393537 3133343132333430303030 00000000000000000000 12345678"))
	f.Add(make([]byte, ReportLenWide))
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := ParseReport(b)
		if err != nil {
			return
		}
		r2, err := ParseReport(r.AppendMarshal(nil))
		if err != nil || r2 != r {
			t.Fatalf("round trip: %+v, %v, want %+v", r2, err, r)
		}
		_ = r.Receipt()
	})
}

func TestReadFrame_TooLong(t *testing.T) {
	for _, n := range []uint32{MaxPDULen + 1, 1 << 31} {
		var r countingReader
		r.b = binary.BigEndian.AppendUint32(nil, n)
		r.b = append(r.b, make([]byte, 100)...)
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		_, err := ReadFrame(&r, nil)
		runtime.ReadMemStats(&after)
		if !errors.Is(err, ErrMalformed) {
			t.Fatalf("ReadFrame(Total_Length %d) error = %v, want ErrMalformed", n, err)
		}
		if r.n != 4 {
			t.Errorf("ReadFrame read %d bytes, want only the 4 of Total_Length", r.n)
		}
		if d := after.TotalAlloc - before.TotalAlloc; d > 2048 {
			t.Errorf("ReadFrame(Total_Length %d) allocated %d bytes", n, d)
		}
	}
}

type countingReader struct {
	b []byte
	n int
}

func (r *countingReader) Read(p []byte) (int, error) {
	if r.n >= len(r.b) {
		return 0, io.EOF
	}
	k := copy(p, r.b[r.n:])
	r.n += k
	return k, nil
}
