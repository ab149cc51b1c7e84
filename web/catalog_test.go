package web

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"testing/fstest"

	"taxsms"
	"taxsms/auth"
)

// TestCatalog checks that every key has a text in every language (the
// loader refuses one without), and that every key the templates and the
// console's code name is in the catalogue.
func TestCatalog(t *testing.T) {
	cat, err := loadCatalog(catalogFiles)
	if err != nil {
		t.Fatal(err)
	}
	var want []string
	// Keys in the templates: {{t "key"}}, (field .Form "name" "key" ...), "hint=key".
	commentRE := regexp.MustCompile(`(?s)\{\{/\*.*?\*/\}\}`)
	tmplRE := regexp.MustCompile(`\bt "([^"]+)"|field \.Form "[^"]+" "([^"]+)"|"hint=([^"]+)"`)
	files, _ := fs.Glob(templateFiles, "templates/*.html")
	for _, f := range files {
		b, _ := fs.ReadFile(templateFiles, f)
		text := commentRE.ReplaceAllString(string(b), "") // examples in comments are not used
		for _, m := range tmplRE.FindAllStringSubmatch(text, -1) {
			want = append(want, m[1]+m[2]+m[3])
		}
	}
	// Keys in the console's code: string literals shaped like keys whose
	// first part is a part of the catalogue ("dash.title", not "console.css").
	prefixes := make(map[string]bool)
	for _, k := range cat.Keys() {
		prefixes[strings.SplitN(k, ".", 2)[0]] = true
	}
	codeRE := regexp.MustCompile(`"([a-z]+)\.([a-z_][a-z0-9_.]*)"`)
	code, _ := filepath.Glob("console*.go")
	for _, f := range code {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range codeRE.FindAllStringSubmatch(string(b), -1) {
			if prefixes[m[1]] && !strings.HasSuffix(m[2], ".") {
				want = append(want, m[1]+"."+m[2])
			}
		}
	}
	// Keys made of values: {{t (print "kind." .Kind)}} and the like.
	for _, k := range taxsms.Kinds {
		want = append(want, "kind."+string(k))
	}
	for _, s := range messageStatuses {
		want = append(want, "status."+string(s))
	}
	for _, r := range taxsms.Roles {
		want = append(want, "role."+string(r))
	}
	for _, p := range auth.AllPermissions {
		want = append(want, "perm."+string(p))
	}
	for _, p := range priorities {
		want = append(want, fmt.Sprint("priority.", p))
	}
	for _, c := range []taxsms.Carrier{taxsms.CarrierMobile, taxsms.CarrierUnicom, taxsms.CarrierTelecom, taxsms.CarrierBroadnet} {
		want = append(want, "carrier."+string(c))
	}
	for _, e := range []string{"error.title", "error.not_found", "error.forbidden", "error.csrf", "error.invalid"} {
		want = append(want, e, e+"_text")
	}
	for _, n := range navItems {
		want = append(want, n.Key)
	}
	if len(want) < 100 {
		t.Fatalf("found only %d keys to check: the scan is broken", len(want))
	}
	for _, k := range want {
		if !cat.Has(k) {
			t.Errorf("key %q is used but not in the catalogue", k)
		}
	}
}

func TestLoadCatalog_Err(t *testing.T) {
	for name, text := range map[string]string{
		"MissingLang": `"a.b" = { zh = "甲" }`,
		"EmptyText":   `"a.b" = { zh = "甲", en = " " }`,
		"UnknownLang": `"a.b" = { zh = "甲", en = "A", fr = "A" }`,
		"BadTOML":     `"a.b" = {`,
	} {
		t.Run(name, func(t *testing.T) {
			fsys := fstest.MapFS{"i18n/x.toml": {Data: []byte(text)}}
			if _, err := loadCatalog(fsys); err == nil {
				t.Errorf("loadCatalog(%s) = nil error", text)
			}
		})
	}
	t.Run("Duplicate", func(t *testing.T) {
		fsys := fstest.MapFS{
			"i18n/a.toml": {Data: []byte(`"a.b" = { zh = "甲", en = "A" }`)},
			"i18n/b.toml": {Data: []byte(`"a.b" = { zh = "乙", en = "B" }`)},
		}
		if _, err := loadCatalog(fsys); err == nil || !strings.Contains(err.Error(), "already defined") {
			t.Errorf("duplicate key: err = %v", err)
		}
	})
}

func TestCatalog_T(t *testing.T) {
	cat, err := loadCatalog(fstest.MapFS{"i18n/a.toml": {Data: []byte(`"n.x" = { zh = "共 %d 条", en = "%d in all" }`)}})
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct{ lang, want string }{{LangZH, "共 3 条"}, {LangEN, "3 in all"}, {"fr", "共 3 条"}} {
		if got := cat.T(tt.lang, "n.x", 3); got != tt.want {
			t.Errorf("T(%s) = %q, want %q", tt.lang, got, tt.want)
		}
	}
	if got := cat.T(LangEN, "no.such"); got != "no.such" || len(cat.Missing()) != 1 {
		t.Errorf("missing key: T = %q, Missing = %v", got, cat.Missing())
	}
}

func TestLang(t *testing.T) {
	for in, want := range map[string]string{"zh": "zh", "zh-CN": "zh", "EN-gb": "en", "fr": "", "": "", "english": ""} {
		if got := parseLang(in); got != want {
			t.Errorf("parseLang(%q) = %q, want %q", in, got, want)
		}
	}
	for in, want := range map[string]string{"fr-FR,en;q=0.8,zh;q=0.5": "en", "zh-TW": "zh", "de": ""} {
		if got := acceptLang(in); got != want {
			t.Errorf("acceptLang(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestLocalPath(t *testing.T) {
	for in, want := range map[string]string{"/users?q=1": "/users?q=1", "": "/", "//evil.example": "/", "/\\evil": "/",
		"https://evil.example/": "/", "users": "/", "/a\r\nSet-Cookie: x": "/"} {
		if got := localPath(in); got != want {
			t.Errorf("localPath(%q) = %q, want %q", in, got, want)
		}
	}
}
