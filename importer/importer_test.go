package importer_test

import (
	"bytes"
	"context"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"taxsms"
	"taxsms/importer"
	"taxsms/pii"
	"taxsms/store"
	"taxsms/synth"
)

var update = flag.Bool("update", false, "rewrite the .golden files in testdata")

// newStore returns an empty in-memory store.
func newStore(t testing.TB) *store.DB {
	t.Helper()
	box, err := pii.New(map[byte][]byte{1: bytes.Repeat([]byte{1}, 32)}, bytes.Repeat([]byte{2}, 32))
	if err != nil {
		t.Fatal(err)
	}
	db, err := store.Open(context.Background(), ":memory:", box)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// importOK imports testdata/name and fails the test on any error.
func importOK(t *testing.T, db *store.DB, kind importer.Kind, name string) *importer.Report {
	t.Helper()
	rep, err := importer.File(context.Background(), db, kind, filepath.Join("testdata", name), importer.Options{})
	if err != nil {
		t.Fatalf("import %s: %v\n%v", name, err, rep)
	}
	return rep
}

// city returns a store holding testdata/offices.csv and users.csv, and
// with taxpayers, testdata/taxpayers.csv.
func city(t *testing.T, taxpayers bool) *store.DB {
	t.Helper()
	db := newStore(t)
	importOK(t, db, importer.Offices, "offices.csv")
	importOK(t, db, importer.Users, "users.csv")
	if taxpayers {
		importOK(t, db, importer.Taxpayers, "taxpayers.csv")
	}
	return db
}

func count(t *testing.T, db *store.DB) store.Counts {
	t.Helper()
	c, err := db.Count(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// golden compares got with testdata/name, or rewrites it with -update.
func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update)", err)
	}
	if got != string(want) {
		t.Errorf("%s differs:\ngot:\n%s\nwant:\n%s", name, got, want)
	}
}

func TestFile_OK(t *testing.T) {
	db := newStore(t)
	for _, tc := range []struct {
		kind importer.Kind
		file string
		rows int
	}{
		{importer.Offices, "offices.csv", 3},
		{importer.Users, "users.csv", 3},
		{importer.Taxpayers, "taxpayers.csv", 4},
		{importer.Contacts, "contacts.csv", 3},
	} {
		rep := importOK(t, db, tc.kind, tc.file)
		if rep.Rows != tc.rows || rep.Inserted != tc.rows || rep.Updated+rep.Unchanged+rep.Rejected != 0 {
			t.Errorf("%s: report = %+v, want %d rows all inserted", tc.file, rep, tc.rows)
		}
	}
	if got, want := count(t, db), (store.Counts{Offices: 3, Users: 3, Taxpayers: 4, Contacts: 3}); got != want {
		t.Errorf("Count = %+v, want %+v", got, want)
	}

	t.Run("Reimport", func(t *testing.T) {
		for _, tc := range []struct {
			kind importer.Kind
			file string
		}{
			{importer.Offices, "offices.csv"},
			{importer.Users, "users.csv"},
			{importer.Taxpayers, "taxpayers.csv"},
			{importer.Contacts, "contacts.csv"},
		} {
			rep := importOK(t, db, tc.kind, tc.file)
			if rep.Unchanged != rep.Rows || rep.Inserted+rep.Updated != 0 {
				t.Errorf("%s again: report = %+v, want all unchanged", tc.file, rep)
			}
		}
	})

	t.Run("Values", func(t *testing.T) {
		tp, err := db.FindTaxpayerByIdentifier(context.Background(), "913702031635628804")
		if err != nil {
			t.Fatal(err)
		}
		if got, want := strings.Join(tp.TaxTypes, "|"), "增值税|企业所得税|印花税"; got != want {
			t.Errorf("TaxTypes = %s, want %s", got, want)
		}
		if tp.RegStatus != taxsms.RegChanged || tp.Registered.String() != "2010-06-01" || tp.Changed.String() != "2020-01-02" || tp.RemoteFiler {
			t.Errorf("taxpayer = %+v", tp)
		}
	})
}

// TestFile_Invalid imports files with bad rows and checks the exact report
// and that nothing of them was written.
func TestFile_Invalid(t *testing.T) {
	for _, tc := range []struct {
		name string
		kind importer.Kind
		file string
	}{
		{"Taxpayers", importer.Taxpayers, "taxpayers_bad.csv"},
		{"Columns", importer.Taxpayers, "taxpayers_columns.csv"},
		{"GBK", importer.Taxpayers, "taxpayers_gbk_bad.csv"},
		{"Truncated", importer.Taxpayers, "truncated.xlsx"},
		{"Contacts", importer.Contacts, "contacts_bad.csv"},
		{"Users", importer.Users, "users_bad.csv"},
		{"Offices", importer.Offices, "offices_bad.csv"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			db := city(t, tc.kind == importer.Contacts)
			before := count(t, db)
			rep, err := importer.File(context.Background(), db, tc.kind, filepath.Join("testdata", tc.file), importer.Options{})
			if got, want := taxsms.ErrorCode(err), taxsms.EINVALID; got != want {
				t.Fatalf("ErrorCode = %q, want %q (err %v)", got, want, err)
			}
			if got := count(t, db); got != before {
				t.Errorf("Count = %+v after a failed import, want %+v", got, before)
			}
			golden(t, strings.TrimSuffix(tc.file, filepath.Ext(tc.file))+".golden", rep.String())
			if !strings.HasPrefix(taxsms.ErrorMessage(err), tc.file+": ") {
				t.Errorf("message %q does not name the file", taxsms.ErrorMessage(err))
			}
		})
	}
}

func TestFile_CheckCharacterMessage(t *testing.T) {
	db := city(t, false)
	rep, _ := importer.File(context.Background(), db, importer.Taxpayers, filepath.Join("testdata", "taxpayers_bad.csv"), importer.Options{})
	want := `taxpayers_bad.csv: row 4, column identifier, value "91110000600037341M": check character is M, want L`
	for _, e := range rep.Errors {
		if e.String() == want {
			return
		}
	}
	t.Errorf("no error %q in\n%v", want, rep)
}

func TestFile_SkipInvalid(t *testing.T) {
	db := city(t, false)
	dir := t.TempDir()
	path := filepath.Join(dir, "taxpayers_bad.csv")
	b, err := os.ReadFile(filepath.Join("testdata", "taxpayers_bad.csv"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	rep, err := importer.File(context.Background(), db, importer.Taxpayers, path, importer.Options{SkipInvalid: true})
	if err != nil {
		t.Fatalf("File: %v", err)
	}
	if rep.Rows != 12 || rep.Inserted != 2 || rep.Rejected != 10 {
		t.Errorf("report = %d rows, %d inserted, %d rejected; want 12, 2, 10", rep.Rows, rep.Inserted, rep.Rejected)
	}
	if got, want := count(t, db).Taxpayers, 2; got != want {
		t.Errorf("taxpayers = %d, want %d", got, want)
	}
	if got, want := rep.RejectsPath, filepath.Join(dir, "taxpayers_bad.rejects.csv"); got != want {
		t.Fatalf("RejectsPath = %q, want %q", got, want)
	}
	rej, err := os.ReadFile(rep.RejectsPath)
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "taxpayers_bad.rejects.csv", string(rej))

	t.Run("Reimport", func(t *testing.T) {
		rep, err := importer.File(context.Background(), db, importer.Taxpayers, path, importer.Options{SkipInvalid: true})
		if err != nil {
			t.Fatal(err)
		}
		if rep.Unchanged != 2 || rep.Inserted+rep.Updated != 0 || rep.Rejected != 10 {
			t.Errorf("report = %+v, want 2 unchanged and 10 rejected", rep)
		}
	})

	t.Run("RejectsFileReads", func(t *testing.T) {
		// The error column of a rejects file is ignored, so it can be
		// corrected and imported as it is; uncorrected, every row is bad.
		rep, err := importer.File(context.Background(), db, importer.Taxpayers, rep.RejectsPath, importer.Options{})
		if got, want := taxsms.ErrorCode(err), taxsms.EINVALID; got != want {
			t.Fatalf("ErrorCode = %q, want %q", got, want)
		}
		if rep.Rows != 10 || rep.Rejected != 10 {
			t.Errorf("report = %v, want 10 rows all rejected", rep)
		}
	})

	t.Run("HeaderStillFails", func(t *testing.T) {
		_, err := importer.File(context.Background(), db, importer.Taxpayers, filepath.Join("testdata", "taxpayers_columns.csv"), importer.Options{SkipInvalid: true, RejectsPath: filepath.Join(dir, "x.csv")})
		if got, want := taxsms.ErrorCode(err), taxsms.EINVALID; got != want {
			t.Errorf("ErrorCode = %q, want %q", got, want)
		}
		if _, err := os.Stat(filepath.Join(dir, "x.csv")); err == nil {
			t.Error("a rejects file was written for a file with a bad header")
		}
	})
}

func TestFile_GBK(t *testing.T) {
	db := city(t, false)
	rep := importOK(t, db, importer.Taxpayers, "taxpayers_gbk.csv")
	if rep.Inserted != 2 {
		t.Errorf("Inserted = %d, want 2", rep.Inserted)
	}
	tp, err := db.FindTaxpayerByIdentifier(context.Background(), "91370212MA3D8R6J20")
	if err != nil {
		t.Fatal(err)
	}
	if got, want := tp.Name, "青岛崂山矿泉水有限公司"; got != want {
		t.Errorf("Name = %q, want %q", got, want)
	}
}

func TestFile_Excel(t *testing.T) {
	db := city(t, false)
	rep := importOK(t, db, importer.Taxpayers, "taxpayers.xlsx")
	if rep.Rows != 3 || rep.Inserted != 3 {
		t.Errorf("report = %+v, want 3 rows inserted", rep)
	}
	tp, err := db.FindTaxpayerByIdentifier(context.Background(), "91370211264587392N")
	if err != nil {
		t.Fatal(err)
	}
	if got, want := tp.Registered.String(), "2012-05-06"; got != want {
		t.Errorf("Registered = %s, want %s (a date cell)", got, want)
	}
	if !tp.RemoteFiler {
		t.Error("RemoteFiler = false, want true (a boolean cell)")
	}
}

func TestFile_Errors(t *testing.T) {
	db := newStore(t)
	_, err := importer.File(context.Background(), db, importer.Offices, filepath.Join("testdata", "nosuch.csv"), importer.Options{})
	if got, want := taxsms.ErrorCode(err), taxsms.ENOTFOUND; got != want {
		t.Errorf("missing file: ErrorCode = %q, want %q", got, want)
	}
	empty := filepath.Join(t.TempDir(), "empty.csv")
	os.WriteFile(empty, nil, 0o644)
	_, err = importer.File(context.Background(), db, importer.Offices, empty, importer.Options{})
	if got, want := taxsms.ErrorMessage(err), "empty.csv: the file cannot be imported; nothing was imported\nempty.csv: the file is empty: want a header row"; got != want {
		t.Errorf("empty file: message = %q, want %q", got, want)
	}
}

func TestParseKind(t *testing.T) {
	for _, k := range []importer.Kind{importer.Offices, importer.Users, importer.Taxpayers, importer.Contacts} {
		if got, err := importer.ParseKind(k.String()); err != nil || got != k {
			t.Errorf("ParseKind(%q) = %v, %v", k.String(), got, err)
		}
	}
	if _, err := importer.ParseKind("receipts"); taxsms.ErrorCode(err) != taxsms.EINVALID {
		t.Errorf("ParseKind(receipts) error = %v, want EINVALID", err)
	}
}

// TestFile_LateFailure ends a file of good rows with a bad row or a broken
// line, after the first rows have already streamed into the store: nothing
// may stay imported.
func TestFile_LateFailure(t *testing.T) {
	for _, tc := range []struct{ name, tail, want string }{
		{"BadRow", "91110000600037341M,某公司,13702000000,,,,,,,,\n", "check character is M"},
		{"BrokenLine", "\"unterminated,quote\n", "cannot be imported"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			files, err := synth.Write(dir, synth.Config{Seed: 1, Taxpayers: 600, NoContacts: true})
			if err != nil {
				t.Fatal(err)
			}
			db := newStore(t)
			importPath(t, db, importer.Offices, files.Offices)
			importPath(t, db, importer.Users, files.Users)
			f, err := os.OpenFile(files.Taxpayers, os.O_APPEND|os.O_WRONLY, 0)
			if err != nil {
				t.Fatal(err)
			}
			f.WriteString(tc.tail)
			f.Close()
			rep, err := importer.File(context.Background(), db, importer.Taxpayers, files.Taxpayers, importer.Options{})
			if taxsms.ErrorCode(err) != taxsms.EINVALID || !strings.Contains(taxsms.ErrorMessage(err), tc.want) {
				t.Fatalf("File = %v, want EINVALID mentioning %q", err, tc.want)
			}
			if c := count(t, db); c.Taxpayers != 0 {
				t.Errorf("taxpayers after a failed import = %d, want 0", c.Taxpayers)
			}
			if rep.Inserted != 0 || rep.Rows < 600 {
				t.Errorf("Report = %d rows, %d inserted; want all rows read and 0 inserted", rep.Rows, rep.Inserted)
			}
		})
	}
}

func importPath(t *testing.T, db *store.DB, kind importer.Kind, path string) {
	t.Helper()
	if rep, err := importer.File(context.Background(), db, kind, path, importer.Options{}); err != nil {
		t.Fatalf("import %s: %v\n%v", path, err, rep)
	}
}
