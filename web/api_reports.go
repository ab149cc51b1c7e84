package web

import (
	"net/http"
	"strings"
	"time"

	"taxsms"
	"taxsms/calendar"
	"taxsms/report"
	"taxsms/store"
)

// The service reports over the REST API: the figures of the console's
// report pages, with the same filters (office, from, to; period for the
// effect of reminders), within the caller's scope. An office the caller
// may not read is 404.

// reporter returns the reports' data gatherer of the API: the console's
// (its zone, clock, calendar and reminder rules) when the server has one,
// else one on DB in Asia/Shanghai with the stored or embedded calendar.
func (s *Server) reporter() *reporter {
	if c := s.Console; c != nil && c.Location != nil {
		return c.reporter()
	}
	now := time.Now
	if s.DB.Now != nil {
		now = s.DB.Now
	}
	return &reporter{DB: s.DB, Planner: defaultPlanner(s.DB), Location: calendar.Shanghai, Now: now}
}

// reportRequest reads a report's query: the parameters allowed, each at
// most once. Another parameter, or a bad value, is EINVALID naming it.
func (s *Server) reportRequest(r *http.Request, rp *reporter, allowed ...string) (reportQuery, error) {
	v := r.URL.Query()
	for name, vals := range v {
		if !contains(allowed, name) {
			return reportQuery{}, taxsms.Invalid(name, "unknown query parameter; this report accepts %s", strings.Join(allowed, ", "))
		}
		if len(vals) > 1 {
			return reportQuery{}, taxsms.Invalid(name, "given %d times", len(vals))
		}
	}
	return parseReportQuery(v, rp.today())
}

// rateValue is a rate as the API shows it: N/Of, nil (null) when Of is 0.
func rateValue(r report.Rate) *float64 {
	v, ok := r.Value()
	if !ok {
		return nil
	}
	return &v
}

type deadlineItem struct {
	TaxpayerID int64  `json:"taxpayer_id"`
	Identifier string `json:"identifier"`
	Name       string `json:"name"`
	OfficeID   int64  `json:"office_id"`
	What       string `json:"what"`
	Day        string `json:"day"`
	Due        string `json:"due"`
	Done       string `json:"done,omitempty"`
}

type deadlineList struct {
	Cases     int            `json:"cases"`
	Late      int            `json:"late"`
	Rate      *float64       `json:"rate"`
	Items     []deadlineItem `json:"items"`
	Truncated bool           `json:"truncated"`
}

func viewDeadlines(rep *store.LateReport, cases, late int) deadlineList {
	out := deadlineList{Cases: cases, Late: late, Rate: rateValue(report.Rate{N: late, Of: cases}), Items: []deadlineItem{}, Truncated: rep.More}
	for _, x := range rep.Rows {
		it := deadlineItem{TaxpayerID: x.TaxpayerID, Identifier: x.Identifier, Name: x.Name, OfficeID: x.OfficeID, What: x.What,
			Day: x.Day.String(), Due: x.Due.String()}
		if !x.Done.IsZero() {
			it.Done = x.Done.String()
		}
		out.Items = append(out.Items, it)
	}
	return out
}

type coverageOffice struct {
	OfficeID          int64    `json:"office_id"`
	Taxpayers         int      `json:"taxpayers"`
	Covered           int      `json:"covered"`
	CoverageRate      *float64 `json:"coverage_rate"`
	Registrations     int      `json:"registrations"`
	LateRegistrations int      `json:"late_registrations"`
	WithoutService    int      `json:"without_service"`
	Overdue           bool     `json:"without_service_overdue"`
	Changes           int      `json:"changes"`
	Unreflected       int      `json:"unreflected_changes"`
}

type coverageView struct {
	OfficeID      int64            `json:"office_id"`
	From          string           `json:"from"`
	To            string           `json:"to"`
	DriveStart    string           `json:"drive_start"`
	DriveDeadline string           `json:"drive_deadline"`
	Taxpayers     int              `json:"taxpayers"`
	Covered       int              `json:"covered"`
	CoverageRate  *float64         `json:"coverage_rate"`
	Offices       []coverageOffice `json:"offices"`
	Late          deadlineList     `json:"late_registrations"`
	Without       deadlineList     `json:"without_service"`
	Unreflected   deadlineList     `json:"unreflected_changes"`
}

// handleReportCoverage serves GET /api/v1/reports/coverage: service
// coverage by office (Art. 12) with the three deadline lists.
func (s *Server) handleReportCoverage(w http.ResponseWriter, r *http.Request) {
	rp := s.reporter()
	q, err := s.reportRequest(r, rp, "office", "from", "to")
	if err != nil {
		s.error(w, r, err)
		return
	}
	d, err := rp.coverage(r.Context(), q)
	if err != nil {
		s.error(w, r, err)
		return
	}
	without := 0
	if d.WithoutOverdue {
		without = d.WithoutTotal
	}
	out := coverageView{OfficeID: q.Office, From: q.From.String(), To: q.To.String(), DriveStart: d.Settings.DriveStart.String(),
		DriveDeadline: d.Settings.DriveDeadline().String(), Taxpayers: d.Total.Of, Covered: d.Total.N, CoverageRate: rateValue(d.Total),
		Offices: []coverageOffice{}, Late: viewDeadlines(d.Late, d.LateTotal.Of, d.LateTotal.N),
		Without: viewDeadlines(d.Without, d.WithoutTotal, without), Unreflected: viewDeadlines(d.Changes, d.ChangesTotal.Of, d.ChangesTotal.N)}
	for _, l := range d.Lines {
		out.Offices = append(out.Offices, coverageOffice{OfficeID: l.OfficeID, Taxpayers: l.Covered.Of, Covered: l.Covered.N,
			CoverageRate: rateValue(l.Covered), Registrations: l.LateRegistrations.Of, LateRegistrations: l.LateRegistrations.N,
			WithoutService: l.WithoutService, Overdue: l.Overdue, Changes: l.Unreflected.Of, Unreflected: l.Unreflected.N})
	}
	writeJSON(w, http.StatusOK, out)
}

// receptionLine is one line of the reception report: a day, kind, carrier
// or office (those it is by), and its messages by outcome.
type receptionLine struct {
	Day       string   `json:"day,omitempty"`
	Kind      string   `json:"kind,omitempty"`
	Carrier   *string  `json:"carrier,omitempty"` // "" for never submitted
	OfficeID  *int64   `json:"office_id,omitempty"`
	Messages  int      `json:"messages"`
	Segments  *int     `json:"segments,omitempty"`
	Delivered int      `json:"delivered"`
	Failed    int      `json:"failed"`
	Waiting   int      `json:"waiting"`
	Rate      *float64 `json:"rate"`
}

func viewDelivery(d report.Delivery) receptionLine {
	segs := d.Segments
	return receptionLine{Messages: d.Messages, Segments: &segs, Delivered: d.Delivered, Failed: d.Failed, Waiting: d.Waiting,
		Rate: rateValue(d.Rate())}
}

type receptionView struct {
	OfficeID      int64           `json:"office_id"`
	From          string          `json:"from"`
	To            string          `json:"to"`
	Total         receptionLine   `json:"total"`
	ByDay         []receptionLine `json:"by_day"`
	ByKind        []receptionLine `json:"by_kind"`
	ByCarrier     []receptionLine `json:"by_carrier"`
	ByOffice      []receptionLine `json:"by_office"`
	ByKindCarrier []receptionLine `json:"by_kind_carrier"`
}

// handleReportReception serves GET /api/v1/reports/reception: the delivery
// rate of MT messages created on the days asked for, in all and by day,
// kind, carrier, office, and kind and carrier (Art. 14). A rate is
// delivered of settled (delivered, failed, rejected or expired).
func (s *Server) handleReportReception(w http.ResponseWriter, r *http.Request) {
	rp := s.reporter()
	q, err := s.reportRequest(r, rp, "office", "from", "to")
	if err != nil {
		s.error(w, r, err)
		return
	}
	d, err := rp.reception(r.Context(), q, false)
	if err != nil {
		s.error(w, r, err)
		return
	}
	t := d.Table
	out := receptionView{OfficeID: q.Office, From: q.From.String(), To: q.To.String(), Total: viewDelivery(t.Total),
		ByDay: []receptionLine{}, ByKind: []receptionLine{}, ByCarrier: []receptionLine{}, ByOffice: []receptionLine{}, ByKindCarrier: []receptionLine{}}
	for _, x := range d.Days {
		out.ByDay = append(out.ByDay, receptionLine{Day: x.Day.String(), Messages: x.Messages, Delivered: x.Delivered, Failed: x.Failed,
			Waiting: x.Messages - x.Delivered - x.Failed, Rate: rateValue(report.Rate{N: x.Delivered, Of: x.Delivered + x.Failed})})
	}
	for _, l := range t.ByKind {
		v := viewDelivery(l.Delivery)
		v.Kind = string(l.Kind)
		out.ByKind = append(out.ByKind, v)
	}
	for _, l := range t.ByCarrier {
		v := viewDelivery(l.Delivery)
		c := string(l.Carrier)
		v.Carrier = &c
		out.ByCarrier = append(out.ByCarrier, v)
	}
	for _, l := range t.ByOffice {
		v := viewDelivery(l.Delivery)
		id := l.OfficeID
		v.OfficeID = &id
		out.ByOffice = append(out.ByOffice, v)
	}
	for _, l := range t.ByKindCarrier {
		v := viewDelivery(l.Delivery)
		c := string(l.Carrier)
		v.Kind, v.Carrier = string(l.Kind), &c
		out.ByKindCarrier = append(out.ByKindCarrier, v)
	}
	writeJSON(w, http.StatusOK, out)
}

type failingView struct {
	ContactID     int64      `json:"contact_id"`
	TaxpayerID    int64      `json:"taxpayer_id"`
	Identifier    string     `json:"identifier"`
	Name          string     `json:"name"`
	OfficeID      int64      `json:"office_id"`
	Role          string     `json:"role"`
	ContactName   string     `json:"contact_name"`
	Mobile        string     `json:"mobile"`
	Service       string     `json:"service"`
	Run           int        `json:"failed_in_a_row"`
	Since         time.Time  `json:"since"`
	Last          time.Time  `json:"last"`
	LastDelivered *time.Time `json:"last_delivered,omitempty"`
	Reasons       []string   `json:"reasons"`
}

type failingList struct {
	OfficeID int64         `json:"office_id"`
	FailRun  int           `json:"fail_run"`
	FailDays int           `json:"fail_days"`
	Items    []failingView `json:"items"`
}

// handleReportFailing serves GET /api/v1/reports/failing-numbers: the
// worklist of numbers that keep failing (the city's fail_run and
// fail_days), as it stands now, with the failure reasons; a number
// corrected leaves it at once. Numbers are masked.
func (s *Server) handleReportFailing(w http.ResponseWriter, r *http.Request) {
	rp := s.reporter()
	q, err := s.reportRequest(r, rp, "office")
	if err != nil {
		s.error(w, r, err)
		return
	}
	rule, list, err := rp.failing(r.Context(), q.Office)
	if err != nil {
		s.error(w, r, err)
		return
	}
	out := failingList{OfficeID: q.Office, FailRun: rule.Run, FailDays: rule.Days, Items: []failingView{}}
	for _, f := range list {
		v := failingView{ContactID: f.ContactID, TaxpayerID: f.TaxpayerID, Identifier: f.Identifier, Name: f.Name, OfficeID: f.OfficeID,
			Role: string(f.Role), ContactName: f.Contact, Mobile: taxsms.MaskMobile(f.Mobile), Service: string(f.Status), Run: f.Run,
			Since: f.Since, Last: f.Last, Reasons: f.Reasons}
		if v.Reasons == nil {
			v.Reasons = []string{}
		}
		if !f.Delivered.IsZero() {
			d := f.Delivered
			v.LastDelivered = &d
		}
		out.Items = append(out.Items, v)
	}
	writeJSON(w, http.StatusOK, out)
}

type sendView struct {
	OfficeID        int64     `json:"office_id"`
	AuthorID        int64     `json:"author_id"`
	Login           string    `json:"login,omitempty"`
	Author          string    `json:"author,omitempty"`
	CampaignID      int64     `json:"campaign_id,omitempty"`
	CampaignTitle   string    `json:"campaign_title,omitempty"`
	Day             string    `json:"day"`
	Kind            string    `json:"kind"`
	First           time.Time `json:"first"`
	Last            time.Time `json:"last"`
	Recipients      int       `json:"recipients"`
	Segments        int       `json:"segments"`
	Delivered       int       `json:"delivered"`
	Failed          int       `json:"failed"`
	Waiting         int       `json:"waiting"`
	OutsideHours    int       `json:"outside_hours"`
	Emergency       bool      `json:"emergency"`
	EmergencyReason string    `json:"emergency_reason,omitempty"`
	Override        bool      `json:"override"`
	OverrideReason  string    `json:"override_reason,omitempty"`
	Flagged         bool      `json:"flagged"`
}

type authorView struct {
	OfficeID     int64  `json:"office_id"`
	AuthorID     int64  `json:"author_id"`
	Login        string `json:"login,omitempty"`
	Author       string `json:"author,omitempty"`
	Sends        int    `json:"sends"`
	Recipients   int    `json:"recipients"`
	Segments     int    `json:"segments"`
	OutsideHours int    `json:"outside_hours"`
	Emergencies  int    `json:"emergencies"`
	Overrides    int    `json:"overrides"`
}

type supervisionView struct {
	OfficeID int64        `json:"office_id"`
	From     string       `json:"from"`
	To       string       `json:"to"`
	Sends    []sendView   `json:"sends"`
	Authors  []authorView `json:"authors"`
}

// handleReportSupervision serves GET /api/v1/reports/supervision: what
// staff sent on the days asked for (Art. 9-10), per send and per author
// and office, with the sends outside working hours, emergencies and
// content-check overrides flagged.
func (s *Server) handleReportSupervision(w http.ResponseWriter, r *http.Request) {
	rp := s.reporter()
	q, err := s.reportRequest(r, rp, "office", "from", "to")
	if err != nil {
		s.error(w, r, err)
		return
	}
	d, err := rp.supervision(r.Context(), q)
	if err != nil {
		s.error(w, r, err)
		return
	}
	out := supervisionView{OfficeID: q.Office, From: q.From.String(), To: q.To.String(), Sends: []sendView{}, Authors: []authorView{}}
	for _, g := range d.Groups {
		out.Sends = append(out.Sends, sendView{OfficeID: g.OfficeID, AuthorID: g.AuthorID, Login: g.Login, Author: g.Author,
			CampaignID: g.CampaignID, CampaignTitle: g.CampaignTitle, Day: g.Day.String(), Kind: string(g.Kind), First: g.First, Last: g.Last,
			Recipients: g.Recipients, Segments: g.Segments, Delivered: g.Delivered, Failed: g.Failed, Waiting: g.Waiting,
			OutsideHours: g.OutsideHours, Emergency: g.Emergency, EmergencyReason: g.EmergencyReason, Override: g.Override,
			OverrideReason: g.OverrideReason, Flagged: g.Flagged()})
	}
	for _, a := range d.Authors {
		out.Authors = append(out.Authors, authorView{OfficeID: a.OfficeID, AuthorID: a.AuthorID, Login: a.Login, Author: a.Author,
			Sends: a.Sends, Recipients: a.Recipients, Segments: a.Segments, OutsideHours: a.OutsideHours, Emergencies: a.Emergencies,
			Overrides: a.Overrides})
	}
	writeJSON(w, http.StatusOK, out)
}

type effectGroupView struct {
	Taxpayers int      `json:"taxpayers"`
	Done      int      `json:"done"`
	Rate      *float64 `json:"rate"`
}

type effectLineView struct {
	Rule        string          `json:"rule"`
	OfficeID    int64           `json:"office_id"`
	Total       bool            `json:"total"`
	Reminded    effectGroupView `json:"reminded"`
	Undelivered effectGroupView `json:"undelivered"`
	NotReminded effectGroupView `json:"not_reminded"`
	OptedOut    int             `json:"opted_out"`
	NoContact   int             `json:"no_contact"`
	Gain        *float64        `json:"gain"`
}

type effectView struct {
	OfficeID   int64            `json:"office_id"`
	Period     string           `json:"period"`
	PaidWithin int              `json:"paid_within"`
	Lines      []effectLineView `json:"lines"`
}

// handleReportEffect serves GET /api/v1/reports/effect: for a tax period,
// per reminder rule and office, the share of the taxpayers it was for who
// then did what it asked, among those it reached, those whose reminder
// failed and those who got none; a total line per rule when several
// offices have lines.
func (s *Server) handleReportEffect(w http.ResponseWriter, r *http.Request) {
	rp := s.reporter()
	q, err := s.reportRequest(r, rp, "office", "period")
	if err != nil {
		s.error(w, r, err)
		return
	}
	d, err := rp.effect(r.Context(), q)
	if err != nil {
		s.error(w, r, err)
		return
	}
	group := func(g store.EffectGroup) effectGroupView {
		return effectGroupView{Taxpayers: g.Taxpayers, Done: g.Done, Rate: rateValue(report.Rate{N: g.Done, Of: g.Taxpayers})}
	}
	out := effectView{OfficeID: q.Office, Period: string(d.Period), PaidWithin: d.Within, Lines: []effectLineView{}}
	for _, e := range d.Lines {
		l := effectLineView{Rule: string(e.Rule), OfficeID: e.OfficeID, Total: e.OfficeID == 0, Reminded: group(e.EffectRow.Delivered),
			Undelivered: group(e.EffectRow.Undelivered), NotReminded: group(e.EffectRow.None), OptedOut: e.OptedOut, NoContact: e.NoContact}
		if e.HasGain {
			g := e.Gain
			l.Gain = &g
		}
		out.Lines = append(out.Lines, l)
	}
	writeJSON(w, http.StatusOK, out)
}
