package web

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"taxsms"
	"taxsms/audit"
	"taxsms/auth"
)

// The audit log pages: a search of the archive (GET /audit) by time range,
// login, action, object, address and text, newest first and paged; one
// record with its state before and after (GET /audit/{seq}); the export of
// a search as CSV (GET /audit/export.csv, needs export too, and is itself
// recorded); and the check of the hash chain (POST /audit/verify), for
// those who read the whole archive. All need view_audit; a branch
// administrator reads the records of its subtree's users
// (store.ListAuditInScope).

func (c *Console) auditRoutes(mux *http.ServeMux) {
	c.handle(mux, "GET /audit", auth.PermViewAudit, c.handleAudit)
	c.handle(mux, "GET /audit/export.csv", auth.PermViewAudit, c.handleAuditExport)
	c.handle(mux, "POST /audit/verify", auth.PermViewAudit, c.handleAuditVerify)
	c.handle(mux, "GET /audit/{seq}", auth.PermViewAudit, c.handleAuditRecord)
}

var auditFields = []string{"from", "to", "login", "action", "object", "object_id", "ip", "q"}

// auditFilter reads the search form f into a filter, marking bad fields.
// Dates are days in the bureau's zone: "to" includes its whole day.
func (c *Console) auditFilter(r *Request, f *Form) audit.Filter {
	var af audit.Filter
	day := func(name string) time.Time {
		s := f.Get(name)
		if s == "" {
			return time.Time{}
		}
		t, err := time.ParseInLocation(time.DateOnly, s, c.Location)
		if err != nil {
			f.Fail(name, c.T(r, "audit.err_date"))
		}
		return t
	}
	af.From = day("from")
	if to := day("to"); !to.IsZero() {
		af.To = to.AddDate(0, 0, 1)
		if !af.From.IsZero() && !af.To.After(af.From) {
			f.Fail("to", c.T(r, "audit.err_range"))
		}
	}
	af.Login, af.ObjectType, af.ObjectID, af.IP, af.Contains = f.Get("login"), f.Get("object"), f.Get("object_id"), f.Get("ip"), f.Get("q")
	if af.ObjectID != "" && af.ObjectType == "" {
		f.Fail("object", c.T(r, "audit.err_object"))
	}
	if s := f.Get("action"); s != "" {
		af.Action = audit.Action(s)
		if !af.Action.Valid() {
			f.Fail("action", c.T(r, "audit.err_action"))
		}
	}
	return af
}

// auditPage is the data of the audit log page.
type auditPage struct {
	Entries   []audit.Entry
	Actions   []audit.Action
	Export    string // the URL of this search's CSV
	CanVerify bool
}

// handleAudit serves GET /audit: the records matching the search, newest
// first, PageSize a page.
func (c *Console) handleAudit(w http.ResponseWriter, r *Request) error {
	before, err := r.Cursor()
	if err != nil {
		return err
	}
	f := newForm(r, auditFields...)
	af := c.auditFilter(r, f)
	q := r.URL.Query()
	q.Del(cursorParam)
	d := &auditPage{Actions: audit.Actions, Export: "/audit/export.csv?" + q.Encode(), CanVerify: canVerify(r.Actor)}
	page := &Page{Title: "audit.title", Form: f, Data: d}
	if !f.OK() {
		c.render(w, r, http.StatusBadRequest, "audit", page)
		return nil
	}
	af.Before, af.Limit = before, PageSize+1
	list, err := c.DB.ListAuditInScope(r.Context(), af)
	if err != nil {
		return err
	}
	more := len(list) > PageSize
	if more {
		list = list[:PageSize]
	}
	d.Entries = list
	var last int64
	if len(list) > 0 {
		last = list[len(list)-1].Seq
	}
	page.List = r.Pager(more, last)
	c.render(w, r, http.StatusOK, "audit", page)
	return nil
}

// canVerify reports whether a may check the whole chain: it reads the
// whole archive.
func canVerify(a *auth.Actor) bool {
	return a.Has(auth.PermViewAudit) && a.Access(auth.DataAudit).Read.Level == auth.LevelAll
}

// auditRecord is the data of one record's page.
type auditRecord struct {
	Entry         audit.Entry
	Before, After string // indented JSON; "" if none
}

// handleAuditRecord serves GET /audit/{seq}: one record of the viewer's
// scope, with its state before and after.
func (c *Console) handleAuditRecord(w http.ResponseWriter, r *Request) error {
	seq, err := strconv.ParseInt(r.PathValue("seq"), 10, 64)
	if err != nil || seq <= 0 {
		return taxsms.Errorf(taxsms.ENOTFOUND, "No such record.")
	}
	list, err := c.DB.ListAuditInScope(r.Context(), audit.Filter{Before: seq + 1, Limit: 1})
	if err != nil {
		return err
	}
	if len(list) == 0 || list[0].Seq != seq {
		return taxsms.Errorf(taxsms.ENOTFOUND, "No such record.")
	}
	d := &auditRecord{Entry: list[0], Before: indentJSON(list[0].Before), After: indentJSON(list[0].After)}
	c.render(w, r, http.StatusOK, "audit_record", &Page{Title: "audit.record", Data: d})
	return nil
}

// indentJSON returns b indented for reading, or "" if it is empty.
func indentJSON(b json.RawMessage) string {
	if len(b) == 0 {
		return ""
	}
	var out bytes.Buffer
	if json.Indent(&out, b, "", "  ") != nil {
		return string(b)
	}
	return out.String()
}

// handleAuditExport serves GET /audit/export.csv: every record of the
// search, oldest first, as CSV (UTF-8 with a byte order mark, for
// spreadsheets), streamed as the store reads it. The export is recorded in
// the archive with its filter and row count once the last row is written
// (recorded even if the download was cut short). Needs export.
func (c *Console) handleAuditExport(w http.ResponseWriter, r *Request) error {
	if !r.Actor.Has(auth.PermExport) {
		return errForbidden
	}
	f := newForm(r, auditFields...)
	af := c.auditFilter(r, f)
	if !f.OK() {
		return taxsms.Invalid("filter", "%s", strings.Join(mapValues(f.Errors), "; "))
	}
	h := w.Header()
	h.Set("Content-Type", "text/csv; charset=utf-8")
	h.Set("Content-Disposition", `attachment; filename="audit-`+c.Now().In(c.Location).Format("20060102-150405")+`.csv"`)
	h.Set("Cache-Control", "no-store")
	cw := csv.NewWriter(w)
	rows, started := 0, false
	var failed error
	for e, err := range c.DB.ExportAuditInScope(r.Context(), af) {
		if err != nil {
			failed = err
			break
		}
		if !started {
			w.Write([]byte("\ufeff"))
			cw.Write([]string{"seq", "at", "actor_kind", "actor_id", "login", "role", "action", "object_type", "object_id", "ip", "detail", "before", "after", "hash"})
			started = true
		}
		cw.Write([]string{strconv.FormatInt(e.Seq, 10), e.At.In(c.Location).Format(time.RFC3339Nano), string(e.Actor.Kind),
			strconv.FormatInt(e.Actor.UserID, 10), csvSafe(e.Actor.Login), string(e.Actor.Role), string(e.Action), csvSafe(e.Object.Type),
			csvSafe(e.Object.ID), e.IP, csvSafe(e.Detail), string(e.Before), string(e.After), e.Hash.String()})
		rows++
	}
	if failed != nil && !started {
		h.Del("Content-Disposition")
		h.Set("Content-Type", "text/html; charset=utf-8")
		return failed
	}
	if !started {
		w.Write([]byte("\ufeff"))
		cw.Write([]string{"seq", "at", "actor_kind", "actor_id", "login", "role", "action", "object_type", "object_id", "ip", "detail", "before", "after", "hash"})
	}
	cw.Flush()
	ctx := context.WithoutCancel(r.Context())
	if err := c.DB.RecordExport(ctx, "audit", exportFilter(r.URL.Query()), rows); err != nil {
		c.logger.Error("console: record audit export", "err", err)
	}
	if failed != nil {
		c.logger.Error("console: audit export", "rows", rows, "err", failed)
	}
	return nil
}

// csvSafe keeps a spreadsheet from reading text as a formula: free text
// (a failed sign-in's login is whatever was typed) that starts like one is
// prefixed with an apostrophe.
func csvSafe(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

// exportFilter describes the search of an export for the archive: its
// non-empty fields, as a query string.
func exportFilter(q url.Values) string {
	out := url.Values{}
	for _, k := range auditFields {
		if v := strings.TrimSpace(q.Get(k)); v != "" {
			out.Set(k, v)
		}
	}
	return out.Encode()
}

func mapValues(m map[string]string) []string {
	var out []string
	for k, v := range m {
		out = append(out, k+": "+v)
	}
	return out
}

// verifyResult is the data of the chain check's page.
type verifyResult struct {
	Checked int
	Broken  *audit.Broken
	Head    audit.Anchor
}

// handleAuditVerify serves POST /audit/verify: checks the whole hash chain
// (store.VerifyAudit) and shows how many records were checked and the
// first broken one. Only for those who read the whole archive.
func (c *Console) handleAuditVerify(w http.ResponseWriter, r *Request) error {
	if !canVerify(r.Actor) {
		return errForbidden
	}
	checked, broken, err := c.DB.VerifyAudit(r.Context())
	if err != nil {
		return err
	}
	head, err := c.DB.AuditHead(r.Context())
	if err != nil {
		return err
	}
	c.render(w, r, http.StatusOK, "audit_verify", &Page{Title: "audit.verify", Data: &verifyResult{Checked: checked, Broken: broken, Head: head}})
	return nil
}
