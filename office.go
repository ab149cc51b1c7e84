package taxsms

import (
	"time"
)

// Office is one node of the bureau's tree: the municipal bureau at the root,
// its branches (base offices) below it, and sub-offices as the bureau needs.
// Every taxpayer and every user belongs to one office.
type Office struct {
	ID       int64
	ParentID int64  // 0 for the root (the municipal bureau)
	Code     string // unique, e.g. "13702000000"; letters, digits, '-' and '_'
	Name     string
	Phone    string // the office's public phone, given to taxpayers
	Address  string
	// Path lists the ids from the root down to this office, as "/1/5/12/";
	// set by the store. A subtree is every office whose Path starts with it.
	Path      string
	Suspended bool // suspended offices (and their subtree) may not use the platform

	CreatedAt time.Time
	UpdatedAt time.Time
}

// Validate returns an EINVALID error naming the first bad field.
func (o *Office) Validate() error {
	if o.Code == "" {
		return Invalid("code", "required")
	}
	if len(o.Code) > 32 {
		return Invalid("code", "at most 32 characters, got %d", len(o.Code))
	}
	for _, r := range o.Code {
		if !(r >= '0' && r <= '9' || r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z' || r == '-' || r == '_') {
			return Invalid("code", "%q: only letters, digits, '-' and '_' allowed", o.Code)
		}
	}
	if err := checkText("name", o.Name, 1, 100); err != nil {
		return err
	}
	if err := checkPhone("phone", o.Phone); err != nil {
		return err
	}
	return checkText("address", o.Address, 0, 200)
}

// checkPhone validates an office phone number: digits, spaces, '-', '+', '(',
// ')' and ',' for several numbers; optional.
func checkPhone(field, s string) error {
	if len(s) > 40 {
		return Invalid(field, "at most 40 characters, got %d", len(s))
	}
	for _, r := range s {
		if !(r >= '0' && r <= '9' || r == ' ' || r == '-' || r == '+' || r == '(' || r == ')' || r == ',') {
			return Invalid(field, "%q: unexpected character %q", s, r)
		}
	}
	return nil
}

// OfficeFilter selects offices. Zero fields do not filter.
type OfficeFilter struct {
	Subtree int64 // the office and everything below it
	Code    string
	Limit   int
}
