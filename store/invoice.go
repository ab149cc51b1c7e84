package store

import (
	"context"
	"database/sql"
	"errors"
	"iter"

	"taxsms"
	"taxsms/auth"
	"taxsms/invoice"
)

// UpsertInvoices inserts invoices into the registry, or updates those known
// by code and number (a 数电票 by its number, with code ""), in one
// transaction, in multi-row statements as the sequence yields them. A record
// as stored is left alone (its UpdatedAt does not move). An invalid record
// (EINVALID naming the field), a non-nil error from the sequence, or any
// other error rolls everything back. Only a city administrator, a key of the
// city's root office or the platform may upsert (else EFORBIDDEN): the
// registry is city-wide and counts as tax data (auth.DataTaxpayers). The
// import is recorded as one audit.Imported record with its counts.
func (db *DB) UpsertInvoices(ctx context.Context, rs iter.Seq2[*invoice.Record, error]) (Upserted, error) {
	if err := db.requireAll(ctx, auth.DataTaxpayers, "invoices"); err != nil {
		return Upserted{}, err
	}
	var n Upserted
	err := db.inTx(ctx, func(tx *sql.Tx) error {
		qctx := context.WithoutCancel(ctx) // see cancelled
		u, err := db.newUpserter(qctx, tx, "UpsertInvoices", "MaxInvoiceID")
		if err != nil {
			return err
		}
		defer u.close()
		for r, err := range rs {
			if err != nil {
				return err
			}
			if err := cancelled(ctx, Upserted{Unchanged: u.total}); err != nil {
				return err
			}
			if err := r.Validate(); err != nil {
				return err
			}
			now := ms(db.Now())
			if err := u.add(r.Code+"/"+r.Number, r.Code, r.Number, string(r.Kind), string(r.Status), r.SellerName, r.SellerID,
				r.IssuedOn.String(), r.Amount, now, now); err != nil {
				return err
			}
		}
		if n, err = u.done(); err != nil {
			return err
		}
		return db.appendImport(qctx, tx, "invoices", n)
	})
	return n, err
}

// LookupInvoice returns the invoice that q names, or ENOTFOUND. An
// ambiguous query (twenty digits that read both as a code and a number and
// as a 数电 number) that is not found is looked up again as its Alternate;
// the record says which it was. A query that fails Validate is EINVALID.
// Anyone may look up: the answer to an invoice check is given to any sender.
func (db *DB) LookupInvoice(ctx context.Context, q invoice.Query) (*invoice.Record, error) {
	if err := q.Validate(); err != nil {
		return nil, err
	}
	r, err := db.findInvoice(ctx, q)
	if taxsms.ErrorCode(err) == taxsms.ENOTFOUND && q.Ambiguous {
		r, err = db.findInvoice(ctx, q.Alternate())
		if taxsms.ErrorCode(err) == taxsms.ENOTFOUND {
			return nil, taxsms.Errorf(taxsms.ENOTFOUND, "invoice %s: not found, nor as %s", q, q.Alternate())
		}
	}
	return r, err
}

func (db *DB) findInvoice(ctx context.Context, q invoice.Query) (*invoice.Record, error) {
	var r invoice.Record
	var kind, status, issued string
	var updated int64
	err := db.db.QueryRowContext(ctx, db.q("SelectInvoice"), q.Code, q.Number).Scan(&r.Code, &r.Number, &kind, &status,
		&r.SellerName, &r.SellerID, &issued, &r.Amount, &updated)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, taxsms.Errorf(taxsms.ENOTFOUND, "invoice %s: not found", q)
	} else if err != nil {
		return nil, err
	}
	r.Kind, r.Status, r.UpdatedAt = invoice.Kind(kind), invoice.Status(status), fromMS(updated)
	if r.IssuedOn, err = taxsms.ParseDate(issued); err != nil {
		return nil, err
	}
	return &r, nil
}
