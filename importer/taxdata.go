package importer

import (
	"math"
	"strconv"
	"strings"
	"time"

	"taxsms"
	"taxsms/invoice"
)

// chinaTime is China Standard Time, the default zone of deduction times.
var chinaTime = time.FixedZone("CST", 8*3600)

// taxpayer returns the id of the taxpayer named by the identifier in column
// col; an empty or unknown identifier is an error, and the id is then 1 so
// that Validate goes on to check the other fields.
func (c *rowCtx) taxpayer(col int) int64 {
	id := normalIdentifier(c.get(col))
	if id == "" {
		c.fail(col, "required")
		return 1
	}
	tp, ok := c.r.taxpayers[id]
	if !ok {
		c.fail(col, "unknown taxpayer (import the taxpayers first)")
		return 1
	}
	return tp
}

// period parses a tax period column; an .xlsx date cell is the month it
// falls in. An empty cell is the zero Period (Validate says it is required).
func (c *rowCtx) period(col int) taxsms.Period {
	v := c.get(col)
	// A date cell's serial number has five digits for any year of a tax
	// period; 2026 and 202611 are typed periods.
	if c.src.isExcel() && len(v) == 5 && !strings.Contains(v, ".") {
		if d, ok := excelDate(v); ok {
			return taxsms.PeriodOf(taxsms.Monthly, d)
		}
	}
	p, err := taxsms.ParsePeriod(v)
	if err != nil {
		c.fail(col, "not a tax period (want 2026-11, 2026Q3 or 2025)")
		return "2000" // so that Validate goes on
	}
	return p
}

// amount parses an amount of yuan into fen. An empty cell is an error if
// the column is required, else 0.
func (c *rowCtx) amount(col int) int64 {
	v := c.get(col)
	if v == "" {
		if c.r.cols[col].required {
			c.fail(col, "required")
		}
		return 0
	}
	if c.src.isExcel() {
		if fen, ok := excelAmount(v); ok {
			return fen
		}
	}
	fen, err := taxsms.ParseYuan(v)
	if err != nil {
		msg := taxsms.ErrorMessage(err)
		if _, why, ok := strings.Cut(msg, ": "); ok {
			msg = why
		}
		c.fail(col, "not an amount of yuan: "+msg)
	}
	return fen
}

// excelAmount reads a number cell of a spreadsheet (a binary double, such
// as 1234.5599999999999) as fen, if it is within a thousandth of a fen of a
// whole number of fen.
func excelAmount(s string) (int64, bool) {
	if strings.ContainsAny(s, ",¥￥元 ") {
		return 0, false
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || f < 0 || f > float64(taxsms.MaxAmount)/100 || math.IsNaN(f) {
		return 0, false
	}
	fen := math.Round(f * 100)
	if math.Abs(f*100-fen) > 0.001 {
		return 0, false
	}
	return int64(fen), true
}

// timeLayouts are the forms of a deduction time, in r.loc unless they say
// their zone.
var timeLayouts = []string{"2006-01-02 15:04:05", "2006-01-02 15:04", "2006/1/2 15:04:05", "2006/1/2 15:04",
	"2006-01-02T15:04:05", "20060102150405", "2006-01-02", "2006/1/2", "20060102"}

// instant parses a date and time column.
func (c *rowCtx) instant(col int) time.Time {
	v := c.get(col)
	if v == "" {
		return time.Time{} // Validate says it is required
	}
	if c.src.isExcel() && !strings.ContainsAny(v, "-/:") {
		if f, err := strconv.ParseFloat(v, 64); err == nil && f >= 1 && f < 2958466 {
			// Days since 1899-12-30, and the fraction of a day.
			d := excelEpoch.AddDate(0, 0, int(f))
			secs := math.Round((f - math.Floor(f)) * 86400)
			return time.Date(d.Year(), d.Month(), d.Day(), 0, 0, int(secs), 0, c.r.loc)
		}
	}
	if t, err := time.Parse(time.RFC3339, v); err == nil {
		return t
	}
	for _, layout := range timeLayouts {
		if t, err := time.ParseInLocation(layout, v, c.r.loc); err == nil {
			return t
		}
	}
	c.fail(col, "not a date and time (want YYYY-MM-DD hh:mm:ss)")
	return time.Unix(0, 0) // so that Validate goes on
}

// taxKey is the key of an obligation row for duplicate detection.
func taxKey(taxpayer int64, taxType string, p taxsms.Period) string {
	return strconv.FormatInt(taxpayer, 10) + "\x00" + taxType + "\x00" + string(p)
}

func (r *run) parseObligation(c *rowCtx) *taxsms.Obligation {
	o := &taxsms.Obligation{
		TaxpayerID: c.taxpayer(xIdentifier),
		TaxType:    c.get(xTaxType),
		Period:     c.period(xPeriod),
		FilingDue:  c.date(xFirst),
		PaymentDue: c.date(xSecond),
	}
	if err := o.Validate(); err != nil {
		c.domain(err)
	}
	return o
}

func (r *run) checkObligation(c *rowCtx, o *taxsms.Obligation) {
	r.dupShown(c, taxKey(o.TaxpayerID, o.TaxType, o.Period), string(o.Period))
}

func (r *run) parseFiling(c *rowCtx) *taxsms.Filing {
	f := &taxsms.Filing{
		TaxpayerID: c.taxpayer(xIdentifier),
		TaxType:    c.get(xTaxType),
		Period:     c.period(xPeriod),
		FiledOn:    c.date(xFirst),
		AmountDue:  c.amount(xSecond),
	}
	if err := f.Validate(); err != nil {
		c.domain(err)
	}
	return f
}

func (r *run) checkFiling(c *rowCtx, f *taxsms.Filing) {
	r.dupShown(c, taxKey(f.TaxpayerID, f.TaxType, f.Period), string(f.Period))
}

func (r *run) parsePayment(c *rowCtx) *taxsms.Payment {
	p := &taxsms.Payment{
		TaxpayerID: c.taxpayer(xIdentifier),
		TaxType:    c.get(xTaxType),
		Period:     c.period(xPeriod),
		PaidOn:     c.date(xFirst),
		Amount:     c.amount(xSecond),
	}
	if err := p.Validate(); err != nil {
		c.domain(err)
	}
	return p
}

func (r *run) checkPayment(c *rowCtx, p *taxsms.Payment) {
	r.dupShown(c, taxKey(p.TaxpayerID, p.TaxType, p.Period), string(p.Period))
}

func (r *run) parseDeduction(c *rowCtx) *taxsms.Deduction {
	d := &taxsms.Deduction{
		TaxpayerID: c.taxpayer(dIdentifier),
		TaxType:    c.get(dTaxType),
		Period:     c.period(dPeriod),
		Amount:     c.amount(dAmount),
		Reason:     c.get(dReason),
		Reference:  excelNumber(c.get(dReference)),
		At:         c.instant(dAt),
	}
	d.Result = taxsms.DeductionOK // until the cell is read; so that Validate goes on
	if c.required(dResult) {
		if v := c.enum(dResult, deductionResults, ""); v != "" {
			d.Result = taxsms.DeductionResult(v)
		}
	}
	if err := d.Validate(); err != nil {
		c.domain(err)
	}
	return d
}

func (r *run) checkDeduction(c *rowCtx, d *taxsms.Deduction) { r.dup(c, d.Reference) }

// invoiceKey is the key of an invoice row for duplicate detection.
func invoiceKey(r *invoice.Record) string { return r.Code + "\x00" + r.Number }

func (r *run) parseInvoice(c *rowCtx) *invoice.Record {
	rec := &invoice.Record{
		Code:       excelNumber(c.get(iCode)),
		Number:     excelNumber(c.get(iNumber)),
		Kind:       invoice.Kind(c.enum(iKind, invoiceKinds, "")),
		SellerName: c.get(iSellerName),
		SellerID:   normalIdentifier(c.get(iSellerID)),
		IssuedOn:   c.date(iIssuedOn),
		Amount:     c.amount(iAmount),
	}
	rec.Status = invoice.StatusValid // until the cell is read; so that Validate goes on
	if c.required(iStatus) {
		if v := c.enum(iStatus, invoiceStatuses, ""); v != "" {
			rec.Status = invoice.Status(v)
		}
	}
	if err := rec.Validate(); err != nil {
		c.domain(err)
	}
	return rec
}

func (r *run) checkInvoice(c *rowCtx, rec *invoice.Record) {
	r.dupShown(c, invoiceKey(rec), rec.Number)
}
