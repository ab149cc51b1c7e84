package storetest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"sync"
	"testing"
	"time"

	"taxsms"
	"taxsms/store"
)

// testSlots leases connection slots: the lowest free one, none beyond the
// limit, a lapsed lease free again and lost to its holder, renewals.
func testSlots(t *testing.T, db *store.DB) {
	ctx := context.Background()
	clk := &clock{t: time.Date(2026, 12, 3, 9, 0, 0, 0, time.UTC)}
	db.Now = clk.Now
	const lease = 30 * time.Second
	acquire := func(t *testing.T, link string, slots int, node string) (int, bool) {
		t.Helper()
		slot, ok, err := db.AcquireSlot(ctx, link, slots, node, lease)
		must(t, err)
		return slot, ok
	}

	t.Run("OK", func(t *testing.T) {
		for i, node := range []string{"n1", "n2", "n1"} {
			if slot, ok := acquire(t, "ok", 3, node); !ok || slot != i {
				t.Fatalf("AcquireSlot %d = %d, %v; want %d, true", i, slot, ok, i)
			}
		}
		if slot, ok := acquire(t, "ok", 3, "n3"); ok {
			t.Fatalf("AcquireSlot beyond the limit = %d, true; want false", slot)
		}
		held, err := db.HeldSlots(ctx, "ok")
		must(t, err)
		if len(held) != 3 || held[0] != "n1" || held[1] != "n2" || held[2] != "n1" {
			t.Errorf("HeldSlots = %v, want n1 n2 n1", held)
		}
		if slot, ok := acquire(t, "other", 1, "n3"); !ok || slot != 0 {
			t.Errorf("AcquireSlot of another link = %d, %v; want 0, true", slot, ok)
		}
		must(t, db.ReleaseSlot(ctx, "ok", 1, "n1")) // not n1's: nothing
		if _, ok := acquire(t, "ok", 3, "n3"); ok {
			t.Fatal("a slot released by a node that did not hold it was taken")
		}
		must(t, db.ReleaseSlot(ctx, "ok", 1, "n2"))
		if slot, ok := acquire(t, "ok", 3, "n3"); !ok || slot != 1 {
			t.Errorf("AcquireSlot after release = %d, %v; want 1, true", slot, ok)
		}
		// A smaller limit counts only the slots below it.
		must(t, db.ReleaseSlot(ctx, "ok", 2, "n1"))
		if slot, ok := acquire(t, "ok", 2, "n3"); ok {
			t.Errorf("AcquireSlot with limit 2 = %d, true; want false (slots 0 and 1 are held)", slot)
		}
	})

	t.Run("Lapse", func(t *testing.T) {
		if _, ok := acquire(t, "lapse", 2, "n1"); !ok {
			t.Fatal("no slot")
		}
		clk.Add(lease / 2)
		if _, ok := acquire(t, "lapse", 2, "n2"); !ok {
			t.Fatal("no slot")
		}
		clk.Add(lease/2 + time.Millisecond) // n1's lease has passed, n2's has not
		wantCode(t, db.RenewSlot(ctx, "lapse", 0, "n1", lease), taxsms.ENOTFOUND, "")
		if slot, ok := acquire(t, "lapse", 2, "n3"); !ok || slot != 0 {
			t.Fatalf("AcquireSlot of a lapsed slot = %d, %v; want 0, true", slot, ok)
		}
		wantCode(t, db.RenewSlot(ctx, "lapse", 0, "n1", lease), taxsms.ENOTFOUND, "")
		must(t, db.RenewSlot(ctx, "lapse", 1, "n2", lease))
		clk.Add(lease - time.Millisecond) // still within n2's renewed lease
		if slot, ok := acquire(t, "lapse", 2, "n4"); ok {
			t.Errorf("AcquireSlot = %d, true; want false: n2 renewed slot 1, n3's slot 0 is current", slot)
		}
		must(t, db.ReleaseSlot(ctx, "lapse", 0, "n1")) // the slot is n3's now: nothing
		if held, err := db.HeldSlots(ctx, "lapse"); err != nil || held[0] != "n3" || held[1] != "n2" {
			t.Errorf("HeldSlots = %v, %v; want n3 n2", held, err)
		}
	})

	t.Run("ReleaseNodeSlots", func(t *testing.T) {
		for range 2 {
			acquire(t, "restart", 3, "r1")
		}
		acquire(t, "restart", 3, "r2")
		acquire(t, "restart-b", 1, "r1")
		n, err := db.ReleaseNodeSlots(ctx, "r1")
		must(t, err)
		if n != 3 {
			t.Errorf("ReleaseNodeSlots = %d, want 3", n)
		}
		if held, err := db.HeldSlots(ctx, "restart"); err != nil || len(held) != 1 || held[2] != "r2" {
			t.Errorf("HeldSlots after ReleaseNodeSlots = %v, %v; want slot 2 of r2", held, err)
		}
	})

	t.Run("ErrInvalid", func(t *testing.T) {
		_, _, err := db.AcquireSlot(ctx, "", 1, "n1", lease)
		wantCode(t, err, taxsms.EINVALID, "link")
		_, _, err = db.AcquireSlot(ctx, "x", 1, "", lease)
		wantCode(t, err, taxsms.EINVALID, "node")
		_, _, err = db.AcquireSlot(ctx, "x", 0, "n1", lease)
		wantCode(t, err, taxsms.EINVALID, "slots")
		_, _, err = db.AcquireSlot(ctx, "x", 1, "n1", 0)
		wantCode(t, err, taxsms.EINVALID, "lease")
	})
}

// testSlotsConcurrent acquires from many goroutines at once, as nodes do
// when they start together: never the same slot twice, never more than
// the limit, and every slot taken.
func testSlotsConcurrent(t *testing.T, db *store.DB) {
	ctx := context.Background()
	const slots, acquirers = 5, 12
	for round := range 3 {
		link := fmt.Sprintf("concurrent-%d", round)
		var mu sync.Mutex
		got := make(map[int]string)
		var wg sync.WaitGroup
		for i := range acquirers {
			node := fmt.Sprintf("n%d", i%3)
			wg.Go(func() {
				slot, ok, err := db.AcquireSlot(ctx, link, slots, node, time.Minute)
				if err != nil {
					t.Error(err)
					return
				}
				if !ok {
					return
				}
				mu.Lock()
				defer mu.Unlock()
				if other, dup := got[slot]; dup {
					t.Errorf("slot %d acquired by %s and by %s", slot, other, node)
				}
				got[slot] = node
			})
		}
		wg.Wait()
		if len(got) != slots {
			t.Errorf("round %d: %d slots acquired, want %d", round, len(got), slots)
		}
		for slot := range got {
			if slot < 0 || slot >= slots {
				t.Errorf("round %d: slot %d is beyond the limit %d", round, slot, slots)
			}
		}
	}
}

// testLock takes a lock from two handles on one database, as two nodes:
// one holds it at a time, it passes on when released, and on SQLite (one
// node) it is always held.
func testLock(t *testing.T, engine string) {
	ctx := context.Background()
	dsn := DSN(t, engine, "sqlite:"+t.TempDir()+"/lock.db")
	a, b := OpenDSN(t, dsn, Box(t)), OpenDSN(t, dsn, Box(t))
	// A name of its own: PostgreSQL's advisory locks span the database,
	// which other tests' nodes share.
	r := make([]byte, 6)
	rand.Read(r)
	name := "test-" + hex.EncodeToString(r)
	la, lb := a.Lock(name), b.Lock(name)
	defer la.Release()
	defer lb.Release()
	hold := func(l *store.Lock) bool {
		t.Helper()
		held, err := l.Hold(ctx)
		must(t, err)
		return held
	}
	if !hold(la) {
		t.Fatal("Hold of a free lock = false")
	}
	if !hold(la) {
		t.Error("Hold again by its holder = false")
	}
	if a.Engine() == "sqlite" {
		if !hold(lb) {
			t.Error("Hold on SQLite = false, want true: one node runs")
		}
		return
	}
	if hold(lb) {
		t.Fatal("two nodes hold the lock")
	}
	must(t, la.Release())
	if !hold(lb) {
		t.Fatal("Hold after the holder released = false")
	}
	if hold(la) {
		t.Error("the first node took the lock back while the second holds it")
	}
}
