package smgp

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"taxsms/protocol"
)

// fast are settings short enough for tests.
var fast = Settings{
	ResponseTimeout: 100 * time.Millisecond,
	Retries:         2,
	IdleTimeout:     -1,
	DrainTimeout:    2 * time.Second,
	ThrottleBackoff: -1,
}

const (
	testAccount = "901234"
	testSecret  = "s3cret"
)

func authOK(ctx context.Context, l *Login, addr net.Addr) (string, Status) {
	if l.ClientID != testAccount {
		return "", StatusAuthFailed
	}
	return testSecret, StatusOK
}

// startServer runs Serve on a loopback listener until the test ends and
// returns its address and the sessions as they log in.
func startServer(t *testing.T, cfg ServerConfig) (string, <-chan *Conn) {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Authenticate == nil {
		cfg.Authenticate = authOK
	}
	if cfg.ResponseTimeout == 0 {
		cfg.Settings = fast
	}
	conns := make(chan *Conn, 16)
	cfg.OnLogin = func(c *Conn) { conns <- c }
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- Serve(ctx, l, cfg) }() // ends when the test's cleanup cancels ctx
	t.Cleanup(func() {
		cancel()
		if err := <-done; !errors.Is(err, context.Canceled) {
			t.Errorf("Serve = %v, want context.Canceled", err)
		}
	})
	return l.Addr().String(), conns
}

func clientConfig() ClientConfig {
	return ClientConfig{ClientID: testAccount, Secret: testSecret, LoginMode: ModeTransmit, Settings: fast}
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

func recvConn(t *testing.T, conns <-chan *Conn) *Conn {
	t.Helper()
	select {
	case c := <-conns:
		return c
	case <-time.After(5 * time.Second):
		t.Fatal("no server session")
		return nil
	}
}

// waitInFlight waits until n requests of c hold window slots.
func waitInFlight(t *testing.T, c *Conn, n int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for len(c.window) < n {
		if time.Now().After(deadline) {
			t.Fatalf("%d requests in flight, want %d", len(c.window), n)
		}
		time.Sleep(time.Millisecond)
	}
}

func mt(text string) *Submit {
	return &Submit{MsgType: MsgTypeMT, NeedReport: true, ServiceID: "12366", FeeType: "00", FeeCode: "0",
		MsgFormat: FormatASCII, SrcTermID: "1065912366", DestTermIDs: []string{"13800138000"}, MsgContent: []byte(text)}
}

func TestConn_Login(t *testing.T) {
	t.Run("OK", func(t *testing.T) {
		addr, conns := startServer(t, ServerConfig{})
		cfg := clientConfig()
		cfg.VerifyServer = true
		c := dial(t, addr, cfg)
		s := recvConn(t, conns)
		if s.ClientID() != testAccount || s.LoginMode() != ModeTransmit || s.Version() != V30 {
			t.Errorf("server sees %q mode %d version %#x, want %q mode 2 version 0x30", s.ClientID(), s.LoginMode(), s.Version(), testAccount)
		}
		if c.ClientID() != testAccount || c.Err() != nil {
			t.Errorf("client ClientID %q Err %v, want %q, nil", c.ClientID(), c.Err(), testAccount)
		}
	})
	for _, tc := range []struct {
		name   string
		status Status // answered by Authenticate, 0 to go on to the check
		cfg    func(*ClientConfig)
		want   []error
		code   Status
	}{
		{name: "Busy", status: StatusBusy, want: []error{protocol.ErrThrottled}, code: 1},
		{name: "TooManyConnections", status: StatusTooManyConnections, want: []error{ErrTooManyConnections}, code: 2},
		{name: "BadIP", status: StatusBadIP, want: []error{protocol.ErrAuth}, code: 20},
		{name: "UnknownAccount", cfg: func(c *ClientConfig) { c.ClientID = "999" }, want: []error{protocol.ErrAuth}, code: 21},
		{name: "WrongSecret", cfg: func(c *ClientConfig) { c.Secret = "wrong" }, want: []error{protocol.ErrAuth}, code: 21},
		{name: "VersionTooHigh", cfg: func(c *ClientConfig) { c.Version = 0x31 }, want: []error{protocol.ErrAuth}, code: 22},
		{name: "AccountExpired", status: StatusAccountExpired, want: []error{protocol.ErrAuth}, code: 76},
	} {
		t.Run(tc.name, func(t *testing.T) {
			scfg := ServerConfig{}
			if tc.status != 0 {
				scfg.Authenticate = func(context.Context, *Login, net.Addr) (string, Status) { return "", tc.status }
			}
			addr, _ := startServer(t, scfg)
			cfg := clientConfig()
			if tc.cfg != nil {
				tc.cfg(&cfg)
			}
			c, err := Dial(context.Background(), addr, cfg)
			if err == nil {
				c.Close()
				t.Fatalf("Dial: got no error, want status %d", tc.code)
			}
			for _, w := range tc.want {
				if !errors.Is(err, w) {
					t.Errorf("Dial error %v: errors.Is(%v) = false, want true", err, w)
				}
			}
			var se *StatusError
			if !errors.As(err, &se) || se.Status != tc.code {
				t.Errorf("Dial error %v, want a *StatusError with status %d", err, tc.code)
			}
			if tc.code != 1 && errors.Is(err, protocol.ErrThrottled) {
				t.Errorf("Dial error %v is ErrThrottled, want not", err)
			}
		})
	}
	t.Run("BadAuthenticatorServer", func(t *testing.T) {
		addr := fakeGateway(t, func(nc net.Conn, r *Reader, login *Login) {
			resp := &LoginResp{SequenceID: login.SequenceID, AuthenticatorServer: pad16("garbage"), ServerVersion: V30}
			nc.Write(resp.AppendMarshal(nil))
			io.Copy(io.Discard, nc)
		})
		cfg := clientConfig()
		cfg.VerifyServer = true
		if _, err := Dial(context.Background(), addr, cfg); !errors.Is(err, protocol.ErrAuth) {
			t.Errorf("Dial error %v, want ErrAuth", err)
		}
	})
	t.Run("NoAnswer", func(t *testing.T) {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer l.Close()
		go func() { // ends when the listener closes
			nc, err := l.Accept()
			if err == nil {
				io.Copy(io.Discard, nc)
				nc.Close()
			}
		}()
		start := time.Now()
		_, err = Dial(context.Background(), l.Addr().String(), clientConfig())
		var ne net.Error
		if !errors.As(err, &ne) || !ne.Timeout() {
			t.Errorf("Dial error %v, want a timeout", err)
		}
		if d := time.Since(start); d > 2*time.Second {
			t.Errorf("Dial took %v, want about ResponseTimeout", d)
		}
	})
}

// fakeGateway accepts one connection, reads its Login and hands it to run.
func fakeGateway(t *testing.T, run func(nc net.Conn, r *Reader, login *Login)) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { // ends when run returns
		defer wg.Done()
		nc, err := l.Accept()
		if err != nil {
			return
		}
		defer nc.Close()
		r := NewReader(nc)
		p, err := r.ReadPDU()
		if err != nil {
			t.Errorf("fake gateway: %v", err)
			return
		}
		run(nc, r, p.(*Login))
	}()
	t.Cleanup(func() {
		l.Close()
		wg.Wait()
	})
	return l.Addr().String()
}

func loginOK(nc net.Conn, login *Login) {
	resp := &LoginResp{SequenceID: login.SequenceID, ServerVersion: V30}
	nc.Write(resp.AppendMarshal(nil))
}

func TestConn_Submit(t *testing.T) {
	t.Run("OK", func(t *testing.T) {
		now := time.Date(2024, 5, 6, 7, 8, 0, 0, time.UTC)
		ids, _ := NewMsgIDGenerator("591060", func() time.Time { return now })
		var got *Submit
		addr, _ := startServer(t, ServerConfig{MsgIDs: ids, OnSubmit: func(_ context.Context, _ *Conn, s *Submit) (MsgID, Status, error) {
			got = s
			return MsgID{}, StatusOK, nil
		}})
		c := dial(t, addr, clientConfig())
		resp, err := c.Submit(context.Background(), mt("hello"))
		if err != nil {
			t.Fatalf("Submit: %v", err)
		}
		if want := "59106005060708000000"; resp.MsgID.String() != want || resp.Status != StatusOK {
			t.Errorf("Submit_Resp MsgID %s status %v, want %s status 0", resp.MsgID, resp.Status, want)
		}
		if string(got.MsgContent) != "hello" || got.DestTermIDs[0] != "13800138000" {
			t.Errorf("server got %q to %v, want hello to 13800138000", got.MsgContent, got.DestTermIDs)
		}
	})
	for _, st := range []Status{StatusBusy, StatusForbiddenPeriod, StatusDailyLimit} {
		t.Run(fmt.Sprintf("Throttled%d", st), func(t *testing.T) {
			addr, _ := startServer(t, ServerConfig{OnSubmit: func(context.Context, *Conn, *Submit) (MsgID, Status, error) {
				return MsgID{}, st, nil
			}})
			c := dial(t, addr, clientConfig())
			resp, err := c.Submit(context.Background(), mt("x"))
			if !errors.Is(err, protocol.ErrThrottled) {
				t.Fatalf("Submit error %v, want ErrThrottled", err)
			}
			if resp == nil || resp.Status != st {
				t.Errorf("Submit resp %+v, want status %d", resp, st)
			}
			if c.Err() != nil {
				t.Errorf("Err() = %v after a throttle, want nil", c.Err())
			}
		})
	}
	t.Run("ThrottleBackoff", func(t *testing.T) {
		var n atomic.Int32
		addr, _ := startServer(t, ServerConfig{OnSubmit: func(context.Context, *Conn, *Submit) (MsgID, Status, error) {
			if n.Add(1) == 1 {
				return MsgID{}, StatusBusy, nil
			}
			return MsgID{}, StatusOK, nil
		}})
		cfg := clientConfig()
		cfg.ThrottleBackoff = 150 * time.Millisecond
		c := dial(t, addr, cfg)
		if _, err := c.Submit(context.Background(), mt("x")); !errors.Is(err, protocol.ErrThrottled) {
			t.Fatalf("Submit error %v, want ErrThrottled", err)
		}
		start := time.Now()
		if _, err := c.Submit(context.Background(), mt("x")); err != nil {
			t.Fatalf("Submit after back-off: %v", err)
		}
		if d := time.Since(start); d < 100*time.Millisecond {
			t.Errorf("second Submit after %v, want it held about 150ms", d)
		}
	})
	t.Run("Failed", func(t *testing.T) {
		addr, _ := startServer(t, ServerConfig{OnSubmit: func(context.Context, *Conn, *Submit) (MsgID, Status, error) {
			return MsgID{}, StatusBadDestTermID, nil
		}})
		c := dial(t, addr, clientConfig())
		_, err := c.Submit(context.Background(), mt("x"))
		var se *StatusError
		if !errors.As(err, &se) || se.Status != StatusBadDestTermID || errors.Is(err, protocol.ErrThrottled) {
			t.Errorf("Submit error %v, want status 47, not throttled", err)
		}
	})
	t.Run("Invalid", func(t *testing.T) {
		addr, _ := startServer(t, ServerConfig{})
		c := dial(t, addr, clientConfig())
		s := mt("x")
		s.DestTermIDs = nil
		if _, err := c.Submit(context.Background(), s); err == nil || !strings.Contains(err.Error(), "DestTermIDs") {
			t.Errorf("Submit error %v, want a DestTermIDs error", err)
		}
	})
	t.Run("WindowFull", func(t *testing.T) {
		release := make(chan struct{})
		addr, _ := startServer(t, ServerConfig{OnSubmit: func(ctx context.Context, _ *Conn, _ *Submit) (MsgID, Status, error) {
			select {
			case <-release:
			case <-ctx.Done():
			}
			return MsgID{}, StatusOK, nil
		}})
		cfg := clientConfig()
		cfg.Window = 2
		cfg.ResponseTimeout = 5 * time.Second
		c := dial(t, addr, cfg)
		errs := make(chan error, 2)
		for range 2 {
			go func() { // ends when the submit is answered
				_, err := c.Submit(context.Background(), mt("x"))
				errs <- err
			}()
		}
		waitInFlight(t, c, 2)
		ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
		_, err := c.Submit(ctx, mt("third"))
		cancel()
		if !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), "window") {
			t.Errorf("third Submit error %v, want a deadline waiting for a window slot", err)
		}
		close(release)
		for range 2 {
			if err := <-errs; err != nil {
				t.Errorf("Submit in the window: %v", err)
			}
		}
		if _, err := c.Submit(context.Background(), mt("after")); err != nil {
			t.Errorf("Submit after the window emptied: %v", err)
		}
	})
	t.Run("TimeoutAfterResends", func(t *testing.T) {
		var n atomic.Int32
		var seqs sync.Map
		addr, _ := startServer(t, ServerConfig{OnSubmit: func(_ context.Context, _ *Conn, s *Submit) (MsgID, Status, error) {
			n.Add(1)
			seqs.Store(s.SequenceID, true)
			return MsgID{}, 0, errors.New("lost")
		}})
		c := dial(t, addr, clientConfig())
		start := time.Now()
		_, err := c.Submit(context.Background(), mt("x"))
		if !errors.Is(err, protocol.ErrTimeout) {
			t.Fatalf("Submit error %v, want ErrTimeout", err)
		}
		time.Sleep(20 * time.Millisecond)
		if got, want := n.Load(), int32(fast.Retries+1); got != want {
			t.Errorf("server saw %d sends, want %d", got, want)
		}
		distinct := 0
		seqs.Range(func(any, any) bool { distinct++; return true })
		if distinct != 1 {
			t.Errorf("resends used %d SequenceIDs, want 1", distinct)
		}
		if d := time.Since(start); d < 3*fast.ResponseTimeout {
			t.Errorf("Submit gave up after %v, want at least %v", d, 3*fast.ResponseTimeout)
		}
	})
	t.Run("AnsweredAfterResend", func(t *testing.T) {
		var n atomic.Int32
		addr, _ := startServer(t, ServerConfig{OnSubmit: func(context.Context, *Conn, *Submit) (MsgID, Status, error) {
			if n.Add(1) == 1 {
				return MsgID{}, 0, errors.New("lost")
			}
			return MsgID{}, StatusOK, nil
		}})
		c := dial(t, addr, clientConfig())
		if _, err := c.Submit(context.Background(), mt("x")); err != nil {
			t.Fatalf("Submit: %v", err)
		}
		if got := n.Load(); got != 2 {
			t.Errorf("server saw %d sends, want 2", got)
		}
	})
	t.Run("Concurrent", func(t *testing.T) {
		addr, _ := startServer(t, ServerConfig{})
		c := dial(t, addr, clientConfig())
		var mu sync.Mutex
		ids := map[MsgID]bool{}
		var wg sync.WaitGroup
		for g := range 20 {
			wg.Add(1)
			go func() { // ends after its submits
				defer wg.Done()
				for i := range 20 {
					resp, err := c.Submit(context.Background(), mt(fmt.Sprintf("%d-%d", g, i)))
					if err != nil {
						t.Errorf("Submit: %v", err)
						return
					}
					mu.Lock()
					ids[resp.MsgID] = true
					mu.Unlock()
				}
			}()
		}
		wg.Wait()
		if len(ids) != 400 {
			t.Errorf("%d distinct MsgIDs, want 400", len(ids))
		}
	})
	t.Run("LongUCS2", func(t *testing.T) {
		var mu sync.Mutex
		var got []*Submit
		addr, _ := startServer(t, ServerConfig{OnSubmit: func(_ context.Context, _ *Conn, s *Submit) (MsgID, Status, error) {
			mu.Lock()
			got = append(got, s)
			mu.Unlock()
			return MsgID{}, StatusOK, nil
		}})
		c := dial(t, addr, clientConfig())
		for i := 1; i <= 3; i++ {
			s := mt("")
			s.MsgFormat = FormatUCS2
			s.MsgContent = append([]byte{5, 0, 3, 0x7e, 3, byte(i)}, make([]byte, 134)...)
			s.TLVs = TLVs{TPUdhi: Byte(1), PkTotal: Byte(3), PkNumber: Byte(byte(i))}
			if _, err := c.Submit(context.Background(), s); err != nil {
				t.Fatalf("Submit segment %d: %v", i, err)
			}
		}
		mu.Lock()
		defer mu.Unlock()
		for i, s := range got {
			if len(s.MsgContent) != 140 || s.TLVs.TPUdhi != Byte(1) || s.TLVs.PkNumber != Byte(byte(i+1)) {
				t.Errorf("segment %d: %d bytes, TLVs %+v, want 140 bytes, udhi 1, number %d", i+1, len(s.MsgContent), s.TLVs, i+1)
			}
		}
	})
	t.Run("Version13", func(t *testing.T) {
		var got *Submit
		addr, conns := startServer(t, ServerConfig{OnSubmit: func(_ context.Context, _ *Conn, s *Submit) (MsgID, Status, error) {
			got = s
			return MsgID{}, StatusOK, nil
		}})
		cfg := clientConfig()
		cfg.Version = V13
		c := dial(t, addr, cfg)
		if s := recvConn(t, conns); s.Version() != V13 {
			t.Errorf("server Version() = %#x, want 0x13", s.Version())
		}
		s := mt("one-three")
		s.FixedFee = "000001"
		if _, err := c.Submit(context.Background(), s); err != nil {
			t.Fatalf("Submit: %v", err)
		}
		if got.Version != V13 || string(got.MsgContent) != "one-three" || got.FixedFee != "" {
			t.Errorf("server got version %#x content %q FixedFee %q, want 0x13, one-three, none", got.Version, got.MsgContent, got.FixedFee)
		}
		if s.Version != 0 {
			t.Errorf("Submit changed the caller's Version to %#x", s.Version)
		}
	})
}

func TestConn_Deliver(t *testing.T) {
	t.Run("MO", func(t *testing.T) {
		addr, conns := startServer(t, ServerConfig{})
		cfg := clientConfig()
		got := make(chan *Deliver, 1)
		cfg.OnDeliver = func(_ context.Context, d *Deliver) error {
			got <- d
			return nil
		}
		dial(t, addr, cfg)
		s := recvConn(t, conns)
		mo := &Deliver{MsgID: MsgID{1, 2, 3}, MsgFormat: FormatUCS2, RecvTime: "20240506070809",
			SrcTermID: "13800138000", DestTermID: "106591236601", MsgContent: []byte{0x4f, 0x60, 0x59, 0x7d}}
		resp, err := s.Deliver(context.Background(), mo)
		if err != nil {
			t.Fatalf("Deliver: %v", err)
		}
		if resp.MsgID != mo.MsgID || resp.Status != StatusOK {
			t.Errorf("Deliver_Resp %+v, want MsgID echoed and status 0", resp)
		}
		d := <-got
		if d.SrcTermID != mo.SrcTermID || string(d.MsgContent) != string(mo.MsgContent) || d.IsReport {
			t.Errorf("client got %+v, want %+v", d, mo)
		}
	})
	t.Run("HandlerFails", func(t *testing.T) {
		addr, conns := startServer(t, ServerConfig{})
		cfg := clientConfig()
		var n atomic.Int32
		cfg.OnDeliver = func(context.Context, *Deliver) error {
			if n.Add(1) == 1 {
				return errors.New("store down")
			}
			return &StatusError{Status: StatusBadStructure}
		}
		dial(t, addr, cfg)
		s := recvConn(t, conns)
		_, err := s.Deliver(context.Background(), &Deliver{MsgContent: []byte("x")})
		var se *StatusError
		if !errors.As(err, &se) || se.Status != StatusBusy {
			t.Errorf("Deliver error %v, want status 1 (the carrier resends)", err)
		}
		if _, err = s.Deliver(context.Background(), &Deliver{MsgContent: []byte("x")}); !errors.As(err, &se) || se.Status != StatusBadStructure {
			t.Errorf("Deliver error %v, want the handler's status 10", err)
		}
	})
	t.Run("ReceiptPerSegment", func(t *testing.T) {
		addr, conns := startServer(t, ServerConfig{})
		cfg := clientConfig()
		receipts := make(chan protocol.Receipt, 3)
		cfg.OnDeliver = func(_ context.Context, d *Deliver) error {
			r, err := d.Receipt()
			if err != nil {
				return err
			}
			receipts <- r
			return nil
		}
		c := dial(t, addr, cfg)
		s := recvConn(t, conns)
		want := map[string]bool{}
		var ids []MsgID
		for i := 1; i <= 3; i++ {
			sub := mt("segment")
			sub.TLVs = TLVs{TPUdhi: Byte(1), PkTotal: Byte(3), PkNumber: Byte(byte(i))}
			resp, err := c.Submit(context.Background(), sub)
			if err != nil {
				t.Fatal(err)
			}
			ids = append(ids, resp.MsgID)
			want[protocol.NormalizeID(resp.MsgID.String())] = true
		}
		now := time.Now()
		for _, id := range ids {
			r := NewReport(id, "DELIVRD", "000", now, now)
			d := &Deliver{IsReport: true, SrcTermID: "13800138000", DestTermID: "1065912366", MsgContent: r.AppendMarshal(nil)}
			if _, err := s.Deliver(context.Background(), d); err != nil {
				t.Fatalf("Deliver report: %v", err)
			}
		}
		for range 3 {
			r := <-receipts
			if !want[r.MsgID] || !r.Delivered() || r.Dest != "13800138000" {
				t.Errorf("receipt %+v does not match a submitted segment %v", r, want)
			}
			delete(want, r.MsgID)
		}
	})
	t.Run("WrongSide", func(t *testing.T) {
		addr, conns := startServer(t, ServerConfig{})
		c := dial(t, addr, clientConfig())
		s := recvConn(t, conns)
		if _, err := c.Deliver(context.Background(), &Deliver{}); err == nil {
			t.Errorf("client Deliver: got no error, want one")
		}
		if _, err := s.Submit(context.Background(), mt("x")); err == nil {
			t.Errorf("server Submit: got no error, want one")
		}
	})
}

func TestConn_KeepAlive(t *testing.T) {
	t.Run("Answered", func(t *testing.T) {
		seen := make(chan struct{}, 8)
		addr := fakeGateway(t, func(nc net.Conn, r *Reader, login *Login) {
			loginOK(nc, login)
			for {
				p, err := r.ReadPDU()
				if err != nil {
					return
				}
				switch p.(type) {
				case *ActiveTest:
					seen <- struct{}{}
					nc.Write((&ActiveTestResp{SequenceID: p.Seq()}).AppendMarshal(nil))
				case *Exit:
					nc.Write((&ExitResp{SequenceID: p.Seq()}).AppendMarshal(nil))
					return
				}
			}
		})
		cfg := clientConfig()
		cfg.IdleTimeout = 50 * time.Millisecond
		c := dial(t, addr, cfg)
		for i := range 2 {
			select {
			case <-seen:
			case <-time.After(2 * time.Second):
				t.Fatalf("no Active_Test #%d", i+1)
			}
		}
		if err := c.Err(); err != nil {
			t.Errorf("Err() = %v, want nil", err)
		}
		if err := c.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	t.Run("Unanswered", func(t *testing.T) {
		var n atomic.Int32
		addr := fakeGateway(t, func(nc net.Conn, r *Reader, login *Login) {
			loginOK(nc, login)
			for {
				p, err := r.ReadPDU()
				if err != nil {
					return
				}
				if _, ok := p.(*ActiveTest); ok {
					n.Add(1)
				}
			}
		})
		cfg := clientConfig()
		cfg.IdleTimeout = 50 * time.Millisecond
		c := dial(t, addr, cfg)
		select {
		case <-c.Done():
		case <-time.After(3 * time.Second):
			t.Fatal("Conn still open after unanswered Active_Tests")
		}
		if err := c.Err(); !errors.Is(err, protocol.ErrTimeout) || !errors.Is(err, protocol.ErrClosed) {
			t.Errorf("Err() = %v, want ErrClosed and ErrTimeout", err)
		}
		if got, want := n.Load(), int32(fast.Retries+1); got != want {
			t.Errorf("gateway saw %d Active_Tests, want %d", got, want)
		}
	})
	t.Run("ServerAnswers", func(t *testing.T) {
		addr, conns := startServer(t, ServerConfig{})
		cfg := clientConfig()
		cfg.IdleTimeout = 30 * time.Millisecond
		c := dial(t, addr, cfg)
		recvConn(t, conns)
		time.Sleep(200 * time.Millisecond)
		if err := c.Err(); err != nil {
			t.Errorf("Err() = %v after idle periods, want nil", err)
		}
	})
}

func TestConn_Close(t *testing.T) {
	t.Run("Drains", func(t *testing.T) {
		addr, conns := startServer(t, ServerConfig{OnSubmit: func(context.Context, *Conn, *Submit) (MsgID, Status, error) {
			time.Sleep(20 * time.Millisecond)
			return MsgID{}, StatusOK, nil
		}})
		cfg := clientConfig()
		cfg.ResponseTimeout = time.Second
		c := dial(t, addr, cfg)
		s := recvConn(t, conns)
		errs := make(chan error, 4)
		for range 4 {
			go func() { // ends when the submit is answered
				_, err := c.Submit(context.Background(), mt("x"))
				errs <- err
			}()
		}
		waitInFlight(t, c, 4)
		if err := c.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
		for range 4 {
			if err := <-errs; err != nil {
				t.Errorf("Submit during Close: %v", err)
			}
		}
		if _, err := c.Submit(context.Background(), mt("late")); !errors.Is(err, protocol.ErrClosed) {
			t.Errorf("Submit after Close: %v, want ErrClosed", err)
		}
		select {
		case <-s.Done():
			if !strings.Contains(s.Err().Error(), "Exit") {
				t.Errorf("server Err() = %v, want the peer's Exit", s.Err())
			}
		case <-time.After(2 * time.Second):
			t.Errorf("server session still open after the client's Exit")
		}
		if err := c.Close(); err != nil {
			t.Errorf("second Close: %v", err)
		}
	})
	t.Run("DrainTimeout", func(t *testing.T) {
		block := make(chan struct{})
		defer close(block)
		addr, _ := startServer(t, ServerConfig{OnSubmit: func(ctx context.Context, _ *Conn, _ *Submit) (MsgID, Status, error) {
			select {
			case <-block:
			case <-ctx.Done():
			}
			return MsgID{}, StatusOK, nil
		}})
		cfg := clientConfig()
		cfg.ResponseTimeout = 5 * time.Second
		cfg.DrainTimeout = 100 * time.Millisecond
		c := dial(t, addr, cfg)
		errs := make(chan error, 1)
		go func() { // ends when Close cuts the submit off
			_, err := c.Submit(context.Background(), mt("x"))
			errs <- err
		}()
		waitInFlight(t, c, 1)
		if err := c.Close(); err == nil || !strings.Contains(err.Error(), "outstanding") {
			t.Errorf("Close = %v, want an outstanding-requests error", err)
		}
		if err := <-errs; !errors.Is(err, protocol.ErrClosed) {
			t.Errorf("cut-off Submit error %v, want ErrClosed", err)
		}
	})
	t.Run("PeerExit", func(t *testing.T) {
		addr, conns := startServer(t, ServerConfig{})
		c := dial(t, addr, clientConfig())
		s := recvConn(t, conns)
		if err := s.Close(); err != nil {
			t.Errorf("server Close: %v", err)
		}
		select {
		case <-c.Done():
		case <-time.After(2 * time.Second):
			t.Fatal("client still open after the server's Exit")
		}
		if err := c.Err(); !errors.Is(err, protocol.ErrClosed) || !strings.Contains(err.Error(), "Exit") {
			t.Errorf("client Err() = %v, want ErrClosed for the peer's Exit", err)
		}
	})
	t.Run("Dropped", func(t *testing.T) {
		got := make(chan struct{})
		addr := fakeGateway(t, func(nc net.Conn, r *Reader, login *Login) {
			loginOK(nc, login)
			r.ReadPDU() // the Submit, never answered
			close(got)
		})
		cfg := clientConfig()
		cfg.ResponseTimeout = 5 * time.Second
		c := dial(t, addr, cfg)
		_, err := c.Submit(context.Background(), mt("x"))
		<-got
		if !errors.Is(err, protocol.ErrClosed) || !errors.Is(err, io.EOF) {
			t.Errorf("Submit on a dropped connection: %v, want ErrClosed and io.EOF", err)
		}
		<-c.Done()
		if !errors.Is(c.Err(), io.EOF) {
			t.Errorf("Err() = %v, want io.EOF", c.Err())
		}
		if _, err := c.Submit(context.Background(), mt("x")); !errors.Is(err, protocol.ErrClosed) {
			t.Errorf("Submit after the drop: %v, want ErrClosed", err)
		}
		// The caller redials.
		addr2, _ := startServer(t, ServerConfig{})
		c2 := dial(t, addr2, clientConfig())
		if _, err := c2.Submit(context.Background(), mt("again")); err != nil {
			t.Errorf("Submit after redial: %v", err)
		}
	})
}

// byteConn writes one byte at a time, so the peer's reads split at every
// byte boundary.
type byteConn struct{ net.Conn }

func (c byteConn) Write(b []byte) (int, error) {
	for i := range b {
		if _, err := c.Conn.Write(b[i : i+1]); err != nil {
			return i, err
		}
	}
	return len(b), nil
}

func TestConn_SplitReads(t *testing.T) {
	a, b := net.Pipe()
	ctx := context.Background()
	srvc := make(chan *Conn, 1)
	go func() { // ends after the login
		s, err := NewServer(ctx, byteConn{b}, ServerConfig{Authenticate: authOK, Settings: fast})
		if err != nil {
			t.Errorf("NewServer: %v", err)
			b.Close()
		}
		srvc <- s
	}()
	cfg := clientConfig()
	got := make(chan *Deliver, 1)
	cfg.OnDeliver = func(_ context.Context, d *Deliver) error { got <- d; return nil }
	c, err := NewClient(ctx, byteConn{a}, cfg)
	if err != nil {
		t.Fatalf("NewClient: %v", err)
	}
	s := <-srvc
	if s == nil {
		t.FailNow()
	}
	defer s.Close()
	defer c.Close()
	for i := range 3 {
		if _, err := c.Submit(ctx, mt(fmt.Sprintf("split %d", i))); err != nil {
			t.Fatalf("Submit: %v", err)
		}
	}
	if _, err := s.Deliver(ctx, &Deliver{SrcTermID: "13800138000", MsgContent: []byte("mo")}); err != nil {
		t.Fatalf("Deliver: %v", err)
	}
	if d := <-got; string(d.MsgContent) != "mo" {
		t.Errorf("MO content %q, want mo", d.MsgContent)
	}
}

func TestServe_ListenerClosed(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	conns := make(chan *Conn, 1)
	done := make(chan error, 1)
	go func() { // ends when the listener is closed
		done <- Serve(context.Background(), l, ServerConfig{Authenticate: authOK, Settings: fast, OnLogin: func(c *Conn) { conns <- c }})
	}()
	c := dial(t, l.Addr().String(), clientConfig())
	recvConn(t, conns)
	l.Close()
	select {
	case err := <-done:
		if err == nil || errors.Is(err, context.Canceled) {
			t.Errorf("Serve = %v, want the Accept error", err)
		}
	case <-time.After(3 * time.Second):
		t.Fatal("Serve did not return after its listener closed")
	}
	select {
	case <-c.Done():
	case <-time.After(3 * time.Second):
		t.Error("client session still open after Serve returned")
	}
}

func TestConn_BadPacket(t *testing.T) {
	addr, _ := startServer(t, ServerConfig{})
	nc, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	nc.SetDeadline(time.Now().Add(5 * time.Second))
	login := NewLogin(testAccount, testSecret, ModeTransmit, V30, time.Now())
	login.SequenceID = 1
	nc.Write(login.AppendMarshal(nil))
	r := NewReader(nc)
	if p, err := r.ReadPDU(); err != nil || p.(*LoginResp).Status != StatusOK {
		t.Fatalf("login: %v %v", p, err)
	}
	// Forward (unknown here) is ignored; a Submit cut short is answered
	// with status 10; the session goes on.
	nc.Write(unhex(t, "0000000c 00000005 00000002"))
	nc.Write(unhex(t, "00000010 00000002 00000003 06010000"))
	nc.Write((&ActiveTest{SequenceID: 4}).AppendMarshal(nil))
	p, err := r.ReadPDU()
	if err != nil {
		t.Fatal(err)
	}
	if want := (&SubmitResp{SequenceID: 3, Status: StatusBadStructure}); *p.(*SubmitResp) != *want {
		t.Errorf("answer to a bad Submit = %+v, want %+v", p, want)
	}
	if p, err = r.ReadPDU(); err != nil || p.Command() != CmdActiveTestResp || p.Seq() != 4 {
		t.Errorf("answer to Active_Test = %v, %v, want Active_Test_Resp seq 4", p, err)
	}
}
