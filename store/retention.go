package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"taxsms"
	"taxsms/audit"
)

// pruneChunk is how many message ids one retention transaction covers, so
// that erasing a year of messages never holds the writer for long.
const pruneChunk = 5000

// PruneMessageContent erases, for retention, the text of the messages
// created before before: their body becomes empty (the record of each
// message — kind, masked number, status timeline, carrier ids — stays as
// long as the audit archive keeps what refers to it). Messages not yet
// finished keep their text. It works a chunk of ids at a time, appends one
// audit.ContentPruned record by the system saying how many were erased, and
// returns that count. A cutoff less than audit.MinRetention before Now() is
// EINVALID (field "before").
func (db *DB) PruneMessageContent(ctx context.Context, before time.Time) (int64, error) {
	now := db.Now()
	if limit := now.Add(-audit.MinRetention); before.After(limit) {
		return 0, taxsms.Invalid("before", "%s is less than six months ago; message texts are kept until %s at least",
			before.UTC().Format(time.DateOnly), limit.UTC().Format(time.DateOnly))
	}
	end, err := db.MessageIDAt(ctx, before)
	if err != nil {
		return 0, err
	}
	if end == 0 { // every message is older than before
		if err := db.db.QueryRowContext(ctx, "SELECT COALESCE(MAX(id), 0) + 1 FROM messages").Scan(&end); err != nil {
			return 0, err
		}
	}
	var erased int64
	for from := int64(0); from < end; from += pruneChunk {
		to := min(from+pruneChunk, end)
		err := db.inTx(ctx, func(tx *sql.Tx) error {
			res, err := tx.ExecContext(ctx, db.q("EraseMessageBodies"), ms(now), from, to, ms(before))
			if err != nil {
				return err
			}
			n, err := res.RowsAffected()
			erased += n
			return err
		})
		if err != nil {
			return erased, err
		}
	}
	if erased == 0 {
		return 0, nil
	}
	return erased, db.AppendAudit(ctx, audit.Entry{At: now, Actor: audit.System, Action: audit.ContentPruned,
		Detail: fmt.Sprintf("retention erased the text of %d messages created before %s", erased, before.UTC().Format(time.RFC3339))})
}
