package auth_test

import (
	"bytes"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"taxsms"
	"taxsms/auth"
)

func newCSRF(t *testing.T) *auth.CSRF {
	t.Helper()
	c, err := auth.NewCSRF(bytes.Repeat([]byte("k"), 32))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestNewCSRF(t *testing.T) {
	_, err := auth.NewCSRF(make([]byte, 31))
	wantCode(t, err, taxsms.EINVALID)
}

func TestCSRF_Token(t *testing.T) {
	c := newCSRF(t)
	a, b := c.Token("session-a"), c.Token("session-b")
	if len(a) != 43 || a == b || a != c.Token("session-a") {
		t.Errorf("Token = %q, %q: want 43 characters, stable per session, distinct between sessions", a, b)
	}
	other, _ := auth.NewCSRF(bytes.Repeat([]byte("o"), 32))
	if other.Token("session-a") == a {
		t.Errorf("tokens under two keys are equal")
	}
	if got := c.Token(""); got != "" {
		t.Errorf("Token(\"\") = %q, want \"\"", got)
	}
}

func TestCSRF_Check(t *testing.T) {
	c := newCSRF(t)
	const sid = "the-session"
	tok := c.Token(sid)
	form := func(method, token string) *http.Request {
		r := httptest.NewRequest(method, "http://console.example/users", strings.NewReader(url.Values{auth.CSRFField: {token}, "name": {"li"}}.Encode()))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		return r
	}
	header := func(method, token string) *http.Request {
		r := httptest.NewRequest(method, "http://console.example/api/x", nil)
		r.Header.Set(auth.CSRFHeader, token)
		return r
	}
	multi := func(token string) *http.Request {
		var buf bytes.Buffer
		w := multipart.NewWriter(&buf)
		w.WriteField(auth.CSRFField, token)
		f, _ := w.CreateFormFile("file", "taxpayers.csv")
		io.WriteString(f, "a,b\n")
		w.Close()
		r := httptest.NewRequest("POST", "http://console.example/import", &buf)
		r.Header.Set("Content-Type", w.FormDataContentType())
		return r
	}
	crossSite := form("POST", tok)
	crossSite.Header.Set("Sec-Fetch-Site", "cross-site")
	crossOrigin := form("POST", "")
	crossOrigin.Header.Set("Origin", "https://evil.example")
	sameOrigin := form("POST", tok)
	sameOrigin.Header.Set("Sec-Fetch-Site", "same-origin")

	for _, tc := range []struct {
		name string
		r    *http.Request
		sid  string
		code string
	}{
		{"GET", httptest.NewRequest("GET", "/users", nil), sid, ""},
		{"HEAD", httptest.NewRequest("HEAD", "/users", nil), sid, ""},
		{"OPTIONS", httptest.NewRequest("OPTIONS", "/users", nil), sid, ""},
		{"FormOK", form("POST", tok), sid, ""},
		{"SameOriginOK", sameOrigin, sid, ""},
		{"HeaderPUT", header("PUT", tok), sid, ""},
		{"HeaderPATCH", header("PATCH", tok), sid, ""},
		{"HeaderDELETE", header("DELETE", tok), sid, ""},
		{"MultipartOK", multi(tok), sid, ""},
		{"ErrMissing", form("POST", ""), sid, taxsms.EFORBIDDEN},
		{"ErrWrong", form("POST", tok[:42]+"A"), sid, taxsms.EFORBIDDEN},
		{"ErrOtherSession", form("POST", c.Token("another")), sid, taxsms.EFORBIDDEN},
		{"ErrHeaderWrong", header("DELETE", "x"), sid, taxsms.EFORBIDDEN},
		{"ErrMultipartWrong", multi("x"), sid, taxsms.EFORBIDDEN},
		{"ErrCrossSiteWithToken", crossSite, sid, taxsms.EFORBIDDEN},
		{"NoSessionSameSite", form("POST", ""), "", ""},
		{"ErrNoSessionCrossOrigin", crossOrigin, "", taxsms.EFORBIDDEN},
	} {
		t.Run(tc.name, func(t *testing.T) {
			wantCode(t, c.Check(tc.r, tc.sid), tc.code)
		})
	}
}

func TestCSRF_Protect(t *testing.T) {
	c := newCSRF(t)
	const sid = "the-session"
	var served int
	h := c.Protect(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		served++
		io.WriteString(w, r.PostFormValue("name"))
	}), func(*http.Request) string { return sid })

	post := func(token string) *httptest.ResponseRecorder {
		r := httptest.NewRequest("POST", "/users", strings.NewReader(url.Values{auth.CSRFField: {token}, "name": {"li"}}.Encode()))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		return w
	}
	if w := post(c.Token(sid)); w.Code != http.StatusOK || w.Body.String() != "li" {
		t.Errorf("with token: %d %q, want 200 \"li\"", w.Code, w.Body)
	}
	if w := post("forged"); w.Code != http.StatusForbidden || !strings.Contains(w.Body.String(), "reload the page") {
		t.Errorf("forged: %d %q, want 403", w.Code, w.Body)
	}
	if served != 1 {
		t.Errorf("next served %d requests, want 1", served)
	}
}
