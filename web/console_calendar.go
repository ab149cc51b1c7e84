package web

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"slices"
	"strconv"
	"time"

	"taxsms"
	"taxsms/auth"
	"taxsms/calendar"
	"taxsms/store"
)

// The calendar page (GET /calendar?year=Y): a year's holidays and make-up
// working days, and its monthly filing deadlines with where each comes from.
// Holders of auth.PermManageCalendar add and remove entries, replace a year
// from a data file, override a month's deadline, and load the embedded
// calendar into the database; auditors (auth.PermReadAll) see it.

func (c *Console) calendarRoutes(mux *http.ServeMux) {
	c.handle(mux, "GET /calendar", "", c.handleCalendar)
	c.handle(mux, "POST /calendar/load", auth.PermManageCalendar, c.handleCalendarLoad)
	c.handle(mux, "POST /calendar/entries", auth.PermManageCalendar, c.handleCalendarAdd)
	c.handle(mux, "POST /calendar/entries/remove", auth.PermManageCalendar, c.handleCalendarRemove)
	c.handle(mux, "POST /calendar/upload", auth.PermManageCalendar, c.handleCalendarUpload)
	c.handle(mux, "POST /calendar/overrides", auth.PermManageCalendar, c.handleOverride)
	c.handle(mux, "POST /calendar/overrides/remove", auth.PermManageCalendar, c.handleOverrideRemove)
}

// canSeeCalendar reports whether a may see the calendar page.
func canSeeCalendar(a *auth.Actor) bool {
	return a.Has(auth.PermManageCalendar) || a.Has(auth.PermReadAll)
}

// maxCalendarFile bounds an uploaded calendar file.
const maxCalendarFile = 1 << 20

// calendarView is the calendar page's data.
type calendarView struct {
	Year        int
	Years       []int
	Stored      bool // the database holds the calendar (else the embedded one is in force)
	Provisional bool
	Entries     []entryView
	Deadlines   []deadlineView
	CanEdit     bool
}

type entryView struct {
	calendar.Entry
	Weekday int
}

type deadlineView struct {
	Month  string // YYYY-MM
	Date   string // "" if it cannot be computed
	Source string // computed, table or override
	Reason string // an override's
	Error  string
}

// calendarFields are the fields of the page's forms.
var calendarFields = []string{"date", "kind", "name", "source", "file", "month", "deadline", "reason"}

// handleCalendar serves GET /calendar?year=Y.
func (c *Console) handleCalendar(w http.ResponseWriter, r *Request) error {
	if err := requireAny(r, auth.PermManageCalendar, auth.PermReadAll); err != nil {
		return err
	}
	return c.renderCalendar(w, r, http.StatusOK, newForm(r, calendarFields...), 0)
}

// calendarYear returns the year of the request (its form's, else this year).
func (c *Console) calendarYear(r *Request, f *Form) int {
	if y, err := strconv.Atoi(f.Get("year")); err == nil && y >= calendar.MinYear && y <= calendar.MaxYear {
		return y
	}
	return c.Now().In(calendar.Shanghai).Year()
}

func (c *Console) renderCalendar(w http.ResponseWriter, r *Request, status int, f *Form, year int) error {
	ctx := r.Context()
	if year == 0 {
		year = c.calendarYear(r, f)
	}
	_, cal, err := c.planner().Current(ctx)
	if err != nil {
		return err
	}
	stored, err := c.DB.CalendarEntries(ctx)
	if err != nil {
		return err
	}
	overrides, err := c.DB.DeadlineOverrides(ctx)
	if err != nil {
		return err
	}
	v := &calendarView{Year: year, Stored: len(stored) > 0, Provisional: cal.Provisional(year), CanEdit: r.Actor.Has(auth.PermManageCalendar)}
	v.Years = cal.Years()
	for _, y := range []int{year - 1, year, year + 1} {
		if !slices.Contains(v.Years, y) {
			v.Years = append(v.Years, y)
		}
	}
	slices.Sort(v.Years)
	for _, e := range cal.Entries() {
		if e.Date.Year == year {
			v.Entries = append(v.Entries, entryView{Entry: e, Weekday: int(e.Date.Time(time.UTC).Weekday())})
		}
	}
	table := make(calendar.Table)
	reasons := make(map[calendar.Period]string)
	for _, o := range overrides {
		table[o.Period] = calendar.Fixed{Period: o.Period, Date: o.Date, Source: "override"}
		reasons[o.Period] = o.Reason
	}
	dl := calendar.Deadlines{Calendar: cal, Tables: calendar.Published(), Overrides: table}
	for m := time.January; m <= time.December; m++ {
		p := calendar.Period{Filing: calendar.Monthly, Year: year, Month: m}
		d := deadlineView{Month: p.String(), Reason: reasons[p]}
		date, src, err := dl.MonthlyDeadline(year, m)
		if err != nil {
			d.Error = taxsms.ErrorMessage(err)
		} else {
			d.Date, d.Source = date.String(), src.String()
		}
		v.Deadlines = append(v.Deadlines, d)
	}
	if f.Values.Get("year") == "" {
		f.Values.Set("year", strconv.Itoa(year))
	}
	c.render(w, r, status, "calendar", &Page{Title: "cal.title", Data: v, Form: f})
	return nil
}

// calendarFail shows the page again with the form's error, or returns an
// error that is not the user's.
func (c *Console) calendarFail(w http.ResponseWriter, r *Request, f *Form, err error) error {
	if err := c.failWith(r, f, err); err != nil {
		return err
	}
	return c.renderCalendar(w, r, http.StatusBadRequest, f, 0)
}

// ensureStored loads the embedded calendar into the database if it holds
// none, so that an edit changes the calendar in force rather than replacing
// it with one entry.
func (c *Console) ensureStored(ctx context.Context) error {
	es, err := c.DB.CalendarEntries(ctx)
	if err != nil || len(es) > 0 {
		return err
	}
	def := c.planner().Calendar
	if def == nil {
		def = calendar.Default()
	}
	if len(def.Years()) == 0 {
		return nil
	}
	return c.DB.ReplaceCalendarYears(ctx, def.Years(), def.Entries())
}

// handleCalendarLoad serves POST /calendar/load: the embedded calendar is
// loaded into the database, where it can be edited.
func (c *Console) handleCalendarLoad(w http.ResponseWriter, r *Request) error {
	if err := c.ensureStored(r.Context()); err != nil {
		return err
	}
	c.redirect(w, r, "/calendar", "cal.loaded")
	return nil
}

// handleCalendarAdd serves POST /calendar/entries: one entry set.
func (c *Console) handleCalendarAdd(w http.ResponseWriter, r *Request) error {
	f := newForm(r, calendarFields...)
	e := calendar.Entry{Name: f.Get("name"), Source: f.Get("source"), Provisional: f.Get("provisional") == "on"}
	d, err := taxsms.ParseDate(f.Get("date"))
	if err != nil || d.IsZero() {
		f.Fail("date", c.T(r, "cal.bad_date"))
		return c.renderCalendar(w, r, http.StatusBadRequest, f, 0)
	}
	e.Date = d
	switch f.Get("kind") {
	case "holiday":
		e.Kind = calendar.Holiday
	case "workday":
		e.Kind = calendar.Workday
	}
	if err := e.Validate(); err != nil {
		return c.calendarFail(w, r, f, err)
	}
	if err := c.ensureStored(r.Context()); err != nil {
		return err
	}
	if err := c.DB.AddCalendarEntry(r.Context(), e); err != nil {
		return c.calendarFail(w, r, f, err)
	}
	c.redirect(w, r, "/calendar?year="+strconv.Itoa(d.Year), "cal.added", d.String())
	return nil
}

// handleCalendarRemove serves POST /calendar/entries/remove: one entry
// deleted.
func (c *Console) handleCalendarRemove(w http.ResponseWriter, r *Request) error {
	f := newForm(r, calendarFields...)
	d, err := taxsms.ParseDate(f.Get("date"))
	if err != nil || d.IsZero() {
		return taxsms.Invalid("date", "not a date: %q", f.Get("date"))
	}
	if err := c.ensureStored(r.Context()); err != nil {
		return err
	}
	if err := c.DB.RemoveCalendarEntry(r.Context(), d); err != nil {
		return err
	}
	c.redirect(w, r, "/calendar?year="+strconv.Itoa(d.Year), "cal.removed", d.String())
	return nil
}

// handleCalendarUpload serves POST /calendar/upload (multipart): a data
// file replacing one year's entries. A bad line is shown with its number
// and nothing changes.
func (c *Console) handleCalendarUpload(w http.ResponseWriter, r *Request) error {
	f := newForm(r, calendarFields...)
	year := c.calendarYear(r, f)
	file, _, err := r.FormFile("file")
	if err != nil {
		f.Fail("file", c.T(r, "cal.file_required"))
		return c.renderCalendar(w, r, http.StatusBadRequest, f, year)
	}
	defer file.Close()
	b, err := io.ReadAll(io.LimitReader(file, maxCalendarFile+1))
	if err != nil {
		return err
	}
	if len(b) > maxCalendarFile {
		f.Fail("file", c.T(r, "cal.file_too_big"))
		return c.renderCalendar(w, r, http.StatusBadRequest, f, year)
	}
	entries, err := calendar.Parse(bytes.NewReader(b))
	if err == nil {
		for _, e := range entries {
			if e.Date.Year != year {
				err = taxsms.Invalid("file", "%s is not in %d", e.Date, year)
				break
			}
		}
	}
	if err == nil && len(entries) == 0 {
		err = taxsms.Invalid("file", "no entries")
	}
	if err != nil {
		var te *taxsms.Error
		if !errors.As(err, &te) {
			return err
		}
		f.Fail("file", c.T(r, "form.error", te.Message))
		return c.renderCalendar(w, r, http.StatusBadRequest, f, year)
	}
	// Load the embedded calendar with it if none is stored: one
	// transaction.
	stored, err := c.DB.CalendarEntries(r.Context())
	if err != nil {
		return err
	}
	years := []int{year}
	if len(stored) == 0 && c.planner().Calendar != nil {
		for _, e := range c.planner().Calendar.Entries() {
			if e.Date.Year != year {
				entries = append(entries, e)
			}
		}
		years = append(years, c.planner().Calendar.Years()...)
	}
	if err := c.DB.ReplaceCalendarYears(r.Context(), slices.Compact(slices.Sorted(slices.Values(years))), entries); err != nil {
		if taxsms.ErrorCode(err) == taxsms.EINTERNAL {
			return err
		}
		f.Fail("file", c.T(r, "form.error", taxsms.ErrorMessage(err)))
		return c.renderCalendar(w, r, http.StatusBadRequest, f, year)
	}
	c.redirect(w, r, "/calendar?year="+strconv.Itoa(year), "cal.uploaded", strconv.Itoa(year))
	return nil
}

// handleOverride serves POST /calendar/overrides: a month's deadline set by
// the administrator, with a reason.
func (c *Console) handleOverride(w http.ResponseWriter, r *Request) error {
	f := newForm(r, calendarFields...)
	p, err := calendar.ParsePeriod(f.Get("month"))
	if err != nil || p.Filing != calendar.Monthly {
		f.Fail("month", c.T(r, "cal.bad_month"))
		return c.renderCalendar(w, r, http.StatusBadRequest, f, 0)
	}
	d, err := taxsms.ParseDate(f.Get("deadline"))
	if err != nil || d.IsZero() {
		f.Fail("deadline", c.T(r, "cal.bad_date"))
		return c.renderCalendar(w, r, http.StatusBadRequest, f, p.Year)
	}
	o := store.DeadlineOverride{Period: p, Date: d, Reason: f.Get("reason")}
	if err := o.Validate(); err != nil {
		if taxsms.ErrorField(err) == "date" {
			err = taxsms.Invalid("deadline", "%s", taxsms.ErrorMessage(err))
		}
		if err := c.failWith(r, f, err); err != nil {
			return err
		}
		return c.renderCalendar(w, r, http.StatusBadRequest, f, p.Year)
	}
	if err := c.DB.SetDeadlineOverride(r.Context(), o); err != nil {
		return c.calendarFail(w, r, f, err)
	}
	c.redirect(w, r, "/calendar?year="+strconv.Itoa(p.Year), "cal.overridden", p.String())
	return nil
}

// handleOverrideRemove serves POST /calendar/overrides/remove.
func (c *Console) handleOverrideRemove(w http.ResponseWriter, r *Request) error {
	f := newForm(r, calendarFields...)
	p, err := calendar.ParsePeriod(f.Get("month"))
	if err != nil {
		return err
	}
	if err := c.DB.RemoveDeadlineOverride(r.Context(), p); err != nil {
		return err
	}
	c.redirect(w, r, "/calendar?year="+strconv.Itoa(p.Year), "cal.override_removed", p.String())
	return nil
}
