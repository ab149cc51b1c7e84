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
	"taxsms/billing"
	"taxsms/pii"
	"taxsms/store"
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
	Bench    string  `json:"bench"`
	Engine   string  `json:"engine"`
	Messages int     `json:"messages"` // rows in the messages table
	Offices  int     `json:"offices"`
	Billable int64   `json:"billable_messages"` // of November
	Segments int64   `json:"billable_segments"`
	Amount   string  `json:"amount_yuan"`
	Lines    int     `json:"statement_lines"`
	Counters int     `json:"counters"`
	FillS    float64 `json:"fill_s"`
	RecountS float64 `json:"recount_s"` // the counters rebuilt from the filled rows

	// The live path: messages queued, claimed and their outcomes recorded
	// through the store (partial sends, failovers, retries, refusals),
	// receipts and MO; the counters kept by those transactions.
	Live        int     `json:"live_messages"`
	LivePerS    float64 `json:"live_outcomes_per_s"` // claimed, recorded with their counters, retries swept back
	RecountDiff int     `json:"recount_changed"`     // counters a second recount had to set right: 0 when exact

	// The statement of the open month, read from the counters: the first
	// call and the best of 5, in the store (Statement) and as the console
	// builds it (Statement, the subtree's offices, the arranged report).
	CityFirstMS  float64 `json:"statement_city_first_ms"`
	CityMS       float64 `json:"statement_city_ms"`
	BranchMS     float64 `json:"statement_branch_ms"`
	CityReportMS float64 `json:"report_city_ms"`
	CloseMS      float64 `json:"close_month_ms"`
	ClosedCityMS float64 `json:"statement_closed_city_ms"`
	CountMS      float64 `json:"count_over_messages_ms"` // the same figures grouped over the message rows
	Exact        bool    `json:"exact"`                  // every line equals the count over the messages
	PeakRSSMB    float64 `json:"peak_rss_mb"`
}

// runBenchBilling runs "taxsms bench billing".
func runBenchBilling(ctx context.Context, args, environ []string, stdout, stderr io.Writer) (err error) {
	fs := flag.NewFlagSet("bench billing", flag.ContinueOnError)
	fs.SetOutput(stderr)
	n := fs.Int("messages", 10_000_000, "message rows to fill")
	live := fs.Int("live", 20_000, "messages then sent through the store's outbox, counted as they change state")
	branches := fs.Int("branches", 16, "branch offices below the city, each with 4 stations")
	db := fs.String("db", "", "database: postgres://… (run in a fresh schema, dropped after) or sqlite:PATH; default a SQLite file in a temporary directory")
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "Usage: taxsms bench billing [flags]\n\nFills the messages table directly with N rows of November 2026 (offices, carriers, kinds,\nsegments, statuses and days spread as a city sends; 10%% MO, 3%% never submitted), rebuilds the\nbilling counters from them (taxsms billing recount), then sends --live more messages through the\nstore's outbox (partial sends, failovers, retries, refusals, receipts, MO), whose counters are kept\nby their own transactions. It then times the monthly statement of the city and of one branch,\nchecks every line against a count over the messages, closes the month and reads it closed.\nPrints progress, then one JSON line.\n\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *n < 1 || *branches < 1 || *live < 0 {
		return errors.New("--messages and --branches must be positive, --live not negative")
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
	res := BillingResult{Bench: "billing", Engine: m.DB.Engine(), Messages: *n + *live, Live: *live}
	// The store's clock: late in November 2026 in Shanghai while sending.
	now := time.Date(2026, 11, 28, 4, 0, 0, 0, time.UTC)
	m.DB.Now = func() time.Time { return now }

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
	res.RecountS = time.Since(start).Seconds()
	fmt.Fprintf(stdout, "%d counters in %.1f s; sending %d messages through the outbox…\n", rc.Counters, res.RecountS, *live)

	start = time.Now()
	recorded, err := sendLive(ctx, m.DB, offices, *live)
	if err != nil {
		return fmt.Errorf("live: %w", err)
	}
	res.LivePerS = float64(recorded) / time.Since(start).Seconds()
	rc, err = m.DB.Recount(ctx)
	if err != nil {
		return err
	}
	res.RecountDiff, res.Counters = rc.Changed, rc.Counters
	fmt.Fprintf(stdout, "%d outcomes recorded, %.0f/s; a recount then set %d of %d counters right\n", recorded, res.LivePerS, rc.Changed, rc.Counters)

	nov := taxsms.Month{Year: 2026, Month: 11}
	timed := func(f func() error) (first, best float64, err error) {
		var times []float64
		for range 5 {
			t0 := time.Now()
			if err := f(); err != nil {
				return 0, 0, err
			}
			times = append(times, float64(time.Since(t0).Microseconds())/1000)
		}
		return times[0], slices.Min(times), nil
	}
	var city *taxsms.Statement
	if res.CityFirstMS, res.CityMS, err = timed(func() (err error) { city, err = m.DB.Statement(ctx, nov, root.ID); return err }); err != nil {
		return err
	}
	if _, res.BranchMS, err = timed(func() error { _, err := m.DB.Statement(ctx, nov, branch); return err }); err != nil {
		return err
	}
	if _, res.CityReportMS, err = timed(func() error {
		st, err := m.DB.Statement(ctx, nov, root.ID)
		if err != nil {
			return err
		}
		os, err := m.DB.ListOfficesAfter(ctx, taxsms.OfficeFilter{Subtree: root.ID, Limit: 1000}, "")
		if err != nil {
			return err
		}
		billing.Assemble(st, os)
		return nil
	}); err != nil {
		return err
	}
	t := city.Total()
	res.Billable, res.Segments, res.Amount, res.Lines = t.Messages, t.Segments, t.Amount.String(), len(city.Lines)

	// The same lines grouped over the message rows and stray segments.
	start = time.Now()
	counted, err := countOverMessages(ctx, raw, m.DB.Engine(), nov, root.ID)
	if err != nil {
		return err
	}
	res.CountMS = float64(time.Since(start).Microseconds()) / 1000
	res.Exact = t.Unpriced == 0 && len(counted) == len(city.Lines)
	for _, l := range city.Lines {
		k := fmt.Sprintf("%d/%s/%s", l.OfficeID, l.Carrier, l.Kind)
		if c, ok := counted[k]; l.Adjustment || !ok || c != [2]int64{l.Messages, l.Segments} {
			res.Exact = false
			fmt.Fprintf(stdout, "line %s: statement %d messages, %d segments; messages give %v\n", k, l.Messages, l.Segments, c)
		}
	}
	fmt.Fprintf(stdout, "statement of November (%d lines): city %.1f ms (first %.1f), branch %.1f ms, city report %.1f ms; grouped over the messages: %.0f ms; %d messages, %d segments, ¥%s, exact %v\n",
		res.Lines, res.CityMS, res.CityFirstMS, res.BranchMS, res.CityReportMS, res.CountMS, t.Messages, t.Segments, t.Amount, res.Exact)

	// Close November on 1 December, then read it closed.
	now = time.Date(2026, 12, 1, 1, 0, 0, 0, time.UTC)
	start = time.Now()
	if err := m.DB.CloseMonth(ctx, nov); err != nil {
		return err
	}
	res.CloseMS = float64(time.Since(start).Microseconds()) / 1000
	var closed *taxsms.Statement
	if _, res.ClosedCityMS, err = timed(func() (err error) { closed, err = m.DB.Statement(ctx, nov, root.ID); return err }); err != nil {
		return err
	}
	if ct := closed.Total(); ct.Amount != t.Amount || ct.Segments != t.Segments || !closed.Closed {
		res.Exact = false
		fmt.Fprintf(stdout, "closed November: %+v, want the open statement's %+v\n", ct, t)
	}
	fmt.Fprintf(stdout, "November closed in %.1f ms; its closed statement read in %.1f ms\n", res.CloseMS, res.ClosedCityMS)
	res.PeakRSSMB = peakRSSMB()
	b, _ := json.Marshal(res)
	fmt.Fprintln(stdout, string(b))
	if !res.Exact || res.RecountDiff != 0 {
		return fmt.Errorf("the statement differs from the messages (see the lines above; a recount set %d counters right)", res.RecountDiff)
	}
	return nil
}

// sendLive queues n messages of the city's offices and takes them through
// the outbox as links answer: most sent whole on the carrier of their
// number, some half sent then retried, failed over to another carrier,
// failed after a partial send, or refused; then receipts for half of
// them, and n/10 MO. It returns how many outcomes were recorded.
func sendLive(ctx context.Context, db *store.DB, offices []int64, n int) (int, error) {
	carriers := []taxsms.Carrier{taxsms.CarrierMobile, taxsms.CarrierUnicom, taxsms.CarrierTelecom}
	kinds := []taxsms.Kind{taxsms.KindFilingReminder, taxsms.KindSpecial, taxsms.KindUnpaidTax, taxsms.KindReply}
	for lo := 0; lo < n; lo += 1000 {
		var batch []*taxsms.Message
		for i := lo; i < min(lo+1000, n); i++ {
			k := kinds[i%len(kinds)]
			batch = append(batch, &taxsms.Message{Direction: taxsms.MT, Kind: k, Priority: taxsms.PriorityBulk,
				Mobile: fmt.Sprintf("139%08d", i), Body: "【12366】通知", Segments: 1 + i%3, OfficeID: offices[(i*31)%len(offices)]})
		}
		if _, err := db.CreateMessages(ctx, batch); err != nil {
			return 0, err
		}
	}
	parts := func(id int64, try, segs int) []taxsms.Part {
		var ps []taxsms.Part
		for s := range segs {
			ps = append(ps, taxsms.Part{Seq: s + 1, CarrierMsgID: fmt.Sprintf("%d-%d-%d", id, try, s+1)})
		}
		return ps
	}
	recorded := 0
	var receipts []store.Receipt
	for {
		claimed, err := db.ClaimMessages(ctx, "bench", 500, time.Minute)
		if err != nil {
			return recorded, err
		}
		if len(claimed) == 0 {
			break
		}
		outs := make([]store.Outcome, 0, len(claimed))
		for _, c := range claimed {
			car := carriers[c.ID%3]
			try := c.Attempts
			o := store.Outcome{ID: c.ID, Carrier: car, Link: string(car) + "-1", Parts: parts(c.ID, try, c.Segments)}
			switch c.ID % 20 {
			case 0: // no route
				o = store.Outcome{ID: c.ID, Status: taxsms.StatusRejected, Error: "no route"}
			case 1: // one segment taken, then the link failed: retried at once, sent whole the next time
				if c.Attempts == 0 {
					o = store.Outcome{ID: c.ID, Status: taxsms.StatusScheduled, RetryAt: db.Now(), Attempt: true, Error: "timeout",
						Partial: []store.PartialSend{{Carrier: car, Link: o.Link, Parts: parts(c.ID, try, 1)}}}
				}
			case 2: // half sent on China Mobile's link, which went down; China Telecom took it whole
				o.Carrier, o.Link = taxsms.CarrierTelecom, "telecom-1"
				o.Partial = []store.PartialSend{{Carrier: taxsms.CarrierMobile, Link: "mobile-1", Parts: parts(c.ID, 9, 1)}}
			case 3: // one segment taken, the next refused
				o = store.Outcome{ID: c.ID, Status: taxsms.StatusFailed, Error: "MK:0008",
					Partial: []store.PartialSend{{Carrier: car, Link: o.Link, Parts: parts(c.ID, try, 1)}}}
			}
			if o.Status == "" && c.ID%2 == 0 {
				for _, p := range o.Parts {
					receipts = append(receipts, store.Receipt{Carrier: o.Carrier, MsgID: p.CarrierMsgID, Stat: "DELIVRD"})
				}
			}
			outs = append(outs, o)
		}
		if err := db.RecordOutcomes(ctx, outs); err != nil {
			return recorded, err
		}
		recorded += len(outs)
		if _, err := db.Sweep(ctx, store.SweepOptions{}); err != nil { // the retries come back
			return recorded, err
		}
	}
	for len(receipts) > 0 {
		chunk := receipts[:min(len(receipts), 500)]
		receipts = receipts[len(chunk):]
		if _, err := db.RecordReceipts(ctx, chunk); err != nil {
			return recorded, err
		}
	}
	for i := range n / 10 {
		if _, _, err := db.StoreFragment(ctx, store.Fragment{Carrier: taxsms.CarrierMobile, Link: "mobile-1", MsgID: fmt.Sprint("MO", i),
			From: fmt.Sprintf("139%08d", i), To: "12366", Text: "查询", Total: 1, Seq: 1}); err != nil {
			return recorded, err
		}
	}
	return recorded, nil
}

// countOverMessages groups the billable messages and stray segments of
// month m by office (root for none), carrier and kind straight from their
// rows, keyed "office/carrier/kind": what the statement's lines must say.
func countOverMessages(ctx context.Context, db *sql.DB, engine string, m taxsms.Month, root int64) (map[string][2]int64, error) {
	first := m.First().Time(time.UTC).UnixMilli() - 8*3600*1000
	last := m.Next().First().Time(time.UTC).UnixMilli() - 8*3600*1000
	q := `SELECT office_id, carrier, kind, CAST(SUM(n) AS BIGINT), CAST(SUM(segs) AS BIGINT) FROM (
  SELECT COALESCE(office_id, ?) AS office_id, carrier, kind, COUNT(*) AS n, SUM(segments) AS segs
  FROM messages WHERE direction = 'mt' AND submitted_at >= ? AND submitted_at < ? GROUP BY 1, 2, 3
  UNION ALL
  SELECT COALESCE(m.office_id, ?), s.carrier, m.kind, 0, COUNT(*)
  FROM billing_stray_segments s JOIN messages m ON m.id = s.message_id
  WHERE s.recorded_at >= ? AND s.recorded_at < ? GROUP BY 1, 2, 3) AS u
GROUP BY office_id, carrier, kind`
	if engine == "postgres" {
		var b strings.Builder
		n := 0
		for _, r := range q {
			if r == '?' {
				n++
				fmt.Fprintf(&b, "$%d", n)
				continue
			}
			b.WriteRune(r)
		}
		q = b.String()
	}
	rows, err := db.QueryContext(ctx, q, root, first, last, root, first, last)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := make(map[string][2]int64)
	for rows.Next() {
		var office, msgs, segs int64
		var carrier, kind string
		if err := rows.Scan(&office, &carrier, &kind, &msgs, &segs); err != nil {
			return nil, err
		}
		out[fmt.Sprintf("%d/%s/%s", office, carrier, kind)] = [2]int64{msgs, segs}
	}
	return out, rows.Err()
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
