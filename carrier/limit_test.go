package carrier

import (
	"testing"
	"time"
)

func TestLimiter_Reserve(t *testing.T) {
	now := time.Unix(1700000000, 0)
	l := newLimiter(100, func() time.Time { return now }) // burst 10
	for i := range 10 {
		if d := l.reserve(1); d != 0 {
			t.Fatalf("reserve %d of the burst waits %v, want 0", i, d)
		}
	}
	if d := l.reserve(1); d != 10*time.Millisecond {
		t.Errorf("reserve beyond the burst waits %v, want 10ms", d)
	}
	// A long message runs the bucket into debt: 3 more tokens.
	if d := l.reserve(3); d != 40*time.Millisecond {
		t.Errorf("reserve(3) waits %v, want 40ms", d)
	}
	l.cancel(3)
	now = now.Add(time.Second)
	if d := l.reserve(10); d != 0 {
		t.Errorf("after a second reserve(10) waits %v, want 0 (bucket refilled to its burst)", d)
	}
	if d := l.reserve(1); d != 10*time.Millisecond {
		t.Errorf("the bucket holds no more than its burst: wait %v, want 10ms", d)
	}
	// Over one simulated second at most rate+burst tokens are handed out
	// without waiting.
	now = now.Add(time.Hour)
	free := 0
	for range 1000 {
		now = now.Add(time.Millisecond)
		if l.reserve(1) == 0 {
			free++
		} else {
			l.cancel(1)
		}
	}
	if free < 100 || free > 111 {
		t.Errorf("%d tokens free over 1 s at 100/s, want 100 and the burst of 10", free)
	}
}

// Two nodes each holding one of a link's two slots stay, together, within
// the link's rate.
func TestLimiter_Share(t *testing.T) {
	now := time.Unix(1700000000, 0)
	clock := func() time.Time { return now }
	a, b := newLimiter(100, clock), newLimiter(100, clock)
	a.share(1, 2)
	b.share(1, 2)
	now = now.Add(time.Hour)
	free := 0
	for range 1000 {
		now = now.Add(time.Millisecond)
		for _, l := range []*limiter{a, b} {
			if l.reserve(1) == 0 {
				free++
			} else {
				l.cancel(1)
			}
		}
	}
	if free < 100 || free > 110 {
		t.Errorf("%d tokens free over 1 s on two nodes sharing 100/s, want 100 and the bursts of 5 each", free)
	}
	// The other node's slot is freed: this one takes the whole rate.
	a.share(2, 2)
	free = 0
	for range 1000 {
		now = now.Add(time.Millisecond)
		if a.reserve(1) == 0 {
			free++
		} else {
			a.cancel(1)
		}
	}
	if free < 100 || free > 111 {
		t.Errorf("%d tokens free over 1 s holding both slots, want 100 and the burst", free)
	}
	// No session up: the share is one slot, never unlimited.
	a.share(0, 2)
	if d := a.reserve(1000); d == 0 {
		t.Error("share(0, 2) made the limiter unlimited")
	}
}

func TestLimiter_Unlimited(t *testing.T) {
	l := newLimiter(0, time.Now)
	for range 1000 {
		if d := l.reserve(5); d != 0 {
			t.Fatalf("unlimited reserve waits %v", d)
		}
	}
}

func TestBackoff(t *testing.T) {
	for _, tc := range []struct {
		attempt int
		want    time.Duration
	}{{1, time.Second}, {2, 2 * time.Second}, {3, 4 * time.Second}, {6, 30 * time.Second}, {100, 30 * time.Second}} {
		if got := backoff(tc.attempt, time.Second, 30*time.Second); got != tc.want {
			t.Errorf("backoff(%d) = %v, want %v", tc.attempt, got, tc.want)
		}
	}
}

func TestTemporary(t *testing.T) {
	for _, tc := range []struct {
		proto string
		code  uint32
		want  bool
	}{
		{ProtocolCMPP, 9, true}, {ProtocolCMPP, 13, false}, {ProtocolCMPP, 1, false}, {ProtocolCMPP, 150, true},
		{ProtocolSGIP, 6, false}, {ProtocolSGIP, 32, true}, {ProtocolSGIP, 9, true},
		{ProtocolSMGP, 47, false}, {ProtocolSMGP, 2, true}, {ProtocolSMGP, 200, true},
		{ProtocolSMPP, 0x0B, false}, {ProtocolSMPP, 0x08, true}, {ProtocolSMPP, 0x45, true},
	} {
		if got := temporary(tc.proto, tc.code); got != tc.want {
			t.Errorf("temporary(%s, %d) = %v, want %v", tc.proto, tc.code, got, tc.want)
		}
	}
}
