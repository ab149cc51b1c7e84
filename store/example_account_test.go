package store_test

import (
	"context"
	"fmt"
	"time"

	"taxsms"
	"taxsms/auth"
	"taxsms/pii"
	"taxsms/store"
)

// A sign-in as the web layer does it, then a request with the session's
// cookie, then the office's suspension ending the session.
func ExampleDB_SessionActor() {
	ctx := context.Background()
	key := make([]byte, pii.KeySize) // use real keys: taxsms keygen
	box, _ := pii.New(map[byte][]byte{1: key}, key)
	db, err := store.Open(ctx, ":memory:", box)
	if err != nil {
		panic(err)
	}
	defer db.Close()
	city := &taxsms.Office{Code: "QD", Name: "青岛市税务局"}
	db.CreateOffice(ctx, city)
	u := &taxsms.User{Login: "li.qiang", Name: "李强", OfficeID: city.ID, Role: taxsms.RoleCityAdmin}
	db.CreateUser(ctx, u)

	// Sign in: the password checked against LoginRecord's hash, then a session.
	rec, _ := db.LoginRecord(ctx, "li.qiang")
	now := time.Now()
	id, s, _ := auth.NewSession(rec.User.ID, "192.0.2.1", "Firefox", now)
	db.RecordSignIn(ctx, s, 0)

	// A request: the cookie's id, hashed, gives the actor.
	cfg := auth.SessionConfig{}
	a, user, _ := db.SessionActor(ctx, auth.HashSessionID(id), cfg, now)
	fmt.Println(user.Name, a.Role, a.Has(auth.PermManageUsers))

	// Suspending the office ends the session at once.
	db.SuspendOffice(auth.NewContext(ctx, a), city.ID, true, "inspection")
	_, _, err = db.SessionActor(ctx, auth.HashSessionID(id), cfg, now)
	fmt.Println(taxsms.ErrorCode(err))
	// Output:
	// 李强 city_admin true
	// unauthorized
}
