package store

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"taxsms"
)

// AcquireSlot leases one of the connection slots 0 to slots-1 of link to
// node until lease from now, so that the nodes sharing the database open
// at most slots sessions to the carrier between them. It takes the lowest
// free slot: one never taken, released, or whose lease has passed (its
// node died); a slot leased to any node, this one included, until a later
// time is taken. It reports false, and no error, when none is free. On
// PostgreSQL concurrent acquirers take distinct slots.
//
// It returns EINVALID for an empty link or node, slots below 1 or a lease
// that is not positive.
func (db *DB) AcquireSlot(ctx context.Context, link string, slots int, node string, lease time.Duration) (slot int, ok bool, err error) {
	switch {
	case link == "":
		return 0, false, taxsms.Invalid("link", "required")
	case node == "":
		return 0, false, taxsms.Invalid("node", "required")
	case slots < 1:
		return 0, false, taxsms.Invalid("slots", "%d is not a number of connections", slots)
	case lease <= 0:
		return 0, false, taxsms.Invalid("lease", "%v is not positive", lease)
	}
	err = db.inTx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, db.q("InsertSlots"), slots, link); err != nil {
			return err
		}
		now := db.Now()
		err := tx.QueryRowContext(ctx, db.q("AcquireSlot"), node, ms(now.Add(lease)), link, link, slots, ms(now)).Scan(&slot)
		if errors.Is(err, sql.ErrNoRows) {
			return nil
		}
		ok = err == nil
		return err
	})
	return slot, ok, err
}

// RenewSlot extends node's lease of slot of link until lease from now. It
// returns ENOTFOUND when node no longer holds it: its lease has passed (the
// slot may be another node's already) or it was released. The node should
// then close the session the slot was for.
func (db *DB) RenewSlot(ctx context.Context, link string, slot int, node string, lease time.Duration) error {
	return db.inTx(ctx, func(tx *sql.Tx) error {
		now := db.Now()
		res, err := tx.ExecContext(ctx, db.q("RenewSlot"), ms(now.Add(lease)), link, slot, node, ms(now))
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n == 0 {
			return taxsms.Errorf(taxsms.ENOTFOUND, "link %s: node %s no longer holds connection slot %d", link, node, slot)
		}
		return nil
	})
}

// ReleaseSlot frees slot of link if node holds it; otherwise it does
// nothing and returns nil.
func (db *DB) ReleaseSlot(ctx context.Context, link string, slot int, node string) error {
	return db.inTx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, db.q("ReleaseSlot"), link, slot, node)
		return err
	})
}

// ReleaseNodeSlots frees every slot node holds, of every link, and returns
// how many. A node calls it as it starts, before it dials: the slots its
// name holds are those of its previous run, whose sessions died with it
// (node names are unique among the nodes sharing a database).
func (db *DB) ReleaseNodeSlots(ctx context.Context, node string) (int, error) {
	var n int64
	err := db.inTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, db.q("ReleaseNodeSlots"), node)
		if err != nil {
			return err
		}
		n, err = res.RowsAffected()
		return err
	})
	return int(n), err
}

// HeldSlots returns the slots of link leased now, by slot number, with the
// node holding each.
func (db *DB) HeldSlots(ctx context.Context, link string) (map[int]string, error) {
	rows, err := db.db.QueryContext(ctx, db.q("HeldSlots"), link, ms(db.Now()))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := make(map[int]string)
	for rows.Next() {
		var slot int
		var node string
		if err := rows.Scan(&slot, &node); err != nil {
			return nil, err
		}
		out[slot] = node
	}
	return out, rows.Err()
}
