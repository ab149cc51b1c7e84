package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"iter"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"taxsms"
	"taxsms/auth"
)

// Tax data from the core systems: obligations, and the filings, payments and
// deduction results that settle them. Obligations, filings and payments
// share one row per (taxpayer, tax type, period); deductions have rows of
// their own, known by their reference. Each upsert writes only its own
// columns, so that the four kinds may arrive in any order and any of them
// may be received again without changing anything.
//
// A filing, payment or deduction that leaves a taxpayer and period without
// a reason for a reminder cancels the reminders of that kind still waiting
// in the outbox, in the same transaction (see canceller); CancelMootReminders
// sweeps for those queued later. Reminder messages carry their taxpayer's id
// and the idempotency key remind/<rule>/<period>/<taxpayer id>/<contact id>,
// with the period in normal form.

// taxRows is how many rows one multi-row upsert statement carries.
const taxRows = 256

// taxKey is the key of an obligation.
type taxKey struct {
	taxpayer int64
	taxType  string
	period   taxsms.Period
}

// tpPeriod is a taxpayer and a period, the scope of a reminder.
type tpPeriod struct {
	taxpayer int64
	period   taxsms.Period
}

// upserter runs a multi-row INSERT … ON CONFLICT DO UPDATE … RETURNING id
// (and, for tax data, taxpayer_id, period) in batches of taxRows rows
// within one transaction,
// and counts what it did: a returned id above the largest id before the
// upsert is a new row, any other returned row was updated, and the rows
// not returned were unchanged. (On PostgreSQL, a row that a concurrent
// upsert inserted and this one then changed counts as inserted: the counts
// are a report, the rows are right.)
type upserter struct {
	ctx   context.Context // not cancellable: see cancelled
	db    *DB
	tx    *sql.Tx
	name  string // the query, with /*rows*/ … /*end*/
	maxID int64

	full    *sql.Stmt
	args    []any
	keys    map[string]bool // keys in the pending batch
	n       int
	total   int
	counts  Upserted
	touched func(tp tpPeriod) // called for each inserted or updated row
}

func (db *DB) newUpserter(ctx context.Context, tx *sql.Tx, name, maxQuery string) (*upserter, error) {
	u := &upserter{ctx: ctx, db: db, tx: tx, name: name, keys: make(map[string]bool)}
	// The statements look rows up by key; after a bulk load, PostgreSQL's
	// statistics may say otherwise (see dialect.byIndex).
	if db.d.byIndex != "" {
		if _, err := tx.ExecContext(ctx, db.d.byIndex); err != nil {
			return nil, err
		}
	}
	if err := tx.QueryRowContext(ctx, db.q(maxQuery)).Scan(&u.maxID); err != nil {
		return nil, err
	}
	return u, nil
}

// add queues one row with its natural key: a key already in the pending
// batch sends the batch first, since one statement may not touch a row
// twice.
func (u *upserter) add(key string, args ...any) error {
	if u.keys[key] {
		if err := u.flush(); err != nil {
			return err
		}
	}
	u.keys[key] = true
	u.args = append(u.args, args...)
	u.n++
	u.total++
	if u.n == taxRows {
		return u.flush()
	}
	return nil
}

// flush sends the pending rows.
func (u *upserter) flush() error {
	if u.n == 0 {
		return nil
	}
	stmt := u.full
	if u.n < taxRows || stmt == nil {
		s, err := u.tx.PrepareContext(u.ctx, u.db.repeat(u.name, u.n))
		if err != nil {
			return err
		}
		if u.n == taxRows {
			u.full = s
		} else {
			defer s.Close()
		}
		stmt = s
	}
	args := u.args
	u.args, u.n = u.args[:0], 0
	clear(u.keys)
	rows, err := stmt.QueryContext(u.ctx, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return err
	}
	for rows.Next() {
		var id, tp int64
		var period string
		dest := []any{&id, &tp, &period}[:len(cols)]
		if err := rows.Scan(dest...); err != nil {
			return err
		}
		if id > u.maxID {
			u.counts.Inserted++
		} else {
			u.counts.Updated++
		}
		if u.touched != nil && len(cols) == 3 {
			u.touched(tpPeriod{tp, taxsms.Period(period)})
		}
	}
	return rows.Err()
}

// done flushes and returns the counts.
func (u *upserter) done() (Upserted, error) {
	if err := u.flush(); err != nil {
		return Upserted{}, err
	}
	u.counts.Unchanged = u.total - u.counts.Inserted - u.counts.Updated
	return u.counts, nil
}

func (u *upserter) close() {
	if u.full != nil {
		u.full.Close()
	}
}

// foreignTaxpayer turns a foreign key violation into the EINVALID error of a
// row naming a taxpayer that does not exist.
func (db *DB) foreignTaxpayer(err error) error {
	if db.d.violation(err) == "foreign" {
		return taxsms.Invalid("taxpayer", "refers to a taxpayer that does not exist")
	}
	return err
}

// keyString is the natural key of an obligation row, for a batch.
func keyString(taxpayer int64, taxType string, p taxsms.Period) string {
	return strconv.FormatInt(taxpayer, 10) + "\x00" + taxType + "\x00" + string(p)
}

// UpsertObligations inserts obligations, or updates the deadlines of those
// known by taxpayer, tax type and period, in one transaction. An obligation
// whose deadlines are as stored is left alone; what filings and payments
// said of it is kept. Rows go to the database in multi-row statements as the
// sequence yields them. A non-nil error from the sequence, an invalid
// obligation (EINVALID naming the field) or a taxpayer that does not exist
// rolls everything back. Only a city administrator or the platform may
// upsert (else EFORBIDDEN).
func (db *DB) UpsertObligations(ctx context.Context, obs iter.Seq2[*taxsms.Obligation, error]) (Upserted, error) {
	if err := db.requireAll(ctx, auth.DataTaxpayers, "obligations"); err != nil {
		return Upserted{}, err
	}
	var n Upserted
	err := db.inTx(ctx, func(tx *sql.Tx) error {
		u, err := db.newUpserter(context.WithoutCancel(ctx), tx, "UpsertObligations", "MaxObligationID")
		if err != nil {
			return err
		}
		defer u.close()
		for o, err := range obs {
			if err != nil {
				return err
			}
			if err := cancelled(ctx, Upserted{Unchanged: u.total}); err != nil {
				return err
			}
			if err := o.Validate(); err != nil {
				return err
			}
			now := ms(db.Now())
			if err := u.add(keyString(o.TaxpayerID, o.TaxType, o.Period), o.TaxpayerID, o.TaxType, string(o.Period),
				o.FilingDue.String(), o.PaymentDue.String(), now, now); err != nil {
				return db.foreignTaxpayer(err)
			}
		}
		n, err = u.done()
		return db.foreignTaxpayer(err)
	})
	return n, err
}

// UpsertFilings records filings on their obligations (by taxpayer, tax type
// and period), in one transaction: the filing date and the amount due. A
// filing of an obligation not yet known creates it, without deadlines
// (counted as inserted); a filing as stored changes nothing (unchanged).
// When a taxpayer has no unfiled obligation left for a period, its filing
// reminders of that period still waiting to be sent (kinds filing_reminder
// and overdue_filing) are cancelled in the same transaction. Errors are as
// for UpsertObligations.
func (db *DB) UpsertFilings(ctx context.Context, fs iter.Seq2[*taxsms.Filing, error]) (Upserted, error) {
	return db.upsertSettlements(ctx, "filings", "UpsertFilings", reasonsFiled, settlements(fs, func(f *taxsms.Filing) settlement {
		return settlement{taxKey{f.TaxpayerID, f.TaxType, f.Period}, f.FiledOn.String(), f.AmountDue}
	}))
}

// UpsertPayments records payments on their obligations (by taxpayer, tax
// type and period), in one transaction: the date and the total paid. A
// payment of an obligation not yet known creates it, without deadlines. When
// a taxpayer has nothing filed and unpaid left for a period, its unpaid-tax
// and failed-deduction reminders of that period still waiting to be sent are
// cancelled in the same transaction. Errors are as for UpsertObligations.
func (db *DB) UpsertPayments(ctx context.Context, ps iter.Seq2[*taxsms.Payment, error]) (Upserted, error) {
	return db.upsertSettlements(ctx, "payments", "UpsertPayments", reasonsPaid, settlements(ps, func(p *taxsms.Payment) settlement {
		return settlement{taxKey{p.TaxpayerID, p.TaxType, p.Period}, p.PaidOn.String(), p.Amount}
	}))
}

// settlement is a filing or a payment: its obligation, date and amount.
type settlement struct {
	key    taxKey
	on     string
	amount int64
}

// settlements validates each value of seq and converts it.
func settlements[T interface{ Validate() error }](seq iter.Seq2[T, error], conv func(T) settlement) iter.Seq2[settlement, error] {
	return func(yield func(settlement, error) bool) {
		for v, err := range seq {
			if err == nil {
				err = v.Validate()
			}
			if err != nil {
				yield(settlement{}, err)
				return
			}
			if !yield(conv(v), nil) {
				return
			}
		}
	}
}

// A reason is a kind of reminder that new tax data may make moot: the
// reminder is cancelled once the query open counts nothing left for its
// taxpayer and period.
type reason struct {
	kind taxsms.Kind
	open string // the query counting what still calls for the reminder
	why  string // recorded on the cancelled messages
}

// What filings, payments and deductions may make moot.
var (
	reasonsFiled = []reason{
		{taxsms.KindFilingReminder, "OpenFilings", "cancelled: the taxpayer has filed"},
		{taxsms.KindOverdueFiling, "OpenFilings", "cancelled: the taxpayer has filed"},
	}
	reasonsPaid = []reason{
		{taxsms.KindUnpaidTax, "OpenPayments", "cancelled: the taxpayer has paid"},
		{taxsms.KindFailedDeduction, "OpenDeductions", "cancelled: the taxpayer has paid"},
	}
	reasonsDeducted = []reason{
		{taxsms.KindFailedDeduction, "OpenDeductions", "cancelled: the tax was deducted"},
	}
)

// upsertSettlements is UpsertFilings and UpsertPayments.
func (db *DB) upsertSettlements(ctx context.Context, what, query string, rs []reason, rows iter.Seq2[settlement, error]) (Upserted, error) {
	if err := db.requireAll(ctx, auth.DataTaxpayers, what); err != nil {
		return Upserted{}, err
	}
	var n Upserted
	err := db.inTx(ctx, func(tx *sql.Tx) error {
		qctx := context.WithoutCancel(ctx) // see cancelled
		u, err := db.newUpserter(qctx, tx, query, "MaxObligationID")
		if err != nil {
			return err
		}
		defer u.close()
		c := db.newCanceller(qctx, tx, rs)
		defer c.close()
		u.touched = c.add
		for s, err := range rows {
			if err != nil {
				return err
			}
			if err := cancelled(ctx, Upserted{Unchanged: u.total}); err != nil {
				return err
			}
			now := ms(db.Now())
			k := s.key
			if err := u.add(keyString(k.taxpayer, k.taxType, k.period), k.taxpayer, k.taxType, string(k.period),
				s.on, s.amount, now, now); err != nil {
				return db.foreignTaxpayer(err)
			}
			if len(c.periods) >= taxRows {
				if err := c.flush(); err != nil {
					return err
				}
			}
		}
		if n, err = u.done(); err != nil {
			return db.foreignTaxpayer(err)
		}
		return c.flush()
	})
	return n, err
}

// canceller collects the taxpayers and periods an upsert changed, and
// cancels their waiting reminders whose reason has gone.
type canceller struct {
	ctx     context.Context
	db      *DB
	tx      *sql.Tx
	reasons []reason
	periods map[int64][]taxsms.Period // taxpayer -> periods changed, pending
	stmts   map[string]*sql.Stmt      // by query name
}

func (db *DB) newCanceller(ctx context.Context, tx *sql.Tx, rs []reason) *canceller {
	return &canceller{ctx: ctx, db: db, tx: tx, reasons: rs, periods: make(map[int64][]taxsms.Period),
		stmts: make(map[string]*sql.Stmt)}
}

func (c *canceller) add(tp tpPeriod) {
	ps := c.periods[tp.taxpayer]
	if !slices.Contains(ps, tp.period) {
		c.periods[tp.taxpayer] = append(ps, tp.period)
	}
}

// stmt returns the named statement, prepared in the transaction once.
func (c *canceller) stmt(name string) (*sql.Stmt, error) {
	if s := c.stmts[name]; s != nil {
		return s, nil
	}
	q := c.db.q(name)
	if name == "WaitingReminderTaxpayers" {
		q = c.db.repeat(name, taxRows)
	}
	s, err := c.tx.PrepareContext(c.ctx, q)
	if err != nil {
		return nil, err
	}
	c.stmts[name] = s
	return s, nil
}

// flush looks up, in one statement per taxRows taxpayers, which of the
// pending taxpayers have reminders of the reasons' kinds waiting; for those
// only (few, as a rule), it checks each period and cancels.
func (c *canceller) flush() error {
	if len(c.periods) == 0 {
		return nil
	}
	ids := make([]int64, 0, len(c.periods))
	for id := range c.periods {
		ids = append(ids, id)
	}
	defer clear(c.periods)
	waiting, err := c.stmt("WaitingReminderTaxpayers")
	if err != nil {
		return err
	}
	for len(ids) > 0 {
		chunk := ids[:min(len(ids), taxRows)]
		ids = ids[len(chunk):]
		args := make([]any, 0, taxRows+2)
		for _, id := range chunk {
			args = append(args, id)
		}
		for len(args) < taxRows {
			args = append(args, nil) // matches nothing
		}
		args = append(args, string(c.reasons[0].kind), string(c.reasons[len(c.reasons)-1].kind))
		rows, err := waiting.QueryContext(c.ctx, args...)
		if err != nil {
			return err
		}
		var found []int64
		for rows.Next() {
			var id int64
			if err := rows.Scan(&id); err != nil {
				rows.Close()
				return err
			}
			found = append(found, id)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		for _, id := range found {
			for _, p := range c.periods[id] {
				for _, r := range c.reasons {
					if err := c.cancel(r, id, p); err != nil {
						return err
					}
				}
			}
		}
	}
	return nil
}

func (c *canceller) close() {
	for _, s := range c.stmts {
		s.Close()
	}
}

// cancel cancels, if the taxpayer has nothing left for period that calls
// for a reminder of r's kind, its waiting reminders of that kind for the
// period, recording why as the message's final entry (as ChangeWaiting
// does).
func (c *canceller) cancel(r reason, taxpayer int64, period taxsms.Period) error {
	open, err := c.stmt(r.open)
	if err != nil {
		return err
	}
	var n int
	if err := open.QueryRowContext(c.ctx, taxpayer, string(period)).Scan(&n); err != nil {
		return err
	}
	if n > 0 {
		return nil
	}
	cancel, err := c.stmt("CancelReminders")
	if err != nil {
		return err
	}
	now := ms(c.db.Now())
	_, err = cancel.ExecContext(c.ctx, now, now, r.why, taxpayer, string(r.kind), ReminderKeyPattern(period, taxpayer))
	return err
}

// CancelMootReminders cancels the reminders of period still waiting in the
// outbox whose reason has gone: nothing left to file (filing_reminder,
// overdue_filing), nothing filed left unpaid (unpaid_tax), no failed
// deduction standing (failed_deduction). The upserts of tax data cancel
// such reminders themselves; this sweep catches a reminder queued after the
// data that made it moot was read, and returns how many it cancelled. It
// reads the waiting reminders of the period with ids from fromID (a run
// sweeps the reminders it queued itself). Only the platform or a city
// administrator may run it (else EFORBIDDEN).
func (db *DB) CancelMootReminders(ctx context.Context, period taxsms.Period, fromID int64) (int, error) {
	if err := db.requireAll(ctx, auth.DataMessages, "reminders"); err != nil {
		return 0, err
	}
	if !period.Valid() {
		return 0, taxsms.Invalid("period", "%q: want 2026-11, 2026Q3 or 2025", string(period))
	}
	n := 0
	err := db.inTx(ctx, func(tx *sql.Tx) error {
		n = 0
		now := ms(db.Now())
		pattern := "remind/%/" + string(period) + "/%"
		for _, q := range []struct{ name, why string }{
			{"CancelMootFilingReminders", "cancelled: the taxpayer has filed"},
			{"CancelMootUnpaidReminders", "cancelled: the taxpayer has paid"},
			{"CancelMootDeductionReminders", "cancelled: the tax was deducted or paid"},
		} {
			res, err := tx.ExecContext(ctx, db.q(q.name), now, now, q.why, fromID, pattern, string(period))
			if err != nil {
				return err
			}
			k, _ := res.RowsAffected()
			n += int(k)
		}
		return nil
	})
	return n, err
}

// ReminderKeyPattern is the SQL LIKE pattern of the idempotency keys of the
// reminders for a taxpayer and period, whatever their rule and contact:
// remind/%/<period>/<taxpayer id>/%.
func ReminderKeyPattern(period taxsms.Period, taxpayer int64) string {
	return "remind/%/" + string(period) + "/" + strconv.FormatInt(taxpayer, 10) + "/%"
}

// UpsertDeductions inserts deduction results, or updates those known by
// reference, in one transaction; a result as stored is left alone, and a
// failed deduction's reminder, once planned, stays planned. When a
// taxpayer has no failed deduction left for a period that a later success
// or a payment has not made moot, its failed-deduction reminders of that
// period still waiting are cancelled in the same transaction. Errors are as
// for UpsertObligations.
func (db *DB) UpsertDeductions(ctx context.Context, ds iter.Seq2[*taxsms.Deduction, error]) (Upserted, error) {
	if err := db.requireAll(ctx, auth.DataTaxpayers, "deductions"); err != nil {
		return Upserted{}, err
	}
	var n Upserted
	err := db.inTx(ctx, func(tx *sql.Tx) error {
		qctx := context.WithoutCancel(ctx) // see cancelled
		u, err := db.newUpserter(qctx, tx, "UpsertDeductions", "MaxDeductionID")
		if err != nil {
			return err
		}
		defer u.close()
		c := db.newCanceller(qctx, tx, reasonsDeducted)
		defer c.close()
		u.touched = c.add
		for d, err := range ds {
			if err != nil {
				return err
			}
			if err := cancelled(ctx, Upserted{Unchanged: u.total}); err != nil {
				return err
			}
			if err := d.Validate(); err != nil {
				return err
			}
			now := ms(db.Now())
			if err := u.add(d.Reference, d.Reference, d.TaxpayerID, d.TaxType, string(d.Period), d.Amount,
				string(d.Result), d.Reason, ms(d.At), now, now); err != nil {
				return db.foreignTaxpayer(err)
			}
			if len(c.periods) >= taxRows {
				if err := c.flush(); err != nil {
					return err
				}
			}
		}
		if n, err = u.done(); err != nil {
			return db.foreignTaxpayer(err)
		}
		return c.flush()
	})
	return n, err
}

// ObligationFilter selects obligations; zero fields do not filter. Results
// are ordered by taxpayer, period and tax type.
type ObligationFilter struct {
	TaxpayerID int64
	Period     taxsms.Period
	Limit      int // at most 1000; default 50
}

// ListObligations returns the obligations that f selects among the taxpayers
// ctx's actor may read.
func (db *DB) ListObligations(ctx context.Context, f ObligationFilter) ([]*taxsms.Obligation, error) {
	where, args := taxpayerScope(ctx, false)
	conds := []string{where}
	if f.TaxpayerID != 0 {
		conds, args = append(conds, "o.taxpayer_id = ?"), append(args, f.TaxpayerID)
	}
	if f.Period != "" {
		conds, args = append(conds, "o.period = ?"), append(args, string(f.Period))
	}
	q := rawQueries["ObligationColumns"] + " WHERE " + strings.Join(conds, " AND ") +
		" ORDER BY o.taxpayer_id, o.period, o.tax_type LIMIT ?"
	rows, err := db.db.QueryContext(ctx, db.rebind(q), append(args, limit(f.Limit))...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*taxsms.Obligation
	for rows.Next() {
		var o taxsms.Obligation
		var period, filingDue, paymentDue, filed, paid string
		var created, updated int64
		if err := rows.Scan(&o.TaxpayerID, &o.TaxType, &period, &filingDue, &paymentDue, &filed, &o.AmountDue,
			&paid, &o.AmountPaid, &created, &updated); err != nil {
			return nil, err
		}
		o.Period = taxsms.Period(period)
		o.FilingDue, _ = taxsms.ParseDate(filingDue)
		o.PaymentDue, _ = taxsms.ParseDate(paymentDue)
		o.FiledOn, _ = taxsms.ParseDate(filed)
		o.PaidOn, _ = taxsms.ParseDate(paid)
		o.CreatedAt, o.UpdatedAt = fromMS(created), fromMS(updated)
		out = append(out, &o)
	}
	return out, rows.Err()
}

// FindObligation returns the obligation of a taxpayer for a tax and period,
// ENOTFOUND if there is none the actor may read.
func (db *DB) FindObligation(ctx context.Context, taxpayer int64, taxType string, period taxsms.Period) (*taxsms.Obligation, error) {
	list, err := db.ListObligations(ctx, ObligationFilter{TaxpayerID: taxpayer, Period: period, Limit: 1000})
	if err != nil {
		return nil, err
	}
	for _, o := range list {
		if o.TaxType == taxType {
			return o, nil
		}
	}
	return nil, taxsms.Errorf(taxsms.ENOTFOUND, "obligation of taxpayer %d for %s %s not found", taxpayer, taxType, period)
}

// FindDeduction returns the deduction with the reference, ENOTFOUND if there
// is none the actor may read.
func (db *DB) FindDeduction(ctx context.Context, reference string) (*taxsms.Deduction, error) {
	where, args := taxpayerScope(ctx, false)
	q := rawQueries["DeductionColumns"] + " WHERE d.reference = ? AND " + where
	var d taxsms.Deduction
	var period, result string
	var at, reminded int64
	err := db.db.QueryRowContext(ctx, db.rebind(q), append([]any{reference}, args...)...).Scan(&d.ID, &d.Reference,
		&d.TaxpayerID, &d.TaxType, &period, &d.Amount, &result, &d.Reason, &at, &reminded)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, taxsms.Errorf(taxsms.ENOTFOUND, "deduction %q not found", reference)
	} else if err != nil {
		return nil, err
	}
	d.Period, d.Result, d.At, d.RemindedAt = taxsms.Period(period), taxsms.DeductionResult(result), fromMS(at), fromMS(reminded)
	return &d, nil
}

// duePage is how many obligations (or deductions) a page of the reminders'
// look-ups reads, with their contacts.
const duePage = 4096

// Unfiled yields, for each day from from to to (inclusive), the taxpayers
// with obligations not filed whose filing deadline is that day, one Due per
// taxpayer and period with its active contacts (taxpayers with none are
// left out). It serves the reminder before the deadline (rule 1, the
// deadline's date) and the one to non-filers after it (rule 2, the
// deadline that has just passed). Dues come by day, then taxpayer id, then
// period. Only taxpayers ctx's actor may read are included.
//
// It reads a page at a time by an index on (filing deadline, taxpayer) and
// yields a page only once it is read whole, so the consumer may write to
// the database meanwhile; rows changed during the iteration may or may not
// be seen. It stops at the first error, which it yields.
func (db *DB) Unfiled(ctx context.Context, from, to taxsms.Date) iter.Seq2[*taxsms.Due, error] {
	return db.dues(ctx, "SelectUnfiled", from, to)
}

// Unpaid yields, like Unfiled, the taxpayers that filed obligations whose
// payment deadline is a day from from to to and have not paid all of the
// amount due: Due.Amount is what remains, over Due.TaxTypes (rule 3).
func (db *DB) Unpaid(ctx context.Context, from, to taxsms.Date) iter.Seq2[*taxsms.Due, error] {
	return db.dues(ctx, "SelectUnpaid", from, to)
}

func (db *DB) dues(ctx context.Context, name string, from, to taxsms.Date) iter.Seq2[*taxsms.Due, error] {
	return func(yield func(*taxsms.Due, error) bool) {
		if from.IsZero() || to.IsZero() || to.Before(from) {
			yield(nil, taxsms.Invalid("date", "want a range of days, got %s to %s", from, to))
			return
		}
		where, sargs := taxpayerScope(ctx, false)
		q := db.rebind(strings.Replace(rawQueries[name], "{{SCOPE}}", where, 1))
		bound := db.q(strings.Replace(name, "Select", "Bound", 1))
		r, err := db.newDueReader(ctx)
		if err != nil {
			yield(nil, err)
			return
		}
		for page := range prefetch(ctx, func(ctx context.Context, send func(duePageResult) bool) {
			for day := from.Time(time.UTC); !to.Time(time.UTC).Before(day); day = day.AddDate(0, 0, 1) {
				var after int64
				for {
					if err := ctx.Err(); err != nil {
						send(duePageResult{err: err})
						return
					}
					list, last, err := r.page(ctx, q, bound, taxsms.DateOf(day), name == "SelectUnpaid", after, sargs)
					if !send(duePageResult{list, err}) || err != nil {
						return
					}
					if last == 0 {
						break
					}
					after = last
				}
			}
		}) {
			if page.err != nil {
				yield(nil, page.err)
				return
			}
			for _, d := range page.list {
				if !yield(d, nil) {
					return
				}
			}
		}
	}
}

// duePageResult is a page of dues, or the error that ends them.
type duePageResult struct {
	list []*taxsms.Due
	err  error
}

// prefetch runs produce in a goroutine of its own, one result ahead of the
// consumer, so that reading the next page overlaps the consumer's work on
// this one (on another core). send reports false once the consumer has
// stopped. The goroutine ends before the sequence returns.
func prefetch[T any](ctx context.Context, produce func(ctx context.Context, send func(T) bool)) iter.Seq[T] {
	return func(yield func(T) bool) {
		ctx, cancel := context.WithCancel(ctx)
		ch := make(chan T, 1)
		go func() {
			defer close(ch)
			produce(ctx, func(v T) bool {
				select {
				case ch <- v:
					return true
				case <-ctx.Done():
					return false
				}
			})
		}()
		defer func() {
			cancel()
			for range ch { // wait for the producer to end
			}
		}()
		for v := range ch {
			if !yield(v) {
				return
			}
		}
	}
}

// dueReader reads the pages of a reminders' look-up. It knows every office
// (they are few).
type dueReader struct {
	db      *DB
	offices map[int64][2]string // id -> name, phone
}

func (db *DB) newDueReader(ctx context.Context) (*dueReader, error) {
	r := &dueReader{db: db, offices: make(map[int64][2]string)}
	rows, err := db.db.QueryContext(ctx, db.q("SelectOfficeContacts"))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var name, phone string
		if err := rows.Scan(&id, &name, &phone); err != nil {
			return nil, err
		}
		r.offices[id] = [2]string{name, phone}
	}
	return r, rows.Err()
}

// newDue returns a Due for a taxpayer with its office.
func (r *dueReader) newDue(tp int64, name string, office int64, p taxsms.Period) *taxsms.Due {
	o := r.offices[office]
	return &taxsms.Due{TaxpayerID: tp, Name: name, OfficeID: office, OfficeName: o[0], OfficePhone: o[1], Period: p}
}

// page reads the dues of the taxpayers after taxpayer after, up to the
// taxpayer of the duePage-th obligation (found by the query bound), and
// returns that taxpayer (0 at the end). Every taxpayer of a page is read
// whole, however many obligations and contacts it has.
func (r *dueReader) page(ctx context.Context, q, bound string, day taxsms.Date, unpaid bool, after int64, sargs []any) ([]*taxsms.Due, int64, error) {
	var upto int64
	err := r.db.db.QueryRowContext(ctx, bound, day.String(), after, duePage-1).Scan(&upto)
	last := upto
	if errors.Is(err, sql.ErrNoRows) {
		upto, last = math.MaxInt64, 0 // the last page
	} else if err != nil {
		return nil, 0, err
	}
	args := append([]any{day.String(), after, upto, after, upto, after, upto}, sargs...)
	list, err := r.read(ctx, q, day, unpaid, args)
	sortDues(list)
	return list, last, err
}

// read runs a due query and groups its rows by taxpayer and period. The
// dues are due on day: to file, or to pay if unpaid (whose rows end with
// the amount that remains).
func (r *dueReader) read(ctx context.Context, q string, day taxsms.Date, unpaid bool, args []any) (list []*taxsms.Due, err error) {
	rows, err := r.db.db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	byPeriod := make(map[string]*taxsms.Due) // of the current taxpayer
	var (
		cur                          int64
		tp, officeID, cid, remaining int64
		taxType, period, name, role  string
		cname                        string
		enc                          []byte
	)
	dest := []any{&tp, &taxType, &period, &name, &officeID, &cid, &role, &cname, &enc}
	if unpaid {
		dest = append(dest, &remaining)
	}
	for rows.Next() {
		if err := rows.Scan(dest...); err != nil {
			return nil, err
		}
		if tp != cur {
			cur = tp
			clear(byPeriod)
		}
		d := byPeriod[period]
		if d == nil {
			d = r.newDue(tp, name, officeID, taxsms.Period(period))
			if unpaid {
				d.PaymentDue = day
			} else {
				d.FilingDue = day
			}
			byPeriod[period] = d
			list = append(list, d)
		}
		if !slices.Contains(d.TaxTypes, taxType) {
			d.TaxTypes = append(d.TaxTypes, taxType)
			d.Amount += remaining
		}
		if !slices.ContainsFunc(d.Contacts, func(c taxsms.DueContact) bool { return c.ID == cid }) {
			mobile, err := r.db.openMobile(enc)
			if err != nil {
				return nil, fmt.Errorf("contact %d: %w", cid, err)
			}
			d.Contacts = append(d.Contacts, taxsms.DueContact{ID: cid, Role: taxsms.ContactRole(role), Name: cname, Mobile: mobile})
		}
	}
	return list, rows.Err()
}

// sortDues puts each taxpayer's dues in period order, and their tax types
// and contacts in order; taxpayers are already in order.
func sortDues(list []*taxsms.Due) {
	slices.SortStableFunc(list, func(a, b *taxsms.Due) int {
		if a.TaxpayerID != b.TaxpayerID {
			return 0
		}
		return strings.Compare(string(a.Period), string(b.Period))
	})
	for _, d := range list {
		slices.Sort(d.TaxTypes)
		slices.SortFunc(d.Contacts, func(a, b taxsms.DueContact) int { return int(a.ID - b.ID) })
	}
}

// FailedDeductions yields the failed deductions whose reminder is not yet
// planned (see MarkDeductionsReminded), oldest first, each as a Due with
// its Deduction, Amount and the taxpayer's active contacts (none if it has
// none: mark it reminded all the same). A failure that a later successful
// deduction of the same tax or a payment of the obligation made moot is
// left out. Paging and errors are as for Unfiled.
//
// Each failure is yielded until it is marked; the reminders' idempotency
// keys keep a failure that is yielded again (after a crash between sending
// and marking) from being sent twice.
func (db *DB) FailedDeductions(ctx context.Context) iter.Seq2[*taxsms.Due, error] {
	return func(yield func(*taxsms.Due, error) bool) {
		where, sargs := taxpayerScope(ctx, false)
		q := db.rebind(strings.Replace(rawQueries["SelectFailedDeductions"], "{{SCOPE}}", where, 1))
		r, err := db.newDueReader(ctx)
		if err != nil {
			yield(nil, err)
			return
		}
		var after int64
		for {
			if err := ctx.Err(); err != nil {
				yield(nil, err)
				return
			}
			list, err := r.failedPage(ctx, q, after, sargs)
			if err != nil {
				yield(nil, err)
				return
			}
			if len(list) == 0 {
				return
			}
			for _, d := range list {
				if !yield(d, nil) {
					return
				}
			}
			after = list[len(list)-1].Deduction.ID
		}
	}
}

func (r *dueReader) failedPage(ctx context.Context, q string, after int64, sargs []any) ([]*taxsms.Due, error) {
	rows, err := r.db.db.QueryContext(ctx, q, append(append([]any{after}, sargs...), duePage)...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var list []*taxsms.Due
	n := 0
	for rows.Next() {
		var dd taxsms.Deduction
		var period, result, name string
		var at, officeID int64
		var cid sql.NullInt64
		var role, cname sql.NullString
		var enc []byte
		if err := rows.Scan(&dd.ID, &dd.Reference, &dd.TaxpayerID, &dd.TaxType, &period, &dd.Amount, &result, &dd.Reason, &at,
			&name, &officeID, &cid, &role, &cname, &enc); err != nil {
			return nil, err
		}
		n++
		var d *taxsms.Due
		if len(list) > 0 && list[len(list)-1].Deduction.ID == dd.ID {
			d = list[len(list)-1]
		} else {
			dd.Period, dd.Result, dd.At = taxsms.Period(period), taxsms.DeductionResult(result), fromMS(at)
			d = r.newDue(dd.TaxpayerID, name, officeID, dd.Period)
			d.TaxTypes, d.Amount, d.Deduction = []string{dd.TaxType}, dd.Amount, &dd
			list = append(list, d)
		}
		if cid.Valid {
			mobile, err := r.db.openMobile(enc)
			if err != nil {
				return nil, fmt.Errorf("contact %d: %w", cid.Int64, err)
			}
			d.Contacts = append(d.Contacts, taxsms.DueContact{ID: cid.Int64, Role: taxsms.ContactRole(role.String), Name: cname.String, Mobile: mobile})
		}
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if n == duePage && len(list) > 1 {
		list = list[:len(list)-1] // its contacts may go on in the next page
	}
	for _, d := range list {
		slices.SortFunc(d.Contacts, func(a, b taxsms.DueContact) int { return int(a.ID - b.ID) })
	}
	return list, nil
}

// MarkDeductionsReminded records that the reminders of the failed
// deductions ids are planned, so that FailedDeductions yields them no more;
// it returns how many it marked (ids marked before are left alone).
func (db *DB) MarkDeductionsReminded(ctx context.Context, ids []int64) (int, error) {
	if err := db.requireAll(ctx, auth.DataTaxpayers, "deductions"); err != nil {
		return 0, err
	}
	n := 0
	err := db.inTx(ctx, func(tx *sql.Tx) error {
		n = 0
		now := ms(db.Now())
		for len(ids) > 0 {
			chunk := ids[:min(len(ids), taxRows)]
			ids = ids[len(chunk):]
			args := []any{now}
			for _, id := range chunk {
				args = append(args, id)
			}
			res, err := tx.ExecContext(ctx, db.repeat("MarkDeductionsReminded", len(chunk)), args...)
			if err != nil {
				return err
			}
			k, _ := res.RowsAffected()
			n += int(k)
		}
		return nil
	})
	return n, err
}
