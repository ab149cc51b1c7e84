package auth_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"taxsms"
	"taxsms/auth"
)

func TestNewKey(t *testing.T) {
	key, hash, err := auth.NewKey()
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(key, "tsk_") || len(key) != 4+52 {
		t.Errorf("key = %q, want tsk_ and 52 base32 characters", key)
	}
	if hash != auth.HashKey(key) || len(hash) != 64 {
		t.Errorf("hash = %q, want HashKey(key)", hash)
	}
	if key2, _, _ := auth.NewKey(); key2 == key {
		t.Errorf("two keys are equal")
	}
	// A known hash, so that a change of the hashing is seen.
	if got, want := auth.HashKey("tsk_x"), "57ab5bd078b86d3553bc5e1006c7b6ae96c5e01123ac6a54da91372892168465"; got != want {
		t.Errorf("HashKey = %q, want %q", got, want)
	}
}

func TestParseKey(t *testing.T) {
	key, _, _ := auth.NewKey()
	for _, c := range []struct {
		in, want string
	}{
		{key, key},
		{"Bearer " + key, key},
		{"  " + key + "\n", key},
		{"", ""},
		{"Bearer ", ""},
		{"tsk_", ""},
		{key[:len(key)-1], ""},
		{key + "a", ""},
		{"tsK_" + key[4:], ""},
		{"tsk_" + strings.ToUpper(key[4:]), ""},
		{"tsk_" + strings.Repeat("1", 52), ""},
		{"Basic " + key, ""},
	} {
		got, err := auth.ParseKey(c.in)
		if got != c.want {
			t.Errorf("ParseKey(%q) = %q, want %q", c.in, got, c.want)
		}
		if c.want == "" {
			wantCode(t, err, taxsms.EUNAUTHORIZED)
		} else {
			wantCode(t, err, "")
		}
	}
	t.Run("FromRequest", func(t *testing.T) {
		for _, h := range []string{"Authorization", "X-API-Key"} {
			r := httptest.NewRequest("GET", "/", nil)
			v := key
			if h == "Authorization" {
				v = "Bearer " + key
			}
			r.Header.Set(h, v)
			if got, err := auth.KeyFromRequest(r); got != key || err != nil {
				t.Errorf("%s: KeyFromRequest = %q, %v", h, got, err)
			}
		}
		_, err := auth.KeyFromRequest(httptest.NewRequest("GET", "/", nil))
		wantCode(t, err, taxsms.EUNAUTHORIZED)
	})
}

func TestAPIKey_Allows(t *testing.T) {
	k := auth.APIKey{ID: 3, Name: "core", OfficeID: 5, OfficePath: "/1/5/", Endpoints: []string{
		"POST /api/v1/messages", "GET /api/v1/messages/{id}", "GET /api/v1/taxpayers",
	}}
	revoked := k
	revoked.RevokedAt = time.Date(2025, 3, 14, 9, 0, 0, 0, time.UTC)
	for _, c := range []struct {
		k               auth.APIKey
		method, pattern string
		want            bool
	}{
		{k, "POST", "/api/v1/messages", true},
		{k, "POST", "POST /api/v1/messages", true},
		{k, "GET", "/api/v1/messages/{id}", true},
		{k, "GET", "GET /api/v1/messages/{id}", true},
		{k, "HEAD", "GET /api/v1/messages/{id}", true},
		{k, "HEAD", "/api/v1/taxpayers", true},
		{k, "GET", "/api/v1/messages", false},
		{k, "DELETE", "/api/v1/messages/{id}", false},
		{k, "POST", "GET /api/v1/messages/{id}", false},
		{k, "GET", "/api/v1/messages/42", false},
		{k, "GET", "/api/v1/taxpayers/", false},
		{k, "POST", "/api/v1/taxpayers", false},
		{k, "GET", "", false},
		{revoked, "POST", "/api/v1/messages", false},
	} {
		if got := c.k.Allows(c.method, c.pattern); got != c.want {
			t.Errorf("Allows(%s, %q) (revoked %v) = %v, want %v", c.method, c.pattern, c.k.Revoked(), got, c.want)
		}
	}
	t.Run("RequestPattern", func(t *testing.T) {
		// The pattern the ServeMux matched, as the web layer sees it.
		mux := http.NewServeMux()
		var allowed bool
		mux.HandleFunc("GET /api/v1/messages/{id}", func(w http.ResponseWriter, r *http.Request) {
			allowed = k.Allows(r.Method, r.Pattern)
		})
		mux.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/api/v1/messages/77", nil))
		if !allowed {
			t.Errorf("Allows(r.Method, r.Pattern) = false, want true")
		}
	})
}

func TestAPIKey_Validate(t *testing.T) {
	ok := auth.APIKey{Name: "core", OfficeID: 5, OfficePath: "/1/5/", Endpoints: []string{"POST /api/v1/messages"}}
	for _, c := range []struct {
		name  string
		edit  func(*auth.APIKey)
		field string
	}{
		{"OK", func(*auth.APIKey) {}, ""},
		{"NoName", func(k *auth.APIKey) { k.Name = " " }, "name"},
		{"LongName", func(k *auth.APIKey) { k.Name = strings.Repeat("税", 101) }, "name"},
		{"NoOffice", func(k *auth.APIKey) { k.OfficeID = 0 }, "office"},
		{"BadPath", func(k *auth.APIKey) { k.OfficePath = "/1/5" }, "office"},
		{"NoEndpoints", func(k *auth.APIKey) { k.Endpoints = nil }, "endpoints"},
		{"NoMethod", func(k *auth.APIKey) { k.Endpoints = []string{"/api/v1/messages"} }, "endpoints"},
		{"LowerMethod", func(k *auth.APIKey) { k.Endpoints = []string{"post /api/v1/messages"} }, "endpoints"},
		{"RelativePath", func(k *auth.APIKey) { k.Endpoints = []string{"GET api/v1/messages"} }, "endpoints"},
	} {
		t.Run(c.name, func(t *testing.T) {
			k := ok
			k.Endpoints = append([]string(nil), ok.Endpoints...)
			c.edit(&k)
			err := k.Validate()
			if c.field == "" {
				wantCode(t, err, "")
				return
			}
			wantCode(t, err, taxsms.EINVALID)
			if got := taxsms.ErrorField(err); got != c.field {
				t.Errorf("field = %q, want %q", got, c.field)
			}
		})
	}
}

func TestAPIKey_Actor(t *testing.T) {
	k := auth.APIKey{ID: 3, Name: "core", OfficeID: 5, OfficePath: "/1/5/"}
	a := k.Actor()
	if a.APIKeyID != 3 || a.UserID != 0 || a.Role != "" || a.OfficePath != "/1/5/" || a.String() != "API key 3" {
		t.Errorf("Actor = %+v", a)
	}
	if !a.Has(auth.PermSendJurisdiction) || a.Has(auth.PermRevealNumbers) || a.Has(auth.PermSendCity) {
		t.Errorf("Permissions = %v", a.Permissions)
	}
	a.Permissions[0] = auth.PermSendCity
	if auth.APIKeyPermissions()[0] == auth.PermSendCity {
		t.Errorf("APIKeyPermissions shares its slice")
	}
}
