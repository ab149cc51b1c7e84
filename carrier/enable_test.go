package carrier_test

import (
	"errors"
	"sync"
	"testing"

	"taxsms"
	"taxsms/carrier"
	"taxsms/simulator"
)

func TestRouter_SetEnabled(t *testing.T) {
	r := startRig(t, testSimConfig())
	a, b := r.link(simulator.CMPP, "mobile-a"), r.link(simulator.CMPP, "mobile-b")
	off := r.link(simulator.CMPP, "mobile-off")
	off.Enabled = false
	rt := openRouter(t, r, newRecorder(), r.options(nil), a, b, off)
	send := func() (carrier.Result, error) {
		return rt.Send(ctxT(t), carrier.Message{Mobile: mobileNumber, Text: "测试"})
	}
	health := func(name string) carrier.Health {
		for _, h := range rt.Health() {
			if h.Name == name {
				return h
			}
		}
		t.Fatalf("no health of %s", name)
		return carrier.Health{}
	}

	t.Run("Disable", func(t *testing.T) {
		if err := rt.SetEnabled("mobile-a", false); err != nil {
			t.Fatal(err)
		}
		for range 4 {
			if res, err := send(); err != nil || res.Link != "mobile-b" {
				t.Fatalf("Send = %s, %v; want mobile-b while mobile-a is disabled", res.Link, err)
			}
		}
		h := health("mobile-a")
		if h.Enabled || h.Connected != 1 {
			t.Errorf("health of mobile-a: Enabled = %v, Connected = %d; want false, 1 (sessions stay up for receipts)", h.Enabled, h.Connected)
		}
		if err := rt.Ready(ctxT(t)); err != nil {
			t.Errorf("Ready with a link disabled at run time = %v, want nil", err)
		}
	})
	t.Run("AllDisabled", func(t *testing.T) {
		if err := rt.SetEnabled("mobile-b", false); err != nil {
			t.Fatal(err)
		}
		// Messages wait (ErrUnavailable), they are not rejected (ErrNoRoute).
		if _, err := send(); !errors.Is(err, carrier.ErrUnavailable) {
			t.Errorf("Send with every link disabled: %v, want ErrUnavailable", err)
		}
	})
	t.Run("Enable", func(t *testing.T) {
		for _, name := range []string{"mobile-a", "mobile-b", "mobile-b"} {
			if err := rt.SetEnabled(name, true); err != nil {
				t.Fatal(err)
			}
		}
		seen := map[string]bool{}
		for range 6 {
			res, err := send()
			if err != nil {
				t.Fatal(err)
			}
			seen[res.Link] = true
		}
		if !seen["mobile-a"] || !seen["mobile-b"] || !health("mobile-a").Enabled {
			t.Errorf("links used after enabling both: %v, want both", seen)
		}
	})
	t.Run("Errors", func(t *testing.T) {
		for _, tt := range []struct {
			name string
			on   bool
			code string
		}{
			{"nosuch", false, taxsms.ENOTFOUND},
			{"mobile-off", true, taxsms.ECONFLICT},
		} {
			if err := rt.SetEnabled(tt.name, tt.on); taxsms.ErrorCode(err) != tt.code {
				t.Errorf("SetEnabled(%q, %v) = %v, want %s", tt.name, tt.on, err, tt.code)
			}
		}
		if err := rt.SetEnabled("mobile-off", false); err != nil {
			t.Errorf("disabling a link configured disabled = %v, want nil", err)
		}
	})
	t.Run("Concurrent", func(t *testing.T) {
		var wg sync.WaitGroup
		for i := range 8 {
			wg.Go(func() {
				for j := range 20 {
					rt.SetEnabled("mobile-a", (i+j)%2 == 0)
					rt.Health()
				}
			})
			wg.Go(func() { send() })
		}
		wg.Wait()
		if err := rt.SetEnabled("mobile-a", true); err != nil {
			t.Fatal(err)
		}
	})
}
