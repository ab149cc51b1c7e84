package taxsms

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// What the platform bills (MISSION R-16, Art. 16). The city pays each
// carrier for the segments the carrier accepted: a segment is billable once
// its submit response was OK, whatever its delivery receipt later says (the
// carrier has carried it). MO messages are never billed to anyone (by
// direction, whatever their kind), and an MT message that never reached a
// carrier (rejected, cancelled, expired or failed before submission, or
// waiting for a retry) is not billable. A billable message is counted on
// the day (in the bureau's zone) its submission was recorded, for the
// office on whose behalf it was sent, its carrier and its kind.
//
// A message that a link gave up on half sent (the link failed, or the
// carrier refused a later segment) has its accepted segments billed all
// the same, by the carrier that accepted them, on the day the outcome was
// recorded; they add segments but no message. The message itself counts
// once, when (and if) it is sent whole, on whichever carrier took it: a
// message failed over to another link or carrier after a partial send
// bills the segments each carrier accepted.

// MilliYuan is an amount of money in thousandths of a yuan, so that a
// tariff such as ¥0.035 a segment is exact.
type MilliYuan int64

// String formats m as yuan with three decimals: "1234.035".
func (m MilliYuan) String() string {
	sign := ""
	v := int64(m)
	if v < 0 {
		sign, v = "-", -v
	}
	return fmt.Sprintf("%s%d.%03d", sign, v/1000, v%1000)
}

// ParseMilliYuan reads an amount of yuan with at most three decimals ("0.035",
// "¥0.05", "12") as MilliYuan. Anything else is an EINVALID error naming
// field.
func ParseMilliYuan(field, s string) (MilliYuan, error) {
	s = strings.TrimSpace(strings.TrimPrefix(strings.TrimPrefix(strings.TrimSpace(s), "¥"), "￥"))
	if s == "" {
		return 0, Invalid(field, "required")
	}
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	whole, frac, _ := strings.Cut(s, ".")
	if whole == "" || len(frac) > 3 || len(whole) > 12 {
		return 0, Invalid(field, "%q: want yuan with at most three decimals, such as 0.035", s)
	}
	for _, r := range whole + frac {
		if r < '0' || r > '9' {
			return 0, Invalid(field, "%q: want yuan with at most three decimals, such as 0.035", s)
		}
	}
	w, _ := strconv.ParseInt(whole, 10, 64)
	f, _ := strconv.ParseInt((frac + "000")[:3], 10, 64)
	v := w*1000 + f
	if neg {
		v = -v
	}
	return MilliYuan(v), nil
}

// Month is a calendar month, the period of a carrier statement.
type Month struct {
	Year  int
	Month time.Month
}

// ParseMonth reads "YYYY-MM". Anything else is an EINVALID error naming
// the field "month".
func ParseMonth(s string) (Month, error) {
	t, err := time.Parse("2006-01", strings.TrimSpace(s))
	if err != nil || t.Year() < 2000 || t.Year() > 9998 {
		return Month{}, Invalid("month", "%q: want YYYY-MM", s)
	}
	return Month{t.Year(), t.Month()}, nil
}

// MonthOf returns the month of d.
func MonthOf(d Date) Month { return Month{d.Year, d.Month} }

// String returns "YYYY-MM", or "" for the zero Month.
func (m Month) String() string {
	if m.IsZero() {
		return ""
	}
	return fmt.Sprintf("%04d-%02d", m.Year, int(m.Month))
}

// IsZero reports whether m is unset.
func (m Month) IsZero() bool { return m == Month{} }

// First returns the first day of m.
func (m Month) First() Date { return Date{m.Year, m.Month, 1} }

// Last returns the last day of m.
func (m Month) Last() Date { return DateOf(m.First().Time(time.UTC).AddDate(0, 1, -1)) }

// Next returns the month after m.
func (m Month) Next() Month { return MonthOf(DateOf(m.First().Time(time.UTC).AddDate(0, 1, 0))) }

// Before reports whether m is before n.
func (m Month) Before(n Month) bool {
	return m.Year < n.Year || m.Year == n.Year && m.Month < n.Month
}

// Prev returns the month before m.
func (m Month) Prev() Month { return MonthOf(DateOf(m.First().Time(time.UTC).AddDate(0, -1, 0))) }

// Tariff is what a carrier charges for one billable segment of a kind of
// message, from ValidFrom to ValidTo (both included; a zero ValidTo means
// until further notice). Two tariffs of one carrier and kind never
// overlap.
type Tariff struct {
	ID        int64
	Carrier   Carrier
	Kind      Kind
	Price     MilliYuan // per billable segment
	ValidFrom Date
	ValidTo   Date // zero: open-ended
	CreatedAt time.Time
}

// Validate returns an EINVALID error naming the first bad field. A tariff
// prices MT messages only: MO messages are never billed, whatever their
// kind, so a tariff of kind "interactive" prices the MT messages of that
// kind (the notices of a number changed by self-service).
func (t *Tariff) Validate() error {
	switch {
	case !t.Carrier.Valid():
		return Invalid("carrier", "unknown carrier %q", t.Carrier)
	case !t.Kind.Valid():
		return Invalid("kind", "unknown kind %q", t.Kind)
	case t.Price < 0:
		return Invalid("price", "must not be negative, got %s", t.Price)
	case t.Price > 100_000:
		return Invalid("price", "at most ¥100 a segment, got ¥%s", t.Price)
	case t.ValidFrom.IsZero():
		return Invalid("valid_from", "required")
	case !t.ValidTo.IsZero() && t.ValidTo.Before(t.ValidFrom):
		return Invalid("valid_to", "%s is before valid_from %s", t.ValidTo, t.ValidFrom)
	}
	return nil
}

// Covers reports whether day falls within t's validity.
func (t *Tariff) Covers(day Date) bool {
	return !day.Before(t.ValidFrom) && (t.ValidTo.IsZero() || !t.ValidTo.Before(day))
}

// Overlaps reports whether t and u are of the same carrier and kind and
// valid on a common day.
func (t *Tariff) Overlaps(u *Tariff) bool {
	if t.Carrier != u.Carrier || t.Kind != u.Kind {
		return false
	}
	endsBefore := func(a, b *Tariff) bool { return !a.ValidTo.IsZero() && a.ValidTo.Before(b.ValidFrom) }
	return !endsBefore(t, u) && !endsBefore(u, t)
}

// CheckOverlap returns an ECONFLICT error, naming the field "valid_from"
// and both periods, if t overlaps a tariff of others other than itself
// (same ID).
func (t *Tariff) CheckOverlap(others []*Tariff) error {
	for _, u := range others {
		if u.ID != 0 && u.ID == t.ID || !t.Overlaps(u) {
			continue
		}
		return &Error{Code: ECONFLICT, Field: "valid_from", Message: fmt.Sprintf(
			"valid_from: the %s %s tariff %s overlaps tariff %d, valid %s; end that one first",
			t.Carrier, t.Kind, t.Period(), u.ID, u.Period())}
	}
	return nil
}

// Period returns "2026-01-01 – 2026-12-31", or "2026-01-01 –" when open.
func (t *Tariff) Period() string {
	return strings.TrimSpace(t.ValidFrom.String() + " – " + t.ValidTo.String())
}

// StatementLine is what one office owes one carrier for one kind of
// message in a month: the billable messages and segments counted, and
// their amount at the tariffs of the days they were sent. Adjustment lines
// carry changes to months already closed, billed in this one.
type StatementLine struct {
	OfficeID   int64
	Carrier    Carrier
	Kind       Kind
	Messages   int64
	Segments   int64
	Amount     MilliYuan
	Unpriced   int64 // segments sent on days no tariff covers (not in Amount)
	Adjustment bool
}

// Adjustment is a change to a closed month's counts (a submission recorded
// late, a recount), billed in the first open month after it instead, with
// the reason.
type Adjustment struct {
	ID        int64
	Month     Month // the month it is billed in
	Day       Date  // the day the change belongs to, whose tariff prices it
	OfficeID  int64
	Carrier   Carrier
	Kind      Kind
	Messages  int64
	Segments  int64
	Amount    MilliYuan // at the tariff of Day; 0 when none covers it
	Unpriced  bool      // no tariff covers Day
	Reason    string
	CreatedAt time.Time
}

// Statement is the carrier statement of an office subtree for a month.
type Statement struct {
	Month       Month
	OfficeID    int64 // the subtree's top office
	Closed      bool  // frozen: Lines are the figures stored when it closed
	ClosedAt    time.Time
	ClosedBy    string
	Lines       []StatementLine // by office, carrier, kind; adjustment lines last
	Adjustments []Adjustment    // the individual adjustments billed in Month
}

// Total sums the lines.
func (s *Statement) Total() StatementLine {
	var t StatementLine
	for _, l := range s.Lines {
		t.Messages += l.Messages
		t.Segments += l.Segments
		t.Amount += l.Amount
		t.Unpriced += l.Unpriced
	}
	return t
}
