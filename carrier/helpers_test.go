package carrier_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net"
	"sync"
	"testing"
	"time"

	"taxsms"
	"taxsms/carrier"
	"taxsms/simulator"
)

// Test accounts, one per protocol.
const (
	cmppAccount = "901234"
	sgipAccount = "sp12366"
	sgipNode    = 3010012366
	smgpAccount = "10612366"
	smppAccount = "taxsms"
	secret      = "s3cr3t"
)

// Numbers of each carrier in the default prefix table.
const (
	mobileNumber  = "13800138000"
	unicomNumber  = "13012345678"
	telecomNumber = "13312345678"
)

// rig is a simulator with an SGIP listener address ready for the SP side.
type rig struct {
	sim    *simulator.Simulator
	sgipLn net.Listener
}

// testSimConfig serves every protocol on loopback with fast receipts.
func testSimConfig() simulator.Config {
	return simulator.Config{
		CMPP: simulator.ListenConfig{Addr: "127.0.0.1:0", Accounts: map[string]simulator.Account{
			cmppAccount: {Secret: secret},
		}},
		SGIP: simulator.ListenConfig{Addr: "127.0.0.1:0", Accounts: map[string]simulator.Account{
			sgipAccount: {Secret: secret, NodeID: sgipNode},
		}},
		SMGP: simulator.ListenConfig{Addr: "127.0.0.1:0", Accounts: map[string]simulator.Account{
			smgpAccount: {Secret: secret},
		}},
		SMPP: simulator.ListenConfig{Addr: "127.0.0.1:0", Accounts: map[string]simulator.Account{
			smppAccount: {Secret: secret},
		}},
		ReceiptDelay:    5 * time.Millisecond,
		ResponseTimeout: 2 * time.Second,
		RedeliverDelay:  20 * time.Millisecond,
		MaxDeliverTries: 5,
		CloseTimeout:    500 * time.Millisecond,
		Seed:            1,
	}
}

// startRig starts a simulator with cfg, after opening the SP's SGIP
// listener so that the simulator can dial back to it.
func startRig(t testing.TB, cfg simulator.Config) *rig {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	a := cfg.SGIP.Accounts[sgipAccount]
	a.DeliverAddr = ln.Addr().String()
	cfg.SGIP.Accounts[sgipAccount] = a
	sim, err := simulator.Start(context.Background(), cfg)
	if err != nil {
		ln.Close()
		t.Fatalf("simulator.Start: %v", err)
	}
	t.Cleanup(func() { sim.Close(); ln.Close() })
	return &rig{sim: sim, sgipLn: ln}
}

// link returns the configuration of a link of protocol p to the rig.
func (r *rig) link(p simulator.Protocol, name string) carrier.LinkConfig {
	c := carrier.LinkConfig{
		Name: name, Protocol: string(p), Address: r.sim.Addr(p), Secret: secret,
		ServiceCode: "TAX12366", SourceNumber: "10635321", Extensions: map[string]string{"reply": "1"},
		Connections: 1, Window: 16, Enabled: true, ResponseTimeout: time.Second,
	}
	switch p {
	case simulator.CMPP:
		c.Carrier, c.Account = taxsms.CarrierMobile, cmppAccount
	case simulator.SGIP:
		c.Carrier, c.Account = taxsms.CarrierUnicom, sgipAccount
		c.ListenAddress, c.NodeID = r.sgipLn.Addr().String(), sgipNode
	case simulator.SMGP:
		c.Carrier, c.Account = taxsms.CarrierTelecom, smgpAccount
	case simulator.SMPP:
		c.Carrier, c.Account = taxsms.CarrierMobile, smppAccount
		c.ServiceCode = "TAX"
	}
	return c
}

// options are fast timings for tests; the SGIP listener is the rig's.
func (r *rig) options(log *slog.Logger) carrier.Options {
	return carrier.Options{
		Logger:     log,
		MinBackoff: 20 * time.Millisecond, MaxBackoff: 100 * time.Millisecond,
		ThrottlePause: 20 * time.Millisecond, CloseTimeout: time.Second,
		Listen: func(ctx context.Context, network, addr string) (net.Listener, error) {
			if addr == r.sgipLn.Addr().String() {
				return r.sgipLn, nil
			}
			var lc net.ListenConfig
			return lc.Listen(ctx, network, addr)
		},
	}
}

// openRouter opens links over the rig, waits for them to be up and closes
// them when the test ends.
func openRouter(t testing.TB, r *rig, h carrier.Handler, opts carrier.Options, cfgs ...carrier.LinkConfig) *carrier.Router {
	t.Helper()
	rt, err := carrier.Open(context.Background(), cfgs, h, opts)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := rt.Close(ctx); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := rt.Ready(ctx); err != nil {
		t.Fatalf("Ready: %v", err)
	}
	return rt
}

// recorder is a Handler that keeps what it receives and can be told to fail.
type recorder struct {
	mu        sync.Mutex
	receipts  []carrier.Receipt
	fragments []carrier.Fragment
	failMO    int // refuse the next failMO fragments
	changed   chan struct{}
}

func newRecorder() *recorder { return &recorder{changed: make(chan struct{}, 1)} }

func (r *recorder) HandleReceipt(_ context.Context, rc carrier.Receipt) error {
	r.mu.Lock()
	r.receipts = append(r.receipts, rc)
	r.mu.Unlock()
	r.notify()
	return nil
}

func (r *recorder) HandleMO(_ context.Context, f carrier.Fragment) error {
	r.mu.Lock()
	if r.failMO > 0 {
		r.failMO--
		r.mu.Unlock()
		return errors.New("store unavailable")
	}
	r.fragments = append(r.fragments, f)
	r.mu.Unlock()
	r.notify()
	return nil
}

func (r *recorder) notify() {
	select {
	case r.changed <- struct{}{}:
	default:
	}
}

// waitReceipts waits until receipts for every id have arrived and returns
// them by id.
func (r *recorder) waitReceipts(t testing.TB, ids []string) map[string]carrier.Receipt {
	t.Helper()
	deadline := time.After(10 * time.Second)
	for {
		got := make(map[string]carrier.Receipt)
		r.mu.Lock()
		for _, rc := range r.receipts {
			got[rc.MsgID] = rc
		}
		r.mu.Unlock()
		missing := 0
		for _, id := range ids {
			if _, ok := got[id]; !ok {
				missing++
			}
		}
		if missing == 0 {
			return got
		}
		select {
		case <-r.changed:
		case <-time.After(20 * time.Millisecond):
		case <-deadline:
			t.Fatalf("%d of %d receipts missing; have %d", missing, len(ids), len(got))
		}
	}
}

func (r *recorder) frags() []carrier.Fragment {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]carrier.Fragment(nil), r.fragments...)
}

// waitFor polls cond until it holds or a few seconds pass.
func waitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func ctxT(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// syncBuffer is a log destination safe for concurrent writes.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
