package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime/pprof"
	"time"

	"taxsms"
	"taxsms/calendar"
	"taxsms/importer"
	"taxsms/pii"
	"taxsms/remind"
	"taxsms/synth"
)

// RemindResult is the last line of "taxsms bench remind".
type RemindResult struct {
	Bench     string  `json:"bench"`
	Engine    string  `json:"engine"`
	Taxpayers int     `json:"taxpayers"`
	Dues      int     `json:"taxpayers_reminded"`
	Messages  int     `json:"messages"`
	Queued    int     `json:"queued"`
	ImportS   float64 `json:"import_s"`
	FirstS    float64 `json:"first_run_s"`  // plan and queue
	SecondS   float64 `json:"second_run_s"` // the same day again: nothing new
	Requeued  int     `json:"second_run_queued"`
	PeakRSSMB float64 `json:"peak_rss_mb"`
}

func runBenchRemind(ctx context.Context, args, environ []string, stdout, stderr io.Writer) (err error) {
	fs := flag.NewFlagSet("bench remind", flag.ContinueOnError)
	fs.SetOutput(stderr)
	n := fs.Int("taxpayers", 1_000_000, "taxpayers of the synthetic city, 2 contacts each")
	cpuprofile := fs.String("cpuprofile", "", "write a CPU profile of the two runs to `file`")
	db := fs.String("db", "", "database: postgres://… (run in a fresh schema, dropped after) or sqlite:PATH; default a SQLite file in a temporary directory")
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "Usage: taxsms bench remind [flags]\n\nImports a synthetic city with its obligations for 2026-11 (due 2026-12-15), then plans and\nqueues the reminders 3 working days before the deadline (2026-12-10), twice: the second\nrun finds everything queued. Prints progress, then one JSON line.\n\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	dsn, cleanup, err := benchDatabase(ctx, *db, stdout)
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, cleanup()) }()
	dir, err := os.MkdirTemp("", "taxsms-remind-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)

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
	res := RemindResult{Bench: "remind", Engine: m.DB.Engine(), Taxpayers: *n}

	start := time.Now()
	files, err := synth.Write(filepath.Join(dir, "city"), synth.Config{Seed: 12366, Taxpayers: *n, ContactsPer: 2,
		Period: "2026-11", FilingDue: taxsms.Date{Year: 2026, Month: 12, Day: 15}})
	if err != nil {
		return err
	}
	for _, f := range []struct {
		kind importer.Kind
		path string
	}{{importer.Offices, files.Offices}, {importer.Users, files.Users}, {importer.Taxpayers, files.Taxpayers},
		{importer.Contacts, files.Contacts}, {importer.Obligations, files.Obligations}, {importer.Filings, files.Filings}} {
		if _, err := importer.File(ctx, m.DB, f.kind, f.path, importer.Options{}); err != nil {
			return fmt.Errorf("import %s: %w", f.path, err)
		}
	}
	res.ImportS = time.Since(start).Seconds()
	fmt.Fprintf(stdout, "imported %d taxpayers with their contacts, obligations and filings in %.1f s\n", *n, res.ImportS)

	p, err := m.planner()
	if err != nil {
		return err
	}
	p.Now = func() time.Time { return time.Date(2026, 12, 10, 0, 5, 0, 0, calendar.Shanghai) }
	day := taxsms.Date{Year: 2026, Month: 12, Day: 10}
	if *cpuprofile != "" {
		f, err := os.Create(*cpuprofile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	for run := range 2 {
		start := time.Now()
		plan, err := p.Run(ctx, day, remind.BeforeDeadline)
		if err != nil {
			return err
		}
		took := time.Since(start).Seconds()
		rp := plan.Rules[0]
		fmt.Fprintf(stdout, "run %d: %d taxpayers, %d messages, %d queued in %.1f s\n", run+1, rp.Taxpayers, rp.Messages, rp.Queued, took)
		if run == 0 {
			res.Dues, res.Messages, res.Queued, res.FirstS = rp.Taxpayers, rp.Messages, rp.Queued, took
		} else {
			res.Requeued, res.SecondS = rp.Queued, took
		}
	}
	res.PeakRSSMB = peakRSSMB()
	return json.NewEncoder(stdout).Encode(res)
}
