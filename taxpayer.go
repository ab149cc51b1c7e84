package taxsms

import (
	"strings"
	"time"
)

// RegStatus is the state of a taxpayer's tax registration.
type RegStatus string

// Registration states.
const (
	RegRegistered RegStatus = "registered"
	RegChanged    RegStatus = "changed"
	RegCancelled  RegStatus = "cancelled"
)

// Taxpayer is an enterprise, an individual business or a person registered
// with the bureau. It belongs to one office (its jurisdiction) and has one
// assigned tax administrator.
type Taxpayer struct {
	ID          int64
	Identifier  string // normalised, unique
	IDType      IDType
	Name        string
	OfficeID    int64
	AdminID     int64 // the assigned tax administrator (a User); 0 if none yet
	RegStatus   RegStatus
	Registered  Date // date of tax registration
	Changed     Date // date of the last change of registration, if any
	Cancelled   Date // date of cancellation, if cancelled
	Industry    string
	TaxTypes    []string // e.g. 增值税, 企业所得税; no commas
	RemoteFiler bool     // files online

	CreatedAt time.Time
	UpdatedAt time.Time
}

// Validate normalises the identifier and returns an EINVALID error naming the
// first bad field. An empty IDType is inferred from the identifier.
func (t *Taxpayer) Validate() error {
	t.Identifier = NormalizeIdentifier(t.Identifier)
	if t.IDType != "" && !t.IDType.Valid() {
		return Invalid("id_type", "unknown identifier type %q", t.IDType)
	}
	typ, err := ValidateIdentifier(t.IDType, t.Identifier)
	if err != nil {
		return err
	}
	t.IDType = typ
	if err := checkText("name", t.Name, 1, 200); err != nil {
		return err
	}
	if t.OfficeID <= 0 {
		return Invalid("office", "required")
	}
	switch t.RegStatus {
	case "":
		t.RegStatus = RegRegistered
	case RegRegistered, RegChanged, RegCancelled:
	default:
		return Invalid("reg_status", "unknown registration status %q", t.RegStatus)
	}
	if t.RegStatus == RegCancelled && t.Cancelled.IsZero() {
		return Invalid("cancelled_on", "required when the registration is cancelled")
	}
	if !t.Registered.IsZero() {
		if !t.Changed.IsZero() && t.Changed.Before(t.Registered) {
			return Invalid("changed_on", "%s is before the registration date %s", t.Changed, t.Registered)
		}
		if !t.Cancelled.IsZero() && t.Cancelled.Before(t.Registered) {
			return Invalid("cancelled_on", "%s is before the registration date %s", t.Cancelled, t.Registered)
		}
	}
	if err := checkText("industry", t.Industry, 0, 100); err != nil {
		return err
	}
	for _, tt := range t.TaxTypes {
		if strings.ContainsAny(tt, ",;") {
			return Invalid("tax_types", "%q: a tax type may not contain ',' or ';'", tt)
		}
		if err := checkText("tax_types", tt, 1, 40); err != nil {
			return err
		}
	}
	return nil
}

// TaxpayerFilter selects taxpayers; zero fields do not filter. Results are
// ordered by ID; After gives the last ID of the previous page.
type TaxpayerFilter struct {
	Subtree      int64  // the office and the offices below it
	AdminID      int64  // assigned tax administrator
	Identifier   string // exact
	NamePrefix   string
	NameContains string
	Mobile       string // a contact's number, any accepted form
	After        int64
	Limit        int // at most 1000; default 50
}
