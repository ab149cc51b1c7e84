package web

import (
	"bytes"
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"taxsms"
	"taxsms/auth"
	"taxsms/campaign"
	"taxsms/carrier"
	"taxsms/content"
	"taxsms/remind"
	"taxsms/store"
)

// Console is the staff console: server-rendered pages in Simplified Chinese
// and English behind a session sign-in (see the package comment of auth for
// the sign-in steps). Set Server.Console to serve it; Open checks it.
//
// Known limits: the client address is the connection's (a proxy in front
// is not trusted for X-Forwarded-For); the lockout counts failures per
// existing login, and nothing limits the attempts of one address over many
// logins; changing one's password does not end one's other sessions; a
// password hashed with older parameters is not re-hashed at sign-in; the
// dashboard shows the carrier links of the node that serves it.
type Console struct {
	DB *store.DB
	// Links reports the carrier links' health for the dashboard; nil shows
	// none.
	Links LinkHealth
	// Key is the installation's console secret, at least 32 bytes, the same
	// on every node: CSRF tokens, the sign-in step between password and
	// second factor, and flash messages are keyed by it.
	Key      []byte
	Sessions auth.SessionConfig
	Lockout  auth.Lockout
	TOTP     auth.TOTPPolicy // roles that must use a second factor
	Hasher   *auth.Hasher    // nil: auth.DefaultParams
	// Issuer names the platform in authenticator apps; default "taxsms 12366".
	Issuer   string
	Location *time.Location   // the bureau's time zone; nil: Asia/Shanghai
	Now      func() time.Time // nil: time.Now
	// StatsMaxAge is how long the dashboard's message counts are reused
	// per scope (0: 30 s; negative: never).
	StatsMaxAge time.Duration
	// Reminders plans and runs the automatic reminders for their pages;
	// nil: one on DB with the embedded calendar and the default rules.
	Reminders *remind.Planner
	// Content holds the content check in force on this node; the lists
	// page puts a saved list in force in it. nil: one of its own.
	Content *content.Source
	// Campaigns runs the broadcasts for their pages; nil: one on DB with
	// Content's lists, the embedded calendar and no prices.
	Campaigns *campaign.Service

	logger  *slog.Logger
	version string
	cat     *Catalog
	tmpl    *templates
	csrf    *auth.CSRF
	aead    cipher.AEAD // seals the pending sign-in step
	flashK  []byte      // signs flash messages
	stats   statsCache
	covers  coverCache     // the dashboard's service coverage, per scope
	routes  []consoleRoute // the signed-in pages, as registered
	links   linkMeter      // the links page's throughput
}

// consoleRoute is a signed-in page and the permission it needs ("" for any
// signed-in user).
type consoleRoute struct {
	Pattern string
	Perm    auth.Permission
}

// LinkHealth is what the dashboard needs of the carrier links: the carrier
// router satisfies it.
type LinkHealth interface {
	Health() []carrier.Health
}

// open checks c and prepares its catalogue, templates and keys.
func (c *Console) open(logger *slog.Logger, version string) error {
	if c.DB == nil {
		return errors.New("console: no database")
	}
	if len(c.Key) < 32 {
		return taxsms.Invalid("console key", "at least 32 bytes, got %d", len(c.Key))
	}
	if err := c.TOTP.Validate(); err != nil {
		return err
	}
	if c.Content == nil {
		c.Content = new(content.Source)
	}
	if c.Hasher == nil {
		c.Hasher = auth.NewHasher(auth.Params{}, 0)
	}
	if c.Issuer == "" {
		c.Issuer = "taxsms 12366"
	}
	if c.Location == nil {
		loc, err := time.LoadLocation("Asia/Shanghai")
		if err != nil {
			return err
		}
		c.Location = loc
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if logger == nil {
		logger = slog.Default()
	}
	c.logger, c.version = logger, version
	var err error
	if c.cat, err = loadCatalog(catalogFiles); err != nil {
		return err
	}
	if c.tmpl, err = parseTemplates(templateFiles, c.cat, c.funcs); err != nil {
		return err
	}
	if c.csrf, err = auth.NewCSRF(c.derive("csrf")); err != nil {
		return err
	}
	block, err := aes.NewCipher(c.derive("pending"))
	if err != nil {
		return err
	}
	if c.aead, err = cipher.NewGCM(block); err != nil {
		return err
	}
	c.flashK = c.derive("flash")
	return nil
}

// derive returns a 32-byte key for one purpose, so that no two uses share
// the installation's key.
func (c *Console) derive(purpose string) []byte {
	m := hmac.New(sha256.New, c.Key)
	m.Write([]byte("taxsms console " + purpose))
	return m.Sum(nil)
}

// Request is a console request: the HTTP request, with the signed-in user
// and the language its page is written in. Its Context carries the actor
// (auth.NewContext), so store calls made with r.Context() keep to the
// user's scope.
type Request struct {
	*http.Request
	Actor     *auth.Actor  // nil on the pages before sign-in
	User      *taxsms.User // nil on the pages before sign-in
	Lang      string
	sessionID string
}

// HandlerFunc serves a console page. An error it returns is rendered in
// the layout by its code (Console.fail): ENOTFOUND 404, EFORBIDDEN 403,
// EINVALID 400, ECONFLICT 409, EUNAUTHORIZED back to the sign-in page,
// anything else a logged 500 that shows no detail. Form errors are not
// returned but shown beside their fields (see Form).
type HandlerFunc func(w http.ResponseWriter, r *Request) error

// handle registers a page for signed-in users at pattern ("GET /users"). If
// perm is not "", users without it get the 403 page. Requests without a
// valid session go to the sign-in page; POST, PUT, PATCH and DELETE
// requests without the session's CSRF token are refused with 403.
func (c *Console) handle(mux *http.ServeMux, pattern string, perm auth.Permission, h HandlerFunc) {
	mux.Handle(pattern, c.signedIn(perm, h))
	c.routes = append(c.routes, consoleRoute{pattern, perm})
}

// handlePublic registers a page that needs no session (the sign-in steps).
// Its forms carry the token of the browser's pre-session cookie (see
// preSession), which render puts in them; a POST without it is refused.
func (c *Console) handlePublic(mux *http.ServeMux, pattern string, h HandlerFunc) {
	mux.HandleFunc(pattern, func(w http.ResponseWriter, hr *http.Request) {
		r := c.request(hr)
		if err := c.checkPreSession(hr); err != nil {
			c.fail(w, r, err)
			return
		}
		if err := h(w, r); err != nil {
			c.fail(w, r, err)
		}
	})
}

// preCookie holds a random id given to a browser before it signs in, so
// that the forms before a session (sign-in, second factor, language) carry
// a CSRF token too (auth.CSRF.Token of this id).
const preCookie = "taxsms_pre"

// preSession returns r's pre-session id, setting a new one on w if it has
// none.
func (c *Console) preSession(w http.ResponseWriter, r *http.Request) string {
	if k, err := r.Cookie(preCookie); err == nil && auth.ValidSessionID(k.Value) {
		return k.Value
	}
	b := make([]byte, 32)
	rand.Read(b)
	id := base64.RawURLEncoding.EncodeToString(b)
	http.SetCookie(w, &http.Cookie{Name: preCookie, Value: id, Path: "/", HttpOnly: true, Secure: c.Sessions.Secure, SameSite: http.SameSiteStrictMode})
	return id
}

// checkPreSession returns errCSRF unless r may proceed without a session: a
// GET, or a POST from this site carrying the token of its pre-session id.
func (c *Console) checkPreSession(r *http.Request) error {
	if r.Method == http.MethodGet || r.Method == http.MethodHead {
		return nil
	}
	k, err := r.Cookie(preCookie)
	if err != nil || !auth.ValidSessionID(k.Value) {
		return errCSRF
	}
	if c.csrf.Check(r, k.Value) != nil {
		return errCSRF
	}
	return nil
}

// request returns the console request of hr before the session is known:
// the language from the cookie, else Accept-Language, else Chinese.
func (c *Console) request(hr *http.Request) *Request {
	lang := ""
	if k, err := hr.Cookie(langCookie); err == nil {
		lang = parseLang(k.Value)
	}
	if lang == "" {
		lang = acceptLang(hr.Header.Get("Accept-Language"))
	}
	if lang == "" {
		lang = Langs[0]
	}
	return &Request{Request: hr, Lang: lang}
}

// langCookie remembers the language of a browser before and between
// sign-ins; a signed-in user's stored language wins over it.
const langCookie = "taxsms_lang"

// signedIn returns the handler that loads the session, puts the actor in the
// context, checks CSRF and perm, then runs h.
func (c *Console) signedIn(perm auth.Permission, h HandlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, hr *http.Request) {
		r, err := c.session(w, hr)
		if err != nil {
			c.fail(w, r, err)
			return
		}
		if err := c.csrf.Check(r.Request, r.sessionID); err != nil {
			c.fail(w, r, errCSRF)
			return
		}
		if perm != "" && !r.Actor.Has(perm) {
			c.fail(w, r, errForbidden)
			return
		}
		if err := h(w, r); err != nil {
			c.fail(w, r, err)
		}
	})
}

// errForbidden is returned by a handler (or by handle) when the user lacks
// the permission the page needs.
var errForbidden = taxsms.Errorf(taxsms.EFORBIDDEN, "You may not see this page.")

// errCSRF is the error of a form without the session's CSRF token, or
// posted from another site.
var errCSRF = taxsms.Errorf(taxsms.EFORBIDDEN, "The form has expired or did not come from this site.")

// errSignIn is the error of a request without a valid session.
var errSignIn = taxsms.Errorf(taxsms.EUNAUTHORIZED, "Please sign in.")

// session returns the request with its signed-in user, or EUNAUTHORIZED
// (having cleared a dead cookie).
func (c *Console) session(w http.ResponseWriter, hr *http.Request) (*Request, error) {
	r := c.request(hr)
	id := c.Sessions.SessionID(hr)
	if id == "" {
		return r, errSignIn
	}
	a, u, err := c.DB.SessionActor(hr.Context(), auth.HashSessionID(id), c.Sessions, c.Now())
	if err != nil {
		if taxsms.ErrorCode(err) == taxsms.EUNAUTHORIZED {
			http.SetCookie(w, c.Sessions.ClearCookie())
		}
		return r, err
	}
	a.IP = requestIP(hr)
	if l := parseLang(a.Lang); l != "" {
		r.Lang = l
	}
	r.Request = hr.WithContext(auth.NewContext(hr.Context(), a))
	r.Actor, r.User, r.sessionID = a, u, id
	return r, nil
}

// requestIP returns the address of the connection's peer, without the port.
func requestIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// fail renders err in the layout with the status of its code.
func (c *Console) fail(w http.ResponseWriter, r *Request, err error) {
	code := taxsms.ErrorCode(err)
	if code == taxsms.EUNAUTHORIZED {
		if r.Method == http.MethodGet || r.Method == http.MethodHead {
			http.Redirect(w, r.Request, "/login?next="+url.QueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
			return
		}
		http.Redirect(w, r.Request, "/login", http.StatusSeeOther)
		return
	}
	p := &Page{Title: "error.title"}
	status := http.StatusInternalServerError
	switch code {
	case taxsms.ENOTFOUND:
		status, p.Title = http.StatusNotFound, "error.not_found"
	case taxsms.EFORBIDDEN:
		status, p.Title = http.StatusForbidden, "error.forbidden"
		if err == errCSRF {
			p.Title = "error.csrf"
		}
	case taxsms.EINVALID, taxsms.ECONFLICT:
		status, p.Title = http.StatusBadRequest, "error.invalid"
		if code == taxsms.ECONFLICT {
			status = http.StatusConflict
		}
		p.Data = taxsms.ErrorMessage(err)
	default:
		c.logger.Error("console", "method", r.Method, "path", r.URL.Path, "err", err)
	}
	if errors.Is(err, context.Canceled) {
		return
	}
	c.render(w, r, status, "error", p)
}

// notFound serves every path no page matches: the 404 page, in the layout
// of the signed-in user if there is one.
func (c *Console) notFound(w http.ResponseWriter, hr *http.Request) {
	r, err := c.session(w, hr)
	if err != nil {
		r.Actor, r.User = nil, nil
	}
	c.fail(w, r, taxsms.Errorf(taxsms.ENOTFOUND, "No such page."))
}

// redirect sends the browser to the local path to with 303 See Other after
// a form, showing the flash message of catalogue key flash (if not "") on
// the next page.
func (c *Console) redirect(w http.ResponseWriter, r *Request, to, flash string, args ...string) {
	if flash != "" {
		c.setFlash(w, false, flash, args...)
	}
	http.Redirect(w, r.Request, localPath(to), http.StatusSeeOther)
}

// redirectError is redirect with a flash message that reports a failure.
func (c *Console) redirectError(w http.ResponseWriter, r *Request, to, flash string, args ...string) {
	c.setFlash(w, true, flash, args...)
	http.Redirect(w, r.Request, localPath(to), http.StatusSeeOther)
}

// localPath returns p if it is a path on this site ("/users?q=1"), else "/",
// so that a "next" parameter cannot send the user elsewhere.
func localPath(p string) string {
	if p == "" || p[0] != '/' || strings.HasPrefix(p, "//") || strings.HasPrefix(p, "/\\") || strings.ContainsAny(p, "\r\n") {
		return "/"
	}
	u, err := url.Parse(p)
	if err != nil || u.Scheme != "" || u.Host != "" {
		return "/"
	}
	return p
}

// seal encrypts v (JSON) for the browser to hold, bound to purpose.
func (c *Console) seal(purpose string, v any) (string, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return "", err
	}
	nonce := make([]byte, c.aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(c.aead.Seal(nonce, nonce, b, []byte(purpose))), nil
}

// open decrypts what seal made for purpose into v; anything else is an
// error.
func (c *Console) unseal(purpose, s string, v any) error {
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil || len(b) < c.aead.NonceSize() {
		return errors.New("bad sealed value")
	}
	n := c.aead.NonceSize()
	plain, err := c.aead.Open(nil, b[:n], b[n:], []byte(purpose))
	if err != nil {
		return errors.New("bad sealed value")
	}
	return json.Unmarshal(plain, v)
}

// flashCookie carries a flash message to the page after a redirect.
const flashCookie = "taxsms_flash"

// setFlash sets the flash message of catalogue key, with args, for the next
// page, an error if isErr; it is signed so that no one else can put text on
// the page.
func (c *Console) setFlash(w http.ResponseWriter, isErr bool, key string, args ...string) {
	q := url.Values{"k": {key}, "a": args}
	if isErr {
		q.Set("e", "1")
	}
	v := q.Encode()
	m := hmac.New(sha256.New, c.flashK)
	m.Write([]byte(v))
	http.SetCookie(w, &http.Cookie{Name: flashCookie, Value: base64.RawURLEncoding.EncodeToString([]byte(v)) + "." + base64.RawURLEncoding.EncodeToString(m.Sum(nil)),
		Path: "/", HttpOnly: true, Secure: c.Sessions.Secure, SameSite: http.SameSiteStrictMode, MaxAge: 60})
}

// takeFlash returns the flash message set for r, if any, and clears it.
func (c *Console) takeFlash(w http.ResponseWriter, r *Request) *Flash {
	k, err := r.Cookie(flashCookie)
	if err != nil {
		return nil
	}
	http.SetCookie(w, &http.Cookie{Name: flashCookie, Path: "/", MaxAge: -1, HttpOnly: true, Secure: c.Sessions.Secure, SameSite: http.SameSiteStrictMode})
	v64, sig64, ok := strings.Cut(k.Value, ".")
	v, err1 := base64.RawURLEncoding.DecodeString(v64)
	sig, err2 := base64.RawURLEncoding.DecodeString(sig64)
	if !ok || err1 != nil || err2 != nil {
		return nil
	}
	m := hmac.New(sha256.New, c.flashK)
	m.Write(v)
	if !hmac.Equal(sig, m.Sum(nil)) {
		return nil
	}
	q, err := url.ParseQuery(string(v))
	if err != nil || !c.cat.Has(q.Get("k")) {
		return nil
	}
	args := make([]any, len(q["a"]))
	for i, a := range q["a"] {
		args[i] = a
	}
	return &Flash{Text: c.cat.T(r.Lang, q.Get("k"), args...), Error: q.Get("e") == "1"}
}

// render writes the page name (templates/NAME.html) in the layout, in r's
// language, with status. It renders into a buffer first, so that a
// template error is a clean 500.
func (c *Console) render(w http.ResponseWriter, r *Request, status int, name string, p *Page) {
	p.Lang, p.HTMLLang = r.Lang, htmlLang(r.Lang)
	p.Actor, p.User = r.Actor, r.User
	p.Path, p.RequestURI = r.URL.Path, r.URL.RequestURI()
	p.Version = c.version
	if r.sessionID != "" {
		p.CSRF = c.csrf.Token(r.sessionID)
	} else {
		p.CSRF = c.csrf.Token(c.preSession(w, r.Request))
	}
	if f := c.takeFlash(w, r); f != nil {
		p.Flash = append(p.Flash, *f)
	}
	if p.Actor != nil {
		p.Nav = c.nav(r)
	}
	t, ok := c.tmpl.page(r.Lang, name)
	if !ok {
		c.logger.Error("console: no template", "name", name)
		http.Error(w, "Internal error.", http.StatusInternalServerError)
		return
	}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "layout", p); err != nil {
		c.logger.Error("console: render", "name", name, "err", err)
		http.Error(w, "Internal error.", http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("Content-Language", p.HTMLLang)
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}

// openConsole prepares s.Console, if set, and adds its routes to mux.
func (s *Server) openConsole(mux *http.ServeMux) error {
	if s.Console == nil {
		return nil
	}
	if err := s.Console.open(s.Logger, s.Version); err != nil {
		return err
	}
	s.Console.register(mux)
	return nil
}

// register adds the console's routes to mux.
func (c *Console) register(mux *http.ServeMux) {
	mux.Handle("GET /static/", http.StripPrefix("/static/", staticHandler()))
	mux.HandleFunc("/", c.notFound)
	c.authRoutes(mux)
	c.handle(mux, "GET /{$}", "", c.handleDashboard)
	c.handle(mux, "POST /reveal", auth.PermRevealNumbers, c.handleReveal)
	c.adminRoutes(mux)
	c.remindRoutes(mux)
	c.dataRoutes(mux)
	c.selfServiceRoutes(mux)
	c.ticketRoutes(mux)
	c.kbRoutes(mux)
	c.contentRoutes(mux)
	c.billingRoutes(mux)
	c.reportRoutes(mux)
	c.campaignRoutes(mux)
}

// T returns the text of key in r's language: for handlers that need a text
// outside a template.
func (c *Console) T(r *Request, key string, args ...any) string {
	return c.cat.T(r.Lang, key, args...)
}

// formatInt writes n with thousands separators: 1,234,567.
func formatInt(n int) string {
	s := fmt.Sprint(n)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, ch := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(ch)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}
