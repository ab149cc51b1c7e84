package web

import (
	"context"
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"taxsms"
	"taxsms/auth"
)

// apiRoute is one endpoint of the REST API. The route table (apiRoutes)
// registers the handlers, decides who may call them, and is what the
// OpenAPI document is checked against.
type apiRoute struct {
	Pattern string    // as registered on the ServeMux: "GET /api/v1/taxpayers/{id}"
	Public  bool      // served without authentication
	Data    auth.Data // the kind of record it reads or writes; "" for none
	Write   bool      // it changes records of Data: the actor needs a write scope
	// Perm is the permission the actor must hold; "" for none beyond the
	// scope of Data.
	Perm    auth.Permission
	Handler http.HandlerFunc
}

// apiRoutes is the table of the REST API under /api/v1.
func (s *Server) apiRoutes() []apiRoute {
	const (
		tp, ct, of, us, ms = auth.DataTaxpayers, auth.DataTaxpayers, auth.DataOffices, auth.DataUsers, auth.DataMessages
	)
	return append([]apiRoute{
		{Pattern: "GET /api/v1/openapi.json", Public: true, Handler: s.handleOpenAPI},
		{Pattern: "GET /api/v1/status", Public: true, Handler: s.handleStatusJSON},

		{Pattern: "GET /api/v1/taxpayers", Data: tp, Handler: s.handleListTaxpayers},
		{Pattern: "POST /api/v1/taxpayers", Data: tp, Write: true, Perm: auth.PermManageTaxpayers, Handler: s.handleCreateTaxpayer},
		{Pattern: "GET /api/v1/taxpayers/{id}", Data: tp, Handler: s.handleGetTaxpayer},
		{Pattern: "PATCH /api/v1/taxpayers/{id}", Data: tp, Write: true, Perm: auth.PermManageTaxpayers, Handler: s.handleUpdateTaxpayer},

		{Pattern: "GET /api/v1/taxpayers/{id}/contacts", Data: ct, Handler: s.handleListContacts},
		{Pattern: "POST /api/v1/taxpayers/{id}/contacts", Data: ct, Write: true, Perm: auth.PermManageTaxpayers, Handler: s.handleCreateContact},
		{Pattern: "GET /api/v1/contacts/{id}", Data: ct, Handler: s.handleGetContact},
		{Pattern: "PATCH /api/v1/contacts/{id}", Data: ct, Write: true, Perm: auth.PermManageTaxpayers, Handler: s.handleUpdateContact},
		{Pattern: "POST /api/v1/contacts/{id}/activate", Data: ct, Write: true, Perm: auth.PermManageTaxpayers, Handler: s.handleContactService(serviceActivate)},
		{Pattern: "POST /api/v1/contacts/{id}/change-number", Data: ct, Write: true, Perm: auth.PermManageTaxpayers, Handler: s.handleContactService(serviceChangeNumber)},
		{Pattern: "POST /api/v1/contacts/{id}/cancel", Data: ct, Write: true, Perm: auth.PermManageTaxpayers, Handler: s.handleContactService(serviceCancel)},

		{Pattern: "GET /api/v1/offices", Data: of, Handler: s.handleListOffices},
		{Pattern: "POST /api/v1/offices", Data: of, Write: true, Perm: auth.PermManageOffices, Handler: s.handleCreateOffice},
		{Pattern: "GET /api/v1/offices/{id}", Data: of, Handler: s.handleGetOffice},
		{Pattern: "PATCH /api/v1/offices/{id}", Data: of, Write: true, Perm: auth.PermManageOffices, Handler: s.handleUpdateOffice},

		{Pattern: "GET /api/v1/users", Data: us, Handler: s.handleListUsers},
		{Pattern: "POST /api/v1/users", Data: us, Write: true, Perm: auth.PermManageUsers, Handler: s.handleCreateUser},
		{Pattern: "GET /api/v1/users/{id}", Data: us, Handler: s.handleGetUser},
		{Pattern: "PATCH /api/v1/users/{id}", Data: us, Write: true, Perm: auth.PermManageUsers, Handler: s.handleUpdateUser},

		{Pattern: "GET /api/v1/keys", Data: of, Perm: auth.PermManageAPIKeys, Handler: s.handleListKeys},
		{Pattern: "POST /api/v1/keys", Data: of, Write: true, Perm: auth.PermManageAPIKeys, Handler: s.handleCreateKey},
		{Pattern: "POST /api/v1/keys/{id}/revoke", Data: of, Write: true, Perm: auth.PermManageAPIKeys, Handler: s.handleRevokeKey},

		{Pattern: "GET /api/v1/messages", Data: ms, Handler: s.handleListMessages},
		{Pattern: "POST /api/v1/messages", Data: ms, Write: true, Handler: s.handlePostMessages},
		{Pattern: "GET /api/v1/messages/{id}", Data: ms, Handler: s.handleGetMessage},
		{Pattern: "POST /api/v1/messages/{id}/cancel", Data: ms, Write: true, Handler: s.handleChangeMessage("cancel")},
		{Pattern: "POST /api/v1/messages/{id}/hold", Data: ms, Write: true, Handler: s.handleChangeMessage("hold")},
		{Pattern: "POST /api/v1/messages/{id}/release", Data: ms, Write: true, Handler: s.handleChangeMessage("release")},
		{Pattern: "POST /api/v1/outbox/cancel", Data: ms, Write: true, Handler: s.handleChangeOutbox("cancel")},
		{Pattern: "POST /api/v1/outbox/hold", Data: ms, Write: true, Handler: s.handleChangeOutbox("hold")},
		{Pattern: "POST /api/v1/outbox/release", Data: ms, Write: true, Handler: s.handleChangeOutbox("release")},

		// Tax data: posting needs the whole city's write scope (requireCity).
		{Pattern: "GET /api/v1/obligations", Data: tp, Handler: s.handleListObligations},
		{Pattern: "POST /api/v1/obligations", Data: tp, Write: true, Handler: s.handlePostObligations},
		{Pattern: "POST /api/v1/filings", Data: tp, Write: true, Handler: s.handlePostFilings},
		{Pattern: "POST /api/v1/payments", Data: tp, Write: true, Handler: s.handlePostPayments},
		{Pattern: "POST /api/v1/deductions", Data: tp, Write: true, Handler: s.handlePostDeductions},
		{Pattern: "GET /api/v1/deductions/{reference}", Data: tp, Handler: s.handleGetDeduction},
		{Pattern: "POST /api/v1/invoices", Data: tp, Write: true, Handler: s.handlePostInvoices},

		// Billing: statements within the caller's billing scope; months
		// closed and tariffs changed by a city administrator.
		{Pattern: "GET /api/v1/statements", Data: auth.DataBilling, Perm: auth.PermViewBilling, Handler: s.handleStatement},
		{Pattern: "POST /api/v1/statements/{month}/close", Data: auth.DataBilling, Write: true, Perm: auth.PermManageSettings, Handler: s.handleCloseMonth},
		{Pattern: "GET /api/v1/tariffs", Data: auth.DataBilling, Perm: auth.PermViewBilling, Handler: s.handleListTariffs},
		{Pattern: "POST /api/v1/tariffs", Data: auth.DataBilling, Write: true, Perm: auth.PermManageSettings, Handler: s.handleCreateTariff},
		{Pattern: "PATCH /api/v1/tariffs/{id}", Data: auth.DataBilling, Write: true, Perm: auth.PermManageSettings, Handler: s.handleEndTariff},
		{Pattern: "DELETE /api/v1/tariffs/{id}", Data: auth.DataBilling, Write: true, Perm: auth.PermManageSettings, Handler: s.handleDeleteTariff},

		// Service reports, within the caller's scope of their data.
		{Pattern: "GET /api/v1/reports/coverage", Data: tp, Handler: s.handleReportCoverage},
		{Pattern: "GET /api/v1/reports/reception", Data: ms, Handler: s.handleReportReception},
		{Pattern: "GET /api/v1/reports/failing-numbers", Data: tp, Handler: s.handleReportFailing},
		{Pattern: "GET /api/v1/reports/supervision", Data: ms, Handler: s.handleReportSupervision},
		{Pattern: "GET /api/v1/reports/effect", Data: tp, Handler: s.handleReportEffect},
	}, s.campaignRoutes()...)
}

// authenticator returns the actor a request acts as: nil for the system
// (the bootstrap key), or an EUNAUTHORIZED error.
type authenticator func(r *http.Request) (*auth.Actor, error)

// registerAPI registers the REST API on mux, every route authenticated by
// authn (Server.authenticate in production), and a JSON 404 for any other
// path under /api/v1/. Routes that need the database are left out when DB
// is nil.
func (s *Server) registerAPI(mux *http.ServeMux, authn authenticator) {
	for _, rt := range s.apiRoutes() {
		if rt.Data != "" && s.DB == nil {
			continue
		}
		mux.HandleFunc(rt.Pattern, s.guard(rt, authn))
	}
	mux.HandleFunc("/api/v1/", func(w http.ResponseWriter, r *http.Request) {
		var takes []string
		for _, m := range []string{http.MethodGet, http.MethodPost, http.MethodPatch, http.MethodDelete} {
			probe := &http.Request{Method: m, URL: r.URL, Host: r.Host, Header: http.Header{}}
			if _, p := mux.Handler(probe); p != "/api/v1/" && p != "" {
				takes = append(takes, m)
			}
		}
		msg := fmt.Sprintf("no endpoint %s %s", r.Method, r.URL.Path)
		if len(takes) > 0 {
			msg += "; this path takes " + strings.Join(takes, ", ")
		}
		s.error(w, r, &taxsms.Error{Code: taxsms.ENOTFOUND, Message: msg})
	})
}

// guard authenticates a request to rt, checks that its actor may call rt,
// and serves it with the actor in the request's context, where the store
// enforces its scope on every read and write.
func (s *Server) guard(rt apiRoute, authn authenticator) http.HandlerFunc {
	if rt.Public {
		return rt.Handler
	}
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-store") // answers carry personal data
		a, err := authn(r)
		if err != nil {
			w.Header().Set("WWW-Authenticate", `Bearer realm="taxsms"`)
			s.error(w, r, err)
			return
		}
		if err := authorize(a, rt, r.Method); err != nil {
			s.error(w, r, err)
			return
		}
		if a != nil {
			r = r.WithContext(auth.NewContext(r.Context(), a))
		}
		rt.Handler(w, r)
	}
}

// authorize returns nil if a may call rt: a key that lists the route, an
// actor with a read (or, for a write, a write) scope over the route's data,
// holding the route's permission. The system (nil) may call everything.
func authorize(a *auth.Actor, rt apiRoute, method string) error {
	if a == nil {
		return nil
	}
	if !a.CanCall(method, rt.Pattern) {
		return taxsms.Errorf(taxsms.EFORBIDDEN, "%s may not call %s", a, rt.Pattern)
	}
	if rt.Data != "" {
		acc := a.Access(rt.Data)
		if rt.Write && acc.Write.Level == auth.LevelNone {
			return taxsms.Errorf(taxsms.EFORBIDDEN, "%s may not change %s", a, rt.Data)
		}
		if acc.Read.Level == auth.LevelNone {
			return taxsms.Errorf(taxsms.EFORBIDDEN, "%s may not read %s", a, rt.Data)
		}
	}
	if rt.Perm != "" {
		return a.Require(rt.Perm)
	}
	return nil
}

// authenticate is the production authenticator: the configured bootstrap
// key (api.key) acts as the system; any other key must be an API key the
// store knows, in force, of an office not suspended.
func (s *Server) authenticate(r *http.Request) (*auth.Actor, error) {
	h := r.Header.Get("Authorization")
	if h == "" {
		h = r.Header.Get("X-API-Key")
	}
	given := strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(h), "Bearer "))
	if s.APIKey != "" && subtle.ConstantTimeCompare([]byte(given), []byte(s.APIKey)) == 1 {
		return nil, nil
	}
	key, err := auth.ParseKey(h)
	if err != nil {
		return nil, err
	}
	if s.DB == nil {
		return nil, taxsms.Errorf(taxsms.EUNAUTHORIZED, "A valid API key is required.")
	}
	a, err := s.DB.APIKeyActor(r.Context(), auth.HashKey(key))
	if err != nil {
		return nil, err
	}
	a.IP = clientIP(r)
	return a, nil
}

// clientIP returns the address the request came from, without its port.
func clientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// actorOf returns the actor of a request's context, nil for the system.
func actorOf(ctx context.Context) *auth.Actor {
	a, _ := auth.FromContext(ctx)
	return a
}

// Paging of lists: ?limit=N (1 to MaxPage, default DefaultPage) and
// ?cursor=NEXT, where NEXT is the "next" of the previous page. Every list
// has a stable order, so following the cursors visits each record once.
const (
	DefaultPage = 50
	MaxPage     = 500
)

// page is one page of a list.
type page[T any] struct {
	Items []T    `json:"items"`
	Next  string `json:"next,omitempty"` // absent on the last page
}

// encodeCursor returns the opaque cursor of a list of kind that resumes
// after key.
func encodeCursor(kind, key string) string {
	return base64.RawURLEncoding.EncodeToString([]byte(kind + ":" + key))
}

// decodeCursor returns the key in a cursor of a list of kind, "" for an
// empty cursor, or an EINVALID error naming "cursor".
func decodeCursor(kind, c string) (string, error) {
	if c == "" {
		return "", nil
	}
	b, err := base64.RawURLEncoding.DecodeString(c)
	if err != nil || len(c) > 512 {
		return "", taxsms.Invalid("cursor", "not a cursor of this list")
	}
	k, key, ok := strings.Cut(string(b), ":")
	if !ok || k != kind || key == "" {
		return "", taxsms.Invalid("cursor", "not a cursor of this list")
	}
	return key, nil
}

// decodeIDCursor returns the id in a cursor of a list of kind ordered by
// id, 0 for an empty cursor, or an EINVALID error naming "cursor".
func decodeIDCursor(kind, c string) (int64, error) {
	key, err := decodeCursor(kind, c)
	if err != nil || key == "" {
		return 0, err
	}
	id, err := strconv.ParseInt(key, 10, 64)
	if err != nil || id <= 0 {
		return 0, taxsms.Invalid("cursor", "not a cursor of this list")
	}
	return id, nil
}

// listQuery is a list request's query string, checked against the
// parameters the list accepts.
type listQuery struct {
	v     url.Values
	Limit int
}

// parseList reads r's query: limit, cursor and the filters named. An
// unknown or repeated parameter, or a bad limit, is EINVALID naming it.
func parseList(r *http.Request, filters ...string) (listQuery, error) {
	q := listQuery{v: r.URL.Query(), Limit: DefaultPage}
	for name, vals := range q.v {
		if name != "limit" && name != "cursor" && !contains(filters, name) {
			return q, taxsms.Invalid(name, "unknown query parameter; this list accepts limit, cursor and %s", strings.Join(filters, ", "))
		}
		if len(vals) > 1 {
			return q, taxsms.Invalid(name, "given %d times", len(vals))
		}
	}
	if l := q.v.Get("limit"); l != "" {
		n, err := strconv.Atoi(l)
		if err != nil || n < 1 || n > MaxPage {
			return q, taxsms.Invalid("limit", "want 1 to %d, got %q", MaxPage, l)
		}
		q.Limit = n
	}
	return q, nil
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// Get returns the query parameter name, "" if absent.
func (q listQuery) Get(name string) string { return q.v.Get(name) }

// ID returns the query parameter name as a positive id, 0 if absent, or an
// EINVALID error naming it.
func (q listQuery) ID(name string) (int64, error) {
	s := q.v.Get(name)
	if s == "" {
		return 0, nil
	}
	id, err := strconv.ParseInt(s, 10, 64)
	if err != nil || id <= 0 {
		return 0, taxsms.Invalid(name, "%q is not an id", s)
	}
	return id, nil
}

// pathID returns the {id} of r's path, or ENOTFOUND naming what.
func pathID(r *http.Request, what string) (int64, error) {
	s := r.PathValue("id")
	id, err := strconv.ParseInt(s, 10, 64)
	if err != nil || id <= 0 {
		return 0, taxsms.Errorf(taxsms.ENOTFOUND, "%s %q not found", what, s)
	}
	return id, nil
}

// decodeBody reads a request body of at most max bytes into v, refusing
// unknown fields and trailing data (EINVALID).
func decodeBody(w http.ResponseWriter, r *http.Request, max int64, v any) error {
	b, err := readBody(w, r, max)
	if err != nil {
		return err
	}
	if err := strictJSON(b, v); err != nil {
		return taxsms.Errorf(taxsms.EINVALID, "body: %v", err)
	}
	return nil
}

// maxSmallBody bounds the body of a request that is not a message batch.
const maxSmallBody = 64 << 10

// officeFilter returns the ?office= filter of a list: an office the actor
// may read (its subtree is listed), 0 if absent; ENOTFOUND for one it may
// not read, so that a filter never tells what exists outside the scope.
func (s *Server) officeFilter(ctx context.Context, q listQuery) (int64, error) {
	id, err := q.ID("office")
	if err != nil || id == 0 {
		return 0, err
	}
	if _, err := s.DB.FindOffice(ctx, id); err != nil {
		return 0, err
	}
	return id, nil
}
