package sms

import (
	"fmt"
	"sync"
	"time"
)

// Fragment is one inbound message (CMPP/SMGP Deliver, SGIP Deliver, SMPP
// deliver_sm) as the reassembler takes it.
type Fragment struct {
	// Source and Dest are the sending handset and the number it wrote to;
	// they are part of the reassembly key.
	Source, Dest string
	// Coding is this fragment's own coding (each fragment of one message
	// may have another: decode by the fragment's Msg_Fmt).
	Coding Coding
	// Content is the message content as received, UDH included. The
	// reassembler copies what it keeps.
	Content []byte
	// UDHI is the udhi flag (TP_udhi non-zero, esm_class & 0x40).
	UDHI bool
	// Packed says GSM7 content is packed septets; Septets is the TP-UDL
	// when known (0 derives it from the length).
	Packed  bool
	Septets int
	// Ref, Total and Seq carry concatenation sent outside the content
	// (SMPP sar_* TLVs). They are used when Total > 1 and the content has
	// no concatenation UDH.
	Ref        uint16
	Total, Seq int
}

// Message is a reassembled inbound text.
type Message struct {
	Source, Dest string
	// Text is the decoded text. A missing part appears as the
	// reassembler's gap mark.
	Text string
	// Ref and Total are the concatenation reference and part count; Total
	// is 1 for a message that came whole.
	Ref   uint16
	Total int
	// Missing lists the sequence numbers (from 1) that never arrived; it
	// is empty when the message is complete.
	Missing []int
	// Duplicates counts the fragments received more than once (dropped).
	Duplicates int
	// Evicted is true when the message was delivered early to respect the
	// memory bounds rather than after the timeout.
	Evicted bool
	// Err, wrapping ErrInvalid, names the first byte sequence that did not
	// decode; the text has U+FFFD there.
	Err error
	// First is when the first fragment arrived.
	First time.Time
}

// Incomplete reports whether parts of the message are missing.
func (m *Message) Incomplete() bool { return len(m.Missing) > 0 }

// ReassemblerConfig bounds a Reassembler. Zero fields take the defaults.
type ReassemblerConfig struct {
	// Timeout is how long after its first fragment a message waits for
	// the rest; Expire then delivers it incomplete. Default 5 minutes.
	Timeout time.Duration
	// MaxPending bounds the messages waiting for parts (default 10000),
	// MaxPerSource those from one source number (default 64), and MaxBytes
	// the memory held by parts, counted as content octets plus a fixed
	// overhead per message and per part (default 32 MiB); remembering
	// delivered messages, to drop late copies, takes at most a quarter more
	// and MaxPending records. When a bound
	// would be passed, the oldest waiting message (of that source, for
	// MaxPerSource) is delivered incomplete with Evicted set.
	MaxPending, MaxPerSource, MaxBytes int
	// Gap marks each missing part in Text. Default "[…]".
	Gap string
	// Now is the clock; default time.Now.
	Now func() time.Time
}

// Memory charged per waiting message and per part slot, in octets.
const (
	overheadMessage = 256
	overheadPart    = 48
)

// reasmKey identifies the parts of one message (PROTOCOLS.md §6.4).
type reasmKey struct {
	src, dst string
	ref      uint16
	total    int
}

type part struct {
	coding Coding
	units  []byte // payload; GSM7 unpacked
	hash   uint64
	ok     bool
}

type pending struct {
	key        reasmKey
	parts      []part
	received   int
	dups       int
	cost       int
	first      time.Time
	prev, next *pending // insertion order, oldest at head
}

// done remembers a delivered message for one timeout, so that a late copy
// of one of its fragments is dropped rather than opening a new message.
type done struct {
	key    reasmKey
	hashes []uint64
	at     time.Time
}

// Reassembler joins the fragments of long inbound messages. It accepts
// fragments out of order, duplicated, and from several connections at once
// (it is safe for concurrent use); each is decoded with its own coding.
// Memory is bounded by its config. The zero value is not usable; call
// NewReassembler.
type Reassembler struct {
	cfg ReassemblerConfig

	mu          sync.Mutex
	pend        map[reasmKey]*pending
	head, tail  *pending
	perSource   map[string]int
	bytes       int
	recent      map[reasmKey]*done
	recentList  []*done // in completion order from recentHead
	recentHead  int
	recentBytes int
	stats       ReassemblerStats
}

// ReassemblerStats are counters since NewReassembler.
type ReassemblerStats struct {
	Pending    int // messages waiting for parts now
	Bytes      int // memory charged to them now
	Duplicates int // fragments dropped as copies
	Expired    int // messages delivered incomplete after the timeout
	Evicted    int // messages delivered early for the memory bounds
}

// NewReassembler returns a Reassembler with cfg, defaults filled in.
func NewReassembler(cfg ReassemblerConfig) *Reassembler {
	if cfg.Timeout <= 0 {
		cfg.Timeout = 5 * time.Minute
	}
	if cfg.MaxPending <= 0 {
		cfg.MaxPending = 10000
	}
	if cfg.MaxPerSource <= 0 {
		cfg.MaxPerSource = 64
	}
	if cfg.MaxBytes <= 0 {
		cfg.MaxBytes = 32 << 20
	}
	if cfg.Gap == "" {
		cfg.Gap = "[…]"
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Reassembler{
		cfg:       cfg,
		pend:      make(map[reasmKey]*pending),
		perSource: make(map[string]int),
		recent:    make(map[reasmKey]*done),
	}
}

// Add takes one fragment and returns the messages it completes: the
// fragment's own message when it was whole or the last part missing, and
// any older message evicted to keep within the bounds. A fragment already
// received (same key, sequence number and content, also shortly after its
// message was delivered) is counted and dropped. Add returns ErrInvalid for
// a malformed UDH or a sequence number outside 1..total and ErrFull for a
// fragment larger than MaxBytes; nothing is kept then, and the caller should
// acknowledge and log it rather than ask for a resend that would fail again.
func (r *Reassembler) Add(f Fragment) ([]Message, error) {
	now := r.cfg.Now()
	payload := f.Content
	var h UDH
	if f.UDHI {
		var err error
		if h, err = ParseUDH(f.Content); err != nil {
			return nil, fmt.Errorf("sms: reassemble from %s: %w", f.Source, err)
		}
		payload = f.Content[h.Len:]
	}
	var units []byte
	var uerr error
	if f.Coding == GSM7 && f.Packed {
		units, uerr = unpack(payload, h.Len, f.Septets)
	} else {
		units = append([]byte(nil), payload...)
	}
	ref, total, seq := f.Ref, f.Total, f.Seq
	if h.Concat {
		ref, total, seq = h.Ref, h.Total, h.Seq
	}
	if total <= 1 {
		m := Message{Source: f.Source, Dest: f.Dest, Ref: ref, Total: 1, First: now}
		var err error
		m.Text, err = Decode(units, f.Coding)
		m.Err = firstErr(uerr, err)
		return []Message{m}, nil
	}
	if seq < 1 || seq > total || total > MaxSegments {
		return nil, fmt.Errorf("sms: reassemble from %s: segment %d of %d: %w", f.Source, seq, total, ErrInvalid)
	}
	cost := overheadMessage + total*overheadPart + len(units)
	if cost > r.cfg.MaxBytes {
		return nil, fmt.Errorf("sms: reassemble from %s: fragment of %d octets: %w", f.Source, len(units), ErrFull)
	}
	key := reasmKey{src: f.Source, dst: f.Dest, ref: ref, total: total}
	pt := part{coding: f.Coding, units: units, hash: hashOf(f.Coding, units), ok: true}

	r.mu.Lock()
	defer r.mu.Unlock()
	r.pruneRecent(now)
	if d := r.recent[key]; d != nil && d.hashes[seq-1] == pt.hash {
		r.stats.Duplicates++
		return nil, nil
	}
	p := r.pend[key]
	if p != nil && p.parts[seq-1].ok {
		p.dups++
		r.stats.Duplicates++
		return nil, nil
	}
	var out []Message
	if p != nil {
		out = r.makeRoom("", len(units), p)
		if r.bytes+len(units) > r.cfg.MaxBytes {
			// This message alone is too big: deliver what it has and
			// start over with this fragment.
			out = append(out, r.evict(p))
			p = nil
		}
	}
	if p == nil {
		out = append(out, r.makeRoom(f.Source, cost, nil)...)
		p = &pending{key: key, parts: make([]part, total), first: now, cost: overheadMessage + total*overheadPart}
		r.pend[key] = p
		r.perSource[key.src]++
		r.bytes += p.cost
		r.pushBack(p)
	}
	p.parts[seq-1] = pt
	p.received++
	p.cost += len(units)
	r.bytes += len(units)
	if p.received == total {
		r.remove(p)
		out = append(out, r.assemble(p))
		r.remember(p, now)
	}
	return out, nil
}

// makeRoom evicts the oldest waiting messages until a new message from src
// (src "" for a part of an existing one) costing cost fits the bounds. keep
// (nil for none) is never evicted.
func (r *Reassembler) makeRoom(src string, cost int, keep *pending) []Message {
	var out []Message
	if src != "" {
		if r.perSource[src] >= r.cfg.MaxPerSource {
			for p := r.head; p != nil; p = p.next {
				if p.key.src == src {
					out = append(out, r.evict(p))
					break
				}
			}
		}
		for len(r.pend) >= r.cfg.MaxPending && r.head != nil {
			out = append(out, r.evict(r.head))
		}
	}
	for r.bytes+cost > r.cfg.MaxBytes {
		p := r.head
		if p != nil && p == keep {
			p = p.next
		}
		if p == nil {
			break
		}
		out = append(out, r.evict(p))
	}
	return out
}

// evict removes p and returns it as an incomplete message.
func (r *Reassembler) evict(p *pending) Message {
	r.remove(p)
	m := r.assemble(p)
	m.Evicted = true
	r.stats.Evicted++
	return m
}

// Expire delivers, incomplete, every message whose first fragment is older
// than the timeout at now, oldest first, and forgets delivered messages
// older than that. Call it periodically (every few seconds) with the same
// clock as the config.
func (r *Reassembler) Expire(now time.Time) []Message {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.pruneRecent(now)
	var out []Message
	for r.head != nil && !now.Before(r.head.first.Add(r.cfg.Timeout)) {
		p := r.head
		r.remove(p)
		out = append(out, r.assemble(p))
		r.stats.Expired++
	}
	return out
}

// Stats returns the counters.
func (r *Reassembler) Stats() ReassemblerStats {
	r.mu.Lock()
	defer r.mu.Unlock()
	s := r.stats
	s.Pending, s.Bytes = len(r.pend), r.bytes
	return s
}

func (r *Reassembler) pushBack(p *pending) {
	p.prev, p.next = r.tail, nil
	if r.tail != nil {
		r.tail.next = p
	} else {
		r.head = p
	}
	r.tail = p
}

func (r *Reassembler) remove(p *pending) {
	if p.prev != nil {
		p.prev.next = p.next
	} else {
		r.head = p.next
	}
	if p.next != nil {
		p.next.prev = p.prev
	} else {
		r.tail = p.prev
	}
	p.prev, p.next = nil, nil
	delete(r.pend, p.key)
	if r.perSource[p.key.src]--; r.perSource[p.key.src] <= 0 {
		delete(r.perSource, p.key.src)
	}
	r.bytes -= p.cost
}

// remember records a completed message's part hashes for one timeout; the
// records are bounded to MaxPending of them and MaxBytes/4 of memory.
func (r *Reassembler) remember(p *pending, now time.Time) {
	d := &done{key: p.key, hashes: make([]uint64, len(p.parts)), at: now}
	for i, pt := range p.parts {
		d.hashes[i] = pt.hash
	}
	cost := doneCost(d)
	for len(r.recentList)-r.recentHead >= r.cfg.MaxPending || r.recentBytes+cost > r.cfg.MaxBytes/4 {
		if r.recentHead == len(r.recentList) {
			return
		}
		r.dropOldestDone()
	}
	r.recent[p.key] = d
	r.recentList = append(r.recentList, d)
	r.recentBytes += cost
}

func doneCost(d *done) int { return overheadMessage + 8*len(d.hashes) }

func (r *Reassembler) pruneRecent(now time.Time) {
	for r.recentHead < len(r.recentList) && !now.Before(r.recentList[r.recentHead].at.Add(r.cfg.Timeout)) {
		r.dropOldestDone()
	}
}

func (r *Reassembler) dropOldestDone() {
	d := r.recentList[r.recentHead]
	r.recentList[r.recentHead] = nil
	r.recentHead++
	r.recentBytes -= doneCost(d)
	if r.recent[d.key] == d {
		delete(r.recent, d.key)
	}
	if r.recentHead > 64 && r.recentHead*2 > len(r.recentList) {
		n := copy(r.recentList, r.recentList[r.recentHead:])
		clear(r.recentList[n:])
		r.recentList = r.recentList[:n]
		r.recentHead = 0
	}
}

// assemble joins the parts of p. Consecutive parts in the same coding are
// decoded together, so that a surrogate pair or GB18030 character that a
// careless sender cut across two segments still decodes.
func (r *Reassembler) assemble(p *pending) Message {
	m := Message{Source: p.key.src, Dest: p.key.dst, Ref: p.key.ref, Total: p.key.total,
		Duplicates: p.dups, First: p.first}
	var text, run []byte
	runCoding := Coding(0)
	flush := func() {
		if len(run) == 0 {
			return
		}
		var err error
		text, err = AppendDecode(text, run, runCoding)
		m.Err = firstErr(m.Err, err)
		run = run[:0]
	}
	for i, pt := range p.parts {
		if !pt.ok {
			flush()
			text = append(text, r.cfg.Gap...)
			m.Missing = append(m.Missing, i+1)
			continue
		}
		if pt.coding != runCoding {
			flush()
			runCoding = pt.coding
		}
		run = append(run, pt.units...)
	}
	flush()
	m.Text = string(text)
	return m
}

// hashOf is FNV-1a over the coding and the payload, to tell a copy of a
// fragment from a new message that reuses a reference.
func hashOf(c Coding, b []byte) uint64 {
	h := uint64(14695981039346656037)
	h = (h ^ uint64(c)) * 1099511628211
	for _, x := range b {
		h = (h ^ uint64(x)) * 1099511628211
	}
	return h
}
