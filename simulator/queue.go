package simulator

import (
	"container/heap"
	"sync"
	"time"
)

// item is one Deliver (an MO segment or a status report) waiting to be
// pushed to an SP.
type item struct {
	due   time.Time // monotonic
	order uint64    // FIFO among items due at once
	pdu   any       // *cmpp.Deliver, *sgip.Deliver, *sgip.Report, *smgp.Deliver, *smpp.Deliver
	mo    bool
	fail  bool // a status report that says the message failed
	tries int
	done  chan error // nil, or told the outcome once (buffered)
}

func (it *item) finish(err error) {
	if it.done != nil {
		it.done <- err
	}
}

type itemHeap []*item

func (h itemHeap) Len() int { return len(h) }
func (h itemHeap) Less(i, j int) bool {
	if h[i].due.Equal(h[j].due) {
		return h[i].order < h[j].order
	}
	return h[i].due.Before(h[j].due)
}
func (h itemHeap) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *itemHeap) Push(x any)   { *h = append(*h, x.(*item)) }
func (h *itemHeap) Pop() any {
	old := *h
	it := old[len(old)-1]
	old[len(old)-1] = nil
	*h = old[:len(old)-1]
	return it
}

// queue holds an account's Deliver PDUs in the order they are due. Any
// number of goroutines take from it; each waits on one timer of its own.
type queue struct {
	max    int
	mu     sync.Mutex
	h      itemHeap
	order  uint64
	signal chan struct{} // capacity 1: something was pushed
	// sleepUntil is the deadline of the taker sleeping on its timer, zero
	// when none does.
	sleepUntil time.Time
}

func newQueue(max int) *queue { return &queue{max: max, signal: make(chan struct{}, 1)} }

// push queues it; it reports false when the queue is full.
func (q *queue) push(it *item) bool {
	q.mu.Lock()
	if len(q.h) >= q.max {
		q.mu.Unlock()
		return false
	}
	q.order++
	it.order = q.order
	heap.Push(&q.h, it)
	q.mu.Unlock()
	q.kick()
	return true
}

func (q *queue) kick() {
	select {
	case q.signal <- struct{}{}:
	default:
	}
}

// drain empties the queue and returns what it held.
func (q *queue) drain() []*item {
	q.mu.Lock()
	defer q.mu.Unlock()
	h := q.h
	q.h = nil
	return h
}

// len returns the number of items waiting.
func (q *queue) len() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return len(q.h)
}

// get returns the next due item, waiting for it; it returns nil when stop
// is closed first. t is the caller's timer, stopped or expired. Of the
// takers waiting for an item that is not due yet, one sleeps on its timer
// (another only when a sooner item arrives); the rest wait for a push.
func (q *queue) get(stop <-chan struct{}, t *time.Timer) *item {
	for {
		q.mu.Lock()
		var tc <-chan time.Time
		var until time.Time
		if len(q.h) > 0 {
			head := q.h[0].due
			if wait := time.Until(head); wait <= 0 {
				it := heap.Pop(&q.h).(*item)
				more := len(q.h) > 0
				q.mu.Unlock()
				if more {
					q.kick() // let another taker look at the next one
				}
				return it
			} else if q.sleepUntil.IsZero() || head.Before(q.sleepUntil) {
				q.sleepUntil, until = head, head
				t.Reset(wait)
				tc = t.C
			}
		}
		q.mu.Unlock()
		var stopped bool
		select {
		case <-q.signal:
		case <-tc:
		case <-stop:
			stopped = true
		}
		if tc != nil {
			t.Stop()
			q.mu.Lock()
			if q.sleepUntil.Equal(until) {
				q.sleepUntil = time.Time{}
			}
			q.mu.Unlock()
		}
		if stopped {
			if tc != nil {
				q.kick() // another taker may sleep on the timer now
			}
			return nil
		}
	}
}
