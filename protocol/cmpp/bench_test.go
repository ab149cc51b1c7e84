package cmpp

import (
	"context"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// benchSubmit is a 70-character UCS-2 CMPP 3.0 SUBMIT, one destination.
func benchSubmit() *Submit {
	return &Submit{
		Version: V30, Seq: 1, PkTotal: 1, PkNumber: 1, RegisteredDelivery: 1,
		ServiceID: "12366", FeeUserType: 2, MsgFmt: FmtUCS2, MsgSrc: "900001", FeeType: "01",
		FeeCode: "000000", SrcID: "1066612366", DestTerminalIDs: []string{"13800138000"},
		Content: ucs2(strings.Repeat("税", 70)),
	}
}

// BenchmarkSubmit_MarshalParse marshals a 70-character UCS-2 CMPP 3.0
// SUBMIT into a reused buffer and parses it back. Target: < 300 ns, <= 2
// allocs/op.
func BenchmarkSubmit_MarshalParse(b *testing.B) {
	s := benchSubmit()
	buf := make([]byte, 0, 512)
	b.ReportAllocs()
	b.SetBytes(int64(s.Len()))
	for b.Loop() {
		buf = s.AppendMarshal(buf[:0])
		p, err := Parse(V30, buf)
		if err != nil {
			b.Fatal(err)
		}
		if len(p.(*Submit).Content) != 140 {
			b.Fatal("bad content")
		}
	}
}

func BenchmarkSubmit_Marshal(b *testing.B) {
	s := benchSubmit()
	buf := make([]byte, 0, 512)
	b.ReportAllocs()
	for b.Loop() {
		buf = s.AppendMarshal(buf[:0])
	}
}

func BenchmarkSubmit_Parse(b *testing.B) {
	buf := benchSubmit().AppendMarshal(nil)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Parse(V30, buf); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkConn_Submit measures acknowledged submits per second over one
// CMPP 3.0 client connection (window 16) to a server Conn on loopback TCP.
// Target: >= 40,000 submits/s. It also reports window ÷ the round trip of
// a lone submit, the rate the window would allow if nothing overlapped.
func BenchmarkConn_Submit(b *testing.B) {
	addr := startServer(b, ServerConfig{ActiveTestInterval: -1})
	c := dial(b, addr, ClientConfig{ActiveTestInterval: -1})
	ctx := context.Background()
	s := benchSubmit()

	// Round trip of one submit at a time.
	const probes = 200
	start := time.Now()
	for range probes {
		if _, err := c.Submit(ctx, benchSubmit()); err != nil {
			b.Fatal(err)
		}
	}
	rtt := time.Since(start) / probes

	b.ReportAllocs()
	b.ResetTimer()
	var next atomic.Int64
	var wg sync.WaitGroup
	start = time.Now()
	for range DefaultWindow {
		wg.Go(func() {
			s := *s
			s.DestTerminalIDs = []string{"13800138000"}
			for next.Add(1) <= int64(b.N) {
				if _, err := c.Submit(ctx, &s); err != nil {
					b.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	b.StopTimer()
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "submits/s")
	b.ReportMetric(float64(rtt.Microseconds()), "rtt-µs")
	b.ReportMetric(float64(DefaultWindow)/rtt.Seconds(), "window/rtt")
}
