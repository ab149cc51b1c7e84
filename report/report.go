// Package report assembles the service reports of Art. 9-14 from what the
// store counts: delivery rates by kind, carrier and office, coverage
// and its deadlines per office, the working-hours check of what
// staff sent (Art. 9-10, R-10) and the effect of reminders. The SQL
// is the store's (store.Coverage, store.Reception, store.Supervision,
// store.ReminderEffect, ...); here are the rates, the totals and the order
// in which pages, exports and charts show them.
//
// Known limits: coverage is the state now, not as it stood on a past day;
// a delivery rate counts messages (not segments) and leaves out those
// still waiting for their receipt.
package report

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"time"

	"taxsms"
	"taxsms/calendar"
	"taxsms/store"
)

// Rate is N out of Of.
type Rate struct {
	N, Of int
}

// Value returns N/Of, and false if Of is 0.
func (r Rate) Value() (float64, bool) {
	if r.Of == 0 {
		return 0, false
	}
	return float64(r.N) / float64(r.Of), true
}

// String returns the rate as a percentage with one decimal ("95.2%"), or
// "—" when there is nothing to rate.
func (r Rate) String() string {
	v, ok := r.Value()
	if !ok {
		return "—"
	}
	return fmt.Sprintf("%.1f%%", v*100)
}

// Delivery counts MT messages by outcome.
type Delivery struct {
	Messages  int
	Segments  int
	Delivered int
	Failed    int // failed, rejected or expired
	Waiting   int // not settled yet (queued, sent and awaiting the receipt, held, cancelled)
}

// Rate is the delivery rate: delivered out of settled (delivered or
// failed).
func (d Delivery) Rate() Rate { return Rate{N: d.Delivered, Of: d.Delivered + d.Failed} }

func (d *Delivery) add(c store.ReceptionCount) {
	d.Messages += c.Messages
	d.Segments += c.Segments
	switch c.Status {
	case taxsms.StatusDelivered:
		d.Delivered += c.Messages
	case taxsms.StatusFailed, taxsms.StatusRejected, taxsms.StatusExpired:
		d.Failed += c.Messages
	default:
		d.Waiting += c.Messages
	}
}

// Line is one row of a reception table: a kind, a carrier or an office
// (whichever the table is by) and its deliveries.
type Line struct {
	Kind     taxsms.Kind
	Carrier  taxsms.Carrier
	OfficeID int64
	Delivery
}

// ReceptionTable is the reception report: deliveries by kind, by
// carrier, by office, by kind and carrier, and in all.
type ReceptionTable struct {
	Total         Delivery
	ByKind        []Line // in the order of taxsms.Kinds
	ByCarrier     []Line // in the order of taxsms.Carriers, then "" (never submitted)
	ByOffice      []Line // by office id
	ByKindCarrier []Line // by kind, then carrier
}

// carriers is the order of carriers in tables: the four, then none.
var carriers = []taxsms.Carrier{taxsms.CarrierMobile, taxsms.CarrierUnicom, taxsms.CarrierTelecom, taxsms.CarrierBroadnet, ""}

func carrierRank(c taxsms.Carrier) int {
	if i := slices.Index(carriers, c); i >= 0 {
		return i
	}
	return len(carriers)
}

func kindRank(k taxsms.Kind) int {
	if i := slices.Index(taxsms.Kinds, k); i >= 0 {
		return i
	}
	return len(taxsms.Kinds)
}

// Reception adds up the store's counts into a ReceptionTable. Only kinds,
// carriers and offices with messages have lines.
func Reception(counts []store.ReceptionCount) *ReceptionTable {
	t := &ReceptionTable{}
	byKind := map[taxsms.Kind]*Line{}
	byCarrier := map[taxsms.Carrier]*Line{}
	byOffice := map[int64]*Line{}
	type kc struct {
		k taxsms.Kind
		c taxsms.Carrier
	}
	byKC := map[kc]*Line{}
	for _, c := range counts {
		t.Total.add(c)
		if byKind[c.Kind] == nil {
			byKind[c.Kind] = &Line{Kind: c.Kind}
		}
		byKind[c.Kind].add(c)
		if byCarrier[c.Carrier] == nil {
			byCarrier[c.Carrier] = &Line{Carrier: c.Carrier}
		}
		byCarrier[c.Carrier].add(c)
		if byOffice[c.OfficeID] == nil {
			byOffice[c.OfficeID] = &Line{OfficeID: c.OfficeID}
		}
		byOffice[c.OfficeID].add(c)
		k := kc{c.Kind, c.Carrier}
		if byKC[k] == nil {
			byKC[k] = &Line{Kind: c.Kind, Carrier: c.Carrier}
		}
		byKC[k].add(c)
	}
	for _, l := range byKind {
		t.ByKind = append(t.ByKind, *l)
	}
	for _, l := range byCarrier {
		t.ByCarrier = append(t.ByCarrier, *l)
	}
	for _, l := range byOffice {
		t.ByOffice = append(t.ByOffice, *l)
	}
	for _, l := range byKC {
		t.ByKindCarrier = append(t.ByKindCarrier, *l)
	}
	sort.Slice(t.ByKind, func(i, j int) bool { return kindRank(t.ByKind[i].Kind) < kindRank(t.ByKind[j].Kind) })
	sort.Slice(t.ByCarrier, func(i, j int) bool { return carrierRank(t.ByCarrier[i].Carrier) < carrierRank(t.ByCarrier[j].Carrier) })
	sort.Slice(t.ByOffice, func(i, j int) bool { return t.ByOffice[i].OfficeID < t.ByOffice[j].OfficeID })
	sort.Slice(t.ByKindCarrier, func(i, j int) bool {
		a, b := t.ByKindCarrier[i], t.ByKindCarrier[j]
		if a.Kind != b.Kind {
			return kindRank(a.Kind) < kindRank(b.Kind)
		}
		return carrierRank(a.Carrier) < carrierRank(b.Carrier)
	})
	return t
}

// OfficeCoverage is one office's line of the coverage report (Art. 12).
type OfficeCoverage struct {
	OfficeID int64
	// Covered: taxpayers with an active contact, of those whose
	// registration stands.
	Covered Rate
	// LateRegistrations: new registrations whose number came after one
	// working day, of the registrations of the range.
	LateRegistrations Rate
	// WithoutService: taxpayers registered before the activation drive and
	// still without service; Overdue once the drive's quarter is over.
	WithoutService int
	Overdue        bool
	// Unreflected: changes and cancellations of registration not followed
	// by the service the same day, of those of the range.
	Unreflected Rate
}

// Coverage puts the coverage and the three deadline reports together by
// office, in office id order. Any report may be nil.
func Coverage(cov []store.CoverageRow, late, without, changes *store.LateReport) []OfficeCoverage {
	m := map[int64]*OfficeCoverage{}
	get := func(id int64) *OfficeCoverage {
		if m[id] == nil {
			m[id] = &OfficeCoverage{OfficeID: id}
		}
		return m[id]
	}
	for _, c := range cov {
		get(c.OfficeID).Covered = Rate{N: c.Covered, Of: c.Taxpayers}
	}
	if late != nil {
		for _, o := range late.ByOffice {
			get(o.OfficeID).LateRegistrations = Rate{N: o.Late, Of: o.Total}
		}
	}
	if without != nil {
		for _, o := range without.ByOffice {
			oc := get(o.OfficeID)
			oc.WithoutService, oc.Overdue = o.Total, o.Late > 0
		}
	}
	if changes != nil {
		for _, o := range changes.ByOffice {
			get(o.OfficeID).Unreflected = Rate{N: o.Late, Of: o.Total}
		}
	}
	out := make([]OfficeCoverage, 0, len(m))
	for _, v := range m {
		out = append(out, *v)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].OfficeID < out[j].OfficeID })
	return out
}

// TotalCovered adds up the coverage of every office.
func TotalCovered(cov []store.CoverageRow) Rate {
	var r Rate
	for _, c := range cov {
		r.N += c.Covered
		r.Of += c.Taxpayers
	}
	return r
}

// HoursFunc returns an office's working hours (store.DB.OfficeHours).
type HoursFunc func(ctx context.Context, officeID int64) ([]calendar.Session, int64, error)

// InHours returns the classifier store.Supervision takes: whether a message
// of an office created at an instant was within that office's working
// hours on cal, in loc. Each office's hours are read once, on first use;
// an office whose hours cannot be read works the default hours.
func InHours(ctx context.Context, cal *calendar.Calendar, loc *time.Location, hours HoursFunc) func(officeID int64, at time.Time) bool {
	known := map[int64]calendar.Hours{}
	return func(officeID int64, at time.Time) bool {
		h, ok := known[officeID]
		if !ok {
			h = calendar.DefaultHours(cal)
			h.Location = loc
			if hours != nil && officeID != 0 {
				if s, _, err := hours(ctx, officeID); err == nil {
					h.Sessions = s
				}
			}
			known[officeID] = h
		}
		return h.Contains(at)
	}
}

// Effect is one line of the reminder-effect report: a rule in an office,
// with the share of each group that did what it asked.
type Effect struct {
	store.EffectRow
	Delivered, Undelivered, None Rate
	// Gain is the difference, in percentage points, between the share of
	// those reached and of those not reminded at all; false when either
	// group is empty.
	Gain    float64
	HasGain bool
}

// Effects computes the shares of the store's rows, in their order, and a
// total line per rule (OfficeID 0) after each rule's offices when there is
// more than one office.
func Effects(rows []store.EffectRow) []Effect {
	var out []Effect
	var total *store.EffectRow
	offices := 0
	flush := func() {
		if total != nil && offices > 1 {
			out = append(out, effect(*total))
		}
	}
	for _, r := range rows {
		if total == nil || total.Rule != r.Rule {
			flush()
			total, offices = &store.EffectRow{Rule: r.Rule}, 0
		}
		offices++
		out = append(out, effect(r))
		sum(total, r)
	}
	flush()
	return out
}

func sum(t *store.EffectRow, r store.EffectRow) {
	for _, p := range [][2]*store.EffectGroup{{&t.Delivered, &r.Delivered}, {&t.Undelivered, &r.Undelivered}, {&t.None, &r.None}} {
		p[0].Taxpayers += p[1].Taxpayers
		p[0].Done += p[1].Done
	}
	t.OptedOut += r.OptedOut
	t.NoContact += r.NoContact
}

func effect(r store.EffectRow) Effect {
	e := Effect{EffectRow: r,
		Delivered:   Rate{N: r.Delivered.Done, Of: r.Delivered.Taxpayers},
		Undelivered: Rate{N: r.Undelivered.Done, Of: r.Undelivered.Taxpayers},
		None:        Rate{N: r.None.Done, Of: r.None.Taxpayers}}
	a, ok1 := e.Delivered.Value()
	b, ok2 := e.None.Value()
	if ok1 && ok2 {
		e.Gain, e.HasGain = (a-b)*100, true
	}
	return e
}
