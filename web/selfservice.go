package web

import (
	"errors"
	"net/http"
	"unicode/utf8"

	"taxsms"
	"taxsms/store"
)

// The self-service page (seed Art. 13), public under /self: a contact
// activates its SMS service, or changes its number, for a taxpayer. It
// types the taxpayer's identifier, its role, its name and the new number;
// a 6-digit code goes by SMS to the new number; typed back within 5
// minutes (5 tries), it applies the change, which the store records in the
// audit log and announces to the old number.
//
// Whether the details name a contact is never shown before the code is
// proven: the answer is always "if the details are right, a code has been
// sent" (see store.RequestSelfServiceCode). No data of the taxpayer is
// shown at any step; every form carries the pre-session CSRF token.

// selfServiceRoutes registers the self-service page.
func (c *Console) selfServiceRoutes(mux *http.ServeMux) {
	c.handlePublic(mux, "GET /self", c.handleSelf)
	c.handlePublic(mux, "POST /self", c.handleSelf)
	c.handlePublic(mux, "POST /self/confirm", c.handleSelfConfirm)
}

// selfPage is the data of the self-service pages.
type selfPage struct {
	Roles  []taxsms.ContactRole
	Token  string // the challenge, on the code step
	Mobile string // the new number, masked, on the last step
	Done   string // catalogue key of what was done
}

// selfPolicy is the self-service policy: the store's defaults (5 minutes,
// 5 tries, 3 codes per number and 10 requests per address an hour).
var selfPolicy = store.SelfService{}

// handleSelf serves GET and POST /self: the details, then the code step.
func (c *Console) handleSelf(w http.ResponseWriter, r *Request) error {
	f := newForm(r, "identifier", "role", "name", "mobile")
	page := &Page{Title: "self.title", Form: f, Data: &selfPage{Roles: taxsms.ContactRoles}}
	if r.Method == http.MethodGet {
		c.render(w, r, http.StatusOK, "self", page)
		return nil
	}
	identifier, role, name, mobile := f.Get("identifier"), taxsms.ContactRole(f.Get("role")), f.Get("name"), f.Get("mobile")
	for _, fl := range []struct {
		name, value string
		max         int
	}{{"identifier", identifier, 40}, {"name", name, 50}, {"mobile", mobile, 20}} {
		switch n := utf8.RuneCountInString(fl.value); {
		case n == 0:
			f.Fail(fl.name, c.T(r, "form.required"))
		case n > fl.max || !utf8.ValidString(fl.value):
			f.Fail(fl.name, c.T(r, "self.too_long"))
		}
	}
	if !role.Valid() {
		f.Fail("role", c.T(r, "self.role_unknown"))
	}
	if f.Errors["mobile"] == "" && mobile != "" {
		if _, err := taxsms.NormalizeMobile(mobile); err != nil {
			f.Fail("mobile", c.T(r, "self.mobile_bad"))
		}
	}
	if !f.OK() {
		c.render(w, r, http.StatusBadRequest, "self", page)
		return nil
	}
	token, err := c.DB.RequestSelfServiceCode(r.Context(), selfPolicy, store.CodeRequest{
		Identifier: identifier, Role: role, Name: name, Mobile: mobile, IP: requestIP(r.Request),
		Message: func(code string) string { return c.cat.T(LangZH, "self.sms_code", code) },
	})
	switch {
	case errors.Is(err, store.ErrSelfServiceNumberLimit):
		f.Fail("", c.T(r, "self.limit_number"))
	case errors.Is(err, store.ErrSelfServiceAddressLimit):
		f.Fail("", c.T(r, "self.limit_address"))
	case taxsms.ErrorCode(err) == taxsms.EINVALID:
		f.Fail("", c.T(r, "self.mobile_bad"))
	case err != nil:
		return err
	}
	if !f.OK() {
		status := http.StatusTooManyRequests
		if taxsms.ErrorCode(err) == taxsms.EINVALID {
			status = http.StatusBadRequest
		}
		c.render(w, r, status, "self", page)
		return nil
	}
	c.renderSelfCode(w, r, http.StatusOK, token, nil)
	return nil
}

// renderSelfCode renders the code step of challenge token.
func (c *Console) renderSelfCode(w http.ResponseWriter, r *Request, status int, token string, f *Form) {
	if f == nil {
		f = &Form{Errors: map[string]string{}, fields: []string{"code"}}
	}
	c.render(w, r, status, "self_code", &Page{Title: "self.code_title", Form: f, Data: &selfPage{Token: token}})
}

// handleSelfConfirm serves POST /self/confirm: the code, then the change.
func (c *Console) handleSelfConfirm(w http.ResponseWriter, r *Request) error {
	f := newForm(r, "code")
	token, code := f.Get("token"), f.Get("code")
	if len(token) > 64 {
		token = ""
	}
	if len(code) != store.SelfServiceCodeLen || !allDigits(code) {
		f.Fail("code", c.T(r, "self.code_format"))
		c.renderSelfCode(w, r, http.StatusBadRequest, token, f)
		return nil
	}
	ch, err := c.DB.ConfirmSelfServiceCode(r.Context(), selfPolicy, store.CodeConfirm{Token: token, Code: code, IP: requestIP(r.Request),
		Announce: func(newMasked string) string { return c.cat.T(LangZH, "self.sms_moved", newMasked) }})
	switch {
	case errors.Is(err, store.ErrCodeWrong):
		f.Fail("code", c.T(r, "self.code_wrong"))
		c.renderSelfCode(w, r, http.StatusBadRequest, token, f)
		return nil
	case errors.Is(err, store.ErrCodeLocked), errors.Is(err, store.ErrCodeExpired):
		key := "self.code_expired"
		if errors.Is(err, store.ErrCodeLocked) {
			key = "self.code_locked"
		}
		nf := &Form{Errors: map[string]string{}, Error: c.T(r, key), fields: []string{"identifier", "role", "name", "mobile"}}
		c.render(w, r, http.StatusForbidden, "self", &Page{Title: "self.title", Form: nf, Data: &selfPage{Roles: taxsms.ContactRoles}})
		return nil
	case err != nil:
		return err
	}
	done := "self.done_changed"
	if ch.Activated {
		done = "self.done_activated"
	}
	c.render(w, r, http.StatusOK, "self_done", &Page{Title: "self.done_title",
		Data: &selfPage{Mobile: taxsms.MaskMobile(ch.Contact.Mobile), Done: done}})
	return nil
}

// allDigits reports whether s is made of ASCII digits only.
func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
