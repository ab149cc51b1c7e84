package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"taxsms/kb"
	"taxsms/pii"
)

// TestImport_TaxData imports a city and then its tax data with "taxsms
// import"; a second import of the same file changes nothing.
func TestImport_TaxData(t *testing.T) {
	dir := t.TempDir()
	env := []string{"TAXSMS_DATABASE=sqlite:" + filepath.Join(dir, "t.db"), "TAXSMS_SECRET_KEYS=1:" + pii.NewKey(), "TAXSMS_SECRET_LOOKUP_KEY=" + pii.NewKey()}
	files := map[string]string{
		"offices.csv":     "code,name\nQD,青岛市税务局\n",
		"taxpayers.csv":   "identifier,name,office\n91370202MA3C4X5T1B,青岛海信瑞达科技有限公司,QD\n",
		"obligations.csv": "纳税人识别号,税种,所属期,申报期限\n91370202MA3C4X5T1B,增值税,2026-11,2026-12-15\n",
		"filings.csv":     "纳税人识别号,税种,所属期,申报日期,应纳税额\n91370202MA3C4X5T1B,增值税,2026-11,2026-12-03,100.50\n",
		"payments.csv":    "纳税人识别号,税种,所属期,缴款日期,实缴金额\n91370202MA3C4X5T1B,增值税,2026-11,2026-12-04,100.50\n",
		"deductions.csv":  "纳税人识别号,税种,所属期,扣款金额,扣款结果,失败原因,流水号,扣款时间\n91370202MA3C4X5T1B,增值税,2026-11,100.50,失败,余额不足,BK1,2026-12-04 10:00\n",
	}
	for name, text := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	for _, kind := range []string{"offices", "taxpayers", "obligations", "filings", "payments", "deductions"} {
		var out bytes.Buffer
		path := filepath.Join(dir, kind+".csv")
		if err := Run(context.Background(), []string{"import", kind, path}, env, &out, &out); err != nil {
			t.Fatalf("import %s: %v\n%s", kind, err, out.String())
		}
		if !strings.Contains(out.String(), "1 rows: 1 inserted") && !strings.Contains(out.String(), "1 rows: 0 inserted, 1 updated") {
			t.Errorf("import %s: %s", kind, out.String())
		}
		out.Reset()
		if err := Run(context.Background(), []string{"import", kind, path}, env, &out, &out); err != nil {
			t.Fatalf("import %s again: %v\n%s", kind, err, out.String())
		}
		if !strings.Contains(out.String(), "1 unchanged") {
			t.Errorf("import %s again: %s, want 1 unchanged", kind, out.String())
		}
	}
}

// TestImport_FAQ loads the built-in knowledge base with "taxsms import faq
// :default", then a file of the operator's, each twice.
func TestImport_FAQ(t *testing.T) {
	dir := t.TempDir()
	env := []string{"TAXSMS_DATABASE=sqlite:" + filepath.Join(dir, "t.db"), "TAXSMS_SECRET_KEYS=1:" + pii.NewKey(), "TAXSMS_SECRET_LOOKUP_KEY=" + pii.NewKey()}
	path := filepath.Join(dir, "faq.csv")
	if err := os.WriteFile(path, []byte("问题,答案,关键词,分类\n城建税税率是多少？,市区7%，县城镇5%，其他1%。,城建税、城市维护建设税,其他\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ file, first, again string }{
		{":default", fmt.Sprintf("%[1]d rows: %[1]d inserted", len(kb.Default())), fmt.Sprintf("%d unchanged", len(kb.Default()))},
		{path, "1 rows: 1 inserted", "1 unchanged"},
	} {
		for _, want := range []string{c.first, c.again} {
			var out bytes.Buffer
			if err := Run(context.Background(), []string{"import", "faq", c.file}, env, &out, &out); err != nil {
				t.Fatalf("import faq %s: %v\n%s", c.file, err, out.String())
			}
			if !strings.Contains(out.String(), want) {
				t.Errorf("import faq %s: %s, want %q", c.file, out.String(), want)
			}
		}
	}
}
