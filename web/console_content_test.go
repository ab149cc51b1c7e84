package web

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"taxsms"
	"taxsms/content"
)

func TestConsole_Content(t *testing.T) {
	f := startAdmin(t)
	admin := f.as(taxsms.RoleCityAdmin)
	text := "请于15日前完成增值税申报，详见 http://example.com 。"

	// The embedded lists flag the link, marked where it stands.
	r := admin.get("/content?try=" + url.QueryEscape(text))
	if r.Status != http.StatusOK || !strings.Contains(r.Body, `<mark class="flag"`) || !strings.Contains(r.Body, "http://example.com</mark>") {
		t.Fatalf("GET /content?try = %d, want the link marked\n%s", r.Status, r.Body)
	}

	// A list that does not parse is refused naming its line; nothing is saved.
	bad := "host chinatax.gov.cn\nhost example..com\n"
	r = admin.post("/content/allow", url.Values{"csrf_token": {admin.csrf("/content")}, "text": {bad}})
	if r.Status != http.StatusBadRequest || !strings.Contains(r.Body, "line 2") || !strings.Contains(r.Body, "example..com") {
		t.Errorf("POST a bad allow-list = %d, want 400 naming line 2", r.Status)
	}
	stored, err := f.db.ContentLists(context.Background())
	must(t, err)
	if stored.Allow != content.DefaultLists().Allow {
		t.Fatalf("a refused list was saved")
	}

	// Allowing the host clears the flag, on this node at once.
	r = admin.post("/content/allow", url.Values{"csrf_token": {admin.csrf("/content")}, "text": {"host example.com\nphone 12366\n"}})
	if r.Status != http.StatusSeeOther {
		t.Fatalf("POST /content/allow = %d\n%s", r.Status, r.Body)
	}
	if rep := f.c.Content.Checker().Check(text); !rep.Clean() {
		t.Errorf("the node's checker after the save: %v, want clean", rep)
	}
	r = admin.get("/content?try=" + url.QueryEscape(text))
	if !strings.Contains(r.Body, `id="content-verdict"`) || strings.Contains(r.Body, `<mark class="flag"`) {
		t.Errorf("the try box after the save still flags the link")
	}
	if login := f.users[taxsms.RoleCityAdmin].Login; !strings.Contains(r.Body, "由 "+login+" 保存") && !strings.Contains(r.Body, "by "+login) {
		t.Errorf("the page does not say who saved the allow-list")
	}

	// A branch administrator reads the page only if it approves, and never saves.
	branch := f.as(taxsms.RoleBranchAdmin)
	if r := branch.get("/content"); r.Status != http.StatusOK || strings.Contains(r.Body, `action="/content/words"`) {
		t.Errorf("branch admin GET /content = %d, want 200 without the save forms", r.Status)
	}
	if r := branch.post("/content/words", url.Values{"csrf_token": {branch.csrf("/content")}, "text": {"rumours 谣言"}}); r.Status != http.StatusForbidden {
		t.Errorf("branch admin POST /content/words = %d, want 403", r.Status)
	}
	if r := f.as(taxsms.RoleMaintainer).get("/content"); r.Status != http.StatusForbidden {
		t.Errorf("maintainer GET /content = %d, want 403", r.Status)
	}
}
