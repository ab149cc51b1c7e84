package store

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"
	"time"

	"taxsms"
	"taxsms/audit"
	"taxsms/auth"
	"taxsms/content"
)

// The lists of the content check are the city's: every text of every office
// is checked against them. Anyone may read them (the broadcasts check every
// text); saving one needs auth.PermEditWordLists and a city-wide reach, and
// records audit.ConfigChanged (object content_list/NAME) with the lines
// removed and added, in the same transaction.

// ContentLists is the content check's lists as stored.
type ContentLists struct {
	content.Lists
	// Edited tells, per list, when and by whom it was last saved; a list
	// missing here is the embedded one.
	Edited map[content.ListName]ListEdit
}

// ListEdit is the last save of a list.
type ListEdit struct {
	At     time.Time
	UserID int64 // 0: the system
}

// ContentLists returns the lists in force: those saved, and the embedded
// ones for the rest.
func (db *DB) ContentLists(ctx context.Context) (*ContentLists, error) {
	return db.contentLists(ctx, db.db)
}

func (db *DB) contentLists(ctx context.Context, q querier) (*ContentLists, error) {
	rows, err := q.QueryContext(ctx, db.q("SelectContentLists"))
	if err != nil {
		return nil, fmt.Errorf("content lists: %w", err)
	}
	defer rows.Close()
	out := &ContentLists{Lists: content.DefaultLists(), Edited: map[content.ListName]ListEdit{}}
	for rows.Next() {
		var name, body string
		var at, by int64
		if err := rows.Scan(&name, &body, &at, &by); err != nil {
			return nil, err
		}
		n := content.ListName(name)
		if !n.Valid() {
			continue
		}
		out.Lists = out.Lists.With(n, body)
		out.Edited[n] = ListEdit{At: fromMS(at), UserID: by}
	}
	return out, rows.Err()
}

// ContentListsVersion returns a value that changes whenever a list is saved
// or reset, for nodes to tell cheaply whether to rebuild their checker.
func (db *DB) ContentListsVersion(ctx context.Context) (string, error) {
	var at, n int64
	if err := db.db.QueryRowContext(ctx, db.q("SelectContentListsVersion")).Scan(&at, &n); err != nil {
		return "", fmt.Errorf("content lists version: %w", err)
	}
	return fmt.Sprintf("%d/%d", at, n), nil
}

// SetContentList saves the list name as text, or with text "" goes back to
// the embedded list. The lists with the change must build a checker
// (content.Lists.Checker), else EINVALID naming the list and the line, and
// nothing is saved. It returns the lists now in force.
func (db *DB) SetContentList(ctx context.Context, name content.ListName, text string) (*ContentLists, error) {
	a, _ := auth.FromContext(ctx)
	if err := a.Require(auth.PermEditWordLists); err != nil {
		return nil, err
	}
	if a.Access(auth.DataOffices).Write.Level != auth.LevelAll {
		return nil, taxsms.Errorf(taxsms.EFORBIDDEN, "%s may not change the content lists: they are the whole city's", a)
	}
	if !name.Valid() {
		return nil, taxsms.Invalid("list", "unknown list %q", name)
	}
	text = strings.ReplaceAll(text, "\r\n", "\n")
	var out *ContentLists
	err := db.inTx(ctx, func(tx *sql.Tx) error {
		cur, err := db.contentLists(ctx, tx)
		if err != nil {
			return err
		}
		next := text
		if next == "" {
			next = content.DefaultLists().Get(name)
		}
		if _, err := cur.Lists.With(name, next).Checker(); err != nil {
			return err
		}
		removed, added := lineDiff(cur.Get(name), next)
		now := db.Now().UTC().Truncate(time.Millisecond)
		detail := "content list saved"
		if text == "" {
			_, err = tx.ExecContext(ctx, db.q("DeleteContentList"), string(name))
			detail = "content list reset to the embedded one"
		} else {
			_, err = tx.ExecContext(ctx, db.q("UpsertContentList"), string(name), text, ms(now), a.UserID)
		}
		if err != nil {
			return fmt.Errorf("save content list %s: %w", name, err)
		}
		cur.Lists = cur.Lists.With(name, next)
		if text == "" {
			delete(cur.Edited, name)
		} else {
			cur.Edited[name] = ListEdit{At: now, UserID: a.UserID}
		}
		out = cur
		return db.appendChange(ctx, tx, audit.ConfigChanged, audit.Object{Type: "content_list", ID: string(name)},
			map[string]any{"removed": removed}, map[string]any{"added": added}, detail)
	})
	return out, err
}

// lineDiff returns the lines (trimmed, blank and comment lines ignored) of a
// missing from b and those of b missing from a, in order.
func lineDiff(a, b string) (removed, added []string) {
	set := func(s string) []string {
		var out []string
		for l := range strings.SplitSeq(s, "\n") {
			if l = strings.TrimSpace(l); l != "" && !strings.HasPrefix(l, "#") {
				out = append(out, l)
			}
		}
		return out
	}
	la, lb := set(a), set(b)
	removed, added = []string{}, []string{}
	for _, l := range la {
		if !slices.Contains(lb, l) {
			removed = append(removed, l)
		}
	}
	for _, l := range lb {
		if !slices.Contains(la, l) {
			added = append(added, l)
		}
	}
	return removed, added
}
