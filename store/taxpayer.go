package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"taxsms"
	"taxsms/audit"
	"taxsms/auth"
)

// CreateTaxpayer stores a new taxpayer, sets its ID and times, and records
// audit.TaxpayerChanged with no state before. A taken identifier is
// ECONFLICT; an unknown office or administrator is EINVALID; an office
// outside the actor's write scope is EFORBIDDEN.
func (db *DB) CreateTaxpayer(ctx context.Context, t *taxsms.Taxpayer) error {
	if err := t.Validate(); err != nil {
		return err
	}
	return db.inTx(ctx, func(tx *sql.Tx) error {
		if err := db.checkWrite(ctx, tx, auth.DataTaxpayers, "taxpayer "+t.Identifier, t.OfficeID, t.AdminID); err != nil {
			return err
		}
		stmt, err := tx.PrepareContext(ctx, db.q("InsertTaxpayer"))
		if err != nil {
			return err
		}
		defer stmt.Close()
		if err := db.insertTaxpayer(ctx, stmt, t); err != nil {
			return err
		}
		return db.appendChange(ctx, tx, audit.TaxpayerChanged, taxpayerObject(t.ID), nil, taxpayerRecord(t), "created")
	})
}

func (db *DB) insertTaxpayer(ctx context.Context, stmt *sql.Stmt, t *taxsms.Taxpayer) error {
	now := db.Now().UTC().Truncate(1e6)
	err := stmt.QueryRowContext(ctx, t.Identifier, string(t.IDType), t.Name, t.OfficeID, nullID(t.AdminID),
		string(t.RegStatus), t.Registered.String(), t.Changed.String(), t.Cancelled.String(), t.Industry,
		strings.Join(t.TaxTypes, ","), boolInt(t.RemoteFiler), ms(now), ms(now)).Scan(&t.ID)
	switch db.d.violation(err) {
	case "unique":
		return taxsms.Errorf(taxsms.ECONFLICT, "identifier: taxpayer %s already exists", t.Identifier)
	case "foreign":
		return taxsms.Invalid("office", "office %d or administrator %d does not exist", t.OfficeID, t.AdminID)
	}
	if err != nil {
		return fmt.Errorf("insert taxpayer %s: %w", t.Identifier, err)
	}
	t.CreatedAt, t.UpdatedAt = now, now
	return nil
}

// UpdateTaxpayer saves every field of t and records audit.TaxpayerChanged
// with the taxpayer before and after (nothing if nothing changed). Missing
// (or outside the actor's scope) is ENOTFOUND; a taxpayer the actor may see
// but not change, or a move out of its scope, is EFORBIDDEN; only
// administrators move a taxpayer or change its tax administrator.
func (db *DB) UpdateTaxpayer(ctx context.Context, t *taxsms.Taxpayer) error {
	if err := t.Validate(); err != nil {
		return err
	}
	return db.inTx(ctx, func(tx *sql.Tx) error {
		old, err := db.findTaxpayer(ctx, tx, "t.id = ?", t.ID, true)
		if err != nil {
			return err
		}
		if (old.OfficeID != t.OfficeID || old.AdminID != t.AdminID) && auth.AccessFrom(ctx, auth.DataTaxpayers).Write.Level < auth.LevelSubtree {
			return &taxsms.Error{Code: taxsms.EFORBIDDEN, Field: "office",
				Message: "taxpayer " + t.Identifier + ": only an administrator may move a taxpayer or change its tax administrator"}
		}
		if err := db.checkWrite(ctx, tx, auth.DataTaxpayers, "taxpayer "+t.Identifier, t.OfficeID, t.AdminID); err != nil {
			return err
		}
		now := db.Now().UTC().Truncate(1e6)
		res, err := tx.ExecContext(ctx, db.q("UpdateTaxpayer"), t.Identifier, string(t.IDType), t.Name, t.OfficeID,
			nullID(t.AdminID), string(t.RegStatus), t.Registered.String(), t.Changed.String(), t.Cancelled.String(),
			t.Industry, strings.Join(t.TaxTypes, ","), boolInt(t.RemoteFiler), ms(now), t.ID)
		switch db.d.violation(err) {
		case "unique":
			return taxsms.Errorf(taxsms.ECONFLICT, "identifier: taxpayer %s already exists", t.Identifier)
		case "foreign":
			return taxsms.Invalid("office", "office %d or administrator %d does not exist", t.OfficeID, t.AdminID)
		}
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return taxsms.Errorf(taxsms.ENOTFOUND, "taxpayer %d not found", t.ID)
		}
		t.UpdatedAt, t.CreatedAt = now, old.CreatedAt
		return db.appendChange(ctx, tx, audit.TaxpayerChanged, taxpayerObject(t.ID), taxpayerRecord(old), taxpayerRecord(t), "")
	})
}

// FindTaxpayer returns the taxpayer with the id, or ENOTFOUND (also when it
// is outside the actor's scope).
func (db *DB) FindTaxpayer(ctx context.Context, id int64) (*taxsms.Taxpayer, error) {
	return db.findTaxpayer(ctx, db.db, "t.id = ?", id, false)
}

// FindTaxpayerByIdentifier returns the taxpayer with the identifier (in any
// accepted form), or ENOTFOUND (also when it is outside the actor's scope).
func (db *DB) FindTaxpayerByIdentifier(ctx context.Context, identifier string) (*taxsms.Taxpayer, error) {
	return db.findTaxpayer(ctx, db.db, "t.identifier = ?", taxsms.NormalizeIdentifier(identifier), false)
}

// findTaxpayer returns the taxpayer matching cond (one placeholder, key)
// within the actor's read scope, or within its write scope if write.
func (db *DB) findTaxpayer(ctx context.Context, q querier, cond string, key any, write bool) (*taxsms.Taxpayer, error) {
	scope, args := taxpayerScope(ctx, false)
	t, err := scanTaxpayer(q.QueryRowContext(ctx, db.rebind(db.q("TaxpayerColumns")+" WHERE "+cond+" AND "+scope), append([]any{key}, args...)...))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, taxsms.Errorf(taxsms.ENOTFOUND, "taxpayer %v not found", key)
	} else if err != nil {
		return nil, err
	}
	if write {
		if err := db.checkWrite(ctx, q, auth.DataTaxpayers, "taxpayer "+t.Identifier, t.OfficeID, t.AdminID); err != nil {
			return nil, err
		}
	}
	return t, nil
}

// rebind rewrites the placeholders of SQL composed in Go from named fragments.
func (db *DB) rebind(q string) string {
	if db.d == postgresDialect {
		return numberPlaceholders(q)
	}
	return q
}

func scanTaxpayer(s scanner) (*taxsms.Taxpayer, error) {
	var t taxsms.Taxpayer
	var idType, reg, registered, changed, cancelled, taxTypes string
	var remote int
	var created, updated int64
	err := s.Scan(&t.ID, &t.Identifier, &idType, &t.Name, &t.OfficeID, &t.AdminID, &reg, &registered, &changed,
		&cancelled, &t.Industry, &taxTypes, &remote, &created, &updated)
	if err != nil {
		return nil, err
	}
	t.IDType, t.RegStatus = taxsms.IDType(idType), taxsms.RegStatus(reg)
	t.Registered, _ = taxsms.ParseDate(registered)
	t.Changed, _ = taxsms.ParseDate(changed)
	t.Cancelled, _ = taxsms.ParseDate(cancelled)
	if taxTypes != "" {
		t.TaxTypes = strings.Split(taxTypes, ",")
	}
	t.RemoteFiler = remote != 0
	t.CreatedAt, t.UpdatedAt = fromMS(created), fromMS(updated)
	return &t, nil
}

// likeEscaper escapes LIKE wildcards in user input (with ESCAPE '\').
var likeEscaper = strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)

// ListTaxpayers returns one page of the taxpayers matching f, ordered by id.
// Every filter uses an index except NameContains, which scans in id order and
// stops at the page size. A bad Mobile is EINVALID.
func (db *DB) ListTaxpayers(ctx context.Context, f taxsms.TaxpayerFilter) ([]*taxsms.Taxpayer, error) {
	var where []string
	var args []any
	if f.Subtree != 0 {
		prefix, err := db.subtreePrefix(ctx, f.Subtree)
		if err != nil {
			return nil, err
		}
		where = append(where, "t.office_id IN (SELECT id FROM offices WHERE path LIKE ?)")
		args = append(args, prefix+"%")
	}
	if f.AdminID != 0 {
		where = append(where, "t.admin_id = ?")
		args = append(args, f.AdminID)
	}
	if f.Identifier != "" {
		where = append(where, "t.identifier = ?")
		args = append(args, taxsms.NormalizeIdentifier(f.Identifier))
	}
	if f.NamePrefix != "" {
		where = append(where, "t.name >= ? AND t.name < ?")
		args = append(args, f.NamePrefix, f.NamePrefix+"\U0010FFFF")
	}
	if f.NameContains != "" {
		where = append(where, `t.name LIKE ? ESCAPE '\'`)
		args = append(args, "%"+likeEscaper.Replace(f.NameContains)+"%")
	}
	if f.Mobile != "" {
		m, err := taxsms.NormalizeMobile(f.Mobile)
		if err != nil {
			return nil, err
		}
		where = append(where, "t.id IN (SELECT taxpayer_id FROM contacts WHERE mobile_hash = ?)")
		args = append(args, db.box.Hash(m))
	}
	if f.After != 0 {
		where = append(where, "t.id > ?")
		args = append(args, f.After)
	}
	scope, sargs := taxpayerScope(ctx, false)
	where, args = append(where, scope), append(args, sargs...)
	q := db.q("TaxpayerColumns")
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	q += " ORDER BY t.id LIMIT ?"
	args = append(args, limit(f.Limit))
	rows, err := db.db.QueryContext(ctx, db.rebind(q), args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*taxsms.Taxpayer
	for rows.Next() {
		t, err := scanTaxpayer(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	return out, rows.Err()
}

// TaxpayerIdentifiers returns every taxpayer's id by identifier.
func (db *DB) TaxpayerIdentifiers(ctx context.Context) (map[string]int64, error) {
	return db.keyMap(ctx, db.q("SelectTaxpayerIdentifiers"))
}
