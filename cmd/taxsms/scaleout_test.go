package main

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"taxsms"
	"taxsms/pii"
	"taxsms/simulator"
	"taxsms/store"
)

// TestScaleOut runs three "taxsms serve" nodes as child processes on one
// PostgreSQL schema, sending to one "taxsms smsc-sim" whose accounts allow
// fewer connections than the nodes would open together. It posts the
// messages to one node, kills another with SIGKILL mid-run, and counts at
// the simulator: every message delivered, duplicates no more than the
// killed node's windows (what it had in flight), the carrier's connection
// limit never exceeded and no login refused, and the dead node's
// connection slots taken over once their lease lapsed.
func TestScaleOut(t *testing.T) {
	base := os.Getenv("TAXSMS_TEST_POSTGRES")
	if base == "" {
		if os.Getenv("TAXSMS_CI") != "" {
			t.Fatal("TAXSMS_CI is set but TAXSMS_TEST_POSTGRES is empty: the scale-out test cannot be skipped")
		}
		t.Skip("TAXSMS_TEST_POSTGRES is not set: the scale-out test needs PostgreSQL")
	}
	n := 15000
	if testing.Short() {
		n = 4000
	}
	const (
		nodes       = 3
		conns       = 2 // sessions per node and link
		window      = 16
		maxConns    = 5 // the carrier's limit per account: fewer than nodes × conns
		links       = 2
		cmppAccount = "901234"
		smgpAccount = "10612366"
	)
	dsn := scaleOutSchema(t, base)
	dir := t.TempDir()
	bin := filepath.Join(dir, "taxsms")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}

	accounts := filepath.Join(dir, "accounts.json")
	os.WriteFile(accounts, []byte(fmt.Sprintf(`{"cmpp":{%q:{"secret":"demo","max_conns":%d}},"smgp":{%q:{"secret":"demo","max_conns":%d}}}`,
		cmppAccount, maxConns, smgpAccount, maxConns)), 0o600)
	cmppAddr, smgpAddr, simHTTP := freeAddr(t), freeAddr(t), freeAddr(t)
	sim := start(t, bin, nil, "smsc-sim", "-cmpp", cmppAddr, "-smgp", smgpAddr, "-sgip", "", "-smpp", "",
		"-http", simHTTP, "-accounts", accounts, "-receipt-delay", "5ms", "-fail-rate", "0")
	defer sim.stop()
	waitHTTP(t, "http://"+simHTTP+"/stats")

	key := "scaleout-test-key"
	keys, lookup := "1:"+pii.NewKey(), pii.NewKey()
	cfg := filepath.Join(dir, "taxsms.toml")
	os.WriteFile(cfg, []byte(fmt.Sprintf(`database = %q
shutdown_timeout = "5s"
slot_lease = "6s"
[dispatch]
lease = "5s"
[secret]
keys = %q
lookup_key = %q
[api]
key = %q
[[link]]
name = "mobile-cmpp"
carrier = "mobile"
protocol = "cmpp"
address = %q
account = %q
secret = "demo"
service_code = "TAX12366"
source_number = "106353212366"
connections = %d
max_connections = %d
window = %d
enabled = true
[[link]]
name = "telecom-smgp"
carrier = "telecom"
protocol = "smgp"
address = %q
account = %q
secret = "demo"
source_number = "106353212366"
connections = %d
max_connections = %d
window = %d
enabled = true
`, dsn, keys, lookup, key, cmppAddr, cmppAccount, conns, maxConns, window, smgpAddr, smgpAccount, conns, maxConns, window)), 0o600)

	// One after the other: the first migrates the schema, and each finds
	// a slot of each link free (4 at most are held when the third starts).
	var addrs [nodes]string
	var ns [nodes]*child
	for i := range nodes {
		addrs[i] = freeAddr(t)
		ns[i] = start(t, bin, nil, "serve", "-config", cfg, "-node", fmt.Sprintf("n%d", i+1), "-http.addr", addrs[i])
		waitHTTP(t, "http://"+addrs[i]+"/readyz")
	}
	for _, c := range ns {
		defer c.stop()
	}

	var posted sync.WaitGroup
	posted.Go(func() { postNumbered(t, "http://"+addrs[0]+"/api/v1/messages", key, n) })
	// Kill n2 once a third has gone out, while the rest is still posted.
	waitFor(t, 2*time.Minute, func() bool { return simStats(t, simHTTP).Segments >= int64(n/3) })
	ns[1].kill()
	posted.Wait()
	killed := simStats(t, simHTTP)
	if killed.Segments >= int64(n) {
		t.Fatalf("every message went out before the kill (%d): nothing tested", killed.Segments)
	}
	t.Logf("killed n2 after %d submits", killed.Segments)

	waitFor(t, 3*time.Minute, func() bool {
		st := simStats(t, simHTTP)
		return st.Segments-st.Duplicates >= int64(n) && st.Receipts >= st.Segments
	})
	db, err := store.Open(context.Background(), dsn, mustBox(t, keys, lookup))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	waitFor(t, time.Minute, func() bool {
		counts, err := db.CountByStatus(context.Background(), taxsms.MT)
		return err == nil && counts[taxsms.StatusDelivered] == n
	})
	// n3's session that found no slot takes one of n2's once its lease
	// has lapsed: n1's two and n3's two are up on each account.
	waitFor(t, 30*time.Second, func() bool {
		acc := simAccounts(t, simHTTP)
		return acc[simulator.CMPP][cmppAccount].Active == 2*conns && acc[simulator.SMGP][smgpAccount].Active == 2*conns
	})

	st := simStats(t, simHTTP)
	acc := simAccounts(t, simHTTP)
	bound := int64(links * conns * window) // n2's sessions' windows: what it had in flight
	requeued := ns[0].lapsed() + ns[2].lapsed()
	t.Logf("messages %d, submits %d, distinct %d, duplicates %d (bound %d), lapsed claims queued again %d; max connections cmpp %d smgp %d (limit %d), logins refused %d",
		n, st.Segments, st.Segments-st.Duplicates, st.Duplicates, bound, requeued,
		acc[simulator.CMPP][cmppAccount].MaxActive, acc[simulator.SMGP][smgpAccount].MaxActive, maxConns, st.LoginsFailed)
	if got := st.Segments - st.Duplicates; got != int64(n) {
		t.Errorf("distinct messages at the simulator = %d, want %d", got, n)
	}
	if st.Duplicates > bound {
		t.Errorf("Duplicates = %d, want at most %d (the killed node's windows)", st.Duplicates, bound)
	}
	if st.Duplicates > int64(requeued) {
		t.Errorf("Duplicates = %d, more than the %d lapsed claims queued again", st.Duplicates, requeued)
	}
	for p, a := range map[simulator.Protocol]string{simulator.CMPP: cmppAccount, simulator.SMGP: smgpAccount} {
		if got := acc[p][a].MaxActive; got > maxConns {
			t.Errorf("%s: MaxActive = %d, want at most %d", p, got, maxConns)
		}
	}
	if st.LoginsFailed != 0 {
		t.Errorf("LoginsFailed = %d, want 0: a node dialled beyond the carrier's limit", st.LoginsFailed)
	}
	schedulers := 0
	for _, c := range []*child{ns[0], ns[2]} {
		if c.logged("this node runs the schedulers") {
			schedulers++
		}
	}
	if schedulers == 0 {
		t.Error("no surviving node ran the schedulers")
	}
}

// scaleOutSchema returns base with a fresh schema as its search path,
// dropped when the test ends.
func scaleOutSchema(t *testing.T, base string) string {
	t.Helper()
	raw, err := sql.Open("pgx", base)
	if err != nil {
		t.Fatal(err)
	}
	b := make([]byte, 6)
	rand.Read(b)
	schema := "scaleout_" + hex.EncodeToString(b)
	if _, err := raw.Exec("CREATE SCHEMA " + schema); err != nil {
		t.Fatalf("create schema: %v", err)
	}
	t.Cleanup(func() {
		raw.Exec("DROP SCHEMA " + schema + " CASCADE")
		raw.Close()
	})
	sep := "?"
	if strings.Contains(base, "?") {
		sep = "&"
	}
	return base + sep + "search_path=" + schema
}

var lapsedLog = regexp.MustCompile(`queued again messages whose claim lapsed.* messages=(\d+)`)

// lapsed adds up the lapsed claims the node logged it queued again.
func (c *child) lapsed() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := 0
	for _, m := range lapsedLog.FindAllSubmatch(c.errb.Bytes(), -1) {
		v, _ := strconv.Atoi(string(m[1]))
		n += v
	}
	return n
}

// logged reports whether the node's log has s.
func (c *child) logged(s string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return strings.Contains(c.errb.String(), s)
}

func simAccounts(t *testing.T, addr string) simulator.Stats {
	t.Helper()
	resp, err := http.Get("http://" + addr + "/stats")
	if err != nil {
		t.Fatalf("simulator stats: %v", err)
	}
	defer resp.Body.Close()
	var st simulator.Stats
	if err := json.NewDecoder(resp.Body).Decode(&st); err != nil {
		t.Fatalf("simulator stats: %v", err)
	}
	return st
}
