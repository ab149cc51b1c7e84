package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"

	"taxsms"
	"taxsms/audit"
	"taxsms/auth"
)

// CreateOffice stores a new office below o.ParentID (0 for the root) and sets
// its ID, Path and times, and records audit.OfficeCreated. A taken code is
// ECONFLICT; a missing parent is EINVALID.
func (db *DB) CreateOffice(ctx context.Context, o *taxsms.Office) error {
	if err := o.Validate(); err != nil {
		return err
	}
	return db.inTx(ctx, func(tx *sql.Tx) error {
		if err := db.checkWrite(ctx, tx, auth.DataOffices, "office "+o.Code, o.ParentID, 0); err != nil {
			return err
		}
		if err := db.createOffice(ctx, tx, o); err != nil {
			return err
		}
		return db.appendChange(ctx, tx, audit.OfficeCreated, officeObject(o.ID), nil, officeRecord(o), "")
	})
}

func (db *DB) createOffice(ctx context.Context, tx *sql.Tx, o *taxsms.Office) error {
	parentPath := "/"
	if o.ParentID != 0 {
		p, err := db.findOffice(ctx, tx, db.q("SelectOffice"), o.ParentID)
		if taxsms.ErrorCode(err) == taxsms.ENOTFOUND {
			return taxsms.Invalid("parent", "no office with id %d", o.ParentID)
		} else if err != nil {
			return err
		}
		parentPath = p.Path
	}
	now := db.Now().UTC().Truncate(1e6)
	err := tx.QueryRowContext(ctx, db.q("InsertOffice"), nullID(o.ParentID), o.Code, o.Name, o.Phone, o.Address,
		boolInt(o.Suspended), ms(now), ms(now)).Scan(&o.ID)
	if db.d.violation(err) == "unique" {
		return taxsms.Errorf(taxsms.ECONFLICT, "code: office %q already exists", o.Code)
	} else if err != nil {
		return fmt.Errorf("insert office: %w", err)
	}
	o.Path = parentPath + strconv.FormatInt(o.ID, 10) + "/"
	o.CreatedAt, o.UpdatedAt = now, now
	_, err = tx.ExecContext(ctx, db.q("SetOfficePath"), o.Path, o.ID)
	return err
}

// UpdateOffice saves o's code, name, phone, address and suspension, and
// records audit.OfficeChanged with the office before and after. Suspending
// here has SuspendOffice's effects (and needs auth.PermManageOffices).
// Moving an office to another parent is not supported. Missing is ENOTFOUND.
func (db *DB) UpdateOffice(ctx context.Context, o *taxsms.Office) error {
	if err := o.Validate(); err != nil {
		return err
	}
	return db.inTx(ctx, func(tx *sql.Tx) error {
		old, err := db.findOffice(ctx, tx, db.q("SelectOffice"), o.ID)
		if err != nil {
			return err
		}
		if err := db.checkWrite(ctx, tx, auth.DataOffices, "office "+o.Code, o.ID, 0); err != nil {
			return err
		}
		detail := ""
		if old.Suspended != o.Suspended {
			a, _ := auth.FromContext(ctx)
			if err := a.Require(auth.PermManageOffices); err != nil {
				return err
			}
			detail = "resumed"
			if o.Suspended {
				held, err := db.suspendSubtree(ctx, tx, old, "office edited")
				if err != nil {
					return err
				}
				detail = fmt.Sprintf("suspended; %d queued messages held", held)
			}
		}
		now := db.Now().UTC().Truncate(1e6)
		res, err := tx.ExecContext(ctx, db.q("UpdateOffice"), o.Code, o.Name, o.Phone, o.Address, boolInt(o.Suspended), ms(now), o.ID)
		if db.d.violation(err) == "unique" {
			return taxsms.Errorf(taxsms.ECONFLICT, "code: office %q already exists", o.Code)
		} else if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return taxsms.Errorf(taxsms.ENOTFOUND, "office %d not found", o.ID)
		}
		o.UpdatedAt, o.Path, o.ParentID, o.CreatedAt = now, old.Path, old.ParentID, old.CreatedAt
		return db.appendChange(ctx, tx, audit.OfficeChanged, officeObject(o.ID), officeRecord(old), officeRecord(o), detail)
	})
}

// FindOffice returns the office with the id, or ENOTFOUND.
func (db *DB) FindOffice(ctx context.Context, id int64) (*taxsms.Office, error) {
	return db.scopedOffice(ctx, db.q("SelectOffice"), id)
}

// FindOfficeByCode returns the office with the code, or ENOTFOUND (also
// when outside the actor's scope).
func (db *DB) FindOfficeByCode(ctx context.Context, code string) (*taxsms.Office, error) {
	return db.scopedOffice(ctx, db.q("SelectOfficeByCode"), code)
}

// scopedOffice is findOffice hiding an office outside the actor's read scope.
func (db *DB) scopedOffice(ctx context.Context, query string, key any) (*taxsms.Office, error) {
	o, err := db.findOffice(ctx, db.db, query, key)
	if err != nil {
		return nil, err
	}
	if !auth.AccessFrom(ctx, auth.DataOffices).Read.Contains(o.Path, 0) {
		return nil, taxsms.Errorf(taxsms.ENOTFOUND, "office %v not found", key)
	}
	return o, nil
}

type querier interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

func (db *DB) findOffice(ctx context.Context, q querier, query string, key any) (*taxsms.Office, error) {
	o, err := scanOffice(q.QueryRowContext(ctx, query, key))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, taxsms.Errorf(taxsms.ENOTFOUND, "office %v not found", key)
	}
	return o, err
}

func scanOffice(s scanner) (*taxsms.Office, error) {
	var o taxsms.Office
	var susp int
	var created, updated int64
	err := s.Scan(&o.ID, &o.ParentID, &o.Code, &o.Name, &o.Phone, &o.Address, &o.Path, &susp, &created, &updated)
	if err != nil {
		return nil, err
	}
	o.Suspended = susp != 0
	o.CreatedAt, o.UpdatedAt = fromMS(created), fromMS(updated)
	return &o, nil
}

// ListOffices returns the offices matching f in tree order (by path).
func (db *DB) ListOffices(ctx context.Context, f taxsms.OfficeFilter) ([]*taxsms.Office, error) {
	prefix, err := db.subtreePrefix(ctx, f.Subtree)
	if err != nil {
		return nil, err
	}
	like := ""
	if prefix != "" {
		like = prefix + "%"
	}
	rows, err := db.db.QueryContext(ctx, db.q("SelectOffices"), like, like, f.Code, f.Code, 100000)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	read := auth.AccessFrom(ctx, auth.DataOffices).Read
	var out []*taxsms.Office
	for rows.Next() && len(out) < limit(f.Limit) {
		o, err := scanOffice(rows)
		if err != nil {
			return nil, err
		}
		if read.Contains(o.Path, 0) { // offices are few: scoped here
			out = append(out, o)
		}
	}
	return out, rows.Err()
}

// subtreePrefix returns the path of office id, "" for 0, or ENOTFOUND.
func (db *DB) subtreePrefix(ctx context.Context, id int64) (string, error) {
	return db.subtreePrefixIn(ctx, db.db, id)
}

// subtreePrefixIn is subtreePrefix read through q (a transaction).
func (db *DB) subtreePrefixIn(ctx context.Context, q querier, id int64) (string, error) {
	if id == 0 {
		return "", nil
	}
	o, err := db.findOffice(ctx, q, db.q("SelectOffice"), id)
	if err != nil {
		return "", err
	}
	return o.Path, nil
}

// OfficeCodes returns every office's id by its code.
func (db *DB) OfficeCodes(ctx context.Context) (map[string]int64, error) {
	return db.keyMap(ctx, db.q("SelectOfficeCodes"))
}

func (db *DB) keyMap(ctx context.Context, query string) (map[string]int64, error) {
	rows, err := db.db.QueryContext(ctx, query)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	m := make(map[string]int64)
	for rows.Next() {
		var k string
		var id int64
		if err := rows.Scan(&k, &id); err != nil {
			return nil, err
		}
		m[k] = id
	}
	return m, rows.Err()
}

// Counts is how many of each thing the database holds.
type Counts struct {
	Offices   int `json:"offices"`
	Users     int `json:"staff"`
	Taxpayers int `json:"taxpayers"`
	Contacts  int `json:"contacts"`
	Messages  int `json:"messages"`
}

// Count returns how many offices, users, taxpayers, contacts and messages exist.
func (db *DB) Count(ctx context.Context) (Counts, error) {
	var c Counts
	err := db.db.QueryRowContext(ctx, db.q("CountAll")).Scan(&c.Offices, &c.Users, &c.Taxpayers, &c.Contacts, &c.Messages)
	return c, err
}
