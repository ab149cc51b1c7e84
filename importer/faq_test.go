package importer_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"taxsms"
	"taxsms/importer"
	"taxsms/kb"
)

func TestFile_FAQ(t *testing.T) {
	ctx := context.Background()
	db := newStore(t)
	rep := importOK(t, db, importer.FAQ, "faq.csv")
	if rep.Rows != 3 || rep.Inserted != 3 {
		t.Errorf("report = %+v, want 3 rows inserted", rep)
	}
	entries, err := db.KBEntries(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 3 {
		t.Fatalf("KBEntries = %d, want 3", len(entries))
	}
	e := entries[1]
	if e.Question != "电子税务局密码忘了怎么办？" || e.Answer != `登录页点击"忘记密码"，通过手机号验证后重置。` ||
		strings.Join(e.Keywords, "|") != "电子税务局密码|忘记密码" || e.Category != "电子税务局" || !e.Enabled {
		t.Errorf("entry 2 = %+v", e)
	}
	if !entries[0].Enabled || entries[2].Enabled {
		t.Errorf("enabled = %v, %v, want an empty cell enabled and 否 disabled", entries[0].Enabled, entries[2].Enabled)
	}
	t.Run("Reimport", func(t *testing.T) {
		rep := importOK(t, db, importer.FAQ, "faq.csv")
		if rep.Unchanged != 3 || rep.Inserted+rep.Updated != 0 {
			t.Errorf("report = %+v, want all unchanged", rep)
		}
	})
	t.Run("Default", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "faq.csv")
		if err := os.WriteFile(path, kb.DefaultCSV(), 0o600); err != nil {
			t.Fatal(err)
		}
		rep, err := importer.File(ctx, db, importer.FAQ, path, importer.Options{})
		if err != nil {
			t.Fatal(err)
		}
		if n := len(kb.Default()); rep.Rows != n || rep.Inserted != n {
			t.Errorf("report = %+v, want %d rows inserted", rep, n)
		}
	})
}

func TestFile_FAQInvalid(t *testing.T) {
	db := newStore(t)
	rep, err := importer.File(context.Background(), db, importer.FAQ, filepath.Join("testdata", "faq_bad.csv"), importer.Options{})
	if got, want := taxsms.ErrorCode(err), taxsms.EINVALID; got != want {
		t.Fatalf("ErrorCode = %q, want %q (err %v)", got, want, err)
	}
	if entries, _ := db.KBEntries(context.Background()); len(entries) != 0 {
		t.Errorf("%d entries after a failed import, want none", len(entries))
	}
	golden(t, "faq_bad.golden", rep.String())

	t.Run("SkipInvalid", func(t *testing.T) {
		dir := t.TempDir()
		b, err := os.ReadFile(filepath.Join("testdata", "faq_bad.csv"))
		if err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(dir, "faq_bad.csv")
		if err := os.WriteFile(path, b, 0o600); err != nil {
			t.Fatal(err)
		}
		rep, err := importer.File(context.Background(), db, importer.FAQ, path, importer.Options{SkipInvalid: true})
		if err != nil {
			t.Fatal(err)
		}
		if rep.Inserted != 0 || rep.Rejected != 7 || rep.RejectsPath == "" {
			t.Errorf("report = %+v, want every row rejected (the good one is duplicated)", rep)
		}
	})
}

func TestParseKind_FAQ(t *testing.T) {
	for _, s := range []string{"faq", " FAQ ", "kb"} {
		if k, err := importer.ParseKind(s); err != nil || k != importer.FAQ {
			t.Errorf("ParseKind(%q) = %v, %v, want faq", s, k, err)
		}
	}
	if importer.FAQ.String() != "faq" || len(importer.FAQ.Columns()) != 5 || importer.FAQ.Columns()[0][1] != "问题" {
		t.Errorf("FAQ = %s, columns %v", importer.FAQ, importer.FAQ.Columns())
	}
}

// FuzzFile_FAQ imports arbitrary CSV files as knowledge base entries: the
// import never panics, only valid entries reach the store, and a failed
// import is EINVALID.
func FuzzFile_FAQ(f *testing.F) {
	for _, name := range []string{"faq.csv", "faq_bad.csv"} {
		b, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b, false)
		f.Add(b, true)
	}
	f.Add(kb.DefaultCSV(), false)
	f.Fuzz(func(t *testing.T, data []byte, skip bool) {
		path := filepath.Join(t.TempDir(), "faq.csv")
		if err := os.WriteFile(path, data, 0o600); err != nil {
			t.Fatal(err)
		}
		rep, err := importer.File(context.Background(), fakeStore{t}, importer.FAQ, path, importer.Options{SkipInvalid: skip})
		if err != nil && taxsms.ErrorCode(err) != taxsms.EINVALID {
			t.Fatalf("error %v is not EINVALID", err)
		}
		if err == nil && rep.Inserted+rep.Rejected != rep.Rows {
			t.Fatalf("%d rows, %d inserted, %d rejected", rep.Rows, rep.Inserted, rep.Rejected)
		}
	})
}
