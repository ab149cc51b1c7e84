package storetest

import (
	"context"
	"fmt"
	"testing"
	"time"

	"taxsms"
	"taxsms/auth/authtest"
	"taxsms/store"
)

// ExerciseStats runs the dashboard's statistics on the engine: counts by
// day in the bureau's zone, direction, kind and status, from a given day,
// within the actor's scope.
func ExerciseStats(t *testing.T, engine string) {
	db := Open(t, engine)
	ctx := context.Background()
	loc, err := time.LoadLocation("Asia/Shanghai")
	must(t, err)
	_, b1, b2, op := city(t, db)

	t.Run("Empty", func(t *testing.T) {
		got, err := db.MessageStats(ctx, time.Date(2026, 11, 1, 0, 0, 0, 0, loc), loc)
		if err != nil || len(got) != 0 {
			t.Fatalf("MessageStats on no message = %v, %v; want none", got, err)
		}
	})

	// Messages created at these instants (Shanghai time), in this order.
	type msg struct {
		at     string
		kind   taxsms.Kind
		office int64
		author int64
	}
	msgs := []msg{
		{"2026-10-31 23:59", taxsms.KindOther, b1.ID, 0},          // before since
		{"2026-11-01 00:00", taxsms.KindFilingReminder, b1.ID, 0}, // the first day, at midnight
		{"2026-11-01 07:59", taxsms.KindFilingReminder, b2.ID, 0}, // still 1 November in Shanghai, 31 October in UTC
		{"2026-11-15 12:00", taxsms.KindUnpaidTax, b1.ID, op.ID},
		{"2026-12-02 23:59", taxsms.KindUnpaidTax, b1.ID, 0},
		{"2026-12-03 00:01", taxsms.KindSpecial, b2.ID, 0},
	}
	for i, m := range msgs {
		at, err := time.ParseInLocation("2006-01-02 15:04", m.at, loc)
		must(t, err)
		db.Now = func() time.Time { return at }
		must(t, db.CreateMessage(ctx, &taxsms.Message{Direction: taxsms.MT, Kind: m.kind, Priority: m.kind.DefaultPriority(),
			Mobile: fmt.Sprintf("1390000000%d", i), OfficeID: m.office, AuthorID: m.author, Body: "x", Segments: 1}))
	}
	// An MO on 3 December.
	moAt := time.Date(2026, 12, 3, 9, 0, 0, 0, loc)
	db.Now = func() time.Time { return moAt }
	_, _, err = db.StoreFragment(ctx, store.Fragment{Carrier: taxsms.CarrierMobile, Link: "l", From: "13900000009", To: "106",
		Text: "CX", Total: 1, Seq: 1, MsgID: "mo-1", Received: moAt})
	must(t, err)
	db.Now = time.Now

	since := time.Date(2026, 11, 1, 0, 0, 0, 0, loc)
	count := func(ctx context.Context) map[string]int {
		t.Helper()
		got, err := db.MessageStats(ctx, since, loc)
		must(t, err)
		out := make(map[string]int)
		for _, c := range got {
			out[fmt.Sprintf("%s %s %s %s", c.Day, c.Direction, c.Kind, c.Status)] += c.N
		}
		return out
	}
	t.Run("All", func(t *testing.T) {
		got := count(ctx)
		want := map[string]int{
			"2026-11-01 mt filing_reminder queued": 2,
			"2026-11-15 mt unpaid_tax queued":      1,
			"2026-12-02 mt unpaid_tax queued":      1,
			"2026-12-03 mt special queued":         1,
			"2026-12-03 mo interactive received":   1,
		}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("MessageStats = %v, want %v", got, want)
		}
	})
	t.Run("Scope", func(t *testing.T) {
		got := count(authtest.Context(ctx, taxsms.RoleOperator, op.ID, pathOf(t, db, b1.ID)))
		want := map[string]int{"2026-11-15 mt unpaid_tax queued": 1}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("MessageStats as the operator = %v, want %v", got, want)
		}
		branch := authtest.Context(ctx, taxsms.RoleBranchAdmin, 0, pathOf(t, db, b2.ID))
		got = count(branch)
		want = map[string]int{"2026-11-01 mt filing_reminder queued": 1, "2026-12-03 mt special queued": 1}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("MessageStats as branch 2's administrator = %v, want %v", got, want)
		}
	})
	t.Run("Since", func(t *testing.T) {
		got, err := db.MessageStats(ctx, time.Date(2026, 12, 3, 0, 0, 0, 0, loc), loc)
		must(t, err)
		n := 0
		for _, c := range got {
			n += c.N
		}
		if n != 2 {
			t.Errorf("MessageStats since 3 December = %v, want 2 messages", got)
		}
		got, err = db.MessageStats(ctx, time.Date(2027, 1, 1, 0, 0, 0, 0, loc), loc)
		if err != nil || len(got) != 0 {
			t.Errorf("MessageStats since 2027 = %v, %v; want none", got, err)
		}
	})
}

// pathOf returns the Path of office id.
func pathOf(t testing.TB, db *store.DB, id int64) string {
	t.Helper()
	o, err := db.FindOffice(context.Background(), id)
	must(t, err)
	return o.Path
}
