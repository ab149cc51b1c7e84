package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"iter"
	"strings"
	"time"

	"taxsms"
	"taxsms/audit"
)

// The audit archive (MISSION R-20) is the table audit_log, append-only by
// construction: the store offers AppendAudit, ListAudit, ExportAudit,
// VerifyAudit, AuditHead and PruneAudit, nothing that changes or removes a
// record otherwise, and triggers refuse UPDATE, and DELETE beyond the anchor,
// to anyone who does not drop them first. Whoever does is caught by the
// hash chain (package audit), up to its known limits.
//
// Retention removes only a prefix of the chain (PruneAudit). It keeps the
// seq and hash of the last removed record in audit_anchor, and VerifyAudit
// checks the rest from there; the removal itself is recorded in the chain as
// an audit.AuditPruned entry.

// auditLockKey is the PostgreSQL transaction lock that serialises appends
// to the chain across nodes ("taxsmsau"); SQLite has one writer anyway.
const auditLockKey = 0x7461_7873_6d73_6175

// auditPage is how many records a read of the chain takes at a time.
const auditPage = 1000

// AppendAudit appends the entries to the archive, in order, in one
// transaction: each gets the next seq, At = Now() if it is zero (kept to the
// millisecond), and its place in the hash chain. Appends from every node are
// serialised, so the chain has one head. It returns the EINVALID error of
// the first entry that fails audit.Entry.Validate, and then appends nothing.
func (db *DB) AppendAudit(ctx context.Context, entries ...audit.Entry) error {
	if len(entries) == 0 {
		return nil
	}
	return db.inTx(ctx, func(tx *sql.Tx) error { return db.appendAudit(ctx, tx, entries...) })
}

// appendAudit appends the entries within tx, for the store's methods whose
// change and its record must commit together. On PostgreSQL it holds the
// audit lock until tx ends: keep such transactions short.
func (db *DB) appendAudit(ctx context.Context, tx *sql.Tx, entries ...audit.Entry) error {
	now := db.Now()
	for i := range entries {
		e := &entries[i]
		if e.At.IsZero() {
			e.At = now
		}
		e.At = time.UnixMilli(e.At.UnixMilli()).UTC()
		if err := e.Validate(); err != nil {
			return err
		}
	}
	if err := db.d.lock(ctx, tx, auditLockKey); err != nil {
		return fmt.Errorf("audit lock: %w", err)
	}
	head, err := db.auditHead(ctx, tx)
	if err != nil {
		return err
	}
	q := db.q("InsertAudit")
	var stmt *sql.Stmt
	if len(entries) > 1 {
		if stmt, err = tx.PrepareContext(ctx, q); err != nil {
			return err
		}
		defer stmt.Close()
	}
	prev, seq := head.Hash, head.Seq
	for i := range entries {
		e := &entries[i]
		seq++
		e.Seq = seq
		e.Seal(prev)
		prev = e.Hash
		args := []any{e.Seq, ms(e.At), string(e.Actor.Kind), e.Actor.UserID, e.Actor.Login, string(e.Actor.Role),
			string(e.Action), e.Object.Type, e.Object.ID, string(e.Before), string(e.After), e.IP, e.UserAgent,
			e.Detail, e.Prev[:], e.Hash[:]}
		if stmt != nil {
			_, err = stmt.ExecContext(ctx, args...)
		} else {
			_, err = tx.ExecContext(ctx, q, args...)
		}
		if err != nil {
			return fmt.Errorf("append audit %d: %w", e.Seq, err)
		}
	}
	return nil
}

// auditHead returns the newest record's seq and hash, else the anchor's,
// else 0 and the genesis hash.
func (db *DB) auditHead(ctx context.Context, q querier) (audit.Anchor, error) {
	a, err := db.scanAnchor(q.QueryRowContext(ctx, db.q("SelectAuditLast")))
	if errors.Is(err, sql.ErrNoRows) {
		return db.auditAnchor(ctx, q)
	}
	return a, err
}

// auditAnchor returns the anchor the chain is checked from: the last record
// removed by retention, or 0 and the genesis hash.
func (db *DB) auditAnchor(ctx context.Context, q querier) (audit.Anchor, error) {
	a, err := db.scanAnchor(q.QueryRowContext(ctx, db.q("SelectAuditAnchor")))
	if errors.Is(err, sql.ErrNoRows) {
		return audit.Anchor{Hash: audit.Genesis()}, nil
	}
	return a, err
}

func (db *DB) scanAnchor(row *sql.Row) (audit.Anchor, error) {
	var a audit.Anchor
	var h []byte
	if err := row.Scan(&a.Seq, &h); err != nil {
		return a, err
	}
	copy(a.Hash[:], h)
	return a, nil
}

// AuditHead returns the seq and hash of the newest record (those of the
// anchor, or 0 and audit.Genesis(), if there is none). Kept elsewhere, it is
// what shows later that the newest records were removed or the chain rewritten.
func (db *DB) AuditHead(ctx context.Context) (audit.Anchor, error) {
	return db.auditHead(ctx, db.db)
}

func scanAudit(s scanner) (audit.Entry, error) {
	var (
		e                         audit.Entry
		at                        int64
		kind, role, action        string
		before, after, prev, hash []byte
	)
	err := s.Scan(&e.Seq, &at, &kind, &e.Actor.UserID, &e.Actor.Login, &role, &action, &e.Object.Type, &e.Object.ID,
		&before, &after, &e.IP, &e.UserAgent, &e.Detail, &prev, &hash)
	if err != nil {
		return e, err
	}
	e.At = time.UnixMilli(at).UTC()
	e.Actor.Kind, e.Actor.Role, e.Action = audit.ActorKind(kind), taxsms.Role(role), audit.Action(action)
	if len(before) > 0 {
		e.Before = before
	}
	if len(after) > 0 {
		e.After = after
	}
	copy(e.Prev[:], prev)
	copy(e.Hash[:], hash)
	if len(prev) != len(e.Prev) || len(hash) != len(e.Hash) {
		e.Hash = audit.Hash{} // a stored hash of the wrong length matches nothing
	}
	return e, nil
}

// ListAudit returns a page of the records that match f, newest first:
// f.Limit of them (50 by default, 1000 at most) with Seq below f.Before if
// it is set. Pass the last Seq of a page as the next page's Before.
func (db *DB) ListAudit(ctx context.Context, f audit.Filter) ([]audit.Entry, error) {
	where, args := auditWhere(f)
	if f.Before != 0 {
		where = append(where, "seq < ?")
		args = append(args, f.Before)
	}
	q := db.q("AuditColumns")
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	q += " ORDER BY seq DESC LIMIT ?"
	args = append(args, limit(f.Limit))
	return db.queryAudit(ctx, db.rebind(q), args...)
}

// ExportAudit yields every record that matches f (ignoring Before and
// Limit), oldest first, reading them a page at a time; it stops at the first
// error, which it yields. Records appended while it runs are included if
// they match and come after the ones already yielded.
func (db *DB) ExportAudit(ctx context.Context, f audit.Filter) iter.Seq2[audit.Entry, error] {
	where, args := auditWhere(f)
	q := db.q("AuditColumns") + " WHERE " + strings.Join(append(where, "seq > ?"), " AND ") + " ORDER BY seq LIMIT ?"
	q = db.rebind(q)
	return db.pages(ctx, func(after int64) ([]audit.Entry, error) {
		return db.queryAudit(ctx, q, append(args[:len(args):len(args)], after, auditPage)...)
	})
}

// pages yields the records that page returns after each last seq yielded,
// until a page is empty. A page is read whole before its records are
// yielded, so the consumer may use the database meanwhile.
func (db *DB) pages(ctx context.Context, page func(after int64) ([]audit.Entry, error)) iter.Seq2[audit.Entry, error] {
	return func(yield func(audit.Entry, error) bool) {
		var after int64
		for {
			if err := ctx.Err(); err != nil {
				yield(audit.Entry{}, err)
				return
			}
			list, err := page(after)
			if err != nil {
				yield(audit.Entry{}, err)
				return
			}
			if len(list) == 0 {
				return
			}
			for _, e := range list {
				if !yield(e, nil) {
					return
				}
			}
			after = list[len(list)-1].Seq
		}
	}
}

func auditWhere(f audit.Filter) (where []string, args []any) {
	add := func(cond string, arg any) { where = append(where, cond); args = append(args, arg) }
	if !f.From.IsZero() {
		add("at >= ?", ms(f.From))
	}
	if !f.To.IsZero() {
		add("at < ?", ms(f.To))
	}
	if f.UserID != 0 {
		add("actor_id = ?", f.UserID)
	}
	if f.Login != "" {
		add("actor_login = ?", f.Login)
	}
	if f.Action != "" {
		add("action = ?", string(f.Action))
	}
	if f.ObjectType != "" {
		add("object_type = ?", f.ObjectType)
		if f.ObjectID != "" {
			add("object_id = ?", f.ObjectID)
		}
	}
	if f.IP != "" {
		add("ip = ?", f.IP)
	}
	if f.Contains != "" {
		add(`detail LIKE ? ESCAPE '\'`, "%"+likeEscaper.Replace(f.Contains)+"%")
	}
	return where, args
}

func (db *DB) queryAudit(ctx context.Context, q string, args ...any) ([]audit.Entry, error) {
	rows, err := db.db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []audit.Entry
	for rows.Next() {
		e, err := scanAudit(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, rows.Err()
}

// VerifyAudit checks the stored chain from its anchor (audit.VerifyFrom),
// reading it a page at a time outside any transaction, so appends go on
// meanwhile. A prune that runs during the check and removes records it has
// yet to read looks like a deletion; VerifyAudit then checks once more from
// the new anchor.
func (db *DB) VerifyAudit(ctx context.Context) (checked int, firstBroken *audit.Broken, err error) {
	for try := 0; ; try++ {
		anchor, err := db.auditAnchor(ctx, db.db)
		if err != nil {
			return 0, nil, err
		}
		q := db.q("SelectAuditAfter")
		src := db.pages(ctx, func(after int64) ([]audit.Entry, error) {
			return db.queryAudit(ctx, q, max(after, anchor.Seq), auditPage)
		})
		checked, firstBroken, err = audit.VerifyFrom(anchor, src)
		if firstBroken == nil || err != nil || try > 0 {
			return checked, firstBroken, err
		}
		again, err := db.auditAnchor(ctx, db.db)
		if err != nil || again == anchor {
			return checked, firstBroken, err
		}
	}
}

// PruneAudit removes the oldest records, for retention: the longest prefix
// of the chain whose records are all older than before (a record stamped
// later stops it, so the rest stays whole). It keeps the seq and hash of the
// last removed record as the anchor VerifyAudit starts from, appends an
// audit.AuditPruned record by the system saying what went, and returns how
// many records it removed. A cutoff less than audit.MinRetention before Now()
// is EINVALID (field "before"): records are kept six months at least.
//
// All of it is one transaction; removing years of records at once holds
// the audit lock (PostgreSQL) or the writer (SQLite) for as long as that takes.
func (db *DB) PruneAudit(ctx context.Context, before time.Time) (int64, error) {
	now := db.Now()
	if limit := now.Add(-audit.MinRetention); before.After(limit) {
		return 0, taxsms.Invalid("before", "%s is less than six months ago; audit records are kept until %s at least",
			before.UTC().Format(time.DateOnly), limit.UTC().Format(time.DateOnly))
	}
	var removed int64
	err := db.inTx(ctx, func(tx *sql.Tx) error {
		if err := db.d.lock(ctx, tx, auditLockKey); err != nil {
			return fmt.Errorf("audit lock: %w", err)
		}
		head, err := db.auditHead(ctx, tx)
		if err != nil {
			return err
		}
		anchor, err := db.auditAnchor(ctx, tx)
		if err != nil {
			return err
		}
		last := head.Seq // the newest record to remove
		var firstKept int64
		switch err := tx.QueryRowContext(ctx, db.q("SelectAuditFirstKept"), ms(before)).Scan(&firstKept); {
		case err == nil:
			last = firstKept - 1
		case !errors.Is(err, sql.ErrNoRows):
			return err
		}
		if last <= anchor.Seq {
			return nil
		}
		var h []byte
		if err := tx.QueryRowContext(ctx, db.q("SelectAuditHash"), last).Scan(&h); err != nil {
			return fmt.Errorf("audit record %d: %w", last, err)
		}
		if _, err := tx.ExecContext(ctx, db.q("UpsertAuditAnchor"), last, h, ms(now)); err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, db.q("DeleteAuditUpTo"), last)
		if err != nil {
			return err
		}
		if removed, err = res.RowsAffected(); err != nil {
			return err
		}
		return db.appendAudit(ctx, tx, audit.Entry{At: now, Actor: audit.System, Action: audit.AuditPruned,
			Detail: fmt.Sprintf("retention removed records %d to %d, older than %s; the chain goes on from record %d, hash %x",
				anchor.Seq+1, last, before.UTC().Format(time.RFC3339), last, h)})
	})
	return removed, err
}
