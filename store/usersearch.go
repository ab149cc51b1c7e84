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
	like := "%" + likeEscaper.Replace(text) + "%"
	return db.listUsers(ctx, f, []string{"u.id > ?", `(u.login LIKE ? ESCAPE '\' OR u.name LIKE ? ESCAPE '\')`}, []any{after, like, like})
}
