package calendar_test

import (
	"bytes"
	"reflect"
	"strings"
	"testing"
	"time"

	"taxsms"
	"taxsms/calendar"
)

// published are the State Taxation Administration's monthly deadlines
// (DOMAIN: 2024 from the 2024 notice as copied at crsrw.com; 2025 from
// 税总办征科函〔2024〕71号; 2026 from 税总办征科函〔2025〕64号), with the
// reason the notice gives.
var published = []struct {
	month, deadline, why string
}{
	{"2024-01", "2024-01-15", ""},
	{"2024-02", "2024-02-23", "2月10日至17日放假8天"},
	{"2024-03", "2024-03-15", ""},
	{"2024-04", "2024-04-18", "4月4日至6日放假3天"},
	{"2024-05", "2024-05-22", "5月1日至5日放假5天"},
	{"2024-06", "2024-06-19", "6月8日至10日放假3天"},
	{"2024-07", "2024-07-15", ""},
	{"2024-08", "2024-08-15", ""},
	{"2024-09", "2024-09-18", "9月15日至17日放假3天"},
	{"2024-10", "2024-10-24", "10月1日至7日放假7天"},
	{"2024-11", "2024-11-15", ""},
	{"2024-12", "2024-12-16", "12月15日为星期日"},

	{"2025-01", "2025-01-15", ""},
	{"2025-02", "2025-02-20", "2月1日至4日放假4天"},
	{"2025-03", "2025-03-17", "3月15日为星期六"},
	{"2025-04", "2025-04-18", "4月4日至6日放假3天"},
	{"2025-05", "2025-05-22", "5月1日至5日放假5天"},
	{"2025-06", "2025-06-16", "6月15日为星期日"},
	{"2025-07", "2025-07-15", ""},
	{"2025-08", "2025-08-15", ""},
	{"2025-09", "2025-09-15", ""},
	{"2025-10", "2025-10-27", "10月1日至8日放假8天"},
	{"2025-11", "2025-11-17", "11月15日为星期六"},
	{"2025-12", "2025-12-15", ""},

	{"2026-01", "2026-01-20", "1月1日至3日放假3天"},
	{"2026-02", "2026-02-24", "2月15日至23日放假9天"},
	{"2026-03", "2026-03-16", "3月15日为星期日"},
	{"2026-04", "2026-04-20", "4月4日至6日放假3天"},
	{"2026-05", "2026-05-22", "5月1日至5日放假5天"},
	{"2026-06", "2026-06-15", ""},
	{"2026-07", "2026-07-15", ""},
	{"2026-08", "2026-08-17", "8月15日为星期六"},
	{"2026-09", "2026-09-15", ""},
	{"2026-10", "2026-10-26", "10月1日至7日放假7天"},
	{"2026-11", "2026-11-16", "11月15日为星期日"},
	{"2026-12", "2026-12-15", ""},
}

// calendar2024to2027 is the default calendar plus the 2024 arrangement in
// testdata, which only these tests use.
func calendar2024to2027(t *testing.T) *calendar.Calendar {
	t.Helper()
	es2024, err := calendar.Parse(bytes.NewReader(mustRead(t, "testdata/2024.txt")))
	if err != nil {
		t.Fatal(err)
	}
	cal, err := calendar.New(append(calendar.Default().Entries(), es2024...))
	if err != nil {
		t.Fatal(err)
	}
	return cal
}

func period(t *testing.T, s string) calendar.Period {
	t.Helper()
	p, err := calendar.ParsePeriod(s)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// TestComputeMonthly_Published checks that the algorithm reproduces every
// published month of 2024, 2025 and 2026.
func TestComputeMonthly_Published(t *testing.T) {
	cal := calendar2024to2027(t)
	for _, tt := range published {
		t.Run(tt.month, func(t *testing.T) {
			p := period(t, tt.month)
			got, err := calendar.ComputeMonthly(cal, p.Year, p.Month)
			if err != nil {
				t.Fatal(err)
			}
			if want := day(t, tt.deadline); got != want {
				t.Errorf("ComputeMonthly(%s) = %s, want %s (%s)", tt.month, got, want, tt.why)
			}
		})
	}
}

// TestPublished checks the embedded table against the published list.
func TestPublished(t *testing.T) {
	tab := calendar.Published()
	n := 0
	for _, tt := range published {
		p := period(t, tt.month)
		if p.Year < 2025 {
			continue
		}
		n++
		if f, ok := tab[p]; !ok || f.Date != day(t, tt.deadline) {
			t.Errorf("Published()[%s] = %+v, %v, want %s", tt.month, f, ok, tt.deadline)
		}
	}
	if len(tab) != n {
		t.Errorf("len(Published()) = %d, want %d", len(tab), n)
	}
}

// TestComputeMonthly_2027 checks the predicted 2027 deadlines on the
// provisional 2027 holidays (DOMAIN §1.4).
func TestComputeMonthly_2027(t *testing.T) {
	cal := calendar.Default()
	for _, tt := range []struct{ month, want, why string }{
		{"2027-01", "2027-01-20", "Jan 1-3 block: +3 working days"},
		{"2027-02", "2027-02-26", "Feb 5-13 block: +9 working days"},
		{"2027-03", "2027-03-15", ""},
		{"2027-04", "2027-04-20", "Apr 3-5 block"},
		{"2027-05", "2027-05-21", "May 1-5 block; the 15th is a Saturday"},
		{"2027-06", "2027-06-15", "Jun 9 single-day holiday is not 3 days"},
		{"2027-07", "2027-07-15", ""},
		{"2027-08", "2027-08-16", "the 15th is a Sunday"},
		{"2027-09", "2027-09-16", "the 15th is 中秋 (single day)"},
		{"2027-10", "2027-10-26", "Oct 1-7 block"},
		{"2027-11", "2027-11-15", ""},
		{"2027-12", "2027-12-15", ""},
	} {
		p := period(t, tt.month)
		got, err := calendar.ComputeMonthly(cal, p.Year, p.Month)
		if err != nil {
			t.Fatal(err)
		}
		if want := day(t, tt.want); got != want {
			t.Errorf("ComputeMonthly(%s) = %s, want %s (%s)", tt.month, got, want, tt.why)
		}
	}
}

func TestDeadlines_MonthlyDeadline(t *testing.T) {
	over, err := calendar.ParseTable(strings.NewReader("2026-10 2026-10-30 青岛市税务局通告\n2027-02 2027-02-26 本地调整\n"))
	if err != nil {
		t.Fatal(err)
	}
	// A calendar that misses 2026's 国庆: the table must still win.
	cal := calendar.Default()
	dl := calendar.Deadlines{Calendar: cal, Tables: calendar.Published(), Overrides: over}
	for _, tt := range []struct {
		year   int
		month  time.Month
		want   string
		source calendar.Source
	}{
		{2025, time.October, "2025-10-27", calendar.SourceTable},
		{2026, time.February, "2026-02-24", calendar.SourceTable},
		{2026, time.October, "2026-10-30", calendar.SourceOverride},
		{2027, time.January, "2027-01-20", calendar.SourceComputed},
		{2027, time.February, "2027-02-26", calendar.SourceOverride},
	} {
		got, src, err := dl.MonthlyDeadline(tt.year, tt.month)
		if err != nil {
			t.Fatal(err)
		}
		if got != day(t, tt.want) || src != tt.source {
			t.Errorf("MonthlyDeadline(%d, %d) = %s, %s, want %s, %s", tt.year, tt.month, got, src, tt.want, tt.source)
		}
	}
	t.Run("PeriodDeadline", func(t *testing.T) {
		got, src, err := dl.PeriodDeadline(2025, time.December)
		if err != nil || got != day(t, "2026-01-20") || src != calendar.SourceTable {
			t.Errorf("PeriodDeadline(2025-12) = %s, %s, %v, want 2026-01-20 table", got, src, err)
		}
	})
	t.Run("ErrNotCovered", func(t *testing.T) {
		_, _, err := dl.MonthlyDeadline(2028, time.March)
		if taxsms.ErrorCode(err) != taxsms.ENOTFOUND {
			t.Errorf("MonthlyDeadline(2028-03) error = %v, want ENOTFOUND", err)
		}
	})
	t.Run("ErrMonth", func(t *testing.T) {
		_, _, err := dl.MonthlyDeadline(2026, 13)
		if taxsms.ErrorCode(err) != taxsms.EINVALID {
			t.Errorf("MonthlyDeadline(2026-13) error = %v, want EINVALID", err)
		}
	})
}

func TestDeadlines_AnnualDeadline(t *testing.T) {
	over, err := calendar.ParseTable(strings.NewReader("iit:2026 2027-07-02 本地调整\n"))
	if err != nil {
		t.Fatal(err)
	}
	dl := calendar.Deadlines{Calendar: calendar.Default(), Tables: calendar.Published(), Overrides: over}
	for _, tt := range []struct {
		filing       calendar.Filing
		taxYear      int
		opens, close string
		source       calendar.Source
	}{
		// 2025-05-31 is a Saturday and the first day of 端午 (May 31-Jun 2).
		{calendar.EIT, 2024, "2025-01-01", "2025-06-03", calendar.SourceComputed},
		{calendar.EIT, 2025, "2026-01-01", "2026-06-01", calendar.SourceComputed}, // 05-31 a Sunday
		{calendar.EIT, 2026, "2027-01-01", "2027-05-31", calendar.SourceComputed},
		{calendar.IIT, 2024, "2025-03-01", "2025-06-30", calendar.SourceComputed},
		{calendar.IIT, 2025, "2026-03-01", "2026-06-30", calendar.SourceComputed},
		{calendar.IIT, 2026, "2027-03-01", "2027-07-02", calendar.SourceOverride},
		{calendar.IITBusiness, 2024, "2025-01-01", "2025-03-31", calendar.SourceComputed},
		{calendar.IITBusiness, 2025, "2026-01-01", "2026-03-31", calendar.SourceComputed},
		{calendar.IITBusiness, 2026, "2027-01-01", "2027-03-31", calendar.SourceComputed},
	} {
		w, src, err := dl.AnnualDeadline(tt.filing, tt.taxYear)
		if err != nil {
			t.Fatal(err)
		}
		if w.Opens != day(t, tt.opens) || w.Closes != day(t, tt.close) || src != tt.source {
			t.Errorf("AnnualDeadline(%s, %d) = %s..%s %s, want %s..%s %s", tt.filing, tt.taxYear, w.Opens, w.Closes, src, tt.opens, tt.close, tt.source)
		}
	}
	if _, _, err := dl.AnnualDeadline(calendar.EIT, 2027); taxsms.ErrorCode(err) != taxsms.ENOTFOUND {
		t.Errorf("AnnualDeadline(eit, 2027) error = %v, want ENOTFOUND (2028 not covered)", err)
	}
	if _, _, err := dl.AnnualDeadline(calendar.Monthly, 2025); taxsms.ErrorCode(err) != taxsms.EINVALID {
		t.Errorf("AnnualDeadline(monthly) error = %v, want EINVALID", err)
	}
}

func TestParsePeriod(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want calendar.Period
		ok   bool
	}{
		{"2026-02", calendar.Period{Filing: calendar.Monthly, Year: 2026, Month: 2}, true},
		{"eit:2025", calendar.Period{Filing: calendar.EIT, Year: 2025}, true},
		{"iit:2025", calendar.Period{Filing: calendar.IIT, Year: 2025}, true},
		{"iit-business:2025", calendar.Period{Filing: calendar.IITBusiness, Year: 2025}, true},
		{"monthly:2025", calendar.Period{}, false},
		{"2026-2", calendar.Period{}, false},
		{"2026-13", calendar.Period{}, false},
		{"2026-+1", calendar.Period{}, false},
		{"+026-01", calendar.Period{}, false},
		{"vat:2025", calendar.Period{}, false},
	} {
		got, err := calendar.ParsePeriod(tt.in)
		if (err == nil) != tt.ok || got != tt.want {
			t.Errorf("ParsePeriod(%q) = %+v, %v", tt.in, got, err)
		}
		if tt.ok && got.String() != tt.in {
			t.Errorf("Period.String() = %q, want %q", got.String(), tt.in)
		}
	}
}

func TestParseTable_Errors(t *testing.T) {
	for _, tt := range []struct {
		name, in, field, msg string
	}{
		{"Fields", "2026-02 2026-02-24\n", "line", "line 1: line: want 3 fields (period deadline source), got 2"},
		{"Period", "2026/02 2026-02-24 x\n", "period", `line 1: period: "2026/02": want YYYY-MM or eit:YYYY, iit:YYYY, iit-business:YYYY`},
		{"Date", "# c\n2026-02 2026-02-30 x\n", "date", `line 2: date: "2026-02-30" is not a date (want YYYY-MM-DD)`},
		{"Early", "2026-02 2026-02-14 x\n", "date", "line 1: date: 2026-02-14 is before the statutory 2026-02-15 of 2026-02"},
		{"OtherMonth", "2026-02 2026-03-02 x\n", "date", "line 1: date: 2026-03-02 is not in 2026-02"},
		{"AnnualYear", "eit:2025 2027-06-01 x\n", "date", "line 1: date: 2027-06-01 is not in 2026, the year after tax year 2025"},
		{"Duplicate", "2026-02 2026-02-24 x\n2026-02 2026-02-25 y\n", "period", "line 2: period: 2026-02 is already on line 1"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := calendar.ParseTable(strings.NewReader(tt.in))
			if got := taxsms.ErrorMessage(err); got != tt.msg {
				t.Errorf("error = %q, want %q", got, tt.msg)
			}
			if got := taxsms.ErrorField(err); got != tt.field {
				t.Errorf("field = %q, want %q", got, tt.field)
			}
		})
	}
}

// FuzzParseTable checks that ParseTable never panics, names the line of
// every error, and that Marshal gives back the same table.
func FuzzParseTable(f *testing.F) {
	f.Add(mustRead(f, "deadlines.txt"))
	f.Add([]byte("eit:2024 2025-06-03 x\niit-business:2025 2026-03-31 y\n"))
	f.Add([]byte("2026-02 2026-02-14 x\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		tab, err := calendar.ParseTable(bytes.NewReader(data))
		if err != nil {
			if taxsms.ErrorCode(err) != taxsms.EINVALID || !strings.HasPrefix(taxsms.ErrorMessage(err), "line ") {
				t.Fatalf("error %q (code %s) does not name a line", err, taxsms.ErrorCode(err))
			}
			return
		}
		again, err := calendar.ParseTable(bytes.NewReader(tab.Marshal()))
		if err != nil {
			t.Fatalf("ParseTable(Marshal()) = %v", err)
		}
		if !reflect.DeepEqual(again, tab) {
			t.Fatalf("round trip changed the table")
		}
	})
}

func TestPublished_RoundTrip(t *testing.T) {
	tab := calendar.Published()
	again, err := calendar.ParseTable(bytes.NewReader(tab.Marshal()))
	if err != nil || !reflect.DeepEqual(again, tab) {
		t.Errorf("ParseTable(Marshal()) = %v, changed: %v", err, !reflect.DeepEqual(again, tab))
	}
}
