package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"iter"
	"strconv"

	"taxsms"
	"taxsms/audit"
	"taxsms/auth"
	"taxsms/kb"
)

// The knowledge base (kb.Entry) is the city's: its answers go to every
// sender, known or not, whatever their office. Reads need no permission
// (the inbound router reads every entry to build its kb.Index). Writes need
// auth.PermManageTemplates, since answers are message texts like
// templates, and a city-wide reach (write access to every office, as a city
// administrator and the system have), so that a branch cannot change what
// the whole city is told; anything less is EFORBIDDEN. Every write records
// audit.ConfigChanged (object kb_entry/ID) with the entry before and after,
// in the same transaction.

// KBEntries returns every entry of the knowledge base, enabled or not, by
// id.
func (db *DB) KBEntries(ctx context.Context) ([]kb.Entry, error) {
	rows, err := db.db.QueryContext(ctx, db.q("SelectKBEntries"))
	if err != nil {
		return nil, fmt.Errorf("kb entries: %w", err)
	}
	defer rows.Close()
	var out []kb.Entry
	for rows.Next() {
		e, err := scanKBEntry(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, *e)
	}
	return out, rows.Err()
}

// FindKBEntry returns the entry of the id, or ENOTFOUND.
func (db *DB) FindKBEntry(ctx context.Context, id int64) (*kb.Entry, error) {
	return db.findKBEntry(ctx, db.db, db.q("SelectKBEntry"), id)
}

func (db *DB) findKBEntry(ctx context.Context, q querier, query string, key any) (*kb.Entry, error) {
	e, err := scanKBEntry(q.QueryRowContext(ctx, query, key))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, taxsms.Errorf(taxsms.ENOTFOUND, "knowledge base entry %v not found", key)
	}
	return e, err
}

func scanKBEntry(s scanner) (*kb.Entry, error) {
	var e kb.Entry
	var keywords string
	var enabled int
	var updated int64
	if err := s.Scan(&e.ID, &e.Question, &e.Answer, &keywords, &e.Category, &enabled, &updated); err != nil {
		return nil, err
	}
	e.Keywords, e.Enabled, e.Updated = kb.ParseKeywords(keywords), enabled != 0, fromMS(updated)
	return &e, nil
}

// requireKBWrite checks that the actor may change the knowledge base.
func requireKBWrite(ctx context.Context) error {
	a, _ := auth.FromContext(ctx)
	if err := a.Require(auth.PermManageTemplates); err != nil {
		return err
	}
	if a.Access(auth.DataOffices).Write.Level != auth.LevelAll {
		return taxsms.Errorf(taxsms.EFORBIDDEN, "%s may not change the knowledge base: it is the whole city's", a)
	}
	return nil
}

// kbRecord is an entry as the audit log shows it.
func kbRecord(e *kb.Entry) map[string]string {
	return map[string]string{"question": e.Question, "answer": e.Answer, "keywords": kb.FormatKeywords(e.Keywords),
		"category": e.Category, "enabled": strconv.FormatBool(e.Enabled)}
}

func kbObject(id int64) audit.Object {
	return audit.Object{Type: "kb_entry", ID: strconv.FormatInt(id, 10)}
}

// CreateKBEntry validates e (EINVALID naming the field) and stores it,
// setting its ID and Updated. A question already stored is ECONFLICT.
func (db *DB) CreateKBEntry(ctx context.Context, e *kb.Entry) error {
	if err := requireKBWrite(ctx); err != nil {
		return err
	}
	if err := e.Validate(); err != nil {
		return err
	}
	return db.inTx(ctx, func(tx *sql.Tx) error {
		if err := db.insertKBEntry(ctx, tx, e); err != nil {
			return err
		}
		return db.appendChange(ctx, tx, audit.ConfigChanged, kbObject(e.ID), nil, kbRecord(e), "knowledge base entry created")
	})
}

func (db *DB) insertKBEntry(ctx context.Context, tx *sql.Tx, e *kb.Entry) error {
	now := db.Now().UTC().Truncate(1e6)
	err := tx.QueryRowContext(ctx, db.q("InsertKBEntry"), e.Question, e.Answer, kb.FormatKeywords(e.Keywords),
		e.Category, boolInt(e.Enabled), ms(now)).Scan(&e.ID)
	if db.d.violation(err) == "unique" {
		return &taxsms.Error{Code: taxsms.ECONFLICT, Field: "question", Message: fmt.Sprintf("question: %q is already in the knowledge base", e.Question)}
	}
	if err != nil {
		return fmt.Errorf("insert kb entry: %w", err)
	}
	e.Updated = now
	return nil
}

// UpdateKBEntry validates e and saves every field of the entry of e.ID,
// setting e.Updated. A missing entry is ENOTFOUND; a question another entry
// has is ECONFLICT. Nothing changed records nothing.
func (db *DB) UpdateKBEntry(ctx context.Context, e *kb.Entry) error {
	if err := requireKBWrite(ctx); err != nil {
		return err
	}
	if err := e.Validate(); err != nil {
		return err
	}
	return db.inTx(ctx, func(tx *sql.Tx) error {
		old, err := db.findKBEntry(ctx, tx, db.q("SelectKBEntry"), e.ID)
		if err != nil {
			return err
		}
		if sameKB(old, e) {
			e.Updated = old.Updated
			return nil
		}
		return db.updateKBEntry(ctx, tx, old, e)
	})
}

func (db *DB) updateKBEntry(ctx context.Context, tx *sql.Tx, old, e *kb.Entry) error {
	now := db.Now().UTC().Truncate(1e6)
	_, err := tx.ExecContext(ctx, db.q("UpdateKBEntry"), e.Question, e.Answer, kb.FormatKeywords(e.Keywords),
		e.Category, boolInt(e.Enabled), ms(now), e.ID)
	if db.d.violation(err) == "unique" {
		return &taxsms.Error{Code: taxsms.ECONFLICT, Field: "question", Message: fmt.Sprintf("question: %q is already in the knowledge base", e.Question)}
	}
	if err != nil {
		return fmt.Errorf("update kb entry %d: %w", e.ID, err)
	}
	e.Updated = now
	return db.appendChange(ctx, tx, audit.ConfigChanged, kbObject(e.ID), kbRecord(old), kbRecord(e), "knowledge base entry changed")
}

// sameKB reports whether two entries have the same stored fields.
func sameKB(a, b *kb.Entry) bool {
	return a.Question == b.Question && a.Answer == b.Answer && kb.FormatKeywords(a.Keywords) == kb.FormatKeywords(b.Keywords) &&
		a.Category == b.Category && a.Enabled == b.Enabled
}

// DeleteKBEntry removes the entry of the id; a missing one is ENOTFOUND.
func (db *DB) DeleteKBEntry(ctx context.Context, id int64) error {
	if err := requireKBWrite(ctx); err != nil {
		return err
	}
	return db.inTx(ctx, func(tx *sql.Tx) error {
		old, err := db.findKBEntry(ctx, tx, db.q("SelectKBEntry"), id)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, db.q("DeleteKBEntry"), id); err != nil {
			return fmt.Errorf("delete kb entry %d: %w", id, err)
		}
		return db.appendChange(ctx, tx, audit.ConfigChanged, kbObject(id), kbRecord(old), map[string]string{}, "knowledge base entry deleted")
	})
}

// UpsertKBEntries writes entries, known by their question, in one
// transaction: a new question is inserted, a known one updated if any field
// differs, each write audited as by CreateKBEntry and UpdateKBEntry. Entry
// ids given are ignored. The first invalid entry (EINVALID), a question
// given twice (ECONFLICT) or an error from the sequence writes nothing. It
// needs what the other writes need. Each entry costs a look-up and at most
// one write: it is meant for the hundreds or few thousands of entries of a
// knowledge base, not for bulk data.
func (db *DB) UpsertKBEntries(ctx context.Context, entries iter.Seq2[*kb.Entry, error]) (Upserted, error) {
	var n Upserted
	if err := requireKBWrite(ctx); err != nil {
		return n, err
	}
	err := db.inTx(ctx, func(tx *sql.Tx) error {
		seen := make(map[string]bool)
		for e, err := range entries {
			if err != nil {
				return err
			}
			if err := e.Validate(); err != nil {
				return err
			}
			if seen[e.Question] {
				return &taxsms.Error{Code: taxsms.ECONFLICT, Field: "question", Message: fmt.Sprintf("question: %q given twice", e.Question)}
			}
			seen[e.Question] = true
			old, err := db.findKBEntry(ctx, tx, db.q("SelectKBEntryByQuestion"), e.Question)
			switch {
			case taxsms.ErrorCode(err) == taxsms.ENOTFOUND:
				if err := db.insertKBEntry(ctx, tx, e); err != nil {
					return err
				}
				if err := db.appendChange(ctx, tx, audit.ConfigChanged, kbObject(e.ID), nil, kbRecord(e), "knowledge base entry imported"); err != nil {
					return err
				}
				n.Inserted++
			case err != nil:
				return err
			case sameKB(old, e):
				e.ID, e.Updated = old.ID, old.Updated
				n.Unchanged++
			default:
				e.ID = old.ID
				if err := db.updateKBEntry(ctx, tx, old, e); err != nil {
					return err
				}
				n.Updated++
			}
		}
		return nil
	})
	if err != nil {
		return Upserted{}, err
	}
	return n, nil
}
