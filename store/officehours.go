package store

import (
	"context"
	"database/sql"
	"errors"
	"strconv"
	"strings"

	"taxsms/audit"
	"taxsms/auth"
	"taxsms/calendar"
)

// DefaultHours are the working hours of an office when neither it nor any
// office above it has its own.
const DefaultHours = "08:30-12:00,13:30-17:30"

// OfficeHours returns the working hours of an office (calendar sessions):
// its own, or those of the nearest office above it that has some, or
// DefaultHours; and the id of the office they were set on (0 for the
// default). An office outside the actor's read scope is ENOTFOUND.
func (db *DB) OfficeHours(ctx context.Context, officeID int64) ([]calendar.Session, int64, error) {
	o, err := db.FindOffice(ctx, officeID)
	if err != nil {
		return nil, 0, err
	}
	rows, err := db.db.QueryContext(ctx, db.q("SelectOfficeHours"), o.Path)
	if err != nil {
		return nil, 0, err
	}
	defer rows.Close()
	hours, from := DefaultHours, int64(0)
	for rows.Next() {
		var path string
		if err := rows.Scan(&path, &hours); err != nil {
			return nil, 0, err
		}
		from = lastID(path)
	}
	if err := rows.Err(); err != nil {
		return nil, 0, err
	}
	s, err := calendar.ParseSessions(hours)
	return s, from, err
}

// lastID returns the last id of an office path: 5 of "/1/5/".
func lastID(path string) int64 {
	parts := strings.Split(strings.Trim(path, "/"), "/")
	id, _ := strconv.ParseInt(parts[len(parts)-1], 10, 64)
	return id
}

// SetOfficeHours sets an office's own working hours, written as
// calendar.ParseSessions reads them ("08:30-12:00,13:30-17:30"); "" removes
// them, so that the office works those of the office above. It needs
// auth.PermManageOffices and write scope on the office (EFORBIDDEN); bad
// hours are EINVALID (field "hours"). The change is recorded in the audit
// archive (audit.OfficeChanged) with the hours before and after.
func (db *DB) SetOfficeHours(ctx context.Context, officeID int64, hours string) error {
	a, _ := auth.FromContext(ctx)
	if err := a.Require(auth.PermManageOffices); err != nil {
		return err
	}
	hours = strings.TrimSpace(hours)
	if hours != "" {
		s, err := calendar.ParseSessions(hours)
		if err != nil {
			return err
		}
		hours = calendar.FormatSessions(s)
	}
	return db.inTx(ctx, func(tx *sql.Tx) error {
		o, err := db.findOffice(ctx, tx, db.q("SelectOffice"), officeID)
		if err != nil {
			return err
		}
		if err := db.checkWrite(ctx, tx, auth.DataOffices, "office "+o.Code, o.ID, 0); err != nil {
			return err
		}
		var before string
		if err := tx.QueryRowContext(ctx, db.q("SelectOwnHours"), officeID).Scan(&before); err != nil && !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		if before == hours {
			return nil
		}
		if hours == "" {
			_, err = tx.ExecContext(ctx, db.q("DeleteOfficeHours"), officeID)
		} else {
			_, err = tx.ExecContext(ctx, db.q("UpsertOfficeHours"), officeID, hours, ms(db.Now()))
		}
		if err != nil {
			return err
		}
		return db.appendAudit(ctx, tx, db.entry(ctx, audit.OfficeChanged, audit.Object{Type: "office", ID: strconv.FormatInt(officeID, 10)},
			map[string]string{"hours": before}, map[string]string{"hours": hours}, "working hours"))
	})
}
