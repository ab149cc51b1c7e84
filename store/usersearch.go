package store

import (
	"context"
	"strings"

	"taxsms"
)

// SearchUsersAfter is ListUsersAfter with a text search as well: with text
// not empty, only the users whose login or name contains it (taken
// literally; in ASCII without regard to case on SQLite, exactly on
// PostgreSQL's LIKE). Users are few (thousands), so the search reads the
// scope's users in id order and stops at the page's limit.
func (db *DB) SearchUsersAfter(ctx context.Context, f taxsms.UserFilter, text string, after int64) ([]*taxsms.User, error) {
	text = strings.TrimSpace(text)
	if text == "" {
		return db.ListUsersAfter(ctx, f, after)
	}
	where, args := []string{"u.id > ?"}, []any{after}
	if f.Subtree != 0 {
		prefix, err := db.subtreePrefix(ctx, f.Subtree)
		if err != nil {
			return nil, err
		}
		where, args = append(where, "o.path LIKE ?"), append(args, prefix+"%")
	}
	if f.Role != "" {
		where, args = append(where, "u.role = ?"), append(args, string(f.Role))
	}
	if f.Login != "" {
		where, args = append(where, "u.login = ?"), append(args, f.Login)
	}
	like := "%" + likeEscaper.Replace(text) + "%"
	where, args = append(where, `(u.login LIKE ? ESCAPE '\' OR u.name LIKE ? ESCAPE '\')`), append(args, like, like)
	scope, sargs := userScope(ctx)
	where, args = append(where, scope), append(args, sargs...)
	q := db.q("UserColumns") + " WHERE " + strings.Join(where, " AND ") + " ORDER BY u.id LIMIT ?"
	rows, err := db.db.QueryContext(ctx, db.rebind(q), append(args, limit(f.Limit))...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*taxsms.User
	for rows.Next() {
		u, err := db.scanUser(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, u)
	}
	return out, rows.Err()
}
