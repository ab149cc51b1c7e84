package web

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"taxsms"
	"taxsms/auth"
	"taxsms/store"
	"taxsms/store/storetest"
)

// fixture is a city with two branches, A and B, each with staff,
// taxpayers, contacts and messages, served by the REST API to actors named
// in the test header X-Test-Actor.
type fixture struct {
	t   *testing.T
	db  *store.DB
	srv *httptest.Server

	city, branchA, stationA, branchB       *taxsms.Office
	actors                                 map[string]*auth.Actor
	users                                  map[string]*taxsms.User
	tpA, tpA2, tpB                         *taxsms.Taxpayer
	contactA, contactB                     *taxsms.Contact
	msgA, msgB                             *taxsms.Message
	keys                                   [2]*auth.APIKey // stored keys of branches A and B
	nextIdentifier, nextMobile, nextOffice int
}

// actorHeader names the fixture's actor a test request acts as; absent,
// the request is unauthenticated.
const actorHeader = "X-Test-Actor"

// eachEngine runs test on a fresh fixture on every engine under test.
func eachEngine(t *testing.T, test func(t *testing.T, f *fixture)) {
	for _, engine := range storetest.Engines(t) {
		t.Run(engine, func(t *testing.T) { test(t, newFixture(t, engine)) })
	}
}

func newFixture(t *testing.T, engine string) *fixture {
	t.Helper()
	ctx := context.Background()
	f := &fixture{t: t, db: storetest.Open(t, engine), actors: map[string]*auth.Actor{}, users: map[string]*taxsms.User{}}
	f.city = f.office(0, "QD", "青岛市税务局")
	f.branchA = f.office(f.city.ID, "QD-A", "市南区税务局")
	f.stationA = f.office(f.branchA.ID, "QD-A-1", "八大峡税务所")
	f.branchB = f.office(f.city.ID, "QD-B", "市北区税务局")
	for _, u := range []struct {
		login  string
		role   taxsms.Role
		office *taxsms.Office
	}{
		{"city", taxsms.RoleCityAdmin, f.city},
		{"auditor", taxsms.RoleAuditor, f.city},
		{"maintainer", taxsms.RoleMaintainer, f.city},
		{"branchA", taxsms.RoleBranchAdmin, f.branchA},
		{"operatorA", taxsms.RoleOperator, f.branchA},
		{"branchB", taxsms.RoleBranchAdmin, f.branchB},
		{"operatorB", taxsms.RoleOperator, f.branchB},
	} {
		user := &taxsms.User{Login: u.login, Name: u.login, OfficeID: u.office.ID, Role: u.role, Mobile: f.mobile()}
		if err := f.db.CreateUser(ctx, user); err != nil {
			t.Fatal(err)
		}
		f.users[u.login] = user
		perms := auth.DefaultPermissions(u.role)
		if u.role == taxsms.RoleOperator {
			perms = append(perms, auth.PermManageTaxpayers) // within the operator's ceiling: changes to its own taxpayers
		}
		if u.role == taxsms.RoleBranchAdmin {
			perms = append(perms, auth.PermManageOffices, auth.PermManageAPIKeys)
		}
		f.actors[u.login] = auth.UserActor(user, u.office.Path, perms)
	}
	var every []string
	for _, rt := range (&Server{}).apiRoutes() {
		every = append(every, rt.Pattern)
	}
	f.actors["keyA"] = auth.APIKey{ID: 1, Name: "core A", OfficeID: f.branchA.ID, OfficePath: f.branchA.Path}.Actor()
	f.actors["keyA"].Endpoints = every
	f.actors["keyNone"] = auth.APIKey{ID: 2, Name: "messages only", OfficeID: f.branchA.ID, OfficePath: f.branchA.Path}.Actor()
	f.actors["keyNone"].Endpoints = []string{"GET /api/v1/status"}

	for i, o := range []*taxsms.Office{f.branchA, f.branchB} {
		_, hash, err := auth.NewKey()
		if err != nil {
			t.Fatal(err)
		}
		f.keys[i] = &auth.APIKey{Name: "key-" + o.Code, Hash: hash, OfficeID: o.ID, Endpoints: []string{"GET /api/v1/taxpayers"}}
		if err := f.db.CreateAPIKey(ctx, f.keys[i]); err != nil {
			t.Fatal(err)
		}
	}
	f.tpA = f.taxpayer(f.branchA, f.users["operatorA"].ID, "甲公司")
	f.tpA2 = f.taxpayer(f.stationA, 0, "乙公司")
	f.tpB = f.taxpayer(f.branchB, f.users["operatorB"].ID, "丙公司")
	f.contactA = f.contact(f.tpA)
	f.contactB = f.contact(f.tpB)
	f.msgA = f.message(f.tpA, f.contactA)
	f.msgB = f.message(f.tpB, f.contactB)

	s := &Server{Store: f.db, DB: f.db, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
	mux := http.NewServeMux()
	s.registerAPI(mux, func(r *http.Request) (*auth.Actor, error) {
		name := r.Header.Get(actorHeader)
		if name == "system" {
			return nil, nil
		}
		a, ok := f.actors[name]
		if !ok {
			return nil, taxsms.Errorf(taxsms.EUNAUTHORIZED, "A valid API key is required.")
		}
		return a, nil
	})
	f.srv = httptest.NewServer(securityHeaders(mux))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fixture) office(parent int64, code, name string) *taxsms.Office {
	f.t.Helper()
	o := &taxsms.Office{ParentID: parent, Code: code, Name: name, Phone: "0532-12366"}
	if err := f.db.CreateOffice(context.Background(), o); err != nil {
		f.t.Fatal(err)
	}
	return o
}

// identifier returns a fresh valid credit code.
func (f *fixture) identifier() string {
	f.nextIdentifier++
	first := fmt.Sprintf("91370200%09d", f.nextIdentifier)
	return first + string(taxsms.USCCCheck(first))
}

// mobile returns a fresh mobile number.
func (f *fixture) mobile() string {
	f.nextMobile++
	return fmt.Sprintf("1380013%04d", f.nextMobile)
}

func (f *fixture) taxpayer(o *taxsms.Office, admin int64, name string) *taxsms.Taxpayer {
	f.t.Helper()
	tp := &taxsms.Taxpayer{Identifier: f.identifier(), Name: name, OfficeID: o.ID, AdminID: admin,
		Registered: taxsms.Date{Year: 2020, Month: 3, Day: 1}, TaxTypes: []string{"增值税"}}
	if err := f.db.CreateTaxpayer(context.Background(), tp); err != nil {
		f.t.Fatal(err)
	}
	return tp
}

func (f *fixture) contact(tp *taxsms.Taxpayer) *taxsms.Contact {
	f.t.Helper()
	c := &taxsms.Contact{TaxpayerID: tp.ID, Role: taxsms.RoleFinance, Name: "王会计", Mobile: f.mobile(), Status: taxsms.ServiceActive}
	if err := f.db.CreateContact(context.Background(), c); err != nil {
		f.t.Fatal(err)
	}
	return c
}

func (f *fixture) message(tp *taxsms.Taxpayer, c *taxsms.Contact) *taxsms.Message {
	f.t.Helper()
	m := &taxsms.Message{Direction: taxsms.MT, Kind: taxsms.KindSpecial, Priority: taxsms.PriorityBulk, Mobile: c.Mobile,
		Body: "【12366】" + tp.Name, Segments: 1, TaxpayerID: tp.ID, ContactID: c.ID, OfficeID: tp.OfficeID}
	if err := f.db.CreateMessage(context.Background(), m); err != nil {
		f.t.Fatal(err)
	}
	return m
}

// do sends a request as actor and returns the status and the raw body.
func (f *fixture) do(actor, method, path, body string) (int, []byte) {
	f.t.Helper()
	req, err := http.NewRequest(method, f.srv.URL+path, strings.NewReader(body))
	if err != nil {
		f.t.Fatal(err)
	}
	if actor != "" {
		req.Header.Set(actorHeader, actor)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := f.srv.Client().Do(req)
	if err != nil {
		f.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		f.t.Fatal(err)
	}
	return resp.StatusCode, b
}

// json sends a request as actor and decodes the JSON answer.
func (f *fixture) json(actor, method, path, body string) (int, map[string]any) {
	f.t.Helper()
	code, b := f.do(actor, method, path, body)
	var out map[string]any
	if err := json.Unmarshal(b, &out); err != nil {
		f.t.Fatalf("%s %s: %d %q is not a JSON object: %v", method, path, code, b, err)
	}
	return code, out
}

// errorCode returns the code of an error answer, "" if it is none.
func errorCode(out map[string]any) string {
	e, _ := out["error"].(map[string]any)
	c, _ := e["code"].(string)
	return c
}
