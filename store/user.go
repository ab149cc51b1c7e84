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

// CreateUser stores a new member of staff, sets its ID and times, and
// records audit.UserCreated. A taken login is ECONFLICT; an unknown office is
// EINVALID.
func (db *DB) CreateUser(ctx context.Context, u *taxsms.User) error {
	if err := u.Validate(); err != nil {
		return err
	}
	return db.inTx(ctx, func(tx *sql.Tx) error {
		if err := db.checkWrite(ctx, tx, auth.DataUsers, "user "+u.Login, u.OfficeID, 0); err != nil {
			return err
		}
		if err := checkUserRole(ctx, nil, u); err != nil {
			return err
		}
		if err := db.createUser(ctx, tx, u); err != nil {
			return err
		}
		return db.appendChange(ctx, tx, audit.UserCreated, userObject(u.ID), nil, userRecord(u), "")
	})
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

// UpdateUser saves every field of u and records audit.UserChanged with the
// user before and after. Setting the status to suspended has SuspendUser's
// effects: the user's sessions end and its waiting messages are held. A
// change of role drops the permissions granted to the user: it holds its new
// role's defaults until granted others. Missing is ENOTFOUND.
func (db *DB) UpdateUser(ctx context.Context, u *taxsms.User) error {
	if err := u.Validate(); err != nil {
		return err
	}
	return db.inTx(ctx, func(tx *sql.Tx) error {
		old, err := db.scanUser(tx.QueryRowContext(ctx, db.rebind(db.q("UserColumns")+" WHERE u.id = ?"), u.ID))
		if errors.Is(err, sql.ErrNoRows) {
			return taxsms.Errorf(taxsms.ENOTFOUND, "user %d not found", u.ID)
		} else if err != nil {
			return err
		}
		for _, office := range []int64{old.OfficeID, u.OfficeID} { // where it is, and where it goes
			if err := db.checkWrite(ctx, tx, auth.DataUsers, "user "+u.Login, office, 0); err != nil {
				return err
			}
		}
		if err := checkUserRole(ctx, old, u); err != nil {
			return err
		}
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
		u.UpdatedAt, u.CreatedAt = now, old.CreatedAt
		detail := ""
		if old.Role != u.Role {
			if _, err := tx.ExecContext(ctx, db.q("ResetPermissions"), u.ID); err != nil {
				return err
			}
			detail = "role changed: permissions reset to the role's defaults"
		}
		if u.Status == taxsms.UserSuspended && old.Status != taxsms.UserSuspended {
			if _, err := tx.ExecContext(ctx, db.q("DeleteUserSessions"), u.ID); err != nil {
				return err
			}
			held, err := db.changeWaiting(ctx, tx, Selector{AuthorID: u.ID}, taxsms.StatusHeld, "author suspended")
			if err != nil {
				return err
			}
			detail = strings.TrimPrefix(detail+fmt.Sprintf("; suspended; sessions ended; %d queued messages held", held), "; ")
		}
		return db.appendChange(ctx, tx, audit.UserChanged, userObject(u.ID), userRecord(old), userRecord(u), detail)
	})
}

// checkUserRole returns EFORBIDDEN unless ctx's actor may give user u its
// role (old is the user as stored, nil for a new one), on top of the scope
// checkWrite enforces: the system and city administrators may make any
// user; others need auth.PermManageUsers and may make and change only
// operators (as auth.CanGrant lets them grant only to operators), except
// that one may edit one's own record keeping its role and office.
func checkUserRole(ctx context.Context, old, u *taxsms.User) error {
	a, ok := auth.FromContext(ctx)
	if !ok || a.APIKeyID == 0 && a.Role == taxsms.RoleCityAdmin && a.Has(auth.PermManageUsers) {
		return nil
	}
	if old != nil && a.APIKeyID == 0 && a.UserID == old.ID && old.Role == u.Role && old.OfficeID == u.OfficeID {
		return nil
	}
	if err := a.Require(auth.PermManageUsers); err != nil {
		return err
	}
	if u.Role != taxsms.RoleOperator || old != nil && old.Role != taxsms.RoleOperator {
		return &taxsms.Error{Code: taxsms.EFORBIDDEN, Field: "role",
			Message: fmt.Sprintf("user %s: only a city administrator may make or change a user who is not an operator", u.Login)}
	}
	return nil
}

// FindUser returns the user with the id, or ENOTFOUND (also when outside
// the actor's scope).
func (db *DB) FindUser(ctx context.Context, id int64) (*taxsms.User, error) {
	return db.findUser(ctx, "u.id = ?", id)
}

// FindUserByLogin returns the user with the login, or ENOTFOUND (also when
// outside the actor's scope).
func (db *DB) FindUserByLogin(ctx context.Context, login string) (*taxsms.User, error) {
	return db.findUser(ctx, "u.login = ?", login)
}

func (db *DB) findUser(ctx context.Context, cond string, key any) (*taxsms.User, error) {
	scope, args := userScope(ctx)
	u, err := db.scanUser(db.db.QueryRowContext(ctx, db.rebind(db.q("UserColumns")+" WHERE "+cond+" AND "+scope), append([]any{key}, args...)...))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, taxsms.Errorf(taxsms.ENOTFOUND, "user %v not found", key)
	}
	return u, err
}

// userScope is the condition on users u (with their offices o) that a read
// by ctx's actor must meet: operators and maintainers see themselves.
func userScope(ctx context.Context) (string, []any) {
	return scopeCond(auth.AccessFrom(ctx, auth.DataUsers).Read, "u.office_id", func(uid int64) (string, []any) {
		return "u.id = ?", []any{uid}
	})
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

// ListUsers returns the users matching f within the actor's scope, ordered by id.
func (db *DB) ListUsers(ctx context.Context, f taxsms.UserFilter) ([]*taxsms.User, error) {
	return db.listUsers(ctx, f, nil, nil)
}

// listUsers returns the users matching f and the conditions where (with
// their args) within the actor's scope, ordered by id, at most f.Limit.
func (db *DB) listUsers(ctx context.Context, f taxsms.UserFilter, where []string, args []any) ([]*taxsms.User, error) {
	if f.Subtree != 0 {
		prefix, err := db.subtreePrefix(ctx, f.Subtree)
		if err != nil {
			return nil, err
		}
		where, args = append(where, "o.path LIKE ?"), append(args, prefix+"%")
	}
	if f.Role != "" {
		where, args = append(where, "u.role = ?"), append(args, string(f.Role))
	}
	if f.Login != "" {
		where, args = append(where, "u.login = ?"), append(args, f.Login)
	}
	scope, sargs := userScope(ctx)
	where, args = append(where, scope), append(args, sargs...)
	q := db.q("UserColumns") + " WHERE " + strings.Join(where, " AND ") + " ORDER BY u.id LIMIT ?"
	rows, err := db.db.QueryContext(ctx, db.rebind(q), append(args, limit(f.Limit))...)
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
