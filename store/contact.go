package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"taxsms"
	"taxsms/audit"
)

// CreateContact stores a new contact with its first service event, sets its
// ID and times, and records audit.ContactChanged with no state before. A
// second contact in the same role of one taxpayer is ECONFLICT; an unknown
// taxpayer is EINVALID.
func (db *DB) CreateContact(ctx context.Context, c *taxsms.Contact) error {
	if err := c.Validate(); err != nil {
		return err
	}
	return db.inTx(ctx, func(tx *sql.Tx) error {
		if _, err := db.findTaxpayer(ctx, tx, "t.id = ?", c.TaxpayerID, true); taxsms.ErrorCode(err) == taxsms.ENOTFOUND {
			return taxsms.Invalid("taxpayer", "no taxpayer with id %d", c.TaxpayerID)
		} else if err != nil {
			return err
		}
		st, err := tx.PrepareContext(ctx, db.q("InsertContact"))
		if err != nil {
			return err
		}
		defer st.Close()
		if err := db.insertContact(ctx, st, c); err != nil {
			return err
		}
		return db.appendChange(ctx, tx, audit.ContactChanged, contactObject(c.ID), nil, contactRecord(c), "created")
	})
}

// insertContact inserts c. Its first service event is its own row (see the
// view contact_history).
func (db *DB) insertContact(ctx context.Context, st *sql.Stmt, c *taxsms.Contact) error {
	now := db.Now().UTC().Truncate(1e6)
	enc, hash, mask := db.sealMobile(c.Mobile)
	if c.StatusSince.IsZero() {
		c.StatusSince = now
	}
	err := st.QueryRowContext(ctx, c.TaxpayerID, string(c.Role), c.Name, enc, hash, mask,
		string(c.Status), ms(c.StatusSince), string(c.StatusChannel), ms(now), ms(now)).Scan(&c.ID)
	switch db.d.violation(err) {
	case "unique":
		return taxsms.Errorf(taxsms.ECONFLICT, "role: taxpayer %d already has a %s contact", c.TaxpayerID, c.Role)
	case "foreign":
		return taxsms.Invalid("taxpayer", "no taxpayer with id %d", c.TaxpayerID)
	}
	if err != nil {
		return fmt.Errorf("insert contact: %w", err)
	}
	c.CreatedAt, c.UpdatedAt = now, now
	return nil
}

// UpdateContact saves c's role, name, number and service status. A change of
// number or status is recorded as a service event at StatusSince (now if
// zero) through StatusChannel. It records audit.ContactChanged with the
// contact before and after (numbers masked) if anything changed. Missing is
// ENOTFOUND.
func (db *DB) UpdateContact(ctx context.Context, c *taxsms.Contact) error {
	if err := c.Validate(); err != nil {
		return err
	}
	return db.inTx(ctx, func(tx *sql.Tx) error {
		old, err := db.findContact(ctx, tx, c.ID)
		if err != nil {
			return err
		}
		if _, err := db.findTaxpayer(ctx, tx, "t.id = ?", old.TaxpayerID, true); err != nil {
			return err
		}
		c.TaxpayerID = old.TaxpayerID // a contact stays with its taxpayer
		changed, err := db.updateContact(ctx, tx, c)
		if err != nil || !changed {
			return err
		}
		return db.appendChange(ctx, tx, audit.ContactChanged, contactObject(c.ID), contactRecord(old), contactRecord(c), "")
	})
}

// updateContact saves c over the existing row c.ID and reports whether
// anything changed.
func (db *DB) updateContact(ctx context.Context, tx *sql.Tx, c *taxsms.Contact) (bool, error) {
	now := db.Now().UTC().Truncate(1e6)
	since := c.StatusSince
	if since.IsZero() {
		since = now
	}
	enc, hash, mask := db.sealMobile(c.Mobile)
	if _, err := tx.ExecContext(ctx, db.q("KeepFirstContactEvent"), c.ID, hash, string(c.Status), c.ID); err != nil {
		return false, err
	}
	res, err := tx.ExecContext(ctx, db.q("UpdateContactService"), enc, hash, mask, string(c.Status), ms(since),
		string(c.StatusChannel), ms(now), c.ID, hash, string(c.Status))
	if err != nil {
		return false, err
	}
	service, _ := res.RowsAffected()
	if service > 0 {
		if _, err := tx.ExecContext(ctx, db.q("InsertContactEvent"), c.ID, ms(since), string(c.Status), string(c.StatusChannel), mask); err != nil {
			return false, err
		}
	}
	res, err = tx.ExecContext(ctx, db.q("UpdateContactName"), c.Name, ms(now), c.ID, c.Name)
	if err != nil {
		return false, err
	}
	name, _ := res.RowsAffected()
	res, err = tx.ExecContext(ctx, db.q("UpdateContactRole"), string(c.Role), ms(now), c.ID, string(c.Role))
	if db.d.violation(err) == "unique" {
		return false, taxsms.Errorf(taxsms.ECONFLICT, "role: taxpayer %d already has a %s contact", c.TaxpayerID, c.Role)
	} else if err != nil {
		return false, err
	}
	role, _ := res.RowsAffected()
	return service+name+role > 0, nil
}

// FindContact returns the contact with the id, or ENOTFOUND.
func (db *DB) FindContact(ctx context.Context, id int64) (*taxsms.Contact, error) {
	return db.findContact(ctx, db.db, id)
}

func (db *DB) findContact(ctx context.Context, q querier, id int64) (*taxsms.Contact, error) {
	scope, args := taxpayerScope(ctx, false)
	c, err := db.scanContact(q.QueryRowContext(ctx, db.rebind(db.q("ContactColumns")+" WHERE c.id = ? AND "+scope), append([]any{id}, args...)...))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, taxsms.Errorf(taxsms.ENOTFOUND, "contact %d not found", id)
	}
	return c, err
}

func (db *DB) scanContact(s scanner) (*taxsms.Contact, error) {
	var c taxsms.Contact
	var role, status, channel string
	var enc []byte
	var since, created, updated int64
	if err := s.Scan(&c.ID, &c.TaxpayerID, &role, &c.Name, &enc, &status, &since, &channel, &created, &updated); err != nil {
		return nil, err
	}
	c.Role, c.Status, c.StatusChannel = taxsms.ContactRole(role), taxsms.ServiceStatus(status), taxsms.Channel(channel)
	c.StatusSince, c.CreatedAt, c.UpdatedAt = fromMS(since), fromMS(created), fromMS(updated)
	var err error
	c.Mobile, err = db.openMobile(enc)
	return &c, err
}

// ListContacts returns the contacts of a taxpayer, by id.
func (db *DB) ListContacts(ctx context.Context, taxpayerID int64) ([]*taxsms.Contact, error) {
	return db.contacts(ctx, "c.taxpayer_id = ?", taxpayerID)
}

// FindContactsByMobile returns the contacts with the number (in any accepted
// form), by id. A bad number is EINVALID.
func (db *DB) FindContactsByMobile(ctx context.Context, mobile string) ([]*taxsms.Contact, error) {
	m, err := taxsms.NormalizeMobile(mobile)
	if err != nil {
		return nil, err
	}
	return db.contacts(ctx, "c.mobile_hash = ?", db.box.Hash(m))
}

// contacts returns the contacts matching cond (one placeholder, arg) within
// the actor's scope, by id.
func (db *DB) contacts(ctx context.Context, cond string, arg any) ([]*taxsms.Contact, error) {
	scope, args := taxpayerScope(ctx, false)
	rows, err := db.db.QueryContext(ctx, db.rebind(db.q("ContactColumns")+" WHERE "+cond+" AND "+scope+" ORDER BY c.id"), append([]any{arg}, args...)...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*taxsms.Contact
	for rows.Next() {
		c, err := db.scanContact(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// ContactEvents returns the service events of a contact, oldest first.
func (db *DB) ContactEvents(ctx context.Context, contactID int64) ([]taxsms.ContactEvent, error) {
	rows, err := db.db.QueryContext(ctx, db.q("SelectContactEvents"), contactID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []taxsms.ContactEvent
	for rows.Next() {
		var e taxsms.ContactEvent
		var at int64
		var status, channel string
		if err := rows.Scan(&e.ContactID, &at, &status, &channel, &e.Mobile); err != nil {
			return nil, err
		}
		e.At, e.Status, e.Channel = fromMS(at), taxsms.ServiceStatus(status), taxsms.Channel(channel)
		out = append(out, e)
	}
	return out, rows.Err()
}

// FailingContacts returns the contacts (of taxpayers in the office subtree,
// or everywhere for 0) to whom at least min messages in a row have failed:
// their numbers need correcting (MISSION R-15). A delivery resets the run.
func (db *DB) FailingContacts(ctx context.Context, subtree int64, min int) ([]*taxsms.Contact, error) {
	prefix, err := db.subtreePrefix(ctx, subtree)
	if err != nil {
		return nil, err
	}
	like := ""
	if prefix != "" {
		like = prefix + "%"
	}
	rows, err := db.db.QueryContext(ctx, db.q("SelectFailingContacts"), min, like, like)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*taxsms.Contact
	for rows.Next() {
		c, err := db.scanContact(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, rows.Err()
}
