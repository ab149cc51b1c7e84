// Package storetest is the conformance suite of the store: the same tests run
// on every engine, so that SQLite and PostgreSQL behave alike.
package storetest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"

	_ "github.com/jackc/pgx/v5/stdlib"

	"taxsms/pii"
	"taxsms/store"
)

// Box returns a pii.Box with fixed test keys.
func Box(t testing.TB) *pii.Box {
	t.Helper()
	key := make([]byte, pii.KeySize)
	for i := range key {
		key[i] = byte(i)
	}
	b, err := pii.New(map[byte][]byte{1: key}, key)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// Engines returns the engines to test on: "sqlite" always, and "postgres"
// when TAXSMS_TEST_POSTGRES holds a DSN. With TAXSMS_CI set, a missing
// PostgreSQL DSN fails the test instead of skipping that engine.
func Engines(t testing.TB) []string {
	if os.Getenv("TAXSMS_TEST_POSTGRES") != "" {
		return []string{"sqlite", "postgres"}
	}
	if os.Getenv("TAXSMS_CI") != "" {
		t.Fatal("TAXSMS_CI is set but TAXSMS_TEST_POSTGRES is empty: the PostgreSQL conformance run cannot be skipped")
	}
	t.Log("TAXSMS_TEST_POSTGRES is not set: testing on SQLite only")
	return []string{"sqlite"}
}

// Open returns a fresh, empty, migrated database on the engine (an
// in-memory SQLite, or a PostgreSQL schema of its own), closed and dropped
// when the test ends.
func Open(t testing.TB, engine string) *store.DB {
	t.Helper()
	return OpenDSN(t, DSN(t, engine, ":memory:"), Box(t))
}

// OpenDSN opens dsn with box, closing it when the test ends.
func OpenDSN(t testing.TB, dsn string, box *pii.Box) *store.DB {
	t.Helper()
	db, err := store.Open(context.Background(), dsn, box)
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// DSN returns the DSN of a fresh database on the engine: sqlite as given
// (":memory:" or "sqlite:PATH"), a new file for "sqlite-file", or a new PostgreSQL schema dropped when the
// test ends.
func DSN(t testing.TB, engine, sqlite string) string {
	t.Helper()
	if engine == "sqlite-file" { // a SQLite file: several connections, statements prepared
		return "sqlite:" + filepath.Join(t.TempDir(), "taxsms.db")
	}
	if engine != "postgres" {
		return sqlite
	}
	ctx := context.Background()
	base := os.Getenv("TAXSMS_TEST_POSTGRES")
	raw, err := sql.Open("pgx", base)
	if err != nil {
		t.Fatal(err)
	}
	b := make([]byte, 6)
	rand.Read(b)
	schema := "t_" + hex.EncodeToString(b)
	if _, err := raw.ExecContext(ctx, "CREATE SCHEMA "+schema); err != nil {
		t.Fatalf("create schema: %v", err)
	}
	t.Cleanup(func() {
		raw.ExecContext(context.Background(), "DROP SCHEMA "+schema+" CASCADE")
		raw.Close()
	})
	sep := "?"
	if strings.Contains(base, "?") {
		sep = "&"
	}
	return base + sep + "search_path=" + schema
}
