package store

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"taxsms"
	"taxsms/audit"
	"taxsms/auth"
	"taxsms/calendar"
)

// The working-day calendar and the local deadline overrides are the city's
// data, edited by holders of auth.PermManageCalendar (and the system). Every
// write records audit.ConfigChanged with the state before and after, in the
// same transaction. Reads need no permission: every node plans reminders
// from them.

// CalendarEntries returns the stored calendar entries, sorted by date; none
// if the calendar was never stored (the embedded one is then in force).
func (db *DB) CalendarEntries(ctx context.Context) ([]calendar.Entry, error) {
	return db.calendarEntries(ctx, db.db, db.q("SelectCalendarEntries"))
}

func (db *DB) calendarEntries(ctx context.Context, q querier, query string, args ...any) ([]calendar.Entry, error) {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("calendar entries: %w", err)
	}
	defer rows.Close()
	var out []calendar.Entry
	for rows.Next() {
		var day, kind string
		var prov int
		var e calendar.Entry
		if err := rows.Scan(&day, &kind, &e.Name, &e.Source, &prov); err != nil {
			return nil, err
		}
		d, err := taxsms.ParseDate(day)
		if err != nil {
			return nil, fmt.Errorf("calendar entry %q: %w", day, err)
		}
		e.Date, e.Provisional = d, prov != 0
		switch kind {
		case "holiday":
			e.Kind = calendar.Holiday
		case "workday":
			e.Kind = calendar.Workday
		default:
			return nil, fmt.Errorf("calendar entry %s: kind %q", day, kind)
		}
		out = append(out, e)
	}
	return out, rows.Err()
}

// yearRange returns the first day of year and of the next, as stored.
func yearRange(year int) (string, string) {
	return fmt.Sprintf("%04d-01-01", year), fmt.Sprintf("%04d-01-01", year+1)
}

// entryLines returns entries as lines of the data file, for the audit
// archive (never nil: an empty year is []).
func entryLines(es []calendar.Entry) []string {
	out := make([]string, 0, len(es))
	for _, e := range es {
		s := e.Date.String() + " " + e.Kind.String() + " " + e.Name + " " + e.Source
		if e.Provisional {
			s += " provisional"
		}
		out = append(out, s)
	}
	return out
}

func calendarObject(id string) audit.Object { return audit.Object{Type: "calendar", ID: id} }

// requireCalendar returns EFORBIDDEN unless ctx's actor (or the system) holds
// auth.PermManageCalendar.
func requireCalendar(ctx context.Context) error {
	a, _ := auth.FromContext(ctx)
	return a.Require(auth.PermManageCalendar)
}

// ReplaceCalendarYears replaces the stored entries of each of years with
// those of entries in it (a year with none is emptied), in one
// transaction; other years stay. entries must all fall in years and be valid together as
// calendar.New checks them (else EINVALID naming the entry, or ECONFLICT for
// two on one date), and the actor must hold auth.PermManageCalendar (else
// EFORBIDDEN). Each year replaced records audit.ConfigChanged (object
// calendar/YEAR) with its entries before and after; a year unchanged
// records nothing.
func (db *DB) ReplaceCalendarYears(ctx context.Context, years []int, entries []calendar.Entry) error {
	if err := requireCalendar(ctx); err != nil {
		return err
	}
	if len(years) == 0 {
		return taxsms.Invalid("year", "name at least one year")
	}
	for _, y := range years {
		if y < calendar.MinYear || y > calendar.MaxYear {
			return taxsms.Invalid("year", "%d: must be %d to %d", y, calendar.MinYear, calendar.MaxYear)
		}
	}
	for _, e := range entries {
		if !slices.Contains(years, e.Date.Year) {
			return taxsms.Invalid("date", "%s is not in %v", e.Date, years)
		}
	}
	if _, err := calendar.New(entries); err != nil {
		return err
	}
	now := ms(db.Now())
	return db.inTx(ctx, func(tx *sql.Tx) error {
		for _, y := range slices.Compact(slices.Sorted(slices.Values(years))) {
			from, to := yearRange(y)
			before, err := db.calendarEntries(ctx, tx, db.q("SelectCalendarYear"), from, to)
			if err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, db.q("DeleteCalendarYear"), from, to); err != nil {
				return fmt.Errorf("delete calendar %d: %w", y, err)
			}
			var after []calendar.Entry
			for _, e := range entries {
				if e.Date.Year == y {
					after = append(after, e)
				}
			}
			slices.SortFunc(after, func(a, b calendar.Entry) int { return strings.Compare(a.Date.String(), b.Date.String()) })
			for _, e := range after {
				if err := db.insertCalendarEntry(ctx, tx, e, now); err != nil {
					return err
				}
			}
			if err := db.appendChange(ctx, tx, audit.ConfigChanged, calendarObject(strconv.Itoa(y)),
				entryLines(before), entryLines(after), fmt.Sprintf("calendar %d replaced: %d entries", y, len(after))); err != nil {
				return err
			}
		}
		return nil
	})
}

func (db *DB) insertCalendarEntry(ctx context.Context, tx *sql.Tx, e calendar.Entry, now int64) error {
	_, err := tx.ExecContext(ctx, db.q("InsertCalendarEntry"), e.Date.String(), e.Kind.String(), e.Name, e.Source, boolInt(e.Provisional), now)
	if err != nil {
		return fmt.Errorf("insert calendar entry %s: %w", e.Date, err)
	}
	return nil
}

// AddCalendarEntry stores e, replacing the entry of its date if there is
// one, and records audit.ConfigChanged (object calendar/DATE) with the entry
// before (if any) and after. It returns EINVALID if e is not valid and
// EFORBIDDEN unless the actor holds auth.PermManageCalendar.
func (db *DB) AddCalendarEntry(ctx context.Context, e calendar.Entry) error {
	if err := requireCalendar(ctx); err != nil {
		return err
	}
	if err := e.Validate(); err != nil {
		return err
	}
	return db.inTx(ctx, func(tx *sql.Tx) error {
		d := e.Date.String()
		old, err := db.calendarEntries(ctx, tx, db.q("SelectCalendarEntry"), d)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, db.q("DeleteCalendarEntry"), d); err != nil {
			return err
		}
		if err := db.insertCalendarEntry(ctx, tx, e, ms(db.Now())); err != nil {
			return err
		}
		var before any
		if len(old) > 0 {
			before = entryLines(old)
		}
		return db.appendChange(ctx, tx, audit.ConfigChanged, calendarObject(d), before, entryLines([]calendar.Entry{e}), "calendar entry set")
	})
}

// RemoveCalendarEntry deletes the entry of d and records audit.ConfigChanged
// with it. It returns ENOTFOUND if there is none and EFORBIDDEN unless the
// actor holds auth.PermManageCalendar.
func (db *DB) RemoveCalendarEntry(ctx context.Context, d taxsms.Date) error {
	if err := requireCalendar(ctx); err != nil {
		return err
	}
	return db.inTx(ctx, func(tx *sql.Tx) error {
		s := d.String()
		old, err := db.calendarEntries(ctx, tx, db.q("SelectCalendarEntry"), s)
		if err != nil {
			return err
		}
		if len(old) == 0 {
			return taxsms.Errorf(taxsms.ENOTFOUND, "no calendar entry on %s", d)
		}
		if _, err := tx.ExecContext(ctx, db.q("DeleteCalendarEntry"), s); err != nil {
			return err
		}
		return db.appendChange(ctx, tx, audit.ConfigChanged, calendarObject(s), entryLines(old), []string{}, "calendar entry removed")
	})
}

// DeadlineOverride is a local adjustment of a filing deadline: the date the
// administrator set for a period, and why.
type DeadlineOverride struct {
	Period    calendar.Period
	Date      taxsms.Date
	Reason    string
	UpdatedAt time.Time
}

// maxReason bounds an override's reason, in characters.
const maxReason = 200

// Validate returns an EINVALID error naming the first bad field: the date
// as calendar.Fixed.Validate checks it, or an empty or too long reason.
func (o *DeadlineOverride) Validate() error {
	if err := (calendar.Fixed{Period: o.Period, Date: o.Date, Source: "override"}).Validate(); err != nil {
		return err
	}
	switch n := utf8.RuneCountInString(strings.TrimSpace(o.Reason)); {
	case n == 0:
		return taxsms.Invalid("reason", "required")
	case n > maxReason:
		return taxsms.Invalid("reason", "at most %d characters, got %d", maxReason, n)
	}
	return nil
}

// DeadlineOverrides returns the stored overrides, by period.
func (db *DB) DeadlineOverrides(ctx context.Context) ([]DeadlineOverride, error) {
	return db.deadlineOverrides(ctx, db.db, db.q("SelectDeadlineOverrides"))
}

// DeadlineTable returns the stored overrides as a calendar.Table for
// calendar.Deadlines.Overrides (each Fixed's Source is "override").
func (db *DB) DeadlineTable(ctx context.Context) (calendar.Table, error) {
	os, err := db.DeadlineOverrides(ctx)
	if err != nil {
		return nil, err
	}
	t := make(calendar.Table, len(os))
	for _, o := range os {
		t[o.Period] = calendar.Fixed{Period: o.Period, Date: o.Date, Source: "override"}
	}
	return t, nil
}

func (db *DB) deadlineOverrides(ctx context.Context, q querier, query string, args ...any) ([]DeadlineOverride, error) {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("deadline overrides: %w", err)
	}
	defer rows.Close()
	var out []DeadlineOverride
	for rows.Next() {
		var period, day string
		var at int64
		var o DeadlineOverride
		if err := rows.Scan(&period, &day, &o.Reason, &at); err != nil {
			return nil, err
		}
		if o.Period, err = calendar.ParsePeriod(period); err != nil {
			return nil, fmt.Errorf("deadline override %q: %w", period, err)
		}
		if o.Date, err = taxsms.ParseDate(day); err != nil {
			return nil, fmt.Errorf("deadline override %s: %w", period, err)
		}
		o.UpdatedAt = fromMS(at)
		out = append(out, o)
	}
	return out, rows.Err()
}

func overrideRecord(o *DeadlineOverride) map[string]any {
	return map[string]any{"period": o.Period.String(), "date": o.Date.String(), "reason": o.Reason}
}

// SetDeadlineOverride stores the override of o.Period, replacing any, and
// records audit.ConfigChanged (object deadline/PERIOD) with the override
// before and after. It returns EINVALID naming the bad field and EFORBIDDEN
// unless the actor holds auth.PermManageCalendar.
func (db *DB) SetDeadlineOverride(ctx context.Context, o DeadlineOverride) error {
	if err := requireCalendar(ctx); err != nil {
		return err
	}
	o.Reason = strings.TrimSpace(o.Reason)
	if err := o.Validate(); err != nil {
		return err
	}
	return db.inTx(ctx, func(tx *sql.Tx) error {
		p := o.Period.String()
		before, err := db.deleteOverride(ctx, tx, p)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, db.q("InsertDeadlineOverride"), p, o.Date.String(), o.Reason, ms(db.Now())); err != nil {
			return fmt.Errorf("insert deadline override: %w", err)
		}
		return db.appendChange(ctx, tx, audit.ConfigChanged, audit.Object{Type: "deadline", ID: p}, before, overrideRecord(&o), "deadline override set")
	})
}

// RemoveDeadlineOverride deletes the override of period, so that the
// published or computed deadline applies again, and records it. It returns
// ENOTFOUND if there is none and EFORBIDDEN unless the actor holds
// auth.PermManageCalendar.
func (db *DB) RemoveDeadlineOverride(ctx context.Context, period calendar.Period) error {
	if err := requireCalendar(ctx); err != nil {
		return err
	}
	return db.inTx(ctx, func(tx *sql.Tx) error {
		p := period.String()
		before, err := db.deleteOverride(ctx, tx, p)
		if err != nil {
			return err
		}
		if before == nil {
			return taxsms.Errorf(taxsms.ENOTFOUND, "no deadline override for %s", p)
		}
		return db.appendChange(ctx, tx, audit.ConfigChanged, audit.Object{Type: "deadline", ID: p}, before, map[string]any{}, "deadline override removed")
	})
}

// deleteOverride deletes the override of period and returns its record, nil
// (untyped) if there was none.
func (db *DB) deleteOverride(ctx context.Context, tx *sql.Tx, period string) (any, error) {
	old, err := db.deadlineOverrides(ctx, tx, db.q("SelectDeadlineOverride"), period)
	if err != nil {
		return nil, err
	}
	if len(old) == 0 {
		return nil, nil
	}
	if _, err := tx.ExecContext(ctx, db.q("DeleteDeadlineOverride"), period); err != nil {
		return nil, err
	}
	return overrideRecord(&old[0]), nil
}
