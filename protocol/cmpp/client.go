package cmpp

import (
	"bufio"
	"context"
	"fmt"
	"log/slog"
	"net"
	"time"
)

// ClientConfig configures the SP side of a session. Zero durations and
// counts take the Default values.
type ClientConfig struct {
	// SourceAddr is the SP id (Source_Addr) and Secret the shared secret.
	SourceAddr, Secret string
	// Version is the version to log in with; 0 means V30.
	Version Version
	// UnpaddedAuth hashes SourceAddr as given rather than zero-padded to six
	// bytes when computing AuthenticatorSource. The two agree for six-
	// character SP ids; gateways differ on shorter ones.
	UnpaddedAuth bool

	// Window is the number of requests awaiting a response (default 16).
	Window int
	// ResponseTimeout is how long to wait before resending (T, default 60 s)
	// and MaxTries how many times to send before giving up (N, default 3).
	// The login waits one ResponseTimeout, or until ctx's deadline.
	ResponseTimeout time.Duration
	MaxTries        int
	// ActiveTestInterval is the idle time before an ACTIVE_TEST (C, default
	// 3 minutes); negative disables it. N unanswered tries drop the link.
	ActiveTestInterval time.Duration
	// CloseTimeout bounds Close's wait for the window to drain and for
	// TERMINATE_RESP (default 10 s).
	CloseTimeout time.Duration

	// OnDeliver receives every MO message and status report, before the
	// DELIVER_RESP is written. A nil error answers Result 0; an error answers
	// Result 9 (or the code of a *ResultError) so that the gateway resends.
	// Calls come from Workers goroutines (default 1), in order per worker.
	// Deliver.Content is the handler's to keep. A DELIVER resent with the
	// Sequence_Id and Msg_Id of one already accepted is answered again
	// without a second call.
	OnDeliver func(ctx context.Context, d *Deliver) error
	Workers   int

	// Now gives the login timestamp; nil means time.Now.
	Now func() time.Time
	// Logger receives resends, refusals and protocol oddities; nil discards.
	Logger *slog.Logger
}

// Dial connects to the gateway at addr (host:port, usually port 7890) and
// logs in; see Login.
func Dial(ctx context.Context, addr string, cfg ClientConfig) (*Conn, error) {
	var d net.Dialer
	nc, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("cmpp dial %s: %w", addr, err)
	}
	c, err := Login(ctx, nc, cfg)
	if err != nil {
		nc.Close()
		return nil, err
	}
	return c, nil
}

// Login logs in as an SP over nc and returns the session. A refused login
// returns an error wrapping a *ResultError with the CONNECT_RESP Status,
// which matches protocol.ErrAuth. Login does not close nc on failure. A
// gateway answering in the 2.0 layout to a 3.0 login gets a 2.0 session. A
// wrong AuthenticatorISMG is logged, not fatal, since gateways disagree on
// how to compute it.
func Login(ctx context.Context, nc net.Conn, cfg ClientConfig) (*Conn, error) {
	set := newSettings(cfg.Window, cfg.ResponseTimeout, cfg.MaxTries, cfg.ActiveTestInterval,
		cfg.CloseTimeout, cfg.Workers, cfg.Logger)
	v := cfg.Version
	if v == 0 {
		v = V30
	}
	now := time.Now
	if cfg.Now != nil {
		now = cfg.Now
	}
	fail := func(err error) (*Conn, error) {
		return nil, fmt.Errorf("cmpp login to %s as %q: %w", nc.RemoteAddr(), cfg.SourceAddr, err)
	}
	stop := deadline(ctx, nc, set.timeout)
	defer stop()

	ts := Timestamp(now())
	req := &Connect{
		Seq:                 1,
		SourceAddr:          cfg.SourceAddr,
		AuthenticatorSource: AuthenticatorSource(cfg.SourceAddr, cfg.Secret, ts, !cfg.UnpaddedAuth),
		Version:             v,
		Timestamp:           ts,
	}
	if _, err := nc.Write(req.AppendMarshal(nil)); err != nil {
		return fail(err)
	}
	br := bufio.NewReaderSize(nc, 32<<10)
	frame, err := ReadFrame(br, nil)
	if err != nil {
		return fail(fmt.Errorf("state login: read CONNECT_RESP: %w", err))
	}
	p, err := Parse(v, frame)
	if err != nil {
		return fail(err)
	}
	resp, ok := p.(*ConnectResp)
	if !ok || resp.Seq != req.Seq {
		return fail(fmt.Errorf("state login: got %v seq %d, want CONNECT_RESP seq %d, bytes %s",
			p.Command(), p.Sequence(), req.Seq, snippet(frame, 0)))
	}
	if resp.Status != StatusOK {
		return fail(&ResultError{Command: CmdConnectResp, Code: resp.Status})
	}
	if !resp.Layout.Is3() && v.Is3() {
		v = resp.Version
		if v.Is3() {
			v = V21
		}
	}
	if a4, a1 := AuthenticatorISMG(V30, 0, req.AuthenticatorSource, cfg.Secret),
		AuthenticatorISMG(V20, 0, req.AuthenticatorSource, cfg.Secret); resp.AuthenticatorISMG != a4 && resp.AuthenticatorISMG != a1 {
		set.log.Warn("cmpp: AuthenticatorISMG does not match the shared secret", "remote", nc.RemoteAddr())
	}
	c := newConn(nc, br, v, set)
	c.account = cfg.SourceAddr
	c.onDeliver = cfg.OnDeliver
	c.seq.Store(req.Seq)
	c.lastRecv.Store(int64(time.Since(c.start)))
	c.run()
	return c, nil
}

// deadline bounds the login exchange on nc by ctx and by timeout; the
// returned func lifts the bound.
func deadline(ctx context.Context, nc net.Conn, timeout time.Duration) (stop func()) {
	d := time.Now().Add(timeout)
	if cd, ok := ctx.Deadline(); ok && cd.Before(d) {
		d = cd
	}
	nc.SetDeadline(d)
	cancel := context.AfterFunc(ctx, func() { nc.SetDeadline(time.Now()) })
	return func() {
		cancel()
		nc.SetDeadline(time.Time{})
	}
}
