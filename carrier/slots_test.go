package carrier_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"taxsms/carrier"
	"taxsms/simulator"
)

// fakeSlots is the shared database of connection slots, in memory: the
// Routers given it are nodes sharing one carrier account.
type fakeSlots struct {
	mu      sync.Mutex
	held    map[string]map[int]bool // by link, the slots leased
	stolen  map[int]bool            // slots taken from their holder: Renew fails
	renewed int
}

func newFakeSlots() *fakeSlots {
	return &fakeSlots{held: make(map[string]map[int]bool), stolen: make(map[int]bool)}
}

func (f *fakeSlots) Acquire(_ context.Context, link string, max int, _ time.Duration) (int, bool, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.held[link] == nil {
		f.held[link] = make(map[int]bool)
	}
	for i := range max {
		if !f.held[link][i] {
			f.held[link][i] = true
			return i, true, nil
		}
	}
	return 0, false, nil
}

func (f *fakeSlots) Renew(_ context.Context, link string, slot int, _ time.Duration) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.stolen[slot] {
		return fmt.Errorf("slot %d: %w", slot, carrier.ErrSlotLost)
	}
	f.renewed++
	return nil
}

func (f *fakeSlots) Release(_ context.Context, link string, slot int) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if !f.stolen[slot] {
		delete(f.held[link], slot)
	}
	return nil
}

// steal gives slot to another node: its holder's next renewal fails.
func (f *fakeSlots) steal(slot int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.stolen[slot] = true
}

func (f *fakeSlots) renewals() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.renewed
}

// TestLink_Slots runs two Routers, as two nodes, on one carrier account
// whose limit they share: together they never open more sessions than
// MaxConnections, the slots of a node that closes go to the other, and a
// session whose slot is lost closes.
func TestLink_Slots(t *testing.T) {
	r := startRig(t, testSimConfig()) // the account has no limit: an excess would show
	cfg := r.link(simulator.CMPP, "mobile")
	cfg.Connections, cfg.MaxConnections = 3, 4
	slots := newFakeSlots()
	opts := r.options(nil)
	opts.Slots, opts.SlotLease = slots, 150*time.Millisecond
	open := func() *carrier.Router {
		rt, err := carrier.Open(context.Background(), []carrier.LinkConfig{cfg}, newRecorder(), opts)
		if err != nil {
			t.Fatalf("Open: %v", err)
		}
		t.Cleanup(func() { rt.Close(context.Background()) })
		return rt
	}
	a, b := open(), open()
	connected := func(rts ...*carrier.Router) int {
		n := 0
		for _, rt := range rts {
			n += rt.Health()[0].Connected
		}
		return n
	}
	stats := func() simulator.Counters { return r.sim.Stats()[simulator.CMPP][cmppAccount] }
	waitFor(t, "4 sessions over both nodes", func() bool { return connected(a, b) == 4 })
	// Renewals go on for a while; nothing else opens.
	waitFor(t, "renewals", func() bool { return slots.renewals() >= 12 })
	if got := connected(a, b); got != 4 {
		t.Errorf("sessions up = %d, want 4", got)
	}
	for _, rt := range []*carrier.Router{a, b} {
		if _, err := rt.Send(ctxT(t), carrier.Message{Mobile: mobileNumber, Text: "测试"}); err != nil {
			t.Errorf("Send: %v", err)
		}
	}

	// One node closes: the other takes its slots, up to its own 3.
	if err := a.Close(ctxT(t)); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "3 sessions on the remaining node", func() bool { return connected(b) == 3 && stats().Active == 3 })

	// A slot taken by another node closes its session, which leases the
	// slot still free.
	before := stats().Connections
	slots.mu.Lock()
	var taken int
	for slot := range slots.held["mobile"] {
		taken = slot
		break
	}
	slots.mu.Unlock()
	slots.steal(taken)
	waitFor(t, "the session of the lost slot dialled again", func() bool {
		return stats().Connections == before+1 && connected(b) == 3
	})
	if got := stats().MaxActive; got > 4 {
		t.Errorf("simulator MaxActive = %d, want at most MaxConnections 4", got)
	}
	if got := stats().LoginsFailed; got != 0 {
		t.Errorf("LoginsFailed = %d, want 0", got)
	}
}

// TestLink_SlotsDown keeps a session up while renewals fail for less than
// the lease, and closes it once the lease would lapse.
func TestLink_SlotsDown(t *testing.T) {
	r := startRig(t, testSimConfig())
	cfg := r.link(simulator.CMPP, "mobile")
	slots := &flakySlots{fakeSlots: newFakeSlots()}
	opts := r.options(nil)
	opts.Slots, opts.SlotLease = slots, 600*time.Millisecond
	rt := openRouter(t, r, newRecorder(), opts, cfg)
	// Renewals every 200 ms: the first that fails keeps the session (the
	// lease has 400 ms left), the second closes it (the lease would lapse
	// before a third). The session is up until 400 ms after the last
	// success, at least 200 ms after the failures start.
	slots.fail(true)
	time.Sleep(100 * time.Millisecond)
	if got := rt.Health()[0].Connected; got != 1 {
		t.Fatalf("Connected while renewals fail within the lease = %d, want 1", got)
	}
	waitFor(t, "the session to close", func() bool { return rt.Health()[0].Connected == 0 })
	slots.fail(false)
	waitFor(t, "the session to come back", func() bool { return rt.Health()[0].Connected == 1 })
}

// flakySlots fails every call while told to, as a database down.
type flakySlots struct {
	*fakeSlots
	mu   sync.Mutex
	down bool
}

func (f *flakySlots) fail(down bool) { f.mu.Lock(); f.down = down; f.mu.Unlock() }

func (f *flakySlots) err() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.down {
		return errors.New("database unavailable")
	}
	return nil
}

func (f *flakySlots) Acquire(ctx context.Context, link string, max int, lease time.Duration) (int, bool, error) {
	if err := f.err(); err != nil {
		return 0, false, err
	}
	return f.fakeSlots.Acquire(ctx, link, max, lease)
}

func (f *flakySlots) Renew(ctx context.Context, link string, slot int, lease time.Duration) error {
	if err := f.err(); err != nil {
		return err
	}
	return f.fakeSlots.Renew(ctx, link, slot, lease)
}
