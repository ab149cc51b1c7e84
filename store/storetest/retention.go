package storetest

import (
	"context"
	"fmt"
	"testing"
	"time"

	"taxsms"
	"taxsms/audit"
	"taxsms/store"
)

// testRetention erases the text of old finished messages, keeps the rest,
// and refuses a cutoff under six months.
func testRetention(t *testing.T, db *store.DB) {
	ctx := context.Background()
	clk := &clock{t: time.Date(2025, 6, 1, 9, 0, 0, 0, time.UTC)}
	db.Now = clk.Now
	var old []*taxsms.Message
	for i := range 3 {
		m := mt(taxsms.KindSpecial, fmt.Sprintf("1370000100%d", i), 1)
		m.Body = fmt.Sprintf("旧通知 %d", i)
		must(t, db.CreateMessage(ctx, m))
		old = append(old, m)
	}
	// Two finish; one still waits and keeps its text.
	for _, m := range old[:2] {
		_, err := db.ChangeWaiting(ctx, store.Selector{ID: m.ID}, taxsms.StatusCancelled, "test")
		must(t, err)
	}
	clk.Add(400 * 24 * time.Hour)
	recent := mt(taxsms.KindSpecial, "13700002000", 1)
	recent.Body = "新通知"
	must(t, db.CreateMessage(ctx, recent))
	_, err := db.ChangeWaiting(ctx, store.Selector{ID: recent.ID}, taxsms.StatusCancelled, "test")
	must(t, err)

	_, err = db.PruneMessageContent(ctx, clk.Now().Add(-90*24*time.Hour))
	wantCode(t, err, taxsms.EINVALID, "before")
	n, err := db.PruneMessageContent(ctx, clk.Now().Add(-audit.DefaultMessageContent))
	must(t, err)
	if n != 2 {
		t.Errorf("PruneMessageContent erased %d, want 2", n)
	}
	for _, c := range []struct {
		m    *taxsms.Message
		body string
	}{{old[0], ""}, {old[1], ""}, {old[2], "旧通知 2"}, {recent, "新通知"}} {
		got, err := db.FindMessage(ctx, c.m.ID)
		must(t, err)
		if got.Body != c.body {
			t.Errorf("message %d (%s): body %q, want %q", got.ID, got.Status, got.Body, c.body)
		}
	}
	recs, err := db.ListAudit(ctx, audit.Filter{Action: audit.ContentPruned})
	must(t, err)
	if len(recs) != 1 {
		t.Errorf("%d content_pruned records, want 1", len(recs))
	}
	if n, err := db.PruneMessageContent(ctx, clk.Now().Add(-audit.DefaultMessageContent)); err != nil || n != 0 {
		t.Errorf("second prune = %d, %v; want 0 and no error", n, err)
	}
}
