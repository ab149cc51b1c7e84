package store

import (
	"context"
	"time"
)

// MessageIDAt returns the id of the first message created at or after t,
// or 0 if none was: every message with a smaller id was created before t.
// Messages are numbered in the order they are created, so a range of
// creation times is a range of ids, which ListMessages pages through by the
// primary key (its Before). It searches by id, some 30 reads of one row
// whatever the table's size; no index on the creation time is needed.
//
// On PostgreSQL, transactions that commit out of the order they took their
// ids can put a message a few milliseconds on the wrong side of t.
func (db *DB) MessageIDAt(ctx context.Context, t time.Time) (int64, error) {
	return db.firstMessageFrom(ctx, t)
}
