package web

import (
	"context"
	"html/template"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"taxsms"
	"taxsms/auth"
	"taxsms/carrier"
	"taxsms/report"
	"taxsms/store"
)

// messageStatuses lists the messageStatuses of messages in the order of their life, for
// tables and charts.
var messageStatuses = []taxsms.Status{
	taxsms.StatusScheduled, taxsms.StatusQueued, taxsms.StatusHeld, taxsms.StatusSending,
	taxsms.StatusSubmitted, taxsms.StatusDelivered, taxsms.StatusFailed, taxsms.StatusExpired,
	taxsms.StatusRejected, taxsms.StatusCancelled, taxsms.StatusReceived,
}

// priorities lists the outbox priorities, first served first.
var priorities = []taxsms.Priority{taxsms.PriorityInteractive, taxsms.PriorityReminder, taxsms.PriorityInternal, taxsms.PriorityBulk}

// period is the messages of one period (today, this month) in the actor's
// scope.
type period struct {
	Sent     int           // MT messages created
	Received int           // MO messages
	ByKind   []kindCount   // MT by kind, every kind
	ByStatus []statusCount // MT by status, those with messages
	Rate     float64       // delivered / (delivered + failed + expired + rejected)
	HasRate  bool          // false when no message is final yet
	Final    int           // the denominator of Rate
	Kinds    template.HTML // bar chart of ByKind
	byKind   map[taxsms.Kind]int
	byStatus map[taxsms.Status]int
}

type kindCount struct {
	Kind taxsms.Kind
	N    int
}

type statusCount struct {
	Status taxsms.Status
	N      int
}

// trendRow is one day of the trend chart, for its table.
type trendRow struct {
	Day             taxsms.Date
	Sent, Delivered int
}

// queueDepth is the outbox's waiting messages of one priority.
type queueDepth struct {
	Priority taxsms.Priority
	N        int
}

// dashboard is the data of the dashboard page.
type dashboard struct {
	Today, Month *period
	Trend        template.HTML // the last 30 days, SVG
	TrendDays    int
	TrendRows    []trendRow   // the chart's figures, newest first
	ShowMessages bool         // the user may read some messages
	Queue        []queueDepth // nil when the user may not see the queue
	QueueTotal   int
	Unmatched    int
	ShowHealth   bool
	Links        []carrier.Health
	LinksUp      int
	AsOf         time.Time

	RateTrend template.HTML // the delivery rate of each of the last 30 days, SVG
	// Coverage is the share of taxpayers in service in the user's scope,
	// and CoverageChart the same by office one level below the user's
	// (for those who read taxpayers).
	ShowCoverage  bool
	Coverage      report.Rate
	CoverageChart template.HTML
	CoverageAsOf  time.Time
}

// trendDays is how many days the dashboard's line chart covers.
const trendDays = 30

// handleDashboard serves GET /: the day's and the month's messages of the
// user's scope by kind and status, the delivery rate, the last 30 days (for
// those who may read messages), and for those who watch the platform
// (PermViewHealth) the outbox queue and the carrier links.
func (c *Console) handleDashboard(w http.ResponseWriter, r *Request) error {
	d, err := c.dashboard(r)
	if err != nil {
		return err
	}
	c.render(w, r, http.StatusOK, "dashboard", &Page{Title: "dash.title", Data: d})
	return nil
}

func (c *Console) dashboard(r *Request) (*dashboard, error) {
	ctx := r.Context()
	now := c.Now().In(c.Location)
	today := taxsms.DateOf(now)
	monthStart := taxsms.Date{Year: today.Year, Month: today.Month, Day: 1}
	trendStart := taxsms.DateOf(today.Time(c.Location).AddDate(0, 0, -(trendDays - 1)))
	since := trendStart
	if monthStart.Before(since) {
		since = monthStart
	}
	d := &dashboard{AsOf: now, TrendDays: trendDays, ShowMessages: canRead(auth.DataMessages)(r.Actor)}
	var counts []store.DayCount
	if d.ShowMessages {
		var err error
		if counts, d.AsOf, err = c.messageStats(ctx, since.Time(c.Location)); err != nil {
			return nil, err
		}
	}
	d.Today, d.Month = newPeriod(), newPeriod()
	sent := make(map[taxsms.Date]int)
	delivered := make(map[taxsms.Date]int)
	settled := make(map[taxsms.Date]int) // delivered, failed, expired or rejected
	for _, n := range counts {
		ps := []*period{}
		if n.Day == today {
			ps = append(ps, d.Today)
		}
		if !n.Day.Before(monthStart) {
			ps = append(ps, d.Month)
		}
		for _, p := range ps {
			p.add(n.Direction, n.Kind, n.Status, n.N)
		}
		if n.Direction == taxsms.MT {
			sent[n.Day] += n.N
			switch n.Status {
			case taxsms.StatusDelivered:
				delivered[n.Day] += n.N
				settled[n.Day] += n.N
			case taxsms.StatusFailed, taxsms.StatusExpired, taxsms.StatusRejected:
				settled[n.Day] += n.N
			}
		}
	}
	for _, p := range []*period{d.Today, d.Month} {
		p.finish()
	}
	var bars []bar
	for _, k := range d.Month.ByKind {
		bars = append(bars, bar{Label: c.T(r, "kind."+string(k.Kind)), N: k.N})
	}
	d.Month.Kinds = barChart(c.T(r, "dash.chart_kinds"), bars)
	var days []string
	var sentV, delivV []int
	var rates []dayRate
	for day := trendStart; !today.Before(day); day = taxsms.DateOf(day.Time(time.UTC).AddDate(0, 0, 1)) {
		days = append(days, day.Time(time.UTC).Format("01-02"))
		sentV, delivV = append(sentV, sent[day]), append(delivV, delivered[day])
		rates = append(rates, dayRate{Day: days[len(days)-1], Rate: report.Rate{N: delivered[day], Of: settled[day]}})
		d.TrendRows = append([]trendRow{{Day: day, Sent: sent[day], Delivered: delivered[day]}}, d.TrendRows...)
	}
	d.Trend = timeChart(c.T(r, "dash.chart_trend", trendDays), days, []series{
		{Label: c.T(r, "dash.series_sent"), Class: "chart-area", Values: sentV},
		{Label: c.T(r, "dash.series_delivered"), Class: "chart-line", Values: delivV},
	})
	d.RateTrend = rateDaysChart(c.T(r, "dash.chart_rate", trendDays), rates)
	if canRead(auth.DataTaxpayers)(r.Actor) {
		if err := c.dashboardCoverage(r, d); err != nil {
			return nil, err
		}
	}
	if r.Actor.Has(auth.PermViewHealth) {
		d.ShowHealth = true
		ob, _, err := c.outboxStats(ctx)
		if err != nil {
			return nil, err
		}
		for _, p := range priorities {
			d.Queue = append(d.Queue, queueDepth{Priority: p, N: ob.Queued[p]})
			d.QueueTotal += ob.Queued[p]
		}
		d.Unmatched = ob.Unmatched
		if c.Links != nil {
			d.Links = c.Links.Health()
			for _, h := range d.Links {
				if h.Connected > 0 {
					d.LinksUp++
				}
			}
		}
	}
	return d, nil
}

func newPeriod() *period {
	return &period{byKind: make(map[taxsms.Kind]int), byStatus: make(map[taxsms.Status]int)}
}

func (p *period) add(dir taxsms.Direction, k taxsms.Kind, s taxsms.Status, n int) {
	if dir == taxsms.MO {
		p.Received += n
		return
	}
	p.Sent += n
	p.byKind[k] += n
	p.byStatus[s] += n
}

// finish orders the counts and computes the delivery rate.
func (p *period) finish() {
	for _, k := range taxsms.Kinds {
		p.ByKind = append(p.ByKind, kindCount{Kind: k, N: p.byKind[k]})
	}
	for _, s := range messageStatuses {
		if n := p.byStatus[s]; n > 0 {
			p.ByStatus = append(p.ByStatus, statusCount{Status: s, N: n})
		}
	}
	for s, n := range p.byStatus {
		if !slices.Contains(messageStatuses, s) {
			p.ByStatus = append(p.ByStatus, statusCount{Status: s, N: n})
		}
	}
	ok := p.byStatus[taxsms.StatusDelivered]
	p.Final = ok + p.byStatus[taxsms.StatusFailed] + p.byStatus[taxsms.StatusExpired] + p.byStatus[taxsms.StatusRejected]
	if p.Final > 0 {
		p.Rate, p.HasRate = float64(ok)/float64(p.Final), true
	}
}

// coverCache holds the dashboard's coverage per scope of taxpayers,
// reused like the message counts (Console.StatsMaxAge): counting it reads
// every taxpayer of the scope.
type coverCache struct {
	mu     sync.Mutex
	scopes map[string]*cached[[]store.CoverageRow]
}

// coverage returns the coverage of every office in the scope of ctx's
// actor, and when it was counted.
func (c *Console) coverage(ctx context.Context) ([]store.CoverageRow, time.Time, error) {
	a, _ := auth.FromContext(ctx)
	key := a.Access(auth.DataTaxpayers).Read.String()
	now, maxAge := c.Now(), c.statsMaxAge()
	c.covers.mu.Lock()
	if c.covers.scopes == nil {
		c.covers.scopes = make(map[string]*cached[[]store.CoverageRow])
	}
	e := c.covers.scopes[key]
	if e == nil {
		e = new(cached[[]store.CoverageRow])
		for k, old := range c.covers.scopes { // scopes no one looked at for an hour
			if at, ok := old.loaded(); ok && now.Sub(at) > time.Hour+10*maxAge {
				delete(c.covers.scopes, k)
			}
		}
		c.covers.scopes[key] = e
	}
	c.covers.mu.Unlock()
	return e.get(now, maxAge, func() ([]store.CoverageRow, error) { return c.DB.Coverage(ctx, 0) })
}

// dashboardCoverage sets d's coverage: in all, and by office one level
// below the highest office the user reads (each office's figures added
// into the one of that level above it).
func (c *Console) dashboardCoverage(r *Request, d *dashboard) error {
	ctx := r.Context()
	rows, at, err := c.coverage(ctx)
	if err != nil {
		return err
	}
	d.ShowCoverage, d.Coverage, d.CoverageAsOf = true, report.TotalCovered(rows), at
	offices, err := c.DB.ListOffices(ctx, taxsms.OfficeFilter{Limit: 1000})
	if err != nil {
		return err
	}
	lines, names := rollUp(rows, offices)
	var bars []rateBar
	for _, l := range lines {
		name := names[l.OfficeID]
		if name == "" {
			name = "#" + strconv.FormatInt(l.OfficeID, 10)
		}
		bars = append(bars, rateBar{Label: name, Rate: report.Rate{N: l.Covered, Of: l.Taxpayers}})
	}
	d.CoverageChart = rateChart(c.T(r, "dash.chart_coverage"), bars)
	return nil
}

// rollUp adds the coverage of each office into its ancestor one level
// below the highest of offices (or the highest itself), in tree order;
// offices not among them (outside what the user reads as offices) stay
// apart, last. It returns the names of the offices it keeps.
func rollUp(rows []store.CoverageRow, offices []*taxsms.Office) ([]store.CoverageRow, map[int64]string) {
	names := make(map[int64]string, len(offices))
	paths := make(map[int64]string, len(offices))
	top := -1
	for _, o := range offices {
		names[o.ID], paths[o.ID] = o.Name, o.Path
		if n := strings.Count(o.Path, "/") - 1; top < 0 || n < top {
			top = n
		}
	}
	byID := make(map[int64]*store.CoverageRow)
	var order []int64
	for _, row := range rows {
		id := row.OfficeID
		if p, ok := paths[id]; ok {
			ids := strings.Split(strings.Trim(p, "/"), "/")
			if len(ids) > top {
				id, _ = strconv.ParseInt(ids[top], 10, 64)
			}
		}
		l := byID[id]
		if l == nil {
			l = &store.CoverageRow{OfficeID: id}
			byID[id] = l
			order = append(order, id)
		}
		l.Taxpayers += row.Taxpayers
		l.Covered += row.Covered
	}
	rank := func(id int64) string {
		if p, ok := paths[id]; ok {
			return "0" + p
		}
		return "1" + strconv.FormatInt(id, 10)
	}
	slices.SortFunc(order, func(a, b int64) int { return strings.Compare(rank(a), rank(b)) })
	out := make([]store.CoverageRow, 0, len(order))
	for _, id := range order {
		out = append(out, *byID[id])
	}
	return out, names
}
