package store

import (
	"context"
	"database/sql"
	"fmt"
	"maps"
	"slices"

	"taxsms"
	"taxsms/audit"
	"taxsms/auth"
)

// CloseMonth closes month m for the whole city: its statement's figures
// are stored as they stand and no longer change; a later change to its
// counters is billed as an adjustment in the first open month after it.
// It needs auth.PermManageSettings as a city administrator (EFORBIDDEN). A
// month not over yet (in the bureau's zone), a month already closed, and a
// month with segments on days no tariff covers (add the tariff first) are
// ECONFLICT naming the field "month". The act is recorded in the audit
// archive (audit.MonthClosed) with the month's totals.
func (db *DB) CloseMonth(ctx context.Context, m taxsms.Month) error {
	if err := billingManage(ctx); err != nil {
		return err
	}
	if m.IsZero() {
		return taxsms.Invalid("month", "required")
	}
	if today := dayOfMS(ms(db.Now())); dayNum(m.Last()) >= today {
		return &taxsms.Error{Code: taxsms.ECONFLICT, Field: "month", Message: fmt.Sprintf(
			"month: %s is not over; it may be closed from %s", m, m.Next().First())}
	}
	a, _ := auth.FromContext(ctx)
	return db.inTx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, db.q("InsertBillingMonth"), m.String()); err != nil {
			return err
		}
		// Waits, on PostgreSQL, for the transactions counting into m; those
		// that come after see it closed.
		res, err := tx.ExecContext(ctx, db.q("CloseBillingMonth"), ms(db.Now()), a.String(), m.String())
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return &taxsms.Error{Code: taxsms.ECONFLICT, Field: "month", Message: fmt.Sprintf("month: %s is already closed", m)}
		}
		st := &taxsms.Statement{Month: m}
		if err := db.openLines(ctx, tx, st, "/"); err != nil {
			return err
		}
		for _, l := range st.Lines {
			if l.Unpriced != 0 {
				return &taxsms.Error{Code: taxsms.ECONFLICT, Field: "month", Message: fmt.Sprintf(
					"month: %d %s segments of %s were sent on days of %s no tariff covers; add the tariff before closing",
					l.Unpriced, l.Kind, l.Carrier, m)}
			}
		}
		sortLines(st.Lines)
		lines := &batcher{ctx: ctx, db: db, tx: tx, name: "InsertClosedLine"}
		defer lines.close()
		for _, l := range st.Lines {
			if err := lines.add(m.String(), l.OfficeID, string(l.Carrier), string(l.Kind),
				boolInt(l.Adjustment), l.Messages, l.Segments, int64(l.Amount), l.Unpriced); err != nil {
				return err
			}
		}
		if err := lines.flush(); err != nil {
			return err
		}
		t := st.Total()
		return db.appendAudit(ctx, tx, db.entry(ctx, audit.MonthClosed, audit.Object{Type: "billing_month", ID: m.String()}, nil,
			map[string]string{"messages": fmt.Sprint(t.Messages), "segments": fmt.Sprint(t.Segments), "amount": t.Amount.String()},
			fmt.Sprintf("%s closed: %d messages, %d segments, ¥%s", m, t.Messages, t.Segments, t.Amount)))
	})
}

// Recounted is what Recount found.
type Recounted struct {
	Counters    int // counters after the recount
	Changed     int // counters that were wrong (or missing, or extra)
	Adjustments int // of them, those of closed months: billed as adjustments
}

// Recount rebuilds the billing counters from the messages and the stray
// segments (exact: the messages carry their submission time, office,
// carrier, kind and segments; stray segments their carrier and the time
// they were recorded). A counter of an open month is set right; one of a
// closed month is set right and the difference is billed as an adjustment
// in the first open month after it (a closed month's statement never
// changes). It needs what CloseMonth needs, reads every submitted message
// in one transaction and holds every month's row while it runs
// (submissions wait): meant for `taxsms billing recount`. It is recorded
// in the audit archive (audit.BillingRecounted).
func (db *DB) Recount(ctx context.Context) (Recounted, error) {
	var r Recounted
	if err := billingManage(ctx); err != nil {
		return r, err
	}
	err := db.inTx(ctx, func(tx *sql.Tx) error {
		r = Recounted{}
		// This month and the next have their rows, locked below with the
		// others, so that no submission counts while the messages are read
		// (one that started before waits to count until this commits).
		this := taxsms.MonthOf(dateOfDay(dayOfMS(ms(db.Now()))))
		for _, m := range []taxsms.Month{this, this.Next()} {
			if _, err := tx.ExecContext(ctx, db.q("InsertBillingMonth"), m.String()); err != nil {
				return err
			}
		}
		rows, err := tx.QueryContext(ctx, db.q("LockAllBillingMonths"))
		if err != nil {
			return err
		}
		closed := make(map[string]bool)
		for rows.Next() {
			var m string
			var at int64
			if err := rows.Scan(&m, &at); err != nil {
				rows.Close()
				return err
			}
			closed[m] = at != 0
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		var root int64
		if err := tx.QueryRowContext(ctx, db.q("RootOffice")).Scan(&root); err != nil {
			return err
		}
		truth := make(map[billingKey]billingCount)
		if err := db.readCounts(ctx, tx, truth, "CountBillable", root); err != nil {
			return err
		}
		if err := db.readCounts(ctx, tx, truth, "CountStraySegments", root); err != nil {
			return err
		}
		have := make(map[billingKey]billingCount)
		if err := db.readCounts(ctx, tx, have, "SelectCounters"); err != nil {
			return err
		}
		r.Counters = len(truth)
		keys := slices.SortedFunc(maps.Keys(truth), compareKeys)
		for k := range have {
			if _, ok := truth[k]; !ok {
				keys = append(keys, k)
			}
		}
		slices.SortFunc(keys, compareKeys)
		for _, k := range keys {
			want, got := truth[k], have[k]
			if want == got {
				continue
			}
			r.Changed++
			_, exists := have[k]
			switch {
			case want == (billingCount{}):
				_, err = tx.ExecContext(ctx, db.q("DeleteBillingCounter"), k.day, k.office, k.carrier, k.kind)
			case exists:
				_, err = tx.ExecContext(ctx, db.q("UpdateBillingCounter"), want.messages, want.segments, k.day, k.office, k.carrier, k.kind)
			default:
				_, err = tx.ExecContext(ctx, db.q("UpsertBillingCounter"), k.day, k.office, k.carrier, k.kind, want.messages, want.segments)
			}
			if err != nil {
				return err
			}
			m := taxsms.MonthOf(dateOfDay(k.day))
			if !closed[m.String()] {
				continue
			}
			r.Adjustments++
			target, err := db.nextOpenMonth(ctx, tx, m)
			if err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, db.q("InsertAdjustment"), target.String(), k.day, k.office, k.carrier, k.kind,
				want.messages-got.messages, want.segments-got.segments, fmt.Sprintf("recount, after %s closed", m), ms(db.Now())); err != nil {
				return err
			}
		}
		return db.appendAudit(ctx, tx, db.entry(ctx, audit.BillingRecounted, audit.Object{Type: "billing", ID: "counters"}, nil, nil,
			fmt.Sprintf("%d counters, %d set right, %d adjustments", r.Counters, r.Changed, r.Adjustments)))
	})
	return r, err
}

// readCounts adds to out the counts (day, office, carrier, kind, messages,
// segments) returned by the named query.
func (db *DB) readCounts(ctx context.Context, tx *sql.Tx, out map[billingKey]billingCount, name string, args ...any) error {
	rows, err := tx.QueryContext(ctx, db.q(name), args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var k billingKey
		var c billingCount
		if err := rows.Scan(&k.day, &k.office, &k.carrier, &k.kind, &c.messages, &c.segments); err != nil {
			return err
		}
		have := out[k]
		out[k] = billingCount{have.messages + c.messages, have.segments + c.segments}
	}
	return rows.Err()
}
