package store_test

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"taxsms/invoice"
	"taxsms/store/storetest"
)

// BenchmarkLookupInvoice looks invoices up, half by code and number and half
// by 数电 number, in a SQLite file of TAXSMS_BENCH_N invoices (default
// 20,000) loaded through UpsertInvoices, whose time it logs.
//
//	TAXSMS_BENCH_N=1000000 go test ./store -run '^$' -bench LookupInvoice
func BenchmarkLookupInvoice(b *testing.B) {
	n := 20000
	if v, err := strconv.Atoi(os.Getenv("TAXSMS_BENCH_N")); err == nil && v > 0 {
		n = v
	}
	ctx := context.Background()
	db := storetest.OpenDSN(b, "sqlite:"+filepath.Join(b.TempDir(), "invoices.db"), storetest.Box(b))
	start := time.Now()
	got, err := db.UpsertInvoices(ctx, func(yield func(*invoice.Record, error) bool) {
		for i := range n {
			if !yield(storetest.NewInvoice(i), nil) {
				return
			}
		}
	})
	if err != nil {
		b.Fatal(err)
	}
	b.Logf("upserted %d invoices in %v", got.Inserted, time.Since(start).Round(time.Millisecond))
	qs := make([]invoice.Query, 1024)
	for i := range qs {
		qs[i] = storetest.NewInvoice((i * 7919) % n).Query()
	}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		if _, err := db.LookupInvoice(ctx, qs[i%len(qs)]); err != nil {
			b.Fatal(err)
		}
		i++
	}
}
