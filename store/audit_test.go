package store_test

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"taxsms"
	"taxsms/audit"
	"taxsms/store/storetest"
)

func benchEntries(n int) []audit.Entry {
	out := make([]audit.Entry, n)
	for i := range out {
		out[i] = audit.Entry{Actor: audit.User(7, "li.qiang", taxsms.RoleCityAdmin), Action: audit.MessageSent,
			Object: audit.Object{Type: "message", ID: fmt.Sprint(i)}, IP: "10.1.2.3", UserAgent: "Mozilla/5.0",
			Detail: "filing reminder to 138****5678"}
	}
	return out
}

// BenchmarkAppendAudit appends to a SQLite file, one entry per transaction
// (a sign-in) and a hundred per transaction (a batch of sends).
func BenchmarkAppendAudit(b *testing.B) {
	for _, batch := range []int{1, 100} {
		b.Run(fmt.Sprintf("Batch%d", batch), func(b *testing.B) {
			db := storetest.OpenDSN(b, "sqlite:"+filepath.Join(b.TempDir(), "audit.db"), storetest.Box(b))
			entries := benchEntries(batch)
			ctx := context.Background()
			for b.Loop() {
				if err := db.AppendAudit(ctx, entries...); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(batch*b.N)/b.Elapsed().Seconds(), "records/s")
		})
	}
}

// BenchmarkVerifyAudit checks a chain of 20,000 records in a SQLite file.
func BenchmarkVerifyAudit(b *testing.B) {
	const n = 20000
	db := storetest.OpenDSN(b, "sqlite:"+filepath.Join(b.TempDir(), "audit.db"), storetest.Box(b))
	ctx := context.Background()
	db.Now = func() time.Time { return time.Date(2026, 12, 3, 9, 0, 0, 0, time.UTC) }
	for range n / 1000 {
		if err := db.AppendAudit(ctx, benchEntries(1000)...); err != nil {
			b.Fatal(err)
		}
	}
	for b.Loop() {
		checked, broken, err := db.VerifyAudit(ctx)
		if err != nil || broken != nil || checked != n {
			b.Fatal(checked, broken, err)
		}
	}
	b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "records/s")
}
