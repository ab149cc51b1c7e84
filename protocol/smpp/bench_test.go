package smpp

import (
	"context"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func benchSubmit() *Submit {
	return &Submit{Header: Header{Seq: 1}, SM: SM{
		SourceTON: 0, SourceNPI: 1, Source: "12366",
		DestTON: 1, DestNPI: 1, Dest: "8613800138000",
		RegisteredDelivery: 1, DataCoding: 8,
		Message: ucs2(string([]rune(strings.Repeat("【12366】尊敬的纳税人：您本季度增值税申报期限为本月十五日，请及时通过电子税务局办理申报缴款。", 2))[:70])),
	}}
}

// BenchmarkSubmitMarshalParse marshals and parses a 70-character UCS-2
// submit_sm.
func BenchmarkSubmitMarshalParse(b *testing.B) {
	s := benchSubmit()
	if n := len(s.Message); n != 140 {
		b.Fatalf("message %d bytes, want 140", n)
	}
	buf := make([]byte, 0, 512)
	b.ReportAllocs()
	for b.Loop() {
		buf = s.AppendMarshal(buf[:0])
		if _, err := Parse(buf); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkConn_Submit measures acknowledged submit_sm per second over one
// loopback TCP connection with a window of 16.
func BenchmarkConn_Submit(b *testing.B) {
	srv := startServer(b, ServerConfig{})
	c, err := Dial(context.Background(), srv.addr, ClientConfig{Timing: Timing{EnquireLink: -1}, SystemID: "taxsms", Password: "secret"})
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	s := benchSubmit()
	var next atomic.Int64
	var wg sync.WaitGroup
	b.ResetTimer()
	start := time.Now()
	for range 2 * DefaultWindow {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for next.Add(1) <= int64(b.N) {
				if _, err := c.Submit(context.Background(), s); err != nil {
					b.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "submits/s")
}
