package smgp

import (
	"context"
	"errors"
	"fmt"
	"net"
	"time"
)

// ClientConfig configures the SP side of a session.
type ClientConfig struct {
	// ClientID is the account (for an SP its service code), at most 8 bytes.
	ClientID string
	// Secret is the shared secret, at most 15 bytes.
	Secret string
	// LoginMode is the direction asked for; the zero value is ModeSend, the
	// platform usually wants ModeTransmit.
	LoginMode LoginMode
	// Version is sent in Login and selects the Submit layout; default V30.
	Version Version
	// VerifyServer makes the login fail unless the gateway's
	// AuthenticatorServer is MD5(status + AuthenticatorClient + secret).
	// Off by default: gateways differ.
	VerifyServer bool
	// OnDeliver receives each MO message and status report before its
	// Deliver_Resp is written; an error answers it with a failure status
	// (the error's when it is a *StatusError, else StatusBusy) so the gateway
	// resends. Calls come one at a time from the Conn's handler goroutine;
	// ctx is cancelled when the Conn closes. Nil acknowledges everything.
	OnDeliver func(ctx context.Context, d *Deliver) error
	Settings
}

// Dial connects to the gateway at addr (host:port) and logs in. ctx bounds
// the dial and the login only. A refused login returns a *StatusError:
// errors.Is(err, protocol.ErrAuth) for a bad account, secret, address or
// version, protocol.ErrThrottled when the gateway is busy and
// ErrTooManyConnections when the account has all its connections.
func Dial(ctx context.Context, addr string, cfg ClientConfig) (*Conn, error) {
	var d net.Dialer
	nc, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("smgp dial %s: %w", addr, err)
	}
	c, err := NewClient(ctx, nc, cfg)
	if err != nil {
		nc.Close()
		return nil, err
	}
	return c, nil
}

// NewClient logs in over an open connection and returns the client session,
// as Dial does. On error the caller closes nc.
func NewClient(ctx context.Context, nc net.Conn, cfg ClientConfig) (*Conn, error) {
	s := cfg.Settings.withDefaults()
	if cfg.Version == 0 {
		cfg.Version = V30
	}
	if len(cfg.ClientID) > 8 || len(cfg.Secret) > 15 {
		return nil, fmt.Errorf("smgp login: ClientID %q over 8 bytes or secret over 15", cfg.ClientID)
	}
	c := newConn(nc, s, false)
	c.clientID, c.mode, c.version = cfg.ClientID, cfg.LoginMode, cfg.Version
	c.onDeliver = cfg.OnDeliver
	started := false
	defer func() {
		if !started {
			c.cancel()
		}
	}()

	login := NewLogin(cfg.ClientID, cfg.Secret, cfg.LoginMode, cfg.Version, s.Now())
	login.SequenceID = c.seq.Add(1)
	stop := handshakeDeadline(ctx, nc, s.ResponseTimeout)
	defer stop()
	if _, err := nc.Write(login.AppendMarshal(nil)); err != nil {
		return nil, fmt.Errorf("%v: login: %w", c, ctxErr(ctx, err))
	}
	var resp *LoginResp
	for resp == nil {
		b, err := c.r.ReadFrame()
		if err != nil {
			return nil, fmt.Errorf("%v: waiting for Login_Resp: %w", c, ctxErr(ctx, err))
		}
		p, err := Parse(b)
		if err != nil {
			return nil, fmt.Errorf("%v: waiting for Login_Resp: %w", c, err)
		}
		if r, ok := p.(*LoginResp); ok && r.SequenceID == login.SequenceID {
			resp = r
		}
	}
	if resp.Status != StatusOK {
		return nil, fmt.Errorf("%v: login: %w", c, &StatusError{Command: CmdLoginResp, Status: resp.Status})
	}
	if cfg.VerifyServer && resp.AuthenticatorServer != AuthenticatorServer(resp.Status, login.AuthenticatorClient, cfg.Secret) {
		return nil, fmt.Errorf("%v: login: AuthenticatorServer %x does not match the secret: %w", c, resp.AuthenticatorServer,
			&StatusError{Command: CmdLoginResp, Status: StatusAuthFailed})
	}
	stop()
	nc.SetDeadline(time.Time{})
	started = true
	c.start()
	return c, nil
}

// handshakeDeadline sets nc's deadline to the earlier of ctx's and now+d,
// and moves it to now when ctx is cancelled; stop undoes the latter.
func handshakeDeadline(ctx context.Context, nc net.Conn, d time.Duration) (stop func() bool) {
	dl := time.Now().Add(d)
	if cd, ok := ctx.Deadline(); ok && cd.Before(dl) {
		dl = cd
	}
	nc.SetDeadline(dl)
	return context.AfterFunc(ctx, func() { nc.SetDeadline(time.Now()) })
}

// ctxErr prefers ctx's error to the I/O error it caused.
func ctxErr(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return errors.Join(ctx.Err(), err)
	}
	return err
}

// Submit sends s and waits for its Submit_Resp (client side only). It waits
// for a window slot (and any throttle pause), resends after
// ResponseTimeout up to Retries times, and returns:
//   - the response and nil for status 0;
//   - the response and a *StatusError for any other status; errors.Is(err,
//     protocol.ErrThrottled) for the busy codes 1, 74, 75, which also hold
//     new submits for ThrottleBackoff;
//   - an error wrapping protocol.ErrTimeout when no answer came;
//   - an error wrapping protocol.ErrClosed when the session ended or is
//     closing (a submit cut off this way may or may not have been taken);
//   - ctx's error when ctx ended first.
//
// Submit does not modify s; it returns an error before sending when s does
// not Validate.
func (c *Conn) Submit(ctx context.Context, s *Submit) (*SubmitResp, error) {
	if c.server {
		return nil, fmt.Errorf("%v: Submit is sent by the client side", c)
	}
	if err := s.Validate(); err != nil {
		return nil, err
	}
	if c.version == V13 && s.Version != V13 {
		cp := *s
		cp.Version = V13
		s = &cp
	}
	p, err := c.windowed(ctx, s)
	if err != nil {
		return nil, err
	}
	resp := p.(*SubmitResp)
	if resp.Status != StatusOK {
		if resp.Status.Throttled() {
			c.throttled()
		}
		return resp, &StatusError{Command: CmdSubmitResp, Status: resp.Status}
	}
	return resp, nil
}
