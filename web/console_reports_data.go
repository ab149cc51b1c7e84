package web

import (
	"context"
	"net/url"
	"slices"
	"strconv"
	"time"

	"taxsms"
	"taxsms/auth"
	"taxsms/calendar"
	"taxsms/remind"
	"taxsms/report"
	"taxsms/store"
)

// The service reports' data, gathered once for the console's pages, their
// exports and the REST API: each report reads the store within the
// actor's scope (the store enforces it) and assembles the figures with
// package report.

// reportNames are the reports, in the order of the navigation.
var reportNames = []string{"coverage", "reception", "supervision", "effect"}

// reportQuery is what a report is asked for: an office subtree (0: the
// whole scope), a range of days (both included) and, for the effect of
// reminders, a tax period.
type reportQuery struct {
	Office   int64
	From, To taxsms.Date
	Period   taxsms.Period
}

// maxReportDays bounds a report's range of days.
const maxReportDays = 366

// reportParams are the query parameters of a report.
var reportParams = []string{"office", "from", "to", "period"}

// parseReportQuery reads office, from, to and period of q; missing days
// are this month up to today, a missing period is last month. Bad values
// are EINVALID naming their field.
func parseReportQuery(q url.Values, today taxsms.Date) (reportQuery, error) {
	rq := reportQuery{From: taxsms.Date{Year: today.Year, Month: today.Month, Day: 1}, To: today}
	last := today.Time(time.UTC).AddDate(0, 0, -today.Day) // the last day of last month
	rq.Period = taxsms.Period(last.Format("2006-01"))
	if s := q.Get("office"); s != "" {
		id, err := strconv.ParseInt(s, 10, 64)
		if err != nil || id <= 0 {
			return rq, taxsms.Invalid("office", "%q is not an office id", s)
		}
		rq.Office = id
	}
	for _, f := range []struct {
		name string
		to   *taxsms.Date
	}{{"from", &rq.From}, {"to", &rq.To}} {
		if s := q.Get(f.name); s != "" {
			d, err := taxsms.ParseDate(s)
			if err != nil {
				return rq, taxsms.Invalid(f.name, "%q is not a day (2026-12-01)", s)
			}
			*f.to = d
		}
	}
	if rq.To.Before(rq.From) {
		return rq, taxsms.Invalid("to", "%s is before %s", rq.To, rq.From)
	}
	if rq.To.Time(time.UTC).Sub(rq.From.Time(time.UTC)) >= maxReportDays*24*time.Hour {
		return rq, taxsms.Invalid("to", "at most %d days", maxReportDays)
	}
	if s := q.Get("period"); s != "" {
		p, err := taxsms.ParsePeriod(s)
		if err != nil {
			return rq, taxsms.Invalid("period", "%q: want 2026-11, 2026Q3 or 2025", s)
		}
		rq.Period = p
	}
	return rq, nil
}

// values returns q as URL values, for links and exports.
func (q reportQuery) values() url.Values {
	v := url.Values{}
	if q.Office != 0 {
		v.Set("office", strconv.FormatInt(q.Office, 10))
	}
	v.Set("from", q.From.String())
	v.Set("to", q.To.String())
	v.Set("period", string(q.Period))
	return v
}

// span returns the instants the days of q cover, in loc.
func (q reportQuery) span(loc *time.Location) (time.Time, time.Time) {
	return q.From.Time(loc), q.To.Time(loc).AddDate(0, 0, 1)
}

// reporter gathers the reports' data.
type reporter struct {
	DB       *store.DB
	Planner  *remind.Planner // the calendar and reminder rules in force
	Location *time.Location
	Now      func() time.Time
}

func (rp *reporter) today() taxsms.Date { return taxsms.DateOf(rp.Now().In(rp.Location)) }

// coverageData is the coverage report (Art. 12).
type coverageData struct {
	Settings store.ReportSettings
	Lines    []report.OfficeCoverage
	Total    report.Rate       // taxpayers in service, of those whose registration stands
	Late     *store.LateReport // new registrations without a number after 1 working day
	Without  *store.LateReport // taxpayers without service since the drive (first page)
	Changes  *store.LateReport // changes and cancellations not followed the same day
	// The three deadline reports' totals over every office: late of those
	// the deadline applied to (Without: all of them are late once the
	// drive's quarter is over).
	LateTotal, ChangesTotal report.Rate
	WithoutTotal            int
	WithoutOverdue          bool
}

// withoutPage is how many taxpayers without service a report lists.
const withoutPage = 1000

func (rp *reporter) coverage(ctx context.Context, q reportQuery) (*coverageData, error) {
	d := &coverageData{}
	var err error
	if d.Settings, err = rp.DB.ReportSettings(ctx, rp.Location); err != nil {
		return nil, err
	}
	cal, err := rp.Planner.CurrentCalendar(ctx)
	if err != nil {
		return nil, err
	}
	cov, err := rp.DB.Coverage(ctx, q.Office)
	if err != nil {
		return nil, err
	}
	if d.Late, err = rp.DB.LateRegistrations(ctx, q.Office, q.From, q.To, cal, rp.Location); err != nil {
		return nil, err
	}
	if d.Without, err = rp.DB.WithoutService(ctx, q.Office, d.Settings.DriveStart, rp.Location, 0, withoutPage); err != nil {
		return nil, err
	}
	if d.Changes, err = rp.DB.UnreflectedChanges(ctx, q.Office, q.From, q.To, rp.Location); err != nil {
		return nil, err
	}
	d.Lines, d.Total = report.Coverage(cov, d.Late, d.Without, d.Changes), report.TotalCovered(cov)
	for _, o := range d.Late.ByOffice {
		d.LateTotal.N, d.LateTotal.Of = d.LateTotal.N+o.Late, d.LateTotal.Of+o.Total
	}
	for _, o := range d.Changes.ByOffice {
		d.ChangesTotal.N, d.ChangesTotal.Of = d.ChangesTotal.N+o.Late, d.ChangesTotal.Of+o.Total
	}
	for _, o := range d.Without.ByOffice {
		d.WithoutTotal += o.Total
		d.WithoutOverdue = d.WithoutOverdue || o.Late > 0
	}
	return d, nil
}

// receptionData is the reception report (Art. 14, R-15).
type receptionData struct {
	Table   *report.ReceptionTable
	Days    []store.DayDelivery
	Rule    store.FailRule
	Failing []store.FailingNumber
}

// reception gathers the delivery tables of q and, if failing is set, the
// worklist of failing numbers.
func (rp *reporter) reception(ctx context.Context, q reportQuery, failing bool) (*receptionData, error) {
	d := &receptionData{Table: report.Reception(nil)}
	if auth.AccessFrom(ctx, auth.DataMessages).Read.Level != auth.LevelNone {
		from, to := q.span(rp.Location)
		counts, err := rp.DB.Reception(ctx, q.Office, from, to)
		if err != nil {
			return nil, err
		}
		d.Table = report.Reception(counts)
		if d.Days, err = rp.DB.ReceptionDays(ctx, q.Office, from, to, rp.Location); err != nil {
			return nil, err
		}
	}
	if failing {
		var err error
		if d.Rule, d.Failing, err = rp.failing(ctx, q.Office); err != nil {
			return nil, err
		}
	}
	return d, nil
}

// failing returns the rule in force and the worklist of failing numbers of
// an office subtree (0: the whole scope).
func (rp *reporter) failing(ctx context.Context, office int64) (store.FailRule, []store.FailingNumber, error) {
	s, err := rp.DB.ReportSettings(ctx, rp.Location)
	if err != nil {
		return store.FailRule{}, nil, err
	}
	rule := store.FailRule{Run: s.FailRun, Days: s.FailDays}
	if auth.AccessFrom(ctx, auth.DataTaxpayers).Read.Level == auth.LevelNone {
		return rule, nil, nil
	}
	list, err := rp.DB.FailingNumbers(ctx, office, rule, rp.Now())
	return rule, list, err
}

// supervisionData is the supervision report (Art. 9-10).
type supervisionData struct {
	Groups  []store.SendGroup
	Authors []authorTotal
	// Flagged counts the sends that stand out; Outside, Emergencies and
	// Overrides count them by why.
	Flagged, Outside, Emergencies, Overrides int
}

// authorTotal adds up one author's sends in one office.
type authorTotal struct {
	OfficeID     int64
	AuthorID     int64
	Login        string
	Author       string
	Sends        int
	Recipients   int
	Segments     int
	OutsideHours int // messages
	Emergencies  int // sends
	Overrides    int // sends
}

// Name returns the author's name, or its id if the reader may not see it.
func (a authorTotal) Name() string {
	if a.Author != "" {
		return a.Author
	}
	return "#" + strconv.FormatInt(a.AuthorID, 10)
}

func (rp *reporter) supervision(ctx context.Context, q reportQuery) (*supervisionData, error) {
	cal, err := rp.Planner.CurrentCalendar(ctx)
	if err != nil {
		return nil, err
	}
	from, to := q.span(rp.Location)
	groups, err := rp.DB.Supervision(ctx, q.Office, from, to, rp.Location, report.InHours(ctx, cal, rp.Location, rp.DB.OfficeHours))
	if err != nil {
		return nil, err
	}
	d := &supervisionData{Groups: groups}
	index := map[[2]int64]int{}
	for _, g := range groups {
		k := [2]int64{g.OfficeID, g.AuthorID}
		i, ok := index[k]
		if !ok {
			i = len(d.Authors)
			index[k] = i
			d.Authors = append(d.Authors, authorTotal{OfficeID: g.OfficeID, AuthorID: g.AuthorID, Login: g.Login, Author: g.Author})
		}
		a := &d.Authors[i]
		a.Sends++
		a.Recipients += g.Recipients
		a.Segments += g.Segments
		a.OutsideHours += g.OutsideHours
		if g.Flagged() {
			d.Flagged++
		}
		if g.OutsideHours > 0 {
			d.Outside++
		}
		if g.Emergency {
			a.Emergencies++
			d.Emergencies++
		}
		if g.Override {
			a.Overrides++
			d.Overrides++
		}
	}
	slices.SortStableFunc(d.Authors, func(a, b authorTotal) int { return b.Recipients - a.Recipients })
	return d, nil
}

// effectData is the effect of reminders.
type effectData struct {
	Period taxsms.Period
	Within int
	Lines  []report.Effect
}

func (rp *reporter) effect(ctx context.Context, q reportQuery) (*effectData, error) {
	s, err := rp.DB.ReportSettings(ctx, rp.Location)
	if err != nil {
		return nil, err
	}
	rules, cal, err := rp.Planner.Current(ctx)
	if err != nil {
		return nil, err
	}
	lead := 0
	for _, r := range rules {
		if r.Name == remind.BeforeDeadline {
			for _, n := range r.Days {
				lead = max(lead, n)
			}
		}
	}
	rows, err := rp.DB.ReminderEffect(ctx, q.Office, store.EffectOptions{Period: q.Period, Within: s.PaidWithin,
		Lead: func(d taxsms.Date) taxsms.Date { return cal.AddWorkdays(d, -lead) }}, rp.Location)
	if err != nil {
		return nil, err
	}
	return &effectData{Period: q.Period, Within: s.PaidWithin, Lines: report.Effects(rows)}, nil
}

// defaultPlanner is the planner the API reads the calendar and the rules
// from when the server has no console: the stored ones, else the embedded
// calendar and the default rules.
func defaultPlanner(db *store.DB) *remind.Planner {
	return &remind.Planner{Store: db, Settings: db, Calendar: calendar.Default()}
}
