// Package store keeps the platform's data in SQLite (one file, the embedded
// default) or PostgreSQL (shared by several nodes). Both run the same code:
// SQL lives in embedded .sql files written with '?' placeholders, migrations
// are numbered alike for both engines, and the few engine differences sit in
// dialect.
//
// Every public method owns its transaction: it commits everything it did or
// nothing. Errors a user may see are *taxsms.Error (ENOTFOUND, ECONFLICT,
// EINVALID naming the field); anything else is internal.
//
// Mobile numbers are never stored in the clear: each row keeps the number
// sealed by a pii.Box, its keyed hash for look-up and its masked form.
package store

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pressly/goose/v3"

	"taxsms"
	"taxsms/pii"
)

//go:embed migrations
var migrations embed.FS

// DB is a handle on the platform's database. It is safe for concurrent use.
type DB struct {
	db  *sql.DB
	d   *dialect
	box *pii.Box
	dsn string
	// batched are the batched statements, prepared at Open (nil for a
	// private in-memory database, which has one connection).
	batched map[batchKey]*sql.Stmt
	// writer, on SQLite, lets one transaction at a time in: SQLite has one
	// writer, and waiters in its busy handler sleep and retry, so that
	// under load a transaction may wait many times its length. Queued
	// here, they go one after the other as soon as the last commits.
	writer *sync.Mutex

	// stopCheckpoints ends the checkpoints goroutine of a SQLite file.
	stopCheckpoints context.CancelFunc
	checkpointsDone chan struct{}

	// Now returns the current time; tests replace it.
	Now func() time.Time
}

var memorySeq atomic.Int64

// Open connects to the database named by dsn and applies pending migrations.
//
//	:memory:              a private in-memory SQLite database (tests)
//	sqlite:PATH           a SQLite file, created if missing
//	PATH ending in .db    the same
//	postgres://…          PostgreSQL (also postgresql://)
//
// Personal data is sealed and hashed with box.
func Open(ctx context.Context, dsn string, box *pii.Box) (*DB, error) {
	if box == nil {
		return nil, errors.New("store: no pii box")
	}
	var (
		d   *dialect
		src string
	)
	switch {
	// automatic_index(0): SQLite would otherwise build a transient index over
	// a whole table for a join it cannot estimate (the multi-row VALUES of the
	// batched receipts), once per statement; every query here has the index
	// it needs. mmap_size: a file's first 2 GB are read through memory
	// rather than a read call a page (a count reads every contact of a
	// city); an I/O error on the disk then stops the process rather than
	// failing one query.
	case dsn == ":memory:":
		d = sqliteDialect
		src = fmt.Sprintf("file:taxsms-mem-%d?mode=memory&cache=shared&_pragma=foreign_keys(1)&_pragma=busy_timeout(10000)&_pragma=automatic_index(0)&_txlock=immediate", memorySeq.Add(1))
	case strings.HasPrefix(dsn, "postgres://"), strings.HasPrefix(dsn, "postgresql://"):
		d = postgresDialect
		src = dsn
	case strings.HasPrefix(dsn, "sqlite:"), strings.HasSuffix(dsn, ".db"):
		path := strings.TrimPrefix(dsn, "sqlite:")
		if dir := filepath.Dir(path); dir != "" {
			if err := os.MkdirAll(dir, 0o700); err != nil {
				return nil, fmt.Errorf("store: %w", err)
			}
		}
		d = sqliteDialect
		src = "file:" + path + "?_pragma=foreign_keys(1)&_pragma=automatic_index(0)&_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)&_pragma=wal_autocheckpoint(100000)&_pragma=synchronous(NORMAL)&_pragma=cache_size(-32768)&_pragma=temp_store(MEMORY)&_pragma=mmap_size(2147418112)&_txlock=immediate"
	default:
		return nil, taxsms.Errorf(taxsms.EINVALID, "database: %q is neither sqlite:PATH, :memory: nor postgres://…", redactDSN(dsn))
	}
	sdb, err := sql.Open(d.driver, src)
	if err != nil {
		return nil, fmt.Errorf("store: open %s: %w", redactDSN(dsn), err)
	}
	d.configure(sdb, dsn == ":memory:")
	db := &DB{db: sdb, d: d, box: box, dsn: dsn, Now: time.Now}
	if d.xactLock == "" {
		db.writer = new(sync.Mutex)
	}
	if err := sdb.PingContext(ctx); err != nil {
		sdb.Close()
		return nil, fmt.Errorf("store: connect %s: %w", redactDSN(dsn), err)
	}
	if _, err := db.Migrate(ctx); err != nil {
		sdb.Close()
		return nil, err
	}
	if d == sqliteDialect && dsn != ":memory:" {
		cctx, stop := context.WithCancel(context.Background())
		db.stopCheckpoints, db.checkpointsDone = stop, make(chan struct{})
		go db.checkpoints(cctx, 500*time.Millisecond)
	}
	if dsn != ":memory:" {
		if err := db.prepareBatches(ctx); err != nil {
			db.Close()
			return nil, err
		}
	}
	return db, nil
}

// Close closes the database.
func (db *DB) Close() error {
	if db.stopCheckpoints != nil {
		db.stopCheckpoints()
		<-db.checkpointsDone
	}
	db.closeBatches()
	return db.db.Close()
}

// checkpoints copies the SQLite write-ahead log into the database every
// interval without blocking the writer (a passive checkpoint), so that
// commits never pay for it; SQLite's own checkpoint, run by a committing
// transaction, only steps in past 100,000 pages. It ends when ctx is done.
func (db *DB) checkpoints(ctx context.Context, interval time.Duration) {
	defer close(db.checkpointsDone)
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			db.db.ExecContext(ctx, "PRAGMA wal_checkpoint(PASSIVE)")
		}
	}
}

// Engine returns "sqlite" or "postgres".
func (db *DB) Engine() string { return db.d.name }

// Migrate applies the migrations not yet applied and returns their versions.
func (db *DB) Migrate(ctx context.Context) ([]int64, error) {
	sub, err := fs.Sub(migrations, "migrations/"+db.d.name)
	if err != nil {
		return nil, err
	}
	p, err := goose.NewProvider(db.d.goose, db.db, sub)
	if err != nil {
		return nil, fmt.Errorf("store: migrations: %w", err)
	}
	res, err := p.Up(ctx)
	if err != nil {
		return nil, fmt.Errorf("store: migrate: %w", err)
	}
	var versions []int64
	for _, r := range res {
		versions = append(versions, r.Source.Version)
	}
	return versions, nil
}

// redactDSN drops a password from a DSN so that it can be logged.
func redactDSN(dsn string) string {
	if i := strings.Index(dsn, "://"); i >= 0 {
		if at := strings.LastIndex(dsn, "@"); at > i {
			cred := dsn[i+3 : at]
			if u, _, ok := strings.Cut(cred, ":"); ok {
				return dsn[:i+3] + u + ":***" + dsn[at:]
			}
		}
	}
	return dsn
}

// inTx runs fn in a transaction, committing if it returns nil.
func (db *DB) inTx(ctx context.Context, fn func(tx *sql.Tx) error) error {
	if db.writer != nil {
		db.writer.Lock()
		defer db.writer.Unlock()
	}
	tx, err := db.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	if err := fn(tx); err != nil {
		tx.Rollback()
		return db.d.mapError(err)
	}
	if err := tx.Commit(); err != nil {
		return db.d.mapError(fmt.Errorf("commit: %w", err))
	}
	return nil
}

// q returns the named query in the dialect's placeholder form.
func (db *DB) q(name string) string {
	s, ok := db.d.queries[name]
	if !ok {
		panic("store: no query " + name)
	}
	return s
}

// ms converts an instant to the stored form: milliseconds since the epoch, 0 for zero.
func ms(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMilli()
}

// fromMS is the inverse of ms.
func fromMS(v int64) time.Time {
	if v == 0 {
		return time.Time{}
	}
	return time.UnixMilli(v).UTC()
}

func nullID(id int64) sql.NullInt64 { return sql.NullInt64{Int64: id, Valid: id > 0} }

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// sealMobile returns the three stored forms of a normalised number.
func (db *DB) sealMobile(m string) (enc, hash []byte, mask string) {
	if m == "" {
		return nil, nil, ""
	}
	return db.box.Seal(m), db.box.Hash(m), taxsms.MaskMobile(m)
}

func (db *DB) openMobile(enc []byte) (string, error) {
	if len(enc) == 0 {
		return "", nil
	}
	return db.box.Open(enc)
}

// scanner is a *sql.Row or *sql.Rows.
type scanner interface{ Scan(dest ...any) error }

// limit clamps a page size to 1..1000, 50 by default.
func limit(n int) int {
	switch {
	case n <= 0:
		return 50
	case n > 1000:
		return 1000
	}
	return n
}

// Ping checks that the database answers.
func (db *DB) Ping(ctx context.Context) error { return db.db.PingContext(ctx) }
