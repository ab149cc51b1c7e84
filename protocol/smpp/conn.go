package smpp

import (
	"bufio"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"taxsms/protocol"
)

// Session defaults.
const (
	DefaultWindow          = 16
	DefaultResponseTimeout = 60 * time.Second
	DefaultResends         = 3
	DefaultEnquireLink     = 30 * time.Second
	DefaultBindTimeout     = 10 * time.Second
	DefaultCloseTimeout    = 10 * time.Second
)

// Timing is the part of a session's configuration shared by both sides.
// Zero fields take the defaults.
type Timing struct {
	// Window is how many requests (submit_sm or deliver_sm) may await a
	// response at once; also how many inbound requests are handled at once.
	// Default 16.
	Window int
	// ResponseTimeout is how long to wait for a response before resending.
	// Default 60 s.
	ResponseTimeout time.Duration
	// Resends is how many times a request is sent again after a response
	// timeout before ErrTimeout; negative means never. Default 3.
	Resends int
	// EnquireLink is how long the link may be silent before we send
	// enquire_link; a link whose enquire_link gets no answer within
	// ResponseTimeout is closed. Negative disables it. Default 30 s.
	EnquireLink time.Duration
	// BindTimeout bounds the bind exchange. Default 10 s.
	BindTimeout time.Duration
	// CloseTimeout bounds Close: draining the window and the unbind
	// exchange. Default 10 s.
	CloseTimeout time.Duration
	// Now tells the time for the keep-alive decision. Default time.Now.
	Now func() time.Time
}

func (t Timing) withDefaults() Timing {
	if t.Window <= 0 {
		t.Window = DefaultWindow
	}
	if t.ResponseTimeout <= 0 {
		t.ResponseTimeout = DefaultResponseTimeout
	}
	if t.Resends == 0 {
		t.Resends = DefaultResends
	} else if t.Resends < 0 {
		t.Resends = 0
	}
	if t.EnquireLink == 0 {
		t.EnquireLink = DefaultEnquireLink
	}
	if t.BindTimeout <= 0 {
		t.BindTimeout = DefaultBindTimeout
	}
	if t.CloseTimeout <= 0 {
		t.CloseTimeout = DefaultCloseTimeout
	}
	if t.Now == nil {
		t.Now = time.Now
	}
	return t
}

// Conn is one bound SMPP session, on either side. Its methods are safe for
// concurrent use. A Conn ends when Close is called, when the peer unbinds or
// drops the connection, or when enquire_link goes unanswered; Done is closed
// then and Err says why.
type Conn struct {
	nc     net.Conn
	t      Timing
	server bool
	// bindCmd is the bind the session was opened with.
	bindCmd CommandID
	// peerID is the peer's system_id (the SMSC's for a client, the ESME's
	// for a server).
	peerID string

	onDeliver func(context.Context, *Deliver) error
	onSubmit  func(context.Context, *Conn, *Submit) (string, Status)

	seq     atomic.Uint32
	slots   chan struct{} // outbound window
	inbound chan struct{} // inbound requests being handled

	wmu    sync.Mutex
	bw     *bufio.Writer
	queued atomic.Int32 // writers waiting for wmu; the last one flushes
	werr   error        // guarded by wmu

	mu      sync.Mutex
	pending map[uint32]chan PDU
	closing bool
	// closingCh is closed when Close begins.
	closingCh chan struct{}

	lastRead atomic.Int64 // t.Now().UnixNano() of the last PDU read

	// hctx is handed to OnDeliver/OnSubmit and cancelled when the Conn
	// ends. It is stored (against house rule 5) because the handlers run on
	// goroutines the Conn owns and have no caller context to inherit.
	hctx    context.Context
	hcancel context.CancelFunc

	done     chan struct{}
	err      error // set before done is closed
	shutOnce sync.Once
	wg       sync.WaitGroup
}

func newConn(nc net.Conn, t Timing, server bool) *Conn {
	c := &Conn{
		nc:      nc,
		t:       t,
		server:  server,
		slots:   make(chan struct{}, t.Window),
		inbound: make(chan struct{}, t.Window),
		bw:      bufio.NewWriterSize(nc, 16<<10),
		pending: make(map[uint32]chan PDU),
		done:    make(chan struct{}),

		closingCh: make(chan struct{}),
	}
	c.hctx, c.hcancel = context.WithCancel(context.Background())
	c.lastRead.Store(t.Now().UnixNano())
	return c
}

// start launches the reader and the keep-alive; both end when the Conn ends.
func (c *Conn) start(br *bufio.Reader) {
	c.wg.Add(1)
	go func() {
		defer c.wg.Done()
		c.readLoop(br)
	}()
	if c.t.EnquireLink > 0 {
		c.wg.Add(1)
		go func() {
			defer c.wg.Done()
			c.keepAlive()
		}()
	}
}

// PeerSystemID returns the system_id the peer gave at bind.
func (c *Conn) PeerSystemID() string { return c.peerID }

// BindCommand returns the bind the session was opened with
// (CmdBindTransceiver for our client).
func (c *Conn) BindCommand() CommandID { return c.bindCmd }

// RemoteAddr returns the peer's network address.
func (c *Conn) RemoteAddr() net.Addr { return c.nc.RemoteAddr() }

// Done is closed when the session has ended.
func (c *Conn) Done() <-chan struct{} { return c.done }

// Err returns why the session ended (wrapping protocol.ErrClosed), or nil
// while it is up.
func (c *Conn) Err() error {
	select {
	case <-c.done:
		return c.err
	default:
		return nil
	}
}

func (c *Conn) nextSeq() uint32 {
	for {
		if v := c.seq.Add(1) & 0x7FFFFFFF; v != 0 {
			return v
		}
	}
}

// shutdown ends the session once: it records why, closes the socket, fails
// the waiters and cancels the handlers' context.
func (c *Conn) shutdown(cause error) {
	c.shutOnce.Do(func() {
		if !errors.Is(cause, protocol.ErrClosed) {
			cause = fmt.Errorf("%w: %w", protocol.ErrClosed, cause)
		}
		c.err = cause
		close(c.done)
		c.nc.Close()
		c.hcancel()
	})
}

// write sends one PDU's bytes. Writers queue on wmu; the last one in the
// queue flushes, so a burst of responses goes out in few syscalls. force
// flushes regardless.
func (c *Conn) write(b []byte, force bool) error {
	c.queued.Add(1)
	c.wmu.Lock()
	defer c.wmu.Unlock()
	last := c.queued.Add(-1) == 0
	if c.werr != nil {
		return c.werr
	}
	// The deadline is set on every write: bufio flushes by itself when full.
	c.nc.SetWriteDeadline(time.Now().Add(c.t.ResponseTimeout))
	_, err := c.bw.Write(b)
	if err == nil && (last || force) {
		err = c.bw.Flush()
	}
	if err != nil {
		// The link is unusable from here on: callers see protocol.ErrClosed.
		c.werr = fmt.Errorf("smpp: write: %w: %w", protocol.ErrClosed, err)
		go c.shutdown(c.werr) // shutdown closes nc; never under wmu
		return c.werr
	}
	return nil
}

func (c *Conn) send(p PDU, force bool) error {
	return c.write(p.AppendMarshal(make([]byte, 0, 64)), force)
}

func (c *Conn) closedErr() error {
	<-c.done
	return c.err
}

// errClosing is returned for requests made after Close has begun.
var errClosing = fmt.Errorf("smpp: session closing: %w", protocol.ErrClosed)

// acquire takes a window slot; it fails once Close has begun.
func (c *Conn) acquire(ctx context.Context) error {
	select {
	case <-c.closingCh:
		return errClosing
	default:
	}
	select {
	case c.slots <- struct{}{}:
	case <-ctx.Done():
		return ctx.Err()
	case <-c.done:
		return c.closedErr()
	case <-c.closingCh:
		return errClosing
	}
	c.mu.Lock()
	closing := c.closing
	c.mu.Unlock()
	if closing {
		<-c.slots
		return errClosing
	}
	return nil
}

// roundTrip sends request p (whose Seq it sets) and waits for the response
// with the same sequence number, resending after each ResponseTimeout up to
// resends times.
func (c *Conn) roundTrip(ctx context.Context, p PDU, resends int) (PDU, error) {
	seq := c.nextSeq()
	p.header().Seq = seq
	ch := make(chan PDU, 1)
	c.mu.Lock()
	c.pending[seq] = ch
	c.mu.Unlock()
	defer func() {
		c.mu.Lock()
		delete(c.pending, seq)
		c.mu.Unlock()
	}()
	b := p.AppendMarshal(make([]byte, 0, 256))
	timer := time.NewTimer(c.t.ResponseTimeout)
	defer timer.Stop()
	for attempt := 0; ; attempt++ {
		if err := c.write(b, false); err != nil {
			return nil, err
		}
		if attempt > 0 {
			timer.Reset(c.t.ResponseTimeout)
		}
		select {
		case r := <-ch:
			return r, nil
		case <-timer.C:
			if attempt >= resends {
				return nil, fmt.Errorf("smpp: %s seq %d: %d sends unanswered after %v each: %w", p.CommandID(), seq, attempt+1, c.t.ResponseTimeout, protocol.ErrTimeout)
			}
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-c.done:
			select {
			case r := <-ch: // answered just before the link ended
				return r, nil
			default:
			}
			return nil, fmt.Errorf("smpp: %s seq %d: %w", p.CommandID(), seq, c.err)
		}
	}
}

// statusErr turns a non-zero response status into an error: throttling
// statuses wrap protocol.ErrThrottled; every one wraps the Status.
func statusErr(cmd CommandID, st Status) error {
	if st.Throttling() {
		return fmt.Errorf("smpp: %s: %w: %w", cmd, protocol.ErrThrottled, st)
	}
	return fmt.Errorf("smpp: %s refused: %w", cmd, st)
}

// request runs a windowed request and checks the response type and status.
func (c *Conn) request(ctx context.Context, p PDU) (PDU, error) {
	if err := c.acquire(ctx); err != nil {
		return nil, err
	}
	defer func() { <-c.slots }()
	r, err := c.roundTrip(ctx, p, c.t.Resends)
	if err != nil {
		return nil, err
	}
	h := r.header()
	if _, nack := r.(*GenericNack); nack {
		if h.Status == StatusOK {
			h.Status = StatusUnknownErr
		}
		return nil, fmt.Errorf("smpp: %s answered by generic_nack: %w", p.CommandID(), statusErr(p.CommandID(), h.Status))
	}
	if r.CommandID() != p.CommandID().Resp() {
		return nil, fmt.Errorf("smpp: %s seq %d answered by %s", p.CommandID(), h.Seq, r.CommandID())
	}
	if h.Status != StatusOK {
		return r, statusErr(p.CommandID(), h.Status)
	}
	return r, nil
}

// Submit sends a submit_sm (client side) and returns its response. It waits
// for a window slot, resends on response timeout, and returns:
// an error wrapping protocol.ErrThrottled (and the Status) for
// ESME_RTHROTTLED/ESME_RMSGQFUL — back off and retry; the response and an
// error wrapping its Status for any other refusal; an error wrapping
// protocol.ErrTimeout after the last resend; protocol.ErrClosed once Close
// has begun or the link is down; ctx's error if ctx ends first. The caller's
// PDU is not modified.
func (c *Conn) Submit(ctx context.Context, s *Submit) (*SubmitResp, error) {
	if c.server {
		return nil, errors.New("smpp: Submit on a server session")
	}
	if err := s.Validate(); err != nil {
		return nil, err
	}
	cp := *s
	r, err := c.request(ctx, &cp)
	resp, _ := r.(*SubmitResp)
	return resp, err
}

// Deliver pushes a deliver_sm (an MO or a receipt) to the bound client
// (server side), with the same window, resends and errors as Submit.
func (c *Conn) Deliver(ctx context.Context, d *Deliver) (*DeliverResp, error) {
	if !c.server {
		return nil, errors.New("smpp: Deliver on a client session")
	}
	if c.bindCmd == CmdBindTransmitter {
		return nil, fmt.Errorf("smpp: deliver_sm to %q bound as transmitter: %w", c.peerID, StatusInvBindStatus)
	}
	if err := d.Validate(); err != nil {
		return nil, err
	}
	cp := *d
	r, err := c.request(ctx, &cp)
	resp, _ := r.(*DeliverResp)
	return resp, err
}

// readLoop reads PDUs until the connection fails; it ends the session.
func (c *Conn) readLoop(br *bufio.Reader) {
	for {
		b, err := readFrame(br)
		if err != nil {
			if errors.Is(err, io.EOF) {
				err = fmt.Errorf("smpp: peer closed the connection: %w", err)
			}
			c.shutdown(err)
			return
		}
		c.lastRead.Store(c.t.Now().UnixNano())
		p, err := Parse(b)
		if err != nil {
			c.badPDU(b, err)
			continue
		}
		if !c.dispatch(p) {
			return
		}
	}
}

// badPDU answers a frame that did not parse: a request gets generic_nack, a
// response fails its waiter.
func (c *Conn) badPDU(b []byte, err error) {
	cmd := CommandID(binary.BigEndian.Uint32(b[4:]))
	seq := binary.BigEndian.Uint32(b[12:])
	if cmd.IsResponse() {
		c.deliverResp(seq, &GenericNack{Header{Status: StatusInvCmdLen, Seq: seq}})
		return
	}
	_ = c.send(&GenericNack{Header{Status: StatusInvCmdLen, Seq: seq}}, false)
}

func (c *Conn) deliverResp(seq uint32, p PDU) {
	c.mu.Lock()
	ch, ok := c.pending[seq]
	if ok {
		delete(c.pending, seq)
	}
	c.mu.Unlock()
	if ok {
		ch <- p // buffered, one response per registration
	}
}

// dispatch handles one inbound PDU; false means the session is over.
func (c *Conn) dispatch(p PDU) bool {
	h := p.header()
	if p.CommandID().IsResponse() {
		c.deliverResp(h.Seq, p)
		return true
	}
	switch q := p.(type) {
	case *EnquireLink:
		_ = c.send(&EnquireLinkResp{Header{Seq: h.Seq}}, false)
	case *Unbind:
		_ = c.send(&UnbindResp{Header{Seq: h.Seq}}, true)
		c.shutdown(errors.New("smpp: peer unbound"))
		return false
	case *Bind:
		_ = c.send(&BindResp{Header: Header{Status: StatusAlreadyBound, Seq: h.Seq}, Cmd: q.Cmd.Resp()}, false)
	case *Deliver:
		if c.server {
			_ = c.send(&GenericNack{Header{Status: StatusInvCmdID, Seq: h.Seq}}, false)
			return true
		}
		return c.handle(func(ctx context.Context) PDU {
			st := StatusOK
			if c.onDeliver != nil {
				if err := c.onDeliver(ctx, q); err != nil {
					st = StatusTempAppErr
					errors.As(err, &st)
					if st == StatusOK {
						st = StatusTempAppErr
					}
				}
			}
			return &DeliverResp{Header: Header{Status: st, Seq: h.Seq}}
		})
	case *Submit:
		if !c.server {
			_ = c.send(&GenericNack{Header{Status: StatusInvCmdID, Seq: h.Seq}}, false)
			return true
		}
		if c.bindCmd == CmdBindReceiver {
			_ = c.send(&SubmitResp{Header: Header{Status: StatusInvBindStatus, Seq: h.Seq}}, false)
			return true
		}
		return c.handle(func(ctx context.Context) PDU {
			id, st := c.onSubmit(ctx, c, q)
			return &SubmitResp{Header: Header{Status: st, Seq: h.Seq}, MessageID: id}
		})
	default:
		_ = c.send(&GenericNack{Header{Status: StatusInvCmdID, Seq: h.Seq}}, false)
	}
	return true
}

// handle runs an inbound request's handler on its own goroutine, at most
// Window at once (the reader waits for a free one), and writes the response
// it returns. The goroutine ends when the handler returns.
func (c *Conn) handle(f func(context.Context) PDU) bool {
	select {
	case c.inbound <- struct{}{}:
	case <-c.done:
		return false
	}
	c.wg.Add(1)
	go func() {
		defer c.wg.Done()
		defer func() { <-c.inbound }()
		_ = c.send(f(c.hctx), false)
	}()
	return true
}

// keepAlive sends enquire_link when nothing has been read for EnquireLink,
// and ends the session when one goes unanswered. It ends with the session.
func (c *Conn) keepAlive() {
	tick := time.NewTicker(c.t.EnquireLink / 4)
	defer tick.Stop()
	for {
		select {
		case <-c.done:
			return
		case <-tick.C:
		}
		idle := time.Duration(c.t.Now().UnixNano() - c.lastRead.Load())
		if idle < c.t.EnquireLink {
			continue
		}
		r, err := c.roundTrip(c.hctx, &EnquireLink{}, 0)
		if err != nil {
			c.shutdown(fmt.Errorf("smpp: enquire_link: %w", err))
			return
		}
		if _, ok := r.(*EnquireLinkResp); !ok {
			c.shutdown(fmt.Errorf("smpp: enquire_link answered by %s", r.CommandID()))
			return
		}
	}
}

// Close ends the session gracefully: it stops taking new requests, waits
// for the outstanding ones to be answered, sends unbind and waits for
// unbind_resp, all within CloseTimeout, then closes the connection and waits
// for the Conn's goroutines. It returns an error if the window did not drain
// or the unbind went unanswered; the session is closed either way. Do not
// call Close from an OnDeliver or OnSubmit handler.
func (c *Conn) Close() error {
	c.mu.Lock()
	again := c.closing
	c.closing = true
	c.mu.Unlock()
	if again {
		<-c.done
		c.wg.Wait() // as the first Close does: no goroutine of c outlives Close
		return nil
	}
	close(c.closingCh)
	ctx, cancel := context.WithTimeout(context.Background(), c.t.CloseTimeout)
	defer cancel()
	var err error
drain:
	for n := 0; n < cap(c.slots); n++ {
		select {
		case c.slots <- struct{}{}:
		case <-ctx.Done():
			err = fmt.Errorf("smpp: close: %d requests still unanswered after %v", cap(c.slots)-n, c.t.CloseTimeout)
			break drain
		case <-c.done:
			break drain
		}
	}
	select {
	case <-c.done:
	default:
		if err == nil {
			r, uerr := c.roundTrip(ctx, &Unbind{}, 0)
			if uerr == nil && r.header().Status != StatusOK {
				uerr = fmt.Errorf("smpp: unbind refused: %w", r.header().Status)
			}
			if uerr != nil {
				err = fmt.Errorf("smpp: close: %w", uerr)
			}
		}
	}
	c.shutdown(errors.New("smpp: closed by us"))
	c.wg.Wait()
	return err
}

// readFrame reads one whole frame, checking command_length before
// allocating.
func readFrame(r io.Reader) ([]byte, error) {
	var hb [4]byte
	if _, err := io.ReadFull(r, hb[:]); err != nil {
		return nil, err
	}
	n := binary.BigEndian.Uint32(hb[:])
	if n < HeaderLen || n > MaxPDULen {
		return nil, fmt.Errorf("smpp: read frame: command_length %d outside [%d, %d] [% x]: %w", n, HeaderLen, MaxPDULen, hb, ErrLength)
	}
	b := make([]byte, n)
	copy(b, hb[:])
	if _, err := io.ReadFull(r, b[4:]); err != nil {
		if err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		return nil, fmt.Errorf("smpp: read frame body (%d bytes): %w", n, err)
	}
	return b, nil
}
