package web

import (
	"net/http"
	"strconv"
	"strings"

	"taxsms"
	"taxsms/auth"
)

// The pages of the bureau's data: taxpayers and their contacts
// (console_taxpayers.go), messages (console_messages.go), received messages
// (console_inbound.go) and the carrier links (console_links.go). Every read
// and write goes through the store with the user's actor in the context, so
// the store keeps each page to the user's scope: a record outside it is the
// 404 page.

// dataRoutes adds the pages of taxpayers, contacts, messages, received
// messages and carrier links to mux.
func (c *Console) dataRoutes(mux *http.ServeMux) {
	c.handle(mux, "GET /taxpayers", "", c.handleTaxpayers)
	c.handle(mux, "GET /taxpayers/{id}", "", c.handleTaxpayer)
	c.handle(mux, "POST /taxpayers/{id}", auth.PermManageTaxpayers, c.handleTaxpayerEdit)
	c.handle(mux, "POST /taxpayers/{id}/contacts", auth.PermManageTaxpayers, c.handleContactAdd)
	c.handle(mux, "GET /contacts/{id}", "", c.handleContact)
	c.handle(mux, "POST /contacts/{id}", auth.PermManageTaxpayers, c.handleContactEdit)
	c.handle(mux, "POST /contacts/{id}/{step}", auth.PermManageTaxpayers, c.handleContactStep)
	c.handle(mux, "GET /messages", "", c.handleMessages)
	c.handle(mux, "GET /messages/{id}", "", c.handleMessage)
	c.handle(mux, "POST /messages/{id}/{action}", "", c.handleMessageChange)
	c.handle(mux, "GET /inbound", "", c.handleInbound)
	c.handle(mux, "GET /links", "", c.handleLinks)
	c.handle(mux, "POST /links/{name}/{action}", auth.PermManageCarriers, c.handleLinkChange)
}

// requireRead returns errForbidden unless r's user may read some of d.
func requireRead(r *Request, d auth.Data) error {
	if r.Actor.Access(d).Read.Level == auth.LevelNone {
		return errForbidden
	}
	return nil
}

// officeChoice is one office of a search form's office list.
type officeChoice struct {
	ID    int64
	Label string // the name, indented by its depth in the tree
}

// officeChoices returns the offices r's user may read, in tree order, for
// a search form, and their names by id; on a failure to read them the
// list is empty (the search works without it).
func (c *Console) officeChoices(r *Request) ([]officeChoice, map[int64]string) {
	offices, err := c.DB.ListOffices(r.Context(), taxsms.OfficeFilter{Limit: 1000})
	names := make(map[int64]string, len(offices))
	if err != nil {
		return nil, names
	}
	out := make([]officeChoice, 0, len(offices))
	top := -1
	for _, o := range offices {
		depth := strings.Count(o.Path, "/") - 2
		if top < 0 || depth < top {
			top = depth
		}
		out = append(out, officeChoice{ID: o.ID, Label: o.Name})
		names[o.ID] = o.Name
	}
	for i, o := range offices {
		if d := strings.Count(o.Path, "/") - 2 - top; d > 0 {
			out[i].Label = strings.Repeat("　", d) + out[i].Label
		}
	}
	return out, names
}

// formID returns the id in field name of f: 0 when empty, else a positive
// id or an EINVALID error naming the field.
func formID(f *Form, name string) (int64, error) {
	s := f.Get(name)
	if s == "" {
		return 0, nil
	}
	id, err := strconv.ParseInt(s, 10, 64)
	if err != nil || id <= 0 {
		return 0, taxsms.Invalid(name, "%q is not an id", s)
	}
	return id, nil
}

// taxpayerRow is one row of the taxpayer search.
type taxpayerRow struct {
	*taxsms.Taxpayer
	Office string
}

// taxpayersData is the data of the taxpayer search page.
type taxpayersData struct {
	Offices  []officeChoice
	Rows     []taxpayerRow
	Searched bool
}

// Name matches of the taxpayer search.
const (
	matchContains = "contains"
	matchPrefix   = "prefix"
)

// handleTaxpayers serves GET /taxpayers: the taxpayers of the user's scope
// by id, a page at a time, searched by identifier, name (contained, or
// beginning with), a contact's number and office subtree. Each search uses
// an index, so every page costs the same however large the city.
func (c *Console) handleTaxpayers(w http.ResponseWriter, r *Request) error {
	if err := requireRead(r, auth.DataTaxpayers); err != nil {
		return err
	}
	after, err := r.Cursor()
	if err != nil {
		return err
	}
	f := newForm(r, "identifier", "name", "match", "mobile", "office")
	d := &taxpayersData{}
	var names map[int64]string
	d.Offices, names = c.officeChoices(r)
	filter := taxsms.TaxpayerFilter{After: after, Limit: PageSize + 1, Identifier: f.Get("identifier")}
	if filter.Identifier != "" && len(filter.Identifier) > 40 {
		f.Fail("identifier", c.T(r, "tp.err_identifier"))
	}
	switch name := f.Get("name"); f.Get("match") {
	case "", matchContains:
		filter.NameContains = name
	case matchPrefix:
		filter.NamePrefix = name
	default:
		f.Fail("match", c.T(r, "form.error", "unknown match"))
	}
	if m := f.Get("mobile"); m != "" {
		if filter.Mobile, err = taxsms.NormalizeMobile(m); err != nil {
			f.Fail("mobile", c.T(r, "tp.err_mobile"))
		}
	}
	if filter.Subtree, err = formID(f, "office"); err != nil {
		f.Fail("office", c.T(r, "tp.err_office"))
	}
	page := &Page{Title: "tp.title", Data: d, Form: f}
	if !f.OK() {
		c.render(w, r, http.StatusBadRequest, "taxpayers", page)
		return nil
	}
	d.Searched = filter.Identifier != "" || filter.NameContains != "" || filter.NamePrefix != "" || filter.Mobile != "" || filter.Subtree != 0
	tps, err := c.DB.ListTaxpayers(r.Context(), filter)
	if taxsms.ErrorCode(err) == taxsms.ENOTFOUND && filter.Subtree != 0 {
		f.Fail("office", c.T(r, "tp.err_office"))
	} else if err := c.failWith(r, f, err); err != nil {
		return err
	}
	if !f.OK() {
		c.render(w, r, http.StatusBadRequest, "taxpayers", page)
		return nil
	}
	more := len(tps) > PageSize
	if more {
		tps = tps[:PageSize]
	}
	var last int64
	for _, t := range tps {
		d.Rows = append(d.Rows, taxpayerRow{Taxpayer: t, Office: names[t.OfficeID]})
		last = t.ID
	}
	page.List = r.Pager(more, last)
	c.render(w, r, http.StatusOK, "taxpayers", page)
	return nil
}

// taxpayerData is the data of a taxpayer's page.
type taxpayerData struct {
	T          *taxsms.Taxpayer
	Office     string // "" when the user may not read it
	Admin      string // the administrator's name; "" when none or hidden
	Contacts   []*taxsms.Contact
	Messages   []*taxsms.Message
	Edit       *Form // the edit form: the taxpayer's values, or those posted
	Add        *Form // the form adding a contact; nil until posted
	RegStatus  []taxsms.RegStatus
	Roles      []taxsms.ContactRole
	Channels   []taxsms.Channel
	NewService []taxsms.ServiceStatus
}

// recentMessages is how many of a taxpayer's latest messages its page shows.
const recentMessages = 10

// taxpayerPage loads the page of taxpayer id: ENOTFOUND outside the scope.
func (c *Console) taxpayerPage(r *Request, id int64) (*taxpayerData, error) {
	ctx := r.Context()
	t, err := c.DB.FindTaxpayer(ctx, id)
	if err != nil {
		return nil, err
	}
	d := &taxpayerData{T: t, RegStatus: []taxsms.RegStatus{taxsms.RegRegistered, taxsms.RegChanged, taxsms.RegCancelled},
		Roles: taxsms.ContactRoles, Channels: []taxsms.Channel{taxsms.ChannelWindow, taxsms.ChannelSelf},
		NewService: []taxsms.ServiceStatus{taxsms.ServicePending, taxsms.ServiceActive}}
	if o, err := c.DB.FindOffice(ctx, t.OfficeID); err == nil {
		d.Office = o.Name
	} else if taxsms.ErrorCode(err) == taxsms.EINTERNAL {
		return nil, err
	}
	if t.AdminID != 0 {
		if u, err := c.DB.FindUser(ctx, t.AdminID); err == nil {
			d.Admin = u.Name
		} else if taxsms.ErrorCode(err) == taxsms.EINTERNAL {
			return nil, err
		}
	}
	if d.Contacts, err = c.DB.ListContacts(ctx, id); err != nil {
		return nil, err
	}
	if r.Actor.Access(auth.DataMessages).Read.Level != auth.LevelNone {
		if d.Messages, err = c.DB.ListMessages(ctx, taxsms.MessageFilter{TaxpayerID: id, Limit: recentMessages}); err != nil {
			return nil, err
		}
	}
	d.Edit = taxpayerForm(t)
	return d, nil
}

// handleTaxpayer serves GET /taxpayers/{id}: a taxpayer with its office,
// administrator, contacts and their service, its latest messages, and for
// those who may change taxpayers the forms to edit it and add a contact.
func (c *Console) handleTaxpayer(w http.ResponseWriter, r *Request) error {
	if err := requireRead(r, auth.DataTaxpayers); err != nil {
		return err
	}
	id, err := pathID(r.Request, "taxpayer")
	if err != nil {
		return err
	}
	d, err := c.taxpayerPage(r, id)
	if err != nil {
		return err
	}
	c.render(w, r, http.StatusOK, "taxpayer", &Page{Title: "tp.one_title", Data: d})
	return nil
}

// taxpayerForm returns the edit form filled with t's values.
func taxpayerForm(t *taxsms.Taxpayer) *Form {
	f := &Form{Errors: make(map[string]string), fields: taxpayerFields}
	f.Values = map[string][]string{
		"name": {t.Name}, "industry": {t.Industry}, "tax_types": {strings.Join(t.TaxTypes, "，")},
		"reg_status": {string(t.RegStatus)}, "changed_on": {dateValue(t.Changed)}, "cancelled_on": {dateValue(t.Cancelled)},
	}
	if t.RemoteFiler {
		f.Values.Set("remote_filer", "1")
	}
	return f
}

func dateValue(d taxsms.Date) string {
	if d.IsZero() {
		return ""
	}
	return d.String()
}

// taxpayerFields are the fields of the taxpayer edit form.
var taxpayerFields = []string{"name", "industry", "tax_types", "reg_status", "changed_on", "cancelled_on", "remote_filer"}

// handleTaxpayerEdit serves POST /taxpayers/{id}: saves the taxpayer's
// name, industry, tax types, registration status and dates and online
// filing (store.UpdateTaxpayer, recorded in the audit archive).
func (c *Console) handleTaxpayerEdit(w http.ResponseWriter, r *Request) error {
	id, err := pathID(r.Request, "taxpayer")
	if err != nil {
		return err
	}
	d, err := c.taxpayerPage(r, id)
	if err != nil {
		return err
	}
	f := newForm(r, taxpayerFields...)
	d.Edit = f
	t := *d.T
	t.Name, t.Industry = f.Get("name"), f.Get("industry")
	t.TaxTypes = nil
	for _, s := range strings.FieldsFunc(f.Get("tax_types"), func(r rune) bool { return r == ',' || r == '，' || r == '、' || r == ';' }) {
		if s = strings.TrimSpace(s); s != "" {
			t.TaxTypes = append(t.TaxTypes, s)
		}
	}
	t.RegStatus = taxsms.RegStatus(f.Get("reg_status"))
	t.RemoteFiler = f.Get("remote_filer") != ""
	for _, dt := range []struct {
		field string
		out   *taxsms.Date
	}{{"changed_on", &t.Changed}, {"cancelled_on", &t.Cancelled}} {
		v, err := taxsms.ParseDate(f.Get(dt.field))
		if err != nil {
			f.Fail(dt.field, c.T(r, "tp.err_date"))
		}
		*dt.out = v
	}
	if f.OK() {
		if t.Name == "" {
			f.Fail("name", c.T(r, "form.required"))
		} else if err := c.failWith(r, f, c.DB.UpdateTaxpayer(r.Context(), &t)); err != nil {
			return err
		}
	}
	if !f.OK() {
		c.render(w, r, http.StatusBadRequest, "taxpayer", &Page{Title: "tp.one_title", Data: d, Form: f})
		return nil
	}
	c.redirect(w, r, "/taxpayers/"+strconv.FormatInt(id, 10), "tp.saved")
	return nil
}

// contactFields are the fields of the form that adds a contact.
var contactFields = []string{"role", "contact_name", "mobile", "status", "channel"}

// handleContactAdd serves POST /taxpayers/{id}/contacts: adds a contact in
// a role the taxpayer has none in, pending or active (store.CreateContact).
func (c *Console) handleContactAdd(w http.ResponseWriter, r *Request) error {
	id, err := pathID(r.Request, "taxpayer")
	if err != nil {
		return err
	}
	d, err := c.taxpayerPage(r, id)
	if err != nil {
		return err
	}
	f := newForm(r, contactFields...)
	d.Add = f
	ct := &taxsms.Contact{TaxpayerID: id, Role: taxsms.ContactRole(f.Get("role")), Name: f.Get("contact_name"),
		Status: taxsms.ServiceStatus(f.Get("status")), StatusChannel: taxsms.Channel(f.Get("channel"))}
	if ct.Status != taxsms.ServicePending && ct.Status != taxsms.ServiceActive {
		f.Fail("status", c.T(r, "ct.err_status"))
	}
	if ct.Mobile, err = taxsms.NormalizeMobile(f.Get("mobile")); err != nil {
		f.Fail("mobile", c.T(r, "tp.err_mobile"))
	}
	if f.OK() {
		if err := c.failWith(r, f, c.DB.CreateContact(r.Context(), ct)); err != nil {
			return err
		}
	}
	if !f.OK() {
		c.render(w, r, http.StatusBadRequest, "taxpayer", &Page{Title: "tp.one_title", Data: d, Form: f})
		return nil
	}
	c.redirect(w, r, "/contacts/"+strconv.FormatInt(ct.ID, 10), "ct.added", taxsms.MaskMobile(ct.Mobile))
	return nil
}

// Chosen returns the value of field name, "" on a nil form: for the
// options and check boxes of templates, which may be given no form.
func (f *Form) Chosen(name string) string {
	if f == nil {
		return ""
	}
	return f.Get(name)
}

// FieldError returns the error shown beside field name, "" on a nil form.
func (f *Form) FieldError(name string) string {
	if f == nil {
		return ""
	}
	return f.Errors[name]
}
