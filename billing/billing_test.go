package billing_test

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"taxsms"
	"taxsms/billing"
)

// city is a root office, two branches and a station below the first.
func city() []*taxsms.Office {
	return []*taxsms.Office{
		{ID: 1, Code: "13702000000", Name: "青岛市税务局", Path: "/1/"},
		{ID: 2, ParentID: 1, Code: "13702020000", Name: "市南区税务局", Path: "/1/2/"},
		{ID: 3, ParentID: 1, Code: "13702030000", Name: "市北区税务局", Path: "/1/3/"},
		{ID: 4, ParentID: 2, Code: "13702020100", Name: "八大关税务所", Path: "/1/2/4/"},
	}
}

func statement() *taxsms.Statement {
	return &taxsms.Statement{Month: taxsms.Month{Year: 2026, Month: 11}, OfficeID: 1, Lines: []taxsms.StatementLine{
		{OfficeID: 1, Carrier: taxsms.CarrierMobile, Kind: taxsms.KindSpecial, Messages: 10, Segments: 20, Amount: 700},
		{OfficeID: 2, Carrier: taxsms.CarrierMobile, Kind: taxsms.KindFilingReminder, Messages: 5, Segments: 5, Amount: 150},
		{OfficeID: 4, Carrier: taxsms.CarrierUnicom, Kind: taxsms.KindSpecial, Messages: 3, Segments: 6, Amount: 240},
		{OfficeID: 3, Carrier: taxsms.CarrierMobile, Kind: taxsms.KindSpecial, Messages: 1, Segments: 2, Amount: 100, Adjustment: true},
	}}
}

func TestAssemble(t *testing.T) {
	r := billing.Assemble(statement(), city())
	if r.Total.Messages != 19 || r.Total.Segments != 33 || r.Total.Amount != 1190 {
		t.Errorf("Total = %+v, want 19 messages, 33 segments, ¥1.190", r.Total)
	}
	if r.Own.Messages != 10 || r.Own.Amount != 700 {
		t.Errorf("Own = %+v, want the root's own 10 messages, ¥0.700", r.Own)
	}
	got := []string{}
	for _, row := range r.Offices {
		got = append(got, fmt.Sprintf("%s %d %s", row.Office.Name, row.Segments, row.Amount))
	}
	want := []string{"市南区税务局 11 0.390", "市北区税务局 2 0.100"}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("Offices = %v, want %v (a branch sums its stations)", got, want)
	}
	sum := r.Own
	for _, row := range r.Offices {
		sum.Messages, sum.Segments, sum.Amount = sum.Messages+row.Messages, sum.Segments+row.Segments, sum.Amount+row.Amount
	}
	if sum != r.Total {
		t.Errorf("own + offices = %+v, want the total %+v", sum, r.Total)
	}
	if len(r.Carriers) != 2 || r.Carriers[0].Carrier != taxsms.CarrierMobile || r.Carriers[0].Amount != 950 {
		t.Errorf("Carriers = %+v, want mobile ¥0.950 first", r.Carriers)
	}
	if len(r.Kinds) != 2 || r.Kinds[0].Kind != taxsms.KindFilingReminder {
		t.Errorf("Kinds = %+v, want filing reminders first (the order of taxsms.Kinds)", r.Kinds)
	}
}

func TestReport_WriteXLSX(t *testing.T) {
	var b bytes.Buffer
	if err := billing.Assemble(statement(), city()).WriteXLSX(&b); err != nil {
		t.Fatal(err)
	}
	f, err := excelize.OpenReader(&b)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := f.GetRows("2026-11")
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 6 || rows[0][0] != "month" || rows[5][1] != "TOTAL" || rows[5][8] != "1.190" || rows[1][2] != "青岛市税务局" {
		t.Errorf("rows = %q, want a header, 4 lines and the total ¥1.190", rows)
	}
}

func TestMonthAt(t *testing.T) {
	// 16:30 UTC on 30 November is 00:30 on 1 December in Shanghai.
	if got := billing.MonthAt(time.Date(2026, 11, 30, 16, 30, 0, 0, time.UTC)); got.String() != "2026-12" {
		t.Errorf("MonthAt = %s, want 2026-12", got)
	}
}

func ExampleReport_WriteCSV() {
	r := billing.Assemble(statement(), city())
	var b strings.Builder
	r.WriteCSV(&b)
	os.Stdout.WriteString(strings.TrimPrefix(b.String(), "\ufeff"))
	// Output:
	// month,office_code,office_name,carrier,kind,adjustment,messages,billable_segments,amount_yuan,unpriced_segments
	// 2026-11,13702000000,青岛市税务局,mobile,special,no,10,20,0.700,0
	// 2026-11,13702020000,市南区税务局,mobile,filing_reminder,no,5,5,0.150,0
	// 2026-11,13702020100,八大关税务所,unicom,special,no,3,6,0.240,0
	// 2026-11,13702030000,市北区税务局,mobile,special,yes,1,2,0.100,0
	// 2026-11,TOTAL,青岛市税务局,,,,19,33,1.190,0
}

// TestReport_ExportTotals reads both exports back and checks that the
// total row is the sum of the lines, negative adjustments included, and
// that an office name cannot pass for a formula.
func TestReport_ExportTotals(t *testing.T) {
	st := statement()
	st.Lines = append(st.Lines, taxsms.StatementLine{OfficeID: 2, Carrier: taxsms.CarrierMobile, Kind: taxsms.KindSpecial,
		Messages: -1, Segments: -2, Amount: -70, Adjustment: true}) // a recount that found two segments too many
	offices := city()
	offices[2].Name = "=HYPERLINK(\"http://x\")"
	r := billing.Assemble(st, offices)
	if r.Total.Messages != 18 || r.Total.Segments != 31 || r.Total.Amount != 1120 {
		t.Fatalf("Total = %+v, want 18 messages, 31 segments, ¥1.120", r.Total)
	}
	sum := func(t *testing.T, rows [][]string) {
		t.Helper()
		var msgs, segs, milli int64
		for _, row := range rows[1 : len(rows)-1] {
			m, _ := strconv.ParseInt(row[6], 10, 64)
			s, _ := strconv.ParseInt(row[7], 10, 64)
			a, err := taxsms.ParseMilliYuan("amount", row[8])
			if err != nil {
				t.Fatal(err)
			}
			msgs, segs, milli = msgs+m, segs+s, milli+int64(a)
		}
		total := rows[len(rows)-1]
		if total[1] != "TOTAL" || fmt.Sprint(msgs, " ", segs, " ", taxsms.MilliYuan(milli)) != total[6]+" "+total[7]+" "+total[8] {
			t.Errorf("lines add up to %d messages, %d segments, ¥%s; total row %q", msgs, segs, taxsms.MilliYuan(milli), total)
		}
	}
	t.Run("CSV", func(t *testing.T) {
		var b bytes.Buffer
		if err := r.WriteCSV(&b); err != nil {
			t.Fatal(err)
		}
		rows, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(b.String(), "\ufeff"))).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		sum(t, rows)
		if !strings.Contains(b.String(), `'=HYPERLINK`) {
			t.Errorf("CSV = %q, want the formula-like name quoted with an apostrophe", b.String())
		}
	})
	t.Run("XLSX", func(t *testing.T) {
		var b bytes.Buffer
		if err := r.WriteXLSX(&b); err != nil {
			t.Fatal(err)
		}
		f, err := excelize.OpenReader(&b)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		rows, err := f.GetRows("2026-11")
		if err != nil {
			t.Fatal(err)
		}
		sum(t, rows)
	})
}
