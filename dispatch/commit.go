package dispatch

import (
	"context"
	"errors"
	"sync"
)

// errClosed is returned to a waiter whose committer was closed first.
var errClosed = errors.New("dispatch: closed")

// committer writes items in batches from one goroutine: whatever has
// arrived while the previous batch was being written goes in the next one
// (group commit), up to max items.
type committer[T any] struct {
	write func(context.Context, []T) error
	max   int

	mu      sync.Mutex
	items   []T
	waiters []chan error // one per item; nil when nobody waits
	kick    chan struct{}
	closed  bool
	done    chan struct{}
}

// newCommitter starts the writing goroutine; it ends with close.
func newCommitter[T any](write func(context.Context, []T) error, max int) *committer[T] {
	c := &committer[T]{write: write, max: max, kick: make(chan struct{}, 1), done: make(chan struct{})}
	go c.run()
	return c
}

// add queues an item without waiting for it to be written.
func (c *committer[T]) add(item T) { c.enqueue(item, nil) }

// wait queues an item and returns once it is written (or failed to be), or
// ctx ends.
func (c *committer[T]) wait(ctx context.Context, item T) error {
	ch := make(chan error, 1)
	if !c.enqueue(item, ch) {
		return errClosed
	}
	select {
	case err := <-ch:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (c *committer[T]) enqueue(item T, ch chan error) bool {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return false
	}
	c.items = append(c.items, item)
	c.waiters = append(c.waiters, ch)
	c.mu.Unlock()
	select {
	case c.kick <- struct{}{}:
	default:
	}
	return true
}

// close writes what is queued, then stops the goroutine.
func (c *committer[T]) close() {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		<-c.done
		return
	}
	c.closed = true
	c.mu.Unlock()
	select {
	case c.kick <- struct{}{}:
	default:
	}
	<-c.done
}

func (c *committer[T]) run() {
	defer close(c.done)
	for range c.kick {
		for {
			c.mu.Lock()
			n := min(len(c.items), c.max)
			items, waiters := c.items[:n:n], c.waiters[:n:n]
			c.items, c.waiters = c.items[n:], c.waiters[n:]
			closed := c.closed && len(c.items) == 0
			c.mu.Unlock()
			if n > 0 {
				err := c.write(context.Background(), items)
				for _, w := range waiters {
					if w != nil {
						w <- err
					}
				}
			}
			if closed {
				return
			}
			if n == 0 {
				break
			}
		}
	}
}
