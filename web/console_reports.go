package web

import (
	"encoding/csv"
	"html/template"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/xuri/excelize/v2"

	"taxsms"
	"taxsms/auth"
	"taxsms/report"
	"taxsms/store"
)

// reportRoutes adds the service reports' pages: the index with the city's
// settings, the four reports, and their exports.
func (c *Console) reportRoutes(mux *http.ServeMux) {
	c.handle(mux, "GET /reports", "", c.handleReports)
	c.handle(mux, "POST /reports/settings", auth.PermManageSettings, c.handleReportSettings)
	c.handle(mux, "GET /reports/{name}", "", c.handleReport)
	c.handle(mux, "GET /reports/{name}/export", auth.PermExport, c.handleReportExport)
}

// canSeeReports reports whether a may see some report: those who read
// taxpayers or messages.
func canSeeReports(a *auth.Actor) bool {
	return canRead(auth.DataTaxpayers)(a) || canRead(auth.DataMessages)(a)
}

// reportNeeds returns the kind of data a report reads: its viewer must
// read some of it.
func reportNeeds(name string) auth.Data {
	switch name {
	case "reception", "supervision":
		return auth.DataMessages
	}
	return auth.DataTaxpayers
}

func (c *Console) reporter() *reporter {
	return &reporter{DB: c.DB, Planner: c.planner(), Location: c.Location, Now: c.Now}
}

// reportPage is the data of a report's page.
type reportPage struct {
	Name     string
	Names    []string // every report, for the tabs
	Query    reportQuery
	Offices  []officeChoice
	names    map[int64]string
	order    map[int64]int // offices in tree order
	Charts   []reportChart
	Export   string // the query of the export links
	Coverage *coverageData
	Recept   *receptionData
	Super    *supervisionData
	Effect   *effectData
}

// reportChart is one chart of a report's page, under its title; a wide
// one (over days) takes the page's width.
type reportChart struct {
	Title string
	SVG   template.HTML
	Wide  bool
}

// OfficeName returns an office's name, or its id if the viewer may not
// read it.
func (p *reportPage) OfficeName(id int64) string {
	if n, ok := p.names[id]; ok {
		return n
	}
	if id == 0 {
		return "—"
	}
	return "#" + strconv.FormatInt(id, 10)
}

// setOffices sets the offices of the filter, their names and tree order.
func (p *reportPage) setOffices(choices []officeChoice, names map[int64]string) {
	p.Offices, p.names, p.order = choices, names, make(map[int64]int, len(choices))
	for i, o := range choices {
		p.order[o.ID] = i
	}
}

// byTree sorts a report's lines by their office's place in the tree (the
// offices the viewer may not read last, by id).
func byTree[T any](p *reportPage, lines []T, office func(T) int64) {
	rank := func(id int64) (int, int64) {
		if i, ok := p.order[id]; ok {
			return i, 0
		}
		return len(p.order), id
	}
	slices.SortStableFunc(lines, func(a, b T) int {
		ra, ia := rank(office(a))
		rb, ib := rank(office(b))
		if ra != rb {
			return ra - rb
		}
		return int(ia - ib)
	})
}

// reportsIndex is the data of the reports' index.
type reportsIndex struct {
	Names    []string
	Settings store.ReportSettings
}

// reportSettingsFields are the fields of the settings form.
var reportSettingsFields = []string{"drive_start", "fail_run", "fail_days", "paid_within"}

// handleReports serves GET /reports: the list of reports and the city's
// settings of them (a form for those holding PermManageSettings).
func (c *Console) handleReports(w http.ResponseWriter, r *Request) error {
	if !canSeeReports(r.Actor) {
		return errForbidden
	}
	s, err := c.DB.ReportSettings(r.Context(), c.Location)
	if err != nil {
		return err
	}
	f := newForm(r, reportSettingsFields...)
	f.Values = settingsValues(s)
	c.render(w, r, http.StatusOK, "reports", &Page{Title: "rep.title", Data: &reportsIndex{Names: reportNames, Settings: s}, Form: f})
	return nil
}

func settingsValues(s store.ReportSettings) map[string][]string {
	return map[string][]string{"drive_start": {s.DriveStart.String()}, "fail_run": {strconv.Itoa(s.FailRun)},
		"fail_days": {strconv.Itoa(s.FailDays)}, "paid_within": {strconv.Itoa(s.PaidWithin)}}
}

// handleReportSettings serves POST /reports/settings: the city's settings
// of the reports (the activation drive's start, when a number goes on the
// worklist, the days to pay), kept by the store for city administrators
// and recorded in the audit archive.
func (c *Console) handleReportSettings(w http.ResponseWriter, r *Request) error {
	f := newForm(r, reportSettingsFields...)
	var s store.ReportSettings
	var err error
	if s.DriveStart, err = taxsms.ParseDate(f.Get("drive_start")); err != nil {
		f.Fail("drive_start", c.T(r, "tp.err_date"))
	}
	for _, n := range []struct {
		name string
		to   *int
	}{{"fail_run", &s.FailRun}, {"fail_days", &s.FailDays}, {"paid_within", &s.PaidWithin}} {
		if *n.to, err = strconv.Atoi(f.Get(n.name)); err != nil {
			f.Fail(n.name, c.T(r, "rep.err_number"))
		}
	}
	if f.OK() {
		err := c.DB.SetReportSettings(r.Context(), s)
		if taxsms.ErrorCode(err) == taxsms.EFORBIDDEN {
			return err
		}
		if err := c.failWith(r, f, err); err != nil {
			return err
		}
	}
	if !f.OK() {
		cur, err := c.DB.ReportSettings(r.Context(), c.Location)
		if err != nil {
			return err
		}
		c.render(w, r, http.StatusBadRequest, "reports", &Page{Title: "rep.title", Data: &reportsIndex{Names: reportNames, Settings: cur}, Form: f})
		return nil
	}
	c.redirect(w, r, "/reports", "rep.saved")
	return nil
}

// handleReport serves GET /reports/{name}: one report of the user's scope
// for an office subtree and a range of days (or a tax period), with its
// charts. A bad filter is shown beside its field (400); an office the user
// may not read is 404.
func (c *Console) handleReport(w http.ResponseWriter, r *Request) error {
	name := r.PathValue("name")
	if !slices.Contains(reportNames, name) {
		return taxsms.Errorf(taxsms.ENOTFOUND, "no such report")
	}
	if err := requireRead(r, reportNeeds(name)); err != nil {
		return err
	}
	f := newForm(r, reportParams...)
	p := &reportPage{Name: name, Names: reportNames}
	p.setOffices(c.officeChoices(r))
	page := &Page{Title: "rep." + name, Data: p, Form: f}
	q, err := parseReportQuery(r.URL.Query(), taxsms.DateOf(c.Now().In(c.Location)))
	if err == nil {
		// The form shows the days and period the report is of.
		f.Values = q.values()
		p.Query, p.Export = q, q.values().Encode()
		err = c.fillReport(r, p)
	}
	if taxsms.ErrorCode(err) == taxsms.EINVALID {
		f.Fail(taxsms.ErrorField(err), c.T(r, "form.error", taxsms.ErrorMessage(err)))
		p.Export = ""
		c.render(w, r, http.StatusBadRequest, "report_"+name, page)
		return nil
	} else if err != nil {
		return err
	}
	c.render(w, r, http.StatusOK, "report_"+name, page)
	return nil
}

// stamp writes an instant in the bureau's zone for an export, "" for none.
func (c *Console) stamp(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.In(c.Location).Format("2006-01-02 15:04")
}

// fillReport gathers p's report and draws its charts.
func (c *Console) fillReport(r *Request, p *reportPage) error {
	ctx, rp := r.Context(), c.reporter()
	var err error
	switch p.Name {
	case "coverage":
		if p.Coverage, err = rp.coverage(ctx, p.Query); err != nil {
			return err
		}
		d := p.Coverage
		byTree(p, d.Lines, func(l report.OfficeCoverage) int64 { return l.OfficeID })
		var cov, late []rateBar
		for _, l := range d.Lines {
			cov = append(cov, rateBar{Label: p.OfficeName(l.OfficeID), Rate: l.Covered})
			late = append(late, rateBar{Label: p.OfficeName(l.OfficeID), Rate: l.LateRegistrations})
		}
		p.Charts = []reportChart{
			{Title: c.T(r, "rep.chart_coverage"), SVG: rateChart(c.T(r, "rep.chart_coverage"), cov)},
			{Title: c.T(r, "rep.chart_late"), SVG: rateChart(c.T(r, "rep.chart_late"), late)},
		}
	case "reception":
		if p.Recept, err = rp.reception(ctx, p.Query, true); err != nil {
			return err
		}
		d := p.Recept
		byTree(p, d.Table.ByOffice, func(l report.Line) int64 { return l.OfficeID })
		byTree(p, d.Failing, func(f store.FailingNumber) int64 { return f.OfficeID })
		p.Charts = []reportChart{
			{Title: c.T(r, "rep.chart_days"), SVG: c.daysChart(r, p.Query, d.Days), Wide: true},
			{Title: c.T(r, "rep.chart_carriers"), SVG: carrierChart(c, r, d.Table)},
			{Title: c.T(r, "rep.chart_kinds"), SVG: kindChart(c, r, d.Table)},
		}
	case "supervision":
		if p.Super, err = rp.supervision(ctx, p.Query); err != nil {
			return err
		}
		var bars []bar
		for i, a := range p.Super.Authors {
			if i == 20 {
				break
			}
			bars = append(bars, bar{Label: a.Name(), N: a.Recipients})
		}
		flags := []bar{
			{Label: c.T(r, "rep.outside_hours"), N: p.Super.Outside},
			{Label: c.T(r, "rep.flag_emergency"), N: p.Super.Emergencies},
			{Label: c.T(r, "rep.flag_override"), N: p.Super.Overrides},
		}
		p.Charts = []reportChart{
			{Title: c.T(r, "rep.chart_authors"), SVG: barChart(c.T(r, "rep.chart_authors"), bars)},
			{Title: c.T(r, "rep.chart_flags"), SVG: barChart(c.T(r, "rep.chart_flags"), flags)},
		}
	case "effect":
		if p.Effect, err = rp.effect(ctx, p.Query); err != nil {
			return err
		}
		var bars []rateBar
		for _, e := range p.Effect.Lines {
			if e.OfficeID != 0 && hasTotal(p.Effect.Lines, e) {
				continue // the chart shows each rule's total
			}
			rule := c.T(r, "remind.rule."+string(e.Rule))
			bars = append(bars,
				rateBar{Label: rule + " · " + c.T(r, "rep.eff_delivered"), Rate: e.Delivered},
				rateBar{Label: rule + " · " + c.T(r, "rep.eff_undelivered"), Rate: e.Undelivered},
				rateBar{Label: rule + " · " + c.T(r, "rep.eff_none"), Rate: e.None})
		}
		p.Charts = []reportChart{{Title: c.T(r, "rep.chart_effect"), SVG: rateChart(c.T(r, "rep.chart_effect"), bars), Wide: true}}
	}
	return nil
}

// daysChart draws the delivery rate of each day of q.
func (c *Console) daysChart(r *Request, q reportQuery, days []store.DayDelivery) template.HTML {
	byDay := make(map[taxsms.Date]store.DayDelivery, len(days))
	for _, d := range days {
		byDay[d.Day] = d
	}
	var points []dayRate
	for day := q.From; !q.To.Before(day); day = taxsms.DateOf(day.Time(time.UTC).AddDate(0, 0, 1)) {
		d := byDay[day]
		points = append(points, dayRate{Day: day.Time(time.UTC).Format("01-02"), Rate: report.Rate{N: d.Delivered, Of: d.Delivered + d.Failed}})
	}
	return rateDaysChart(c.T(r, "rep.chart_days"), points)
}

// hasTotal reports whether the rule of e has a total line among lines.
func hasTotal(lines []report.Effect, e report.Effect) bool {
	for _, l := range lines {
		if l.Rule == e.Rule && l.OfficeID == 0 {
			return true
		}
	}
	return false
}

func carrierChart(c *Console, r *Request, t *report.ReceptionTable) template.HTML {
	var bars []rateBar
	for _, l := range t.ByCarrier {
		if l.Carrier == "" {
			continue // never submitted: no rate
		}
		bars = append(bars, rateBar{Label: c.T(r, "carrier."+string(l.Carrier)), Rate: l.Rate()})
	}
	return rateChart(c.T(r, "rep.chart_carriers"), bars)
}

func kindChart(c *Console, r *Request, t *report.ReceptionTable) template.HTML {
	var bars []rateBar
	for _, l := range t.ByKind {
		bars = append(bars, rateBar{Label: c.T(r, "kind."+string(l.Kind)), Rate: l.Rate()})
	}
	return rateChart(c.T(r, "rep.chart_kinds"), bars)
}

// handleReportExport serves GET /reports/{name}/export?format=csv|xlsx: the
// report's tables as CSV (UTF-8 with a byte order mark) or an Excel
// workbook, one row per line with a first column naming its table.
// Numbers are masked unless the user may reveal them. The export is
// recorded in the audit archive, with its query and row count, before the
// file is sent.
func (c *Console) handleReportExport(w http.ResponseWriter, r *Request) error {
	name := r.PathValue("name")
	if !slices.Contains(reportNames, name) {
		return taxsms.Errorf(taxsms.ENOTFOUND, "no such report")
	}
	if err := requireRead(r, reportNeeds(name)); err != nil {
		return err
	}
	format := r.URL.Query().Get("format")
	if format == "" {
		format = "csv"
	}
	if format != "csv" && format != "xlsx" {
		return taxsms.Invalid("format", "%q: want csv or xlsx", format)
	}
	q, err := parseReportQuery(r.URL.Query(), taxsms.DateOf(c.Now().In(c.Location)))
	if err != nil {
		return err
	}
	p := &reportPage{Name: name, Query: q}
	p.setOffices(c.officeChoices(r))
	if err := c.fillReport(r, p); err != nil {
		return err
	}
	full := r.Actor.Has(auth.PermRevealNumbers)
	head, rows := c.reportTable(p, full)
	what := "report " + name
	if full && name == "reception" {
		what += ", numbers in full"
	}
	if err := c.DB.RecordExport(r.Context(), what, q.values().Encode(), len(rows)); err != nil {
		return err
	}
	file := "report-" + name + "-" + c.Now().In(c.Location).Format("20060102-150405")
	h := w.Header()
	h.Set("Cache-Control", "no-store")
	if format == "csv" {
		h.Set("Content-Type", "text/csv; charset=utf-8")
		h.Set("Content-Disposition", `attachment; filename="`+file+`.csv"`)
		w.Write([]byte("\ufeff"))
		cw := csv.NewWriter(w)
		cw.Write(head)
		for _, row := range rows {
			for i := range row {
				row[i] = csvSafe(row[i])
			}
			cw.Write(row)
		}
		cw.Flush()
		return cw.Error()
	}
	x := excelize.NewFile()
	defer x.Close()
	sheet := x.GetSheetName(0)
	sw, err := x.NewStreamWriter(sheet)
	if err != nil {
		return err
	}
	cells := func(row []string) []any {
		out := make([]any, len(row))
		for i, v := range row {
			out[i] = csvSafe(v)
		}
		return out
	}
	if err := sw.SetRow("A1", cells(head)); err != nil {
		return err
	}
	for i, row := range rows {
		cell, _ := excelize.CoordinatesToCellName(1, i+2)
		if err := sw.SetRow(cell, cells(row)); err != nil {
			return err
		}
	}
	if err := sw.Flush(); err != nil {
		return err
	}
	h.Set("Content-Type", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
	h.Set("Content-Disposition", `attachment; filename="`+file+`.xlsx"`)
	return x.Write(w)
}

// reportTable returns the head and rows of p's report for an export; full
// shows numbers in full.
func (c *Console) reportTable(p *reportPage, full bool) ([]string, [][]string) {
	itoa := strconv.Itoa
	id := func(n int64) string { return strconv.FormatInt(n, 10) }
	date := func(d taxsms.Date) string {
		if d.IsZero() {
			return ""
		}
		return d.String()
	}
	var rows [][]string
	switch p.Name {
	case "coverage":
		d := p.Coverage
		head := []string{"section", "office_id", "office", "taxpayer_id", "identifier", "name", "day", "due", "done",
			"taxpayers", "covered", "coverage_rate", "late_registrations", "registrations", "without_service", "unreflected", "changes"}
		for _, l := range d.Lines {
			rows = append(rows, []string{"office", id(l.OfficeID), p.OfficeName(l.OfficeID), "", "", "", "", "", "",
				itoa(l.Covered.Of), itoa(l.Covered.N), l.Covered.String(), itoa(l.LateRegistrations.N), itoa(l.LateRegistrations.Of),
				itoa(l.WithoutService), itoa(l.Unreflected.N), itoa(l.Unreflected.Of)})
		}
		for _, sec := range []struct {
			name string
			rep  *store.LateReport
		}{{"late_registration", d.Late}, {"without_service", d.Without}, {"unreflected_change", d.Changes}} {
			for _, x := range sec.rep.Rows {
				rows = append(rows, []string{sec.name + ":" + x.What, id(x.OfficeID), p.OfficeName(x.OfficeID), id(x.TaxpayerID),
					x.Identifier, x.Name, date(x.Day), date(x.Due), date(x.Done), "", "", "", "", "", "", "", ""})
			}
		}
		return head, rows
	case "reception":
		d := p.Recept
		head := []string{"section", "day", "office", "kind", "carrier", "messages", "segments", "delivered", "failed", "waiting", "rate",
			"taxpayer_id", "identifier", "name", "contact_id", "role", "mobile", "failed_in_a_row", "since", "last", "last_delivered", "reasons"}
		blank := func(n int) []string { return make([]string, n) }
		for _, x := range d.Days {
			r := report.Rate{N: x.Delivered, Of: x.Delivered + x.Failed}
			rows = append(rows, append([]string{"day", x.Day.String(), "", "", "", itoa(x.Messages), "", itoa(x.Delivered), itoa(x.Failed),
				itoa(x.Messages - x.Delivered - x.Failed), r.String()}, blank(11)...))
		}
		for _, l := range d.Table.ByKindCarrier {
			rows = append(rows, append([]string{"kind_carrier", "", "", string(l.Kind), string(l.Carrier), itoa(l.Messages), itoa(l.Segments),
				itoa(l.Delivered), itoa(l.Failed), itoa(l.Waiting), l.Rate().String()}, blank(11)...))
		}
		for _, l := range d.Table.ByOffice {
			rows = append(rows, append([]string{"office", "", p.OfficeName(l.OfficeID), "", "", itoa(l.Messages), itoa(l.Segments),
				itoa(l.Delivered), itoa(l.Failed), itoa(l.Waiting), l.Rate().String()}, blank(11)...))
		}
		for _, f := range d.Failing {
			m := taxsms.MaskMobile(f.Mobile)
			if full {
				m = f.Mobile
			}
			rows = append(rows, append(append([]string{"failing", "", p.OfficeName(f.OfficeID)}, blank(8)...),
				id(f.TaxpayerID), f.Identifier, f.Name, id(f.ContactID), string(f.Role), m, itoa(f.Run), c.stamp(f.Since), c.stamp(f.Last),
				c.stamp(f.Delivered), strings.Join(f.Reasons, "; ")))
		}
		return head, rows
	case "supervision":
		head := []string{"office", "author_id", "author", "login", "campaign_id", "campaign", "day", "kind", "first", "last", "recipients",
			"segments", "delivered", "failed", "waiting", "outside_hours", "emergency", "emergency_reason", "override", "override_reason"}
		for _, g := range p.Super.Groups {
			rows = append(rows, []string{p.OfficeName(g.OfficeID), id(g.AuthorID), g.Author, g.Login, id(g.CampaignID), g.CampaignTitle,
				g.Day.String(), string(g.Kind), c.stamp(g.First), c.stamp(g.Last), itoa(g.Recipients), itoa(g.Segments), itoa(g.Delivered),
				itoa(g.Failed), itoa(g.Waiting), itoa(g.OutsideHours), strconv.FormatBool(g.Emergency), g.EmergencyReason,
				strconv.FormatBool(g.Override), g.OverrideReason})
		}
		return head, rows
	default:
		head := []string{"period", "rule", "office", "reminded", "reminded_done", "reminded_rate", "undelivered", "undelivered_done",
			"undelivered_rate", "none", "none_done", "none_rate", "none_opted_out", "none_no_contact", "gain_points"}
		for _, e := range p.Effect.Lines {
			office := p.OfficeName(e.OfficeID)
			if e.OfficeID == 0 {
				office = "total"
			}
			gain := ""
			if e.HasGain {
				gain = strconv.FormatFloat(e.Gain, 'f', 1, 64)
			}
			rows = append(rows, []string{string(p.Effect.Period), string(e.Rule), office, itoa(e.EffectRow.Delivered.Taxpayers),
				itoa(e.EffectRow.Delivered.Done), e.Delivered.String(), itoa(e.EffectRow.Undelivered.Taxpayers),
				itoa(e.EffectRow.Undelivered.Done), e.Undelivered.String(), itoa(e.EffectRow.None.Taxpayers), itoa(e.EffectRow.None.Done),
				e.None.String(), itoa(e.OptedOut), itoa(e.NoContact), gain})
		}
		return head, rows
	}
}

// lateList is one deadline list of the coverage page.
type lateList struct {
	Title, About string // catalogue keys
	Rep          *store.LateReport
}

// LateLists returns the coverage report's three deadline lists.
func (p *reportPage) LateLists() []lateList {
	if p.Coverage == nil {
		return nil
	}
	return []lateList{
		{"rep.late_registrations", "rep.about_late", p.Coverage.Late},
		{"rep.without_service", "rep.about_without", p.Coverage.Without},
		{"rep.unreflected", "rep.about_unreflected", p.Coverage.Changes},
	}
}
