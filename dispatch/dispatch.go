// Package dispatch moves messages from the outbox to the carriers and the
// carriers' answers back into the store: it claims queued messages in
// priority order, sends them through the carrier links, records each
// outcome (submitted with its carrier ids, retried, failed), stores status
// reports and MO messages before they are acknowledged, and sweeps the
// outbox (scheduled messages coming due, expiries, claims of dead nodes,
// late receipts, incomplete long MO) on the one node that holds the
// scheduler lock.
//
//	claimer ─► work ─► workers (Sender.Send) ─► outcomes ─► store
//	links ─► HandleReceipt / HandleMO ─► group commit ─► store ─► ack
//
// Writes are batched: many outcomes, or many receipts, share one
// transaction, and a receipt is acknowledged once its batch has committed.
// A message is claimed for a lease; if the node dies, the lease runs out
// and another node (or this one, restarted) queues it again, so only the
// messages in flight at a crash can go twice.
package dispatch

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"sync"
	"time"

	"taxsms"
	"taxsms/carrier"
	"taxsms/store"
)

// Sender sends one message through the carrier links; *carrier.Router is one.
type Sender interface {
	Send(ctx context.Context, m carrier.Message) (carrier.Result, error)
}

// MOHandler receives each MO message once it is stored: the inbound service.
type MOHandler interface {
	HandleMO(ctx context.Context, m *taxsms.Message)
}

// Config tunes a Dispatcher. Zero values take the defaults.
type Config struct {
	Node        string        // this node's name, stable across restarts (default "node")
	Workers     int           // concurrent sends (default 256): the links' windows added up bounds what a crash sends twice
	Batch       int           // messages claimed at once (default 256)
	Lease       time.Duration // how long a claim holds (default 10 minutes)
	Poll        time.Duration // how often an idle claimer looks again (default 100 ms)
	Sweep       time.Duration // how often the outbox is swept (default 1 s)
	MaxAttempts int           // temporary failures before a message fails (default 5)
	// ReceiptGrace is how long a receipt may wait for its segment before it
	// is kept as unmatched (default 10 minutes); FragmentExpiry how long a
	// long MO waits for its missing segments (default 5 minutes).
	ReceiptGrace   time.Duration
	FragmentExpiry time.Duration
}

func (c *Config) defaults() {
	def := func(v *time.Duration, d time.Duration) {
		if *v <= 0 {
			*v = d
		}
	}
	if c.Node == "" {
		c.Node = "node"
	}
	if c.Workers <= 0 {
		c.Workers = 256
	}
	if c.Batch <= 0 {
		c.Batch = 256
	}
	if c.MaxAttempts <= 0 {
		c.MaxAttempts = 5
	}
	def(&c.Lease, 10*time.Minute)
	def(&c.Poll, 100*time.Millisecond)
	def(&c.Sweep, time.Second)
	def(&c.ReceiptGrace, 10*time.Minute)
	def(&c.FragmentExpiry, 5*time.Minute)
}

// Dispatcher runs the outbox of one node. Set its fields, then Open; it
// implements carrier.Handler for the links.
type Dispatcher struct {
	DB     *store.DB
	Sender Sender
	MO     MOHandler // may be nil: MO messages are then only stored
	Config Config
	Logger *slog.Logger
	Now    func() time.Time
	// Metrics, if set, counts what the dispatcher does.
	Metrics *Metrics

	wake     chan struct{}
	work     chan store.Claimed
	outcomes *committer[store.Outcome]
	receipts *committer[store.Receipt]

	stopClaim context.CancelFunc
	claimDone chan struct{}
	workers   sync.WaitGroup
	sweepStop context.CancelFunc
	sweepDone chan struct{}
	scheduler *store.Lock // held by the one node that sweeps
	stopOnce  sync.Once

	mu          sync.Mutex
	unavailable time.Time // until when the links were found down
}

// Open starts the dispatcher's goroutines. At start it queues again the
// messages this node had claimed before it stopped. The goroutines end with
// Stop and Close.
func (d *Dispatcher) Open(ctx context.Context) error {
	d.Config.defaults()
	if d.Now == nil {
		d.Now = time.Now
	}
	if d.Logger == nil {
		d.Logger = slog.New(slog.DiscardHandler)
	}
	d.wake = make(chan struct{}, 1)
	d.work = make(chan store.Claimed, d.Config.Batch)
	d.outcomes = newCommitter(d.recordOutcomes, 1024)
	d.receipts = newCommitter(d.recordReceipts, 1024)

	s, err := d.DB.Sweep(ctx, store.SweepOptions{Node: d.Config.Node})
	if err != nil {
		return fmt.Errorf("dispatch: start: %w", err)
	}
	if s.Requeued > 0 {
		d.Logger.Warn("queued again the messages in flight when this node stopped; they may go twice", "messages", s.Requeued)
		d.Metrics.requeued(s.Requeued)
	}

	claimCtx, stop := context.WithCancel(context.WithoutCancel(ctx))
	d.stopClaim, d.claimDone = stop, make(chan struct{})
	go d.claimLoop(claimCtx)
	for range d.Config.Workers {
		d.workers.Add(1)
		go d.worker()
	}
	sweepCtx, stopSweep := context.WithCancel(context.WithoutCancel(ctx))
	d.sweepStop, d.sweepDone = stopSweep, make(chan struct{})
	d.scheduler = d.DB.Lock("scheduler")
	go d.sweepLoop(sweepCtx)
	return nil
}

// Notify tells the dispatcher that new messages are queued, so that it
// claims them at once rather than at its next poll.
func (d *Dispatcher) Notify() {
	select {
	case d.wake <- struct{}{}:
	default:
	}
}

// Stop stops claiming, waits for the sends in flight (until ctx ends: the
// carrier links' own timeouts bound them), queues again what was claimed
// and not sent, and writes every outcome. Receipts and MO are still taken
// until Close, so that the links can drain.
func (d *Dispatcher) Stop(ctx context.Context) error {
	var err error
	d.stopOnce.Do(func() {
		d.stopClaim()
		<-d.claimDone // the claimer closed work
		done := make(chan struct{})
		go func() { d.workers.Wait(); close(done) }()
		select {
		case <-done:
		case <-ctx.Done():
			err = fmt.Errorf("dispatch: stop: sends still in flight: %w", ctx.Err())
		}
		d.outcomes.close()
	})
	return err
}

// Close stops the dispatcher: Stop if not done, then the receipt writer and
// the sweeper. Receipts arriving after Close are refused (the carrier sends
// them again later).
func (d *Dispatcher) Close(ctx context.Context) error {
	err := d.Stop(ctx)
	d.sweepStop()
	<-d.sweepDone
	d.scheduler.Release()
	d.receipts.close()
	return err
}

// claimLoop claims messages while there is room for them; it ends, closing
// work, when ctx is cancelled by Stop.
func (d *Dispatcher) claimLoop(ctx context.Context) {
	defer close(d.claimDone)
	defer close(d.work)
	t := time.NewTimer(0)
	defer t.Stop()
	for {
		room := cap(d.work) - len(d.work)
		idle := true
		if room >= cap(d.work)/2 && !d.linksDown() {
			claimed, err := d.DB.ClaimMessages(ctx, d.Config.Node, room, d.Config.Lease)
			if err != nil {
				if ctx.Err() != nil {
					return
				}
				d.Logger.Error("claim messages", "err", err)
			}
			for _, c := range claimed {
				d.work <- c
			}
			idle = len(claimed) < room
			d.Metrics.claimed(len(claimed))
		}
		wait := d.Config.Poll
		if !idle {
			wait = time.Millisecond // more is waiting: claim as soon as there is room
		}
		t.Reset(wait)
		select {
		case <-ctx.Done():
			return
		case <-d.wake:
		case <-t.C:
		}
	}
}

// linksDown reports whether the last sends found every link down, in which
// case claiming pauses for a moment rather than churning the outbox.
func (d *Dispatcher) linksDown() bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.Now().Before(d.unavailable)
}

// worker sends claimed messages until work is closed and drained. After
// Stop it hands back, unsent, what is still in work.
//
// A worker takes its next message only once the outcome of the last is
// committed, so that the messages a crash may send twice (accepted by the
// carrier, outcome not stored) are at most Config.Workers: set it to the
// links' windows added up and the bound is the windows.
func (d *Dispatcher) worker() {
	defer d.workers.Done()
	for c := range d.work {
		if d.stopping() {
			d.outcomes.add(store.Outcome{ID: c.ID, Status: taxsms.StatusScheduled, RetryAt: d.Now()})
			continue
		}
		d.outcomes.wait(context.Background(), d.send(c)) // recordOutcomes logs a failure
	}
}

func (d *Dispatcher) stopping() bool {
	select {
	case <-d.claimDone:
		return true
	default:
		return false
	}
}

// send submits one claimed message and returns its outcome.
func (d *Dispatcher) send(c store.Claimed) store.Outcome {
	start := d.Now()
	res, err := d.Sender.Send(context.Background(), carrier.Message{ID: c.ID, Mobile: c.Mobile, Text: c.Body, Kind: c.Kind, Priority: c.Priority})
	now := d.Now()
	o := store.Outcome{ID: c.ID}
	// Segments accepted on links given up on, and before an error: billed
	// by their carriers whatever becomes of the message.
	for _, a := range res.Abandoned {
		o.Partial = append(o.Partial, partial(a))
	}
	if err != nil && len(res.Parts) > 0 {
		o.Partial = append(o.Partial, partial(res))
	}
	switch {
	case err == nil:
		o.Carrier, o.Link, o.Coding = res.Carrier, res.Link, res.Coding
		for _, p := range res.Parts {
			o.Parts = append(o.Parts, taxsms.Part{Seq: p.Seq, CarrierMsgID: p.MsgID})
		}
		d.Metrics.submitted(c, res, start.Sub(c.CreatedAt), now.Sub(start))
		return o
	case errors.Is(err, carrier.ErrThrottled):
		o.Status, o.RetryAt = taxsms.StatusScheduled, now.Add(250*time.Millisecond)
	case errors.Is(err, carrier.ErrUnavailable):
		o.Status, o.RetryAt = taxsms.StatusScheduled, now.Add(5*time.Second)
		d.mu.Lock()
		d.unavailable = now.Add(time.Second)
		d.mu.Unlock()
	case errors.Is(err, carrier.ErrNoRoute):
		o.Status = taxsms.StatusRejected
	case errors.Is(err, carrier.ErrTemporary):
		if c.Attempts+1 >= d.Config.MaxAttempts {
			o.Status = taxsms.StatusFailed
		} else {
			o.Status, o.Attempt = taxsms.StatusScheduled, true
			o.RetryAt = now.Add(backoff(c.Attempts))
		}
	default:
		o.Status = taxsms.StatusFailed
	}
	o.Error = err.Error()
	d.Metrics.outcome(o.Status)
	if o.Status != taxsms.StatusScheduled || o.Attempt {
		d.Logger.Warn("send", "message", c.ID, "to", taxsms.MaskMobile(c.Mobile), "status", o.Status, "err", err)
	}
	return o
}

// partial returns what a link accepted of a message it did not send whole.
func partial(r carrier.Result) store.PartialSend {
	p := store.PartialSend{Carrier: r.Carrier, Link: r.Link}
	for _, x := range r.Parts {
		p.Parts = append(p.Parts, taxsms.Part{Seq: x.Seq, CarrierMsgID: x.MsgID})
	}
	return p
}

// backoff is the wait before the next try after attempts temporary
// failures: 10 s, 20 s, 40 s, … up to 10 minutes.
func backoff(attempts int) time.Duration {
	return time.Duration(math.Min(float64(10*time.Second)*math.Pow(2, float64(attempts)), float64(10*time.Minute)))
}

// recordOutcomes writes outcomes, trying again while the database refuses
// (nobody waits for them: a lost outcome would leave its message claimed
// until the lease runs out, and then send it twice).
func (d *Dispatcher) recordOutcomes(ctx context.Context, os []store.Outcome) error {
	for try := 0; ; try++ {
		err := d.DB.RecordOutcomes(ctx, os)
		if err == nil || try == 10 {
			if err != nil {
				d.Logger.Error("record outcomes: giving up; the messages will be queued again when their claim lapses", "messages", len(os), "err", err)
			}
			return err
		}
		d.Logger.Warn("record outcomes", "try", try, "err", err)
		time.Sleep(time.Duration(try+1) * 100 * time.Millisecond)
	}
}

func (d *Dispatcher) recordReceipts(ctx context.Context, rs []store.Receipt) error {
	pending, err := d.DB.RecordReceipts(ctx, rs)
	if err == nil {
		d.Metrics.receipts(rs, pending)
	}
	return err
}

// HandleReceipt stores a status report; it returns once the report is
// committed, so the link acknowledges only what is stored.
func (d *Dispatcher) HandleReceipt(ctx context.Context, r carrier.Receipt) error {
	return d.receipts.wait(ctx, store.Receipt{Carrier: r.Carrier, Link: r.Link, MsgID: r.MsgID, Stat: r.Stat, Err: r.Err, Done: r.Done})
}

// HandleMO stores an inbound PDU before it is acknowledged; a duplicate is
// dropped (and acknowledged). When it completes a message, the message is
// handed to the MOHandler.
func (d *Dispatcher) HandleMO(ctx context.Context, f carrier.Fragment) error {
	m, dup, err := d.DB.StoreFragment(ctx, store.Fragment{Carrier: f.Carrier, Link: f.Link, MsgID: f.MsgID, From: f.From,
		To: f.To, Text: f.Text, Ref: f.Ref, Total: f.Total, Seq: f.Seq, Received: f.Received})
	if err != nil {
		if taxsms.ErrorCode(err) == taxsms.EINVALID {
			d.Logger.Warn("MO dropped", "link", f.Link, "err", err) // a resend would not mend it
			return nil
		}
		return err
	}
	d.Metrics.mo(dup, m != nil)
	if m != nil && d.MO != nil {
		d.MO.HandleMO(context.WithoutCancel(ctx), m)
	}
	return nil
}

// sweepLoop sweeps the outbox every Config.Sweep until ctx is cancelled,
// while this node holds the scheduler lock: one node of those sharing a
// PostgreSQL database sweeps at a time, and another takes over when it
// stops or dies (see store.Lock).
func (d *Dispatcher) sweepLoop(ctx context.Context) {
	defer close(d.sweepDone)
	t := time.NewTicker(d.Config.Sweep)
	defer t.Stop()
	scheduler := false
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		held, err := d.scheduler.Hold(ctx)
		if held != scheduler && ctx.Err() == nil {
			if held {
				d.Logger.Info("this node runs the schedulers")
			} else {
				d.Logger.Warn("this node no longer runs the schedulers", "err", err)
			}
			scheduler = held
		} else if err != nil && ctx.Err() == nil {
			d.Logger.Error("scheduler lock", "err", err)
		}
		if !held {
			continue
		}
		s, err := d.DB.Sweep(ctx, store.SweepOptions{ReceiptGrace: d.Config.ReceiptGrace,
			FragmentExpiry: d.Config.FragmentExpiry, FragmentKeep: 24 * time.Hour})
		if err != nil {
			if ctx.Err() == nil {
				d.Logger.Error("sweep", "err", err)
			}
			continue
		}
		if s.Promoted > 0 {
			d.Notify()
		}
		if s.Requeued > 0 {
			d.Logger.Warn("queued again messages whose claim lapsed; they may go twice", "messages", s.Requeued)
			d.Metrics.requeued(s.Requeued)
		}
		if s.Unmatched > 0 {
			d.Logger.Warn("receipts that match no message, kept", "receipts", s.Unmatched)
		}
		for _, m := range s.MO {
			if d.MO != nil {
				d.MO.HandleMO(ctx, m)
			}
		}
	}
}
