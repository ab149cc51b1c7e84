package synth_test

import (
	"bytes"
	"context"
	"testing"

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
