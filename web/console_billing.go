package web

import (
	"context"
	"html/template"
	"net/http"
	"net/url"
	"strconv"

	"taxsms"
	"taxsms/auth"
	"taxsms/billing"
	"taxsms/store"
)

// The billing pages (MISSION R-16): the monthly carrier statement of an
// office subtree with its drill-down, charts and totals (GET /billing), its
// printable form (GET /billing/print), its exports (GET
// /billing/export.csv, GET /billing/export.xlsx), closing a month (POST
// /billing/close), and the tariffs (GET and POST /billing/tariffs, POST
// /billing/tariffs/{id}/end and /delete). Reading needs
// auth.PermViewBilling, within the reader's billing scope (the store
// checks it); changing tariffs and closing months needs
// auth.PermManageSettings, and the store also requires a city
// administrator. Statements hold no numbers of people: nothing to mask.

func (c *Console) billingRoutes(mux *http.ServeMux) {
	c.handle(mux, "GET /billing", auth.PermViewBilling, c.handleBilling)
	c.handle(mux, "GET /billing/print", auth.PermViewBilling, c.handleBillingPrint)
	c.handle(mux, "GET /billing/export.csv", auth.PermExport, c.handleBillingExport("csv"))
	c.handle(mux, "GET /billing/export.xlsx", auth.PermExport, c.handleBillingExport("xlsx"))
	c.handle(mux, "POST /billing/close", auth.PermManageSettings, c.handleBillingClose)
	c.handle(mux, "GET /billing/tariffs", auth.PermViewBilling, c.handleTariffs)
	c.handle(mux, "POST /billing/tariffs", auth.PermManageSettings, c.handleTariffNew)
	c.handle(mux, "POST /billing/tariffs/{id}/end", auth.PermManageSettings, c.handleTariffEnd)
	c.handle(mux, "POST /billing/tariffs/{id}/delete", auth.PermManageSettings, c.handleTariffDelete)
}

// canSeeBilling reports whether a may read some statement.
func canSeeBilling(a *auth.Actor) bool {
	return a.Has(auth.PermViewBilling) && a.Access(auth.DataBilling).Read.Level != auth.LevelNone
}

// billingPage is what the statement pages show.
type billingPage struct {
	Report      *billing.Report
	Month       taxsms.Month
	Prev, Next  taxsms.Month
	Current     bool   // the month is not over
	Query       string // month and office, for the export and print links
	Up          *taxsms.Office
	OfficeChart template.HTML
	KindChart   template.HTML
	CanClose    bool // the viewer may close it, and it may be closed
	Printed     string
}

// statementQuery reads ?month=YYYY-MM (default: this month in the
// bureau's zone) and ?office=ID (default: the viewer's office).
func (c *Console) statementQuery(r *Request) (taxsms.Month, int64, error) {
	q := r.URL.Query()
	m := billing.MonthAt(c.Now())
	if s := q.Get("month"); s != "" {
		var err error
		if m, err = taxsms.ParseMonth(s); err != nil {
			return m, 0, err
		}
	}
	office := r.Actor.OfficeID
	if s := q.Get("office"); s != "" {
		id, err := strconv.ParseInt(s, 10, 64)
		if err != nil || id <= 0 {
			return m, 0, taxsms.Invalid("office", "%q is not an office id", s)
		}
		office = id
	}
	return m, office, nil
}

// loadReport reads the statement the query asks for and arranges it.
func (c *Console) loadReport(r *Request) (*billing.Report, error) {
	m, office, err := c.statementQuery(r)
	if err != nil {
		return nil, err
	}
	ctx := r.Context()
	st, err := c.DB.Statement(ctx, m, office)
	if err != nil {
		return nil, err
	}
	offices, err := subtreeOffices(ctx, c.DB, office)
	if err != nil {
		return nil, err
	}
	return billing.Assemble(st, offices), nil
}

// subtreeOffices returns every office of the subtree of office, however
// many, so that each line of a statement finds its office and the rows by
// office add up to the total.
func subtreeOffices(ctx context.Context, db *store.DB, office int64) ([]*taxsms.Office, error) {
	const page = 1000
	var out []*taxsms.Office
	after := ""
	for {
		os, err := db.ListOfficesAfter(ctx, taxsms.OfficeFilter{Subtree: office, Limit: page}, after)
		if err != nil {
			return nil, err
		}
		out = append(out, os...)
		if len(os) < page {
			return out, nil
		}
		after = os[len(os)-1].Path
	}
}

// billingData fills what both statement pages show.
func (c *Console) billingData(r *Request, rep *billing.Report) *billingPage {
	m := rep.Statement.Month
	today := billing.MonthAt(c.Now())
	d := &billingPage{Report: rep, Month: m, Prev: m.Prev(), Next: m.Next(), Current: m == today}
	d.Query = url.Values{"month": {m.String()}, "office": {strconv.FormatInt(rep.Statement.OfficeID, 10)}}.Encode()
	if rep.Office != nil && rep.Office.ParentID != 0 {
		if up, err := c.DB.FindOffice(r.Context(), rep.Office.ParentID); err == nil && canReadBillingOf(r.Actor, up) {
			d.Up = up
		}
	}
	var bars []bar
	if rep.Own.Segments != 0 || len(rep.Offices) == 0 {
		name := c.T(r, "billing.own")
		if rep.Office != nil {
			name = rep.Office.Name
		}
		bars = append(bars, bar{Label: name, N: int(rep.Own.Segments)})
	}
	for _, row := range rep.Offices {
		bars = append(bars, bar{Label: row.Office.Name, N: int(row.Segments)})
	}
	d.OfficeChart = barChart(c.T(r, "billing.chart_offices", m.String()), bars)
	bars = nil
	for _, row := range rep.Carriers {
		bars = append(bars, bar{Label: c.T(r, "carrier."+string(row.Carrier)), N: int(row.Segments)})
	}
	d.KindChart = barChart(c.T(r, "billing.chart_carriers", m.String()), bars)
	d.CanClose = !rep.Statement.Closed && m.Before(today) && r.Actor.Has(auth.PermManageSettings) &&
		r.Actor.Access(auth.DataBilling).Write.Level == auth.LevelAll
	d.Printed = c.Now().In(c.Location).Format("2006-01-02 15:04")
	return d
}

// canReadBillingOf reports whether a may read the statement of office o.
func canReadBillingOf(a *auth.Actor, o *taxsms.Office) bool {
	return a.Access(auth.DataBilling).Read.Contains(o.Path, 0)
}

// handleBilling serves GET /billing?month=YYYY-MM&office=ID: the
// statement of an office subtree for a month.
func (c *Console) handleBilling(w http.ResponseWriter, r *Request) error {
	rep, err := c.loadReport(r)
	if err != nil {
		return err
	}
	c.render(w, r, http.StatusOK, "billing", &Page{Title: "billing.title", Data: c.billingData(r, rep)})
	return nil
}

// handleBillingPrint serves GET /billing/print?month=YYYY-MM&office=ID:
// the statement laid out for paper.
func (c *Console) handleBillingPrint(w http.ResponseWriter, r *Request) error {
	rep, err := c.loadReport(r)
	if err != nil {
		return err
	}
	c.render(w, r, http.StatusOK, "billing_print", &Page{Title: "billing.print_title", Data: c.billingData(r, rep)})
	return nil
}

// handleBillingExport serves GET /billing/export.csv and
// /billing/export.xlsx?month=YYYY-MM&office=ID: the statement as a
// spreadsheet. The export is recorded in the audit archive first.
func (c *Console) handleBillingExport(format string) HandlerFunc {
	return func(w http.ResponseWriter, r *Request) error {
		rep, err := c.loadReport(r)
		if err != nil {
			return err
		}
		m := rep.Statement.Month
		q := url.Values{"month": {m.String()}, "office": {strconv.FormatInt(rep.Statement.OfficeID, 10)}}
		if err := c.DB.RecordExport(r.Context(), "statement", q.Encode(), len(rep.Lines)); err != nil {
			return err
		}
		name := "statement-" + m.String() + "-" + strconv.FormatInt(rep.Statement.OfficeID, 10)
		h := w.Header()
		h.Set("Cache-Control", "no-store")
		if format == "csv" {
			h.Set("Content-Type", "text/csv; charset=utf-8")
			h.Set("Content-Disposition", `attachment; filename="`+name+`.csv"`)
			return rep.WriteCSV(w)
		}
		h.Set("Content-Type", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
		h.Set("Content-Disposition", `attachment; filename="`+name+`.xlsx"`)
		return rep.WriteXLSX(w)
	}
}

// handleBillingClose serves POST /billing/close: closes the month of the
// form ("month") once "confirm" is ticked.
func (c *Console) handleBillingClose(w http.ResponseWriter, r *Request) error {
	f := newForm(r, "month", "confirm")
	back := "/billing?" + url.Values{"month": {f.Get("month")}}.Encode()
	m, err := taxsms.ParseMonth(f.Get("month"))
	if err != nil {
		return err
	}
	if f.Get("confirm") == "" {
		c.redirectError(w, r, back, "billing.confirm_needed")
		return nil
	}
	if err := c.DB.CloseMonth(r.Context(), m); err != nil {
		switch taxsms.ErrorCode(err) {
		case taxsms.ECONFLICT, taxsms.EINVALID:
			c.redirectError(w, r, back, "billing.close_refused", taxsms.ErrorMessage(err))
			return nil
		}
		return err
	}
	c.redirect(w, r, back, "billing.closed_flash", m.String())
	return nil
}

// tariffsPage is what GET /billing/tariffs shows.
type tariffsPage struct {
	Tariffs   []*taxsms.Tariff
	Carriers  []taxsms.Carrier
	Kinds     []taxsms.Kind
	CanManage bool
}

// tariffFields are the fields of the new tariff form.
var tariffFields = []string{"carrier", "kind", "price", "valid_from", "valid_to"}

// handleTariffs serves GET /billing/tariffs: the tariffs, and the form to
// add one for those who may.
func (c *Console) handleTariffs(w http.ResponseWriter, r *Request) error {
	return c.renderTariffs(w, r, http.StatusOK, newForm(r, tariffFields...))
}

func (c *Console) renderTariffs(w http.ResponseWriter, r *Request, status int, f *Form) error {
	ts, err := c.DB.ListTariffs(r.Context())
	if err != nil {
		return err
	}
	// Every kind: MT messages of kind interactive (self-service notices)
	// are billed too; MO never are, whatever the tariffs.
	d := &tariffsPage{Tariffs: ts, Kinds: taxsms.Kinds,
		Carriers:  []taxsms.Carrier{taxsms.CarrierMobile, taxsms.CarrierUnicom, taxsms.CarrierTelecom, taxsms.CarrierBroadnet},
		CanManage: r.Actor.Has(auth.PermManageSettings) && r.Actor.Access(auth.DataBilling).Write.Level == auth.LevelAll}
	c.render(w, r, status, "billing_tariffs", &Page{Title: "billing.tariffs_title", Form: f, Data: d})
	return nil
}

// handleTariffNew serves POST /billing/tariffs: adds a tariff.
func (c *Console) handleTariffNew(w http.ResponseWriter, r *Request) error {
	f := newForm(r, tariffFields...)
	t := &taxsms.Tariff{Carrier: taxsms.Carrier(f.Get("carrier")), Kind: taxsms.Kind(f.Get("kind"))}
	var err error
	if t.Price, err = taxsms.ParseMilliYuan("price", f.Get("price")); err != nil {
		if err := c.failWith(r, f, err); err != nil {
			return err
		}
	}
	for _, d := range []struct {
		field string
		to    *taxsms.Date
	}{{"valid_from", &t.ValidFrom}, {"valid_to", &t.ValidTo}} {
		if *d.to, err = taxsms.ParseDate(f.Get(d.field)); err != nil {
			f.Fail(d.field, c.T(r, "billing.bad_date", f.Get(d.field)))
		}
	}
	if f.OK() {
		if err := c.failWith(r, f, c.DB.SetTariff(r.Context(), t)); err != nil {
			return err
		}
	}
	if !f.OK() {
		return c.renderTariffs(w, r, http.StatusBadRequest, f)
	}
	c.redirect(w, r, "/billing/tariffs", "billing.tariff_added", c.T(r, "carrier."+string(t.Carrier)), c.T(r, "kind."+string(t.Kind)), t.Price.String())
	return nil
}

// pathTariff returns the tariff of r's path, or ENOTFOUND.
func (c *Console) pathTariff(r *Request) (*taxsms.Tariff, error) {
	id, err := r.pathID()
	if err != nil {
		return nil, err
	}
	return findTariff(r.Context(), c.DB, id)
}

// handleTariffEnd serves POST /billing/tariffs/{id}/end: the tariff's
// last day becomes "valid_to".
func (c *Console) handleTariffEnd(w http.ResponseWriter, r *Request) error {
	t, err := c.pathTariff(r)
	if err != nil {
		return err
	}
	f := newForm(r, "valid_to")
	end, err := taxsms.ParseDate(f.Get("valid_to"))
	if err != nil || end.IsZero() {
		c.redirectError(w, r, "/billing/tariffs", "billing.bad_date", f.Get("valid_to"))
		return nil
	}
	t.ValidTo = end
	if err := c.DB.SetTariff(r.Context(), t); err != nil {
		switch taxsms.ErrorCode(err) {
		case taxsms.ECONFLICT, taxsms.EINVALID:
			c.redirectError(w, r, "/billing/tariffs", "billing.tariff_refused", taxsms.ErrorMessage(err))
			return nil
		}
		return err
	}
	c.redirect(w, r, "/billing/tariffs", "billing.tariff_ended", strconv.FormatInt(t.ID, 10), end.String())
	return nil
}

// handleTariffDelete serves POST /billing/tariffs/{id}/delete: removes a
// tariff entered in error, once "confirm" is ticked.
func (c *Console) handleTariffDelete(w http.ResponseWriter, r *Request) error {
	t, err := c.pathTariff(r)
	if err != nil {
		return err
	}
	if newForm(r, "confirm").Get("confirm") == "" {
		c.redirectError(w, r, "/billing/tariffs", "billing.confirm_needed")
		return nil
	}
	if err := c.DB.DeleteTariff(r.Context(), t.ID); err != nil {
		if taxsms.ErrorCode(err) == taxsms.ECONFLICT {
			c.redirectError(w, r, "/billing/tariffs", "billing.tariff_refused", taxsms.ErrorMessage(err))
			return nil
		}
		return err
	}
	c.redirect(w, r, "/billing/tariffs", "billing.tariff_deleted", strconv.FormatInt(t.ID, 10))
	return nil
}
