package calendar

import (
	"bufio"
	"bytes"
	_ "embed"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"

	"taxsms"
)

// Filing is a kind of filing deadline.
type Filing uint8

const (
	// Monthly is the deadline of the monthly and quarterly filings (VAT,
	// prepaid enterprise income tax, withheld individual income tax, …):
	// within 15 days after the period, extended by Art. 109.
	Monthly Filing = iota
	// EIT is the enterprise income tax annual reconciliation (企业所得税汇算清缴):
	// within five months after the tax year, by 31 May (企业所得税法 Art. 54).
	EIT
	// IIT is the individual income tax reconciliation of comprehensive
	// income (综合所得汇算清缴): 1 March to 30 June after the tax year
	// (个人所得税法 Art. 11).
	IIT
	// IITBusiness is the individual income tax annual filing of business
	// income (经营所得): by 31 March after the tax year (个人所得税法 Art. 12).
	IITBusiness
)

var filingNames = [...]string{Monthly: "monthly", EIT: "eit", IIT: "iit", IITBusiness: "iit-business"}

// String returns the word used in period keys: monthly, eit, iit, iit-business.
func (f Filing) String() string {
	if int(f) < len(filingNames) {
		return filingNames[f]
	}
	return fmt.Sprintf("Filing(%d)", uint8(f))
}

// Period names one deadline: the monthly deadline of a filing month, or an
// annual deadline of a tax year.
type Period struct {
	Filing Filing
	// Year is the year of the filing month for Monthly, the tax year for the
	// annual filings (EIT 2025 is due by 31 May 2026).
	Year int
	// Month is, for Monthly only, the month in which the deadline falls:
	// January's VAT is filed by the deadline of February.
	Month time.Month
}

// String returns the period's key in data files: "2026-02" for a monthly
// deadline, "eit:2025", "iit:2025" or "iit-business:2025" for an annual one.
func (p Period) String() string {
	if p.Filing == Monthly {
		return fmt.Sprintf("%04d-%02d", p.Year, int(p.Month))
	}
	return fmt.Sprintf("%s:%04d", p.Filing, p.Year)
}

// ParsePeriod reads a key written by Period.String. It returns an EINVALID
// error (field "period") otherwise.
func ParsePeriod(s string) (Period, error) {
	bad := taxsms.Invalid("period", "%q: want YYYY-MM or eit:YYYY, iit:YYYY, iit-business:YYYY", s)
	if name, year, ok := strings.Cut(s, ":"); ok {
		i := slices.Index(filingNames[:], name)
		y, err := parseYear(year)
		if i <= int(Monthly) || err != nil {
			return Period{}, bad
		}
		return Period{Filing: Filing(i), Year: y}, nil
	}
	year, month, ok := strings.Cut(s, "-")
	y, err := parseYear(year)
	if !ok || err != nil || len(month) != 2 {
		return Period{}, bad
	}
	m, err := strconv.Atoi(month)
	if err != nil || m < 1 || m > 12 || month[0] == '+' || month[0] == '-' {
		return Period{}, bad
	}
	return Period{Filing: Monthly, Year: y, Month: time.Month(m)}, nil
}

func parseYear(s string) (int, error) {
	if len(s) != 4 {
		return 0, errors.New("want 4 digits")
	}
	y, err := strconv.Atoi(s)
	if err != nil || s[0] == '+' || s[0] == '-' || y < MinYear || y > MaxYear {
		return 0, errors.New("bad year")
	}
	return y, nil
}

// statutory returns the period's last day before any extension, and the
// first day of the annual windows (zero for Monthly).
func (p Period) statutory() (opens, closes taxsms.Date) {
	next := p.Year + 1
	switch p.Filing {
	case EIT:
		return taxsms.Date{Year: next, Month: time.January, Day: 1}, taxsms.Date{Year: next, Month: time.May, Day: 31}
	case IIT:
		return taxsms.Date{Year: next, Month: time.March, Day: 1}, taxsms.Date{Year: next, Month: time.June, Day: 30}
	case IITBusiness:
		return taxsms.Date{Year: next, Month: time.January, Day: 1}, taxsms.Date{Year: next, Month: time.March, Day: 31}
	}
	return taxsms.Date{}, taxsms.Date{Year: p.Year, Month: p.Month, Day: 15}
}

// Fixed is a deadline set by a document rather than computed: a row of the
// State Taxation Administration's yearly table, or a local override.
type Fixed struct {
	Period Period
	Date   taxsms.Date
	Source string // the document or reason, one word, e.g. 税总办征科函〔2025〕64号
}

// Validate returns an EINVALID error naming the bad field: a monthly
// deadline must fall in its month, on or after the 15th; an annual one in
// the year after the tax year, on or after its statutory last day.
func (f Fixed) Validate() error {
	p := f.Period
	if p.Filing > IITBusiness {
		return taxsms.Invalid("period", "unknown filing %s", p.Filing)
	}
	if p.Year < MinYear || p.Year > MaxYear || p.Filing == Monthly && (p.Month < 1 || p.Month > 12) {
		return taxsms.Invalid("period", "%s out of range", p)
	}
	if dateOf(dayNumber(f.Date)) != f.Date || f.Date.Year < MinYear {
		return taxsms.Invalid("date", "%d-%02d-%02d is not a day", f.Date.Year, int(f.Date.Month), f.Date.Day)
	}
	_, closes := p.statutory()
	if f.Date.Before(closes) {
		return taxsms.Invalid("date", "%s is before the statutory %s of %s", f.Date, closes, p)
	}
	if p.Filing == Monthly && (f.Date.Year != p.Year || f.Date.Month != p.Month) {
		return taxsms.Invalid("date", "%s is not in %s", f.Date, p)
	}
	if p.Filing != Monthly && f.Date.Year != p.Year+1 {
		return taxsms.Invalid("date", "%s is not in %d, the year after tax year %d", f.Date, p.Year+1, p.Year)
	}
	return checkWord("source", f.Source, maxSource)
}

// Table holds fixed deadlines by period. It is a plain map: read it from
// many goroutines, but build a new one to change it while others read.
type Table map[Period]Fixed

//go:embed deadlines.txt
var deadlinesTxt []byte

// Published returns a new Table of the State Taxation Administration's
// published monthly deadlines for 2025 (税总办征科函〔2024〕71号) and 2026
// (税总办征科函〔2025〕64号), embedded as deadlines.txt.
func Published() Table {
	t, err := ParseTable(bytes.NewReader(deadlinesTxt))
	if err != nil {
		panic("calendar: embedded deadlines.txt: " + err.Error()) // tested; cannot happen at run time
	}
	return t
}

// The deadline file holds one fixed deadline a line, fields separated by
// spaces or tabs, with comments and blank lines as in the calendar file:
//
//	# period  deadline    source
//	2026-02   2026-02-24  税总办征科函〔2025〕64号
//	eit:2024  2025-06-03  青岛市税务局通告
const tableHeader = `# taxsms filing deadlines: one a line.
# period (YYYY-MM, or eit:YYYY, iit:YYYY, iit-business:YYYY for a tax year)  deadline (YYYY-MM-DD)  source
`

// ParseTable reads a deadline file. Errors are EINVALID *taxsms.Error values
// naming the line and the field (period, date, source), as Parse's.
func ParseTable(r io.Reader) (Table, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 256), maxLine)
	t := Table{}
	lines := map[Period]int{}
	n := 0
	for sc.Scan() {
		n++
		line := sc.Text()
		if n == 1 {
			line = strings.TrimPrefix(line, "\uFEFF")
		}
		line = strings.TrimSpace(line)
		if line == "" || line[0] == '#' {
			continue
		}
		f, err := parseFixed(line)
		if err != nil {
			return nil, prefixed(fmt.Sprintf("line %d: ", n), err)
		}
		if prev, ok := lines[f.Period]; ok {
			return nil, lineError(n, "period", "%s is already on line %d", f.Period, prev)
		}
		if len(t) == MaxEntries {
			return nil, lineError(n, "period", "more than %d deadlines", MaxEntries)
		}
		lines[f.Period] = n
		t[f.Period] = f
	}
	if err := sc.Err(); err != nil {
		if errors.Is(err, bufio.ErrTooLong) {
			return nil, lineError(n+1, "line", "longer than %d bytes", maxLine)
		}
		return nil, fmt.Errorf("read deadlines: %w", err)
	}
	return t, nil
}

func parseFixed(line string) (Fixed, error) {
	fs := strings.Fields(line)
	if len(fs) != 3 {
		return Fixed{}, taxsms.Invalid("line", "want 3 fields (period deadline source), got %d", len(fs))
	}
	p, err := ParsePeriod(fs[0])
	if err != nil {
		return Fixed{}, err
	}
	d, err := time.Parse(taxsms.DateLayout, fs[1])
	if err != nil {
		return Fixed{}, taxsms.Invalid("date", "%q is not a date (want YYYY-MM-DD)", fs[1])
	}
	f := Fixed{Period: p, Date: taxsms.DateOf(d), Source: fs[2]}
	return f, f.Validate()
}

// Rows returns the table's deadlines sorted by filing, year and month.
func (t Table) Rows() []Fixed {
	rows := make([]Fixed, 0, len(t))
	for _, f := range t {
		rows = append(rows, f)
	}
	slices.SortFunc(rows, func(a, b Fixed) int {
		if a.Period.Filing != b.Period.Filing {
			return int(a.Period.Filing) - int(b.Period.Filing)
		}
		if a.Period.Year != b.Period.Year {
			return a.Period.Year - b.Period.Year
		}
		return int(a.Period.Month) - int(b.Period.Month)
	})
	return rows
}

// Marshal returns the table in the format ParseTable reads.
func (t Table) Marshal() []byte {
	var b bytes.Buffer
	b.WriteString(tableHeader)
	for _, f := range t.Rows() {
		fmt.Fprintf(&b, "%s %s %s\n", f.Period, f.Date, f.Source)
	}
	return b.Bytes()
}

// Source says where a deadline comes from.
type Source uint8

const (
	// SourceComputed is a deadline computed from the calendar.
	SourceComputed Source = iota
	// SourceTable is a deadline of the published table.
	SourceTable
	// SourceOverride is a local adjustment by the administrator.
	SourceOverride
)

// String returns computed, table or override.
func (s Source) String() string {
	switch s {
	case SourceComputed:
		return "computed"
	case SourceTable:
		return "table"
	case SourceOverride:
		return "override"
	}
	return fmt.Sprintf("Source(%d)", uint8(s))
}

// Deadlines answers filing deadlines: an override if there is one, else the
// published table's, else the date computed from the calendar. A Deadlines
// whose fields are not changed is safe for concurrent use.
type Deadlines struct {
	Calendar  *Calendar
	Tables    Table // the published tables, e.g. Published()
	Overrides Table // local adjustments; may be nil
}

// Window is the span in which an annual filing is made.
type Window struct {
	Opens  taxsms.Date // first day of the window
	Closes taxsms.Date // last day, extended if it is a rest day
}

// MonthlyDeadline returns the deadline of the monthly and quarterly filings
// that falls in month of year (the filing month: the deadline for January's
// tax period is MonthlyDeadline(year, time.February)), and where it comes
// from. It returns an EINVALID error for a month out of range and an
// ENOTFOUND error if the deadline must be computed and the calendar does not
// cover year.
func (d *Deadlines) MonthlyDeadline(year int, month time.Month) (taxsms.Date, Source, error) {
	if month < time.January || month > time.December || year < MinYear || year > MaxYear {
		return taxsms.Date{}, 0, taxsms.Invalid("month", "%04d-%02d out of range", year, int(month))
	}
	p := Period{Filing: Monthly, Year: year, Month: month}
	if f, ok := d.Overrides[p]; ok {
		return f.Date, SourceOverride, nil
	}
	if f, ok := d.Tables[p]; ok {
		return f.Date, SourceTable, nil
	}
	date, err := ComputeMonthly(d.Calendar, year, month)
	return date, SourceComputed, err
}

// PeriodDeadline returns the filing deadline of a monthly or quarterly tax
// period that ends in month of year: that of the following month.
func (d *Deadlines) PeriodDeadline(year int, month time.Month) (taxsms.Date, Source, error) {
	if month == time.December {
		return d.MonthlyDeadline(year+1, time.January)
	}
	return d.MonthlyDeadline(year, month+1)
}

// AnnualDeadline returns the window of an annual filing for taxYear and
// where its closing date comes from. The closing date is extended only if it
// falls on a rest day, to the next working day (Art. 109, first clause; a
// long holiday inside a window of months does not extend it). It returns an
// EINVALID error for Monthly or an unknown filing, and ENOTFOUND if the
// closing date must be computed and the calendar does not cover its year.
func (d *Deadlines) AnnualDeadline(f Filing, taxYear int) (Window, Source, error) {
	if f == Monthly || f > IITBusiness {
		return Window{}, 0, taxsms.Invalid("filing", "%s is not an annual filing", f)
	}
	if taxYear < MinYear || taxYear >= MaxYear {
		return Window{}, 0, taxsms.Invalid("year", "%d out of range", taxYear)
	}
	p := Period{Filing: f, Year: taxYear}
	opens, closes := p.statutory()
	w := Window{Opens: opens}
	if x, ok := d.Overrides[p]; ok {
		w.Closes = x.Date
		return w, SourceOverride, nil
	}
	if x, ok := d.Tables[p]; ok {
		w.Closes = x.Date
		return w, SourceTable, nil
	}
	if !d.Calendar.Covers(closes.Year) {
		return Window{}, 0, taxsms.Errorf(taxsms.ENOTFOUND, "the working-day calendar has no data for %d", closes.Year)
	}
	w.Closes = closes
	if !d.Calendar.IsWorkday(closes) {
		w.Closes = d.Calendar.NextWorkday(closes)
	}
	return w, SourceComputed, nil
}

// minBlock is the shortest run of rest days that extends the period
// (Art. 109: 连续3日以上法定休假日).
const minBlock = 3

// ComputeMonthly computes the monthly/quarterly filing deadline falling in
// month of year from the calendar, by Art. 109 of the implementing rules of
// the Tax Collection and Administration Law as the State Taxation
// Administration applies it in its yearly tables:
//
//  1. A rest day is a Saturday or Sunday that is not a make-up working day,
//     or a holiday.
//  2. Take each maximal run of consecutive rest days that contains at least
//     one holiday and has at least 3 of its days within days 1-15 of the
//     month. H is the number of such days (days 1-15) over all such runs.
//  3. If H >= 3 the deadline is the H-th working day after the 15th.
//  4. Otherwise it is the 15th, or the next working day if the 15th is a
//     rest day.
//
// This reproduces every published month of 2024, 2025 and 2026. It returns
// an ENOTFOUND error if the calendar does not cover year.
func ComputeMonthly(cal *Calendar, year int, month time.Month) (taxsms.Date, error) {
	if !cal.Covers(year) {
		return taxsms.Date{}, taxsms.Errorf(taxsms.ENOTFOUND, "the working-day calendar has no data for %d", year)
	}
	t := cal.table()
	first := dayNumber(taxsms.Date{Year: year, Month: month, Day: 1})
	fifteenth := first + 14
	h := 0
	for n := first; n <= fifteenth; {
		if t.workday(n) {
			n++
			continue
		}
		// A run of rest days starts at n (or earlier, before the month).
		start := n
		for start-1 >= first-31 && !t.workday(start-1) {
			start--
		}
		end := n
		for end+1 <= fifteenth+31 && !t.workday(end+1) {
			end++
		}
		hasHoliday := false
		for x := start; x <= end; x++ {
			if t.holiday(x) {
				hasHoliday = true
				break
			}
		}
		inPeriod := min(end, fifteenth) - n + 1
		if hasHoliday && inPeriod >= minBlock {
			h += inPeriod
		}
		n = end + 1
	}
	switch {
	case h >= minBlock:
		return dateOf(t.addWorkdays(fifteenth, h)), nil
	case !t.workday(fifteenth):
		return dateOf(t.addWorkdays(fifteenth, 1)), nil
	}
	return dateOf(fifteenth), nil
}
