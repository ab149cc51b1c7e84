// Package storetest is the conformance suite of the store: the same tests run
// on every engine, so that SQLite and PostgreSQL behave alike.
package storetest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"os"
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

// Open returns a fresh, empty, migrated database on the engine, closed and
// (for PostgreSQL, a schema of its own) dropped when the test ends.
func Open(t testing.TB, engine string) *store.DB {
	t.Helper()
	ctx := context.Background()
	dsn := ":memory:"
	if engine == "postgres" {
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
		dsn = base + sep + "search_path=" + schema
	}
	db, err := store.Open(ctx, dsn, Box(t))
	if err != nil {
		t.Fatalf("open %s: %v", engine, err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}
