package simulator_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"taxsms/protocol/cmpp"
	"taxsms/simulator"
)

// syncBuffer is a bytes.Buffer safe for one writer and one reader.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func TestRunCommand(t *testing.T) {
	dir := t.TempDir()
	moFile := filepath.Join(dir, "mo.jsonl")
	os.WriteFile(moFile, []byte("# one MO waiting for the SP\n"+
		`{"protocol":"cmpp","account":"700001","from":"13800000000","to":"106353212366","text":"FP 1234"}`+"\n"), 0o600)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var stdout, stderr syncBuffer
	done := make(chan error, 1)
	go func() {
		done <- simulator.RunCommand(ctx, []string{
			"-cmpp", "127.0.0.1:0", "-sgip", "127.0.0.1:0", "-smgp", "127.0.0.1:0", "-smpp", "127.0.0.1:0",
			"-http", "127.0.0.1:0", "-account", "cmpp:700001:pw", "-receipt-delay", "1ms", "-fail-rate", "0",
			"-mo-file", moFile,
		}, &stdout, &stderr)
	}()
	addrOf := func(name string) string {
		re := regexp.MustCompile(`(?m)^` + name + `\s+(\S+)`)
		var addr string
		waitFor(t, name+" address on stdout", func() bool {
			if m := re.FindStringSubmatch(stdout.String()); m != nil {
				addr = m[1]
				return true
			}
			return false
		})
		return addr
	}
	cmppAddr, httpAddr := addrOf("cmpp"), addrOf("http")
	for _, p := range []string{"sgip", "smgp", "smpp"} {
		addrOf(p)
	}
	if out := stdout.String(); !strings.Contains(out, "901234/demo") || !strings.Contains(out, "700001/pw") {
		t.Errorf("stdout does not show the accounts:\n%s", out)
	}
	waitFor(t, "the MO file", func() bool { return strings.Contains(stdout.String(), "queued 1 MO") })

	mo := make(chan string, 1)
	c, err := cmpp.Dial(ctxT(t), cmppAddr, cmpp.ClientConfig{
		SourceAddr: "700001", Secret: "pw", ResponseTimeout: time.Second,
		OnDeliver: func(_ context.Context, d *cmpp.Deliver) error {
			if !d.IsReport() {
				mo <- string(d.Content)
			}
			return nil
		},
	})
	if err != nil {
		t.Fatalf("Dial: %v", err)
	}
	defer c.Close()
	select {
	case got := <-mo:
		if got != "FP 1234" {
			t.Errorf("MO = %q, want %q", got, "FP 1234")
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no MO from the file")
	}
	if _, err := c.Submit(ctxT(t), cmppSubmit("13800000000", "ok", false)); err != nil {
		t.Fatalf("Submit: %v", err)
	}
	// The MO counts once the client's answer to it has arrived, which may
	// be a moment after the client handled it: look again for a while.
	var got simulator.Counters
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		resp, err := http.Get("http://" + httpAddr + "/stats")
		if err != nil {
			t.Fatal(err)
		}
		var st simulator.Stats
		err = json.NewDecoder(resp.Body).Decode(&st)
		resp.Body.Close()
		if err != nil {
			t.Fatal(err)
		}
		got = st[simulator.CMPP]["700001"]
		if got.MO == 1 || time.Now().After(deadline) {
			break
		}
	}
	if got.Submits != 1 || got.MO != 1 || got.LoginsOK != 1 {
		t.Errorf("GET /stats cmpp 700001 = %+v, want 1 submit, 1 MO, 1 login", got)
	}
	c.Close()
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("RunCommand = %v, want nil after cancel", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("RunCommand did not return after cancel")
	}
}

func TestRunCommand_Flags(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"Help", []string{"-help"}, ""},
		{"BadAccount", []string{"-account", "cmpp:x"}, "proto:name:secret"},
		{"BadProtocol", []string{"-account", "mms:x:y"}, "unknown protocol"},
		{"Argument", []string{"extra"}, "unexpected argument"},
		{"BusyPort", []string{"-cmpp", "256.0.0.1:1"}, "listen"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var stderr bytes.Buffer
			err := simulator.RunCommand(context.Background(), tc.args, io.Discard, &stderr)
			if tc.want == "" {
				if !errors.Is(err, flag.ErrHelp) || !strings.Contains(stderr.String(), "901234 / demo") {
					t.Errorf("RunCommand -help = %v, usage %q; want flag.ErrHelp and the accounts", err, stderr.String())
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("RunCommand error = %v, want one containing %q", err, tc.want)
			}
		})
	}
}
