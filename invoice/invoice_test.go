package invoice_test

import (
	"errors"
	"strings"
	"testing"
	"unicode/utf8"

	"taxsms"
	"taxsms/invoice"
)

func TestParse(t *testing.T) {
	for _, tt := range []struct {
		name, text string
		want       invoice.Query
	}{
		{"FP", "FP 037021900111 12345678", invoice.Query{Code: "037021900111", Number: "12345678"}},
		{"LowerCase", "fp 037021900111 12345678", invoice.Query{Code: "037021900111", Number: "12345678"}},
		{"Code10", "FP 3702194130 00012345", invoice.Query{Code: "3702194130", Number: "00012345"}},
		{"NoKeyword", "037021900111 12345678", invoice.Query{Code: "037021900111", Number: "12345678"}},
		{"Commas", "FP,037021900111,12345678", invoice.Query{Code: "037021900111", Number: "12345678"}},
		{"FullWidth", "ＦＰ　０３７０２１９００１１１，１２３４５６７８", invoice.Query{Code: "037021900111", Number: "12345678"}},
		{"ChineseComma", "发票 037021900111，12345678。", invoice.Query{Code: "037021900111", Number: "12345678"}},
		{"Labels", "查发票 代码：037021900111 号码：12345678", invoice.Query{Code: "037021900111", Number: "12345678"}},
		{"ExtraSpaces", "  FP    037021900111 \t 12345678  ", invoice.Query{Code: "037021900111", Number: "12345678"}},
		{"NumberFirst", "FP 12345678 037021900111", invoice.Query{Code: "037021900111", Number: "12345678"}},
		{"RunTogether18", "FP370219413000012345", invoice.Query{Code: "3702194130", Number: "00012345"}},
		{"LegacyQingdao", "F23702167123412345678", invoice.Query{Code: "237021671234", Number: "12345678", Ambiguous: true}},
		{"LegacyLower", "f037021900111 12345678", invoice.Query{Code: "037021900111", Number: "12345678"}},
		{"LegacyStarting0", "F03702190011112345678", invoice.Query{Code: "037021900111", Number: "12345678"}},
		{"LegacyFullWidth", "ｆ２３７０２１６７１２３４１２３４５６７８", invoice.Query{Code: "237021671234", Number: "12345678", Ambiguous: true}},
		{"Digital", "24372000000012345678", invoice.Query{Number: "24372000000012345678", Ambiguous: true}},
		{"DigitalFP", "FP 24372000000012345678", invoice.Query{Number: "24372000000012345678", Ambiguous: true}},
		{"DigitalSpaced", "FP 2437 2000 0000 1234 5678", invoice.Query{Code: "", Number: ""}}, // too many groups: see errors
		{"DigitalNot2", "FP 31372000000012345678", invoice.Query{Number: "31372000000012345678"}},
		{"Bare20Starting0", "03702190011112345678", invoice.Query{Code: "037021900111", Number: "12345678"}},
		{"DigitalAfterF", "F 31372000000012345678", invoice.Query{Number: "31372000000012345678"}},
		{"StateAdministration", "FP 000001900111 12345678", invoice.Query{Code: "000001900111", Number: "12345678"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got, err := invoice.Parse(tt.text)
			if tt.want.Number == "" {
				if err == nil {
					t.Fatalf("Parse(%q) = %+v, want an error", tt.text, got)
				}
				return
			}
			if err != nil {
				t.Fatalf("Parse(%q): %v", tt.text, err)
			}
			if got != tt.want {
				t.Errorf("Parse(%q) = %+v, want %+v", tt.text, got, tt.want)
			}
		})
	}
}

func TestParse_Errors(t *testing.T) {
	for _, tt := range []struct {
		name, text, field, en, zh string
	}{
		{"Empty", "FP", "number", "no invoice number", "未找到发票号码"},
		{"OnlyNumber", "FP 12345678", "code", "code is missing", "缺少发票代码"},
		{"OnlyCode", "FP 037021900111", "number", "number is missing", "缺少发票号码"},
		{"ShortCode", "FP 03702190011 12345678", "code", "11 digits", "收到11位"},
		{"ShortNumber", "FP 037021900111 1234567", "number", "7 digits", "应为8位"},
		{"Letters", "FP 0370219OO111 12345678", "text", `unexpected 'O'`, "无法识别“O”"},
		{"Chinese", "你好", "text", "unexpected '你'", "无法识别“你”"},
		{"TooMany", "FP 037021900111 12345678 20261120", "text", "too many numbers", "数字太多"},
		{"TooManyGroups", "FP 2437 2000 0000 1234 5678", "text", "too many numbers", "数字太多"},
		{"OddLength", "FP 1234567890123", "number", "got 13 digits", "收到13位"},
		{"BadFirstDigit", "FP 337021900111 12345678", "code", "starts with 0, 1 or 2", "发票代码337021900111有误"},
		{"BadProvince", "FP 099021900111 12345678", "code", "no province 99", "有误"},
		{"BadProvince10", "FP 9902194130 12345678", "code", "no province 99", "有误"},
		{"BadCopies10", "FP 3702194100 12345678", "code", "copies", "有误"},
		{"BadVersion10", "FP 3702194139 12345678", "code", "amount digit", "有误"},
		{"TwentyNeither", "20002190011112345678", "number", "neither", "既不是"},
		{"DigitalYear", "FP 20372000000012345678", "number", "neither", "既不是"},
		{"TooLong", "FP " + strings.Repeat("1", 400), "text", "too long", "太长"},
		{"InvalidUTF8", "FP \xff", "text", "unexpected", "无法识别"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			q, err := invoice.Parse(tt.text)
			if err == nil {
				t.Fatalf("Parse(%q) = %+v, want an error", tt.text, q)
			}
			if taxsms.ErrorCode(err) != taxsms.EINVALID || taxsms.ErrorField(err) != tt.field {
				t.Errorf("error = %v (code %s, field %q), want EINVALID field %q", err, taxsms.ErrorCode(err), taxsms.ErrorField(err), tt.field)
			}
			var pe *invoice.ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("error %T is not a *ParseError", err)
			}
			if !strings.Contains(pe.Err.Message, tt.en) {
				t.Errorf("message = %q, want it to contain %q", pe.Err.Message, tt.en)
			}
			if !strings.Contains(pe.ZH, tt.zh) {
				t.Errorf("ZH = %q, want it to contain %q", pe.ZH, tt.zh)
			}
			for _, a := range []string{invoice.Answer(q, nil, err, "zh"), invoice.Answer(q, nil, err, "en")} {
				if n := utf8.RuneCountInString(a); n > 120 {
					t.Errorf("reply %q has %d characters", a, n)
				}
			}
		})
	}
}

func TestQuery_Alternate(t *testing.T) {
	q, err := invoice.Parse("24419171234512345678")
	if err != nil {
		t.Fatal(err)
	}
	if !q.Ambiguous || !q.Digital() {
		t.Fatalf("Parse = %+v, want an ambiguous 数电 number", q)
	}
	alt := q.Alternate()
	if alt.Code != "244191712345" || alt.Number != "12345678" || alt.Alternate() != q {
		t.Errorf("Alternate = %+v, and back %+v", alt, alt.Alternate())
	}
	plain := invoice.Query{Code: "037021900111", Number: "12345678"}
	if plain.Alternate() != plain {
		t.Errorf("Alternate of an unambiguous query = %+v", plain.Alternate())
	}
}

func TestKindOf(t *testing.T) {
	for code, want := range map[string]invoice.Kind{
		"":             invoice.KindDigital,
		"3702194130":   invoice.KindSpecial,
		"3702194630":   invoice.KindOrdinary,
		"3702194230":   invoice.KindFreight,
		"037021900111": invoice.KindEOrdinary,
		"037021900113": invoice.KindESpecial,
		"037021900104": invoice.KindOrdinary,
		"037021900106": invoice.KindRoll,
		"037021900112": invoice.KindToll,
		"037021900199": invoice.KindOther,
		"237021671234": invoice.KindGeneral,
		"137021721234": invoice.KindMotor,
	} {
		if got := invoice.KindOf(code); got != want {
			t.Errorf("KindOf(%q) = %s, want %s", code, got, want)
		}
	}
}

func validRecord() invoice.Record {
	return invoice.Record{Code: "037021900111", Number: "12345678", Status: invoice.StatusValid,
		SellerName: "青岛海纳贸易有限公司", SellerID: "91370202MA3C4XYZ0N", IssuedOn: taxsms.Date{Year: 2026, Month: 11, Day: 20}, Amount: 113000}
}

func TestRecord_Validate(t *testing.T) {
	r := validRecord()
	r.SellerID = ""
	if err := r.Validate(); err != nil {
		t.Fatalf("Validate: %v", err)
	}
	if r.Kind != invoice.KindEOrdinary {
		t.Errorf("Kind = %s, want it set from the code", r.Kind)
	}
	for _, tt := range []struct {
		name, field string
		change      func(r *invoice.Record)
	}{
		{"Code", "code", func(r *invoice.Record) { r.Code = "12345" }},
		{"Number", "number", func(r *invoice.Record) { r.Number = "123" }},
		{"DigitalNumber", "number", func(r *invoice.Record) { r.Code, r.Number = "", "12345678" }},
		{"Kind", "kind", func(r *invoice.Record) { r.Kind = "receipt" }},
		{"DigitalKindWithCode", "kind", func(r *invoice.Record) { r.Kind = invoice.KindDigitalSpecial }},
		{"Status", "status", func(r *invoice.Record) { r.Status = "lost" }},
		{"Seller", "seller_name", func(r *invoice.Record) { r.SellerName = " " }},
		{"SellerID", "seller_id", func(r *invoice.Record) { r.SellerID = "91370202MA3C4XYZ01" }},
		{"IssuedOn", "issued_on", func(r *invoice.Record) { r.IssuedOn = taxsms.Date{} }},
		{"Amount", "amount", func(r *invoice.Record) { r.Amount = -1 }},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r := validRecord()
			r.SellerID = ""
			tt.change(&r)
			err := r.Validate()
			if taxsms.ErrorCode(err) != taxsms.EINVALID || taxsms.ErrorField(err) != tt.field {
				t.Errorf("Validate = %v (field %q), want EINVALID field %q", err, taxsms.ErrorField(err), tt.field)
			}
		})
	}
}

func TestAnswer(t *testing.T) {
	q := invoice.Query{Code: "037021900111", Number: "12345678"}
	rec := func(s invoice.Status) *invoice.Record {
		r := validRecord()
		r.Status = s
		return &r
	}
	digital := validRecord()
	digital.Code, digital.Number = "", "24372000000012345678"
	for _, tt := range []struct {
		name  string
		r     *invoice.Record
		err   error
		lang  string
		want  string
		never []string
	}{
		{"Valid", rec(invoice.StatusValid), nil, "zh", "发票号码12345678有效。销售方：青岛海纳贸易有限公司，开票日期：2026-11-20。", []string{"1130", "9137"}},
		{"ValidEN", rec(invoice.StatusValid), nil, "en", "Invoice no. 12345678 is valid: issued by 青岛海纳贸易有限公司 on 2026-11-20.", []string{"1130"}},
		{"Digital", &digital, nil, "zh", "发票尾号12345678有效。销售方：青岛海纳贸易有限公司，开票日期：2026-11-20。", nil},
		{"Void", rec(invoice.StatusVoid), nil, "zh", "发票号码12345678已作废，请勿使用。", []string{"青岛"}},
		{"Reversed", rec(invoice.StatusReversed), nil, "zh", "发票号码12345678已红冲（已开具红字发票），不再有效。", nil},
		{"Abnormal", rec(invoice.StatusAbnormal), nil, "zh", "发票号码12345678为异常凭证，暂不得抵扣或报销，请联系销售方或主管税务机关。", nil},
		{"VoidEN", rec(invoice.StatusVoid), nil, "en", "Invoice no. 12345678 is VOID. Do not accept it.", nil},
		{"NotFound", nil, taxsms.Errorf(taxsms.ENOTFOUND, "no invoice"), "zh", "未查到发票号码12345678，请核对后重发；新开发票可能次日才能查到。", nil},
		{"NilRecord", nil, nil, "zh", "未查到发票号码12345678，请核对后重发；新开发票可能次日才能查到。", nil},
		{"Internal", nil, errors.New("database is locked"), "zh", "发票查询暂不可用，请稍后再试。", []string{"locked"}},
		{"InternalEN", nil, errors.New("database is locked"), "en", "The invoice check is unavailable. Please try again later.", nil},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got := invoice.Answer(q, tt.r, tt.err, tt.lang)
			if got != tt.want {
				t.Errorf("Answer = %q, want %q", got, tt.want)
			}
			if n := utf8.RuneCountInString(got); n > 70 && tt.lang != "en" {
				t.Errorf("Answer has %d characters, want at most 70", n)
			}
			for _, s := range tt.never {
				if strings.Contains(got, s) {
					t.Errorf("Answer %q contains %q", got, s)
				}
			}
		})
	}
	_, err := invoice.Parse("FP 12345678")
	if got, want := invoice.Answer(invoice.Query{}, nil, err, "zh"), "缺少发票代码。"+invoice.Usage["zh"]; got != want {
		t.Errorf("Answer(parse error) = %q, want %q", got, want)
	}
}
