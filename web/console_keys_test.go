package web

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"taxsms"
	"taxsms/auth"
)

func TestConsole_Keys(t *testing.T) {
	f := startAdmin(t)
	admin := f.as(taxsms.RoleCityAdmin)
	token := admin.csrf("/keys")
	ep := apiEndpoints()[0]

	t.Run("ErrForm", func(t *testing.T) {
		for _, tt := range []struct {
			name  string
			form  url.Values
			field string
		}{
			{"ErrName", url.Values{"office": {adminID(f.branch.ID)}, "endpoint": {ep}}, "name"},
			{"ErrEndpoints", url.Values{"name": {"金税三期"}, "office": {adminID(f.branch.ID)}}, "endpoints"},
			{"ErrUnknownEndpoint", url.Values{"name": {"金税三期"}, "office": {adminID(f.branch.ID)}, "endpoint": {"GET /etc/passwd"}}, "endpoints"},
			{"ErrOffice", url.Values{"name": {"金税三期"}, "office": {"999"}, "endpoint": {ep}}, "office"},
		} {
			t.Run(tt.name, func(t *testing.T) {
				tt.form.Set("csrf_token", token)
				r := admin.post("/keys", tt.form)
				if r.Status != http.StatusBadRequest || !hasFieldError(r.Body, tt.field) {
					t.Errorf("= %d, want 400 beside %s\n%s", r.Status, tt.field, r.Body)
				}
			})
		}
	})
	r := admin.post("/keys", url.Values{"csrf_token": {token}, "name": {"金税三期"}, "office": {adminID(f.branch.ID)}, "endpoint": {"GET /api/v1/taxpayers", "POST /api/v1/messages"}})
	m := regexp.MustCompile(`<code class="secret">(tsk_[a-z2-7]+)</code>`).FindStringSubmatch(r.Body)
	if r.Status != http.StatusCreated || m == nil {
		t.Fatalf("create = %d, want 201 showing the secret\n%s", r.Status, r.Body)
	}
	ctx := context.Background()
	a, err := f.db.APIKeyActor(ctx, auth.HashKey(m[1]))
	if err != nil || a.OfficePath != f.branch.Path || !a.CanCall("POST", "POST /api/v1/messages") || a.CanCall("GET", "GET /api/v1/users") {
		t.Fatalf("key's actor = %+v, %v", a, err)
	}
	if page := admin.get("/keys"); strings.Contains(page.Body, m[1]) || !strings.Contains(page.Body, "金税三期") {
		t.Errorf("the list shows the secret again, or not the key")
	}

	t.Run("ReadOnly", func(t *testing.T) {
		au := f.as(taxsms.RoleAuditor)
		page := au.get("/keys")
		if page.Status != 200 || !strings.Contains(page.Body, "金税三期") || strings.Contains(page.Body, `action="/keys`) {
			t.Errorf("auditor's keys page = %d, want the list without forms", page.Status)
		}
		if r := au.post("/keys", url.Values{"csrf_token": {au.csrf("/keys")}, "name": {"x"}}); r.Status != http.StatusForbidden {
			t.Errorf("auditor creates a key = %d, want 403", r.Status)
		}
	})
	t.Run("Scope", func(t *testing.T) {
		f.grant(taxsms.RoleBranchAdmin, auth.PermManageAPIKeys)
		b := f.as(taxsms.RoleBranchAdmin)
		bt := b.csrf("/keys")
		r := b.post("/keys", url.Values{"csrf_token": {bt}, "name": {"越权"}, "office": {adminID(f.other.ID)}, "endpoint": {ep}})
		if r.Status != http.StatusBadRequest || errorText(r.Body) == "" && !hasFieldError(r.Body, "office") {
			t.Errorf("branch key for another branch = %d, want 400 with the form's error", r.Status)
		}
		k := &auth.APIKey{Name: "市北", Hash: auth.HashKey("x"), OfficeID: f.other.ID, Endpoints: []string{ep}}
		must(t, f.db.CreateAPIKey(ctx, k))
		if r := b.get("/keys"); r.Status != 200 || strings.Contains(r.Body, "市北") {
			t.Errorf("branch keys page = %d; want 200 without the key of another branch", r.Status)
		}
		if r := b.post("/keys/"+adminID(k.ID)+"/revoke", url.Values{"csrf_token": {bt}}); r.Status != http.StatusNotFound {
			t.Errorf("branch revokes a key of another branch = %d, want 404", r.Status)
		}
	})
	t.Run("Revoke", func(t *testing.T) {
		keys, err := f.db.ListAPIKeys(ctx)
		must(t, err)
		id := keys[0].ID
		if r := admin.post("/keys/"+adminID(id)+"/revoke", url.Values{"csrf_token": {"forged"}}); r.Status != http.StatusForbidden {
			t.Errorf("revoke with a forged token = %d, want 403", r.Status)
		}
		if r := admin.post("/keys/"+adminID(id)+"/revoke", url.Values{"csrf_token": {token}}); r.Status != http.StatusSeeOther {
			t.Fatalf("revoke = %d\n%s", r.Status, r.Body)
		}
		if _, err := f.db.APIKeyActor(ctx, auth.HashKey(m[1])); taxsms.ErrorCode(err) != taxsms.EUNAUTHORIZED {
			t.Errorf("revoked key's actor: %v, want EUNAUTHORIZED", err)
		}
		if r := admin.post("/keys/"+adminID(id)+"/revoke", url.Values{"csrf_token": {token}}); r.Status != http.StatusSeeOther {
			t.Errorf("revoke twice = %d, want 303 with a note", r.Status)
		}
	})
}
