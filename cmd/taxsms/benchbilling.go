package main

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"taxsms"
	"taxsms/pii"
)

// runBilling runs "taxsms billing recount": the billing counters rebuilt
// from the messages (store.Recount), for a database whose counters need
// it; a closed month's difference is billed as an adjustment.
func runBilling(ctx context.Context, args, environ []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "recount" {
		fmt.Fprintln(stderr, "Usage: taxsms billing recount [flags]")
		return flag.ErrHelp
	}
	m := NewMain(environ, stdout, stderr)
	if err := m.ParseFlags(m.FlagSet("billing recount [flags]",
		"Rebuilds the billing counters from the messages; a closed month's difference becomes an adjustment\nbilled in the next open month. Submissions wait while it runs."), args[1:]); err != nil {
		return err
	}
	if err := m.Open(ctx); err != nil {
		return err
	}
	defer m.Close()
	start := time.Now()
	r, err := m.DB.Recount(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%d counters, %d set right, %d adjustments, in %v\n", r.Counters, r.Changed, r.Adjustments,
		time.Since(start).Round(time.Millisecond))
	return nil
}

// BillingResult is the last line of "taxsms bench billing".
type BillingResult struct {
	Bench      string  `json:"bench"`
	Engine     string  `json:"engine"`
	Messages   int     `json:"messages"`
	Offices    int     `json:"offices"`
	Billable   int64   `json:"billable_messages"` // of November
	Segments   int64   `json:"billable_segments"`
	Amount     string  `json:"amount_yuan"`
	Exact      bool    `json:"exact"` // the statement's totals equal a count over the messages
	FillS      float64 `json:"fill_s"`
	RecountS   float64 `json:"recount_s"`
	CityMS     float64 `json:"statement_city_ms"`   // best of 5
	BranchMS   float64 `json:"statement_branch_ms"` // best of 5
	CountMS    float64 `json:"count_over_messages_ms"`
	CountersN  int     `json:"counters"`
	PeakRSSMB  float64 `json:"peak_rss_mb"`
	SubmitNote string  `json:"note"`
}

// runBenchBilling runs "taxsms bench billing".
func runBenchBilling(ctx context.Context, args, environ []string, stdout, stderr io.Writer) (err error) {
	fs := flag.NewFlagSet("bench billing", flag.ContinueOnError)
	fs.SetOutput(stderr)
	n := fs.Int("messages", 10_000_000, "message rows to fill")
	branches := fs.Int("branches", 16, "branch offices below the city, each with 4 stations")
	db := fs.String("db", "", "database: postgres://… (run in a fresh schema, dropped after) or sqlite:PATH; default a SQLite file in a temporary directory")
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "Usage: taxsms bench billing [flags]\n\nFills the messages table directly with N rows of November 2026 (offices, carriers, kinds,\nsegments, statuses and days spread as a city sends; 10%% MO, 3%% never submitted), rebuilds the\nbilling counters from them (taxsms billing recount), then times the monthly statement of the\ncity and of one branch. Prints progress, then one JSON line.\n\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *n < 1 || *branches < 1 {
		return errors.New("--messages and --branches must be positive")
	}
	dsn, cleanup, err := benchDatabase(ctx, *db, stdout)
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, cleanup()) }()
	m := NewMain(environ, stdout, stderr)
	m.Config.Database = dsn
	m.Config.Log.Level = "warn"
	m.Config.Secret.Keys = "1:" + pii.NewKey()
	m.Config.Secret.LookupKey = pii.NewKey()
	if err := m.Open(ctx); err != nil {
		m.Close()
		return err
	}
	defer func() { err = errors.Join(err, m.Close()) }()
	res := BillingResult{Bench: "billing", Engine: m.DB.Engine(), Messages: *n,
		SubmitNote: "counters are kept by each submission's transaction; this fills the messages directly and rebuilds them once"}

	// The city, its branches and their stations.
	root := &taxsms.Office{Code: "13702000000", Name: "青岛市税务局"}
	if err := m.DB.CreateOffice(ctx, root); err != nil {
		return err
	}
	offices := []int64{root.ID}
	var branch int64
	for b := range *branches {
		o := &taxsms.Office{ParentID: root.ID, Code: fmt.Sprintf("137020%02d000", b+1), Name: fmt.Sprintf("第%d分局", b+1)}
		if err := m.DB.CreateOffice(ctx, o); err != nil {
			return err
		}
		if b == 0 {
			branch = o.ID
		}
		offices = append(offices, o.ID)
		for s := range 4 {
			st := &taxsms.Office{ParentID: o.ID, Code: fmt.Sprintf("137020%02d%03d", b+1, s+1), Name: fmt.Sprintf("第%d分局第%d税务所", b+1, s+1)}
			if err := m.DB.CreateOffice(ctx, st); err != nil {
				return err
			}
			offices = append(offices, st.ID)
		}
	}
	res.Offices = len(offices)
	// Tariffs: every carrier and kind sent; China Mobile's notices change
	// price on 16 November.
	jan, change := taxsms.Date{Year: 2026, Month: 1, Day: 1}, taxsms.Date{Year: 2026, Month: 11, Day: 16}
	for i, c := range []taxsms.Carrier{taxsms.CarrierMobile, taxsms.CarrierUnicom, taxsms.CarrierTelecom, taxsms.CarrierBroadnet} {
		for _, k := range taxsms.Kinds {
			if k == taxsms.KindInteractive {
				continue
			}
			t := &taxsms.Tariff{Carrier: c, Kind: k, Price: taxsms.MilliYuan(30 + 5*i), ValidFrom: jan}
			if c == taxsms.CarrierMobile && k == taxsms.KindSpecial {
				t.ValidTo = taxsms.Date{Year: 2026, Month: 11, Day: 15}
			}
			if err := m.DB.SetTariff(ctx, t); err != nil {
				return err
			}
		}
	}
	if err := m.DB.SetTariff(ctx, &taxsms.Tariff{Carrier: taxsms.CarrierMobile, Kind: taxsms.KindSpecial, Price: 32, ValidFrom: change}); err != nil {
		return err
	}

	rawDSN := dsn
	if m.DB.Engine() == "sqlite" {
		rawDSN = "file:" + strings.TrimPrefix(dsn, "sqlite:") + "?_pragma=busy_timeout(10000)&_pragma=synchronous(NORMAL)&_pragma=cache_size(-131072)"
	}
	raw, err := sql.Open(map[string]string{"sqlite": "sqlite", "postgres": "pgx"}[m.DB.Engine()], rawDSN)
	if err != nil {
		return err
	}
	defer raw.Close()
	fmt.Fprintf(stdout, "filling %d messages over %d offices…\n", *n, len(offices))
	start := time.Now()
	if err := fillMessages(ctx, raw, m.DB.Engine(), offices, *n, stdout); err != nil {
		return fmt.Errorf("fill: %w", err)
	}
	res.FillS = time.Since(start).Seconds()
	fmt.Fprintf(stdout, "filled in %.1f s; rebuilding the counters…\n", res.FillS)
	start = time.Now()
	rc, err := m.DB.Recount(ctx)
	if err != nil {
		return err
	}
	res.RecountS, res.CountersN = time.Since(start).Seconds(), rc.Counters
	fmt.Fprintf(stdout, "%d counters in %.1f s\n", rc.Counters, res.RecountS)

	nov := taxsms.Month{Year: 2026, Month: 11}
	best := func(office int64) (float64, *taxsms.Statement, error) {
		var times []float64
		var st *taxsms.Statement
		for range 5 {
			t0 := time.Now()
			s, err := m.DB.Statement(ctx, nov, office)
			if err != nil {
				return 0, nil, err
			}
			times = append(times, float64(time.Since(t0).Microseconds())/1000)
			st = s
		}
		return slices.Min(times), st, nil
	}
	var city *taxsms.Statement
	if res.CityMS, city, err = best(root.ID); err != nil {
		return err
	}
	if res.BranchMS, _, err = best(branch); err != nil {
		return err
	}
	t := city.Total()
	res.Billable, res.Segments, res.Amount = t.Messages, t.Segments, t.Amount.String()
	// The same totals counted over the messages themselves.
	start = time.Now()
	var msgs, segs int64
	first, last := nov.First().Time(time.UTC).UnixMilli()-8*3600*1000, nov.Next().First().Time(time.UTC).UnixMilli()-8*3600*1000
	q := "SELECT COUNT(*), COALESCE(SUM(segments), 0) FROM messages WHERE direction = 'mt' AND submitted_at >= ? AND submitted_at < ?"
	if m.DB.Engine() == "postgres" {
		q = "SELECT COUNT(*), COALESCE(SUM(segments), 0)::bigint FROM messages WHERE direction = 'mt' AND submitted_at >= $1 AND submitted_at < $2"
	}
	if err := raw.QueryRowContext(ctx, q, first, last).Scan(&msgs, &segs); err != nil {
		return err
	}
	res.CountMS = float64(time.Since(start).Microseconds()) / 1000
	res.Exact = msgs == t.Messages && segs == t.Segments && t.Unpriced == 0
	fmt.Fprintf(stdout, "statement of November: city %.1f ms, branch %.1f ms (a count over the messages: %.0f ms); %d messages, %d segments, ¥%s, exact %v\n",
		res.CityMS, res.BranchMS, res.CountMS, t.Messages, t.Segments, t.Amount, res.Exact)
	res.PeakRSSMB = peakRSSMB()
	b, _ := json.Marshal(res)
	fmt.Fprintln(stdout, string(b))
	if !res.Exact {
		return fmt.Errorf("the statement (%d messages, %d segments) differs from the messages (%d, %d)", t.Messages, t.Segments, msgs, segs)
	}
	return nil
}

// fillMessages inserts n message rows in chunks, generated by the
// database itself: submitted through November 2026 (Shanghai), spread over
// the offices, 60% China Mobile, 25% China Unicom, 15% China Telecom,
// kinds as a city sends them, 1 to 3 segments; 10% are MO and 3% were
// never submitted (rejected), neither billable.
func fillMessages(ctx context.Context, db *sql.DB, engine string, offices []int64, n int, stdout io.Writer) error {
	var values []string
	for i, id := range offices {
		values = append(values, fmt.Sprintf("(%d, %d)", i, id))
	}
	// The pick tables: a row's number modulo 20 (carrier) or 20 (kind).
	pick := func(name string, items []string) string {
		var rows []string
		for i, it := range items {
			rows = append(rows, fmt.Sprintf("(%d, '%s')", i, it))
		}
		return fmt.Sprintf("CREATE TABLE %s (n INTEGER PRIMARY KEY, v TEXT NOT NULL); INSERT INTO %[1]s VALUES %s;", name, strings.Join(rows, ", "))
	}
	carriers := slices.Concat(slices.Repeat([]string{"mobile"}, 12), slices.Repeat([]string{"unicom"}, 5), slices.Repeat([]string{"telecom"}, 3))
	kinds := slices.Concat(slices.Repeat([]string{"filing_reminder"}, 6), slices.Repeat([]string{"overdue_filing"}, 2),
		slices.Repeat([]string{"unpaid_tax"}, 2), []string{"failed_deduction"}, slices.Repeat([]string{"special"}, 4),
		[]string{"internal", "other", "otp"}, slices.Repeat([]string{"reply"}, 2))
	setup := []string{
		"CREATE TABLE bench_offices (n INTEGER PRIMARY KEY, id BIGINT NOT NULL); INSERT INTO bench_offices VALUES " + strings.Join(values, ", ") + ";",
		pick("bench_carriers", carriers),
		pick("bench_kinds", kinds),
	}
	for _, s := range setup {
		for _, stmt := range strings.Split(s, ";") {
			if strings.TrimSpace(stmt) == "" {
				continue
			}
			if _, err := db.ExecContext(ctx, stmt); err != nil {
				return err
			}
		}
	}
	// November 2026 in Shanghai starts at 2026-10-31T16:00Z; 30 days.
	start := time.Date(2026, 10, 31, 16, 0, 0, 0, time.UTC).UnixMilli()
	const span = 30 * 86400 * 1000
	const chunk = 500_000
	// Row i: office i*7919 mod offices, carrier and kind by residues,
	// segments 1 (70%), 2 (25%), 3 (5%), time spread evenly.
	body := `SELECT CASE WHEN i % 10 = 9 THEN 'mo' ELSE 'mt' END, CASE WHEN i % 10 = 9 THEN 'interactive' ELSE k.v END, 3,
  {blob}, {blob}, '139****0000', o.id, '通知', '',
  CASE WHEN i % 20 < 14 THEN 1 WHEN i % 20 < 19 THEN 2 ELSE 3 END,
  CASE WHEN i % 10 = 9 THEN 'received' WHEN i % 100 < 3 THEN 'rejected' WHEN i % 100 < 10 THEN 'failed' ELSE 'delivered' END,
  c.v, 'link', {t}, CASE WHEN i % 10 = 9 OR i % 100 < 3 THEN 0 ELSE {t} + 1500 END, {t}
FROM {series} JOIN bench_offices o ON o.n = (i * 7919) % {offices}
JOIN bench_carriers c ON c.n = (i / 7) % 20 JOIN bench_kinds k ON k.n = (i / 3) % 20`
	insert := "INSERT INTO messages (direction, kind, priority, mobile_enc, mobile_hash, mobile_mask, office_id, body, coding, segments, status, carrier, link, created_at, submitted_at, updated_at) "
	at := fmt.Sprintf("CAST(%d + i * %.6f AS BIGINT)", start, float64(span)/float64(n))
	for lo := 0; lo < n; lo += chunk {
		hi := min(lo+chunk, n)
		series := fmt.Sprintf("(WITH RECURSIVE s(i) AS (SELECT %d UNION ALL SELECT i + 1 FROM s WHERE i < %d) SELECT i FROM s) AS s", lo, hi-1)
		blob := "x'00'"
		if engine == "postgres" {
			series = fmt.Sprintf("generate_series(CAST(%d AS BIGINT), %d) AS s(i)", lo, hi-1)
			blob = `'\x00'::bytea`
		}
		q := strings.NewReplacer("{blob}", blob, "{t}", at, "{series}", series, "{offices}", fmt.Sprint(len(offices))).Replace(body)
		if _, err := db.ExecContext(ctx, insert+q); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "  %d / %d\n", hi, n)
	}
	for _, t := range []string{"bench_offices", "bench_carriers", "bench_kinds"} {
		if _, err := db.ExecContext(ctx, "DROP TABLE "+t); err != nil {
			return err
		}
	}
	if engine == "postgres" {
		_, err := db.ExecContext(ctx, "ANALYZE messages")
		return err
	}
	_, err := db.ExecContext(ctx, "ANALYZE")
	return err
}
