package smpp

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"reflect"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"taxsms/protocol"
)

// fastTiming keeps session tests quick.
var fastTiming = Timing{ResponseTimeout: 200 * time.Millisecond, EnquireLink: -1, BindTimeout: time.Second, CloseTimeout: time.Second}

type testServer struct {
	addr  string
	conns chan *Conn // bound server sessions
}

// startServer runs Serve on loopback until the test ends.
func startServer(t testing.TB, cfg ServerConfig) *testServer {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Timing.ResponseTimeout == 0 {
		cfg.Timing = fastTiming
	}
	s := &testServer{addr: l.Addr().String(), conns: make(chan *Conn, 16)}
	onBind := cfg.OnBind
	cfg.OnBind = func(c *Conn) {
		if onBind != nil {
			onBind(c)
		}
		s.conns <- c
	}
	if cfg.Authenticate == nil {
		cfg.Authenticate = func(_ context.Context, b *Bind) Status {
			if b.SystemID != "taxsms" {
				return StatusInvSystemID
			}
			if b.Password != "secret" {
				return StatusInvPassword
			}
			return StatusOK
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- Serve(ctx, l, cfg) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; !errors.Is(err, context.Canceled) {
			t.Errorf("Serve = %v, want context.Canceled", err)
		}
	})
	return s
}

func (s *testServer) conn(t *testing.T) *Conn {
	t.Helper()
	select {
	case c := <-s.conns:
		return c
	case <-time.After(2 * time.Second):
		t.Fatal("no session bound on the server")
		return nil
	}
}

func dial(t *testing.T, addr string, cfg ClientConfig) *Conn {
	t.Helper()
	if cfg.SystemID == "" {
		cfg.SystemID, cfg.Password = "taxsms", "secret"
	}
	if cfg.Timing.ResponseTimeout == 0 {
		cfg.Timing = fastTiming
	}
	c, err := Dial(context.Background(), addr, cfg)
	if err != nil {
		t.Fatalf("Dial: %v", err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func testSubmit(text string) *Submit {
	return &Submit{SM: SM{Source: "12366", Dest: "13800138000", RegisteredDelivery: 1, Message: []byte(text)}}
}

func TestDial(t *testing.T) {
	srv := startServer(t, ServerConfig{SystemID: "SMSC"})
	t.Run("OK", func(t *testing.T) {
		c := dial(t, srv.addr, ClientConfig{})
		if got := c.PeerSystemID(); got != "SMSC" {
			t.Errorf("PeerSystemID = %q, want SMSC", got)
		}
		sc := srv.conn(t)
		if got, want := sc.PeerSystemID(), "taxsms"; got != want {
			t.Errorf("server PeerSystemID = %q, want %q", got, want)
		}
		if got := sc.BindCommand(); got != CmdBindTransceiver {
			t.Errorf("BindCommand = %v, want bind_transceiver", got)
		}
	})
	for _, tc := range []struct {
		name     string
		id, pass string
		want     Status
	}{
		{"ErrInvPassword", "taxsms", "wrong", StatusInvPassword},
		{"ErrInvSystemID", "other", "secret", StatusInvSystemID},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Dial(context.Background(), srv.addr, ClientConfig{Timing: fastTiming, SystemID: tc.id, Password: tc.pass})
			var st Status
			if !errors.Is(err, protocol.ErrAuth) || !errors.As(err, &st) || st != tc.want {
				t.Errorf("Dial error = %v, want ErrAuth with %v", err, tc.want)
			}
		})
	}
	t.Run("ErrBindFail", func(t *testing.T) {
		srv := startServer(t, ServerConfig{Authenticate: func(context.Context, *Bind) Status { return StatusBindFail }})
		_, err := Dial(context.Background(), srv.addr, ClientConfig{Timing: fastTiming, SystemID: "taxsms"})
		var st Status
		if !errors.Is(err, protocol.ErrAuth) || !errors.As(err, &st) || st != StatusBindFail {
			t.Errorf("Dial error = %v, want ErrAuth with ESME_RBINDFAIL", err)
		}
	})
	t.Run("ErrTooLong", func(t *testing.T) {
		_, err := Dial(context.Background(), srv.addr, ClientConfig{Timing: fastTiming, SystemID: "taxsms", Password: "0123456789"})
		if err == nil {
			t.Error("Dial with a 10-byte password: error nil, want error")
		}
	})
	t.Run("ErrNoAnswer", func(t *testing.T) {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer l.Close()
		go func() {
			nc, err := l.Accept()
			if err == nil {
				defer nc.Close()
				time.Sleep(time.Second)
			}
		}()
		tm := fastTiming
		tm.BindTimeout = 100 * time.Millisecond
		_, err = Dial(context.Background(), l.Addr().String(), ClientConfig{Timing: tm, SystemID: "taxsms"})
		var ne net.Error
		if !errors.As(err, &ne) || !ne.Timeout() {
			t.Errorf("Dial error = %v, want a timeout", err)
		}
	})
}

func TestConn_Submit(t *testing.T) {
	t.Run("OK", func(t *testing.T) {
		var got []*Submit
		var mu sync.Mutex
		srv := startServer(t, ServerConfig{OnSubmit: func(_ context.Context, _ *Conn, s *Submit) (string, Status) {
			mu.Lock()
			defer mu.Unlock()
			got = append(got, s)
			return fmt.Sprintf("%08x", len(got)), StatusOK
		}})
		c := dial(t, srv.addr, ClientConfig{})
		s := testSubmit("hello")
		r, err := c.Submit(context.Background(), s)
		if err != nil {
			t.Fatal(err)
		}
		if r.MessageID != "00000001" {
			t.Errorf("MessageID = %q, want 00000001", r.MessageID)
		}
		if s.Seq != 0 {
			t.Errorf("caller's Seq = %d, want it untouched (0)", s.Seq)
		}
		mu.Lock()
		defer mu.Unlock()
		if len(got) != 1 || !reflect.DeepEqual(got[0].SM, s.SM) {
			t.Errorf("server got %+v, want %+v", got, s.SM)
		}
	})
	for _, st := range []Status{StatusThrottled, StatusMsgQueueFull} {
		t.Run("ErrThrottled "+st.String(), func(t *testing.T) {
			srv := startServer(t, ServerConfig{OnSubmit: func(context.Context, *Conn, *Submit) (string, Status) { return "", st }})
			c := dial(t, srv.addr, ClientConfig{})
			_, err := c.Submit(context.Background(), testSubmit("x"))
			var got Status
			if !errors.Is(err, protocol.ErrThrottled) || !errors.As(err, &got) || got != st {
				t.Errorf("Submit error = %v, want ErrThrottled with %v", err, st)
			}
		})
	}
	t.Run("ErrRefused", func(t *testing.T) {
		srv := startServer(t, ServerConfig{OnSubmit: func(context.Context, *Conn, *Submit) (string, Status) { return "", StatusInvDstAddr }})
		c := dial(t, srv.addr, ClientConfig{})
		r, err := c.Submit(context.Background(), testSubmit("x"))
		var got Status
		if !errors.As(err, &got) || got != StatusInvDstAddr || errors.Is(err, protocol.ErrThrottled) {
			t.Errorf("Submit error = %v, want ESME_RINVDSTADR, not throttled", err)
		}
		if r == nil || r.Status != StatusInvDstAddr {
			t.Errorf("Submit resp = %+v, want one with status ESME_RINVDSTADR", r)
		}
	})
	t.Run("ErrTimeoutAfterResends", func(t *testing.T) {
		var seen atomic.Int32
		seqs := make(chan uint32, 8)
		srv := startServer(t, ServerConfig{OnSubmit: func(ctx context.Context, _ *Conn, s *Submit) (string, Status) {
			seen.Add(1)
			seqs <- s.Seq
			<-ctx.Done() // never answer while the session lives
			return "", StatusSysErr
		}})
		tm := fastTiming
		tm.ResponseTimeout = 50 * time.Millisecond
		tm.Resends = 2
		c := dial(t, srv.addr, ClientConfig{Timing: tm})
		start := time.Now()
		_, err := c.Submit(context.Background(), testSubmit("x"))
		if !errors.Is(err, protocol.ErrTimeout) {
			t.Fatalf("Submit error = %v, want ErrTimeout", err)
		}
		if d := time.Since(start); d < 150*time.Millisecond {
			t.Errorf("Submit gave up after %v, want at least 3 x 50ms", d)
		}
		time.Sleep(20 * time.Millisecond)
		if got := seen.Load(); got != 3 {
			t.Errorf("server saw %d sends, want 3 (1 + 2 resends)", got)
		}
		a, b, cc := <-seqs, <-seqs, <-seqs
		if a != b || b != cc {
			t.Errorf("resent sequence numbers %d %d %d, want the same", a, b, cc)
		}
	})
	t.Run("ResendAnsweredLate", func(t *testing.T) {
		var n atomic.Int32
		srv := startServer(t, ServerConfig{OnSubmit: func(ctx context.Context, _ *Conn, s *Submit) (string, Status) {
			if n.Add(1) == 1 {
				<-ctx.Done() // lose the first copy
			}
			return "7", StatusOK
		}})
		tm := fastTiming
		tm.ResponseTimeout = 50 * time.Millisecond
		c := dial(t, srv.addr, ClientConfig{Timing: tm})
		r, err := c.Submit(context.Background(), testSubmit("x"))
		if err != nil || r.MessageID != "7" {
			t.Errorf("Submit = %+v, %v, want id 7 after a resend", r, err)
		}
	})
	t.Run("WindowFull", func(t *testing.T) {
		release := make(chan struct{})
		var inFlight, maxInFlight atomic.Int32
		srv := startServer(t, ServerConfig{OnSubmit: func(context.Context, *Conn, *Submit) (string, Status) {
			n := inFlight.Add(1)
			for {
				m := maxInFlight.Load()
				if n <= m || maxInFlight.CompareAndSwap(m, n) {
					break
				}
			}
			<-release
			inFlight.Add(-1)
			return "1", StatusOK
		}})
		tm := fastTiming
		tm.Window = 2
		tm.ResponseTimeout = 2 * time.Second
		c := dial(t, srv.addr, ClientConfig{Timing: tm})
		var wg sync.WaitGroup
		errs := make(chan error, 5)
		for range 5 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, err := c.Submit(context.Background(), testSubmit("x"))
				errs <- err
			}()
		}
		time.Sleep(50 * time.Millisecond)
		if got := inFlight.Load(); got != 2 {
			t.Errorf("requests at the server with window 2 = %d, want 2", got)
		}
		// A submit whose ctx ends while it waits for a slot gives up.
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
		_, err := c.Submit(ctx, testSubmit("x"))
		cancel()
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("Submit on a full window = %v, want DeadlineExceeded", err)
		}
		close(release)
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Errorf("Submit = %v, want nil", err)
			}
		}
		if got := maxInFlight.Load(); got > 2 {
			t.Errorf("max requests at the server = %d, want at most 2", got)
		}
	})
}

func TestConn_Deliver(t *testing.T) {
	t.Run("MO", func(t *testing.T) {
		srv := startServer(t, ServerConfig{})
		got := make(chan *Deliver, 1)
		dial(t, srv.addr, ClientConfig{OnDeliver: func(_ context.Context, d *Deliver) error {
			got <- d
			return nil
		}})
		sc := srv.conn(t)
		mo := &Deliver{SM: SM{Source: "13800138000", Dest: "12366", DataCoding: 8, Message: []byte{0x4f, 0x60, 0x59, 0x7d}}}
		r, err := sc.Deliver(context.Background(), mo)
		if err != nil || r.Status != StatusOK {
			t.Fatalf("Deliver = %+v, %v, want OK", r, err)
		}
		d := <-got
		if !reflect.DeepEqual(d.SM, mo.SM) {
			t.Errorf("client got %+v, want %+v", d.SM, mo.SM)
		}
	})
	t.Run("HandlerErrorMeansResend", func(t *testing.T) {
		srv := startServer(t, ServerConfig{})
		var calls atomic.Int32
		dial(t, srv.addr, ClientConfig{OnDeliver: func(context.Context, *Deliver) error {
			if calls.Add(1) == 1 {
				return errors.New("store is down")
			}
			return nil
		}})
		sc := srv.conn(t)
		mo := &Deliver{SM: SM{Source: "13800138000", Dest: "12366", Message: []byte("hi")}}
		_, err := sc.Deliver(context.Background(), mo)
		var st Status
		if !errors.As(err, &st) || st != StatusTempAppErr {
			t.Errorf("first Deliver error = %v, want ESME_RX_T_APPN", err)
		}
		if _, err := sc.Deliver(context.Background(), mo); err != nil {
			t.Errorf("second Deliver = %v, want nil", err)
		}
	})
	t.Run("ReceiptPerSegment", func(t *testing.T) {
		// The server answers each segment with an id, then reports each.
		var pushes sync.WaitGroup
		t.Cleanup(pushes.Wait)
		var n atomic.Int32
		srv := startServer(t, ServerConfig{OnSubmit: func(_ context.Context, c *Conn, s *Submit) (string, Status) {
			id := fmt.Sprintf("%x", 0xA0+n.Add(1)) // lower-case hex ids
			pushes.Add(1)
			go func() {
				defer pushes.Done()
				time.Sleep(10 * time.Millisecond) // after the submit_sm_resp
				at := time.Date(2024, 3, 5, 9, 41, 0, 0, time.UTC)
				r := ReceiptDeliver(s, "00"+id, StateDelivered, "000", at, at)
				r.ReceiptedID = "" // text only, with leading zeros
				c.Deliver(context.Background(), r)
			}()
			return id, StatusOK
		}})
		receipts := make(chan protocol.Receipt, 8)
		// Hex ids, so that the receipt's leading zeros do not matter.
		dialect := Dialect{RespID: IDHex, ReceiptedID: IDHex, TextID: IDHex}
		c := dial(t, srv.addr, ClientConfig{OnDeliver: func(_ context.Context, d *Deliver) error {
			r, err := dialect.Receipt(d)
			if err != nil {
				return err
			}
			receipts <- r
			return nil
		}})
		// A long UCS-2 message in three UDH segments, one with SAR, one with message_payload.
		ucs2 := bytes.Repeat([]byte{0x7a, 0x0e}, 67)
		segs := []*Submit{
			{SM: SM{Source: "12366", Dest: "13800138000", ESMClass: ESMClassUDHI, DataCoding: 8, RegisteredDelivery: 1, Message: append([]byte{5, 0, 3, 9, 2, 1}, ucs2...)}},
			{SM: SM{Source: "12366", Dest: "13800138000", ESMClass: ESMClassUDHI, DataCoding: 8, RegisteredDelivery: 1, Message: append([]byte{5, 0, 3, 9, 2, 2}, ucs2[:20]...)}},
			{SM: SM{Source: "12366", Dest: "13800138000", DataCoding: 8, RegisteredDelivery: 1, Message: ucs2, SAR: SAR{Ref: 10, Total: 1, Seq: 1}}},
			{SM: SM{Source: "12366", Dest: "13800138000", DataCoding: 8, RegisteredDelivery: 1, Payload: bytes.Repeat(ucs2, 3)}},
		}
		want := map[string]bool{}
		for _, s := range segs {
			r, err := c.Submit(context.Background(), s)
			if err != nil {
				t.Fatal(err)
			}
			want[dialect.MsgID(r)] = true
		}
		for range segs {
			select {
			case r := <-receipts:
				if !want[r.MsgID] || !r.Delivered() || r.Dest != "13800138000" {
					t.Errorf("receipt %+v does not match a submit (ids %v)", r, want)
				}
				delete(want, r.MsgID)
			case <-time.After(2 * time.Second):
				t.Fatalf("receipts missing for %v", want)
			}
		}
	})
}

func TestConn_Close(t *testing.T) {
	t.Run("DrainsThenUnbinds", func(t *testing.T) {
		release := make(chan struct{})
		srv := startServer(t, ServerConfig{OnSubmit: func(context.Context, *Conn, *Submit) (string, Status) {
			<-release
			return "1", StatusOK
		}})
		tm := fastTiming
		tm.ResponseTimeout = 2 * time.Second
		c := dial(t, srv.addr, ClientConfig{Timing: tm})
		sc := srv.conn(t)
		errs := make(chan error, 3)
		for range 3 {
			go func() {
				_, err := c.Submit(context.Background(), testSubmit("x"))
				errs <- err
			}()
		}
		time.Sleep(30 * time.Millisecond)
		closed := make(chan error, 1)
		go func() { closed <- c.Close() }()
		time.Sleep(30 * time.Millisecond)
		if _, err := c.Submit(context.Background(), testSubmit("late")); !errors.Is(err, protocol.ErrClosed) {
			t.Errorf("Submit while closing = %v, want ErrClosed", err)
		}
		close(release)
		for range 3 {
			if err := <-errs; err != nil {
				t.Errorf("in-flight Submit = %v, want nil (drained)", err)
			}
		}
		if err := <-closed; err != nil {
			t.Errorf("Close = %v, want nil", err)
		}
		select {
		case <-sc.Done():
			if err := sc.Err(); err == nil || !bytes.Contains([]byte(err.Error()), []byte("peer unbound")) {
				t.Errorf("server session ended with %v, want peer unbound", err)
			}
		case <-time.After(time.Second):
			t.Error("server session still up after client Close")
		}
		if _, err := c.Submit(context.Background(), testSubmit("x")); !errors.Is(err, protocol.ErrClosed) {
			t.Errorf("Submit after Close = %v, want ErrClosed", err)
		}
	})
	t.Run("DroppedConnection", func(t *testing.T) {
		srv := startServer(t, ServerConfig{OnSubmit: func(ctx context.Context, _ *Conn, _ *Submit) (string, Status) {
			<-ctx.Done()
			return "", StatusSysErr
		}})
		tm := fastTiming
		tm.ResponseTimeout = 5 * time.Second
		c := dial(t, srv.addr, ClientConfig{Timing: tm})
		sc := srv.conn(t)
		errc := make(chan error, 1)
		go func() {
			_, err := c.Submit(context.Background(), testSubmit("x"))
			errc <- err
		}()
		time.Sleep(30 * time.Millisecond)
		sc.nc.Close() // the carrier drops the link
		select {
		case err := <-errc:
			if !errors.Is(err, protocol.ErrClosed) {
				t.Errorf("pending Submit = %v, want ErrClosed", err)
			}
		case <-time.After(2 * time.Second):
			t.Fatal("pending Submit did not return after the drop")
		}
		<-c.Done()
		if !errors.Is(c.Err(), protocol.ErrClosed) {
			t.Errorf("Err = %v, want ErrClosed", c.Err())
		}
		// The caller redials.
		c2 := dial(t, srv.addr, ClientConfig{Timing: fastTiming})
		if c2.Err() != nil {
			t.Errorf("redialled session Err = %v, want nil", c2.Err())
		}
	})
}

func TestConn_EnquireLink(t *testing.T) {
	t.Run("Answered", func(t *testing.T) {
		srv := startServer(t, ServerConfig{})
		tm := fastTiming
		tm.EnquireLink = 20 * time.Millisecond
		c := dial(t, srv.addr, ClientConfig{Timing: tm})
		time.Sleep(150 * time.Millisecond)
		if err := c.Err(); err != nil {
			t.Errorf("session ended with %v, want it kept alive", err)
		}
	})
	t.Run("Unanswered", func(t *testing.T) {
		// A raw peer that binds and then reads without answering.
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer l.Close()
		go func() {
			nc, err := l.Accept()
			if err != nil {
				return
			}
			defer nc.Close()
			p, err := ReadPDU(nc)
			if err != nil {
				return
			}
			nc.Write(Marshal(&BindResp{Header: Header{Seq: HeaderOf(p).Seq}, Cmd: CmdBindTransceiverResp, SystemID: "mute"}))
			buf := make([]byte, 1024)
			for {
				if _, err := nc.Read(buf); err != nil {
					return
				}
			}
		}()
		tm := fastTiming
		tm.EnquireLink = 20 * time.Millisecond
		tm.ResponseTimeout = 50 * time.Millisecond
		c := dial(t, l.Addr().String(), ClientConfig{Timing: tm})
		select {
		case <-c.Done():
			if !errors.Is(c.Err(), protocol.ErrTimeout) {
				t.Errorf("Err = %v, want enquire_link timeout", c.Err())
			}
		case <-time.After(2 * time.Second):
			t.Error("session still up with enquire_link unanswered")
		}
	})
}

// rawPeer binds to srv with a hand-written bind and returns the socket.
func rawPeer(t *testing.T, addr string, bindCmd CommandID) net.Conn {
	t.Helper()
	nc, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { nc.Close() })
	nc.SetDeadline(time.Now().Add(2 * time.Second))
	nc.Write(Marshal(&Bind{Header: Header{Seq: 1}, Cmd: bindCmd, SystemID: "taxsms", Password: "secret", InterfaceVersion: 0x34}))
	p, err := ReadPDU(nc)
	if err != nil || HeaderOf(p).Status != StatusOK {
		t.Fatalf("bind: %+v, %v", p, err)
	}
	return nc
}

func TestServer_Requests(t *testing.T) {
	srv := startServer(t, ServerConfig{})
	t.Run("UnknownCommandGetsGenericNack", func(t *testing.T) {
		nc := rawPeer(t, srv.addr, CmdBindTransceiver)
		nc.Write(Marshal(&Unknown{Header: Header{Seq: 5}, Cmd: 0x103, Body: []byte{0}}))
		p, err := ReadPDU(nc)
		if err != nil {
			t.Fatal(err)
		}
		want := &GenericNack{Header{Status: StatusInvCmdID, Seq: 5}}
		if !reflect.DeepEqual(p, want) {
			t.Errorf("answer = %+v, want %+v", p, want)
		}
	})
	t.Run("BadBodyGetsGenericNack", func(t *testing.T) {
		nc := rawPeer(t, srv.addr, CmdBindTransceiver)
		nc.Write(unhex(t, "00000014 00000004 00000000 00000009 31313131")) // unterminated service_type
		p, err := ReadPDU(nc)
		if err != nil {
			t.Fatal(err)
		}
		want := &GenericNack{Header{Status: StatusInvCmdLen, Seq: 9}}
		if !reflect.DeepEqual(p, want) {
			t.Errorf("answer = %+v, want %+v", p, want)
		}
	})
	t.Run("EnquireLinkAnswered", func(t *testing.T) {
		nc := rawPeer(t, srv.addr, CmdBindTransceiver)
		nc.Write(Marshal(&EnquireLink{Header{Seq: 77}}))
		p, err := ReadPDU(nc)
		if err != nil || !reflect.DeepEqual(p, &EnquireLinkResp{Header{Seq: 77}}) {
			t.Errorf("answer = %+v, %v, want enquire_link_resp seq 77", p, err)
		}
	})
	t.Run("SubmitFromReceiverRefused", func(t *testing.T) {
		nc := rawPeer(t, srv.addr, CmdBindReceiver)
		nc.Write(Marshal(&Submit{Header: Header{Seq: 3}, SM: SM{Dest: "1"}}))
		p, err := ReadPDU(nc)
		if err != nil || HeaderOf(p).Status != StatusInvBindStatus {
			t.Errorf("answer = %+v, %v, want ESME_RINVBNDSTS", p, err)
		}
	})
}

// TestConn_SplitReads runs a client session over net.Pipe against a peer
// that writes every PDU one byte at a time.
func TestConn_SplitReads(t *testing.T) {
	a, b := net.Pipe()
	defer b.Close()
	got := make(chan *Deliver, 4)
	peerDone := make(chan error, 1)
	go func() {
		writeBytewise := func(p PDU) error {
			for _, x := range Marshal(p) {
				if _, err := b.Write([]byte{x}); err != nil {
					return err
				}
			}
			return nil
		}
		p, err := ReadPDU(b)
		if err != nil {
			peerDone <- err
			return
		}
		if err := writeBytewise(&BindResp{Header: Header{Seq: HeaderOf(p).Seq}, Cmd: CmdBindTransceiverResp, SystemID: "pipe"}); err != nil {
			peerDone <- err
			return
		}
		for _, tc := range codecCases {
			if d, ok := tc.pdu.(*Deliver); ok {
				if err := writeBytewise(d); err != nil {
					peerDone <- err
					return
				}
				if _, err := ReadPDU(b); err != nil { // deliver_sm_resp
					peerDone <- err
					return
				}
			}
		}
		peerDone <- nil
	}()
	c, err := NewClientConn(context.Background(), a, ClientConfig{Timing: fastTiming, SystemID: "taxsms", OnDeliver: func(_ context.Context, d *Deliver) error {
		got <- d
		return nil
	}})
	if err != nil {
		t.Fatal(err)
	}
	defer c.shutdown(errors.New("test over"))
	for _, tc := range codecCases {
		if d, ok := tc.pdu.(*Deliver); ok {
			select {
			case g := <-got:
				if !reflect.DeepEqual(g.SM, d.SM) {
					t.Errorf("%s: got %+v, want %+v", tc.name, g.SM, d.SM)
				}
			case <-time.After(2 * time.Second):
				t.Fatalf("%s: not delivered", tc.name)
			}
		}
	}
	if err := <-peerDone; err != nil {
		t.Errorf("peer: %v", err)
	}
}

// TestReadPDU_SplitAtEveryByte writes each vector over net.Pipe in two
// writes split at every byte boundary.
func TestReadPDU_SplitAtEveryByte(t *testing.T) {
	for _, tc := range codecCases {
		want := unhex(t, tc.hex)
		for k := 1; k < len(want); k++ {
			a, b := net.Pipe()
			go func() {
				a.Write(want[:k])
				a.Write(want[k:])
				a.Close()
			}()
			p, err := ReadPDU(b)
			b.Close()
			if err != nil {
				t.Fatalf("%s split at %d: %v", tc.name, k, err)
			}
			if !reflect.DeepEqual(p, tc.pdu) {
				t.Fatalf("%s split at %d: got %+v, want %+v", tc.name, k, p, tc.pdu)
			}
		}
	}
}
