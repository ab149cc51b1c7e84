package web

import (
	"net/http"
	"slices"
	"time"

	"taxsms"
	"taxsms/auth"
)

// keyView is an API key as the API shows it: never its secret or hash.
type keyView struct {
	ID        int64      `json:"id"`
	Name      string     `json:"name"`
	OfficeID  int64      `json:"office_id"`
	Endpoints []string   `json:"endpoints"`
	CreatedBy int64      `json:"created_by,omitempty"`
	Created   time.Time  `json:"created_at"`
	Revoked   *time.Time `json:"revoked_at,omitempty"`
	// Secret is the key itself, in the answer that makes it and never again.
	Secret string `json:"secret,omitempty"`
}

func viewKey(k *auth.APIKey) keyView {
	v := keyView{ID: k.ID, Name: k.Name, OfficeID: k.OfficeID, Endpoints: k.Endpoints, CreatedBy: k.CreatedBy, Created: k.CreatedAt}
	if v.Endpoints == nil {
		v.Endpoints = []string{}
	}
	if k.Revoked() {
		r := k.RevokedAt.UTC()
		v.Revoked = &r
	}
	return v
}

// keyIn is the body of POST /api/v1/keys.
type keyIn struct {
	Name      string   `json:"name"`
	OfficeID  int64    `json:"office_id"`
	Endpoints []string `json:"endpoints"`
}

// handleListKeys serves GET /api/v1/keys: the API keys of the offices the
// actor may write, revoked ones included, by id (keys are few: one page).
func (s *Server) handleListKeys(w http.ResponseWriter, r *http.Request) {
	if _, err := parseList(r); err != nil {
		s.error(w, r, err)
		return
	}
	keys, err := s.DB.ListAPIKeys(r.Context())
	if err != nil {
		s.error(w, r, err)
		return
	}
	out := page[keyView]{Items: []keyView{}}
	for _, k := range keys {
		out.Items = append(out.Items, viewKey(k))
	}
	writeJSON(w, http.StatusOK, out)
}

// handleCreateKey serves POST /api/v1/keys: a new key for an office subtree
// the actor may write (its own office by default), allowed the endpoints
// listed, each a route of this API ("GET /api/v1/taxpayers/{id}"). The
// answer carries the secret, shown this once.
func (s *Server) handleCreateKey(w http.ResponseWriter, r *http.Request) {
	var in keyIn
	if err := decodeBody(w, r, maxSmallBody, &in); err != nil {
		s.error(w, r, err)
		return
	}
	if in.OfficeID == 0 {
		if a := actorOf(r.Context()); a != nil {
			in.OfficeID = a.OfficeID
		}
	}
	if err := s.checkEndpoints(in.Endpoints); err != nil {
		s.error(w, r, err)
		return
	}
	if _, err := s.DB.FindOffice(r.Context(), in.OfficeID); taxsms.ErrorCode(err) == taxsms.ENOTFOUND {
		s.error(w, r, taxsms.Invalid("office_id", "no office with id %d", in.OfficeID))
		return
	} else if err != nil {
		s.error(w, r, err)
		return
	}
	secret, hash, err := auth.NewKey()
	if err != nil {
		s.error(w, r, err)
		return
	}
	k := &auth.APIKey{Name: in.Name, Hash: hash, OfficeID: in.OfficeID, Endpoints: in.Endpoints}
	if err := s.DB.CreateAPIKey(r.Context(), k); err != nil {
		s.error(w, r, err)
		return
	}
	v := viewKey(k)
	v.Secret = secret
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusCreated, v)
}

// checkEndpoints returns an EINVALID error naming "endpoints" unless each
// of eps is an authenticated route of this API.
func (s *Server) checkEndpoints(eps []string) error {
	if len(eps) == 0 {
		return taxsms.Invalid("endpoints", "name at least one, e.g. \"POST /api/v1/messages\"")
	}
	routes := s.apiEndpoints()
	for _, e := range eps {
		if !slices.Contains(routes, e) {
			return taxsms.Invalid("endpoints", "%q is not an endpoint of this API; see GET /api/v1/openapi.json (e.g. %q)", e, routes[0])
		}
	}
	return nil
}

// handleRevokeKey serves POST /api/v1/keys/{id}/revoke: the key stops at
// once. A key already revoked is ECONFLICT.
func (s *Server) handleRevokeKey(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "API key")
	if err != nil {
		s.error(w, r, err)
		return
	}
	if err := s.DB.RevokeAPIKey(r.Context(), id); err != nil {
		s.error(w, r, err)
		return
	}
	keys, err := s.DB.ListAPIKeys(r.Context())
	if err != nil {
		s.error(w, r, err)
		return
	}
	for _, k := range keys {
		if k.ID == id {
			writeJSON(w, http.StatusOK, viewKey(k))
			return
		}
	}
	s.error(w, r, taxsms.Errorf(taxsms.ENOTFOUND, "API key %d not found", id))
}

// apiEndpoints returns the route patterns an API key may be allowed, in
// the order of the route table: every route that needs authentication.
func (s *Server) apiEndpoints() []string {
	var out []string
	for _, rt := range s.apiRoutes() {
		if !rt.Public {
			out = append(out, rt.Pattern)
		}
	}
	return out
}
