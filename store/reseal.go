package store

import (
	"context"
	"database/sql"
	"fmt"
)

// Reseal re-seals, with the active data key, every stored number (and
// second-factor secret) that was sealed with another key, so that an old key can be retired after a
// rotation. It works in batches, each its own transaction, and may be run
// again after an interruption. It returns how many values it re-sealed.
func (db *DB) Reseal(ctx context.Context) (int, error) {
	total := 0
	for _, tc := range [][2]string{{"users", "mobile_enc"}, {"users", "totp_secret_enc"}, {"contacts", "mobile_enc"}, {"messages", "mobile_enc"}} {
		table, col := tc[0], tc[1]
		sel := db.rebind(fmt.Sprintf("SELECT id, %s FROM %s WHERE id > ? AND %s IS NOT NULL ORDER BY id LIMIT 1000", col, table, col))
		upd := db.rebind(fmt.Sprintf("UPDATE %s SET %s = ? WHERE id = ?", table, col))
		for after := int64(0); ; {
			n, last, err := db.resealBatch(ctx, sel, upd, after)
			if err != nil {
				return total, fmt.Errorf("reseal %s.%s: %w", table, col, err)
			}
			total += n
			if last == 0 {
				break
			}
			after = last
		}
	}
	return total, nil
}

// resealBatch re-seals one batch after id after; last is the batch's last id,
// 0 when there were no rows.
func (db *DB) resealBatch(ctx context.Context, sel, upd string, after int64) (n int, last int64, err error) {
	err = db.inTx(ctx, func(tx *sql.Tx) error {
		n, last = 0, 0
		rows, err := tx.QueryContext(ctx, sel, after)
		if err != nil {
			return err
		}
		type row struct {
			id  int64
			enc []byte
		}
		var stale []row
		for rows.Next() {
			var r row
			if err := rows.Scan(&r.id, &r.enc); err != nil {
				rows.Close()
				return err
			}
			last = r.id
			if len(r.enc) > 0 && r.enc[0] != db.box.Active() {
				stale = append(stale, r)
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		for _, r := range stale {
			v, err := db.box.Open(r.enc)
			if err != nil {
				return fmt.Errorf("row %d: %w", r.id, err)
			}
			if _, err := tx.ExecContext(ctx, upd, db.box.Seal(v), r.id); err != nil {
				return err
			}
			n++
		}
		return nil
	})
	return n, last, err
}
