package sgip

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf16"
)

func benchSubmit() *Submit {
	var content []byte
	for _, u := range utf16.Encode([]rune(strings.Repeat("税", 70))) {
		content = append(content, byte(u>>8), byte(u))
	}
	p := testSubmit("")
	p.Seq = Seq{testNode, 1231235959, 42}
	p.MessageCoding, p.Content = 8, content
	return p
}

// BenchmarkSubmit_MarshalParse marshals a 70-character UCS-2 Submit into a
// reused buffer and parses it back.
func BenchmarkSubmit_MarshalParse(b *testing.B) {
	p := benchSubmit()
	buf := make([]byte, 0, 512)
	b.ReportAllocs()
	for b.Loop() {
		buf = p.AppendMarshal(buf[:0])
		if _, err := Parse(buf); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkConn_Submit measures acknowledged submits per second over one
// loopback TCP link with a window of 16.
func BenchmarkConn_Submit(b *testing.B) {
	s, err := Listen("127.0.0.1:0", ServerConfig{
		Authenticate: Accounts(LoginSPToSMG, map[string]string{testName: testPass}),
		OnSubmit:     func(context.Context, *Conn, *Submit) error { return nil },
	})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	cfg := testClientConfig()
	cfg.Window = 16
	c, err := Dial(context.Background(), s.Addr().String(), cfg)
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	proto := benchSubmit()
	b.ReportAllocs()
	start := time.Now()
	var wg sync.WaitGroup
	work := make(chan struct{}, 64)
	for range cfg.Window {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range work {
				p := *proto
				if _, err := c.Submit(context.Background(), &p); err != nil {
					b.Error(err)
					return
				}
			}
		}()
	}
	for b.Loop() {
		work <- struct{}{}
	}
	close(work)
	wg.Wait()
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "submits/s")
}
