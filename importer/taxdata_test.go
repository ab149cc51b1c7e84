package importer_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"
	"golang.org/x/text/encoding/simplifiedchinese"

	"taxsms"
	"taxsms/importer"
	"taxsms/store"
)

// taxFixtures are the binary tax data fixtures, written by
// TestTaxFixtures -fixtures.
var taxFixtures = []string{"obligations_gbk.csv", "deductions.xlsx"}

func TestTaxFixtures(t *testing.T) {
	if !*fixtures {
		for _, name := range taxFixtures {
			if _, err := os.Stat(filepath.Join("testdata", name)); err != nil {
				t.Errorf("%v (run go test -run TestTaxFixtures -fixtures)", err)
			}
		}
		return
	}
	b, err := simplifiedchinese.GBK.NewEncoder().Bytes([]byte("纳税人识别号,税种,所属期,申报期限\r\n" +
		"91370202MA3C4X5T1B,增值税,2026年11月,2026-12-15\r\n" +
		"913702031635628804,印花税,2026年第四季度,2027-01-15\r\n"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join("testdata", "obligations_gbk.csv"), b, 0o644); err != nil {
		t.Fatal(err)
	}
	f := excelize.NewFile()
	sheet := f.GetSheetName(0)
	rows := [][]any{
		{"纳税人识别号", "税种", "所属期", "扣款金额", "扣款结果", "失败原因", "流水号", "扣款时间"},
		{"91370202MA3C4X5T1B", "增值税", "2026-11", 12345.67, "成功", nil, "BK20261215000001", time.Date(2026, 12, 15, 9, 30, 0, 0, time.UTC)},
		{"913702031635628804", "增值税", "2026-11", 880.5, "失败", "账户余额不足", 20261215000002, "2026-12-15 09:31:05"},
	}
	for i, row := range rows {
		cell, _ := excelize.CoordinatesToCellName(1, i+1)
		if err := f.SetSheetRow(sheet, cell, &row); err != nil {
			t.Fatal(err)
		}
	}
	if err := f.SaveAs(filepath.Join("testdata", "deductions.xlsx")); err != nil {
		t.Fatal(err)
	}
}

// taxCity returns a store with testdata's offices, users and taxpayers.
func taxCity(t *testing.T) *store.DB { return city(t, true) }

func TestFile_TaxData(t *testing.T) {
	ctx := context.Background()
	db := taxCity(t)
	files := []struct {
		kind importer.Kind
		file string
		rows int
	}{
		{importer.Obligations, "obligations.csv", 4},
		{importer.Filings, "filings.csv", 3},
		{importer.Payments, "payments.csv", 2},
		{importer.Deductions, "deductions.csv", 3},
	}
	for _, tc := range files {
		rep := importOK(t, db, tc.kind, tc.file)
		if rep.Rows != tc.rows || rep.Rejected != 0 || rep.Inserted+rep.Updated != tc.rows {
			t.Errorf("%s: report = %+v, want %d rows all written", tc.file, rep, tc.rows)
		}
	}
	t.Run("Reimport", func(t *testing.T) {
		for _, tc := range files {
			rep := importOK(t, db, tc.kind, tc.file)
			if rep.Unchanged != rep.Rows || rep.Inserted+rep.Updated != 0 {
				t.Errorf("%s again: report = %+v, want all unchanged", tc.file, rep)
			}
		}
	})
	t.Run("Values", func(t *testing.T) {
		ids, err := db.TaxpayerIdentifiers(ctx)
		if err != nil {
			t.Fatal(err)
		}
		a, b := ids["91370202MA3C4X5T1B"], ids["913702031635628804"]
		o, err := db.FindObligation(ctx, a, "增值税", "2026-11")
		if err != nil {
			t.Fatal(err)
		}
		if o.FilingDue.String() != "2026-12-15" || o.FiledOn.String() != "2026-12-03" || o.AmountDue != 1234567 ||
			o.PaidOn.String() != "2026-12-15" || o.AmountPaid != 1234567 {
			t.Errorf("obligation = %+v", o)
		}
		cit, err := db.FindObligation(ctx, a, "企业所得税", "2026Q3")
		if err != nil {
			t.Fatal(err)
		}
		if cit.PaymentDue.String() != "2026-10-27" {
			t.Errorf("PaymentDue = %s, want the filing deadline 2026-10-27", cit.PaymentDue)
		}
		vat, err := db.FindObligation(ctx, b, "增值税", "2026-11")
		if err != nil {
			t.Fatal(err)
		}
		if vat.AmountDue != 88050 || vat.AmountPaid != 50000 || vat.Unpaid() != 38050 {
			t.Errorf("obligation of b = %+v", vat)
		}
		d, err := db.FindDeduction(ctx, "BK20261215000002")
		if err != nil {
			t.Fatal(err)
		}
		if want := time.Date(2026, 12, 15, 1, 31, 5, 0, time.UTC); d.TaxpayerID != b || d.Result != taxsms.DeductionFailed ||
			d.Reason != "账户余额不足" || d.Amount != 88050 || !d.At.Equal(want) {
			t.Errorf("deduction = %+v, want failed at %v", d, want)
		}
	})
	t.Run("GBK", func(t *testing.T) {
		rep := importOK(t, db, importer.Obligations, "obligations_gbk.csv")
		if rep.Rows != 2 || rep.Inserted != 1 || rep.Updated != 0 || rep.Unchanged != 1 {
			t.Errorf("report = %+v, want 1 inserted and 1 unchanged", rep)
		}
		ids, _ := db.TaxpayerIdentifiers(ctx)
		if _, err := db.FindObligation(ctx, ids["913702031635628804"], "印花税", "2026Q4"); err != nil {
			t.Error(err)
		}
	})
	t.Run("Excel", func(t *testing.T) {
		rep := importOK(t, db, importer.Deductions, "deductions.xlsx")
		if rep.Rows != 2 || rep.Unchanged != 1 || rep.Inserted != 1 {
			t.Errorf("report = %+v, want 1 unchanged (the same as the CSV) and 1 inserted", rep)
		}
		d, err := db.FindDeduction(ctx, "20261215000002")
		if err != nil {
			t.Fatal(err)
		}
		if d.Amount != 88050 {
			t.Errorf("Amount = %d, want 88050 (a number cell)", d.Amount)
		}
		first, err := db.FindDeduction(ctx, "BK20261215000001")
		if err != nil {
			t.Fatal(err)
		}
		if want := time.Date(2026, 12, 15, 1, 30, 0, 0, time.UTC); !first.At.Equal(want) {
			t.Errorf("At = %v, want %v (a date cell in China Standard Time)", first.At, want)
		}
	})
}

func TestFile_TaxDataInvalid(t *testing.T) {
	for _, tc := range []struct {
		name string
		kind importer.Kind
		file string
	}{
		{"Obligations", importer.Obligations, "obligations_bad.csv"},
		{"Filings", importer.Filings, "filings_bad.csv"},
		{"Payments", importer.Payments, "payments_bad.csv"},
		{"Deductions", importer.Deductions, "deductions_bad.csv"},
		{"WrongKind", importer.Payments, "filings.csv"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			db := taxCity(t)
			rep, err := importer.File(context.Background(), db, tc.kind, filepath.Join("testdata", tc.file), importer.Options{})
			if got, want := taxsms.ErrorCode(err), taxsms.EINVALID; got != want {
				t.Fatalf("ErrorCode = %q, want %q (err %v)", got, want, err)
			}
			if list, _ := db.ListObligations(context.Background(), store.ObligationFilter{}); len(list) != 0 {
				t.Errorf("%d obligations after a failed import, want 0", len(list))
			}
			name := strings.TrimSuffix(tc.file, filepath.Ext(tc.file))
			if tc.name == "WrongKind" {
				name = "payments_wrong"
			}
			golden(t, name+".golden", rep.String())
		})
	}
}

func TestFile_TaxDataSkipInvalid(t *testing.T) {
	db := taxCity(t)
	dir := t.TempDir()
	b, err := os.ReadFile(filepath.Join("testdata", "obligations_bad.csv"))
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "obligations.csv")
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	rep, err := importer.File(context.Background(), db, importer.Obligations, path, importer.Options{SkipInvalid: true})
	if err != nil {
		t.Fatalf("File: %v", err)
	}
	if rep.Rows != 11 || rep.Inserted != 1 || rep.Rejected != 10 {
		t.Errorf("report = %d rows, %d inserted, %d rejected; want 11, 1, 10", rep.Rows, rep.Inserted, rep.Rejected)
	}
	rej, err := os.ReadFile(rep.RejectsPath)
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "obligations_bad.rejects.csv", string(rej))
}

func TestParseKind_TaxData(t *testing.T) {
	for _, k := range []importer.Kind{importer.Obligations, importer.Filings, importer.Payments, importer.Deductions} {
		if got, err := importer.ParseKind(strings.ToUpper(k.String())); err != nil || got != k {
			t.Errorf("ParseKind(%q) = %v, %v", k.String(), got, err)
		}
		if len(k.Columns()) < 5 {
			t.Errorf("%s.Columns() = %v", k, k.Columns())
		}
	}
}
