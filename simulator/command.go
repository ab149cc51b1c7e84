package simulator

import (
	"context"
	"encoding/json"

	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"sort"
	"strings"
	"time"
)

// CommandUsage is the help of "taxsms smsc-sim".
const CommandUsage = `Usage: taxsms smsc-sim [flags]

Runs a carrier gateway simulator until SIGINT or SIGTERM: CMPP 2.0/3.0 (China
Mobile), SGIP 1.2 (China Unicom), SMGP 3.0 (China Telecom) and SMPP 3.4 on
their usual ports, with status reports, MO injection and faults on demand.

Default accounts (login / secret):
  cmpp  901234 / demo        SP id (Source_Addr)
  sgip  sp12366 / demo       node 3010012366; MO and reports are pushed to
                             the SP's listener 127.0.0.1:8802 (-sgip-deliver)
  smgp  10612366 / demo      ClientID; log in with LoginMode 2 (transmit)
  smpp  taxsms / demo        system_id / password, bind_transceiver

HTTP API (-http):
  GET  /stats                counters per protocol and account
  GET  /submits?limit=N      the last accepted submits
  POST /mo[?wait=1]          {"protocol":"cmpp","account":"901234","from":"13800000000",
                             "to":"106353212366","text":"FP 1234"}
  GET|POST /fault            {"protocol":"cmpp","throttle":3,"no_response":1,"garbage":1,
                             "drop":1,"delay":"200ms","drop_rate":0.01}
  POST /drop                 {"protocol":"cmpp","account":""}

An address of "" leaves that protocol off. -accounts reads a JSON file such as
{"cmpp":{"901234":{"secret":"demo","max_conns":4}},
 "sgip":{"sp12366":{"secret":"demo","deliver_addr":"127.0.0.1:8802","node_id":3010012366}}}
whose protocols replace the default accounts; -account adds one more.

Flags:
`

// accountFlags collects -account proto:name:secret values.
type accountFlags []string

func (a *accountFlags) String() string     { return strings.Join(*a, ",") }
func (a *accountFlags) Set(v string) error { *a = append(*a, v); return nil }

// RunCommand is "taxsms smsc-sim": it parses args, starts a Simulator and
// its HTTP API, prints where they listen to stdout and serves until ctx
// ends; it then closes both and returns nil. It returns flag.ErrHelp for
// -help, and an error for bad flags or a port that cannot be opened.
func RunCommand(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	cfg := DefaultConfig()
	fs := flag.NewFlagSet("smsc-sim", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), CommandUsage)
		fs.PrintDefaults()
	}
	fs.StringVar(&cfg.CMPP.Addr, "cmpp", cfg.CMPP.Addr, "CMPP listen address")
	fs.StringVar(&cfg.SGIP.Addr, "sgip", cfg.SGIP.Addr, "SGIP listen address")
	fs.StringVar(&cfg.SMGP.Addr, "smgp", cfg.SMGP.Addr, "SMGP listen address")
	fs.StringVar(&cfg.SMPP.Addr, "smpp", cfg.SMPP.Addr, "SMPP listen address")
	httpAddr := fs.String("http", "localhost:7800", "HTTP API listen address (the MO and fault endpoints have no authentication: keep it on a trusted interface)")
	accountsFile := fs.String("accounts", "", "JSON `file` of accounts per protocol")
	var extra accountFlags
	fs.Var(&extra, "account", "one more account, `proto:name:secret` (repeatable)")
	sgipDeliver := fs.String("sgip-deliver", "", "the SP listener `host:port` that SGIP MO and reports go to, for every SGIP account")
	fs.DurationVar(&cfg.ReceiptDelay, "receipt-delay", cfg.ReceiptDelay, "delay before a status report")
	fs.Float64Var(&cfg.FailureRate, "fail-rate", cfg.FailureRate, "share of status reports that say UNDELIV or EXPIRED")
	fs.IntVar(&cfg.Window, "window", cfg.Window, "submits a link may have unanswered before throttle answers; 0 no limit")
	fs.IntVar(&cfg.Rate, "rate", cfg.Rate, "submits per second per link before throttle answers; 0 no limit")
	moFile := fs.String("mo-file", "", "`file` of MO messages to inject at start, one JSON object per line")
	seed := fs.Uint64("seed", 0, "seed of the random choices (failed receipts, fault rates)")
	verbose := fs.Bool("v", false, "log logins and delivery failures to stderr")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("smsc-sim: unexpected argument %q", fs.Arg(0))
	}
	cfg.Seed = *seed
	if *verbose {
		cfg.Logger = slog.New(slog.NewTextHandler(stderr, nil))
	}
	if *accountsFile != "" {
		if err := readAccounts(&cfg, *accountsFile); err != nil {
			return fmt.Errorf("smsc-sim: -accounts: %w", err)
		}
	}
	for _, v := range extra {
		parts := strings.SplitN(v, ":", 3)
		if len(parts) != 3 {
			return fmt.Errorf("smsc-sim: -account %q: want proto:name:secret", v)
		}
		p, err := ParseProtocol(parts[0])
		if err != nil {
			return fmt.Errorf("smsc-sim: -account %q: %w", v, err)
		}
		lc := cfg.listenPtr(p)
		lc.Accounts = cloneAccounts(lc.Accounts)
		lc.Accounts[parts[1]] = Account{Secret: parts[2]}
	}
	if *sgipDeliver != "" {
		cfg.SGIP.Accounts = cloneAccounts(cfg.SGIP.Accounts)
		for name, a := range cfg.SGIP.Accounts {
			a.DeliverAddr = *sgipDeliver
			cfg.SGIP.Accounts[name] = a
		}
	}

	sim, err := Start(ctx, cfg)
	if err != nil {
		return fmt.Errorf("smsc-sim: %w", err)
	}
	defer sim.Close()
	if *httpAddr != "" {
		ln, err := net.Listen("tcp", *httpAddr)
		if err != nil {
			return fmt.Errorf("smsc-sim: -http %s: %w", *httpAddr, err)
		}
		hs := &http.Server{Handler: sim.Handler(), ReadHeaderTimeout: 10 * time.Second}
		go hs.Serve(ln) // ends with hs.Shutdown, deferred here
		defer func() {
			sctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			defer cancel()
			hs.Shutdown(sctx)
		}()
		fmt.Fprintf(stdout, "http  %s  GET /stats, POST /mo, POST /fault, POST /drop\n", ln.Addr())
	}
	for _, p := range Protocols() {
		addr := sim.Addr(p)
		if addr == "" {
			continue
		}
		lc := cfg.listen(p)
		names := sim.Accounts(p)
		for i, n := range names {
			names[i] = n + "/" + lc.Accounts[n].Secret
		}
		fmt.Fprintf(stdout, "%s  %s  accounts %s\n", p, addr, strings.Join(names, " "))
	}
	if *moFile != "" {
		f, err := os.Open(*moFile)
		if err != nil {
			return fmt.Errorf("smsc-sim: -mo-file: %w", err)
		}
		n, err := sim.QueueMOFile(f)
		f.Close()
		if err != nil {
			return fmt.Errorf("smsc-sim: -mo-file %s: %w", *moFile, err)
		}
		fmt.Fprintf(stdout, "queued %d MO messages from %s\n", n, *moFile)
	}
	<-ctx.Done()
	return nil
}

// readAccounts replaces the accounts of the protocols named in the JSON
// file at path.
func readAccounts(cfg *Config, path string) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	var m map[Protocol]map[string]Account
	dec := json.NewDecoder(strings.NewReader(string(b)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&m); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	keys := make([]string, 0, len(m))
	for p := range m {
		keys = append(keys, string(p))
	}
	sort.Strings(keys)
	for _, k := range keys {
		p, err := ParseProtocol(k)
		if err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
		if len(m[p]) == 0 {
			return fmt.Errorf("%s: %s has no accounts", path, p)
		}
		cfg.listenPtr(p).Accounts = m[p]
	}
	return nil
}

func cloneAccounts(m map[string]Account) map[string]Account {
	out := make(map[string]Account, len(m)+1)
	for k, v := range m {
		out[k] = v
	}
	return out
}

func (c *Config) listenPtr(p Protocol) *ListenConfig {
	switch p {
	case CMPP:
		return &c.CMPP
	case SGIP:
		return &c.SGIP
	case SMGP:
		return &c.SMGP
	}
	return &c.SMPP
}
