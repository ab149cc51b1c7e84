package web

import (
	"net/http"
	"strconv"

	"taxsms"
	"taxsms/auth"
)

// Numbers are shown masked (138****1234, {{mask .Mobile}}) on every page.
// Beside a masked number, a page may offer to reveal it to those who hold
// auth.PermRevealNumbers, with a reason that the audit archive records:
//
//	{{mask .Mobile}} {{template "reveal" ($.Reveal "contact" .ID)}}
//
// The partial renders nothing for others. The number is then shown on a
// page of its own (POST /reveal), never kept in a list.

// revealView is what the "reveal" partial renders: a small form naming the
// record whose number to show.
type revealView struct {
	Kind string // "contact" or "user"
	ID   int64
	CSRF string
	Next string // the page to return to
	Show bool   // the user may reveal numbers
}

// Reveal returns the view of the "reveal" partial for the record of kind
// ("contact" or "user") with id.
func (p *Page) Reveal(kind string, id int64) revealView {
	return revealView{Kind: kind, ID: id, CSRF: p.CSRF, Next: p.RequestURI, Show: p.Can(string(auth.PermRevealNumbers))}
}

// revealed is the data of the reveal page.
type revealed struct {
	Kind   string
	ID     int64
	Mobile string // the full number; "" until revealed
	Reason string
	Next   string
}

// handleReveal serves POST /reveal: the full number of a contact or user,
// for a reason, recorded in the audit archive (store.RevealMobile).
func (c *Console) handleReveal(w http.ResponseWriter, r *Request) error {
	f := newForm(r, "reason")
	id, err := strconv.ParseInt(f.Get("id"), 10, 64)
	if err != nil || id <= 0 {
		return taxsms.Invalid("id", "not a record id: %q", f.Get("id"))
	}
	d := &revealed{Kind: f.Get("kind"), ID: id, Reason: f.Get("reason"), Next: localPath(f.Get("next"))}
	page := &Page{Title: "reveal.title", Form: f, Data: d}
	if d.Reason == "" {
		f.Fail("reason", c.T(r, "reveal.reason_required"))
		c.render(w, r, http.StatusBadRequest, "reveal", page)
		return nil
	}
	if d.Mobile, err = c.DB.RevealMobile(r.Context(), d.Kind, id, d.Reason); err != nil {
		if taxsms.ErrorCode(err) == taxsms.EINVALID && taxsms.ErrorField(err) == "reason" {
			f.Fail("reason", c.T(r, "reveal.reason_required"))
			c.render(w, r, http.StatusBadRequest, "reveal", page)
			return nil
		}
		return err
	}
	c.render(w, r, http.StatusOK, "reveal", page)
	return nil
}
