// Package taxsms is the vocabulary of the 12366 tax-service SMS platform: the
// offices, staff, taxpayers, contacts and messages it works with, their
// validation, and the one error model that every adapter speaks.
//
// Adapters live in sub-packages named for what they adapt (store, protocol/…,
// importer, …) and only cmd/taxsms wires them together.
package taxsms

import (
	"strings"
	"time"
	"unicode/utf8"
)

// DateLayout is the form of calendar dates in files, the API and the store.
const DateLayout = "2006-01-02"

// Date is a calendar day with no time of day or zone, such as a registration
// date. The zero Date means "not set".
type Date struct {
	Year  int
	Month time.Month
	Day   int
}

// ParseDate reads a date in YYYY-MM-DD form, also accepting YYYY/MM/DD,
// YYYYMMDD and YYYY.MM.DD, as staff type them. An empty string is the zero Date.
func ParseDate(s string) (Date, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return Date{}, nil
	}
	for _, layout := range []string{DateLayout, "2006/1/2", "20060102", "2006.1.2", "2006-1-2"} {
		if t, err := time.Parse(layout, s); err == nil {
			return DateOf(t), nil
		}
	}
	return Date{}, Errorf(EINVALID, "%q is not a date (want YYYY-MM-DD)", s)
}

// DateOf returns the calendar day of t in t's location.
func DateOf(t time.Time) Date {
	y, m, d := t.Date()
	return Date{y, m, d}
}

// IsZero reports whether d is unset.
func (d Date) IsZero() bool { return d == Date{} }

// String returns YYYY-MM-DD, or "" for the zero Date.
func (d Date) String() string {
	if d.IsZero() {
		return ""
	}
	return d.Time(time.UTC).Format(DateLayout)
}

// Time returns midnight of d in loc.
func (d Date) Time(loc *time.Location) time.Time {
	return time.Date(d.Year, d.Month, d.Day, 0, 0, 0, 0, loc)
}

// Before reports whether d is before e.
func (d Date) Before(e Date) bool { return d.Time(time.UTC).Before(e.Time(time.UTC)) }

// checkText validates a free-text field: required if min > 0, at most max
// characters, and no control characters.
func checkText(field, s string, minLen, maxLen int) error {
	n := utf8.RuneCountInString(s)
	switch {
	case n == 0 && minLen > 0:
		return Invalid(field, "required")
	case !utf8.ValidString(s):
		return Invalid(field, "not valid UTF-8")
	case n > maxLen:
		return Invalid(field, "at most %d characters, got %d", maxLen, n)
	}
	for _, r := range s {
		if r < 0x20 || r == 0x7f {
			return Invalid(field, "control character %U not allowed", r)
		}
	}
	return nil
}
