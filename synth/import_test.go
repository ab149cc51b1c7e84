package synth_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"

	"taxsms"

	"taxsms/importer"
	"taxsms/pii"
	"taxsms/store"
	"taxsms/synth"
)

// TestWrite_Imports imports a generated city and checks every row went in.
func TestWrite_Imports(t *testing.T) {
	fs, err := synth.Write(t.TempDir(), synth.Config{Seed: 3, Taxpayers: 300})
	if err != nil {
		t.Fatal(err)
	}
	box, err := pii.New(map[byte][]byte{1: bytes.Repeat([]byte{1}, pii.KeySize)}, bytes.Repeat([]byte{2}, pii.KeySize))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	db, err := store.Open(ctx, ":memory:", box)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, f := range []struct {
		kind importer.Kind
		path string
	}{
		{importer.Offices, fs.Offices},
		{importer.Users, fs.Users},
		{importer.Taxpayers, fs.Taxpayers},
		{importer.Contacts, fs.Contacts},
	} {
		rep, err := importer.File(ctx, db, f.kind, f.path, importer.Options{})
		if err != nil {
			t.Fatalf("%v\n%v", err, rep)
		}
		if rep.Inserted != rep.Rows || rep.Rows == 0 {
			t.Errorf("%s", rep)
		}
	}
	c, err := db.Count(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if want := (store.Counts{Offices: 12, Users: 40, Taxpayers: 300, Contacts: 600}); c != want {
		t.Errorf("Count = %+v, want %+v", c, want)
	}
}

// TestWrite_TaxData imports a city with the tax data of a month and checks
// its mix: most obligations filed, some not, some unpaid, a few failed
// deductions; the other files are the same as without tax data.
func TestWrite_TaxData(t *testing.T) {
	dir := t.TempDir()
	cfg := synth.Config{Seed: 5, Taxpayers: 400, Period: "2026-11"}
	fs, err := synth.Write(filepath.Join(dir, "tax"), cfg)
	if err != nil {
		t.Fatal(err)
	}
	plain, err := synth.Write(filepath.Join(dir, "plain"), synth.Config{Seed: 5, Taxpayers: 400})
	if err != nil {
		t.Fatal(err)
	}
	for _, pair := range [][2]string{{fs.Taxpayers, plain.Taxpayers}, {fs.Contacts, plain.Contacts}} {
		a, _ := os.ReadFile(pair[0])
		b, _ := os.ReadFile(pair[1])
		if !bytes.Equal(a, b) {
			t.Errorf("%s differs with tax data", filepath.Base(pair[0]))
		}
	}
	if plain.Obligations != "" {
		t.Errorf("Obligations = %q without a period, want none", plain.Obligations)
	}
	box, err := pii.New(map[byte][]byte{1: bytes.Repeat([]byte{1}, pii.KeySize)}, bytes.Repeat([]byte{2}, pii.KeySize))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	db, err := store.Open(ctx, ":memory:", box)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	rows := make(map[string]int)
	for _, f := range []struct {
		kind importer.Kind
		path string
	}{
		{importer.Offices, fs.Offices}, {importer.Users, fs.Users}, {importer.Taxpayers, fs.Taxpayers}, {importer.Contacts, fs.Contacts},
		{importer.Obligations, fs.Obligations}, {importer.Filings, fs.Filings}, {importer.Payments, fs.Payments}, {importer.Deductions, fs.Deductions},
	} {
		rep, err := importer.File(ctx, db, f.kind, f.path, importer.Options{})
		if err != nil {
			t.Fatalf("%v\n%v", err, rep)
		}
		rows[f.kind.String()] = rep.Rows
	}
	obl, filed, paid, deducted := rows["obligations"], rows["filings"], rows["payments"], rows["deductions"]
	if obl < 1000 || filed < obl*7/10 || filed > obl*9/10 || paid < filed*6/10 || paid >= filed || deducted == 0 {
		t.Errorf("rows = %v: want most obligations filed, most filings paid, some deductions", rows)
	}
	due := taxsms.Date{Year: 2026, Month: 12, Day: 15}
	var unfiled, unpaid, failed int
	for _, err := range db.Unfiled(ctx, due, due) {
		if err != nil {
			t.Fatal(err)
		}
		unfiled++
	}
	for _, err := range db.Unpaid(ctx, due, due) {
		if err != nil {
			t.Fatal(err)
		}
		unpaid++
	}
	for _, err := range db.FailedDeductions(ctx) {
		if err != nil {
			t.Fatal(err)
		}
		failed++
	}
	if unfiled == 0 || unpaid == 0 || failed == 0 {
		t.Errorf("unfiled %d, unpaid %d, failed deductions %d: want some of each", unfiled, unpaid, failed)
	}
	t.Logf("rows %v; dues: %d unfiled, %d unpaid, %d failed deductions", rows, unfiled, unpaid, failed)
}
