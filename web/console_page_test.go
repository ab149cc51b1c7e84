package web

import (
	"errors"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"taxsms"
)

func TestRequest_Pager(t *testing.T) {
	for _, tt := range []struct {
		name, url   string
		more        bool
		last        int64
		next, first string
	}{
		{"FirstPage", "/users?q=wang", true, 50, "/users?after=50&q=wang", ""},
		{"Middle", "/users?after=50&q=wang", true, 100, "/users?after=100&q=wang", "/users?q=wang"},
		{"Last", "/users?after=100", false, 120, "", "/users"},
		{"Only", "/users", false, 3, "", ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r := &Request{Request: httptest.NewRequest("GET", tt.url, nil)}
			l := r.Pager(tt.more, tt.last)
			if l.Next != tt.next || l.First != tt.first {
				t.Errorf("Pager = next %q first %q, want %q %q", l.Next, l.First, tt.next, tt.first)
			}
		})
	}
}

func TestRequest_Cursor(t *testing.T) {
	for q, want := range map[string]int64{"": 0, "after=42": 42, "after=x": -1, "after=-3": -1} {
		r := &Request{Request: httptest.NewRequest("GET", "/users?"+q, nil)}
		got, err := r.Cursor()
		if want < 0 {
			if taxsms.ErrorCode(err) != taxsms.EINVALID || taxsms.ErrorField(err) != "after" {
				t.Errorf("Cursor(%q) = %d, %v; want EINVALID naming after", q, got, err)
			}
		} else if err != nil || got != want {
			t.Errorf("Cursor(%q) = %d, %v; want %d", q, got, err, want)
		}
	}
}

func TestForm(t *testing.T) {
	c := &Console{}
	var err error
	if c.cat, err = loadCatalog(catalogFiles); err != nil {
		t.Fatal(err)
	}
	hr := httptest.NewRequest("POST", "/users", strings.NewReader(url.Values{"login": {" wang "}, "name": {"王"}}.Encode()))
	hr.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	hr.ParseForm()
	r := &Request{Request: hr, Lang: LangEN}
	f := newForm(r, "login", "name")
	if f.Get("login") != "wang" || !f.OK() {
		t.Fatalf("Get(login) = %q, OK = %v", f.Get("login"), f.OK())
	}
	if err := c.failWith(r, f, taxsms.Invalid("login", "taken")); err != nil {
		t.Fatal(err)
	}
	if err := c.failWith(r, f, taxsms.Invalid("office", "required")); err != nil {
		t.Fatal(err)
	}
	internal := errors.New("disk full")
	if err := c.failWith(r, f, internal); err != internal {
		t.Errorf("failWith(internal) = %v, want it returned", err)
	}
	if f.Errors["login"] != "login: taken" || f.Error != "office: required" || f.OK() {
		t.Errorf("errors = %v, form error %q", f.Errors, f.Error)
	}
}
