package calendar_test

import (
	"bytes"
	"os"
	"reflect"
	"strings"
	"testing"

	"taxsms"
	"taxsms/calendar"
)

func TestDefault_RoundTrip(t *testing.T) {
	cal := calendar.Default()
	es := cal.Entries()
	if len(es) != 33+39+34 {
		t.Errorf("len(Entries) = %d, want %d", len(es), 33+39+34)
	}
	got, err := calendar.Parse(bytes.NewReader(cal.Marshal()))
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, es) {
		t.Errorf("Parse(Marshal()) differs from Entries()")
	}
	again, err := calendar.New(got)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(again.Marshal(), cal.Marshal()) {
		t.Errorf("Marshal not stable")
	}
}

func TestParse(t *testing.T) {
	in := "\uFEFF# comment\r\n\r\n2026-02-14\tworkday  春节 国办发明电〔2025〕7号\r\n  2027-06-09 holiday 端午节 lunar-go provisional\n"
	es, err := calendar.Parse(strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	want := []calendar.Entry{
		{Date: taxsms.Date{Year: 2026, Month: 2, Day: 14}, Kind: calendar.Workday, Name: "春节", Source: "国办发明电〔2025〕7号"},
		{Date: taxsms.Date{Year: 2027, Month: 6, Day: 9}, Kind: calendar.Holiday, Name: "端午节", Source: "lunar-go", Provisional: true},
	}
	if !reflect.DeepEqual(es, want) {
		t.Errorf("Parse = %+v, want %+v", es, want)
	}
}

func TestParse_Errors(t *testing.T) {
	for _, tt := range []struct {
		name, in, field, msg string
	}{
		{"Fields", "2026-01-01 holiday 元旦\n", "line", "line 1: line: want 4 or 5 fields (date kind name source [provisional]), got 3"},
		{"TooMany", "2026-01-01 holiday 元 旦 x y\n", "line", "line 1: line: want 4 or 5 fields (date kind name source [provisional]), got 6"},
		{"Date", "# c\n2026/01/01 holiday 元旦 x\n", "date", `line 2: date: "2026/01/01" is not a date (want YYYY-MM-DD)`},
		{"NoDay", "2026-02-30 holiday 元旦 x\n", "date", `line 1: date: "2026-02-30" is not a date (want YYYY-MM-DD)`},
		{"Year", "1900-01-01 holiday 元旦 x\n", "date", "line 1: date: 1900-01-01: year must be 1990 to 2199"},
		{"Kind", "2026-01-01 holyday 元旦 x\n", "kind", `line 1: kind: "holyday": must be holiday or workday`},
		{"WorkdayOnWeekday", "2026-01-05 workday 元旦 x\n", "kind", "line 1: kind: 2026-01-05 is a Monday, already a working day; a make-up working day must be a Saturday or Sunday"},
		{"Flag", "2026-01-01 holiday 元旦 x maybe\n", "flag", `line 1: flag: "maybe": the fifth field may only be provisional`},
		{"Duplicate", "2026-01-01 holiday 元旦 x\n\n2026-01-01 holiday 元旦 y\n", "date", "line 3: date: 2026-01-01 is already on line 1"},
		{"LongName", "2026-01-01 holiday " + strings.Repeat("元", 33) + " x\n", "name", "line 1: name: at most 32 characters, got 33"},
		{"UTF8", "2026-01-01 holiday \xff x\n", "name", "line 1: name: not valid UTF-8"},
		{"Control", "2026-01-01 holiday a\x01b x\n", "name", `line 1: name: "a\x01b": white space and control characters are not allowed`},
		{"LongLine", "2026-01-01 holiday 元旦 " + strings.Repeat("x", 2000) + "\n", "line", "line 1: line: longer than 1024 bytes"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := calendar.Parse(strings.NewReader(tt.in))
			if got := taxsms.ErrorMessage(err); got != tt.msg {
				t.Errorf("error = %q, want %q", got, tt.msg)
			}
			if got := taxsms.ErrorField(err); got != tt.field {
				t.Errorf("field = %q, want %q", got, tt.field)
			}
			if got := taxsms.ErrorCode(err); got != taxsms.EINVALID {
				t.Errorf("code = %q, want %q", got, taxsms.EINVALID)
			}
		})
	}
}

func TestCalendar_Load(t *testing.T) {
	cal := calendar.Default()
	before := cal.Marshal()
	if err := cal.Load(strings.NewReader("2026-01-01 holiday 元旦 x\n2026-01-05 workday 元旦 x\n")); err == nil {
		t.Fatal("Load(bad) = nil")
	}
	if !bytes.Equal(cal.Marshal(), before) {
		t.Fatal("a failed Load changed the calendar")
	}
	f, err := os.Open("testdata/2024.txt")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := cal.Load(f); err != nil {
		t.Fatal(err)
	}
	if got := cal.Years(); len(got) != 1 || got[0] != 2024 {
		t.Errorf("Years after Load = %v, want [2024]", got)
	}
}

// FuzzParse checks that Parse never panics, that what it accepts builds a
// calendar, and that Marshal gives back the same entries.
func FuzzParse(f *testing.F) {
	f.Add(mustRead(f, "holidays.txt"))
	f.Add(mustRead(f, "testdata/2024.txt"))
	f.Add([]byte("2026-02-14 workday 春节 x provisional\n"))
	f.Add([]byte("2026-01-01 holiday 元旦 x\n2026-01-01 holiday 元旦 y\n"))
	f.Add([]byte("\uFEFF# c\r\n2026-13-01 holiday a b\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		es, err := calendar.Parse(bytes.NewReader(data))
		if err != nil {
			if taxsms.ErrorCode(err) != taxsms.EINVALID || !strings.HasPrefix(taxsms.ErrorMessage(err), "line ") {
				t.Fatalf("error %q (code %s) does not name a line", err, taxsms.ErrorCode(err))
			}
			return
		}
		cal, err := calendar.New(es)
		if err != nil {
			t.Fatalf("New(Parse(...)) = %v", err)
		}
		again, err := calendar.Parse(bytes.NewReader(cal.Marshal()))
		if err != nil {
			t.Fatalf("Parse(Marshal()) = %v", err)
		}
		if len(again) != len(es) || (len(es) > 0 && !reflect.DeepEqual(again, cal.Entries())) {
			t.Fatalf("round trip changed the entries")
		}
	})
}

func mustRead(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
