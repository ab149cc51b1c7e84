package audit_test

import (
	"encoding/json"
	"fmt"
	"time"

	"taxsms"
	"taxsms/audit"
)

func Example() {
	at := time.Date(2026, 12, 3, 9, 0, 0, 0, time.UTC)
	admin := audit.User(7, "li.qiang", taxsms.RoleCityAdmin)
	entries := []audit.Entry{
		{Actor: admin, Action: audit.SignIn, IP: "10.1.2.3"},
		{Actor: admin, Action: audit.UserChanged, Object: audit.Object{Type: "user", ID: "12"}, IP: "10.1.2.3",
			Before: json.RawMessage(`{"role":"operator"}`), After: json.RawMessage(`{"role":"branch_admin"}`)},
		{Actor: audit.System, Action: audit.MessageSent, Object: audit.Object{Type: "message", ID: "501"},
			Detail: "filing reminder to 138****5678"}, // numbers go in masked
	}
	// What the store does when it appends: number, validate, chain.
	prev := audit.Genesis()
	for i := range entries {
		e := &entries[i]
		e.Seq, e.At = int64(i+1), at.Add(time.Duration(i)*time.Minute)
		if err := e.Validate(); err != nil {
			fmt.Println(err)
			return
		}
		e.Seal(prev)
		prev = e.Hash
	}
	check := func() {
		n, broken, _ := audit.Verify(func(yield func(audit.Entry, error) bool) {
			for _, e := range entries {
				if !yield(e, nil) {
					return
				}
			}
		})
		if broken != nil {
			fmt.Println(broken)
			return
		}
		fmt.Println("verified", n, "records")
	}
	check()

	entries[1].After = json.RawMessage(`{"role":"city_admin"}`) // someone edits the record
	check()
	// Output:
	// verified 3 records
	// audit chain broken at record 2: altered: record 2 does not match its hash
}
