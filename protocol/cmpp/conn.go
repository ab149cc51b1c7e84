package cmpp

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"taxsms/protocol"
)

// Defaults of the session settings, as the CMPP specification recommends
// (§6.1 of both versions).
const (
	DefaultWindow             = 16
	DefaultResponseTimeout    = 60 * time.Second
	DefaultMaxTries           = 3
	DefaultActiveTestInterval = 3 * time.Minute
	DefaultCloseTimeout       = 10 * time.Second
)

// settings are the session parameters shared by both sides.
type settings struct {
	window       int
	timeout      time.Duration
	tries        int
	idle         time.Duration // <0: no ACTIVE_TEST
	closeTimeout time.Duration
	workers      int
	log          *slog.Logger
}

func newSettings(window int, timeout time.Duration, tries int, idle, closeTimeout time.Duration, workers int, log *slog.Logger) settings {
	s := settings{window, timeout, tries, idle, closeTimeout, workers, log}
	if s.window <= 0 {
		s.window = DefaultWindow
	}
	if s.timeout <= 0 {
		s.timeout = DefaultResponseTimeout
	}
	if s.tries <= 0 {
		s.tries = DefaultMaxTries
	}
	if s.idle == 0 {
		s.idle = DefaultActiveTestInterval
	}
	if s.closeTimeout <= 0 {
		s.closeTimeout = DefaultCloseTimeout
	}
	if s.workers <= 0 {
		s.workers = 1
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	return s
}

// Conn is a logged-in CMPP session, client (SP) or server (gateway) side.
// Its methods are safe for concurrent use.
//
// A Conn runs three kinds of goroutine, all ending when the connection goes
// down (Close, TERMINATE from the peer, a read or write error, or
// ACTIVE_TEST unanswered): one reader, one keep-alive timer, and
// Workers handlers that call OnDeliver (client) or OnSubmit (server) and
// write their responses.
type Conn struct {
	nc      net.Conn
	br      *bufio.Reader
	v       Version
	account string
	server  bool
	set     settings

	onDeliver func(ctx context.Context, d *Deliver) error
	onSubmit  func(ctx context.Context, c *Conn, s *Submit) (MsgID, uint32, error)
	msgIDs    *MsgIDGenerator

	seq     atomic.Uint32
	window  chan struct{} // a slot per request awaiting its response
	inbound chan PDU      // SUBMITs (server) or DELIVERs (client) for the workers

	wmu     sync.Mutex // guards bw and wbuf
	bw      *bufio.Writer
	wbuf    []byte
	writers atomic.Int32 // senders between announcing themselves and writing

	calls    sync.Pool // of *call, each with its channel and timer
	answered answered  // recent successful answers to inbound requests

	mu      sync.Mutex
	pending map[uint32]*call
	closing bool
	err     error // why the connection went down; set before done closes

	start    time.Time
	lastRecv atomic.Int64 // time.Since(start) at the last frame read

	done      chan struct{}
	downOnce  sync.Once
	cancel    context.CancelFunc
	wg        sync.WaitGroup
	closeOnce sync.Once
	closeErr  error
}

// call is a request awaiting its response. Calls are pooled: dispatch
// sends on ch only under Conn.mu while the call is pending, and request
// empties ch after removing the call, so a reused call holds nothing stale.
type call struct {
	want  CommandID
	ch    chan PDU
	timer *time.Timer
}

func newConn(nc net.Conn, br *bufio.Reader, v Version, set settings) *Conn {
	c := &Conn{
		nc:      nc,
		br:      br,
		v:       v,
		set:     set,
		window:  make(chan struct{}, set.window),
		inbound: make(chan PDU, set.window),
		bw:      bufio.NewWriterSize(nc, 32<<10),
		pending: make(map[uint32]*call),
		start:   time.Now(),
		done:    make(chan struct{}),
	}
	c.answered.init(max(64, 4*set.window))
	return c
}

// run starts the Conn's goroutines.
func (c *Conn) run() {
	ctx, cancel := context.WithCancel(context.Background())
	c.cancel = cancel
	c.wg.Add(2 + c.set.workers)
	go c.readLoop(ctx)
	go c.keepAlive(ctx)
	for range c.set.workers {
		go c.work(ctx)
	}
}

// Version returns the protocol version of the session.
func (c *Conn) Version() Version { return c.v }

// SourceAddr returns the SP id the session logged in as.
func (c *Conn) SourceAddr() string { return c.account }

// RemoteAddr returns the peer's network address.
func (c *Conn) RemoteAddr() net.Addr { return c.nc.RemoteAddr() }

// Done returns a channel closed when the connection is down; the caller
// redials then.
func (c *Conn) Done() <-chan struct{} { return c.done }

// Err returns nil while the connection is up and, once it is down, why: an
// error wrapping protocol.ErrClosed and the cause.
func (c *Conn) Err() error {
	select {
	case <-c.done:
		c.mu.Lock()
		defer c.mu.Unlock()
		return c.err
	default:
		return nil
	}
}

// down records why the connection ended, closes it and wakes every waiter.
func (c *Conn) down(cause error) {
	c.downOnce.Do(func() {
		c.mu.Lock()
		c.err = fmt.Errorf("%w: %w", protocol.ErrClosed, cause)
		c.mu.Unlock()
		close(c.done)
		if c.cancel != nil {
			c.cancel()
		}
		c.nc.Close()
		c.set.log.Debug("cmpp: connection down", "remote", c.nc.RemoteAddr(), "cause", cause)
	})
}

func (c *Conn) nextSeq() uint32 {
	for {
		if s := c.seq.Add(1); s != 0 {
			return s
		}
	}
}

// send writes p. Concurrent senders share the buffered writer; the last one
// to write flushes, so a burst goes out in few segments.
func (c *Conn) send(p PDU) error {
	c.writers.Add(1)
	c.wmu.Lock()
	c.wbuf = p.AppendMarshal(c.wbuf[:0])
	_, err := c.bw.Write(c.wbuf)
	if c.writers.Add(-1) == 0 && err == nil {
		err = c.bw.Flush()
	}
	c.wmu.Unlock()
	if err != nil {
		c.down(fmt.Errorf("write %v: %w", p.Command(), err))
		return c.Err()
	}
	return nil
}

// request sends p with a new sequence number and waits for its response,
// resending after each response timeout up to the try limit. windowed
// requests hold a window slot and are refused once Close has begun.
func (c *Conn) request(ctx context.Context, p PDU, windowed bool) (PDU, error) {
	if windowed {
		select {
		case c.window <- struct{}{}:
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-c.done:
			return nil, c.Err()
		}
		defer func() { <-c.window }()
	}
	select {
	case <-c.done:
		return nil, c.Err()
	default:
	}
	cl, _ := c.calls.Get().(*call)
	if cl == nil {
		cl = &call{ch: make(chan PDU, 1)}
	}
	cl.want = p.Command() | 0x80000000
	c.mu.Lock()
	if windowed && c.closing {
		c.mu.Unlock()
		c.calls.Put(cl)
		return nil, fmt.Errorf("%v: %w", p.Command(), protocol.ErrClosed)
	}
	seq := c.nextSeq()
	p.setSequence(seq)
	c.pending[seq] = cl
	c.mu.Unlock()
	defer func() {
		c.mu.Lock()
		delete(c.pending, seq)
		c.mu.Unlock()
		if cl.timer != nil {
			cl.timer.Stop()
		}
		select {
		case <-cl.ch:
		default:
		}
		c.calls.Put(cl)
	}()

	for try := 1; ; try++ {
		if err := c.send(p); err != nil {
			return nil, err
		}
		if cl.timer == nil {
			cl.timer = time.NewTimer(c.set.timeout)
		} else {
			cl.timer.Reset(c.set.timeout)
		}
		select {
		case r := <-cl.ch:
			return r, nil
		case <-cl.timer.C:
			if try >= c.set.tries {
				return nil, fmt.Errorf("%v seq %d: no response after %d tries %v apart: %w",
					p.Command(), seq, try, c.set.timeout, protocol.ErrTimeout)
			}
			c.set.log.Info("cmpp: resending", "command", p.Command(), "seq", seq, "try", try+1)
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-c.done:
			select {
			case r := <-cl.ch: // answered just before the peer hung up
				return r, nil
			default:
				return nil, c.Err()
			}
		}
	}
}

// Submit sends s and returns the gateway's response. It waits for a window
// slot, resends after each response timeout and gives up after the try
// limit with an error wrapping protocol.ErrTimeout. A non-zero Result
// returns the response and a *ResultError, which matches
// protocol.ErrThrottled for Result 8: back off and retry later. Once Close
// has begun, or the connection is down, it returns an error wrapping
// protocol.ErrClosed. Submit sets s.Version and s.Seq; s must not change
// until it returns. Only a client Conn submits.
func (c *Conn) Submit(ctx context.Context, s *Submit) (*SubmitResp, error) {
	if c.server {
		return nil, errors.New("cmpp: submit on a gateway-side Conn")
	}
	s.Version = c.v
	if err := s.Validate(); err != nil {
		return nil, err
	}
	r, err := c.request(ctx, s, true)
	if err != nil {
		return nil, fmt.Errorf("cmpp submit: %w", err)
	}
	resp := r.(*SubmitResp)
	if resp.Result != ResultOK {
		return resp, fmt.Errorf("cmpp submit: %w", &ResultError{Command: CmdSubmitResp, Code: resp.Result})
	}
	return resp, nil
}

// Deliver pushes d (an MO message or a status report) to the logged-in SP
// and returns its response, with the windowing, resends and errors of
// Submit. A zero d.MsgID is filled from the server's MsgIDGenerator.
// Deliver sets d.Version and d.Seq. Only a server Conn delivers.
func (c *Conn) Deliver(ctx context.Context, d *Deliver) (*DeliverResp, error) {
	if !c.server {
		return nil, errors.New("cmpp: deliver on an SP-side Conn")
	}
	d.Version = c.v
	if d.MsgID == 0 {
		d.MsgID = c.msgIDs.Next()
	}
	if err := d.Validate(); err != nil {
		return nil, err
	}
	r, err := c.request(ctx, d, true)
	if err != nil {
		return nil, fmt.Errorf("cmpp deliver: %w", err)
	}
	resp := r.(*DeliverResp)
	if resp.Result != ResultOK {
		return resp, fmt.Errorf("cmpp deliver: %w", &ResultError{Command: CmdDeliverResp, Code: resp.Result})
	}
	return resp, nil
}

// Close stops taking new requests, waits (up to CloseTimeout) for the
// requests in the window to be answered, sends TERMINATE and waits for its
// response within what remains of CloseTimeout, then closes the connection
// and waits for the Conn's goroutines. It returns nil after a clean
// shutdown, and an error when the window did not drain or TERMINATE went
// unanswered. It must not be called from OnDeliver or OnSubmit. Close is
// idempotent.
func (c *Conn) Close() error {
	c.closeOnce.Do(func() {
		c.mu.Lock()
		c.closing = true
		c.mu.Unlock()
		ctx, cancel := context.WithTimeout(context.Background(), c.set.closeTimeout)
		defer cancel()
		var errs []error
		inFlight := 0
	drain:
		for i := range cap(c.window) {
			select {
			case c.window <- struct{}{}:
			case <-ctx.Done():
				inFlight = cap(c.window) - i
				errs = append(errs, fmt.Errorf("cmpp close: %d requests unanswered after %v", inFlight, c.set.closeTimeout))
				break drain
			case <-c.done:
				break drain
			}
		}
		if c.Err() == nil {
			if _, err := c.request(ctx, &Terminate{}, false); err != nil {
				errs = append(errs, fmt.Errorf("cmpp close: terminate: %w", err))
			}
		}
		c.down(errors.New("closed by this side"))
		c.wg.Wait()
		c.closeErr = errors.Join(errs...)
	})
	return c.closeErr
}

// readLoop reads frames until the connection goes down.
func (c *Conn) readLoop(ctx context.Context) {
	defer c.wg.Done()
	var buf []byte
	for {
		frame, err := ReadFrame(c.br, buf)
		if err != nil {
			c.down(fmt.Errorf("read: %w", err))
			return
		}
		buf = frame
		c.lastRecv.Store(int64(time.Since(c.start)))
		h, _ := ParseHeader(frame) // ReadFrame checked the length
		if h.Command.IsResponse() {
			c.dispatch(h, frame)
			continue
		}
		switch h.Command {
		case CmdActiveTest:
			c.send(&ActiveTestResp{Seq: h.Seq})
		case CmdTerminate:
			c.send(&TerminateResp{Seq: h.Seq})
			c.down(errors.New("TERMINATE from the peer"))
			return
		case CmdSubmit, CmdDeliver:
			if (h.Command == CmdSubmit) != c.server {
				c.set.log.Warn("cmpp: request in the wrong direction ignored", "command", h.Command, "seq", h.Seq)
				continue
			}
			p, err := Parse(c.v, frame)
			if err != nil {
				c.set.log.Warn("cmpp: malformed request", "err", err)
				c.answer(new(SubmitResp), new(DeliverResp), h.Command, h.Seq, 0, ResultBadStructure)
				continue
			}
			switch p := p.(type) {
			case *Submit:
				p.Content = bytes.Clone(p.Content) // frame is reused
			case *Deliver:
				p.Content = bytes.Clone(p.Content)
			}
			select {
			case c.inbound <- p:
			case <-ctx.Done():
				return
			}
		default:
			c.set.log.Warn("cmpp: unsupported command ignored", "command", h.Command, "seq", h.Seq)
		}
	}
}

// dispatch hands a response to the request waiting for it.
func (c *Conn) dispatch(h Header, frame []byte) {
	p, err := Parse(c.v, frame)
	if err != nil {
		c.set.log.Warn("cmpp: malformed response ignored", "err", err)
		return
	}
	c.mu.Lock()
	cl := c.pending[h.Seq]
	matched := cl != nil && cl.want == h.Command
	if matched {
		select {
		case cl.ch <- p:
		default: // a duplicate answer to a resent request
		}
	}
	c.mu.Unlock()
	if !matched {
		c.set.log.Info("cmpp: unexpected response ignored", "command", h.Command, "seq", h.Seq)
	}
}

// answer writes the response to a SUBMIT or DELIVER, using the caller's
// scratch responses.
func (c *Conn) answer(sr *SubmitResp, dr *DeliverResp, cmd CommandID, seq uint32, id MsgID, result uint32) {
	r := response{Version: c.v, Seq: seq, MsgID: id, Result: result}
	if cmd == CmdSubmit {
		sr.response = r
		c.send(sr)
	} else {
		dr.response = r
		c.send(dr)
	}
}

// work handles inbound SUBMITs or DELIVERs until ctx is cancelled.
func (c *Conn) work(ctx context.Context) {
	defer c.wg.Done()
	var sr SubmitResp // scratch: send marshals before returning
	var dr DeliverResp
	for {
		var p PDU
		select {
		case p = <-c.inbound:
		case <-ctx.Done():
			return
		}
		switch p := p.(type) {
		case *Deliver:
			if a, ok := c.answered.lookup(p.Seq, p.MsgID); ok {
				c.set.log.Info("cmpp: resent DELIVER answered again", "seq", p.Seq, "msg_id", p.MsgID)
				c.answer(&sr, &dr, CmdDeliver, p.Seq, a.respID, ResultOK)
				continue
			}
			result := ResultOK
			if c.onDeliver != nil {
				if err := c.onDeliver(ctx, p); err != nil {
					result = ResultOther
					var re *ResultError
					if errors.As(err, &re) {
						result = re.Code
					}
					c.set.log.Warn("cmpp: deliver refused", "msg_id", p.MsgID, "result", result, "err", err)
				}
			}
			if result == ResultOK {
				c.answered.store(p.Seq, answer{reqID: p.MsgID, respID: p.MsgID})
			}
			c.answer(&sr, &dr, CmdDeliver, p.Seq, p.MsgID, result)
		case *Submit:
			if a, ok := c.answered.lookup(p.Seq, p.MsgID); ok {
				c.set.log.Info("cmpp: resent SUBMIT answered again", "seq", p.Seq, "msg_id", a.respID)
				c.answer(&sr, &dr, CmdSubmit, p.Seq, a.respID, ResultOK)
				continue
			}
			id, result, err := c.onSubmit(ctx, c, p)
			if err != nil {
				c.set.log.Info("cmpp: submit left unanswered", "seq", p.Seq, "err", err)
				continue
			}
			if result == ResultOK {
				c.answered.store(p.Seq, answer{reqID: p.MsgID, respID: id})
			}
			c.answer(&sr, &dr, CmdSubmit, p.Seq, id, result)
		}
	}
}

// answered remembers the last successful answers to inbound SUBMITs or
// DELIVERs, so that a request resent after a lost response (same
// Sequence_Id and Msg_Id) is answered again, with the same Msg_Id, without
// being handled twice.
type answered struct {
	mu   sync.Mutex
	m    map[uint32]answer
	ring []uint32 // sequence numbers in m, oldest overwritten first
	next int
}

type answer struct{ reqID, respID MsgID }

func (a *answered) init(n int) {
	a.m = make(map[uint32]answer, n)
	a.ring = make([]uint32, 0, n)
}

func (a *answered) lookup(seq uint32, reqID MsgID) (answer, bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	x, ok := a.m[seq]
	return x, ok && x.reqID == reqID
}

func (a *answered) store(seq uint32, x answer) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if _, ok := a.m[seq]; !ok {
		if len(a.ring) < cap(a.ring) {
			a.ring = append(a.ring, seq)
		} else {
			delete(a.m, a.ring[a.next])
			a.ring[a.next] = seq
			a.next = (a.next + 1) % len(a.ring)
		}
	}
	a.m[seq] = x
}

// keepAlive sends ACTIVE_TEST when nothing has been read for the idle
// interval and takes the connection down when it goes unanswered after every
// try. It ends when ctx is cancelled.
func (c *Conn) keepAlive(ctx context.Context) {
	defer c.wg.Done()
	if c.set.idle < 0 {
		return
	}
	t := time.NewTimer(c.set.idle)
	defer t.Stop()
	for {
		select {
		case <-t.C:
		case <-ctx.Done():
			return
		}
		quiet := time.Since(c.start) - time.Duration(c.lastRecv.Load())
		if quiet < c.set.idle {
			t.Reset(c.set.idle - quiet)
			continue
		}
		if _, err := c.request(ctx, &ActiveTest{}, false); err != nil {
			if ctx.Err() == nil {
				c.down(fmt.Errorf("keep-alive: %w", err))
			}
			return
		}
		t.Reset(c.set.idle)
	}
}
