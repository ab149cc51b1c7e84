package sgip

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"taxsms/protocol"
)

const (
	testNode = 3010012345
	testName = "sp901234"
	testPass = "secret"
)

func testClientConfig() ClientConfig {
	return ClientConfig{
		LoginName:       testName,
		LoginPassword:   testPass,
		NodeID:          testNode,
		ResponseTimeout: 2 * time.Second,
		IdleTimeout:     -1,
	}
}

// listen starts a server on loopback with the test account and cfg's handlers.
func listen(t *testing.T, loginType uint8, cfg ServerConfig) *Server {
	t.Helper()
	if cfg.Authenticate == nil {
		cfg.Authenticate = Accounts(loginType, map[string]string{testName: testPass})
	}
	s, err := Listen("127.0.0.1:0", cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func dial(t *testing.T, addr string, cfg ClientConfig) *Conn {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c, err := Dial(ctx, addr, cfg)
	if err != nil {
		t.Fatalf("Dial: %v", err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func testSubmit(text string) *Submit {
	return &Submit{
		SPNumber:      "1065512366",
		UserNumbers:   []string{"8613012345678"},
		CorpID:        "12345",
		ServiceType:   "TAX",
		MessageCoding: 15,
		Content:       []byte(text),
	}
}

// fakePeer accepts one connection, answers its Bind with bindResult and hands
// the connection to f; the listener and connection close when the test ends.
func fakePeer(t *testing.T, bindResult uint8, f func(nc net.Conn, br *bufio.Reader)) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { // ends when f returns or the listener closes
		defer wg.Done()
		nc, err := l.Accept()
		if err != nil {
			return
		}
		defer nc.Close()
		br := bufio.NewReader(nc)
		p, err := ReadPDU(br)
		if err != nil {
			return
		}
		nc.Write((&BindResp{Seq: p.Sequence(), Result: bindResult}).AppendMarshal(nil))
		if f != nil {
			f(nc, br)
		}
	}()
	t.Cleanup(func() { l.Close(); wg.Wait() })
	return l.Addr().String()
}

func TestDial(t *testing.T) {
	gw := listen(t, LoginSPToSMG, ServerConfig{})
	t.Run("OK", func(t *testing.T) {
		c := dial(t, gw.Addr().String(), testClientConfig())
		if got := c.Bind(); got.LoginName != testName || got.LoginType != LoginSPToSMG || got.Seq.Node != testNode {
			t.Errorf("Bind = %+v, want name %s, type 1, node %d", got, testName, testNode)
		}
	})
	refusals := []struct {
		name   string
		edit   func(*ClientConfig)
		result uint8
	}{
		{"ErrPassword", func(c *ClientConfig) { c.LoginPassword = "wrong" }, ResultIllegalLogin},
		{"ErrUnknownName", func(c *ClientConfig) { c.LoginName = "nobody" }, ResultIllegalLogin},
		{"ErrLoginType", func(c *ClientConfig) { c.LoginType = LoginSMGToSP }, ResultBadLoginType},
	}
	for _, tt := range refusals {
		t.Run(tt.name, func(t *testing.T) {
			cfg := testClientConfig()
			tt.edit(&cfg)
			c, err := Dial(context.Background(), gw.Addr().String(), cfg)
			if err == nil {
				c.Close()
				t.Fatal("Dial = nil error, want refusal")
			}
			var se *StatusError
			if !errors.Is(err, protocol.ErrAuth) || !errors.As(err, &se) || se.Result != tt.result {
				t.Errorf("Dial error = %v, want ErrAuth with result %d", err, tt.result)
			}
		})
	}
	t.Run("ErrNoAuthenticator", func(t *testing.T) {
		s, err := Listen("127.0.0.1:0", ServerConfig{})
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		_, err = Dial(context.Background(), s.Addr().String(), testClientConfig())
		if !errors.Is(err, protocol.ErrAuth) {
			t.Errorf("Dial error = %v, want ErrAuth", err)
		}
	})
	for _, code := range []uint8{ResultRepeatedLogin, ResultTooManyConns, ResultBusy} {
		t.Run(fmt.Sprintf("ErrResult%d", code), func(t *testing.T) {
			addr := fakePeer(t, code, nil)
			_, err := Dial(context.Background(), addr, testClientConfig())
			var se *StatusError
			if !errors.Is(err, protocol.ErrAuth) || !errors.As(err, &se) || se.Result != code {
				t.Errorf("Dial error = %v, want ErrAuth with result %d", err, code)
			}
		})
	}
	t.Run("ErrTimeout", func(t *testing.T) {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer l.Close()
		cfg := testClientConfig()
		cfg.ResponseTimeout = 50 * time.Millisecond
		_, err = Dial(context.Background(), l.Addr().String(), cfg)
		if !errors.Is(err, protocol.ErrTimeout) {
			t.Errorf("Dial error = %v, want ErrTimeout", err)
		}
	})
	t.Run("ErrContext", func(t *testing.T) {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer l.Close()
		ctx, cancel := context.WithCancel(context.Background())
		time.AfterFunc(20*time.Millisecond, cancel)
		_, err = Dial(ctx, l.Addr().String(), testClientConfig())
		if !errors.Is(err, context.Canceled) {
			t.Errorf("Dial error = %v, want context.Canceled", err)
		}
	})
	t.Run("ErrNotBindResp", func(t *testing.T) {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer l.Close()
		go func() { // ends after one connection
			nc, err := l.Accept()
			if err != nil {
				return
			}
			defer nc.Close()
			ReadPDU(nc)
			nc.Write((&UnbindResp{}).AppendMarshal(nil))
		}()
		_, err = Dial(context.Background(), l.Addr().String(), testClientConfig())
		if !errors.Is(err, ErrMalformed) {
			t.Errorf("Dial error = %v, want ErrMalformed", err)
		}
	})
}

func TestConn_Submit(t *testing.T) {
	t.Run("OK", func(t *testing.T) {
		var got []*Submit
		var mu sync.Mutex
		gw := listen(t, LoginSPToSMG, ServerConfig{OnSubmit: func(_ context.Context, c *Conn, p *Submit) error {
			if c.Bind().LoginName != testName {
				t.Errorf("server Bind().LoginName = %q, want %q", c.Bind().LoginName, testName)
			}
			mu.Lock()
			got = append(got, p)
			mu.Unlock()
			return nil
		}})
		c := dial(t, gw.Addr().String(), testClientConfig())
		p := testSubmit("hello")
		resp, err := c.Submit(context.Background(), p)
		if err != nil {
			t.Fatalf("Submit: %v", err)
		}
		if resp.Result != 0 || resp.Seq != p.Seq || resp.MsgID() != p.Seq.MsgID() {
			t.Errorf("SubmitResp = %+v, want result 0 and Seq %v", resp, p.Seq)
		}
		if p.Seq.Node != testNode || p.Seq.Number != 1 { // Number 0 went to the Bind
			t.Errorf("Seq = %v, want node %d number 1", p.Seq, testNode)
		}
		mu.Lock()
		defer mu.Unlock()
		if len(got) != 1 || string(got[0].Content) != "hello" || got[0].ReportFlag != ReportAlways || got[0].Seq != p.Seq {
			t.Errorf("gateway got %+v, want one Submit of %q with ReportAlways", got, "hello")
		}
	})

	t.Run("Window", func(t *testing.T) {
		var cur, peak atomic.Int32
		gw := listen(t, LoginSPToSMG, ServerConfig{OnSubmit: func(context.Context, *Conn, *Submit) error {
			n := cur.Add(1)
			for {
				p := peak.Load()
				if n <= p || peak.CompareAndSwap(p, n) {
					break
				}
			}
			time.Sleep(time.Millisecond)
			cur.Add(-1)
			return nil
		}})
		cfg := testClientConfig()
		cfg.Window = 4
		c := dial(t, gw.Addr().String(), cfg)
		var wg sync.WaitGroup
		ids := make(chan string, 40)
		for range 40 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				resp, err := c.Submit(context.Background(), testSubmit("x"))
				if err != nil {
					t.Errorf("Submit: %v", err)
					return
				}
				ids <- resp.MsgID()
			}()
		}
		wg.Wait()
		close(ids)
		seen := map[string]bool{}
		for id := range ids {
			if seen[id] {
				t.Errorf("id %s returned twice", id)
			}
			seen[id] = true
		}
		if p := peak.Load(); p > 4 || p < 2 {
			t.Errorf("peak handlers = %d, want 2 to 4", p)
		}
	})

	t.Run("ErrWindowFull", func(t *testing.T) {
		release := make(chan struct{})
		gw := listen(t, LoginSPToSMG, ServerConfig{OnSubmit: func(context.Context, *Conn, *Submit) error {
			<-release
			return nil
		}})
		cfg := testClientConfig()
		cfg.Window = 2
		c := dial(t, gw.Addr().String(), cfg)
		var wg sync.WaitGroup
		for range 2 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if _, err := c.Submit(context.Background(), testSubmit("x")); err != nil {
					t.Errorf("Submit: %v", err)
				}
			}()
		}
		waitFor(t, func() bool { c.mu.Lock(); defer c.mu.Unlock(); return c.inflight == 2 })
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Millisecond)
		defer cancel()
		_, err := c.Submit(ctx, testSubmit("third"))
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("third Submit error = %v, want context.DeadlineExceeded", err)
		}
		close(release)
		wg.Wait()
	})

	results := []struct {
		name      string
		err       error
		result    uint8
		throttled bool
	}{
		{"ErrThrottledBusy", &StatusError{Result: ResultBusy}, ResultBusy, true},
		{"ErrThrottledOverSpeed", &StatusError{Result: ResultOverSpeed}, ResultOverSpeed, true},
		{"ErrHandlerFailure", errors.New("disk full"), ResultBusy, true},
		{"ErrBadNumber", fmt.Errorf("wrapped: %w", &StatusError{Result: ResultBadNumber}), ResultBadNumber, false},
	}
	for _, tt := range results {
		t.Run(tt.name, func(t *testing.T) {
			gw := listen(t, LoginSPToSMG, ServerConfig{OnSubmit: func(context.Context, *Conn, *Submit) error { return tt.err }})
			c := dial(t, gw.Addr().String(), testClientConfig())
			resp, err := c.Submit(context.Background(), testSubmit("x"))
			var se *StatusError
			if !errors.As(err, &se) || se.Result != tt.result {
				t.Fatalf("Submit error = %v, want StatusError result %d", err, tt.result)
			}
			if errors.Is(err, protocol.ErrThrottled) != tt.throttled {
				t.Errorf("errors.Is(%v, ErrThrottled) = %v, want %v", err, !tt.throttled, tt.throttled)
			}
			if resp == nil || resp.Result != tt.result {
				t.Errorf("SubmitResp = %+v, want result %d", resp, tt.result)
			}
		})
	}

	t.Run("ErrInvalid", func(t *testing.T) {
		gw := listen(t, LoginSPToSMG, ServerConfig{})
		c := dial(t, gw.Addr().String(), testClientConfig())
		p := testSubmit("x")
		p.UserNumbers = nil
		if _, err := c.Submit(context.Background(), p); err == nil || !strings.Contains(err.Error(), "user numbers") {
			t.Errorf("Submit error = %v, want user count error", err)
		}
	})

	t.Run("Resend", func(t *testing.T) {
		// The peer answers only the third copy; all copies carry one Seq.
		seqs := make(chan Seq, 10)
		addr := fakePeer(t, 0, func(nc net.Conn, br *bufio.Reader) {
			for n := 1; ; n++ {
				p, err := ReadPDU(br)
				if err != nil {
					return
				}
				seqs <- p.Sequence()
				if n == 3 {
					nc.Write((&SubmitResp{Seq: p.Sequence()}).AppendMarshal(nil))
				}
			}
		})
		cfg := testClientConfig()
		cfg.ResponseTimeout = 30 * time.Millisecond
		c := dial(t, addr, cfg)
		p := testSubmit("x")
		if _, err := c.Submit(context.Background(), p); err != nil {
			t.Fatalf("Submit: %v", err)
		}
		for i := range 3 {
			if s := <-seqs; s != p.Seq {
				t.Errorf("copy %d Seq = %v, want %v", i+1, s, p.Seq)
			}
		}
	})

	t.Run("ErrTimeout", func(t *testing.T) {
		var n atomic.Int32
		addr := fakePeer(t, 0, func(nc net.Conn, br *bufio.Reader) {
			for {
				if _, err := ReadPDU(br); err != nil {
					return
				}
				n.Add(1)
			}
		})
		cfg := testClientConfig()
		cfg.ResponseTimeout = 20 * time.Millisecond
		cfg.Resends = 2
		c := dial(t, addr, cfg)
		_, err := c.Submit(context.Background(), testSubmit("x"))
		if !errors.Is(err, protocol.ErrTimeout) {
			t.Fatalf("Submit error = %v, want ErrTimeout", err)
		}
		waitFor(t, func() bool { return n.Load() == 3 })
		if c.Err() != nil {
			t.Errorf("Err after timeout = %v, want the link still up", c.Err())
		}
	})

	t.Run("ResendToSlowHandler", func(t *testing.T) {
		// The gateway handles a resent Submit once and answers it once.
		var calls atomic.Int32
		gw := listen(t, LoginSPToSMG, ServerConfig{OnSubmit: func(context.Context, *Conn, *Submit) error {
			if calls.Add(1) == 1 {
				time.Sleep(120 * time.Millisecond)
			}
			return nil
		}})
		cfg := testClientConfig()
		cfg.ResponseTimeout = 50 * time.Millisecond
		c := dial(t, gw.Addr().String(), cfg)
		if _, err := c.Submit(context.Background(), testSubmit("x")); err != nil {
			t.Fatalf("Submit: %v", err)
		}
		if n := calls.Load(); n != 1 {
			t.Errorf("handler calls = %d, want 1", n)
		}
	})

	t.Run("ErrDropped", func(t *testing.T) {
		addr := fakePeer(t, 0, func(nc net.Conn, br *bufio.Reader) {
			ReadPDU(br) // the Submit, then hang up
		})
		c := dial(t, addr, testClientConfig())
		_, err := c.Submit(context.Background(), testSubmit("x"))
		if !errors.Is(err, protocol.ErrClosed) {
			t.Fatalf("Submit error = %v, want ErrClosed", err)
		}
		<-c.Done()
		if err := c.Err(); !errors.Is(err, protocol.ErrClosed) {
			t.Errorf("Err = %v, want ErrClosed", err)
		}
		if _, err := c.Submit(context.Background(), testSubmit("y")); !errors.Is(err, protocol.ErrClosed) {
			t.Errorf("Submit after drop = %v, want ErrClosed", err)
		}
	})

	t.Run("ErrMalformedResponse", func(t *testing.T) {
		addr := fakePeer(t, 0, func(nc net.Conn, br *bufio.Reader) {
			ReadPDU(br)
			nc.Write([]byte{0, 0, 0, 21, 0x80, 0, 0, 3, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0})
			ReadPDU(br) // until the client hangs up
		})
		c := dial(t, addr, testClientConfig())
		_, err := c.Submit(context.Background(), testSubmit("x"))
		if !errors.Is(err, protocol.ErrClosed) || !errors.Is(err, ErrMalformed) {
			t.Errorf("Submit error = %v, want ErrClosed and ErrMalformed", err)
		}
	})

	t.Run("PeerUnbind", func(t *testing.T) {
		got := make(chan PDU, 1)
		addr := fakePeer(t, 0, func(nc net.Conn, br *bufio.Reader) {
			nc.Write((&Unbind{Seq: Seq{1, 2, 3}}).AppendMarshal(nil))
			p, _ := ReadPDU(br)
			got <- p
		})
		c := dial(t, addr, testClientConfig())
		<-c.Done()
		if p := <-got; p == nil || p.Command() != CmdUnbindResp || p.Sequence() != (Seq{1, 2, 3}) {
			t.Errorf("peer got %v, want Unbind_Resp with Seq 1-2-3", p)
		}
		if !strings.Contains(c.Err().Error(), "Unbind") {
			t.Errorf("Err = %v, want it to name the Unbind", c.Err())
		}
	})

	t.Run("LongUCS2", func(t *testing.T) {
		var mu sync.Mutex
		var got [][]byte
		gw := listen(t, LoginSPToSMG, ServerConfig{OnSubmit: func(_ context.Context, _ *Conn, p *Submit) error {
			mu.Lock()
			got = append(got, p.Content)
			mu.Unlock()
			return nil
		}})
		c := dial(t, gw.Addr().String(), testClientConfig())
		segs := ucs2Segments(strings.Repeat("税", 67*3))
		for _, s := range segs {
			p := testSubmit("")
			p.MessageCoding, p.TPUDHI, p.Content = 8, 1, s
			if _, err := c.Submit(context.Background(), p); err != nil {
				t.Fatalf("Submit: %v", err)
			}
		}
		mu.Lock()
		defer mu.Unlock()
		if len(got) != 3 || len(got[2]) != 140 || got[2][5] != 3 {
			t.Errorf("gateway got %d segments, want 3 of 140 bytes", len(got))
		}
	})
}

// ucs2Segments splits s (BMP only) into UCS-2 segments of 67 characters with
// an 8-bit concatenation UDH.
func ucs2Segments(s string) [][]byte {
	r := []rune(s)
	total := (len(r) + 66) / 67
	var out [][]byte
	for i := 0; i < total; i++ {
		seg := []byte{5, 0, 3, 0x2a, byte(total), byte(i + 1)}
		for _, c := range r[i*67 : min(len(r), (i+1)*67)] {
			seg = append(seg, byte(c>>8), byte(c))
		}
		out = append(out, seg)
	}
	return out
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met within 5s")
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// TestServe_SPListener is the SMG→SP direction: the gateway dials the SP's
// listener and pushes MO messages and reports.
func TestServe_SPListener(t *testing.T) {
	t.Run("DeliverHandledBeforeResponse", func(t *testing.T) {
		entered, release := make(chan *Deliver, 1), make(chan struct{})
		sp := listen(t, LoginSMGToSP, ServerConfig{OnDeliver: func(_ context.Context, p *Deliver) error {
			entered <- p
			<-release
			return nil
		}})
		cfg := testClientConfig()
		cfg.LoginType = LoginSMGToSP
		cfg.NodeID = 1020000001
		gw := dial(t, sp.Addr().String(), cfg)
		done := make(chan error, 1)
		go func() {
			_, err := gw.Deliver(context.Background(), &Deliver{UserNumber: "8613012345678", SPNumber: "1065512366", MessageCoding: 15, Content: []byte("TD")})
			done <- err
		}()
		p := <-entered
		if p.UserNumber != "8613012345678" || string(p.Content) != "TD" {
			t.Errorf("OnDeliver got %+v", p)
		}
		select {
		case err := <-done:
			t.Fatalf("Deliver returned (%v) before the handler did", err)
		case <-time.After(20 * time.Millisecond):
		}
		close(release)
		if err := <-done; err != nil {
			t.Errorf("Deliver: %v", err)
		}
	})
	t.Run("ErrHandler", func(t *testing.T) {
		sp := listen(t, LoginSMGToSP, ServerConfig{OnDeliver: func(context.Context, *Deliver) error { return errors.New("db down") }})
		cfg := testClientConfig()
		cfg.LoginType = LoginSMGToSP
		gw := dial(t, sp.Addr().String(), cfg)
		resp, err := gw.Deliver(context.Background(), &Deliver{UserNumber: "8613012345678"})
		if !errors.Is(err, protocol.ErrThrottled) || resp == nil || resp.Result != ResultBusy {
			t.Errorf("Deliver = %+v, %v, want result %d", resp, err, ResultBusy)
		}
	})
	t.Run("ErrNoHandler", func(t *testing.T) {
		sp := listen(t, LoginSMGToSP, ServerConfig{})
		cfg := testClientConfig()
		cfg.LoginType = LoginSMGToSP
		gw := dial(t, sp.Addr().String(), cfg)
		resp, err := gw.Report(context.Background(), &Report{})
		if err == nil || resp.Result != ResultBadLoginType {
			t.Errorf("Report = %+v, %v, want result %d", resp, err, ResultBadLoginType)
		}
	})
	t.Run("ErrRequestOnDialledLink", func(t *testing.T) {
		// A Deliver sent on the SP's own dialled link is answered, not handled.
		got := make(chan PDU, 1)
		addr := fakePeer(t, 0, func(nc net.Conn, br *bufio.Reader) {
			nc.Write((&Deliver{Seq: Seq{9, 9, 9}}).AppendMarshal(nil))
			p, _ := ReadPDU(br)
			got <- p
		})
		dial(t, addr, testClientConfig())
		p := <-got
		if r, ok := p.(*DeliverResp); !ok || r.Result != ResultBadLoginType || r.Seq != (Seq{9, 9, 9}) {
			t.Errorf("peer got %+v, want Deliver_Resp result %d", p, ResultBadLoginType)
		}
	})
}

// TestConn_ReceiptPerSegment runs the whole loop: the SP submits a long
// message to the gateway, the gateway dials the SP's listener and reports
// each segment, and every receipt finds its segment's id.
func TestConn_ReceiptPerSegment(t *testing.T) {
	receipts := make(chan protocol.Receipt, 10)
	sp := listen(t, LoginSMGToSP, ServerConfig{OnReport: func(_ context.Context, p *Report) error {
		receipts <- p.Receipt()
		return nil
	}})
	gwCfg := testClientConfig()
	gwCfg.LoginType = LoginSMGToSP
	gwCfg.NodeID = 1020000001
	push := NewClient(sp.Addr().String(), gwCfg)
	defer push.Close()

	gw := listen(t, LoginSPToSMG, ServerConfig{OnSubmit: func(ctx context.Context, _ *Conn, p *Submit) error {
		state, code := StateDelivered, uint8(0)
		if p.Content[5] == 2 {
			state, code = StateFailed, 29
		}
		go func() {
			if _, err := push.Report(context.Background(), &Report{SubmitSeq: p.Seq, UserNumber: p.UserNumbers[0], State: state, ErrorCode: code}); err != nil {
				t.Errorf("Report: %v", err)
			}
		}()
		return nil
	}})
	c := dial(t, gw.Addr().String(), testClientConfig())
	want := map[string]string{}
	for i, s := range ucs2Segments(strings.Repeat("办", 150)) {
		p := testSubmit("")
		p.MessageCoding, p.TPUDHI, p.Content = 8, 1, s
		resp, err := c.Submit(context.Background(), p)
		if err != nil {
			t.Fatal(err)
		}
		want[resp.MsgID()] = map[bool]string{true: "UNDELIV", false: "DELIVRD"}[i == 1]
	}
	for range 3 {
		select {
		case r := <-receipts:
			stat, ok := want[protocol.NormalizeID(r.MsgID)]
			if !ok || stat != r.Stat {
				t.Errorf("receipt %+v: want id in %v with stat %q", r, want, stat)
			}
			delete(want, r.MsgID)
		case <-time.After(5 * time.Second):
			t.Fatalf("receipts missing for %v", want)
		}
	}
}

func TestConn_Idle(t *testing.T) {
	t.Run("ClientClosesIdleLink", func(t *testing.T) {
		var unbound atomic.Bool
		srvc := make(chan *Conn, 1)
		gw := listen(t, LoginSPToSMG, ServerConfig{OnSubmit: func(_ context.Context, c *Conn, _ *Submit) error {
			srvc <- c
			return nil
		}})
		cfg := testClientConfig()
		cfg.IdleTimeout = 40 * time.Millisecond
		c := dial(t, gw.Addr().String(), cfg)
		if _, err := c.Submit(context.Background(), testSubmit("x")); err != nil {
			t.Fatal(err)
		}
		srv := []*Conn{<-srvc}
		select {
		case <-c.Done():
		case <-time.After(5 * time.Second):
			t.Fatal("idle link not closed")
		}
		if err := c.Err(); !errors.Is(err, protocol.ErrClosed) || !strings.Contains(err.Error(), "idle") {
			t.Errorf("Err = %v, want ErrClosed naming idle", err)
		}
		select {
		case <-srv[0].Done():
			unbound.Store(strings.Contains(srv[0].Err().Error(), "Unbind"))
		case <-time.After(5 * time.Second):
			t.Fatal("server link still up")
		}
		if !unbound.Load() {
			t.Errorf("server link Err = %v, want it ended by Unbind", srv[0].Err())
		}
	})
	t.Run("ClientReopens", func(t *testing.T) {
		var binds atomic.Int32
		gw := listen(t, LoginSPToSMG, ServerConfig{
			Authenticate: func(ctx context.Context, b *Bind) uint8 {
				binds.Add(1)
				return Accounts(LoginSPToSMG, map[string]string{testName: testPass})(ctx, b)
			},
			OnSubmit: func(context.Context, *Conn, *Submit) error { return nil },
		})
		cfg := testClientConfig()
		cfg.IdleTimeout = 30 * time.Millisecond
		cl := NewClient(gw.Addr().String(), cfg)
		defer cl.Close()
		var ids []Seq
		for i := range 2 {
			p := testSubmit("x")
			if _, err := cl.Submit(context.Background(), p); err != nil {
				t.Fatalf("Submit %d: %v", i, err)
			}
			ids = append(ids, p.Seq)
			conn, _ := cl.Conn(context.Background())
			if i == 0 {
				<-conn.Done()
			}
		}
		if n := binds.Load(); n != 2 {
			t.Errorf("binds = %d, want 2", n)
		}
		if ids[0] == ids[1] || ids[1].Number <= ids[0].Number {
			t.Errorf("Seqs %v then %v, want the count to go on across links", ids[0], ids[1])
		}
		cl.Close()
		if _, err := cl.Submit(context.Background(), testSubmit("x")); !errors.Is(err, protocol.ErrClosed) {
			t.Errorf("Submit after Close = %v, want ErrClosed", err)
		}
	})
	t.Run("ClientRedialsAfterDrop", func(t *testing.T) {
		srvc := make(chan *Conn, 2)
		gw := listen(t, LoginSPToSMG, ServerConfig{OnSubmit: func(_ context.Context, c *Conn, _ *Submit) error {
			srvc <- c
			return nil
		}})
		cl := NewClient(gw.Addr().String(), testClientConfig())
		defer cl.Close()
		if _, err := cl.Submit(context.Background(), testSubmit("1")); err != nil {
			t.Fatal(err)
		}
		first, _ := cl.Conn(context.Background())
		(<-srvc).nc.Close() // the gateway drops the link
		<-first.Done()
		if err := first.Err(); !errors.Is(err, protocol.ErrClosed) {
			t.Errorf("dropped link Err = %v, want ErrClosed", err)
		}
		if _, err := cl.Submit(context.Background(), testSubmit("2")); err != nil {
			t.Fatalf("Submit after drop: %v", err)
		}
		if second, _ := cl.Conn(context.Background()); second == first {
			t.Error("Client kept the dropped link")
		}
	})
	t.Run("ServerDropsIdleLink", func(t *testing.T) {
		gw := listen(t, LoginSPToSMG, ServerConfig{IdleTimeout: 40 * time.Millisecond})
		c := dial(t, gw.Addr().String(), testClientConfig())
		select {
		case <-c.Done():
		case <-time.After(5 * time.Second):
			t.Fatal("server kept the idle link")
		}
		if !errors.Is(c.Err(), protocol.ErrClosed) {
			t.Errorf("Err = %v, want ErrClosed", c.Err())
		}
	})
}

func TestConn_Close(t *testing.T) {
	t.Run("DrainsWindow", func(t *testing.T) {
		entered := make(chan struct{}, 4)
		gw := listen(t, LoginSPToSMG, ServerConfig{OnSubmit: func(context.Context, *Conn, *Submit) error {
			entered <- struct{}{}
			time.Sleep(50 * time.Millisecond)
			return nil
		}})
		c := dial(t, gw.Addr().String(), testClientConfig())
		errs := make(chan error, 4)
		for range 4 {
			go func() {
				_, err := c.Submit(context.Background(), testSubmit("x"))
				errs <- err
			}()
		}
		for range 4 {
			<-entered
		}
		if err := c.Close(); err != nil {
			t.Fatalf("Close: %v", err)
		}
		for range 4 {
			if err := <-errs; err != nil {
				t.Errorf("Submit in flight during Close: %v", err)
			}
		}
		if _, err := c.Submit(context.Background(), testSubmit("x")); !errors.Is(err, protocol.ErrClosed) {
			t.Errorf("Submit after Close = %v, want ErrClosed", err)
		}
		if err := c.Close(); err != nil {
			t.Errorf("second Close: %v", err)
		}
	})
	t.Run("BoundedByCloseTimeout", func(t *testing.T) {
		addr := fakePeer(t, 0, func(nc net.Conn, br *bufio.Reader) {
			for {
				if _, err := ReadPDU(br); err != nil {
					return
				}
			}
		})
		cfg := testClientConfig()
		cfg.CloseTimeout = 30 * time.Millisecond
		c := dial(t, addr, cfg)
		go c.Submit(context.Background(), testSubmit("x"))
		waitFor(t, func() bool { c.mu.Lock(); defer c.mu.Unlock(); return c.inflight == 1 })
		start := time.Now()
		c.Close()
		if d := time.Since(start); d > time.Second {
			t.Errorf("Close took %v, want about 30ms", d)
		}
	})
	t.Run("ServerShutdown", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		served := make(chan error, 1)
		go func() {
			served <- Serve(ctx, l, ServerConfig{Authenticate: Accounts(LoginSPToSMG, map[string]string{testName: testPass})})
		}()
		c := dial(t, l.Addr().String(), testClientConfig())
		cancel()
		if err := <-served; err != nil {
			t.Errorf("Serve = %v, want nil", err)
		}
		select {
		case <-c.Done():
		case <-time.After(5 * time.Second):
			t.Fatal("client link still up after Serve returned")
		}
	})
}

// splitConn writes one byte at a time, so that the peer's reads are split at
// every byte boundary.
type splitConn struct{ net.Conn }

func (c splitConn) Write(b []byte) (int, error) {
	for i := range b {
		if _, err := c.Conn.Write(b[i : i+1]); err != nil {
			return i, err
		}
	}
	return len(b), nil
}

func TestConn_SplitPipe(t *testing.T) {
	a, b := net.Pipe()
	var got atomic.Int32
	srvc := make(chan *Conn, 1)
	go func() {
		c, err := NewServerConn(context.Background(), splitConn{b}, ServerConfig{
			Authenticate: Accounts(LoginSPToSMG, map[string]string{testName: testPass}),
			OnSubmit: func(_ context.Context, _ *Conn, p *Submit) error {
				got.Add(1)
				return nil
			},
		})
		if err != nil {
			t.Errorf("NewServerConn: %v", err)
		}
		srvc <- c
	}()
	c, err := NewClientConn(context.Background(), splitConn{a}, testClientConfig())
	if err != nil {
		t.Fatalf("NewClientConn: %v", err)
	}
	s := <-srvc
	defer s.Close()
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := c.Submit(context.Background(), testSubmit("split at every byte")); err != nil {
				t.Errorf("Submit: %v", err)
			}
		}()
	}
	wg.Wait()
	if n := got.Load(); n != 8 {
		t.Errorf("gateway handled %d submits, want 8", n)
	}
	c.Close()
	<-s.Done()
}

// TestServe_UnbindAfterRequest: a peer that unbinds right after a request
// still gets the request's response, before the Unbind_Resp.
func TestServe_UnbindAfterRequest(t *testing.T) {
	gw := listen(t, LoginSPToSMG, ServerConfig{OnSubmit: func(context.Context, *Conn, *Submit) error {
		time.Sleep(30 * time.Millisecond)
		return nil
	}})
	nc, err := net.Dial("tcp", gw.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	var out []byte
	out = (&Bind{LoginType: LoginSPToSMG, LoginName: testName, LoginPassword: testPass}).AppendMarshal(out)
	out = (&Submit{Seq: Seq{1, 1, 1}, UserNumbers: []string{"8613012345678"}}).AppendMarshal(out)
	out = (&Unbind{Seq: Seq{1, 1, 2}}).AppendMarshal(out)
	nc.Write(out)
	var got []CommandID
	for {
		p, err := ReadPDU(nc)
		if err != nil {
			break
		}
		got = append(got, p.Command())
	}
	want := []CommandID{CmdBindResp, CmdSubmitResp, CmdUnbindResp}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("peer got %v, want %v", got, want)
	}
}

func TestAccounts(t *testing.T) {
	auth := Accounts(LoginSMGToSP, map[string]string{"smg": "pw"})
	tests := []struct {
		b    Bind
		want uint8
	}{
		{Bind{LoginType: LoginSMGToSP, LoginName: "smg", LoginPassword: "pw"}, ResultOK},
		{Bind{LoginType: LoginSMGToSP, LoginName: "smg", LoginPassword: "pW"}, ResultIllegalLogin},
		{Bind{LoginType: LoginSMGToSP, LoginName: "other", LoginPassword: "pw"}, ResultIllegalLogin},
		{Bind{LoginType: LoginSPToSMG, LoginName: "smg", LoginPassword: "pw"}, ResultBadLoginType},
	}
	for _, tt := range tests {
		if got := auth(context.Background(), &tt.b); got != tt.want {
			t.Errorf("Accounts(%+v) = %d, want %d", tt.b, got, tt.want)
		}
	}
}
