package web

import (
	"context"
	"sync"
	"time"

	"taxsms/auth"
	"taxsms/store"
)

// The dashboard's figures are reused for a while (Console.StatsMaxAge):
// counting a month of messages reads every one of them (100,000 take over a
// tenth of a second on SQLite), and so does the queue depth in a large
// broadcast, while the page is opened far more often than its figures
// change much. The page shows when they were taken.

// cached is one value reused until it is older than a maximum age. While
// one request reloads a stale value, the others are served the stale value
// rather than waiting.
type cached[T any] struct {
	refresh sync.Mutex // held while the value is reloaded
	mu      sync.Mutex // guards the fields below
	ok      bool
	at      time.Time
	v       T
}

// get returns the value and when it was loaded: the value held if younger
// than maxAge at now (or if another request is reloading it), else a new
// one from load. A negative maxAge always loads.
func (e *cached[T]) get(now time.Time, maxAge time.Duration, load func() (T, error)) (T, time.Time, error) {
	if maxAge < 0 {
		v, err := load()
		return v, now, err
	}
	e.mu.Lock()
	fresh, have, v, at := e.ok && now.Sub(e.at) < maxAge, e.ok, e.v, e.at
	e.mu.Unlock()
	if fresh {
		return v, at, nil
	}
	if !have {
		e.refresh.Lock()
	} else if !e.refresh.TryLock() {
		return v, at, nil // another request is reloading it
	}
	defer e.refresh.Unlock()
	e.mu.Lock()
	if e.ok && now.Sub(e.at) < maxAge { // reloaded while this one waited
		v, at = e.v, e.at
		e.mu.Unlock()
		return v, at, nil
	}
	e.mu.Unlock()
	v, err := load()
	if err != nil {
		return v, time.Time{}, err
	}
	e.mu.Lock()
	e.ok, e.at, e.v = true, now, v
	e.mu.Unlock()
	return v, now, nil
}

// loaded returns when the value was loaded, and false if it never was.
func (e *cached[T]) loaded() (time.Time, bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.at, e.ok
}

// statsCache holds the dashboard's figures: the message counts per scope
// and first day counted, and the outbox's.
type statsCache struct {
	mu     sync.Mutex
	counts map[statsKey]*cached[[]store.DayCount]
	outbox cached[store.OutboxStats]
}

// statsKey is what a count depends on: the scope of messages the actor
// reads and the first instant counted.
type statsKey struct {
	scope string
	since int64
}

// defaultStatsMaxAge is how long dashboard figures are reused by default.
const defaultStatsMaxAge = 30 * time.Second

func (c *Console) statsMaxAge() time.Duration {
	if c.StatsMaxAge == 0 {
		return defaultStatsMaxAge
	}
	return c.StatsMaxAge
}

// messageStats returns the counts of messages from since on in the scope of
// ctx's actor, and when they were counted.
func (c *Console) messageStats(ctx context.Context, since time.Time) ([]store.DayCount, time.Time, error) {
	a, _ := auth.FromContext(ctx)
	key := statsKey{scope: a.Access(auth.DataMessages).Read.String(), since: since.Unix()}
	now, maxAge := c.Now(), c.statsMaxAge()
	c.stats.mu.Lock()
	if c.stats.counts == nil {
		c.stats.counts = make(map[statsKey]*cached[[]store.DayCount])
	}
	e := c.stats.counts[key]
	if e == nil {
		e = new(cached[[]store.DayCount])
		// Forget the counts of other days and of scopes no one looked at
		// for an hour.
		for k, old := range c.stats.counts {
			if at, ok := old.loaded(); ok && (k.since != key.since || now.Sub(at) > time.Hour+10*maxAge) {
				delete(c.stats.counts, k)
			}
		}
		c.stats.counts[key] = e
	}
	c.stats.mu.Unlock()
	return e.get(now, maxAge, func() ([]store.DayCount, error) { return c.DB.MessageStats(ctx, since, c.Location) })
}

// outboxStats returns the outbox's queue depth and unmatched receipts, and
// when they were counted.
func (c *Console) outboxStats(ctx context.Context) (store.OutboxStats, time.Time, error) {
	return c.stats.outbox.get(c.Now(), c.statsMaxAge(), func() (store.OutboxStats, error) { return c.DB.Outbox(ctx) })
}
