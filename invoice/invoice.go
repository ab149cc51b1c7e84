// Package invoice reads the invoice checks that taxpayers send by SMS, and
// writes the answers from the invoice registry.
//
// An invoice is known by its code and number, or, for a fully digitised
// invoice (数电票), by its number alone:
//
//	code   10 digits: region(4) year(2) batch(1) kind(1) copies(1) version(1)
//	       12 digits: 0 = VAT: 0 province(4) year(2) batch(3) kind(2)
//	                  1, 2 = general invoice of the state / local tax bureau:
//	                  d region(4) year(2) industry(1) opaque(4)
//	number 8 digits after a code; 20 digits without one:
//	       year(2) province(2) channel(1) sequence(15)
//
// Parse reads "FP <code> <number>" (any of the keywords FP, 发票, 查发票,
// FPCX, CXFP, 发票查验, or none; separators are spaces, commas, 、;:+-#/ and
// the labels 代码 and 号码; full-width forms and any case are accepted),
// the number before the code, code and number run together (18 or 20
// digits), the historical Qingdao syntax "F" + 12-digit code + 8-digit
// number, and a 20-digit 数电 number.
//
// # Twenty digits in a row
//
// "F" + a 12-digit code + an 8-digit number is twenty digits, as is a 数电
// number. Parse reads both ways and keeps the readings that are well formed:
// a code must start with 0, 1 or 2 and name a province (digits 2–3), a 数电
// number must have a year of 21 or later (数电票 were first issued in
// December 2021) in its first two digits. So a run starting with 0 or 1 is
// always a code and a number, one starting with 3 to 9 always a 数电
// number, and one starting with 2 (a local tax bureau's code, 2 + region;
// or a 数电 number of the 2020s) usually reads both ways. When both readings
// are well formed, the syntax decides: after the single-letter keyword F,
// the historical syntax, it is a code and a number; otherwise (bare, or
// after FP and the other keywords) a 数电
// number. Such a Query is Ambiguous and its Alternate is the other reading:
// the registry looks that up when the first is not found, so the rule above
// only chooses which reading is tried first.
//
// # Validation and its limits
//
// The structure is checked only where the sources agree: the province of a
// code's region, the first digit of a 12-digit code (0, 1 or 2), the copies
// (2–9) and amount version (0–4) digits of a 10-digit code, the year of a 数电
// number. The year of a code is not checked (codes printed in any year may
// still be presented), nor the province of a 数电 number (计划单列市 such
// as Qingdao have codes of their own that the sources do not give), nor the
// tail of a 12-digit general code, which varies by province.
//
// # Answers
//
// Answer writes the reply: for a valid invoice the seller and the date of
// issue, and nothing else. The amount is stored but never sent: together
// with the code, number and date it is what the national check platform
// asks to prove that one holds the invoice, and anyone may text a code and
// a number they have only seen. The seller's identifier is not sent either.
package invoice

import (
	"errors"
	"strings"
	"time"
	"unicode/utf8"

	"taxsms"
)

// Kind is the kind of an invoice.
type Kind string

// Kinds of invoice.
const (
	KindSpecial         Kind = "special"          // 增值税专用发票 (paper)
	KindOrdinary        Kind = "ordinary"         // 增值税普通发票 (paper)
	KindFreight         Kind = "freight"          // 货物运输业增值税专用发票
	KindRoll            Kind = "roll"             // 增值税普通发票（卷式）
	KindESpecial        Kind = "e_special"        // 增值税电子专用发票
	KindEOrdinary       Kind = "e_ordinary"       // 增值税电子普通发票
	KindToll            Kind = "toll"             // 收费公路通行费电子普通发票
	KindMotor           Kind = "motor"            // 机动车销售统一发票
	KindGeneral         Kind = "general"          // 通用发票 (non-VAT, 12-digit national scheme)
	KindDigitalSpecial  Kind = "digital_special"  // 数电票（增值税专用发票）
	KindDigitalOrdinary Kind = "digital_ordinary" // 数电票（普通发票）
	KindDigital         Kind = "digital"          // 数电票, kind not given
	KindOther           Kind = "other"
)

// Kinds lists the kinds of invoice.
var Kinds = []Kind{KindSpecial, KindOrdinary, KindFreight, KindRoll, KindESpecial, KindEOrdinary, KindToll,
	KindMotor, KindGeneral, KindDigitalSpecial, KindDigitalOrdinary, KindDigital, KindOther}

// Valid reports whether k is one of Kinds.
func (k Kind) Valid() bool {
	for _, v := range Kinds {
		if k == v {
			return true
		}
	}
	return false
}

// Digital reports whether k is a kind of 数电票.
func (k Kind) Digital() bool {
	return k == KindDigital || k == KindDigitalSpecial || k == KindDigitalOrdinary
}

// Status is what the registry says of an invoice.
type Status string

// Statuses of an invoice.
const (
	StatusValid    Status = "valid"    // 正常
	StatusVoid     Status = "void"     // 作废
	StatusReversed Status = "reversed" // 红冲: cancelled by a red-letter invoice
	StatusAbnormal Status = "abnormal" // 异常凭证
)

// Statuses lists the statuses.
var Statuses = []Status{StatusValid, StatusVoid, StatusReversed, StatusAbnormal}

// Valid reports whether s is one of Statuses.
func (s Status) Valid() bool {
	return s == StatusValid || s == StatusVoid || s == StatusReversed || s == StatusAbnormal
}

// Query is an invoice to look up: a code and an 8-digit number, or, for a
// 数电票, no code and a 20-digit number.
type Query struct {
	Code   string // 10 or 12 digits; "" for a 数电 number
	Number string // 8 digits, or 20 without a code
	// Ambiguous is set when twenty digits read both as a 12-digit code and
	// an 8-digit number and as a 数电 number; Alternate is the other reading.
	Ambiguous bool
}

// Digital reports whether q is a 数电 number.
func (q Query) Digital() bool { return q.Code == "" }

// Alternate returns the other reading of an ambiguous query (see the
// package comment), and q itself for any other.
func (q Query) Alternate() Query {
	if !q.Ambiguous {
		return q
	}
	if q.Code == "" {
		return Query{Code: q.Number[:12], Number: q.Number[12:], Ambiguous: true}
	}
	return Query{Number: q.Code + q.Number, Ambiguous: true}
}

// String returns the code and number separated by a space, or the 数电 number.
func (q Query) String() string {
	if q.Code == "" {
		return q.Number
	}
	return q.Code + " " + q.Number
}

// Validate checks that q names an invoice: a well-formed code and an 8-digit
// number, or a well-formed 20-digit number. Errors are EINVALID naming the
// field (code or number).
func (q Query) Validate() error {
	if q.Code == "" {
		if !digits(q.Number) || len(q.Number) != 20 {
			return taxsms.Invalid("number", "a 数电 number has 20 digits")
		}
		if !digitalOK(q.Number) {
			return taxsms.Invalid("number", "%q: not a 数电 number: its year %s is before 2021", q.Number, q.Number[:2])
		}
		return nil
	}
	if !digits(q.Code) || (len(q.Code) != 10 && len(q.Code) != 12) {
		return taxsms.Invalid("code", "an invoice code has 10 or 12 digits")
	}
	if why := codeProblem(q.Code); why != "" {
		return taxsms.Invalid("code", "%q: %s", q.Code, why)
	}
	if !digits(q.Number) || len(q.Number) != 8 {
		return taxsms.Invalid("number", "an invoice number has 8 digits")
	}
	return nil
}

// KindOf returns the kind of invoice that a code names, as far as the code
// tells: KindDigital for no code, KindOther when the code does not say.
func KindOf(code string) Kind {
	switch len(code) {
	case 0:
		return KindDigital
	case 10:
		switch code[7] {
		case '1', '5':
			return KindSpecial
		case '3', '6':
			return KindOrdinary
		case '2', '7':
			return KindFreight
		}
	case 12:
		if code[0] == '0' {
			switch code[10:] {
			case "04", "05":
				return KindOrdinary
			case "06", "07":
				return KindRoll
			case "11":
				return KindEOrdinary
			case "12":
				return KindToll
			case "13":
				return KindESpecial
			}
			return KindOther
		}
		if code[7] == '2' && code[0] == '1' {
			return KindMotor
		}
		return KindGeneral
	}
	return KindOther
}

// provinces are the province-level administrative codes (the first two
// digits of a region code).
var provinces = [100]bool{11: true, 12: true, 13: true, 14: true, 15: true, 21: true, 22: true, 23: true,
	31: true, 32: true, 33: true, 34: true, 35: true, 36: true, 37: true, 41: true, 42: true, 43: true,
	44: true, 45: true, 46: true, 50: true, 51: true, 52: true, 53: true, 54: true, 61: true, 62: true,
	63: true, 64: true, 65: true}

func province(s string) bool { return provinces[int(s[0]-'0')*10+int(s[1]-'0')] }

// codeProblem says what is wrong with a 10- or 12-digit code of digits, or "".
func codeProblem(code string) string {
	if len(code) == 10 {
		switch {
		case !province(code[0:2]):
			return "no province " + code[0:2] + " in its region"
		case code[8] < '2':
			return "its copies digit (9th) must be 2–9"
		case code[9] > '4':
			return "its amount digit (10th) must be 0–4"
		}
		return ""
	}
	switch {
	case code[0] > '2':
		return "a 12-digit code starts with 0, 1 or 2"
	case code[1:5] == "0000" && code[0] != '1':
		return "" // the State Taxation Administration's own
	case !province(code[1:3]):
		return "no province " + code[1:3] + " in its region"
	}
	return ""
}

// digitalOK reports whether 20 digits may be a 数电 number.
func digitalOK(n string) bool { return n[0] > '2' || (n[0] == '2' && n[1] >= '1') }

func digits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// Record is an invoice in the registry.
type Record struct {
	Code       string // "" for a 数电票
	Number     string
	Kind       Kind
	Status     Status
	SellerName string
	SellerID   string // the seller's taxpayer identifier, if known
	IssuedOn   taxsms.Date
	Amount     int64 // total with tax, in fen
	UpdatedAt  time.Time
}

// Query returns the code and number of r.
func (r *Record) Query() Query { return Query{Code: r.Code, Number: r.Number} }

// Validate checks r, setting its Kind from its code if empty. Errors are
// EINVALID naming the field: code, number, kind, status, seller_name,
// seller_id, issued_on or amount.
func (r *Record) Validate() error {
	if err := r.Query().Validate(); err != nil {
		return err
	}
	if r.Kind == "" {
		r.Kind = KindOf(r.Code)
	}
	if !r.Kind.Valid() {
		return taxsms.Invalid("kind", "%q is not a kind of invoice", r.Kind)
	}
	if r.Kind.Digital() != (r.Code == "") {
		return taxsms.Invalid("kind", "a 数电票 has a 20-digit number and no code, and only it")
	}
	if !r.Status.Valid() {
		return taxsms.Invalid("status", "%q: want valid, void, reversed or abnormal", r.Status)
	}
	if strings.TrimSpace(r.SellerName) == "" {
		return taxsms.Invalid("seller_name", "required")
	}
	if n := utf8.RuneCountInString(r.SellerName); n > 100 || !utf8.ValidString(r.SellerName) {
		return taxsms.Invalid("seller_name", "at most 100 characters of valid UTF-8")
	}
	if r.SellerID != "" {
		if _, err := taxsms.ValidateIdentifier("", r.SellerID); err != nil {
			return taxsms.Invalid("seller_id", "%s", strings.TrimPrefix(taxsms.ErrorMessage(err), "identifier: "))
		}
	}
	if r.IssuedOn.IsZero() {
		return taxsms.Invalid("issued_on", "required")
	}
	if r.Amount < 0 || r.Amount > taxsms.MaxAmount {
		return taxsms.Invalid("amount", "must be between 0 and %s yuan", taxsms.FormatYuan(taxsms.MaxAmount))
	}
	return nil
}

// ParseError is the error of Parse: an EINVALID *taxsms.Error (English,
// naming the field), and the same in Chinese for a reply.
type ParseError struct {
	Err *taxsms.Error
	ZH  string
}

func (e *ParseError) Error() string { return e.Err.Message }

// Unwrap returns the *taxsms.Error.
func (e *ParseError) Unwrap() error { return e.Err }

func parseError(field, en, zh string) error {
	return &ParseError{Err: &taxsms.Error{Code: taxsms.EINVALID, Field: field, Message: en}, ZH: zh}
}

// asParseError returns err's *ParseError, if it has one.
func asParseError(err error) *ParseError {
	var pe *ParseError
	if errors.As(err, &pe) {
		return pe
	}
	return nil
}
