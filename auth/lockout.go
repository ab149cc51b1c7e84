package auth

import (
	"fmt"
	"math"
	"time"

	"taxsms"
)

// LoginState is what the store keeps, per login, between sign-in attempts.
// The zero value is a login with no recent failure. The store writes the
// value Lockout.Failed returns after a failure and the zero value after a
// success; since it is a row, not memory, the count holds across nodes.
type LoginState struct {
	Failures    int       // failed attempts since the last success
	LockedUntil time.Time // no attempt is checked before this instant
}

// Lockout is the lockout policy. The zero value uses the defaults: locked for
// one minute after 5 failures, the lock doubling with each failure after that
// up to one hour.
type Lockout struct {
	MaxFailures int           // failures before the first lock; default 5
	Base        time.Duration // the first lock; default 1 min
	Max         time.Duration // the longest lock; default 1 h
}

func (l Lockout) withDefaults() Lockout {
	if l.MaxFailures <= 0 {
		l.MaxFailures = 5
	}
	if l.Base <= 0 {
		l.Base = time.Minute
	}
	if l.Max <= 0 {
		l.Max = time.Hour
	}
	return l
}

// Check returns nil if an attempt may be checked at now, and otherwise an
// EUNAUTHORIZED error saying when to try again. A refused attempt is not a
// failure: do not call Failed for it, so a locked account's lock is not
// prolonged by someone knocking.
func (l Lockout) Check(s LoginState, now time.Time) error {
	if !now.Before(s.LockedUntil) {
		return nil
	}
	wait := s.LockedUntil.Sub(now)
	mins := int(math.Ceil(wait.Minutes()))
	return taxsms.Errorf(taxsms.EUNAUTHORIZED, "Too many failed sign-ins: try again in %d minute%s.", mins, plural(mins))
}

// Failed returns the state after a failed attempt at now (a wrong password or
// a wrong second-factor code). From the MaxFailures-th failure on, each
// failure locks the login for Base, doubled for each failure beyond
// MaxFailures, at most Max: with the defaults 1, 2, 4, 8, 16, 32, then 60
// minutes.
func (l Lockout) Failed(s LoginState, now time.Time) LoginState {
	l = l.withDefaults()
	s.Failures++
	if s.Failures < l.MaxFailures {
		return s
	}
	lock := l.Base
	for i := l.MaxFailures; i < s.Failures && lock < l.Max; i++ {
		lock *= 2
	}
	s.LockedUntil = now.Add(min(lock, l.Max))
	return s
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

// String describes s for logs.
func (s LoginState) String() string {
	f := fmt.Sprintf("%d failure%s", s.Failures, plural(s.Failures))
	if s.LockedUntil.IsZero() {
		return f
	}
	return f + ", locked until " + s.LockedUntil.UTC().Format(time.RFC3339)
}
