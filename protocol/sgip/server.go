package sgip

import (
	"bufio"
	"context"
	"crypto/subtle"
	"fmt"
	"net"
	"sync"
	"time"

	"taxsms/protocol"
)

// ServerConfig configures the accepting side of links: a gateway accepting
// SP binds and submits (OnSubmit), or the SP's own listener accepting the
// SMG's bind and its Deliver and Report (OnDeliver, OnReport). Each handler
// runs before the response is written; its error becomes the Result (see
// OnSubmit). A command without a handler is answered ResultBadLoginType.
type ServerConfig struct {
	// Authenticate answers a Bind with the Result to send: ResultOK accepts,
	// anything else refuses and closes the link. Nil refuses every Bind
	// with ResultIllegalLogin. See Accounts.
	Authenticate func(ctx context.Context, b *Bind) uint8
	// OnSubmit handles a Submit on a gateway. A nil error answers ResultOK;
	// a *StatusError answers its Result (ResultBusy to throttle); any other
	// error answers ResultBusy, so that the peer resends later.
	OnSubmit func(ctx context.Context, c *Conn, p *Submit) error
	// OnDeliver handles an MO message on the SP's listener; store it before
	// returning nil. Errors are answered as for OnSubmit.
	OnDeliver func(ctx context.Context, p *Deliver) error
	// OnReport handles a status report on the SP's listener (see
	// Report.Receipt). Errors are answered as for OnSubmit.
	OnReport func(ctx context.Context, p *Report) error
	// Window is the most handlers running at once on one link; default 32.
	// When it is full the link is not read.
	Window int
	// LoginTimeout is how long a new connection has to send its Bind;
	// default 30 s.
	LoginTimeout time.Duration
	// IdleTimeout drops a link on which nothing arrived for this long;
	// default 60 s (the spec's), negative for never.
	IdleTimeout time.Duration
	// CloseTimeout bounds Close's wait for running handlers; default 30 s.
	CloseTimeout time.Duration
}

func (cfg ServerConfig) withDefaults() ServerConfig {
	if cfg.Window <= 0 {
		cfg.Window = DefaultServerWindow
	}
	if cfg.LoginTimeout <= 0 {
		cfg.LoginTimeout = DefaultResponseTimeout
	}
	if cfg.IdleTimeout == 0 {
		cfg.IdleTimeout = DefaultServerIdle
	} else if cfg.IdleTimeout < 0 {
		cfg.IdleTimeout = 0
	}
	if cfg.CloseTimeout <= 0 {
		cfg.CloseTimeout = DefaultResponseTimeout
	}
	return cfg
}

// Accounts returns an Authenticate function that accepts a Bind of loginType
// whose LoginName is in accounts with LoginPassword as its value. Other login
// types are answered ResultBadLoginType, unknown names and wrong passwords
// ResultIllegalLogin.
func Accounts(loginType uint8, accounts map[string]string) func(context.Context, *Bind) uint8 {
	return func(_ context.Context, b *Bind) uint8 {
		if b.LoginType != loginType {
			return ResultBadLoginType
		}
		pw, ok := accounts[b.LoginName]
		if !ok || subtle.ConstantTimeCompare([]byte(pw), []byte(b.LoginPassword)) != 1 {
			return ResultIllegalLogin
		}
		return ResultOK
	}
}

// NewServerConn reads the Bind from the new connection nc, answers it with
// cfg.Authenticate's result and, if accepted, serves the link until it is
// closed or drops; handlers get a context derived from ctx that ends when
// the link is down (not when ctx ends: a closing link lets its handlers
// finish, within cfg.CloseTimeout). It takes ownership of nc. A refused Bind returns an
// error wrapping protocol.ErrAuth; a first frame other than Bind, or none
// within cfg.LoginTimeout, an error wrapping ErrMalformed or the read error.
func NewServerConn(ctx context.Context, nc net.Conn, cfg ServerConfig) (*Conn, error) {
	cfg = cfg.withDefaults()
	c := &Conn{
		nc:      nc,
		br:      bufio.NewReaderSize(nc, 4096),
		now:     time.Now, // idle links are dropped by read deadlines, on the wall clock
		timeout: cfg.LoginTimeout,
		srv:     &cfg,
		sem:     make(chan struct{}, cfg.Window),
		done:    make(chan struct{}),

		closeTimeout: cfg.CloseTimeout,
	}
	// Handlers outlive Serve's ctx while a link drains; they end with the link.
	c.ctx, c.cancel = context.WithCancel(context.WithoutCancel(ctx))
	stop := context.AfterFunc(ctx, func() { nc.SetDeadline(time.Unix(1, 0)) })
	err := c.accept()
	if !stop() && err == nil {
		err = fmt.Errorf("sgip accept %s: %w", nc.RemoteAddr(), ctx.Err())
	}
	if err != nil {
		c.cancel()
		nc.Close()
		return nil, err
	}
	c.wg.Add(1)
	go c.readLoop()
	return c, nil
}

// accept reads and answers the Bind.
func (c *Conn) accept() error {
	addr := c.nc.RemoteAddr()
	c.nc.SetReadDeadline(time.Now().Add(c.srv.LoginTimeout))
	frame, err := ReadFrame(c.br)
	if err != nil {
		return fmt.Errorf("sgip accept %s: %w", addr, err)
	}
	p, err := Parse(frame)
	if err != nil {
		return fmt.Errorf("sgip accept %s: %w", addr, err)
	}
	b, ok := p.(*Bind)
	if !ok {
		return fmt.Errorf("sgip accept %s: first frame %s, want SGIP_BIND [% x]: %w", addr, p.Command(), snippet(frame, 0), ErrMalformed)
	}
	result := ResultIllegalLogin
	if c.srv.Authenticate != nil {
		result = c.srv.Authenticate(c.ctx, b)
	}
	if err := c.write((&BindResp{Seq: b.Seq, Result: result}).AppendMarshal(nil)); err != nil {
		return err
	}
	if result != ResultOK {
		return fmt.Errorf("sgip accept %s: bind as %q: %w: %w", addr, b.LoginName, protocol.ErrAuth, &StatusError{Command: CmdBindResp, Result: result})
	}
	c.bind = b
	c.nc.SetReadDeadline(time.Time{})
	return nil
}

// serve runs the handler for request p (read as frame) in its own goroutine,
// at most Window at once. A repeated Seq with the same bytes is not handled
// twice: it is answered again with the first result, or dropped while the
// first is still running; with other bytes it is answered ResultBadSequence.
// Called only by the reader.
func (c *Conn) serve(p PDU, frame []byte) {
	key := dedupKey{p.Command(), p.Sequence()}
	sum := fnv64(frame)
	c.mu.Lock()
	if e, ok := c.seen.m[key]; ok {
		c.mu.Unlock()
		switch {
		case e.sum != sum:
			c.respond(p, ResultBadSequence)
		case e.done:
			c.respond(p, e.result)
		}
		return
	}
	if c.closing {
		c.mu.Unlock()
		c.respond(p, ResultBusy)
		return
	}
	c.mu.Unlock()
	select {
	case c.sem <- struct{}{}:
	case <-c.done:
		return
	}
	c.mu.Lock()
	c.seen.add(key, sum)
	c.inflight++
	c.mu.Unlock()
	c.wg.Add(1)
	go func() { // ends when the handler returns and the response is written
		defer c.wg.Done()
		result := c.handle(p)
		c.mu.Lock()
		c.seen.finish(key, result)
		c.mu.Unlock()
		c.respond(p, result)
		<-c.sem
		c.release()
	}()
}

func (c *Conn) handle(p PDU) uint8 {
	switch p := p.(type) {
	case *Submit:
		if c.srv.OnSubmit != nil {
			return resultOf(c.srv.OnSubmit(c.ctx, c, p))
		}
	case *Deliver:
		if c.srv.OnDeliver != nil {
			return resultOf(c.srv.OnDeliver(c.ctx, p))
		}
	case *Report:
		if c.srv.OnReport != nil {
			return resultOf(c.srv.OnReport(c.ctx, p))
		}
	}
	return ResultBadLoginType
}

// dedup remembers the last dedupSize requests of a served link.
type dedup struct {
	m    map[dedupKey]dedupEntry
	ring []dedupKey
	next int
}

const dedupSize = 1024

type dedupKey struct {
	cmd CommandID
	seq Seq
}

type dedupEntry struct {
	sum    uint64
	done   bool
	result uint8
}

func (d *dedup) add(k dedupKey, sum uint64) {
	if d.m == nil {
		d.m = make(map[dedupKey]dedupEntry)
		d.ring = make([]dedupKey, 0, dedupSize)
	}
	if len(d.ring) < dedupSize {
		d.ring = append(d.ring, k)
	} else {
		delete(d.m, d.ring[d.next])
		d.ring[d.next] = k
		d.next = (d.next + 1) % dedupSize
	}
	d.m[k] = dedupEntry{sum: sum}
}

func (d *dedup) finish(k dedupKey, result uint8) {
	if e, ok := d.m[k]; ok {
		e.done, e.result = true, result
		d.m[k] = e
	}
}

// fnv64 is FNV-1a over b.
func fnv64(b []byte) uint64 {
	h := uint64(14695981039346656037)
	for _, c := range b {
		h ^= uint64(c)
		h *= 1099511628211
	}
	return h
}

// Server accepts links on a listener (see Serve and Listen).
type Server struct {
	cfg ServerConfig
	l   net.Listener

	mu     sync.Mutex
	conns  map[*Conn]struct{}
	cancel context.CancelFunc
	done   chan struct{}
	err    error
}

// Serve accepts connections on l and serves each with NewServerConn until
// ctx ends, then closes l, closes every link (see Conn.Close) and returns
// nil. It returns l.Accept's error if accepting fails first, after the same
// cleanup. Refused or broken logins are dropped without stopping Serve.
func Serve(ctx context.Context, l net.Listener, cfg ServerConfig) error {
	s := &Server{cfg: cfg, l: l, conns: make(map[*Conn]struct{})}
	return s.serve(ctx)
}

// Listen listens on the TCP address addr and serves it in the background
// until Close.
func Listen(addr string, cfg ServerConfig) (*Server, error) {
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("sgip listen %s: %w", addr, err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	s := &Server{cfg: cfg, l: l, conns: make(map[*Conn]struct{}), cancel: cancel, done: make(chan struct{})}
	go func() { // ends when Close cancels ctx and serve has cleaned up
		err := s.serve(ctx)
		s.mu.Lock()
		s.err = err
		s.mu.Unlock()
		close(s.done)
	}()
	return s, nil
}

// Addr returns the listener's address.
func (s *Server) Addr() net.Addr { return s.l.Addr() }

// Conns returns the links logged in now.
func (s *Server) Conns() []*Conn {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]*Conn, 0, len(s.conns))
	for c := range s.conns {
		out = append(out, c)
	}
	return out
}

// Close stops a Server started by Listen: it closes the listener and every
// link, waits for them, and returns the accept error that stopped it, if any.
func (s *Server) Close() error {
	s.cancel()
	<-s.done
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.err
}

func (s *Server) serve(ctx context.Context) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	stop := context.AfterFunc(ctx, func() { s.l.Close() })
	defer stop()
	var wg sync.WaitGroup
	var err error
	for {
		nc, aerr := s.l.Accept()
		if aerr != nil {
			if ctx.Err() == nil {
				err = fmt.Errorf("sgip accept: %w", aerr)
			}
			break
		}
		wg.Add(1)
		go func() { // ends when the link is down
			defer wg.Done()
			c, err := NewServerConn(ctx, nc, s.cfg)
			if err != nil {
				return
			}
			s.mu.Lock()
			s.conns[c] = struct{}{}
			s.mu.Unlock()
			select {
			case <-c.Done():
			case <-ctx.Done():
			}
			c.Close()
			s.mu.Lock()
			delete(s.conns, c)
			s.mu.Unlock()
		}()
	}
	cancel()
	s.l.Close()
	wg.Wait()
	return err
}
