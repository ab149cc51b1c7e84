// Command taxsms runs the 12366 tax-service SMS platform.
//
//	taxsms serve     run a node: console, API, dispatch
//	taxsms demo      build a synthetic city in ./taxsms-demo and serve it
//	taxsms migrate   apply database migrations
//	taxsms import    import offices, staff, taxpayers or contacts from CSV or Excel
//	taxsms smsc-sim  run the carrier simulator (CMPP, SGIP, SMGP, SMPP)
//	taxsms bench     benchmarks (bench dispatch)
//	taxsms user      add a user, set a password, suspend or resume
//	taxsms audit     verify the audit archive's hash chain
//	taxsms billing   rebuild the billing counters (billing recount)
//	taxsms keygen    print a new data key and lookup key
//	taxsms version   print the version
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"runtime/debug"
	"strings"
	"sync"
	"syscall"
	"time"
	_ "time/tzdata" // China's zone even on a machine without zoneinfo

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"taxsms/auth"
	"taxsms/campaign"
	"taxsms/carrier"
	"taxsms/content"
	"taxsms/dispatch"
	"taxsms/inbound"
	"taxsms/pii"
	"taxsms/remind"
	"taxsms/store"
	"taxsms/web"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := Run(ctx, os.Args[1:], os.Environ(), os.Stdout, os.Stderr); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			os.Exit(2)
		}
		fmt.Fprintln(os.Stderr, "taxsms:", err)
		os.Exit(1)
	}
}

const usage = `taxsms — the 12366 tax-service SMS platform

Usage: taxsms <command> [flags]

Commands:
  serve     run a node: console, API, carrier links
  demo      build a synthetic city and serve it (--once: build, check, print a JSON summary, exit)
  migrate   apply pending database migrations
  import    import offices, staff, taxpayers or contacts from CSV (UTF-8 or GBK) or .xlsx
  remind    the automatic reminders: "remind plan --date D" shows what they would send, "remind run" queues them
  user      add a user, set a password, suspend or resume (for the first administrator and scripts)
  audit     verify the audit archive's hash chain
  keygen    print a fresh data key and lookup key for the configuration
  smsc-sim  run a carrier simulator (CMPP 7890, SGIP 8801, SMGP 8890, SMPP 2775, HTTP 7800)
  bench     benchmarks: "bench dispatch [--messages N] [--db DSN]" sends through the real path,
            "bench remind [--taxpayers N]" plans and queues the reminders of a city,
            "bench inbound [--rate R] [--duration D]" answers MO at a rate,
            "bench billing [--messages N]" times the monthly statement over N message rows,
            "bench campaign [--taxpayers N] [--db DSN]" counts and expands a city-wide broadcast; each ends with a JSON line
  billing   "billing recount" rebuilds the billing counters from the messages
  version   print the version

Run "taxsms <command> --help" for the flags of a command.
`

// Run runs the command named by args[0]. It is main without the process:
// tests call it with their own arguments, environment and output.
func Run(ctx context.Context, args, environ []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return flag.ErrHelp
	}
	cmd, args := args[0], args[1:]
	switch cmd {
	case "serve":
		return runServe(ctx, args, environ, stdout, stderr)
	case "demo":
		return (&Demo{Stdout: stdout, Stderr: stderr}).Run(ctx, args, environ)
	case "migrate":
		return runMigrate(ctx, args, environ, stdout, stderr)
	case "import":
		return runImport(ctx, args, environ, stdout, stderr)
	case "smsc-sim":
		return runSMSCSim(ctx, args, stdout, stderr)
	case "bench":
		return runBench(ctx, args, environ, stdout, stderr)
	case "remind":
		return runRemind(ctx, args, environ, stdout, stderr)
	case "user":
		return runUser(ctx, args, environ, os.Stdin, stdout, stderr)
	case "audit":
		return runAudit(ctx, args, environ, stdout, stderr)
	case "billing":
		return runBilling(ctx, args, environ, stdout, stderr)
	case "keygen":
		fmt.Fprintf(stdout, "[secret]\nkeys = \"1:%s\"\nlookup_key = \"%s\"\n", pii.NewKey(), pii.NewKey())
		return nil
	case "version", "--version", "-version":
		fmt.Fprintln(stdout, "taxsms", Version())
		return nil
	case "help", "-h", "--help", "-help":
		fmt.Fprint(stdout, usage)
		return nil
	}
	fmt.Fprint(stderr, usage)
	return fmt.Errorf("unknown command %q", cmd)
}

// Version returns the module version or VCS revision the binary was built from.
func Version() string {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return "dev"
	}
	v := info.Main.Version
	for _, s := range info.Settings {
		if s.Key == "vcs.revision" && len(s.Value) >= 12 {
			v = s.Value[:12]
		}
	}
	if v == "" || v == "(devel)" {
		return "dev"
	}
	return v
}

// Main is a taxsms node: its configuration and the services it wires
// together. Tests build one to run the real wiring.
type Main struct {
	Config     Config
	ConfigPath string
	Environ    []string
	Stdout     io.Writer
	Stderr     io.Writer

	Logger     *slog.Logger
	Location   *time.Location
	DB         *store.DB
	Dispatcher *dispatch.Dispatcher
	Router     *carrier.Router
	Web        *web.Server
	// Reminders runs the automatic reminders while the node serves.
	Reminders *remind.Scheduler
	// Content is the content check in force, reloaded when the stored
	// lists change.
	Content *content.Source
	// Campaigns runs the broadcasts: approved ones are expanded and sent
	// within working hours, festival greetings drafted ahead of the day.
	Campaigns *campaign.Scheduler

	// LinkOptions are passed to the carrier links (the demo and tests set
	// the SGIP listener and faster timings).
	LinkOptions carrier.Options
	// MO, if set, receives each MO message once stored; else Inbound does.
	MO dispatch.MOHandler
	// Inbound answers taxpayers' texts while the node serves.
	Inbound *inbound.Service

	box            *pii.Box
	stopSchedulers context.CancelFunc
	schedulers     sync.WaitGroup
}

// NewMain returns a Main with the default configuration.
func NewMain(environ []string, stdout, stderr io.Writer) *Main {
	return &Main{Config: DefaultConfig(), Environ: environ, Stdout: stdout, Stderr: stderr}
}

// FlagSet returns the flags of a command that runs a node, bound to m.Config.
func (m *Main) FlagSet(name, summary string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(m.Stderr)
	m.Config.Register(fs, &m.ConfigPath)
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "Usage: taxsms %s\n\n%s\nSettings are read from the -config file, then TAXSMS_… environment variables, then flags.\n\n", name, summary)
		fs.PrintDefaults()
	}
	return fs
}

// ParseFlags reads the configuration file, the environment and args into
// m.Config, in that order of precedence.
func (m *Main) ParseFlags(fs *flag.FlagSet, args []string) error {
	m.ConfigPath = configPathFrom(args, envValue(m.Environ, "TAXSMS_CONFIG"))
	return m.Config.Load(fs, m.ConfigPath, m.Environ, args)
}

func envValue(environ []string, key string) string {
	for _, kv := range environ {
		if v, ok := strings.CutPrefix(kv, key+"="); ok {
			return v
		}
	}
	return ""
}

// Open sets up logging and opens (and migrates) the database.
func (m *Main) Open(ctx context.Context) error {
	var level slog.Level
	if err := level.UnmarshalText([]byte(m.Config.Log.Level)); err != nil {
		return fmt.Errorf("log.level: %q is not debug, info, warn or error", m.Config.Log.Level)
	}
	opts := &slog.HandlerOptions{Level: level}
	switch m.Config.Log.Format {
	case "json":
		m.Logger = slog.New(slog.NewJSONHandler(m.Stderr, opts))
	case "text":
		m.Logger = slog.New(slog.NewTextHandler(m.Stderr, opts))
	default:
		return fmt.Errorf("log.format: %q is not text or json", m.Config.Log.Format)
	}
	loc, err := time.LoadLocation(m.Config.TimeZone)
	if err != nil {
		return fmt.Errorf("timezone: %w", err)
	}
	m.Location = loc
	if m.box, err = m.newBox(); err != nil {
		return err
	}
	m.DB, err = store.Open(ctx, m.Config.Database, m.box)
	return err
}

// newBox builds the pii.Box from the configured keys. Errors never include keys.
func (m *Main) newBox() (*pii.Box, error) {
	if m.Config.Secret.Keys == "" || m.Config.Secret.LookupKey == "" {
		return nil, errors.New("secret.keys and secret.lookup_key must be set (TAXSMS_SECRET_KEYS, TAXSMS_SECRET_LOOKUP_KEY); \"taxsms keygen\" makes them")
	}
	keys, err := pii.ParseKeys(m.Config.Secret.Keys)
	if err != nil {
		return nil, fmt.Errorf("secret.keys: %w", err)
	}
	lookup, err := pii.DecodeKey(m.Config.Secret.LookupKey)
	if err != nil {
		return nil, fmt.Errorf("secret.lookup_key: %w", err)
	}
	return pii.New(keys, lookup)
}

// Run opens the node and starts its work: the dispatcher, the carrier
// links and the HTTP server. It returns once everything runs; the links
// log in in the background.
func (m *Main) Run(ctx context.Context) error {
	if m.DB == nil {
		if err := m.Open(ctx); err != nil {
			return err
		}
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	if m.MO == nil {
		if err := m.openInbound(); err != nil {
			return err
		}
		m.MO = m.Inbound
	}
	m.Dispatcher = &dispatch.Dispatcher{DB: m.DB, MO: m.MO, Logger: m.Logger,
		Config: dispatch.Config{Node: m.Config.Node, Workers: windows(m.Config.Links), Lease: m.Config.Dispatch.Lease}, Metrics: dispatch.NewMetrics(reg, m.DB)}
	opts := m.LinkOptions
	opts.Logger = m.Logger
	if err := m.leaseSlots(ctx, &opts); err != nil {
		return err
	}
	routes, err := m.Config.routes()
	if err != nil {
		return err
	}
	if len(routes.Overrides) > 0 || len(routes.Failover) > 0 {
		opts.Routes = routes
	}
	router, err := carrier.Open(ctx, m.Config.Links, m.Dispatcher, opts)
	if err != nil {
		return err
	}
	m.Router = router
	reg.MustRegister(carrier.NewCollector(router))
	m.Dispatcher.Sender = router
	if m.Inbound != nil {
		m.Inbound.Notify = m.Dispatcher.Notify
	}
	if err := m.Dispatcher.Open(ctx); err != nil {
		return err
	}
	if err := m.startSchedulers(); err != nil {
		return err
	}
	if m.Inbound != nil {
		m.recoverMO()
	}
	m.Web = &web.Server{Addr: m.Config.HTTP.Addr, Store: m.DB, DB: m.DB, Notifier: m.Dispatcher,
		APIKey: m.Config.API.Key, Metrics: promhttp.HandlerFor(reg, promhttp.HandlerOpts{}), Ready: router.Ready,
		Logger: m.Logger, Version: Version(), Campaigns: m.Campaigns.Service}
	if m.Web.Console, err = m.console(router); err != nil {
		return err
	}
	if err := m.Web.Open(); err != nil {
		return fmt.Errorf("http.addr %s: %w", m.Config.HTTP.Addr, err)
	}
	m.Logger.Info("serving", "url", m.Web.URL(), "engine", m.DB.Engine(), "node", m.Config.Node, "links", len(m.Config.Links))
	return nil
}

// recoverMO answers, in the background and on one node (the holder of its
// lock), the MO that a stop caught between storing and answering.
func (m *Main) recoverMO() {
	m.schedulers.Add(1)
	go func() {
		defer m.schedulers.Done()
		ctx := context.Background()
		lock := m.DB.Lock("inbound-recover")
		defer lock.Release()
		if held, err := lock.Hold(ctx); err != nil || !held {
			return
		}
		n, err := m.Inbound.Recover(ctx, m.DB)
		if err != nil {
			m.Logger.Error("inbound: recover unanswered MO", "err", err)
		} else if n > 0 {
			m.Logger.Info("inbound: answered MO left unanswered by a stop", "mo", n)
		}
	}()
}

// openInbound makes the service that answers taxpayers' texts.
func (m *Main) openInbound() error {
	keywords := inbound.DefaultKeywords()
	if path := m.Config.Inbound.Keywords; path != "" {
		f, err := os.Open(path)
		if err != nil {
			return fmt.Errorf("inbound.keywords: %w", err)
		}
		defer f.Close()
		if keywords, err = inbound.Parse(f); err != nil {
			return fmt.Errorf("inbound.keywords %s: %w", path, err)
		}
	}
	p, err := m.planner()
	if err != nil {
		return err
	}
	due := map[inbound.Intent]int{inbound.Question: m.Config.Inbound.DueConsultation,
		inbound.Complaint: m.Config.Inbound.DueComplaint, inbound.Report: m.Config.Inbound.DueReport}
	m.Inbound = &inbound.Service{Store: m.DB, Classifier: inbound.NewClassifier(keywords), Signature: m.Config.Signature,
		Limit: m.Config.Inbound.RateLimit, Logger: m.Logger, Invoices: invoices{m.DB}, Answers: &answers{db: m.DB},
		Tickets: tickets{db: m.DB, planner: p, due: due}}
	return nil
}

// startSchedulers starts the work that runs on one node at a time (each
// holding its lock in the database): the automatic reminders — the day's
// once a day, failed deductions as they come — and, once a day, retention;
// the broadcasts; and, on every node, the reload of the content lists when they change.
func (m *Main) startSchedulers() error {
	p, err := m.planner()
	if err != nil {
		return err
	}
	retention, err := m.Config.retention()
	if err != nil {
		return err
	}
	m.noteCalendar(context.Background())
	m.Reminders = &remind.Scheduler{Planner: p, Lock: m.DB.Lock("remind"), Logger: m.Logger, Notify: m.Dispatcher.Notify}
	ctx, cancel := context.WithCancel(context.Background())
	m.stopSchedulers = cancel
	m.Content = new(content.Source)
	version, err := m.loadContent(ctx)
	if err != nil {
		cancel()
		return fmt.Errorf("content lists: %w", err)
	}
	m.Campaigns = &campaign.Scheduler{Service: m.campaignService(p), Lock: m.DB.Lock("campaign"), Logger: m.Logger, Notify: m.Dispatcher.Notify}
	m.schedulers.Add(4)
	go func() { // ends when Close cancels ctx
		defer m.schedulers.Done()
		m.Campaigns.Run(ctx)
	}()
	go func() { // ends when Close cancels ctx
		defer m.schedulers.Done()
		m.Reminders.Run(ctx)
	}()
	go func() { // ends when Close cancels ctx
		defer m.schedulers.Done()
		m.watchContent(ctx, version)
	}()
	go func() { // ends when Close cancels ctx
		defer m.schedulers.Done()
		runRetention(ctx, m, retention, m.DB.Lock("retention"))
	}()
	return nil
}

// campaignService returns the broadcasts' service: the content lists in
// force, the tariffs, and the calendar the reminders use.
func (m *Main) campaignService(p *remind.Planner) *campaign.Service {
	return &campaign.Service{DB: m.DB, Checker: m.Content.Checker, Prices: m.DB, Calendar: p.CurrentCalendar,
		Signature: m.Config.Signature, Logger: m.Logger}
}

// console returns the staff console of the configuration, showing the
// health of links.
func (m *Main) console(links web.LinkHealth) (*web.Console, error) {
	key, err := m.Config.consoleKey()
	if err != nil {
		return nil, err
	}
	policy, err := m.Config.totpPolicy()
	if err != nil {
		return nil, err
	}
	return &web.Console{DB: m.DB, Links: links, Key: key, TOTP: policy, Location: m.Location, Reminders: m.Reminders.Planner, Content: m.Content, Campaigns: m.Campaigns.Service,
		Sessions: auth.SessionConfig{Idle: m.Config.Console.SessionIdle, Absolute: m.Config.Console.SessionAbsolute, Secure: m.Config.Console.SecureCookies}}, nil
}

// Close shuts the node down gracefully within the shutdown timeout: it
// stops taking API calls, stops claiming messages and waits for the sends
// in flight, drains and logs out the carrier links (storing the receipts
// they still bring), then closes the database.
func (m *Main) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), m.Config.ShutdownTimeout)
	defer cancel()
	var errs []error
	if m.Web != nil {
		errs = append(errs, m.Web.Close(ctx))
	}
	if m.stopSchedulers != nil {
		m.stopSchedulers()
		m.schedulers.Wait()
	}
	if m.Dispatcher != nil {
		errs = append(errs, m.Dispatcher.Stop(ctx))
	}
	if m.Router != nil {
		errs = append(errs, m.Router.Close(ctx))
	}
	if m.Inbound != nil {
		m.Inbound.Wait()
	}
	if m.Dispatcher != nil {
		errs = append(errs, m.Dispatcher.Close(ctx))
	}
	if m.DB != nil {
		errs = append(errs, m.DB.Close())
	}
	return errors.Join(errs...)
}

func runServe(ctx context.Context, args, environ []string, stdout, stderr io.Writer) error {
	m := NewMain(environ, stdout, stderr)
	fs := m.FlagSet("serve [flags]", "Runs a taxsms node until SIGINT or SIGTERM.")
	if err := m.ParseFlags(fs, args); err != nil {
		return err
	}
	if err := m.Run(ctx); err != nil {
		m.Close()
		return err
	}
	<-ctx.Done()
	m.Logger.Info("shutting down")
	return m.Close()
}

func runMigrate(ctx context.Context, args, environ []string, stdout, stderr io.Writer) error {
	m := NewMain(environ, stdout, stderr)
	fs := m.FlagSet("migrate [flags]", "Applies pending database migrations (serve also does at start).")
	reseal := fs.Bool("reseal", false, "also re-seal every stored number with the newest data key, after a key rotation")
	if err := m.ParseFlags(fs, args); err != nil {
		return err
	}
	if err := m.Open(ctx); err != nil { // Open migrates
		return err
	}
	defer m.Close()
	fmt.Fprintf(stdout, "database %s is up to date\n", m.DB.Engine())
	if *reseal {
		n, err := m.DB.Reseal(ctx)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "re-sealed %d numbers with data key %d\n", n, m.box.Active())
	}
	return nil
}

// windows adds up the send windows of the enabled links (connections ×
// window): as many sends as the carriers take at once, which is also the
// most a crash may send twice. It is 0, the dispatcher's default, without
// links.
func windows(links []carrier.LinkConfig) int {
	n := 0
	for _, l := range links {
		if l.Enabled {
			n += l.Capacity()
		}
	}
	return n
}
