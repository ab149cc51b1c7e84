package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"taxsms"
	"taxsms/audit"
	"taxsms/auth"
)

// CreateMessage stores one message, as CreateMessages does. If its
// idempotency key was used before, nothing is stored, m.ID is set to the
// earlier message and the error is ECONFLICT.
func (db *DB) CreateMessage(ctx context.Context, m *taxsms.Message) error {
	created, err := db.CreateMessages(ctx, []*taxsms.Message{m})
	if err != nil {
		return err
	}
	if !created[0] {
		return taxsms.Errorf(taxsms.ECONFLICT, "idempotency_key: %q already used by message %d", m.IdempotencyKey, m.ID)
	}
	return nil
}

// CreateMessages stores messages in one transaction and sets their IDs and
// times; a message with a NotBefore in the future is scheduled. created[i]
// is false for a message whose idempotency key was used before (by an
// earlier message or earlier in msgs): it is not stored again, and its ID is
// set to the one stored. An invalid message is EINVALID naming it
// ("messages[3]: mobile: …") and nothing is stored.
func (db *DB) CreateMessages(ctx context.Context, msgs []*taxsms.Message) (created []bool, err error) {
	now := db.Now().UTC().Truncate(time.Millisecond)
	for i, m := range msgs {
		if err := m.Validate(); err != nil {
			if len(msgs) == 1 {
				return nil, err
			}
			return nil, &taxsms.Error{Code: taxsms.EINVALID, Field: taxsms.ErrorField(err),
				Message: fmt.Sprintf("messages[%d]: %s", i, taxsms.ErrorMessage(err))}
		}
		if m.Direction == taxsms.MT && m.Status == taxsms.StatusQueued && m.NotBefore.After(now) {
			m.Status = taxsms.StatusScheduled
		}
	}
	created = make([]bool, len(msgs))
	err = db.inTx(ctx, func(tx *sql.Tx) error {
		if auth.AccessFrom(ctx, auth.DataMessages).Write.Level != auth.LevelAll {
			for i, m := range msgs {
				if err := db.checkWrite(ctx, tx, auth.DataMessages, fmt.Sprintf("messages[%d]", i), m.OfficeID, m.AuthorID); err != nil {
					return err
				}
			}
		}
		qctx := context.WithoutCancel(ctx)             // see cancelled
		keyed, err := db.messagesByKey(qctx, tx, msgs) // key -> id, existing or new
		if err != nil {
			return err
		}
		var ids []int64
		ins := &batcher{ctx: qctx, db: db, tx: tx, name: "InsertMessage", returning: "id",
			scan: func(rows *sql.Rows) error {
				var id int64
				err := rows.Scan(&id)
				ids = append(ids, id)
				return err
			}}
		defer ins.close()
		var fresh []*taxsms.Message
		for i, m := range msgs {
			if m.IdempotencyKey != "" {
				if _, seen := keyed[m.IdempotencyKey]; seen {
					continue // stored before, or earlier in msgs: resolved below
				}
				keyed[m.IdempotencyKey] = 0 // stored now; its id is set below
			}
			created[i] = true
			fresh = append(fresh, m)
			enc, hash, mask := db.sealMobile(m.Mobile)
			var key sql.NullString
			if m.IdempotencyKey != "" {
				key = sql.NullString{String: m.IdempotencyKey, Valid: true}
			}
			if err := ins.add(string(m.Direction), string(m.Kind), int(m.Priority), enc, hash, mask,
				nullID(m.TaxpayerID), nullID(m.ContactID), nullID(m.UserID), nullID(m.OfficeID), nullID(m.AuthorID),
				nullID(m.CampaignID), m.Body, string(m.Coding), m.Segments, string(m.Status), key,
				ms(m.NotBefore), ms(m.ExpiresAt), ms(now), ms(now)); err != nil {
				return db.messageError(err)
			}
		}
		if err := ins.flush(); err != nil {
			return db.messageError(err)
		}
		// Identities are handed out in the order of the VALUES rows on both
		// engines: sorted, the returned ids are the rows' ids in order.
		slices.Sort(ids)
		ev := &batcher{ctx: qctx, db: db, tx: tx, name: "InsertMessageEvent"}
		defer ev.close()
		for i, m := range fresh {
			m.ID, m.CreatedAt, m.UpdatedAt = ids[i], now, now
			m.Timeline = []taxsms.StatusEvent{{At: now, Status: m.Status}}
			if m.IdempotencyKey != "" {
				keyed[m.IdempotencyKey] = m.ID
			}
			if m.Status == taxsms.StatusScheduled || m.Status == taxsms.StatusHeld {
				if err := ev.add(m.ID, ms(now), string(m.Status), ""); err != nil {
					return err
				}
			}
		}
		if err := ev.flush(); err != nil {
			return err
		}
		if len(fresh) > 0 {
			if err := db.appendAudit(qctx, tx, sentEntry(db.entry(ctx, audit.MessageSent, audit.Object{}, nil, nil, ""), fresh)); err != nil {
				return err
			}
		}
		for i, m := range msgs {
			if !created[i] {
				m.ID = keyed[m.IdempotencyKey]
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return created, nil
}

// sentEntry completes e, the audit record of queueing msgs: the message
// for one, else the first and last ids and the count by kind.
func sentEntry(e audit.Entry, msgs []*taxsms.Message) audit.Entry {
	first, last := msgs[0].ID, msgs[len(msgs)-1].ID
	if len(msgs) == 1 {
		m := msgs[0]
		e.Object = audit.Object{Type: "message", ID: strconv.FormatInt(first, 10)}
		e.Detail = fmt.Sprintf("%s to %s, %d segments", m.Kind, taxsms.MaskMobile(m.Mobile), m.Segments)
		return e
	}
	kinds := make(map[taxsms.Kind]int)
	for _, m := range msgs {
		kinds[m.Kind]++
	}
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(kinds)) {
		parts = append(parts, fmt.Sprintf("%d %s", kinds[k], k))
	}
	e.Object = audit.Object{Type: "messages", ID: fmt.Sprintf("%d-%d", first, last)}
	e.Detail = fmt.Sprintf("%d messages queued: %s", len(msgs), strings.Join(parts, ", "))
	return e
}

// messagesByKey returns the ids of the stored messages whose idempotency
// keys msgs carry, looked up a chunk at a time.
func (db *DB) messagesByKey(ctx context.Context, tx *sql.Tx, msgs []*taxsms.Message) (map[string]int64, error) {
	keyed := make(map[string]int64)
	var args []any
	lookup := func() error {
		if len(args) == 0 {
			return nil
		}
		stmt, qargs, err := db.batchStmt(ctx, tx, "SelectMessagesByKey", len(args), 0, 1, args)
		if err != nil {
			return err
		}
		rows, err := stmt.QueryContext(ctx, qargs...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var key string
			var id int64
			if err := rows.Scan(&key, &id); err != nil {
				return err
			}
			keyed[key] = id
		}
		args = args[:0]
		return rows.Err()
	}
	for _, m := range msgs {
		if m.IdempotencyKey == "" {
			continue
		}
		if args = append(args, m.IdempotencyKey); len(args) == chunkRows {
			if err := lookup(); err != nil {
				return nil, err
			}
		}
	}
	return keyed, lookup()
}

func (db *DB) messageError(err error) error {
	if db.d.violation(err) == "foreign" {
		return taxsms.Errorf(taxsms.EINVALID, "a message refers to a taxpayer, contact, user or office that does not exist")
	}
	return err
}

// messageScope is the condition on messages m that a read by ctx's actor
// must meet: operators see the messages they wrote and those to the
// taxpayers in their charge.
func messageScope(ctx context.Context) (string, []any) {
	return scopeCond(auth.AccessFrom(ctx, auth.DataMessages).Read, "m.office_id", func(uid int64) (string, []any) {
		return "(m.author_id = ? OR m.taxpayer_id IN (SELECT id FROM taxpayers WHERE admin_id = ?))", []any{uid, uid}
	})
}

// FindMessage returns the message with its timeline and parts, or ENOTFOUND
// (also when outside the actor's scope).
func (db *DB) FindMessage(ctx context.Context, id int64) (*taxsms.Message, error) {
	scope, args := messageScope(ctx)
	m, err := db.scanMessage(db.db.QueryRowContext(ctx, db.rebind(db.q("MessageColumns")+" WHERE m.id = ? AND "+scope), append([]any{id}, args...)...))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, taxsms.Errorf(taxsms.ENOTFOUND, "message %d not found", id)
	} else if err != nil {
		return nil, err
	}
	rows, err := db.db.QueryContext(ctx, db.q("SelectMessageEvents"), id)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var e taxsms.StatusEvent
		var at int64
		var status string
		if err := rows.Scan(&at, &status, &e.Detail); err != nil {
			return nil, err
		}
		e.At, e.Status = fromMS(at), taxsms.Status(status)
		m.Timeline = append(m.Timeline, e)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	slices.SortStableFunc(m.Timeline, func(a, b taxsms.StatusEvent) int { return a.At.Compare(b.At) })
	parts, err := db.db.QueryContext(ctx, db.q("SelectMessageParts"), id)
	if err != nil {
		return nil, err
	}
	defer parts.Close()
	for parts.Next() {
		var p taxsms.Part
		var status string
		var done int64
		if err := parts.Scan(&p.Seq, &p.CarrierMsgID, &status, &p.Error, &done); err != nil {
			return nil, err
		}
		p.Status, p.DoneAt = taxsms.Status(status), fromMS(done)
		m.Parts = append(m.Parts, p)
	}
	return m, parts.Err()
}

// scanMessage reads MessageColumns. The timeline it builds holds the
// creation, the submission and the final status; FindMessage adds the
// events in between.
func (db *DB) scanMessage(s scanner) (*taxsms.Message, error) {
	var m taxsms.Message
	var dir, kind, coding, status, carrier string
	var prio int
	var enc []byte
	var notBefore, expires, created, submitted, done, updated int64
	err := s.Scan(&m.ID, &dir, &kind, &prio, &enc, &m.TaxpayerID, &m.ContactID, &m.UserID, &m.OfficeID, &m.AuthorID,
		&m.CampaignID, &m.Body, &coding, &m.Segments, &status, &carrier, &m.Link, &m.ServiceNumber, &m.IdempotencyKey, &m.Error,
		&m.Attempts, &notBefore, &expires, &created, &submitted, &done, &updated)
	if err != nil {
		return nil, err
	}
	m.Direction, m.Kind, m.Priority = taxsms.Direction(dir), taxsms.Kind(kind), taxsms.Priority(prio)
	m.Coding, m.Status, m.Carrier = taxsms.Coding(coding), taxsms.Status(status), taxsms.Carrier(carrier)
	m.NotBefore, m.ExpiresAt, m.CreatedAt, m.UpdatedAt = fromMS(notBefore), fromMS(expires), fromMS(created), fromMS(updated)
	first := taxsms.StatusQueued
	if m.Direction == taxsms.MO {
		first = taxsms.StatusReceived
	}
	m.Timeline = []taxsms.StatusEvent{{At: m.CreatedAt, Status: first}}
	if submitted != 0 {
		m.Timeline = append(m.Timeline, taxsms.StatusEvent{At: fromMS(submitted), Status: taxsms.StatusSubmitted, Detail: m.Link})
	}
	if done != 0 && m.Direction == taxsms.MT {
		m.Timeline = append(m.Timeline, taxsms.StatusEvent{At: fromMS(done), Status: m.Status, Detail: m.Error})
	}
	m.Mobile, err = db.openMobile(enc)
	return &m, err
}

// ListMessages returns one page of the messages matching f within the
// actor's scope, newest first, without timelines and parts. A bad Mobile is EINVALID.
func (db *DB) ListMessages(ctx context.Context, f taxsms.MessageFilter) ([]*taxsms.Message, error) {
	var where []string
	var args []any
	add := func(cond string, arg any) { where = append(where, cond); args = append(args, arg) }
	if f.Direction != "" {
		add("m.direction = ?", string(f.Direction))
	}
	if f.Kind != "" {
		add("m.kind = ?", string(f.Kind))
	}
	if f.Status != "" {
		add("m.status = ?", string(f.Status))
	}
	if f.TaxpayerID != 0 {
		add("m.taxpayer_id = ?", f.TaxpayerID)
	}
	if f.Subtree != 0 {
		prefix, err := db.subtreePrefix(ctx, f.Subtree)
		if err != nil {
			return nil, err
		}
		add("m.office_id IN (SELECT id FROM offices WHERE path LIKE ?)", prefix+"%")
	}
	if f.Mobile != "" {
		mob, err := taxsms.NormalizeMobile(f.Mobile)
		if err != nil {
			return nil, err
		}
		add("m.mobile_hash = ?", db.box.Hash(mob))
	}
	if f.Before != 0 {
		add("m.id < ?", f.Before)
	}
	scope, sargs := messageScope(ctx)
	where, args = append(where, scope), append(args, sargs...)
	q := db.q("MessageColumns")
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	q += " ORDER BY m.id DESC LIMIT ?"
	args = append(args, limit(f.Limit))
	rows, err := db.db.QueryContext(ctx, db.rebind(q), args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*taxsms.Message
	for rows.Next() {
		m, err := db.scanMessage(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	return out, rows.Err()
}

// CountByStatus returns how many messages of the direction are in each status.
func (db *DB) CountByStatus(ctx context.Context, dir taxsms.Direction) (map[taxsms.Status]int, error) {
	rows, err := db.db.QueryContext(ctx, db.q("CountByStatus"), string(dir))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := make(map[taxsms.Status]int)
	for rows.Next() {
		var s string
		var n int
		if err := rows.Scan(&s, &n); err != nil {
			return nil, err
		}
		out[taxsms.Status(s)] = n
	}
	return out, rows.Err()
}
