package store

import (
	"bufio"
	"context"
	"database/sql"
	"embed"
	"errors"
	"io/fs"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5/pgconn"
	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" driver
	"github.com/pressly/goose/v3"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"taxsms"
)

//go:embed queries/*.sql
var queryFiles embed.FS

// dialect is everything that differs between SQLite and PostgreSQL.
type dialect struct {
	name    string // directory of its migrations
	driver  string
	goose   goose.Dialect
	queries map[string]string // by name, placeholders rewritten
	// rewrite turns a query as written ('?' placeholders, markers) into
	// the engine's form.
	rewrite func(string) string

	// configure sets pool limits; memory tells an in-memory database.
	configure func(db *sql.DB, memory bool)
	// violation classifies a constraint error: "unique", "foreign" or "".
	violation func(err error) string
	// xactLock takes a lock on a number until the transaction ends, "" where
	// transactions are serial anyway (SQLite has one writer).
	xactLock string
	// byIndex, run in a transaction, makes the rest of it look rows up by
	// index: PostgreSQL plans a join with a multi-row VALUES as a hash join
	// over a whole table while its statistics still say the table is small
	// (after a bulk load, before autoanalyze). "" where not needed.
	byIndex string
	// tryLock takes the lock named by its argument for the session if it
	// is free, returning a boolean; "" where one node runs (SQLite). See
	// Lock.
	tryLock string
	// unlockAll releases the session's locks at once.
	unlockAll string
	// least is the function of the smaller of two values; position that
	// of where a text is found in another (1 for its start, 0 if absent).
	least, position string
	// sortsGroups tells an engine that groups rows by sorting them
	// (SQLite): over many rows, reading them and summing them in Go costs
	// less.
	sortsGroups bool
}

var (
	sqliteDialect = &dialect{
		name: "sqlite", driver: "sqlite", goose: goose.DialectSQLite3, least: "MIN", position: "INSTR", sortsGroups: true,
		queries: loadQueries(sqliteRewrite),
		rewrite: sqliteRewrite,
		configure: func(db *sql.DB, memory bool) {
			// A shared-cache memory database lives while one connection is open.
			db.SetConnMaxIdleTime(0)
			db.SetConnMaxLifetime(0)
			if memory {
				db.SetMaxOpenConns(1)
			} else {
				db.SetMaxOpenConns(4)
			}
			db.SetMaxIdleConns(4)
		},
		violation: func(err error) string {
			var e *sqlite.Error
			if errors.As(err, &e) {
				switch e.Code() {
				case sqlite3.SQLITE_CONSTRAINT_UNIQUE, sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY:
					return "unique"
				case sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY:
					return "foreign"
				}
			}
			return ""
		},
	}
	postgresDialect = &dialect{
		name: "postgres", driver: "pgx", goose: goose.DialectPostgres, least: "LEAST", position: "STRPOS",
		xactLock: "SELECT pg_advisory_xact_lock($1)",
		byIndex:  "SET LOCAL enable_seqscan = off",
		// The lock's number is a hash of the schema and the name, so that
		// databases in schemas of their own have locks of their own.
		unlockAll: "SELECT pg_advisory_unlock_all()",
		tryLock:   "SELECT pg_try_advisory_lock(('x' || substr(md5(current_schema() || '/' || $1), 1, 16))::bit(64)::bigint)",
		queries:   loadQueries(postgresRewrite),
		rewrite:   postgresRewrite,
		configure: func(db *sql.DB, memory bool) { db.SetMaxOpenConns(16); db.SetMaxIdleConns(16) },
		violation: func(err error) string {
			var e *pgconn.PgError
			if errors.As(err, &e) {
				switch e.Code {
				case "23505":
					return "unique"
				case "23503":
					return "foreign"
				}
			}
			return ""
		},
	}
)

func sqliteRewrite(q string) string {
	return strings.NewReplacer(skipLocked, "", forUpdate, "", forShare, "").Replace(q)
}

func postgresRewrite(q string) string {
	return numberPlaceholders(strings.NewReplacer(skipLocked, "FOR UPDATE SKIP LOCKED", forUpdate, "FOR UPDATE", forShare, "FOR SHARE").Replace(q))
}

// skipLocked marks where a query that claims rows locks them on PostgreSQL,
// so that nodes claim disjoint rows; SQLite has one writer and needs nothing.
const skipLocked = "{{SKIP_LOCKED}}"

// forUpdate marks where a query locks the rows it reads on PostgreSQL, so
// that concurrent transactions settle a row one after the other.
const forUpdate = "{{FOR_UPDATE}}"

// forShare marks where a query locks the rows it reads against change on
// PostgreSQL while letting other readers share them (see billing).
const forShare = "{{FOR_SHARE}}"

// mapError turns constraint violations that escaped validation into errors a
// user may see; anything else is returned as it is.
func (d *dialect) mapError(err error) error {
	switch d.violation(err) {
	case "unique":
		return taxsms.Errorf(taxsms.ECONFLICT, "already exists")
	case "foreign":
		return taxsms.Errorf(taxsms.EINVALID, "refers to something that does not exist")
	}
	return err
}

// loadQueries reads every "-- name: X" block of queries/*.sql.
func loadQueries(rewrite func(string) string) map[string]string {
	out := make(map[string]string)
	files, _ := fs.Glob(queryFiles, "queries/*.sql")
	for _, f := range files {
		b, _ := queryFiles.ReadFile(f)
		var name string
		var body strings.Builder
		flush := func() {
			if name != "" {
				if _, dup := out[name]; dup {
					panic("store: query " + name + " defined twice")
				}
				out[name] = rewrite(strings.TrimSpace(body.String()))
			}
			body.Reset()
		}
		sc := bufio.NewScanner(strings.NewReader(string(b)))
		for sc.Scan() {
			line := sc.Text()
			if n, ok := strings.CutPrefix(line, "-- name: "); ok {
				flush()
				name = strings.TrimSpace(n)
				continue
			}
			if strings.HasPrefix(strings.TrimSpace(line), "--") {
				continue
			}
			body.WriteString(line)
			body.WriteByte('\n')
		}
		flush()
	}
	return out
}

// numberPlaceholders rewrites '?' placeholders as $1, $2, …, leaving quoted
// text alone.
func numberPlaceholders(q string) string {
	var b strings.Builder
	n, quoted := 0, false
	for i := 0; i < len(q); i++ {
		c := q[i]
		switch {
		case c == '\'':
			quoted = !quoted
		case c == '?' && !quoted:
			n++
			b.WriteString("$" + strconv.Itoa(n))
			continue
		}
		b.WriteByte(c)
	}
	return b.String()
}

// lock takes the transaction lock on key where the engine needs one.
func (d *dialect) lock(ctx context.Context, tx *sql.Tx, key int64) error {
	if d.xactLock == "" {
		return nil
	}
	_, err := tx.ExecContext(ctx, d.xactLock, key)
	return err
}
