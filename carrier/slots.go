package carrier

import (
	"context"
	"errors"
	"time"
)

// Slots leases the connection slots of links among the nodes that open
// them, so that a carrier's connection limit (LinkConfig.MaxConnections)
// holds across the nodes. cmd/taxsms implements it over the shared
// database. Its methods are called concurrently, from the links' session
// goroutines.
type Slots interface {
	// Acquire leases one of the slots 0 to max-1 of link for lease; ok is
	// false, with no error, when every one is held.
	Acquire(ctx context.Context, link string, max int, lease time.Duration) (slot int, ok bool, err error)
	// Renew extends the lease of slot for lease from now. An error that
	// matches ErrSlotLost says the slot is no longer this node's; any
	// other, that the lease could not be renewed now.
	Renew(ctx context.Context, link string, slot int, lease time.Duration) error
	// Release frees slot.
	Release(ctx context.Context, link string, slot int) error
}

// ErrSlotLost is matched by a Slots.Renew error when the slot's lease has
// lapsed or another node holds it: the session on it must close.
var ErrSlotLost = errors.New("connection slot lost")

// lease is a session's hold on a connection slot of its link; with no
// Options.Slots it holds nothing and its methods do nothing.
type lease struct {
	l       *Link
	slot    int
	held    bool
	renewed time.Time // when the lease was last taken or renewed, by Options.Now
}

// acquire waits until a slot of the link is free and leases it, trying
// again with back-off (at most a third of the lease apart); it reports
// false when ctx ends first.
func (l *Link) acquire(ctx context.Context, s *slot) (*lease, bool) {
	ls := &lease{l: l}
	if l.opts.Slots == nil {
		return ls, true
	}
	for attempt := 0; ; attempt++ {
		start := l.opts.Now()
		slot, ok, err := l.opts.Slots.Acquire(ctx, l.cfg.Name, l.cfg.maxConnections(), l.opts.SlotLease)
		if err == nil && ok {
			ls.slot, ls.held, ls.renewed = slot, true, start
			l.log.Debug("connection slot leased", "session", s.idx, "slot", slot)
			return ls, true
		}
		if ctx.Err() != nil {
			return nil, false
		}
		switch {
		case err != nil:
			l.noteError("slot", err)
			l.log.Warn("lease a connection slot", "session", s.idx, "err", err)
		case attempt == 0:
			l.log.Info("waiting for a free connection slot", "session", s.idx, "max_connections", l.cfg.maxConnections())
		}
		if !sleep(ctx, backoff(attempt+1, l.opts.MinBackoff, min(l.opts.MaxBackoff, l.opts.SlotLease/3))) {
			return nil, false
		}
	}
}

// ticker ticks when a held lease is due for renewal, every third of the
// lease; its channel is nil (never ready) when nothing is held.
func (ls *lease) ticker() (<-chan time.Time, func()) {
	if !ls.held {
		return nil, func() {}
	}
	t := time.NewTicker(ls.l.opts.SlotLease / 3)
	return t.C, t.Stop
}

// renew extends the lease. It reports false when the session must close:
// the slot is lost, or renewals have failed for so long that the lease
// would lapse before the next try.
func (ls *lease) renew(ctx context.Context) bool {
	every := ls.l.opts.SlotLease / 3
	start := ls.l.opts.Now()
	rctx, cancel := context.WithTimeout(ctx, every)
	defer cancel()
	err := ls.l.opts.Slots.Renew(rctx, ls.l.cfg.Name, ls.slot, ls.l.opts.SlotLease)
	if err == nil {
		ls.renewed = start
		return true
	}
	if ctx.Err() != nil {
		return true // closing anyway
	}
	ls.l.noteError("slot", err)
	if errors.Is(err, ErrSlotLost) {
		ls.held = false
		return false
	}
	return start.Add(every).Before(ls.renewed.Add(ls.l.opts.SlotLease))
}

// release frees the slot, if held, even after ctx has ended.
func (ls *lease) release() {
	if ls == nil || !ls.held {
		return
	}
	ls.held = false
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := ls.l.opts.Slots.Release(ctx, ls.l.cfg.Name, ls.slot); err != nil {
		ls.l.noteError("slot", err)
		ls.l.log.Warn("release a connection slot; it is free again when its lease lapses", "slot", ls.slot, "err", err)
	}
}
