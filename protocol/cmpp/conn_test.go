package cmpp

import (
	"bytes"
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

var testAccounts = map[string]string{"900001": "888888", "9001": "short"}

func testAuth(_ context.Context, sp string) (string, uint32) {
	secret, ok := testAccounts[sp]
	if !ok {
		return "", StatusBadSource
	}
	return secret, StatusOK
}

// startServer runs Serve on a loopback port until the test ends and returns
// its address.
func startServer(t testing.TB, cfg ServerConfig) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Authenticate == nil {
		cfg.Authenticate = testAuth
	}
	if cfg.CloseTimeout == 0 {
		cfg.CloseTimeout = time.Second
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- Serve(ctx, l, cfg) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Serve = %v, want nil", err)
		}
	})
	return l.Addr().String()
}

func dial(t testing.TB, addr string, cfg ClientConfig) *Conn {
	t.Helper()
	if cfg.SourceAddr == "" {
		cfg.SourceAddr, cfg.Secret = "900001", "888888"
	}
	if cfg.CloseTimeout == 0 {
		cfg.CloseTimeout = time.Second
	}
	c, err := Dial(context.Background(), addr, cfg)
	if err != nil {
		t.Fatalf("Dial: %v", err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func testSubmit(text string) *Submit {
	return &Submit{
		PkTotal: 1, PkNumber: 1, RegisteredDelivery: 1, ServiceID: "12366", FeeUserType: 2,
		MsgFmt: FmtUCS2, MsgSrc: "900001", FeeType: "01", FeeCode: "000000", SrcID: "1066612366",
		DestTerminalIDs: []string{"13800138000"}, Content: ucs2(text),
	}
}

// onLogin returns an OnLogin hook and a func that waits for the session.
func onLogin() (func(*Conn), func(t testing.TB) *Conn) {
	ch := make(chan *Conn, 4)
	return func(c *Conn) { ch <- c }, func(t testing.TB) *Conn {
		t.Helper()
		select {
		case c := <-ch:
			return c
		case <-time.After(5 * time.Second):
			t.Fatal("no login on the server")
			return nil
		}
	}
}

func TestConn_Login(t *testing.T) {
	addr := startServer(t, ServerConfig{
		Version: V30,
		Authenticate: func(ctx context.Context, sp string) (string, uint32) {
			if sp == "busy01" {
				return "", 7
			}
			return testAuth(ctx, sp)
		},
	})
	t.Run("OK", func(t *testing.T) {
		for _, v := range []Version{V30, V21, V20} {
			c := dial(t, addr, ClientConfig{Version: v})
			if c.Version() != v {
				t.Errorf("Version = %v, want %v", c.Version(), v)
			}
			if _, err := c.Submit(context.Background(), testSubmit("你好")); err != nil {
				t.Errorf("%v: Submit: %v", v, err)
			}
			if err := c.Close(); err != nil {
				t.Errorf("%v: Close = %v, want nil", v, err)
			}
		}
	})
	t.Run("ShortSourceAddr", func(t *testing.T) {
		for _, unpadded := range []bool{false, true} {
			c := dial(t, addr, ClientConfig{SourceAddr: "9001", Secret: "short", UnpaddedAuth: unpadded})
			if c.SourceAddr() != "9001" {
				t.Errorf("SourceAddr = %q, want 9001", c.SourceAddr())
			}
			c.Close()
		}
	})
	for _, tt := range []struct {
		name string
		cfg  ClientConfig
		want uint32
	}{
		{"ErrBadStructure", ClientConfig{SourceAddr: "900001", Secret: "888888", Version: 0x10}, StatusBadStructure},
		{"ErrBadSource", ClientConfig{SourceAddr: "123456", Secret: "888888"}, StatusBadSource},
		{"ErrAuthFailed", ClientConfig{SourceAddr: "900001", Secret: "wrong"}, StatusAuthFailed},
		{"ErrVersionTooHigh", ClientConfig{SourceAddr: "900001", Secret: "888888", Version: 0x31}, StatusVersionTooHigh},
		{"ErrOther", ClientConfig{SourceAddr: "busy01", Secret: "x"}, 7},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Dial(context.Background(), addr, tt.cfg)
			if err == nil {
				c.Close()
				t.Fatal("Dial succeeded, want a refusal")
			}
			var re *ResultError
			if !errors.As(err, &re) || re.Code != tt.want {
				t.Fatalf("Dial error = %v, want Status %d", err, tt.want)
			}
			if !errors.Is(err, protocol.ErrAuth) {
				t.Errorf("errors.Is(%v, ErrAuth) = false, want true", err)
			}
			if errors.Is(err, protocol.ErrThrottled) {
				t.Errorf("errors.Is(%v, ErrThrottled) = true, want false", err)
			}
		})
	}
	t.Run("ErrNoAnswer", func(t *testing.T) {
		l, _ := net.Listen("tcp", "127.0.0.1:0")
		defer l.Close()
		go func() {
			nc, err := l.Accept()
			if err == nil {
				defer nc.Close()
				time.Sleep(time.Second)
			}
		}()
		start := time.Now()
		_, err := Dial(context.Background(), l.Addr().String(), ClientConfig{SourceAddr: "900001", ResponseTimeout: 50 * time.Millisecond})
		if err == nil || time.Since(start) > 900*time.Millisecond {
			t.Errorf("Dial = %v after %v, want an error within the response timeout", err, time.Since(start))
		}
	})
}

func TestConn_Submit(t *testing.T) {
	t.Run("OK", func(t *testing.T) {
		gen := &MsgIDGenerator{Gateway: 42}
		var got atomic.Pointer[Submit]
		addr := startServer(t, ServerConfig{MsgIDs: gen, OnSubmit: func(_ context.Context, _ *Conn, s *Submit) (MsgID, uint32, error) {
			got.Store(s)
			return gen.Next(), ResultOK, nil
		}})
		c := dial(t, addr, ClientConfig{})
		s := testSubmit("12366 提醒：请于本月15日前完成申报。")
		resp, err := c.Submit(context.Background(), s)
		if err != nil {
			t.Fatalf("Submit: %v", err)
		}
		if resp.MsgID.Gateway() != 42 || resp.Result != 0 {
			t.Errorf("SubmitResp = %+v, want gateway 42, result 0", resp)
		}
		g := got.Load()
		if !bytes.Equal(g.Content, s.Content) || g.DestTerminalIDs[0] != "13800138000" || g.SrcID != "1066612366" {
			t.Errorf("server got %+v", g)
		}
	})
	t.Run("ErrThrottled", func(t *testing.T) {
		addr := startServer(t, ServerConfig{OnSubmit: func(context.Context, *Conn, *Submit) (MsgID, uint32, error) {
			return 0, ResultThrottled, nil
		}})
		c := dial(t, addr, ClientConfig{})
		resp, err := c.Submit(context.Background(), testSubmit("x"))
		if !errors.Is(err, protocol.ErrThrottled) {
			t.Fatalf("Submit error = %v, want ErrThrottled", err)
		}
		if resp == nil || resp.Result != ResultThrottled {
			t.Errorf("SubmitResp = %+v, want Result 8", resp)
		}
	})
	t.Run("ErrResult", func(t *testing.T) {
		addr := startServer(t, ServerConfig{OnSubmit: func(context.Context, *Conn, *Submit) (MsgID, uint32, error) {
			return 0, ResultBadDestTerm, nil
		}})
		c := dial(t, addr, ClientConfig{})
		_, err := c.Submit(context.Background(), testSubmit("x"))
		var re *ResultError
		if !errors.As(err, &re) || re.Code != ResultBadDestTerm || errors.Is(err, protocol.ErrThrottled) {
			t.Fatalf("Submit error = %v, want Result 13, not throttled", err)
		}
	})
	t.Run("ErrInvalid", func(t *testing.T) {
		addr := startServer(t, ServerConfig{})
		c := dial(t, addr, ClientConfig{})
		s := testSubmit("x")
		s.DestTerminalIDs = nil
		if _, err := c.Submit(context.Background(), s); err == nil {
			t.Error("Submit with no destination succeeded")
		}
	})
	t.Run("WindowFull", func(t *testing.T) {
		release := make(chan struct{})
		addr := startServer(t, ServerConfig{OnSubmit: func(ctx context.Context, c *Conn, _ *Submit) (MsgID, uint32, error) {
			<-release
			return 1, ResultOK, nil
		}})
		c := dial(t, addr, ClientConfig{Window: 4})
		var wg sync.WaitGroup
		errs := make(chan error, 4)
		for range 4 {
			wg.Go(func() {
				_, err := c.Submit(context.Background(), testSubmit("x"))
				errs <- err
			})
		}
		for deadline := time.Now().Add(5 * time.Second); len(c.window) < 4; {
			if time.Now().After(deadline) {
				t.Fatalf("window holds %d, want 4", len(c.window))
			}
			time.Sleep(time.Millisecond)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Millisecond)
		defer cancel()
		if _, err := c.Submit(ctx, testSubmit("x")); !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("fifth Submit error = %v, want DeadlineExceeded", err)
		}
		close(release)
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Errorf("Submit: %v", err)
			}
		}
	})
	t.Run("Resend", func(t *testing.T) {
		var mu sync.Mutex
		seen := map[uint32]int{}
		addr := startServer(t, ServerConfig{OnSubmit: func(_ context.Context, _ *Conn, s *Submit) (MsgID, uint32, error) {
			mu.Lock()
			defer mu.Unlock()
			seen[s.Seq]++
			if seen[s.Seq] < 3 {
				return 0, 0, errors.New("lost")
			}
			return 7, ResultOK, nil
		}})
		c := dial(t, addr, ClientConfig{ResponseTimeout: 40 * time.Millisecond, MaxTries: 3})
		resp, err := c.Submit(context.Background(), testSubmit("x"))
		if err != nil || resp.MsgID != 7 {
			t.Fatalf("Submit = %v, %v, want id 7 on the third try", resp, err)
		}
		mu.Lock()
		defer mu.Unlock()
		if len(seen) != 1 {
			t.Errorf("server saw sequences %v, want one sequence sent three times", seen)
		}
	})
	t.Run("ErrTimeout", func(t *testing.T) {
		var calls atomic.Int32
		addr := startServer(t, ServerConfig{OnSubmit: func(context.Context, *Conn, *Submit) (MsgID, uint32, error) {
			calls.Add(1)
			return 0, 0, errors.New("lost")
		}})
		c := dial(t, addr, ClientConfig{ResponseTimeout: 30 * time.Millisecond, MaxTries: 3})
		_, err := c.Submit(context.Background(), testSubmit("x"))
		if !errors.Is(err, protocol.ErrTimeout) {
			t.Fatalf("Submit error = %v, want ErrTimeout", err)
		}
		if n := calls.Load(); n != 3 {
			t.Errorf("server saw %d tries, want 3", n)
		}
		if c.Err() != nil {
			t.Errorf("Err = %v, want the connection still up", c.Err())
		}
	})
	t.Run("Concurrent", func(t *testing.T) {
		addr := startServer(t, ServerConfig{Workers: 2})
		c := dial(t, addr, ClientConfig{})
		var mu sync.Mutex
		ids := map[MsgID]bool{}
		var wg sync.WaitGroup
		for range 20 {
			wg.Go(func() {
				for range 20 {
					resp, err := c.Submit(context.Background(), testSubmit("并发"))
					if err != nil {
						t.Error(err)
						return
					}
					mu.Lock()
					ids[resp.MsgID] = true
					mu.Unlock()
				}
			})
		}
		wg.Wait()
		if len(ids) != 400 {
			t.Errorf("%d distinct ids, want 400", len(ids))
		}
	})
	t.Run("ErrClosed", func(t *testing.T) {
		addr := startServer(t, ServerConfig{})
		c := dial(t, addr, ClientConfig{})
		c.Close()
		if _, err := c.Submit(context.Background(), testSubmit("x")); !errors.Is(err, protocol.ErrClosed) {
			t.Errorf("Submit after Close error = %v, want ErrClosed", err)
		}
	})
}

// segments splits text into UCS-2 segments of at most 67 characters, each
// with an 8-bit concatenation UDH.
func segments(text string, ref byte) [][]byte {
	r := []rune(text)
	var out [][]byte
	total := (len(r) + 66) / 67
	for i := 0; i < total; i++ {
		part := r[i*67 : min(len(r), (i+1)*67)]
		out = append(out, append([]byte{5, 0, 3, ref, byte(total), byte(i + 1)}, ucs2(string(part))...))
	}
	return out
}

func TestConn_Receipts(t *testing.T) {
	for _, tt := range []struct {
		name string
		v    Version
		wide bool
		fmt  uint8
		text string
	}{
		{"UCS2/3.0/Report71", V30, true, FmtUCS2, strings.Repeat("尊敬的纳税人，您好！", 17)},
		{"UCS2/3.0/Report60", V30, false, FmtUCS2, strings.Repeat("申报期限提醒。", 25)},
		{"UCS2/2.0", V20, false, FmtUCS2, strings.Repeat("税", 140)},
		{"ASCII/3.0", V30, false, FmtASCII, strings.Repeat("Tax filing reminder. ", 16)},
	} {
		t.Run(tt.name, func(t *testing.T) {
			hook, server := onLogin()
			gen := &MsgIDGenerator{Gateway: 3}
			addr := startServer(t, ServerConfig{OnLogin: hook, MsgIDs: gen})
			receipts := make(chan protocol.Receipt, 16)
			c := dial(t, addr, ClientConfig{Version: tt.v, OnDeliver: func(_ context.Context, d *Deliver) error {
				r, err := d.Receipt()
				if err != nil {
					return err
				}
				receipts <- r
				return nil
			}})
			sc := server(t)
			var parts [][]byte
			if tt.fmt == FmtUCS2 {
				parts = segments(tt.text, 0x42)
			} else {
				for i := 0; i < len(tt.text); i += 134 {
					parts = append(parts, append([]byte{5, 0, 3, 0x43, byte((len(tt.text) + 133) / 134), byte(i/134 + 1)},
						tt.text[i:min(len(tt.text), i+134)]...))
				}
			}
			if len(parts) < 2 {
				t.Fatalf("%d segments, want a long message", len(parts))
			}
			var ids []MsgID
			for i, p := range parts {
				s := testSubmit("")
				s.PkTotal, s.PkNumber, s.TPUDHI, s.MsgFmt, s.Content = uint8(len(parts)), uint8(i+1), 1, tt.fmt, p
				resp, err := c.Submit(context.Background(), s)
				if err != nil {
					t.Fatalf("segment %d: %v", i+1, err)
				}
				ids = append(ids, resp.MsgID)
				rep := Report{MsgID: resp.MsgID, Stat: "DELIVRD", SubmitTime: "2406011200", DoneTime: "2406011201",
					DestTerminalID: "13800138000", Wide: tt.wide}
				if _, err := sc.Deliver(context.Background(), NewReportDeliver(tt.v, "1066612366", rep)); err != nil {
					t.Fatalf("segment %d: Deliver report: %v", i+1, err)
				}
			}
			for i, id := range ids {
				select {
				case r := <-receipts:
					if r.MsgID != protocol.NormalizeID(id.String()) || !r.Delivered() || r.Dest != "13800138000" {
						t.Errorf("receipt %d = %+v, want id %s DELIVRD", i, r, id)
					}
				case <-time.After(5 * time.Second):
					t.Fatalf("receipt %d missing", i)
				}
			}
		})
	}
}

func TestConn_Deliver(t *testing.T) {
	t.Run("MO", func(t *testing.T) {
		hook, server := onLogin()
		addr := startServer(t, ServerConfig{OnLogin: hook})
		got := make(chan *Deliver, 1)
		dial(t, addr, ClientConfig{OnDeliver: func(_ context.Context, d *Deliver) error {
			got <- d
			return nil
		}})
		sc := server(t)
		mo := &Deliver{DestID: "1066612366", SrcTerminalID: "13900139000", MsgFmt: FmtUCS2, Content: ucs2("查询 个税")}
		resp, err := sc.Deliver(context.Background(), mo)
		if err != nil {
			t.Fatalf("Deliver: %v", err)
		}
		d := <-got
		if d.IsReport() || !bytes.Equal(d.Content, ucs2("查询 个税")) || d.SrcTerminalID != "13900139000" || d.MsgID != resp.MsgID {
			t.Errorf("client got %+v, want the MO with id %s", d, resp.MsgID)
		}
	})
	t.Run("ErrHandler", func(t *testing.T) {
		hook, server := onLogin()
		addr := startServer(t, ServerConfig{OnLogin: hook})
		dial(t, addr, ClientConfig{OnDeliver: func(context.Context, *Deliver) error {
			return errors.New("store unavailable")
		}})
		sc := server(t)
		_, err := sc.Deliver(context.Background(), &Deliver{DestID: "1066612366", SrcTerminalID: "13900139000", Content: []byte("hi")})
		var re *ResultError
		if !errors.As(err, &re) || re.Code != ResultOther {
			t.Errorf("Deliver error = %v, want Result 9 so that the gateway resends", err)
		}
	})
}

// rawServer accepts one connection, answers its CONNECT and then only reads.
func rawServer(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	go func() {
		nc, err := l.Accept()
		if err != nil {
			return
		}
		defer nc.Close()
		frame, err := ReadFrame(nc, nil)
		if err != nil {
			return
		}
		p, _ := Parse(V30, frame)
		nc.Write((&ConnectResp{Seq: p.Sequence(), Version: V30}).AppendMarshal(nil))
		for {
			if _, err := ReadFrame(nc, nil); err != nil {
				return
			}
		}
	}()
	return l.Addr().String()
}

func TestConn_KeepAlive(t *testing.T) {
	t.Run("Answered", func(t *testing.T) {
		addr := startServer(t, ServerConfig{ActiveTestInterval: -1})
		c := dial(t, addr, ClientConfig{ActiveTestInterval: 20 * time.Millisecond, ResponseTimeout: time.Second})
		atLogin := c.lastRecv.Load()
		time.Sleep(200 * time.Millisecond)
		if err := c.Err(); err != nil {
			t.Errorf("Err = %v, want the link kept alive", err)
		}
		// Nothing but ACTIVE_TEST_RESP can have been read since the login.
		if c.lastRecv.Load() == atLogin {
			t.Errorf("nothing read in 200ms, want ACTIVE_TEST_RESP every 20ms")
		}
	})
	t.Run("ErrUnanswered", func(t *testing.T) {
		c := dial(t, rawServer(t), ClientConfig{ActiveTestInterval: 20 * time.Millisecond, ResponseTimeout: 20 * time.Millisecond, MaxTries: 3})
		select {
		case <-c.Done():
		case <-time.After(5 * time.Second):
			t.Fatal("connection still up after unanswered ACTIVE_TESTs")
		}
		if err := c.Err(); !errors.Is(err, protocol.ErrTimeout) || !errors.Is(err, protocol.ErrClosed) {
			t.Errorf("Err = %v, want ErrClosed and ErrTimeout", err)
		}
	})
}

func TestConn_Drop(t *testing.T) {
	hook, server := onLogin()
	addr := startServer(t, ServerConfig{OnLogin: hook})
	c := dial(t, addr, ClientConfig{})
	sc := server(t)
	sc.nc.Close() // the gateway vanishes without TERMINATE
	select {
	case <-c.Done():
	case <-time.After(5 * time.Second):
		t.Fatal("client did not notice the drop")
	}
	if _, err := c.Submit(context.Background(), testSubmit("x")); !errors.Is(err, protocol.ErrClosed) {
		t.Errorf("Submit on a dropped link error = %v, want ErrClosed", err)
	}
	if err := c.Close(); err != nil {
		t.Errorf("Close of a dropped link = %v, want nil", err)
	}
	c2 := dial(t, addr, ClientConfig{})
	server(t)
	if _, err := c2.Submit(context.Background(), testSubmit("x")); err != nil {
		t.Errorf("Submit after redial: %v", err)
	}
}

func TestConn_Close(t *testing.T) {
	t.Run("Drains", func(t *testing.T) {
		hook, server := onLogin()
		addr := startServer(t, ServerConfig{OnLogin: hook, OnSubmit: func(_ context.Context, c *Conn, _ *Submit) (MsgID, uint32, error) {
			time.Sleep(5 * time.Millisecond)
			return 1, ResultOK, nil
		}})
		c := dial(t, addr, ClientConfig{})
		sc := server(t)
		var wg sync.WaitGroup
		var failed atomic.Int32
		for range 16 {
			wg.Go(func() {
				if _, err := c.Submit(context.Background(), testSubmit("x")); err != nil {
					failed.Add(1)
				}
			})
		}
		for deadline := time.Now().Add(5 * time.Second); len(c.window) < 16 && time.Now().Before(deadline); {
			time.Sleep(time.Millisecond)
		}
		if err := c.Close(); err != nil {
			t.Errorf("Close = %v, want nil", err)
		}
		wg.Wait()
		if n := failed.Load(); n != 0 {
			t.Errorf("%d submits in the window failed, want all answered", n)
		}
		select {
		case <-sc.Done():
			if err := sc.Err(); err == nil || !strings.Contains(err.Error(), "TERMINATE") {
				t.Errorf("server Err = %v, want TERMINATE from the peer", err)
			}
		case <-time.After(5 * time.Second):
			t.Error("server session still up after TERMINATE")
		}
	})
	t.Run("ErrTimeout", func(t *testing.T) {
		c := dial(t, rawServer(t), ClientConfig{CloseTimeout: 50 * time.Millisecond, ResponseTimeout: time.Second})
		go c.Submit(context.Background(), testSubmit("x"))
		for deadline := time.Now().Add(5 * time.Second); len(c.window) < 1 && time.Now().Before(deadline); {
			time.Sleep(time.Millisecond)
		}
		start := time.Now()
		err := c.Close()
		if err == nil {
			t.Error("Close = nil, want an error for the unanswered window")
		}
		if d := time.Since(start); d > 900*time.Millisecond {
			t.Errorf("Close took %v, want about CloseTimeout", d)
		}
	})
}

// byteConn writes one byte per Write, so that the peer's reads split at
// every byte boundary.
type byteConn struct{ net.Conn }

func (c byteConn) Write(b []byte) (int, error) {
	for i := range b {
		if _, err := c.Conn.Write(b[i : i+1]); err != nil {
			return i, err
		}
	}
	return len(b), nil
}

func TestReadFrame_Split(t *testing.T) {
	var all []byte
	for _, tt := range codecTests {
		all = append(all, mustHex(t, tt.hex)...)
	}
	a, b := net.Pipe()
	defer a.Close()
	go func() {
		byteConn{a}.Write(all)
	}()
	for _, tt := range codecTests {
		frame, err := ReadFrame(b, nil)
		if err != nil {
			t.Fatalf("%s: ReadFrame: %v", tt.name, err)
		}
		if want := mustHex(t, tt.hex); !bytes.Equal(frame, want) {
			t.Fatalf("%s: ReadFrame = %x, want %x", tt.name, frame, want)
		}
	}
}

func TestConn_SplitReads(t *testing.T) {
	a, b := net.Pipe()
	srv := make(chan *Conn, 1)
	go func() {
		c, err := Accept(context.Background(), byteConn{b}, ServerConfig{Authenticate: testAuth})
		if err != nil {
			t.Error(err)
		}
		srv <- c
	}()
	got := make(chan *Deliver, 1)
	c, err := Login(context.Background(), byteConn{a}, ClientConfig{SourceAddr: "900001", Secret: "888888",
		OnDeliver: func(_ context.Context, d *Deliver) error { got <- d; return nil }})
	if err != nil {
		t.Fatal(err)
	}
	sc := <-srv
	if sc == nil {
		t.FailNow()
	}
	defer sc.Close()
	defer c.Close()
	if _, err := c.Submit(context.Background(), testSubmit("逐字节")); err != nil {
		t.Errorf("Submit: %v", err)
	}
	rep := Report{MsgID: 5, Stat: "DELIVRD", DestTerminalID: "13800138000", Wide: true}
	if _, err := sc.Deliver(context.Background(), NewReportDeliver(V30, "10666", rep)); err != nil {
		t.Errorf("Deliver: %v", err)
	}
	if r, err := (<-got).Report(); err != nil || r != rep {
		t.Errorf("Report = %+v, %v, want %+v", r, err, rep)
	}
}

func ExampleDial() {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	l, _ := net.Listen("tcp", "127.0.0.1:0")
	clock := func() time.Time { return time.Date(2024, 6, 1, 9, 30, 0, 0, time.UTC) }
	go Serve(ctx, l, ServerConfig{ // the gateway side, as a simulator would run it
		Authenticate: func(_ context.Context, sp string) (string, uint32) { return "888888", StatusOK },
		MsgIDs:       &MsgIDGenerator{Gateway: 1, Now: clock},
	})

	c, err := Dial(ctx, l.Addr().String(), ClientConfig{SourceAddr: "900001", Secret: "888888"})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer c.Close()
	resp, err := c.Submit(ctx, &Submit{
		PkTotal: 1, PkNumber: 1, RegisteredDelivery: 1, ServiceID: "12366",
		MsgFmt: FmtUCS2, MsgSrc: "900001", SrcID: "1066612366",
		DestTerminalIDs: []string{"13800138000"},
		Content:         []byte{0x60, 0xa8, 0x59, 0x7d}, // 您好 in UCS-2
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(c.Version(), protocol.NormalizeID(resp.MsgID.String()))
	// Output: 3.0 60A5E00000010001
}

func TestConn_ResentRequest(t *testing.T) {
	var calls atomic.Int32
	addr := startServer(t, ServerConfig{OnSubmit: func(context.Context, *Conn, *Submit) (MsgID, uint32, error) {
		return MsgID(100 + calls.Add(1)), ResultOK, nil
	}})
	nc, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	ts := uint32(601093000)
	login := &Connect{Seq: 1, SourceAddr: "900001", Version: V30, Timestamp: ts,
		AuthenticatorSource: AuthenticatorSource("900001", "888888", ts, true)}
	nc.Write(login.AppendMarshal(nil))
	if f, err := ReadFrame(nc, nil); err != nil || f[15] != 0 {
		t.Fatalf("login: %x, %v", f, err)
	}
	// The same SUBMIT twice, as a client does when the first answer is lost.
	s := testSubmit("重发")
	s.Version, s.Seq = V30, 5
	frame := s.AppendMarshal(nil)
	var ids []MsgID
	for range 2 {
		nc.Write(frame)
		f, err := ReadFrame(nc, nil)
		if err != nil {
			t.Fatal(err)
		}
		p, err := Parse(V30, f)
		if err != nil {
			t.Fatal(err)
		}
		r := p.(*SubmitResp)
		if r.Seq != 5 || r.Result != 0 {
			t.Fatalf("SubmitResp = %+v, want seq 5, result 0", r)
		}
		ids = append(ids, r.MsgID)
	}
	if ids[0] != ids[1] || calls.Load() != 1 {
		t.Errorf("ids %v after %d OnSubmit calls, want one call and the same id twice", ids, calls.Load())
	}
}
