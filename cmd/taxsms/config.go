package main

import (
	"flag"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/BurntSushi/toml"

	"taxsms"
	"taxsms/carrier"
)

// Config is every setting of a taxsms node. It is read from a TOML file, then
// from TAXSMS_… environment variables, then from flags; a later source wins.
type Config struct {
	Database string `toml:"database"`
	HTTP     struct {
		Addr string `toml:"addr"`
	} `toml:"http"`
	Secret struct {
		Keys      string `toml:"keys"`
		LookupKey string `toml:"lookup_key"`
	} `toml:"secret"`
	TimeZone string `toml:"timezone"`
	Log      struct {
		Level  string `toml:"level"`
		Format string `toml:"format"`
	} `toml:"log"`
	ShutdownTimeout time.Duration `toml:"shutdown_timeout"`
	// Node names this node among those sharing a database; it must stay
	// the same across restarts (claims are recovered by it).
	Node string `toml:"node"`
	API  struct {
		Key string `toml:"key"`
	} `toml:"api"`
	Dispatch struct {
		// Lease is how long a node's claim on a message holds (default 10
		// minutes): the messages a dead node had claimed go out again
		// after it. It must exceed the time a node takes to send what it
		// claims, or a live node's claims lapse and go twice.
		Lease time.Duration `toml:"lease"`
	} `toml:"dispatch"`
	// SlotLease is how long a node leases a carrier connection slot on
	// PostgreSQL (default 30 s): a dead node's slots are free after it.
	SlotLease time.Duration `toml:"slot_lease"`
	// Links are the carrier links, [[link]] tables of the file only.
	Links []carrier.LinkConfig `toml:"link"`
	// Routes adjust routing by prefix (file only): Ported maps numbers
	// ported to another network to their carrier; Failover lists, per
	// carrier, the carriers that may carry its numbers while its links are
	// down.
	Routes struct {
		Ported   map[string]taxsms.Carrier   `toml:"ported"`
		Failover map[string][]taxsms.Carrier `toml:"failover"`
	} `toml:"routes"`
}

// routes returns the carrier routing tables of the configuration, or an
// EINVALID error naming the bad entry.
func (c *Config) routes() (carrier.Routes, error) {
	r := carrier.Routes{Overrides: make(map[string]taxsms.Carrier), Failover: make(map[taxsms.Carrier][]taxsms.Carrier)}
	for number, to := range c.Routes.Ported {
		n, err := taxsms.NormalizeMobile(number)
		if err != nil {
			return r, taxsms.Invalid("routes.ported", "%s", taxsms.ErrorMessage(err))
		}
		if !to.Valid() {
			return r, taxsms.Invalid("routes.ported", "%s: unknown carrier %q", number, to)
		}
		r.Overrides[n] = to
	}
	for from, tos := range c.Routes.Failover {
		if !taxsms.Carrier(from).Valid() {
			return r, taxsms.Invalid("routes.failover", "unknown carrier %q", from)
		}
		for _, to := range tos {
			if !to.Valid() {
				return r, taxsms.Invalid("routes.failover", "%s: unknown carrier %q", from, to)
			}
		}
		r.Failover[taxsms.Carrier(from)] = tos
	}
	return r, nil
}

// DefaultConfig returns the settings used when nothing else is said.
func DefaultConfig() Config {
	var c Config
	c.Database = "sqlite:taxsms-data/taxsms.db"
	c.HTTP.Addr = "localhost:8080"
	c.TimeZone = "Asia/Shanghai"
	c.Log.Level = "info"
	c.Log.Format = "text"
	c.ShutdownTimeout = 30 * time.Second
	c.Node, _ = os.Hostname()
	return c
}

// setting is one configuration value, known by its file key, environment
// variable and flag alike.
type setting struct {
	key    string // file key, e.g. "http.addr"; the flag is the same
	help   string
	secret bool // never printed
	value  flag.Value
}

// env returns the environment variable of a setting: TAXSMS_HTTP_ADDR.
func (s setting) env() string {
	return "TAXSMS_" + strings.ToUpper(strings.NewReplacer(".", "_", "-", "_").Replace(s.key))
}

func (c *Config) settings() []setting {
	return []setting{
		{key: "database", help: "database: sqlite:PATH for an embedded SQLite file, or postgres://user@host/db", value: (*stringValue)(&c.Database)},
		{key: "http.addr", help: "address the console, API and metrics listen on", value: (*stringValue)(&c.HTTP.Addr)},
		{key: "secret.keys", secret: true, help: "data keys sealing mobile numbers, \"id:base64\" comma-separated; the highest id seals (taxsms keygen makes one)", value: (*stringValue)(&c.Secret.Keys)},
		{key: "secret.lookup_key", secret: true, help: "base64 key of the keyed hash used to find a number; never rotate without re-hashing", value: (*stringValue)(&c.Secret.LookupKey)},
		{key: "timezone", help: "the bureau's time zone, in which dates, deadlines and working hours are decided", value: (*stringValue)(&c.TimeZone)},
		{key: "log.level", help: "debug, info, warn or error", value: (*stringValue)(&c.Log.Level)},
		{key: "log.format", help: "text or json", value: (*stringValue)(&c.Log.Format)},
		{key: "shutdown_timeout", help: "how long a graceful shutdown may take", value: (*durationValue)(&c.ShutdownTimeout)},
		{key: "node", help: "this node's name, unique among nodes sharing a database and stable across restarts (default the host name)", value: (*stringValue)(&c.Node)},
		{key: "dispatch.lease", help: "how long a node's claim on a message holds; a dead node's claimed messages go out again after it (default 10m)", value: (*durationValue)(&c.Dispatch.Lease)},
		{key: "slot_lease", help: "how long a node leases a carrier connection slot on PostgreSQL; a dead node's slots are free again after it (default 30s)", value: (*durationValue)(&c.SlotLease)},
		{key: "api.key", secret: true, help: "the key the tax core systems present to the REST API (Authorization: Bearer KEY); empty refuses every API call", value: (*stringValue)(&c.API.Key)},
	}
}

// Load fills c from the file at path (if not ""), then the environment, then
// args parsed by fs. Unknown file keys are an error naming them.
func (c *Config) Load(fs *flag.FlagSet, path string, environ []string, args []string) error {
	if path != "" {
		md, err := toml.DecodeFile(path, c)
		if err != nil {
			return fmt.Errorf("config %s: %w", path, err)
		}
		if un := md.Undecoded(); len(un) > 0 {
			return fmt.Errorf("config %s: unknown setting %q", path, un[0].String())
		}
		for i := range c.Links {
			if err := c.Links[i].Validate(); err != nil {
				return fmt.Errorf("config %s: %w", path, err)
			}
		}
		if _, err := c.routes(); err != nil {
			return fmt.Errorf("config %s: %w", path, err)
		}
	}
	env := make(map[string]string)
	for _, kv := range environ {
		if k, v, ok := strings.Cut(kv, "="); ok {
			env[k] = v
		}
	}
	for _, s := range c.settings() {
		if v, ok := env[s.env()]; ok {
			if err := s.value.Set(v); err != nil {
				return fmt.Errorf("%s: %w", s.env(), err)
			}
		}
	}
	return fs.Parse(args)
}

// Register adds a flag for every setting to fs, and a -config flag.
func (c *Config) Register(fs *flag.FlagSet, configPath *string) {
	fs.StringVar(configPath, "config", os.Getenv("TAXSMS_CONFIG"), "TOML configuration file (env TAXSMS_CONFIG); see taxsms.example.toml")
	for _, s := range c.settings() {
		fs.Var(s.value, s.key, s.help+" (env "+s.env()+")")
	}
}

// configPathFrom finds -config in args before the flags are parsed, so the
// file is read before the flags that override it.
func configPathFrom(args []string, def string) string {
	for i, a := range args {
		a = strings.TrimLeft(a, "-")
		if v, ok := strings.CutPrefix(a, "config="); ok {
			return v
		}
		if a == "config" && i+1 < len(args) {
			return args[i+1]
		}
	}
	return def
}

type stringValue string

func (v *stringValue) Set(s string) error { *v = stringValue(s); return nil }
func (v *stringValue) String() string     { return string(*v) }

type durationValue time.Duration

func (v *durationValue) Set(s string) error {
	d, err := time.ParseDuration(s)
	if err != nil {
		if n, err2 := strconv.Atoi(s); err2 == nil {
			d = time.Duration(n) * time.Second
		} else {
			return fmt.Errorf("%q is not a duration like 30s", s)
		}
	}
	*v = durationValue(d)
	return nil
}
func (v *durationValue) String() string { return time.Duration(*v).String() }
