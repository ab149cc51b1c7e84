package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"taxsms"
)

// CreateUser stores a new member of staff and sets its ID and times. A taken
// login is ECONFLICT; an unknown office is EINVALID.
func (db *DB) CreateUser(ctx context.Context, u *taxsms.User) error {
	if err := u.Validate(); err != nil {
		return err
	}
	return db.inTx(ctx, func(tx *sql.Tx) error { return db.createUser(ctx, tx, u) })
}

func (db *DB) createUser(ctx context.Context, tx *sql.Tx, u *taxsms.User) error {
	now := db.Now().UTC().Truncate(1e6)
	enc, hash, mask := db.sealMobile(u.Mobile)
	err := tx.QueryRowContext(ctx, db.q("InsertUser"), u.Login, u.Name, u.OfficeID, string(u.Role), string(u.Status),
		enc, hash, mask, ms(now), ms(now)).Scan(&u.ID)
	switch db.d.violation(err) {
	case "unique":
		return taxsms.Errorf(taxsms.ECONFLICT, "login: user %q already exists", u.Login)
	case "foreign":
		return taxsms.Invalid("office", "no office with id %d", u.OfficeID)
	}
	if err != nil {
		return fmt.Errorf("insert user: %w", err)
	}
	u.CreatedAt, u.UpdatedAt = now, now
	return nil
}

// UpdateUser saves every field of u. Missing is ENOTFOUND.
func (db *DB) UpdateUser(ctx context.Context, u *taxsms.User) error {
	if err := u.Validate(); err != nil {
		return err
	}
	return db.inTx(ctx, func(tx *sql.Tx) error {
		now := db.Now().UTC().Truncate(1e6)
		enc, hash, mask := db.sealMobile(u.Mobile)
		res, err := tx.ExecContext(ctx, db.q("UpdateUser"), u.Login, u.Name, u.OfficeID, string(u.Role), string(u.Status),
			enc, hash, mask, ms(now), u.ID)
		switch db.d.violation(err) {
		case "unique":
			return taxsms.Errorf(taxsms.ECONFLICT, "login: user %q already exists", u.Login)
		case "foreign":
			return taxsms.Invalid("office", "no office with id %d", u.OfficeID)
		}
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return taxsms.Errorf(taxsms.ENOTFOUND, "user %d not found", u.ID)
		}
		u.UpdatedAt = now
		return nil
	})
}

// FindUser returns the user with the id, or ENOTFOUND.
func (db *DB) FindUser(ctx context.Context, id int64) (*taxsms.User, error) {
	return db.findUser(ctx, db.q("SelectUser"), id)
}

// FindUserByLogin returns the user with the login, or ENOTFOUND.
func (db *DB) FindUserByLogin(ctx context.Context, login string) (*taxsms.User, error) {
	return db.findUser(ctx, db.q("SelectUserByLogin"), login)
}

func (db *DB) findUser(ctx context.Context, query string, key any) (*taxsms.User, error) {
	u, err := db.scanUser(db.db.QueryRowContext(ctx, query, key))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, taxsms.Errorf(taxsms.ENOTFOUND, "user %v not found", key)
	}
	return u, err
}

func (db *DB) scanUser(s scanner) (*taxsms.User, error) {
	var u taxsms.User
	var role, status string
	var enc []byte
	var created, updated int64
	if err := s.Scan(&u.ID, &u.Login, &u.Name, &u.OfficeID, &role, &status, &enc, &created, &updated); err != nil {
		return nil, err
	}
	u.Role, u.Status = taxsms.Role(role), taxsms.UserStatus(status)
	u.CreatedAt, u.UpdatedAt = fromMS(created), fromMS(updated)
	var err error
	u.Mobile, err = db.openMobile(enc)
	return &u, err
}

// ListUsers returns the users matching f, ordered by id.
func (db *DB) ListUsers(ctx context.Context, f taxsms.UserFilter) ([]*taxsms.User, error) {
	prefix, err := db.subtreePrefix(ctx, f.Subtree)
	if err != nil {
		return nil, err
	}
	like := ""
	if prefix != "" {
		like = prefix + "%"
	}
	rows, err := db.db.QueryContext(ctx, db.q("SelectUsers"), like, like, string(f.Role), string(f.Role), f.Login, f.Login, limit(f.Limit))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*taxsms.User
	for rows.Next() {
		u, err := db.scanUser(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, u)
	}
	return out, rows.Err()
}

// UserLogins returns every user's id by login.
func (db *DB) UserLogins(ctx context.Context) (map[string]int64, error) {
	return db.keyMap(ctx, db.q("SelectUserLogins"))
}
