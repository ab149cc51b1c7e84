package taxsms_test

import (
	"testing"
	"time"

	"taxsms"
)

func TestParsePeriod(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want taxsms.Period
		kind taxsms.PeriodKind
	}{
		{"2026-11", "2026-11", taxsms.Monthly},
		{"2026-1", "2026-01", taxsms.Monthly},
		{" 2026/11 ", "2026-11", taxsms.Monthly},
		{"2026.03", "2026-03", taxsms.Monthly},
		{"202611", "2026-11", taxsms.Monthly},
		{"2026年11月", "2026-11", taxsms.Monthly},
		{"2026年1月", "2026-01", taxsms.Monthly},
		{"2026Q3", "2026Q3", taxsms.Quarterly},
		{"2026q3", "2026Q3", taxsms.Quarterly},
		{"2026-Q4", "2026Q4", taxsms.Quarterly},
		{"2026 Q1", "2026Q1", taxsms.Quarterly},
		{"2026年第3季度", "2026Q3", taxsms.Quarterly},
		{"2026年3季度", "2026Q3", taxsms.Quarterly},
		{"2026年第二季度", "2026Q2", taxsms.Quarterly},
		{"2025", "2025", taxsms.Annual},
		{"2025年", "2025", taxsms.Annual},
		{"2025年度", "2025", taxsms.Annual},
		{"", "", ""},
	} {
		got, err := taxsms.ParsePeriod(tt.in)
		if err != nil || got != tt.want || got.Kind() != tt.kind {
			t.Errorf("ParsePeriod(%q) = %q (%s), %v; want %q (%s)", tt.in, got, got.Kind(), err, tt.want, tt.kind)
		}
	}
	for _, in := range []string{"2026-13", "2026-00", "2026Q5", "2026Q0", "2026Q", "1989", "2100", "20261", "2026-111",
		"2026年13月", "2026年11", "2026-11月", "2026年第五季度", "abcd", "26-11", "2026-1a", "+202", "2026x11", "2026年第34季度"} {
		if p, err := taxsms.ParsePeriod(in); taxsms.ErrorCode(err) != taxsms.EINVALID {
			t.Errorf("ParsePeriod(%q) = %q, %v; want EINVALID", in, p, err)
		}
	}
}

func TestPeriod_StartEnd(t *testing.T) {
	for _, tt := range []struct {
		p          taxsms.Period
		start, end string
	}{
		{"2026-02", "2026-02-01", "2026-02-28"},
		{"2024-02", "2024-02-01", "2024-02-29"},
		{"2026-12", "2026-12-01", "2026-12-31"},
		{"2026Q1", "2026-01-01", "2026-03-31"},
		{"2026Q4", "2026-10-01", "2026-12-31"},
		{"2025", "2025-01-01", "2025-12-31"},
		{"2025-13", "", ""},
	} {
		if got := tt.p.Start().String(); got != tt.start {
			t.Errorf("%s.Start() = %s, want %s", tt.p, got, tt.start)
		}
		if got := tt.p.End().String(); got != tt.end {
			t.Errorf("%s.End() = %s, want %s", tt.p, got, tt.end)
		}
	}
	d := taxsms.Date{Year: 2026, Month: 8, Day: 31}
	for k, want := range map[taxsms.PeriodKind]taxsms.Period{taxsms.Monthly: "2026-08", taxsms.Quarterly: "2026Q3", taxsms.Annual: "2026"} {
		if got := taxsms.PeriodOf(k, d); got != want {
			t.Errorf("PeriodOf(%s, %s) = %s, want %s", k, d, got, want)
		}
	}
}

func TestParseYuan(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want int64
	}{
		{"1234.56", 123456},
		{"1234.5", 123450},
		{"1234", 123400},
		{"0", 0},
		{"0.01", 1},
		{".5", 50},
		{"7.", 700},
		{"1,234,567.89", 123456789},
		{" ¥1234.56 ", 123456},
		{"￥12元", 1200},
		{"12.3400", 1234},
		{"+3.00", 300},
		{"0001.10", 110},
		{"10000000000000", taxsms.MaxAmount},
	} {
		got, err := taxsms.ParseYuan(tt.in)
		if err != nil || got != tt.want {
			t.Errorf("ParseYuan(%q) = %d, %v; want %d", tt.in, got, err, tt.want)
		}
	}
	for _, tt := range []struct{ in, want string }{
		{"", `"" is not an amount of yuan: empty`},
		{"-1", `"-1" is not an amount of yuan: negative`},
		{"1.234", `"1.234" is not an amount of yuan: more than 2 decimals`},
		{"1.2.3", `"1.2.3" is not an amount of yuan: unexpected character '.'`},
		{"12,34", `"12,34" is not an amount of yuan: misplaced ','`},
		{"1234,567", `"1234,567" is not an amount of yuan: misplaced ','`},
		{"1e3", `"1e3" is not an amount of yuan: unexpected character 'e'`},
		{".", `"." is not an amount of yuan: no digits`},
		{"10000000000000.01", `"10000000000000.01" is not an amount of yuan: too large`},
		{"99999999999999999999", `"99999999999999999999" is not an amount of yuan: too large`},
	} {
		_, err := taxsms.ParseYuan(tt.in)
		if got := taxsms.ErrorMessage(err); got != tt.want || taxsms.ErrorCode(err) != taxsms.EINVALID {
			t.Errorf("ParseYuan(%q) error = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestFormatYuan(t *testing.T) {
	for fen, want := range map[int64]string{0: "0.00", 5: "0.05", 123456: "1234.56", -5: "-0.05", -9223372036854775808: "-92233720368547758.08"} {
		if got := taxsms.FormatYuan(fen); got != want {
			t.Errorf("FormatYuan(%d) = %q, want %q", fen, got, want)
		}
	}
}

func FuzzParseYuan(f *testing.F) {
	for _, s := range []string{"1234.56", "1,234.5", "¥1", "-1", "1.230", "", "."} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		fen, err := taxsms.ParseYuan(s)
		if err != nil {
			if taxsms.ErrorCode(err) != taxsms.EINVALID {
				t.Fatalf("ParseYuan(%q) error %v is not EINVALID", s, err)
			}
			return
		}
		if fen < 0 || fen > taxsms.MaxAmount {
			t.Fatalf("ParseYuan(%q) = %d, out of range", s, fen)
		}
		back, err := taxsms.ParseYuan(taxsms.FormatYuan(fen))
		if err != nil || back != fen {
			t.Fatalf("ParseYuan(FormatYuan(%d)) = %d, %v", fen, back, err)
		}
	})
}

func FuzzParsePeriod(f *testing.F) {
	for _, s := range []string{"2026-11", "2026Q3", "2025", "2026年第三季度", "202611", "2026年11月"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p, err := taxsms.ParsePeriod(s)
		if err != nil {
			if taxsms.ErrorCode(err) != taxsms.EINVALID {
				t.Fatalf("ParsePeriod(%q) error %v is not EINVALID", s, err)
			}
			return
		}
		if p == "" {
			return
		}
		if !p.Valid() {
			t.Fatalf("ParsePeriod(%q) = %q, not valid", s, p)
		}
		if again, err := taxsms.ParsePeriod(string(p)); err != nil || again != p {
			t.Fatalf("ParsePeriod(%q) = %q, %v; want it unchanged", p, again, err)
		}
		if p.End().Before(p.Start()) || taxsms.PeriodOf(p.Kind(), p.Start()) != p || taxsms.PeriodOf(p.Kind(), p.End()) != p {
			t.Fatalf("%q: start %s, end %s", p, p.Start(), p.End())
		}
	})
}

func TestValidate_TaxData(t *testing.T) {
	d := func(y int, m time.Month, day int) taxsms.Date { return taxsms.Date{Year: y, Month: m, Day: day} }
	at := time.Date(2026, 12, 15, 2, 0, 0, 0, time.UTC)
	for _, tt := range []struct {
		name string
		v    interface{ Validate() error }
		want string
	}{
		{"ObligationOK", &taxsms.Obligation{TaxpayerID: 1, TaxType: "增值税", Period: "2026-11", FilingDue: d(2026, 12, 15)}, ""},
		{"ObligationNoTaxpayer", &taxsms.Obligation{TaxType: "增值税", Period: "2026-11", FilingDue: d(2026, 12, 15)}, "taxpayer: required"},
		{"ObligationNoTaxType", &taxsms.Obligation{TaxpayerID: 1, Period: "2026-11", FilingDue: d(2026, 12, 15)}, "tax_type: required"},
		{"ObligationTaxTypeComma", &taxsms.Obligation{TaxpayerID: 1, TaxType: "增值税,印花税", Period: "2026-11", FilingDue: d(2026, 12, 15)}, `tax_type: "增值税,印花税": a tax type may not contain ',' or ';'`},
		{"ObligationBadPeriod", &taxsms.Obligation{TaxpayerID: 1, TaxType: "增值税", Period: "2026-13", FilingDue: d(2026, 12, 15)}, `period: "2026-13": want 2026-11, 2026Q3 or 2025`},
		{"ObligationNoPeriod", &taxsms.Obligation{TaxpayerID: 1, TaxType: "增值税", FilingDue: d(2026, 12, 15)}, "period: required"},
		{"ObligationNoDue", &taxsms.Obligation{TaxpayerID: 1, TaxType: "增值税", Period: "2026-11"}, "filing_due: required"},
		{"ObligationDueEarly", &taxsms.Obligation{TaxpayerID: 1, TaxType: "增值税", Period: "2026-11", FilingDue: d(2026, 10, 15)}, "filing_due: 2026-10-15 is before the period 2026-11 starts"},
		{"ObligationPaymentEarly", &taxsms.Obligation{TaxpayerID: 1, TaxType: "增值税", Period: "2026-11", FilingDue: d(2026, 12, 15), PaymentDue: d(2026, 12, 14)}, "payment_due: 2026-12-14 is before the filing deadline 2026-12-15"},
		{"FilingOK", &taxsms.Filing{TaxpayerID: 1, TaxType: "增值税", Period: "2026Q3", FiledOn: d(2026, 10, 9), AmountDue: 0}, ""},
		{"FilingNoDate", &taxsms.Filing{TaxpayerID: 1, TaxType: "增值税", Period: "2026Q3"}, "filed_on: required"},
		{"FilingNegative", &taxsms.Filing{TaxpayerID: 1, TaxType: "增值税", Period: "2026Q3", FiledOn: d(2026, 10, 9), AmountDue: -100}, "amount_due: -1.00: may not be negative"},
		{"PaymentOK", &taxsms.Payment{TaxpayerID: 1, TaxType: "增值税", Period: "2025", PaidOn: d(2026, 5, 9), Amount: 1}, ""},
		{"PaymentZero", &taxsms.Payment{TaxpayerID: 1, TaxType: "增值税", Period: "2025", PaidOn: d(2026, 5, 9)}, "amount_paid: must be more than 0"},
		{"PaymentNoDate", &taxsms.Payment{TaxpayerID: 1, TaxType: "增值税", Period: "2025", Amount: 1}, "paid_on: required"},
		{"DeductionOK", &taxsms.Deduction{Reference: "B1", TaxpayerID: 1, TaxType: "增值税", Period: "2026-11", Amount: 100, Result: taxsms.DeductionFailed, Reason: "余额不足", At: at}, ""},
		{"DeductionNoReference", &taxsms.Deduction{TaxpayerID: 1, TaxType: "增值税", Period: "2026-11", Amount: 100, Result: taxsms.DeductionOK, At: at}, "reference: required"},
		{"DeductionResult", &taxsms.Deduction{Reference: "B1", TaxpayerID: 1, TaxType: "增值税", Period: "2026-11", Result: "maybe", At: at}, `result: want success or failed, got "maybe"`},
		{"DeductionNoResult", &taxsms.Deduction{Reference: "B1", TaxpayerID: 1, TaxType: "增值税", Period: "2026-11", At: at}, "result: required"},
		{"DeductionNoTime", &taxsms.Deduction{Reference: "B1", TaxpayerID: 1, TaxType: "增值税", Period: "2026-11", Result: taxsms.DeductionOK}, "at: required"},
		{"DeductionReason", &taxsms.Deduction{Reference: "B1", TaxpayerID: 1, TaxType: "增值税", Period: "2026-11", Result: taxsms.DeductionFailed, Reason: "a\nb", At: at}, "reason: control character U+000A not allowed"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.v.Validate()
			if got := taxsms.ErrorMessage(err); got != tt.want {
				t.Errorf("Validate() = %q, want %q", got, tt.want)
			}
			if err != nil && taxsms.ErrorCode(err) != taxsms.EINVALID {
				t.Errorf("code = %q, want %q", taxsms.ErrorCode(err), taxsms.EINVALID)
			}
		})
	}
	o := &taxsms.Obligation{TaxpayerID: 1, TaxType: "增值税", Period: "2026-11", FilingDue: d(2026, 12, 15)}
	if o.Validate(); o.PaymentDue != o.FilingDue {
		t.Errorf("PaymentDue = %s, want the filing deadline %s", o.PaymentDue, o.FilingDue)
	}
}
