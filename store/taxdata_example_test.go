package store_test

import (
	"context"
	"fmt"
	"iter"
	"strings"

	"taxsms"
	"taxsms/pii"
	"taxsms/store"
)

// Load a taxpayer's obligations, find what is due for the reminder before
// the deadline, and see a filing cancel the reminder still waiting.
func ExampleDB_Unfiled() {
	ctx := context.Background()
	key := make([]byte, pii.KeySize) // use real keys: taxsms keygen
	box, _ := pii.New(map[byte][]byte{1: key}, key)
	db, err := store.Open(ctx, ":memory:", box)
	if err != nil {
		panic(err)
	}
	defer db.Close()
	city := &taxsms.Office{Code: "13702000000", Name: "青岛市税务局", Phone: "0532-12366"}
	db.CreateOffice(ctx, city)
	tp := &taxsms.Taxpayer{Identifier: "91110000600037341L", Name: "青岛海纳贸易有限公司", OfficeID: city.ID}
	db.CreateTaxpayer(ctx, tp)
	ct := &taxsms.Contact{TaxpayerID: tp.ID, Role: taxsms.RoleTaxClerk, Mobile: "13812345678", Status: taxsms.ServiceActive}
	db.CreateContact(ctx, ct)

	due := taxsms.Date{Year: 2026, Month: 12, Day: 15}
	obligations := []*taxsms.Obligation{
		{TaxpayerID: tp.ID, TaxType: "增值税", Period: "2026-11", FilingDue: due},
		{TaxpayerID: tp.ID, TaxType: "城市维护建设税", Period: "2026-11", FilingDue: due},
	}
	n, _ := db.UpsertObligations(ctx, all(obligations))
	fmt.Printf("%+v\n", n)

	for d, err := range db.Unfiled(ctx, due, due) {
		if err != nil {
			panic(err)
		}
		fmt.Println(d.Name, d.Period, strings.Join(d.TaxTypes, "、"), d.FilingDue, d.OfficePhone, taxsms.MaskMobile(d.Contacts[0].Mobile))
		m := &taxsms.Message{Direction: taxsms.MT, Kind: taxsms.KindFilingReminder, Mobile: d.Contacts[0].Mobile,
			TaxpayerID: d.TaxpayerID, ContactID: d.Contacts[0].ID, OfficeID: d.OfficeID, Body: "【青岛税务】请按期申报", Segments: 1,
			IdempotencyKey: fmt.Sprintf("remind/filing_reminder/%s/%d/%d", d.Period, d.TaxpayerID, d.Contacts[0].ID)}
		db.CreateMessage(ctx, m)
	}

	filings := []*taxsms.Filing{
		{TaxpayerID: tp.ID, TaxType: "增值税", Period: "2026-11", FiledOn: taxsms.Date{Year: 2026, Month: 12, Day: 3}, AmountDue: 123456},
		{TaxpayerID: tp.ID, TaxType: "城市维护建设税", Period: "2026-11", FiledOn: taxsms.Date{Year: 2026, Month: 12, Day: 3}, AmountDue: 8642},
	}
	db.UpsertFilings(ctx, all(filings))
	msgs, _ := db.ListMessages(ctx, taxsms.MessageFilter{TaxpayerID: tp.ID})
	fmt.Println(msgs[0].Status, msgs[0].Error)
	// Output:
	// {Inserted:2 Updated:0 Unchanged:0}
	// 青岛海纳贸易有限公司 2026-11 城市维护建设税、增值税 2026-12-15 0532-12366 138****5678
	// cancelled cancelled: the taxpayer has filed
}

// all yields items without error, as a file import would.
func all[T any](items []T) iter.Seq2[T, error] {
	return func(yield func(T, error) bool) {
		for _, it := range items {
			if !yield(it, nil) {
				return
			}
		}
	}
}
