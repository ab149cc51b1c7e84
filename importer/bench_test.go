package importer_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"taxsms/importer"
	"taxsms/pii"
	"taxsms/store"
	"taxsms/synth"
)

// benchN is the number of taxpayers BenchmarkImport_Million imports:
// TAXSMS_BENCH_N if set (1000000 for the real figure), else 20,000, or
// 2,000 with -short.
func benchN(b *testing.B) int {
	if s := os.Getenv("TAXSMS_BENCH_N"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 0 {
			b.Fatalf("TAXSMS_BENCH_N=%q: want a number of taxpayers", s)
		}
		return n
	}
	if testing.Short() {
		return 2_000
	}
	return 20_000
}

// BenchmarkImport_Million imports a synthetic city of N taxpayers with two
// contacts each into a new SQLite file database:
//
//	TAXSMS_BENCH_N=1000000 go test ./importer -run '^$' -bench Million -benchtime 1x
func BenchmarkImport_Million(b *testing.B) {
	n := benchN(b)
	dir := b.TempDir()
	fs, err := synth.Write(filepath.Join(dir, "city"), synth.Config{Seed: 1, Taxpayers: n, ContactsPer: 2})
	if err != nil {
		b.Fatal(err)
	}
	box, err := pii.New(map[byte][]byte{1: bytes.Repeat([]byte{1}, pii.KeySize)}, bytes.Repeat([]byte{2}, pii.KeySize))
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	i := 0
	for b.Loop() {
		i++
		db, err := store.Open(ctx, "sqlite:"+filepath.Join(dir, fmt.Sprintf("db%d", i), "taxsms.db"), box)
		if err != nil {
			b.Fatal(err)
		}
		for _, f := range []struct {
			kind importer.Kind
			path string
		}{
			{importer.Offices, fs.Offices},
			{importer.Users, fs.Users},
			{importer.Taxpayers, fs.Taxpayers},
			{importer.Contacts, fs.Contacts},
		} {
			start := time.Now()
			rep, err := importer.File(ctx, db, f.kind, f.path, importer.Options{})
			b.Logf("%s: %d rows in %v", filepath.Base(f.path), rep.Rows, time.Since(start).Round(time.Millisecond))
			if err != nil {
				b.Fatalf("%v\n%v", err, rep)
			}
			if rep.Inserted != rep.Rows {
				b.Fatalf("%s: %d of %d rows inserted", f.path, rep.Inserted, rep.Rows)
			}
		}
		db.Close()
	}
	b.ReportMetric(float64(3*n*b.N)/b.Elapsed().Seconds(), "rows/s")
}
