package web

import (
	"net/http"
	"strconv"
	"strings"
	"unicode/utf8"

	"taxsms"
	"taxsms/auth"
	"taxsms/kb"
)

// The knowledge base's pages: the entries with a search filter and a box to
// try a question against them (GET /kb); the built-in FAQ loaded into the
// store (POST /kb/default); an entry created (GET and POST /kb/new), edited
// (GET and POST /kb/{id}) and deleted (POST /kb/{id}/delete). Those who
// read taxpayers or hold auth.PermManageTemplates see them; writing needs
// auth.PermManageTemplates, and the store also requires city-wide reach.

func (c *Console) kbRoutes(mux *http.ServeMux) {
	c.handle(mux, "GET /kb", "", c.handleKB)
	c.handle(mux, "POST /kb/default", auth.PermManageTemplates, c.handleKBDefault)
	c.handle(mux, "GET /kb/new", auth.PermManageTemplates, c.handleKBNew)
	c.handle(mux, "POST /kb/new", auth.PermManageTemplates, c.handleKBNew)
	c.handle(mux, "GET /kb/{id}", "", c.handleKBEntry)
	c.handle(mux, "POST /kb/{id}", auth.PermManageTemplates, c.handleKBEdit)
	c.handle(mux, "POST /kb/{id}/delete", auth.PermManageTemplates, c.handleKBDelete)
}

// canSeeKB reports whether a may see the knowledge base's pages.
func canSeeKB(a *auth.Actor) bool {
	return a.Has(auth.PermManageTemplates) || canRead(auth.DataTaxpayers)(a)
}

func requireKB(r *Request) error {
	if canSeeKB(r.Actor) {
		return nil
	}
	return taxsms.Errorf(taxsms.EFORBIDDEN, "the knowledge base needs %s or reading taxpayers", auth.PermManageTemplates)
}

// kbTries is how many matches the "try a question" box shows.
const kbTries = 3

// kbList is what GET /kb shows.
type kbList struct {
	Entries   []kb.Entry
	Total     int  // entries stored
	Builtin   bool // none stored: the built-in FAQ answers
	Question  string
	Matches   []kb.Match
	Passes    bool // the best match reaches the threshold
	Threshold float64
	Refused   string // why loading the built-in FAQ was refused
}

// kbSearch reports whether e's question, keywords or category contain q.
func kbSearch(e *kb.Entry, q string) bool {
	q = strings.ToLower(q)
	return strings.Contains(strings.ToLower(e.Question), q) || strings.Contains(strings.ToLower(e.Category), q) ||
		strings.Contains(strings.ToLower(kb.FormatKeywords(e.Keywords)), q)
}

// handleKB serves GET /kb: the entries filtered by q (text) and enabled
// ("yes", "no"), and the best matches of a question typed in "try".
func (c *Console) handleKB(w http.ResponseWriter, r *Request) error {
	if err := requireKB(r); err != nil {
		return err
	}
	return c.renderKB(w, r, http.StatusOK, "")
}

// renderKB renders the list page, with refused above it if not "".
func (c *Console) renderKB(w http.ResponseWriter, r *Request, status int, refused string) error {
	f := newForm(r, "q", "enabled", "try")
	stored, err := c.DB.KBEntries(r.Context())
	if err != nil {
		return err
	}
	d := &kbList{Total: len(stored), Question: f.Get("try"), Refused: refused}
	q, en := f.Get("q"), f.Get("enabled")
	for i := range stored {
		e := &stored[i]
		if q != "" && !kbSearch(e, q) || en == "yes" && !e.Enabled || en == "no" && e.Enabled {
			continue
		}
		d.Entries = append(d.Entries, *e)
	}
	entries := stored
	if len(stored) == 0 {
		d.Builtin, entries = true, kb.Default()
	}
	ix := kb.NewIndex(entries, kb.Options{})
	d.Threshold = ix.Threshold()
	if d.Question != "" {
		d.Matches = ix.Top(d.Question, kbTries)
		_, d.Passes = ix.Match(d.Question)
	}
	c.render(w, r, status, "kb", &Page{Title: "kb.title", Form: f, Data: d})
	return nil
}

// handleKBDefault serves POST /kb/default: stores the built-in FAQ for
// editing (store.UpsertKBEntries).
func (c *Console) handleKBDefault(w http.ResponseWriter, r *Request) error {
	entries := kb.Default()
	n, err := c.DB.UpsertKBEntries(r.Context(), func(yield func(*kb.Entry, error) bool) {
		for i := range entries {
			if !yield(&entries[i], nil) {
				return
			}
		}
	})
	if taxsms.ErrorCode(err) == taxsms.EFORBIDDEN {
		return c.renderKB(w, r, http.StatusForbidden, c.T(r, "kb.forbidden", taxsms.ErrorMessage(err)))
	}
	if err != nil {
		return err
	}
	c.redirect(w, r, "/kb", "kb.loaded", strconv.Itoa(n.Inserted), strconv.Itoa(n.Updated))
	return nil
}

// kbFields are the fields of an entry's form.
var kbFields = []string{"question", "answer", "keywords", "category", "enabled"}

// kbForm is what the entry pages show.
type kbForm struct {
	Entry     *kb.Entry // nil on /kb/new
	Answer    string
	Chars     int // characters of the answer
	MaxAnswer int
	Over      bool
	Delete    *Form
}

func (c *Console) renderKBEntry(w http.ResponseWriter, r *Request, status int, e *kb.Entry, f, del *Form) {
	d := &kbForm{Entry: e, Answer: f.Values.Get("answer"), MaxAnswer: kb.MaxAnswer, Delete: del}
	d.Chars = utf8.RuneCountInString(strings.TrimSpace(d.Answer))
	d.Over = d.Chars > kb.MaxAnswer
	if d.Delete == nil {
		d.Delete = &Form{Errors: map[string]string{}, fields: []string{"confirm"}}
	}
	title := "kb.new"
	if e != nil {
		title = "kb.entry"
	}
	c.render(w, r, status, "kb_entry", &Page{Title: title, Form: f, Data: d})
}

// entryOf reads an entry's fields from f.
func entryOf(f *Form) *kb.Entry {
	return &kb.Entry{Question: f.Get("question"), Answer: f.Get("answer"), Keywords: kb.ParseKeywords(f.Get("keywords")),
		Category: f.Get("category"), Enabled: f.Get("enabled") != ""}
}

// kbFail is failAt, but shows the store's EFORBIDDEN (a user without
// city-wide reach) above the form as a refusal rather than as wrong input;
// it returns the status of the page showing the form again: 403 or 400.
func (c *Console) kbFail(r *Request, f *Form, err error) (int, error) {
	if taxsms.ErrorCode(err) == taxsms.EFORBIDDEN {
		f.Fail("", c.T(r, "kb.forbidden", taxsms.ErrorMessage(err)))
		return http.StatusForbidden, nil
	}
	return http.StatusBadRequest, c.failAt(r, f, err)
}

// handleKBNew serves GET and POST /kb/new: a new entry.
func (c *Console) handleKBNew(w http.ResponseWriter, r *Request) error {
	f := newForm(r, kbFields...)
	if r.Method == http.MethodGet {
		f.Values = map[string][]string{"enabled": {"on"}}
		c.renderKBEntry(w, r, http.StatusOK, nil, f, nil)
		return nil
	}
	e := entryOf(f)
	err := c.failWith(r, f, e.Validate())
	if err != nil {
		return err
	}
	status := http.StatusBadRequest
	if f.OK() {
		if status, err = c.kbFail(r, f, c.DB.CreateKBEntry(r.Context(), e)); err != nil {
			return err
		}
	}
	if !f.OK() {
		c.renderKBEntry(w, r, status, nil, f, nil)
		return nil
	}
	c.redirect(w, r, "/kb/"+strconv.FormatInt(e.ID, 10), "kb.created", e.Question)
	return nil
}

// loadKBEntry returns the entry of r's path, or ENOTFOUND.
func (c *Console) loadKBEntry(r *Request) (*kb.Entry, error) {
	id, err := r.pathID()
	if err != nil {
		return nil, err
	}
	return c.DB.FindKBEntry(r.Context(), id)
}

// entryForm returns the form of e's values.
func entryForm(r *Request, e *kb.Entry) *Form {
	f := newForm(r, kbFields...)
	f.Values = map[string][]string{"question": {e.Question}, "answer": {e.Answer}, "keywords": {kb.FormatKeywords(e.Keywords)},
		"category": {e.Category}}
	if e.Enabled {
		f.Values.Set("enabled", "on")
	}
	return f
}

// handleKBEntry serves GET /kb/{id}: an entry with its edit and delete
// forms for those who may change it.
func (c *Console) handleKBEntry(w http.ResponseWriter, r *Request) error {
	if err := requireKB(r); err != nil {
		return err
	}
	e, err := c.loadKBEntry(r)
	if err != nil {
		return err
	}
	c.renderKBEntry(w, r, http.StatusOK, e, entryForm(r, e), nil)
	return nil
}

// handleKBEdit serves POST /kb/{id}: saves the entry.
func (c *Console) handleKBEdit(w http.ResponseWriter, r *Request) error {
	e, err := c.loadKBEntry(r)
	if err != nil {
		return err
	}
	f := newForm(r, kbFields...)
	edited := entryOf(f)
	edited.ID = e.ID
	if err := c.failWith(r, f, edited.Validate()); err != nil {
		return err
	}
	status := http.StatusBadRequest
	if f.OK() {
		if status, err = c.kbFail(r, f, c.DB.UpdateKBEntry(r.Context(), edited)); err != nil {
			return err
		}
	}
	if !f.OK() {
		c.renderKBEntry(w, r, status, e, f, nil)
		return nil
	}
	c.redirect(w, r, "/kb/"+strconv.FormatInt(e.ID, 10), "kb.saved", edited.Question)
	return nil
}

// handleKBDelete serves POST /kb/{id}/delete: deletes the entry once the
// "confirm" box is ticked.
func (c *Console) handleKBDelete(w http.ResponseWriter, r *Request) error {
	e, err := c.loadKBEntry(r)
	if err != nil {
		return err
	}
	del := newForm(r, "confirm")
	status := http.StatusBadRequest
	if del.Get("confirm") == "" {
		del.Fail("confirm", c.T(r, "kb.confirm_required"))
	} else if status, err = c.kbFail(r, del, c.DB.DeleteKBEntry(r.Context(), e.ID)); err != nil {
		return err
	}
	if !del.OK() {
		c.renderKBEntry(w, r, status, e, entryForm(r, e), del)
		return nil
	}
	c.redirect(w, r, "/kb", "kb.deleted", e.Question)
	return nil
}
