package simulator_test

import (
	"context"
	"strconv"
	"sync"
	"testing"
	"time"

	"taxsms/protocol/cmpp"
	"taxsms/simulator"
)

// BenchmarkCMPP_Submit measures acknowledged submits per second of one CMPP
// 3.0 client connection with window 16 against the simulator over loopback
// TCP (the target: 40,000/s), and window ÷ mean round trip.
// "Receipts" also asks for a status report per submit, pushed back on the
// same link after 1 ms.
func BenchmarkCMPP_Submit(b *testing.B) {
	for _, report := range []bool{false, true} {
		name := "NoReceipts"
		if report {
			name = "Receipts"
		}
		b.Run(name, func(b *testing.B) {
			cfg := testConfig()
			cfg.SGIP.Addr, cfg.SMGP.Addr, cfg.SMPP.Addr = "", "", ""
			cfg.ReceiptDelay = time.Millisecond
			cfg.Keep = -1
			sim, err := simulator.Start(context.Background(), cfg)
			if err != nil {
				b.Fatal(err)
			}
			defer sim.Close()
			const window = 16
			c, err := cmpp.Dial(context.Background(), sim.Addr(simulator.CMPP), cmpp.ClientConfig{
				SourceAddr: cmppAccount, Secret: cmppSecret, Window: window,
				ResponseTimeout: 10 * time.Second, Workers: 4,
				OnDeliver: func(context.Context, *cmpp.Deliver) error { return nil },
			})
			if err != nil {
				b.Fatal(err)
			}
			defer c.Close()
			ctx := context.Background()
			var (
				mu      sync.Mutex
				rttSum  time.Duration
				rttN    int
				next    = make(chan int, window)
				wg      sync.WaitGroup
				content = []byte("您的增值税申报期限为本月15日，请按时申报。【12366】")
			)
			b.ResetTimer()
			t0 := time.Now()
			for range window {
				wg.Go(func() {
					var sum time.Duration
					var n int
					s := &cmpp.Submit{
						PkTotal: 1, PkNumber: 1, RegisteredDelivery: 0, MsgFmt: cmpp.FmtUCS2,
						MsgSrc: cmppAccount, SrcID: "106353212366", Content: content,
					}
					if report {
						s.RegisteredDelivery = 1
					}
					for i := range next {
						s.DestTerminalIDs = []string{"138" + strconv.Itoa(10000000+i)}
						t := time.Now()
						if _, err := c.Submit(ctx, s); err != nil {
							b.Error(err)
							return
						}
						sum += time.Since(t)
						n++
					}
					mu.Lock()
					rttSum, rttN = rttSum+sum, rttN+n
					mu.Unlock()
				})
			}
			for i := range b.N {
				next <- i
			}
			close(next)
			wg.Wait()
			elapsed := time.Since(t0)
			b.StopTimer()
			b.ReportMetric(float64(b.N)/elapsed.Seconds(), "submits/s")
			if rttN > 0 {
				rtt := rttSum / time.Duration(rttN)
				b.ReportMetric(float64(rtt.Microseconds()), "µs-rtt")
				b.ReportMetric(window/rtt.Seconds(), "window/rtt")
			}
			if st := sim.Stats()[simulator.CMPP][cmppAccount]; st.Segments != int64(b.N) {
				b.Errorf("Segments = %d, want %d", st.Segments, b.N)
			}
		})
	}
}
