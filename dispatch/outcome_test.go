package dispatch_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"taxsms"
	"taxsms/carrier"
	"taxsms/dispatch"
	"taxsms/store/storetest"
)

// scripted answers each send with the error its message body names.
type scripted struct {
	mu    sync.Mutex
	sends map[string]int
}

var scriptErrs = map[string]error{
	"throttled":   carrier.ErrThrottled,
	"unavailable": carrier.ErrUnavailable,
	"noroute":     carrier.ErrNoRoute,
	"temporary":   &carrier.SubmitError{Link: "l", Code: 9, Temporary: true, Text: "system busy"},
	"permanent":   &carrier.SubmitError{Link: "l", Code: 1, Text: "invalid destination"},
}

func (s *scripted) Send(ctx context.Context, m carrier.Message) (carrier.Result, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.sends[m.Text]++
	if err := scriptErrs[m.Text]; err != nil {
		return carrier.Result{}, err
	}
	return carrier.Result{Carrier: taxsms.CarrierMobile, Link: "l", Parts: []carrier.Part{{Seq: 1, MsgID: m.Text}}}, nil
}

func TestDispatcher_Outcomes(t *testing.T) {
	db := storetest.Open(t, "sqlite")
	ctx := context.Background()
	s := &scripted{sends: make(map[string]int)}
	d := &dispatch.Dispatcher{DB: db, Sender: s, Config: dispatch.Config{Node: "t", Poll: 5 * time.Millisecond, Sweep: 20 * time.Millisecond, MaxAttempts: 2}}
	if err := d.Open(ctx); err != nil {
		t.Fatal(err)
	}
	defer d.Close(ctx)
	ids := make(map[string]int64)
	for _, body := range []string{"ok", "throttled", "unavailable", "noroute", "temporary", "permanent"} {
		m := &taxsms.Message{Direction: taxsms.MT, Kind: taxsms.KindOther, Priority: taxsms.PriorityBulk, Mobile: "13800138000", Body: body, Segments: 1}
		if err := db.CreateMessage(ctx, m); err != nil {
			t.Fatal(err)
		}
		ids[body] = m.ID
	}
	d.Notify()
	for _, tt := range []struct {
		body     string
		status   taxsms.Status
		attempts int
		err      string
	}{
		{"ok", taxsms.StatusSubmitted, 0, ""},
		{"noroute", taxsms.StatusRejected, 0, carrier.ErrNoRoute.Error()},
		{"permanent", taxsms.StatusFailed, 0, "carrier l refused: invalid destination"},
		{"temporary", taxsms.StatusScheduled, 1, "carrier l refused: system busy"}, // next try in 10 s
	} {
		var m *taxsms.Message
		waitFor(t, tt.body+" settled", func() bool {
			m, _ = db.FindMessage(ctx, ids[tt.body])
			return m.Status == tt.status
		}, func() string { return string(m.Status) })
		if m.Attempts != tt.attempts || m.Error != tt.err {
			t.Errorf("%s: attempts %d, error %q; want %d, %q", tt.body, m.Attempts, m.Error, tt.attempts, tt.err)
		}
	}
	// Throttled and unavailable messages come back without counting attempts.
	waitFor(t, "a throttled message sent again", func() bool {
		s.mu.Lock()
		defer s.mu.Unlock()
		return s.sends["throttled"] >= 3
	})
	m, _ := db.FindMessage(ctx, ids["throttled"])
	if m.Attempts != 0 {
		t.Errorf("throttled message attempts = %d, want 0", m.Attempts)
	}
}
