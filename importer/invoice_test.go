package importer_test

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"taxsms"
	"taxsms/importer"
	"taxsms/invoice"
)

func TestFile_Invoices(t *testing.T) {
	ctx := context.Background()
	db := newStore(t)
	files := []struct {
		file string
		rows int
	}{
		{"invoices.csv", 4},    // Chinese headers
		{"invoices_en.csv", 2}, // English headers
	}
	for _, tc := range files {
		rep := importOK(t, db, importer.Invoices, tc.file)
		if rep.Rows != tc.rows || rep.Inserted != tc.rows {
			t.Errorf("%s: report = %+v, want %d rows inserted", tc.file, rep, tc.rows)
		}
	}
	t.Run("Reimport", func(t *testing.T) {
		for _, tc := range files {
			rep := importOK(t, db, importer.Invoices, tc.file)
			if rep.Unchanged != rep.Rows || rep.Inserted+rep.Updated != 0 {
				t.Errorf("%s again: report = %+v, want all unchanged", tc.file, rep)
			}
		}
	})
	t.Run("Values", func(t *testing.T) {
		for _, tt := range []struct {
			q    invoice.Query
			want invoice.Record
		}{
			{invoice.Query{Code: "037022500111", Number: "00012345"}, invoice.Record{Code: "037022500111", Number: "00012345",
				Kind: invoice.KindEOrdinary, Status: invoice.StatusValid, SellerName: "青岛海纳贸易有限公司", SellerID: "91370202MA3C4X5T1B",
				IssuedOn: taxsms.Date{Year: 2026, Month: 11, Day: 20}, Amount: 113000}},
			{invoice.Query{Code: "3702194130", Number: "00000815"}, invoice.Record{Code: "3702194130", Number: "00000815",
				Kind: invoice.KindSpecial, Status: invoice.StatusVoid, SellerName: "青岛崂山矿泉水有限公司", SellerID: "913702031635628804",
				IssuedOn: taxsms.Date{Year: 2026, Month: 10, Day: 8}, Amount: 565000}},
			{invoice.Query{Number: "26372000000012345678"}, invoice.Record{Number: "26372000000012345678",
				Kind: invoice.KindDigitalOrdinary, Status: invoice.StatusReversed, SellerName: "青岛海纳贸易有限公司",
				IssuedOn: taxsms.Date{Year: 2026, Month: 11, Day: 30}, Amount: 20000}},
			{invoice.Query{Number: "26372000000012345679"}, invoice.Record{Number: "26372000000012345679",
				Kind: invoice.KindDigital, Status: invoice.StatusAbnormal, SellerName: "青岛某某商贸有限公司",
				IssuedOn: taxsms.Date{Year: 2026, Month: 12, Day: 1}}},
			{invoice.Query{Code: "237021671234", Number: "12345678"}, invoice.Record{Code: "237021671234", Number: "12345678",
				Kind: invoice.KindGeneral, Status: invoice.StatusValid, SellerName: "青岛某某餐饮有限公司",
				IssuedOn: taxsms.Date{Year: 2016, Month: 5, Day: 6}, Amount: 8800}},
		} {
			got, err := db.LookupInvoice(ctx, tt.q)
			if err != nil {
				t.Fatalf("LookupInvoice(%s): %v", tt.q, err)
			}
			got.UpdatedAt = tt.want.UpdatedAt
			if *got != tt.want {
				t.Errorf("LookupInvoice(%s) = %+v, want %+v", tt.q, *got, tt.want)
			}
		}
	})
}

func TestFile_InvoicesInvalid(t *testing.T) {
	db := newStore(t)
	rep, err := importer.File(context.Background(), db, importer.Invoices, filepath.Join("testdata", "invoices_bad.csv"), importer.Options{})
	if got, want := taxsms.ErrorCode(err), taxsms.EINVALID; got != want {
		t.Fatalf("ErrorCode = %q, want %q (err %v)", got, want, err)
	}
	if _, err := db.LookupInvoice(context.Background(), invoice.Query{Code: "037022500111", Number: "00000007"}); taxsms.ErrorCode(err) != taxsms.ENOTFOUND {
		t.Errorf("a good row of a failed import: LookupInvoice = %v, want ENOTFOUND", err)
	}
	golden(t, "invoices_bad.golden", rep.String())
}

func TestParseKind_Invoices(t *testing.T) {
	for _, s := range []string{"invoices", "Invoice", " INVOICES "} {
		if got, err := importer.ParseKind(s); err != nil || got != importer.Invoices {
			t.Errorf("ParseKind(%q) = %v, %v", s, got, err)
		}
	}
	if got := importer.Invoices.String(); got != "invoices" {
		t.Errorf("String = %q", got)
	}
	cols := importer.Invoices.Columns()
	if len(cols) != 8 || cols[1][0] != "number" || !strings.HasPrefix(cols[1][1], "发票号码") {
		t.Errorf("Columns = %v", cols)
	}
}
