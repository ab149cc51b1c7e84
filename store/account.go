package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"taxsms"
	"taxsms/audit"
	"taxsms/auth"
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
		after := toJSON(userRecord(u))
		return db.appendAudit(ctx, tx, audit.Entry{Actor: actor, Action: audit.UserCreated,
			Object: audit.Object{Type: "user", ID: strconv.FormatInt(u.ID, 10)}, After: after, Detail: detail})
	})
}

// SuspendUser suspends (or, with suspend false, resumes) a user at once
// (seed Art. 19): the status changes, the user's sessions end, the messages
// the user wrote that are not yet claimed are held (resuming does not
// release them: whoever resumes decides), and the act is recorded in the
// audit archive as done by actor, all in one transaction. It returns how
// many messages were held. A user already in that state is ECONFLICT;
// missing is ENOTFOUND.
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
			if _, err := tx.ExecContext(ctx, db.q("DeleteUserSessions"), userID); err != nil {
				return err
			}
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

// UserPermissions returns the permissions user userID holds: those granted
// to it, or its role's defaults if none were, within its role's ceiling.
// A user outside ctx's actor's read scope, or none, is ENOTFOUND.
func (db *DB) UserPermissions(ctx context.Context, userID int64) ([]auth.Permission, error) {
	u, err := db.FindUser(ctx, userID)
	if err != nil {
		return nil, err
	}
	a, err := db.UserActor(ctx, u.ID)
	if err != nil {
		return nil, err
	}
	return a.Permissions, nil
}

// SetUserPermissions grants user userID exactly perms (its whole new set:
// leaving one out revokes it). ctx's actor must hold auth.PermManageUsers and
// pass auth.CanGrant for the user's role and office (EFORBIDDEN, or EINVALID
// for an unknown permission); a user outside its read scope is ENOTFOUND.
// What was added is recorded as audit.PermissionGranted, what was removed as
// audit.PermissionRevoked, each with the sets before and after.
func (db *DB) SetUserPermissions(ctx context.Context, userID int64, perms []auth.Permission) error {
	a, _ := auth.FromContext(ctx)
	if err := a.Require(auth.PermManageUsers); err != nil {
		return err
	}
	names := make([]string, len(perms))
	for i, p := range perms {
		names[i] = string(p)
	}
	perms, err := auth.ParsePermissions(names)
	if err != nil {
		return err
	}
	return db.inTx(ctx, func(tx *sql.Tx) error {
		var (
			role, path string
			stored     sql.NullString
		)
		err := tx.QueryRowContext(ctx, db.rebind("SELECT u.role, o.path, u.permissions FROM users u JOIN offices o ON o.id = u.office_id WHERE u.id = ?"),
			userID).Scan(&role, &path, &stored)
		if errors.Is(err, sql.ErrNoRows) || err == nil && !auth.AccessFrom(ctx, auth.DataUsers).Read.Contains(path, userID) {
			return taxsms.Errorf(taxsms.ENOTFOUND, "user %d not found", userID)
		} else if err != nil {
			return err
		}
		if err := auth.CanGrant(a, taxsms.Role(role), path, perms); err != nil {
			return err
		}
		before := storedPermissions(stored, taxsms.Role(role))
		value := make([]string, len(perms))
		for i, p := range perms {
			value[i] = string(p)
		}
		if _, err := tx.ExecContext(ctx, db.q("SetPermissions"), strings.Join(value, ","), ms(db.Now()), userID); err != nil {
			return err
		}
		var added, removed []string
		for _, p := range perms {
			if !slices.Contains(before, p) {
				added = append(added, string(p))
			}
		}
		for _, p := range before {
			if !slices.Contains(perms, p) {
				removed = append(removed, string(p))
			}
		}
		b, after := map[string]any{"permissions": before}, map[string]any{"permissions": perms}
		var entries []audit.Entry
		if len(added) > 0 {
			entries = append(entries, db.entry(ctx, audit.PermissionGranted, userObject(userID), b, after, "granted "+strings.Join(added, ", ")))
		}
		if len(removed) > 0 {
			entries = append(entries, db.entry(ctx, audit.PermissionRevoked, userObject(userID), b, after, "revoked "+strings.Join(removed, ", ")))
		}
		if len(entries) == 0 {
			return nil
		}
		return db.appendAudit(ctx, tx, entries...)
	})
}

// ResetPassword sets the password hash (an auth.Hasher string) of user
// userID as an administrator: ctx's actor must hold auth.PermManageUsers
// (EFORBIDDEN) and may write the user (ENOTFOUND outside its read scope,
// EFORBIDDEN outside its write scope). The user's failures and lock are
// cleared and its sessions end. It is recorded as audit.PasswordChanged.
func (db *DB) ResetPassword(ctx context.Context, userID int64, hash string) error {
	a, _ := auth.FromContext(ctx)
	if err := a.Require(auth.PermManageUsers); err != nil {
		return err
	}
	return db.setPassword(ctx, userID, hash, false, "password reset by an administrator; sessions ended")
}

// ChangePassword sets ctx's actor's own password hash (the caller checked
// the current password): the actor must be user userID (else EFORBIDDEN).
// Its other sessions stay. It is recorded as audit.PasswordChanged.
func (db *DB) ChangePassword(ctx context.Context, userID int64, hash string) error {
	if a, ok := auth.FromContext(ctx); ok && (a.APIKeyID != 0 || a.UserID != userID) {
		return taxsms.Errorf(taxsms.EFORBIDDEN, "only the user may change its own password")
	}
	return db.setPassword(ctx, userID, hash, true, "password changed by the user")
}

func (db *DB) setPassword(ctx context.Context, userID int64, hash string, own bool, detail string) error {
	if hash == "" {
		return taxsms.Invalid("password", "required")
	}
	return db.inTx(ctx, func(tx *sql.Tx) error {
		if _, err := db.ownOrWritable(ctx, tx, userID); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, db.q("SetPasswordHash"), hash, ms(db.Now()), userID); err != nil {
			return err
		}
		if !own {
			if _, err := tx.ExecContext(ctx, db.q("SetLoginState"), 0, 0, userID); err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, db.q("DeleteUserSessions"), userID); err != nil {
				return err
			}
		}
		return db.appendAudit(ctx, tx, db.entry(ctx, audit.PasswordChanged, userObject(userID), nil, nil, detail))
	})
}

// RevealMobile returns the full mobile number of a contact (kind "contact")
// or a user (kind "user") with the id. ctx's actor must hold
// auth.PermRevealNumbers (EFORBIDDEN) and may read the record (else
// ENOTFOUND, as for a missing one); a reason is required (EINVALID naming
// "reason"). Each reveal is recorded as audit.NumberRevealed with the
// reason and the masked number.
func (db *DB) RevealMobile(ctx context.Context, kind string, id int64, reason string) (string, error) {
	a, _ := auth.FromContext(ctx)
	if err := a.Require(auth.PermRevealNumbers); err != nil {
		return "", err
	}
	reason = strings.TrimSpace(reason)
	if reason == "" {
		return "", taxsms.Invalid("reason", "say why the number is needed")
	}
	var mobile string
	switch kind {
	case "contact":
		c, err := db.FindContact(ctx, id)
		if err != nil {
			return "", err
		}
		mobile = c.Mobile
	case "user":
		u, err := db.FindUser(ctx, id)
		if err != nil {
			return "", err
		}
		mobile = u.Mobile
	default:
		return "", taxsms.Invalid("kind", "want contact or user, got %q", kind)
	}
	e := db.entry(ctx, audit.NumberRevealed, audit.Object{Type: kind, ID: strconv.FormatInt(id, 10)}, nil, nil,
		taxsms.MaskMobile(mobile)+": "+reason)
	if err := db.AppendAudit(ctx, e); err != nil {
		return "", err
	}
	return mobile, nil
}

// RecordExport records in the audit archive that ctx's actor exported rows
// records of what ("taxpayers", "messages", "audit", …) matching filter (a
// description, numbers masked). The actor must hold auth.PermExport
// (EFORBIDDEN). rows < 0 records an export before it streams, its size unknown.
func (db *DB) RecordExport(ctx context.Context, what, filter string, rows int) error {
	a, _ := auth.FromContext(ctx)
	if err := a.Require(auth.PermExport); err != nil {
		return err
	}
	if what == "" {
		return taxsms.Invalid("what", "required")
	}
	detail := fmt.Sprintf("%d rows", rows)
	if rows < 0 { // recorded before the rows are written, so none leave unrecorded
		detail = "streamed"
	}
	if filter != "" {
		detail += "; filter: " + filter
	}
	return db.AppendAudit(ctx, db.entry(ctx, audit.Exported, audit.Object{Type: what}, nil, nil, detail))
}
