package store

import (
	"context"
	"strings"

	"taxsms"
	"taxsms/auth"
)

// ListOfficesAfter returns one page of the offices matching f within the
// actor's read scope, in tree order (by path) after the office whose Path
// is after ("" for the first page). An unknown f.Subtree is ENOTFOUND.
func (db *DB) ListOfficesAfter(ctx context.Context, f taxsms.OfficeFilter, after string) ([]*taxsms.Office, error) {
	prefix, err := db.subtreePrefix(ctx, f.Subtree)
	if err != nil {
		return nil, err
	}
	like := ""
	if prefix != "" {
		like = prefix + "%"
	}
	read := auth.AccessFrom(ctx, auth.DataOffices).Read
	if read.Level == auth.LevelSubtree && (like == "" || !strings.HasPrefix(prefix, read.Path)) {
		// Keep to the actor's subtree in SQL: a page never scans offices
		// it would drop. A filter outside the subtree finds nothing.
		if like != "" && !strings.HasPrefix(read.Path, prefix) {
			return nil, nil
		}
		like = read.Path + "%"
	}
	n := limit(f.Limit)
	rows, err := db.db.QueryContext(ctx, db.q("SelectOfficesAfter"), like, like, f.Code, f.Code, after, n)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*taxsms.Office
	for rows.Next() {
		o, err := scanOffice(rows)
		if err != nil {
			return nil, err
		}
		if read.Contains(o.Path, 0) {
			out = append(out, o)
		}
	}
	return out, rows.Err()
}

// ListUsersAfter returns one page of the users matching f within the
// actor's read scope, by id, after the user with id after (0 for the first
// page). An unknown f.Subtree is ENOTFOUND.
func (db *DB) ListUsersAfter(ctx context.Context, f taxsms.UserFilter, after int64) ([]*taxsms.User, error) {
	return db.listUsers(ctx, f, []string{"u.id > ?"}, []any{after})
}
