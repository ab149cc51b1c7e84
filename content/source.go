package content

import (
	"sync"
	"sync/atomic"

	"taxsms"
)

// ListName names one of the three lists a Checker is built from.
type ListName string

// The lists.
const (
	ListWords      ListName = "words"      // prohibited words: "category term" lines (ParseTerms)
	ListVocabulary ListName = "vocabulary" // the tax vocabulary: one term a line (ParseVocabulary)
	ListAllow      ListName = "allow"      // "host name" and "phone number" lines (ParseAllow)
)

// ListNames lists the lists in the order the console shows them.
var ListNames = []ListName{ListWords, ListVocabulary, ListAllow}

// Valid reports whether n is one of ListNames.
func (n ListName) Valid() bool {
	return n == ListWords || n == ListVocabulary || n == ListAllow
}

// Lists are the texts of the three lists.
type Lists struct {
	Words      string
	Vocabulary string
	Allow      string
}

// DefaultLists returns the embedded lists.
func DefaultLists() Lists {
	return Lists{Words: string(defaultWords), Vocabulary: string(defaultVocabulary), Allow: string(defaultAllow)}
}

// Get returns the text of the list n ("" for an unknown name).
func (l Lists) Get(n ListName) string {
	switch n {
	case ListWords:
		return l.Words
	case ListVocabulary:
		return l.Vocabulary
	case ListAllow:
		return l.Allow
	}
	return ""
}

// With returns l with the list n replaced by text.
func (l Lists) With(n ListName, text string) Lists {
	switch n {
	case ListWords:
		l.Words = text
	case ListVocabulary:
		l.Vocabulary = text
	case ListAllow:
		l.Allow = text
	}
	return l
}

// Checker parses the lists and builds their Checker. An error is EINVALID,
// naming the list (its field) and the line.
func (l Lists) Checker() (*Checker, error) {
	terms, err := ParseTerms([]byte(l.Words))
	if err != nil {
		return nil, err
	}
	vocab, err := ParseVocabulary([]byte(l.Vocabulary))
	if err != nil {
		return nil, err
	}
	if len(vocab) == 0 {
		return nil, taxsms.Invalid("vocabulary", "empty: every text would be flagged as unrelated to tax work")
	}
	allow, err := ParseAllow([]byte(l.Allow))
	if err != nil {
		return nil, err
	}
	return New(terms, vocab, allow)
}

// Source holds the Checker of the lists in force, which the city
// administrator may replace while the platform runs. It is safe for
// concurrent use; the zero Source holds Default until Set.
type Source struct {
	c atomic.Pointer[Checker]
}

var defaultChecker = sync.OnceValue(Default)

// Checker returns the Checker in force.
func (s *Source) Checker() *Checker {
	if c := s.c.Load(); c != nil {
		return c
	}
	return defaultChecker()
}

// Set puts c in force.
func (s *Source) Set(c *Checker) { s.c.Store(c) }
