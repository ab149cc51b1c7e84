package inbound_test

import (
	"strings"
	"testing"

	"taxsms"
	"taxsms/inbound"
)

func TestClassify(t *testing.T) {
	c := inbound.NewClassifier(nil)
	for _, tt := range []struct {
		text   string
		intent inbound.Intent
		rest   string
	}{
		// Invoice checks, in their forms.
		{"FP 137021925160 00012345", inbound.InvoiceCheck, "137021925160 00012345"},
		{"fp137021925160 00012345", inbound.InvoiceCheck, "137021925160 00012345"},
		{"ＦＰ　１３７０２１９２５１６０　０００１２３４５", inbound.InvoiceCheck, "137021925160 00012345"},
		{"  FP   3702191130,12345678 ", inbound.InvoiceCheck, "3702191130,12345678"},
		{"发票 3702191130 12345678", inbound.InvoiceCheck, "3702191130 12345678"},
		{"发票查验3702191130 12345678", inbound.InvoiceCheck, "3702191130 12345678"},
		{"F13702192516000012345", inbound.InvoiceCheck, "F13702192516000012345"},
		{"25372000000012345678", inbound.InvoiceCheck, "25372000000012345678"},
		{"2537 2000 0000 1234 5678", inbound.InvoiceCheck, "2537 2000 0000 1234 5678"},
		// The tax administrator.
		{"CX 我的税收管理员是谁", inbound.AdminLookup, "我的税收管理员是谁"},
		{"cx", inbound.AdminLookup, ""},
		{"管理员", inbound.AdminLookup, ""},
		{"请问我的专管员是谁", inbound.AdminLookup, "请问我的专管员是谁"},
		// Questions.
		{"ZX 个税汇算什么时候截止", inbound.Question, "个税汇算什么时候截止"},
		{"咨询：小规模纳税人免征增值税吗", inbound.Question, "小规模纳税人免征增值税吗"},
		{"个税汇算什么时候截止？", inbound.Question, "个税汇算什么时候截止?"},
		{"Q how do I file", inbound.Question, "HOW DO I FILE"},
		// Complaints and reports.
		{"TS 办税服务厅排队太久", inbound.Complaint, "办税服务厅排队太久"},
		{"投诉：窗口人员态度差", inbound.Complaint, "窗口人员态度差"},
		{"我要投诉大厅排队", inbound.Complaint, "我要投诉大厅排队"},
		{"JB 某公司虚开发票", inbound.Report, "某公司虚开发票"},
		{"实名举报某商店不开发票", inbound.Report, "实名举报某商店不开发票"},
		// Opting out and in: the whole message only.
		{"TD", inbound.OptOut, ""},
		{"td", inbound.OptOut, ""},
		{"ｔｄ", inbound.OptOut, ""},
		{"T", inbound.OptOut, ""},
		{"退订", inbound.OptOut, ""},
		{"退订。", inbound.OptOut, ""},
		{"0000", inbound.OptOut, ""},
		{"DY", inbound.OptIn, ""},
		{"订阅", inbound.OptIn, ""},
		{"TAX", inbound.Other, "TAX"},
		{"TD 是什么意思", inbound.Question, "TD 是什么意思"},
		// Help and the rest.
		{"BZ", inbound.Help, ""},
		{"帮助", inbound.Help, ""},
		{"?", inbound.Help, ""},
		{"？", inbound.Help, ""},
		{"help", inbound.Help, ""},
		{"你好", inbound.Other, "你好"},
		{"CXK", inbound.Other, "CXK"},
		{"", inbound.Other, ""},
		{"123456", inbound.Other, "123456"},
	} {
		got := c.Classify(tt.text)
		if got.Intent != tt.intent || got.Rest != tt.rest {
			t.Errorf("Classify(%q) = %s %q, want %s %q", tt.text, got.Intent, got.Rest, tt.intent, tt.rest)
		}
	}
}

func TestNormalize(t *testing.T) {
	for in, want := range map[string]string{
		"ＦＰ　１２３":       "FP 123",
		"  a \t b\n":   "A B",
		"发票，１２":        "发票,12",
		"\u3000\u3000": "",
	} {
		if got := inbound.Normalize(in); got != want {
			t.Errorf("Normalize(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestParse(t *testing.T) {
	ks, err := inbound.Parse(strings.NewReader("# ours\ninvoice FP\ncomplaint 吐槽  # local\n"))
	if err != nil || len(ks) != 2 || ks[1] != (inbound.Keyword{Intent: inbound.Complaint, Word: "吐槽"}) {
		t.Fatalf("Parse = %v, %v", ks, err)
	}
	if got := inbound.NewClassifier(ks).Classify("吐槽 大厅太冷"); got.Intent != inbound.Complaint {
		t.Errorf("a keyword of our own: %s", got.Intent)
	}
	for _, tt := range []struct{ file, want string }{
		{"invoice FP\ninvoice fp\n", `keywords: line 2: "fp" is already a keyword (line 1)`},
		{"invoce FP\n", `keywords: line 1: unknown intent "invoce"`},
		{"other XX\n", `keywords: line 1: unknown intent "other"`},
		{"invoice\n", `keywords: line 1: want "intent word", got "invoice"`},
		{"help 一二三四五六七八九十一二三四五六七八九十一\n", `keywords: line 1: "一二三四五六七八九十一二三四五六七八九十一" is longer than 20 characters`},
	} {
		_, err := inbound.Parse(strings.NewReader(tt.file))
		if taxsms.ErrorCode(err) != taxsms.EINVALID || err.Error() != tt.want {
			t.Errorf("Parse(%q) = %v, want %q", tt.file, err, tt.want)
		}
	}
}

func FuzzClassify(f *testing.F) {
	for _, s := range []string{"FP 3702191130 12345678", "ＴＤ", "投诉", "F13702192516000012345", "\u3000?", "发票\xff"} {
		f.Add(s)
	}
	c := inbound.NewClassifier(nil)
	f.Fuzz(func(t *testing.T, s string) {
		got := c.Classify(s)
		if !got.Intent.Valid() {
			t.Fatalf("Classify(%q) = intent %q", s, got.Intent)
		}
		if got.Text != inbound.Normalize(s) || inbound.Normalize(got.Text) != got.Text {
			t.Fatalf("Classify(%q).Text = %q, not the normalised text", s, got.Text)
		}
		if !strings.Contains(got.Text, got.Rest) {
			t.Fatalf("Classify(%q).Rest = %q, not part of %q", s, got.Rest, got.Text)
		}
	})
}

func BenchmarkClassify(b *testing.B) {
	c := inbound.NewClassifier(nil)
	b.ReportAllocs()
	for b.Loop() {
		c.Classify("ＦＰ　１３７０２１９２５１６０　０００１２３４５")
		c.Classify("个税汇算什么时候截止？")
	}
}
