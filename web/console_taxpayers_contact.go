package web

import (
	"net/http"
	"strconv"
	"time"

	"taxsms"
	"taxsms/auth"
)

// contactSteps are the service lifecycle steps of a contact's page, by the
// last element of their path.
var contactSteps = map[string]serviceChange{
	"activate":      serviceActivate,
	"change-number": serviceChangeNumber,
	"cancel":        serviceCancel,
}

// contactData is the data of a contact's page.
type contactData struct {
	C        *taxsms.Contact
	T        *taxsms.Taxpayer
	Events   []taxsms.ContactEvent // oldest first
	Roles    []taxsms.ContactRole
	Channels []taxsms.Channel
	Today    string // the bureau's date today, the latest a step may be dated
	Posted   string // the form posted: "edit" or a step; "" on GET
	form     *Form
}

// FormFor returns the form named name ("edit", "activate",
// "change-number", "cancel") with its values and errors if it is the one
// posted, the contact's own values for "edit" otherwise, else nil.
func (d *contactData) FormFor(name string) *Form {
	if d.Posted == name {
		return d.form
	}
	if name == "edit" {
		return &Form{Values: map[string][]string{"role": {string(d.C.Role)}, "name": {d.C.Name}}, Errors: map[string]string{}}
	}
	return nil
}

// Steps returns the lifecycle steps the page offers, in order.
func (d *contactData) Steps() []string { return []string{"activate", "change-number", "cancel"} }

// StepField returns the view of field name of the form of step (f, nil
// unless posted), labelled label (translated), with hint (translated, or
// ""), for {{template "field"}}: its id names the step, as the page holds
// a form per step.
func (d *contactData) StepField(f *Form, step, name, label, typ, hint string) fieldView {
	v := fieldView{Name: name, ID: "f-" + step + "-" + name, Label: label, Type: typ, Hint: hint,
		Value: f.Chosen(name), Error: f.FieldError(name)}
	v.Autofocus = v.Error != ""
	if name == "mobile" {
		v.Required, v.InputMode, v.Autocomplete = true, "numeric", "off"
	}
	return v
}

// contactPage loads the page of contact id: ENOTFOUND outside the scope.
func (c *Console) contactPage(r *Request, id int64) (*contactData, error) {
	ctx := r.Context()
	ct, err := c.DB.FindContact(ctx, id)
	if err != nil {
		return nil, err
	}
	t, err := c.DB.FindTaxpayer(ctx, ct.TaxpayerID)
	if err != nil {
		return nil, err
	}
	ev, err := c.DB.ContactEvents(ctx, id)
	if err != nil {
		return nil, err
	}
	return &contactData{C: ct, T: t, Events: ev, Roles: taxsms.ContactRoles,
		Channels: []taxsms.Channel{taxsms.ChannelWindow, taxsms.ChannelSelf},
		Today:    c.Now().In(c.Location).Format(taxsms.DateLayout)}, nil
}

// handleContact serves GET /contacts/{id}: a contact, its number masked
// (revealed on request to those who may), its service history, and for
// those who may change taxpayers its edit form and the lifecycle steps.
func (c *Console) handleContact(w http.ResponseWriter, r *Request) error {
	if err := requireRead(r, auth.DataTaxpayers); err != nil {
		return err
	}
	id, err := pathID(r.Request, "contact")
	if err != nil {
		return err
	}
	d, err := c.contactPage(r, id)
	if err != nil {
		return err
	}
	c.render(w, r, http.StatusOK, "contact", &Page{Title: "ct.title", Data: d})
	return nil
}

// handleContactEdit serves POST /contacts/{id}: saves the contact's role
// and name; the number and the service change by the lifecycle steps.
func (c *Console) handleContactEdit(w http.ResponseWriter, r *Request) error {
	id, err := pathID(r.Request, "contact")
	if err != nil {
		return err
	}
	d, err := c.contactPage(r, id)
	if err != nil {
		return err
	}
	f := newForm(r, "role", "name")
	d.Posted, d.form = "edit", f
	ct := *d.C
	ct.Role, ct.Name = taxsms.ContactRole(f.Get("role")), f.Get("name")
	ct.StatusSince = time.Time{} // no service change: the store keeps the last event's time
	if !ct.Role.Valid() {
		f.Fail("role", c.T(r, "ct.err_role"))
	} else if err := c.failWith(r, f, c.DB.UpdateContact(r.Context(), &ct)); err != nil {
		return err
	}
	if !f.OK() {
		c.render(w, r, http.StatusBadRequest, "contact", &Page{Title: "ct.title", Data: d})
		return nil
	}
	c.redirect(w, r, "/contacts/"+strconv.FormatInt(id, 10), "ct.saved")
	return nil
}

// handleContactStep serves POST /contacts/{id}/activate, /change-number
// and /cancel: a step of the contact's service, through a channel (window
// or self-service) on a date (default today, never in the future nor
// before the last step), recorded in its history and in the audit
// archive with the numbers masked. A step that changes nothing is shown as
// an error on the form.
func (c *Console) handleContactStep(w http.ResponseWriter, r *Request) error {
	name := r.PathValue("step")
	step, ok := contactSteps[name]
	if !ok {
		return taxsms.Errorf(taxsms.ENOTFOUND, "no step %q", name)
	}
	id, err := pathID(r.Request, "contact")
	if err != nil {
		return err
	}
	d, err := c.contactPage(r, id)
	if err != nil {
		return err
	}
	f := newForm(r, "mobile", "channel", "at")
	d.Posted, d.form = name, f
	in := serviceIn{Channel: f.Get("channel")}
	if step == serviceChangeNumber {
		if in.Mobile = f.Get("mobile"); in.Mobile == "" {
			f.Fail("mobile", c.T(r, "form.required"))
		} else if _, err := taxsms.NormalizeMobile(in.Mobile); err != nil {
			f.Fail("mobile", c.T(r, "tp.err_mobile"))
		}
	}
	if ch := taxsms.Channel(in.Channel); !ch.Valid() {
		f.Fail("channel", c.T(r, "ct.err_channel"))
	}
	at, err := taxsms.ParseDate(f.Get("at"))
	switch {
	case err != nil:
		f.Fail("at", c.T(r, "tp.err_date"))
	case at.IsZero() || at.String() == d.Today: // now
	case at.String() > d.Today:
		f.Fail("at", c.T(r, "ct.err_future"))
	case at.String() < d.C.StatusSince.In(c.Location).Format(taxsms.DateLayout):
		f.Fail("at", c.T(r, "ct.err_before", d.C.StatusSince.In(c.Location).Format(taxsms.DateLayout)))
	default:
		// The start of the day, or just after the last step if that was
		// on the same day, so that the history stays in order.
		when := at.Time(c.Location)
		if !when.After(d.C.StatusSince) {
			when = d.C.StatusSince.Add(time.Second)
		}
		in.At = when.Format(time.RFC3339)
	}
	if f.OK() {
		ct := *d.C
		err := in.apply(step, &ct)
		if err == nil {
			err = c.DB.UpdateContact(r.Context(), &ct)
		}
		if err := c.failWith(r, f, err); err != nil {
			return err
		}
	}
	if !f.OK() {
		c.render(w, r, http.StatusBadRequest, "contact", &Page{Title: "ct.title", Data: d})
		return nil
	}
	c.redirect(w, r, "/contacts/"+strconv.FormatInt(id, 10), "ct.step_done."+name)
	return nil
}
