package main

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"flag"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/BurntSushi/toml"

	"taxsms"
	"taxsms/audit"
	"taxsms/auth"
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
	// Console holds the staff console's settings.
	Console struct {
		// Key keys the console's CSRF tokens, sign-in steps and flash
		// messages (base64, at least 32 bytes, the same on every node);
		// empty derives one from secret.lookup_key.
		Key string `toml:"key"`
		// SessionIdle and SessionAbsolute end a session unused that long,
		// and one that old (defaults 30 minutes and 12 hours).
		SessionIdle     time.Duration `toml:"session_idle"`
		SessionAbsolute time.Duration `toml:"session_absolute"`
		// SecureCookies marks the session cookie Secure (__Host- prefix):
		// set it when the console is served over HTTPS.
		SecureCookies bool `toml:"secure_cookies"`
		// TOTPRoles are the roles that must sign in with a second factor,
		// comma-separated, e.g. "city_admin,branch_admin,maintainer".
		TOTPRoles string `toml:"totp_roles"`
	} `toml:"console"`
	// Retention is how long records are kept, in days: audit records
	// (default 1096, three years) and the text of messages (default 366,
	// twelve months); never under 184 (six months).
	Retention struct {
		AuditDays   int `toml:"audit_days"`
		MessageDays int `toml:"message_days"`
	} `toml:"retention"`
	// Signature goes in front of every automatic message (reminders,
	// replies), e.g. 【青岛税务】: the signature filed with the carriers.
	Signature string `toml:"signature"`
	// Inbound holds the settings of the answers to taxpayers' texts.
	Inbound struct {
		// RateLimit is how many messages a minute a number may send and be
		// answered (default 10); the next gets one reply saying so.
		RateLimit int `toml:"rate_limit"`
		// Keywords is a file of keywords ("intent word" a line) replacing
		// the embedded ones; "" keeps those.
		Keywords string `toml:"keywords"`
		// DueConsultation, DueComplaint and DueReport are the working days
		// within which a ticket is answered (defaults 1, 5 and 5).
		DueConsultation int `toml:"due_consultation"`
		DueComplaint    int `toml:"due_complaint"`
		DueReport       int `toml:"due_report"`
	} `toml:"inbound"`
	// Remind holds the automatic reminders' settings.
	Remind struct {
		// Rules are the rules that run, comma-separated (default all four:
		// before_deadline, after_deadline, unpaid_tax, failed_deduction).
		Rules string `toml:"rules"`
		// Days are the working days before a filing deadline on which the
		// first rule reminds, comma-separated (default "3,1").
		Days string `toml:"days"`
		// Hours are the times of day between which reminders go (default
		// "09:00-20:00"); those planned outside wait for the next start.
		Hours string `toml:"hours"`
	} `toml:"remind"`
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

// totpPolicy returns the roles that must use a second factor, or an
// EINVALID error naming console.totp_roles.
func (c *Config) totpPolicy() (auth.TOTPPolicy, error) {
	var p auth.TOTPPolicy
	for _, r := range strings.Split(c.Console.TOTPRoles, ",") {
		if r = strings.TrimSpace(r); r != "" {
			p.Roles = append(p.Roles, taxsms.Role(r))
		}
	}
	if err := p.Validate(); err != nil {
		return p, taxsms.Invalid("console.totp_roles", "%s", taxsms.ErrorMessage(err))
	}
	return p, nil
}

// consoleKey returns the console's key: console.key decoded, or else one
// derived from secret.lookup_key.
func (c *Config) consoleKey() ([]byte, error) {
	if c.Console.Key != "" {
		k, err := base64.StdEncoding.DecodeString(c.Console.Key)
		if err != nil || len(k) < 32 {
			return nil, errors.New("console.key: want base64 of at least 32 bytes")
		}
		return k, nil
	}
	if c.Secret.LookupKey == "" {
		return nil, errors.New("console.key or secret.lookup_key must be set")
	}
	m := hmac.New(sha256.New, []byte(c.Secret.LookupKey))
	m.Write([]byte("taxsms console key"))
	return m.Sum(nil), nil
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
	c.Retention.AuditDays = int(audit.DefaultAudit / audit.Day)
	c.Retention.MessageDays = int(audit.DefaultMessageContent / audit.Day)
	c.Signature = "【青岛税务】"
	c.Inbound.RateLimit = 10
	c.Inbound.DueConsultation, c.Inbound.DueComplaint, c.Inbound.DueReport = 1, 5, 5
	c.Remind.Rules = "before_deadline,after_deadline,unpaid_tax,failed_deduction"
	c.Remind.Days = "3,1"
	c.Remind.Hours = "09:00-20:00"
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
		{key: "console.key", secret: true, help: "base64 key (32 bytes or more, the same on every node) of the console's CSRF tokens and sign-in steps; empty derives one from secret.lookup_key", value: (*stringValue)(&c.Console.Key)},
		{key: "console.session_idle", help: "a console session unused this long ends (default 30m)", value: (*durationValue)(&c.Console.SessionIdle)},
		{key: "console.session_absolute", help: "a console session this old ends, used or not (default 12h)", value: (*durationValue)(&c.Console.SessionAbsolute)},
		{key: "console.secure_cookies", help: "mark the session cookie Secure; set it when the console is served over HTTPS", value: (*boolValue)(&c.Console.SecureCookies)},
		{key: "console.totp_roles", help: "roles that must sign in with a second factor (TOTP), comma-separated: city_admin, branch_admin, operator, auditor, maintainer", value: (*stringValue)(&c.Console.TOTPRoles)},
		{key: "retention.audit_days", help: "days audit records are kept (at least 184)", value: (*intValue)(&c.Retention.AuditDays)},
		{key: "retention.message_days", help: "days the text of messages is kept (at least 184); the record of each message stays", value: (*intValue)(&c.Retention.MessageDays)},
		{key: "signature", help: "signature in front of every automatic message (reminders, replies), as filed with the carriers", value: (*stringValue)(&c.Signature)},
		{key: "inbound.keywords", help: "file of the SMS keywords (\"intent word\" a line) replacing the built-in ones", value: (*stringValue)(&c.Inbound.Keywords)},
		{key: "inbound.due_consultation", help: "working days within which a consultation ticket is answered", value: (*intValue)(&c.Inbound.DueConsultation)},
		{key: "inbound.due_complaint", help: "working days within which a complaint is answered", value: (*intValue)(&c.Inbound.DueComplaint)},
		{key: "inbound.due_report", help: "working days within which a report is answered", value: (*intValue)(&c.Inbound.DueReport)},
		{key: "inbound.rate_limit", help: "messages a minute a number may send and be answered; the next gets one reply saying so", value: (*intValue)(&c.Inbound.RateLimit)},
		{key: "remind.rules", help: "reminder rules that run, comma-separated: before_deadline, after_deadline, unpaid_tax, failed_deduction", value: (*stringValue)(&c.Remind.Rules)},
		{key: "remind.days", help: "working days before a filing deadline on which taxpayers are reminded, comma-separated", value: (*stringValue)(&c.Remind.Days)},
		{key: "remind.hours", help: "times of day between which reminders go, HH:MM-HH:MM (Asia/Shanghai)", value: (*stringValue)(&c.Remind.Hours)},
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
		if _, err := c.totpPolicy(); err != nil {
			return fmt.Errorf("config %s: %w", path, err)
		}
		if _, err := c.remindRules(); err != nil {
			return fmt.Errorf("config %s: %w", path, err)
		}
		if _, err := c.retention(); err != nil {
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

type boolValue bool

func (v *boolValue) Set(s string) error {
	b, err := strconv.ParseBool(s)
	if err != nil {
		return fmt.Errorf("%q is not true or false", s)
	}
	*v = boolValue(b)
	return nil
}
func (v *boolValue) String() string   { return strconv.FormatBool(bool(*v)) }
func (v *boolValue) IsBoolFlag() bool { return true }

type intValue int

func (v *intValue) Set(s string) error {
	n, err := strconv.Atoi(s)
	if err != nil {
		return fmt.Errorf("%q is not a whole number", s)
	}
	*v = intValue(n)
	return nil
}
func (v *intValue) String() string { return strconv.Itoa(int(*v)) }

// retention returns the retention of the configuration, or an EINVALID
// error naming the retention.* setting under six months.
func (c *Config) retention() (audit.Retention, error) {
	r := audit.Retention{Audit: time.Duration(c.Retention.AuditDays) * audit.Day, MessageContent: time.Duration(c.Retention.MessageDays) * audit.Day}
	if err := r.Validate(); err != nil {
		field := map[string]string{"audit": "retention.audit_days", "message_content": "retention.message_days"}[taxsms.ErrorField(err)]
		return r, taxsms.Invalid(field, "%s", taxsms.ErrorMessage(err))
	}
	return r, nil
}

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
