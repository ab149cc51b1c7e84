package remind

import (
	"strings"
	"unicode/utf8"

	"taxsms"
	"taxsms/protocol/sms"
)

// Template is a reminder's text in Chinese, which is sent, and in English,
// which the console shows beside it for staff who need it. Variables are
// written {name}; Variables lists them. The bureau's signature is put in
// front when the text is rendered, so a template does not carry it.
type Template struct {
	ZH string
	EN string
}

// Variables are the names a template may use, and what they stand for.
var Variables = []struct{ Name, About string }{
	{"name", "the taxpayer's name"},
	{"tax_types", "the taxes concerned, joined with 、"},
	{"period", "the tax period, 2026-11, 2026Q3 or 2025"},
	{"deadline", "the filing or payment deadline, 2026-12-15"},
	{"amount", "the amount in yuan, 1234.50"},
	{"reason", "a failed deduction's reason, as the bank gives it"},
	{"office", "the taxpayer's tax office"},
	{"office_phone", "the office's public phone"},
}

// DefaultTemplates are the bureau's default texts.
var DefaultTemplates = map[RuleName]Template{
	BeforeDeadline: {
		ZH: "尊敬的{name}：您{period}所属期的{tax_types}申报期限为{deadline}，请及时办理申报。如有疑问请致电{office_phone}。",
		EN: "Dear {name}: your {tax_types} return for {period} is due by {deadline}; please file in time. Questions: {office_phone}.",
	},
	AfterDeadline: {
		ZH: "尊敬的{name}：您{period}所属期的{tax_types}已超过申报期限（{deadline}）尚未申报，请尽快办理，以免产生滞纳金和罚款。如有疑问请致电{office_phone}。",
		EN: "Dear {name}: your {tax_types} return for {period} was due by {deadline} and has not been filed; please file at once to avoid late fees and penalties. Questions: {office_phone}.",
	},
	UnpaidTax: {
		ZH: "尊敬的{name}：您{period}所属期的{tax_types}尚有税款{amount}元未缴纳（缴款期限{deadline}），请尽快缴纳。如有疑问请致电{office_phone}。",
		EN: "Dear {name}: {amount} yuan of {tax_types} for {period} is still unpaid (due by {deadline}); please pay soon. Questions: {office_phone}.",
	},
	FailedDeduction: {
		ZH: "尊敬的{name}：您{period}所属期的{tax_types}税款{amount}元银行扣款未成功（{reason}），请确认账户余额充足后重新缴款，或到办税服务厅办理。如有疑问请致电{office_phone}。",
		EN: "Dear {name}: the bank could not deduct {amount} yuan of {tax_types} for {period} ({reason}); please make sure the account holds enough and pay again, or visit a tax service hall. Questions: {office_phone}.",
	},
}

// Validate returns an EINVALID error naming the first bad field: an empty
// Chinese text, an unknown or unclosed variable, or a text over 500
// characters.
func (t Template) Validate() error {
	for _, f := range []struct{ field, text string }{{"template_zh", t.ZH}, {"template_en", t.EN}} {
		if f.field == "template_zh" && strings.TrimSpace(f.text) == "" {
			return taxsms.Invalid(f.field, "required")
		}
		if n := utf8.RuneCountInString(f.text); n > 500 {
			return taxsms.Invalid(f.field, "at most 500 characters, got %d", n)
		}
		if err := checkVariables(f.text); err != nil {
			return taxsms.Invalid(f.field, "%s", taxsms.ErrorMessage(err))
		}
	}
	return nil
}

func checkVariables(text string) error {
	for rest := text; ; {
		i := strings.IndexByte(rest, '{')
		if i < 0 {
			if j := strings.IndexByte(rest, '}'); j >= 0 {
				return taxsms.Errorf(taxsms.EINVALID, "a '}' with no '{' before it")
			}
			return nil
		}
		j := strings.IndexByte(rest[i:], '}')
		if j < 0 {
			return taxsms.Errorf(taxsms.EINVALID, "%q is not closed with '}'", rest[i:min(len(rest), i+20)])
		}
		name := rest[i+1 : i+j]
		if !known(name) {
			return taxsms.Errorf(taxsms.EINVALID, "unknown variable {%s}", name)
		}
		rest = rest[i+j+1:]
	}
}

func known(name string) bool {
	for _, v := range Variables {
		if v.Name == name {
			return true
		}
	}
	return false
}

// Values are a reminder's variables.
type Values struct {
	Name, TaxTypes, Period, Deadline, Amount, Reason, Office, OfficePhone string
}

// Render returns the Chinese text with signature in front and the values
// put in. Values are cut so that no one field can make a text run on: a
// name over 40 characters keeps its first 40.
func (t Template) Render(signature string, v Values) string {
	return signature + v.replacer().Replace(t.ZH)
}

// RenderEN returns the English text with the values put in, for staff.
func (t Template) RenderEN(v Values) string { return v.replacer().Replace(t.EN) }

func (v Values) replacer() *strings.Replacer {
	return strings.NewReplacer(
		"{name}", cut(v.Name, 40), "{tax_types}", cut(v.TaxTypes, 40), "{period}", v.Period,
		"{deadline}", v.Deadline, "{amount}", v.Amount, "{reason}", cut(v.Reason, 30),
		"{office}", cut(v.Office, 40), "{office_phone}", cut(v.OfficePhone, 40))
}

func cut(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n])
}

// Segments returns how many messages a rendered text is billed as, sent
// in UCS-2 as Chinese text is.
func Segments(text string) int {
	n, err := sms.Count(text, "", sms.UCS2)
	if err != nil {
		return 0
	}
	return n
}

// Example are the values a template preview uses.
var Example = Values{Name: "青岛海川贸易有限公司", TaxTypes: "增值税、企业所得税", Period: "2026-11",
	Deadline: "2026-12-15", Amount: "12345.67", Reason: "余额不足", Office: "市南区税务局", OfficePhone: "0532-12366"}
