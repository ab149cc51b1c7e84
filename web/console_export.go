package web

import (
	"context"
	"encoding/csv"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"taxsms"
	"taxsms/auth"
)

// exportPage is how many taxpayers the export reads at a time.
const exportPage = 500

// handleTaxpayersExport serves GET /taxpayers/export.csv: the taxpayers the
// search form selects (in the user's scope), one row per contact, as CSV
// for a spreadsheet (UTF-8 with a byte order mark). Numbers are masked
// unless the user may reveal them. The export is recorded in the audit
// archive before the first row is written, with its filter and whether
// numbers were in full, so that nothing leaves unrecorded; it costs one
// query per page of taxpayers and one per taxpayer for its contacts.
func (c *Console) handleTaxpayersExport(w http.ResponseWriter, r *Request) error {
	if err := requireRead(r, auth.DataTaxpayers); err != nil {
		return err
	}
	f := newForm(r, taxpayerSearchFields...)
	filter := c.taxpayerFilter(r, f)
	if !f.OK() {
		return taxsms.Invalid("filter", "%s", strings.Join(mapValues(f.Errors), "; "))
	}
	full := r.Actor.Has(auth.PermRevealNumbers)
	what := "taxpayers"
	if full {
		what = "taxpayers, numbers in full"
	}
	q := url.Values{}
	for _, k := range taxpayerSearchFields {
		if v := strings.TrimSpace(r.URL.Query().Get(k)); v != "" {
			q.Set(k, v)
		}
	}
	ctx := r.Context()
	if err := c.DB.RecordExport(ctx, what, q.Encode(), -1); err != nil {
		return err
	}
	h := w.Header()
	h.Set("Content-Type", "text/csv; charset=utf-8")
	h.Set("Content-Disposition", `attachment; filename="taxpayers-`+c.Now().In(c.Location).Format("20060102-150405")+`.csv"`)
	h.Set("Cache-Control", "no-store")
	w.Write([]byte("\ufeff"))
	cw := csv.NewWriter(w)
	cw.Write([]string{"identifier", "name", "office_id", "registration", "contact_role", "contact_name", "mobile", "service"})
	filter.Limit = exportPage
	rows := 0
	for {
		page, err := c.DB.ListTaxpayers(ctx, filter)
		if err != nil {
			return c.exportFailed(ctx, rows, err)
		}
		for _, t := range page {
			cs, err := c.DB.ListContacts(ctx, t.ID)
			if err != nil {
				return c.exportFailed(ctx, rows, err)
			}
			row := []string{csvSafe(t.Identifier), csvSafe(t.Name), strconv.FormatInt(t.OfficeID, 10), string(t.RegStatus)}
			if len(cs) == 0 {
				cw.Write(append(row, "", "", "", ""))
				rows++
			}
			for _, ct := range cs {
				m := taxsms.MaskMobile(ct.Mobile)
				if full {
					m = ct.Mobile
				}
				cw.Write(append(row, string(ct.Role), csvSafe(ct.Name), m, string(ct.Status)))
				rows++
			}
			filter.After = t.ID
		}
		if len(page) < exportPage {
			break
		}
	}
	cw.Flush()
	c.logger.Info("console: taxpayers exported", "user", r.Actor.Login, "rows", rows, "numbers_in_full", full)
	return nil
}

// exportFailed logs an export cut short: its head is already sent, so the
// user sees a short file.
func (c *Console) exportFailed(ctx context.Context, rows int, err error) error {
	if ctx.Err() == nil {
		c.logger.Error("console: taxpayers export", "rows", rows, "err", err)
	}
	return nil
}
