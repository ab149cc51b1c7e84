package simulator_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"taxsms/protocol"
	"taxsms/protocol/smpp"
	"taxsms/protocol/sms"
	"taxsms/simulator"
)

func smppDial(t *testing.T, sim *simulator.Simulator, id, password string, onDeliver func(context.Context, *smpp.Deliver) error) (*smpp.Conn, error) {
	t.Helper()
	c, err := smpp.Dial(ctxT(t), sim.Addr(simulator.SMPP), smpp.ClientConfig{
		SystemID: id, Password: password, OnDeliver: onDeliver,
		Timing: smpp.Timing{ResponseTimeout: 200 * time.Millisecond, Resends: 2, CloseTimeout: time.Second},
	})
	if err == nil {
		t.Cleanup(func() { c.Close() })
	}
	return c, err
}

func TestSMPP_Login(t *testing.T) {
	sim := start(t, testConfig())
	for _, tc := range []struct {
		name, id, password string
		want               smpp.Status
	}{
		{"BadAccount", "nobody", secret, smpp.StatusInvSystemID},
		{"BadSecret", smppAccount, "wrong", smpp.StatusInvPassword},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := smppDial(t, sim, tc.id, tc.password, nil)
			var st smpp.Status
			if !errors.As(err, &st) || st != tc.want || !errors.Is(err, protocol.ErrAuth) {
				t.Fatalf("Dial error = %v, want %v matching ErrAuth", err, tc.want)
			}
		})
	}
	t.Run("TooManyConnections", func(t *testing.T) {
		if _, err := smppDial(t, sim, smppAccount, secret, nil); err != nil {
			t.Fatalf("Dial: %v", err)
		}
		_, err := smppDial(t, sim, smppAccount, secret, nil)
		var st smpp.Status
		if !errors.As(err, &st) || st != smpp.StatusBindFail {
			t.Fatalf("second Dial error = %v, want %v", err, smpp.StatusBindFail)
		}
	})
}

func TestSMPP_Submit(t *testing.T) {
	sim := start(t, testConfig())
	receipts := make(chan protocol.Receipt, 16)
	mo := make(chan sms.Message, 4)
	re := sms.NewReassembler(sms.ReassemblerConfig{})
	c, err := smppDial(t, sim, smppAccount, secret, func(_ context.Context, d *smpp.Deliver) error {
		if d.IsReceipt() {
			r, err := smpp.Dialect{}.Receipt(d)
			receipts <- r
			return err
		}
		msgs, err := re.Add(sms.Fragment{
			Source: d.Source, Dest: d.Dest, Coding: sms.FromDataCoding(d.DataCoding, sms.GSM7),
			Content: d.Message, UDHI: d.ESMClass&smpp.ESMClassUDHI != 0,
		})
		for _, m := range msgs {
			mo <- m
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Run("GSMReceiptPerSegment", func(t *testing.T) {
		text := strings.Repeat("Your tax return is due {15 May}. ", 8) // GSM7 with escapes, 3 segments
		segs, err := sms.Split(text, sms.SplitOptions{Coding: sms.GSM7, Ref: 11})
		if err != nil {
			t.Fatal(err)
		}
		ids := map[string]bool{}
		for _, sg := range segs {
			s := &smpp.Submit{SM: smpp.SM{
				Source: "12366", Dest: "447700900001", RegisteredDelivery: 1,
				DataCoding: 0, Message: sg.AppendContent(nil),
			}}
			if sg.UDH != nil {
				s.ESMClass = smpp.ESMClassUDHI
			}
			resp, err := c.Submit(ctxT(t), s)
			if err != nil {
				t.Fatalf("Submit: %v", err)
			}
			ids[smpp.Dialect{}.MsgID(resp)] = true
		}
		if len(ids) != len(segs) || len(segs) < 2 {
			t.Fatalf("%d ids for %d segments", len(ids), len(segs))
		}
		for range segs {
			select {
			case r := <-receipts:
				if !ids[r.MsgID] || r.Stat != "DELIVRD" {
					t.Errorf("receipt %+v: unknown id or not DELIVRD", r)
				}
				delete(ids, r.MsgID)
			case <-time.After(5 * time.Second):
				t.Fatal("no receipt")
			}
		}
		var got strings.Builder
		for _, s := range sim.Submits() {
			got.WriteString(s.Text())
		}
		if got.String() != text {
			t.Errorf("kept text = %q, want %q", got.String(), text)
		}
	})
	t.Run("Throttle", func(t *testing.T) {
		sim.SetFault(simulator.SMPP, simulator.Fault{Throttle: 1})
		_, err := c.Submit(ctxT(t), &smpp.Submit{SM: smpp.SM{Dest: "447700900002", Message: []byte("x")}})
		var st smpp.Status
		if !errors.As(err, &st) || st != smpp.StatusThrottled || !errors.Is(err, protocol.ErrThrottled) {
			t.Errorf("Submit error = %v, want ESME_RTHROTTLED matching ErrThrottled", err)
		}
	})
	t.Run("NoResponse", func(t *testing.T) {
		sim.SetFault(simulator.SMPP, simulator.Fault{NoResponse: 3})
		_, err := c.Submit(ctxT(t), &smpp.Submit{SM: smpp.SM{Dest: "447700900003", Message: []byte("lost")}})
		if !errors.Is(err, protocol.ErrTimeout) {
			t.Errorf("Submit with every answer lost: %v, want ErrTimeout", err)
		}
	})
	t.Run("MO", func(t *testing.T) {
		text := strings.Repeat("Where is my refund? ", 10) // 200 GSM characters: 2 segments
		if err := sim.InjectMO(ctxT(t), simulator.MO{Protocol: simulator.SMPP, From: "447700900000", To: "12366", Text: text}); err != nil {
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
	t.Run("Drop", func(t *testing.T) {
		sim.SetFault(simulator.SMPP, simulator.Fault{Drop: 1})
		if _, err := c.Submit(ctxT(t), &smpp.Submit{SM: smpp.SM{Dest: "447700900004", Message: []byte("x")}}); !errors.Is(err, protocol.ErrClosed) {
			t.Errorf("Submit on a dropped link: %v, want ErrClosed", err)
		}
		<-c.Done()
		waitFor(t, "the link to close", func() bool { return sim.Stats()[simulator.SMPP][smppAccount].Active == 0 })
		c2, err := smppDial(t, sim, smppAccount, secret, nil)
		if err != nil {
			t.Fatalf("redial: %v", err)
		}
		if _, err := c2.Submit(ctxT(t), &smpp.Submit{SM: smpp.SM{Dest: "447700900004", Message: []byte("x")}}); err != nil {
			t.Errorf("Submit after redial: %v", err)
		}
	})
}
