package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"taxsms"
)

// CreateMessage stores a message with the first entry of its timeline and one
// part per segment, all in one transaction, and sets its ID and times. If its
// idempotency key was used before, nothing is stored, m.ID is set to the
// earlier message and the error is ECONFLICT.
func (db *DB) CreateMessage(ctx context.Context, m *taxsms.Message) error {
	if err := m.Validate(); err != nil {
		return err
	}
	return db.inTx(ctx, func(tx *sql.Tx) error {
		if m.IdempotencyKey != "" {
			var id int64
			err := tx.QueryRowContext(ctx, db.q("SelectMessageByKey"), m.IdempotencyKey).Scan(&id)
			if err == nil {
				m.ID = id
				return taxsms.Errorf(taxsms.ECONFLICT, "idempotency_key: %q already used by message %d", m.IdempotencyKey, id)
			} else if !errors.Is(err, sql.ErrNoRows) {
				return err
			}
		}
		now := db.Now().UTC().Truncate(1e6)
		enc, hash, mask := db.sealMobile(m.Mobile)
		var key sql.NullString
		if m.IdempotencyKey != "" {
			key = sql.NullString{String: m.IdempotencyKey, Valid: true}
		}
		err := tx.QueryRowContext(ctx, db.q("InsertMessage"), string(m.Direction), string(m.Kind), int(m.Priority),
			enc, hash, mask, nullID(m.TaxpayerID), nullID(m.ContactID), nullID(m.UserID), nullID(m.OfficeID),
			nullID(m.AuthorID), m.Body, string(m.Coding), m.Segments, string(m.Status), string(m.Carrier), key,
			m.Error, ms(m.NotBefore), ms(m.ExpiresAt), ms(now), ms(now)).Scan(&m.ID)
		if db.d.violation(err) == "foreign" {
			return taxsms.Errorf(taxsms.EINVALID, "message refers to a taxpayer, contact, user or office that does not exist")
		} else if err != nil {
			return fmt.Errorf("insert message: %w", err)
		}
		m.CreatedAt, m.UpdatedAt = now, now
		m.Timeline = []taxsms.StatusEvent{{At: now, Status: m.Status}}
		if _, err := tx.ExecContext(ctx, db.q("InsertMessageEvent"), m.ID, ms(now), string(m.Status), ""); err != nil {
			return err
		}
		if m.Direction == taxsms.MO {
			return nil
		}
		m.Parts = m.Parts[:0]
		for seq := 1; seq <= m.Segments; seq++ {
			if _, err := tx.ExecContext(ctx, db.q("InsertMessagePart"), m.ID, seq, "", string(m.Status), ""); err != nil {
				return err
			}
			m.Parts = append(m.Parts, taxsms.Part{Seq: seq, Status: m.Status})
		}
		return nil
	})
}

// FindMessage returns the message with its timeline and parts, or ENOTFOUND.
func (db *DB) FindMessage(ctx context.Context, id int64) (*taxsms.Message, error) {
	m, err := db.scanMessage(db.db.QueryRowContext(ctx, db.rebind(db.q("MessageColumns")+" WHERE m.id = ?"), id))
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
	parts, err := db.db.QueryContext(ctx, db.q("SelectMessageParts"), id)
	if err != nil {
		return nil, err
	}
	defer parts.Close()
	for parts.Next() {
		var p taxsms.Part
		var status string
		if err := parts.Scan(&p.Seq, &p.CarrierMsgID, &status, &p.Error); err != nil {
			return nil, err
		}
		p.Status = taxsms.Status(status)
		m.Parts = append(m.Parts, p)
	}
	return m, parts.Err()
}

func (db *DB) scanMessage(s scanner) (*taxsms.Message, error) {
	var m taxsms.Message
	var dir, kind, coding, status, carrier string
	var prio int
	var enc []byte
	var notBefore, expires, created, updated int64
	err := s.Scan(&m.ID, &dir, &kind, &prio, &enc, &m.TaxpayerID, &m.ContactID, &m.UserID, &m.OfficeID, &m.AuthorID,
		&m.Body, &coding, &m.Segments, &status, &carrier, &m.IdempotencyKey, &m.Error, &notBefore, &expires, &created, &updated)
	if err != nil {
		return nil, err
	}
	m.Direction, m.Kind, m.Priority = taxsms.Direction(dir), taxsms.Kind(kind), taxsms.Priority(prio)
	m.Coding, m.Status, m.Carrier = taxsms.Coding(coding), taxsms.Status(status), taxsms.Carrier(carrier)
	m.NotBefore, m.ExpiresAt, m.CreatedAt, m.UpdatedAt = fromMS(notBefore), fromMS(expires), fromMS(created), fromMS(updated)
	m.Mobile, err = db.openMobile(enc)
	return &m, err
}

// ListMessages returns one page of the messages matching f, newest first,
// without timelines and parts. A bad Mobile is EINVALID.
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
