package simulator_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"taxsms/protocol"
	"taxsms/protocol/smgp"
	"taxsms/protocol/sms"
	"taxsms/simulator"
)

func smgpDial(t *testing.T, sim *simulator.Simulator, tweak func(*smgp.ClientConfig)) (*smgp.Conn, error) {
	t.Helper()
	cfg := smgp.ClientConfig{
		ClientID: smgpAccount, Secret: secret, LoginMode: smgp.ModeTransmit,
		Settings: smgp.Settings{ResponseTimeout: 200 * time.Millisecond, Retries: 2, DrainTimeout: time.Second, ThrottleBackoff: -1},
	}
	if tweak != nil {
		tweak(&cfg)
	}
	c, err := smgp.Dial(ctxT(t), sim.Addr(simulator.SMGP), cfg)
	if err == nil {
		t.Cleanup(func() { c.Close() })
	}
	return c, err
}

func smgpSubmit(dest string, format byte, content []byte, udhi bool) *smgp.Submit {
	s := &smgp.Submit{
		MsgType: smgp.MsgTypeMT, NeedReport: true, ServiceID: "TAX", FeeType: "00",
		MsgFormat: format, SrcTermID: "10612366", DestTermIDs: []string{dest}, MsgContent: content,
	}
	if udhi {
		s.TLVs.TPUdhi = smgp.Byte(1)
	}
	return s
}

func TestSMGP_Login(t *testing.T) {
	sim := start(t, testConfig())
	for _, tc := range []struct {
		name  string
		tweak func(*smgp.ClientConfig)
		want  smgp.Status
	}{
		{"BadAccount", func(c *smgp.ClientConfig) { c.ClientID = "99999999" }, smgp.StatusAuthFailed},
		{"BadSecret", func(c *smgp.ClientConfig) { c.Secret = "wrong" }, smgp.StatusAuthFailed},
		{"VersionTooHigh", func(c *smgp.ClientConfig) { c.Version = 0x40 }, smgp.StatusVersionTooHigh},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := smgpDial(t, sim, tc.tweak)
			var se *smgp.StatusError
			if !errors.As(err, &se) || se.Status != tc.want || !errors.Is(err, protocol.ErrAuth) {
				t.Fatalf("Dial error = %v, want Status %d matching ErrAuth", err, tc.want)
			}
		})
	}
	t.Run("TooManyConnections", func(t *testing.T) {
		if _, err := smgpDial(t, sim, nil); err != nil {
			t.Fatalf("Dial: %v", err)
		}
		if _, err := smgpDial(t, sim, nil); !errors.Is(err, smgp.ErrTooManyConnections) {
			t.Fatalf("second Dial error = %v, want ErrTooManyConnections", err)
		}
	})
}

func TestSMGP_Submit(t *testing.T) {
	sim := start(t, testConfig())
	receipts := make(chan protocol.Receipt, 16)
	mo := make(chan sms.Message, 4)
	re := sms.NewReassembler(sms.ReassemblerConfig{})
	c, err := smgpDial(t, sim, func(cfg *smgp.ClientConfig) {
		cfg.OnDeliver = func(_ context.Context, d *smgp.Deliver) error {
			if d.IsReport {
				r, err := d.Receipt()
				receipts <- r
				return err
			}
			msgs, err := re.Add(sms.Fragment{
				Source: d.SrcTermID, Dest: d.DestTermID, Coding: sms.FromMsgFmt(d.MsgFormat),
				Content: d.MsgContent, UDHI: d.TLVs.TPUdhi.Value != 0,
			})
			for _, m := range msgs {
				mo <- m
			}
			return err
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Run("ReceiptPerSegment", func(t *testing.T) {
		text := strings.Repeat("电信用户您好，", 20)
		segs, err := sms.Split(text, sms.SplitOptions{Coding: sms.UCS2, Ref: 3})
		if err != nil {
			t.Fatal(err)
		}
		ids := map[string]bool{}
		for _, sg := range segs {
			resp, err := c.Submit(ctxT(t), smgpSubmit("13300000001", smgp.FormatUCS2, sg.AppendContent(nil), sg.UDH != nil))
			if err != nil {
				t.Fatalf("Submit: %v", err)
			}
			ids[resp.MsgID.Normalized()] = true
		}
		for range segs {
			select {
			case r := <-receipts:
				if !ids[r.MsgID] || r.Stat != "DELIVRD" || r.Dest != "13300000001" {
					t.Errorf("receipt %+v: unknown id, not DELIVRD or wrong number", r)
				}
				delete(ids, r.MsgID)
			case <-time.After(5 * time.Second):
				t.Fatal("no receipt")
			}
		}
	})
	t.Run("Throttle", func(t *testing.T) {
		sim.SetFault(simulator.SMGP, simulator.Fault{Throttle: 1})
		_, err := c.Submit(ctxT(t), smgpSubmit("13300000002", smgp.FormatASCII, []byte("x"), false))
		var se *smgp.StatusError
		if !errors.As(err, &se) || se.Status != smgp.StatusBusy || !errors.Is(err, protocol.ErrThrottled) {
			t.Errorf("Submit error = %v, want Status 1 matching ErrThrottled", err)
		}
	})
	t.Run("NoResponse", func(t *testing.T) {
		sim.SetFault(simulator.SMGP, simulator.Fault{NoResponse: 3})
		if _, err := c.Submit(ctxT(t), smgpSubmit("13300000003", smgp.FormatASCII, []byte("lost"), false)); !errors.Is(err, protocol.ErrTimeout) {
			t.Errorf("Submit with every answer lost: %v, want ErrTimeout", err)
		}
	})
	t.Run("MO", func(t *testing.T) {
		text := "FP 1234 " + strings.Repeat("发票", 40)
		if err := sim.InjectMO(ctxT(t), simulator.MO{Protocol: simulator.SMGP, From: "13300000000", To: "10612366", Text: text}); err != nil {
			t.Fatalf("InjectMO: %v", err)
		}
		select {
		case m := <-mo:
			if m.Text != text || m.Total != 2 {
				t.Errorf("MO = %q in %d parts, want %q in 2", m.Text, m.Total, text)
			}
		case <-time.After(5 * time.Second):
			t.Fatal("no MO")
		}
	})
	t.Run("Garbage", func(t *testing.T) {
		sim.SetFault(simulator.SMGP, simulator.Fault{Garbage: 1})
		if _, err := c.Submit(ctxT(t), smgpSubmit("13300000004", smgp.FormatASCII, []byte("x"), false)); err == nil {
			t.Fatal("Submit answered with garbage: no error")
		}
		<-c.Done()
		if !errors.Is(c.Err(), protocol.ErrClosed) {
			t.Errorf("Err = %v, want ErrClosed", c.Err())
		}
		waitFor(t, "the link to close", func() bool { return sim.Stats()[simulator.SMGP][smgpAccount].Active == 0 })
		if _, err := smgpDial(t, sim, nil); err != nil {
			t.Errorf("redial: %v", err)
		}
	})
}
