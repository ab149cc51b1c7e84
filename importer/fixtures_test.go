package importer_test

import (
	"flag"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"
	"golang.org/x/text/encoding/simplifiedchinese"
)

var fixtures = flag.Bool("fixtures", false, "rewrite the GBK and .xlsx files in testdata")

// gbkFixtures are written to testdata in GBK by TestFixtures -fixtures.
var gbkFixtures = map[string]string{
	"taxpayers_gbk.csv": "纳税人识别号,纳税人名称,主管税务机关代码,登记日期,税种\r\n" +
		"91370211264587392N,青岛港通物流有限公司,13702110000,2012-05-06,增值税、企业所得税\r\n" +
		"91370212MA3D8R6J20,青岛崂山矿泉水有限公司,13702020000,2013-07-08,增值税\r\n",
	"taxpayers_gbk_bad.csv": "纳税人识别号,纳税人名称,主管税务机关代码,登记日期,税种\r\n" +
		"91370203MA3P9WQ1XE,青岛敦化路餐饮管理有限公司,13702020000,2014-09-10,增值税\r\n" +
		"92370211MA3K7T2H63,黄岛区刘记海鲜排档,13702110000,2015-10-11,增值税\r\n",
}

// TestFixtures rewrites the binary fixtures with -fixtures; otherwise it
// checks that they are there.
func TestFixtures(t *testing.T) {
	if !*fixtures {
		for _, name := range []string{"taxpayers_gbk.csv", "taxpayers_gbk_bad.csv", "taxpayers.xlsx", "truncated.xlsx"} {
			if _, err := os.Stat(filepath.Join("testdata", name)); err != nil {
				t.Errorf("%v (run go test -run TestFixtures -fixtures)", err)
			}
		}
		return
	}
	for name, text := range gbkFixtures {
		b, err := simplifiedchinese.GBK.NewEncoder().Bytes([]byte(text))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join("testdata", name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}

	f := excelize.NewFile()
	sheet := f.GetSheetName(0)
	rows := [][]any{
		{"纳税人识别号", "纳税人名称", "主管税务机关代码", "税收管理员", "登记日期", "网上申报"},
		{"91370211264587392N", "青岛港通物流有限公司", "13702110000", "huangdao.op1", time.Date(2012, 5, 6, 0, 0, 0, 0, time.UTC), true},
		{"91370212MA3D8R6J20", "青岛崂山矿泉水有限公司", "13702020000", nil, "2013-07-08", "否"},
		{},
		{"91370203MA3P9WQ1XE", "青岛敦化路餐饮管理有限公司", "13702020000", "shinan.op1", nil, nil},
	}
	for i, row := range rows {
		cell, _ := excelize.CoordinatesToCellName(1, i+1)
		if err := f.SetSheetRow(sheet, cell, &row); err != nil {
			t.Fatal(err)
		}
	}
	path := filepath.Join("testdata", "taxpayers.xlsx")
	if err := f.SaveAs(path); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join("testdata", "truncated.xlsx"), b[:len(b)/2], 0o644); err != nil {
		t.Fatal(err)
	}
}
