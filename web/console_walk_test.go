package web

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"taxsms"
	"taxsms/auth"
)

// walkCity adds to a test console a second branch whose records no one of
// the first branch may reach, and a taxpayer of the first branch not
// assigned to its operator. Each record carries a marker text: a page
// shown to someone outside the record's scope must not contain it.
type walkCity struct {
	other                          *taxsms.Office
	otherUser                      *taxsms.User
	otherTP, unassigned            *taxsms.Taxpayer
	otherContact                   *taxsms.Contact
	otherMsg                       *taxsms.Message
	otherKey                       int64
	markers                        []marker
	ids                            map[string]string // first path segment → id of the other branch's record
	officePath, branchPath, otherP string
}

// marker is a text shown only to those who may read its record.
type marker struct {
	text  string
	data  auth.Data
	path  string // the record's office path
	owner int64  // the user in charge (taxpayers), or 0
}

func newWalkCity(t *testing.T, tc *testConsole) *walkCity {
	t.Helper()
	ctx := context.Background()
	branch, err := tc.db.FindOffice(ctx, tc.users[taxsms.RoleOperator].OfficeID)
	must(t, err)
	w := &walkCity{ids: map[string]string{}}
	w.other = &taxsms.Office{ParentID: branch.ParentID, Code: "13702990000", Name: "越界分局"}
	must(t, tc.db.CreateOffice(ctx, w.other))
	w.otherUser = &taxsms.User{Login: "outside.op", Name: "越界用户", OfficeID: w.other.ID, Role: taxsms.RoleOperator}
	must(t, tc.db.CreateUser(ctx, w.otherUser))
	tp := func(office int64, n int, name string, admin int64) *taxsms.Taxpayer {
		first := fmt.Sprintf("91370299MA%07d", n)
		p := &taxsms.Taxpayer{Identifier: first + string(taxsms.USCCCheck(first)), Name: name, OfficeID: office, AdminID: admin,
			Registered: taxsms.Date{Year: 2024, Month: 1, Day: 2}, TaxTypes: []string{"增值税"}}
		must(t, tc.db.CreateTaxpayer(ctx, p))
		return p
	}
	w.otherTP = tp(w.other.ID, 1, "越界纳税人有限公司", 0)
	w.unassigned = tp(branch.ID, 2, "未分配纳税人有限公司", 0)
	w.otherContact = &taxsms.Contact{TaxpayerID: w.otherTP.ID, Role: taxsms.RoleTaxClerk, Name: "越界联系人", Mobile: "13700001111", Status: taxsms.ServiceActive}
	must(t, tc.db.CreateContact(ctx, w.otherContact))
	w.otherMsg = &taxsms.Message{Direction: taxsms.MT, Kind: taxsms.KindSpecial, Priority: taxsms.PriorityBulk, Mobile: "13700001111",
		Body: "越界消息正文", TaxpayerID: w.otherTP.ID, ContactID: w.otherContact.ID, OfficeID: w.other.ID, Segments: 1}
	must(t, tc.db.CreateMessage(ctx, w.otherMsg))
	key := &auth.APIKey{Name: "越界密钥", Hash: strings.Repeat("ab", 32), OfficeID: w.other.ID, Endpoints: []string{"GET /api/v1/taxpayers"}}
	must(t, tc.db.CreateAPIKey(ctx, key))
	w.otherKey = key.ID
	w.markers = []marker{
		{"越界分局", auth.DataOffices, w.other.Path, 0},
		{"越界用户", auth.DataUsers, w.other.Path, 0},
		{"越界纳税人有限公司", auth.DataTaxpayers, w.other.Path, 0},
		{"越界联系人", auth.DataTaxpayers, w.other.Path, 0},
		{"137****1111", auth.DataTaxpayers, w.other.Path, 0},
		{"越界消息正文", auth.DataMessages, w.other.Path, 0},
		{"未分配纳税人有限公司", auth.DataTaxpayers, branch.Path, 0},
	}
	for _, seg := range []struct {
		name string
		id   int64
	}{{"offices", w.other.ID}, {"users", w.otherUser.ID}, {"taxpayers", w.otherTP.ID}, {"contacts", w.otherContact.ID},
		{"messages", w.otherMsg.ID}, {"inbound", w.otherMsg.ID}, {"keys", w.otherKey}} {
		w.ids[seg.name] = strconv.FormatInt(seg.id, 10)
	}
	// The audit record of the other taxpayer's creation, by the system.
	head, err := tc.db.AuditHead(ctx)
	must(t, err)
	w.ids["audit"] = strconv.FormatInt(head.Seq, 10)
	return w
}

var wildcard = regexp.MustCompile(`\{[a-z_]+\}`)

// path returns the route's path with its wildcards filled with the other
// branch's record, and the kind of data that record is (or "" for a path
// with no wildcard).
func (w *walkCity) path(pattern string) (string, auth.Data) {
	_, p, _ := strings.Cut(pattern, " ")
	p = strings.TrimSuffix(p, "{$}")
	seg := strings.Split(strings.TrimPrefix(p, "/"), "/")[0]
	if !wildcard.MatchString(p) {
		return p, ""
	}
	id, ok := w.ids[seg]
	if !ok {
		id = "1"
	}
	data := map[string]auth.Data{"offices": auth.DataOffices, "users": auth.DataUsers, "taxpayers": auth.DataTaxpayers,
		"contacts": auth.DataTaxpayers, "messages": auth.DataMessages, "inbound": auth.DataMessages, "keys": auth.DataOffices,
		"audit": auth.DataAudit}[seg]
	return wildcard.ReplaceAllString(p, id), data
}

// TestConsole_ScopeWalk signs in as every role and walks every page of the
// console at a record of the other branch: a page needing a permission the
// role lacks is refused (403); no page shows a record outside the role's
// read scope; no form changes anything outside its write scope (the audit
// archive, which every store write appends to, stays as it was).
func TestConsole_ScopeWalk(t *testing.T) {
	tc := startConsole(t)
	w := newWalkCity(t, tc)
	ctx := context.Background()
	if len(tc.c.routes) < 10 {
		t.Fatalf("only %d console routes registered", len(tc.c.routes))
	}
	// The walk sees what it looks for: the city's administrator reads the
	// other branch, the first branch's administrator does not.
	for _, c := range []struct {
		role   taxsms.Role
		status int
		shows  bool
	}{{taxsms.RoleCityAdmin, 200, true}, {taxsms.RoleBranchAdmin, 403, false}} {
		b := tc.browser()
		b.mustSignIn(tc.users[c.role].Login)
		r := b.get("/offices/" + w.ids["offices"])
		if r.Status/100 != c.status/100 || strings.Contains(r.Body, "越界分局") != c.shows {
			t.Fatalf("%s: GET /offices/%s = %d, shows the office %v; want %d (or 404), %v", c.role, w.ids["offices"], r.Status,
				strings.Contains(r.Body, "越界分局"), c.status, c.shows)
		}
	}
	// Forms whose effect is on the signed-in user alone.
	own := map[string]bool{"POST /logout": true, "POST /lang": true, "POST /account/password": true, "POST /account/totp": true}
	for _, role := range taxsms.Roles {
		t.Run(string(role), func(t *testing.T) {
			u := tc.users[role]
			actor, err := tc.db.UserActor(ctx, u.ID)
			must(t, err)
			b := tc.browser()
			b.mustSignIn(u.Login)
			token := b.csrf("/account/password")
			for _, rt := range tc.c.routes {
				method, _, _ := strings.Cut(rt.Pattern, " ")
				if own[rt.Pattern] {
					continue
				}
				path, data := w.path(rt.Pattern)
				lacks := rt.Perm != "" && !actor.Has(rt.Perm)
				var r response
				before, err := tc.db.AuditHead(ctx)
				must(t, err)
				if method == http.MethodGet {
					r = b.get(path)
				} else {
					form := url.Values{"csrf_token": {token}, "reason": {"scope walk"}, "kind": {"contact"},
						"id": {w.ids["contacts"]}, "name": {"越权修改"}, "mobile": {"13800138000"}}
					r = b.post(path, form)
				}
				if r.Status >= 500 {
					t.Errorf("%s %s: %d", method, path, r.Status)
				}
				if lacks && r.Status != http.StatusForbidden {
					t.Errorf("%s %s without %s: %d, want 403", method, path, rt.Perm, r.Status)
				}
				for _, m := range w.markers {
					if !actor.Access(m.data).Read.Contains(m.path, m.owner) && strings.Contains(r.Body, m.text) {
						t.Errorf("%s %s shows %q, outside the scope of %s", method, path, m.text, role)
					}
				}
				if method != http.MethodGet {
					after, err := tc.db.AuditHead(ctx)
					must(t, err)
					outside := data != "" && !actor.Access(data).Write.Contains(w.other.Path, 0)
					if path == "/reveal" {
						outside = !actor.Access(auth.DataTaxpayers).Read.Contains(w.other.Path, 0)
					}
					if (lacks || outside) && after.Seq != before.Seq {
						t.Errorf("%s %s changed something outside the scope of %s (audit %d → %d)", method, path, role, before.Seq, after.Seq)
					}
				}
			}
		})
	}
}
