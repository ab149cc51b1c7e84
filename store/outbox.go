package store

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"hash/fnv"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"taxsms"
	"taxsms/audit"
	"taxsms/auth"
)

// Claimed is a message claimed for submission.
type Claimed struct {
	ID        int64
	Kind      taxsms.Kind
	Priority  taxsms.Priority
	Mobile    string
	Body      string
	Segments  int
	Attempts  int
	ContactID int64
	CreatedAt time.Time // when it was queued
}

// ClaimMessages claims up to n queued messages for node until lease from
// now, highest priority and oldest first, and returns them in that order.
// Claimed messages whose expiry has passed are marked expired instead and
// not returned. On PostgreSQL, concurrent nodes claim disjoint messages.
func (db *DB) ClaimMessages(ctx context.Context, node string, n int, lease time.Duration) ([]Claimed, error) {
	var out []Claimed
	err := db.inTx(ctx, func(tx *sql.Tx) error {
		out = out[:0]
		now := db.Now()
		rows, err := tx.QueryContext(ctx, db.q("ClaimMessages"), node, ms(now.Add(lease)), ms(now), n)
		if err != nil {
			return err
		}
		var expired []int64
		for rows.Next() {
			var c Claimed
			var kind string
			var prio int
			var enc []byte
			var expires, created int64
			var contact sql.NullInt64
			if err := rows.Scan(&c.ID, &kind, &prio, &enc, &c.Body, &c.Segments, &c.Attempts, &expires, &contact, &created); err != nil {
				rows.Close()
				return err
			}
			if expires != 0 && expires <= ms(now) {
				expired = append(expired, c.ID)
				continue
			}
			c.Kind, c.Priority, c.ContactID, c.CreatedAt = taxsms.Kind(kind), taxsms.Priority(prio), contact.Int64, fromMS(created)
			if c.Mobile, err = db.openMobile(enc); err != nil {
				rows.Close()
				return fmt.Errorf("message %d: %w", c.ID, err)
			}
			out = append(out, c)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		for _, id := range expired {
			if _, err := tx.ExecContext(ctx, db.q("ExpireClaimed"), ms(now), ms(now), id); err != nil {
				return err
			}
		}
		return nil
	})
	slices.SortFunc(out, func(a, b Claimed) int {
		if a.Priority != b.Priority {
			return int(a.Priority) - int(b.Priority)
		}
		return int(a.ID - b.ID)
	})
	return out, err
}

// Outcome is what became of a claimed message's submission.
type Outcome struct {
	ID int64

	// Submitted: the carrier took every segment. The message's segment
	// count becomes len(Parts): the link decides how a text is split.
	Carrier taxsms.Carrier
	Link    string
	Coding  taxsms.Coding
	Parts   []taxsms.Part // Seq and CarrierMsgID

	// Otherwise Status is the message's new status: StatusScheduled for a
	// retry at RetryAt (Attempt tells whether it counts as an attempt), or
	// StatusFailed or StatusRejected.
	Status  taxsms.Status
	RetryAt time.Time
	Attempt bool
	Error   string

	// Partial holds the segments carriers accepted of this message on
	// links that gave up on it half sent: before a failover to another
	// link, or before the error this outcome reports. The carriers bill
	// them though the message was not sent whole that time.
	Partial []PartialSend
}

// PartialSend is what one link accepted of a message it did not send
// whole.
type PartialSend struct {
	Carrier taxsms.Carrier
	Link    string
	Parts   []taxsms.Part
}

// RecordOutcomes stores the outcomes of submissions in one transaction. An
// outcome for a message no longer being sent (say, claimed again by another
// node after a lease ran out) changes nothing, except that the segments it
// reports accepted are billed (see billing.go). Submissions are written a
// few hundred to a statement.
func (db *DB) RecordOutcomes(ctx context.Context, outcomes []Outcome) error {
	return db.inTx(ctx, func(tx *sql.Tx) error {
		qctx := context.WithoutCancel(ctx) // see cancelled
		now := ms(db.Now())
		var submitted []*Outcome
		var strays []*Outcome // outcomes whose accepted segments may not be counted yet
		seen := make(map[int64]bool, len(outcomes))
		for i := range outcomes {
			o := &outcomes[i]
			if len(o.Partial) > 0 {
				strays = append(strays, o)
			}
			if seen[o.ID] {
				// A second outcome of one claim finds it no longer sending.
				if o.Status == "" || o.Status == taxsms.StatusSubmitted {
					strays = append(strays, &Outcome{ID: o.ID, Partial: []PartialSend{{o.Carrier, o.Link, o.Parts}}})
				}
				continue
			}
			seen[o.ID] = true
			var err error
			switch o.Status {
			case "", taxsms.StatusSubmitted:
				submitted = append(submitted, o)
			case taxsms.StatusScheduled:
				attempt := 0
				if o.Attempt {
					attempt = 1
				}
				_, err = tx.ExecContext(qctx, db.q("MarkRetry"), ms(o.RetryAt), attempt, o.Error, now, o.ID)
				if err == nil && o.Attempt {
					_, err = tx.ExecContext(qctx, db.q("InsertMessageEvent"), o.ID, now, "retry", o.Error)
				}
			case taxsms.StatusFailed, taxsms.StatusRejected:
				_, err = tx.ExecContext(qctx, db.q("MarkFailed"), string(o.Status), o.Error, now, now, o.ID)
			default:
				return fmt.Errorf("record outcome of message %d: status %q", o.ID, o.Status)
			}
			if err != nil {
				return err
			}
		}
		late, err := db.markSubmitted(qctx, tx, now, submitted)
		if err != nil {
			return err
		}
		for _, o := range late {
			strays = append(strays, &Outcome{ID: o.ID, Partial: []PartialSend{{o.Carrier, o.Link, o.Parts}}})
		}
		return db.countStrays(qctx, tx, now, strays)
	})
}

// markSubmitted marks submitted the messages of outs still being sent, and
// stores their parts. Each message marked is billable (see billing.go): it
// and its segments are counted in the same transaction. It returns the
// outcomes of outs whose message was no longer being sent.
func (db *DB) markSubmitted(ctx context.Context, tx *sql.Tx, now int64, outs []*Outcome) (late []*Outcome, err error) {
	parts := &batcher{ctx: ctx, db: db, tx: tx, name: "InsertPart"}
	defer parts.close()
	type billed struct {
		office int64
		kind   string
	}
	marked := make(map[int64]billed, len(outs))
	day := dayOfMS(now)
	counts := make(map[billingKey]billingCount)
	args := make([]any, 0, 2+5*chunkRows)
	for len(outs) > 0 {
		chunk := outs[:min(len(outs), chunkRows)]
		outs = outs[len(chunk):]
		args = append(args[:0], now, now)
		for _, o := range chunk {
			args = append(args, o.ID, string(o.Carrier), o.Link, string(o.Coding), len(o.Parts))
		}
		stmt, args, err := db.batchStmt(ctx, tx, "MarkSubmittedBatch", len(chunk), 2, 5, args)
		if err != nil {
			return nil, err
		}
		rows, err := stmt.QueryContext(ctx, args...)
		if err != nil {
			return nil, err
		}
		for rows.Next() {
			var id int64
			var b billed
			if err := rows.Scan(&id, &b.office, &b.kind); err != nil {
				rows.Close()
				return nil, err
			}
			marked[id] = b
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
		for _, o := range chunk {
			b, ok := marked[o.ID]
			if !ok {
				late = append(late, o)
				continue
			}
			k := billingKey{day: day, office: b.office, carrier: string(o.Carrier), kind: b.kind}
			c := counts[k]
			c.messages++
			c.segments += int64(len(o.Parts))
			counts[k] = c
			for _, p := range o.Parts {
				if err := parts.add(o.ID, p.Seq, string(o.Carrier), p.CarrierMsgID); err != nil {
					return nil, err
				}
			}
		}
	}
	if err := parts.flush(); err != nil {
		return nil, err
	}
	return late, db.count(ctx, tx, counts, "submission recorded")
}

// Receipt is a carrier's status report of one segment.
type Receipt struct {
	Carrier taxsms.Carrier
	Link    string
	MsgID   string // normalised carrier id
	Stat    string // DELIVRD, UNDELIV, ...
	Err     string
	Done    time.Time
}

// Delivered reports whether the segment reached the handset.
func (r Receipt) Delivered() bool { return r.Stat == "DELIVRD" || r.Stat == "DELIVERED" }

// failuresToFlag is how many messages in a row must fail before a contact's
// number is listed for correction (MISSION R-15).
const failuresToFlag = 3

// RecordReceipts stores status reports in one transaction: each marks its
// segment delivered or failed, and a message whose segments have all
// reported becomes delivered (all delivered) or failed (the carrier's code
// as its error). A contact's run of failed messages is counted, and reset
// by a delivery. A receipt that matches no submitted segment is kept to be
// matched later (it may have overtaken its submit response); it reports
// how many were kept so. Receipts are written a few hundred to a
// statement.
func (db *DB) RecordReceipts(ctx context.Context, receipts []Receipt) (pending int, err error) {
	err = db.inTx(ctx, func(tx *sql.Tx) error {
		pending = 0
		qctx := context.WithoutCancel(ctx) // see cancelled
		done := make(map[int64]bool, len(receipts))
		matched, err := db.applyReceipts(qctx, tx, receipts, done)
		if err != nil {
			return err
		}
		held := &batcher{ctx: qctx, db: db, tx: tx, name: "InsertPendingReceipt"}
		defer held.close()
		for i, r := range receipts {
			if matched[i] {
				continue
			}
			pending++
			if err := held.add(string(r.Carrier), r.MsgID, r.Link, r.Stat, r.Err, ms(r.Done), ms(db.Now())); err != nil {
				return err
			}
		}
		if err := held.flush(); err != nil {
			return err
		}
		return db.finish(qctx, tx, done)
	})
	return pending, err
}

// applyReceipts marks the segments rs report on and adds their messages to
// done; matched[i] tells whether rs[i] found a submitted segment. A
// receipt repeated within rs matches once: the later copies find the
// segment already reported, as they would one transaction later.
func (db *DB) applyReceipts(ctx context.Context, tx *sql.Tx, rs []Receipt, done map[int64]bool) ([]bool, error) {
	if db.d.byIndex != "" {
		if _, err := tx.ExecContext(ctx, db.d.byIndex); err != nil {
			return nil, err
		}
	}
	type key struct{ carrier, id string }
	matched := make([]bool, len(rs))
	first := make(map[key]int, len(rs)) // receipt → index of its first copy
	var batch []int
	for i, r := range rs {
		k := key{string(r.Carrier), r.MsgID}
		if _, dup := first[k]; !dup {
			first[k] = i
			batch = append(batch, i)
		}
	}
	hit := make(map[key]bool, len(batch))
	args := make([]any, 0, 5*chunkRows)
	for len(batch) > 0 {
		chunk := batch[:min(len(batch), chunkRows)]
		batch = batch[len(chunk):]
		args = args[:0]
		for _, i := range chunk {
			r := rs[i]
			status, errText := taxsms.StatusDelivered, ""
			if !r.Delivered() {
				status, errText = taxsms.StatusFailed, r.Stat
				if r.Err != "" && strings.Trim(r.Err, "0") != "" {
					errText += " " + r.Err
				}
			}
			doneAt := r.Done
			if doneAt.IsZero() {
				doneAt = db.Now()
			}
			args = append(args, string(r.Carrier), r.MsgID, string(status), errText, ms(doneAt))
		}
		stmt, args, err := db.batchStmt(ctx, tx, "ReceiptParts", len(chunk), 0, 5, args)
		if err != nil {
			return nil, err
		}
		rows, err := stmt.QueryContext(ctx, args...)
		if err != nil {
			return nil, err
		}
		for rows.Next() {
			var id int64
			var k key
			if err := rows.Scan(&id, &k.carrier, &k.id); err != nil {
				rows.Close()
				return nil, err
			}
			done[id], hit[k] = true, true
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
	}
	for k, i := range first {
		matched[i] = hit[k]
	}
	return matched, nil
}

// finish settles the messages whose segments have all reported. On
// PostgreSQL the messages are locked first, in id order, so that
// transactions reporting on segments of one message at once settle it one
// after the other, the last seeing every report; SQLite has one writer.
func (db *DB) finish(ctx context.Context, tx *sql.Tx, ids map[int64]bool) error {
	now := ms(db.Now())
	sorted := slices.Sorted(maps.Keys(ids))
	type settled struct {
		id, contact int64
		failed      bool
	}
	var out []settled
	args := make([]any, 0, 2+chunkRows)
	for len(sorted) > 0 {
		chunk := sorted[:min(len(sorted), chunkRows)]
		sorted = sorted[len(chunk):]
		args = args[:0]
		for _, id := range chunk {
			args = append(args, id)
		}
		if db.d.xactLock != "" {
			if err := db.execBatch(ctx, tx, "LockMessages", len(chunk), 0, 1, args); err != nil {
				return err
			}
		}
		stmt, sargs, err := db.batchStmt(ctx, tx, "SettleMessages", len(chunk), 2, 1, append([]any{now, now}, args...))
		if err != nil {
			return err
		}
		rows, err := stmt.QueryContext(ctx, sargs...)
		if err != nil {
			return err
		}
		for rows.Next() {
			var s settled
			var status string
			if err := rows.Scan(&s.id, &status, &s.contact); err != nil {
				rows.Close()
				return err
			}
			s.failed = status == string(taxsms.StatusFailed)
			if s.contact != 0 {
				out = append(out, s)
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
	}
	if len(out) == 0 {
		return nil
	}
	// A contact's run of failures, taken in message order: a delivery sets
	// it to the failures after it, failures alone add to it.
	slices.SortFunc(out, func(a, b settled) int { return int(a.id - b.id) })
	type change struct {
		set bool
		n   int
	}
	changes := make(map[int64]change)
	for _, s := range out {
		c := changes[s.contact]
		switch {
		case !s.failed:
			c = change{set: true}
		default:
			c.n++
		}
		changes[s.contact] = c
	}
	groups := make(map[change][]any)
	for contact, c := range changes {
		groups[c] = append(groups[c], contact)
	}
	for c, contacts := range groups {
		slices.SortFunc(contacts, func(a, b any) int { return int(a.(int64) - b.(int64)) })
		for len(contacts) > 0 {
			chunk := contacts[:min(len(contacts), chunkRows)]
			contacts = contacts[len(chunk):]
			var err error
			if c.set {
				err = db.execBatch(ctx, tx, "ContactsSetFailures", len(chunk), 2, 1, append([]any{c.n, c.n}, chunk...))
			} else {
				err = db.execBatch(ctx, tx, "ContactsAddFailures", len(chunk), 1, 1, append([]any{c.n}, chunk...))
			}
			if err != nil {
				return err
			}
		}
	}
	return nil
}

// Swept counts what Sweep did.
type Swept struct {
	Promoted  int // scheduled messages now due, queued
	Expired   int // waiting messages past their expiry
	Requeued  int // claims whose lease ran out (or this node's, at start): may go twice
	Matched   int // receipts that found their segment late
	Unmatched int // receipts that found none within the grace period, kept
	MO        []*taxsms.Message
}

// SweepOptions tunes Sweep.
type SweepOptions struct {
	Node           string        // requeue this node's own claims too (at start)
	ReceiptGrace   time.Duration // how long a receipt may wait for its segment
	FragmentExpiry time.Duration // how long a long MO may wait for its missing segments
	FragmentKeep   time.Duration // how long assembled fragments stay to drop duplicates
}

// Sweep does the outbox's periodic work, each step its own transaction:
// due scheduled messages are queued, waiting messages past their expiry
// expire, lapsed claims are queued again, held receipts are matched or,
// after the grace period, marked unmatched (and kept), and long MO messages
// missing segments after the expiry are stored incomplete. The MO messages
// it stores are returned for the inbound service.
func (db *DB) Sweep(ctx context.Context, opt SweepOptions) (Swept, error) {
	var s Swept
	now := db.Now()
	step := func(name string, args ...any) (int, error) {
		if db.writer != nil {
			db.writer.Lock()
			defer db.writer.Unlock()
		}
		res, err := db.db.ExecContext(ctx, db.q(name), args...)
		if err != nil {
			return 0, fmt.Errorf("sweep %s: %w", name, err)
		}
		n, _ := res.RowsAffected()
		return int(n), nil
	}
	var err error
	if s.Promoted, err = step("PromoteScheduled", ms(now), ms(now)); err != nil {
		return s, err
	}
	if s.Expired, err = step("ExpireQueued", ms(now), ms(now), ms(now)); err != nil {
		return s, err
	}
	if s.Requeued, err = step("RequeueLapsed", ms(now), ms(now), opt.Node); err != nil {
		return s, err
	}
	if s.Matched, err = db.matchPending(ctx); err != nil {
		return s, err
	}
	if opt.ReceiptGrace > 0 {
		if s.Unmatched, err = step("MarkUnmatched", ms(now.Add(-opt.ReceiptGrace))); err != nil {
			return s, err
		}
	}
	if opt.FragmentExpiry > 0 {
		if s.MO, err = db.assembleStale(ctx, now.Add(-opt.FragmentExpiry)); err != nil {
			return s, err
		}
	}
	if opt.FragmentKeep > 0 {
		if _, err = step("PruneFragments", ms(now.Add(-opt.FragmentKeep))); err != nil {
			return s, err
		}
	}
	return s, nil
}

// matchPending applies held receipts whose segment is now known, a
// thousand per transaction while there are more.
func (db *DB) matchPending(ctx context.Context) (int, error) {
	total := 0
	for {
		matched, more, err := db.matchPendingOnce(ctx)
		total += matched
		if err != nil || !more || matched == 0 {
			return total, err
		}
	}
}

func (db *DB) matchPendingOnce(ctx context.Context) (matched int, more bool, err error) {
	err = db.inTx(ctx, func(tx *sql.Tx) error {
		matched = 0
		rows, err := tx.QueryContext(ctx, db.q("SelectPendingReceipts"))
		if err != nil {
			return err
		}
		var ids []int64
		var rs []Receipt
		for rows.Next() {
			var id int64
			var r Receipt
			var carrier string
			var done, received int64
			if err := rows.Scan(&id, &carrier, &r.MsgID, &r.Stat, &r.Err, &done, &received); err != nil {
				rows.Close()
				return err
			}
			r.Carrier, r.Done = taxsms.Carrier(carrier), fromMS(done)
			ids, rs = append(ids, id), append(rs, r)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		more = len(rs) == pendingBatch
		done := make(map[int64]bool)
		ok, err := db.applyReceipts(ctx, tx, rs, done)
		if err != nil {
			return err
		}
		var gone []any
		for i, id := range ids {
			if ok[i] {
				matched++
				gone = append(gone, id)
			}
		}
		for len(gone) > 0 {
			chunk := gone[:min(len(gone), chunkRows)]
			gone = gone[len(chunk):]
			if err := db.execBatch(ctx, tx, "DeletePendingReceipts", len(chunk), 0, 1, chunk); err != nil {
				return err
			}
		}
		return db.finish(ctx, tx, done)
	})
	return matched, more, err
}

// pendingBatch is the LIMIT of SelectPendingReceipts.
const pendingBatch = 1000

// OutboxStats is the state of the outbox.
type OutboxStats struct {
	Queued    map[taxsms.Priority]int // queued messages by priority
	Unmatched int                     // receipts kept that matched no segment
}

// Outbox returns the queue depth by priority and the unmatched receipts.
func (db *DB) Outbox(ctx context.Context) (OutboxStats, error) {
	st := OutboxStats{Queued: make(map[taxsms.Priority]int)}
	rows, err := db.db.QueryContext(ctx, db.q("CountQueued"))
	if err != nil {
		return st, err
	}
	defer rows.Close()
	for rows.Next() {
		var p, n int
		if err := rows.Scan(&p, &n); err != nil {
			return st, err
		}
		st.Queued[taxsms.Priority(p)] = n
	}
	if err := rows.Err(); err != nil {
		return st, err
	}
	err = db.db.QueryRowContext(ctx, db.q("CountUnmatched")).Scan(&st.Unmatched)
	return st, err
}

// Fragment is one inbound PDU: a whole short message or one segment of a
// long one.
type Fragment struct {
	Carrier  taxsms.Carrier
	Link     string
	MsgID    string // the carrier's id; "" when the protocol gives none (no duplicate check then)
	From     string // the sender as received
	To       string // the service number, extension included
	Text     string
	Ref      int
	Total    int // 1 for a short message
	Seq      int
	Received time.Time
}

// StoreFragment stores an inbound PDU before it is acknowledged. A PDU seen
// before (same carrier and id) is dropped: dup is true. When the fragment
// completes its message (or is one whole), the message is stored in the
// same transaction and returned; otherwise msg is nil until the rest arrive.
func (db *DB) StoreFragment(ctx context.Context, f Fragment) (msg *taxsms.Message, dup bool, err error) {
	if f.Total < 1 || f.Seq < 1 || f.Seq > f.Total || f.Total > 255 {
		return nil, false, taxsms.Errorf(taxsms.EINVALID, "MO segment %d of %d", f.Seq, f.Total)
	}
	if f.MsgID == "" {
		b := make([]byte, 12)
		rand.Read(b)
		f.MsgID = "local-" + hex.EncodeToString(b)
	}
	if f.Received.IsZero() {
		f.Received = db.Now()
	}
	err = db.inTx(ctx, func(tx *sql.Tx) error {
		msg, dup = nil, false
		enc, hash, _ := db.sealMobile(f.From)
		var id int64
		err := tx.QueryRowContext(ctx, db.q("InsertFragment"), string(f.Carrier), f.MsgID, f.Link, enc, hash, f.To,
			f.Ref, f.Total, f.Seq, f.Text, ms(f.Received)).Scan(&id)
		if errors.Is(err, sql.ErrNoRows) {
			dup = true
			return nil
		} else if err != nil {
			return err
		}
		if f.Total > 1 { // fragments of one message are counted one transaction at a time
			if err := db.d.lock(ctx, tx, fragmentKey(hash, f.Ref, f.Total)); err != nil {
				return err
			}
		}
		msg, err = db.assemble(ctx, tx, f.Carrier, f.Link, f.From, hash, f.Ref, f.Total, false)
		return err
	})
	return msg, dup, err
}

// fragmentKey is the lock key of the fragments of one long MO.
func fragmentKey(senderHash []byte, ref, total int) int64 {
	h := fnv.New64a()
	h.Write(senderHash)
	fmt.Fprintf(h, "/%d/%d", ref, total)
	return int64(h.Sum64())
}

// assemble stores the MO message made of the waiting fragments of (sender,
// ref, total) if they are all there, or if partial (their time is up). It
// returns nil when the message is not yet whole.
func (db *DB) assemble(ctx context.Context, tx *sql.Tx, carrier taxsms.Carrier, link, from string, hash []byte, ref, total int, partial bool) (*taxsms.Message, error) {
	rows, err := tx.QueryContext(ctx, db.q("SelectFragments"), hash, ref, total)
	if err != nil {
		return nil, err
	}
	var ids []int64
	texts := make([]string, total)
	have := make([]bool, total)
	to := ""
	var first time.Time
	for rows.Next() {
		var id, received int64
		var seq int
		var text, recipient string
		if err := rows.Scan(&id, &seq, &text, &recipient, &received); err != nil {
			rows.Close()
			return nil, err
		}
		ids = append(ids, id)
		if seq >= 1 && seq <= total && !have[seq-1] {
			texts[seq-1], have[seq-1] = text, true
		}
		if to == "" {
			to = recipient
		}
		if t := fromMS(received); first.IsZero() || t.Before(first) {
			first = t
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	missing := 0
	for i := range have {
		if !have[i] {
			missing++
			texts[i] = "…"
		}
	}
	if missing > 0 && !partial || len(ids) == 0 {
		return nil, nil
	}
	m := &taxsms.Message{Direction: taxsms.MO, Kind: taxsms.KindInteractive, Mobile: from, Body: strings.Join(texts, ""),
		Segments: total, Carrier: carrier, Link: link}
	if missing > 0 {
		m.Error = fmt.Sprintf("incomplete: %d of %d segments missing", missing, total)
	}
	if err := db.insertMO(ctx, tx, m, to); err != nil {
		return nil, err
	}
	for _, id := range ids {
		if _, err := tx.ExecContext(ctx, db.q("SetFragmentMessage"), m.ID, id); err != nil {
			return nil, err
		}
	}
	return m, nil
}

// insertMO stores an assembled MO message. Its sender is kept as received
// when it is not a mainland mobile number (a landline, a short code).
func (db *DB) insertMO(ctx context.Context, tx *sql.Tx, m *taxsms.Message, to string) error {
	if n, err := taxsms.NormalizeMobile(m.Mobile); err == nil {
		m.Mobile = n
	}
	now := db.Now().UTC().Truncate(time.Millisecond)
	enc, hash, mask := db.sealMobile(m.Mobile)
	if mask == "" {
		mask = "*"
	}
	m.Status, m.ServiceNumber, m.CreatedAt, m.UpdatedAt = taxsms.StatusReceived, to, now, now
	err := tx.QueryRowContext(ctx, db.q("InsertMO"), string(m.Kind), enc, hash, mask, m.Body, m.Segments,
		string(m.Carrier), m.Link, to, m.Error, ms(now), ms(now)).Scan(&m.ID)
	m.Timeline = []taxsms.StatusEvent{{At: now, Status: taxsms.StatusReceived}}
	if err != nil {
		return err
	}
	return db.appendAudit(ctx, tx, db.entry(ctx, audit.MessageReceived,
		audit.Object{Type: "message", ID: strconv.FormatInt(m.ID, 10)}, nil, nil,
		fmt.Sprintf("from %s to %s by %s, %d segments", mask, to, m.Link, m.Segments)))
}

// assembleStale stores, incomplete, the long MO messages whose first
// fragment arrived before cutoff.
func (db *DB) assembleStale(ctx context.Context, cutoff time.Time) ([]*taxsms.Message, error) {
	type group struct {
		hash       []byte
		ref, total int
	}
	rows, err := db.db.QueryContext(ctx, db.q("SelectStaleFragments"), ms(cutoff))
	if err != nil {
		return nil, err
	}
	var groups []group
	for rows.Next() {
		var g group
		if err := rows.Scan(&g.hash, &g.ref, &g.total); err != nil {
			rows.Close()
			return nil, err
		}
		groups = append(groups, g)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	var out []*taxsms.Message
	for _, g := range groups {
		err := db.inTx(ctx, func(tx *sql.Tx) error {
			var enc []byte
			var carrier, link string
			err := tx.QueryRowContext(ctx, db.q("SelectFragmentSender"), g.hash, g.ref, g.total).Scan(&enc, &carrier, &link)
			if errors.Is(err, sql.ErrNoRows) {
				return nil // assembled meanwhile
			} else if err != nil {
				return err
			}
			from, err := db.openMobile(enc)
			if err != nil {
				return err
			}
			if err := db.d.lock(ctx, tx, fragmentKey(g.hash, g.ref, g.total)); err != nil {
				return err
			}
			m, err := db.assemble(ctx, tx, taxsms.Carrier(carrier), link, from, g.hash, g.ref, g.total, true)
			if m != nil {
				out = append(out, m)
			}
			return err
		})
		if err != nil {
			return out, err
		}
	}
	return out, nil
}

// Selector picks waiting messages to cancel, hold or release. Every set
// field must match; at least one must be set.
type Selector struct {
	ID         int64
	CampaignID int64
	AuthorID   int64
	Subtree    int64 // messages on behalf of this office or one below it
}

// ChangeWaiting cancels, holds or releases (to queued) the messages that
// sel picks and that are not yet claimed for submission: cancel takes
// scheduled, queued and held messages; hold takes scheduled and queued
// ones; release takes held ones. It records the change on each message's
// timeline with detail, and returns how many changed. A claimed or
// submitted message is beyond recall.
//
// Only the messages ctx's actor may change are picked (others are left as
// they are, as if sel did not reach them); the act is recorded in the audit
// archive with the selector and the count, in the same transaction.
func (db *DB) ChangeWaiting(ctx context.Context, sel Selector, to taxsms.Status, detail string) (int, error) {
	action := map[taxsms.Status]audit.Action{taxsms.StatusCancelled: audit.MessageCancelled,
		taxsms.StatusHeld: audit.MessageHeld, taxsms.StatusQueued: audit.MessageReleased}[to]
	n := 0
	err := db.inTx(ctx, func(tx *sql.Tx) error {
		var err error
		if n, err = db.changeWaiting(ctx, tx, sel, to, detail); err != nil {
			return err
		}
		obj := audit.Object{Type: "messages", ID: sel.String()}
		if sel.ID != 0 && sel == (Selector{ID: sel.ID}) {
			obj = audit.Object{Type: "message", ID: strconv.FormatInt(sel.ID, 10)}
		}
		return db.appendAudit(ctx, tx, db.entry(ctx, action, obj, nil, nil, fmt.Sprintf("%s; %d messages", detail, n)))
	})
	return n, err
}

// String describes sel as "campaign 7, author 12", for records.
func (sel Selector) String() string {
	var parts []string
	for _, f := range []struct {
		name string
		id   int64
	}{{"message", sel.ID}, {"campaign", sel.CampaignID}, {"author", sel.AuthorID}, {"office", sel.Subtree}} {
		if f.id != 0 {
			parts = append(parts, f.name+" "+strconv.FormatInt(f.id, 10))
		}
	}
	return strings.Join(parts, ", ")
}

// changeWaiting is ChangeWaiting inside tx.
func (db *DB) changeWaiting(ctx context.Context, tx *sql.Tx, sel Selector, to taxsms.Status, detail string) (int, error) {
	var from []string
	switch to {
	case taxsms.StatusCancelled:
		from = []string{"scheduled", "queued", "held"}
	case taxsms.StatusHeld:
		from = []string{"scheduled", "queued"}
	case taxsms.StatusQueued:
		from = []string{"held"}
	default:
		return 0, taxsms.Invalid("status", "want cancelled, held or queued, got %q", to)
	}
	var where []string
	var args []any
	if sel.ID != 0 {
		where, args = append(where, "id = ?"), append(args, sel.ID)
	}
	if sel.CampaignID != 0 {
		where, args = append(where, "campaign_id = ?"), append(args, sel.CampaignID)
	}
	if sel.AuthorID != 0 {
		where, args = append(where, "author_id = ?"), append(args, sel.AuthorID)
	}
	if sel.Subtree != 0 {
		prefix, err := db.subtreePrefixIn(ctx, tx, sel.Subtree)
		if err != nil {
			return 0, err
		}
		where, args = append(where, "office_id IN (SELECT id FROM offices WHERE path LIKE ?)"), append(args, prefix+"%")
	}
	if len(where) == 0 {
		return 0, taxsms.Invalid("selector", "name a message, campaign, author or office")
	}
	scope, sargs := scopeCond(auth.AccessFrom(ctx, auth.DataMessages).Write, "office_id", func(uid int64) (string, []any) {
		return "author_id = ?", []any{uid}
	})
	where, args = append(where, scope), append(args, sargs...)
	n := 0
	err := func() error {
		now := ms(db.Now())
		set, qargs := "status = ?, updated_at = ?", []any{string(to), now}
		if to == taxsms.StatusCancelled {
			// The final entry of the timeline: done_at, with detail as the error.
			set, qargs = set+", done_at = ?, error = ?", append(qargs, now, detail)
		}
		q := "UPDATE messages SET " + set + " WHERE status IN ('" + strings.Join(from, "', '") + "') AND " +
			strings.Join(where, " AND ") + " RETURNING id"
		qargs = append(qargs, args...)
		rows, err := tx.QueryContext(ctx, db.rebind(q), qargs...)
		if err != nil {
			return err
		}
		var ids []int64
		for rows.Next() {
			var id int64
			if err := rows.Scan(&id); err != nil {
				rows.Close()
				return err
			}
			ids = append(ids, id)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		n = len(ids)
		if to == taxsms.StatusCancelled {
			return nil // the timeline's final entry is the cancellation
		}
		ev := &batcher{ctx: context.WithoutCancel(ctx), db: db, tx: tx, name: "InsertMessageEvent"}
		defer ev.close()
		for _, id := range ids {
			if err := ev.add(id, now, string(to), detail); err != nil {
				return err
			}
		}
		return ev.flush()
	}()
	return n, err
}

// UnansweredMO returns the MO received since since that have no reply
// (keyed reply/<MO id>, see package inbound), oldest first, at most 1,000:
// those a crash caught between storing and answering.
func (db *DB) UnansweredMO(ctx context.Context, since time.Time) ([]*taxsms.Message, error) {
	rows, err := db.db.QueryContext(ctx, db.q("UnansweredMO"), ms(since))
	if err != nil {
		return nil, err
	}
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return nil, err
		}
		ids = append(ids, id)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	out := make([]*taxsms.Message, 0, len(ids))
	for _, id := range ids {
		m, err := db.FindMessage(ctx, id)
		if err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	return out, nil
}

// ReplyLatencies returns, sorted, the time from receiving each MO since
// since to submitting its reply (the reply keyed reply/<MO id>, see
// package inbound), and how many MO arrived since then. It reads them all:
// it is meant for benchmarks and reports.
func (db *DB) ReplyLatencies(ctx context.Context, since time.Time) ([]time.Duration, int, error) {
	var n int
	if err := db.db.QueryRowContext(ctx, db.rebind("SELECT COUNT(*) FROM messages WHERE direction = 'mo' AND created_at >= ?"), ms(since)).Scan(&n); err != nil {
		return nil, 0, err
	}
	rows, err := db.db.QueryContext(ctx, db.q("ReplyLatencies"), ms(since))
	if err != nil {
		return nil, n, err
	}
	defer rows.Close()
	var out []time.Duration
	for rows.Next() {
		var d int64
		if err := rows.Scan(&d); err != nil {
			return nil, n, err
		}
		out = append(out, time.Duration(d)*time.Millisecond)
	}
	return out, n, rows.Err()
}

// QueueToSubmit returns, for the MT messages of priority p queued since
// since and submitted, the given quantiles (0 to 1) of the time from
// queueing (created_at) to the stored submission (submitted_at), and how
// many messages they are taken over. It sorts those messages once per
// quantile: it is meant for benchmarks and reports, not for a hot path.
func (db *DB) QueueToSubmit(ctx context.Context, p taxsms.Priority, since time.Time, quantiles ...float64) ([]time.Duration, int, error) {
	var n int
	if err := db.db.QueryRowContext(ctx, db.q("CountSubmittedByPriority"), int(p), ms(since)).Scan(&n); err != nil {
		return nil, 0, err
	}
	out := make([]time.Duration, len(quantiles))
	if n == 0 {
		return out, 0, nil
	}
	for i, q := range quantiles {
		k := min(max(int(q*float64(n)+0.5)-1, 0), n-1)
		var d int64
		if err := db.db.QueryRowContext(ctx, db.q("QueueToSubmitAt"), int(p), ms(since), k).Scan(&d); err != nil {
			return nil, n, err
		}
		out[i] = time.Duration(d) * time.Millisecond
	}
	return out, n, nil
}
