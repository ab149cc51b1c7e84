package simulator_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"taxsms/protocol"
	"taxsms/protocol/sgip"
	"taxsms/protocol/sms"
	"taxsms/simulator"
)

// sgipSP is an SP's side of SGIP: its listener, where the simulator
// delivers, and its link to the simulator.
type sgipSP struct {
	receipts chan protocol.Receipt
	mo       chan sms.Message
	ln       *sgip.Server
}

// startSGIPSP opens the SP's listener and points the simulator's account at
// it; the config must then be started.
func startSGIPSP(t *testing.T, cfg *simulator.Config) *sgipSP {
	t.Helper()
	sp := &sgipSP{receipts: make(chan protocol.Receipt, 16), mo: make(chan sms.Message, 4)}
	re := sms.NewReassembler(sms.ReassemblerConfig{})
	ln, err := sgip.Listen("127.0.0.1:0", sgip.ServerConfig{
		Authenticate: sgip.Accounts(sgip.LoginSMGToSP, map[string]string{sgipAccount: secret}),
		OnReport: func(_ context.Context, r *sgip.Report) error {
			sp.receipts <- r.Receipt()
			return nil
		},
		OnDeliver: func(_ context.Context, d *sgip.Deliver) error {
			msgs, err := re.Add(sms.Fragment{
				Source: d.UserNumber, Dest: d.SPNumber, Coding: sms.FromMsgFmt(d.MessageCoding),
				Content: d.Content, UDHI: d.TPUDHI != 0,
			})
			for _, m := range msgs {
				sp.mo <- m
			}
			return err
		},
		CloseTimeout: time.Second,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	sp.ln = ln
	a := cfg.SGIP.Accounts[sgipAccount]
	a.DeliverAddr = ln.Addr().String()
	cfg.SGIP.Accounts[sgipAccount] = a
	return sp
}

func sgipDial(t *testing.T, sim *simulator.Simulator, name, password string) (*sgip.Conn, error) {
	t.Helper()
	c, err := sgip.Dial(ctxT(t), sim.Addr(simulator.SGIP), sgip.ClientConfig{
		LoginName: name, LoginPassword: password, NodeID: 3010012366,
		ResponseTimeout: 200 * time.Millisecond, Resends: 2, CloseTimeout: time.Second,
	})
	if err == nil {
		t.Cleanup(func() { c.Close() })
	}
	return c, err
}

func sgipSubmit(user string, coding uint8, content []byte, udhi bool) *sgip.Submit {
	s := &sgip.Submit{
		SPNumber: "106553212366", UserNumbers: []string{user}, CorpID: "12366",
		ServiceType: "TAX", MessageCoding: coding, Content: content,
	}
	if udhi {
		s.TPUDHI = 1
	}
	return s
}

func TestSGIP_Login(t *testing.T) {
	sim := start(t, testConfig())
	if _, err := sgipDial(t, sim, sgipAccount, secret); err != nil {
		t.Fatalf("Dial: %v", err)
	}
	for _, tc := range []struct {
		name, account, password string
		want                    uint8
	}{
		{"BadAccount", "nobody", secret, sgip.ResultIllegalLogin},
		{"BadSecret", sgipAccount, "wrong", sgip.ResultIllegalLogin},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := sgipDial(t, sim, tc.account, tc.password)
			var se *sgip.StatusError
			if !errors.As(err, &se) || se.Result != tc.want || !errors.Is(err, protocol.ErrAuth) {
				t.Fatalf("Dial error = %v, want Result %d matching ErrAuth", err, tc.want)
			}
		})
	}
	t.Run("TooManyConnections", func(t *testing.T) {
		if _, err := sgipDial(t, sim, sgipAccount, secret); err != nil {
			t.Fatalf("second Dial: %v", err)
		}
		_, err := sgipDial(t, sim, sgipAccount, secret)
		var se *sgip.StatusError
		if !errors.As(err, &se) || se.Result != sgip.ResultTooManyConns {
			t.Fatalf("third Dial error = %v, want Result %d", err, sgip.ResultTooManyConns)
		}
	})
}

func TestSGIP_Submit(t *testing.T) {
	cfg := testConfig()
	sp := startSGIPSP(t, &cfg)
	sim := start(t, cfg)
	c, err := sgipDial(t, sim, sgipAccount, secret)
	if err != nil {
		t.Fatal(err)
	}
	t.Run("ReceiptPerSegment", func(t *testing.T) {
		text := strings.Repeat("请于本月15日前完成增值税申报。", 8)
		segs, err := sms.Split(text, sms.SplitOptions{Coding: sms.UCS2, Ref: 9})
		if err != nil {
			t.Fatal(err)
		}
		ids := map[string]bool{}
		for _, sg := range segs {
			resp, err := c.Submit(ctxT(t), sgipSubmit("8613800000001", 8, sg.AppendContent(nil), sg.UDH != nil))
			if err != nil {
				t.Fatalf("Submit: %v", err)
			}
			ids[resp.MsgID()] = true
		}
		for range segs {
			select {
			case r := <-sp.receipts:
				if !ids[r.MsgID] || r.Stat != "DELIVRD" {
					t.Errorf("receipt %+v: unknown id or not DELIVRD", r)
				}
				delete(ids, r.MsgID)
			case <-time.After(5 * time.Second):
				t.Fatal("no receipt")
			}
		}
	})
	t.Run("Throttle", func(t *testing.T) {
		sim.SetFault(simulator.SGIP, simulator.Fault{Throttle: 1})
		_, err := c.Submit(ctxT(t), sgipSubmit("8613800000002", 0, []byte("x"), false))
		var se *sgip.StatusError
		if !errors.As(err, &se) || se.Result != sgip.ResultBusy || !errors.Is(err, protocol.ErrThrottled) {
			t.Errorf("Submit error = %v, want Result 11 matching ErrThrottled", err)
		}
	})
	t.Run("NoResponse", func(t *testing.T) {
		sim.SetFault(simulator.SGIP, simulator.Fault{NoResponse: 1})
		if _, err := c.Submit(ctxT(t), sgipSubmit("8613800000003", 0, []byte("again"), false)); err != nil {
			t.Errorf("Submit after one lost answer: %v", err)
		}
		sim.SetFault(simulator.SGIP, simulator.Fault{NoResponse: 3})
		if _, err := c.Submit(ctxT(t), sgipSubmit("8613800000003", 0, []byte("lost"), false)); !errors.Is(err, protocol.ErrTimeout) {
			t.Errorf("Submit with every answer lost: %v, want ErrTimeout", err)
		}
	})
	t.Run("MO", func(t *testing.T) {
		text := "FP 1234 " + strings.Repeat("查询", 40)
		if err := sim.InjectMO(ctxT(t), simulator.MO{Protocol: simulator.SGIP, From: "8613800000000", To: "106553212366", Text: text}); err != nil {
			t.Fatalf("InjectMO: %v", err)
		}
		select {
		case m := <-sp.mo:
			if m.Text != text || m.Total != 2 {
				t.Errorf("MO = %q in %d parts, want %q in 2", m.Text, m.Total, text)
			}
		case <-time.After(5 * time.Second):
			t.Fatal("no MO")
		}
	})
	t.Run("Drop", func(t *testing.T) {
		sim.SetFault(simulator.SGIP, simulator.Fault{Drop: 1})
		if _, err := c.Submit(ctxT(t), sgipSubmit("8613800000004", 0, []byte("x"), false)); !errors.Is(err, protocol.ErrClosed) {
			t.Errorf("Submit on a dropped link: %v, want ErrClosed", err)
		}
		c2, err := sgipDial(t, sim, sgipAccount, secret)
		if err != nil {
			t.Fatalf("redial: %v", err)
		}
		if _, err := c2.Submit(ctxT(t), sgipSubmit("8613800000004", 0, []byte("x"), false)); err != nil {
			t.Errorf("Submit after redial: %v", err)
		}
	})
}
