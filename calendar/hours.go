package calendar

import (
	"fmt"
	"strings"
	"time"

	"taxsms"
)

// Shanghai is China Standard Time, UTC+8, the zone of working hours. It is a
// fixed zone: China has kept no daylight saving time since 1991, and a fixed
// zone needs no time zone database on the host.
var Shanghai = time.FixedZone("CST", 8*60*60)

// Clock is a time of day in minutes after midnight, 0 to 24*60.
type Clock int

// String returns HH:MM.
func (c Clock) String() string { return fmt.Sprintf("%02d:%02d", int(c)/60, int(c)%60) }

// Session is one opening of the day, from Open (included) to Close (excluded).
type Session struct {
	Open, Close Clock
}

// Hours are an office's working hours: its sessions on every working day of
// Calendar, in Location. A zero Location means Shanghai; a nil Calendar knows
// only weekends. Hours are read-only values, safe for concurrent use.
type Hours struct {
	Calendar *Calendar
	Sessions []Session // ascending, not overlapping; see ParseSessions
	Location *time.Location
}

// DefaultHours returns the working hours of an office unless it sets its
// own: 08:30-12:00 and 13:30-17:30 in Shanghai, on cal.
func DefaultHours(cal *Calendar) Hours {
	return Hours{Calendar: cal, Sessions: []Session{{8*60 + 30, 12 * 60}, {13*60 + 30, 17*60 + 30}}, Location: Shanghai}
}

func (h Hours) loc() *time.Location {
	if h.Location == nil {
		return Shanghai
	}
	return h.Location
}

// Contains reports whether t is within the working hours: a working day
// and inside one of its sessions.
func (h Hours) Contains(t time.Time) bool {
	t = t.In(h.loc())
	if !h.Calendar.IsWorkday(taxsms.DateOf(t)) {
		return false
	}
	s := secondOfDay(t)
	for _, ss := range h.Sessions {
		if s >= int(ss.Open)*60 && s < int(ss.Close)*60 {
			return true
		}
	}
	return false
}

// maxSearchDays bounds NextOpen's search; no real calendar closes this long.
const maxSearchDays = 400

// NextOpen returns t if the office is open at t, else the start of the next
// session on a working day, in the Hours' location. It returns the zero Time
// if there are no sessions (or no working day within 400 days).
func (h Hours) NextOpen(t time.Time) time.Time {
	if len(h.Sessions) == 0 {
		return time.Time{}
	}
	loc := h.loc()
	t = t.In(loc)
	tab := h.Calendar.table()
	d := taxsms.DateOf(t)
	n := dayNumber(d)
	s := secondOfDay(t)
	for i := 0; i < maxSearchDays; i, n, s = i+1, n+1, -1 {
		if !tab.workday(n) {
			continue
		}
		for _, ss := range h.Sessions {
			switch {
			case s >= int(ss.Close)*60:
			case s >= int(ss.Open)*60:
				return t
			default:
				d = dateOf(n)
				return time.Date(d.Year, d.Month, d.Day, int(ss.Open)/60, int(ss.Open)%60, 0, 0, loc)
			}
		}
	}
	return time.Time{}
}

func secondOfDay(t time.Time) int {
	hh, mm, ss := t.Clock()
	return hh*3600 + mm*60 + ss
}

// String returns the sessions as ParseSessions reads them,
// e.g. "08:30-12:00,13:30-17:30".
func (h Hours) String() string { return FormatSessions(h.Sessions) }

// FormatSessions returns sessions as ParseSessions reads them.
func FormatSessions(sessions []Session) string {
	var b strings.Builder
	for i, s := range sessions {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(s.Open.String() + "-" + s.Close.String())
	}
	return b.String()
}

// maxSessions bounds the sessions of a day.
const maxSessions = 8

// ParseSessions reads working hours written as comma-separated HH:MM-HH:MM
// ranges, e.g. "08:30-12:00,13:30-17:30" (spaces allowed around the parts;
// 24:00 ends the day). Sessions must be non-empty, ascending and not
// overlapping. It returns an EINVALID error (field "hours") that quotes the
// bad range.
func ParseSessions(s string) ([]Session, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil, taxsms.Invalid("hours", "required, e.g. 08:30-12:00,13:30-17:30")
	}
	parts := strings.Split(s, ",")
	if len(parts) > maxSessions {
		return nil, taxsms.Invalid("hours", "at most %d sessions, got %d", maxSessions, len(parts))
	}
	var out []Session
	for _, p := range parts {
		p = strings.TrimSpace(p)
		open, close, ok := strings.Cut(p, "-")
		if !ok {
			return nil, taxsms.Invalid("hours", "%q: want HH:MM-HH:MM", p)
		}
		o, err1 := parseClock(strings.TrimSpace(open))
		c, err2 := parseClock(strings.TrimSpace(close))
		if err1 != nil || err2 != nil {
			return nil, taxsms.Invalid("hours", "%q: want HH:MM-HH:MM with times 00:00 to 24:00", p)
		}
		if c <= o {
			return nil, taxsms.Invalid("hours", "%q: closes before it opens", p)
		}
		if len(out) > 0 && o < out[len(out)-1].Close {
			return nil, taxsms.Invalid("hours", "%q: starts before the previous session ends", p)
		}
		out = append(out, Session{o, c})
	}
	return out, nil
}

func parseClock(s string) (Clock, error) {
	if len(s) != 5 || s[2] != ':' {
		return 0, fmt.Errorf("bad clock %q", s)
	}
	var v [4]int
	for i, j := range []int{0, 1, 3, 4} {
		if s[j] < '0' || s[j] > '9' {
			return 0, fmt.Errorf("bad clock %q", s)
		}
		v[i] = int(s[j] - '0')
	}
	hh, mm := v[0]*10+v[1], v[2]*10+v[3]
	if mm > 59 || hh > 24 || hh == 24 && mm != 0 {
		return 0, fmt.Errorf("bad clock %q", s)
	}
	return Clock(hh*60 + mm), nil
}
