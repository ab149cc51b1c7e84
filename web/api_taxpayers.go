package web

import (
	"net/http"
	"strconv"
	"time"

	"taxsms"
	"taxsms/auth"
)

// taxpayerView is a taxpayer as the API shows it.
type taxpayerView struct {
	ID          int64     `json:"id"`
	Identifier  string    `json:"identifier"`
	IDType      string    `json:"id_type"`
	Name        string    `json:"name"`
	OfficeID    int64     `json:"office_id"`
	AdminID     int64     `json:"admin_id,omitempty"`
	RegStatus   string    `json:"reg_status"`
	Registered  string    `json:"registered_on,omitempty"`
	Changed     string    `json:"changed_on,omitempty"`
	Cancelled   string    `json:"cancelled_on,omitempty"`
	Industry    string    `json:"industry,omitempty"`
	TaxTypes    []string  `json:"tax_types"`
	RemoteFiler bool      `json:"remote_filer"`
	Created     time.Time `json:"created_at"`
	Updated     time.Time `json:"updated_at"`
}

func viewTaxpayer(t *taxsms.Taxpayer) taxpayerView {
	v := taxpayerView{ID: t.ID, Identifier: t.Identifier, IDType: string(t.IDType), Name: t.Name, OfficeID: t.OfficeID,
		AdminID: t.AdminID, RegStatus: string(t.RegStatus), Registered: t.Registered.String(), Changed: t.Changed.String(),
		Cancelled: t.Cancelled.String(), Industry: t.Industry, TaxTypes: t.TaxTypes, RemoteFiler: t.RemoteFiler,
		Created: t.CreatedAt, Updated: t.UpdatedAt}
	if v.TaxTypes == nil {
		v.TaxTypes = []string{}
	}
	return v
}

// taxpayerIn is the body of POST and PATCH /api/v1/taxpayers: a field
// left out is left as it is (PATCH) or empty (POST).
type taxpayerIn struct {
	Identifier  *string   `json:"identifier"`
	IDType      *string   `json:"id_type"`
	Name        *string   `json:"name"`
	OfficeID    *int64    `json:"office_id"`
	AdminID     *int64    `json:"admin_id"`
	RegStatus   *string   `json:"reg_status"`
	Registered  *string   `json:"registered_on"`
	Changed     *string   `json:"changed_on"`
	Cancelled   *string   `json:"cancelled_on"`
	Industry    *string   `json:"industry"`
	TaxTypes    *[]string `json:"tax_types"`
	RemoteFiler *bool     `json:"remote_filer"`
}

// apply sets the fields of in on t; a bad date is EINVALID naming it.
func (in *taxpayerIn) apply(t *taxsms.Taxpayer) error {
	set(&t.Identifier, in.Identifier)
	if in.IDType != nil {
		t.IDType = taxsms.IDType(*in.IDType)
	}
	set(&t.Name, in.Name)
	set(&t.OfficeID, in.OfficeID)
	set(&t.AdminID, in.AdminID)
	if in.RegStatus != nil {
		t.RegStatus = taxsms.RegStatus(*in.RegStatus)
	}
	for _, d := range []struct {
		field string
		in    *string
		out   *taxsms.Date
	}{{"registered_on", in.Registered, &t.Registered}, {"changed_on", in.Changed, &t.Changed}, {"cancelled_on", in.Cancelled, &t.Cancelled}} {
		if d.in == nil {
			continue
		}
		v, err := taxsms.ParseDate(*d.in)
		if err != nil {
			return taxsms.Invalid(d.field, "%q is not a date (want YYYY-MM-DD)", *d.in)
		}
		*d.out = v
	}
	set(&t.Industry, in.Industry)
	set(&t.TaxTypes, in.TaxTypes)
	set(&t.RemoteFiler, in.RemoteFiler)
	return nil
}

// set sets *dst to *v unless v is nil.
func set[T any](dst *T, v *T) {
	if v != nil {
		*dst = *v
	}
}

// handleListTaxpayers serves GET /api/v1/taxpayers: the taxpayers of the
// actor's scope by id, filtered by identifier, name (contained), name_prefix,
// office (subtree), admin_id and mobile (a contact's number).
func (s *Server) handleListTaxpayers(w http.ResponseWriter, r *http.Request) {
	q, err := parseList(r, "identifier", "name", "name_prefix", "office", "admin_id", "mobile")
	if err != nil {
		s.error(w, r, err)
		return
	}
	f := taxsms.TaxpayerFilter{Identifier: q.Get("identifier"), NameContains: q.Get("name"),
		NamePrefix: q.Get("name_prefix"), Mobile: q.Get("mobile"), Limit: q.Limit + 1}
	f.AdminID, err = q.ID("admin_id")
	if err == nil {
		f.Subtree, err = s.officeFilter(r.Context(), q)
	}
	if err == nil {
		f.After, err = decodeIDCursor("taxpayers", q.Get("cursor"))
	}
	if err != nil {
		s.error(w, r, err)
		return
	}
	tps, err := s.DB.ListTaxpayers(r.Context(), f)
	if err != nil {
		s.error(w, r, err)
		return
	}
	out := page[taxpayerView]{Items: []taxpayerView{}}
	for i, t := range tps {
		if i == q.Limit {
			out.Next = encodeCursor("taxpayers", strconv.FormatInt(tps[i-1].ID, 10))
			break
		}
		out.Items = append(out.Items, viewTaxpayer(t))
	}
	writeJSON(w, http.StatusOK, out)
}

// handleGetTaxpayer serves GET /api/v1/taxpayers/{id}.
func (s *Server) handleGetTaxpayer(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "taxpayer")
	if err != nil {
		s.error(w, r, err)
		return
	}
	t, err := s.DB.FindTaxpayer(r.Context(), id)
	if err != nil {
		s.error(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, viewTaxpayer(t))
}

// handleCreateTaxpayer serves POST /api/v1/taxpayers. The office defaults
// to the actor's; an operator's new taxpayer is in its own charge.
func (s *Server) handleCreateTaxpayer(w http.ResponseWriter, r *http.Request) {
	var in taxpayerIn
	if err := decodeBody(w, r, maxSmallBody, &in); err != nil {
		s.error(w, r, err)
		return
	}
	var t taxsms.Taxpayer
	if a := actorOf(r.Context()); a != nil {
		t.OfficeID = a.OfficeID
		if a.Access(auth.DataTaxpayers).Write.Level == auth.LevelAssigned {
			t.AdminID = a.UserID
		}
	}
	if err := in.apply(&t); err != nil {
		s.error(w, r, err)
		return
	}
	if err := s.DB.CreateTaxpayer(r.Context(), &t); err != nil {
		s.error(w, r, err)
		return
	}
	w.Header().Set("Location", "/api/v1/taxpayers/"+strconv.FormatInt(t.ID, 10))
	writeJSON(w, http.StatusCreated, viewTaxpayer(&t))
}

// handleUpdateTaxpayer serves PATCH /api/v1/taxpayers/{id}: the fields
// given change, the others stay.
func (s *Server) handleUpdateTaxpayer(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "taxpayer")
	if err != nil {
		s.error(w, r, err)
		return
	}
	var in taxpayerIn
	if err := decodeBody(w, r, maxSmallBody, &in); err != nil {
		s.error(w, r, err)
		return
	}
	t, err := s.DB.FindTaxpayer(r.Context(), id)
	if err == nil {
		err = in.apply(t)
	}
	if err == nil {
		err = s.DB.UpdateTaxpayer(r.Context(), t)
	}
	if err != nil {
		s.error(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, viewTaxpayer(t))
}

// contactView is a contact as the API shows it: the number masked.
type contactView struct {
	ID            int64         `json:"id"`
	TaxpayerID    int64         `json:"taxpayer_id"`
	Role          string        `json:"role"`
	Name          string        `json:"name"`
	Mobile        string        `json:"mobile"`
	Status        string        `json:"status"`
	StatusSince   time.Time     `json:"status_since"`
	StatusChannel string        `json:"status_channel"`
	Created       time.Time     `json:"created_at"`
	Updated       time.Time     `json:"updated_at"`
	History       []contactStep `json:"history,omitempty"`
}

// contactStep is one event of a contact's service lifecycle.
type contactStep struct {
	At      time.Time `json:"at"`
	Status  string    `json:"status"`
	Channel string    `json:"channel"`
	Mobile  string    `json:"mobile"`
}

func viewContact(c *taxsms.Contact) contactView {
	return contactView{ID: c.ID, TaxpayerID: c.TaxpayerID, Role: string(c.Role), Name: c.Name,
		Mobile: taxsms.MaskMobile(c.Mobile), Status: string(c.Status), StatusSince: c.StatusSince.UTC(),
		StatusChannel: string(c.StatusChannel), Created: c.CreatedAt, Updated: c.UpdatedAt}
}

// handleListContacts serves GET /api/v1/taxpayers/{id}/contacts: every
// contact of the taxpayer (at most one per role, so one page).
func (s *Server) handleListContacts(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "taxpayer")
	if err != nil {
		s.error(w, r, err)
		return
	}
	if _, err := s.DB.FindTaxpayer(r.Context(), id); err != nil {
		s.error(w, r, err)
		return
	}
	cs, err := s.DB.ListContacts(r.Context(), id)
	if err != nil {
		s.error(w, r, err)
		return
	}
	out := page[contactView]{Items: []contactView{}}
	for _, c := range cs {
		out.Items = append(out.Items, viewContact(c))
	}
	writeJSON(w, http.StatusOK, out)
}

// handleGetContact serves GET /api/v1/contacts/{id}: the contact with the
// history of its service (numbers masked).
func (s *Server) handleGetContact(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "contact")
	if err != nil {
		s.error(w, r, err)
		return
	}
	c, err := s.DB.FindContact(r.Context(), id)
	if err != nil {
		s.error(w, r, err)
		return
	}
	s.writeContact(w, r, http.StatusOK, c)
}

// writeContact writes c with its service history.
func (s *Server) writeContact(w http.ResponseWriter, r *http.Request, status int, c *taxsms.Contact) {
	events, err := s.DB.ContactEvents(r.Context(), c.ID)
	if err != nil {
		s.error(w, r, err)
		return
	}
	v := viewContact(c)
	v.History = []contactStep{}
	for _, e := range events {
		v.History = append(v.History, contactStep{e.At.UTC(), string(e.Status), string(e.Channel), taxsms.MaskMobile(e.Mobile)})
	}
	writeJSON(w, status, v)
}

// contactIn is the body of POST /api/v1/taxpayers/{id}/contacts and PATCH
// /api/v1/contacts/{id}. Status and number change through the lifecycle
// endpoints once the contact exists.
type contactIn struct {
	Role    *string `json:"role"`
	Name    *string `json:"name"`
	Mobile  *string `json:"mobile"`  // POST only
	Status  *string `json:"status"`  // POST only: pending (default) or active
	Channel *string `json:"channel"` // how it was entered; default window
}

// handleCreateContact serves POST /api/v1/taxpayers/{id}/contacts.
func (s *Server) handleCreateContact(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "taxpayer")
	if err != nil {
		s.error(w, r, err)
		return
	}
	var in contactIn
	if err := decodeBody(w, r, maxSmallBody, &in); err != nil {
		s.error(w, r, err)
		return
	}
	if _, err := s.DB.FindTaxpayer(r.Context(), id); err != nil {
		s.error(w, r, err)
		return
	}
	c := taxsms.Contact{TaxpayerID: id}
	if in.Role != nil {
		c.Role = taxsms.ContactRole(*in.Role)
	}
	set(&c.Name, in.Name)
	set(&c.Mobile, in.Mobile)
	if in.Status != nil {
		c.Status = taxsms.ServiceStatus(*in.Status)
		if c.Status != taxsms.ServicePending && c.Status != taxsms.ServiceActive {
			s.error(w, r, taxsms.Invalid("status", "a new contact is pending or active, not %q", *in.Status))
			return
		}
	}
	if in.Channel != nil {
		c.StatusChannel = taxsms.Channel(*in.Channel)
	}
	if err := s.DB.CreateContact(r.Context(), &c); err != nil {
		s.error(w, r, err)
		return
	}
	w.Header().Set("Location", "/api/v1/contacts/"+strconv.FormatInt(c.ID, 10))
	s.writeContact(w, r, http.StatusCreated, &c)
}

// handleUpdateContact serves PATCH /api/v1/contacts/{id}: its role and
// name. The number and the service status change through activate,
// change-number and cancel, which record when and through which channel.
func (s *Server) handleUpdateContact(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "contact")
	if err != nil {
		s.error(w, r, err)
		return
	}
	var in contactIn
	if err := decodeBody(w, r, maxSmallBody, &in); err != nil {
		s.error(w, r, err)
		return
	}
	switch {
	case in.Mobile != nil:
		err = taxsms.Invalid("mobile", "change a number with POST /api/v1/contacts/{id}/change-number")
	case in.Status != nil:
		err = taxsms.Invalid("status", "change the service with POST /api/v1/contacts/{id}/activate or cancel")
	case in.Channel != nil:
		err = taxsms.Invalid("channel", "a channel goes with a change of service: activate, change-number or cancel")
	}
	if err != nil {
		s.error(w, r, err)
		return
	}
	c, err := s.DB.FindContact(r.Context(), id)
	if err != nil {
		s.error(w, r, err)
		return
	}
	if in.Role != nil {
		c.Role = taxsms.ContactRole(*in.Role)
	}
	set(&c.Name, in.Name)
	c.StatusSince = time.Time{} // no service change: keep the last event's time
	if err := s.DB.UpdateContact(r.Context(), c); err != nil {
		s.error(w, r, err)
		return
	}
	s.writeContact(w, r, http.StatusOK, c)
}

// serviceChange is a step of a contact's service lifecycle.
type serviceChange int

const (
	serviceActivate serviceChange = iota
	serviceChangeNumber
	serviceCancel
)

// serviceIn is the body of the lifecycle endpoints.
type serviceIn struct {
	Mobile  string `json:"mobile,omitempty"`  // change-number: the new number
	Channel string `json:"channel,omitempty"` // window (default), self_service, import or system
	At      string `json:"at,omitempty"`      // RFC 3339; default now
}

// handleContactService serves the lifecycle endpoints of a contact: POST
// /api/v1/contacts/{id}/activate (pending, cancelled or opted out to
// active), /change-number (a new number, the service as it was) and
// /cancel (to cancelled). A step that changes nothing is ECONFLICT.
func (s *Server) handleContactService(step serviceChange) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		id, err := pathID(r, "contact")
		if err != nil {
			s.error(w, r, err)
			return
		}
		var in serviceIn
		if err := decodeBody(w, r, maxSmallBody, &in); err != nil {
			s.error(w, r, err)
			return
		}
		c, err := s.DB.FindContact(r.Context(), id)
		if err != nil {
			s.error(w, r, err)
			return
		}
		if err := in.apply(step, c); err != nil {
			s.error(w, r, err)
			return
		}
		if err := s.DB.UpdateContact(r.Context(), c); err != nil {
			s.error(w, r, err)
			return
		}
		s.writeContact(w, r, http.StatusOK, c)
	}
}

// apply makes step on c: its status, number, channel and time. A step that
// changes nothing is ECONFLICT; bad input is EINVALID.
func (in serviceIn) apply(step serviceChange, c *taxsms.Contact) error {
	c.StatusChannel = taxsms.ChannelWindow
	if in.Channel != "" {
		c.StatusChannel = taxsms.Channel(in.Channel)
		if !c.StatusChannel.Valid() {
			return taxsms.Invalid("channel", "unknown channel %q", in.Channel)
		}
	}
	c.StatusSince = time.Time{}
	if in.At != "" {
		at, err := time.Parse(time.RFC3339, in.At)
		if err != nil {
			return taxsms.Invalid("at", "%q is not an RFC 3339 time", in.At)
		}
		c.StatusSince = at
	}
	if step != serviceChangeNumber && in.Mobile != "" {
		return taxsms.Invalid("mobile", "change a number with change-number")
	}
	switch step {
	case serviceActivate:
		if c.Status == taxsms.ServiceActive {
			return &taxsms.Error{Code: taxsms.ECONFLICT, Field: "status", Message: "status: the service is already active"}
		}
		c.Status = taxsms.ServiceActive
	case serviceCancel:
		if c.Status == taxsms.ServiceCancelled {
			return &taxsms.Error{Code: taxsms.ECONFLICT, Field: "status", Message: "status: the service is already cancelled"}
		}
		c.Status = taxsms.ServiceCancelled
	case serviceChangeNumber:
		m, err := taxsms.NormalizeMobile(in.Mobile)
		if err != nil {
			return err
		}
		if m == c.Mobile {
			return &taxsms.Error{Code: taxsms.ECONFLICT, Field: "mobile", Message: "mobile: the contact already has this number"}
		}
		c.Mobile = m
	}
	return nil
}
