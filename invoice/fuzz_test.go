package invoice_test

import (
	"testing"
	"unicode/utf8"

	"taxsms"
	"taxsms/invoice"
)

func FuzzParse(f *testing.F) {
	for _, s := range []string{"FP 037021900111 12345678", "F23702167123412345678", "24372000000012345678",
		"ＦＰ　０３７０２１９００１１１，１２３４５６７８", "查发票 代码：037021900111 号码：12345678", "FP 12345678 3702194130",
		"fp", "你好", "FP \xff", "FP370219413000012345", "2437 2000"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		q, err := invoice.Parse(s)
		if err != nil {
			if taxsms.ErrorCode(err) != taxsms.EINVALID {
				t.Fatalf("Parse(%q) error %v has code %q", s, err, taxsms.ErrorCode(err))
			}
			if a := invoice.Answer(q, nil, err, "zh"); !utf8.ValidString(a) && utf8.ValidString(s) {
				t.Fatalf("reply %q is not UTF-8", a)
			}
			return
		}
		if err := q.Validate(); err != nil {
			t.Fatalf("Parse(%q) = %+v, which fails Validate: %v", s, q, err)
		}
		if q.Ambiguous {
			if err := q.Alternate().Validate(); err != nil || q.Alternate().Alternate() != q {
				t.Fatalf("Parse(%q) = %+v with a bad alternate %+v", s, q, q.Alternate())
			}
		}
		// The canonical form reads back the same (an ambiguous code reading
		// needs the legacy keyword to come back as a code).
		text := "FP " + q.String()
		if q.Ambiguous && !q.Digital() {
			text = "F" + q.Code + q.Number
		}
		back, err := invoice.Parse(text)
		if err != nil || back != q {
			t.Fatalf("Parse(%q) = %+v; its form %q reads %+v, %v", s, q, text, back, err)
		}
	})
}

func BenchmarkParse(b *testing.B) {
	for _, tt := range []struct{ name, s string }{
		{"FP", "FP 037021900111 12345678"},
		{"FullWidth", "ＦＰ　０３７０２１９００１１１，１２３４５６７８"},
		{"Digital", "24372000000012345678"},
	} {
		s := tt.s
		b.Run(tt.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := invoice.Parse(s); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
