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
	"sync"
	"sync/atomic"
	"time"

	"taxsms"
	"taxsms/importer"
	"taxsms/pii"
	"taxsms/simulator"
	"taxsms/synth"
)

// InboundResult is the last line of "taxsms bench inbound".
type InboundResult struct {
	Bench     string  `json:"bench"`
	Engine    string  `json:"engine"`
	Rate      float64 `json:"rate_per_s"`
	MO        int     `json:"mo"`
	Answered  int     `json:"answered"`
	P50MS     float64 `json:"p50_ms"`
	P99MS     float64 `json:"p99_ms"`
	MaxMS     float64 `json:"max_ms"`
	PeakRSSMB float64 `json:"peak_rss_mb"`
}

// benchTexts are what the benchmark's taxpayers text, in turn: look-ups of
// their administrator, invoice checks, questions the knowledge base
// answers, help.
var benchTexts = []string{"CX 我的税收管理员是谁", "FP 3702191130 12345678", "ZX 个税汇算什么时候截止", "ＣＸ", "帮助"}

func runBenchInbound(ctx context.Context, args, environ []string, stdout, stderr io.Writer) (err error) {
	fs := flag.NewFlagSet("bench inbound", flag.ContinueOnError)
	fs.SetOutput(stderr)
	rate := fs.Float64("rate", 500, "MO a second")
	duration := fs.Duration("duration", 10*time.Second, "how long MO are sent")
	db := fs.String("db", "", "database: postgres://… (run in a fresh schema, dropped after) or sqlite:PATH; default a SQLite file in a temporary directory")
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "Usage: taxsms bench inbound [flags]\n\nSends MO at a fixed rate from a synthetic city's contacts into the simulator (CMPP),\nthrough the links, the store and the answering service; measures the time from each MO\nstored to its reply submitted. Prints one JSON line.\n\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *rate <= 0 || *duration <= 0 {
		return errors.New("bench inbound: -rate and -duration must be positive")
	}
	dsn, cleanup, err := benchDatabase(ctx, *db, stdout)
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, cleanup()) }()
	dir, err := os.MkdirTemp("", "taxsms-inbound-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	lc, err := startLocalCarriers(ctx, nil)
	if err != nil {
		return err
	}
	defer lc.Close()

	m := NewMain(environ, stdout, stderr)
	m.Config.Database = dsn
	m.Config.HTTP.Addr = "127.0.0.1:0"
	m.Config.Node = "bench"
	m.Config.Log.Level = "warn"
	m.Config.Secret.Keys = "1:" + pii.NewKey()
	m.Config.Secret.LookupKey = pii.NewKey()
	m.Config.Links, m.LinkOptions = lc.Links, lc.Options
	if err := m.Open(ctx); err != nil {
		m.Close()
		return err
	}
	defer func() { err = errors.Join(err, m.Close()) }()
	files, err := synth.Write(filepath.Join(dir, "city"), synth.Config{Seed: 7, Taxpayers: 2000})
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
	var numbers []string
	for after := int64(0); ; {
		page, err := m.DB.ListTaxpayers(ctx, taxsms.TaxpayerFilter{After: after, Limit: 500})
		if err != nil {
			return err
		}
		if len(page) == 0 {
			break
		}
		for _, t := range page {
			after = t.ID
			cs, err := m.DB.ListContacts(ctx, t.ID)
			if err != nil {
				return err
			}
			for _, c := range cs {
				numbers = append(numbers, c.Mobile)
			}
		}
	}
	if err := m.Run(ctx); err != nil {
		return err
	}
	readyCtx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if err := m.Router.Ready(readyCtx); err != nil {
		return fmt.Errorf("carrier links: %w", err)
	}

	res := InboundResult{Bench: "inbound", Engine: m.DB.Engine(), Rate: *rate}
	since := time.Now().Add(-time.Second)
	total := int(*rate * duration.Seconds())
	fmt.Fprintf(stdout, "bench inbound: %d MO at %.0f/s from %d numbers on %s\n", total, *rate, len(numbers), res.Engine)
	var wg sync.WaitGroup
	var failed atomic.Int64
	var firstErr atomic.Value
	tick := time.NewTicker(time.Duration(float64(time.Second) / *rate))
	for i := range total {
		<-tick.C
		mo := simulator.MO{Protocol: simulator.CMPP, Account: "901234", From: numbers[i%len(numbers)], To: "1063532123661", Text: benchTexts[i%len(benchTexts)]}
		wg.Go(func() {
			if err := lc.Sim.InjectMO(ctx, mo); err != nil {
				failed.Add(1)
				firstErr.CompareAndSwap(nil, err)
			}
		})
	}
	tick.Stop()
	wg.Wait()
	if n := failed.Load(); n > 0 {
		return fmt.Errorf("bench inbound: %d MO not delivered: %v", n, firstErr.Load())
	}
	// Wait until every MO has its reply submitted, or ten seconds pass.
	var lat []time.Duration
	for deadline := time.Now().Add(10 * time.Second); ; {
		lat, res.MO, err = m.DB.ReplyLatencies(ctx, since)
		if err != nil {
			return err
		}
		if len(lat) >= res.MO || time.Now().After(deadline) {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	res.Answered = len(lat)
	if len(lat) > 0 {
		q := func(p float64) float64 {
			return float64(lat[min(len(lat)-1, int(p*float64(len(lat))))]) / float64(time.Millisecond)
		}
		res.P50MS, res.P99MS, res.MaxMS = q(0.50), q(0.99), q(1)
	}
	res.PeakRSSMB = peakRSSMB()
	return json.NewEncoder(stdout).Encode(res)
}
