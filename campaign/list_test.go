package campaign_test

import (
	"archive/zip"
	"bytes"
	"fmt"
	"io"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"
	"golang.org/x/text/encoding/simplifiedchinese"

	"taxsms"
	"taxsms/campaign"
)

// xlsx returns a workbook whose first sheet holds rows.
func xlsx(t testing.TB, rows ...[]any) []byte {
	t.Helper()
	f := excelize.NewFile()
	defer f.Close()
	for i, r := range rows {
		cell, _ := excelize.CoordinatesToCellName(1, i+1)
		must(t, f.SetSheetRow("Sheet1", cell, &r))
	}
	var b bytes.Buffer
	_, err := f.WriteTo(&b)
	must(t, err)
	return b.Bytes()
}

// asExcelWrites rewrites a workbook's first sheet so that the value v
// reads as Excel writes a long number: in scientific notation, with 15
// significant digits.
func asExcelWrites(t testing.TB, book []byte, v int64) []byte {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(book), int64(len(book)))
	must(t, err)
	var out bytes.Buffer
	zw := zip.NewWriter(&out)
	for _, f := range zr.File {
		r, err := f.Open()
		must(t, err)
		b, err := io.ReadAll(r)
		must(t, err)
		if f.Name == "xl/worksheets/sheet1.xml" {
			sci := strings.ToUpper(strconv.FormatFloat(float64(v), 'g', 15, 64))
			b = bytes.ReplaceAll(b, []byte(">"+strconv.FormatInt(v, 10)+"<"), []byte(">"+sci+"<"))
		}
		w, err := zw.Create(f.Name)
		must(t, err)
		_, err = w.Write(b)
		must(t, err)
	}
	must(t, zw.Close())
	return out.Bytes()
}

func gbk(t testing.TB, s string) []byte {
	t.Helper()
	b, err := simplifiedchinese.GBK.NewEncoder().Bytes([]byte(s))
	must(t, err)
	return b
}

func TestParseList(t *testing.T) {
	id0, id1 := validID(t, 0), validID(t, 1)
	bad := id0[:17] + "0"
	if bad == id0 {
		bad = id0[:17] + "1"
	}
	type row = campaign.ListRow
	for _, tc := range []struct {
		name string
		file string
		data []byte
		want []row
		// errs are what the error must say, in order.
		errs []string
	}{
		{"Identifiers", "list.csv", []byte(id0 + "\n" + strings.ToLower(id1) + "\n"),
			[]row{{Row: 1, Identifier: id0}, {Row: 2, Identifier: id1}}, nil},
		{"NumbersWithHeaderAndBOM", "list.csv", []byte("\xef\xbb\xbf手机号码\r\n+86 138-1234-5678\r\n\r\n１３９００００００１１\r\n"),
			[]row{{Row: 2, Mobile: "13812345678"}, {Row: 4, Mobile: "13900000011"}}, nil},
		{"Mixed", "list.csv", []byte("identifier\n" + id0 + "\n008613812345678\n"),
			[]row{{Row: 2, Identifier: id0}, {Row: 3, Mobile: "13812345678"}}, nil},
		{"UnknownHeader", "list.csv", []byte("名单\n13812345678\n"), []row{{Row: 2, Mobile: "13812345678"}}, nil},
		{"GBKHeaderAmongColumns", "list.csv", gbk(t, "名称,纳税人识别号\n青岛海川贸易有限公司,"+id0+"\n,\n张三,"+id1+"\n"),
			[]row{{Row: 2, Identifier: id0}, {Row: 4, Identifier: id1}}, nil},
		{"ColumnB", "list.csv", []byte(",13812345678\n,13900000011\n"),
			[]row{{Row: 1, Mobile: "13812345678"}, {Row: 2, Mobile: "13900000011"}}, nil},
		{"Excel", "名单.xlsx", xlsx(t, []any{"手机号码"}, []any{13812345678}, []any{"139 0000 0011"}, []any{id0}),
			[]row{{Row: 2, Mobile: "13812345678"}, {Row: 3, Mobile: "13900000011"}, {Row: 4, Identifier: id0}}, nil},
		{"ExcelNamedCSV", "list.csv", xlsx(t, []any{id0}), []row{{Row: 1, Identifier: id0}}, nil},

		{"ErrBadRows", "list.csv", []byte("手机号码\n1381234567\n" + bad + "\n13812345678\nabc\n"), nil,
			[]string{"list.csv: row 2, column A: mobile: \"1381234567\": want 11 digits, got 10",
				"row 3, column A: identifier: \"" + bad + "\": check character",
				"row 5, column A: identifier: \"ABC\": want 15, 18 or 20 characters"}},
		{"ErrPrefix", "list.csv", []byte("10012345678\n"), nil, []string{"row 1, column A: mobile: \"10012345678\": a mainland mobile number starts with 13-19"}},
		{"ErrTwoColumns", "list.csv", []byte(id0 + ",13812345678\n"), nil, []string{"row 1: values in columns A and B"}},
		{"ErrEmpty", "list.csv", []byte("\n \n"), nil, []string{"list.csv: no identifier or number"}},
		{"ErrHeaderOnly", "list.csv", []byte("纳税人识别号\n"), nil, []string{"no identifier or number"}},
		{"ErrXLS", "list.xls", []byte("\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"), nil, []string{"list.xls: the old binary Excel format"}},
		{"ErrUTF16", "list.csv", []byte("\xff\xfe1\x003\x00"), nil, []string{"UTF-16"}},
		{"ErrCorruptExcel", "list.xlsx", []byte("PK\x03\x04garbage"), nil, []string{"list.xlsx: not a readable .xlsx workbook"}},
		{"ErrExcelLostDigits", "list.xlsx", asExcelWrites(t, xlsx(t, []any{370202199001011234}), 370202199001011234), nil, []string{"row 1, column A", "stored as a number and has lost its last digits"}},
		{"ErrManyBadRows", "list.csv", []byte(strings.Repeat("123\n", 25)), nil, []string{"row 10, column A", "and 15 more bad rows"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := campaign.ParseList(tc.file, bytes.NewReader(tc.data))
			if tc.errs == nil {
				must(t, err)
				if !reflect.DeepEqual(got, tc.want) {
					t.Errorf("ParseList = %+v, want %+v", got, tc.want)
				}
				return
			}
			wantCode(t, err, taxsms.EINVALID)
			if f := taxsms.ErrorField(err); f != "file" {
				t.Errorf("field = %q, want file", f)
			}
			msg, at := err.Error(), 0
			for _, w := range tc.errs {
				i := strings.Index(msg[at:], w)
				if i < 0 {
					t.Fatalf("error %q does not say %q (after position %d)", msg, w, at)
				}
				at += i + len(w)
			}
			if got != nil {
				t.Errorf("rows = %v with an error, want none", got)
			}
		})
	}
}

func TestParseList_Limits(t *testing.T) {
	t.Run("ErrTooLarge", func(t *testing.T) {
		big := bytes.Repeat([]byte("13812345678\n"), campaign.MaxListBytes/12+1)
		_, err := campaign.ParseList("big.csv", bytes.NewReader(big))
		wantCode(t, err, taxsms.EINVALID)
		if !strings.Contains(err.Error(), "larger than 16 MB") {
			t.Errorf("error = %v, want it to name the size", err)
		}
	})
	t.Run("ErrTooManyRows", func(t *testing.T) {
		many := bytes.Repeat([]byte("1\n"), campaign.MaxListRows+1)
		_, err := campaign.ParseList("many.csv", bytes.NewReader(many))
		wantCode(t, err, taxsms.EINVALID)
		if !strings.Contains(err.Error(), fmt.Sprintf("more than %d rows", campaign.MaxListRows)) {
			t.Errorf("error = %v, want it to name the row limit", err)
		}
	})
}

func TestListOf(t *testing.T) {
	id0 := validID(t, 0)
	for _, tc := range []struct {
		name        string
		ids, nums   []string
		want        []campaign.ListRow
		field, code string
	}{
		{"OK", []string{" " + strings.ToLower(id0)}, []string{"+86 13812345678"},
			[]campaign.ListRow{{Row: 1, Identifier: id0}, {Row: 2, Mobile: "13812345678"}}, "", ""},
		{"ErrIdentifier", []string{id0, "123"}, nil, nil, "identifiers[1]", taxsms.EINVALID},
		{"ErrNumber", nil, []string{"1381234"}, nil, "numbers[0]", taxsms.EINVALID},
		{"ErrEmpty", nil, nil, nil, "identifiers", taxsms.EINVALID},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := campaign.ListOf(tc.ids, tc.nums)
			wantCode(t, err, tc.code)
			if f := taxsms.ErrorField(err); f != tc.field {
				t.Errorf("field = %q, want %q", f, tc.field)
			}
			if err == nil && !reflect.DeepEqual(got, tc.want) {
				t.Errorf("ListOf = %+v, want %+v", got, tc.want)
			}
		})
	}
}

func TestService_CreateList(t *testing.T) {
	f := newFixture(t)
	// Taxpayers 0-2 are in b1, 3 in b2; the operator reads its own (0, 1).
	ids := []string{validID(t, 0), validID(t, 1), validID(t, 2), validID(t, 3)}
	t.Run("OK", func(t *testing.T) {
		rows, err := campaign.ParseList("list.csv", strings.NewReader("纳税人识别号\n"+ids[0]+"\n"+ids[2]+"\n"+ids[0]+"\n13812345678\n"))
		must(t, err)
		l := &taxsms.RecipientList{OfficeID: f.b1.ID, Name: "十二月名单"}
		must(t, f.svc.CreateList(f.adminCtx, l, rows))
		if l.ID == 0 || l.Taxpayers != 3 || l.Numbers != 1 || l.AuthorID != f.admin.ID {
			t.Errorf("list = %+v, want an id, 3 taxpayers, 1 number, author %d", l, f.admin.ID)
		}
		got, err := f.db.FindRecipientList(f.adminCtx, l.ID)
		must(t, err)
		if got.Name != l.Name || got.Taxpayers != 3 {
			t.Errorf("stored list = %+v, want %+v", got, l)
		}
	})
	for _, tc := range []struct {
		name     string
		operator bool // the operator acts, else the branch administrator
		office   int64
		rows     []campaign.ListRow
		code     string
		want     string
	}{
		{"ErrOtherBranch", false, f.b1.ID, []campaign.ListRow{{Row: 2, Identifier: ids[0]}, {Row: 3, Identifier: ids[3]}}, taxsms.EINVALID,
			"file: row 3: no taxpayer " + ids[3] + " in your scope"},
		{"ErrOperatorScope", true, f.b1.ID, []campaign.ListRow{{Row: 5, Identifier: ids[2]}}, taxsms.EINVALID, "row 5: no taxpayer"},
		{"ErrOfficeOutOfScope", false, f.b2.ID, []campaign.ListRow{{Row: 1, Mobile: "13812345678"}}, taxsms.EFORBIDDEN, ""},
		{"ErrNeither", false, f.b1.ID, []campaign.ListRow{{Row: 4}}, taxsms.EINVALID, "row 4: want an identifier or a number"},
		{"ErrEmpty", false, f.b1.ID, nil, taxsms.EINVALID, "no identifier or number"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := f.adminCtx
			if tc.operator {
				ctx = f.opCtx
			}
			l := &taxsms.RecipientList{OfficeID: tc.office, Name: "名单"}
			err := f.svc.CreateList(ctx, l, tc.rows)
			wantCode(t, err, tc.code)
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error = %v, want it to say %q", err, tc.want)
			}
			if l.ID != 0 {
				t.Errorf("list stored with id %d despite the error", l.ID)
			}
		})
	}
}

// FuzzParseList reads arbitrary files as CSV and as Excel: it never
// panics, fails only with EINVALID, and every row it returns is a valid
// identifier or number, once, with its row number.
func FuzzParseList(f *testing.F) {
	id0 := validID(f, 0)
	for _, s := range []string{
		id0 + "\n13812345678\n", "\xef\xbb\xbf手机号码\r\n+86 138-1234-5678\r\n", "名称,纳税人识别号\n甲," + id0 + "\n",
		",13812345678\n", "\"13812345678\n", "1381234567\nabc\n", "a,b\n1,2\n",
	} {
		f.Add("list.csv", []byte(s))
	}
	f.Add("list.csv", gbk(f, "纳税人识别号\n"+id0+"\n"))
	f.Add("list.xlsx", xlsx(f, []any{"手机号码"}, []any{13812345678}, []any{id0}))
	f.Fuzz(func(t *testing.T, name string, data []byte) {
		rows, err := campaign.ParseList(name, bytes.NewReader(data))
		if err != nil {
			if taxsms.ErrorCode(err) != taxsms.EINVALID {
				t.Fatalf("error %v is not EINVALID", err)
			}
			if rows != nil {
				t.Fatalf("rows %v with error %v", rows, err)
			}
			return
		}
		if len(rows) == 0 {
			t.Fatal("no rows and no error")
		}
		last := 0
		for _, r := range rows {
			if r.Row <= last {
				t.Fatalf("row %d after row %d", r.Row, last)
			}
			last = r.Row
			switch {
			case r.Identifier != "" && r.Mobile == "":
				if _, err := taxsms.ValidateIdentifier("", r.Identifier); err != nil {
					t.Fatalf("row %d: identifier %q: %v", r.Row, r.Identifier, err)
				}
			case r.Mobile != "" && r.Identifier == "":
				if m, err := taxsms.NormalizeMobile(r.Mobile); err != nil || m != r.Mobile {
					t.Fatalf("row %d: number %q (normalised %q, %v)", r.Row, r.Mobile, m, err)
				}
			default:
				t.Fatalf("row %+v: want one of identifier and number", r)
			}
		}
	})
}

func ExampleParseList() {
	rows, err := campaign.ParseList("名单.csv", strings.NewReader("手机号码\n+86 138-1234-5678\n91370200ma3c5x000u\n"))
	for _, r := range rows {
		fmt.Printf("row %d: %q %q\n", r.Row, r.Identifier, r.Mobile)
	}
	_, err = campaign.ParseList("名单.csv", strings.NewReader("13812345678\n1381234567\n91370200MA3C5X0004\n"))
	fmt.Println(err)
	// Output:
	// row 2: "" "13812345678"
	// row 3: "91370200MA3C5X000U" ""
	// 名单.csv: row 2, column A: mobile: "1381234567": want 11 digits, got 10; row 3, column A: identifier: "91370200MA3C5X0004": check character is neither a valid credit code nor a valid resident id
}
