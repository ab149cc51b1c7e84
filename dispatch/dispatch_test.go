package dispatch_test

import (
	"context"
	"fmt"
	"net"
	"sync"
	"testing"
	"time"

	"taxsms"
	"taxsms/carrier"
	"taxsms/dispatch"
	"taxsms/simulator"
	"taxsms/store"
	"taxsms/store/storetest"
)

const secret = "s3cr3t"

// rig is a simulator serving CMPP (China Mobile), SGIP (Unicom) and SMGP
// (Telecom) on loopback, the links to it, a store and a dispatcher.
type rig struct {
	sim  *simulator.Simulator
	db   *store.DB
	rt   *carrier.Router
	d    *dispatch.Dispatcher
	inMu sync.Mutex
	in   []*taxsms.Message // MO handed to the inbound service
}

func (r *rig) HandleMO(ctx context.Context, m *taxsms.Message) {
	r.inMu.Lock()
	defer r.inMu.Unlock()
	r.in = append(r.in, m)
}

func startRig(t *testing.T, engine string, simCfg func(*simulator.Config)) *rig {
	t.Helper()
	ctx := context.Background()
	sgipLn, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	cfg := simulator.Config{
		CMPP: simulator.ListenConfig{Addr: "127.0.0.1:0", Accounts: map[string]simulator.Account{"901234": {Secret: secret}}},
		SGIP: simulator.ListenConfig{Addr: "127.0.0.1:0", Accounts: map[string]simulator.Account{
			"sp12366": {Secret: secret, NodeID: 3010012366, DeliverAddr: sgipLn.Addr().String()}}},
		SMGP:            simulator.ListenConfig{Addr: "127.0.0.1:0", Accounts: map[string]simulator.Account{"10612366": {Secret: secret}}},
		ReceiptDelay:    5 * time.Millisecond,
		ResponseTimeout: 2 * time.Second,
		RedeliverDelay:  20 * time.Millisecond,
		CloseTimeout:    500 * time.Millisecond,
		Seed:            1,
	}
	if simCfg != nil {
		simCfg(&cfg)
	}
	sim, err := simulator.Start(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sim.Close(); sgipLn.Close() })
	r := &rig{sim: sim, db: storetest.Open(t, engine)}
	link := func(name string, c taxsms.Carrier, p simulator.Protocol, account string) carrier.LinkConfig {
		return carrier.LinkConfig{Name: name, Carrier: c, Protocol: string(p), Address: sim.Addr(p), Account: account,
			Secret: secret, ServiceCode: "TAX12366", SourceNumber: "10635321", Connections: 2, Window: 16, Enabled: true,
			ResponseTimeout: time.Second, ListenAddress: sgipLn.Addr().String(), NodeID: 3010012366}
	}
	r.d = &dispatch.Dispatcher{DB: r.db, MO: r, Config: dispatch.Config{Node: "test", Poll: 10 * time.Millisecond, Sweep: 50 * time.Millisecond}}
	r.rt, err = carrier.Open(ctx, []carrier.LinkConfig{
		link("cmpp", taxsms.CarrierMobile, simulator.CMPP, "901234"),
		link("sgip", taxsms.CarrierUnicom, simulator.SGIP, "sp12366"),
		link("smgp", taxsms.CarrierTelecom, simulator.SMGP, "10612366"),
	}, r.d, carrier.Options{MinBackoff: 20 * time.Millisecond, MaxBackoff: 100 * time.Millisecond, CloseTimeout: time.Second,
		Listen: func(ctx context.Context, network, addr string) (net.Listener, error) { return sgipLn, nil }})
	if err != nil {
		t.Fatal(err)
	}
	readyCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := r.rt.Ready(readyCtx); err != nil {
		t.Fatal(err)
	}
	r.d.Sender = r.rt
	if err := r.d.Open(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		r.d.Stop(ctx)
		r.rt.Close(ctx)
		r.d.Close(ctx)
	})
	return r
}

// waitFor polls cond until it holds or 20 seconds pass; state, if given,
// describes what was seen last.
func waitFor(t *testing.T, what string, cond func() bool, state ...func() string) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			seen := ""
			for _, s := range state {
				seen += " " + s()
			}
			t.Fatalf("timed out waiting for %s:%s", what, seen)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func statuses(t *testing.T, db *store.DB, ids []int64) map[taxsms.Status]int {
	t.Helper()
	n := make(map[taxsms.Status]int)
	for _, id := range ids {
		m, err := db.FindMessage(context.Background(), id)
		if err != nil {
			t.Fatal(err)
		}
		n[m.Status]++
	}
	return n
}

func TestDispatcher_EndToEnd(t *testing.T) {
	for _, engine := range storetest.Engines(t) {
		t.Run(engine, func(t *testing.T) {
			r := startRig(t, engine, nil)
			ctx := context.Background()
			numbers := []string{"13800138000", "13012345678", "13312345678"} // one per carrier
			long := ""
			for range 10 {
				long += "尊敬的纳税人，您本月的增值税申报期限为12月15日。"
			}
			var msgs []*taxsms.Message
			for i := range 60 {
				body := fmt.Sprintf("【12366】第%d条提醒", i)
				segs := 1
				if i%10 == 0 {
					body, segs = long, 5
				}
				msgs = append(msgs, &taxsms.Message{Direction: taxsms.MT, Kind: taxsms.KindFilingReminder, Priority: taxsms.PriorityReminder,
					Mobile: numbers[i%3], Body: body, Segments: segs})
			}
			if _, err := r.db.CreateMessages(ctx, msgs); err != nil {
				t.Fatal(err)
			}
			r.d.Notify()
			var ids []int64
			for _, m := range msgs {
				ids = append(ids, m.ID)
			}
			var last map[taxsms.Status]int
			waitFor(t, "every message delivered", func() bool {
				last = statuses(t, r.db, ids)
				return last[taxsms.StatusDelivered] == len(ids)
			}, func() string { return fmt.Sprint(last) })

			m, err := r.db.FindMessage(ctx, msgs[0].ID)
			if err != nil {
				t.Fatal(err)
			}
			if m.Carrier != taxsms.CarrierMobile || m.Link != "cmpp" || len(m.Parts) < 4 || len(m.Timeline) != 3 {
				t.Errorf("long message = carrier %s link %s, %d parts, timeline %v", m.Carrier, m.Link, len(m.Parts), m.Timeline)
			}
			for _, p := range m.Parts {
				if p.Status != taxsms.StatusDelivered || p.CarrierMsgID == "" {
					t.Errorf("part %+v", p)
				}
			}
			st := r.sim.Stats()
			for _, p := range []simulator.Protocol{simulator.CMPP, simulator.SGIP, simulator.SMGP} {
				if d := st.Total(p).Duplicates; d != 0 {
					t.Errorf("simulator saw %d duplicates on %s, want 0", d, p)
				}
			}

			// MO: a short and a long one.
			for _, mo := range []simulator.MO{
				{Protocol: simulator.CMPP, Account: "901234", From: "13800138000", To: "106353211", Text: "CX"},
				{Protocol: simulator.SGIP, Account: "sp12366", From: "13012345678", To: "106353211", Text: long},
			} {
				if err := r.sim.InjectMO(ctx, mo); err != nil {
					t.Fatal(err)
				}
			}
			waitFor(t, "two MO handed to the inbound service", func() bool { r.inMu.Lock(); defer r.inMu.Unlock(); return len(r.in) == 2 })
			r.inMu.Lock()
			defer r.inMu.Unlock()
			bodies := map[string]bool{r.in[0].Body: true, r.in[1].Body: true}
			if !bodies["CX"] || !bodies[long] {
				t.Errorf("MO bodies = %v", bodies)
			}
		})
	}
}
