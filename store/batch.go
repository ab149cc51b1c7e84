package store

import (
	"context"
	"database/sql"
	"fmt"
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

// repeat returns the named query with the part between /*rows*/ and /*end*/
// written n times, comma-separated: a VALUES list of n rows or an IN list
// of n values.
func (db *DB) repeat(name string, n int) string {
	q := rawQueries[name]
	i, j := strings.Index(q, "/*rows*/"), strings.Index(q, "/*end*/")
	if i < 0 || j < i {
		panic("store: query " + name + " has no /*rows*/ … /*end*/")
	}
	unit := q[i+len("/*rows*/") : j]
	var b strings.Builder
	b.Grow(len(q) + n*(len(unit)+2))
	b.WriteString(q[:i])
	for k := range n {
		if k > 0 {
			b.WriteString(", ")
		}
		b.WriteString(unit)
	}
	b.WriteString(q[j+len("/*end*/"):])
	return db.d.rewrite(b.String())
}

// chunkRows is how many rows a batched statement carries at most.
const chunkRows = 256

// batchSizes are the row counts the batched statements are prepared for;
// a batch is padded with NULL rows (which match nothing) up to the next.
var batchSizes = []int{1, 4, 16, 64, chunkRows}

// batchQueries are the queries written with /*rows*/ … /*end*/.
var batchQueries = []string{"MarkSubmittedBatch", "ReceiptParts", "LockMessages", "SettleMessages",
	"ContactsSetFailures", "ContactsAddFailures", "DeletePendingReceipts", "SelectMessagesByKey"}

type batchKey struct {
	name string
	rows int
}

// prepareBatches prepares every batched query at every size, so that the
// hot path never parses SQL (the SQLite driver otherwise parses each
// statement it runs).
func (db *DB) prepareBatches(ctx context.Context) error {
	db.batched = make(map[batchKey]*sql.Stmt)
	for _, name := range batchQueries {
		for _, n := range batchSizes {
			s, err := db.db.PrepareContext(ctx, db.repeat(name, n))
			if err != nil {
				return fmt.Errorf("store: prepare %s: %w", name, err)
			}
			db.batched[batchKey{name, n}] = s
		}
	}
	return nil
}

// closeBatches closes the prepared batched statements.
func (db *DB) closeBatches() {
	for _, s := range db.batched {
		s.Close()
	}
}

// batchStmt returns the statement of the batched query name for n rows
// (n <= chunkRows) in tx, and args padded with NULLs to the rows it takes:
// fixed leading arguments, then perRow per row.
func (db *DB) batchStmt(ctx context.Context, tx *sql.Tx, name string, n, fixed, perRow int, args []any) (*sql.Stmt, []any, error) {
	if db.batched == nil { // a private in-memory database: one connection, nothing prepared
		s, err := tx.PrepareContext(ctx, db.repeat(name, n))
		return s, args, err
	}
	rows := chunkRows
	for _, b := range batchSizes {
		if b >= n {
			rows = b
			break
		}
	}
	for len(args) < fixed+rows*perRow {
		args = append(args, nil)
	}
	return tx.StmtContext(ctx, db.batched[batchKey{name, rows}]), args, nil
}

// execBatch runs a batched statement that returns no rows.
func (db *DB) execBatch(ctx context.Context, tx *sql.Tx, name string, n, fixed, perRow int, args []any) error {
	stmt, args, err := db.batchStmt(ctx, tx, name, n, fixed, perRow, args)
	if err != nil {
		return err
	}
	_, err = stmt.ExecContext(ctx, args...)
	return err
}
