package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"

	"taxsms"
	"taxsms/audit"
)

// SetPasswordHash stores a user's password hash (an auth.Hasher string) and
// records the change in the audit archive as done by actor. Missing is
// ENOTFOUND.
func (db *DB) SetPasswordHash(ctx context.Context, userID int64, hash string, actor audit.Actor, detail string) error {
	return db.inTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, db.q("SetPasswordHash"), hash, ms(db.Now()), userID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return taxsms.Errorf(taxsms.ENOTFOUND, "user %d not found", userID)
		}
		return db.appendAudit(ctx, tx, audit.Entry{Actor: actor, Action: audit.PasswordChanged,
			Object: audit.Object{Type: "user", ID: strconv.FormatInt(userID, 10)}, Detail: detail})
	})
}

// PasswordHash returns the id and password hash of the user with the login
// ("" when none is set), or ENOTFOUND.
func (db *DB) PasswordHash(ctx context.Context, login string) (int64, string, error) {
	var id int64
	var hash string
	err := db.db.QueryRowContext(ctx, db.q("SelectPasswordHash"), login).Scan(&id, &hash)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, "", taxsms.Errorf(taxsms.ENOTFOUND, "user %q not found", login)
	}
	return id, hash, err
}

// CreateUserAudited creates a user as CreateUser does and records it in the
// audit archive as done by actor, in one transaction.
func (db *DB) CreateUserAudited(ctx context.Context, u *taxsms.User, actor audit.Actor, detail string) error {
	if err := u.Validate(); err != nil {
		return err
	}
	return db.inTx(ctx, func(tx *sql.Tx) error {
		if err := db.createUser(ctx, tx, u); err != nil {
			return err
		}
		after, _ := json.Marshal(userRecord(u))
		return db.appendAudit(ctx, tx, audit.Entry{Actor: actor, Action: audit.UserCreated,
			Object: audit.Object{Type: "user", ID: strconv.FormatInt(u.ID, 10)}, After: after, Detail: detail})
	})
}

// SuspendUser suspends (or, with suspend false, resumes) a user at once
// (seed Art. 19): the status changes, the messages the user wrote that are
// not yet claimed are held (resuming does not release them: whoever resumes
// decides), and the act is recorded in the audit archive as done by actor,
// all in one transaction. It returns how many messages were held. A user
// already in that state is ECONFLICT; missing is ENOTFOUND.
func (db *DB) SuspendUser(ctx context.Context, userID int64, suspend bool, actor audit.Actor, reason string) (held int, err error) {
	to, action := taxsms.UserSuspended, audit.Suspended
	if !suspend {
		to, action = taxsms.UserActive, audit.Resumed
	}
	err = db.inTx(ctx, func(tx *sql.Tx) error {
		var exists int
		if err := tx.QueryRowContext(ctx, db.rebind("SELECT COUNT(*) FROM users WHERE id = ?"), userID).Scan(&exists); err != nil {
			return err
		}
		if exists == 0 {
			return taxsms.Errorf(taxsms.ENOTFOUND, "user %d not found", userID)
		}
		res, err := tx.ExecContext(ctx, db.q("SetUserStatus"), string(to), ms(db.Now()), userID, string(to))
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return taxsms.Errorf(taxsms.ECONFLICT, "user %d is already %s", userID, to)
		}
		if suspend {
			if held, err = db.changeWaiting(ctx, tx, Selector{AuthorID: userID}, taxsms.StatusHeld, "author suspended: "+reason); err != nil {
				return err
			}
		}
		return db.appendAudit(ctx, tx, audit.Entry{Actor: actor, Action: action,
			Object: audit.Object{Type: "user", ID: strconv.FormatInt(userID, 10)},
			Detail: fmt.Sprintf("%s; %d queued messages held", reason, held)})
	})
	return held, err
}

// userRecord is a user as the audit archive shows it: the number masked.
func userRecord(u *taxsms.User) map[string]any {
	return map[string]any{"id": u.ID, "login": u.Login, "name": u.Name, "office_id": u.OfficeID,
		"role": u.Role, "status": u.Status, "mobile": taxsms.MaskMobile(u.Mobile)}
}
