package simulator

import (
	"context"
	"errors"
	"fmt"
	"hash/maphash"
	"math/rand/v2"
	"net"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"taxsms/protocol"
	"taxsms/protocol/cmpp"
	"taxsms/protocol/sgip"
	"taxsms/protocol/smgp"
)

// chinaTime is the zone of the times written in CMPP, SMGP and SMPP reports.
var chinaTime = time.FixedZone("CST", 8*3600)

// Simulator is a running carrier gateway. Its methods are safe for
// concurrent use.
type Simulator struct {
	cfg    Config
	ctx    context.Context // ends with Close; parent of every link
	cancel context.CancelFunc
	wg     sync.WaitGroup // every goroutine of the Simulator
	closed sync.Once

	servers map[Protocol]*server

	seed  maphash.Seed
	dedup *dedup

	rngMu sync.Mutex
	rng   *rand.Rand

	ringMu   sync.Mutex
	ring     []Submit
	ringNext int

	moRef   atomic.Uint32
	cmppIDs *cmpp.MsgIDGenerator
	smgpIDs *smgp.MsgIDGenerator
	smppIDs atomic.Uint64
}

// server is one protocol's listener and accounts.
type server struct {
	sim      *Simulator
	proto    Protocol
	ln       net.Listener
	accounts map[string]*account // fixed after Start
	others   strangers

	faultMu sync.Mutex
	fault   Fault

	linksMu sync.Mutex
	links   map[*session]struct{}
}

// account is the live state of one configured account.
type account struct {
	name  string
	cfg   Account
	c     counters
	q     *queue
	sgip  *sgip.Client // SGIP: the link to the SP's listener
	mu    sync.Mutex
	links int // logged in or logging in
}

// reserve takes a link slot once the login's credentials are checked; it
// reports false when none is free. The slot is given back by release when
// the login fails after all (a CMPP authenticator is checked after
// Authenticate) or the link ends.
func (a *account) reserve() bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.cfg.MaxConns > 0 && a.links >= a.cfg.MaxConns {
		return false
	}
	a.links++
	return true
}

func (a *account) release() {
	a.mu.Lock()
	a.links--
	a.mu.Unlock()
}

// Start listens on every configured protocol and serves until Close or
// until ctx ends. It returns an error, having closed what it opened, when a
// listener cannot be opened or an account is misconfigured.
func Start(ctx context.Context, cfg Config) (*Simulator, error) {
	c := cfg.withDefaults()
	s := &Simulator{
		cfg:     c,
		servers: make(map[Protocol]*server),
		seed:    maphash.MakeSeed(),
		dedup:   newDedup(c.DuplicateWindow),
		rng:     rand.New(rand.NewPCG(c.Seed, c.Seed^0x9E3779B97F4A7C15)),
		cmppIDs: &cmpp.MsgIDGenerator{Gateway: 12366, Now: c.Now},
	}
	var err error
	if s.smgpIDs, err = smgp.NewMsgIDGenerator("010612", c.Now); err != nil {
		return nil, err
	}
	if c.Keep > 0 {
		s.ring = make([]Submit, 0, c.Keep)
	}
	s.ctx, s.cancel = context.WithCancel(context.WithoutCancel(ctx))
	for _, p := range Protocols() {
		lc := c.listen(p)
		if lc.Addr == "" {
			continue
		}
		srv := &server{sim: s, proto: p, accounts: make(map[string]*account), links: make(map[*session]struct{})}
		for name, a := range lc.Accounts {
			srv.accounts[name] = &account{name: name, cfg: a, q: newQueue(c.MaxQueued)}
		}
		if f, ok := c.Faults[p]; ok {
			srv.fault = f
		}
		ln, err := net.Listen("tcp", lc.Addr)
		if err != nil {
			s.Close()
			return nil, fmt.Errorf("simulator: %s listen %s: %w", p, lc.Addr, err)
		}
		srv.ln = ln
		s.servers[p] = srv
	}
	for _, srv := range s.servers {
		s.wg.Add(1)
		go srv.acceptLoop() // ends when the listener is closed by Close
		if srv.proto == SGIP {
			for _, a := range srv.accounts {
				if a.cfg.DeliverAddr != "" {
					s.startSGIPDelivery(a)
				}
			}
		}
	}
	stop := context.AfterFunc(ctx, func() { s.Close() })
	s.wg.Add(1)
	go func() { // ends with Close
		defer s.wg.Done()
		<-s.ctx.Done()
		stop()
	}()
	return s, nil
}

// Close stops listening, closes every link (each gracefully within
// CloseTimeout), stops the SGIP dial-back links and waits for every
// goroutine of the Simulator. Receipts and MO segments still queued are
// dropped; InjectMO calls waiting for them return protocol.ErrClosed.
// Close is idempotent and returns nil.
func (s *Simulator) Close() error {
	s.closed.Do(func() {
		s.cancel()
		for _, srv := range s.servers {
			if srv.ln != nil {
				srv.ln.Close()
			}
		}
		s.wg.Wait()
		for _, srv := range s.servers {
			for _, a := range srv.accounts {
				if a.sgip != nil {
					a.sgip.Close()
				}
				for _, it := range a.q.drain() {
					it.finish(protocol.ErrClosed)
				}
			}
		}
	})
	return nil
}

// Addrs returns the bound address of every protocol served, e.g.
// {"cmpp": "127.0.0.1:40123"}, which is the way to learn the ports of ":0".
func (s *Simulator) Addrs() map[Protocol]string {
	m := make(map[Protocol]string, len(s.servers))
	for p, srv := range s.servers {
		m[p] = srv.ln.Addr().String()
	}
	return m
}

// Addr returns the bound address of protocol p, "" when it is not served.
func (s *Simulator) Addr(p Protocol) string {
	if srv := s.servers[p]; srv != nil {
		return srv.ln.Addr().String()
	}
	return ""
}

// Stats returns a snapshot of the counters of every account of every
// protocol served, including names that failed to log in.
func (s *Simulator) Stats() Stats {
	st := make(Stats, len(s.servers))
	for p, srv := range s.servers {
		m := make(map[string]Counters, len(srv.accounts))
		for name, a := range srv.accounts {
			m[name] = a.c.snapshot()
		}
		srv.others.mu.Lock()
		for name, c := range srv.others.m {
			m[name] = c.snapshot()
		}
		srv.others.mu.Unlock()
		st[p] = m
	}
	return st
}

// Queued returns how many receipts and MO segments wait for the account
// of protocol p.
func (s *Simulator) Queued(p Protocol, account string) int {
	if srv := s.servers[p]; srv != nil {
		if a := srv.accounts[account]; a != nil {
			return a.q.len()
		}
	}
	return 0
}

// Submits returns the last Config.Keep accepted submits, oldest first.
func (s *Simulator) Submits() []Submit {
	s.ringMu.Lock()
	defer s.ringMu.Unlock()
	out := make([]Submit, 0, len(s.ring))
	out = append(out, s.ring[s.ringNext:]...)
	return append(out, s.ring[:s.ringNext]...)
}

func (s *Simulator) keep(sub Submit) {
	s.ringMu.Lock()
	if len(s.ring) < s.cfg.Keep {
		s.ring = append(s.ring, sub)
	} else {
		s.ring[s.ringNext] = sub
		s.ringNext = (s.ringNext + 1) % len(s.ring)
	}
	s.ringMu.Unlock()
}

// Drop closes every link of protocol p (of account only, unless it is "")
// at once, without Unbind or Terminate, and returns how many it closed: a
// link a fault has dropped already is not counted, even while its session
// is still winding down.
func (s *Simulator) Drop(p Protocol, account string) int {
	srv := s.servers[p]
	if srv == nil {
		return 0
	}
	srv.linksMu.Lock()
	defer srv.linksMu.Unlock()
	n := 0
	for ss := range srv.links {
		if (account == "" || ss.acct.name == account) && ss.drop() {
			n++
		}
	}
	return n
}

// Accounts returns the account names of protocol p, sorted.
func (s *Simulator) Accounts(p Protocol) []string {
	srv := s.servers[p]
	if srv == nil {
		return nil
	}
	names := make([]string, 0, len(srv.accounts))
	for n := range srv.accounts {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// outcome draws the outcome of one status report.
func (s *Simulator) outcome() (Failure, bool) {
	if s.cfg.FailureRate <= 0 {
		return Failure{Stat: "DELIVRD", Err: "000"}, false
	}
	s.rngMu.Lock()
	fail := s.rng.Float64() < s.cfg.FailureRate
	i := s.rng.IntN(len(s.cfg.Failures))
	s.rngMu.Unlock()
	if !fail {
		return Failure{Stat: "DELIVRD", Err: "000"}, false
	}
	return s.cfg.Failures[i], true
}

func (s *Simulator) chance(p float64) bool {
	if p <= 0 {
		return false
	}
	s.rngMu.Lock()
	defer s.rngMu.Unlock()
	return s.rng.Float64() < p
}

// schedule queues a Deliver for account a, due after d.
func (s *Simulator) schedule(a *account, it *item, d time.Duration) {
	it.due = time.Now().Add(d)
	if !a.q.push(it) {
		a.c.abandoned.Add(1)
		it.finish(errors.New("simulator: delivery queue full"))
	}
}

// sender takes a's queue and pushes each item with push until stop is
// closed.
func (s *Simulator) sender(a *account, stop <-chan struct{}, push func(context.Context, *item) error) {
	t := time.NewTimer(time.Hour)
	t.Stop()
	for {
		it := a.q.get(stop, t)
		if it == nil {
			return
		}
		err := push(s.ctx, it)
		if err == nil {
			if it.mo {
				a.c.mo.Add(1)
			} else {
				a.c.receipts.Add(1)
				if it.fail {
					a.c.failedReceipts.Add(1)
				}
			}
			it.finish(nil)
			continue
		}
		a.c.deliverErrors.Add(1)
		it.tries++
		if it.tries >= s.cfg.MaxDeliverTries || s.ctx.Err() != nil {
			if s.ctx.Err() != nil {
				err = protocol.ErrClosed
			}
			a.c.abandoned.Add(1)
			it.finish(err)
			continue
		}
		s.cfg.Logger.Debug("simulator: deliver failed, will retry", "account", a.name, "err", err)
		s.schedule(a, it, s.cfg.RedeliverDelay)
	}
}

// startSGIPDelivery starts the goroutines that push a's queue over a link
// the simulator dials to the SP's listener; they end with Close.
func (s *Simulator) startSGIPDelivery(a *account) {
	a.sgip = sgip.NewClient(a.cfg.DeliverAddr, sgip.ClientConfig{
		LoginType:       sgip.LoginSMGToSP,
		LoginName:       a.name,
		LoginPassword:   a.cfg.Secret,
		NodeID:          s.cfg.SGIPNodeID,
		Window:          s.cfg.DeliverWindow,
		ResponseTimeout: s.cfg.ResponseTimeout,
		Resends:         -1,
		CloseTimeout:    s.cfg.CloseTimeout,
		Now:             s.cfg.Now,
	})
	push := func(ctx context.Context, it *item) error {
		var err error
		switch p := it.pdu.(type) {
		case *sgip.Report:
			_, err = a.sgip.Report(ctx, p)
		case *sgip.Deliver:
			_, err = a.sgip.Deliver(ctx, p)
		}
		return err
	}
	for range s.cfg.DeliverWindow {
		s.wg.Add(1)
		go func() { // ends with Close
			defer s.wg.Done()
			s.sender(a, s.ctx.Done(), push)
		}()
	}
}
