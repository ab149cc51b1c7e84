package carrier_test

import (
	"context"
	"testing"
	"time"

	"taxsms/carrier"
	"taxsms/simulator"
)

// BenchmarkRouter_Send sends short messages through a Router with one CMPP
// link of 2 connections, window 16, into the simulator over loopback TCP,
// from 32 goroutines at once.
func BenchmarkRouter_Send(b *testing.B) {
	cfg := testSimConfig()
	cfg.ReceiptDelay = time.Hour // receipts out of the measure
	cfg.Keep = -1
	r := startRig(b, cfg)
	lc := r.link(simulator.CMPP, "bench")
	lc.Connections, lc.Window = 2, 16
	rt := openRouter(b, r, newRecorder(), r.options(nil), lc)
	waitFor(b, "both sessions", func() bool { return rt.Health()[0].Connected == 2 })
	ctx := context.Background()
	msg := carrier.Message{Mobile: mobileNumber, Text: "【12366】您的增值税申报期限为本月15日，请及时办理。"}
	b.SetParallelism(16) // 16 × GOMAXPROCS senders: enough to fill both windows
	b.ResetTimer()
	start := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := rt.Send(ctx, msg); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "msg/s")
}
