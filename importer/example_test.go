package importer_test

import (
	"bytes"
	"context"
	"fmt"

	"taxsms"
	"taxsms/importer"
	"taxsms/pii"
	"taxsms/store"
)

// Import a city's offices, staff, taxpayers and contacts in that order,
// then a file with a bad row, which imports nothing.
func Example() {
	ctx := context.Background()
	box, _ := pii.New(map[byte][]byte{1: bytes.Repeat([]byte{1}, pii.KeySize)}, bytes.Repeat([]byte{2}, pii.KeySize))
	db, err := store.Open(ctx, ":memory:", box)
	if err != nil {
		panic(err)
	}
	defer db.Close()

	for _, f := range []struct {
		kind importer.Kind
		path string
	}{
		{importer.Offices, "testdata/offices.csv"},
		{importer.Users, "testdata/users.csv"},
		{importer.Taxpayers, "testdata/taxpayers.csv"},
		{importer.Contacts, "testdata/contacts.csv"},
	} {
		rep, err := importer.File(ctx, db, f.kind, f.path, importer.Options{})
		if err != nil {
			panic(err)
		}
		fmt.Print(rep)
	}

	_, err = importer.File(ctx, db, importer.Taxpayers, "testdata/taxpayers_gbk_bad.csv", importer.Options{})
	fmt.Println(taxsms.ErrorCode(err))
	fmt.Println(taxsms.ErrorMessage(err))
	// Output:
	// offices.csv: 3 rows: 3 inserted, 0 updated, 0 unchanged, 0 rejected
	// users.csv: 3 rows: 3 inserted, 0 updated, 0 unchanged, 0 rejected
	// taxpayers.csv: 4 rows: 4 inserted, 0 updated, 0 unchanged, 0 rejected
	// contacts.csv: 3 rows: 3 inserted, 0 updated, 0 unchanged, 0 rejected
	// invalid
	// taxpayers_gbk_bad.csv: 1 of 2 rows are bad; nothing was imported
	// taxpayers_gbk_bad.csv: row 3, column 纳税人识别号 (identifier), value "92370211MA3K7T2H63": check character is 3, want 2
}
