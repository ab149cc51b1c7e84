package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"sync"
	"testing"
	"time"

	"taxsms"
	"taxsms/pii"
	"taxsms/simulator"
	"taxsms/store"
)

// TestCrash runs "taxsms serve" as a child process sending to "taxsms
// smsc-sim" (another child), kills it with SIGKILL mid-run, restarts it,
// and counts at the simulator: every message went out, and no more went
// twice than the links' windows (what was in flight at the crash).
func TestCrash(t *testing.T) {
	n := 20000
	if testing.Short() {
		n = 3000
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "taxsms")
	build := exec.Command("go", "build", "-o", bin, ".")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}

	cmppAddr, smgpAddr, simHTTP, nodeHTTP := freeAddr(t), freeAddr(t), freeAddr(t), freeAddr(t)
	sim := start(t, bin, nil, "smsc-sim", "-cmpp", cmppAddr, "-smgp", smgpAddr, "-sgip", "", "-smpp", "",
		"-http", simHTTP, "-receipt-delay", "5ms", "-fail-rate", "0")
	defer sim.stop()
	waitHTTP(t, "http://"+simHTTP+"/stats")

	const window, conns = 16, 2
	key := "crash-test-key"
	cfg := filepath.Join(dir, "taxsms.toml")
	keys, lookup := "1:"+pii.NewKey(), pii.NewKey()
	os.WriteFile(cfg, []byte(fmt.Sprintf(`database = "sqlite:%s"
node = "crash"
shutdown_timeout = "5s"
[http]
addr = %q
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
account = "901234"
secret = "demo"
service_code = "TAX12366"
source_number = "106353212366"
connections = %d
window = %d
enabled = true
[[link]]
name = "telecom-smgp"
carrier = "telecom"
protocol = "smgp"
address = %q
account = "10612366"
secret = "demo"
source_number = "106353212366"
connections = %d
window = %d
enabled = true
`, filepath.Join(dir, "taxsms.db"), nodeHTTP, keys, lookup, key, cmppAddr, conns, window, smgpAddr, conns, window)), 0o600)
	bound := int64(2 * conns * window)

	node := start(t, bin, nil, "serve", "-config", cfg)
	waitHTTP(t, "http://"+nodeHTTP+"/readyz")

	// Queue the messages through the API, in batches, while the node sends.
	var posted sync.WaitGroup
	posted.Go(func() { postNumbered(t, "http://"+nodeHTTP+"/api/v1/messages", key, n) })
	posted.Wait()

	// Kill it mid-run, once a third has gone out.
	waitFor(t, 2*time.Minute, func() bool { return simStats(t, simHTTP).Segments >= int64(n/3) })
	node.kill()
	before := simStats(t, simHTTP)
	if before.Segments >= int64(n) {
		t.Fatalf("every message went out before the kill (%d): nothing tested", before.Segments)
	}
	t.Logf("killed the node after %d submits", before.Segments)

	node = start(t, bin, nil, "serve", "-config", cfg)
	defer node.stop()
	waitFor(t, 3*time.Minute, func() bool {
		st := simStats(t, simHTTP)
		return st.Segments-st.Duplicates >= int64(n) && st.Receipts >= st.Segments
	})

	db, err := store.Open(context.Background(), "sqlite:"+filepath.Join(dir, "taxsms.db"), mustBox(t, keys, lookup))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	waitFor(t, time.Minute, func() bool {
		counts, err := db.CountByStatus(context.Background(), taxsms.MT)
		return err == nil && counts[taxsms.StatusDelivered] == n
	})

	st := simStats(t, simHTTP)
	requeued := node.requeued()
	t.Logf("submits %d, distinct %d, duplicates %d (bound %d), requeued at restart %d", st.Segments, st.Segments-st.Duplicates, st.Duplicates, bound, requeued)
	if got := st.Segments - st.Duplicates; got != int64(n) {
		t.Errorf("distinct messages at the simulator = %d, want %d", got, n)
	}
	if st.Duplicates > bound {
		t.Errorf("Duplicates = %d, want at most %d (the links' windows)", st.Duplicates, bound)
	}
	if requeued < 0 {
		t.Errorf("the restarted node did not log how many messages it queued again")
	} else if st.Duplicates > int64(requeued) {
		t.Errorf("Duplicates = %d, more than the %d messages queued again", st.Duplicates, requeued)
	}
}

func mustBox(t *testing.T, keys, lookup string) *pii.Box {
	t.Helper()
	ks, err := pii.ParseKeys(keys)
	if err != nil {
		t.Fatal(err)
	}
	l, err := pii.DecodeKey(lookup)
	if err != nil {
		t.Fatal(err)
	}
	b, err := pii.New(ks, l)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// crashMobile is the j-th number, on China Mobile (138) or Telecom (133).
func crashMobile(j int) string {
	return [2]string{"138", "133"}[j%2] + fmt.Sprintf("%08d", j/2)
}

// child is a child process whose stderr is kept.
type child struct {
	cmd  *exec.Cmd
	mu   sync.Mutex
	errb bytes.Buffer
	done chan struct{}
}

func (c *child) Write(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.errb.Write(p)
}

func start(t *testing.T, bin string, env []string, args ...string) *child {
	t.Helper()
	c := &child{cmd: exec.Command(bin, args...), done: make(chan struct{})}
	c.cmd.Env = append(os.Environ(), env...)
	c.cmd.Stdout, c.cmd.Stderr = io.Discard, c
	if err := c.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { c.cmd.Wait(); close(c.done) }() // ends when the child exits
	t.Cleanup(func() {
		c.stop()
		if t.Failed() {
			c.mu.Lock()
			t.Logf("%s stderr:\n%s", args[0], c.errb.String())
			c.mu.Unlock()
		}
	})
	return c
}

// kill ends the child with SIGKILL.
func (c *child) kill() {
	c.cmd.Process.Kill()
	<-c.done
}

// stop ends the child with SIGTERM, then SIGKILL after 10 s.
func (c *child) stop() {
	select {
	case <-c.done:
		return
	default:
	}
	c.cmd.Process.Signal(os.Interrupt)
	select {
	case <-c.done:
	case <-time.After(10 * time.Second):
		c.kill()
	}
}

var requeuedLog = regexp.MustCompile(`queued again the messages in flight when this node stopped.* messages=(\d+)`)

// requeued returns the count the node logged at start, 0 if it logged
// none (nothing was in flight), or -1 if it has not started.
func (c *child) requeued() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	if m := requeuedLog.FindSubmatch(c.errb.Bytes()); m != nil {
		n, _ := strconv.Atoi(string(m[1]))
		return n
	}
	return 0
}

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

func waitHTTP(t *testing.T, url string) {
	t.Helper()
	waitFor(t, 30*time.Second, func() bool {
		resp, err := http.Get(url)
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	})
}

func waitFor(t *testing.T, d time.Duration, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("not done after %v", d)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func postJSON(url, key string, body []byte) error {
	req, _ := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+key)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		b, _ := io.ReadAll(resp.Body)
		return fmt.Errorf("%s: %s", resp.Status, b)
	}
	return nil
}

func simStats(t *testing.T, addr string) simulator.Counters {
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
	return st.Total("")
}

// postNumbered posts n broadcast messages through the API at url in
// batches of 1,000, each to a number and with a text of its own (the
// simulator counts a second copy as a duplicate); it reports a failure
// with t.Errorf and stops.
func postNumbered(t *testing.T, url, key string, n int) {
	const batch = 1000
	for i := 0; i < n; i += batch {
		var msgs []map[string]any
		for j := i; j < min(i+batch, n); j++ {
			msgs = append(msgs, map[string]any{"kind": "special", "mobile": crashMobile(j),
				"body": fmt.Sprintf("【12366】第%d号：请于本月15日前完成申报。", j), "priority": 3})
		}
		body, _ := json.Marshal(map[string]any{"messages": msgs})
		if err := postJSON(url, key, body); err != nil {
			t.Errorf("post messages %d…: %v", i, err)
			return
		}
	}
}
