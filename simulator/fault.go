package simulator

import "time"

// Fault is misbehaviour on demand for one protocol. Counts act on the next
// submits or answers (and are used up); rates act on each with that
// probability; Delay slows every answer. A submit meets at most one of Drop
// and Throttle, its answer at most one of NoResponse and Garbage.
type Fault struct {
	// Account limits the fault to one account; "" means all.
	Account string `json:"account,omitempty"`
	// Drop closes the link when each of the next Drop submits arrives,
	// before it is accepted or answered.
	Drop int `json:"drop,omitempty"`
	// Throttle answers the next Throttle submits with the throttle code.
	Throttle int `json:"throttle,omitempty"`
	// NoResponse loses the next NoResponse submit answers on the wire,
	// whatever they say: the submits are handled (an accepted one counts
	// and gets its receipt) but the SP times out and resends, and the
	// answer to a resend is one of the next answers too.
	NoResponse int `json:"no_response,omitempty"`
	// Garbage writes garbage bytes in place of the next Garbage submit
	// answers, which breaks the link.
	Garbage int `json:"garbage,omitempty"`
	// The same, as a probability for every submit.
	DropRate       float64 `json:"drop_rate,omitempty"`
	ThrottleRate   float64 `json:"throttle_rate,omitempty"`
	NoResponseRate float64 `json:"no_response_rate,omitempty"`
	GarbageRate    float64 `json:"garbage_rate,omitempty"`
	// Delay holds every answer this long (a slow gateway). Handlers run
	// one or few at a time per link, so it also slows reading.
	Delay time.Duration `json:"delay,omitempty"`
}

// zero reports whether f does nothing.
func (f *Fault) zero() bool {
	return f.Drop == 0 && f.Throttle == 0 && f.NoResponse == 0 && f.Garbage == 0 &&
		f.DropRate == 0 && f.ThrottleRate == 0 && f.NoResponseRate == 0 && f.GarbageRate == 0 && f.Delay == 0
}

// faultKind is what a fault does to one submit.
type faultKind uint8

const (
	faultNone faultKind = iota
	faultDrop
	faultThrottle
)

// SetFault replaces the fault of protocol p; the zero Fault clears it.
// It returns false when p is not served.
func (s *Simulator) SetFault(p Protocol, f Fault) bool {
	srv := s.servers[p]
	if srv == nil {
		return false
	}
	srv.faultMu.Lock()
	srv.fault = f
	srv.faultMu.Unlock()
	return true
}

// Fault returns the fault of protocol p now in force, with what remains of
// its counts.
func (s *Simulator) Fault(p Protocol) Fault {
	srv := s.servers[p]
	if srv == nil {
		return Fault{}
	}
	srv.faultMu.Lock()
	defer srv.faultMu.Unlock()
	return srv.fault
}

// takeFault decides the fault for one submit of account, using up a count.
func (srv *server) takeFault(account string) (faultKind, time.Duration) {
	srv.faultMu.Lock()
	f := &srv.fault
	if f.zero() || f.Account != "" && f.Account != account {
		srv.faultMu.Unlock()
		return faultNone, 0
	}
	k := faultNone
	switch {
	case f.Drop > 0:
		f.Drop, k = f.Drop-1, faultDrop
	case f.Throttle > 0:
		f.Throttle, k = f.Throttle-1, faultThrottle
	}
	dropRate, throttleRate, delay := f.DropRate, f.ThrottleRate, f.Delay
	srv.faultMu.Unlock()
	switch {
	case k != faultNone:
	case srv.sim.chance(dropRate):
		k = faultDrop
	case srv.sim.chance(throttleRate):
		k = faultThrottle
	}
	return k, delay
}

// takeAnswerFault decides what happens to one submit answer of account on
// the wire, using up a count.
func (srv *server) takeAnswerFault(account string) action {
	srv.faultMu.Lock()
	f := &srv.fault
	if f.NoResponse == 0 && f.Garbage == 0 && f.NoResponseRate == 0 && f.GarbageRate == 0 ||
		f.Account != "" && f.Account != account {
		srv.faultMu.Unlock()
		return actPass
	}
	a := actPass
	switch {
	case f.NoResponse > 0:
		f.NoResponse, a = f.NoResponse-1, actDrop
	case f.Garbage > 0:
		f.Garbage, a = f.Garbage-1, actGarbage
	}
	noResponseRate, garbageRate := f.NoResponseRate, f.GarbageRate
	srv.faultMu.Unlock()
	switch {
	case a != actPass:
	case srv.sim.chance(noResponseRate):
		a = actDrop
	case srv.sim.chance(garbageRate):
		a = actGarbage
	}
	return a
}
