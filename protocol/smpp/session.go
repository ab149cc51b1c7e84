package smpp

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"taxsms/protocol"
)

// ClientConfig configures our side of a bind (the ESME).
type ClientConfig struct {
	Timing
	// SystemID, Password and SystemType are sent in bind_transceiver (at
	// most 15, 8 and 12 bytes).
	SystemID   string
	Password   string
	SystemType string
	// AddrTON, AddrNPI and AddressRange are the bind's address range; zero
	// values leave it to the SMSC.
	AddrTON      uint8
	AddrNPI      uint8
	AddressRange string
	// OnDeliver receives every deliver_sm (MO or receipt) before its
	// deliver_sm_resp is written. A nil error acknowledges it; an error
	// answers with the Status it wraps, else ESME_RX_T_APPN, so the SMSC
	// delivers it again. Calls run concurrently, at most Window at once.
	// nil acknowledges and drops everything.
	OnDeliver func(ctx context.Context, d *Deliver) error
}

// Dial connects to addr and binds as a transceiver. A refused bind returns
// an error wrapping protocol.ErrAuth and the Status the SMSC answered.
func Dial(ctx context.Context, addr string, cfg ClientConfig) (*Conn, error) {
	var d net.Dialer
	nc, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("smpp: dial %s: %w", addr, err)
	}
	c, err := NewClientConn(ctx, nc, cfg)
	if err != nil {
		return nil, fmt.Errorf("smpp: %s: %w", addr, err)
	}
	return c, nil
}

// NewClientConn binds as a transceiver over an open connection, which it
// owns from then on (it is closed on failure). Errors are as for Dial.
func NewClientConn(ctx context.Context, nc net.Conn, cfg ClientConfig) (*Conn, error) {
	t := cfg.Timing.withDefaults()
	bind := &Bind{
		Header:           Header{Seq: 1},
		Cmd:              CmdBindTransceiver,
		SystemID:         cfg.SystemID,
		Password:         cfg.Password,
		SystemType:       cfg.SystemType,
		InterfaceVersion: InterfaceVersion,
		AddrTON:          cfg.AddrTON,
		AddrNPI:          cfg.AddrNPI,
		AddressRange:     cfg.AddressRange,
	}
	if err := bind.Validate(); err != nil {
		nc.Close()
		return nil, err
	}
	deadline := time.Now().Add(t.BindTimeout)
	if d, ok := ctx.Deadline(); ok && d.Before(deadline) {
		deadline = d
	}
	stop := context.AfterFunc(ctx, func() { nc.SetDeadline(time.Now()) })
	defer stop()
	nc.SetDeadline(deadline)
	fail := func(err error) (*Conn, error) {
		nc.Close()
		if ctx.Err() != nil {
			return nil, fmt.Errorf("smpp: bind_transceiver: %w", ctx.Err())
		}
		return nil, fmt.Errorf("smpp: bind_transceiver as %q: %w", cfg.SystemID, err)
	}
	if _, err := nc.Write(Marshal(bind)); err != nil {
		return fail(err)
	}
	br := bufio.NewReaderSize(nc, 16<<10)
	var resp *BindResp
	for resp == nil {
		p, err := ReadPDU(br)
		if err != nil {
			return fail(err)
		}
		switch q := p.(type) {
		case *BindResp:
			if q.Seq == bind.Seq {
				resp = q
			}
		case *GenericNack:
			if q.Seq == bind.Seq {
				return fail(fmt.Errorf("generic_nack: %w: %w", protocol.ErrAuth, q.Status))
			}
		}
	}
	if resp.Status != StatusOK {
		return fail(fmt.Errorf("%w: %w", protocol.ErrAuth, resp.Status))
	}
	if resp.Cmd != CmdBindTransceiverResp {
		return fail(fmt.Errorf("answered by %s", resp.Cmd))
	}
	nc.SetDeadline(time.Time{})
	c := newConn(nc, t, false)
	c.seq.Store(bind.Seq)
	c.bindCmd = CmdBindTransceiver
	c.peerID = resp.SystemID
	c.onDeliver = cfg.OnDeliver
	c.start(br)
	return c, nil
}

// ServerConfig configures the gateway side of a bind (the SMSC), used by
// tests and by the carrier simulator.
type ServerConfig struct {
	Timing
	// SystemID is written in our bind responses.
	SystemID string
	// Authenticate answers a bind: StatusOK accepts it, any other status
	// refuses it (StatusInvPassword, StatusInvSystemID, StatusBindFail, ...).
	// nil accepts every bind.
	Authenticate func(ctx context.Context, b *Bind) Status
	// OnSubmit answers a submit_sm with a message id and a status; its
	// response is written when it returns. Calls run concurrently, at most
	// Window at once. c is the session, for pushing receipts later (from
	// another goroutine, after OnSubmit has returned). nil accepts every
	// submit with a sequential decimal id.
	OnSubmit func(ctx context.Context, c *Conn, s *Submit) (messageID string, st Status)
	// OnBind is called with each session once bound; Serve closes the
	// session when its ctx ends.
	OnBind func(c *Conn)
}

// NewServerConn reads the bind on an accepted connection, authenticates it
// and answers. It owns nc from then on (closed on failure). A refused bind
// returns an error wrapping protocol.ErrAuth and the Status answered.
func NewServerConn(ctx context.Context, nc net.Conn, cfg ServerConfig) (*Conn, error) {
	t := cfg.Timing.withDefaults()
	stop := context.AfterFunc(ctx, func() { nc.SetDeadline(time.Now()) })
	defer stop()
	nc.SetDeadline(time.Now().Add(t.BindTimeout))
	fail := func(err error) (*Conn, error) {
		nc.Close()
		return nil, fmt.Errorf("smpp: bind from %s: %w", nc.RemoteAddr(), err)
	}
	br := bufio.NewReaderSize(nc, 16<<10)
	var bind *Bind
	for bind == nil {
		p, err := ReadPDU(br)
		if err != nil {
			return fail(err)
		}
		switch q := p.(type) {
		case *Bind:
			bind = q
		case *EnquireLink:
			_, err = nc.Write(Marshal(&EnquireLinkResp{Header{Seq: q.Seq}}))
		default:
			if !p.CommandID().IsResponse() {
				_, err = nc.Write(Marshal(&GenericNack{Header{Status: StatusInvBindStatus, Seq: q.header().Seq}}))
			}
		}
		if err != nil {
			return fail(err)
		}
	}
	st := StatusOK
	if cfg.Authenticate != nil {
		st = cfg.Authenticate(ctx, bind)
	}
	resp := &BindResp{Header: Header{Status: st, Seq: bind.Seq}, Cmd: bind.Cmd.Resp()}
	if st == StatusOK {
		resp.SystemID = cfg.SystemID
	}
	if _, err := nc.Write(Marshal(resp)); err != nil {
		return fail(err)
	}
	if st != StatusOK {
		return fail(fmt.Errorf("%s %q: %w: %w", bind.Cmd, bind.SystemID, protocol.ErrAuth, st))
	}
	nc.SetDeadline(time.Time{})
	c := newConn(nc, t, true)
	c.bindCmd = bind.Cmd
	c.peerID = bind.SystemID
	c.onSubmit = cfg.OnSubmit
	if c.onSubmit == nil {
		var ids atomic.Uint64
		c.onSubmit = func(context.Context, *Conn, *Submit) (string, Status) {
			return strconv.FormatUint(ids.Add(1), 10), StatusOK
		}
	}
	c.start(br)
	return c, nil
}

// Serve accepts connections on l and binds each with NewServerConn, handing
// bound sessions to cfg.OnBind. Failed binds are dropped. When ctx ends it
// closes l, closes every session (gracefully, each within CloseTimeout),
// waits for them and returns ctx's error; if l fails first it returns that
// error after the same clean-up.
func Serve(ctx context.Context, l net.Listener, cfg ServerConfig) error {
	var wg sync.WaitGroup
	quit := make(chan struct{}) // closed when accepting stops
	stop := context.AfterFunc(ctx, func() { l.Close() })
	defer stop()
	var err error
	for {
		nc, aerr := l.Accept()
		if aerr != nil {
			err = aerr
			if ctx.Err() != nil {
				err = ctx.Err()
			}
			break
		}
		wg.Add(1)
		// Each goroutine binds one session and serves it until it ends or
		// ctx ends.
		go func() {
			defer wg.Done()
			c, berr := NewServerConn(ctx, nc, cfg)
			if berr != nil {
				return
			}
			if cfg.OnBind != nil {
				cfg.OnBind(c)
			}
			select {
			case <-c.Done():
			case <-quit:
				c.Close()
			}
		}()
	}
	l.Close()
	close(quit)
	wg.Wait()
	return err
}
