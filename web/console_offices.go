package web

import (
	"net/http"
	"slices"
	"strconv"
	"strings"

	"taxsms"
	"taxsms/auth"
)

// The offices pages: the tree of the user's scope (GET /offices), an
// office's page with its edit and suspension forms (GET /offices/{id}), and
// a new office (GET /offices/new). Reading needs manage_offices or
// read_all; changing needs manage_offices and the office in the user's
// write scope (the store decides both).

// adminRoutes registers the administration pages: offices, users and their
// permissions, API keys and the audit log.
func (c *Console) adminRoutes(mux *http.ServeMux) {
	c.handle(mux, "GET /offices", "", c.handleOffices)
	c.handle(mux, "GET /offices/new", auth.PermManageOffices, c.handleNewOffice)
	c.handle(mux, "POST /offices", auth.PermManageOffices, c.handleNewOffice)
	c.handle(mux, "GET /offices/{id}", "", c.handleOffice)
	c.handle(mux, "POST /offices/{id}", auth.PermManageOffices, c.handleEditOffice)
	c.handle(mux, "POST /offices/{id}/suspend", auth.PermManageOffices, c.handleSuspendOffice)
	c.usersRoutes(mux)
	c.keysRoutes(mux)
	c.auditRoutes(mux)
}

// canReadAny returns a navigation Show function for holders of any of perms.
func canReadAny(perms ...auth.Permission) func(a *auth.Actor) bool {
	return func(a *auth.Actor) bool {
		for _, p := range perms {
			if a.Has(p) {
				return true
			}
		}
		return false
	}
}

// requireAny returns errForbidden unless r's user holds one of perms.
func requireAny(r *Request, perms ...auth.Permission) error {
	if canReadAny(perms...)(r.Actor) {
		return nil
	}
	return errForbidden
}

// officeRow is an office in the tree: its depth below the top of the
// user's scope.
type officeRow struct {
	*taxsms.Office
	Depth int
}

// Indent returns the depth as a CSS class suffix (0 to 6).
func (o officeRow) Indent() int { return min(o.Depth, 6) }

// officeTree returns the offices the user may read in tree order, each
// with its depth below the shallowest.
func (c *Console) officeTree(r *Request) ([]officeRow, error) {
	list, err := c.DB.ListOffices(r.Context(), taxsms.OfficeFilter{Limit: 100000})
	if err != nil {
		return nil, err
	}
	top := -1
	for _, o := range list {
		if d := strings.Count(o.Path, "/"); top < 0 || d < top {
			top = d
		}
	}
	out := make([]officeRow, len(list))
	for i, o := range list {
		out[i] = officeRow{Office: o, Depth: strings.Count(o.Path, "/") - top}
	}
	return out, nil
}

// writableOffices returns the offices of the tree in the user's write scope
// of d, for the office selects of forms.
func writableOffices(r *Request, tree []officeRow, d auth.Data) []officeRow {
	w := r.Actor.Access(d).Write
	var out []officeRow
	for _, o := range tree {
		if w.Contains(o.Path, 0) {
			out = append(out, o)
		}
	}
	return out
}

// pathID returns the {id} of r's path, or ENOTFOUND.
func (r *Request) pathID() (int64, error) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		return 0, taxsms.Errorf(taxsms.ENOTFOUND, "No such record.")
	}
	return id, nil
}

// officesPage is the data of the offices page.
type officesPage struct {
	Tree []officeRow
}

// handleOffices serves GET /offices: the office tree of the user's scope.
func (c *Console) handleOffices(w http.ResponseWriter, r *Request) error {
	if err := requireAny(r, auth.PermManageOffices, auth.PermReadAll); err != nil {
		return err
	}
	tree, err := c.officeTree(r)
	if err != nil {
		return err
	}
	c.render(w, r, http.StatusOK, "offices", &Page{Title: "offices.title", Data: &officesPage{Tree: tree}})
	return nil
}

// officeForm is the data of the new office and office pages.
type officeForm struct {
	Office  *taxsms.Office // nil for a new one
	Parent  *taxsms.Office // the office above; nil at the top
	Parents []officeRow    // where a new office may go
	TopOK   bool           // a new office may be at the top of the tree
	Held    string         // the confirmation of a suspension, shown once
	Suspend *Form          // the suspension form
}

var officeFields = []string{"parent", "code", "name", "phone", "address"}

// handleNewOffice serves GET /offices/new and POST /offices: a new office
// below one the user may write.
func (c *Console) handleNewOffice(w http.ResponseWriter, r *Request) error {
	f := newForm(r, officeFields...)
	tree, err := c.officeTree(r)
	if err != nil {
		return err
	}
	d := &officeForm{Parents: writableOffices(r, tree, auth.DataOffices), TopOK: r.Actor.Access(auth.DataOffices).Write.Level == auth.LevelAll}
	page := &Page{Title: "offices.new", Form: f, Data: d}
	if r.Method == http.MethodGet {
		if len(d.Parents) > 0 && f.Get("parent") == "" {
			f.Values.Set("parent", strconv.FormatInt(d.Parents[0].ID, 10))
		}
		c.render(w, r, http.StatusOK, "office_new", page)
		return nil
	}
	o := &taxsms.Office{Code: f.Get("code"), Name: f.Get("name"), Phone: f.Get("phone"), Address: f.Get("address")}
	if p := f.Get("parent"); p != "" && p != "0" {
		id, err := strconv.ParseInt(p, 10, 64)
		if err != nil {
			f.Fail("parent", c.T(r, "offices.err_parent"))
		}
		o.ParentID = id
	} else if !d.TopOK {
		f.Fail("parent", c.T(r, "form.required"))
	}
	c.requireFields(r, f, "code", "name")
	if f.OK() {
		if err := c.failAt(r, f, c.DB.CreateOffice(r.Context(), o)); err != nil {
			return err
		}
	}
	if !f.OK() {
		c.render(w, r, http.StatusBadRequest, "office_new", page)
		return nil
	}
	c.redirect(w, r, "/offices/"+strconv.FormatInt(o.ID, 10), "offices.created", o.Code)
	return nil
}

// failAt is failWith that also puts a conflict the store names by a
// leading "field: " ("code: office … already exists") beside that field.
func (c *Console) failAt(r *Request, f *Form, err error) error {
	if taxsms.ErrorCode(err) == taxsms.ECONFLICT && taxsms.ErrorField(err) == "" {
		msg := taxsms.ErrorMessage(err)
		if name, _, ok := strings.Cut(msg, ":"); ok && slices.Contains(f.fields, name) {
			f.Fail(name, c.T(r, "form.error", msg))
			return nil
		}
	}
	return c.failWith(r, f, err)
}

// requireFields marks each empty field of names as required.
func (c *Console) requireFields(r *Request, f *Form, names ...string) {
	for _, n := range names {
		if f.Get(n) == "" {
			f.Fail(n, c.T(r, "form.required"))
		}
	}
}

// loadOffice returns the office of r's path within the user's scope, or
// ENOTFOUND.
func (c *Console) loadOffice(r *Request) (*taxsms.Office, error) {
	id, err := r.pathID()
	if err != nil {
		return nil, err
	}
	return c.DB.FindOffice(r.Context(), id)
}

// renderOffice renders the office page of o with the edit form f and the
// suspension form s.
func (c *Console) renderOffice(w http.ResponseWriter, r *Request, status int, o *taxsms.Office, f, s *Form, held string) error {
	d := &officeForm{Office: o, Suspend: s, Held: held}
	if o.ParentID != 0 {
		p, err := c.DB.FindOffice(r.Context(), o.ParentID)
		if err != nil && taxsms.ErrorCode(err) != taxsms.ENOTFOUND {
			return err
		}
		d.Parent = p
	}
	if f == nil {
		f = newForm(r, officeFields...)
		f.Values = map[string][]string{"code": {o.Code}, "name": {o.Name}, "phone": {o.Phone}, "address": {o.Address}}
	}
	if d.Suspend == nil {
		d.Suspend = &Form{Errors: map[string]string{}, fields: []string{"reason"}}
	}
	c.render(w, r, status, "office", &Page{Title: "offices.office", Form: f, Data: d})
	return nil
}

// handleOffice serves GET /offices/{id}: an office, with its edit and
// suspension forms for those who may change it.
func (c *Console) handleOffice(w http.ResponseWriter, r *Request) error {
	if err := requireAny(r, auth.PermManageOffices, auth.PermReadAll); err != nil {
		return err
	}
	o, err := c.loadOffice(r)
	if err != nil {
		return err
	}
	return c.renderOffice(w, r, http.StatusOK, o, nil, nil, "")
}

// handleEditOffice serves POST /offices/{id}: saves the office's code,
// name, phone and address.
func (c *Console) handleEditOffice(w http.ResponseWriter, r *Request) error {
	o, err := c.loadOffice(r)
	if err != nil {
		return err
	}
	f := newForm(r, officeFields...)
	c.requireFields(r, f, "code", "name")
	edited := *o
	edited.Code, edited.Name, edited.Phone, edited.Address = f.Get("code"), f.Get("name"), f.Get("phone"), f.Get("address")
	if f.OK() {
		if err := c.failAt(r, f, c.DB.UpdateOffice(r.Context(), &edited)); err != nil {
			return err
		}
	}
	if !f.OK() {
		return c.renderOffice(w, r, http.StatusBadRequest, o, f, nil, "")
	}
	c.redirect(w, r, "/offices/"+strconv.FormatInt(o.ID, 10), "offices.saved", edited.Code)
	return nil
}

// handleSuspendOffice serves POST /offices/{id}/suspend: suspends (action
// "suspend") or resumes ("resume") the office and its subtree, for a
// reason. Suspending ends the subtree's sessions, stops its API keys and
// holds its queued manual messages; the page says how many were held.
func (c *Console) handleSuspendOffice(w http.ResponseWriter, r *Request) error {
	o, err := c.loadOffice(r)
	if err != nil {
		return err
	}
	s := newForm(r, "reason")
	suspend := s.Get("action") != "resume"
	if s.Get("reason") == "" {
		s.Fail("reason", c.T(r, "admin.reason_required"))
	} else {
		held, err := c.DB.SuspendOffice(r.Context(), o.ID, suspend, s.Get("reason"))
		if err := c.failWith(r, s, err); err != nil {
			return err
		}
		if s.OK() {
			if !suspend {
				c.redirect(w, r, "/offices/"+strconv.FormatInt(o.ID, 10), "offices.resumed", o.Code)
				return nil
			}
			c.redirect(w, r, "/offices/"+strconv.FormatInt(o.ID, 10), "offices.suspended", o.Code, strconv.Itoa(held))
			return nil
		}
	}
	return c.renderOffice(w, r, http.StatusBadRequest, o, nil, s, "")
}
