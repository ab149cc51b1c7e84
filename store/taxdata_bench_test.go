package store_test

import (
	"context"
	"database/sql"
	"fmt"
	"iter"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"taxsms"
	"taxsms/store"
	"taxsms/store/storetest"
)

// openTaxCity returns a new SQLite file of TAXSMS_BENCH_N taxpayers
// (default 20,000), each with two active contacts and a 增值税 obligation for
// 2026-11 due on 2026-12-15, of which one in ten is filed.
func openTaxCity(b *testing.B) (*store.DB, int) {
	b.Helper()
	n := 20000
	if v, err := strconv.Atoi(os.Getenv("TAXSMS_BENCH_N")); err == nil && v > 0 {
		n = v
	}
	path := filepath.Join(b.TempDir(), "taxcity.db")
	start := time.Now()
	if err := buildTaxCity("sqlite:"+path, path, n); err != nil {
		b.Fatal(err)
	}
	b.Logf("built a city of %d taxpayers, %d contacts and %d obligations in %v", n, 2*n, n, time.Since(start).Round(time.Millisecond))
	return storetest.OpenDSN(b, "sqlite:"+path, storetest.Box(b)), n
}

// taxDue is the filing deadline of openTaxCity's obligations.
var taxDue = taxsms.Date{Year: 2026, Month: 12, Day: 15}

// buildTaxCity migrates a new database, fills its taxpayers and contacts
// with SQL (the import path is measured by the importer's benchmark), and
// upserts the obligations and filings through the store.
func buildTaxCity(dsn, path string, n int) error {
	ctx := context.Background()
	box := storetest.Box(&testing.B{})
	db, err := store.Open(ctx, dsn, box)
	if err != nil {
		return err
	}
	db.Close()
	raw, err := sql.Open("sqlite", "file:"+path+"?_pragma=foreign_keys(1)&_pragma=journal_mode(WAL)&_pragma=synchronous(NORMAL)")
	if err != nil {
		return err
	}
	defer raw.Close()
	const mobile = "13800000000"
	series := fmt.Sprintf("WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < %d) ", n)
	for _, q := range []struct {
		sql  string
		args []any
	}{
		{"INSERT INTO offices (id, code, name, phone, path, created_at, updated_at) VALUES (1, 'QD', '青岛市税务局', '0532-12366', '/1/', 0, 0)", nil},
		{series + "INSERT INTO taxpayers (id, identifier, id_type, name, office_id, reg_status, created_at, updated_at) " +
			"SELECT i, printf('91370202MA%08d', i), 'uscc', printf('青岛海纳贸易%d有限公司', i), 1, 'registered', 0, 0 FROM s", nil},
		{series + "INSERT INTO contacts (taxpayer_id, role, name, mobile_enc, mobile_hash, mobile_mask, status, status_since, status_channel, created_at, updated_at) " +
			"SELECT i, r.role, '联系人', ?, ?, ?, 'active', 0, 'import', 0, 0 FROM s, (SELECT 'legal_rep' AS role UNION ALL SELECT 'tax_clerk') r",
			[]any{box.Seal(mobile), box.Hash(mobile), taxsms.MaskMobile(mobile)}},
	} {
		if _, err := raw.ExecContext(ctx, q.sql, q.args...); err != nil {
			return fmt.Errorf("%.60s: %w", q.sql, err)
		}
	}
	raw.Close()
	db, err = store.Open(ctx, dsn, box)
	if err != nil {
		return err
	}
	defer db.Close()
	if _, err := db.UpsertObligations(ctx, obligations(n, "2026-11", taxDue)); err != nil {
		return err
	}
	filings := func(yield func(*taxsms.Filing, error) bool) {
		for i := 1; i <= n; i += 10 {
			if !yield(&taxsms.Filing{TaxpayerID: int64(i), TaxType: "增值税", Period: "2026-11", FiledOn: taxsms.Date{Year: 2026, Month: 12, Day: 3}, AmountDue: 100}, nil) {
				return
			}
		}
	}
	_, err = db.UpsertFilings(ctx, filings)
	return err
}

// obligations yields one 增值税 obligation of period for taxpayers 1 to n.
func obligations(n int, period taxsms.Period, due taxsms.Date) iter.Seq2[*taxsms.Obligation, error] {
	return func(yield func(*taxsms.Obligation, error) bool) {
		for i := 1; i <= n; i++ {
			if !yield(&taxsms.Obligation{TaxpayerID: int64(i), TaxType: "增值税", Period: period, FilingDue: due}, nil) {
				return
			}
		}
	}
}

// BenchmarkUpsertObligations upserts one obligation for each of the
// TAXSMS_BENCH_N taxpayers in a SQLite file: Insert with a new period each
// time, Unchanged the same obligations again.
//
//	TAXSMS_BENCH_N=1000000 go test ./store -run '^$' -bench UpsertObligations -benchtime 1x
func BenchmarkUpsertObligations(b *testing.B) {
	db, n := openTaxCity(b)
	ctx := context.Background()
	month := 0
	b.Run("Insert", func(b *testing.B) {
		for b.Loop() {
			month++
			p := taxsms.Period(fmt.Sprintf("%04d-%02d", 2030+month/12, 1+month%12))
			got, err := db.UpsertObligations(ctx, obligations(n, p, p.End()))
			if err != nil || got.Inserted != n {
				b.Fatalf("UpsertObligations = %+v, %v; want %d inserted", got, err, n)
			}
		}
		b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "rows/s")
	})
	b.Run("Unchanged", func(b *testing.B) {
		for b.Loop() {
			got, err := db.UpsertObligations(ctx, obligations(n, "2026-11", taxDue))
			if err != nil || got.Unchanged != n {
				b.Fatalf("UpsertObligations = %+v, %v; want %d unchanged", got, err, n)
			}
		}
		b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "rows/s")
	})
}

// BenchmarkUnfiled reads the unfiled obligations due on one day for
// TAXSMS_BENCH_N taxpayers with two contacts each (nine in ten unfiled), as
// the reminders before the deadline do, numbers in the clear.
//
//	TAXSMS_BENCH_N=1000000 go test ./store -run '^$' -bench Unfiled -benchtime 1x
func BenchmarkUnfiled(b *testing.B) {
	db, n := openTaxCity(b)
	ctx := context.Background()
	var dues, contacts int
	for b.Loop() {
		dues, contacts = 0, 0
		for d, err := range db.Unfiled(ctx, taxDue, taxDue) {
			if err != nil {
				b.Fatal(err)
			}
			dues++
			contacts += len(d.Contacts)
		}
	}
	if want := n - (n+9)/10; dues != want || contacts != 2*want {
		b.Fatalf("Unfiled = %d dues, %d contacts; want %d and %d", dues, contacts, want, 2*want)
	}
	b.ReportMetric(float64(dues*b.N)/b.Elapsed().Seconds(), "dues/s")
	b.ReportMetric(float64(contacts*b.N)/b.Elapsed().Seconds(), "contacts/s")
}

// BenchmarkUpsertFilings records a filing on each of the TAXSMS_BENCH_N
// obligations of a SQLite file, each time with another date, so that every
// row changes and is looked up for waiting reminders to cancel.
//
//	TAXSMS_BENCH_N=1000000 go test ./store -run '^$' -bench UpsertFilings -benchtime 1x
func BenchmarkUpsertFilings(b *testing.B) {
	db, n := openTaxCity(b)
	ctx := context.Background()
	k := 0
	for b.Loop() {
		k++
		on := taxsms.DateOf(time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, k%14))
		filings := func(yield func(*taxsms.Filing, error) bool) {
			for i := 1; i <= n; i++ {
				if !yield(&taxsms.Filing{TaxpayerID: int64(i), TaxType: "增值税", Period: "2026-11", FiledOn: on, AmountDue: 100}, nil) {
					return
				}
			}
		}
		got, err := db.UpsertFilings(ctx, filings)
		if err != nil || got.Updated != n {
			b.Fatalf("UpsertFilings = %+v, %v; want %d updated", got, err, n)
		}
	}
	b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "rows/s")
}
