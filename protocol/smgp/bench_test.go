package smgp

import (
	"context"
	"net"
	"sync"
	"testing"
	"unicode/utf16"
)

func ucs2(s string) []byte {
	var b []byte
	for _, u := range utf16.Encode([]rune(s)) {
		b = append(b, byte(u>>8), byte(u))
	}
	return b
}

// BenchmarkSubmit_MarshalParse marshals and parses a 70-character UCS-2
// Submit.
func BenchmarkSubmit_MarshalParse(b *testing.B) {
	text := ""
	for len([]rune(text)) < 70 {
		text += "您好，这里是一二三六六纳税服务热线。"
	}
	s := mt("")
	s.MsgFormat = FormatUCS2
	s.MsgContent = ucs2(string([]rune(text)[:70]))
	s.SequenceID = 42
	buf := make([]byte, 0, 512)
	b.ReportAllocs()
	for b.Loop() {
		buf = s.AppendMarshal(buf[:0])
		if _, err := Parse(buf); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkConn_Submit is acknowledged submits per second over one loopback
// TCP connection with the default window of 16.
func BenchmarkConn_Submit(b *testing.B) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan struct{})
	go func() { // ends when cancel is called
		Serve(ctx, l, ServerConfig{Authenticate: authOK})
		close(served)
	}()
	defer func() {
		cancel()
		<-served
	}()
	c, err := Dial(ctx, l.Addr().String(), ClientConfig{ClientID: testAccount, Secret: testSecret, LoginMode: ModeTransmit})
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	s := mt("benchmark message")
	const workers = 32
	var wg sync.WaitGroup
	work := make(chan struct{}, workers)
	b.ReportAllocs()
	b.ResetTimer()
	for range workers {
		wg.Add(1)
		go func() { // ends when work is closed
			defer wg.Done()
			for range work {
				if _, err := c.Submit(ctx, s); err != nil {
					b.Error(err)
					return
				}
			}
		}()
	}
	for range b.N {
		work <- struct{}{}
	}
	close(work)
	wg.Wait()
	b.StopTimer()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "submits/s")
}
