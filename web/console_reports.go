package web

import (
	"encoding/csv"
	"fmt"
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
	Charts   []template.HTML
	Export   string // the query of the export links
	Coverage *coverageData
	Recept   *receptionData
	Super    *supervisionData
	Effect   *effectData
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
	f.Values.Set("drive_start", s.DriveStart.String())
	f.Values.Set("fail_run", strconv.Itoa(s.FailRun))
	f.Values.Set("fail_days", strconv.Itoa(s.FailDays))
	f.Values.Set("paid_within", strconv.Itoa(s.PaidWithin))
	c.render(w, r, http.StatusOK, "reports", &Page{Title: "rep.title", Data: &reportsIndex{Names: reportNames, Settings: s}, Form: f})
	return nil
}

// handleReportSettings serves POST /reports/settings: the city's settings
// of the reports, recorded in the audit archive by the store.
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
		if err := c.failWith(r, f, c.DB.SetReportSettings(r.Context(), s)); err != nil {
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
// charts.
func (c *Console) handleReport(w http.ResponseWriter, r *Request) error {
	name := r.PathValue("name")
	if !slices.Contains(reportNames, name) {
		return taxsms.Errorf(taxsms.ENOTFOUND, "no such report")
	}
	if err := requireRead(r, reportNeeds(name)); err != nil {
		return err
	}
	f := newForm(r, "office", "from", "to", "period")
	p := &reportPage{Name: name, Names: reportNames}
	p.Offices, p.names = c.officeChoices(r)
	q, err := parseReportQuery(r.URL.Query(), taxsms.DateOf(c.Now().In(c.Location)))
	if err != nil {
		f.Fail(taxsms.ErrorField(err), c.T(r, "form.error", taxsms.ErrorMessage(err)))
		c.render(w, r, http.StatusBadRequest, "report_"+name, &Page{Title: "rep." + name, Data: p, Form: f})
		return nil
	}
	p.Query, p.Export = q, q.values().Encode()
	if err := c.fillReport(r, p); err != nil {
		if taxsms.ErrorCode(err) == taxsms.EINVALID {
			f.Fail(taxsms.ErrorField(err), c.T(r, "form.error", taxsms.ErrorMessage(err)))
			c.render(w, r, http.StatusBadRequest, "report_"+name, &Page{Title: "rep." + name, Data: p, Form: f})
			return nil
		}
		return err
	}
	c.render(w, r, http.StatusOK, "report_"+name, &Page{Title: "rep." + name, Data: p, Form: f})
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
		var cov, late []rateBar
		for _, l := range p.Coverage.Lines {
			cov = append(cov, rateBar{Label: p.OfficeName(l.OfficeID), Rate: l.Covered})
			late = append(late, rateBar{Label: p.OfficeName(l.OfficeID), Rate: l.LateRegistrations})
		}
		p.Charts = []template.HTML{rateChart(c.T(r, "rep.chart_coverage"), cov), rateChart(c.T(r, "rep.chart_late"), late)}
	case "reception":
		if p.Recept, err = rp.reception(ctx, p.Query); err != nil {
			return err
		}
		p.Charts = []template.HTML{carrierChart(c, r, p.Recept.Table), kindChart(c, r, p.Recept.Table)}
	case "supervision":
		if p.Super, err = rp.supervision(ctx, p.Query); err != nil {
			return err
		}
		var bars []bar
		for i, a := range p.Super.Authors {
			if i == 20 {
				break
			}
			bars = append(bars, bar{Label: a.Author, N: a.Recipients})
		}
		p.Charts = []template.HTML{barChart(c.T(r, "rep.chart_authors"), bars)}
	case "effect":
		if p.Effect, err = rp.effect(ctx, p.Query); err != nil {
			return err
		}
		var bars []rateBar
		for _, e := range p.Effect.Lines {
			if e.OfficeID != 0 && len(p.Effect.Lines) > 4 && hasTotal(p.Effect.Lines, e) {
				continue // the chart shows each rule's total
			}
			rule := c.T(r, "remind.rule."+string(e.Rule))
			bars = append(bars,
				rateBar{Label: rule + " · " + c.T(r, "rep.eff_delivered"), Rate: e.Delivered},
				rateBar{Label: rule + " · " + c.T(r, "rep.eff_undelivered"), Rate: e.Undelivered},
				rateBar{Label: rule + " · " + c.T(r, "rep.eff_none"), Rate: e.None})
		}
		p.Charts = []template.HTML{rateChart(c.T(r, "rep.chart_effect"), bars)}
	}
	return nil
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

// rateBar is one bar of a rate chart.
type rateBar struct {
	Label string // translated
	Rate  report.Rate
}

// rateChart draws horizontal bars from 0 to 100% with each rate and its
// count ("95.2% · 952/1,000"); a bar without a denominator shows "—".
// title is the chart's accessible name.
func rateChart(title string, bars []rateBar) template.HTML {
	const (
		width, labelW, valueW = 560, 180, 150
		rowH, barH, pad       = 24, 16, 4
	)
	h := len(bars)*rowH + 2*pad
	var s strings.Builder
	fmt.Fprintf(&s, `<svg class="chart chart-bars chart-rates" viewBox="0 0 %d %d" role="img" aria-labelledby="%s"><title id="%[3]s">%s</title>`,
		width, h, chartID(title), esc(title))
	span := float64(width - labelW - valueW)
	fmt.Fprintf(&s, `<line class="chart-grid" x1="%.1f" x2="%.1f" y1="0" y2="%d"/>`, float64(labelW)+span, float64(labelW)+span, h)
	for i, b := range bars {
		y := pad + i*rowH
		v, ok := b.Rate.Value()
		w := span * v
		if ok && b.Rate.N > 0 && w < 1 {
			w = 1
		}
		value := "—"
		if ok {
			value = b.Rate.String() + " · " + formatInt(b.Rate.N) + "/" + formatInt(b.Rate.Of)
		}
		fmt.Fprintf(&s, `<text class="chart-label" x="%d" y="%d" text-anchor="end">%s</text>`, labelW-8, y+barH-4, esc(b.Label))
		fmt.Fprintf(&s, `<rect class="chart-bar" x="%d" y="%d" width="%.1f" height="%d" rx="2"/>`, labelW, y, w, barH)
		fmt.Fprintf(&s, `<text class="chart-value" x="%.1f" y="%d">%s</text>`, float64(labelW)+w+6, y+barH-4, esc(value))
	}
	s.WriteString(`</svg>`)
	return template.HTML(s.String())
}

// handleReportExport serves GET /reports/{name}/export?format=csv|xlsx: the
// report's table as CSV (UTF-8 with a byte order mark) or an Excel
// workbook. Numbers are masked unless the user may reveal them. The export
// is recorded in the audit archive, with its query and row count, before
// the file is sent.
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
	_, p.names = c.officeChoices(r)
	if err := c.fillReport(r, p); err != nil {
		return err
	}
	full := r.Actor.Has(auth.PermRevealNumbers)
	head, rows := c.reportTable(r, p, full)
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
		return nil
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
func (c *Console) reportTable(r *Request, p *reportPage, full bool) ([]string, [][]string) {
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
		head := []string{"section", "office_id", "office", "identifier", "name", "day", "due", "done", "taxpayers", "covered", "rate"}
		for _, l := range d.Lines {
			rows = append(rows, []string{"office", id(l.OfficeID), p.OfficeName(l.OfficeID), "", "", "", "", "",
				itoa(l.Covered.Of), itoa(l.Covered.N), l.Covered.String()})
		}
		for _, sec := range []struct {
			name string
			rep  *store.LateReport
		}{{"late_registration", d.Late}, {"without_service", d.Without}, {"unreflected_change", d.Changes}} {
			for _, x := range sec.rep.Rows {
				rows = append(rows, []string{sec.name + ":" + x.What, id(x.OfficeID), p.OfficeName(x.OfficeID), x.Identifier, x.Name,
					date(x.Day), date(x.Due), date(x.Done), "", "", ""})
			}
		}
		return head, rows
	case "reception":
		d := p.Recept
		head := []string{"section", "office", "kind", "carrier", "messages", "segments", "delivered", "failed", "waiting", "rate",
			"identifier", "name", "contact_id", "role", "mobile", "failed_in_a_row", "since", "last_delivered", "reasons"}
		for _, l := range d.Table.ByKindCarrier {
			rows = append(rows, []string{"kind_carrier", "", string(l.Kind), string(l.Carrier), itoa(l.Messages), itoa(l.Segments),
				itoa(l.Delivered), itoa(l.Failed), itoa(l.Waiting), l.Rate().String(), "", "", "", "", "", "", "", "", ""})
		}
		for _, l := range d.Table.ByOffice {
			rows = append(rows, []string{"office", p.OfficeName(l.OfficeID), "", "", itoa(l.Messages), itoa(l.Segments),
				itoa(l.Delivered), itoa(l.Failed), itoa(l.Waiting), l.Rate().String(), "", "", "", "", "", "", "", "", ""})
		}
		for _, f := range d.Failing {
			m := taxsms.MaskMobile(f.Mobile)
			if full {
				m = f.Mobile
			}
			rows = append(rows, []string{"failing", p.OfficeName(f.OfficeID), "", "", "", "", "", "", "", "",
				f.Identifier, f.Name, id(f.ContactID), string(f.Role), m, itoa(f.Run), c.stamp(f.Since), c.stamp(f.Delivered), strings.Join(f.Reasons, "; ")})
		}
		return head, rows
	case "supervision":
		head := []string{"office", "author", "login", "campaign_id", "day", "kind", "first", "last", "recipients", "segments",
			"delivered", "failed", "waiting", "outside_hours", "emergency", "override"}
		for _, g := range p.Super.Groups {
			rows = append(rows, []string{p.OfficeName(g.OfficeID), g.Author, g.Login, id(g.CampaignID), g.Day.String(), string(g.Kind),
				c.stamp(g.First), c.stamp(g.Last), itoa(g.Recipients), itoa(g.Segments), itoa(g.Delivered), itoa(g.Failed),
				itoa(g.Waiting), itoa(g.OutsideHours), strconv.FormatBool(g.Emergency), strconv.FormatBool(g.Override)})
		}
		return head, rows
	default:
		head := []string{"rule", "office", "delivered", "delivered_done", "delivered_rate", "undelivered", "undelivered_done",
			"undelivered_rate", "none", "none_done", "none_rate", "none_opted_out", "none_no_contact"}
		for _, e := range p.Effect.Lines {
			office := p.OfficeName(e.OfficeID)
			if e.OfficeID == 0 {
				office = "total"
			}
			rows = append(rows, []string{string(e.Rule), office, itoa(e.EffectRow.Delivered.Taxpayers), itoa(e.EffectRow.Delivered.Done),
				e.Delivered.String(), itoa(e.EffectRow.Undelivered.Taxpayers), itoa(e.EffectRow.Undelivered.Done), e.Undelivered.String(),
				itoa(e.EffectRow.None.Taxpayers), itoa(e.EffectRow.None.Done), e.None.String(), itoa(e.OptedOut), itoa(e.NoContact)})
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
