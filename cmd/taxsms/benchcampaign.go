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
	"time"

	"taxsms"
	"taxsms/campaign"
	"taxsms/importer"
	"taxsms/pii"
	"taxsms/store"
	"taxsms/synth"
)

// CampaignResult is the last line of "taxsms bench campaign".
type CampaignResult struct {
	Bench      string  `json:"bench"`
	Engine     string  `json:"engine"`
	Taxpayers  int     `json:"taxpayers"`
	Contacts   int     `json:"contacts"`
	Recipients int     `json:"recipients"`
	Duplicates int     `json:"duplicates"`
	Excluded   int     `json:"excluded"`
	Segments   int     `json:"segments"`
	CountMS    float64 `json:"count_ms"`  // the exact count of a city-wide audience
	ExpandMS   float64 `json:"expand_ms"` // its expansion into the outbox
	Queued     int     `json:"queued"`
	ImportS    float64 `json:"import_s"`
	PeakRSSMB  float64 `json:"peak_rss_mb"`
}

func runBenchCampaign(ctx context.Context, args, environ []string, stdout, stderr io.Writer) (err error) {
	fs := flag.NewFlagSet("bench campaign", flag.ContinueOnError)
	fs.SetOutput(stderr)
	n := fs.Int("taxpayers", 1_000_000, "taxpayers of the synthetic city, 2 contacts each")
	agencies := fs.Int("agencies", -1, "bookkeeping agencies whose number about a fifth of the tax clerks share (default: one for each 100 taxpayers)")
	db := fs.String("db", "", "database: postgres://… (run in a fresh schema, dropped after) or sqlite:PATH; default a SQLite file in a temporary directory")
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "Usage: taxsms bench campaign [flags]\n\nImports a synthetic city, then counts a broadcast to every taxpayer's contacts (exact:\nduplicates removed, opted-out and cancelled contacts excluded) and expands it into the\noutbox. Prints progress, then one JSON line.\n\n")
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
	dir, err := os.MkdirTemp("", "taxsms-campaign-")
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
	res := CampaignResult{Bench: "campaign", Engine: m.DB.Engine(), Taxpayers: *n, Contacts: 2 * *n}

	start := time.Now()
	if *agencies < 0 {
		*agencies = *n / 100
	}
	files, err := synth.Write(filepath.Join(dir, "city"), synth.Config{Seed: 12366, Taxpayers: *n, ContactsPer: 2, Agencies: *agencies,
		Period: "2026-11", FilingDue: taxsms.Date{Year: 2026, Month: 12, Day: 15}})
	if err != nil {
		return err
	}
	for _, f := range []struct {
		kind importer.Kind
		path string
	}{{importer.Offices, files.Offices}, {importer.Users, files.Users}, {importer.Taxpayers, files.Taxpayers}, {importer.Contacts, files.Contacts}} {
		if _, err := importer.File(ctx, m.DB, f.kind, f.path, importer.Options{}); err != nil {
			return fmt.Errorf("import %s: %w", f.path, err)
		}
	}
	res.ImportS = time.Since(start).Seconds()
	fmt.Fprintf(stdout, "imported %d taxpayers with their contacts in %.1f s\n", *n, res.ImportS)

	offices, err := m.DB.ListOffices(ctx, taxsms.OfficeFilter{Limit: 1000})
	if err != nil {
		return err
	}
	var root int64
	for _, o := range offices {
		if o.ParentID == 0 {
			root = o.ID
		}
	}
	svc := &campaign.Service{DB: m.DB, Signature: m.Config.Signature}
	c := &taxsms.Campaign{OfficeID: root, Kind: taxsms.KindSpecial, Title: "全市申报提醒",
		Template: "{name}：本月申报期将于15日结束，请及时办理申报。", Audience: taxsms.Audience{Type: taxsms.AudienceTaxpayers, Subtree: root}}
	if err := m.DB.CreateCampaign(ctx, c); err != nil {
		return err
	}
	start = time.Now()
	est, err := svc.Estimate(ctx, c.ID)
	if err != nil {
		return err
	}
	res.CountMS = float64(time.Since(start).Microseconds()) / 1000
	res.Recipients, res.Duplicates, res.Segments = est.Count.Recipients, est.Count.Duplicates, est.Count.Segments
	for _, v := range est.Count.Excluded {
		res.Excluded += v
	}
	fmt.Fprintf(stdout, "counted %d recipients (%d duplicates, %d excluded), %d segments in %.0f ms\n",
		res.Recipients, res.Duplicates, res.Excluded, res.Segments, res.CountMS)

	if _, err := m.DB.MoveCampaign(ctx, c.ID, store.CampaignMove{From: []taxsms.CampaignState{taxsms.CampaignDraft},
		To: taxsms.CampaignSending, Started: true, Detail: "benchmark"}); err != nil {
		return err
	}
	start = time.Now()
	for {
		q, done, err := m.DB.ExpandCampaign(ctx, c.ID, svc.Rendering(c))
		if err != nil {
			return err
		}
		res.Queued += q
		if done {
			break
		}
	}
	res.ExpandMS = float64(time.Since(start).Microseconds()) / 1000
	fmt.Fprintf(stdout, "expanded into %d messages in %.1f s\n", res.Queued, res.ExpandMS/1000)
	res.PeakRSSMB = peakRSSMB()
	return json.NewEncoder(stdout).Encode(res)
}
