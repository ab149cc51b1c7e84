package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"taxsms"
	"taxsms/pii"
)

func TestConfig_Precedence(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "taxsms.toml")
	os.WriteFile(path, []byte(`database = "sqlite:file.db"
timezone = "Asia/Urumqi"
shutdown_timeout = "5s"
[http]
addr = "file:1"
[log]
level = "debug"
`), 0o600)
	m := NewMain([]string{"TAXSMS_HTTP_ADDR=env:2", "TAXSMS_DATABASE=sqlite:env.db"}, &bytes.Buffer{}, &bytes.Buffer{})
	fs := m.FlagSet("serve", "")
	if err := m.ParseFlags(fs, []string{"-config", path, "-http.addr", "flag:3"}); err != nil {
		t.Fatal(err)
	}
	c := m.Config
	for _, tt := range []struct{ name, got, want string }{
		{"http.addr (flag over env and file)", c.HTTP.Addr, "flag:3"},
		{"database (env over file)", c.Database, "sqlite:env.db"},
		{"timezone (file over default)", c.TimeZone, "Asia/Urumqi"},
		{"log.level (file)", c.Log.Level, "debug"},
		{"log.format (default)", c.Log.Format, "text"},
		{"shutdown_timeout (file)", c.ShutdownTimeout.String(), "5s"},
	} {
		if tt.got != tt.want {
			t.Errorf("%s = %q, want %q", tt.name, tt.got, tt.want)
		}
	}
}

func TestConfig_Errors(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.toml")
	os.WriteFile(bad, []byte("[http]\nadress = \"x\"\n"), 0o600)
	for _, tt := range []struct {
		name    string
		environ []string
		args    []string
		want    string
	}{
		{"UnknownKey", nil, []string{"-config", bad}, `unknown setting "http.adress"`},
		{"MissingFile", nil, []string{"-config", filepath.Join(dir, "none.toml")}, "no such file"},
		{"BadDuration", []string{"TAXSMS_SHUTDOWN_TIMEOUT=soon"}, nil, `TAXSMS_SHUTDOWN_TIMEOUT: "soon" is not a duration`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			m := NewMain(tt.environ, &bytes.Buffer{}, &bytes.Buffer{})
			err := m.ParseFlags(m.FlagSet("serve", ""), tt.args)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("ParseFlags = %v, want an error containing %q", err, tt.want)
			}
		})
	}
}

func TestServe_Help(t *testing.T) {
	var stderr bytes.Buffer
	err := Run(context.Background(), []string{"serve", "--help"}, nil, &bytes.Buffer{}, &stderr)
	if err != flag.ErrHelp {
		t.Fatalf("serve --help = %v, want flag.ErrHelp", err)
	}
	c := DefaultConfig()
	for _, s := range c.settings() {
		if !strings.Contains(stderr.String(), "-"+s.key) || !strings.Contains(stderr.String(), s.env()) {
			t.Errorf("serve --help does not document %s (%s)", s.key, s.env())
		}
	}
}

func TestMain_SecretsNeverPrinted(t *testing.T) {
	key := pii.NewKey()
	var stderr bytes.Buffer
	m := NewMain([]string{"TAXSMS_SECRET_KEYS=1:" + key[:10]}, &bytes.Buffer{}, &stderr)
	if err := m.ParseFlags(m.FlagSet("serve", ""), nil); err != nil {
		t.Fatal(err)
	}
	err := m.Open(context.Background())
	if err == nil || strings.Contains(err.Error(), key[:10]) {
		t.Errorf("Open with a bad key = %v: want an error that does not quote the key", err)
	}
}

// TestDemo runs "taxsms demo --once" twice on one directory: the first run
// builds the city, the second reuses it.
func TestDemo(t *testing.T) {
	dir := t.TempDir()
	run := func() Summary {
		var out syncBuffer // the demo prints while the node logs
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		defer cancel()
		err := Run(ctx, []string{"demo", "--once", "--data", dir, "--taxpayers", "400"}, nil, &out, &out)
		if err != nil {
			t.Fatalf("demo: %v\n%s", err, out.String())
		}
		lines := strings.Split(strings.TrimSpace(out.String()), "\n")
		var s Summary
		if err := json.Unmarshal([]byte(lines[len(lines)-1]), &s); err != nil {
			t.Fatalf("last line %q is not the JSON summary: %v", lines[len(lines)-1], err)
		}
		return s
	}
	first := run()
	if !first.Built || first.Offices < 9 || first.Staff < 30 || first.Taxpayers != 400 || first.Contacts != 800 || first.Searches < 4 {
		t.Errorf("first run summary = %+v", first)
	}
	b := first.Broadcast
	if b == nil || b.Recipients < 20 || b.Delivered+b.Failed != b.Recipients || b.Delivered < b.Recipients*8/10 || b.State != "completed" {
		t.Errorf("first run broadcast = %+v, want it sent to its list's contacts, settled, most delivered, completed", b)
	} else if first.Delivered+first.Failed != first.Sent+first.Replies+b.Recipients {
		t.Errorf("first run: %d delivered, %d failed, want %d reminders, %d replies and %d broadcast messages settled",
			first.Delivered, first.Failed, first.Sent, first.Replies, b.Recipients)
	}
	if first.Sent < 20 || first.Delivered < first.Sent*8/10 || first.MO != 5 || first.Replies != 5 {
		t.Errorf("first run sent %d: %d delivered, %d failed, %d MO, %d replies; want every reminder and the reply settled, most delivered, five MO answered",
			first.Sent, first.Delivered, first.Failed, first.MO, first.Replies)
	}
	if first.Reminders["failed_deduction"] == 0 || first.Reminders["before_deadline"]+first.Reminders["unpaid_tax"] == 0 {
		t.Errorf("first run reminders %v, want failed deductions, and reminders before the deadline (or, on a rest day, of unpaid tax)", first.Reminders)
	}
	if len(first.Logins) != len(taxsms.Roles) || first.SignIns != len(taxsms.Roles) {
		t.Errorf("first run: logins %v, %d signed in to the console; want one per role, each signed in", first.Logins, first.SignIns)
	}
	second := run()
	if second.Built || second.Taxpayers != 400 || second.Contacts != 800 || second.Sent != 0 || second.Broadcast == nil || second.Broadcast.Recipients != 0 {
		t.Errorf("second run summary = %+v, want the same city reused and no reminder sent twice", second)
	}
	if info, err := os.Stat(filepath.Join(dir, "taxsms.toml")); err != nil || info.Mode().Perm() != 0o600 {
		t.Errorf("demo configuration: %v, mode %v; want mode 0600", err, info.Mode().Perm())
	}
}

// TestImport runs "taxsms import" on a file with a bad row: nothing is
// imported and the row is named.
func TestImport(t *testing.T) {
	dir := t.TempDir()
	env := []string{"TAXSMS_DATABASE=sqlite:" + filepath.Join(dir, "t.db"), "TAXSMS_SECRET_KEYS=1:" + pii.NewKey(), "TAXSMS_SECRET_LOOKUP_KEY=" + pii.NewKey()}
	offices := filepath.Join(dir, "offices.csv")
	os.WriteFile(offices, []byte("code,name,parent\nQD,青岛市税务局,\nSN,市南区税务局,QD\nBAD CODE,坏,QD\n"), 0o600)
	var out bytes.Buffer
	err := Run(context.Background(), []string{"import", "offices", offices}, env, &out, &out)
	if err == nil || !strings.Contains(out.String(), "offices.csv: row 4") {
		t.Fatalf("import with a bad row = %v\n%s", err, out.String())
	}
	out.Reset()
	if err := Run(context.Background(), []string{"import", "offices", offices, "-skip-invalid"}, env, &out, &out); err != nil {
		t.Fatalf("import -skip-invalid: %v\n%s", err, out.String())
	}
	if !strings.Contains(out.String(), "2 inserted") {
		t.Errorf("import -skip-invalid output = %q, want 2 inserted", out.String())
	}
	if _, err := os.Stat(filepath.Join(dir, "offices.rejects.csv")); err != nil {
		t.Errorf("rejects file: %v", err)
	}
}

func TestConfig_Routes(t *testing.T) {
	dir := t.TempDir()
	for _, tt := range []struct{ file, err string }{
		{"[routes.ported]\n\"+86 138 0013 8000\" = \"unicom\"\n[routes.failover]\nbroadnet = [\"mobile\"]\n", ""},
		{"[routes.ported]\n\"12345\" = \"unicom\"\n", `routes.ported: mobile: "12345": want 11 digits, got 5`},
		{"[routes.ported]\n\"13800138000\" = \"orange\"\n", `routes.ported: 13800138000: unknown carrier "orange"`},
		{"[routes.failover]\nmobile = [\"pigeon\"]\n", `routes.failover: mobile: unknown carrier "pigeon"`},
	} {
		path := filepath.Join(dir, "r.toml")
		os.WriteFile(path, []byte(tt.file), 0o600)
		m := NewMain(nil, &bytes.Buffer{}, &bytes.Buffer{})
		err := m.ParseFlags(m.FlagSet("serve", ""), []string{"-config", path})
		if tt.err == "" {
			if err != nil {
				t.Errorf("%q: %v", tt.file, err)
				continue
			}
			r, _ := m.Config.routes()
			if r.Overrides["13800138000"] != "unicom" || len(r.Failover["broadnet"]) != 1 {
				t.Errorf("routes = %+v", r)
			}
		} else if err == nil || !strings.HasSuffix(err.Error(), tt.err) {
			t.Errorf("%q: error %v, want one ending %q", tt.file, err, tt.err)
		}
	}
}
