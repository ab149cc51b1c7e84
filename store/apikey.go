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

// CreateAPIKey stores the key k, whose Hash, Name, OfficeID and Endpoints the
// caller set, and sets its ID, OfficePath, CreatedBy (ctx's actor; 0 for the
// system) and CreatedAt. The actor must hold auth.PermManageAPIKeys
// (EFORBIDDEN) and may make keys only for offices it may write (EFORBIDDEN);
// an unknown office is EINVALID, a bad field EINVALID naming it. It is
// recorded as audit.KeyCreated.
func (db *DB) CreateAPIKey(ctx context.Context, k *auth.APIKey) error {
	a, _ := auth.FromContext(ctx)
	if err := a.Require(auth.PermManageAPIKeys); err != nil {
		return err
	}
	if strings.TrimSpace(k.Hash) == "" {
		return taxsms.Invalid("hash", "required")
	}
	return db.inTx(ctx, func(tx *sql.Tx) error {
		o, err := db.findOffice(ctx, tx, db.q("SelectOffice"), k.OfficeID)
		if taxsms.ErrorCode(err) == taxsms.ENOTFOUND {
			return taxsms.Invalid("office", "no office with id %d", k.OfficeID)
		} else if err != nil {
			return err
		}
		k.OfficePath = o.Path
		if err := k.Validate(); err != nil {
			return err
		}
		if err := db.checkWrite(ctx, tx, auth.DataOffices, "API key for office "+o.Code, o.ID, 0); err != nil {
			return err
		}
		k.CreatedBy, k.RevokedAt = 0, time.Time{}
		if a != nil {
			k.CreatedBy = a.UserID
		}
		k.CreatedAt = db.Now().UTC().Truncate(time.Millisecond)
		err = tx.QueryRowContext(ctx, db.q("InsertAPIKey"), k.Name, k.Hash, k.OfficeID, strings.Join(k.Endpoints, "\n"),
			nullID(k.CreatedBy), ms(k.CreatedAt)).Scan(&k.ID)
		if db.d.violation(err) == "unique" {
			return taxsms.Errorf(taxsms.ECONFLICT, "hash: the key already exists")
		} else if err != nil {
			return fmt.Errorf("insert api key: %w", err)
		}
		return db.appendAudit(ctx, tx, db.entry(ctx, audit.KeyCreated, keyObject(k.ID), nil, keyRecord(k), ""))
	})
}

// RevokeAPIKey revokes key id at once: APIKeyActor refuses it from then on.
// The actor must hold auth.PermManageAPIKeys and may write the key's office;
// a key it may not see, or none, is ENOTFOUND; a key already revoked is
// ECONFLICT. It is recorded as audit.KeyRevoked.
func (db *DB) RevokeAPIKey(ctx context.Context, id int64) error {
	a, _ := auth.FromContext(ctx)
	if err := a.Require(auth.PermManageAPIKeys); err != nil {
		return err
	}
	return db.inTx(ctx, func(tx *sql.Tx) error {
		k, _, _, err := scanAPIKey(tx.QueryRowContext(ctx, db.rebind(db.q("APIKeyColumns")+" WHERE k.id = ?"), id))
		if errors.Is(err, sql.ErrNoRows) || err == nil && !auth.AccessFrom(ctx, auth.DataOffices).Write.Contains(k.OfficePath, 0) {
			return taxsms.Errorf(taxsms.ENOTFOUND, "API key %d not found", id)
		} else if err != nil {
			return err
		}
		if k.Revoked() {
			return taxsms.Errorf(taxsms.ECONFLICT, "API key %d was already revoked on %s", id, k.RevokedAt.Format(time.DateOnly))
		}
		before := keyRecord(k)
		k.RevokedAt = db.Now().UTC().Truncate(time.Millisecond)
		res, err := tx.ExecContext(ctx, db.q("RevokeAPIKey"), ms(k.RevokedAt), id)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return taxsms.Errorf(taxsms.ECONFLICT, "API key %d was already revoked", id)
		}
		return db.appendAudit(ctx, tx, db.entry(ctx, audit.KeyRevoked, keyObject(id), before, keyRecord(k), ""))
	})
}

// ListAPIKeys returns the keys of the offices within ctx's actor's scope,
// revoked ones included, by id. The actor must hold auth.PermManageAPIKeys
// (the keys of the offices it may write) or auth.PermReadAll (those it may
// read); else EFORBIDDEN. Hashes are returned, never secrets.
func (db *DB) ListAPIKeys(ctx context.Context) ([]*auth.APIKey, error) {
	a, _ := auth.FromContext(ctx)
	acc := a.Access(auth.DataOffices)
	scope := acc.Write
	if !a.Has(auth.PermManageAPIKeys) {
		if !a.Has(auth.PermReadAll) {
			return nil, a.Require(auth.PermManageAPIKeys)
		}
		scope = acc.Read
	}
	cond, args := scopeCond(scope, "k.office_id", nil)
	rows, err := db.db.QueryContext(ctx, db.rebind(db.q("APIKeyColumns")+" WHERE "+cond+" ORDER BY k.id"), args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*auth.APIKey
	for rows.Next() {
		k, _, _, err := scanAPIKey(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, k)
	}
	return out, rows.Err()
}

// APIKeyActor returns the actor of the API key whose hash (auth.HashKey) is
// hash. It is EUNAUTHORIZED if there is no such key, if it was revoked, or
// if its office or one above it is suspended. It writes the key's last use
// at most once a minute.
func (db *DB) APIKeyActor(ctx context.Context, hash string) (*auth.Actor, error) {
	k, lastUsed, suspended, err := scanAPIKey(db.db.QueryRowContext(ctx, db.rebind(db.q("APIKeyColumns")+" WHERE k.hash = ?"), hash))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, taxsms.Errorf(taxsms.EUNAUTHORIZED, "A valid API key is required.")
	} else if err != nil {
		return nil, err
	}
	if k.Revoked() || suspended {
		return nil, taxsms.Errorf(taxsms.EUNAUTHORIZED, "A valid API key is required.")
	}
	if now := db.Now(); now.Sub(lastUsed) >= time.Minute {
		if err := db.exec(ctx, db.q("TouchAPIKey"), ms(now), k.ID); err != nil {
			return nil, err
		}
	}
	return k.Actor(), nil
}

// scanAPIKey scans a row of APIKeyColumns: the key, when it was last used,
// and whether its office subtree is suspended.
func scanAPIKey(s scanner) (*auth.APIKey, time.Time, bool, error) {
	var (
		k                          auth.APIKey
		endpoints                  string
		created, revoked, lastUsed int64
		suspended                  bool
	)
	err := s.Scan(&k.ID, &k.Name, &k.Hash, &k.OfficeID, &k.OfficePath, &endpoints, &k.CreatedBy, &created, &revoked, &lastUsed, &suspended)
	if err != nil {
		return nil, time.Time{}, false, err
	}
	if endpoints != "" {
		k.Endpoints = strings.Split(endpoints, "\n")
	}
	k.CreatedAt, k.RevokedAt = fromMS(created), fromMS(revoked)
	return &k, fromMS(lastUsed), suspended, nil
}

func keyObject(id int64) audit.Object {
	return audit.Object{Type: "api_key", ID: strconv.FormatInt(id, 10)}
}

// keyRecord is an API key as the audit archive shows it: no hash.
func keyRecord(k *auth.APIKey) map[string]any {
	r := map[string]any{"id": k.ID, "name": k.Name, "office_id": k.OfficeID, "endpoints": k.Endpoints, "created_by": k.CreatedBy}
	if k.Revoked() {
		r["revoked_at"] = k.RevokedAt.Format(time.RFC3339)
	}
	return r
}
