package kb

import (
	"strings"
	"time"
	"unicode/utf8"

	"taxsms"
)

// Limits of an Entry's fields, in characters (runes).
const (
	MaxQuestion = 200 // a question as staff write it
	MaxAnswer   = 300 // an answer fits in a long SMS of five parts
	MaxKeyword  = 20  // one keyword
	MaxKeywords = 20  // keywords of one entry
	MaxCategory = 32
)

// Entry is one question of the knowledge base and its answer.
type Entry struct {
	ID       int64
	Question string   // the question as staff write it; unique in the store
	Answer   string   // the SMS sent back, at most MaxAnswer characters
	Keywords []string // words that, found in a text, make this entry more likely
	Category string   // free text that groups entries in the console: 个税, 发票, ...
	Enabled  bool     // a disabled entry is kept but never matched
	Updated  time.Time
}

// Validate trims the entry's text and reports the first field that is
// wrong as an EINVALID error naming it (question, answer, keywords,
// category). Keywords are trimmed, and empty and repeated ones dropped.
func (e *Entry) Validate() error {
	e.Question = strings.TrimSpace(e.Question)
	e.Answer = strings.TrimSpace(e.Answer)
	e.Category = strings.TrimSpace(e.Category)
	switch n := utf8.RuneCountInString(e.Question); {
	case n == 0:
		return taxsms.Invalid("question", "required")
	case n > MaxQuestion:
		return taxsms.Invalid("question", "%d characters, at most %d", n, MaxQuestion)
	case !utf8.ValidString(e.Question):
		return taxsms.Invalid("question", "not valid UTF-8")
	}
	switch n := utf8.RuneCountInString(e.Answer); {
	case n == 0:
		return taxsms.Invalid("answer", "required")
	case n > MaxAnswer:
		return taxsms.Invalid("answer", "%d characters, at most %d (an SMS answer)", n, MaxAnswer)
	case !utf8.ValidString(e.Answer):
		return taxsms.Invalid("answer", "not valid UTF-8")
	}
	var kws []string
	for _, k := range e.Keywords {
		k = strings.TrimSpace(k)
		if k == "" || contains(kws, k) {
			continue
		}
		if n := utf8.RuneCountInString(k); n > MaxKeyword {
			return taxsms.Invalid("keywords", "%q: %d characters, at most %d", k, n, MaxKeyword)
		}
		if strings.ContainsAny(k, ",，、;；|") {
			return taxsms.Invalid("keywords", "%q: holds a separator", k)
		}
		kws = append(kws, k)
	}
	if len(kws) > MaxKeywords {
		return taxsms.Invalid("keywords", "%d keywords, at most %d", len(kws), MaxKeywords)
	}
	e.Keywords = kws
	if n := utf8.RuneCountInString(e.Category); n > MaxCategory {
		return taxsms.Invalid("category", "%d characters, at most %d", n, MaxCategory)
	}
	return nil
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// ParseKeywords splits a cell of keywords at commas, 、, semicolons, | and
// spaces (half- or full-width), dropping empty ones.
func ParseKeywords(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool {
		switch r {
		case ',', '，', '、', ';', '；', '|', ' ', '\t', '\n', '\r', '\u3000':
			return true
		}
		return false
	})
}

// FormatKeywords joins keywords as ParseKeywords reads them: "个税、汇算".
func FormatKeywords(kws []string) string { return strings.Join(kws, "、") }
