package carrier

import (
	"context"
	"sync"
	"time"
)

// limiter is a token bucket shared by the sessions of one link: rate tokens
// a second, at most burst saved up. A caller takes n tokens at once and may
// run the bucket into debt, waiting until the debt is paid, so that a long
// message is never refused for being longer than the burst.
type limiter struct {
	full float64 // the configured tokens per second; 0 means no limit
	now  func() time.Time

	mu     sync.Mutex
	rate   float64 // tokens per second now: full, or the node's share of it
	burst  float64
	tokens float64
	last   time.Time
}

// newLimiter returns a limiter of rate per second with a burst of a tenth
// of a second's worth (at least 1), starting full.
func newLimiter(rate int, now func() time.Time) *limiter {
	l := &limiter{full: float64(rate), rate: float64(rate), now: now}
	if rate > 0 {
		l.burst = max(1, float64(rate)/10)
		l.tokens = l.burst
		l.last = now()
	}
	return l
}

// share sets the rate to the part of the configured one that n of total
// connection slots carry (n at least 1), so that nodes sharing a link's
// slots stay together within its limit. Tokens saved up beyond the new
// burst are dropped.
func (l *limiter) share(n, total int) {
	if l.full <= 0 || total <= 0 {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	l.refill(l.now())
	l.rate = l.full * float64(max(1, min(n, total))) / float64(total)
	l.burst = max(1, l.rate/10)
	l.tokens = min(l.tokens, l.burst)
}

// refill adds the tokens earned since the last call. l.mu must be held.
func (l *limiter) refill(now time.Time) {
	if el := now.Sub(l.last); el > 0 {
		l.tokens = min(l.burst, l.tokens+el.Seconds()*l.rate)
		l.last = now
	}
}

// reserve takes n tokens and returns how long the caller must wait before
// using them.
func (l *limiter) reserve(n int) time.Duration {
	if l.full <= 0 {
		return 0
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	l.refill(l.now())
	l.tokens -= float64(n)
	if l.tokens >= 0 {
		return 0
	}
	return time.Duration(-l.tokens / l.rate * float64(time.Second))
}

// cancel gives back n tokens taken by a reservation that was not used.
func (l *limiter) cancel(n int) {
	if l.full <= 0 {
		return
	}
	l.mu.Lock()
	l.tokens = min(l.burst, l.tokens+float64(n))
	l.mu.Unlock()
}

// wait takes n tokens and sleeps until they may be used, or returns ctx's
// error (giving the tokens back).
func (l *limiter) wait(ctx context.Context, n int) error {
	d := l.reserve(n)
	if d <= 0 {
		return nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		l.cancel(n)
		return ctx.Err()
	}
}

// backoff returns the wait before the attempt-th redial in a row (from 1):
// lo doubled attempt-1 times, at most hi.
func backoff(attempt int, lo, hi time.Duration) time.Duration {
	d := lo
	for i := 1; i < attempt && d < hi; i++ {
		d *= 2
	}
	return min(d, hi)
}
