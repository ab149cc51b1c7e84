package store

import (
	"context"
	"strconv"
	"strings"
	"time"

	"taxsms"
)

// DayCount is how many messages of one day, direction, kind and status
// there are.
type DayCount struct {
	Day       taxsms.Date // in the zone MessageStats was given
	Direction taxsms.Direction
	Kind      taxsms.Kind
	Status    taxsms.Status
	N         int
}

// MessageStats returns how many messages were created from since on, by day
// in loc, direction, kind and status, within the actor's scope (as
// ListMessages), in no particular order. It reads only the messages created
// since then: the first of them is found by a binary search over ids, which
// relies on ids growing with creation time (both engines allocate them so);
// a message committed out of order at that edge may be left out. The day of
// a message is decided with loc's offset at since, exact for zones without
// daylight saving time (Asia/Shanghai).
func (db *DB) MessageStats(ctx context.Context, since time.Time, loc *time.Location) ([]DayCount, error) {
	first, err := db.firstMessageFrom(ctx, since)
	if err != nil || first == 0 {
		return nil, err
	}
	_, off := since.In(loc).Zone()
	q := strings.Replace(db.q("MessageStatsSelect"), "{offset}", strconv.FormatInt(int64(off)*1000, 10), 1)
	scope, sargs := messageScope(ctx)
	q += " WHERE m.id >= ? AND m.created_at >= ? AND " + scope + " GROUP BY 1, 2, 3, 4"
	rows, err := db.db.QueryContext(ctx, db.rebind(q), append([]any{first, ms(since)}, sargs...)...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []DayCount
	for rows.Next() {
		var day int64
		var dir, kind, status string
		var n int
		if err := rows.Scan(&day, &dir, &kind, &status, &n); err != nil {
			return nil, err
		}
		out = append(out, DayCount{Day: taxsms.DateOf(time.Unix(day*86400, 0).UTC()), Direction: taxsms.Direction(dir),
			Kind: taxsms.Kind(kind), Status: taxsms.Status(status), N: n})
	}
	return out, rows.Err()
}

// firstMessageFrom returns the id of the first message created at or after
// since, or 0 if there is none: a binary search over ids, each step one
// look-up by primary key.
func (db *DB) firstMessageFrom(ctx context.Context, since time.Time) (int64, error) {
	var lo, hi int64
	if err := db.db.QueryRowContext(ctx, db.q("MessageIDBounds")).Scan(&lo, &hi); err != nil || hi == 0 {
		return 0, err
	}
	at := func(id int64) (int64, int64, error) {
		var got, created int64
		err := db.db.QueryRowContext(ctx, db.q("MessageFirstFrom"), id).Scan(&got, &created)
		return got, created, err
	}
	// Invariant: every message below lo was created before since; the
	// answer, if any, is at or below hi.
	if _, created, err := at(hi); err != nil {
		return 0, err
	} else if created < ms(since) {
		return 0, nil
	}
	for lo < hi {
		mid := lo + (hi-lo)/2
		got, created, err := at(mid)
		if err != nil {
			return 0, err
		}
		if created >= ms(since) {
			hi = mid
		} else {
			lo = got + 1
		}
	}
	return lo, nil
}
