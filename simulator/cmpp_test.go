package simulator_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"taxsms/protocol"
	"taxsms/protocol/cmpp"
	"taxsms/protocol/sms"
	"taxsms/simulator"
)

// cmppClient dials the simulator's CMPP port; deliveries go to onDeliver.
func cmppClient(t *testing.T, sim *simulator.Simulator, account string, tweak func(*cmpp.ClientConfig)) (*cmpp.Conn, error) {
	t.Helper()
	cfg := cmpp.ClientConfig{
		SourceAddr: account, Secret: cmppSecret,
		ResponseTimeout: 300 * time.Millisecond, MaxTries: 2, CloseTimeout: time.Second,
	}
	if tweak != nil {
		tweak(&cfg)
	}
	c, err := cmpp.Dial(ctxT(t), sim.Addr(simulator.CMPP), cfg)
	if err == nil {
		t.Cleanup(func() { c.Close() })
	}
	return c, err
}

func cmppSubmit(dest, text string, report bool) *cmpp.Submit {
	s := &cmpp.Submit{
		PkTotal: 1, PkNumber: 1, MsgFmt: cmpp.FmtASCII, MsgSrc: cmppAccount,
		SrcID: "106353212366", DestTerminalIDs: []string{dest}, Content: []byte(text),
	}
	if report {
		s.RegisteredDelivery = 1
	}
	return s
}

// cmppSegments splits text in UCS-2 into SUBMITs with a concatenation UDH.
func cmppSegments(t *testing.T, dest, text string, ref uint16) []*cmpp.Submit {
	t.Helper()
	segs, err := sms.Split(text, sms.SplitOptions{Coding: sms.UCS2, Ref: ref})
	if err != nil {
		t.Fatal(err)
	}
	out := make([]*cmpp.Submit, len(segs))
	for i, sg := range segs {
		s := cmppSubmit(dest, "", true)
		s.MsgFmt, s.Content = cmpp.FmtUCS2, sg.AppendContent(nil)
		s.PkTotal, s.PkNumber = uint8(sg.Total), uint8(sg.Seq)
		if sg.UDH != nil {
			s.TPUDHI = 1
		}
		out[i] = s
	}
	return out
}

func TestCMPP_Login(t *testing.T) {
	sim := start(t, testConfig())
	t.Run("OK", func(t *testing.T) {
		c, err := cmppClient(t, sim, cmppAccount, nil)
		if err != nil {
			t.Fatalf("Dial: %v", err)
		}
		if got, want := c.Version(), cmpp.V30; got != want {
			t.Errorf("Version = %v, want %v", got, want)
		}
	})
	for _, tc := range []struct {
		name    string
		account string
		tweak   func(*cmpp.ClientConfig)
		want    uint32
	}{
		{"BadAccount", "999999", nil, cmpp.StatusBadSource},
		{"BadSecret", cmppAccount, func(c *cmpp.ClientConfig) { c.Secret = "wrong" }, cmpp.StatusAuthFailed},
		{"VersionTooHigh", cmppAccount, func(c *cmpp.ClientConfig) { c.Version = 0x40 }, cmpp.StatusVersionTooHigh},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := cmppClient(t, sim, tc.account, tc.tweak)
			var re *cmpp.ResultError
			if !errors.As(err, &re) || !errors.Is(err, protocol.ErrAuth) {
				t.Fatalf("Dial error = %v, want a *ResultError matching ErrAuth", err)
			}
			if re.Code != tc.want {
				t.Errorf("Status = %d, want %d", re.Code, tc.want)
			}
		})
	}
	t.Run("TooManyConnections", func(t *testing.T) {
		if _, err := cmppClient(t, sim, cmppOneLink, nil); err != nil {
			t.Fatalf("first Dial: %v", err)
		}
		_, err := cmppClient(t, sim, cmppOneLink, nil)
		var re *cmpp.ResultError
		if !errors.As(err, &re) || re.Code != cmpp.StatusOther {
			t.Fatalf("second Dial error = %v, want Status %d", err, cmpp.StatusOther)
		}
	})
	waitFor(t, "login counters", func() bool {
		st := sim.Stats()[simulator.CMPP]
		return st[cmppAccount].LoginsOK == 1 && st[cmppAccount].LoginsFailed == 1 && st["?"].LoginsFailed == 1 &&
			st["999999"].LoginsFailed == 1 && st[cmppOneLink].LoginsFailed == 1
	})
}

func TestCMPP_Submit(t *testing.T) {
	t.Run("ReceiptPerSegment", func(t *testing.T) {
		sim := start(t, testConfig())
		receipts := make(chan protocol.Receipt, 16)
		c, err := cmppClient(t, sim, cmppAccount, func(cfg *cmpp.ClientConfig) {
			cfg.OnDeliver = func(_ context.Context, d *cmpp.Deliver) error {
				if r, err := d.Receipt(); err == nil {
					receipts <- r
				}
				return nil
			}
		})
		if err != nil {
			t.Fatal(err)
		}
		text := strings.Repeat("纳税服务热线提醒您按期申报。", 12) // 168 characters: 3 segments
		ids := map[string]bool{}
		for _, s := range cmppSegments(t, "13800000001", text, 7) {
			resp, err := c.Submit(ctxT(t), s)
			if err != nil {
				t.Fatalf("Submit: %v", err)
			}
			ids[protocol.NormalizeID(resp.MsgID.String())] = true
		}
		if len(ids) != 3 {
			t.Fatalf("distinct ids = %d, want 3", len(ids))
		}
		for range 3 {
			select {
			case r := <-receipts:
				if !ids[r.MsgID] {
					t.Errorf("receipt for %s, which no response gave", r.MsgID)
				}
				delete(ids, r.MsgID)
				if r.Stat != "DELIVRD" || r.Dest != "13800000001" {
					t.Errorf("receipt = %+v, want DELIVRD to 13800000001", r)
				}
			case <-time.After(5 * time.Second):
				t.Fatal("no receipt")
			}
		}
		subs := sim.Submits()
		if len(subs) != 3 {
			t.Fatalf("Submits() = %d, want 3", len(subs))
		}
		var got strings.Builder
		for _, s := range subs {
			got.WriteString(s.Text())
			if s.Total != 3 || s.Ref != 7 {
				t.Errorf("segment %d: Total %d Ref %d, want 3 and 7", s.Seq, s.Total, s.Ref)
			}
		}
		if got.String() != text {
			t.Errorf("kept text = %q, want %q", got.String(), text)
		}
		waitFor(t, "receipt counters", func() bool { return sim.Stats()[simulator.CMPP][cmppAccount].Receipts == 3 })
		st := sim.Stats()[simulator.CMPP][cmppAccount]
		if st.Submits != 3 || st.Segments != 3 || st.Messages != 1 || st.Duplicates != 0 {
			t.Errorf("counters = %+v, want 3 submits, 3 segments, 1 message, 0 duplicates", st)
		}
	})
	t.Run("Failures", func(t *testing.T) {
		cfg := testConfig()
		cfg.FailureRate = 1
		cfg.Failures = []simulator.Failure{{Stat: "EXPIRED", Err: "006"}}
		sim := start(t, cfg)
		receipts := make(chan protocol.Receipt, 1)
		c, err := cmppClient(t, sim, cmppAccount, func(cfg *cmpp.ClientConfig) {
			cfg.OnDeliver = func(_ context.Context, d *cmpp.Deliver) error {
				r, err := d.Receipt()
				if err == nil {
					receipts <- r
				}
				return err
			}
		})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := c.Submit(ctxT(t), cmppSubmit("13800000002", "hello", true)); err != nil {
			t.Fatal(err)
		}
		if r := <-receipts; r.Stat != "EXPIRED" || r.Delivered() {
			t.Errorf("receipt Stat = %q, want EXPIRED", r.Stat)
		}
		waitFor(t, "failed receipt", func() bool {
			return sim.Stats()[simulator.CMPP][cmppAccount].FailedReceipts == 1
		})
	})
	t.Run("Duplicates", func(t *testing.T) {
		sim := start(t, testConfig())
		c, err := cmppClient(t, sim, cmppAccount, nil)
		if err != nil {
			t.Fatal(err)
		}
		for range 2 {
			if _, err := c.Submit(ctxT(t), cmppSubmit("13800000003", "same", false)); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := c.Submit(ctxT(t), cmppSubmit("13800000004", "same", false)); err != nil {
			t.Fatal(err)
		}
		st := sim.Stats()[simulator.CMPP][cmppAccount]
		if st.Segments != 3 || st.Duplicates != 1 || st.Messages != 2 {
			t.Errorf("counters = %+v, want 3 segments, 1 duplicate, 2 messages", st)
		}
		if subs := sim.Submits(); !subs[1].Duplicate || subs[2].Duplicate {
			t.Errorf("Duplicate flags = %v %v, want true false", subs[1].Duplicate, subs[2].Duplicate)
		}
	})
}

func TestCMPP_Throttle(t *testing.T) {
	t.Run("Rate", func(t *testing.T) {
		cfg := testConfig()
		cfg.Rate = 5
		sim := start(t, cfg)
		c, err := cmppClient(t, sim, cmppAccount, nil)
		if err != nil {
			t.Fatal(err)
		}
		var ok, throttled int
		for i := range 10 {
			_, err := c.Submit(ctxT(t), cmppSubmit("13800000005", fmt.Sprint("n", i), false))
			switch {
			case err == nil:
				ok++
			case errors.Is(err, protocol.ErrThrottled):
				throttled++
			default:
				t.Fatalf("Submit: %v", err)
			}
		}
		if ok < 5 || ok > 6 || throttled != 10-ok {
			t.Errorf("accepted %d, throttled %d; want 5 (or 6) accepted and the rest throttled", ok, throttled)
		}
		if got := sim.Stats()[simulator.CMPP][cmppAccount].Throttled; got != int64(throttled) {
			t.Errorf("Throttled = %d, want %d", got, throttled)
		}
	})
	t.Run("Window", func(t *testing.T) {
		cfg := testConfig()
		cfg.Window = 2
		cfg.Faults = map[simulator.Protocol]simulator.Fault{simulator.CMPP: {Delay: 100 * time.Millisecond}}
		sim := start(t, cfg)
		c, err := cmppClient(t, sim, cmppAccount, func(cfg *cmpp.ClientConfig) {
			cfg.Window = 6
			cfg.ResponseTimeout = 3 * time.Second
		})
		if err != nil {
			t.Fatal(err)
		}
		var wg sync.WaitGroup
		errs := make(chan error, 6)
		for i := range 6 {
			wg.Go(func() {
				_, err := c.Submit(ctxT(t), cmppSubmit("13800000006", fmt.Sprint("w", i), false))
				errs <- err
			})
		}
		wg.Wait()
		close(errs)
		var throttled int
		for err := range errs {
			if errors.Is(err, protocol.ErrThrottled) {
				throttled++
			} else if err != nil {
				t.Errorf("Submit: %v", err)
			}
		}
		if throttled == 0 {
			t.Errorf("throttled = 0, want the submits beyond the window of 2 throttled")
		}
	})
	t.Run("Fault", func(t *testing.T) {
		sim := start(t, testConfig())
		c, err := cmppClient(t, sim, cmppAccount, nil)
		if err != nil {
			t.Fatal(err)
		}
		sim.SetFault(simulator.CMPP, simulator.Fault{Throttle: 1})
		_, err = c.Submit(ctxT(t), cmppSubmit("13800000007", "x", false))
		var re *cmpp.ResultError
		if !errors.As(err, &re) || re.Code != cmpp.ResultThrottled || !errors.Is(err, protocol.ErrThrottled) {
			t.Fatalf("Submit error = %v, want Result 8 matching ErrThrottled", err)
		}
		if _, err := c.Submit(ctxT(t), cmppSubmit("13800000007", "x", false)); err != nil {
			t.Fatalf("Submit after the fault: %v", err)
		}
	})
}

func TestCMPP_Faults(t *testing.T) {
	t.Run("NoResponse", func(t *testing.T) {
		sim := start(t, testConfig())
		c, err := cmppClient(t, sim, cmppAccount, func(cfg *cmpp.ClientConfig) {
			cfg.ResponseTimeout = 100 * time.Millisecond
			cfg.MaxTries = 3
		})
		if err != nil {
			t.Fatal(err)
		}
		sim.SetFault(simulator.CMPP, simulator.Fault{NoResponse: 1})
		if _, err := c.Submit(ctxT(t), cmppSubmit("13800000010", "resend me", false)); err != nil {
			t.Fatalf("Submit with one lost answer: %v", err)
		}
		// The CMPP server Conn answers a resent SUBMIT (same Sequence_Id)
		// from its memory: the simulator handles it once.
		st := sim.Stats()[simulator.CMPP][cmppAccount]
		if st.Submits != 1 || st.Segments != 1 || st.Faults != 1 {
			t.Errorf("counters = %+v, want 1 submit, 1 segment, 1 fault", st)
		}
		sim.SetFault(simulator.CMPP, simulator.Fault{NoResponse: 3})
		if _, err := c.Submit(ctxT(t), cmppSubmit("13800000010", "lost", false)); !errors.Is(err, protocol.ErrTimeout) {
			t.Errorf("Submit with every answer lost: %v, want ErrTimeout", err)
		}
	})
	t.Run("Drop", func(t *testing.T) {
		sim := start(t, testConfig())
		c, err := cmppClient(t, sim, cmppAccount, nil)
		if err != nil {
			t.Fatal(err)
		}
		sim.SetFault(simulator.CMPP, simulator.Fault{Drop: 1})
		if _, err := c.Submit(ctxT(t), cmppSubmit("13800000011", "x", false)); !errors.Is(err, protocol.ErrClosed) {
			t.Errorf("Submit on a dropped link: %v, want ErrClosed", err)
		}
		<-c.Done()
		c2, err := cmppClient(t, sim, cmppAccount, nil)
		if err != nil {
			t.Fatalf("redial: %v", err)
		}
		if _, err := c2.Submit(ctxT(t), cmppSubmit("13800000011", "x", false)); err != nil {
			t.Errorf("Submit after redial: %v", err)
		}
		if n := sim.Drop(simulator.CMPP, cmppAccount); n != 1 {
			t.Errorf("Drop = %d, want 1", n)
		}
		<-c2.Done()
		waitFor(t, "no active link", func() bool { return sim.Stats()[simulator.CMPP][cmppAccount].Active == 0 })
		if st := sim.Stats()[simulator.CMPP][cmppAccount]; st.Connections != 2 {
			t.Errorf("Connections = %d, want 2", st.Connections)
		}
	})
	t.Run("Garbage", func(t *testing.T) {
		sim := start(t, testConfig())
		c, err := cmppClient(t, sim, cmppAccount, nil)
		if err != nil {
			t.Fatal(err)
		}
		sim.SetFault(simulator.CMPP, simulator.Fault{Garbage: 1})
		_, err = c.Submit(ctxT(t), cmppSubmit("13800000012", "x", false))
		if err == nil {
			t.Fatal("Submit answered with garbage: no error")
		}
		<-c.Done()
		if !errors.Is(c.Err(), protocol.ErrClosed) || !errors.Is(c.Err(), cmpp.ErrMalformed) {
			t.Errorf("Err = %v, want ErrClosed and ErrMalformed", c.Err())
		}
	})
	t.Run("Slow", func(t *testing.T) {
		sim := start(t, testConfig())
		c, err := cmppClient(t, sim, cmppAccount, func(cfg *cmpp.ClientConfig) { cfg.ResponseTimeout = 2 * time.Second })
		if err != nil {
			t.Fatal(err)
		}
		sim.SetFault(simulator.CMPP, simulator.Fault{Delay: 50 * time.Millisecond})
		t0 := time.Now()
		if _, err := c.Submit(ctxT(t), cmppSubmit("13800000013", "x", false)); err != nil {
			t.Fatal(err)
		}
		if d := time.Since(t0); d < 50*time.Millisecond {
			t.Errorf("answer after %v, want at least 50ms", d)
		}
	})
}

func TestCMPP_MO(t *testing.T) {
	sim := start(t, testConfig())
	srv := httptest.NewServer(sim.Handler())
	defer srv.Close()
	re := sms.NewReassembler(sms.ReassemblerConfig{})
	got := make(chan sms.Message, 1)
	_, err := cmppClient(t, sim, cmppAccount, func(cfg *cmpp.ClientConfig) {
		cfg.OnDeliver = func(_ context.Context, d *cmpp.Deliver) error {
			msgs, err := re.Add(sms.Fragment{
				Source: d.SrcTerminalID, Dest: d.DestID, Coding: sms.FromMsgFmt(d.MsgFmt),
				Content: d.Content, UDHI: d.HasUDH(),
			})
			for _, m := range msgs {
				got <- m
			}
			return err
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	text := "FP 1234 " + strings.Repeat("我要查询发票真伪，", 10) // 98 characters: 2 segments
	body := fmt.Sprintf(`{"protocol":"cmpp","account":%q,"from":"13800000000","to":"106353212366","text":%q}`, cmppAccount, text)
	resp, err := http.Post(srv.URL+"/mo?wait=1", "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("POST /mo = %d %s, want 200", resp.StatusCode, b)
	}
	select {
	case m := <-got:
		if m.Text != text || m.Total != 2 || m.Incomplete() || m.Source != "13800000000" || m.Dest != "106353212366" {
			t.Errorf("reassembled %+v, want %q in 2 parts from 13800000000 to 106353212366", m, text)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no MO reassembled")
	}
	if st := sim.Stats()[simulator.CMPP][cmppAccount]; st.MO != 2 {
		t.Errorf("MO = %d, want 2", st.MO)
	}
}
