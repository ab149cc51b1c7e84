package auth_test

import (
	"context"
	"fmt"
	"time"

	"taxsms"
	"taxsms/auth"
)

// A sign-in, then what the signed-in operator may reach, then a branch
// administrator handing out a permission it does not hold.
func Example() {
	ctx := context.Background()
	now := time.Date(2025, 3, 14, 9, 0, 0, 0, time.UTC)
	h := auth.NewHasher(auth.Params{Memory: 64, Time: 1, Threads: 1}, 0) // cheap, for the example

	// taxsms user add: check the policy, store the hash.
	fmt.Println(auth.CheckPassword("li.na", "li.na"))
	stored, _ := h.Hash(ctx, "Laoshan-tax-2025")

	// Sign-in: check the lock, verify, record the outcome.
	var lock auth.Lockout
	var state auth.LoginState
	if err := lock.Check(state, now); err == nil {
		if err := h.Verify(ctx, stored, "wrong guess"); err != nil {
			state = lock.Failed(state, now)
			fmt.Println(err, state)
		}
		if err := h.Verify(ctx, stored, "Laoshan-tax-2025"); err == nil {
			state = auth.LoginState{}
		}
	}

	// A session; the store keeps its hash, the browser the id.
	id, sess, _ := auth.NewSession(7, "10.1.2.3", "Firefox", now)
	cfg := auth.SessionConfig{Secure: true}
	fmt.Println(sess.IDHash == auth.HashSessionID(id), cfg.Valid(sess, now.Add(29*time.Minute)), cfg.Valid(sess, now.Add(30*time.Minute)))
	fmt.Println(cfg.Cookie("ID").String())

	// The actor, in the context, for the store.
	u := &taxsms.User{ID: 7, Login: "li.na", Role: taxsms.RoleOperator, OfficeID: 12}
	op := auth.UserActor(u, "/1/5/12/", auth.DefaultPermissions(taxsms.RoleOperator))
	ctx = auth.NewContext(ctx, op)
	acc := auth.AccessFrom(ctx, auth.DataTaxpayers)
	fmt.Println(op.Permissions, acc.Read, acc.Read.Contains("/1/5/12/", 7), acc.Read.Contains("/1/5/12/", 8))

	// Grants.
	branch := &auth.Actor{UserID: 2, Login: "wang", Role: taxsms.RoleBranchAdmin, OfficePath: "/1/5/",
		Permissions: []auth.Permission{auth.PermManageUsers, auth.PermSendOwn, auth.PermSendJurisdiction}}
	fmt.Println(auth.CanGrant(branch, taxsms.RoleOperator, "/1/5/12/", []auth.Permission{auth.PermSendJurisdiction}))
	fmt.Println(auth.CanGrant(branch, taxsms.RoleOperator, "/1/5/12/", []auth.Permission{auth.PermApprove}))
	fmt.Println(auth.CanGrant(branch, taxsms.RoleOperator, "/1/6/", []auth.Permission{auth.PermSendOwn}))
	// Output:
	// password: at least 10 characters, got 5
	// Wrong login or password. 1 failure
	// true true false
	// __Host-taxsms_session=ID; Path=/; HttpOnly; Secure; SameSite=Strict
	// [send_own answer_tickets] assigned to 7 true false
	// <nil>
	// user wang (2) may not grant "approve": it does not hold it
	// office /1/6/ is outside the subtree /1/5/ of user wang (2)
}

// ExampleAPIKey shows a key made for the core tax system of one branch, and
// the checks the REST API makes on each request.
func ExampleAPIKey() {
	key, hash, _ := auth.NewKey() // show key once; store hash
	k := auth.APIKey{ID: 3, Name: "CTAIS", Hash: hash, OfficeID: 5, OfficePath: "/1/5/",
		Endpoints: []string{"POST /api/v1/messages", "GET /api/v1/messages/{id}"}}
	fmt.Println(k.Validate())

	got, err := auth.ParseKey("Bearer " + key)
	fmt.Println(err, auth.HashKey(got) == k.Hash)
	fmt.Println(k.Allows("POST", "POST /api/v1/messages"), k.Allows("GET", "GET /api/v1/taxpayers"))
	fmt.Println(k.Actor().Access(auth.DataTaxpayers).Write)
	// Output:
	// <nil>
	// <nil> true
	// true false
	// subtree /1/5/
}
