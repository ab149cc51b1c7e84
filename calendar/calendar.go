// Package calendar is mainland China's working-day calendar and the tax
// filing deadlines that follow from it.
//
// A Calendar is built from dated entries: statutory holidays (放假, which may
// fall on any day of the week) and make-up working days (调休上班, always on a
// Saturday or Sunday). Every other Saturday and Sunday is a rest day and every
// other Monday to Friday a working day. The entries are data, not code: the
// package embeds the State Council's arrangements for 2025 and 2026 and a
// provisional 2027 list (see holidays.txt), and an administrator replaces or
// edits them with Load, Add and Remove.
//
// Deadlines turns the calendar into the monthly/quarterly filing deadline (the
// 15th, extended by Art. 109 of the implementing rules of the Tax Collection
// and Administration Law) and the annual ones, with the State Taxation
// Administration's published tables (deadlines.txt) taking precedence over the
// computed date and local overrides over both. Hours is an office's working
// hours in the Asia/Shanghai zone.
//
// Known limits: a year without any entry is treated as weekends only, so ask
// Covers before trusting a date in an unloaded year (Deadlines does, and
// refuses to compute one). The 2027 holidays come from a single library
// (lunar-go v1.4.7), not the State Council notice, and are marked provisional
// until the notice is loaded.
package calendar

import (
	"bytes"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"time"
	"unicode"
	"unicode/utf8"

	"taxsms"
)

// Kind is what an entry makes of its day.
type Kind uint8

const (
	// Holiday is a statutory day off (放假), whatever the day of the week.
	Holiday Kind = iota + 1
	// Workday is a make-up working day (调休上班) on a Saturday or Sunday.
	Workday
)

// String returns "holiday" or "workday", the words of the data file.
func (k Kind) String() string {
	switch k {
	case Holiday:
		return "holiday"
	case Workday:
		return "workday"
	}
	return fmt.Sprintf("Kind(%d)", uint8(k))
}

// Limits of an entry, so that a loaded file cannot make the calendar huge.
const (
	MinYear    = 1990  // the first year an entry or deadline may be in
	MaxYear    = 2199  // the last
	MaxEntries = 20000 // entries of a calendar, lines of a data file
	maxName    = 32    // characters
	maxSource  = 200   // characters
)

// Entry is one dated line of the calendar.
type Entry struct {
	Date taxsms.Date
	Kind Kind
	// Name is the holiday the day belongs to, e.g. 春节; a make-up working
	// day carries the name of the holiday it makes up for.
	Name string
	// Source names the document the entry comes from, e.g. 国办发明电〔2025〕7号.
	Source string
	// Provisional marks an entry not yet confirmed by the official notice.
	Provisional bool
}

// Validate returns an EINVALID error naming the first bad field: a date
// outside MinYear..MaxYear or not a real day, an unknown kind, a make-up
// working day that is not on a Saturday or Sunday, or a name or source that
// is empty, too long or contains white space or control characters.
func (e Entry) Validate() error {
	d := e.Date
	if d.Year < MinYear || d.Year > MaxYear {
		return taxsms.Invalid("date", "%s: year must be %d to %d", d, MinYear, MaxYear)
	}
	if dateOf(dayNumber(d)) != d {
		return taxsms.Invalid("date", "%d-%02d-%02d is not a day", d.Year, int(d.Month), d.Day)
	}
	switch e.Kind {
	case Holiday:
	case Workday:
		if n := dayNumber(d); !isWeekend(n) {
			return taxsms.Invalid("kind", "%s is a %s, already a working day; a make-up working day must be a Saturday or Sunday", d, weekday(n))
		}
	default:
		return taxsms.Invalid("kind", "%s: must be holiday or workday", e.Kind)
	}
	if err := checkWord("name", e.Name, maxName); err != nil {
		return err
	}
	return checkWord("source", e.Source, maxSource)
}

// checkWord validates a required field that is written as one word in the
// data file: no white space, no control characters, valid UTF-8.
func checkWord(field, s string, maxLen int) error {
	switch n := utf8.RuneCountInString(s); {
	case s == "":
		return taxsms.Invalid(field, "required")
	case !utf8.ValidString(s):
		return taxsms.Invalid(field, "not valid UTF-8")
	case n > maxLen:
		return taxsms.Invalid(field, "at most %d characters, got %d", maxLen, n)
	}
	for _, r := range s {
		if unicode.IsSpace(r) || unicode.IsControl(r) {
			return taxsms.Invalid(field, "%q: white space and control characters are not allowed", s)
		}
	}
	return nil
}

// Calendar answers working-day questions from its entries. Its queries are
// safe for concurrent use, lock-free and allocation-free; Add, Remove and Load
// build a new index and swap it in, so a query sees the calendar wholly
// before or wholly after an edit. A nil *Calendar knows only weekends.
// A Calendar must not be copied after first use.
type Calendar struct {
	mu sync.Mutex // serialises edits
	t  atomic.Pointer[table]
}

// table is the immutable index behind a Calendar.
type table struct {
	entries []Entry // sorted by date, one per date
	lo      int     // day number of January 1 of the first year with an entry
	kinds   []Kind  // kinds[n-lo] for days lo.. December 31 of the last year; 0 = no entry
	rest    []bool  // rest[n-lo]: a rest day (weekend not made up, or holiday)
	adj     []int32 // adj[i]: Σ over days lo..lo+i-1 of (+1 make-up weekend day, -1 holiday on a weekday)
	years   map[int]bool
	prov    map[int]bool
}

var emptyTable = &table{}

// New returns a calendar of the entries. It returns an EINVALID error naming
// the first bad entry, or an ECONFLICT error for two entries on one date.
func New(entries []Entry) (*Calendar, error) {
	t, err := build(entries)
	if err != nil {
		return nil, err
	}
	c := &Calendar{}
	c.t.Store(t)
	return c, nil
}

func build(entries []Entry) (*table, error) {
	if len(entries) > MaxEntries {
		return nil, taxsms.Invalid("entries", "at most %d, got %d", MaxEntries, len(entries))
	}
	for _, e := range entries {
		if err := e.Validate(); err != nil {
			return nil, prefixed(e.Date.String()+": ", err)
		}
	}
	sorted := slices.Clone(entries)
	slices.SortStableFunc(sorted, func(a, b Entry) int { return dayNumber(a.Date) - dayNumber(b.Date) })
	for i := 1; i < len(sorted); i++ {
		if sorted[i].Date == sorted[i-1].Date {
			return nil, taxsms.Errorf(taxsms.ECONFLICT, "%s has two entries (%s %s and %s %s)",
				sorted[i].Date, sorted[i-1].Kind, sorted[i-1].Name, sorted[i].Kind, sorted[i].Name)
		}
	}
	if len(sorted) == 0 {
		return emptyTable, nil
	}
	t := &table{entries: sorted, years: map[int]bool{}, prov: map[int]bool{}}
	t.lo = dayNumber(taxsms.Date{Year: sorted[0].Date.Year, Month: time.January, Day: 1})
	hi := dayNumber(taxsms.Date{Year: sorted[len(sorted)-1].Date.Year + 1, Month: time.January, Day: 1})
	t.kinds = make([]Kind, hi-t.lo)
	for _, e := range sorted {
		t.kinds[dayNumber(e.Date)-t.lo] = e.Kind
		t.years[e.Date.Year] = true
		if e.Provisional {
			t.prov[e.Date.Year] = true
		}
	}
	t.rest = make([]bool, len(t.kinds))
	t.adj = make([]int32, len(t.kinds)+1)
	for i, k := range t.kinds {
		weekend := isWeekend(t.lo + i)
		t.rest[i] = k == Holiday || weekend && k != Workday
		t.adj[i+1] = t.adj[i]
		switch {
		case k == Workday && weekend:
			t.adj[i+1]++
		case k == Holiday && !weekend:
			t.adj[i+1]--
		}
	}
	return t, nil
}

func (c *Calendar) table() *table {
	if c == nil {
		return emptyTable
	}
	if t := c.t.Load(); t != nil {
		return t
	}
	return emptyTable
}

// Entries returns a copy of the entries, sorted by date.
func (c *Calendar) Entries() []Entry { return slices.Clone(c.table().entries) }

// Lookup returns the entry of d, if there is one.
func (c *Calendar) Lookup(d taxsms.Date) (Entry, bool) {
	es := c.table().entries
	n := dayNumber(d)
	i, ok := slices.BinarySearchFunc(es, n, func(e Entry, n int) int { return dayNumber(e.Date) - n })
	if !ok {
		return Entry{}, false
	}
	return es[i], true
}

// Years returns the years that have at least one entry, ascending.
func (c *Calendar) Years() []int {
	t := c.table()
	ys := make([]int, 0, len(t.years))
	for y := range t.years {
		ys = append(ys, y)
	}
	slices.Sort(ys)
	return ys
}

// Covers reports whether the calendar has entries for year. A year without
// any is answered as weekends only, which is wrong for every real year.
func (c *Calendar) Covers(year int) bool { return c.table().years[year] }

// Provisional reports whether any entry of year is provisional, that is the
// year's arrangement has not been loaded from the official notice.
func (c *Calendar) Provisional(year int) bool { return c.table().prov[year] }

// Add puts e into the calendar, replacing the entry of the same date if
// there is one. It returns an EINVALID error, and changes nothing, if e is
// not valid.
func (c *Calendar) Add(e Entry) error {
	if err := e.Validate(); err != nil {
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	es := c.table().entries
	next := make([]Entry, 0, len(es)+1)
	for _, x := range es {
		if x.Date != e.Date {
			next = append(next, x)
		}
	}
	return c.swap(append(next, e))
}

// Remove deletes the entry of d. It returns ENOTFOUND if there is none.
func (c *Calendar) Remove(d taxsms.Date) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	es := c.table().entries
	next := make([]Entry, 0, len(es))
	for _, x := range es {
		if x.Date != d {
			next = append(next, x)
		}
	}
	if len(next) == len(es) {
		return taxsms.Errorf(taxsms.ENOTFOUND, "no calendar entry on %s", d)
	}
	return c.swap(next)
}

// Replace replaces all entries with entries. On error nothing changes.
func (c *Calendar) Replace(entries []Entry) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.swap(entries)
}

// ReplaceYears replaces the entries of every year that entries has at least
// one entry in, and keeps the other years: loading the official notice of
// 2027 replaces the provisional 2027 list and leaves 2025 and 2026 alone. It
// returns the years replaced. On error nothing changes.
func (c *Calendar) ReplaceYears(entries []Entry) ([]int, error) {
	years := map[int]bool{}
	for _, e := range entries {
		years[e.Date.Year] = true
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	next := slices.Clone(entries)
	for _, x := range c.table().entries {
		if !years[x.Date.Year] {
			next = append(next, x)
		}
	}
	if err := c.swap(next); err != nil {
		return nil, err
	}
	ys := make([]int, 0, len(years))
	for y := range years {
		ys = append(ys, y)
	}
	slices.Sort(ys)
	return ys, nil
}

func (c *Calendar) swap(entries []Entry) error {
	t, err := build(entries)
	if err != nil {
		return err
	}
	c.t.Store(t)
	return nil
}

// workday reports whether day number n is a working day.
func (t *table) workday(n int) bool {
	if i := n - t.lo; i >= 0 && i < len(t.rest) {
		return !t.rest[i]
	}
	return !isWeekend(n)
}

// holiday reports whether day number n has a Holiday entry.
func (t *table) holiday(n int) bool {
	i := n - t.lo
	return i >= 0 && i < len(t.kinds) && t.kinds[i] == Holiday
}

// workdaysBefore counts the working days in [0, n), negative for n < 0.
func (t *table) workdaysBefore(n int) int {
	w := weekdaysBefore(n)
	switch i := n - t.lo; {
	case i <= 0:
	case i >= len(t.adj):
		w += int(t.adj[len(t.adj)-1])
	default:
		w += int(t.adj[i])
	}
	return w
}

// IsWorkday reports whether d is a working day: a Monday to Friday that is
// not a holiday, or a make-up working day. It is O(1) and does not allocate.
func (c *Calendar) IsWorkday(d taxsms.Date) bool { return c.table().workday(dayNumber(d)) }

// NextWorkday returns the first working day after d (d itself excluded).
func (c *Calendar) NextWorkday(d taxsms.Date) taxsms.Date { return c.AddWorkdays(d, 1) }

// PrevWorkday returns the last working day before d (d itself excluded).
func (c *Calendar) PrevWorkday(d taxsms.Date) taxsms.Date { return c.AddWorkdays(d, -1) }

// AddWorkdays returns the n-th working day after d for n > 0, the |n|-th
// working day before d for n < 0, and d for n = 0; d itself is never
// counted. So AddWorkdays(d, 1) is the next working day, and "three working
// days before the deadline" is AddWorkdays(deadline, -3). It takes O(|n|)
// steps and does not allocate.
func (c *Calendar) AddWorkdays(d taxsms.Date, n int) taxsms.Date {
	return dateOf(c.table().addWorkdays(dayNumber(d), n))
}

func (t *table) addWorkdays(x, n int) int {
	for ; n > 0; n-- {
		x++
		for !t.workday(x) {
			x++
		}
	}
	for ; n < 0; n++ {
		x--
		for !t.workday(x) {
			x--
		}
	}
	return x
}

// WorkdaysBetween counts the working days after from up to and including
// to, or, when to is before from, minus the working days from to up to but
// excluding from. So WorkdaysBetween(d, AddWorkdays(d, n)) == n for every n.
// It is O(1).
func (c *Calendar) WorkdaysBetween(from, to taxsms.Date) int {
	t := c.table()
	a, b := dayNumber(from), dayNumber(to)
	if a <= b {
		return t.workdaysBefore(b+1) - t.workdaysBefore(a+1)
	}
	return -(t.workdaysBefore(a) - t.workdaysBefore(b))
}

// Marshal returns the calendar in the data file format read by Parse.
func (c *Calendar) Marshal() []byte {
	var b bytes.Buffer
	b.WriteString(fileHeader)
	for _, e := range c.table().entries {
		b.WriteString(e.line())
		b.WriteByte('\n')
	}
	return b.Bytes()
}
