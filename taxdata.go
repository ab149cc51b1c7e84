package taxsms

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Tax data comes from the bureau's core systems (by file import or the REST
// API): filing obligations with their deadlines, the filings and payments
// received against them, and the treasury's deduction results. The four
// automatic reminders read it.

// PeriodKind is how long a tax period is.
type PeriodKind string

// Period kinds.
const (
	Monthly   PeriodKind = "monthly"
	Quarterly PeriodKind = "quarterly"
	Annual    PeriodKind = "annual"
)

// Period is the tax period an obligation belongs to (所属期), in its normal
// form: "2026-11" for a month, "2026Q3" for a quarter, "2025" for a year.
// The zero Period is "not set". Use ParsePeriod to read one.
type Period string

// ParsePeriod reads a period as staff and the core systems write it:
//
//	2026-11, 2026/11, 2026.11, 202611, 2026年11月, 2026-1   a month
//	2026Q3, 2026q3, 2026-Q3, 2026 Q3, 2026年第3季度, 2026年3季度  a quarter
//	2025, 2025年, 2025年度                                  a year
//
// and returns it in normal form. Years run from 1990 to 2099. An empty
// string is the zero Period; anything else that is not a period is EINVALID.
func ParsePeriod(s string) (Period, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return "", nil
	}
	bad := Errorf(EINVALID, "%q is not a tax period (want 2026-11, 2026Q3 or 2025)", s)
	if len(s) < 4 {
		return "", bad
	}
	year, err := strconv.Atoi(s[:4])
	if err != nil || year < 1990 || year > 2099 || s[0] == '+' || s[0] == '-' {
		return "", bad
	}
	rest := s[4:]
	switch rest {
	case "", "年", "年度":
		return Period(s[:4]), nil
	}
	// digits returns v as a number from 1 to max, if it is one or two digits.
	digits := func(v string, max int) (int, bool) {
		if v == "" || len(v) > 2 {
			return 0, false
		}
		n := 0
		for i := 0; i < len(v); i++ {
			if v[i] < '0' || v[i] > '9' {
				return 0, false
			}
			n = n*10 + int(v[i]-'0')
		}
		return n, n >= 1 && n <= max
	}
	if len(rest) == 2 && rest[0] >= '0' && rest[0] <= '9' { // 202611
		if n, ok := digits(rest, 12); ok {
			return Period(fmt.Sprintf("%04d-%02d", year, n)), nil
		}
		return "", bad
	}
	zh := strings.HasPrefix(rest, "年")
	switch {
	case zh:
		rest = strings.TrimPrefix(rest, "年")
	case rest[0] == '-' || rest[0] == '/' || rest[0] == '.' || rest[0] == ' ':
		rest = rest[1:]
	default:
		if rest[0] != 'Q' && rest[0] != 'q' {
			return "", bad
		}
	}
	if v, ok := strings.CutPrefix(strings.ToUpper(rest), "Q"); ok { // a quarter
		if n, ok := digits(v, 4); ok && len(v) == 1 {
			return Period(fmt.Sprintf("%04dQ%d", year, n)), nil
		}
		return "", bad
	}
	if v, ok := strings.CutSuffix(strings.TrimPrefix(rest, "第"), "季度"); ok && zh {
		if n, ok := digits(v, 4); ok && len(v) == 1 {
			return Period(fmt.Sprintf("%04dQ%d", year, n)), nil
		}
		if i := strings.Index("一二三四", v); v != "" && i >= 0 && len(v) == 3 {
			return Period(fmt.Sprintf("%04dQ%d", year, i/3+1)), nil
		}
		return "", bad
	}
	m, ok := strings.CutSuffix(rest, "月")
	if ok != zh {
		return "", bad
	}
	if n, ok := digits(m, 12); ok {
		return Period(fmt.Sprintf("%04d-%02d", year, n)), nil
	}
	return "", bad
}

// Kind returns the period's length, or "" if p is not in normal form.
func (p Period) Kind() PeriodKind {
	if _, _, k, ok := p.parts(); ok {
		return k
	}
	return ""
}

// Valid reports whether p is a period in normal form.
func (p Period) Valid() bool { _, _, _, ok := p.parts(); return ok }

// parts splits a normal-form period into its year and its month or quarter.
func (p Period) parts() (year, n int, kind PeriodKind, ok bool) {
	s := string(p)
	if len(s) < 4 {
		return 0, 0, "", false
	}
	for i := 0; i < 4; i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, 0, "", false
		}
	}
	year, _ = strconv.Atoi(s[:4])
	if year < 1990 || year > 2099 {
		return 0, 0, "", false
	}
	switch {
	case len(s) == 4:
		return year, 0, Annual, true
	case len(s) == 6 && s[4] == 'Q' && s[5] >= '1' && s[5] <= '4':
		return year, int(s[5] - '0'), Quarterly, true
	case len(s) == 7 && s[4] == '-' && s[5] >= '0' && s[5] <= '1' && s[6] >= '0' && s[6] <= '9':
		n, _ = strconv.Atoi(s[5:])
		if n >= 1 && n <= 12 {
			return year, n, Monthly, true
		}
	}
	return 0, 0, "", false
}

// Start returns the first day of the period, the zero Date if p is not valid.
func (p Period) Start() Date {
	y, n, k, ok := p.parts()
	switch {
	case !ok:
		return Date{}
	case k == Monthly:
		return Date{y, time.Month(n), 1}
	case k == Quarterly:
		return Date{y, time.Month(3*n - 2), 1}
	}
	return Date{y, time.January, 1}
}

// End returns the last day of the period, the zero Date if p is not valid.
func (p Period) End() Date {
	y, n, k, ok := p.parts()
	if !ok {
		return Date{}
	}
	next := time.Date(y+1, time.January, 1, 0, 0, 0, 0, time.UTC)
	switch k {
	case Monthly:
		next = time.Date(y, time.Month(n)+1, 1, 0, 0, 0, 0, time.UTC)
	case Quarterly:
		next = time.Date(y, time.Month(3*n)+1, 1, 0, 0, 0, 0, time.UTC)
	}
	return DateOf(next.AddDate(0, 0, -1))
}

// PeriodOf returns the period of kind k that contains d.
func PeriodOf(k PeriodKind, d Date) Period {
	switch k {
	case Monthly:
		return Period(fmt.Sprintf("%04d-%02d", d.Year, int(d.Month)))
	case Quarterly:
		return Period(fmt.Sprintf("%04dQ%d", d.Year, (int(d.Month)+2)/3))
	}
	return Period(fmt.Sprintf("%04d", d.Year))
}

// String returns the period in normal form.
func (p Period) String() string { return string(p) }

// checkPeriod validates a required period.
func checkPeriod(p Period) error {
	if p == "" {
		return Invalid("period", "required")
	}
	if !p.Valid() {
		return Invalid("period", "%q: want 2026-11, 2026Q3 or 2025", string(p))
	}
	return nil
}

// checkTaxType validates a tax type as Taxpayer.TaxTypes holds them, such as
// 增值税 or 企业所得税.
func checkTaxType(tt string) error {
	if strings.ContainsAny(tt, ",;") {
		return Invalid("tax_type", "%q: a tax type may not contain ',' or ';'", tt)
	}
	return checkText("tax_type", tt, 1, 40)
}

// MaxAmount is the largest amount accepted, in fen: 10¹⁵ fen, ten trillion
// yuan, far above any one tax bill and far below the limits of int64.
const MaxAmount = 1_000_000_000_000_000

// ParseYuan reads an amount of yuan written as text — "1234.56", "1,234.5",
// "¥1234", "1234.00元" — and returns it in fen, exactly (no floating
// point). More than two decimals are accepted only if the extra ones are
// zeros. A negative amount, an empty string or an amount above MaxAmount is
// EINVALID.
func ParseYuan(s string) (int64, error) {
	orig := s
	s = strings.TrimSpace(s)
	s = strings.TrimPrefix(strings.TrimPrefix(s, "¥"), "￥")
	s = strings.TrimSpace(strings.TrimSuffix(s, "元"))
	bad := func(why string) (int64, error) {
		return 0, Errorf(EINVALID, "%q is not an amount of yuan: %s", strings.TrimSpace(orig), why)
	}
	if s == "" {
		return bad("empty")
	}
	if s[0] == '-' {
		return bad("negative")
	}
	s = strings.TrimPrefix(s, "+")
	whole, frac, hasDot := strings.Cut(s, ".")
	if whole == "" && !hasDot {
		return bad("no digits")
	}
	if strings.Contains(whole, ",") {
		// Thousands separators: groups of three after the first.
		groups := strings.Split(whole, ",")
		if len(groups[0]) == 0 || len(groups[0]) > 3 {
			return bad("misplaced ','")
		}
		for _, g := range groups[1:] {
			if len(g) != 3 {
				return bad("misplaced ','")
			}
		}
		whole = strings.Join(groups, "")
	}
	if whole == "" && frac == "" {
		return bad("no digits")
	}
	for _, r := range whole {
		if r < '0' || r > '9' {
			return bad(fmt.Sprintf("unexpected character %q", r))
		}
	}
	for i, r := range frac {
		if r < '0' || r > '9' {
			return bad(fmt.Sprintf("unexpected character %q", r))
		}
		if i >= 2 && r != '0' {
			return bad("more than 2 decimals")
		}
	}
	whole = strings.TrimLeft(whole, "0")
	if len(whole) > 14 { // MaxAmount is 10¹³ yuan, 14 digits
		return bad("too large")
	}
	var fen int64
	for i := 0; i < len(whole); i++ {
		fen = fen*10 + int64(whole[i]-'0')
	}
	fen *= 100
	if len(frac) > 0 {
		fen += int64(frac[0]-'0') * 10
	}
	if len(frac) > 1 {
		fen += int64(frac[1] - '0')
	}
	if fen > MaxAmount {
		return bad("too large")
	}
	return fen, nil
}

// FormatYuan writes an amount in fen as yuan with two decimals: 123456 is
// "1234.56", -5 is "-0.05".
func FormatYuan(fen int64) string {
	sign := ""
	u := uint64(fen)
	if fen < 0 {
		sign, u = "-", uint64(-(fen+1))+1 // math.MinInt64 too
	}
	return fmt.Sprintf("%s%d.%02d", sign, u/100, u%100)
}

// checkAmount validates an amount in fen: 0 to MaxAmount.
func checkAmount(field string, fen int64) error {
	if fen < 0 {
		return Invalid(field, "%s: may not be negative", FormatYuan(fen))
	}
	if fen > MaxAmount {
		return Invalid(field, "%s: at most %s", FormatYuan(fen), FormatYuan(MaxAmount))
	}
	return nil
}

// checkKey validates the key shared by all tax data: taxpayer, tax type and
// period.
func checkKey(taxpayer int64, taxType string, p Period) error {
	if taxpayer <= 0 {
		return Invalid("taxpayer", "required")
	}
	if err := checkTaxType(taxType); err != nil {
		return err
	}
	return checkPeriod(p)
}

// Obligation is a taxpayer's duty to file (and pay) one tax for one period
// by its deadlines (申报期限, 缴款期限). It is known by its taxpayer, tax
// type and period. The store gathers onto it what the filings and payments
// say: whether and when it was filed, the amount due, and what was paid.
type Obligation struct {
	TaxpayerID int64
	TaxType    string // as in Taxpayer.TaxTypes, e.g. 增值税
	Period     Period
	FilingDue  Date // the last day to file
	PaymentDue Date // the last day to pay; Validate sets it to FilingDue if zero

	// Gathered from filings and payments; not set by an obligations import.
	FiledOn    Date
	AmountDue  int64 // fen, as filed
	PaidOn     Date
	AmountPaid int64 // fen

	CreatedAt time.Time
	UpdatedAt time.Time
}

// Validate returns an EINVALID error naming the first bad field: taxpayer,
// tax_type, period, filing_due (required, not before the period starts) or
// payment_due (not before filing_due). A zero PaymentDue becomes FilingDue.
func (o *Obligation) Validate() error {
	if err := checkKey(o.TaxpayerID, o.TaxType, o.Period); err != nil {
		return err
	}
	if o.FilingDue.IsZero() {
		return Invalid("filing_due", "required")
	}
	if start := o.Period.Start(); o.FilingDue.Before(start) {
		return Invalid("filing_due", "%s is before the period %s starts", o.FilingDue, o.Period)
	}
	if o.PaymentDue.IsZero() {
		o.PaymentDue = o.FilingDue
	}
	if o.PaymentDue.Before(o.FilingDue) {
		return Invalid("payment_due", "%s is before the filing deadline %s", o.PaymentDue, o.FilingDue)
	}
	return nil
}

// Filed reports whether a filing was received for the obligation.
func (o *Obligation) Filed() bool { return !o.FiledOn.IsZero() }

// Unpaid returns what is still to be paid of what was filed, in fen.
func (o *Obligation) Unpaid() int64 { return max(o.AmountDue-o.AmountPaid, 0) }

// Filing is a return received (申报): the taxpayer filed the tax for the
// period on FiledOn, declaring AmountDue. A later filing of the same
// obligation (a correction) replaces the earlier.
type Filing struct {
	TaxpayerID int64
	TaxType    string
	Period     Period
	FiledOn    Date
	AmountDue  int64 // fen; 0 for a nil return
}

// Validate returns an EINVALID error naming the first bad field.
func (f *Filing) Validate() error {
	if err := checkKey(f.TaxpayerID, f.TaxType, f.Period); err != nil {
		return err
	}
	if f.FiledOn.IsZero() {
		return Invalid("filed_on", "required")
	}
	return checkAmount("amount_due", f.AmountDue)
}

// Payment is what the taxpayer has paid of an obligation (入库), as the core
// system reports it: Amount is the total paid for the obligation up to
// PaidOn, not one instalment, so that receiving the same report twice changes
// nothing.
type Payment struct {
	TaxpayerID int64
	TaxType    string
	Period     Period
	PaidOn     Date
	Amount     int64 // fen, in total
}

// Validate returns an EINVALID error naming the first bad field.
func (p *Payment) Validate() error {
	if err := checkKey(p.TaxpayerID, p.TaxType, p.Period); err != nil {
		return err
	}
	if p.PaidOn.IsZero() {
		return Invalid("paid_on", "required")
	}
	if err := checkAmount("amount_paid", p.Amount); err != nil {
		return err
	}
	if p.Amount == 0 {
		return Invalid("amount_paid", "must be more than 0")
	}
	return nil
}

// DeductionResult is the outcome of a treasury deduction (扣款).
type DeductionResult string

// Deduction results.
const (
	DeductionOK     DeductionResult = "success"
	DeductionFailed DeductionResult = "failed"
)

// Deduction is the result of one attempt by the treasury to debit the
// taxpayer's bank account for a tax (三方协议扣款). Reference, the bank's or
// treasury's serial number (流水号), identifies it.
type Deduction struct {
	ID         int64 // set by the store
	Reference  string
	TaxpayerID int64
	TaxType    string
	Period     Period
	Amount     int64 // fen
	Result     DeductionResult
	Reason     string    // why it failed, as the bank says (余额不足, 账户冻结, ...)
	At         time.Time // when the bank answered

	// RemindedAt is when the failed-deduction reminder was planned; zero
	// until then. Set by the store.
	RemindedAt time.Time
}

// Validate returns an EINVALID error naming the first bad field.
func (d *Deduction) Validate() error {
	d.Reference = strings.TrimSpace(d.Reference)
	if d.Reference == "" {
		return Invalid("reference", "required")
	}
	if err := checkText("reference", d.Reference, 1, 64); err != nil {
		return err
	}
	if err := checkKey(d.TaxpayerID, d.TaxType, d.Period); err != nil {
		return err
	}
	if err := checkAmount("amount", d.Amount); err != nil {
		return err
	}
	switch d.Result {
	case DeductionOK, DeductionFailed:
	case "":
		return Invalid("result", "required")
	default:
		return Invalid("result", "want success or failed, got %q", d.Result)
	}
	if err := checkText("reason", d.Reason, 0, 200); err != nil {
		return err
	}
	if d.At.IsZero() {
		return Invalid("at", "required")
	}
	return nil
}

// Due is what one reminder is about: a taxpayer's obligations of one period
// that call for the same reminder (not filed by a deadline, or filed and not
// paid), or one failed deduction, with what the message needs to say and
// the contacts to send it to.
type Due struct {
	TaxpayerID  int64
	Name        string // the taxpayer's
	OfficeID    int64
	OfficeName  string
	OfficePhone string

	Period   Period
	TaxTypes []string // the obligations' tax types, sorted
	// FilingDue is, for obligations not filed, their filing deadline (the
	// day looked up); PaymentDue, for those not paid, their payment
	// deadline. The other is zero.
	FilingDue  Date
	PaymentDue Date
	// Amount is, for unpaid tax, what is still to be paid (in fen, over
	// TaxTypes); for a failed deduction, the deduction's amount; else 0.
	Amount int64

	// Deduction is the failed deduction, for that reminder; else nil.
	Deduction *Deduction

	Contacts []DueContact // the taxpayer's contacts whose service is active, by id
}

// DueContact is a contact a reminder goes to.
type DueContact struct {
	ID     int64
	Role   ContactRole
	Name   string
	Mobile string // in the clear: the reminder is sent to it
}
