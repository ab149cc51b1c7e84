package web

import (
	"net/http"
	"strings"
	"time"

	"taxsms"
	"taxsms/auth"
	"taxsms/content"
	"taxsms/store"
)

// The content check's page (GET /content): the three lists of the check
// (prohibited words, tax vocabulary, allow-list) with who saved each last,
// and a box to try a text against them with every flag marked where it
// occurs. Holders of auth.PermEditWordLists save a list (POST
// /content/{list}) or go back to the embedded one (an empty list); the
// store also requires city-wide reach. Approvers and those who read
// everything see the page; the lists are not secret within the bureau, but
// their editing is the city's.

func (c *Console) contentRoutes(mux *http.ServeMux) {
	c.handle(mux, "GET /content", "", c.handleContent)
	c.handle(mux, "POST /content/{list}", auth.PermEditWordLists, c.handleContentSave)
}

func canSeeContent(a *auth.Actor) bool {
	return a.Has(auth.PermEditWordLists) || a.Has(auth.PermApprove) || a.Has(auth.PermReadAll)
}

// contentPage is what GET /content shows.
type contentPage struct {
	Lists   []contentList
	Try     string
	Checked bool
	Report  content.Report
	Marked  []markedSpan // Try cut at the flags
	Counts  []content.Count
}

// contentList is one list and its last save.
type contentList struct {
	Name     content.ListName
	Text     string
	Lines    int // entries: lines neither blank nor comments
	Embedded bool
	At       time.Time
	By       string // the login of who saved it
	Error    string
}

// markedSpan is a piece of a checked text; Flag is set for a flagged piece.
type markedSpan struct {
	Text string
	Flag *content.Flag
}

// markFlags cuts text at its flags, in order; a flag overlapping the one
// before it is left unmarked (it is still listed).
func markFlags(text string, flags []content.Flag) []markedSpan {
	var out []markedSpan
	at := 0
	for i := range flags {
		f := &flags[i]
		if f.Start < at {
			continue
		}
		if f.Start > at {
			out = append(out, markedSpan{Text: text[at:f.Start]})
		}
		out = append(out, markedSpan{Text: text[f.Start:f.End], Flag: f})
		at = f.End
	}
	if at < len(text) {
		out = append(out, markedSpan{Text: text[at:]})
	}
	return out
}

func entries(text string) int {
	n := 0
	for l := range strings.SplitSeq(text, "\n") {
		if l = strings.TrimSpace(l); l != "" && !strings.HasPrefix(l, "#") {
			n++
		}
	}
	return n
}

// handleContent serves GET /content, checking the text in "try" if given.
func (c *Console) handleContent(w http.ResponseWriter, r *Request) error {
	if !canSeeContent(r.Actor) {
		return taxsms.Errorf(taxsms.EFORBIDDEN, "the content lists need %s, %s or %s", auth.PermEditWordLists, auth.PermApprove, auth.PermReadAll)
	}
	stored, err := c.DB.ContentLists(r.Context())
	if err != nil {
		return err
	}
	return c.renderContent(w, r, http.StatusOK, newForm(r, "try"), stored, "", "")
}

// renderContent renders the page for the stored lists, showing text and
// the error msg in place of the list failed if not "".
func (c *Console) renderContent(w http.ResponseWriter, r *Request, status int, f *Form, stored *store.ContentLists, failed content.ListName, text string) error {
	d := &contentPage{Try: f.Get("try")}
	for _, n := range content.ListNames {
		l := contentList{Name: n, Text: stored.Get(n)}
		if e, ok := stored.Edited[n]; ok {
			l.At = e.At
			if u, err := c.DB.FindUser(r.Context(), e.UserID); err == nil {
				l.By = u.Login
			}
		} else {
			l.Embedded = true
		}
		if n == failed {
			l.Text, l.Error = text, f.Error
			f.Error = ""
		}
		l.Lines = entries(stored.Get(n))
		d.Lists = append(d.Lists, l)
	}
	if d.Try != "" {
		chk, err := stored.Checker()
		if err != nil {
			return err
		}
		d.Checked, d.Report = true, chk.Check(d.Try)
		d.Marked, d.Counts = markFlags(d.Try, d.Report.Flags), d.Report.Summary()
	}
	c.render(w, r, status, "content", &Page{Title: "content.title", Form: f, Data: d})
	return nil
}

// handleContentSave serves POST /content/{list}: saves the list in "text"
// and puts the new checker in force on this node (the others reload it
// within their reload period).
func (c *Console) handleContentSave(w http.ResponseWriter, r *Request) error {
	name := content.ListName(r.PathValue("list"))
	if !name.Valid() {
		return taxsms.Errorf(taxsms.ENOTFOUND, "no content list %q", name)
	}
	f := newForm(r, "text")
	text := r.PostForm.Get("text")
	saved, err := c.DB.SetContentList(r.Context(), name, text)
	if code := taxsms.ErrorCode(err); code == taxsms.EINVALID || code == taxsms.EFORBIDDEN {
		f.Fail("", c.T(r, "form.error", taxsms.ErrorMessage(err)))
		stored, err := c.DB.ContentLists(r.Context())
		if err != nil {
			return err
		}
		status := http.StatusBadRequest
		if code == taxsms.EFORBIDDEN {
			status = http.StatusForbidden
		}
		return c.renderContent(w, r, status, f, stored, name, text)
	}
	if err != nil {
		return err
	}
	chk, err := saved.Checker()
	if err != nil {
		return err
	}
	c.Content.Set(chk)
	c.redirect(w, r, "/content#list-"+string(name), "content.saved", c.T(r, "content.list."+string(name)))
	return nil
}
