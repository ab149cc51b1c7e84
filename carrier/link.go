package carrier

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"taxsms"
	"taxsms/protocol"
	"taxsms/protocol/sgip"
	"taxsms/protocol/smpp"
	"taxsms/protocol/sms"
)

// Link is one configured carrier link: Connections sessions of its
// protocol, each dialled and logged in (once it holds a connection slot,
// with Options.Slots) and redialled with back-off when it drops, sharing one
// rate limiter (with Options.Slots, the share of the link's rate that its
// connected sessions carry: MessagesPerSecond × connected ÷
// MaxConnections); and, for SGIP, our listener for the
// SMG's deliveries. Its methods are safe for concurrent use.
//
// A Link runs one goroutine per session (dial, wait for the drop, redial)
// and, for SGIP, the listener's; all of them end in Close. The protocol
// sessions run their own goroutines, which end when the session closes.
type Link struct {
	cfg     LinkConfig
	h       Handler
	opts    Options
	log     *slog.Logger
	dialect smpp.Dialect
	lim     *limiter

	ref     atomic.Uint32 // concatenation references, one per long message
	sgipSeq atomic.Uint32 // SGIP sequence numbers across the link's sessions
	rr      atomic.Uint32 // round robin over the sessions
	slots   []*slot
	stats   linkStats

	cancel context.CancelFunc
	wg     sync.WaitGroup
	closed atomic.Bool
	off    atomic.Bool // disabled at run time (SetEnabled)

	mu        sync.Mutex
	changed   chan struct{} // closed and replaced when a session goes up or down
	lastErr   string
	lastErrAt time.Time
}

// slot is one session of a link; conn is nil while it is down.
type slot struct {
	idx      int
	conn     conn      // guarded by Link.mu
	since    time.Time // guarded by Link.mu
	inflight atomic.Int32
	pause    atomic.Int64 // Options.Now in Unix nanoseconds until which no submit starts
}

type linkStats struct {
	submits, segments, throttled, errors atomic.Int64
	receipts, mo, handlerErrors, drops   atomic.Int64
}

// OpenLink validates cfg and starts the link: when it is enabled, its
// sessions dial in the background (Ready waits for the first) and, for SGIP,
// its listener opens at once. ctx bounds opening the listener only. Inbound
// status reports and MO messages go to h. It returns the *taxsms.Error of
// Validate, or the listener's error.
func OpenLink(ctx context.Context, cfg LinkConfig, h Handler, opts Options) (*Link, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	opts.fill()
	l := &Link{
		cfg: cfg, h: h, opts: opts,
		log:     opts.Logger.With("link", cfg.Name),
		lim:     newLimiter(cfg.MessagesPerSecond, opts.Now),
		changed: make(chan struct{}),
	}
	id := radix(cfg.SMPPIDRadix)
	text := id
	if cfg.SMPPTextIDRadix != "" {
		text = radix(cfg.SMPPTextIDRadix)
	}
	l.dialect = smpp.Dialect{RespID: id, ReceiptedID: id, TextID: text}
	// Start the link's SGIP numbering apart from other links of the node
	// opened in the same second.
	l.sgipSeq.Store(uint32(opts.Now().UnixNano()/1000) & 0x7fffffff)
	for i := range cfg.connections() {
		l.slots = append(l.slots, &slot{idx: i})
	}
	lctx, cancel := context.WithCancel(context.Background())
	l.cancel = cancel
	if !cfg.Enabled {
		return l, nil
	}
	if cfg.Protocol == ProtocolSGIP {
		ln, err := opts.Listen(ctx, "tcp", cfg.ListenAddress)
		if err != nil {
			cancel()
			return nil, fmt.Errorf("link %s: listen %s: %w", cfg.Name, cfg.ListenAddress, err)
		}
		l.wg.Add(1)
		go func() { // ends when Close cancels lctx
			defer l.wg.Done()
			err := sgip.Serve(lctx, ln, sgip.ServerConfig{
				Authenticate: sgip.Accounts(sgip.LoginSMGToSP, map[string]string{cfg.Account: cfg.Secret}),
				OnDeliver:    l.sgipDeliver,
				OnReport:     l.sgipReport,
				Window:       cfg.window(),
				CloseTimeout: opts.CloseTimeout,
			})
			if err != nil && lctx.Err() == nil {
				l.noteError("listener", err)
			}
		}()
	}
	for _, s := range l.slots {
		l.wg.Add(1)
		go l.run(lctx, s)
	}
	return l, nil
}

// Name returns the link's name.
func (l *Link) Name() string { return l.cfg.Name }

// Carrier returns the carrier whose numbers the link serves.
func (l *Link) Carrier() taxsms.Carrier { return l.cfg.Carrier }

// Enabled reports whether the link sends: configured to, and not
// disabled at run time (SetEnabled).
func (l *Link) Enabled() bool { return l.cfg.Enabled && !l.off.Load() }

// run keeps session s up until ctx ends: it leases a connection slot
// (with Options.Slots), dials and logs in, waits for the session to drop
// while it renews the slot, and dials again after a back-off. A slot lost
// closes the session. When ctx ends it closes the session gracefully,
// frees the slot and returns.
func (l *Link) run(ctx context.Context, s *slot) {
	defer l.wg.Done()
	attempt := 0
	for ctx.Err() == nil {
		ls, ok := l.acquire(ctx, s)
		if !ok {
			return
		}
		c, err := l.dial(ctx)
		if err != nil {
			ls.release()
			if ctx.Err() != nil {
				return
			}
			attempt++
			d := l.backoff(attempt)
			l.noteError("login", err)
			l.log.Warn("login failed", "session", s.idx, "retry_in", d, "err", l.scrub(err.Error()))
			if !sleep(ctx, d) {
				return
			}
			continue
		}
		attempt = 0
		l.setConn(s, c)
		l.log.Info("session up", "session", s.idx)
		if !l.serve(ctx, s, c, ls) {
			return
		}
	}
}

// serve waits while session c is up, renewing its slot's lease, and frees
// the slot when it ends. It reports false when ctx ended (the session is
// then closed gracefully), true after a drop or a lost slot, once the
// back-off before the next dial has passed.
func (l *Link) serve(ctx context.Context, s *slot, c conn, ls *lease) bool {
	renew, stop := ls.ticker()
	defer stop()
	for {
		select {
		case <-renew:
			if ls.renew(ctx) {
				continue
			}
			l.setConn(s, nil)
			d := l.backoff(1)
			l.log.Warn("connection slot lost: closing the session", "session", s.idx, "retry_in", d)
			if err := c.Close(); err != nil {
				l.log.Warn("session closed uncleanly", "session", s.idx, "err", l.scrub(err.Error()))
			}
			ls.release()
			return sleep(ctx, d)
		case <-c.Done():
			l.setConn(s, nil)
			ls.release()
			d := l.backoff(1)
			if l.cfg.Protocol == ProtocolSGIP && strings.Contains(fmt.Sprint(c.Err()), "idle") {
				// SGIP has no keep-alive: an idle link is closed with
				// Unbind, and dialled again at once.
				l.log.Debug("idle session closed", "session", s.idx)
				d = 0
			} else {
				l.stats.drops.Add(1)
				l.log.Warn("session down", "session", s.idx, "retry_in", d, "err", l.scrub(fmt.Sprint(c.Err())))
			}
			return sleep(ctx, d)
		case <-ctx.Done():
			l.setConn(s, nil)
			if err := c.Close(); err != nil {
				l.log.Warn("session closed uncleanly", "session", s.idx, "err", l.scrub(err.Error()))
			}
			ls.release()
			return false
		}
	}
}

// backoff returns the wait before a redial, with jitter: between half and
// all of the doubled delay.
func (l *Link) backoff(attempt int) time.Duration {
	d := backoff(attempt, l.opts.MinBackoff, l.opts.MaxBackoff)
	return d/2 + rand.N(d/2+1)
}

func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

func (l *Link) setConn(s *slot, c conn) {
	l.mu.Lock()
	s.conn = c
	s.since = l.opts.Now()
	if l.opts.Slots != nil {
		// Each session holds one of the link's slots over all nodes, so
		// the node may use its sessions' share of the link's rate.
		l.lim.share(l.connectedLocked(), l.cfg.maxConnections())
	}
	close(l.changed)
	l.changed = make(chan struct{})
	l.mu.Unlock()
}

// Ready waits until at least one session of the link is logged in, or ctx
// ends (returning its error). A disabled or closed link returns
// ErrUnavailable.
func (l *Link) Ready(ctx context.Context) error {
	for {
		if !l.cfg.Enabled || l.closed.Load() {
			return fmt.Errorf("link %s: %w", l.cfg.Name, ErrUnavailable)
		}
		l.mu.Lock()
		ch := l.changed
		up := l.connectedLocked() > 0
		l.mu.Unlock()
		if up {
			return nil
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

func (l *Link) connectedLocked() int {
	n := 0
	for _, s := range l.slots {
		if s.conn != nil {
			n++
		}
	}
	return n
}

// up reports whether a session of the link is logged in.
func (l *Link) up() bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.connectedLocked() > 0
}

// pick returns the session to submit on: among the sessions up and not in
// tried, the one with the fewest submits in flight, preferring sessions
// not paused by a throttle answer; ties go round robin. It returns nil
// when none is up.
func (l *Link) pick(tried []bool) (*slot, conn) {
	now := l.opts.Now().UnixNano()
	start := int(l.rr.Add(1))
	l.mu.Lock()
	defer l.mu.Unlock()
	var best *slot
	var bestPaused bool
	for i := range l.slots {
		s := l.slots[(start+i)%len(l.slots)]
		if s.conn == nil || tried[s.idx] {
			continue
		}
		paused := s.pause.Load() > now
		switch {
		case best == nil,
			bestPaused && !paused,
			bestPaused == paused && s.inflight.Load() < best.inflight.Load():
			best, bestPaused = s, paused
		}
	}
	if best == nil {
		return nil, nil
	}
	return best, best.conn
}

// Send submits m on one session of the link, every segment on the same one
// unless that session fails; concurrent Sends spread over the sessions.
// It waits for the rate limiter first (each segment counts). It returns
// the Result with one Part per segment, or:
//   - ErrNoRoute when the link is disabled;
//   - ErrUnavailable when no session is up, or every one failed with
//     a timeout or a drop, or the link is closed;
//   - ErrThrottled when the carrier throttled the message (the session
//     then takes no new submit for Options.ThrottlePause);
//   - a *SubmitError when the carrier refused a segment (ErrTemporary
//     matches it when the code is a temporary one);
//   - an EINVALID *taxsms.Error when the number or the text cannot be sent
//     (a character no coding of the link has, more than 255 segments);
//   - ctx's error.
//
// On an error, Result.Parts holds the segments accepted before it: a
// retried message may reach the handset partly twice.
func (l *Link) Send(ctx context.Context, m Message) (Result, error) {
	res := Result{Carrier: l.cfg.Carrier, Link: l.cfg.Name}
	if !l.cfg.Enabled {
		return res, fmt.Errorf("link %s is disabled: %w", l.cfg.Name, ErrNoRoute)
	}
	if l.closed.Load() {
		return res, fmt.Errorf("link %s is closed: %w", l.cfg.Name, ErrUnavailable)
	}
	if l.off.Load() {
		return res, fmt.Errorf("link %s is disabled for now: %w", l.cfg.Name, ErrUnavailable)
	}
	if len(m.Mobile) != 11 || !digits(m.Mobile) {
		return res, taxsms.Invalid("mobile", "%q is not 11 digits", taxsms.MaskMobile(m.Mobile))
	}
	text, sig := l.text(m.Text)
	coding, err := sms.Choose(text, sig, l.cfg.codings()...)
	if err != nil {
		return res, taxsms.Invalid("text", "cannot be sent on link %s: %v", l.cfg.Name, err)
	}
	res.Coding = domainCoding(coding)
	concat := l.cfg.concat()
	segs, err := sms.Split(text, sms.SplitOptions{
		Coding: coding, Concat: concat, Ref: uint16(l.ref.Add(1)), CarrierSignature: sig,
	})
	if err != nil {
		return res, taxsms.Invalid("text", "cannot be sent on link %s: %v", l.cfg.Name, err)
	}
	if !l.up() {
		return res, fmt.Errorf("link %s: no session is up: %w", l.cfg.Name, ErrUnavailable)
	}
	if err := l.lim.wait(ctx, len(segs)); err != nil {
		return res, err
	}
	tried := make([]bool, len(l.slots))
	s, c := l.pick(tried)
	throttles := 0
	for i := 0; i < len(segs); {
		if s == nil {
			return res, fmt.Errorf("link %s: no session is up: %w", l.cfg.Name, ErrUnavailable)
		}
		if until := s.pause.Load(); until > l.opts.Now().UnixNano() {
			if !sleep(ctx, time.Duration(until-l.opts.Now().UnixNano())) {
				return res, ctx.Err()
			}
		}
		sg := &segment{
			dest: m.Mobile, src: l.cfg.source(m.Kind), priority: m.Priority,
			coding: coding, concat: concat, seg: segs[i], content: segs[i].AppendContent(nil),
		}
		s.inflight.Add(1)
		id, err := c.submit(ctx, sg)
		s.inflight.Add(-1)
		if err == nil {
			l.stats.segments.Add(1)
			res.Parts = append(res.Parts, Part{Seq: segs[i].Seq, MsgID: id})
			i++
			continue
		}
		if ctx.Err() != nil {
			return res, err
		}
		switch {
		case errors.Is(err, protocol.ErrThrottled):
			l.stats.throttled.Add(1)
			s.pause.Store(l.opts.Now().Add(l.opts.ThrottlePause).UnixNano())
			throttles++
			if i == 0 || throttles > 3 {
				return res, fmt.Errorf("link %s: %w: %s", l.cfg.Name, ErrThrottled, l.scrub(err.Error()))
			}
			// A later segment: wait out the pause and send it again, so
			// that the message is not left half sent.
		case errors.Is(err, protocol.ErrTimeout), errors.Is(err, protocol.ErrClosed):
			l.noteError("submit", err)
			tried[s.idx] = true
			if s, c = l.pick(tried); s == nil {
				return res, fmt.Errorf("link %s: %w: %s", l.cfg.Name, ErrUnavailable, l.scrub(err.Error()))
			}
		default:
			l.noteError("submit", err)
			code, ok := refusal(err)
			if !ok {
				return res, fmt.Errorf("link %s: segment %d: %s", l.cfg.Name, segs[i].Seq, l.scrub(err.Error()))
			}
			return res, &SubmitError{
				Link: l.cfg.Name, Code: code, Temporary: temporary(l.cfg.Protocol, code),
				Text: l.scrub(err.Error()),
			}
		}
	}
	l.stats.submits.Add(1)
	return res, nil
}

// text returns the text to send and the signature the carrier will add:
// a copy of the carrier's signature at either end of text is removed.
func (l *Link) text(t string) (text, sig string) {
	sig = l.cfg.Signature
	if sig == "" {
		return t, ""
	}
	if s, ok := strings.CutSuffix(t, sig); ok {
		return s, sig
	}
	if s, ok := strings.CutPrefix(t, sig); ok {
		return s, sig
	}
	return t, sig
}

func domainCoding(c sms.Coding) taxsms.Coding {
	switch c {
	case sms.GSM7:
		return taxsms.CodingGSM7
	case sms.ASCII:
		return taxsms.CodingASCII
	case sms.GB18030:
		return taxsms.CodingGB
	case sms.Binary:
		return taxsms.CodingBinary
	}
	return taxsms.CodingUCS2
}

// noteError counts err and keeps it, without secrets or full numbers, as
// the link's last error.
func (l *Link) noteError(what string, err error) {
	l.stats.errors.Add(1)
	msg := what + ": " + l.scrub(err.Error())
	l.mu.Lock()
	l.lastErr, l.lastErrAt = msg, l.opts.Now()
	l.mu.Unlock()
}

// mobileRE finds what may be a mainland mobile number in an error text.
var mobileRE = regexp.MustCompile(`1[3-9][0-9]{9}`)

// scrub removes the link's secret and masks mobile numbers in s.
func (l *Link) scrub(s string) string {
	if l.cfg.Secret != "" {
		s = strings.ReplaceAll(s, l.cfg.Secret, "[secret]")
	}
	return mobileRE.ReplaceAllStringFunc(s, taxsms.MaskMobile)
}

// Health is the state of one link, for /metrics and the console. It holds
// no secret and no mobile number.
type Health struct {
	Name     string
	Carrier  taxsms.Carrier
	Protocol string
	Enabled  bool
	// Sessions is the number configured, Connected those logged in now.
	Sessions, Connected int
	// InFlight counts the submits awaiting their answer now; Window is the
	// capacity of the sessions up (window × Connected).
	InFlight, Window int
	// Submits counts messages sent whole, Segments the segments accepted,
	// Throttled the throttle answers, Errors the failed logins and submits
	// (timeouts, drops, refusals), Drops the sessions lost after login.
	Submits, Segments, Throttled, Errors, Drops int64
	// Receipts and MO count what the Handler accepted; HandlerErrors what
	// it refused (the gateway resends those).
	Receipts, MO, HandlerErrors int64
	// LastError is the text of the latest error, LastErrorAt its time.
	LastError   string
	LastErrorAt time.Time
	// ConnectedSince is when the longest-standing session now up logged
	// in; zero when none is up.
	ConnectedSince time.Time
}

// Health returns the link's state now.
func (l *Link) Health() Health {
	h := Health{
		Name: l.cfg.Name, Carrier: l.cfg.Carrier, Protocol: l.cfg.Protocol, Enabled: l.Enabled(),
		Sessions:  len(l.slots),
		Submits:   l.stats.submits.Load(),
		Segments:  l.stats.segments.Load(),
		Throttled: l.stats.throttled.Load(),
		Errors:    l.stats.errors.Load(),
		Drops:     l.stats.drops.Load(),
		Receipts:  l.stats.receipts.Load(), MO: l.stats.mo.Load(),
		HandlerErrors: l.stats.handlerErrors.Load(),
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, s := range l.slots {
		h.InFlight += int(s.inflight.Load())
		if s.conn == nil {
			continue
		}
		h.Connected++
		if h.ConnectedSince.IsZero() || s.since.Before(h.ConnectedSince) {
			h.ConnectedSince = s.since
		}
	}
	h.Window = h.Connected * l.cfg.window()
	h.LastError, h.LastErrorAt = l.lastErr, l.lastErrAt
	return h
}

// Close stops the link: new Sends fail with ErrUnavailable, every session
// drains its window and logs out (each within Options.CloseTimeout), and
// the SGIP listener closes. It waits for the link's goroutines or until
// ctx ends, returning ctx's error then (the sessions still finish closing
// in the background). Closing a closed link returns nil.
func (l *Link) Close(ctx context.Context) error {
	if !l.closed.CompareAndSwap(false, true) {
		return nil
	}
	l.cancel()
	done := make(chan struct{})
	go func() { // ends when every session and the listener have closed
		l.wg.Wait()
		close(done)
	}()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("close link %s: %w", l.cfg.Name, ctx.Err())
	}
}
