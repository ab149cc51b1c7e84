package carrier

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"

	"taxsms"
)

// Routes say which carrier a number belongs to and where its messages may
// go when that carrier's links are down.
type Routes struct {
	// Prefixes maps number prefixes to carriers; nil means
	// taxsms.DefaultPrefixes.
	Prefixes *taxsms.PrefixTable
	// Overrides maps 11-digit numbers to their carrier, before the
	// prefixes: numbers ported to another network.
	Overrides map[string]taxsms.Carrier
	// Failover lists, per carrier, the carriers whose links may carry its
	// numbers, in order, when it has no enabled link or all are down.
	Failover map[taxsms.Carrier][]taxsms.Carrier
}

// Router sends each message on a link of the number's carrier. It is safe
// for concurrent use; it runs no goroutine of its own.
type Router struct {
	links     []*Link
	byCarrier map[taxsms.Carrier][]*Link // enabled links only
	prefixes  *taxsms.PrefixTable
	failover  map[taxsms.Carrier][]taxsms.Carrier
	rr        atomic.Uint32

	mu        sync.RWMutex
	overrides map[string]taxsms.Carrier
}

// NewRouter returns a Router over links, which it does not own (Close
// closes them all the same, for Open's sake).
func NewRouter(links []*Link, routes Routes) *Router {
	r := &Router{
		links:     links,
		byCarrier: make(map[taxsms.Carrier][]*Link),
		prefixes:  routes.Prefixes,
		failover:  routes.Failover,
	}
	if r.prefixes == nil {
		r.prefixes = taxsms.DefaultPrefixes
	}
	for _, l := range links {
		if l.cfg.Enabled { // a link disabled at run time stays, to come back
			r.byCarrier[l.Carrier()] = append(r.byCarrier[l.Carrier()], l)
		}
	}
	r.SetOverrides(routes.Overrides)
	return r
}

// Open opens a link for each configuration (see OpenLink) and returns a
// Router over them with opts.Routes. Link names must be unique. On error
// it closes what it opened.
func Open(ctx context.Context, cfgs []LinkConfig, h Handler, opts Options) (*Router, error) {
	seen := make(map[string]bool)
	var links []*Link
	fail := func(err error) (*Router, error) {
		for _, l := range links {
			l.Close(ctx)
		}
		return nil, err
	}
	for _, c := range cfgs {
		if seen[c.Name] {
			return fail(taxsms.Invalid("link["+c.Name+"].name", "%q is used by two links", c.Name))
		}
		seen[c.Name] = true
		l, err := OpenLink(ctx, c, h, opts)
		if err != nil {
			return fail(err)
		}
		links = append(links, l)
	}
	return NewRouter(links, opts.Routes), nil
}

// SetOverrides replaces the table of ported numbers.
func (r *Router) SetOverrides(m map[string]taxsms.Carrier) {
	cp := make(map[string]taxsms.Carrier, len(m))
	for k, v := range m {
		cp[k] = v
	}
	r.mu.Lock()
	r.overrides = cp
	r.mu.Unlock()
}

// Route returns the carrier of number: from the overrides, else from the
// prefixes. It reports false for a number of no known carrier.
func (r *Router) Route(number string) (taxsms.Carrier, bool) {
	r.mu.RLock()
	c, ok := r.overrides[number]
	r.mu.RUnlock()
	if ok {
		return c, true
	}
	return r.prefixes.Carrier(number)
}

// Send sends m on a link of its number's carrier: links that are up first,
// taken in turn; another link of the carrier when one answers
// ErrUnavailable; then the links of the failover carriers. It returns
// ErrNoRoute when no enabled link serves the number's carrier or its
// failovers (or the number has no carrier), ErrUnavailable when every one
// of them is down, and otherwise what the link's Send returned. What a
// link accepted before it failed and the next was tried is in
// Result.Abandoned.
func (r *Router) Send(ctx context.Context, m Message) (Result, error) {
	c, ok := r.Route(m.Mobile)
	if !ok {
		return Result{}, fmt.Errorf("number %s: no carrier: %w", taxsms.MaskMobile(m.Mobile), ErrNoRoute)
	}
	carriers := append([]taxsms.Carrier{c}, r.failover[c]...)
	var last error
	var abandoned []Result // links that failed half way through m
	found := false
	for _, c := range carriers {
		for _, l := range r.order(r.byCarrier[c]) {
			found = true
			res, err := l.Send(ctx, m)
			if err == nil || !errors.Is(err, ErrUnavailable) || ctx.Err() != nil {
				res.Abandoned = abandoned
				return res, err
			}
			if len(res.Parts) > 0 {
				abandoned = append(abandoned, Result{Carrier: res.Carrier, Link: res.Link, Coding: res.Coding, Parts: res.Parts})
			}
			last = err
		}
	}
	if !found {
		return Result{Carrier: c}, fmt.Errorf("carrier %s: no enabled link: %w", c, ErrNoRoute)
	}
	return Result{Carrier: c, Abandoned: abandoned}, fmt.Errorf("carrier %s: every link is down (last: %v): %w", c, last, ErrUnavailable)
}

// order returns links starting at the next in turn, those up first.
func (r *Router) order(links []*Link) []*Link {
	n := len(links)
	if n == 0 {
		return nil
	}
	start := int(r.rr.Add(1))
	out := make([]*Link, 0, n)
	var down []*Link
	for i := range n {
		l := links[(start+i)%n]
		if l.up() && !l.off.Load() {
			out = append(out, l)
		} else {
			down = append(down, l)
		}
	}
	return append(out, down...)
}

// Links returns the router's links, in configuration order.
func (r *Router) Links() []*Link { return r.links }

// Health returns the health of every link, in configuration order.
func (r *Router) Health() []Health {
	hs := make([]Health, len(r.links))
	for i, l := range r.links {
		hs[i] = l.Health()
	}
	return hs
}

// SetEnabled disables (on false) or enables again the link named name,
// on this node and until it restarts: see Link.SetEnabled. A name no link
// has is ENOTFOUND.
func (r *Router) SetEnabled(name string, on bool) error {
	for _, l := range r.links {
		if l.Name() == name {
			return l.SetEnabled(on)
		}
	}
	return taxsms.Errorf(taxsms.ENOTFOUND, "no link named %q", name)
}

// Ready waits until every enabled link has a session up, or ctx ends.
func (r *Router) Ready(ctx context.Context) error {
	for _, l := range r.links {
		if !l.Enabled() {
			continue
		}
		if err := l.Ready(ctx); err != nil {
			return err
		}
	}
	return nil
}

// Close closes every link at once (see Link.Close) and returns the first
// error, ctx's when it ended first.
func (r *Router) Close(ctx context.Context) error {
	errs := make([]error, len(r.links))
	var wg sync.WaitGroup
	for i, l := range r.links {
		wg.Go(func() { errs[i] = l.Close(ctx) })
	}
	wg.Wait()
	return errors.Join(errs...)
}
