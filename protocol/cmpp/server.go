package cmpp

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"sync"
	"time"
)

// ServerConfig configures the gateway side of a session, as used by the
// carrier simulator and by tests. Zero durations and counts take the Default
// values.
type ServerConfig struct {
	// Version is the highest version served; 0 means V30. A login with a
	// higher version is refused with Status 4; a lower one gets a session in
	// its own version.
	Version Version
	// Authenticate returns the shared secret of the SP id sourceAddr and
	// StatusOK, or the Status to refuse the login with (StatusBadSource for
	// an unknown account, ...). The AuthenticatorSource is checked against
	// the secret here (in both the padded and unpadded forms); a mismatch
	// answers StatusAuthFailed. Required.
	Authenticate func(ctx context.Context, sourceAddr string) (secret string, status uint32)
	// OnSubmit answers a SUBMIT with the Msg_Id and Result to send back. A
	// non-nil error sends no response at all (a lost answer, for tests).
	// nil answers Result 0 with an id from MsgIDs. Calls come from Workers
	// goroutines (default 1); Submit.Content is the handler's to keep. A
	// SUBMIT resent with the Sequence_Id of one recently answered with
	// Result 0 gets the same answer again without a second call.
	OnSubmit func(ctx context.Context, c *Conn, s *Submit) (MsgID, uint32, error)
	Workers  int
	// OnLogin is called with each new session before it is served, from
	// Serve's goroutine for that connection, so that the caller can push
	// DELIVERs to it.
	OnLogin func(c *Conn)
	// MsgIDs hands out SUBMIT and DELIVER ids; nil means a generator with
	// gateway code 0, shared by the sessions of one Serve.
	MsgIDs *MsgIDGenerator

	// Window, ResponseTimeout, MaxTries, ActiveTestInterval and CloseTimeout
	// are as in ClientConfig and apply to DELIVERs pushed to the SP.
	Window             int
	ResponseTimeout    time.Duration
	MaxTries           int
	ActiveTestInterval time.Duration
	CloseTimeout       time.Duration

	// Now gives the time of generated ids when MsgIDs is nil; nil means
	// time.Now.
	Now func() time.Time
	// Logger receives logins and protocol oddities; nil discards.
	Logger *slog.Logger
}

// Serve accepts connections on l and runs a session for each login until ctx
// is done, then closes l and every session (each with Close) and returns
// nil. It returns the listener's error if Accept fails first, after closing
// the sessions.
func Serve(ctx context.Context, l net.Listener, cfg ServerConfig) error {
	if cfg.MsgIDs == nil {
		cfg.MsgIDs = &MsgIDGenerator{Now: cfg.Now}
	}
	set := newSettings(0, cfg.ResponseTimeout, 0, 0, 0, 0, cfg.Logger)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	stop := context.AfterFunc(ctx, func() { l.Close() })
	defer stop()
	var wg sync.WaitGroup
	defer wg.Wait()
	for {
		nc, err := l.Accept()
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return fmt.Errorf("cmpp serve %s: %w", l.Addr(), err)
		}
		wg.Add(1)
		// This goroutine ends when its session is down or ctx is done.
		go func() {
			defer wg.Done()
			c, err := Accept(ctx, nc, cfg)
			if err != nil {
				set.log.Info("cmpp: login refused", "remote", nc.RemoteAddr(), "err", err)
				nc.Close()
				return
			}
			if cfg.OnLogin != nil {
				cfg.OnLogin(c)
			}
			select {
			case <-c.Done():
			case <-ctx.Done():
			}
			c.Close()
		}()
	}
}

// Accept answers the login on a newly accepted nc and returns the session.
// A refused login is answered with its Status, and Accept returns an error
// wrapping a *ResultError (matching protocol.ErrAuth); Accept does not close
// nc.
func Accept(ctx context.Context, nc net.Conn, cfg ServerConfig) (*Conn, error) {
	if cfg.Authenticate == nil {
		return nil, errors.New("cmpp accept: ServerConfig.Authenticate is nil")
	}
	set := newSettings(cfg.Window, cfg.ResponseTimeout, cfg.MaxTries, cfg.ActiveTestInterval,
		cfg.CloseTimeout, cfg.Workers, cfg.Logger)
	maxV := cfg.Version
	if maxV == 0 {
		maxV = V30
	}
	fail := func(err error) (*Conn, error) {
		return nil, fmt.Errorf("cmpp accept from %s: %w", nc.RemoteAddr(), err)
	}
	stop := deadline(ctx, nc, set.timeout)
	defer stop()

	br := bufio.NewReaderSize(nc, 32<<10)
	frame, err := ReadFrame(br, nil)
	if err != nil {
		return fail(fmt.Errorf("state login: read CONNECT: %w", err))
	}
	p, err := Parse(maxV, frame)
	if err != nil {
		return fail(fmt.Errorf("state login: %w", err))
	}
	req, ok := p.(*Connect)
	if !ok {
		return fail(fmt.Errorf("state login: got %v, want CONNECT, bytes %s", p.Command(), snippet(frame, 0)))
	}
	v, status := req.Version, StatusOK
	var secret string
	switch {
	case v > maxV:
		v, status = maxV, StatusVersionTooHigh
	case v < V20:
		v, status = V20, StatusBadStructure
	default:
		secret, status = cfg.Authenticate(ctx, req.SourceAddr)
		if status == StatusOK &&
			req.AuthenticatorSource != AuthenticatorSource(req.SourceAddr, secret, req.Timestamp, true) &&
			req.AuthenticatorSource != AuthenticatorSource(req.SourceAddr, secret, req.Timestamp, false) {
			status = StatusAuthFailed
		}
	}
	resp := &ConnectResp{Seq: req.Seq, Status: status, Version: v}
	if status == StatusOK {
		resp.AuthenticatorISMG = AuthenticatorISMG(v, status, req.AuthenticatorSource, secret)
	}
	if _, err := nc.Write(resp.AppendMarshal(nil)); err != nil {
		return fail(err)
	}
	if status != StatusOK {
		return fail(fmt.Errorf("login %q version %v: %w", req.SourceAddr, req.Version, &ResultError{Command: CmdConnectResp, Code: status}))
	}
	c := newConn(nc, br, v, set)
	c.server = true
	c.account = req.SourceAddr
	c.msgIDs = cfg.MsgIDs
	if c.msgIDs == nil {
		c.msgIDs = &MsgIDGenerator{Now: cfg.Now}
	}
	c.onSubmit = cfg.OnSubmit
	if c.onSubmit == nil {
		c.onSubmit = func(context.Context, *Conn, *Submit) (MsgID, uint32, error) {
			return c.msgIDs.Next(), ResultOK, nil
		}
	}
	c.lastRecv.Store(int64(time.Since(c.start)))
	set.log.Info("cmpp: login", "remote", nc.RemoteAddr(), "sp", req.SourceAddr, "version", v)
	c.run()
	return c, nil
}
