package smgp

import (
	"context"
	"errors"
	"fmt"
	"net"
	"sync"
	"time"
)

// ServerConfig configures the gateway side of a session (the carrier
// simulator and tests).
type ServerConfig struct {
	// Authenticate looks up the account of a Login. It returns the shared
	// secret and StatusOK to go on to check the authenticator (a mismatch
	// answers StatusAuthFailed), or the status to refuse the login with
	// (StatusBadIP, StatusTooManyConnections, StatusBusy, ...). Nil accepts
	// every account with an empty secret.
	Authenticate func(ctx context.Context, l *Login, addr net.Addr) (secret string, st Status)
	// OnLogin is told of each session once it is logged in (Serve only). It
	// must not block; keep c to push Deliver PDUs to it.
	OnLogin func(c *Conn)
	// OnSubmit answers a Submit: the MsgID and status of the Submit_Resp. A
	// zero MsgID with StatusOK is replaced by one from MsgIDs. A non-nil
	// error sends no answer at all (the client will time out and resend),
	// which is how a simulator loses a response. Calls come one at a time
	// from the Conn's handler goroutine. Nil accepts every Submit.
	OnSubmit func(ctx context.Context, c *Conn, s *Submit) (MsgID, Status, error)
	// MsgIDs generates the ids of accepted Submits; default SMGW code
	// "000000" with Settings.Now.
	MsgIDs *MsgIDGenerator
	// ServerVersion is sent in Login_Resp; default V30. A client with a
	// higher version is refused with StatusVersionTooHigh.
	ServerVersion Version
	Settings
}

// NewServer reads a Login from an accepted connection, answers it and, when
// the login succeeds, returns the server session. ctx bounds the login only.
// A refused login is answered, then returned as a *StatusError; the caller
// closes nc on any error.
func NewServer(ctx context.Context, nc net.Conn, cfg ServerConfig) (*Conn, error) {
	s := cfg.Settings.withDefaults()
	if cfg.ServerVersion == 0 {
		cfg.ServerVersion = V30
	}
	c := newConn(nc, s, true)
	c.onSubmit = cfg.OnSubmit
	c.ids = cfg.MsgIDs
	if c.ids == nil {
		c.ids, _ = NewMsgIDGenerator("000000", s.Now)
	}
	started := false
	defer func() {
		if !started {
			c.cancel()
		}
	}()
	stop := handshakeDeadline(ctx, nc, s.ResponseTimeout)
	defer stop()
	b, err := c.r.ReadFrame()
	if err != nil {
		return nil, fmt.Errorf("%v: waiting for Login: %w", c, ctxErr(ctx, err))
	}
	p, err := Parse(b)
	if err != nil {
		return nil, fmt.Errorf("%v: waiting for Login: %w", c, err)
	}
	login, ok := p.(*Login)
	if !ok {
		return nil, fmt.Errorf("%v: got %v before Login", c, p.Command())
	}
	c.clientID, c.mode, c.version = login.ClientID, login.LoginMode, login.ClientVersion
	if c.version != V13 {
		c.version = V30
	}
	var secret string
	st := StatusOK
	if cfg.Authenticate != nil {
		secret, st = cfg.Authenticate(ctx, login, nc.RemoteAddr())
	}
	switch {
	case st != StatusOK:
	case login.ClientVersion > cfg.ServerVersion:
		st = StatusVersionTooHigh
	case login.AuthenticatorClient != AuthenticatorClient(login.ClientID, secret, login.TimeStamp):
		st = StatusAuthFailed
	}
	resp := &LoginResp{
		SequenceID:          login.SequenceID,
		Status:              st,
		AuthenticatorServer: AuthenticatorServer(st, login.AuthenticatorClient, secret),
		ServerVersion:       cfg.ServerVersion,
	}
	if _, err := nc.Write(resp.AppendMarshal(nil)); err != nil {
		return nil, fmt.Errorf("%v: writing Login_Resp: %w", c, ctxErr(ctx, err))
	}
	if st != StatusOK {
		return nil, fmt.Errorf("%v: login refused: %w", c, &StatusError{Command: CmdLoginResp, Status: st})
	}
	stop()
	nc.SetDeadline(time.Time{})
	started = true
	c.start()
	return c, nil
}

// Serve accepts connections on l and runs a server session on each until
// ctx ends; then it closes l, closes every session gracefully (Exit) and
// returns ctx's error once they are done. When Accept fails otherwise it
// closes the sessions the same way and returns that error. Failed logins are
// answered and their connections closed.
func Serve(ctx context.Context, l net.Listener, cfg ServerConfig) error {
	ctx, cancel := context.WithCancel(ctx)
	stop := context.AfterFunc(ctx, func() { l.Close() })
	defer stop()
	var wg sync.WaitGroup
	defer func() {
		cancel() // closes the sessions
		wg.Wait()
	}()
	for {
		nc, err := l.Accept()
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				continue
			}
			return fmt.Errorf("smgp serve: %w", err)
		}
		wg.Add(1)
		go func() { // ends when the login fails or the session has closed
			defer wg.Done()
			c, err := NewServer(ctx, nc, cfg)
			if err != nil {
				nc.Close()
				return
			}
			if cfg.OnLogin != nil {
				cfg.OnLogin(c)
			}
			select {
			case <-c.Done():
				c.Close()
			case <-ctx.Done():
				c.Close()
			}
		}()
	}
}
