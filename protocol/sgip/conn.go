package sgip

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"sync"
	"time"

	"taxsms/protocol"
)

// Defaults of ClientConfig and ServerConfig.
const (
	DefaultWindow          = 16               // requests awaiting a response on a dialled link
	DefaultServerWindow    = 32               // requests handled at once on a served link (the spec's limit)
	DefaultResponseTimeout = 30 * time.Second // the spec's response time [SGIP 1.2 §3.7.2]
	DefaultResends         = 3
	DefaultClientIdle      = 50 * time.Second // below the SMG's 60 s, so we Unbind before it drops us
	DefaultServerIdle      = 60 * time.Second // the spec's default idle drop
)

// StatusError is a response whose Result is not ResultOK. errors.Is(err,
// protocol.ErrThrottled) holds for ResultBusy (11) and ResultOverSpeed (88):
// the request did not fail, the peer asks us to slow down.
type StatusError struct {
	Command CommandID // the response's command
	Result  uint8
}

// Error names the command, the result code and its meaning.
func (e *StatusError) Error() string {
	return fmt.Sprintf("sgip: %s result %d (%s)", e.Command, e.Result, ResultText(e.Result))
}

// Is reports whether the result is a throttle answer and target is
// protocol.ErrThrottled.
func (e *StatusError) Is(target error) bool {
	return target == protocol.ErrThrottled && (e.Result == ResultBusy || e.Result == ResultOverSpeed)
}

// ResultText returns the spec's meaning of a result or report error code.
func ResultText(r uint8) string {
	switch r {
	case ResultOK:
		return "OK"
	case ResultIllegalLogin:
		return "illegal login"
	case ResultRepeatedLogin:
		return "repeated login"
	case ResultTooManyConns:
		return "too many connections"
	case ResultBadLoginType:
		return "bad login type"
	case ResultBadFormat:
		return "bad parameter format"
	case ResultBadNumber:
		return "bad mobile number"
	case ResultBadMsgID:
		return "bad message id"
	case ResultBadLength:
		return "bad length"
	case ResultBadSequence:
		return "bad sequence number"
	case ResultIllegalGNS:
		return "illegal GNS operation"
	case ResultBusy:
		return "node busy"
	case ResultOverSpeed:
		return "over speed"
	case 21:
		return "destination unreachable"
	case 22:
		return "routing error"
	case 23:
		return "no route"
	case 24:
		return "invalid charge number"
	case 25:
		return "user cannot communicate"
	case 26:
		return "handset memory full"
	case 27:
		return "handset does not support SMS"
	case 28:
		return "handset receive error"
	case 29:
		return "unknown user"
	case 30:
		return "function not offered"
	case 31:
		return "illegal device"
	case 32:
		return "system failure"
	case 33:
		return "SMSC queue full"
	}
	return "unknown"
}

// resultOf turns a handler's error into the Result to answer: 0 for nil, the
// Result of a *StatusError, ResultBusy otherwise (so that the peer resends).
func resultOf(err error) uint8 {
	if err == nil {
		return ResultOK
	}
	var se *StatusError
	if errors.As(err, &se) {
		return se.Result
	}
	return ResultBusy
}

var (
	errIdle        = errors.New("idle link closed")
	errLocalClose  = errors.New("closed by Close")
	errPeerUnbind  = errors.New("peer sent Unbind")
	errNotDialled  = errors.New("requests are sent only on a dialled link")
	errBadResponse = errors.New("response of the wrong command")
)

// notSent marks a request that failed before any byte of it was written, so
// that Client may retry it on a new link.
type notSent struct{ err error }

func (e notSent) Error() string { return e.err.Error() }
func (e notSent) Unwrap() error { return e.err }

// Conn is one SGIP link, either dialled (Dial, NewClientConn: it bound and it
// sends requests) or served (NewServerConn, Serve: the peer bound and this
// side answers). Its methods are safe for concurrent use.
type Conn struct {
	nc      net.Conn
	br      *bufio.Reader
	bind    *Bind
	dialled bool
	now     func() time.Time

	// dialled links
	node         uint32
	nextSeq      func() uint32
	counter      uint32
	window       chan struct{}
	timeout      time.Duration
	resends      int
	idle         time.Duration
	closeTimeout time.Duration
	lastActive   time.Time
	pending      map[Seq]chan PDU

	// served links
	srv    *ServerConfig
	ctx    context.Context // handlers' context, cancelled when the link is down
	cancel context.CancelFunc
	sem    chan struct{}
	seen   dedup

	wmu      sync.Mutex // guards the write queue below
	wbuf     []byte     // frames waiting to be written
	wspare   []byte     // the buffer last written, reused
	flushing bool       // a goroutine is writing wbuf
	werr     error

	mu       sync.Mutex
	inflight int           // requests awaiting a response, or handlers running
	drained  chan struct{} // closed when inflight reaches 0 while closing
	closing  bool
	reason   error // why shutdown began
	err      error
	done     chan struct{}
	downOnce sync.Once

	wg sync.WaitGroup // the reader, the idle watcher and the handlers
}

// Bind returns the Bind that opened the link: ours on a dialled link, the
// peer's on a served one.
func (c *Conn) Bind() *Bind { return c.bind }

// RemoteAddr returns the peer's address.
func (c *Conn) RemoteAddr() net.Addr { return c.nc.RemoteAddr() }

// Done returns a channel closed when the link is down, for whatever reason.
func (c *Conn) Done() <-chan struct{} { return c.done }

// Err returns nil while the link is up, then an error wrapping
// protocol.ErrClosed and the cause: Close, the idle time, the peer's Unbind,
// or the read or write error that dropped the link.
func (c *Conn) Err() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.err
}

// usable reports whether the link takes requests: up and not closing.
func (c *Conn) usable() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return !c.closing && c.err == nil
}

// Close stops taking requests, waits (at most the configured close timeout)
// for those in flight, sends Unbind on a dialled link and waits for its
// response, then closes the connection and waits for the Conn's goroutines.
// It returns nil; closing a closed Conn is a no-op.
func (c *Conn) Close() error {
	c.shutdown(errLocalClose)
	c.wg.Wait()
	return nil
}

// shutdown drains, unbinds and downs the link without waiting for the Conn's
// goroutines, so that one of them (the idle watcher) may call it.
func (c *Conn) shutdown(reason error) {
	c.mu.Lock()
	if c.closing || c.err != nil {
		c.mu.Unlock()
		<-c.done
		return
	}
	c.closing = true
	c.reason = reason
	c.mu.Unlock()

	deadline := time.Now().Add(c.closeTimeout)
	c.drain()
	if c.dialled {
		ctx, cancel := context.WithDeadline(context.Background(), deadline)
		_, _ = c.send(ctx, &Unbind{}, true)
		cancel()
	}
	c.down(reason)
}

// drain waits, at most closeTimeout, until no request is in flight and no
// handler runs. The caller has set closing.
func (c *Conn) drain() {
	c.mu.Lock()
	if c.inflight == 0 {
		c.mu.Unlock()
		return
	}
	if c.drained == nil {
		c.drained = make(chan struct{})
	}
	drained := c.drained
	c.mu.Unlock()
	t := time.NewTimer(c.closeTimeout)
	defer t.Stop()
	select {
	case <-drained:
	case <-t.C:
	case <-c.done:
	}
}

// down marks the link down with reason, closes the connection and wakes
// every waiter. Only the first call counts.
func (c *Conn) down(reason error) {
	c.downOnce.Do(func() {
		c.mu.Lock()
		if c.reason != nil {
			reason = c.reason // the read error of an orderly close is not the cause
		}
		c.err = fmt.Errorf("sgip link %s: %w: %w", c.nc.RemoteAddr(), protocol.ErrClosed, reason)
		c.closing = true
		c.mu.Unlock()
		close(c.done)
		c.nc.Close()
		if c.cancel != nil {
			c.cancel()
		}
	})
}

// release ends one request or handler.
func (c *Conn) release() {
	c.mu.Lock()
	c.inflight--
	if c.inflight == 0 && c.drained != nil {
		close(c.drained)
		c.drained = nil
	}
	c.lastActive = c.now()
	c.mu.Unlock()
}

// write queues one whole frame and, unless another goroutine is already
// writing, writes the queue until it is empty: frames queued meanwhile by
// other goroutines go out in one system call. An error downs the link; a
// caller whose frame was queued behind a failed write learns of it through
// c.done.
func (c *Conn) write(frame []byte) error {
	c.wmu.Lock()
	if c.werr != nil {
		c.wmu.Unlock()
		return c.Err()
	}
	c.wbuf = append(c.wbuf, frame...)
	if c.flushing {
		c.wmu.Unlock()
		return nil
	}
	c.flushing = true
	var err error
	for len(c.wbuf) > 0 && err == nil {
		buf := c.wbuf
		c.wbuf = c.wspare[:0]
		c.wmu.Unlock()
		c.nc.SetWriteDeadline(time.Now().Add(c.writeTimeout()))
		_, err = c.nc.Write(buf)
		c.wmu.Lock()
		c.wspare = buf
	}
	c.flushing = false
	if err != nil {
		c.werr = err
		c.wbuf = nil
	}
	c.wmu.Unlock()
	if err != nil {
		c.down(fmt.Errorf("write: %w", err))
		return c.Err()
	}
	return nil
}

func (c *Conn) writeTimeout() time.Duration {
	if c.timeout > 0 {
		return c.timeout
	}
	return DefaultResponseTimeout
}

// Submit sends p and waits for its response; it sets p.Seq, whose MsgID()
// the Report will quote (and which the response repeats). It waits for a
// window slot, resends the same frame after each response timeout up to the
// configured number of times, and returns:
//   - the response and nil when the Result is 0;
//   - the response and a *StatusError otherwise, which matches
//     protocol.ErrThrottled for the busy answers 11 and 88;
//   - protocol.ErrTimeout (wrapped) after the last resend went unanswered;
//   - protocol.ErrClosed (wrapped) when the link is closed or drops;
//   - ctx.Err() when ctx ends first, or p.Validate's error.
func (c *Conn) Submit(ctx context.Context, p *Submit) (*SubmitResp, error) {
	if err := p.Validate(); err != nil {
		return nil, err
	}
	return request[*SubmitResp](ctx, c, p)
}

// Deliver sends an MO message to the SP (a gateway's dialled link, LoginType
// LoginSMGToSP) and waits for its response, as Submit does.
func (c *Conn) Deliver(ctx context.Context, p *Deliver) (*DeliverResp, error) {
	if err := p.Validate(); err != nil {
		return nil, err
	}
	return request[*DeliverResp](ctx, c, p)
}

// Report sends a status report to the SP (a gateway's dialled link) and waits
// for its response, as Submit does.
func (c *Conn) Report(ctx context.Context, p *Report) (*ReportResp, error) {
	if err := p.Validate(); err != nil {
		return nil, err
	}
	return request[*ReportResp](ctx, c, p)
}

type resultPDU interface {
	PDU
	*SubmitResp | *DeliverResp | *ReportResp
}

func request[R resultPDU](ctx context.Context, c *Conn, p PDU) (R, error) {
	var zero R
	if !c.dialled {
		return zero, fmt.Errorf("sgip %s: %w", p.Command(), errNotDialled)
	}
	resp, err := c.send(ctx, p, false)
	if err != nil {
		return zero, err
	}
	r, ok := resp.(R)
	if !ok {
		return zero, fmt.Errorf("sgip %s %s: got %s: %w", p.Command(), p.Sequence(), resp.Command(), errBadResponse)
	}
	if res := resultOfPDU(r).Result; res != ResultOK {
		return r, fmt.Errorf("sgip %s %s: %w", p.Command(), p.Sequence(), &StatusError{Command: r.Command(), Result: res})
	}
	return r, nil
}

func resultOfPDU(p PDU) *Resp {
	switch r := p.(type) {
	case *SubmitResp:
		return (*Resp)(r)
	case *DeliverResp:
		return (*Resp)(r)
	case *ReportResp:
		return (*Resp)(r)
	case *BindResp:
		return (*Resp)(r)
	}
	return &Resp{}
}

// send numbers p, writes it and waits for the response with the same Seq,
// resending on timeout. internal requests (the Unbind of Close) skip the
// window and the closing check, and are not resent.
func (c *Conn) send(ctx context.Context, p PDU, internal bool) (PDU, error) {
	cmd := p.Command()
	if !internal {
		select {
		case c.window <- struct{}{}:
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-c.done:
			return nil, notSent{fmt.Errorf("sgip %s: %w", cmd, c.Err())}
		}
		defer func() { <-c.window }()
	}
	c.mu.Lock()
	if c.err != nil || (c.closing && !internal) {
		err := c.err
		if err == nil {
			err = fmt.Errorf("sgip link %s: %w: closing", c.nc.RemoteAddr(), protocol.ErrClosed)
		}
		c.mu.Unlock()
		return nil, notSent{fmt.Errorf("sgip %s: %w", cmd, err)}
	}
	c.counter++
	n := c.counter - 1
	if c.nextSeq != nil {
		n = c.nextSeq()
	}
	now := c.now()
	seq := Seq{Node: c.node, Time: SeqTime(now), Number: n}
	p.setSeq(seq)
	ch := make(chan PDU, 1)
	c.pending[seq] = ch
	c.inflight++
	c.lastActive = now
	c.mu.Unlock()
	defer func() {
		c.mu.Lock()
		delete(c.pending, seq)
		c.mu.Unlock()
		c.release()
	}()

	frame := p.AppendMarshal(make([]byte, 0, 64))
	resends := c.resends
	if internal {
		resends = 0
	}
	timer := time.NewTimer(c.timeout)
	defer timer.Stop()
	for sends := 1; ; sends++ {
		if err := c.write(frame); err != nil {
			if sends == 1 {
				return nil, notSent{fmt.Errorf("sgip %s %s: %w", cmd, seq, err)}
			}
			return nil, fmt.Errorf("sgip %s %s: %w", cmd, seq, err)
		}
		select {
		case resp := <-ch:
			return resp, nil
		case <-timer.C:
			if sends > resends {
				return nil, fmt.Errorf("sgip %s %s: %w after %d sends", cmd, seq, protocol.ErrTimeout, sends)
			}
			timer.Reset(c.timeout)
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-c.done:
			return nil, fmt.Errorf("sgip %s %s: %w", cmd, seq, c.Err())
		}
	}
}

// readLoop reads frames until the link is down. It ends when a read fails,
// which down (closing the connection) guarantees.
func (c *Conn) readLoop() {
	defer c.wg.Done()
	for {
		if !c.dialled && c.srv.IdleTimeout > 0 {
			c.nc.SetReadDeadline(time.Now().Add(c.srv.IdleTimeout))
		}
		frame, err := ReadFrame(c.br)
		if err != nil {
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				err = errIdle
			} else {
				err = fmt.Errorf("read: %w", err)
			}
			c.down(err)
			return
		}
		p, err := Parse(frame)
		if err != nil {
			c.down(err) // the spec: close the link on a malformed frame
			return
		}
		if p.Command()&0x80000000 != 0 {
			c.mu.Lock()
			ch := c.pending[p.Sequence()]
			c.lastActive = c.now()
			c.mu.Unlock()
			if ch != nil {
				select {
				case ch <- p:
				default: // a second response to a resent request
				}
			}
			continue
		}
		switch p := p.(type) {
		case *Unbind:
			c.mu.Lock()
			c.closing = true
			c.mu.Unlock()
			if !c.dialled {
				c.drain() // running handlers answer first; the peer sends nothing more
			}
			c.write((&UnbindResp{Seq: p.Seq}).AppendMarshal(nil))
			c.down(errPeerUnbind)
			return
		case *Bind:
			c.respond(p, ResultRepeatedLogin)
		default:
			if !c.dialled {
				c.serve(p, frame)
			} else {
				c.respond(p, ResultBadLoginType) // requests do not travel this way
			}
		}
	}
}

// respond writes the response to request p with result.
func (c *Conn) respond(p PDU, result uint8) {
	r := Resp{Seq: p.Sequence(), Result: result}
	var resp PDU
	switch p.Command() {
	case CmdBind:
		resp = (*BindResp)(&r)
	case CmdSubmit:
		resp = (*SubmitResp)(&r)
	case CmdDeliver:
		resp = (*DeliverResp)(&r)
	case CmdReport:
		resp = (*ReportResp)(&r)
	default:
		return
	}
	var buf [respLen]byte
	c.write(resp.AppendMarshal(buf[:0]))
}

// idleLoop closes a dialled link once it has been idle for c.idle. It ends
// when the link is down.
func (c *Conn) idleLoop() {
	defer c.wg.Done()
	tick := time.NewTicker(max(min(c.idle/4, time.Second), time.Millisecond))
	defer tick.Stop()
	for {
		select {
		case <-c.done:
			return
		case <-tick.C:
		}
		c.mu.Lock()
		idle := c.inflight == 0 && !c.closing && c.now().Sub(c.lastActive) >= c.idle
		c.mu.Unlock()
		if idle {
			c.shutdown(errIdle)
			return
		}
	}
}
