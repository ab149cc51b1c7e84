package carrier_test

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"taxsms"
	"taxsms/carrier"
	"taxsms/simulator"
)

const broadnetNumber = "19212345678"

// deadAddr returns a loopback address where nothing listens.
func deadAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

func TestRouter_Send(t *testing.T) {
	r := startRig(t, testSimConfig())
	cmpp, smgp := r.link(simulator.CMPP, "cmpp"), r.link(simulator.SMGP, "smgp")
	sgip := r.link(simulator.SGIP, "sgip")
	sgip.Enabled = false
	opts := r.options(nil)
	opts.Routes = carrier.Routes{Overrides: map[string]taxsms.Carrier{"13800138001": taxsms.CarrierTelecom}}
	rt := openRouter(t, r, newRecorder(), opts, cmpp, smgp, sgip)
	for _, tc := range []struct {
		name, mobile, link string
		err                error
	}{
		{"Prefix", mobileNumber, "cmpp", nil},
		{"PrefixTelecom", telecomNumber, "smgp", nil},
		{"Override", "13800138001", "smgp", nil},
		{"DisabledLink", unicomNumber, "", carrier.ErrNoRoute},
		{"NoLink", broadnetNumber, "", carrier.ErrNoRoute},
		{"NoCarrier", "10012345678", "", carrier.ErrNoRoute},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res, err := rt.Send(ctxT(t), carrier.Message{Mobile: tc.mobile, Text: "测试"})
			if !errors.Is(err, tc.err) || (tc.err == nil) != (err == nil) {
				t.Fatalf("Send error = %v, want %v", err, tc.err)
			}
			if res.Link != tc.link {
				t.Errorf("Link = %q, want %q", res.Link, tc.link)
			}
		})
	}
	t.Run("SetOverrides", func(t *testing.T) {
		rt.SetOverrides(nil)
		if c, _ := rt.Route("13800138001"); c != taxsms.CarrierMobile {
			t.Errorf("Route after SetOverrides(nil) = %s, want mobile", c)
		}
	})
}

func TestRouter_Failover(t *testing.T) {
	r := startRig(t, testSimConfig())
	dead := deadAddr(t)
	down := r.link(simulator.CMPP, "mobile-down")
	down.Address = dead
	up := r.link(simulator.CMPP, "mobile-up")
	opts := r.options(nil)
	rt, err := carrier.Open(ctxT(t), []carrier.LinkConfig{down, up}, newRecorder(), opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { rt.Close(context.Background()) })
	if err := rt.Links()[1].Ready(ctxT(t)); err != nil {
		t.Fatal(err)
	}
	t.Run("SameCarrier", func(t *testing.T) {
		for range 4 {
			res, err := rt.Send(ctxT(t), carrier.Message{Mobile: mobileNumber, Text: "测试"})
			if err != nil || res.Link != "mobile-up" {
				t.Fatalf("Send = %s, %v; want mobile-up", res.Link, err)
			}
		}
	})
	t.Run("OtherCarrier", func(t *testing.T) {
		smgp := r.link(simulator.SMGP, "telecom")
		opts := r.options(nil)
		opts.Routes.Failover = map[taxsms.Carrier][]taxsms.Carrier{taxsms.CarrierMobile: {taxsms.CarrierTelecom}}
		rt := openRouter(t, r, newRecorder(), opts, smgp)
		// no mobile link at all: the telecom link takes the number
		res, err := rt.Send(ctxT(t), carrier.Message{Mobile: mobileNumber, Text: "测试"})
		if err != nil || res.Link != "telecom" {
			t.Fatalf("Send = %s, %v; want telecom", res.Link, err)
		}
		// down mobile link: failover as well
		rt2 := carrier.NewRouter(append(rt.Links(), rt2Links(t, r, down)...), opts.Routes)
		res, err = rt2.Send(ctxT(t), carrier.Message{Mobile: mobileNumber, Text: "测试"})
		if err != nil || res.Link != "telecom" {
			t.Fatalf("Send with the mobile link down = %s, %v; want telecom", res.Link, err)
		}
	})
	t.Run("AllDown", func(t *testing.T) {
		rt := carrier.NewRouter(rt2Links(t, r, down), carrier.Routes{})
		_, err := rt.Send(ctxT(t), carrier.Message{Mobile: mobileNumber, Text: "测试"})
		if !errors.Is(err, carrier.ErrUnavailable) {
			t.Fatalf("Send error = %v, want ErrUnavailable", err)
		}
	})
}

// rt2Links opens the links of cfgs without waiting for them.
func rt2Links(t *testing.T, r *rig, cfgs ...carrier.LinkConfig) []*carrier.Link {
	t.Helper()
	var links []*carrier.Link
	for _, c := range cfgs {
		l, err := carrier.OpenLink(ctxT(t), c, newRecorder(), r.options(nil))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { l.Close(context.Background()) })
		links = append(links, l)
	}
	return links
}

// TestRouter_Rate checks the link's rate over two connections at the
// simulator: a burst of messages takes at least as long as the rate allows.
// Only the lower bound is checked, which a slow machine cannot break.
func TestRouter_Rate(t *testing.T) {
	cfg := testSimConfig()
	var mu sync.Mutex
	var times []time.Time
	cfg.OnSubmit = func(simulator.Submit) {
		mu.Lock()
		times = append(times, time.Now())
		mu.Unlock()
	}
	r := startRig(t, cfg)
	lc := r.link(simulator.CMPP, "rate")
	lc.Connections, lc.MessagesPerSecond = 2, 50
	rt := openRouter(t, r, newRecorder(), r.options(nil), lc)
	waitFor(t, "both sessions", func() bool { return rt.Health()[0].Connected == 2 })
	const n = 30
	start := time.Now()
	var wg sync.WaitGroup
	for range n {
		wg.Go(func() {
			if _, err := rt.Send(ctxT(t), carrier.Message{Mobile: mobileNumber, Text: "测试"}); err != nil {
				t.Errorf("Send: %v", err)
			}
		})
	}
	wg.Wait()
	// 50/s with a burst of 5: the 30th submit may start after 25/50 s.
	if el := time.Since(start); el < 480*time.Millisecond {
		t.Errorf("%d submits took %v, want at least 500ms at 50/s", n, el)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(times) != n {
		t.Fatalf("simulator saw %d submits, want %d", len(times), n)
	}
	// No window of 200 ms holds more than its share plus the burst.
	for i := range times {
		k := 0
		for j := i; j < len(times) && times[j].Sub(times[i]) < 200*time.Millisecond; j++ {
			k++
		}
		if k > 10+5+1 {
			t.Fatalf("%d submits within 200ms from submit %d, want at most 16", k, i)
		}
	}
	if h := rt.Health()[0]; h.Segments != n {
		t.Errorf("Health Segments = %d, want %d", h.Segments, n)
	}
}

// TestHealth_NoSecrets checks that neither Health, the configuration's
// printed forms nor the logs show the secret or a full number.
func TestHealth_NoSecrets(t *testing.T) {
	var buf syncBuffer
	log := slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	r := startRig(t, testSimConfig())
	good := r.link(simulator.CMPP, "good")
	bad := r.link(simulator.SMPP, "bad")
	bad.Secret = "wrong!"
	rt, err := carrier.Open(ctxT(t), []carrier.LinkConfig{good, bad}, newRecorder(), r.options(log))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { rt.Close(context.Background()) })
	if err := rt.Links()[0].Ready(ctxT(t)); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "a failed login", func() bool { return rt.Health()[1].Errors > 0 })
	r.sim.SetFault(simulator.CMPP, simulator.Fault{Throttle: 1})
	rt.Send(ctxT(t), carrier.Message{Mobile: mobileNumber, Text: "测试"})
	h := rt.Health()
	if h[0].Connected != 1 || h[0].ConnectedSince.IsZero() || h[1].Connected != 0 || h[1].LastError == "" {
		t.Errorf("Health = %+v", h)
	}
	for _, s := range []string{
		buf.String(), h[1].LastError, good.String(), bad.String(),
	} {
		for _, bad := range []string{secret, "wrong!", mobileNumber} {
			if strings.Contains(s, bad) {
				t.Errorf("%q shows %q", s, bad)
			}
		}
	}
}
