package store

import (
	"context"
	"database/sql"
	"fmt"
	"iter"
	"strings"

	"taxsms"
	"taxsms/auth"
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
// rolls everything back. The import is recorded as one audit.Imported
// record with its counts, as are those of the other Upsert methods.
func (db *DB) UpsertOffices(ctx context.Context, rows []OfficeRow) (Upserted, error) {
	if err := db.requireAll(ctx, auth.DataOffices, "offices"); err != nil {
		return Upserted{}, err
	}
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
		return db.appendImport(ctx, tx, "offices", n)
	})
	return n, err
}

// UpsertUsers inserts or updates users by login in one transaction. Their
// OfficeID must be set. A non-nil error from the sequence, or any other,
// rolls everything back and is returned.
func (db *DB) UpsertUsers(ctx context.Context, users iter.Seq2[*taxsms.User, error]) (Upserted, error) {
	if err := db.requireAll(ctx, auth.DataUsers, "users"); err != nil {
		return Upserted{}, err
	}
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
		return db.appendImport(ctx, tx, "users", n)
	})
	return n, err
}

// UpsertTaxpayers inserts or updates taxpayers by identifier in one
// transaction. A row whose every field equals the stored one is left alone
// (its UpdatedAt does not move). New rows are inserted in batches, so the
// IDs of the yielded values are not set. Errors roll everything back.
func (db *DB) UpsertTaxpayers(ctx context.Context, tps iter.Seq2[*taxsms.Taxpayer, error]) (Upserted, error) {
	if err := db.requireAll(ctx, auth.DataTaxpayers, "taxpayers"); err != nil {
		return Upserted{}, err
	}
	var n Upserted
	existing, err := db.TaxpayerIdentifiers(ctx)
	if err != nil {
		return n, err
	}
	err = db.inTx(ctx, func(tx *sql.Tx) error {
		n = Upserted{}
		qctx := context.WithoutCancel(ctx) // see cancelled
		upd, err := tx.PrepareContext(ctx, db.q("UpdateTaxpayerIfChanged"))
		if err != nil {
			return err
		}
		defer upd.Close()
		ins := &batcher{ctx: qctx, db: db, tx: tx, name: "InsertTaxpayer", returning: "id, identifier",
			scan: func(rows *sql.Rows) error {
				var id int64
				var ident string
				err := rows.Scan(&id, &ident)
				existing[ident] = id
				return err
			}}
		defer ins.close()
		for t, err := range tps {
			if err != nil {
				return err
			}
			if err := cancelled(ctx, n); err != nil {
				return err
			}
			if err := t.Validate(); err != nil {
				return fmt.Errorf("taxpayer %s: %w", t.Identifier, err)
			}
			now := ms(db.Now())
			reg, chg, cnl, types := t.Registered.String(), t.Changed.String(), t.Cancelled.String(), strings.Join(t.TaxTypes, ",")
			id, ok := existing[t.Identifier]
			if !ok {
				existing[t.Identifier] = 0 // a repeat within this upsert updates nothing
				n.Inserted++
				if err := ins.add(t.Identifier, string(t.IDType), t.Name, t.OfficeID, nullID(t.AdminID), string(t.RegStatus),
					reg, chg, cnl, t.Industry, types, boolInt(t.RemoteFiler), now, now); err != nil {
					return err
				}
				continue
			}
			if id == 0 {
				return taxsms.Errorf(taxsms.ECONFLICT, "identifier: taxpayer %s given twice", t.Identifier)
			}
			t.ID = id
			res, err := upd.ExecContext(qctx, string(t.IDType), t.Name, t.OfficeID, nullID(t.AdminID), string(t.RegStatus),
				reg, chg, cnl, t.Industry, types, boolInt(t.RemoteFiler), now,
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
		if err := ins.flush(); db.d.violation(err) == "foreign" {
			return taxsms.Invalid("office", "a taxpayer refers to an office or administrator that does not exist")
		} else if err != nil {
			return err
		}
		return db.appendImport(qctx, tx, "taxpayers", n)
	})
	return n, err
}

type contactKey struct {
	taxpayer int64
	role     taxsms.ContactRole
}

// UpsertContacts inserts or updates contacts by taxpayer and role in one
// transaction. A new number or status is recorded as a service event; a row
// equal to the stored one is left alone. An import (StatusChannel import)
// never changes the status of a contact who opted out: only the contact
// may opt in again. New contacts are
// inserted in batches, so the IDs of the yielded values are not set. Errors
// roll everything back.
func (db *DB) UpsertContacts(ctx context.Context, cs iter.Seq2[*taxsms.Contact, error]) (Upserted, error) {
	if err := db.requireAll(ctx, auth.DataTaxpayers, "contacts"); err != nil {
		return Upserted{}, err
	}
	var n Upserted
	existing := make(map[contactKey]int64)
	optedOut := make(map[int64]bool)
	rows, err := db.db.QueryContext(ctx, db.q("SelectContactKeys"))
	if err != nil {
		return n, err
	}
	for rows.Next() {
		var k contactKey
		var id int64
		var status string
		if err := rows.Scan(&k.taxpayer, &k.role, &id, &status); err != nil {
			rows.Close()
			return n, err
		}
		existing[k] = id
		if taxsms.ServiceStatus(status) == taxsms.ServiceOptedOut {
			optedOut[id] = true
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return n, err
	}
	err = db.inTx(ctx, func(tx *sql.Tx) error {
		n = Upserted{}
		qctx := context.WithoutCancel(ctx) // see cancelled
		ins := &batcher{ctx: qctx, db: db, tx: tx, name: "InsertContact"}
		defer ins.close()
		for c, err := range cs {
			if err != nil {
				return err
			}
			if err := cancelled(ctx, n); err != nil {
				return err
			}
			if err := c.Validate(); err != nil {
				return err
			}
			k := contactKey{c.TaxpayerID, c.Role}
			id, ok := existing[k]
			if !ok {
				existing[k] = 0 // a repeat within this upsert is a conflict
				n.Inserted++
				now := db.Now().UTC()
				since := c.StatusSince
				if since.IsZero() {
					since = now
				}
				enc, hash, mask := db.sealMobile(c.Mobile)
				if err := ins.add(c.TaxpayerID, string(c.Role), c.Name, enc, hash, mask, string(c.Status), ms(since),
					string(c.StatusChannel), ms(now), ms(now)); err != nil {
					return err
				}
				continue
			}
			if id == 0 {
				return taxsms.Errorf(taxsms.ECONFLICT, "role: taxpayer %d has two %s contacts", c.TaxpayerID, c.Role)
			}
			c.ID = id
			if optedOut[id] && c.StatusChannel == taxsms.ChannelImport {
				c.Status = taxsms.ServiceOptedOut // only the contact may opt in again
			}
			changed, err := db.updateContact(qctx, tx, c)
			if err != nil {
				return err
			}
			if changed {
				n.Updated++
			} else {
				n.Unchanged++
			}
		}
		err := ins.flush()
		if db.d.violation(err) == "foreign" {
			return taxsms.Invalid("taxpayer", "a contact refers to a taxpayer that does not exist")
		} else if err != nil {
			return err
		}
		return db.appendImport(qctx, tx, "contacts", n)
	})
	return n, err
}

// cancelled returns ctx's error every 1024 rows. Bulk loops run their
// statements under context.WithoutCancel and call it instead: the SQLite
// driver watches a cancellable context with one goroutine per statement,
// which costs more than the statement itself.
func cancelled(ctx context.Context, n Upserted) error {
	if (n.Inserted+n.Updated+n.Unchanged)%1024 == 0 {
		return ctx.Err()
	}
	return nil
}
