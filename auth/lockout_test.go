package auth_test

import (
	"testing"
	"time"

	"taxsms"
	"taxsms/auth"
)

func TestLockout(t *testing.T) {
	t0 := time.Date(2025, 3, 14, 9, 0, 0, 0, time.UTC)
	at := func(d time.Duration) time.Time { return t0.Add(d) }

	t.Run("Timeline", func(t *testing.T) {
		var l auth.Lockout // defaults: 5 failures, 1 min doubling to 1 h
		var s auth.LoginState
		for _, step := range []struct {
			now      time.Duration // when the attempt is made
			failures int           // after the failure
			locked   time.Duration // LockedUntil after the failure, from t0; 0 = not locked
		}{
			{0, 1, 0},
			{time.Second, 2, 0},
			{2 * time.Second, 3, 0},
			{3 * time.Second, 4, 0},
			{4 * time.Second, 5, 4*time.Second + time.Minute},
			{4*time.Second + time.Minute, 6, 4*time.Second + 3*time.Minute},
			{4*time.Second + 3*time.Minute, 7, 4*time.Second + 7*time.Minute},
			{4*time.Second + 7*time.Minute, 8, 4*time.Second + 15*time.Minute},
			{4*time.Second + 15*time.Minute, 9, 4*time.Second + 31*time.Minute},
			{4*time.Second + 31*time.Minute, 10, 4*time.Second + 63*time.Minute},
			{4*time.Second + 63*time.Minute, 11, 4*time.Second + 123*time.Minute},
			{4*time.Second + 123*time.Minute, 12, 4*time.Second + 183*time.Minute},
		} {
			if err := l.Check(s, at(step.now)); err != nil {
				t.Fatalf("at %v: Check = %v, want nil", step.now, err)
			}
			s = l.Failed(s, at(step.now))
			if s.Failures != step.failures {
				t.Errorf("at %v: Failures = %d, want %d", step.now, s.Failures, step.failures)
			}
			var want time.Time
			if step.locked != 0 {
				want = at(step.locked)
			}
			if !s.LockedUntil.Equal(want) {
				t.Errorf("after failure %d: LockedUntil = %v, want %v", s.Failures, s.LockedUntil, want)
			}
			if step.locked != 0 {
				// Refused just before the lock ends, allowed at its end.
				wantCode(t, l.Check(s, want.Add(-time.Nanosecond)), taxsms.EUNAUTHORIZED)
				wantCode(t, l.Check(s, want), "")
			}
		}
	})

	t.Run("Message", func(t *testing.T) {
		s := auth.LoginState{Failures: 5, LockedUntil: at(time.Minute)}
		for _, c := range []struct {
			now  time.Duration
			want string
		}{
			{0, "Too many failed sign-ins: try again in 1 minute."},
			{-90 * time.Second, "Too many failed sign-ins: try again in 3 minutes."},
			{59 * time.Second, "Too many failed sign-ins: try again in 1 minute."},
		} {
			if got := taxsms.ErrorMessage(auth.Lockout{}.Check(s, at(c.now))); got != c.want {
				t.Errorf("at %v: message = %q, want %q", c.now, got, c.want)
			}
		}
	})

	t.Run("Custom", func(t *testing.T) {
		l := auth.Lockout{MaxFailures: 3, Base: 10 * time.Second, Max: 25 * time.Second}
		var s auth.LoginState
		var locks []time.Duration
		for i := range 6 {
			s = l.Failed(s, t0)
			if i >= 2 {
				locks = append(locks, s.LockedUntil.Sub(t0))
			}
		}
		want := []time.Duration{10 * time.Second, 20 * time.Second, 25 * time.Second, 25 * time.Second}
		if len(locks) != len(want) {
			t.Fatalf("locks = %v, want %v", locks, want)
		}
		for i := range want {
			if locks[i] != want[i] {
				t.Errorf("lock %d = %v, want %v", i, locks[i], want[i])
			}
		}
	})

	t.Run("ResetOnSuccess", func(t *testing.T) {
		// The store writes the zero state on success: no lock, no count.
		var s auth.LoginState
		wantCode(t, auth.Lockout{}.Check(s, t0), "")
		if s = (auth.Lockout{}).Failed(s, t0); s.Failures != 1 || !s.LockedUntil.IsZero() {
			t.Errorf("first failure after reset = %v", s)
		}
	})

	t.Run("ManyFailures", func(t *testing.T) {
		s := auth.LoginState{Failures: 1 << 30}
		s = auth.Lockout{}.Failed(s, t0)
		if got := s.LockedUntil.Sub(t0); got != time.Hour {
			t.Errorf("lock after 2^30 failures = %v, want 1h", got)
		}
	})
}
