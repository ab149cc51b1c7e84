package sgip

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"taxsms/protocol"
)

// ClientConfig configures a dialled link: the side that binds and then sends
// requests. The SP dials the SMG with LoginSPToSMG to submit; a gateway (the
// simulator) dials the SP's listener with LoginSMGToSP to push Deliver and
// Report. Zero fields take the defaults named below.
type ClientConfig struct {
	LoginType     uint8  // default LoginSPToSMG
	LoginName     string // at most 16 bytes
	LoginPassword string // at most 16 bytes, sent in plain text
	// NodeID is the Node of every Seq we write: for an SP, 3AAAAQQQQQ (see
	// NodeID), as agreed with the carrier.
	NodeID uint32
	// Window is the most requests awaiting a response; default 16. The spec
	// allows at most 32.
	Window int
	// ResponseTimeout is how long to wait for a response before resending;
	// default 30 s, the spec's limit.
	ResponseTimeout time.Duration
	// Resends is how many times a request is resent after the first send;
	// default 3, negative for none.
	Resends int
	// IdleTimeout closes the link (with Unbind) after this long without a
	// request; default 50 s, negative for never. SGIP has no keep-alive.
	IdleTimeout time.Duration
	// CloseTimeout bounds Close's wait for requests in flight and for the
	// Unbind response; default ResponseTimeout.
	CloseTimeout time.Duration
	// NextSeq, if set, gives the Number of each Seq; by default the Conn
	// counts from 0. Links of one node open in the same second need
	// disjoint numbers, or their message ids collide.
	NextSeq func() uint32
	// Now is the clock for Seq times and idle decisions; default time.Now.
	// Seq times are MMDDHHMMSS in the location of the times it returns.
	Now func() time.Time
}

func (cfg ClientConfig) withDefaults() ClientConfig {
	if cfg.LoginType == 0 {
		cfg.LoginType = LoginSPToSMG
	}
	if cfg.Window <= 0 {
		cfg.Window = DefaultWindow
	}
	if cfg.ResponseTimeout <= 0 {
		cfg.ResponseTimeout = DefaultResponseTimeout
	}
	if cfg.Resends == 0 {
		cfg.Resends = DefaultResends
	} else if cfg.Resends < 0 {
		cfg.Resends = 0
	}
	if cfg.IdleTimeout == 0 {
		cfg.IdleTimeout = DefaultClientIdle
	}
	if cfg.CloseTimeout <= 0 {
		cfg.CloseTimeout = cfg.ResponseTimeout
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return cfg
}

// Dial connects to addr and binds with cfg. It returns an error wrapping
// protocol.ErrAuth and a *StatusError when the peer refuses the Bind,
// protocol.ErrTimeout when no Bind_Resp comes within cfg.ResponseTimeout, or
// the dial or ctx error.
func Dial(ctx context.Context, addr string, cfg ClientConfig) (*Conn, error) {
	var d net.Dialer
	nc, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("sgip dial %s: %w", addr, err)
	}
	return NewClientConn(ctx, nc, cfg)
}

// NewClientConn binds over an established connection nc, as Dial does, and
// takes ownership of nc: it is closed on error and by Close.
func NewClientConn(ctx context.Context, nc net.Conn, cfg ClientConfig) (*Conn, error) {
	cfg = cfg.withDefaults()
	bind := &Bind{LoginType: cfg.LoginType, LoginName: cfg.LoginName, LoginPassword: cfg.LoginPassword}
	if err := bind.Validate(); err != nil {
		nc.Close()
		return nil, err
	}
	c := &Conn{
		nc:           nc,
		br:           bufio.NewReaderSize(nc, 4096),
		bind:         bind,
		dialled:      true,
		now:          cfg.Now,
		node:         cfg.NodeID,
		nextSeq:      cfg.NextSeq,
		window:       make(chan struct{}, cfg.Window),
		timeout:      cfg.ResponseTimeout,
		resends:      cfg.Resends,
		idle:         cfg.IdleTimeout,
		closeTimeout: cfg.CloseTimeout,
		pending:      make(map[Seq]chan PDU),
		done:         make(chan struct{}),
	}
	if err := c.login(ctx); err != nil {
		nc.Close()
		return nil, err
	}
	c.lastActive = c.now()
	c.wg.Add(1)
	go c.readLoop()
	if c.idle > 0 {
		c.wg.Add(1)
		go c.idleLoop()
	}
	return c, nil
}

// login sends the Bind and reads its response before the reader starts.
func (c *Conn) login(ctx context.Context) error {
	addr := c.nc.RemoteAddr()
	c.counter++
	n := c.counter - 1
	if c.nextSeq != nil {
		n = c.nextSeq()
	}
	c.bind.Seq = Seq{Node: c.node, Time: SeqTime(c.now()), Number: n}
	deadline := time.Now().Add(c.timeout)
	if d, ok := ctx.Deadline(); ok && d.Before(deadline) {
		deadline = d
	}
	c.nc.SetDeadline(deadline)
	stop := context.AfterFunc(ctx, func() { c.nc.SetDeadline(time.Unix(1, 0)) })
	defer stop()
	if _, err := c.nc.Write(c.bind.AppendMarshal(nil)); err != nil {
		return fmt.Errorf("sgip bind %s: %w", addr, ctxErr(ctx, err))
	}
	frame, err := ReadFrame(c.br)
	if err != nil {
		return fmt.Errorf("sgip bind %s: %w", addr, ctxErr(ctx, err))
	}
	p, err := Parse(frame)
	if err != nil {
		return fmt.Errorf("sgip bind %s: %w", addr, err)
	}
	resp, ok := p.(*BindResp)
	if !ok || resp.Seq != c.bind.Seq {
		return fmt.Errorf("sgip bind %s: got %s %s, want SGIP_BIND_RESP %s: %w", addr, p.Command(), p.Sequence(), c.bind.Seq, ErrMalformed)
	}
	if resp.Result != ResultOK {
		return fmt.Errorf("sgip bind %s as %q: %w: %w", addr, c.bind.LoginName, protocol.ErrAuth, &StatusError{Command: CmdBindResp, Result: resp.Result})
	}
	c.nc.SetDeadline(time.Time{})
	return nil
}

// ctxErr prefers ctx's error, and names a deadline timeout ErrTimeout.
func ctxErr(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return ctx.Err()
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return fmt.Errorf("%w: %w", protocol.ErrTimeout, err)
	}
	return err
}

// Client is a dialled link that opens itself on demand: SGIP links are closed
// when idle, so the first request after that (or after a drop) dials and
// binds again. It numbers Seqs with one counter across its links, so their
// ids do not repeat within a second. Its methods are safe for concurrent use.
type Client struct {
	addr string
	cfg  ClientConfig
	seq  atomic.Uint32

	mu     sync.Mutex
	conn   *Conn
	closed bool
}

// NewClient returns a Client for addr; it does not dial until the first
// request.
func NewClient(addr string, cfg ClientConfig) *Client {
	c := &Client{addr: addr, cfg: cfg}
	if c.cfg.NextSeq == nil {
		c.cfg.NextSeq = func() uint32 { return c.seq.Add(1) - 1 }
	}
	return c
}

// Conn returns the current link, dialling and binding if there is none or it
// is down. It returns protocol.ErrClosed after Close, or Dial's error.
func (c *Client) Conn(ctx context.Context) (*Conn, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return nil, fmt.Errorf("sgip client %s: %w", c.addr, protocol.ErrClosed)
	}
	if c.conn != nil {
		if c.conn.usable() {
			return c.conn, nil
		}
		// Down, or closing (idle): it ends by itself; use a new link.
		c.conn = nil
	}
	conn, err := Dial(ctx, c.addr, c.cfg)
	if err != nil {
		return nil, err
	}
	c.conn = conn
	return conn, nil
}

// Submit sends p on the current link (see Conn.Submit), dialling first when
// needed. If the link went down before p was written, it dials once more and
// sends p there; a drop after p was written is returned to the caller, who
// cannot know whether the SMG took it.
func (c *Client) Submit(ctx context.Context, p *Submit) (*SubmitResp, error) {
	return retry(ctx, c, func(conn *Conn) (*SubmitResp, error) { return conn.Submit(ctx, p) })
}

// Deliver sends p as Submit does (a gateway's Client to an SP listener).
func (c *Client) Deliver(ctx context.Context, p *Deliver) (*DeliverResp, error) {
	return retry(ctx, c, func(conn *Conn) (*DeliverResp, error) { return conn.Deliver(ctx, p) })
}

// Report sends p as Submit does (a gateway's Client to an SP listener).
func (c *Client) Report(ctx context.Context, p *Report) (*ReportResp, error) {
	return retry(ctx, c, func(conn *Conn) (*ReportResp, error) { return conn.Report(ctx, p) })
}

func retry[R any](ctx context.Context, c *Client, f func(*Conn) (R, error)) (R, error) {
	for attempt := 0; ; attempt++ {
		conn, err := c.Conn(ctx)
		if err != nil {
			var zero R
			return zero, err
		}
		r, err := f(conn)
		var ns notSent
		if attempt == 0 && errors.As(err, &ns) {
			continue
		}
		return r, err
	}
}

// Close closes the current link (see Conn.Close) and makes every later
// request fail with protocol.ErrClosed.
func (c *Client) Close() error {
	c.mu.Lock()
	conn := c.conn
	c.conn, c.closed = nil, true
	c.mu.Unlock()
	if conn != nil {
		return conn.Close()
	}
	return nil
}
