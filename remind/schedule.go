package remind

import (
	"context"
	"log/slog"
	"time"

	"taxsms"
	"taxsms/calendar"
)

// Lock is held by one node at a time (store.Lock: an advisory lock on
// PostgreSQL, always held on SQLite's single node).
type Lock interface {
	Hold(ctx context.Context) (bool, error)
}

// Scheduler runs a Planner by itself: each day's reminders once, at the
// first tick of the day (they wait in the outbox until their rule's
// SendAt), and failed deductions at every tick, so that they go within a
// tick of arriving. Only the node holding Lock runs; Run being idempotent,
// a node that takes over re-runs the day and queues nothing twice.
type Scheduler struct {
	Planner *Planner
	Lock    Lock
	Every   time.Duration // between ticks; default 30 s
	Logger  *slog.Logger
	Notify  func() // told when reminders were queued (the dispatcher); may be nil

	done taxsms.Date // the last day whose daily rules ran here
}

// Run ticks until ctx ends, logging what it queues and any error (which
// the next tick retries).
func (s *Scheduler) Run(ctx context.Context) {
	every := s.Every
	if every <= 0 {
		every = 30 * time.Second
	}
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		s.Tick(ctx)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// Tick runs what is due now once, if this node holds the lock.
func (s *Scheduler) Tick(ctx context.Context) {
	if ok, err := s.Lock.Hold(ctx); err != nil || !ok {
		if err != nil && ctx.Err() == nil {
			s.Logger.Warn("reminders: scheduler lock", "err", err)
		}
		return
	}
	now := time.Now()
	if s.Planner.Now != nil {
		now = s.Planner.Now()
	}
	today := taxsms.DateOf(now.In(calendar.Shanghai))
	rules := []RuleName{FailedDeduction}
	if s.done != today {
		rules = RuleNames
	}
	plan, err := s.Planner.Run(ctx, today, rules...)
	if err != nil {
		if ctx.Err() == nil {
			s.Logger.Error("reminders", "date", today, "err", err)
		}
		return
	}
	s.done = today
	queued := 0
	for _, rp := range plan.Rules {
		if rp.Queued > 0 {
			queued += rp.Queued
			s.Logger.Info("reminders queued", "rule", rp.Rule, "date", today, "queued", rp.Queued, "messages", rp.Messages)
		}
	}
	if queued > 0 && s.Notify != nil {
		s.Notify()
	}
}
