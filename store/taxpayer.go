package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"taxsms"
)

// CreateTaxpayer stores a new taxpayer and sets its ID and times. A taken
// identifier is ECONFLICT; an unknown office or administrator is EINVALID.
func (db *DB) CreateTaxpayer(ctx context.Context, t *taxsms.Taxpayer) error {
	if err := t.Validate(); err != nil {
		return err
	}
	return db.inTx(ctx, func(tx *sql.Tx) error {
		stmt, err := tx.PrepareContext(ctx, db.q("InsertTaxpayer"))
		if err != nil {
			return err
		}
		defer stmt.Close()
		return db.insertTaxpayer(ctx, stmt, t)
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

// UpdateTaxpayer saves every field of t. Missing is ENOTFOUND.
func (db *DB) UpdateTaxpayer(ctx context.Context, t *taxsms.Taxpayer) error {
	if err := t.Validate(); err != nil {
		return err
	}
	return db.inTx(ctx, func(tx *sql.Tx) error {
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
		t.UpdatedAt = now
		return nil
	})
}

// FindTaxpayer returns the taxpayer with the id, or ENOTFOUND.
func (db *DB) FindTaxpayer(ctx context.Context, id int64) (*taxsms.Taxpayer, error) {
	t, err := scanTaxpayer(db.db.QueryRowContext(ctx, db.rebind(db.q("TaxpayerColumns")+" WHERE t.id = ?"), id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, taxsms.Errorf(taxsms.ENOTFOUND, "taxpayer %d not found", id)
	}
	return t, err
}

// FindTaxpayerByIdentifier returns the taxpayer with the identifier (in any
// accepted form), or ENOTFOUND.
func (db *DB) FindTaxpayerByIdentifier(ctx context.Context, identifier string) (*taxsms.Taxpayer, error) {
	id := taxsms.NormalizeIdentifier(identifier)
	t, err := scanTaxpayer(db.db.QueryRowContext(ctx, db.rebind(db.q("TaxpayerColumns")+" WHERE t.identifier = ?"), id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, taxsms.Errorf(taxsms.ENOTFOUND, "taxpayer %s not found", id)
	}
	return t, err
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
