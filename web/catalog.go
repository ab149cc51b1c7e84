package web

import (
	"embed"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"sort"
	"strings"
	"sync"

	"github.com/BurntSushi/toml"
)

// The console's languages: Simplified Chinese, the default, and English.
// The codes are those the store keeps per user (store.SetLanguage).
const (
	LangZH = "zh"
	LangEN = "en"
)

// Langs lists the console's languages, the default first.
var Langs = []string{LangZH, LangEN}

// catalogFiles are the translation catalogue: one TOML file per area of the
// console, each key an inline table with the text in every language:
//
//	"signin.title" = { zh = "登录", en = "Sign in" }
//
// Texts may hold fmt verbs (%s, %d) filled by the arguments of t.
//
//go:embed i18n/*.toml
var catalogFiles embed.FS

// Catalog holds every text of the console in every language.
type Catalog struct {
	texts map[string]map[string]string // key → lang → text

	mu      sync.Mutex
	missing map[string]bool // keys asked for but not in the catalogue
}

// loadCatalog reads every *.toml file of fsys's directory i18n. A key defined
// twice, a language other than Langs, or a key without a text in every
// language is an error naming the file and key.
func loadCatalog(fsys fs.FS) (*Catalog, error) {
	files, err := fs.Glob(fsys, "i18n/*.toml")
	if err != nil {
		return nil, err
	}
	c := &Catalog{texts: make(map[string]map[string]string), missing: make(map[string]bool)}
	from := make(map[string]string)
	for _, f := range files {
		b, err := fs.ReadFile(fsys, f)
		if err != nil {
			return nil, err
		}
		var m map[string]map[string]string
		if err := toml.Unmarshal(b, &m); err != nil {
			return nil, fmt.Errorf("catalogue %s: %w", f, err)
		}
		for key, texts := range m {
			if prev, dup := from[key]; dup {
				return nil, fmt.Errorf("catalogue %s: key %q already defined in %s", f, key, prev)
			}
			for lang := range texts {
				if !slices.Contains(Langs, lang) {
					return nil, fmt.Errorf("catalogue %s: key %q: unknown language %q", f, key, lang)
				}
			}
			for _, lang := range Langs {
				if strings.TrimSpace(texts[lang]) == "" {
					return nil, fmt.Errorf("catalogue %s: key %q has no %s text", f, key, lang)
				}
			}
			from[key] = path.Base(f)
			c.texts[key] = texts
		}
	}
	return c, nil
}

// Has reports whether key is in the catalogue.
func (c *Catalog) Has(key string) bool {
	_, ok := c.texts[key]
	return ok
}

// Keys returns every key, sorted.
func (c *Catalog) Keys() []string {
	keys := make([]string, 0, len(c.texts))
	for k := range c.texts {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// T returns the text of key in lang (the default language's if lang is
// unknown), formatted with args when there are any. A key missing from the
// catalogue is returned as is and remembered (see Missing), so a page
// still renders and tests find the gap.
func (c *Catalog) T(lang, key string, args ...any) string {
	texts, ok := c.texts[key]
	if !ok {
		c.mu.Lock()
		c.missing[key] = true
		c.mu.Unlock()
		return key
	}
	s, ok := texts[lang]
	if !ok {
		s = texts[Langs[0]]
	}
	if len(args) > 0 {
		return fmt.Sprintf(s, args...)
	}
	return s
}

// Missing returns the keys asked of T that are not in the catalogue, sorted.
func (c *Catalog) Missing() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []string
	for k := range c.missing {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// parseLang returns the console language named by s ("zh", "zh-CN", "en-GB",
// ...), or "" if it is none of them.
func parseLang(s string) string {
	s = strings.ToLower(strings.TrimSpace(s))
	for _, l := range Langs {
		if s == l || strings.HasPrefix(s, l+"-") || strings.HasPrefix(s, l+"_") {
			return l
		}
	}
	return ""
}

// acceptLang returns the first console language of an Accept-Language
// header in the order given (quality values are not weighed), or "".
func acceptLang(header string) string {
	for _, part := range strings.Split(header, ",") {
		tag, _, _ := strings.Cut(part, ";")
		if l := parseLang(tag); l != "" {
			return l
		}
	}
	return ""
}

// htmlLang returns the value of <html lang> for a console language.
func htmlLang(lang string) string {
	if lang == LangZH {
		return "zh-CN"
	}
	return lang
}
