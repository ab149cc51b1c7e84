package smpp

// Interop tests against an independent implementation: the npm package
// "smpp" (farhadi/node-smpp), pinned in testdata/interop/package.json and
// package-lock.json. Prepare with:
//
//	cd protocol/smpp/testdata/interop && npm ci
//
// Without node or node_modules the tests skip, unless TAXSMS_CI is set, in
// which case they fail.

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf16"

	"taxsms/protocol"
)

const interopDir = "testdata/interop"

// nodeEvent is one JSON line printed by a node script.
type nodeEvent map[string]any

func (e nodeEvent) str(k string) string {
	switch v := e[k].(type) {
	case string:
		return v
	case float64:
		return strconv.FormatFloat(v, 'f', -1, 64)
	case nil:
		return ""
	default:
		b, _ := json.Marshal(v)
		return string(b)
	}
}

func (e nodeEvent) num(k string) int {
	f, _ := e[k].(float64)
	return int(f)
}

type nodeProc struct {
	events chan nodeEvent // closed when stdout ends
	stderr *bytes.Buffer
	done   chan error // the process's exit
	// backlog holds events read but not yet taken by nextEvent.
	backlog []nodeEvent
}

// startNode runs a script under testdata/interop with node; the process is
// killed when the test ends.
func startNode(t *testing.T, script string, args ...string) *nodeProc {
	t.Helper()
	node, err := exec.LookPath("node")
	reason := ""
	switch {
	case err != nil:
		reason = "node is not on PATH"
	default:
		if _, err := os.Stat(filepath.Join(interopDir, "node_modules", "smpp", "package.json")); err != nil {
			reason = "node_modules missing: run `cd protocol/smpp/testdata/interop && npm ci`"
		}
	}
	if reason != "" {
		if os.Getenv("TAXSMS_CI") != "" {
			t.Fatalf("interop test cannot run in CI: %s", reason)
		}
		t.Skipf("interop test skipped: %s (set TAXSMS_CI=1 to make this a failure)", reason)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	cmd := exec.CommandContext(ctx, node, append([]string{script}, args...)...)
	cmd.Dir = interopDir
	p := &nodeProc{events: make(chan nodeEvent, 64), stderr: &bytes.Buffer{}, done: make(chan error, 1)}
	cmd.Stderr = p.stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// The reader ends at the process's end of stdout.
	go func() {
		defer close(p.events)
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			var e nodeEvent
			if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
				e = nodeEvent{"event": "unparsed", "line": sc.Text()}
			}
			p.events <- e
		}
		p.done <- cmd.Wait()
	}()
	t.Cleanup(func() {
		cancel()
		for range p.events {
		}
		if t.Failed() {
			t.Logf("%s stderr:\n%s", script, p.stderr)
		}
	})
	return p
}

// next returns the next event, failing the test on timeout or end of output.
func (p *nodeProc) next(t *testing.T) nodeEvent {
	t.Helper()
	select {
	case e, ok := <-p.events:
		if !ok {
			t.Fatalf("node exited early: %s", p.stderr)
		}
		if e["event"] == "error" || e["event"] == "timeout" || e["event"] == "unparsed" {
			t.Fatalf("node: %v", e)
		}
		return e
	case <-time.After(10 * time.Second):
		t.Fatal("no output from node within 10s")
		return nil
	}
}

func ucs2(s string) []byte {
	var b []byte
	for _, u := range utf16.Encode([]rune(s)) {
		b = binary.BigEndian.AppendUint16(b, u)
	}
	return b
}

// TestInterop_NodeServer runs our client against node-smpp as the SMSC.
func TestInterop_NodeServer(t *testing.T) {
	p := startNode(t, "server.js")
	e := p.next(t)
	if e["event"] != "listening" {
		t.Fatalf("first event %v, want listening", e)
	}
	addr := "127.0.0.1:" + e.str("port")

	t.Run("ErrAuth", func(t *testing.T) {
		_, err := Dial(context.Background(), addr, ClientConfig{Timing: fastTiming, SystemID: "taxsms", Password: "wrong"})
		var st Status
		if !errors.Is(err, protocol.ErrAuth) || !errors.As(err, &st) || st != StatusInvPassword {
			t.Errorf("Dial error = %v, want ErrAuth with ESME_RINVPASWD", err)
		}
		if e := nextEvent(t, p, "bind"); e.str("system_id") != "taxsms" {
			t.Errorf("node saw %v, want bind from taxsms", e)
		}
	})

	delivers := make(chan *Deliver, 16)
	tm := fastTiming
	tm.ResponseTimeout = 5 * time.Second
	c, err := Dial(context.Background(), addr, ClientConfig{Timing: tm, SystemID: "taxsms", Password: "secret",
		OnDeliver: func(_ context.Context, d *Deliver) error { delivers <- d; return nil }})
	if err != nil {
		t.Fatalf("Dial: %v", err)
	}
	if e := nextEvent(t, p, "bind"); e.num("interface_version") != 0x34 {
		t.Errorf("node saw %v, want bind with interface_version 0x34", e)
	}
	if c.PeerSystemID() != "node-smsc" {
		t.Errorf("PeerSystemID = %q, want node-smsc", c.PeerSystemID())
	}

	long := []rune("【12366】尊敬的纳税人：您好！您本季度的增值税申报期限为本月十五日，逾期申报将产生滞纳金并影响纳税信用等级，请及时通过电子税务局办理。如有疑问请拨打12366纳税服务热线。")
	part1, part2 := string(long[:67]), string(long[67:])
	type sent struct {
		s    *Submit
		text string // what node should decode
	}
	udh := func(seq byte) []byte { return []byte{5, 0, 3, 0x2a, 2, seq} }
	var msgs []sent
	msgs = append(msgs, sent{&Submit{SM: SM{Source: "12366", Dest: "13800138000", RegisteredDelivery: 1, DataCoding: 1, Message: []byte("hello")}}, "hello"})
	msgs = append(msgs, sent{&Submit{SM: SM{Source: "12366", Dest: "13800138000", RegisteredDelivery: 1, DataCoding: 8, ESMClass: ESMClassUDHI, Message: append(udh(1), ucs2(part1)...)}}, part1})
	msgs = append(msgs, sent{&Submit{SM: SM{Source: "12366", Dest: "13800138000", RegisteredDelivery: 1, DataCoding: 8, ESMClass: ESMClassUDHI, Message: append(udh(2), ucs2(part2)...)}}, part2})
	msgs = append(msgs, sent{&Submit{SM: SM{Source: "12366", Dest: "13800138000", RegisteredDelivery: 1, DataCoding: 8, Message: ucs2(part1), SAR: SAR{Ref: 0x0102, Total: 2, Seq: 1}}}, part1})
	msgs = append(msgs, sent{&Submit{SM: SM{Source: "12366", Dest: "13800138000", RegisteredDelivery: 1, DataCoding: 8, Message: ucs2(part2), SAR: SAR{Ref: 0x0102, Total: 2, Seq: 2}}}, part2})

	dialect := Dialect{TextID: IDDecimal} // node prints receipt text ids in decimal
	ids := map[string]int{}
	for i, m := range msgs {
		r, err := c.Submit(context.Background(), m.s)
		if err != nil {
			t.Fatalf("submit %d: %v", i+1, err)
		}
		ids[dialect.MsgID(r)] = i + 1
		e := nextEvent(t, p, "submit")
		if e.num("n") != i+1 || e.str("message_id") != r.MessageID {
			t.Errorf("submit %d: node saw %v, want n %d id %q", i+1, e, i+1, r.MessageID)
		}
		sm, _ := e["short_message"].(map[string]any)
		if got, _ := sm["message"].(string); got != m.text {
			t.Errorf("submit %d: node decoded %q, want %q", i+1, got, m.text)
		}
		if m.s.ESMClass&ESMClassUDHI != 0 {
			if e.num("esm_class")&0x40 == 0 || !strings.Contains(e.str("short_message"), "udh") {
				t.Errorf("submit %d: node saw no UDH in %v", i+1, e)
			}
		}
		if m.s.SAR.Total != 0 {
			if e.num("sar_msg_ref_num") != int(m.s.SAR.Ref) || e.num("sar_total_segments") != 2 || e.num("sar_segment_seqnum") != int(m.s.SAR.Seq) {
				t.Errorf("submit %d: node saw SAR %v, want %+v", i+1, e, m.s.SAR)
			}
		}
		if e.str("destination_addr") != "13800138000" || e.str("source_addr") != "12366" || e.num("data_coding") != int(m.s.DataCoding) {
			t.Errorf("submit %d: node saw %v", i+1, e)
		}
	}

	var mo *Deliver
	receipts := map[int]protocol.Receipt{}
	for len(receipts) < len(msgs) || mo == nil {
		select {
		case d := <-delivers:
			if !d.IsReceipt() {
				mo = d
				continue
			}
			r, err := dialect.Receipt(d)
			if err != nil {
				t.Fatalf("receipt %+v: %v", d, err)
			}
			n, ok := ids[r.MsgID]
			if !ok {
				t.Fatalf("receipt id %q (from %+v) matches no submit (%v)", r.MsgID, d.SM, ids)
			}
			if !r.Delivered() || r.Dest != "13800138000" || r.Done.IsZero() {
				t.Errorf("receipt %d = %+v, want DELIVRD for 13800138000 with dates", n, r)
			}
			if (n%2 == 1) != (d.ReceiptedID != "") {
				t.Errorf("receipt %d: receipted_message_id %q, want the TLV on odd submits only", n, d.ReceiptedID)
			}
			receipts[n] = r
		case <-time.After(10 * time.Second):
			t.Fatalf("got %d receipts and MO %v, want %d and an MO", len(receipts), mo != nil, len(msgs))
		}
	}
	if mo.DataCoding != 8 || !bytes.Equal(mo.Message, ucs2("你好，12366")) || mo.Source != "13800138000" {
		t.Errorf("MO = %+v, want UCS-2 你好，12366 from 13800138000", mo.SM)
	}
	for range len(msgs) + 1 {
		if e := nextEvent(t, p, "deliver_resp"); e.num("command_status") != 0 {
			t.Errorf("node got deliver_sm_resp %v, want status 0", e)
		}
	}
	if err := c.Close(); err != nil {
		t.Errorf("Close = %v, want nil", err)
	}
	nextEvent(t, p, "unbind")
	select {
	case err := <-p.done:
		if err != nil {
			t.Errorf("node exit: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Error("node did not exit after unbind")
	}
}

// nextEvent returns the first event named name not yet taken, keeping the
// others it reads for later calls.
func nextEvent(t *testing.T, p *nodeProc, name string) nodeEvent {
	t.Helper()
	for i, e := range p.backlog {
		if e["event"] == name {
			p.backlog = append(p.backlog[:i], p.backlog[i+1:]...)
			return e
		}
	}
	for {
		e := p.next(t)
		if e["event"] == name {
			return e
		}
		p.backlog = append(p.backlog, e)
	}
}

// TestInterop_NodeClient runs node-smpp as the ESME against our server.
func TestInterop_NodeClient(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var (
		mu      sync.Mutex
		submits []*Submit
		pushes  sync.WaitGroup
		ids     []string
	)
	sessions := make(chan *Conn, 1)
	cfg := ServerConfig{
		Timing:   Timing{ResponseTimeout: 5 * time.Second, EnquireLink: -1},
		SystemID: "go-smsc",
		Authenticate: func(_ context.Context, b *Bind) Status {
			if b.SystemID == "taxsms" && b.Password == "secret" {
				return StatusOK
			}
			return StatusInvPassword
		},
		OnSubmit: func(_ context.Context, c *Conn, s *Submit) (string, Status) {
			mu.Lock()
			submits = append(submits, s)
			id := fmt.Sprintf("GO%04X", len(submits))
			ids = append(ids, id)
			mu.Unlock()
			pushes.Add(1)
			go func() { // after the submit_sm_resp, report the message
				defer pushes.Done()
				time.Sleep(20 * time.Millisecond)
				at := time.Date(2024, 3, 5, 9, 41, 0, 0, time.UTC)
				if _, err := c.Deliver(context.Background(), ReceiptDeliver(s, id, StateDelivered, "000", at, at)); err != nil {
					t.Errorf("receipt for %s: %v", id, err)
				}
			}()
			return id, StatusOK
		},
		OnBind: func(c *Conn) { sessions <- c },
	}
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- Serve(ctx, l, cfg) }()
	defer func() {
		cancel()
		<-served
	}()

	port := strconv.Itoa(l.Addr().(*net.TCPAddr).Port)
	p := startNode(t, "client.js", port, "4")
	e := p.next(t)
	if e["event"] != "bind_resp" || e.num("command_status") != 0 || e.str("system_id") != "go-smsc" {
		t.Fatalf("node saw %v, want bind_resp OK from go-smsc", e)
	}
	var sc *Conn
	select {
	case sc = <-sessions:
	case <-time.After(5 * time.Second):
		t.Fatal("no session")
	}
	mo := &Deliver{SM: SM{Source: "13800138000", Dest: "12366", DataCoding: 8, Message: ucs2("你好，12366")}}
	if _, err := sc.Deliver(context.Background(), mo); err != nil {
		t.Fatalf("MO Deliver: %v", err)
	}

	var delivers []nodeEvent
	respIDs := map[string]bool{}
	unbound := false
	for !unbound {
		e := p.next(t)
		switch e["event"] {
		case "submit_resp":
			if e.num("command_status") != 0 {
				t.Errorf("node got %v, want status 0", e)
			}
			respIDs[e.str("message_id")] = true
		case "deliver":
			delivers = append(delivers, e)
		case "unbind_resp":
			if e.num("command_status") != 0 {
				t.Errorf("unbind_resp %v, want status 0", e)
			}
			unbound = true
		default:
			t.Errorf("unexpected node event %v", e)
		}
	}
	pushes.Wait()
	if err := <-p.done; err != nil {
		t.Errorf("node exit: %v", err)
	}

	mu.Lock()
	defer mu.Unlock()
	if len(submits) != 3 {
		t.Fatalf("server got %d submits, want 3", len(submits))
	}
	byDest := map[string]*Submit{}
	for _, s := range submits {
		byDest[s.Dest] = s
	}
	if s := byDest["13800138000"]; s == nil || string(s.Message) != "hello from node" || s.RegisteredDelivery != 1 {
		t.Errorf("plain submit = %+v, want \"hello from node\"", s)
	}
	if s := byDest["13800138001"]; s == nil || s.DataCoding != 8 || !bytes.Equal(s.Message, ucs2("您好，12366")) {
		t.Errorf("UCS-2 submit = %+v, want data_coding 8 您好，12366", s)
	}
	if s := byDest["13800138002"]; s == nil || s.SAR != (SAR{Ref: 0x1234, Total: 2, Seq: 1}) || string(s.Message) != "part one" {
		t.Errorf("SAR submit = %+v, want SAR {0x1234 2 1}", s)
	}
	for _, id := range ids {
		if !respIDs[id] {
			t.Errorf("node never got message_id %q (got %v)", id, respIDs)
		}
	}
	if len(delivers) != 4 {
		t.Fatalf("node got %d deliver_sm, want 4: %v", len(delivers), delivers)
	}
	seen := map[string]bool{}
	for _, d := range delivers {
		if d.num("esm_class") != 4 {
			if d.str("short_message") != "你好，12366" || d.num("data_coding") != 8 || d.str("source_addr") != "13800138000" {
				t.Errorf("node MO %v, want UCS-2 你好，12366", d)
			}
			continue
		}
		id := d.str("receipted_message_id")
		seen[id] = true
		if d.num("message_state") != 2 || !strings.Contains(d.str("short_message"), "id:"+id+" ") || !strings.Contains(d.str("short_message"), "stat:DELIVRD") {
			t.Errorf("node receipt %v, want id %s DELIVRD", d, id)
		}
	}
	for _, id := range ids {
		if !seen[id] {
			t.Errorf("no receipt for %s at node (saw %v)", id, seen)
		}
	}
	select {
	case <-sc.Done():
		if !strings.Contains(sc.Err().Error(), "peer unbound") {
			t.Errorf("server session ended with %v, want peer unbound", sc.Err())
		}
	case <-time.After(2 * time.Second):
		t.Error("server session still up after node unbound")
	}
}
