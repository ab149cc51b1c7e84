package store_test

import (
	"context"
	"fmt"
	"strings"
	"time"

	"taxsms"
	"taxsms/calendar"
	"taxsms/pii"
	"taxsms/store"
)

// The city's working-day calendar kept in the database: a year replaced
// from the State Council notice, and a month's deadline overridden.
func ExampleDB_ReplaceCalendarYears() {
	ctx := context.Background()
	key := make([]byte, pii.KeySize) // use real keys: taxsms keygen
	box, _ := pii.New(map[byte][]byte{1: key}, key)
	db, err := store.Open(ctx, ":memory:", box)
	if err != nil {
		panic(err)
	}
	defer db.Close()

	notice, _ := calendar.Parse(strings.NewReader("2027-01-01 holiday 元旦 国办发明电〔2026〕1号\n"))
	if err := db.ReplaceCalendarYears(ctx, []int{2027}, notice); err != nil {
		panic(err)
	}
	stored, _ := db.CalendarEntries(ctx)
	fmt.Println(len(stored), stored[0].Date, stored[0].Name)

	march := calendar.Period{Filing: calendar.Monthly, Year: 2027, Month: time.March}
	err = db.SetDeadlineOverride(ctx, store.DeadlineOverride{Period: march, Date: taxsms.Date{Year: 2027, Month: 3, Day: 22}, Reason: "系统升级"})
	fmt.Println(err)
	err = db.SetDeadlineOverride(ctx, store.DeadlineOverride{Period: march, Date: taxsms.Date{Year: 2027, Month: 3, Day: 10}, Reason: "太早"})
	fmt.Println(taxsms.ErrorField(err))
	// Output:
	// 1 2027-01-01 元旦
	// <nil>
	// date
}
