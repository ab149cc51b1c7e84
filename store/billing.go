package store

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"time"

	"taxsms"
	"taxsms/audit"
	"taxsms/auth"
)

// Billing (MISSION R-16). The store counts billable segments as messages
// change state: the transaction that records a submission (RecordOutcomes)
// adds the message and its segments to the counter of its day (in the
// bureau's zone), office, carrier and kind. Segments a carrier accepted of
// a message not sent whole that time (Outcome.Partial, and the parts of an
// outcome that came after another had marked the message submitted) are
// kept in billing_stray_segments and counted, in the same transaction, as
// segments without a message. Nothing else changes what is billable (see
// taxsms.MilliYuan's file for what is): a retry, a failure before
// submission, a cancellation, an expiry or a receipt leaves the counters
// alone, so they stay exact; `taxsms billing recount` (Recount) rebuilds
// them from the messages and the stray segments for a database that needs
// it.
//
// A statement reads the counters of the month's days, each priced at the
// tariff of its day, so a tariff that changes mid-month prices each day
// right. Closing a month stores its figures; a later change to a closed
// month's counters is also written as an adjustment billed in the first
// open month after it.

// bureauOffset is the bureau's zone offset in milliseconds: Asia/Shanghai
// has been UTC+8 all year since 1991.
const bureauOffset = 8 * 3600 * 1000

// tariffLockKey is the PostgreSQL transaction lock that makes changes to
// tariffs take turns, so that the overlap check sees every other tariff.
const tariffLockKey = 0x7461_7873_6d73_7472

// openEnd is the day number of 9999-12-31, the valid_to of an open-ended
// tariff.
const openEnd = 2932896

// dayNum returns the day number (days since 1970-01-01) of d.
func dayNum(d taxsms.Date) int64 { return d.Time(time.UTC).Unix() / 86400 }

// dateOfDay returns the date of a day number.
func dateOfDay(n int64) taxsms.Date { return taxsms.DateOf(time.Unix(n*86400, 0).UTC()) }

// dayOfMS returns the day number, in the bureau's zone, of an instant in ms.
func dayOfMS(v int64) int64 { return (v + bureauOffset) / 86400000 }

// billingKey is one counter.
type billingKey struct {
	day     int64
	office  int64
	carrier string
	kind    string
}

// billingCount is what a counter holds, or a change to it.
type billingCount struct{ messages, segments int64 }

func compareKeys(a, b billingKey) int {
	return cmp.Or(cmp.Compare(a.day, b.day), cmp.Compare(a.office, b.office),
		cmp.Compare(a.carrier, b.carrier), cmp.Compare(a.kind, b.kind))
}

// count adds changes to the counters inside tx, in key order (so that
// concurrent transactions lock counters in one order). A change to a day
// of a closed month is also written as an adjustment, with reason, billed
// in the first open month after it. Each month touched is locked shared
// first, so that closing it waits for this transaction and the other way
// round.
func (db *DB) count(ctx context.Context, tx *sql.Tx, changes map[billingKey]billingCount, reason string) error {
	if len(changes) == 0 {
		return nil
	}
	keys := slices.SortedFunc(maps.Keys(changes), compareKeys)
	var root int64 = -1
	closed := make(map[taxsms.Month]bool)
	for _, k := range keys {
		c := changes[k]
		if c == (billingCount{}) {
			continue
		}
		if k.office == 0 {
			if root < 0 {
				if err := tx.QueryRowContext(ctx, db.q("RootOffice")).Scan(&root); err != nil {
					return err
				}
			}
			k.office = root
		}
		m := taxsms.MonthOf(dateOfDay(k.day))
		isClosed, seen := closed[m]
		if !seen {
			var err error
			if isClosed, err = db.lockMonth(ctx, tx, m); err != nil {
				return err
			}
			closed[m] = isClosed
		}
		if _, err := tx.ExecContext(ctx, db.q("UpsertBillingCounter"), k.day, k.office, k.carrier, k.kind, c.messages, c.segments); err != nil {
			return err
		}
		if !isClosed {
			continue
		}
		target, err := db.nextOpenMonth(ctx, tx, m)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, db.q("InsertAdjustment"), target.String(), k.day, k.office, k.carrier, k.kind,
			c.messages, c.segments, fmt.Sprintf("%s, after %s closed", reason, m), ms(db.Now())); err != nil {
			return err
		}
	}
	return nil
}

// lockMonth makes sure m has its row and locks it shared until tx ends;
// it reports whether m is closed.
func (db *DB) lockMonth(ctx context.Context, tx *sql.Tx, m taxsms.Month) (closed bool, err error) {
	if _, err := tx.ExecContext(ctx, db.q("InsertBillingMonth"), m.String()); err != nil {
		return false, err
	}
	var at int64
	if err := tx.QueryRowContext(ctx, db.q("LockBillingMonth"), m.String()).Scan(&at); err != nil {
		return false, err
	}
	return at != 0, nil
}

// nextOpenMonth returns the first month after m that is not closed,
// locked shared until tx ends.
func (db *DB) nextOpenMonth(ctx context.Context, tx *sql.Tx, m taxsms.Month) (taxsms.Month, error) {
	for n := m.Next(); ; n = n.Next() {
		closed, err := db.lockMonth(ctx, tx, n)
		if err != nil || !closed {
			return n, err
		}
	}
}

// billingRead returns the read scope of ctx's actor on billing, or
// EFORBIDDEN unless it holds auth.PermViewBilling and reaches some of it.
func billingRead(ctx context.Context) (auth.Scope, error) {
	a, _ := auth.FromContext(ctx)
	if err := a.Require(auth.PermViewBilling); err != nil {
		return auth.Scope{}, err
	}
	s := auth.AccessFrom(ctx, auth.DataBilling).Read
	if s.Level != auth.LevelAll && s.Level != auth.LevelSubtree {
		return s, taxsms.Errorf(taxsms.EFORBIDDEN, "%s may not read billing", a)
	}
	return s, nil
}

// billingManage returns EFORBIDDEN unless ctx's actor may change tariffs
// and close months: auth.PermManageSettings and write access to all of
// billing (a city administrator, or the system).
func billingManage(ctx context.Context) error {
	a, _ := auth.FromContext(ctx)
	if err := a.Require(auth.PermManageSettings); err != nil {
		return err
	}
	if auth.AccessFrom(ctx, auth.DataBilling).Write.Level != auth.LevelAll {
		return taxsms.Errorf(taxsms.EFORBIDDEN, "%s may not change billing: only a city administrator may", a)
	}
	return nil
}

// ListTariffs returns every tariff, by carrier, kind and start. It needs
// auth.PermViewBilling (EFORBIDDEN).
func (db *DB) ListTariffs(ctx context.Context) ([]*taxsms.Tariff, error) {
	if _, err := billingRead(ctx); err != nil {
		return nil, err
	}
	rows, err := db.db.QueryContext(ctx, db.q("SelectTariffs"))
	if err != nil {
		return nil, err
	}
	return scanTariffs(rows)
}

func scanTariffs(rows *sql.Rows) ([]*taxsms.Tariff, error) {
	defer rows.Close()
	var out []*taxsms.Tariff
	for rows.Next() {
		t, err := scanTariff(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	return out, rows.Err()
}

func scanTariff(r interface{ Scan(...any) error }) (*taxsms.Tariff, error) {
	var t taxsms.Tariff
	var carrier, kind string
	var price, from, to, created int64
	if err := r.Scan(&t.ID, &carrier, &kind, &price, &from, &to, &created); err != nil {
		return nil, err
	}
	t.Carrier, t.Kind, t.Price, t.ValidFrom, t.CreatedAt = taxsms.Carrier(carrier), taxsms.Kind(kind), taxsms.MilliYuan(price), dateOfDay(from), fromMS(created)
	if to != openEnd {
		t.ValidTo = dateOfDay(to)
	}
	return &t, nil
}

// validTo returns the stored valid_to of t.
func validTo(t *taxsms.Tariff) int64 {
	if t.ValidTo.IsZero() {
		return openEnd
	}
	return dayNum(t.ValidTo)
}

// SetTariff creates t (ID 0) or changes the tariff t.ID (say, to end its
// validity). It needs auth.PermManageSettings as a city administrator
// (EFORBIDDEN); a bad field is EINVALID; a validity overlapping another
// tariff of the carrier and kind is ECONFLICT naming both; a change that
// would alter the price of a day of a closed month is ECONFLICT (its
// statement is frozen); an unknown ID is ENOTFOUND. The change is recorded
// in the audit archive (audit.TariffChanged) with the tariff before and
// after.
func (db *DB) SetTariff(ctx context.Context, t *taxsms.Tariff) error {
	if err := billingManage(ctx); err != nil {
		return err
	}
	if err := t.Validate(); err != nil {
		return err
	}
	return db.inTx(ctx, func(tx *sql.Tx) error {
		// Two new tariffs of one carrier and kind checked at once would
		// each find no overlap: tariff changes take turns.
		if err := db.d.lock(ctx, tx, tariffLockKey); err != nil {
			return err
		}
		var before *taxsms.Tariff
		if t.ID != 0 {
			var err error
			if before, err = db.tariffIn(ctx, tx, t.ID); err != nil {
				return err
			}
		}
		rows, err := tx.QueryContext(ctx, db.q("SelectTariffsOf"), string(t.Carrier), string(t.Kind))
		if err != nil {
			return err
		}
		others, err := scanTariffs(rows)
		if err != nil {
			return err
		}
		if err := t.CheckOverlap(others); err != nil {
			return err
		}
		if err := db.checkClosedPrices(ctx, tx, before, t); err != nil {
			return err
		}
		if before == nil {
			t.CreatedAt = db.Now().UTC().Truncate(time.Millisecond)
			err = tx.QueryRowContext(ctx, db.q("InsertTariff"), string(t.Carrier), string(t.Kind), int64(t.Price),
				dayNum(t.ValidFrom), validTo(t), ms(t.CreatedAt)).Scan(&t.ID)
		} else {
			t.CreatedAt = before.CreatedAt
			_, err = tx.ExecContext(ctx, db.q("UpdateTariff"), string(t.Carrier), string(t.Kind), int64(t.Price),
				dayNum(t.ValidFrom), validTo(t), t.ID)
		}
		if err != nil {
			return err
		}
		var b any
		if before != nil {
			b = tariffRecord(before)
		}
		return db.appendAudit(ctx, tx, db.entry(ctx, audit.TariffChanged, audit.Object{Type: "tariff", ID: strconv.FormatInt(t.ID, 10)},
			b, tariffRecord(t), fmt.Sprintf("%s %s ¥%s a segment, %s", t.Carrier, t.Kind, t.Price, t.Period())))
	})
}

// DeleteTariff removes a tariff entered in error. It needs what SetTariff
// needs; a tariff that prices a day of a closed month is ECONFLICT (end
// its validity instead); an unknown id is ENOTFOUND. It is recorded in the
// audit archive (audit.TariffChanged).
func (db *DB) DeleteTariff(ctx context.Context, id int64) error {
	if err := billingManage(ctx); err != nil {
		return err
	}
	return db.inTx(ctx, func(tx *sql.Tx) error {
		if err := db.d.lock(ctx, tx, tariffLockKey); err != nil {
			return err
		}
		before, err := db.tariffIn(ctx, tx, id)
		if err != nil {
			return err
		}
		if err := db.checkClosedPrices(ctx, tx, before, nil); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, db.q("DeleteTariff"), id); err != nil {
			return err
		}
		return db.appendAudit(ctx, tx, db.entry(ctx, audit.TariffChanged, audit.Object{Type: "tariff", ID: strconv.FormatInt(id, 10)},
			tariffRecord(before), nil, fmt.Sprintf("deleted: %s %s ¥%s a segment, %s", before.Carrier, before.Kind, before.Price, before.Period())))
	})
}

func tariffRecord(t *taxsms.Tariff) map[string]string {
	return map[string]string{"carrier": string(t.Carrier), "kind": string(t.Kind), "price": t.Price.String(),
		"valid_from": t.ValidFrom.String(), "valid_to": t.ValidTo.String()}
}

func (db *DB) tariffIn(ctx context.Context, tx *sql.Tx, id int64) (*taxsms.Tariff, error) {
	t, err := scanTariff(tx.QueryRowContext(ctx, db.q("SelectTariff"), id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, taxsms.Errorf(taxsms.ENOTFOUND, "tariff %d not found", id)
	}
	return t, err
}

// checkClosedPrices returns ECONFLICT if replacing tariff before (nil: a
// new one) by after (nil: deleted) would change the price of a day of a
// closed month, naming the field whose change does (valid_from for a new
// tariff, id for a deletion).
func (db *DB) checkClosedPrices(ctx context.Context, tx *sql.Tx, before, after *taxsms.Tariff) error {
	closed, err := db.closedMonths(ctx, tx)
	if err != nil {
		return err
	}
	clip := func(t *taxsms.Tariff, m taxsms.Month) (from, to int64, ok bool) {
		if t == nil {
			return 0, 0, false
		}
		from, to = max(dayNum(t.ValidFrom), dayNum(m.First())), min(validTo(t), dayNum(m.Last()))
		return from, to, from <= to
	}
	for _, m := range closed {
		bf, bt, bok := clip(before, m)
		af, at, aok := clip(after, m)
		field := ""
		switch {
		case !bok && !aok:
		case after == nil:
			field = "id"
		case !bok:
			field = "valid_from"
			if before != nil && !after.ValidFrom.Before(before.ValidFrom) {
				field = "valid_to" // its end moved into m
			}
		case !aok:
			field = "valid_to"
			if m.Last().Before(after.ValidFrom) {
				field = "valid_from" // its start moved past m
			}
		case before.Carrier != after.Carrier:
			field = "carrier"
		case before.Kind != after.Kind:
			field = "kind"
		case before.Price != after.Price:
			field = "price"
		case bf != af:
			field = "valid_from"
		case bt != at:
			field = "valid_to"
		}
		if field != "" {
			return &taxsms.Error{Code: taxsms.ECONFLICT, Field: field, Message: fmt.Sprintf(
				"%s: %s is closed; a tariff may not change the price of its days (its statement is frozen)", field, m)}
		}
	}
	return nil
}

// closedMonths returns the closed months in order.
func (db *DB) closedMonths(ctx context.Context, q querier) ([]taxsms.Month, error) {
	rows, err := q.QueryContext(ctx, db.q("SelectClosedMonths"))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []taxsms.Month
	for rows.Next() {
		var s, by string
		var at int64
		if err := rows.Scan(&s, &at, &by); err != nil {
			return nil, err
		}
		m, err := taxsms.ParseMonth(s)
		if err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	return out, rows.Err()
}

// ClosedMonth is a month closed, by whom and when.
type ClosedMonth struct {
	Month taxsms.Month
	At    time.Time
	By    string
}

// ClosedMonths returns the closed months, oldest first. It needs
// auth.PermViewBilling (EFORBIDDEN).
func (db *DB) ClosedMonths(ctx context.Context) ([]ClosedMonth, error) {
	if _, err := billingRead(ctx); err != nil {
		return nil, err
	}
	rows, err := db.db.QueryContext(ctx, db.q("SelectClosedMonths"))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []ClosedMonth
	for rows.Next() {
		var s, by string
		var at int64
		if err := rows.Scan(&s, &at, &by); err != nil {
			return nil, err
		}
		m, err := taxsms.ParseMonth(s)
		if err != nil {
			return nil, err
		}
		out = append(out, ClosedMonth{Month: m, At: fromMS(at), By: by})
	}
	return out, rows.Err()
}

// PriceOf returns the price of one billable segment of kind k sent
// through carrier c on day, in milli-yuan. It is an ENOTFOUND error when
// no tariff covers the day. Prices are not confidential: anyone who may
// send asks it for an estimate, so it needs no permission.
func (db *DB) PriceOf(ctx context.Context, c taxsms.Carrier, k taxsms.Kind, day taxsms.Date) (milliYuan int64, err error) {
	if day.IsZero() {
		return 0, taxsms.Invalid("day", "required")
	}
	n := dayNum(day)
	err = db.db.QueryRowContext(ctx, db.q("PriceOf"), string(c), string(k), n, n).Scan(&milliYuan)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, taxsms.Errorf(taxsms.ENOTFOUND, "no tariff for %s %s messages on %s", c, k, day)
	}
	return milliYuan, err
}

// Statement returns the statement of month for the subtree of office
// officeID: a line per office of the subtree, carrier and kind, and a line
// per office, carrier and kind for the adjustments billed in the month. An
// open month is read from the counters (a month not over yet: so far); a
// closed month is the figures stored when it closed. It needs
// auth.PermViewBilling and the office within the actor's billing scope:
// EFORBIDDEN without the permission, ENOTFOUND for an office outside the
// scope.
func (db *DB) Statement(ctx context.Context, month taxsms.Month, officeID int64) (*taxsms.Statement, error) {
	scope, err := billingRead(ctx)
	if err != nil {
		return nil, err
	}
	if month.IsZero() {
		return nil, taxsms.Invalid("month", "required")
	}
	o, err := db.findOffice(ctx, db.db, db.q("SelectOffice"), officeID)
	if err != nil {
		return nil, err
	}
	if !scope.Contains(o.Path, 0) {
		return nil, taxsms.Errorf(taxsms.ENOTFOUND, "office %d not found", officeID)
	}
	st := &taxsms.Statement{Month: month, OfficeID: o.ID}
	var at int64
	err = db.db.QueryRowContext(ctx, db.q("SelectBillingMonth"), month.String()).Scan(&at, &st.ClosedBy)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return nil, err
	}
	st.Closed, st.ClosedAt = at != 0, fromMS(at)
	if st.Closed {
		err = db.closedLines(ctx, db.db, st, o.Path)
	} else {
		err = db.openLines(ctx, db.db, st, o.Path)
	}
	if err != nil {
		return nil, err
	}
	sortLines(st.Lines)
	return st, nil
}

func sortLines(lines []taxsms.StatementLine) {
	slices.SortFunc(lines, func(a, b taxsms.StatementLine) int {
		if a.Adjustment != b.Adjustment {
			if a.Adjustment {
				return 1
			}
			return -1
		}
		return cmp.Or(cmp.Compare(a.OfficeID, b.OfficeID), cmp.Compare(a.Carrier, b.Carrier), cmp.Compare(a.Kind, b.Kind))
	})
}

func (db *DB) closedLines(ctx context.Context, q querier, st *taxsms.Statement, path string) error {
	rows, err := q.QueryContext(ctx, db.q("StatementClosed"), st.Month.String(), path+"%")
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var l taxsms.StatementLine
		var carrier, kind string
		var adj int
		var amount int64
		if err := rows.Scan(&l.OfficeID, &carrier, &kind, &adj, &l.Messages, &l.Segments, &amount, &l.Unpriced); err != nil {
			return err
		}
		l.Carrier, l.Kind, l.Amount, l.Adjustment = taxsms.Carrier(carrier), taxsms.Kind(kind), taxsms.MilliYuan(amount), adj != 0
		st.Lines = append(st.Lines, l)
	}
	if err := rows.Err(); err != nil {
		return err
	}
	adjs, err := db.adjustments(ctx, q, st.Month, path)
	st.Adjustments = adjs
	return err
}

// openLines reads the counted lines and the adjustments of an open month.
func (db *DB) openLines(ctx context.Context, q querier, st *taxsms.Statement, path string) error {
	rows, err := q.QueryContext(ctx, db.q("StatementCounted"), dayNum(st.Month.First()), dayNum(st.Month.Last()), path+"%")
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var l taxsms.StatementLine
		var carrier, kind string
		var amount int64
		if err := rows.Scan(&l.OfficeID, &carrier, &kind, &l.Messages, &l.Segments, &amount, &l.Unpriced); err != nil {
			return err
		}
		l.Carrier, l.Kind, l.Amount = taxsms.Carrier(carrier), taxsms.Kind(kind), taxsms.MilliYuan(amount)
		st.Lines = append(st.Lines, l)
	}
	if err := rows.Err(); err != nil {
		return err
	}
	adjs, err := db.adjustments(ctx, q, st.Month, path)
	if err != nil {
		return err
	}
	st.Adjustments = adjs
	type key struct {
		office        int64
		carrier, kind string
	}
	sums := make(map[key]*taxsms.StatementLine)
	for _, a := range adjs {
		k := key{a.OfficeID, string(a.Carrier), string(a.Kind)}
		l := sums[k]
		if l == nil {
			l = &taxsms.StatementLine{OfficeID: a.OfficeID, Carrier: a.Carrier, Kind: a.Kind, Adjustment: true}
			sums[k] = l
		}
		l.Messages += a.Messages
		l.Segments += a.Segments
		l.Amount += a.Amount
		if a.Unpriced {
			l.Unpriced += a.Segments
		}
	}
	for _, l := range sums {
		st.Lines = append(st.Lines, *l)
	}
	return nil
}

// adjustments returns the adjustments billed in m for the offices under
// path, oldest first, each priced at the tariff of its day.
func (db *DB) adjustments(ctx context.Context, q querier, m taxsms.Month, path string) ([]taxsms.Adjustment, error) {
	rows, err := q.QueryContext(ctx, db.q("StatementAdjustments"), m.String(), path+"%")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []taxsms.Adjustment
	for rows.Next() {
		a := taxsms.Adjustment{Month: m}
		var day, price, created int64
		var carrier, kind string
		if err := rows.Scan(&a.ID, &day, &a.OfficeID, &carrier, &kind, &a.Messages, &a.Segments, &price, &a.Reason, &created); err != nil {
			return nil, err
		}
		a.Day, a.Carrier, a.Kind, a.CreatedAt = dateOfDay(day), taxsms.Carrier(carrier), taxsms.Kind(kind), fromMS(created)
		if price >= 0 {
			a.Amount = taxsms.MilliYuan(price * a.Segments)
		} else {
			a.Unpriced = true
		}
		out = append(out, a)
	}
	return out, rows.Err()
}

// countStrays records the segments that outs report accepted in their
// Partial sends and were not recorded before (as stray segments, or as the
// parts of the submission that marked the message submitted), and counts
// each as a billable segment without a message, on the day of now, for the
// message's office and kind and the carrier that accepted it.
func (db *DB) countStrays(ctx context.Context, tx *sql.Tx, now int64, outs []*Outcome) error {
	counts := make(map[billingKey]billingCount)
	for _, o := range outs {
		var office int64
		var kind, dir string
		err := tx.QueryRowContext(ctx, db.q("BillingMessage"), o.ID).Scan(&office, &kind, &dir)
		if errors.Is(err, sql.ErrNoRows) || err == nil && dir != string(taxsms.MT) {
			continue
		} else if err != nil {
			return err
		}
		for _, ps := range o.Partial {
			for _, p := range ps.Parts {
				res, err := tx.ExecContext(ctx, db.q("InsertStraySegment"), o.ID, string(ps.Carrier), p.CarrierMsgID, ps.Link, p.Seq, now,
					o.ID, string(ps.Carrier), p.CarrierMsgID)
				if err != nil {
					return err
				}
				if n, err := res.RowsAffected(); err != nil {
					return err
				} else if n == 0 {
					continue // recorded before
				}
				k := billingKey{day: dayOfMS(now), office: office, carrier: string(ps.Carrier), kind: kind}
				c := counts[k]
				c.segments++
				counts[k] = c
			}
		}
	}
	return db.count(ctx, tx, counts, "segments of a message not sent whole")
}
