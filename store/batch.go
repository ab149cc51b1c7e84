package store

import (
	"context"
	"database/sql"
	"strings"
)

// rawQueries are the queries as written, with '?' placeholders.
var rawQueries = loadQueries(func(q string) string { return q })

// multiRow returns the named single-row "INSERT … VALUES (…)" as one
// statement that inserts rows rows and returns the given columns.
func (db *DB) multiRow(name string, rows int, returning string) string {
	q := rawQueries[name]
	i := strings.Index(q, "VALUES") + len("VALUES")
	head, tuple := q[:i], q[i:]
	if j := strings.Index(tuple, "RETURNING"); j >= 0 {
		tuple = tuple[:j]
	}
	tuple = strings.TrimSuffix(strings.TrimSpace(tuple), ";")
	var b strings.Builder
	b.WriteString(head)
	for k := range rows {
		if k > 0 {
			b.WriteByte(',')
		}
		b.WriteString(tuple)
	}
	if returning != "" {
		b.WriteString(" RETURNING " + returning)
	}
	return db.rebind(b.String())
}

// batchRows is how many rows a bulk insert sends in one statement.
const batchRows = 128

// batcher inserts rows with one multi-row INSERT per batchRows rows, which
// costs far less per row than one statement each. It belongs to one
// transaction; call flush before the transaction commits.
type batcher struct {
	ctx       context.Context
	db        *DB
	tx        *sql.Tx
	name      string                // the single-row INSERT query
	returning string                // columns to return, or ""
	scan      func(*sql.Rows) error // called for each returned row

	full *sql.Stmt // the statement for a full batch, prepared on first use
	args []any
	n    int
}

// add queues one row; its args are the single-row query's arguments.
func (b *batcher) add(args ...any) error {
	b.args = append(b.args, args...)
	b.n++
	if b.n == batchRows {
		return b.flush()
	}
	return nil
}

// flush inserts the queued rows.
func (b *batcher) flush() error {
	if b.n == 0 {
		return nil
	}
	stmt := b.full
	if b.n < batchRows || stmt == nil {
		s, err := b.tx.PrepareContext(b.ctx, b.db.multiRow(b.name, b.n, b.returning))
		if err != nil {
			return err
		}
		if b.n == batchRows {
			b.full = s
		} else {
			defer s.Close()
		}
		stmt = s
	}
	args := b.args
	b.args, b.n = b.args[:0], 0
	if b.returning == "" {
		_, err := stmt.ExecContext(b.ctx, args...)
		return err
	}
	rows, err := stmt.QueryContext(b.ctx, args...)
	if err != nil {
		return err
	}
	for rows.Next() {
		if err := b.scan(rows); err != nil {
			rows.Close()
			return err
		}
	}
	rows.Close()
	return rows.Err()
}

// close releases the prepared statement.
func (b *batcher) close() {
	if b.full != nil {
		b.full.Close()
	}
}
