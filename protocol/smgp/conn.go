package smgp

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"taxsms/protocol"
)

// Settings are the session parameters both sides share. Zero values take
// the spec's defaults.
type Settings struct {
	// Window is how many Submit (client) or Deliver (server) requests may
	// await their response at once; default 16.
	Window int
	// ResponseTimeout is T, how long to wait for a response before resending;
	// default 60 s.
	ResponseTimeout time.Duration
	// Retries is N, how many times a request is resent after the first send
	// before the call fails with protocol.ErrTimeout; default 3, negative for
	// none. A resend keeps the SequenceID, so a late answer still counts.
	Retries int
	// IdleTimeout is C: after this long without receiving anything the Conn
	// sends Active_Test, and closes when that goes unanswered after the
	// resends. Default 3 min; negative disables.
	IdleTimeout time.Duration
	// DrainTimeout bounds Close: the wait for outstanding requests plus the
	// Exit exchange. Default 10 s.
	DrainTimeout time.Duration
	// ThrottleBackoff is how long new requests are held after a throttle
	// answer (see Status.Throttled). Default 1 s; negative disables.
	ThrottleBackoff time.Duration
	// Now is the wall clock for Login timestamps and generated MsgIDs;
	// default time.Now. Timeouts use the monotonic clock.
	Now func() time.Time
}

func (s Settings) withDefaults() Settings {
	if s.Window <= 0 {
		s.Window = 16
	}
	if s.ResponseTimeout <= 0 {
		s.ResponseTimeout = 60 * time.Second
	}
	if s.Retries == 0 {
		s.Retries = 3
	} else if s.Retries < 0 {
		s.Retries = 0
	}
	if s.IdleTimeout == 0 {
		s.IdleTimeout = 3 * time.Minute
	}
	if s.DrainTimeout <= 0 {
		s.DrainTimeout = 10 * time.Second
	}
	if s.ThrottleBackoff == 0 {
		s.ThrottleBackoff = time.Second
	}
	if s.Now == nil {
		s.Now = time.Now
	}
	return s
}

// maxBuffered is how many unsent bytes a writer may queue before it waits.
const maxBuffered = 256 << 10

// Conn is a logged-in SMGP session, client (SP) or server (gateway) side.
// Its methods are safe for concurrent use.
//
// A Conn runs four goroutines, all ending when it closes: the reader, the
// handler of inbound Submit/Deliver requests (called in arrival order, one at
// a time), the writer, which batches packets into few writes, and the
// keep-alive.
type Conn struct {
	nc       net.Conn
	server   bool
	s        Settings
	clientID string
	mode     LoginMode
	version  Version // the client's version: the Submit layout

	onDeliver func(context.Context, *Deliver) error
	onSubmit  func(context.Context, *Conn, *Submit) (MsgID, Status, error)
	ids       *MsgIDGenerator

	ctx    context.Context // given to handlers; cancelled when the Conn closes
	cancel context.CancelFunc

	seq    atomic.Uint32
	window chan struct{}
	r      *Reader

	mu         sync.Mutex
	pending    map[uint32]*call
	closing    bool
	pauseUntil time.Time
	inflight   sync.WaitGroup // public calls in progress; Close waits for them

	wmu   sync.Mutex
	wcond *sync.Cond
	wbuf  []byte
	werr  error
	kick  chan struct{}

	inbound  chan PDU
	lastRecv atomic.Int64 // time.Now().UnixNano() of the last packet read

	done      chan struct{}
	closeOnce sync.Once
	err       error // why the Conn closed; set before done is closed
	wg        sync.WaitGroup
}

type call struct {
	want Command // the response expected
	ch   chan PDU
}

func newConn(nc net.Conn, s Settings, server bool) *Conn {
	c := &Conn{
		nc:      nc,
		server:  server,
		s:       s,
		window:  make(chan struct{}, s.Window),
		r:       NewReader(bufio.NewReaderSize(nc, 16<<10)),
		pending: make(map[uint32]*call),
		kick:    make(chan struct{}, 1),
		inbound: make(chan PDU, 64),
		done:    make(chan struct{}),
	}
	c.wcond = sync.NewCond(&c.wmu)
	c.ctx, c.cancel = context.WithCancel(context.Background())
	return c
}

// start runs the session goroutines after a successful login.
func (c *Conn) start() {
	c.lastRecv.Store(time.Now().UnixNano())
	c.wg.Add(4)
	go c.readLoop()
	go c.handleLoop()
	go c.writeLoop()
	go c.keepAlive()
}

// String names the side, account and addresses, for errors and logs.
func (c *Conn) String() string {
	side := "client"
	if c.server {
		side = "server"
	}
	return fmt.Sprintf("smgp %s %q %v→%v", side, c.clientID, c.nc.LocalAddr(), c.nc.RemoteAddr())
}

// ClientID returns the account the session logged in as.
func (c *Conn) ClientID() string { return c.clientID }

// LoginMode returns the mode the client asked for at login.
func (c *Conn) LoginMode() LoginMode { return c.mode }

// Version returns the client's protocol version (V30 or V13).
func (c *Conn) Version() Version { return c.version }

// RemoteAddr returns the peer's address.
func (c *Conn) RemoteAddr() net.Addr { return c.nc.RemoteAddr() }

// Done is closed when the session has ended, whatever the reason.
func (c *Conn) Done() <-chan struct{} { return c.done }

// Err returns why the session ended (nil while it runs). It wraps
// protocol.ErrClosed, and the cause when the connection failed (io.EOF
// for a peer that hung up, protocol.ErrTimeout for unanswered Active_Tests).
func (c *Conn) Err() error {
	select {
	case <-c.done:
		return c.err
	default:
		return nil
	}
}

// closeWith ends the session with cause (once): calls in progress fail, the
// writer flushes what is queued within a second and closes the connection.
func (c *Conn) closeWith(cause error) {
	c.closeOnce.Do(func() {
		if errors.Is(cause, protocol.ErrClosed) {
			c.err = cause
		} else {
			c.err = fmt.Errorf("%w: %v (state open): %w", protocol.ErrClosed, c, cause)
		}
		c.mu.Lock()
		c.closing = true
		c.mu.Unlock()
		c.wmu.Lock()
		if c.werr == nil {
			c.werr = c.err
		}
		c.wcond.Broadcast()
		c.wmu.Unlock()
		c.cancel()
		close(c.done)
		c.nc.SetReadDeadline(time.Now())
		c.nc.SetWriteDeadline(time.Now().Add(time.Second))
	})
}

// write queues one packet with the given SequenceID.
func (c *Conn) write(p PDU, seq uint32) error {
	c.wmu.Lock()
	for len(c.wbuf) > maxBuffered && c.werr == nil {
		c.wcond.Wait()
	}
	if err := c.werr; err != nil {
		c.wmu.Unlock()
		return err
	}
	c.wbuf = p.appendSeq(c.wbuf, seq)
	c.wmu.Unlock()
	select {
	case c.kick <- struct{}{}:
	default:
	}
	return nil
}

// writeLoop sends queued packets. It ends when the Conn closes, after one
// last flush bounded by a second, and closes the connection.
func (c *Conn) writeLoop() {
	defer c.wg.Done()
	defer c.nc.Close()
	var spare []byte
	for {
		closing := false
		select {
		case <-c.kick:
		case <-c.done:
			closing = true
		}
		c.wmu.Lock()
		out := c.wbuf
		c.wbuf = spare[:0]
		c.wcond.Broadcast()
		c.wmu.Unlock()
		if len(out) > 0 {
			d := c.s.ResponseTimeout
			if closing {
				d = time.Second
			}
			c.nc.SetWriteDeadline(time.Now().Add(d))
			if _, err := c.nc.Write(out); err != nil {
				c.closeWith(fmt.Errorf("write: %w", err))
				return
			}
		}
		if closing {
			return
		}
		spare = out
	}
}

// readLoop reads and dispatches packets. It ends when the connection fails
// or the Conn closes.
func (c *Conn) readLoop() {
	defer c.wg.Done()
	for {
		b, err := c.r.ReadFrame()
		if err != nil {
			if errors.Is(err, io.EOF) {
				err = io.EOF
			}
			c.closeWith(fmt.Errorf("read: %w", err))
			return
		}
		c.lastRecv.Store(time.Now().UnixNano())
		p, err := ParseVersion(b, c.version)
		if err != nil {
			c.badPacket(b)
			continue
		}
		switch p := p.(type) {
		case *ActiveTest:
			c.write(&ActiveTestResp{}, p.SequenceID)
		case *Exit:
			c.write(&ExitResp{}, p.SequenceID)
			c.closeWith(errors.New("peer sent Exit"))
			return
		case *Submit, *Deliver:
			select {
			case c.inbound <- p:
			case <-c.done:
				return
			}
		default:
			c.mu.Lock()
			cl := c.pending[p.Seq()]
			if cl != nil && cl.want == p.Command() {
				delete(c.pending, p.Seq())
			} else {
				cl = nil
			}
			c.mu.Unlock()
			if cl != nil {
				cl.ch <- p
			}
		}
	}
}

// badPacket answers a malformed Submit or Deliver with status 10 so the
// peer does not wait for it; anything else malformed is dropped.
func (c *Conn) badPacket(b []byte) {
	if len(b) < HeaderLen {
		return
	}
	seq := uint32(b[8])<<24 | uint32(b[9])<<16 | uint32(b[10])<<8 | uint32(b[11])
	switch Command(uint32(b[4])<<24 | uint32(b[5])<<16 | uint32(b[6])<<8 | uint32(b[7])) {
	case CmdSubmit:
		c.write(&SubmitResp{Status: StatusBadStructure}, seq)
	case CmdDeliver:
		c.write(&DeliverResp{Status: StatusBadStructure}, seq)
	}
}

// handleLoop runs the handlers of inbound requests. It ends when the Conn
// closes.
func (c *Conn) handleLoop() {
	defer c.wg.Done()
	for {
		select {
		case p := <-c.inbound:
			c.handle(p)
		case <-c.done:
			return
		}
	}
}

func (c *Conn) handle(p PDU) {
	switch p := p.(type) {
	case *Deliver:
		st := StatusOK
		if c.server {
			st = StatusBadCommand
		} else if c.onDeliver != nil {
			if err := c.onDeliver(c.ctx, p); err != nil {
				st = StatusBusy
				var se *StatusError
				if errors.As(err, &se) {
					st = se.Status
				}
			}
		}
		c.write(&DeliverResp{MsgID: p.MsgID, Status: st}, p.SequenceID)
	case *Submit:
		if !c.server {
			c.write(&SubmitResp{Status: StatusBadCommand}, p.SequenceID)
			return
		}
		var id MsgID
		st := StatusOK
		if c.onSubmit != nil {
			var err error
			if id, st, err = c.onSubmit(c.ctx, c, p); err != nil {
				return // no answer: the client resends
			}
		}
		if id.IsZero() && st == StatusOK {
			id = c.ids.Next()
		}
		c.write(&SubmitResp{MsgID: id, Status: st}, p.SequenceID)
	}
}

// keepAlive sends Active_Test after IdleTimeout without traffic and closes
// the Conn when it goes unanswered. It ends when the Conn closes.
func (c *Conn) keepAlive() {
	defer c.wg.Done()
	if c.s.IdleTimeout < 0 {
		return
	}
	t := time.NewTimer(c.s.IdleTimeout)
	defer t.Stop()
	for {
		select {
		case <-t.C:
		case <-c.done:
			return
		}
		idle := time.Since(time.Unix(0, c.lastRecv.Load()))
		if idle < c.s.IdleTimeout {
			t.Reset(c.s.IdleTimeout - idle)
			continue
		}
		if _, err := c.roundTrip(c.ctx, &ActiveTest{}); err != nil {
			if errors.Is(err, protocol.ErrTimeout) {
				c.closeWith(fmt.Errorf("Active_Test: %w", err))
			}
			return
		}
		t.Reset(c.s.IdleTimeout)
	}
}

// begin admits a public call unless the Conn is closing; end must follow.
func (c *Conn) begin() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closing {
		if err := c.Err(); err != nil {
			return err
		}
		return fmt.Errorf("%w: %v is closing", protocol.ErrClosed, c)
	}
	c.inflight.Add(1)
	return nil
}

// windowed sends req within the window, after any throttle pause.
func (c *Conn) windowed(ctx context.Context, req PDU) (PDU, error) {
	if err := c.begin(); err != nil {
		return nil, err
	}
	defer c.inflight.Done()
	for {
		c.mu.Lock()
		wait := time.Until(c.pauseUntil)
		c.mu.Unlock()
		if wait <= 0 {
			break
		}
		t := time.NewTimer(wait)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return nil, ctx.Err()
		case <-c.done:
			t.Stop()
			return nil, c.err
		}
	}
	select {
	case c.window <- struct{}{}:
	case <-ctx.Done():
		return nil, fmt.Errorf("%v: waiting for a window slot: %w", c, ctx.Err())
	case <-c.done:
		return nil, c.err
	}
	defer func() { <-c.window }()
	return c.roundTrip(ctx, req)
}

// throttled holds new requests for ThrottleBackoff.
func (c *Conn) throttled() {
	if c.s.ThrottleBackoff <= 0 {
		return
	}
	c.mu.Lock()
	c.pauseUntil = time.Now().Add(c.s.ThrottleBackoff)
	c.mu.Unlock()
}

// roundTrip sends req with a new SequenceID and waits for its response,
// resending on timeout.
func (c *Conn) roundTrip(ctx context.Context, req PDU) (PDU, error) {
	seq := c.seq.Add(1)
	cl := &call{want: req.Command() | 0x80000000, ch: make(chan PDU, 1)}
	c.mu.Lock()
	c.pending[seq] = cl
	c.mu.Unlock()
	defer func() {
		c.mu.Lock()
		delete(c.pending, seq)
		c.mu.Unlock()
	}()
	t := time.NewTimer(c.s.ResponseTimeout)
	defer t.Stop()
	for attempt := 0; ; attempt++ {
		if err := c.write(req, seq); err != nil {
			return nil, err
		}
		t.Reset(c.s.ResponseTimeout)
		select {
		case p := <-cl.ch:
			return p, nil
		case <-t.C:
			if attempt >= c.s.Retries {
				return nil, fmt.Errorf("%v: %v seq %d unanswered after %d sends: %w", c, req.Command(), seq, attempt+1, protocol.ErrTimeout)
			}
		case <-ctx.Done():
			return nil, fmt.Errorf("%v: %v seq %d: %w", c, req.Command(), seq, ctx.Err())
		case <-c.done:
			return nil, c.err
		}
	}
}

// Close ends the session gracefully: it stops taking requests, waits for
// those outstanding (at most DrainTimeout, shared with the rest), sends Exit
// and waits for Exit_Resp, then closes the connection and waits for the
// Conn's goroutines. It returns an error when requests were still
// outstanding at the deadline (they fail with protocol.ErrClosed). Calling it
// again, or after the peer hung up, returns nil.
func (c *Conn) Close() error {
	c.mu.Lock()
	already := c.closing
	c.closing = true
	c.mu.Unlock()
	if already {
		<-c.done
		c.wg.Wait()
		return nil
	}
	deadline := time.Now().Add(c.s.DrainTimeout)
	drained := make(chan struct{})
	go func() { // ends when every call has returned, at the latest when the Conn closes
		c.inflight.Wait()
		close(drained)
	}()
	var err error
	t := time.NewTimer(time.Until(deadline))
	defer t.Stop()
	select {
	case <-drained:
	case <-c.done:
	case <-t.C:
		err = fmt.Errorf("%v: close: requests still outstanding after %v", c, c.s.DrainTimeout)
	}
	select {
	case <-c.done:
	default:
		exitBy := deadline
		if soon := time.Now().Add(100 * time.Millisecond); exitBy.Before(soon) {
			exitBy = soon
		}
		ctx, cancel := context.WithDeadline(context.Background(), exitBy)
		c.roundTrip(ctx, &Exit{})
		cancel()
	}
	c.closeWith(fmt.Errorf("%w: %v closed", protocol.ErrClosed, c))
	c.wg.Wait()
	return err
}

// Deliver pushes an MO message or status report to the client (server side
// only) within the window, resending on timeout like Submit. A Deliver_Resp
// with a non-zero status returns it with a *StatusError.
func (c *Conn) Deliver(ctx context.Context, d *Deliver) (*DeliverResp, error) {
	if !c.server {
		return nil, fmt.Errorf("%v: Deliver is sent by the gateway side", c)
	}
	p, err := c.windowed(ctx, d)
	if err != nil {
		return nil, err
	}
	resp := p.(*DeliverResp)
	if resp.Status != StatusOK {
		if resp.Status.Throttled() {
			c.throttled()
		}
		return resp, &StatusError{Command: CmdDeliverResp, Status: resp.Status}
	}
	return resp, nil
}
