package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"taxsms"
	"taxsms/audit"
	"taxsms/auth"
)

// LoginRecord is what signing in needs to know of a user, read by login
// before the password is checked.
type LoginRecord struct {
	User         *taxsms.User
	PasswordHash string          // an auth.Hasher string; "" when none is set
	State        auth.LoginState // failures and lock (auth.Lockout)
	TOTPSecret   string          // the base32 second-factor secret; "" when not enrolled
	TOTPLastStep int64           // the last time step accepted (auth.VerifyTOTP)
	Lang         string          // "zh" or "en"
	// OfficeSuspended reports whether the user's office or one above it is
	// suspended: such a user may not sign in.
	OfficeSuspended bool
}

// LoginRecord returns the sign-in record of the user with the login, or
// ENOTFOUND. It applies no scope: signing in happens before there is an
// actor. The second-factor secret is kept sealed and returned opened.
func (db *DB) LoginRecord(ctx context.Context, login string) (*LoginRecord, error) {
	var (
		r         LoginRecord
		u         taxsms.User
		role, st  string
		enc, totp []byte
		created   int64
		updated   int64
		locked    int64
	)
	err := db.db.QueryRowContext(ctx, db.q("SelectLoginRecord"), login).Scan(&u.ID, &u.Login, &u.Name, &u.OfficeID, &role, &st,
		&enc, &created, &updated, &r.PasswordHash, &r.State.Failures, &locked, &totp, &r.TOTPLastStep, &r.Lang, &r.OfficeSuspended)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, taxsms.Errorf(taxsms.ENOTFOUND, "user %q not found", login)
	} else if err != nil {
		return nil, err
	}
	u.Role, u.Status = taxsms.Role(role), taxsms.UserStatus(st)
	u.CreatedAt, u.UpdatedAt = fromMS(created), fromMS(updated)
	if u.Mobile, err = db.openMobile(enc); err != nil {
		return nil, fmt.Errorf("user %d mobile: %w", u.ID, err)
	}
	if r.TOTPSecret, err = db.openMobile(totp); err != nil {
		return nil, fmt.Errorf("user %d second factor: %w", u.ID, err)
	}
	r.State.LockedUntil = fromMS(locked)
	r.User = &u
	return &r, nil
}

// RecordSignIn records a successful sign-in, in one transaction: the user's
// failures are cleared, the session s is stored, the second factor's last
// step is set to totpStep if it is positive, and an audit.SignIn record is
// appended with the user as actor, from s.IP. A user that does not exist is
// ENOTFOUND.
func (db *DB) RecordSignIn(ctx context.Context, s auth.Session, totpStep int64) error {
	return db.inTx(ctx, func(tx *sql.Tx) error {
		var login, role string
		err := tx.QueryRowContext(ctx, db.rebind("SELECT login, role FROM users WHERE id = ?"), s.UserID).Scan(&login, &role)
		if errors.Is(err, sql.ErrNoRows) {
			return taxsms.Errorf(taxsms.ENOTFOUND, "user %d not found", s.UserID)
		} else if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, db.q("SetLoginState"), 0, 0, s.UserID); err != nil {
			return err
		}
		if totpStep > 0 {
			if _, err := tx.ExecContext(ctx, db.q("SetTOTPStep"), totpStep, s.UserID, totpStep); err != nil {
				return err
			}
		}
		if _, err := tx.ExecContext(ctx, db.q("InsertSession"), s.IDHash, s.UserID, ms(s.CreatedAt), ms(s.LastSeen), s.IP, s.UserAgent); err != nil {
			return fmt.Errorf("insert session: %w", err)
		}
		return db.appendAudit(ctx, tx, audit.Entry{Actor: audit.User(s.UserID, maskNumbers(login), taxsms.Role(role)), Action: audit.SignIn,
			Object: userObject(s.UserID), IP: cleanIP(s.IP), UserAgent: s.UserAgent})
	})
}

// RecordSignInFailure records a failed sign-in with the login as typed:
// st, the state auth.Lockout.Failed returned, is stored for user userID
// (0 for an unknown login: nothing is stored but the record), and an
// audit.SignInFailed record names the login, ip and reason.
func (db *DB) RecordSignInFailure(ctx context.Context, login string, userID int64, st auth.LoginState, ip, reason string) error {
	return db.inTx(ctx, func(tx *sql.Tx) error {
		var role string
		if userID != 0 {
			if _, err := tx.ExecContext(ctx, db.q("SetLoginState"), st.Failures, ms(st.LockedUntil), userID); err != nil {
				return err
			}
			tx.QueryRowContext(ctx, db.rebind("SELECT role FROM users WHERE id = ?"), userID).Scan(&role)
		}
		detail := reason
		if st.Failures > 0 && userID != 0 {
			detail += "; " + st.String()
		}
		return db.appendAudit(ctx, tx, audit.Entry{Actor: audit.Actor{Kind: audit.ActorUser, UserID: userID, Login: typedLogin(login), Role: taxsms.Role(role)},
			Action: audit.SignInFailed, Object: userObject(userID), IP: cleanIP(ip), Detail: maskNumbers(detail)})
	})
}

// SessionActor returns the actor of the session whose id hashes to idHash,
// and its user. It is EUNAUTHORIZED if there is no such session, if the
// session expired by cfg at now (it is then deleted), if the user is not
// active, or if the user's office or one above it is suspended. It writes
// the session's LastSeen when cfg.NeedsTouch says so. The actor holds the
// user's explicit permissions, or the role's defaults if none were granted,
// within the role's ceiling; its IP is the one the session signed in from,
// which the caller may replace with the request's.
func (db *DB) SessionActor(ctx context.Context, idHash string, cfg auth.SessionConfig, now time.Time) (*auth.Actor, *taxsms.User, error) {
	var (
		s         auth.Session
		created   int64
		lastSeen  int64
		suspended bool
	)
	row := db.db.QueryRowContext(ctx, db.q("SelectSessionActor"), idHash)
	u, lang, perms, path, err := db.scanUserActor(row, func(user []any, extra []any) []any {
		return append(append([]any{&s.UserID, &created, &lastSeen, &s.IP, &s.UserAgent}, user...), append(extra, &suspended)...)
	})
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil, unauthorized()
	} else if err != nil {
		return nil, nil, err
	}
	s.IDHash, s.CreatedAt, s.LastSeen = idHash, fromMS(created), fromMS(lastSeen)
	if !cfg.Valid(s, now) {
		if err := db.exec(ctx, db.q("DeleteSession"), idHash); err != nil {
			return nil, nil, err
		}
		return nil, nil, unauthorized()
	}
	if u.Status != taxsms.UserActive || suspended {
		return nil, nil, unauthorized()
	}
	if cfg.NeedsTouch(s, now) {
		if err := db.exec(ctx, db.q("TouchSession"), ms(now), idHash); err != nil {
			return nil, nil, err
		}
	}
	a := auth.UserActor(u, path, perms)
	a.IP, a.Lang = s.IP, lang
	return a, u, nil
}

// unauthorized is the error of a session or key that may not be used; it
// says no more, whatever the reason.
func unauthorized() error {
	return taxsms.Errorf(taxsms.EUNAUTHORIZED, "Please sign in.")
}

// scanUserActor scans a row of a query that holds the user columns, lang,
// permissions and the office path (see SelectUserActor), wrapped in other
// columns by wrap, and returns the user, its language, its permissions
// (explicit, else the role's defaults) and its office path.
func (db *DB) scanUserActor(row *sql.Row, wrap func(user, extra []any) []any) (*taxsms.User, string, []auth.Permission, string, error) {
	var (
		u                taxsms.User
		role, status     string
		enc              []byte
		created, updated int64
		lang, path       string
		perms            sql.NullString
	)
	user := []any{&u.ID, &u.Login, &u.Name, &u.OfficeID, &role, &status, &enc, &created, &updated}
	extra := []any{&lang, &perms, &path}
	if err := row.Scan(wrap(user, extra)...); err != nil {
		return nil, "", nil, "", err
	}
	u.Role, u.Status = taxsms.Role(role), taxsms.UserStatus(status)
	u.CreatedAt, u.UpdatedAt = fromMS(created), fromMS(updated)
	var err error
	if u.Mobile, err = db.openMobile(enc); err != nil {
		return nil, "", nil, "", fmt.Errorf("user %d mobile: %w", u.ID, err)
	}
	return &u, lang, storedPermissions(perms, u.Role), path, nil
}

// storedPermissions returns the permissions of a users.permissions value:
// the role's defaults when NULL; unknown names are dropped.
func storedPermissions(v sql.NullString, role taxsms.Role) []auth.Permission {
	if !v.Valid {
		return auth.DefaultPermissions(role)
	}
	out := []auth.Permission{}
	for _, n := range strings.Split(v.String, ",") {
		if p := auth.Permission(n); p.Valid() {
			out = append(out, p)
		}
	}
	return out
}

// EndSession signs a session out: it deletes it and records audit.SignOut
// as done by its user. A session that does not exist is no error.
func (db *DB) EndSession(ctx context.Context, idHash string) error {
	return db.inTx(ctx, func(tx *sql.Tx) error {
		var (
			uid         int64
			login, role string
			ip, agent   string
		)
		err := tx.QueryRowContext(ctx, db.rebind(`SELECT u.id, u.login, u.role, s.ip, s.user_agent
			FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.id_hash = ?`), idHash).Scan(&uid, &login, &role, &ip, &agent)
		if errors.Is(err, sql.ErrNoRows) {
			return nil
		} else if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, db.q("DeleteSession"), idHash); err != nil {
			return err
		}
		if a, ok := auth.FromContext(ctx); ok && a.IP != "" {
			ip = a.IP
		}
		return db.appendAudit(ctx, tx, audit.Entry{Actor: audit.User(uid, maskNumbers(login), taxsms.Role(role)), Action: audit.SignOut,
			Object: userObject(uid), IP: cleanIP(ip), UserAgent: agent})
	})
}

// EndUserSessions deletes every session of the user and returns how many
// there were. The caller records why (suspension and password resets do so
// themselves).
func (db *DB) EndUserSessions(ctx context.Context, userID int64) (int, error) {
	var n int64
	err := db.inTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, db.q("DeleteUserSessions"), userID)
		if err != nil {
			return err
		}
		n, err = res.RowsAffected()
		return err
	})
	return int(n), err
}

// exec runs one statement in a transaction of its own, so that on SQLite it
// waits its turn with the other writers (see DB.writer).
func (db *DB) exec(ctx context.Context, query string, args ...any) error {
	return db.inTx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, query, args...)
		return err
	})
}

// UserActor returns the actor user userID acts as (for the command line and
// tests), whatever its status, or ENOTFOUND. It applies no scope.
func (db *DB) UserActor(ctx context.Context, userID int64) (*auth.Actor, error) {
	u, lang, perms, path, err := db.scanUserActor(db.db.QueryRowContext(ctx, db.q("SelectUserActor"), userID),
		func(user, extra []any) []any { return append(user, extra...) })
	if errors.Is(err, sql.ErrNoRows) {
		return nil, taxsms.Errorf(taxsms.ENOTFOUND, "user %d not found", userID)
	} else if err != nil {
		return nil, err
	}
	a := auth.UserActor(u, path, perms)
	a.Lang = lang
	return a, nil
}

// SetTOTP enrols user userID in the second factor with secret (base32, kept
// sealed) and the last accepted step, or removes it when secret is "".
// The actor must be the user itself or may write the user (DataUsers). It
// is recorded as audit.UserChanged. Missing is ENOTFOUND.
func (db *DB) SetTOTP(ctx context.Context, userID int64, secret string, step int64) error {
	return db.inTx(ctx, func(tx *sql.Tx) error {
		if _, err := db.ownOrWritable(ctx, tx, userID); err != nil {
			return err
		}
		var enc []byte
		detail := "second factor removed"
		if secret != "" {
			enc, detail = db.box.Seal(secret), "second factor enrolled"
		}
		if _, err := tx.ExecContext(ctx, db.q("SetTOTP"), enc, step, ms(db.Now()), userID); err != nil {
			return err
		}
		return db.appendAudit(ctx, tx, db.entry(ctx, audit.UserChanged, userObject(userID), nil, nil, detail))
	})
}

// SetLanguage sets the console language of user userID: "zh" or "en", else
// EINVALID naming "lang". The actor must be the user itself or may write the
// user. It is not recorded in the audit archive: it changes no one's rights.
// Missing is ENOTFOUND.
func (db *DB) SetLanguage(ctx context.Context, userID int64, lang string) error {
	if lang != "zh" && lang != "en" {
		return taxsms.Invalid("lang", "want zh or en, got %q", lang)
	}
	return db.inTx(ctx, func(tx *sql.Tx) error {
		if _, err := db.ownOrWritable(ctx, tx, userID); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, db.q("SetLanguage"), lang, ms(db.Now()), userID)
		return err
	})
}

// ownOrWritable returns the office id of user userID if ctx's actor is that
// user or may write it: ENOTFOUND if it is missing or outside the actor's
// read scope, EFORBIDDEN if it may be read but not changed.
func (db *DB) ownOrWritable(ctx context.Context, tx *sql.Tx, userID int64) (int64, error) {
	var officeID int64
	var path, login string
	err := tx.QueryRowContext(ctx, db.rebind("SELECT u.office_id, o.path, u.login FROM users u JOIN offices o ON o.id = u.office_id WHERE u.id = ?"),
		userID).Scan(&officeID, &path, &login)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, taxsms.Errorf(taxsms.ENOTFOUND, "user %d not found", userID)
	} else if err != nil {
		return 0, err
	}
	a, ok := auth.FromContext(ctx)
	if ok && a.APIKeyID == 0 && a.UserID == userID {
		return officeID, nil
	}
	acc := auth.AccessFrom(ctx, auth.DataUsers)
	if !acc.Read.Contains(path, userID) {
		return 0, taxsms.Errorf(taxsms.ENOTFOUND, "user %d not found", userID)
	}
	if !acc.Write.Contains(path, userID) {
		return 0, &taxsms.Error{Code: taxsms.EFORBIDDEN, Field: "office", Message: "user " + login + ": outside what you may change"}
	}
	return officeID, nil
}

func userObject(id int64) audit.Object {
	if id == 0 {
		return audit.Object{Type: "user"}
	}
	return audit.Object{Type: "user", ID: strconv.FormatInt(id, 10)}
}
