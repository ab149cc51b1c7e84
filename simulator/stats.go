package simulator

import (
	"sync"
	"sync/atomic"
)

// Counters are the counts of one account on one protocol since Start.
type Counters struct {
	LoginsOK     int64 `json:"logins_ok"`
	LoginsFailed int64 `json:"logins_failed"`
	// Connections counts links logged in since Start, Active those up now,
	// MaxActive the most up at once (in Total, the sum of the accounts'
	// highest).
	Connections int64 `json:"connections"`
	Active      int64 `json:"active"`
	MaxActive   int64 `json:"max_active"`
	// Submits counts submit PDUs read; Segments those accepted; Messages
	// the accepted segments that start a message; Duplicates the accepted
	// segments seen before (see the package comment).
	Submits    int64 `json:"submits"`
	Segments   int64 `json:"segments"`
	Messages   int64 `json:"messages"`
	Duplicates int64 `json:"duplicates"`
	// Throttled counts throttle answers (window, rate or fault).
	Throttled int64 `json:"throttled"`
	// Receipts counts status reports acknowledged by the SP, of which
	// FailedReceipts reported a failure; MO counts MO segments
	// acknowledged.
	Receipts       int64 `json:"receipts"`
	FailedReceipts int64 `json:"failed_receipts"`
	MO             int64 `json:"mo"`
	// DeliverErrors counts Deliver tries that failed (link lost, no
	// answer, refused); Abandoned the receipts and MO segments given up
	// after MaxDeliverTries or dropped for a full queue.
	DeliverErrors int64 `json:"deliver_errors"`
	Abandoned     int64 `json:"abandoned"`
	// Faults counts submits answered by a fault: dropped links, lost or
	// garbled answers, slow answers.
	Faults int64 `json:"faults"`
}

// Stats are the counters per protocol and account. Logins refused for an
// account that does not exist count under the name tried (at most 1000
// names per protocol, then under "?"; a login refused before it named
// its account, such as a CMPP version too high, also counts under "?").
type Stats map[Protocol]map[string]Counters

// Total sums the counters of every account of protocol p ("" for all).
func (s Stats) Total(p Protocol) Counters {
	var t Counters
	for proto, accounts := range s {
		if p != "" && proto != p {
			continue
		}
		for _, c := range accounts {
			t.add(c)
		}
	}
	return t
}

func (t *Counters) add(c Counters) {
	t.LoginsOK += c.LoginsOK
	t.LoginsFailed += c.LoginsFailed
	t.Connections += c.Connections
	t.Active += c.Active
	t.MaxActive += c.MaxActive
	t.Submits += c.Submits
	t.Segments += c.Segments
	t.Messages += c.Messages
	t.Duplicates += c.Duplicates
	t.Throttled += c.Throttled
	t.Receipts += c.Receipts
	t.FailedReceipts += c.FailedReceipts
	t.MO += c.MO
	t.DeliverErrors += c.DeliverErrors
	t.Abandoned += c.Abandoned
	t.Faults += c.Faults
}

// counters are the live Counters of one account.
type counters struct {
	loginsOK, loginsFailed, connections, active atomic.Int64
	maxActive                                   atomic.Int64
	submits, segments, messages, duplicates     atomic.Int64
	throttled, receipts, failedReceipts, mo     atomic.Int64
	deliverErrors, abandoned, faults            atomic.Int64
}

func (c *counters) snapshot() Counters {
	return Counters{
		LoginsOK: c.loginsOK.Load(), LoginsFailed: c.loginsFailed.Load(),
		Connections: c.connections.Load(), Active: c.active.Load(), MaxActive: c.maxActive.Load(),
		Submits: c.submits.Load(), Segments: c.segments.Load(),
		Messages: c.messages.Load(), Duplicates: c.duplicates.Load(),
		Throttled: c.throttled.Load(), Receipts: c.receipts.Load(),
		FailedReceipts: c.failedReceipts.Load(), MO: c.mo.Load(),
		DeliverErrors: c.deliverErrors.Load(), Abandoned: c.abandoned.Load(),
		Faults: c.faults.Load(),
	}
}

// up counts a link logged in, and the most up at once.
func (c *counters) up() {
	n := c.active.Add(1)
	for {
		m := c.maxActive.Load()
		if n <= m || c.maxActive.CompareAndSwap(m, n) {
			return
		}
	}
}

// strangers holds the counters of login names that are not accounts.
type strangers struct {
	mu sync.Mutex
	m  map[string]*counters
}

func (s *strangers) get(name string) *counters {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.m == nil {
		s.m = make(map[string]*counters)
	}
	if c, ok := s.m[name]; ok {
		return c
	}
	if len(s.m) >= 1000 || name == "" {
		name = "?"
		if c, ok := s.m[name]; ok {
			return c
		}
	}
	c := new(counters)
	s.m[name] = c
	return c
}

// dedup remembers the hashes of the last n accepted segments.
type dedup struct {
	mu   sync.Mutex
	n    int
	seen map[uint64]int32 // hash → copies in ring
	ring []uint64         // grows to n, then is overwritten from next
	next int
}

func newDedup(n int) *dedup { return &dedup{n: n, seen: make(map[uint64]int32)} }

// add records h and reports whether it was seen before.
func (d *dedup) add(h uint64) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	dup := d.seen[h] > 0
	if len(d.ring) < d.n {
		d.ring = append(d.ring, h)
	} else {
		old := d.ring[d.next]
		if d.seen[old]--; d.seen[old] <= 0 {
			delete(d.seen, old)
		}
		d.ring[d.next] = h
		d.next = (d.next + 1) % d.n
	}
	d.seen[h]++
	return dup
}
