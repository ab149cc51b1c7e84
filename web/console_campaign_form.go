package web

import (
	"maps"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"taxsms"
	"taxsms/auth"
	"taxsms/campaign"
	"taxsms/remind"
)

// The compose form of a broadcast (GET and POST /campaigns/new, GET and
// POST /campaigns/{id}/edit): office, kind, title and text — free, or
// started from a festival greeting or an earlier campaign — with the text
// as received and its count of characters and segments, drawn on the
// server (action "preview", and at every load) and kept live by
// static/compose.js while typing; the audience; the emergency switch and
// its reason. Saving stores a draft (campaign.Service.Create, Update);
// editing a rejected or approved campaign takes it back to draft.

// campaignFields are the compose form's fields.
var campaignFields = []string{"office", "kind", "title", "template", "audience", "subtree", "tax_types", "industry",
	"reg_status", "remote_filer", "admin", "roles", "list", "list_file", "list_name", "staff_roles", "group",
	"emergency", "emergency_reason"}

// campaignErrField maps the fields the domain's errors name to the form's.
var campaignErrField = map[string]string{
	"audience.type": "audience", "audience.subtree": "subtree", "audience.tax_types": "tax_types",
	"audience.industry": "industry", "audience.reg_status": "reg_status", "audience.remote_filer": "remote_filer",
	"audience.admin_id": "admin", "audience.roles": "roles", "audience.list_id": "list",
	"audience.staff_roles": "staff_roles", "audience.group": "group", "entries": "list_file", "name": "list_name",
	"tax_type": "tax_types", "file": "list_file",
}

// uploadList stores the recipient list attached to the compose form f
// (field "list_file", named by "list_name" or else by the file's name) for
// the form's office, when its audience is a list, and puts the new list in
// the form's "list". A bad file or name is shown beside its field, and
// nothing is stored.
func (c *Console) uploadList(r *Request, f *Form) error {
	if f.Get("audience") != string(taxsms.AudienceList) || r.MultipartForm == nil {
		return nil
	}
	files := r.MultipartForm.File["list_file"]
	if len(files) == 0 || files[0].Size == 0 {
		return nil
	}
	fh := files[0]
	file, err := fh.Open()
	if err != nil {
		return err
	}
	defer file.Close()
	rows, err := campaign.ParseList(fh.Filename, file)
	if err == nil {
		l := &taxsms.RecipientList{Name: f.Get("list_name")}
		if l.Name == "" {
			l.Name = fh.Filename
		}
		if l.OfficeID, err = strconv.ParseInt(f.Get("office"), 10, 64); err != nil {
			f.Fail("office", c.T(r, "campaign.err_office"))
			return nil
		}
		if err = c.Campaigns.CreateList(r.Context(), l, rows); err == nil {
			f.Values.Set("list", strconv.FormatInt(l.ID, 10))
			return nil
		}
	}
	_, err = c.failCampaign(r, f, err)
	return err
}

// composeView is what the compose form shows.
type composeView struct {
	Campaign     *taxsms.Campaign // nil on /campaigns/new
	Offices      []officeRow      // where it may be sent on behalf of
	Subtrees     []officeRow      // the audience's office subtrees
	Kinds        []taxsms.Kind
	ContactRoles []taxsms.ContactRole
	StaffRoles   []taxsms.Role
	RegStatuses  []taxsms.RegStatus
	Greetings    []string
	Earlier      []*taxsms.Campaign
	Variables    []struct{ Name, About string }
	Example      campaign.Values
	Signature    string
	OptOut       string
	Preview      campaign.Preview
	List         *taxsms.RecipientList // the list chosen, once uploaded
	Emergency    bool                  // the user may send an emergency
	// AudienceTypes and RemoteFilers are the choices of those fields.
	AudienceTypes, RemoteFilers []string

	form *Form
}

// Value returns the form's value of field name.
func (v *composeView) Value(name string) string { return v.form.Get(name) }

// Checked reports whether the form's field name holds value.
func (v *composeView) Checked(name, value string) bool {
	return slices.Contains(v.form.Values[name], value)
}

// preview returns cm's text as a recipient receives it, with the example
// values: as campaign.Service.Preview, without validating the rest.
func (c *Console) preview(cm *taxsms.Campaign) campaign.Preview {
	cp := *cm
	cp.Template = strings.TrimSpace(cp.Template)
	text := c.Campaigns.Render(&cp, campaign.Example)
	return campaign.Preview{Text: text, Chars: utf8.RuneCountInString(text), Segments: remind.Segments(text),
		Variables: strings.Contains(cp.Template, "{")}
}

// composeOffices returns the offices r's user may send on behalf of — its
// write scope of messages, or its own office for one who writes only its
// own (an operator) — and the office subtrees it may choose an audience in.
func (c *Console) composeOffices(r *Request) (from, subtrees []officeRow, err error) {
	tree, err := c.officeTree(r)
	if err != nil {
		return nil, nil, err
	}
	from = writableOffices(r, tree, auth.DataMessages)
	if len(from) == 0 {
		for _, o := range tree {
			if o.ID == r.Actor.OfficeID {
				from = append(from, o)
			}
		}
	}
	subtrees = tree
	if r.Actor.Access(auth.DataMessages).Read.Level == auth.LevelSubtree {
		subtrees = from
	}
	return from, subtrees, nil
}

// campaignForm returns the form's values of cm.
func (c *Console) campaignForm(r *Request, cm *taxsms.Campaign) *Form {
	f := newForm(r, campaignFields...)
	v := map[string][]string{"office": {strconv.FormatInt(cm.OfficeID, 10)}, "kind": {string(cm.Kind)}, "title": {cm.Title},
		"template": {cm.Template}, "audience": {string(cm.Audience.Type)}, "industry": {cm.Audience.Industry},
		"remote_filer": {cm.Audience.RemoteFiler}, "group": {cm.Audience.Group}, "emergency_reason": {cm.EmergencyReason},
		"tax_types": {strings.Join(cm.Audience.TaxTypes, "，")}}
	if cm.Audience.Subtree != 0 {
		v["subtree"] = []string{strconv.FormatInt(cm.Audience.Subtree, 10)}
	}
	if cm.Audience.ListID != 0 {
		v["list"] = []string{strconv.FormatInt(cm.Audience.ListID, 10)}
	}
	if cm.Audience.AdminID != 0 {
		if u, err := c.DB.FindUser(auth.NewContext(r.Context(), nil), cm.Audience.AdminID); err == nil {
			v["admin"] = []string{u.Login}
		}
	}
	for _, s := range cm.Audience.RegStatus {
		v["reg_status"] = append(v["reg_status"], string(s))
	}
	for _, s := range cm.Audience.Roles {
		v["roles"] = append(v["roles"], string(s))
	}
	for _, s := range cm.Audience.StaffRoles {
		v["staff_roles"] = append(v["staff_roles"], string(s))
	}
	if cm.Emergency {
		v["emergency"] = []string{"on"}
	}
	f.Values = v
	return f
}

// campaignOf reads the campaign of the form f into cm (its id, state and
// schedule kept), recording on f what cannot be read.
func (c *Console) campaignOf(r *Request, f *Form, cm *taxsms.Campaign) {
	id := func(field string) int64 {
		s := f.Get(field)
		if s == "" || s == "0" {
			return 0
		}
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil || n < 0 {
			f.Fail(field, c.T(r, "campaign.err_office"))
		}
		return n
	}
	cm.OfficeID = id("office")
	cm.Kind = taxsms.Kind(f.Get("kind"))
	cm.Title = f.Get("title")
	cm.Template = strings.TrimSpace(strings.ReplaceAll(f.Values.Get("template"), "\r\n", "\n"))
	cm.Emergency = f.Get("emergency") != ""
	cm.EmergencyReason = ""
	if cm.Emergency {
		cm.EmergencyReason = f.Get("emergency_reason")
	}
	a := taxsms.Audience{Type: taxsms.AudienceType(f.Get("audience")), Subtree: id("subtree")}
	switch a.Type {
	case taxsms.AudienceTaxpayers:
		for _, tt := range strings.FieldsFunc(f.Get("tax_types"), func(r rune) bool { return r == ',' || r == '，' || r == '、' || r == ' ' }) {
			a.TaxTypes = append(a.TaxTypes, tt)
		}
		a.Industry = f.Get("industry")
		for _, s := range f.Values["reg_status"] {
			a.RegStatus = append(a.RegStatus, taxsms.RegStatus(s))
		}
		a.RemoteFiler = f.Get("remote_filer")
		for _, s := range f.Values["roles"] {
			a.Roles = append(a.Roles, taxsms.ContactRole(s))
		}
		if login := f.Get("admin"); login != "" {
			u, err := c.DB.FindUserByLogin(r.Context(), login)
			if err != nil {
				f.Fail("admin", c.T(r, "campaign.err_admin", login))
			} else {
				a.AdminID = u.ID
			}
		}
	case taxsms.AudienceList:
		a.ListID = id("list")
	case taxsms.AudienceStaff:
		for _, s := range f.Values["staff_roles"] {
			a.StaffRoles = append(a.StaffRoles, taxsms.Role(s))
		}
		a.Group = f.Get("group")
	}
	cm.Audience = a
}

// failCampaign shows err on the compose form f beside the field it names
// and returns the status of the page: 400, 403 for a refusal (the
// audience beyond the user's permissions), 404 for an office or list out
// of reach. Other errors are returned.
func (c *Console) failCampaign(r *Request, f *Form, err error) (int, error) {
	status := http.StatusBadRequest
	switch taxsms.ErrorCode(err) {
	case taxsms.EINVALID:
	case taxsms.ECONFLICT:
		status = http.StatusConflict
	case taxsms.EFORBIDDEN:
		status = http.StatusForbidden
	case taxsms.ENOTFOUND:
		status = http.StatusNotFound
	default:
		return 0, err
	}
	field := taxsms.ErrorField(err)
	if to, ok := campaignErrField[field]; ok {
		field = to
	}
	f.Fail(field, c.T(r, "form.error", taxsms.ErrorMessage(err)))
	return status, nil
}

// renderCompose renders the compose form f (of cm, nil for a new one).
func (c *Console) renderCompose(w http.ResponseWriter, r *Request, status int, f *Form, cm *taxsms.Campaign) error {
	from, subtrees, err := c.composeOffices(r)
	if err != nil {
		return err
	}
	d := &composeView{Campaign: cm, Offices: from, Subtrees: subtrees, Kinds: campaignKinds,
		ContactRoles: taxsms.ContactRoles, StaffRoles: taxsms.Roles,
		RegStatuses: []taxsms.RegStatus{taxsms.RegRegistered, taxsms.RegChanged, taxsms.RegCancelled},
		Greetings:   slices.Sorted(maps.Keys(campaign.Greetings)), Variables: taxsms.CampaignVariables,
		Example: campaign.Example, Signature: c.Campaigns.Signature, OptOut: taxsms.OptOutLine,
		Emergency: r.Actor.Has(auth.PermSendEmergency), form: f,
		AudienceTypes: []string{string(taxsms.AudienceTaxpayers), string(taxsms.AudienceList), string(taxsms.AudienceStaff)},
		RemoteFilers:  []string{"yes", "no"}}
	if d.Earlier, err = c.Campaigns.List(r.Context(), taxsms.CampaignFilter{Limit: 20}); err != nil {
		return err
	}
	var draft taxsms.Campaign
	c.campaignOf(r, &Form{Values: f.Values, Errors: map[string]string{}}, &draft)
	d.Preview = c.preview(&draft)
	if id := draft.Audience.ListID; id != 0 {
		if l, err := c.DB.FindRecipientList(r.Context(), id); err == nil {
			d.List = l
		}
	}
	title := "campaign.new_title"
	if cm != nil {
		title = "campaign.edit_title"
	}
	c.render(w, r, status, "campaign_form", &Page{Title: title, Form: f, Data: d})
	return nil
}

// startFrom fills a form's text (and, from an earlier campaign, the rest)
// from the "greeting" or "from" parameter of r, if any; it returns false
// when neither names something.
func (c *Console) startFrom(r *Request, f *Form) (bool, error) {
	q := r.URL.Query()
	if g := q.Get("greeting"); g != "" {
		text, ok := campaign.Greetings[g]
		if !ok {
			return false, taxsms.Errorf(taxsms.ENOTFOUND, "no greeting for %q", g)
		}
		f.Values.Set("template", text)
		if f.Get("title") == "" {
			f.Values.Set("title", c.T(r, "campaign.greeting_title", g))
		}
		if f.Get("kind") == "" {
			f.Values.Set("kind", string(taxsms.KindSpecial))
		}
		return true, nil
	}
	if s := q.Get("from"); s != "" {
		id, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return false, taxsms.Errorf(taxsms.ENOTFOUND, "no campaign %q", s)
		}
		src, err := c.DB.FindCampaign(r.Context(), id)
		if err != nil {
			return false, err
		}
		from := c.campaignForm(r, src)
		for k, v := range from.Values {
			if k != "emergency" && k != "emergency_reason" {
				f.Values[k] = v
			}
		}
		return true, nil
	}
	return false, nil
}

// handleCampaignNew serves GET and POST /campaigns/new.
func (c *Console) handleCampaignNew(w http.ResponseWriter, r *Request) error {
	if err := requireCampaigns(r); err != nil {
		return err
	}
	if !canCompose(r.Actor) {
		return taxsms.Errorf(taxsms.EFORBIDDEN, "a broadcast needs %s, %s or %s", auth.PermSendOwn, auth.PermSendJurisdiction, auth.PermSendCity)
	}
	if r.Method == http.MethodGet {
		f := newForm(r, campaignFields...)
		f.Values = map[string][]string{"kind": {string(taxsms.KindSpecial)}, "audience": {string(taxsms.AudienceTaxpayers)},
			"office": {strconv.FormatInt(r.Actor.OfficeID, 10)}}
		if !r.Actor.Has(auth.PermSendJurisdiction) && !r.Actor.Has(auth.PermSendCity) {
			// With send_own alone, a broadcast goes to one's own taxpayers.
			f.Values.Set("admin", r.Actor.Login)
		}
		if _, err := c.startFrom(r, f); err != nil {
			return err
		}
		return c.renderCompose(w, r, http.StatusOK, f, nil)
	}
	return c.saveCampaign(w, r, nil)
}

// handleCampaignEdit serves GET and POST /campaigns/{id}/edit.
func (c *Console) handleCampaignEdit(w http.ResponseWriter, r *Request) error {
	v, err := c.loadCampaign(r)
	if err != nil {
		return err
	}
	if !v.Acts.Edit {
		if v.State != taxsms.CampaignDraft && v.State != taxsms.CampaignRejected && v.State != taxsms.CampaignApproved {
			return taxsms.Errorf(taxsms.ECONFLICT, "campaign %d is %s: only a draft, rejected or approved campaign may be edited", v.ID, v.State)
		}
		return taxsms.Errorf(taxsms.EFORBIDDEN, "%s may not edit campaign %d", r.Actor, v.ID)
	}
	if r.Method == http.MethodGet {
		f := c.campaignForm(r, v.Campaign)
		if _, err := c.startFrom(r, f); err != nil {
			return err
		}
		return c.renderCompose(w, r, http.StatusOK, f, v.Campaign)
	}
	return c.saveCampaign(w, r, v.Campaign)
}

// saveCampaign handles the compose form's POST for old (nil: a new
// draft): action "preview" shows the text as received, "save" stores it.
// A list file attached is stored first, and the form keeps it.
func (c *Console) saveCampaign(w http.ResponseWriter, r *Request, old *taxsms.Campaign) error {
	f := newForm(r, campaignFields...)
	if err := c.uploadList(r, f); err != nil {
		return err
	}
	status := http.StatusBadRequest
	if f.Get("action") == "preview" || !f.OK() {
		if f.Get("action") == "preview" && f.OK() {
			status = http.StatusOK
		}
		return c.renderCompose(w, r, status, f, old)
	}
	cm := &taxsms.Campaign{}
	if old != nil {
		cm.ID, cm.ScheduledAt = old.ID, old.ScheduledAt
	}
	c.campaignOf(r, f, cm)
	if f.OK() {
		var err error
		if old == nil {
			err = c.Campaigns.Create(r.Context(), cm)
		} else {
			err = c.Campaigns.Update(r.Context(), cm)
		}
		if err == nil {
			flash := "campaign.flash_created"
			if old != nil {
				flash = "campaign.flash_saved"
			}
			c.redirect(w, r, campaignPath(cm.ID, ""), flash, cm.Title)
			return nil
		}
		if status, err = c.failCampaign(r, f, err); err != nil {
			return err
		}
	}
	return c.renderCompose(w, r, status, f, old)
}
