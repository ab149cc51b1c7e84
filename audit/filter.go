package audit

import "time"

// Filter selects records for the console's search and for export. Zero
// fields select everything.
type Filter struct {
	From, To   time.Time // At within [From, To)
	UserID     int64     // Actor.UserID
	Login      string    // Actor.Login: a user's login or an API key's id
	Action     Action
	ObjectType string
	ObjectID   string // with ObjectType
	IP         string
	Contains   string // a substring of Detail, taken literally

	// Before pages a newest-first list: only records with Seq < Before.
	Before int64
	// Limit is the page size of a list: 1 to 1000, 50 by default. Export
	// ignores Before and Limit and gives every record that matches.
	Limit int
}
