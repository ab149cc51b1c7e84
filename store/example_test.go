package store_test

import (
	"context"
	"fmt"

	"taxsms"
	"taxsms/pii"
	"taxsms/store"
)

func Example() {
	ctx := context.Background()
	key := make([]byte, pii.KeySize) // use real keys: taxsms keygen
	box, _ := pii.New(map[byte][]byte{1: key}, key)
	db, err := store.Open(ctx, ":memory:", box)
	if err != nil {
		panic(err)
	}
	defer db.Close()

	city := &taxsms.Office{Code: "13702000000", Name: "青岛市税务局"}
	db.CreateOffice(ctx, city)
	tp := &taxsms.Taxpayer{Identifier: "91110000600037341L", Name: "青岛海纳贸易有限公司", OfficeID: city.ID}
	db.CreateTaxpayer(ctx, tp)
	db.CreateContact(ctx, &taxsms.Contact{TaxpayerID: tp.ID, Role: taxsms.RoleLegalRep, Mobile: "+86 138 1234 5678"})

	found, _ := db.ListTaxpayers(ctx, taxsms.TaxpayerFilter{Mobile: "13812345678"})
	fmt.Println(found[0].Name, found[0].IDType)

	err = db.CreateTaxpayer(ctx, &taxsms.Taxpayer{Identifier: "91110000600037341L", Name: "again", OfficeID: city.ID})
	fmt.Println(taxsms.ErrorCode(err), taxsms.ErrorMessage(err))
	// Output:
	// 青岛海纳贸易有限公司 uscc
	// conflict identifier: taxpayer 91110000600037341L already exists
}
