package web

import (
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"net/url"
	"path"
	"slices"
	"strconv"
	"strings"
	"time"

	"taxsms"
	"taxsms/auth"
)

// The page helpers. A console page is a HandlerFunc registered with
// Console.handle, rendering a template of templates/ with Console.render:
//
//	c.handle(mux, "GET /users", auth.PermManageUsers, c.handleUsers)
//
//	func (c *Console) handleUsers(w http.ResponseWriter, r *Request) error {
//		after, err := r.Cursor()
//		if err != nil {
//			return err
//		}
//		users, err := c.DB.ListUsers(r.Context(), taxsms.UserFilter{After: after, Limit: PageSize + 1})
//		if err != nil {
//			return err // ENOTFOUND → 404 page, EFORBIDDEN → 403 page, else 500
//		}
//		more := len(users) > PageSize
//		...
//		c.render(w, r, http.StatusOK, "users", &Page{Title: "users.title", Data: users, List: r.Pager(more, lastID)})
//		return nil
//	}
//
// and templates/users.html defines "content" (and may define "head"). Every
// visible text is {{t "key"}} with the key in a file of i18n/.

// templateFiles are the console's templates: files whose name begins with
// "_" are shared by every page (the layout and the partials); every other
// file is one page, named by its file name without ".html", and defines
// "content".
//
//go:embed templates/*.html
var templateFiles embed.FS

// staticFiles are served under /static/ (stylesheet, icons).
//
//go:embed static
var staticFiles embed.FS

// PageSize is how many rows a list page shows.
const PageSize = 50

// Page is what a console template gets as its dot. Handlers set Title and
// what the page shows; render sets the rest.
type Page struct {
	Title string // catalogue key of the page's title and heading
	Data  any    // the page's own data: .Data in its template
	Form  *Form  // the form shown, with its values and errors; may be nil
	List  *List  // the keyset pager of a list page; may be nil
	Flash []Flash

	// Set by render.
	Lang, HTMLLang string
	Actor          *auth.Actor  // nil before sign-in
	User           *taxsms.User // nil before sign-in
	CSRF           string       // the session's token, for the hidden csrf_token field
	Nav            []NavItem
	Path           string // the request's path, e.g. "/users"
	RequestURI     string // the path and query, for the language form's "next"
	Version        string
}

// Can reports whether the signed-in user holds the permission named perm,
// for templates: {{if .Can "manage_users"}}.
func (p *Page) Can(perm string) bool {
	return p.Actor != nil && p.Actor.Has(auth.Permission(perm))
}

// Flash is a one-off message shown at the top of a page, after a redirect
// (Console.redirect).
type Flash struct {
	Text  string // translated
	Error bool   // an error rather than a confirmation
}

// NavItem is one entry of the console's navigation.
type NavItem struct {
	Path, Key string // the page's path and its label's catalogue key
	Current   bool
}

// navItems are the pages of the navigation, in order; Show (nil: everyone
// signed in) decides who sees each.
var navItems = []struct {
	Path, Key string
	Show      func(a *auth.Actor) bool
}{
	{Path: "/", Key: "nav.dashboard"},
	{Path: "/taxpayers", Key: "nav.taxpayers", Show: canRead(auth.DataTaxpayers)},
	{Path: "/messages", Key: "nav.messages", Show: canRead(auth.DataMessages)},
	{Path: "/inbound", Key: "nav.inbound", Show: canRead(auth.DataMessages)},
	{Path: "/campaigns", Key: "nav.campaigns", Show: canSeeCampaigns},
	{Path: "/tickets", Key: "nav.tickets", Show: canRead(auth.DataTickets)},
	{Path: "/conversations", Key: "nav.conversations", Show: canRead(auth.DataTickets)},
	{Path: "/kb", Key: "nav.kb", Show: canSeeKB},
	{Path: "/content", Key: "nav.content", Show: canSeeContent},
	{Path: "/offices", Key: "nav.offices", Show: canReadAny(auth.PermManageOffices, auth.PermReadAll)},
	{Path: "/users", Key: "nav.users", Show: canReadAny(auth.PermManageUsers, auth.PermReadAll)},
	{Path: "/keys", Key: "nav.keys", Show: canReadAny(auth.PermManageAPIKeys, auth.PermReadAll)},
	{Path: "/audit", Key: "nav.audit", Show: canReadAny(auth.PermViewAudit)},
	{Path: "/reminders", Key: "nav.reminders", Show: canSeeReminders},
	{Path: "/plan", Key: "nav.plan", Show: canSeeReminders},
	{Path: "/calendar", Key: "nav.calendar", Show: canSeeCalendar},
	{Path: "/links", Key: "nav.links", Show: canWatchLinks},
	{Path: "/billing", Key: "nav.billing", Show: canSeeBilling},
	{Path: "/reports", Key: "nav.reports", Show: canSeeReports},
}

// canRead returns a Show function for the users that may read some of d.
func canRead(d auth.Data) func(a *auth.Actor) bool {
	return func(a *auth.Actor) bool { return a.Access(d).Read.Level != auth.LevelNone }
}

func (c *Console) nav(r *Request) []NavItem {
	var out []NavItem
	for _, it := range navItems {
		if it.Show != nil && !it.Show(r.Actor) {
			continue
		}
		cur := r.URL.Path == it.Path || it.Path != "/" && strings.HasPrefix(r.URL.Path, it.Path+"/")
		out = append(out, NavItem{Path: it.Path, Key: it.Key, Current: cur})
	}
	return out
}

// Form is a submitted form: its values, for showing them again, and its
// errors, shown beside their fields ({{template "field" ...}}) or above the
// form.
type Form struct {
	Values url.Values
	Errors map[string]string // field name → translated message
	Error  string            // translated message not tied to one field
	fields []string
}

// newForm returns the form of r (its parsed POST body, or its query on GET)
// with the given field names: an error naming another field is shown above
// the form.
func newForm(r *Request, fields ...string) *Form {
	v := r.PostForm
	if r.Method == http.MethodGet || v == nil {
		r.ParseForm()
		v = r.Form
	}
	return &Form{Values: v, Errors: make(map[string]string), fields: fields}
}

// Get returns the value of field name, with surrounding spaces trimmed.
func (f *Form) Get(name string) string { return strings.TrimSpace(f.Values.Get(name)) }

// Fail records the translated message text for field ("" or a field not
// of the form: the form's own error).
func (f *Form) Fail(field, text string) {
	if field != "" && slices.Contains(f.fields, field) {
		if _, ok := f.Errors[field]; !ok {
			f.Errors[field] = text
		}
		return
	}
	if f.Error == "" {
		f.Error = text
	}
}

// OK reports whether the form has no error.
func (f *Form) OK() bool { return len(f.Errors) == 0 && f.Error == "" }

// failWith records err, a *taxsms.Error a user may see (EINVALID naming its
// field, ECONFLICT, EFORBIDDEN, ENOTFOUND), on the form and returns nil;
// any other error is returned for the handler to return (a 500). The
// message is the error's own (English), introduced in the page's language.
func (c *Console) failWith(r *Request, f *Form, err error) error {
	if err == nil {
		return nil
	}
	if taxsms.ErrorCode(err) == taxsms.EINTERNAL {
		return err
	}
	f.Fail(taxsms.ErrorField(err), c.T(r, "form.error", taxsms.ErrorMessage(err)))
	return nil
}

// List is the keyset pager of a list page: the search form's values and
// the links to the first and the next page ({{template "pager" .List}}).
type List struct {
	Query url.Values // the request's query: the search form's values
	Next  string     // URL of the next page; "" on the last
	First string     // URL of the first page; "" on the first
}

// cursorParam is the query parameter holding the key after which a list
// page starts.
const cursorParam = "after"

// Cursor returns the key after which the list page starts (0: the first
// page), or EINVALID naming "after".
func (r *Request) Cursor() (int64, error) {
	s := r.URL.Query().Get(cursorParam)
	if s == "" {
		return 0, nil
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < 0 {
		return 0, taxsms.Invalid(cursorParam, "not a page key: %q", s)
	}
	return n, nil
}

// Pager returns the List of r's page: more says whether there is a page
// after it (fetch PageSize+1 rows to know), last is the key of its last row.
func (r *Request) Pager(more bool, last int64) *List {
	q := r.URL.Query()
	l := &List{Query: q}
	if more {
		n := cloneValues(q)
		n.Set(cursorParam, strconv.FormatInt(last, 10))
		l.Next = r.URL.Path + "?" + n.Encode()
	}
	if q.Get(cursorParam) != "" {
		n := cloneValues(q)
		n.Del(cursorParam)
		l.First = r.URL.Path
		if len(n) > 0 {
			l.First += "?" + n.Encode()
		}
	}
	return l
}

func cloneValues(v url.Values) url.Values {
	out := make(url.Values, len(v))
	for k, vs := range v {
		out[k] = slices.Clone(vs)
	}
	return out
}

// fieldView is what the "field" partial renders: a labelled input with its
// error beside it.
type fieldView struct {
	Name, ID, Label, Type, Value, Error, Hint string
	Autocomplete, InputMode                   string
	Required, Autofocus                       bool
}

// templates are the parsed pages, per language.
type templates struct {
	pages map[string]map[string]*template.Template // lang → page → template
}

func (t *templates) page(lang, name string) (*template.Template, bool) {
	p, ok := t.pages[lang][name]
	return p, ok
}

// parseTemplates parses every page of fsys's templates/ with the shared
// files, once per language, with funcs(lang).
func parseTemplates(fsys fs.FS, cat *Catalog, funcs func(lang string) template.FuncMap) (*templates, error) {
	files, err := fs.Glob(fsys, "templates/*.html")
	if err != nil {
		return nil, err
	}
	var shared, pages []string
	for _, f := range files {
		if strings.HasPrefix(path.Base(f), "_") {
			shared = append(shared, f)
		} else {
			pages = append(pages, f)
		}
	}
	t := &templates{pages: make(map[string]map[string]*template.Template)}
	for _, lang := range Langs {
		base, err := template.New("").Funcs(funcs(lang)).ParseFS(fsys, shared...)
		if err != nil {
			return nil, err
		}
		t.pages[lang] = make(map[string]*template.Template)
		for _, p := range pages {
			clone, err := base.Clone()
			if err != nil {
				return nil, err
			}
			pt, err := clone.ParseFS(fsys, p)
			if err != nil {
				return nil, err
			}
			t.pages[lang][strings.TrimSuffix(path.Base(p), ".html")] = pt
		}
	}
	return t, nil
}

// funcs returns the template functions of lang:
//
//	t "key" args...        the catalogue's text, formatted with args
//	mask NUMBER            a mobile number masked: 138****1234
//	num N                  an integer with thousands separators
//	pct F                  a fraction 0..1 as a percentage: 97.5%
//	datetime T, date T     an instant in the bureau's zone
//	static "console.css"   the versioned URL of a static file
//	field FORM "name" "label.key" "type" opts...
//	                       the view of one form field for {{template "field"}};
//	                       opts: "required", "autofocus", "autocomplete=…",
//	                       "inputmode=…", "hint=key"; a field in error takes
//	                       the focus
func (c *Console) funcs(lang string) template.FuncMap {
	return template.FuncMap{
		"t":    func(key string, args ...any) string { return c.cat.T(lang, key, args...) },
		"mask": taxsms.MaskMobile,
		"num": func(n any) string {
			switch v := n.(type) {
			case int:
				return formatInt(v)
			case int64:
				return formatInt(int(v))
			}
			return fmt.Sprint(n)
		},
		"pct": func(f float64) string { return strconv.FormatFloat(f*100, 'f', 1, 64) + "%" },
		"datetime": func(t time.Time) string {
			if t.IsZero() {
				return "—"
			}
			return t.In(c.Location).Format("2006-01-02 15:04")
		},
		"date": func(t time.Time) string {
			if t.IsZero() {
				return "—"
			}
			return t.In(c.Location).Format("2006-01-02")
		},
		"static": staticURL,
		"field": func(f *Form, name, label, typ string, opts ...string) fieldView {
			v := fieldView{Name: name, ID: "f-" + name, Label: c.cat.T(lang, label), Type: typ}
			if f != nil {
				if typ != "password" {
					v.Value = f.Get(name)
				}
				v.Error = f.Errors[name]
			}
			// A form shown again with errors puts the focus on the first
			// field in error (the first autofocus of a page wins).
			fieldErrors := f != nil && len(f.Errors) > 0
			v.Autofocus = fieldErrors && v.Error != ""
			for _, o := range opts {
				k, val, _ := strings.Cut(o, "=")
				switch k {
				case "required":
					v.Required = true
				case "autofocus":
					v.Autofocus = v.Autofocus || !fieldErrors
				case "autocomplete":
					v.Autocomplete = val
				case "inputmode":
					v.InputMode = val
				case "hint":
					v.Hint = c.cat.T(lang, val)
				}
			}
			return v
		},
	}
}

// staticSums are the content hashes of the static files, for their URLs.
var staticSums = func() map[string]string {
	m := make(map[string]string)
	fs.WalkDir(staticFiles, "static", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, _ := staticFiles.ReadFile(p)
		sum := sha256.Sum256(b)
		m[strings.TrimPrefix(p, "static/")] = hex.EncodeToString(sum[:6])
		return nil
	})
	return m
}()

// staticURL returns the URL of a static file with its content hash, so that
// browsers may cache it for good.
func staticURL(name string) string {
	return "/static/" + name + "?v=" + staticSums[name]
}

// staticHandler serves the embedded static files, cacheable for a year
// (their URLs change with their content).
func staticHandler() http.Handler {
	sub, _ := fs.Sub(staticFiles, "static")
	files := http.FileServerFS(sub)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, ok := staticSums[r.URL.Path]; !ok {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
		files.ServeHTTP(w, r)
	})
}
