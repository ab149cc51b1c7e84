package web

import (
	"context"
	"encoding/json"
	"fmt"
	"iter"
	"net/http"
	"strings"
	"time"

	"taxsms"
	"taxsms/auth"
	"taxsms/store"
)

// Tax data from the core systems: POST /api/v1/obligations, /filings,
// /payments and /deductions each take a batch of up to MaxBatch rows,
// checked whole before anything is stored, and upsert it in one
// transaction, so that posting the same batch again changes nothing. Only
// the platform and the city's administrators may post (the store's rule for
// bulk tax data): an API key reaches a subtree of offices, which is not
// enough, so today the core systems post with the bootstrap key.

// maxTaxBody bounds the body of a tax data batch: 10,000 deductions with
// reasons of 200 Chinese characters.
const maxTaxBody = 16 << 20

// taxTaxpayerIn names the taxpayer of a row: by identifier (USCC, resident
// ID or taxpayer number, in any accepted form) or by id, one of the two.
type taxTaxpayerIn struct {
	Identifier string `json:"identifier,omitempty"`
	TaxpayerID int64  `json:"taxpayer_id,omitempty"`
}

// obligationIn is a row of POST /api/v1/obligations.
type obligationIn struct {
	taxTaxpayerIn
	TaxType    string `json:"tax_type"`
	Period     string `json:"period"`
	FilingDue  string `json:"filing_due"`
	PaymentDue string `json:"payment_due,omitempty"` // default filing_due
}

// filingIn is a row of POST /api/v1/filings.
type filingIn struct {
	taxTaxpayerIn
	TaxType   string `json:"tax_type"`
	Period    string `json:"period"`
	FiledOn   string `json:"filed_on"`
	AmountDue string `json:"amount_due"` // yuan, "1234.56"
}

// paymentIn is a row of POST /api/v1/payments.
type paymentIn struct {
	taxTaxpayerIn
	TaxType    string `json:"tax_type"`
	Period     string `json:"period"`
	PaidOn     string `json:"paid_on"`
	AmountPaid string `json:"amount_paid"` // yuan, in total
}

// deductionIn is a row of POST /api/v1/deductions.
type deductionIn struct {
	taxTaxpayerIn
	Reference string `json:"reference"`
	TaxType   string `json:"tax_type"`
	Period    string `json:"period"`
	Amount    string `json:"amount"` // yuan
	Result    string `json:"result"` // success or failed
	Reason    string `json:"reason,omitempty"`
	At        string `json:"at"` // RFC 3339
}

// resolver returns the id of the taxpayer a row names by identifier or id,
// or an EINVALID error naming identifier or taxpayer_id.
type resolver func(ctx context.Context, identifier string, id int64) (int64, error)

// taxpayerID resolves the taxpayer of a row.
func (in taxTaxpayerIn) taxpayerID(ctx context.Context, resolve resolver) (int64, error) {
	switch {
	case in.Identifier == "" && in.TaxpayerID == 0:
		return 0, taxsms.Invalid("identifier", "required (or taxpayer_id)")
	case in.Identifier != "" && in.TaxpayerID != 0:
		return 0, taxsms.Invalid("taxpayer_id", "give identifier or taxpayer_id, not both")
	case in.TaxpayerID < 0:
		return 0, taxsms.Invalid("taxpayer_id", "%d is not an id", in.TaxpayerID)
	}
	return resolve(ctx, in.Identifier, in.TaxpayerID)
}

// taxPeriod reads a required period.
func taxPeriod(s string) (taxsms.Period, error) {
	if strings.TrimSpace(s) == "" {
		return "", taxsms.Invalid("period", "required")
	}
	p, err := taxsms.ParsePeriod(s)
	if err != nil {
		return "", taxsms.Invalid("period", "%s", taxsms.ErrorMessage(err))
	}
	return p, nil
}

// taxDate reads a date written YYYY-MM-DD; "" is the zero Date.
func taxDate(field, s string) (taxsms.Date, error) {
	if s == "" {
		return taxsms.Date{}, nil
	}
	d, err := taxsms.ParseDate(s)
	if err != nil || d.String() != s {
		return taxsms.Date{}, taxsms.Invalid(field, "%q is not a date (want YYYY-MM-DD)", s)
	}
	return d, nil
}

// taxAmount reads a required amount of yuan, exactly, into fen.
func taxAmount(field, s string) (int64, error) {
	if s == "" {
		return 0, taxsms.Invalid(field, "required (yuan as a string, \"1234.56\")")
	}
	fen, err := taxsms.ParseYuan(s)
	if err != nil {
		return 0, taxsms.Invalid(field, "%s", taxsms.ErrorMessage(err))
	}
	return fen, nil
}

// obligation converts and validates a row.
func (in obligationIn) obligation(ctx context.Context, resolve resolver) (*taxsms.Obligation, error) {
	o := &taxsms.Obligation{TaxType: strings.TrimSpace(in.TaxType)}
	var err error
	if o.TaxpayerID, err = in.taxpayerID(ctx, resolve); err != nil {
		return nil, err
	}
	if o.Period, err = taxPeriod(in.Period); err != nil {
		return nil, err
	}
	if o.FilingDue, err = taxDate("filing_due", in.FilingDue); err != nil {
		return nil, err
	}
	if o.PaymentDue, err = taxDate("payment_due", in.PaymentDue); err != nil {
		return nil, err
	}
	return o, o.Validate()
}

// filing converts and validates a row.
func (in filingIn) filing(ctx context.Context, resolve resolver) (*taxsms.Filing, error) {
	f := &taxsms.Filing{TaxType: strings.TrimSpace(in.TaxType)}
	var err error
	if f.TaxpayerID, err = in.taxpayerID(ctx, resolve); err != nil {
		return nil, err
	}
	if f.Period, err = taxPeriod(in.Period); err != nil {
		return nil, err
	}
	if f.FiledOn, err = taxDate("filed_on", in.FiledOn); err != nil {
		return nil, err
	}
	if f.AmountDue, err = taxAmount("amount_due", in.AmountDue); err != nil {
		return nil, err
	}
	return f, f.Validate()
}

// payment converts and validates a row.
func (in paymentIn) payment(ctx context.Context, resolve resolver) (*taxsms.Payment, error) {
	p := &taxsms.Payment{TaxType: strings.TrimSpace(in.TaxType)}
	var err error
	if p.TaxpayerID, err = in.taxpayerID(ctx, resolve); err != nil {
		return nil, err
	}
	if p.Period, err = taxPeriod(in.Period); err != nil {
		return nil, err
	}
	if p.PaidOn, err = taxDate("paid_on", in.PaidOn); err != nil {
		return nil, err
	}
	if p.Amount, err = taxAmount("amount_paid", in.AmountPaid); err != nil {
		return nil, err
	}
	return p, p.Validate()
}

// deduction converts and validates a row.
func (in deductionIn) deduction(ctx context.Context, resolve resolver) (*taxsms.Deduction, error) {
	d := &taxsms.Deduction{Reference: in.Reference, TaxType: strings.TrimSpace(in.TaxType),
		Result: taxsms.DeductionResult(in.Result), Reason: strings.TrimSpace(in.Reason)}
	var err error
	if d.TaxpayerID, err = in.taxpayerID(ctx, resolve); err != nil {
		return nil, err
	}
	if d.Period, err = taxPeriod(in.Period); err != nil {
		return nil, err
	}
	if d.Amount, err = taxAmount("amount", in.Amount); err != nil {
		return nil, err
	}
	if in.At != "" {
		if d.At, err = time.Parse(time.RFC3339, in.At); err != nil {
			return nil, taxsms.Invalid("at", "%q is not an RFC 3339 time", in.At)
		}
	}
	return d, d.Validate()
}

// decodeTaxRows reads the body of a tax data batch, {"<kind>": [...]} with
// 1 to MaxBatch rows, each row decoded on its own so that a bad one is
// named by its index. Errors are EINVALID.
func decodeTaxRows[In any](body []byte, kind string) ([]In, error) {
	var raw map[string]json.RawMessage
	if err := strictJSON(body, &raw); err != nil || raw == nil {
		if err == nil {
			err = fmt.Errorf("want an object {%q: [...]}", kind)
		}
		return nil, taxsms.Errorf(taxsms.EINVALID, "body: %v", err)
	}
	for k := range raw {
		if k != kind {
			return nil, taxsms.Invalid(k, "unknown field; the body is {%q: [...]}", kind)
		}
	}
	var rows []json.RawMessage
	if err := json.Unmarshal(raw[kind], &rows); err != nil {
		return nil, taxsms.Invalid(kind, "want an array of rows")
	}
	if len(rows) == 0 || len(rows) > MaxBatch {
		return nil, taxsms.Invalid(kind, "want 1 to %d rows, got %d", MaxBatch, len(rows))
	}
	out := make([]In, len(rows))
	for i, r := range rows {
		if err := strictJSON(r, &out[i]); err != nil {
			return nil, rowError(kind, i, taxsms.Errorf(taxsms.EINVALID, "%v", err))
		}
	}
	return out, nil
}

// rowError names row i of a batch of kind in an EINVALID err: the field
// becomes obligations[3].filing_due, and so does the start of the message.
// Other errors are returned as they are.
func rowError(kind string, i int, err error) error {
	if taxsms.ErrorCode(err) != taxsms.EINVALID {
		return err
	}
	row := fmt.Sprintf("%s[%d]", kind, i)
	field, msg := taxsms.ErrorField(err), taxsms.ErrorMessage(err)
	if field == "" {
		return &taxsms.Error{Code: taxsms.EINVALID, Field: row, Message: row + ": " + msg}
	}
	if field == "taxpayer" {
		field, msg = "taxpayer_id", "taxpayer_id"+strings.TrimPrefix(msg, "taxpayer")
	}
	return &taxsms.Error{Code: taxsms.EINVALID, Field: row + "." + field, Message: row + "." + msg}
}

// taxUpserted is the answer to a tax data batch: how many rows it held and
// what became of them.
type taxUpserted struct {
	Received int `json:"received"`
	store.Upserted
}

// taxpayerResolver returns a resolver that looks each identifier and id up
// in the store once.
func (s *Server) taxpayerResolver() resolver {
	byIdentifier, byID := map[string]int64{}, map[int64]bool{}
	return func(ctx context.Context, identifier string, id int64) (int64, error) {
		if id != 0 {
			ok, seen := byID[id]
			if !seen {
				_, err := s.DB.FindTaxpayer(ctx, id)
				if err != nil && taxsms.ErrorCode(err) != taxsms.ENOTFOUND {
					return 0, err
				}
				ok = err == nil
				byID[id] = ok
			}
			if !ok {
				return 0, taxsms.Invalid("taxpayer_id", "no taxpayer with id %d", id)
			}
			return id, nil
		}
		key := taxsms.NormalizeIdentifier(identifier)
		tp, seen := byIdentifier[key]
		if !seen {
			t, err := s.DB.FindTaxpayerByIdentifier(ctx, key)
			if err != nil && taxsms.ErrorCode(err) != taxsms.ENOTFOUND {
				return 0, err
			}
			if err == nil {
				tp = t.ID
			}
			byIdentifier[key] = tp
		}
		if tp == 0 {
			return 0, taxsms.Invalid("identifier", "unknown taxpayer %q (register the taxpayer first)", identifier)
		}
		return tp, nil
	}
}

// taxBatch describes one kind of tax data for postTaxData.
type taxBatch[In, T any] struct {
	kind    string // the body's field and the rows' name: "obligations"
	convert func(In, context.Context, resolver) (T, error)
	key     func(T) string // rows with the same key may not repeat in a batch
	upsert  func(context.Context, iter.Seq2[T, error]) (store.Upserted, error)
}

// postTaxData serves a POST of tax data: the caller must be allowed
// (store.DB.MayImport), every row is read, resolved and validated before any is
// stored (400 naming the first bad row), then the batch is upserted in one
// transaction and the counts are answered (200).
func postTaxData[In, T any](s *Server, b taxBatch[In, T]) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		ctx := r.Context()
		if err := s.DB.MayImport(ctx, auth.DataTaxpayers, b.kind); err != nil {
			s.error(w, r, err)
			return
		}
		body, err := readBody(w, r, maxTaxBody)
		if err != nil {
			s.error(w, r, err)
			return
		}
		in, err := decodeTaxRows[In](body, b.kind)
		if err != nil {
			s.error(w, r, err)
			return
		}
		rows, err := convertTaxRows(ctx, b, in, s.taxpayerResolver())
		if err != nil {
			s.error(w, r, err)
			return
		}
		n, err := b.upsert(ctx, func(yield func(T, error) bool) {
			for _, v := range rows {
				if !yield(v, nil) {
					return
				}
			}
		})
		if err != nil {
			s.error(w, r, err)
			return
		}
		writeJSON(w, http.StatusOK, taxUpserted{Received: len(rows), Upserted: n})
	}
}

// convertTaxRows converts and validates every row of a batch, refusing a
// row that repeats the key of an earlier one. The error names the row.
func convertTaxRows[In, T any](ctx context.Context, b taxBatch[In, T], in []In, resolve resolver) ([]T, error) {
	rows := make([]T, len(in))
	first := make(map[string]int, len(in))
	for i, v := range in {
		row, err := b.convert(v, ctx, resolve)
		if err != nil {
			return nil, rowError(b.kind, i, err)
		}
		k := b.key(row)
		if j, ok := first[k]; ok {
			return nil, rowError(b.kind, i, taxsms.Errorf(taxsms.EINVALID, "repeats %s[%d]", b.kind, j))
		}
		first[k] = i
		rows[i] = row
	}
	return rows, nil
}

// taxKey is the key of an obligation, and of the filings and payments on it.
func taxKey(taxpayer int64, taxType string, p taxsms.Period) string {
	return fmt.Sprintf("%d\x00%s\x00%s", taxpayer, taxType, p)
}

// The four batches.
func (s *Server) obligationBatch() taxBatch[obligationIn, *taxsms.Obligation] {
	return taxBatch[obligationIn, *taxsms.Obligation]{"obligations", obligationIn.obligation, func(o *taxsms.Obligation) string {
		return taxKey(o.TaxpayerID, o.TaxType, o.Period)
	}, s.DB.UpsertObligations}
}

func (s *Server) filingBatch() taxBatch[filingIn, *taxsms.Filing] {
	return taxBatch[filingIn, *taxsms.Filing]{"filings", filingIn.filing, func(f *taxsms.Filing) string {
		return taxKey(f.TaxpayerID, f.TaxType, f.Period)
	}, s.DB.UpsertFilings}
}

func (s *Server) paymentBatch() taxBatch[paymentIn, *taxsms.Payment] {
	return taxBatch[paymentIn, *taxsms.Payment]{"payments", paymentIn.payment, func(p *taxsms.Payment) string {
		return taxKey(p.TaxpayerID, p.TaxType, p.Period)
	}, s.DB.UpsertPayments}
}

func (s *Server) deductionBatch() taxBatch[deductionIn, *taxsms.Deduction] {
	return taxBatch[deductionIn, *taxsms.Deduction]{"deductions", deductionIn.deduction,
		func(d *taxsms.Deduction) string { return d.Reference }, s.DB.UpsertDeductions}
}

// handlePostObligations serves POST /api/v1/obligations.
func (s *Server) handlePostObligations(w http.ResponseWriter, r *http.Request) {
	postTaxData(s, s.obligationBatch())(w, r)
}

// handlePostFilings serves POST /api/v1/filings.
func (s *Server) handlePostFilings(w http.ResponseWriter, r *http.Request) {
	postTaxData(s, s.filingBatch())(w, r)
}

// handlePostPayments serves POST /api/v1/payments.
func (s *Server) handlePostPayments(w http.ResponseWriter, r *http.Request) {
	postTaxData(s, s.paymentBatch())(w, r)
}

// handlePostDeductions serves POST /api/v1/deductions.
func (s *Server) handlePostDeductions(w http.ResponseWriter, r *http.Request) {
	postTaxData(s, s.deductionBatch())(w, r)
}

// obligationView is an obligation as the API shows it, amounts in yuan.
type obligationView struct {
	TaxpayerID int64     `json:"taxpayer_id"`
	TaxType    string    `json:"tax_type"`
	Period     string    `json:"period"`
	FilingDue  string    `json:"filing_due,omitempty"`
	PaymentDue string    `json:"payment_due,omitempty"`
	FiledOn    string    `json:"filed_on,omitempty"`
	AmountDue  string    `json:"amount_due"`
	PaidOn     string    `json:"paid_on,omitempty"`
	AmountPaid string    `json:"amount_paid"`
	Unpaid     string    `json:"unpaid"`
	Created    time.Time `json:"created_at"`
	Updated    time.Time `json:"updated_at"`
}

func viewObligation(o *taxsms.Obligation) obligationView {
	return obligationView{TaxpayerID: o.TaxpayerID, TaxType: o.TaxType, Period: string(o.Period),
		FilingDue: o.FilingDue.String(), PaymentDue: o.PaymentDue.String(), FiledOn: o.FiledOn.String(),
		AmountDue: taxsms.FormatYuan(o.AmountDue), PaidOn: o.PaidOn.String(), AmountPaid: taxsms.FormatYuan(o.AmountPaid),
		Unpaid: taxsms.FormatYuan(o.Unpaid()), Created: o.CreatedAt.UTC(), Updated: o.UpdatedAt.UTC()}
}

// obligationPage is the answer of GET /api/v1/obligations: one page only,
// since the store lists obligations without a cursor; Truncated says that
// more match than limit.
type obligationPage struct {
	Items     []obligationView `json:"items"`
	Truncated bool             `json:"truncated,omitempty"`
}

// handleListObligations serves GET /api/v1/obligations: the obligations of
// the taxpayers in the actor's scope, by taxpayer, period and tax type,
// filtered by taxpayer_id or identifier and period, at most limit of them.
// A taxpayer filter outside the scope is ENOTFOUND; a cursor is EINVALID.
func (s *Server) handleListObligations(w http.ResponseWriter, r *http.Request) {
	q, err := parseList(r, "taxpayer_id", "identifier", "period")
	if err != nil {
		s.error(w, r, err)
		return
	}
	ctx := r.Context()
	f := store.ObligationFilter{Limit: q.Limit + 1}
	if q.Get("cursor") != "" {
		err = taxsms.Invalid("cursor", "this list has a single page: narrow it by taxpayer_id, identifier or period")
	}
	if err == nil {
		f.TaxpayerID, err = q.ID("taxpayer_id")
	}
	if err == nil && f.TaxpayerID != 0 {
		_, err = s.DB.FindTaxpayer(ctx, f.TaxpayerID) // one out of scope is not found
	}
	if id := q.Get("identifier"); err == nil && id != "" {
		var t *taxsms.Taxpayer
		if t, err = s.DB.FindTaxpayerByIdentifier(ctx, id); err == nil {
			if f.TaxpayerID != 0 && f.TaxpayerID != t.ID {
				err = taxsms.Invalid("identifier", "names taxpayer %d, not taxpayer_id %d", t.ID, f.TaxpayerID)
			}
			f.TaxpayerID = t.ID
		}
	}
	if p := q.Get("period"); err == nil && p != "" {
		f.Period, err = taxPeriod(p)
	}
	if err != nil {
		s.error(w, r, err)
		return
	}
	list, err := s.DB.ListObligations(ctx, f)
	if err != nil {
		s.error(w, r, err)
		return
	}
	out := obligationPage{Items: []obligationView{}}
	for i, o := range list {
		if i == q.Limit {
			out.Truncated = true
			break
		}
		out.Items = append(out.Items, viewObligation(o))
	}
	writeJSON(w, http.StatusOK, out)
}

// deductionView is a deduction result as the API shows it.
type deductionView struct {
	Reference  string     `json:"reference"`
	TaxpayerID int64      `json:"taxpayer_id"`
	TaxType    string     `json:"tax_type"`
	Period     string     `json:"period"`
	Amount     string     `json:"amount"`
	Result     string     `json:"result"`
	Reason     string     `json:"reason,omitempty"`
	At         time.Time  `json:"at"`
	RemindedAt *time.Time `json:"reminded_at,omitempty"`
}

func viewDeduction(d *taxsms.Deduction) deductionView {
	v := deductionView{Reference: d.Reference, TaxpayerID: d.TaxpayerID, TaxType: d.TaxType, Period: string(d.Period),
		Amount: taxsms.FormatYuan(d.Amount), Result: string(d.Result), Reason: d.Reason, At: d.At.UTC()}
	if !d.RemindedAt.IsZero() {
		at := d.RemindedAt.UTC()
		v.RemindedAt = &at
	}
	return v
}

// handleGetDeduction serves GET /api/v1/deductions/{reference}: ENOTFOUND
// for a reference unknown or of a taxpayer outside the actor's scope.
func (s *Server) handleGetDeduction(w http.ResponseWriter, r *http.Request) {
	d, err := s.DB.FindDeduction(r.Context(), r.PathValue("reference"))
	if err != nil {
		s.error(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, viewDeduction(d))
}
