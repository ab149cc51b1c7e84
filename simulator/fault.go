package simulator

import "time"

// Fault is misbehaviour on demand for one protocol. Counts act on the next
// submits (and are used up); rates act on every submit with that
// probability; Delay slows every answer. A submit meets at most one of
// Drop, Throttle, NoResponse and Garbage, tried in that order.
type Fault struct {
	// Account limits the fault to one account; "" means all.
	Account string `json:"account,omitempty"`
	// Drop closes the link when each of the next Drop submits arrives,
	// before it is accepted or answered.
	Drop int `json:"drop,omitempty"`
	// Throttle answers the next Throttle submits with the throttle code.
	Throttle int `json:"throttle,omitempty"`
	// NoResponse accepts the next NoResponse submits (they count, and get
	// their receipt) but loses their answers, so the SP times out and
	// resends.
	NoResponse int `json:"no_response,omitempty"`
	// Garbage accepts the next Garbage submits and writes garbage bytes in
	// place of their answers, which breaks the link.
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
	faultNoResponse
	faultGarbage
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

// takeFault decides the fault for one submit of account and uses up a count.
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
	case f.NoResponse > 0:
		f.NoResponse, k = f.NoResponse-1, faultNoResponse
	case f.Garbage > 0:
		f.Garbage, k = f.Garbage-1, faultGarbage
	}
	rates := [...]float64{faultDrop: f.DropRate, faultThrottle: f.ThrottleRate, faultNoResponse: f.NoResponseRate, faultGarbage: f.GarbageRate}
	delay := f.Delay
	srv.faultMu.Unlock()
	for i := faultDrop; k == faultNone && i <= faultGarbage; i++ {
		if srv.sim.chance(rates[i]) {
			k = i
		}
	}
	return k, delay
}
