package store

import (
	"context"
	"fmt"

	"taxsms"
	"taxsms/auth"
)

// The store enforces each actor's scope on every read and write (MISSION
// the actor comes from the context (auth.NewContext); a context with
// none is the platform itself and reaches everything. A record outside the
// actor's read scope does not exist for it (ENOTFOUND); one it may read but
// not write is EFORBIDDEN to change.

// scopeCond returns an SQL condition that keeps the rows in s, and its
// arguments. office is the expression of a row's office id; assigned, the
// condition of LevelAssigned for a user (nil: such actors reach no row).
func scopeCond(s auth.Scope, office string, assigned func(uid int64) (string, []any)) (string, []any) {
	switch s.Level {
	case auth.LevelAll:
		return "1 = 1", nil
	case auth.LevelSubtree:
		return office + " IN (SELECT id FROM offices WHERE path LIKE ?)", []any{s.Path + "%"}
	case auth.LevelAssigned:
		if assigned != nil {
			return assigned(s.UserID)
		}
	}
	return "1 = 0", nil
}

func taxpayerAssigned(uid int64) (string, []any) { return "t.admin_id = ?", []any{uid} }

// taxpayerScope is the condition on taxpayers t that a read (or write) by
// ctx's actor must meet.
func taxpayerScope(ctx context.Context, write bool) (string, []any) {
	acc := auth.AccessFrom(ctx, auth.DataTaxpayers)
	s := acc.Read
	if write {
		s = acc.Write
	}
	return scopeCond(s, "t.office_id", taxpayerAssigned)
}

// checkWrite returns nil if ctx's actor may write a record of d in office
// officeID assigned to owner, else EFORBIDDEN naming what.
func (db *DB) checkWrite(ctx context.Context, q querier, d auth.Data, what string, officeID, owner int64) error {
	s := auth.AccessFrom(ctx, d).Write
	if s.Level == auth.LevelAll {
		return nil
	}
	path := ""
	if officeID != 0 {
		o, err := db.findOffice(ctx, q, db.q("SelectOffice"), officeID)
		if err != nil && taxsms.ErrorCode(err) != taxsms.ENOTFOUND {
			return err
		} else if err == nil {
			path = o.Path
		}
	}
	if !s.Contains(path, owner) {
		return &taxsms.Error{Code: taxsms.EFORBIDDEN, Field: "office",
			Message: fmt.Sprintf("%s: outside what you may change", what)}
	}
	return nil
}

// MayImport returns EFORBIDDEN (naming what) unless ctx's actor may import
// records of d in bulk: the platform, the city's administrators and the API
// keys of the city's root office (a subtree that holds every office). The
// bulk upserts check it themselves; callers check it first to refuse a
// request before reading it.
func (db *DB) MayImport(ctx context.Context, d auth.Data, what string) error {
	return db.requireAll(ctx, d, what)
}

func (db *DB) requireAll(ctx context.Context, d auth.Data, what string) error {
	s := auth.AccessFrom(ctx, d).Write
	if s.Level == auth.LevelAll {
		return nil
	}
	if s.Level == auth.LevelSubtree {
		var outside int
		err := db.db.QueryRowContext(ctx, db.rebind("SELECT COUNT(*) FROM offices WHERE path NOT LIKE ?"), s.Path+"%").Scan(&outside)
		if err != nil {
			return err
		}
		if outside == 0 {
			return nil
		}
	}
	return taxsms.Errorf(taxsms.EFORBIDDEN, "%s: only a city administrator or a key of the city's root office may import", what)
}
