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
)

// adminFixture is the test console with a second branch beside the first,
// holding an operator of its own: out of the first branch's scope.
type adminFixture struct {
	*testConsole
	city, branch, other *taxsms.Office
	otherOp             *taxsms.User
}

func startAdmin(t *testing.T) *adminFixture {
	t.Helper()
	tc := startConsole(t)
	ctx := context.Background()
	f := &adminFixture{testConsole: tc}
	var err error
	f.branch, err = tc.db.FindOffice(ctx, tc.users[taxsms.RoleBranchAdmin].OfficeID)
	must(t, err)
	f.city, err = tc.db.FindOffice(ctx, tc.users[taxsms.RoleCityAdmin].OfficeID)
	must(t, err)
	f.other = &taxsms.Office{ParentID: f.city.ID, Code: "13702030000", Name: "市北区税务局"}
	must(t, tc.db.CreateOffice(ctx, f.other))
	f.otherOp = &taxsms.User{Login: "shibei.op", Name: "市北操作员", OfficeID: f.other.ID, Role: taxsms.RoleOperator, Mobile: "13800001111"}
	must(t, tc.db.CreateUser(ctx, f.otherOp))
	return f
}

// as returns a browser signed in as the user of role.
func (f *adminFixture) as(role taxsms.Role) *browser {
	f.t.Helper()
	b := f.browser()
	b.mustSignIn(f.users[role].Login)
	return b
}

// grant gives the user of role perms on top of what it holds.
func (f *adminFixture) grant(role taxsms.Role, perms ...auth.Permission) {
	f.t.Helper()
	u := f.users[role]
	held, err := f.db.UserPermissions(context.Background(), u.ID)
	must(f.t, err)
	must(f.t, f.db.SetUserPermissions(context.Background(), u.ID, append(held, perms...)))
}

// fieldError reports whether body shows an error beside field name.
func hasFieldError(body, name string) bool {
	return strings.Contains(body, `id="f-`+name+`-error"`)
}

func TestConsole_AdminAccess(t *testing.T) {
	f := startAdmin(t)
	want := map[taxsms.Role]map[string]int{
		taxsms.RoleCityAdmin:   {"/offices": 200, "/offices/new": 200, "/users": 200, "/users/new": 200, "/keys": 200, "/audit": 200},
		taxsms.RoleBranchAdmin: {"/offices": 403, "/offices/new": 403, "/users": 200, "/users/new": 200, "/keys": 403, "/audit": 200},
		taxsms.RoleOperator:    {"/offices": 403, "/offices/new": 403, "/users": 403, "/users/new": 403, "/keys": 403, "/audit": 403},
		taxsms.RoleAuditor:     {"/offices": 200, "/offices/new": 403, "/users": 200, "/users/new": 403, "/keys": 200, "/audit": 200},
		taxsms.RoleMaintainer:  {"/offices": 403, "/offices/new": 403, "/users": 403, "/users/new": 403, "/keys": 403, "/audit": 403},
	}
	for _, role := range taxsms.Roles {
		t.Run(string(role), func(t *testing.T) {
			b := f.as(role)
			for path, status := range want[role] {
				r := b.get(path)
				if r.Status != status {
					t.Errorf("GET %s = %d, want %d", path, r.Status, status)
				}
				nav := `<a href="` + path + `"`
				if !strings.Contains(path, "/new") && strings.Contains(r.Body, nav) != (status == 200) {
					t.Errorf("navigation link to %s shown = %v, want %v", path, !(status == 200), status == 200)
				}
			}
		})
	}
	t.Run("SignedOut", func(t *testing.T) {
		for _, path := range []string{"/offices", "/users", "/keys", "/audit", "/audit/export.csv"} {
			if r := f.browser().get(path); r.Status != http.StatusSeeOther || !strings.HasPrefix(r.Location, "/login") {
				t.Errorf("GET %s signed out = %d → %q, want the sign-in page", path, r.Status, r.Location)
			}
		}
	})
}

func TestConsole_Offices(t *testing.T) {
	f := startAdmin(t)
	admin := f.as(taxsms.RoleCityAdmin)

	t.Run("Tree", func(t *testing.T) {
		r := admin.get("/offices")
		for _, o := range []*taxsms.Office{f.city, f.branch, f.other} {
			if !strings.Contains(r.Body, `href="/offices/`+adminID(o.ID)+`"`) {
				t.Errorf("city tree lacks %s", o.Name)
			}
		}
		// A branch administrator with manage_offices sees its subtree only.
		f.grant(taxsms.RoleBranchAdmin, auth.PermManageOffices)
		b := f.as(taxsms.RoleBranchAdmin)
		r = b.get("/offices")
		if r.Status != 200 || !strings.Contains(r.Body, f.branch.Name) || strings.Contains(r.Body, f.other.Name) || strings.Contains(r.Body, `href="/offices/`+adminID(f.city.ID)+`"`) {
			t.Errorf("branch tree = %d, want its own office only\n%s", r.Status, r.Body)
		}
		if r := b.get("/offices/" + adminID(f.other.ID)); r.Status != http.StatusNotFound {
			t.Errorf("GET another branch = %d, want 404", r.Status)
		}
		token := b.csrf("/offices/" + adminID(f.branch.ID))
		if r := b.post("/offices/"+adminID(f.other.ID), url.Values{"csrf_token": {token}, "code": {"X1"}, "name": {"x"}}); r.Status != http.StatusNotFound {
			t.Errorf("POST another branch = %d, want 404", r.Status)
		}
	})

	token := admin.csrf("/offices/new")
	var created int64
	t.Run("Create", func(t *testing.T) {
		for _, tt := range []struct {
			name  string
			form  url.Values
			field string
		}{
			{"ErrCode", url.Values{"parent": {adminID(f.branch.ID)}, "code": {""}, "name": {"所"}}, "code"},
			{"ErrCodeChars", url.Values{"parent": {adminID(f.branch.ID)}, "code": {"a b"}, "name": {"所"}}, "code"},
			{"ErrCodeTaken", url.Values{"parent": {adminID(f.branch.ID)}, "code": {f.other.Code}, "name": {"所"}}, "code"},
			{"ErrPhone", url.Values{"parent": {adminID(f.branch.ID)}, "code": {"S1"}, "name": {"所"}, "phone": {"call us"}}, "phone"},
			{"ErrParent", url.Values{"parent": {"x"}, "code": {"S1"}, "name": {"所"}}, "parent"},
		} {
			t.Run(tt.name, func(t *testing.T) {
				tt.form.Set("csrf_token", token)
				r := admin.post("/offices", tt.form)
				if r.Status != http.StatusBadRequest || !hasFieldError(r.Body, tt.field) {
					t.Errorf("= %d, want 400 with an error beside %s\n%s", r.Status, tt.field, r.Body)
				}
			})
		}
		r := admin.post("/offices", url.Values{"csrf_token": {token}, "parent": {adminID(f.branch.ID)}, "code": {"13702020100"}, "name": {"八大关税务所"}, "phone": {"0532-12366"}})
		if r.Status != http.StatusSeeOther || !strings.HasPrefix(r.Location, "/offices/") {
			t.Fatalf("create = %d → %q\n%s", r.Status, r.Location, r.Body)
		}
		o, err := f.db.FindOfficeByCode(context.Background(), "13702020100")
		must(t, err)
		created = o.ID
		if o.ParentID != f.branch.ID || o.Phone != "0532-12366" {
			t.Errorf("created %+v", o)
		}
		if page := admin.get(r.Location); !strings.Contains(page.Body, "13702020100") || !strings.Contains(page.Body, `class="flash"`) {
			t.Errorf("office page after create lacks the code or the confirmation")
		}
	})
	t.Run("Edit", func(t *testing.T) {
		path := "/offices/" + adminID(created)
		r := admin.post(path, url.Values{"csrf_token": {token}, "code": {"13702020100"}, "name": {""}})
		if r.Status != http.StatusBadRequest || !hasFieldError(r.Body, "name") {
			t.Errorf("empty name = %d, want 400 beside name", r.Status)
		}
		r = admin.post(path, url.Values{"csrf_token": {token}, "code": {"13702020100"}, "name": {"八大关所"}, "address": {"汇泉路 1 号"}})
		if r.Status != http.StatusSeeOther {
			t.Fatalf("edit = %d\n%s", r.Status, r.Body)
		}
		o, _ := f.db.FindOffice(context.Background(), created)
		if o.Name != "八大关所" || o.Address != "汇泉路 1 号" {
			t.Errorf("after edit: %+v", o)
		}
	})
	t.Run("ReadOnly", func(t *testing.T) {
		r := f.as(taxsms.RoleAuditor).get("/offices/" + adminID(f.branch.ID))
		if r.Status != 200 || strings.Contains(r.Body, `action="/offices/`) {
			t.Errorf("auditor's office page = %d, want 200 without forms", r.Status)
		}
	})
	t.Run("ErrCSRF", func(t *testing.T) {
		for _, path := range []string{"/offices", "/offices/" + adminID(created), "/offices/" + adminID(created) + "/suspend"} {
			if r := admin.post(path, url.Values{"code": {"Z"}, "name": {"z"}, "reason": {"r"}}); r.Status != http.StatusForbidden {
				t.Errorf("POST %s without token = %d, want 403", path, r.Status)
			}
		}
	})
}

func TestConsole_SuspendOffice(t *testing.T) {
	f := startAdmin(t)
	admin := f.as(taxsms.RoleCityAdmin)
	op := f.as(taxsms.RoleOperator) // of the branch
	path := "/offices/" + adminID(f.branch.ID) + "/suspend"
	token := admin.csrf("/offices/" + adminID(f.branch.ID))
	// A manual message of the branch's operator waits in the queue.
	_, err := f.db.CreateMessages(context.Background(), []*taxsms.Message{{Direction: taxsms.MT, Kind: taxsms.KindSpecial,
		Priority: taxsms.KindSpecial.DefaultPriority(), Mobile: "13912345678", OfficeID: f.branch.ID,
		AuthorID: f.users[taxsms.RoleOperator].ID, Body: "【12366】通知", Segments: 1}})
	must(t, err)

	r := admin.post(path, url.Values{"csrf_token": {token}, "action": {"suspend"}, "reason": {" "}})
	if r.Status != http.StatusBadRequest || !hasFieldError(r.Body, "reason") {
		t.Fatalf("no reason = %d, want 400 beside reason", r.Status)
	}
	if r := op.get("/"); r.Status != 200 {
		t.Fatalf("operator before suspension = %d", r.Status)
	}
	r = admin.post(path, url.Values{"csrf_token": {token}, "action": {"suspend"}, "reason": {"审计整改"}})
	if r.Status != http.StatusSeeOther {
		t.Fatalf("suspend = %d\n%s", r.Status, r.Body)
	}
	page := admin.get(r.Location)
	if !strings.Contains(page.Body, f.c.cat.T(LangZH, "offices.suspended", f.branch.Code, "1")) {
		t.Errorf("office page after suspension does not say how many messages were held")
	}
	if r := op.get("/"); r.Status != http.StatusSeeOther || !strings.HasPrefix(r.Location, "/login") {
		t.Errorf("operator of the suspended office = %d → %q, want the sign-in page", r.Status, r.Location)
	}
	if r := f.browser().signIn(f.users[taxsms.RoleOperator].Login, testPassword); r.Status != http.StatusForbidden {
		t.Errorf("sign-in in the suspended office = %d, want 403", r.Status)
	}
	// Suspending again is a conflict shown on the form.
	r = admin.post(path, url.Values{"csrf_token": {token}, "action": {"suspend"}, "reason": {"again"}})
	if r.Status != http.StatusBadRequest || errorText(r.Body) == "" {
		t.Errorf("suspend twice = %d, want 400 with the form's error", r.Status)
	}
	r = admin.post(path, url.Values{"csrf_token": {token}, "action": {"resume"}, "reason": {"整改完成"}})
	if r.Status != http.StatusSeeOther {
		t.Fatalf("resume = %d\n%s", r.Status, r.Body)
	}
	f.browser().mustSignIn(f.users[taxsms.RoleOperator].Login)
}

func adminID(n int64) string { return strconv.FormatInt(n, 10) }
