package web

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"

	"taxsms"
	"taxsms/auth"
)

// record is one seeded record as the scope model sees it.
type record struct {
	data   auth.Data
	path   string // the Path of its office
	owner  int64  // the user it is assigned to (taxpayers: the administrator; users: itself)
	marker string // text that appears in an answer only if the record is shown
	// visible, if set, replaces readable for the check that no answer
	// shows the record.
	visible func(a *auth.Actor) bool
}

// readable and writable are the scope model: what auth.Access says an
// actor may read and change, independent of the store's SQL.
func readable(a *auth.Actor, r record) bool { return a.Access(r.data).Read.Contains(r.path, r.owner) }
func writable(a *auth.Actor, r record) bool { return a.Access(r.data).Write.Contains(r.path, r.owner) }
func levelNone(s auth.Scope) bool           { return s.Level == auth.LevelNone }
func statusIn(code int, codes ...int) bool  { return slices.Contains(codes, code) }
func (f *fixture) officeRec(o *taxsms.Office) record {
	return record{auth.DataOffices, o.Path, 0, `"code":"` + o.Code + `"`, nil}
}

func (f *fixture) taxpayerRec(t *taxsms.Taxpayer) record {
	return record{auth.DataTaxpayers, f.pathOf(t.OfficeID), t.AdminID, t.Identifier, nil}
}

func (f *fixture) contactRec(c *taxsms.Contact, t *taxsms.Taxpayer) record {
	return record{auth.DataTaxpayers, f.pathOf(t.OfficeID), t.AdminID, `"mobile":"` + mask(c.Mobile) + `"`, nil}
}

func (f *fixture) userRec(login string) record {
	u := f.users[login]
	return record{auth.DataUsers, f.pathOf(u.OfficeID), u.ID, `"login":"` + login + `"`, nil}
}

func (f *fixture) messageRec(m *taxsms.Message, t *taxsms.Taxpayer) record {
	return record{auth.DataMessages, f.pathOf(m.OfficeID), t.AdminID, m.Body, nil}
}

func (f *fixture) pathOf(officeID int64) string {
	for _, o := range []*taxsms.Office{f.city, f.branchA, f.stationA, f.branchB} {
		if o.ID == officeID {
			return o.Path
		}
	}
	f.t.Fatalf("no office %d", officeID)
	return ""
}

// walkStep is how the walk calls one route on one side: a record of branch
// A, or one of branch B.
type walkStep struct {
	// kind is "list", "get", "write", "create", or "bulk": a write that
	// only an actor writing every record of the route's data may make.
	kind string
	// req returns the path and body of the call on side 0 (A) or 1 (B).
	req func(side int) (path, body string)
	// target is the record the call reads or changes (for a create: the
	// record it is made under).
	target func(side int) record
}

// walkSteps describes every route of the API for the walk. A route
// missing here fails TestAPI_ScopeWalk.
func (f *fixture) walkSteps() map[string]walkStep {
	tps := [2]*taxsms.Taxpayer{f.tpA, f.tpB}
	cs := [2]*taxsms.Contact{f.contactA, f.contactB}
	offices := [2]*taxsms.Office{f.branchA, f.branchB}
	logins := [2]string{"operatorA", "operatorB"}
	msgs := [2]*taxsms.Message{f.msgA, f.msgB}
	tp := func(side int) record { return f.taxpayerRec(tps[side]) }
	ct := func(side int) record { return f.contactRec(cs[side], tps[side]) }
	of := func(side int) record { return f.officeRec(offices[side]) }
	us := func(side int) record { return f.userRec(logins[side]) }
	ms := func(side int) record { return f.messageRec(msgs[side], tps[side]) }
	n := 0
	fresh := func() int { n++; return n }
	steps := map[string]walkStep{
		"GET /api/v1/taxpayers": {"list", func(side int) (string, string) {
			return fmt.Sprintf("/api/v1/taxpayers?office=%d", offices[side].ID), ""
		}, of},
		"POST /api/v1/taxpayers": {"create", func(side int) (string, string) {
			return "/api/v1/taxpayers", fmt.Sprintf(`{"identifier":"%s","name":"走查%d","office_id":%d,"admin_id":%d}`,
				f.identifier(), fresh(), offices[side].ID, f.users[logins[side]].ID)
		}, func(side int) record {
			r := of(side)
			r.data, r.owner = auth.DataTaxpayers, f.users[logins[side]].ID
			return r
		}},
		"GET /api/v1/taxpayers/{id}": {"get", func(side int) (string, string) {
			return fmt.Sprintf("/api/v1/taxpayers/%d", tps[side].ID), ""
		}, tp},
		"PATCH /api/v1/taxpayers/{id}": {"write", func(side int) (string, string) {
			return fmt.Sprintf("/api/v1/taxpayers/%d", tps[side].ID), `{"industry":"制造业"}`
		}, tp},
		"GET /api/v1/taxpayers/{id}/contacts": {"get", func(side int) (string, string) {
			return fmt.Sprintf("/api/v1/taxpayers/%d/contacts", tps[side].ID), ""
		}, ct},
		"POST /api/v1/taxpayers/{id}/contacts": {"create", func(side int) (string, string) {
			return fmt.Sprintf("/api/v1/taxpayers/%d/contacts", tps[side].ID), fmt.Sprintf(`{"role":"tax_clerk","mobile":"%s"}`, f.mobile())
		}, tp},
		"GET /api/v1/contacts/{id}": {"get", func(side int) (string, string) {
			return fmt.Sprintf("/api/v1/contacts/%d", cs[side].ID), ""
		}, ct},
		"PATCH /api/v1/contacts/{id}": {"write", func(side int) (string, string) {
			return fmt.Sprintf("/api/v1/contacts/%d", cs[side].ID), fmt.Sprintf(`{"name":"走查%d"}`, fresh())
		}, ct},
		"POST /api/v1/contacts/{id}/activate": {"write", func(side int) (string, string) {
			return fmt.Sprintf("/api/v1/contacts/%d/activate", cs[side].ID), `{}`
		}, ct},
		"POST /api/v1/contacts/{id}/change-number": {"write", func(side int) (string, string) {
			return fmt.Sprintf("/api/v1/contacts/%d/change-number", cs[side].ID), fmt.Sprintf(`{"mobile":"139%08d"}`, fresh())
		}, ct},
		"POST /api/v1/contacts/{id}/cancel": {"write", func(side int) (string, string) {
			return fmt.Sprintf("/api/v1/contacts/%d/cancel", cs[side].ID), `{"channel":"system"}`
		}, ct},
		"GET /api/v1/offices": {"list", func(side int) (string, string) {
			return fmt.Sprintf("/api/v1/offices?office=%d", offices[side].ID), ""
		}, of},
		"POST /api/v1/offices": {"create", func(side int) (string, string) {
			return "/api/v1/offices", fmt.Sprintf(`{"parent_id":%d,"code":"W%d","name":"走查"}`, offices[side].ID, fresh())
		}, of},
		"GET /api/v1/offices/{id}": {"get", func(side int) (string, string) {
			return fmt.Sprintf("/api/v1/offices/%d", offices[side].ID), ""
		}, of},
		"PATCH /api/v1/offices/{id}": {"write", func(side int) (string, string) {
			return fmt.Sprintf("/api/v1/offices/%d", offices[side].ID), fmt.Sprintf(`{"address":"走查%d"}`, fresh())
		}, of},
		"GET /api/v1/users": {"list", func(side int) (string, string) {
			return fmt.Sprintf("/api/v1/users?office=%d", offices[side].ID), ""
		}, of}, // the filter's office must be one the actor may read
		"POST /api/v1/users": {"create", func(side int) (string, string) {
			return "/api/v1/users", fmt.Sprintf(`{"login":"walk%d","name":"走查","role":"operator","office_id":%d}`, fresh(), offices[side].ID)
		}, func(side int) record { r := of(side); r.data = auth.DataUsers; return r }},
		"GET /api/v1/users/{id}": {"get", func(side int) (string, string) {
			return fmt.Sprintf("/api/v1/users/%d", f.users[logins[side]].ID), ""
		}, us},
		"PATCH /api/v1/users/{id}": {"write", func(side int) (string, string) {
			return fmt.Sprintf("/api/v1/users/%d", f.users[logins[side]].ID), fmt.Sprintf(`{"name":"走查%d"}`, fresh())
		}, us},
		"GET /api/v1/keys": {"list", func(int) (string, string) { return "/api/v1/keys", "" },
			func(int) record { return of(0) }},
		"POST /api/v1/keys": {"create", func(side int) (string, string) {
			return "/api/v1/keys", fmt.Sprintf(`{"name":"walk %d","office_id":%d,"endpoints":["GET /api/v1/taxpayers"]}`, fresh(), offices[side].ID)
		}, of},
		"POST /api/v1/keys/{id}/revoke": {"write", func(side int) (string, string) {
			return fmt.Sprintf("/api/v1/keys/%d/revoke", f.keys[side].ID), ""
		}, of},
		"GET /api/v1/messages": {"list", func(side int) (string, string) {
			return fmt.Sprintf("/api/v1/messages?taxpayer_id=%d", tps[side].ID), ""
		}, tp}, // the filter's taxpayer must be one the actor may read
		"POST /api/v1/messages": {"create", func(side int) (string, string) {
			return "/api/v1/messages", fmt.Sprintf(`{"mobile":"13900000000","body":"走查%d","taxpayer_id":%d}`, fresh(), tps[side].ID)
		}, tp},
		"GET /api/v1/messages/{id}": {"get", func(side int) (string, string) {
			return fmt.Sprintf("/api/v1/messages/%d", msgs[side].ID), ""
		}, ms},
	}
	for _, action := range []string{"cancel", "hold", "release"} {
		steps["POST /api/v1/messages/{id}/"+action] = walkStep{"write", func(side int) (string, string) {
			return fmt.Sprintf("/api/v1/messages/%d/%s", msgs[side].ID, action), `{"reason":"walk"}`
		}, ms}
		// The office selector must name an office the caller may read;
		// what changes is what it may change there.
		steps["POST /api/v1/outbox/"+action] = walkStep{"write", func(side int) (string, string) {
			return "/api/v1/outbox/" + action, fmt.Sprintf(`{"office_id":%d}`, offices[side].ID)
		}, func(side int) record {
			return record{auth.DataMessages, offices[side].Path, f.users[logins[side]].ID, "", nil}
		}}
	}
	f.taxDataSteps(steps)
	f.billingSteps(steps)
	f.reportSteps(steps)
	f.campaignSteps(steps)
	return steps
}

// snapshot returns every record of the database, as the system sees it,
// with its update time: any write changes it.
func (f *fixture) snapshot() string {
	f.t.Helper()
	ctx := context.Background()
	var parts []any
	add := func(v any, err error) {
		if err != nil {
			f.t.Fatal(err)
		}
		parts = append(parts, v)
	}
	add(f.db.ListOffices(ctx, taxsms.OfficeFilter{Limit: 1000}))
	add(f.db.ListUsers(ctx, taxsms.UserFilter{Limit: 1000}))
	tps, err := f.db.ListTaxpayers(ctx, taxsms.TaxpayerFilter{Limit: 1000})
	add(tps, err)
	for _, t := range tps {
		add(f.db.ListContacts(ctx, t.ID))
	}
	add(f.db.ListMessages(ctx, taxsms.MessageFilter{Limit: 1000}))
	add(f.db.ListCampaigns(ctx, taxsms.CampaignFilter{Limit: 1000}))
	b, err := json.Marshal(parts)
	if err != nil {
		f.t.Fatal(err)
	}
	return string(b)
}

// TestAPI_ScopeWalk calls every route of the API as every role (and as API
// keys), on a record of branch A and one of branch B, and checks each answer
// against the scope model of package auth: a read outside the actor's scope
// is 404 (403 where the role reaches none of that data), a write it may not
// make is 403 or 404, a refused call changes nothing in the database, and no
// answer shows a record the actor may not read. The maintainer reaches no
// taxpayer data at all.
func TestAPI_ScopeWalk(t *testing.T) {
	eachEngine(t, func(t *testing.T, f *fixture) {
		steps := f.walkSteps()
		var seeded []record
		for _, o := range []*taxsms.Office{f.city, f.branchA, f.stationA, f.branchB} {
			seeded = append(seeded, f.officeRec(o))
		}
		for login := range f.users {
			seeded = append(seeded, f.userRec(login))
		}
		seeded = append(seeded, f.taxpayerRec(f.tpA), f.taxpayerRec(f.tpA2), f.taxpayerRec(f.tpB),
			f.contactRec(f.contactA, f.tpA), f.contactRec(f.contactB, f.tpB), f.messageRec(f.msgA, f.tpA), f.messageRec(f.msgB, f.tpB),
			f.campaignRec(0), f.campaignRec(1))
		for _, k := range f.keys {
			r := record{auth.DataOffices, k.OfficePath, 0, `"name":"` + k.Name + `"`, nil}
			r.visible = func(a *auth.Actor) bool { return a.Has(auth.PermManageAPIKeys) && writable(a, r) }
			seeded = append(seeded, r)
		}

		actors := []string{"city", "auditor", "maintainer", "branchA", "operatorA", "keyA", "keyNone"}
		calls, allowed := 0, 0
		for _, rt := range (&Server{}).apiRoutes() {
			if rt.Public {
				continue
			}
			step, ok := steps[rt.Pattern]
			if !ok {
				t.Errorf("route %s is not walked: add it to walkSteps", rt.Pattern)
				continue
			}
			method, _, _ := strings.Cut(rt.Pattern, " ")
			for _, name := range actors {
				a := f.actors[name]
				for side := range 2 {
					path, body := step.req(side)
					target := step.target(side)
					acc := a.Access(rt.Data)
					before := f.snapshot()
					code, out := f.do(name, method, path, body)
					calls++
					where := fmt.Sprintf("%s as %s on branch %c: %s %s", rt.Pattern, name, "AB"[side], path, body)

					denied := !a.CanCall(method, rt.Pattern) || levelNone(acc.Read) || rt.Perm != "" && !a.Has(rt.Perm) ||
						(step.kind == "write" || step.kind == "create" || step.kind == "bulk") && levelNone(acc.Write)
					var want []int
					switch {
					case denied:
						want = []int{403}
					case step.kind == "list":
						want = []int{200}
						if !readable(a, target) {
							want = []int{404} // the office filter names an office out of scope
						}
					case step.kind == "get":
						want = []int{404}
						if readable(a, target) {
							want = []int{200}
						}
					case step.kind == "write":
						switch {
						case !readable(a, target):
							want = []int{404}
						case !writable(a, target):
							want = []int{403}
						default:
							want = []int{200, 409}
						}
					case step.kind == "bulk":
						want = []int{403}
						if acc.Write.Level == auth.LevelAll {
							want = []int{200}
							if method == "DELETE" {
								want = []int{204}
							}
						}
					case step.kind == "create":
						want = []int{400, 403, 404}
						if writable(a, target) {
							want = []int{201, 409}
						}
					}
					if !statusIn(code, want...) {
						t.Errorf("%s = %d %s, want %v", where, code, out, want)
					}
					if code >= 300 {
						if after := f.snapshot(); after != before {
							t.Errorf("%s = %d, yet the database changed", where, code)
						}
					}
					if code < 300 {
						allowed++
					}
					for _, r := range seeded {
						shown := readable(a, r)
						if r.visible != nil {
							shown = r.visible(a)
						}
						if !shown && strings.Contains(string(out), r.marker) {
							t.Errorf("%s shows %s, which %s may not read: %s", where, r.marker, name, out)
						}
					}
					if name == "maintainer" && rt.Data == auth.DataTaxpayers || name == "maintainer" && rt.Data == auth.DataMessages {
						if code != 403 {
							t.Errorf("%s = %d, want 403: the maintainer reaches no taxpayer data", where, code)
						}
					}
				}
			}
		}
		if allowed == 0 || allowed == calls {
			t.Errorf("%d of %d calls allowed: the walk proves nothing", allowed, calls)
		}
		t.Logf("%d calls, %d allowed", calls, allowed)
	})
}
