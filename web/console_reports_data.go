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
	if rq.To.Time(time.UTC).Sub(rq.From.Time(time.UTC)) > maxReportDays*24*time.Hour {
		return rq, taxsms.Invalid("to", "at most %d days", maxReportDays)
	}
	if s := q.Get("period"); s != "" {
		rq.Period = taxsms.Period(s)
		if !rq.Period.Valid() {
			return rq, taxsms.Invalid("period", "%q: want 2026-11, 2026Q3 or 2025", s)
		}
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
	Total    report.Rate
	Late     *store.LateReport // new registrations without a number after 1 working day
	Without  *store.LateReport // taxpayers without service since the drive (first page)
	Changes  *store.LateReport // changes and cancellations not followed the same day
}

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
	if d.Without, err = rp.DB.WithoutService(ctx, q.Office, d.Settings.DriveStart, rp.Location, 0, 1000); err != nil {
		return nil, err
	}
	if d.Changes, err = rp.DB.UnreflectedChanges(ctx, q.Office, q.From, q.To, rp.Location); err != nil {
		return nil, err
	}
	d.Lines, d.Total = report.Coverage(cov, d.Late, d.Without, d.Changes), report.TotalCovered(cov)
	return d, nil
}

// receptionData is the reception report (Art. 14, R-15).
type receptionData struct {
	Table   *report.ReceptionTable
	Rule    store.FailRule
	Failing []store.FailingNumber
}

func (rp *reporter) reception(ctx context.Context, q reportQuery) (*receptionData, error) {
	s, err := rp.DB.ReportSettings(ctx, rp.Location)
	if err != nil {
		return nil, err
	}
	d := &receptionData{Rule: store.FailRule{Run: s.FailRun, Days: s.FailDays}}
	if auth.AccessFrom(ctx, auth.DataMessages).Read.Level != auth.LevelNone {
		from, to := q.span(rp.Location)
		counts, err := rp.DB.Reception(ctx, q.Office, from, to)
		if err != nil {
			return nil, err
		}
		d.Table = report.Reception(counts)
	} else {
		d.Table = report.Reception(nil)
	}
	if d.Failing, err = rp.DB.FailingNumbers(ctx, q.Office, d.Rule, rp.Now()); err != nil {
		return nil, err
	}
	return d, nil
}

// supervisionData is the supervision report (Art. 9-10).
type supervisionData struct {
	Groups  []store.SendGroup
	Authors []authorTotal
}

// authorTotal adds up one author's sends.
type authorTotal struct {
	OfficeID     int64
	AuthorID     int64
	Login        string
	Author       string
	Sends        int
	Recipients   int
	Segments     int
	OutsideHours int
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
	}
	slices.SortStableFunc(d.Authors, func(a, b authorTotal) int { return b.Recipients - a.Recipients })
	return d, nil
}

// effectData is the effect of reminders.
type effectData struct {
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
	return &effectData{Within: s.PaidWithin, Lines: report.Effects(rows)}, nil
}

// officeNames returns the names of the offices ctx's actor may read, by id.
func officeNames(ctx context.Context, db *store.DB) map[int64]string {
	offices, err := db.ListOffices(ctx, taxsms.OfficeFilter{Limit: 1000})
	names := make(map[int64]string, len(offices))
	if err == nil {
		for _, o := range offices {
			names[o.ID] = o.Name
		}
	}
	return names
}

// defaultPlanner is the planner the API reads the calendar and the rules
// from: the stored ones, else the embedded calendar and default rules.
func defaultPlanner(db *store.DB) *remind.Planner {
	return &remind.Planner{Store: db, Settings: db, Calendar: calendar.Default()}
}
