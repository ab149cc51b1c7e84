package content_test

import (
	"strings"
	"testing"

	"taxsms"
	"taxsms/content"
)

func TestListsChecker(t *testing.T) {
	def := content.DefaultLists()
	tests := []struct {
		name  string
		lists content.Lists
		field string // "" for no error
		line  string
	}{
		{"embedded", def, "", ""},
		{"bad category", def.With(content.ListWords, "rumours 谣言\n\nmystery 词\n"), "words", "line 3"},
		{"bad host", def.With(content.ListAllow, "host chinatax.gov.cn\nhost -bad-.cn\n"), "allow", "line 2"},
		{"term without letters", def.With(content.ListVocabulary, "税\n***\n"), "vocabulary", "line 2"},
		{"empty vocabulary", def.With(content.ListVocabulary, "# none\n"), "vocabulary", "empty"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := tt.lists.Checker()
			if tt.field == "" {
				if err != nil || c == nil {
					t.Fatalf("Checker() = %v, %v", c, err)
				}
				return
			}
			var e *taxsms.Error
			if err == nil || !asError(err, &e) || e.Code != taxsms.EINVALID || e.Field != tt.field || !strings.Contains(e.Message, tt.line) {
				t.Errorf("Checker() error = %v, want EINVALID on %s naming %q", err, tt.field, tt.line)
			}
		})
	}
}

func asError(err error, e **taxsms.Error) bool {
	x, ok := err.(*taxsms.Error)
	*e = x
	return ok
}

func TestSource(t *testing.T) {
	var s content.Source
	text := "请于15日前完成增值税申报，勿参与赌博。"
	if r := s.Checker().Check(text); len(r.Flags) != 1 {
		t.Fatalf("zero Source (embedded lists): %v, want one flag", r)
	}
	c, err := content.DefaultLists().With(content.ListWords, "rumours 谣言\n").Checker()
	if err != nil {
		t.Fatal(err)
	}
	s.Set(c)
	if r := s.Checker().Check(text); !r.Clean() {
		t.Errorf("after Set of a list without 代开发票: %v, want clean", r)
	}
}
