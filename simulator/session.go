package simulator

import (
	"context"
	"errors"
	"hash/maphash"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"taxsms/protocol/sms"
)

// link is what the simulator needs of a logged-in protocol Conn.
type link interface {
	Close() error
	Done() <-chan struct{}
}

// session is one accepted connection.
type session struct {
	srv  *server
	wc   *wireConn
	name string   // the login name tried
	acct *account // set once the login took a link slot of the account
	// dropped is set by the first drop of the link (a fault or Drop).
	dropped atomic.Bool

	bucketMu sync.Mutex
	tokens   float64
	last     time.Time
}

// acceptLoop accepts connections until the listener is closed.
func (srv *server) acceptLoop() {
	defer srv.sim.wg.Done()
	for {
		nc, err := srv.ln.Accept()
		if err != nil {
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				continue
			}
			return
		}
		srv.sim.wg.Add(1)
		go srv.serve(nc) // ends when the link is down and its senders have stopped
	}
}

// serve logs nc in and runs its link until it is down or the simulator closes.
func (srv *server) serve(nc net.Conn) {
	defer srv.sim.wg.Done()
	sim := srv.sim
	ss := &session{srv: srv, wc: newWireConn(nc, srv.proto, sim.cfg.Window)}
	ss.wc.onAnswer = func() action {
		a := ss.acct
		if a == nil {
			return actPass
		}
		act := srv.takeAnswerFault(a.name)
		if act != actPass {
			a.c.faults.Add(1)
		}
		return act
	}
	ctx, cancel := context.WithTimeout(sim.ctx, 10*time.Second)
	var (
		l    link
		push func(context.Context, *item) error
		err  error
	)
	switch srv.proto {
	case CMPP:
		l, push, err = ss.loginCMPP(ctx)
	case SGIP:
		l, push, err = ss.loginSGIP(ctx)
	case SMGP:
		l, push, err = ss.loginSMGP(ctx)
	case SMPP:
		l, push, err = ss.loginSMPP(ctx)
	}
	cancel()
	if err != nil {
		nc.Close()
		if ss.acct != nil {
			ss.acct.release()
			ss.acct.c.loginsFailed.Add(1)
		} else if a := srv.accounts[ss.name]; a != nil {
			a.c.loginsFailed.Add(1)
		} else {
			srv.others.get(ss.name).loginsFailed.Add(1)
		}
		sim.cfg.Logger.Info("simulator: login refused", "protocol", srv.proto, "account", ss.name, "err", err)
		return
	}
	a := ss.acct
	a.c.loginsOK.Add(1)
	a.c.connections.Add(1)
	a.c.up()
	srv.linksMu.Lock()
	srv.links[ss] = struct{}{}
	srv.linksMu.Unlock()

	var senders sync.WaitGroup
	if push != nil {
		for range sim.cfg.DeliverWindow {
			senders.Add(1)
			go func() { // ends when the link is down
				defer senders.Done()
				sim.sender(a, l.Done(), push)
			}()
		}
	}
	select {
	case <-l.Done():
	case <-sim.ctx.Done():
	}
	l.Close()
	senders.Wait()
	nc.Close()

	srv.linksMu.Lock()
	delete(srv.links, ss)
	srv.linksMu.Unlock()
	a.c.active.Add(-1)
	a.release()
}

// errDropped is the handler error of a submit whose link a fault closed.
var errDropped = errors.New("simulator: link dropped by fault")

// verdict is how a submit is answered.
type verdict uint8

const (
	accept   verdict = iota
	throttle         // the protocol's throttle code
	dropped          // the link was closed; no answer
)

// admit counts a submit with wire key k and decides its answer: a dropped
// link, a throttle answer (fault, window, rate), or acceptance after any
// fault delay.
func (ss *session) admit(ctx context.Context, k seqKey) verdict {
	a := ss.acct
	a.c.submits.Add(1)
	fk, delay := ss.srv.takeFault(a.name)
	switch {
	case fk == faultDrop:
		a.c.faults.Add(1)
		ss.drop()
		return dropped
	case ss.wc.overWindow(k), !ss.takeToken(), fk == faultThrottle:
		if fk == faultThrottle {
			a.c.faults.Add(1)
		}
		a.c.throttled.Add(1)
		return throttle
	}
	if delay > 0 {
		a.c.faults.Add(1)
		t := time.NewTimer(delay)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
		}
	}
	return accept
}

// drop closes the link's connection at once, without Unbind or Terminate.
// It reports false when the link had been dropped already.
func (ss *session) drop() bool {
	if ss.dropped.Swap(true) {
		return false
	}
	ss.wc.Conn.Close()
	return true
}

// takeToken takes one submit from the link's rate bucket.
func (ss *session) takeToken() bool {
	rate := float64(ss.srv.sim.cfg.Rate)
	if rate <= 0 {
		return true
	}
	now := time.Now()
	ss.bucketMu.Lock()
	defer ss.bucketMu.Unlock()
	if ss.last.IsZero() {
		ss.tokens = rate
	} else {
		ss.tokens = min(rate, ss.tokens+now.Sub(ss.last).Seconds()*rate)
	}
	ss.last = now
	if ss.tokens < 1 {
		return false
	}
	ss.tokens--
	return true
}

// segment is an accepted submit in the common form, before it is kept.
type segment struct {
	msgID   string
	src     string
	dests   []string
	coding  sms.Coding
	udhi    bool
	content []byte // may alias the frame
	// pkTotal and pkNumber are CMPP Pk_*, SMGP PkTotal/PkNumber or SMPP
	// sar_*; 0 when absent.
	pkTotal, pkNumber int
	sarRef            uint16
	report            bool
}

// accepted counts an accepted segment, remembers it and calls the hook. It
// reports whether the segment is a duplicate.
func (ss *session) accepted(sg *segment) bool {
	sim, a := ss.srv.sim, ss.acct
	var h maphash.Hash
	h.SetSeed(sim.seed)
	h.WriteString(string(ss.srv.proto))
	h.WriteByte(0)
	h.WriteString(a.name)
	for _, d := range sg.dests {
		h.WriteByte(0)
		h.WriteString(d)
	}
	h.WriteByte(0)
	h.Write(sg.content)
	h.WriteByte(byte(sg.pkTotal))
	h.WriteByte(byte(sg.pkNumber))
	h.WriteByte(byte(sg.sarRef >> 8))
	h.WriteByte(byte(sg.sarRef))
	dup := sim.dedup.add(h.Sum64())

	total, seq, ref := sg.pkTotal, sg.pkNumber, sg.sarRef
	if sg.udhi {
		if u, err := sms.ParseUDH(sg.content); err == nil && u.Concat {
			total, seq, ref = u.Total, u.Seq, u.Ref
		}
	}
	a.c.segments.Add(1)
	if dup {
		a.c.duplicates.Add(1)
	} else if total <= 1 || seq == 1 {
		a.c.messages.Add(1)
	}
	if sim.cfg.Keep > 0 || sim.cfg.OnSubmit != nil {
		sub := Submit{
			Protocol: ss.srv.proto, Account: a.name, MsgID: sg.msgID,
			Src: sg.src, Dests: append([]string(nil), sg.dests...),
			Coding: sg.coding, UDHI: sg.udhi, Content: append([]byte(nil), sg.content...),
			Ref: ref, Total: max(total, 1), Seq: max(seq, 1),
			Report: sg.report, Duplicate: dup, Time: sim.cfg.Now(),
		}
		if sim.cfg.OnSubmit != nil {
			sim.cfg.OnSubmit(sub)
		}
		if sim.cfg.Keep > 0 {
			sim.keep(sub)
		}
	}
	return dup
}
