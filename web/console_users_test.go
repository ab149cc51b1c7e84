package web

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"

	"taxsms"
	"taxsms/auth"
)

var shownSecretRE = regexp.MustCompile(`<code class="secret">([^<]+)</code>`)

func TestConsole_Users(t *testing.T) {
	f := startAdmin(t)
	admin := f.as(taxsms.RoleCityAdmin)
	branch := f.as(taxsms.RoleBranchAdmin)
	op := f.users[taxsms.RoleOperator]

	t.Run("List", func(t *testing.T) {
		r := admin.get("/users")
		if !strings.Contains(r.Body, f.otherOp.Login) || !strings.Contains(r.Body, op.Login) {
			t.Errorf("city list lacks users")
		}
		if strings.Contains(r.Body, "13912345678") || !strings.Contains(r.Body, taxsms.MaskMobile("13912345678")) {
			t.Errorf("numbers are not masked in the list")
		}
		r = branch.get("/users")
		if strings.Contains(r.Body, f.otherOp.Login) || !strings.Contains(r.Body, op.Login) || strings.Contains(r.Body, f.users[taxsms.RoleCityAdmin].Login) {
			t.Errorf("branch list shows users outside its subtree\n%s", r.Body)
		}
		r = admin.get("/users?q=" + url.QueryEscape("市北"))
		if !strings.Contains(r.Body, f.otherOp.Login) || strings.Contains(r.Body, ">"+op.Login+"<") {
			t.Errorf("search by name = wrong rows")
		}
		if r := branch.get("/users?q=" + url.QueryEscape("市北")); strings.Contains(r.Body, f.otherOp.Login) {
			t.Errorf("branch search finds a user outside its subtree")
		}
		r = admin.get("/users?login=" + f.otherOp.Login)
		if !strings.Contains(r.Body, ">"+f.otherOp.Login+"<") || strings.Contains(r.Body, ">"+op.Login+"<") {
			t.Errorf("search by login = wrong rows")
		}
		r = admin.get("/users?role=operator&office=" + adminID(f.other.ID))
		if !strings.Contains(r.Body, f.otherOp.Login) || strings.Contains(r.Body, op.Login) {
			t.Errorf("search by role and office = wrong rows")
		}
		if r := admin.get("/users?role=king"); r.Status != http.StatusBadRequest || !hasFieldError(r.Body, "role") {
			t.Errorf("unknown role = %d, want 400 beside role", r.Status)
		}
		if r := branch.get("/users?office=" + adminID(f.other.ID)); r.Status != http.StatusBadRequest || !hasFieldError(r.Body, "office") {
			t.Errorf("office outside the scope = %d, want 400 beside office", r.Status)
		}
	})
	t.Run("Paging", func(t *testing.T) {
		ctx := context.Background()
		for i := range PageSize + 5 {
			must(t, f.db.CreateUser(ctx, &taxsms.User{Login: "p" + adminID(int64(i)), Name: "翻页", OfficeID: f.branch.ID, Role: taxsms.RoleOperator}))
		}
		r := admin.get("/users")
		next := regexp.MustCompile(`<a href="([^"]+)" rel="next">`).FindStringSubmatch(r.Body)
		if next == nil {
			t.Fatalf("no next page link")
		}
		r2 := admin.get(strings.ReplaceAll(next[1], "&amp;", "&"))
		if r2.Status != 200 || !strings.Contains(r2.Body, ">p54<") || strings.Contains(r2.Body, ">"+op.Login+"<") {
			t.Errorf("second page = %d, want the last users only", r2.Status)
		}
	})
	t.Run("Scope", func(t *testing.T) {
		if r := branch.get("/users/" + adminID(f.otherOp.ID)); r.Status != http.StatusNotFound {
			t.Errorf("branch GET user of another branch = %d, want 404", r.Status)
		}
		token := branch.csrf("/users")
		for _, p := range []string{"", "/permissions", "/password", "/suspend"} {
			r := branch.post("/users/"+adminID(f.otherOp.ID)+p, url.Values{"csrf_token": {token}, "name": {"x"}, "reason": {"x"}})
			if r.Status != http.StatusNotFound {
				t.Errorf("branch POST /users/%d%s = %d, want 404", f.otherOp.ID, p, r.Status)
			}
		}
		// A branch administrator may not change the city's users, nor itself here.
		if r := branch.post("/users/"+adminID(f.users[taxsms.RoleBranchAdmin].ID)+"/suspend", url.Values{"csrf_token": {token}, "reason": {"x"}}); r.Status != http.StatusForbidden {
			t.Errorf("branch suspends itself = %d, want 403", r.Status)
		}
		r := f.as(taxsms.RoleAuditor).get("/users/" + adminID(op.ID))
		if r.Status != 200 || strings.Contains(r.Body, `action="/users/`) {
			t.Errorf("auditor's user page = %d, want 200 without forms", r.Status)
		}
		if r := f.as(taxsms.RoleOperator).get("/users/" + adminID(op.ID)); r.Status != http.StatusForbidden {
			t.Errorf("operator's user page = %d, want 403", r.Status)
		}
	})

	token := admin.csrf("/users/new")
	t.Run("Create", func(t *testing.T) {
		base := url.Values{"csrf_token": {token}, "login": {"li.na"}, "name": {"李娜"}, "office": {adminID(f.branch.ID)}, "role": {"operator"}, "mode": {"generate"}}
		with := func(k, v string) url.Values {
			u := cloneValues(base)
			u.Set(k, v)
			return u
		}
		for _, tt := range []struct {
			name  string
			form  url.Values
			field string
		}{
			{"ErrLogin", with("login", "li na"), "login"},
			{"ErrLoginTaken", with("login", op.Login), "login"},
			{"ErrName", with("name", ""), "name"},
			{"ErrMobile", with("mobile", "12345"), "mobile"},
			{"ErrRole", with("role", "emperor"), "role"},
			{"ErrPassword", func() url.Values { u := with("mode", "set"); u.Set("password", "short"); return u }(), "password"},
		} {
			t.Run(tt.name, func(t *testing.T) {
				r := admin.post("/users", tt.form)
				if r.Status != http.StatusBadRequest || !hasFieldError(r.Body, tt.field) {
					t.Errorf("= %d, want 400 beside %s\n%s", r.Status, tt.field, r.Body)
				}
			})
		}
		t.Run("ErrBranchRole", func(t *testing.T) {
			form := with("role", "city_admin")
			form.Set("csrf_token", branch.csrf("/users/new"))
			r := branch.post("/users", form)
			if r.Status != http.StatusBadRequest || !hasFieldError(r.Body, "role") {
				t.Errorf("branch makes a city administrator = %d, want 400 beside role", r.Status)
			}
		})
		r := admin.post("/users", with("mobile", "13600001234"))
		m := shownSecretRE.FindStringSubmatch(r.Body)
		if r.Status != http.StatusCreated || m == nil {
			t.Fatalf("create = %d, want 201 showing the password\n%s", r.Status, r.Body)
		}
		if err := auth.CheckPassword("li.na", m[1]); err != nil {
			t.Errorf("generated password %q: %v", m[1], err)
		}
		nb := f.browser()
		if r := nb.signIn("li.na", m[1]); r.Status != http.StatusSeeOther {
			t.Errorf("new user signs in with the generated password = %d", r.Status)
		}
		r = admin.post("/users", func() url.Values {
			u := with("login", "wang.wu")
			u.Set("mode", "set")
			u.Set("password", "a long passphrase")
			return u
		}())
		if r.Status != http.StatusCreated || shownSecretRE.MatchString(r.Body) {
			t.Errorf("create with a typed password = %d, want 201 not showing it", r.Status)
		}
		if r := f.browser().signIn("wang.wu", "a long passphrase"); r.Status != http.StatusSeeOther {
			t.Errorf("new user signs in with the typed password = %d", r.Status)
		}
	})
	t.Run("Edit", func(t *testing.T) {
		path := "/users/" + adminID(op.ID)
		page := admin.get(path)
		if strings.Contains(page.Body, "13912345678") || !strings.Contains(page.Body, "139****5678") {
			t.Errorf("user page shows the number unmasked")
		}
		r := admin.post(path, url.Values{"csrf_token": {token}, "name": {"新名字"}, "office": {adminID(f.branch.ID)}, "role": {"operator"}, "mobile": {"999"}})
		if r.Status != http.StatusBadRequest || !hasFieldError(r.Body, "mobile") {
			t.Errorf("bad mobile = %d, want 400 beside mobile", r.Status)
		}
		r = admin.post(path, url.Values{"csrf_token": {token}, "name": {"新名字"}, "office": {adminID(f.branch.ID)}, "role": {"operator"}})
		if r.Status != http.StatusSeeOther {
			t.Fatalf("edit = %d\n%s", r.Status, r.Body)
		}
		u, _ := f.db.FindUser(context.Background(), op.ID)
		if u.Name != "新名字" || u.Mobile != "13912345678" {
			t.Errorf("after edit: name %q, mobile %q (an empty field keeps it)", u.Name, u.Mobile)
		}
	})
	t.Run("Permissions", func(t *testing.T) {
		path := "/users/" + adminID(op.ID)
		btoken := branch.csrf(path)
		page := branch.get(path)
		// The branch administrator does not hold send_emergency: its box is disabled.
		if !regexp.MustCompile(`value="send_emergency"[^>]*disabled`).MatchString(page.Body) || regexp.MustCompile(`value="export"[^>]*disabled`).MatchString(page.Body) {
			t.Errorf("checkboxes not limited to what the branch administrator may grant")
		}
		r := branch.post(path+"/permissions", url.Values{"csrf_token": {btoken}, "perm": {"send_own", "answer_tickets", "send_emergency"}})
		if r.Status != http.StatusBadRequest || !hasFieldError(r.Body, "permissions") {
			t.Errorf("grant beyond its own = %d, want 400 beside permissions\n%s", r.Status, r.Body)
		}
		r = branch.post(path+"/permissions", url.Values{"csrf_token": {btoken}, "perm": {"send_own", "answer_tickets", "export"}})
		if r.Status != http.StatusSeeOther {
			t.Fatalf("grant = %d\n%s", r.Status, r.Body)
		}
		held, _ := f.db.UserPermissions(context.Background(), op.ID)
		if !slices.Contains(held, auth.PermExport) {
			t.Errorf("held after grant = %v", held)
		}
	})
	t.Run("ResetPassword", func(t *testing.T) {
		path := "/users/" + adminID(op.ID) + "/password"
		ob := f.as(taxsms.RoleOperator)
		r := admin.post(path, url.Values{"csrf_token": {token}, "mode": {"set"}, "password": {op.Login}})
		if r.Status != http.StatusBadRequest || !hasFieldError(r.Body, "password") {
			t.Errorf("reset to the login = %d, want 400 beside password", r.Status)
		}
		r = admin.post(path, url.Values{"csrf_token": {token}, "mode": {"generate"}})
		m := shownSecretRE.FindStringSubmatch(r.Body)
		if r.Status != 200 || m == nil {
			t.Fatalf("reset = %d, want the password shown", r.Status)
		}
		if r := ob.get("/"); r.Status != http.StatusSeeOther {
			t.Errorf("session after a reset = %d, want it ended", r.Status)
		}
		if r := f.browser().signIn(op.Login, testPassword); r.Status != http.StatusUnauthorized {
			t.Errorf("old password after reset = %d, want 401", r.Status)
		}
		if r := f.browser().signIn(op.Login, m[1]); r.Status != http.StatusSeeOther {
			t.Errorf("new password = %d, want 303", r.Status)
		}
	})
	t.Run("Suspend", func(t *testing.T) {
		path := "/users/" + adminID(f.otherOp.ID) + "/suspend"
		r := admin.post(path, url.Values{"csrf_token": {token}, "action": {"suspend"}})
		if r.Status != http.StatusBadRequest || !hasFieldError(r.Body, "reason") {
			t.Errorf("no reason = %d, want 400 beside reason", r.Status)
		}
		r = admin.post(path, url.Values{"csrf_token": {token}, "action": {"suspend"}, "reason": {"离职"}})
		if r.Status != http.StatusSeeOther {
			t.Fatalf("suspend = %d\n%s", r.Status, r.Body)
		}
		u, _ := f.db.FindUser(context.Background(), f.otherOp.ID)
		if u.Status != taxsms.UserSuspended {
			t.Errorf("status = %s", u.Status)
		}
		r = admin.post(path, url.Values{"csrf_token": {token}, "action": {"resume"}, "reason": {"返岗"}})
		if r.Status != http.StatusSeeOther {
			t.Errorf("resume = %d", r.Status)
		}
	})
	t.Run("TOTPPolicy", func(t *testing.T) {
		if r := admin.get("/users/" + adminID(op.ID)); !strings.Contains(r.Body, f.c.cat.T(LangZH, "users.totp_optional")) {
			t.Errorf("TOTP policy not shown")
		}
	})
	t.Run("ErrCSRF", func(t *testing.T) {
		for _, p := range []string{"/users", "/users/" + adminID(op.ID), "/users/" + adminID(op.ID) + "/permissions", "/users/" + adminID(op.ID) + "/password", "/users/" + adminID(op.ID) + "/suspend"} {
			if r := admin.post(p, url.Values{"csrf_token": {"forged"}, "reason": {"x"}}); r.Status != http.StatusForbidden {
				t.Errorf("POST %s with a forged token = %d, want 403", p, r.Status)
			}
		}
	})
}
