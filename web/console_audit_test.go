package web

import (
	"context"
	"encoding/csv"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"taxsms"
	"taxsms/audit"
	"taxsms/auth"
)

func TestConsole_Audit(t *testing.T) {
	f := startAdmin(t)
	admin := f.as(taxsms.RoleCityAdmin)
	branch := f.as(taxsms.RoleBranchAdmin)
	ctx := context.Background()
	adminLogin := f.users[taxsms.RoleCityAdmin].Login

	t.Run("Search", func(t *testing.T) {
		r := admin.get("/audit?action=sign_in")
		if r.Status != 200 || !strings.Contains(r.Body, adminLogin) || !strings.Contains(r.Body, f.c.cat.T(LangZH, "action.sign_in")) {
			t.Fatalf("search sign-ins = %d\n%s", r.Status, r.Body)
		}
		if r := admin.get("/audit?action=sign_out"); strings.Contains(r.Body, `href="/audit/1"`) {
			t.Errorf("search by action shows other actions")
		}
		if r := admin.get("/audit?login=nobody"); !strings.Contains(r.Body, `class="empty"`) {
			t.Errorf("search by an unknown login is not empty")
		}
		if r := admin.get("/audit?from=2026-12-04"); !strings.Contains(r.Body, `class="empty"`) {
			t.Errorf("search from tomorrow is not empty")
		}
		if r := admin.get("/audit?from=2026-12-03&to=2026-12-03&ip=127.0.0.1"); !strings.Contains(r.Body, adminLogin) {
			t.Errorf("search of today from 127.0.0.1 misses the sign-in")
		}
		for _, tt := range []struct{ query, field string }{
			{"from=yesterday", "from"},
			{"from=2026-12-03&to=2026-12-01", "to"},
			{"action=coup", "action"},
			{"object_id=7", "object"},
		} {
			if r := admin.get("/audit?" + tt.query); r.Status != http.StatusBadRequest || !hasFieldError(r.Body, tt.field) {
				t.Errorf("GET /audit?%s = %d, want 400 beside %s", tt.query, r.Status, tt.field)
			}
		}
	})
	t.Run("Scope", func(t *testing.T) {
		r := branch.get("/audit")
		if r.Status != 200 || strings.Contains(r.Body, ">"+adminLogin+"<") || !strings.Contains(r.Body, ">"+f.users[taxsms.RoleBranchAdmin].Login+"<") {
			t.Errorf("branch audit = %d, want its own subtree's records only\n%s", r.Status, r.Body)
		}
		list, err := f.db.ListAudit(ctx, audit.Filter{Login: adminLogin, Action: audit.SignIn, Limit: 1})
		must(t, err)
		seq := adminID(list[0].Seq)
		if r := branch.get("/audit/" + seq); r.Status != http.StatusNotFound {
			t.Errorf("branch reads the city administrator's record = %d, want 404", r.Status)
		}
		if r := admin.get("/audit/" + seq); r.Status != 200 || !strings.Contains(r.Body, adminLogin) {
			t.Errorf("city reads the record = %d", r.Status)
		}
		if r := admin.get("/audit/99999"); r.Status != http.StatusNotFound {
			t.Errorf("missing record = %d, want 404", r.Status)
		}
	})
	t.Run("Record", func(t *testing.T) {
		o := &taxsms.Office{ID: f.other.ID}
		*o = *f.other
		o.Name = "市北区税务局（新）"
		must(t, f.db.UpdateOffice(ctx, o))
		list, err := f.db.ListAudit(ctx, audit.Filter{Action: audit.OfficeChanged, Limit: 1})
		must(t, err)
		r := admin.get("/audit/" + adminID(list[0].Seq))
		if r.Status != 200 || !strings.Contains(r.Body, "市北区税务局（新）") || !strings.Contains(r.Body, "<pre>") {
			t.Errorf("record page = %d, want the state before and after\n%s", r.Status, r.Body)
		}
	})
	t.Run("Paging", func(t *testing.T) {
		for i := range PageSize + 1 {
			must(t, f.db.AppendAudit(ctx, audit.Entry{Actor: audit.System, Action: audit.ConfigChanged, Detail: "paging " + adminID(int64(i))}))
		}
		r := admin.get("/audit?q=paging")
		next := regexp.MustCompile(`<a href="([^"]+)" rel="next">`).FindStringSubmatch(r.Body)
		if next == nil || strings.Contains(r.Body, "paging 0<") || !strings.Contains(r.Body, "paging 50<") {
			t.Fatalf("first page: want the newest %d records and a next page", PageSize)
		}
		r = admin.get(strings.ReplaceAll(next[1], "&amp;", "&"))
		if r.Status != 200 || !strings.Contains(r.Body, "paging 0<") || strings.Contains(r.Body, "paging 1<") || strings.Contains(r.Body, `rel="next"`) {
			t.Errorf("second page = %d, want the oldest record only", r.Status)
		}
	})
	t.Run("Export", func(t *testing.T) {
		if r := admin.get("/audit/export.csv?action=sign_in&login=" + adminLogin); r.Status != 200 {
			t.Fatalf("export = %d", r.Status)
		} else {
			if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/csv") {
				t.Errorf("Content-Type = %q", ct)
			}
			rows, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(r.Body, "\ufeff"))).ReadAll()
			if err != nil || len(rows) != 2 || rows[0][0] != "seq" || rows[1][4] != adminLogin {
				t.Errorf("CSV = %q, %v; want a header and the one sign-in", rows, err)
			}
		}
		got, err := f.db.ListAudit(ctx, audit.Filter{Action: audit.Exported, Limit: 10})
		must(t, err)
		if len(got) != 1 || got[0].Actor.Login != adminLogin || got[0].Object.Type != "audit" || !strings.Contains(got[0].Detail, "1 rows") || !strings.Contains(got[0].Detail, "action=sign_in") {
			t.Errorf("export records = %+v, want one naming its rows and filter", got)
		}
		// The auditor does not hold export by default; the branch
		// administrator does, and exports only its subtree.
		if r := f.as(taxsms.RoleAuditor).get("/audit/export.csv"); r.Status != http.StatusForbidden {
			t.Errorf("auditor's export = %d, want 403", r.Status)
		}
		r := branch.get("/audit/export.csv")
		if r.Status != 200 || strings.Contains(r.Body, ","+adminLogin+",") {
			t.Errorf("branch export = %d, want its subtree's records only", r.Status)
		}
		if r := admin.get("/audit/export.csv?from=bad"); r.Status != http.StatusBadRequest {
			t.Errorf("export with a bad filter = %d, want 400", r.Status)
		}
	})
	t.Run("Verify", func(t *testing.T) {
		au := f.as(taxsms.RoleAuditor)
		token := au.csrf("/audit")
		r := au.post("/audit/verify", url.Values{"csrf_token": {token}})
		if r.Status != 200 || !strings.Contains(r.Body, `class="flash" role="status"`) {
			t.Errorf("verify = %d, want the chain intact\n%s", r.Status, r.Body)
		}
		if r := au.post("/audit/verify", url.Values{}); r.Status != http.StatusForbidden {
			t.Errorf("verify without token = %d, want 403", r.Status)
		}
		if r := branch.post("/audit/verify", url.Values{"csrf_token": {branch.csrf("/audit")}}); r.Status != http.StatusForbidden {
			t.Errorf("branch verifies = %d, want 403", r.Status)
		}
		if strings.Contains(branch.get("/audit").Body, `action="/audit/verify"`) {
			t.Errorf("branch is shown the verify button")
		}
	})
}

func TestConsole_AuditCatalogue(t *testing.T) {
	cat, err := loadCatalog(catalogFiles)
	if err != nil {
		t.Fatal(err)
	}
	var want []string
	for _, a := range audit.Actions {
		want = append(want, "action."+string(a))
	}
	for _, k := range []audit.ActorKind{audit.ActorUser, audit.ActorKey, audit.ActorSystem} {
		want = append(want, "audit.kind_"+string(k))
	}
	for _, p := range auth.AllPermissions {
		want = append(want, "perm."+string(p))
	}
	for _, k := range want {
		if !cat.Has(k) {
			t.Errorf("key %q is used but not in the catalogue", k)
		}
	}
}

func TestCSVSafe(t *testing.T) {
	for in, want := range map[string]string{"": "", "li.na": "li.na", "=SUM(A1)": "'=SUM(A1)", "+1": "'+1", "-2": "'-2", "@x": "'@x", "\tx": "'\tx", "1=1": "1=1"} {
		if got := csvSafe(in); got != want {
			t.Errorf("csvSafe(%q) = %q, want %q", in, got, want)
		}
	}
}

// FuzzAuditFilter feeds the audit search form anything: it either names a
// bad field or gives a filter whose range is ordered and whose action is
// known.
func FuzzAuditFilter(f *testing.F) {
	f.Add("2026-12-01", "2026-12-03", "sign_in", "user", "7", "li.na")
	f.Add("yesterday", "", "coup", "", "7", "=1")
	f.Add("2026-12-03", "2026-12-01", "", "office", "", "")
	c := &Console{Location: time.UTC}
	var err error
	if c.cat, err = loadCatalog(catalogFiles); err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, from, to, action, object, objectID, login string) {
		q := url.Values{"from": {from}, "to": {to}, "action": {action}, "object": {object}, "object_id": {objectID}, "login": {login}}
		r := &Request{Request: httptest.NewRequest("GET", "/audit?"+q.Encode(), nil), Lang: LangEN}
		form := newForm(r, auditFields...)
		af := c.auditFilter(r, form)
		if !form.OK() {
			return
		}
		if af.Action != "" && !af.Action.Valid() {
			t.Errorf("action %q accepted", af.Action)
		}
		if !af.From.IsZero() && !af.To.IsZero() && !af.To.After(af.From) {
			t.Errorf("range %v..%v accepted", af.From, af.To)
		}
		if af.ObjectID != "" && af.ObjectType == "" {
			t.Errorf("object id without type accepted")
		}
	})
}
