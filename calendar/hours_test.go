package calendar_test

import (
	"reflect"
	"testing"
	"time"

	"taxsms"
	"taxsms/calendar"
)

func at(t *testing.T, s string) time.Time {
	t.Helper()
	tm, err := time.ParseInLocation("2006-01-02 15:04:05", s, calendar.Shanghai)
	if err != nil {
		t.Fatal(err)
	}
	return tm
}

func TestHours_Contains(t *testing.T) {
	h := calendar.DefaultHours(calendar.Default())
	for _, tt := range []struct {
		at   string
		want bool
	}{
		{"2026-12-03 08:29:59", false},
		{"2026-12-03 08:30:00", true},
		{"2026-12-03 11:59:59", true},
		{"2026-12-03 12:00:00", false}, // lunch
		{"2026-12-03 13:30:00", true},
		{"2026-12-03 17:29:59", true},
		{"2026-12-03 17:30:00", false},
		{"2026-12-05 10:00:00", false}, // Saturday
		{"2026-02-14 10:00:00", true},  // make-up Saturday
		{"2026-10-05 10:00:00", false}, // 国庆
	} {
		if got := h.Contains(at(t, tt.at)); got != tt.want {
			t.Errorf("Contains(%s) = %v, want %v", tt.at, got, tt.want)
		}
	}
	// The zone is Shanghai whatever the zone of the time given.
	utc := time.Date(2026, 12, 3, 1, 0, 0, 0, time.UTC) // 09:00 in Shanghai
	if !h.Contains(utc) {
		t.Errorf("Contains(%s) = false, want true (09:00 CST)", utc)
	}
}

func TestHours_NextOpen(t *testing.T) {
	h := calendar.DefaultHours(calendar.Default())
	for _, tt := range []struct{ at, want string }{
		{"2026-12-03 10:00:00", "2026-12-03 10:00:00"}, // open: now
		{"2026-12-03 07:00:00", "2026-12-03 08:30:00"},
		{"2026-12-03 12:15:00", "2026-12-03 13:30:00"},
		{"2026-12-03 17:30:00", "2026-12-04 08:30:00"},
		{"2026-12-04 18:00:00", "2026-12-07 08:30:00"}, // Friday evening to Monday
		{"2026-02-13 18:00:00", "2026-02-14 08:30:00"}, // to the make-up Saturday
		{"2026-02-14 18:00:00", "2026-02-24 08:30:00"}, // over 春节 2026
		{"2026-09-30 17:45:00", "2026-10-08 08:30:00"}, // over 国庆 2026
		{"2025-12-31 23:59:59", "2026-01-04 08:30:00"}, // over 元旦 to the make-up Sunday
	} {
		got := h.NextOpen(at(t, tt.at))
		if want := at(t, tt.want); !got.Equal(want) || got.Location() != calendar.Shanghai {
			t.Errorf("NextOpen(%s) = %s, want %s", tt.at, got, want)
		}
	}
	if got := (calendar.Hours{}).NextOpen(time.Now()); !got.IsZero() {
		t.Errorf("NextOpen with no sessions = %s, want zero", got)
	}
	// NextOpen always lands inside the hours, and nothing between is open.
	start := at(t, "2026-01-01 00:00:00")
	for i := 0; i < 365*24*4; i += 7 {
		x := start.Add(time.Duration(i) * 15 * time.Minute)
		n := h.NextOpen(x)
		if !h.Contains(n) {
			t.Fatalf("NextOpen(%s) = %s, not open", x, n)
		}
		if n.After(x) && h.Contains(n.Add(-time.Second)) {
			t.Fatalf("NextOpen(%s) = %s, but open a second before", x, n)
		}
	}
}

func TestParseSessions(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want []calendar.Session
		msg  string
	}{
		{"08:30-12:00,13:30-17:30", calendar.DefaultHours(nil).Sessions, ""},
		{" 09:00 - 17:00 ", []calendar.Session{{9 * 60, 17 * 60}}, ""},
		{"00:00-24:00", []calendar.Session{{0, 24 * 60}}, ""},
		{"", nil, "hours: required, e.g. 08:30-12:00,13:30-17:30"},
		{"8:30-12:00", nil, `hours: "8:30-12:00": want HH:MM-HH:MM with times 00:00 to 24:00`},
		{"08:30", nil, `hours: "08:30": want HH:MM-HH:MM`},
		{"12:00-08:30", nil, `hours: "12:00-08:30": closes before it opens`},
		{"08:30-12:00,11:00-17:00", nil, `hours: "11:00-17:00": starts before the previous session ends`},
		{"24:01-24:02", nil, `hours: "24:01-24:02": want HH:MM-HH:MM with times 00:00 to 24:00`},
	} {
		got, err := calendar.ParseSessions(tt.in)
		if taxsms.ErrorMessage(err) != tt.msg || !reflect.DeepEqual(got, tt.want) {
			t.Errorf("ParseSessions(%q) = %v, %q, want %v, %q", tt.in, got, taxsms.ErrorMessage(err), tt.want, tt.msg)
		}
	}
}

// FuzzParseSessions checks that ParseSessions never panics and that what it
// accepts formats back to the same sessions.
func FuzzParseSessions(f *testing.F) {
	f.Add("08:30-12:00,13:30-17:30")
	f.Add("00:00-24:00")
	f.Add("12:00-08:30")
	f.Fuzz(func(t *testing.T, s string) {
		ss, err := calendar.ParseSessions(s)
		if err != nil {
			if taxsms.ErrorField(err) != "hours" {
				t.Fatalf("error %v does not name the field", err)
			}
			return
		}
		again, err := calendar.ParseSessions(calendar.FormatSessions(ss))
		if err != nil || !reflect.DeepEqual(again, ss) {
			t.Fatalf("round trip of %q: %v, %v", s, again, err)
		}
		for i, x := range ss {
			if x.Close <= x.Open || x.Close > 24*60 || i > 0 && x.Open < ss[i-1].Close {
				t.Fatalf("accepted bad sessions %v", ss)
			}
		}
	})
}

func BenchmarkHours_NextOpen(b *testing.B) {
	h := calendar.DefaultHours(calendar.Default())
	x := time.Date(2026, 9, 30, 18, 0, 0, 0, calendar.Shanghai)
	b.ReportAllocs()
	for b.Loop() {
		_ = h.NextOpen(x)
	}
}
