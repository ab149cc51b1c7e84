package kb_test

import (
	"fmt"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"taxsms"
	"taxsms/kb"
)

func TestNormalize(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{"", ""},
		{"  个税　汇算！！什么时候？？ ", "个税 汇算 什么时候"},
		{"ＦＰ　１２３ａｂｃ", "fp 123abc"},
		{"电子税务局,密码；忘了...", "电子税务局 密码 忘了"},
		{"Hello, World", "hello world"},
		{"😀发票\x00\xff查验", "发票 查验"},
		{"12366热线", "12366热线"},
	} {
		if got := kb.Normalize(tt.in); got != tt.want {
			t.Errorf("Normalize(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func FuzzNormalize(f *testing.F) {
	for _, s := range []string{"", "个税汇算", "ＦＰ　１２３", "a,b;c", "\xff\xfe", "ǅ", "İ", "  x  "} {
		f.Add(s)
	}
	for _, q := range questions {
		f.Add(q.text)
	}
	ix := kb.NewIndex(kb.Default(), kb.Options{})
	f.Fuzz(func(t *testing.T, s string) {
		n := kb.Normalize(s)
		if !utf8.ValidString(n) {
			t.Fatalf("Normalize(%q) = %q, not valid UTF-8", s, n)
		}
		if again := kb.Normalize(n); again != n {
			t.Fatalf("Normalize not idempotent: %q -> %q -> %q", s, n, again)
		}
		if strings.HasPrefix(n, " ") || strings.HasSuffix(n, " ") || strings.Contains(n, "  ") {
			t.Fatalf("Normalize(%q) = %q: stray spaces", s, n)
		}
		for _, r := range n {
			if r >= 0xFF01 && r <= 0xFF5E || r >= 'A' && r <= 'Z' || r != ' ' && !unicode.IsLetter(r) && !unicode.IsDigit(r) {
				t.Fatalf("Normalize(%q) = %q holds %q", s, n, r)
			}
		}
		for _, m := range ix.Top(s, 3) {
			if m.Score < 0 || m.Score > 1 || m.Score != m.Score {
				t.Fatalf("Top(%q) score %v, want in [0, 1]", s, m.Score)
			}
		}
	})
}

func TestEntry_Validate(t *testing.T) {
	ok := func() kb.Entry {
		return kb.Entry{Question: " 印花税怎么申报？ ", Answer: "按次或按期申报。", Keywords: []string{" 印花税 ", "", "印花税", "合同"}, Category: "印花税"}
	}
	e := ok()
	if err := e.Validate(); err != nil {
		t.Fatal(err)
	}
	if e.Question != "印花税怎么申报？" || strings.Join(e.Keywords, "|") != "印花税|合同" {
		t.Errorf("after Validate: %+v", e)
	}
	for _, tt := range []struct {
		name  string
		edit  func(*kb.Entry)
		field string
	}{
		{"NoQuestion", func(e *kb.Entry) { e.Question = "  " }, "question"},
		{"LongQuestion", func(e *kb.Entry) { e.Question = strings.Repeat("税", kb.MaxQuestion+1) }, "question"},
		{"NoAnswer", func(e *kb.Entry) { e.Answer = "" }, "answer"},
		{"LongAnswer", func(e *kb.Entry) { e.Answer = strings.Repeat("答", kb.MaxAnswer+1) }, "answer"},
		{"BadAnswer", func(e *kb.Entry) { e.Answer = "\xff" }, "answer"},
		{"LongKeyword", func(e *kb.Entry) { e.Keywords = []string{strings.Repeat("词", kb.MaxKeyword+1)} }, "keywords"},
		{"SeparatorInKeyword", func(e *kb.Entry) { e.Keywords = []string{"个税、汇算"} }, "keywords"},
		{"TooManyKeywords", func(e *kb.Entry) {
			e.Keywords = nil
			for i := range kb.MaxKeywords + 1 {
				e.Keywords = append(e.Keywords, fmt.Sprint("词", i))
			}
		}, "keywords"},
		{"LongCategory", func(e *kb.Entry) { e.Category = strings.Repeat("类", kb.MaxCategory+1) }, "category"},
	} {
		t.Run("Err"+tt.name, func(t *testing.T) {
			e := ok()
			tt.edit(&e)
			err := e.Validate()
			if taxsms.ErrorCode(err) != taxsms.EINVALID || taxsms.ErrorField(err) != tt.field {
				t.Errorf("Validate = %v (field %q), want EINVALID on %q", err, taxsms.ErrorField(err), tt.field)
			}
		})
	}
}

func TestDefault(t *testing.T) {
	entries := kb.Default()
	if len(entries) < 30 {
		t.Fatalf("Default = %d entries, want at least 30", len(entries))
	}
	seen := map[string]bool{}
	for i, e := range entries {
		if e.ID != int64(i+1) || !e.Enabled || len(e.Keywords) == 0 || e.Category == "" {
			t.Errorf("entry %d = %+v", i+1, e)
		}
		if seen[e.Question] {
			t.Errorf("question %q twice", e.Question)
		}
		seen[e.Question] = true
	}
	entries[0].Keywords[0] = "changed"
	if kb.Default()[0].Keywords[0] == "changed" {
		t.Errorf("Default shares its entries")
	}
}

func TestParseKeywords(t *testing.T) {
	got := kb.ParseKeywords(" 个税、汇算,退税；社保费 | 12366　发票 ")
	if want := "个税|汇算|退税|社保费|12366|发票"; strings.Join(got, "|") != want {
		t.Errorf("ParseKeywords = %q, want %q", strings.Join(got, "|"), want)
	}
	if s := kb.FormatKeywords(got); strings.Join(kb.ParseKeywords(s), "|") != strings.Join(got, "|") {
		t.Errorf("FormatKeywords does not round-trip: %q", s)
	}
}
