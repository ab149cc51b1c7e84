package calendar_test

import (
	"sync"
	"testing"
	"time"

	"taxsms"
	"taxsms/calendar"
)

// day parses YYYY-MM-DD or fails the test.
func day(t testing.TB, s string) taxsms.Date {
	t.Helper()
	tm, err := time.Parse(taxsms.DateLayout, s)
	if err != nil {
		t.Fatal(err)
	}
	return taxsms.DateOf(tm)
}

func TestCalendar_IsWorkday(t *testing.T) {
	cal := calendar.Default()
	for _, tt := range []struct {
		date string
		want bool
		why  string
	}{
		{"2025-01-01", false, "元旦 2025, a Wednesday"},
		{"2025-01-02", true, "Thursday after 元旦"},
		{"2025-01-26", true, "Sunday made up for 春节 2025"},
		{"2025-01-27", true, "Monday before 春节"},
		{"2025-01-28", false, "除夕 2025, first day of 春节"},
		{"2025-01-29", false, "春节 2025"},
		{"2025-02-04", false, "last day of 春节 2025, a Tuesday"},
		{"2025-02-05", true, "first working day after 春节 2025"},
		{"2025-02-08", true, "Saturday made up for 春节 2025"},
		{"2025-02-09", false, "ordinary Sunday"},
		{"2025-04-04", false, "清明 2025"},
		{"2025-04-27", true, "Sunday made up for 劳动节 2025"},
		{"2025-05-05", false, "劳动节 2025, a Monday"},
		{"2025-06-02", false, "端午 2025, a Monday"},
		{"2025-09-28", true, "Sunday made up for 国庆 2025"},
		{"2025-10-08", false, "国庆中秋 2025, 8th day, a Wednesday"},
		{"2025-10-09", true, "after 国庆 2025"},
		{"2025-10-11", true, "Saturday made up for 国庆 2025"},
		{"2026-01-02", false, "元旦 2026, a Friday"},
		{"2026-01-04", true, "Sunday made up for 元旦 2026"},
		{"2026-02-14", true, "Saturday made up for 春节 2026"},
		{"2026-02-15", false, "春节 2026 first day"},
		{"2026-02-23", false, "春节 2026 last day, a Monday"},
		{"2026-02-24", true, "after 春节 2026"},
		{"2026-02-28", true, "Saturday made up for 春节 2026"},
		{"2026-05-09", true, "Saturday made up for 劳动节 2026"},
		{"2026-06-19", false, "端午 2026, a Friday"},
		{"2026-09-20", true, "Sunday made up for 国庆 2026"},
		{"2026-09-25", false, "中秋 2026, a Friday"},
		{"2026-10-01", false, "国庆 2026"},
		{"2026-10-07", false, "国庆 2026 last day, a Wednesday"},
		{"2026-10-08", true, "after 国庆 2026"},
		{"2026-10-10", true, "Saturday made up for 国庆 2026"},
		{"2026-12-03", true, "ordinary Thursday"},
		{"2026-12-05", false, "ordinary Saturday"},
		{"2027-02-10", false, "春节 2027 (provisional)"},
		{"2027-02-14", true, "Sunday made up for 春节 2027 (provisional)"},
		{"2027-06-09", false, "端午 2027, a Wednesday (provisional)"},
		{"2030-01-01", true, "an uncovered year knows only weekends"},
	} {
		if got := cal.IsWorkday(day(t, tt.date)); got != tt.want {
			t.Errorf("IsWorkday(%s) = %v, want %v (%s)", tt.date, got, tt.want, tt.why)
		}
	}
}

func TestCalendar_Years(t *testing.T) {
	cal := calendar.Default()
	if got := cal.Years(); len(got) != 3 || got[0] != 2025 || got[2] != 2027 {
		t.Errorf("Years = %v, want [2025 2026 2027]", got)
	}
	for _, tt := range []struct {
		year              int
		covers, provision bool
	}{{2024, false, false}, {2025, true, false}, {2026, true, false}, {2027, true, true}, {2028, false, false}} {
		if got := cal.Covers(tt.year); got != tt.covers {
			t.Errorf("Covers(%d) = %v, want %v", tt.year, got, tt.covers)
		}
		if got := cal.Provisional(tt.year); got != tt.provision {
			t.Errorf("Provisional(%d) = %v, want %v", tt.year, got, tt.provision)
		}
	}
	// Working days per year, counted by hand from the notices: 261 Mondays
	// to Fridays, less the holidays on them (18 in 2025, 19 in 2026), plus
	// the make-up days (5 in 2025, 6 in 2026).
	for _, tt := range []struct{ year, workdays int }{{2025, 248}, {2026, 248}} {
		jan1 := taxsms.Date{Year: tt.year, Month: time.January, Day: 1}
		dec31 := taxsms.Date{Year: tt.year, Month: time.December, Day: 31}
		n := cal.WorkdaysBetween(jan1, dec31)
		if cal.IsWorkday(jan1) {
			n++
		}
		if n != tt.workdays {
			t.Errorf("working days in %d = %d, want %d", tt.year, n, tt.workdays)
		}
	}
}

func TestCalendar_AddWorkdays(t *testing.T) {
	cal := calendar.Default()
	for _, tt := range []struct {
		from string
		n    int
		want string
	}{
		{"2025-01-27", 1, "2025-02-05"},  // over 春节 2025
		{"2025-01-25", 1, "2025-01-26"},  // a Saturday; next is the make-up Sunday
		{"2026-02-13", 1, "2026-02-14"},  // Friday to the make-up Saturday
		{"2026-02-24", -1, "2026-02-14"}, // back over 春节 2026
		{"2026-10-26", -3, "2026-10-21"}, // three working days before the October deadline
		{"2026-09-30", 1, "2026-10-08"},  // over 国庆 2026
		{"2026-12-03", 0, "2026-12-03"},
		{"2026-12-05", 0, "2026-12-05"}, // n = 0 never moves
		{"2026-12-31", 1, "2027-01-04"}, // over 元旦 2027
		{"2025-12-31", 2, "2026-01-05"}, // Jan 1-3 off, Jan 4 made up
		{"2028-03-03", 1, "2028-03-06"}, // uncovered year: weekends only
	} {
		if got := cal.AddWorkdays(day(t, tt.from), tt.n); got != day(t, tt.want) {
			t.Errorf("AddWorkdays(%s, %d) = %s, want %s", tt.from, tt.n, got, tt.want)
		}
	}
	if got := cal.NextWorkday(day(t, "2025-09-30")); got != day(t, "2025-10-09") {
		t.Errorf("NextWorkday(2025-09-30) = %s, want 2025-10-09", got)
	}
	if got := cal.PrevWorkday(day(t, "2025-10-09")); got != day(t, "2025-09-30") {
		t.Errorf("PrevWorkday(2025-10-09) = %s, want 2025-09-30", got)
	}
}

// TestCalendar_WorkdaysBetween checks the O(1) count against stepping day
// by day, and that it inverts AddWorkdays, from 2024 to 2028.
func TestCalendar_WorkdaysBetween(t *testing.T) {
	cal := calendar.Default()
	start := day(t, "2024-11-20").Time(time.UTC)
	for i := 0; i < 4*365; i += 3 {
		d := taxsms.DateOf(start.AddDate(0, 0, i))
		for n := -25; n <= 25; n += 4 {
			e := cal.AddWorkdays(d, n)
			if got := cal.WorkdaysBetween(d, e); got != n {
				t.Fatalf("WorkdaysBetween(%s, AddWorkdays(%s, %d) = %s) = %d, want %d", d, d, n, e, got, n)
			}
		}
		e := taxsms.DateOf(start.AddDate(0, 0, i+i%40))
		want := 0
		for x := d.Time(time.UTC).AddDate(0, 0, 1); !x.After(e.Time(time.UTC)); x = x.AddDate(0, 0, 1) {
			if cal.IsWorkday(taxsms.DateOf(x)) {
				want++
			}
		}
		if got := cal.WorkdaysBetween(d, e); got != want {
			t.Fatalf("WorkdaysBetween(%s, %s) = %d, want %d", d, e, got, want)
		}
		if got := cal.WorkdaysBetween(e, d); got != -want-boolInt(cal.IsWorkday(d))+boolInt(cal.IsWorkday(e)) {
			t.Fatalf("WorkdaysBetween(%s, %s) = %d, want minus the working days in [%s, %s)", e, d, got, d, e)
		}
	}
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// TestDates checks the package's day arithmetic against package time over
// two centuries: a calendar whose weekends are right everywhere.
func TestDates(t *testing.T) {
	var cal *calendar.Calendar // weekends only
	for x := time.Date(1990, 1, 1, 0, 0, 0, 0, time.UTC); x.Year() < 2200; x = x.AddDate(0, 0, 1) {
		d := taxsms.DateOf(x)
		want := x.Weekday() != time.Saturday && x.Weekday() != time.Sunday
		if got := cal.IsWorkday(d); got != want {
			t.Fatalf("nil calendar IsWorkday(%s) = %v, want %v", d, got, want)
		}
		if got, want := cal.AddWorkdays(d, 0), d; got != want {
			t.Fatalf("AddWorkdays(%s, 0) = %s", d, got)
		}
	}
}

func TestCalendar_Edit(t *testing.T) {
	cal := calendar.Default()
	d := day(t, "2026-12-07") // a Monday
	t.Run("OK", func(t *testing.T) {
		if err := cal.Add(calendar.Entry{Date: d, Kind: calendar.Holiday, Name: "停电", Source: "市局通知"}); err != nil {
			t.Fatal(err)
		}
		if cal.IsWorkday(d) {
			t.Errorf("IsWorkday(%s) after Add holiday = true", d)
		}
		if e, ok := cal.Lookup(d); !ok || e.Name != "停电" {
			t.Errorf("Lookup(%s) = %+v, %v", d, e, ok)
		}
		if err := cal.Remove(d); err != nil {
			t.Fatal(err)
		}
		if !cal.IsWorkday(d) {
			t.Errorf("IsWorkday(%s) after Remove = false", d)
		}
	})
	t.Run("Replaces", func(t *testing.T) {
		sat := day(t, "2026-02-14")
		if err := cal.Add(calendar.Entry{Date: sat, Kind: calendar.Holiday, Name: "春节", Source: "x"}); err != nil {
			t.Fatal(err)
		}
		if cal.IsWorkday(sat) {
			t.Errorf("IsWorkday(%s) = true after replacing the make-up day", sat)
		}
		if n := len(cal.Entries()); n != len(calendar.Default().Entries()) {
			t.Errorf("len(Entries) = %d, want %d", n, len(calendar.Default().Entries()))
		}
	})
	for _, tt := range []struct {
		name  string
		err   error
		code  string
		field string
	}{
		{"ErrWorkdayOnWeekday", cal.Add(calendar.Entry{Date: d, Kind: calendar.Workday, Name: "x", Source: "y"}), taxsms.EINVALID, "kind"},
		{"ErrNoName", cal.Add(calendar.Entry{Date: d, Kind: calendar.Holiday, Source: "y"}), taxsms.EINVALID, "name"},
		{"ErrSpaceInSource", cal.Add(calendar.Entry{Date: d, Kind: calendar.Holiday, Name: "x", Source: "a b"}), taxsms.EINVALID, "source"},
		{"ErrBadDate", cal.Add(calendar.Entry{Date: taxsms.Date{Year: 2026, Month: 2, Day: 30}, Kind: calendar.Holiday, Name: "x", Source: "y"}), taxsms.EINVALID, "date"},
		{"ErrKind", cal.Add(calendar.Entry{Date: d, Name: "x", Source: "y"}), taxsms.EINVALID, "kind"},
		{"ErrRemoveMissing", cal.Remove(d), taxsms.ENOTFOUND, ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := taxsms.ErrorCode(tt.err); got != tt.code {
				t.Errorf("code = %q, want %q (%v)", got, tt.code, tt.err)
			}
			if got := taxsms.ErrorField(tt.err); got != tt.field {
				t.Errorf("field = %q, want %q (%v)", got, tt.field, tt.err)
			}
		})
	}
	t.Run("ErrDuplicate", func(t *testing.T) {
		e := calendar.Entry{Date: d, Kind: calendar.Holiday, Name: "x", Source: "y"}
		_, err := calendar.New([]calendar.Entry{e, e})
		if taxsms.ErrorCode(err) != taxsms.ECONFLICT {
			t.Errorf("New(duplicate) error = %v, want ECONFLICT", err)
		}
	})
}

func TestCalendar_ReplaceYears(t *testing.T) {
	cal := calendar.Default()
	official := []calendar.Entry{
		{Date: day(t, "2027-01-01"), Kind: calendar.Holiday, Name: "元旦", Source: "国办发明电〔2026〕X号"},
	}
	years, err := cal.ReplaceYears(official)
	if err != nil || len(years) != 1 || years[0] != 2027 {
		t.Fatalf("ReplaceYears = %v, %v", years, err)
	}
	if cal.Provisional(2027) {
		t.Error("Provisional(2027) = true after loading the notice")
	}
	if !cal.Covers(2025) || cal.IsWorkday(day(t, "2025-01-28")) {
		t.Error("2025 lost by replacing 2027")
	}
	if !cal.IsWorkday(day(t, "2027-02-10")) {
		t.Error("2027-02-10 still a holiday after replacing 2027")
	}
	if _, err := cal.ReplaceYears([]calendar.Entry{{Date: day(t, "2027-01-04"), Kind: calendar.Workday, Name: "x", Source: "y"}}); taxsms.ErrorCode(err) != taxsms.EINVALID {
		t.Errorf("ReplaceYears(bad) error = %v", err)
	}
	if len(cal.Entries()) != len(calendar.Default().Entries())-34+1 {
		t.Errorf("a failed ReplaceYears changed the calendar: %d entries", len(cal.Entries()))
	}
}

// TestCalendar_Concurrent reads while another goroutine edits; run with -race.
func TestCalendar_Concurrent(t *testing.T) {
	cal := calendar.Default()
	d := day(t, "2026-12-07")
	var wg sync.WaitGroup
	for g := 0; g < 4; g++ {
		wg.Go(func() {
			for i := 0; i < 2000; i++ {
				cal.IsWorkday(d)
				cal.AddWorkdays(d, -3)
				cal.WorkdaysBetween(d, day(t, "2027-01-20"))
			}
		})
	}
	wg.Go(func() {
		for i := 0; i < 200; i++ {
			if err := cal.Add(calendar.Entry{Date: d, Kind: calendar.Holiday, Name: "x", Source: "y"}); err != nil {
				t.Error(err)
			}
			if err := cal.Remove(d); err != nil {
				t.Error(err)
			}
		}
	})
	wg.Wait()
}

func BenchmarkCalendar_IsWorkday(b *testing.B) {
	cal := calendar.Default()
	days := make([]taxsms.Date, 1024)
	for i := range days {
		days[i] = taxsms.DateOf(time.Date(2025, 1, 1+i, 0, 0, 0, 0, time.UTC))
	}
	b.ReportAllocs()
	n := 0
	for i := 0; b.Loop(); i++ {
		if cal.IsWorkday(days[i&1023]) {
			n++
		}
	}
	_ = n
}

func BenchmarkCalendar_AddWorkdays(b *testing.B) {
	cal := calendar.Default()
	d := day(b, "2026-10-26")
	b.ReportAllocs()
	for b.Loop() {
		_ = cal.AddWorkdays(d, -3)
	}
}

func BenchmarkCalendar_WorkdaysBetween(b *testing.B) {
	cal := calendar.Default()
	from, to := day(b, "2026-01-05"), day(b, "2026-12-31")
	b.ReportAllocs()
	for b.Loop() {
		_ = cal.WorkdaysBetween(from, to)
	}
}
