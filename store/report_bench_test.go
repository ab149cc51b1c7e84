package store_test

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"taxsms"
	"taxsms/calendar"
	"taxsms/remind"
	"taxsms/store"
	"taxsms/store/storetest"
)

// openReportCity returns a new city of TAXSMS_BENCH_N taxpayers (default
// 20,000) on the engine: a SQLite file, or a PostgreSQL schema of its own
// (vacuumed and analyzed, as autovacuum leaves a settled database). The
// city has 8 branches, taxpayers registered over three years, each with one
// contact (one in ten pending), and two messages to each contact over the
// 30 days before 2026-12-04 (one in ten failed; one in 50 written by
// staff); one contact in a hundred has three failures in a row and is on
// the worklist. Each taxpayer has a 增值税 obligation of 2026-10, due
// 2026-11-16, nine in ten filed.
func openReportCity(b *testing.B, engine string) (*store.DB, int) {
	b.Helper()
	n := 20000
	if v, err := strconv.Atoi(os.Getenv("TAXSMS_BENCH_N")); err == nil && v > 0 {
		n = v
	}
	var dsn string
	if engine == "postgres" {
		dsn = storetest.DSN(b, "postgres", "")
	} else {
		dsn = "sqlite:" + filepath.Join(b.TempDir(), "reportcity.db")
	}
	start := time.Now()
	if err := buildReportCity(dsn, engine, n); err != nil {
		b.Fatal(err)
	}
	b.Logf("built a city of %d taxpayers and %d messages on %s in %v", n, 2*n+n/100, engine, time.Since(start).Round(time.Millisecond))
	db := storetest.OpenDSN(b, dsn, storetest.Box(b))
	db.Now = func() time.Time { return time.Date(2026, 12, 4, 2, 0, 0, 0, time.UTC) }
	return db, n
}

// cityRows are the statements that fill a city of n taxpayers, in the
// engine's SQL (the same rows on both), with their arguments.
func cityRows(engine string, n int, enc []byte, mask string) []struct {
	sql  string
	args []any
} {
	day := int64(24 * time.Hour / time.Millisecond)
	end := time.Date(2026, 12, 4, 0, 0, 0, 0, time.UTC).UnixMilli()
	// Messages: 2n in created order, message k to taxpayer (k+1)/2 on day
	// k*30/(2n) of the 30; then the third failure of every hundredth.
	created := fmt.Sprintf("%d + k * %d / %d, %d + k * %d / %d + 60000, 0", end-30*day, 30*day, 2*n, end-30*day, 30*day, 2*n)
	// The engines differ in how they count rows and write text.
	upto := func(v string, from, to int) string { // rows v from..to
		if engine == "postgres" {
			return fmt.Sprintf(" FROM generate_series(%d, %d) %s", from, to, v)
		}
		return fmt.Sprintf(" FROM (WITH RECURSIVE s(%s) AS (SELECT %d UNION ALL SELECT %s + 1 FROM s WHERE %s < %d) SELECT %s FROM s)", v, from, v, v, to, v)
	}
	format := func(f string, args ...string) string { // f with %s for each arg
		if engine == "postgres" {
			return "format('" + f + "', " + strings.Join(args, ", ") + ")"
		}
		return "printf('" + strings.ReplaceAll(f, "%s", "%d") + "', " + strings.Join(args, ", ") + ")"
	}
	identifier := "printf('91370202MA%08d', i)"
	registered := "date('2024-01-01', '+' || (i % 1068) || ' days')"
	hash := func(v string) string { return "CAST(printf('h%d', " + v + ") AS BLOB)" }
	if engine == "postgres" {
		identifier = "'91370202MA' || lpad(i::text, 8, '0')"
		registered = "to_char(date '2024-01-01' + (i % 1068), 'YYYY-MM-DD')"
		hash = func(v string) string { return "convert_to('h' || (" + v + "), 'UTF8')" }
	}
	ph := func(i int) string { // the i-th placeholder
		if engine == "postgres" {
			return fmt.Sprintf("$%d", i)
		}
		return "?"
	}
	failed := "((k + 1) / 2) % 100 = 1 OR k % 10 = 3"
	return []struct {
		sql  string
		args []any
	}{
		{"INSERT INTO offices (id, code, name, phone, path, created_at, updated_at) VALUES (1, 'QD', '青岛市税务局', '0532-12366', '/1/', 0, 0)", nil},
		{"INSERT INTO offices (id, code, name, phone, path, created_at, updated_at) " +
			"SELECT i, 'B' || i, '第' || i || '分局', '', '/1/' || i || '/', 0, 0" + upto("i", 2, 9), nil},
		{"INSERT INTO users (id, login, name, office_id, role, status, created_at, updated_at) VALUES (1, 'op', '王芳', 2, 'operator', 'active', 0, 0)", nil},
		{"INSERT INTO taxpayers (id, identifier, id_type, name, office_id, reg_status, registered_on, created_at, updated_at) " +
			"SELECT i, " + identifier + ", 'uscc', " + format("青岛海纳贸易%s有限公司", "i") + ", 2 + i % 8, 'registered', " +
			registered + ", 0, 0" + upto("i", 1, n), nil},
		{"INSERT INTO contacts (id, taxpayer_id, role, name, mobile_enc, mobile_hash, mobile_mask, status, status_since, status_channel, failures, created_at, updated_at) " +
			"SELECT i, i, 'legal_rep', '联系人', " + ph(1) + ", " + hash("i") + ", " + ph(2) + ", CASE WHEN i % 10 = 0 THEN 'pending' ELSE 'active' END, " +
			"0, 'import', CASE WHEN i % 100 = 1 THEN 3 ELSE 0 END, 0, 0" + upto("i", 1, n),
			[]any{enc, mask}},
		{"INSERT INTO messages (direction, kind, priority, mobile_enc, mobile_hash, mobile_mask, taxpayer_id, contact_id, office_id, author_id, " +
			"body, segments, status, carrier, error, idempotency_key, created_at, done_at, updated_at) " +
			"SELECT 'mt', CASE WHEN k % 2 = 0 THEN 'filing_reminder' ELSE 'unpaid_tax' END, 1, " + ph(1) + ", " + hash("(k + 1) / 2") + ", " + ph(2) + ", " +
			"(k + 1) / 2, (k + 1) / 2, 2 + ((k + 1) / 2) % 8, CASE WHEN k % 50 = 0 THEN 1 END, '【12366】请申报', 1, " +
			"CASE WHEN " + failed + " THEN 'failed' ELSE 'delivered' END, " +
			"CASE k % 3 WHEN 0 THEN 'mobile' WHEN 1 THEN 'unicom' ELSE 'telecom' END, " +
			"CASE WHEN " + failed + " THEN 'UNDELIV MK:0001' ELSE '' END, " +
			"CASE WHEN k % 2 = 0 THEN " + format("remind/before_deadline-3/2026-10/%s/%s", "(k + 1) / 2", "(k + 1) / 2") + " END, " +
			created + upto("k", 1, 2*n),
			[]any{enc, mask}},
		{"INSERT INTO messages (direction, kind, priority, mobile_enc, mobile_hash, mobile_mask, taxpayer_id, contact_id, office_id, " +
			"body, segments, status, carrier, error, created_at, done_at, updated_at) " +
			"SELECT 'mt', 'unpaid_tax', 1, " + ph(1) + ", " + hash("i") + ", " + ph(2) + ", i, i, 2 + i % 8, '【12366】欠税', 1, 'failed', 'mobile', 'UNDELIV MK:0005', " +
			fmt.Sprintf("%d, %d, 0", end, end+60000) + upto("i", 1, n) + " WHERE i % 100 = 1",
			[]any{enc, mask}},
	}
}

func buildReportCity(dsn, engine string, n int) error {
	ctx := context.Background()
	box := storetest.Box(&testing.B{})
	db, err := store.Open(ctx, dsn, box)
	if err != nil {
		return err
	}
	db.Close()
	var raw *sql.DB
	if engine == "postgres" {
		raw, err = sql.Open("pgx", dsn)
	} else {
		raw, err = sql.Open("sqlite", "file:"+strings.TrimPrefix(dsn, "sqlite:")+"?_pragma=foreign_keys(1)&_pragma=journal_mode(WAL)&_pragma=synchronous(NORMAL)")
	}
	if err != nil {
		return err
	}
	defer raw.Close()
	const mobile = "13800000000"
	for _, q := range cityRows(engine, n, box.Seal(mobile), taxsms.MaskMobile(mobile)) {
		if _, err := raw.ExecContext(ctx, q.sql, q.args...); err != nil {
			return fmt.Errorf("%.60s: %w", q.sql, err)
		}
	}
	db, err = store.Open(ctx, dsn, box)
	if err != nil {
		return err
	}
	defer db.Close()
	if _, err := db.UpsertObligations(ctx, obligations(n, "2026-10", taxsms.Date{Year: 2026, Month: 11, Day: 16})); err != nil {
		return err
	}
	filings := func(yield func(*taxsms.Filing, error) bool) {
		for i := 1; i <= n; i++ {
			if i%10 != 0 && !yield(&taxsms.Filing{TaxpayerID: int64(i), TaxType: "增值税", Period: "2026-10", FiledOn: taxsms.Date{Year: 2026, Month: 11, Day: 10 + i%10}}, nil) {
				return
			}
		}
	}
	if _, err = db.UpsertFilings(ctx, filings); err != nil {
		return err
	}
	if engine == "postgres" {
		_, err = raw.ExecContext(ctx, "VACUUM ANALYZE")
	}
	return err
}

// BenchmarkReports measures each service report over the whole city of
// openReportCity (the city administrator's view, the heaviest), on SQLite
// and, when TAXSMS_TEST_POSTGRES holds a DSN, on PostgreSQL:
//
//	TAXSMS_BENCH_N=200000 go test -run '^$' -bench Reports -benchtime 2x ./store/
func BenchmarkReports(b *testing.B) {
	engines := []string{"sqlite"}
	if os.Getenv("TAXSMS_TEST_POSTGRES") != "" {
		engines = append(engines, "postgres")
	}
	for _, engine := range engines {
		b.Run(engine, func(b *testing.B) { benchReports(b, engine) })
	}
}

func benchReports(b *testing.B, engine string) {
	db, n := openReportCity(b, engine)
	ctx := context.Background()
	cal, loc := calendar.Default(), calendar.Shanghai
	from, to := time.Date(2026, 11, 4, 0, 0, 0, 0, loc), time.Date(2026, 12, 5, 0, 0, 0, 0, loc)
	hours := calendar.DefaultHours(cal)
	for _, bm := range []struct {
		name string
		run  func() (int, error)
	}{
		{"Coverage", func() (int, error) { r, err := db.Coverage(ctx, 0); return len(r), err }},
		{"LateRegistrations", func() (int, error) {
			r, err := db.LateRegistrations(ctx, 0, taxsms.Date{Year: 2026, Month: 11, Day: 4}, taxsms.Date{Year: 2026, Month: 12, Day: 4}, cal, loc)
			return len(r.ByOffice), err
		}},
		{"WithoutService", func() (int, error) {
			r, err := db.WithoutService(ctx, 0, taxsms.Date{Year: 2026, Month: 10, Day: 1}, loc, 0, 1000)
			return len(r.Rows), err
		}},
		{"Reception", func() (int, error) { r, err := db.Reception(ctx, 0, from, to); return len(r), err }},
		{"ReceptionDays", func() (int, error) { r, err := db.ReceptionDays(ctx, 0, from, to, loc); return len(r), err }},
		{"FailingNumbers", func() (int, error) {
			r, err := db.FailingNumbers(ctx, 0, store.FailRule{Run: 3, Days: 30}, db.Now())
			return len(r), err
		}},
		{"Supervision", func() (int, error) {
			r, err := db.Supervision(ctx, 0, from, to, loc, func(_ int64, at time.Time) bool { return hours.Contains(at) })
			return len(r), err
		}},
		{"ReminderEffect", func() (int, error) {
			r, err := db.ReminderEffect(ctx, 0, store.EffectOptions{Period: "2026-10", Within: 7,
				Lead: func(d taxsms.Date) taxsms.Date { return cal.AddWorkdays(d, -3) }}, loc)
			if err == nil && n%100 == 0 {
				err = checkCityEffect(r, n)
			}
			return len(r), err
		}},
	} {
		b.Run(bm.name, func(b *testing.B) {
			var got int
			for b.Loop() {
				var err error
				if got, err = bm.run(); err != nil {
					b.Fatal(err)
				}
			}
			if got == 0 {
				b.Fatalf("%s over %d taxpayers found nothing", bm.name, n)
			}
		})
	}
}

// checkCityEffect returns an error unless rows are the effect of reminders
// openReportCity's city of n taxpayers must show (n a multiple of 100):
// everyone is for the rule before the deadline, and reminded (the
// hundredths' reminders failed; they filed on the 11th); six tenths filed by
// the deadline; four tenths, not filed by it, are for the overdue rule with
// no reminder, three of them filed within the 7 days, the fourth (with a
// contact pending) never.
func checkCityEffect(rows []store.EffectRow, n int) error {
	sum := make(map[remind.RuleName]store.EffectRow)
	for _, r := range rows {
		s := sum[r.Rule]
		s.Delivered.Taxpayers += r.Delivered.Taxpayers
		s.Delivered.Done += r.Delivered.Done
		s.Undelivered.Taxpayers += r.Undelivered.Taxpayers
		s.Undelivered.Done += r.Undelivered.Done
		s.None.Taxpayers += r.None.Taxpayers
		s.None.Done += r.None.Done
		s.OptedOut += r.OptedOut
		s.NoContact += r.NoContact
		sum[r.Rule] = s
	}
	want := map[remind.RuleName]store.EffectRow{
		remind.BeforeDeadline: {Delivered: store.EffectGroup{Taxpayers: n - n/100, Done: 6*n/10 - n/100},
			Undelivered: store.EffectGroup{Taxpayers: n / 100, Done: n / 100}},
		remind.AfterDeadline: {None: store.EffectGroup{Taxpayers: 4 * n / 10, Done: 3 * n / 10}, NoContact: n / 10},
	}
	if fmt.Sprintf("%+v", sum) != fmt.Sprintf("%+v", want) {
		return fmt.Errorf("effect of reminders over %d taxpayers = %+v, want %+v", n, sum, want)
	}
	return nil
}
