package store

import (
	"context"
	"database/sql"
	"fmt"
	"iter"
	"strings"

	"taxsms"
)

// Upserted counts what an upsert did.
type Upserted struct {
	Inserted  int `json:"inserted"`
	Updated   int `json:"updated"`
	Unchanged int `json:"unchanged"`
}

// OfficeRow is an office to upsert with its parent named by code ("" for the root).
type OfficeRow struct {
	Office     taxsms.Office
	ParentCode string
}

// UpsertOffices inserts or updates offices by code, in order, in one
// transaction: a parent must exist or come earlier. An existing office keeps
// its place in the tree; its name, phone and address are updated. Any error
// rolls everything back.
func (db *DB) UpsertOffices(ctx context.Context, rows []OfficeRow) (Upserted, error) {
	var n Upserted
	err := db.inTx(ctx, func(tx *sql.Tx) error {
		n = Upserted{}
		for i := range rows {
			o := rows[i].Office
			if err := o.Validate(); err != nil {
				return err
			}
			existing, err := db.findOffice(ctx, tx, db.q("SelectOfficeByCode"), o.Code)
			if err == nil {
				now := db.Now().UTC().Truncate(1e6)
				res, err := tx.ExecContext(ctx, db.q("UpdateOfficeIfChanged"), o.Name, o.Phone, o.Address, ms(now),
					existing.ID, o.Name, o.Phone, o.Address)
				if err != nil {
					return err
				}
				if k, _ := res.RowsAffected(); k > 0 {
					n.Updated++
				} else {
					n.Unchanged++
				}
				continue
			} else if taxsms.ErrorCode(err) != taxsms.ENOTFOUND {
				return err
			}
			if rows[i].ParentCode != "" {
				p, err := db.findOffice(ctx, tx, db.q("SelectOfficeByCode"), rows[i].ParentCode)
				if taxsms.ErrorCode(err) == taxsms.ENOTFOUND {
					return taxsms.Invalid("parent", "no office with code %q", rows[i].ParentCode)
				} else if err != nil {
					return err
				}
				o.ParentID = p.ID
			}
			if err := db.createOffice(ctx, tx, &o); err != nil {
				return err
			}
			n.Inserted++
		}
		return nil
	})
	return n, err
}

// UpsertUsers inserts or updates users by login in one transaction. Their
// OfficeID must be set. A non-nil error from the sequence, or any other,
// rolls everything back and is returned.
func (db *DB) UpsertUsers(ctx context.Context, users iter.Seq2[*taxsms.User, error]) (Upserted, error) {
	var n Upserted
	logins, err := db.UserLogins(ctx)
	if err != nil {
		return n, err
	}
	err = db.inTx(ctx, func(tx *sql.Tx) error {
		n = Upserted{}
		for u, err := range users {
			if err != nil {
				return err
			}
			if err := u.Validate(); err != nil {
				return err
			}
			id, ok := logins[u.Login]
			if !ok {
				if err := db.createUser(ctx, tx, u); err != nil {
					return err
				}
				logins[u.Login] = u.ID
				n.Inserted++
				continue
			}
			u.ID = id
			now := db.Now().UTC().Truncate(1e6)
			enc, hash, mask := db.sealMobile(u.Mobile)
			res, err := tx.ExecContext(ctx, db.q("UpdateUserIfChanged"), u.Name, u.OfficeID, string(u.Role),
				string(u.Status), enc, hash, mask, ms(now), id, u.Name, u.OfficeID, string(u.Role), string(u.Status), hash)
			if err != nil {
				return err
			}
			if k, _ := res.RowsAffected(); k > 0 {
				n.Updated++
			} else {
				n.Unchanged++
			}
		}
		return nil
	})
	return n, err
}

// UpsertTaxpayers inserts or updates taxpayers by identifier in one
// transaction. A row whose every field equals the stored one is left alone
// (its UpdatedAt does not move). Errors roll everything back.
func (db *DB) UpsertTaxpayers(ctx context.Context, tps iter.Seq2[*taxsms.Taxpayer, error]) (Upserted, error) {
	var n Upserted
	existing, err := db.TaxpayerIdentifiers(ctx)
	if err != nil {
		return n, err
	}
	err = db.inTx(ctx, func(tx *sql.Tx) error {
		n = Upserted{}
		ins, err := tx.PrepareContext(ctx, db.q("InsertTaxpayer"))
		if err != nil {
			return err
		}
		defer ins.Close()
		upd, err := tx.PrepareContext(ctx, db.q("UpdateTaxpayerIfChanged"))
		if err != nil {
			return err
		}
		defer upd.Close()
		for t, err := range tps {
			if err != nil {
				return err
			}
			if err := t.Validate(); err != nil {
				return fmt.Errorf("taxpayer %s: %w", t.Identifier, err)
			}
			id, ok := existing[t.Identifier]
			if !ok {
				if err := db.insertTaxpayer(ctx, ins, t); err != nil {
					return err
				}
				existing[t.Identifier] = t.ID
				n.Inserted++
				continue
			}
			t.ID = id
			now := db.Now().UTC().Truncate(1e6)
			reg, chg, cnl, types := t.Registered.String(), t.Changed.String(), t.Cancelled.String(), strings.Join(t.TaxTypes, ",")
			res, err := upd.ExecContext(ctx, string(t.IDType), t.Name, t.OfficeID, nullID(t.AdminID), string(t.RegStatus),
				reg, chg, cnl, t.Industry, types, boolInt(t.RemoteFiler), ms(now),
				id, string(t.IDType), t.Name, t.OfficeID, t.AdminID, string(t.RegStatus),
				reg, chg, cnl, t.Industry, types, boolInt(t.RemoteFiler))
			if db.d.violation(err) == "foreign" {
				return taxsms.Invalid("office", "office %d or administrator %d does not exist", t.OfficeID, t.AdminID)
			} else if err != nil {
				return err
			}
			if k, _ := res.RowsAffected(); k > 0 {
				n.Updated++
			} else {
				n.Unchanged++
			}
		}
		return nil
	})
	return n, err
}

type contactKey struct {
	taxpayer int64
	role     taxsms.ContactRole
}

// UpsertContacts inserts or updates contacts by taxpayer and role in one
// transaction. A new number or status is recorded as a service event; a row
// equal to the stored one is left alone. Errors roll everything back.
func (db *DB) UpsertContacts(ctx context.Context, cs iter.Seq2[*taxsms.Contact, error]) (Upserted, error) {
	var n Upserted
	existing := make(map[contactKey]int64)
	rows, err := db.db.QueryContext(ctx, db.q("SelectContactKeys"))
	if err != nil {
		return n, err
	}
	for rows.Next() {
		var k contactKey
		var id int64
		if err := rows.Scan(&k.taxpayer, &k.role, &id); err != nil {
			rows.Close()
			return n, err
		}
		existing[k] = id
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return n, err
	}
	err = db.inTx(ctx, func(tx *sql.Tx) error {
		n = Upserted{}
		for c, err := range cs {
			if err != nil {
				return err
			}
			if err := c.Validate(); err != nil {
				return err
			}
			k := contactKey{c.TaxpayerID, c.Role}
			id, ok := existing[k]
			if !ok {
				if err := db.insertContact(ctx, tx, c); err != nil {
					return err
				}
				existing[k] = c.ID
				n.Inserted++
				continue
			}
			c.ID = id
			changed, err := db.updateContact(ctx, tx, c)
			if err != nil {
				return err
			}
			if changed {
				n.Updated++
			} else {
				n.Unchanged++
			}
		}
		return nil
	})
	return n, err
}
