package main

import (
	"bufio"
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"runtime/pprof"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"taxsms"
	"taxsms/pii"
	"taxsms/simulator"
)

// DispatchResult is the JSON line that ends "taxsms bench dispatch".
type DispatchResult struct {
	Bench        string  `json:"bench"`
	Engine       string  `json:"engine"`
	Messages     int     `json:"messages"`
	Replies      int     `json:"replies"`
	InsertPerS   float64 `json:"insert_per_s"`
	SubmitPerS   float64 `json:"submit_per_s"`
	ReceiptsPerS float64 `json:"receipts_per_s"`
	P50MS        int64   `json:"p50_ms"`
	P99MS        int64   `json:"p99_ms"`
	ReplyP50MS   int64   `json:"reply_p50_ms"`
	ReplyP99MS   int64   `json:"reply_p99_ms"`
	Delivered    int     `json:"delivered"`
	Failed       int     `json:"failed"`
	Duplicates   int64   `json:"duplicates"`
	ElapsedS     float64 `json:"elapsed_s"`
	PeakRSSMB    float64 `json:"peak_rss_mb"`
}

// runBench runs "taxsms bench KIND".
func runBench(ctx context.Context, args, environ []string, stdout, stderr io.Writer) error {
	if len(args) > 0 && args[0] == "remind" {
		return runBenchRemind(ctx, args[1:], environ, stdout, stderr)
	}
	if len(args) > 0 && args[0] == "inbound" {
		return runBenchInbound(ctx, args[1:], environ, stdout, stderr)
	}
	if len(args) > 0 && args[0] == "campaign" {
		return runBenchCampaign(ctx, args[1:], environ, stdout, stderr)
	}
	if len(args) > 0 && args[0] == "billing" {
		return runBenchBilling(ctx, args[1:], environ, stdout, stderr)
	}
	if len(args) == 0 || args[0] != "dispatch" {
		fmt.Fprintln(stderr, "Usage: taxsms bench dispatch [--messages N] [--db DSN]\n       taxsms bench remind [--taxpayers N] [--db DSN]\n       taxsms bench inbound [--rate R] [--duration D] [--db DSN]\n       taxsms bench campaign [--taxpayers N] [--db DSN]\n       taxsms bench billing [--messages N] [--db DSN]")
		return flag.ErrHelp
	}
	b := &DispatchBench{Stdout: stdout, Stderr: stderr, Environ: environ}
	fs := flag.NewFlagSet("bench dispatch", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.IntVar(&b.Messages, "messages", 1_000_000, "broadcast messages to send")
	fs.StringVar(&b.DB, "db", "", "database: postgres://… (run in a fresh schema, dropped after) or sqlite:PATH; default a SQLite file in a temporary directory")
	fs.Float64Var(&b.ReplyRate, "reply-rate", 20, "replies (priority 0) queued per second while the broadcast runs")
	fs.IntVar(&b.InsertBatch, "insert-batch", 1000, "messages per CreateMessages call")
	fs.StringVar(&b.CPUProfile, "cpuprofile", "", "write a CPU profile to `file`")
	fs.DurationVar(&b.ReceiptDelay, "receipt-delay", 20*time.Millisecond, "the simulator's delay before a status report")
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "Usage: taxsms bench dispatch [flags]\n\nSends a broadcast through the real path: store, outbox, dispatcher, carrier links over TCP\nto an in-process simulator, receipts back and stored. Prints progress, then one JSON line.\n\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	return b.Run(ctx)
}

// DispatchBench measures the dispatch path end to end.
type DispatchBench struct {
	Stdout, Stderr io.Writer
	Environ        []string
	Messages       int
	DB             string
	ReplyRate      float64
	InsertBatch    int
	CPUProfile     string
	ReceiptDelay   time.Duration
}

// Run runs the benchmark and prints its result line.
func (b *DispatchBench) Run(ctx context.Context) (err error) {
	dsn, cleanup, err := b.database(ctx)
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, cleanup()) }()

	lc, err := startLocalCarriers(ctx, func(c *simulator.Config) {
		c.ReceiptDelay = b.ReceiptDelay
		c.DuplicateWindow = 1 << 16
	})
	if err != nil {
		return err
	}
	defer lc.Close()

	m := NewMain(b.Environ, b.Stdout, b.Stderr)
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
	if err := m.Run(ctx); err != nil {
		return err
	}
	readyCtx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if err := m.Router.Ready(readyCtx); err != nil {
		return fmt.Errorf("carrier links: %w", err)
	}

	if b.CPUProfile != "" {
		f, err := os.Create(b.CPUProfile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}

	res := DispatchResult{Bench: "dispatch", Engine: m.DB.Engine(), Messages: b.Messages}
	fmt.Fprintf(b.Stdout, "bench dispatch: %d broadcast messages on %s, replies at %.0f/s, links %d\n", b.Messages, res.Engine, b.ReplyRate, len(lc.Links))
	start := time.Now()
	since := start.Add(-time.Second)
	runCtx, stop := context.WithCancel(ctx)
	defer stop()

	var inserted, replies atomic.Int64
	var insertErr, replyErr error
	var insertDone time.Time
	var wg sync.WaitGroup
	wg.Go(func() {
		insertErr = b.insertBroadcast(runCtx, m, &inserted)
		insertDone = time.Now()
	})
	replyStop := make(chan struct{})
	wg.Go(func() { replyErr = b.trickleReplies(runCtx, m, &replies, replyStop) })

	// Progress, from the simulator's counters: a receipt is counted once
	// the platform acknowledged it, that is once it is stored.
	var submitDone, receiptDone time.Time
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	last := time.Now()
	var lastSeg, lastRcpt int64
	for receiptDone.IsZero() {
		select {
		case <-ctx.Done():
			stop()
			wg.Wait()
			return ctx.Err()
		case <-tick.C:
		}
		if insertErr != nil {
			stop()
			wg.Wait()
			return fmt.Errorf("insert: %w", insertErr)
		}
		t := lc.Sim.Stats().Total("")
		now := time.Now()
		want := int64(b.Messages) + replies.Load()
		fmt.Fprintf(b.Stdout, "%6.1fs inserted %d, submitted %d (%.0f/s), receipts %d (%.0f/s), replies %d, rss %.0f MB\n",
			now.Sub(start).Seconds(), inserted.Load(), t.Segments, float64(t.Segments-lastSeg)/now.Sub(last).Seconds(),
			t.Receipts, float64(t.Receipts-lastRcpt)/now.Sub(last).Seconds(), replies.Load(), peakRSSMB())
		last, lastSeg, lastRcpt = now, t.Segments, t.Receipts
		if submitDone.IsZero() && t.Segments-t.Duplicates >= int64(b.Messages) && inserted.Load() == int64(b.Messages) {
			submitDone = now
			close(replyStop)
			wg.Wait()
			if replyErr != nil {
				return fmt.Errorf("replies: %w", replyErr)
			}
			want = int64(b.Messages) + replies.Load()
		}
		if !submitDone.IsZero() && t.Receipts >= want {
			counts, err := m.DB.CountByStatus(ctx, taxsms.MT)
			if err != nil {
				return err
			}
			if int64(counts[taxsms.StatusDelivered]+counts[taxsms.StatusFailed]) >= want {
				receiptDone = time.Now()
				res.Delivered, res.Failed = counts[taxsms.StatusDelivered], counts[taxsms.StatusFailed]
			}
		}
	}
	pprof.StopCPUProfile()
	res.Replies = int(replies.Load())
	res.Duplicates = lc.Sim.Stats().Total("").Duplicates
	res.ElapsedS = receiptDone.Sub(start).Seconds()
	res.InsertPerS = float64(b.Messages) / insertDone.Sub(start).Seconds()
	res.SubmitPerS = float64(b.Messages) / submitDone.Sub(start).Seconds()
	res.ReceiptsPerS = float64(b.Messages+res.Replies) / res.ElapsedS
	res.PeakRSSMB = peakRSSMB()

	qs, _, err := m.DB.QueueToSubmit(ctx, taxsms.PriorityBulk, since, 0.5, 0.99)
	if err != nil {
		return err
	}
	res.P50MS, res.P99MS = qs[0].Milliseconds(), qs[1].Milliseconds()
	if qs, _, err = m.DB.QueueToSubmit(ctx, taxsms.PriorityInteractive, since, 0.5, 0.99); err != nil {
		return err
	}
	res.ReplyP50MS, res.ReplyP99MS = qs[0].Milliseconds(), qs[1].Milliseconds()
	return json.NewEncoder(b.Stdout).Encode(res)
}

// insertBroadcast queues the broadcast through the store in batches, as the
// API does, waking the dispatcher after each.
func (b *DispatchBench) insertBroadcast(ctx context.Context, m *Main, inserted *atomic.Int64) error {
	batch := make([]*taxsms.Message, 0, b.InsertBatch)
	for i := 0; i < b.Messages; {
		batch = batch[:0]
		for ; i < b.Messages && len(batch) < b.InsertBatch; i++ {
			batch = append(batch, &taxsms.Message{Direction: taxsms.MT, Kind: taxsms.KindSpecial, Priority: taxsms.PriorityBulk,
				Mobile: benchMobile(i), Segments: 1, Body: "【12366】纳税人您好：2026年度个人所得税综合所得汇算清缴将于6月30日结束，请及时办理。"})
		}
		if _, err := m.DB.CreateMessages(ctx, batch); err != nil {
			return err
		}
		inserted.Add(int64(len(batch)))
		m.Dispatcher.Notify()
	}
	return nil
}

// trickleReplies queues one reply at a time at ReplyRate until stop closes.
func (b *DispatchBench) trickleReplies(ctx context.Context, m *Main, n *atomic.Int64, stop <-chan struct{}) error {
	if b.ReplyRate <= 0 {
		return nil
	}
	t := time.NewTicker(time.Duration(float64(time.Second) / b.ReplyRate))
	defer t.Stop()
	for i := 0; ; i++ {
		select {
		case <-ctx.Done():
			return nil
		case <-stop:
			return nil
		case <-t.C:
		}
		msg := &taxsms.Message{Direction: taxsms.MT, Kind: taxsms.KindReply, Priority: taxsms.PriorityInteractive,
			Mobile: benchMobile(90_000_000 + i), Segments: 1, Body: "您的税收管理员是张三，电话12366。"}
		if err := m.DB.CreateMessage(ctx, msg); err != nil {
			return err
		}
		n.Add(1)
		m.Dispatcher.Notify()
	}
}

// benchMobile returns the i-th synthetic number, spread over the three
// carriers (China Mobile 138, Unicom 130, Telecom 133).
func benchMobile(i int) string {
	return [3]string{"138", "130", "133"}[i%3] + fmt.Sprintf("%08d", i/3%100_000_000)
}

// database returns the DSN the benchmark runs on and a function that
// removes what it made: a temporary SQLite file, or a fresh PostgreSQL
// schema (search_path) dropped after.
func (b *DispatchBench) database(ctx context.Context) (string, func() error, error) {
	return benchDatabase(ctx, b.DB, b.Stdout)
}

// benchDatabase returns the DSN a benchmark runs on and what removes it
// after: db "" is a SQLite file in a new temporary directory, a PostgreSQL
// URL a fresh schema of that database, anything else db itself, kept.
func benchDatabase(ctx context.Context, db string, stdout io.Writer) (string, func() error, error) {
	switch {
	case db == "":
		dir, err := os.MkdirTemp("", "taxsms-bench-")
		if err != nil {
			return "", nil, err
		}
		return "sqlite:" + filepath.Join(dir, "bench.db"), func() error { return os.RemoveAll(dir) }, nil
	case strings.HasPrefix(db, "postgres://"), strings.HasPrefix(db, "postgresql://"):
		u, err := url.Parse(db)
		if err != nil {
			return "", nil, fmt.Errorf("--db: %w", err)
		}
		r := make([]byte, 6)
		rand.Read(r)
		schema := "bench_" + hex.EncodeToString(r)
		admin, err := sql.Open("pgx", db)
		if err != nil {
			return "", nil, err
		}
		if _, err := admin.ExecContext(ctx, "CREATE SCHEMA "+schema); err != nil {
			admin.Close()
			return "", nil, fmt.Errorf("--db: create schema: %w", err)
		}
		q := u.Query()
		q.Set("search_path", schema)
		u.RawQuery = q.Encode()
		fmt.Fprintf(stdout, "PostgreSQL schema %s (dropped at the end)\n", schema)
		return u.String(), func() error {
			defer admin.Close()
			_, err := admin.ExecContext(context.Background(), "DROP SCHEMA "+schema+" CASCADE")
			return err
		}, nil
	default:
		return db, func() error { return nil }, nil
	}
}

// peakRSSMB returns the process's peak resident set size (VmHWM) in MB, or
// 0 where /proc is missing.
// resetPeakRSS starts peakRSSMB afresh (Linux: clear_refs 5), so that a
// phase after a hungrier one is measured alone; elsewhere it does nothing.
func resetPeakRSS() {
	os.WriteFile("/proc/self/clear_refs", []byte("5"), 0)
}

func peakRSSMB() float64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "VmHWM:"); ok {
			kb, _ := strconv.Atoi(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")))
			return float64(kb) / 1024
		}
	}
	return 0
}
