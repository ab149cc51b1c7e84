package web

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"taxsms"
	"taxsms/auth"
	"taxsms/kb"
)

// kbEntry stores an entry in f's store as the city's administrator would.
func kbEntry(t *testing.T, f *adminFixture, e *kb.Entry) {
	t.Helper()
	a, err := f.db.UserActor(context.Background(), f.users[taxsms.RoleCityAdmin].ID)
	must(t, err)
	must(t, f.db.CreateKBEntry(auth.NewContext(context.Background(), a), e))
}

func TestConsole_KBList(t *testing.T) {
	f := startAdmin(t)
	admin := f.as(taxsms.RoleCityAdmin)
	// Nothing stored: the built-in FAQ answers, and can be loaded.
	r := admin.get("/kb")
	if r.Status != http.StatusOK || !strings.Contains(r.Body, `action="/kb/default"`) {
		t.Fatalf("GET /kb with no entries = %d, want the built-in notice with its button\n%s", r.Status, r.Body)
	}
	r = admin.get("/kb?try=" + url.QueryEscape("个税汇算什么时候办"))
	if !strings.Contains(r.Body, "个人所得税综合所得年度汇算什么时候办理") {
		t.Errorf("try against the built-in FAQ does not show its entry")
	}
	r = admin.post("/kb/default", url.Values{"csrf_token": {admin.csrf("/kb")}})
	if r.Status != http.StatusSeeOther {
		t.Fatalf("POST /kb/default = %d", r.Status)
	}
	stored, err := f.db.KBEntries(context.Background())
	must(t, err)
	if len(stored) != len(kb.Default()) {
		t.Fatalf("%d entries stored, want %d", len(stored), len(kb.Default()))
	}
	r = admin.get("/kb")
	if r.Status != http.StatusOK || strings.Contains(r.Body, `action="/kb/default"`) || !strings.Contains(r.Body, "/kb/"+strconv.FormatInt(stored[0].ID, 10)) {
		t.Errorf("GET /kb after loading = %d, want the stored entries", r.Status)
	}
	// The filters.
	for _, tt := range []struct {
		query string
		shows bool
	}{
		{"q=" + url.QueryEscape("个税"), true},
		{"q=" + url.QueryEscape("没有这个词XYZ"), false},
		{"enabled=yes", true},
		{"enabled=no", false},
	} {
		r := admin.get("/kb?" + tt.query)
		if got := strings.Contains(r.Body, "/kb/"+strconv.FormatInt(stored[0].ID, 10)+`"`); r.Status != http.StatusOK || got != tt.shows {
			t.Errorf("GET /kb?%s = %d, shows the first entry %v, want %v", tt.query, r.Status, got, tt.shows)
		}
	}
	// An operator reads, without the link to write.
	if r := f.as(taxsms.RoleOperator).get("/kb"); r.Status != http.StatusOK || strings.Contains(r.Body, `href="/kb/new"`) {
		t.Errorf("operator GET /kb = %d, want 200 without the new link", r.Status)
	}
}

func TestConsole_KBTry(t *testing.T) {
	f := startAdmin(t)
	kbEntry(t, f, &kb.Entry{Question: "发票丢失了怎么办？", Answer: "发票丢失可凭对方加盖印章的记账联复印件作为凭证。", Keywords: []string{"发票丢失", "丢失发票"}, Category: "发票", Enabled: true})
	kbEntry(t, f, &kb.Entry{Question: "个税汇算什么时候办理？", Answer: "次年3月1日至6月30日。", Keywords: []string{"个税汇算"}, Category: "个税", Enabled: true})
	admin := f.as(taxsms.RoleCityAdmin)
	r := admin.get("/kb?try=" + url.QueryEscape("我把开的发票弄丢了，要怎么处理"))
	if r.Status != http.StatusOK {
		t.Fatalf("try = %d", r.Status)
	}
	rows := strings.Split(r.Body, `class="kb-match"`)
	if len(rows) < 2 || !strings.Contains(rows[1], "发票丢失了怎么办") {
		t.Errorf("the best match of a rephrased question is not the invoice entry\n%s", r.Body)
	}
	if !strings.Contains(r.Body, "将自动回复") && !strings.Contains(r.Body, "its answer would be sent") {
		t.Errorf("the page does not say the best match passes the threshold")
	}
	r = admin.get("/kb?try=" + url.QueryEscape("今天天气很好"))
	if !strings.Contains(r.Body, "不会自动回复") && !strings.Contains(r.Body, "no answer would be sent") {
		t.Errorf("an unrelated text passes the threshold")
	}
}

func TestConsole_KBEdit(t *testing.T) {
	f := startAdmin(t)
	ctx := context.Background()
	admin := f.as(taxsms.RoleCityAdmin)
	good := url.Values{"question": {"车船税怎么缴？"}, "answer": {"可在投保交强险时由保险公司代收。"}, "keywords": {"车船税、缴车船税"}, "category": {"车船税"}, "enabled": {"on"}}
	post := func(b *browser, path string, v url.Values) response {
		t.Helper()
		form := url.Values{"csrf_token": {b.csrf("/kb")}}
		for k, vs := range v {
			form[k] = vs
		}
		return b.post(path, form)
	}
	// Refused for an operator, who lacks manage_templates.
	op := f.as(taxsms.RoleOperator)
	if r := post(op, "/kb/new", good); r.Status != http.StatusForbidden {
		t.Errorf("operator POST /kb/new = %d, want 403", r.Status)
	}
	// A branch administrator holds it but not city-wide reach: the store's 403.
	branch := f.as(taxsms.RoleBranchAdmin)
	for _, p := range []string{"/kb/new", "/kb/default"} {
		if r := post(branch, p, good); r.Status != http.StatusForbidden || !strings.Contains(errorText(r.Body), "knowledge base") {
			t.Errorf("branch admin POST %s = %d, want the store's 403", p, r.Status)
		}
	}
	// Errors beside their fields.
	for _, tt := range []struct{ field, value string }{
		{"question", ""},
		{"answer", strings.Repeat("税", kb.MaxAnswer+1)},
		{"category", strings.Repeat("类", kb.MaxCategory+1)},
	} {
		v := url.Values{}
		for k, vs := range good {
			v[k] = vs
		}
		v.Set(tt.field, tt.value)
		if r := post(admin, "/kb/new", v); r.Status != http.StatusBadRequest || !hasFieldError(r.Body, tt.field) {
			t.Errorf("POST /kb/new with bad %s = %d, want 400 beside it", tt.field, r.Status)
		}
	}
	r := post(admin, "/kb/new", good)
	if r.Status != http.StatusSeeOther || !strings.HasPrefix(r.Location, "/kb/") {
		t.Fatalf("POST /kb/new = %d → %q", r.Status, r.Location)
	}
	path := r.Location
	id, err := strconv.ParseInt(strings.TrimPrefix(path, "/kb/"), 10, 64)
	must(t, err)
	if r := post(admin, "/kb/new", good); r.Status != http.StatusBadRequest {
		t.Errorf("the same question again = %d, want 400", r.Status)
	}
	if r := admin.get(path); r.Status != http.StatusOK || !strings.Contains(r.Body, "车船税怎么缴") || !strings.Contains(r.Body, "16 / 300") && !strings.Contains(r.Body, "16 of 300") {
		t.Errorf("GET %s = %d, want the entry with its answer's count", path, r.Status)
	}
	for _, p := range []string{path, path + "/delete"} {
		if r := post(branch, p, url.Values{"question": {"越权"}, "answer": {"越权"}, "confirm": {"yes"}}); r.Status != http.StatusForbidden || errorText(r.Body) == "" {
			t.Errorf("branch admin POST %s = %d, want the store's 403 above the form", p, r.Status)
		}
	}
	// Edit.
	edited := url.Values{"question": {"车船税怎么缴纳？"}, "answer": {"投保交强险时由保险公司代收代缴。"}, "keywords": {"车船税"}, "category": {"车船税"}}
	if r := post(op, path, edited); r.Status != http.StatusForbidden {
		t.Errorf("operator POST %s = %d, want 403", path, r.Status)
	}
	if r := post(admin, path, edited); r.Status != http.StatusSeeOther {
		t.Fatalf("POST %s = %d\n%s", path, r.Status, r.Body)
	}
	e, err := f.db.FindKBEntry(ctx, id)
	must(t, err)
	if e.Question != "车船税怎么缴纳？" || e.Enabled || len(e.Keywords) != 1 {
		t.Errorf("edited entry = %+v", e)
	}
	// Delete: refused to an operator, needs the confirmation.
	if r := post(op, path+"/delete", url.Values{"confirm": {"yes"}}); r.Status != http.StatusForbidden {
		t.Errorf("operator delete = %d, want 403", r.Status)
	}
	if r := post(admin, path+"/delete", nil); r.Status != http.StatusBadRequest || !hasFieldError(r.Body, "confirm") {
		t.Errorf("delete unconfirmed = %d, want 400 beside confirm", r.Status)
	}
	if r := post(admin, path+"/delete", url.Values{"confirm": {"yes"}}); r.Status != http.StatusSeeOther || r.Location != "/kb" {
		t.Fatalf("delete = %d → %q", r.Status, r.Location)
	}
	if _, err := f.db.FindKBEntry(ctx, id); taxsms.ErrorCode(err) != taxsms.ENOTFOUND {
		t.Errorf("deleted entry found: %v", err)
	}
	if r := admin.get(path); r.Status != http.StatusNotFound {
		t.Errorf("GET deleted %s = %d, want 404", path, r.Status)
	}
}
