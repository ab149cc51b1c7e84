package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"taxsms/pii"
)

func TestImport_Invoices(t *testing.T) {
	dir := t.TempDir()
	env := []string{"TAXSMS_DATABASE=sqlite:" + filepath.Join(dir, "t.db"), "TAXSMS_SECRET_KEYS=1:" + pii.NewKey(), "TAXSMS_SECRET_LOOKUP_KEY=" + pii.NewKey()}
	path := filepath.Join(dir, "invoices.csv")
	text := "发票代码,发票号码,发票状态,销售方名称,开票日期,价税合计\n" +
		"037022500111,00012345,正常,青岛海纳贸易有限公司,2026-11-20,1130.00\n" +
		",26372000000012345678,红冲,青岛海纳贸易有限公司,2026-11-30,200\n"
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"2 rows: 2 inserted", "2 unchanged"} {
		var out bytes.Buffer
		if err := Run(context.Background(), []string{"import", "invoices", path}, env, &out, &out); err != nil {
			t.Fatalf("import invoices: %v\n%s", err, out.String())
		}
		if !strings.Contains(out.String(), want) {
			t.Errorf("import invoices: %s, want %q", out.String(), want)
		}
	}
}
