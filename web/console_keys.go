package web

import (
	"net/http"
	"slices"
	"strconv"

	"taxsms"
	"taxsms/auth"
)

// The API keys page (GET /keys): the keys of the offices in the user's
// scope, revoked ones included, a form for a new key (an office subtree, a
// name, the endpoints it may call, chosen from the REST API's routes) whose
// secret is shown once, and a revoke button per key. Reading needs
// manage_api_keys or read_all; changing needs manage_api_keys.

func (c *Console) keysRoutes(mux *http.ServeMux) {
	c.handle(mux, "GET /keys", "", c.handleKeys)
	c.handle(mux, "POST /keys", auth.PermManageAPIKeys, c.handleCreateKeyPage)
	c.handle(mux, "POST /keys/{id}/revoke", auth.PermManageAPIKeys, c.handleRevokeKeyPage)
}

// apiEndpoints are the REST API's routes a key may be allowed, in the order
// of its route table.
func apiEndpoints() []string { return (&Server{}).apiEndpoints() }

// keyRow is a key in the list, with the name of its office.
type keyRow struct {
	*auth.APIKey
	Office string
}

// keysPage is the data of the keys page.
type keysPage struct {
	Keys      []keyRow
	Offices   []officeRow // where a new key may act
	Endpoints []string
	Secret    string // the new key's secret, shown once
	Created   *auth.APIKey
}

// Checked reports whether the form had endpoint e ticked.
func (p *keysPage) Checked(f *Form, e string) bool {
	return f != nil && slices.Contains(f.Values["endpoint"], e)
}

func (c *Console) renderKeys(w http.ResponseWriter, r *Request, status int, f *Form, d *keysPage) error {
	if err := requireAny(r, auth.PermManageAPIKeys, auth.PermReadAll); err != nil {
		return err
	}
	keys, err := c.DB.ListAPIKeys(r.Context())
	if err != nil {
		return err
	}
	tree, err := c.officeTree(r)
	if err != nil {
		return err
	}
	names := make(map[int64]string, len(tree))
	for _, o := range tree {
		names[o.ID] = o.Name
	}
	for _, k := range slices.Backward(keys) {
		d.Keys = append(d.Keys, keyRow{APIKey: k, Office: names[k.OfficeID]})
	}
	d.Endpoints = apiEndpoints()
	if r.Actor.Has(auth.PermManageAPIKeys) {
		d.Offices = writableOffices(r, tree, auth.DataOffices)
	}
	if f == nil {
		f = &Form{Values: map[string][]string{"office": {strconv.FormatInt(r.Actor.OfficeID, 10)}}, Errors: map[string]string{}}
	}
	c.render(w, r, status, "keys", &Page{Title: "keys.title", Form: f, Data: d})
	return nil
}

// handleKeys serves GET /keys.
func (c *Console) handleKeys(w http.ResponseWriter, r *Request) error {
	return c.renderKeys(w, r, http.StatusOK, nil, &keysPage{})
}

// handleCreateKeyPage serves POST /keys: a new key; the page shows its
// secret this once.
func (c *Console) handleCreateKeyPage(w http.ResponseWriter, r *Request) error {
	f := newForm(r, "name", "office", "endpoints")
	c.requireFields(r, f, "name", "office")
	eps := f.Values["endpoint"]
	all := apiEndpoints()
	if len(eps) == 0 {
		f.Fail("endpoints", c.T(r, "keys.err_endpoints"))
	}
	for _, e := range eps {
		if !slices.Contains(all, e) {
			f.Fail("endpoints", c.T(r, "keys.err_endpoints"))
		}
	}
	k := &auth.APIKey{Name: f.Get("name"), Endpoints: eps}
	if s := f.Get("office"); s != "" {
		id, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			f.Fail("office", c.T(r, "users.err_office"))
		}
		k.OfficeID = id
	}
	d := &keysPage{}
	if f.OK() {
		secret, hash, err := auth.NewKey()
		if err != nil {
			return err
		}
		k.Hash = hash
		if err := c.failWith(r, f, c.DB.CreateAPIKey(r.Context(), k)); err != nil {
			return err
		}
		if f.OK() {
			d.Secret, d.Created = secret, k
			return c.renderKeys(w, r, http.StatusCreated, nil, d)
		}
	}
	return c.renderKeys(w, r, http.StatusBadRequest, f, d)
}

// handleRevokeKeyPage serves POST /keys/{id}/revoke: the key stops at once.
func (c *Console) handleRevokeKeyPage(w http.ResponseWriter, r *Request) error {
	id, err := r.pathID()
	if err != nil {
		return err
	}
	if err := c.DB.RevokeAPIKey(r.Context(), id); err != nil {
		if taxsms.ErrorCode(err) == taxsms.ECONFLICT {
			c.redirect(w, r, "/keys", "keys.already_revoked", strconv.FormatInt(id, 10))
			return nil
		}
		return err
	}
	c.redirect(w, r, "/keys", "keys.revoked", strconv.FormatInt(id, 10))
	return nil
}
