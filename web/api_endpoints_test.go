package web

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// apiCase is one request to an endpoint and what must come back.
type apiCase struct {
	name, actor, method, path, body string
	status                          int
	code                            string   // the error code, for an error
	field                           string   // the error's field, if it names one
	has                             []string // substrings of the answer
	hasNot                          []string // substrings the answer must not hold
}

func (f *fixture) run(t *testing.T, cases []apiCase) {
	t.Helper()
	for _, tt := range cases {
		t.Run(tt.name, func(t *testing.T) {
			code, b := f.do(tt.actor, tt.method, tt.path, tt.body)
			if code != tt.status {
				t.Fatalf("%s %s = %d %s, want %d", tt.method, tt.path, code, b, tt.status)
			}
			body := string(b)
			if tt.code != "" && !strings.Contains(body, `"code":"`+tt.code+`"`) {
				t.Errorf("answer %s, want code %s", body, tt.code)
			}
			if tt.field != "" && !strings.Contains(body, `"field":"`+tt.field+`"`) {
				t.Errorf("answer %s, want field %s", body, tt.field)
			}
			for _, s := range tt.has {
				if !strings.Contains(body, s) {
					t.Errorf("answer %s, want it to hold %s", body, s)
				}
			}
			for _, s := range tt.hasNot {
				if strings.Contains(body, s) {
					t.Errorf("answer %s holds %s", body, s)
				}
			}
		})
	}
}

func TestAPI_Taxpayers(t *testing.T) {
	eachEngine(t, func(t *testing.T, f *fixture) {
		idA, idB := fmt.Sprint(f.tpA.ID), fmt.Sprint(f.tpB.ID)
		newID := f.identifier()
		f.run(t, []apiCase{
			{name: "Unauthenticated", method: "GET", path: "/api/v1/taxpayers", status: 401, code: "unauthorized"},
			{name: "ListAll", actor: "city", method: "GET", path: "/api/v1/taxpayers", status: 200,
				has: []string{`"name":"甲公司"`, `"name":"乙公司"`, `"name":"丙公司"`}, hasNot: []string{`"next"`}},
			{name: "ListBranch", actor: "branchA", method: "GET", path: "/api/v1/taxpayers", status: 200,
				has: []string{`"name":"甲公司"`, `"name":"乙公司"`}, hasNot: []string{"丙公司"}},
			{name: "ListOperator", actor: "operatorA", method: "GET", path: "/api/v1/taxpayers", status: 200,
				has: []string{`"name":"甲公司"`}, hasNot: []string{"乙公司", "丙公司"}},
			{name: "ListKey", actor: "keyA", method: "GET", path: "/api/v1/taxpayers", status: 200,
				has: []string{"甲公司", "乙公司"}, hasNot: []string{"丙公司"}},
			{name: "ListMaintainer", actor: "maintainer", method: "GET", path: "/api/v1/taxpayers", status: 403, code: "forbidden"},
			{name: "FilterIdentifier", actor: "city", method: "GET", path: "/api/v1/taxpayers?identifier=" + f.tpB.Identifier, status: 200,
				has: []string{"丙公司"}, hasNot: []string{"甲公司"}},
			{name: "FilterName", actor: "city", method: "GET", path: "/api/v1/taxpayers?name=" + url.QueryEscape("乙"), status: 200,
				has: []string{"乙公司"}, hasNot: []string{"甲公司", "丙公司"}},
			{name: "FilterNamePrefix", actor: "city", method: "GET", path: "/api/v1/taxpayers?name_prefix=" + url.QueryEscape("丙"), status: 200,
				has: []string{"丙公司"}, hasNot: []string{"甲公司"}},
			{name: "FilterOffice", actor: "city", method: "GET", path: fmt.Sprintf("/api/v1/taxpayers?office=%d", f.stationA.ID), status: 200,
				has: []string{"乙公司"}, hasNot: []string{"甲公司", "丙公司"}},
			{name: "FilterOfficeOutOfScope", actor: "branchA", method: "GET", path: fmt.Sprintf("/api/v1/taxpayers?office=%d", f.branchB.ID), status: 404, code: "not_found"},
			{name: "FilterMobile", actor: "city", method: "GET", path: "/api/v1/taxpayers?mobile=" + url.QueryEscape("+86 "+f.contactB.Mobile), status: 200,
				has: []string{"丙公司"}, hasNot: []string{"甲公司"}},
			{name: "FilterBadMobile", actor: "city", method: "GET", path: "/api/v1/taxpayers?mobile=123", status: 400, code: "invalid", field: "mobile"},
			{name: "FilterUnknown", actor: "city", method: "GET", path: "/api/v1/taxpayers?colour=red", status: 400, code: "invalid", field: "colour"},
			{name: "BadLimit", actor: "city", method: "GET", path: "/api/v1/taxpayers?limit=501", status: 400, field: "limit"},
			{name: "BadCursor", actor: "city", method: "GET", path: "/api/v1/taxpayers?cursor=zzz", status: 400, field: "cursor"},
			{name: "CursorOfAnotherList", actor: "city", method: "GET", path: "/api/v1/taxpayers?cursor=" + encodeCursor("users", "1"), status: 400, field: "cursor"},

			{name: "Get", actor: "operatorA", method: "GET", path: "/api/v1/taxpayers/" + idA, status: 200,
				has: []string{`"identifier":"` + f.tpA.Identifier + `"`, `"registered_on":"2020-03-01"`, `"tax_types":["增值税"]`}},
			{name: "GetOutOfScope", actor: "operatorA", method: "GET", path: "/api/v1/taxpayers/" + idB, status: 404, code: "not_found", hasNot: []string{"丙公司"}},
			{name: "GetMissing", actor: "city", method: "GET", path: "/api/v1/taxpayers/999999", status: 404},
			{name: "GetBadID", actor: "city", method: "GET", path: "/api/v1/taxpayers/x", status: 404},

			{name: "Create", actor: "branchA", method: "POST", path: "/api/v1/taxpayers",
				body: `{"identifier":"` + newID + `","name":"丁公司","registered_on":"2024-05-06","industry":"软件"}`, status: 201,
				has: []string{fmt.Sprintf(`"office_id":%d`, f.branchA.ID), `"id_type":"uscc"`, `"reg_status":"registered"`}},
			{name: "CreateTaken", actor: "city", method: "POST", path: "/api/v1/taxpayers",
				body: `{"identifier":"` + newID + `","name":"丁公司","office_id":1}`, status: 409, code: "conflict"},
			{name: "CreateBadIdentifier", actor: "city", method: "POST", path: "/api/v1/taxpayers",
				body: `{"identifier":"12345","name":"x"}`, status: 400, field: "identifier"},
			{name: "CreateBadDate", actor: "city", method: "POST", path: "/api/v1/taxpayers",
				body: `{"identifier":"` + f.identifier() + `","name":"x","registered_on":"soon"}`, status: 400, field: "registered_on"},
			{name: "CreateUnknownField", actor: "city", method: "POST", path: "/api/v1/taxpayers",
				body: `{"identifier":"` + f.identifier() + `","name":"x","colour":"red"}`, status: 400, code: "invalid"},
			{name: "CreateOutOfScope", actor: "branchA", method: "POST", path: "/api/v1/taxpayers",
				body: fmt.Sprintf(`{"identifier":"%s","name":"x","office_id":%d}`, f.identifier(), f.branchB.ID), status: 403, code: "forbidden"},
			{name: "CreateAuditor", actor: "auditor", method: "POST", path: "/api/v1/taxpayers",
				body: `{"identifier":"` + f.identifier() + `","name":"x"}`, status: 403, code: "forbidden"},
			{name: "CreateOperatorOwn", actor: "operatorA", method: "POST", path: "/api/v1/taxpayers",
				body: `{"identifier":"` + f.identifier() + `","name":"戊公司"}`, status: 201,
				has: []string{fmt.Sprintf(`"admin_id":%d`, f.users["operatorA"].ID)}},

			{name: "Update", actor: "operatorA", method: "PATCH", path: "/api/v1/taxpayers/" + idA,
				body: `{"name":"甲公司（新）","remote_filer":true}`, status: 200, has: []string{`"name":"甲公司（新）"`, `"remote_filer":true`, `"registered_on":"2020-03-01"`}},
			{name: "UpdateOperatorMoves", actor: "operatorA", method: "PATCH", path: "/api/v1/taxpayers/" + idA,
				body: fmt.Sprintf(`{"office_id":%d}`, f.stationA.ID), status: 403, field: "office_id"},
			{name: "UpdateOutOfScope", actor: "branchA", method: "PATCH", path: "/api/v1/taxpayers/" + idB,
				body: `{"name":"x"}`, status: 404},
			{name: "UpdateMoveOutOfScope", actor: "branchA", method: "PATCH", path: "/api/v1/taxpayers/" + idA,
				body: fmt.Sprintf(`{"office_id":%d}`, f.branchB.ID), status: 403},
			{name: "UpdateCancelledNeedsDate", actor: "city", method: "PATCH", path: "/api/v1/taxpayers/" + idA,
				body: `{"reg_status":"cancelled"}`, status: 400, field: "cancelled_on"},
		})
	})
}

func TestAPI_Contacts(t *testing.T) {
	eachEngine(t, func(t *testing.T, f *fixture) {
		tpA, tpB := fmt.Sprint(f.tpA.ID), fmt.Sprint(f.tpB.ID)
		cA, cB := fmt.Sprint(f.contactA.ID), fmt.Sprint(f.contactB.ID)
		newMobile := f.mobile()
		f.run(t, []apiCase{
			{name: "List", actor: "operatorA", method: "GET", path: "/api/v1/taxpayers/" + tpA + "/contacts", status: 200,
				has: []string{`"role":"finance"`, `"mobile":"` + mask(f.contactA.Mobile) + `"`}, hasNot: []string{f.contactA.Mobile}},
			{name: "ListOutOfScope", actor: "operatorA", method: "GET", path: "/api/v1/taxpayers/" + tpB + "/contacts", status: 404},
			{name: "Get", actor: "keyA", method: "GET", path: "/api/v1/contacts/" + cA, status: 200,
				has: []string{`"history":[{`, `"status":"active"`}, hasNot: []string{f.contactA.Mobile}},
			{name: "GetOutOfScope", actor: "keyA", method: "GET", path: "/api/v1/contacts/" + cB, status: 404},
			{name: "GetMaintainer", actor: "maintainer", method: "GET", path: "/api/v1/contacts/" + cA, status: 403},

			{name: "Create", actor: "operatorA", method: "POST", path: "/api/v1/taxpayers/" + tpA + "/contacts",
				body: `{"role":"legal_rep","name":"张总","mobile":"+86 ` + newMobile + `"}`, status: 201,
				has: []string{`"status":"pending"`, `"status_channel":"window"`, `"mobile":"` + mask(newMobile) + `"`}, hasNot: []string{newMobile}},
			{name: "CreateSameRole", actor: "operatorA", method: "POST", path: "/api/v1/taxpayers/" + tpA + "/contacts",
				body: `{"role":"legal_rep","mobile":"` + f.mobile() + `"}`, status: 409, code: "conflict"},
			{name: "CreateBadMobile", actor: "operatorA", method: "POST", path: "/api/v1/taxpayers/" + tpA + "/contacts",
				body: `{"role":"tax_clerk","mobile":"1234"}`, status: 400, field: "mobile"},
			{name: "CreateCancelled", actor: "operatorA", method: "POST", path: "/api/v1/taxpayers/" + tpA + "/contacts",
				body: `{"role":"tax_clerk","mobile":"` + f.mobile() + `","status":"cancelled"}`, status: 400, field: "status"},
			{name: "CreateOutOfScope", actor: "branchA", method: "POST", path: "/api/v1/taxpayers/" + tpB + "/contacts",
				body: `{"role":"tax_clerk","mobile":"` + f.mobile() + `"}`, status: 404},
			{name: "CreateAuditor", actor: "auditor", method: "POST", path: "/api/v1/taxpayers/" + tpA + "/contacts",
				body: `{"role":"tax_clerk","mobile":"` + f.mobile() + `"}`, status: 403},

			{name: "Update", actor: "operatorA", method: "PATCH", path: "/api/v1/contacts/" + cA,
				body: `{"name":"李会计"}`, status: 200, has: []string{`"name":"李会计"`}},
			{name: "UpdateNumberRefused", actor: "operatorA", method: "PATCH", path: "/api/v1/contacts/" + cA,
				body: `{"mobile":"` + f.mobile() + `"}`, status: 400, field: "mobile"},
			{name: "UpdateStatusRefused", actor: "operatorA", method: "PATCH", path: "/api/v1/contacts/" + cA,
				body: `{"status":"active"}`, status: 400, field: "status"},
			{name: "UpdateChannelRefused", actor: "operatorA", method: "PATCH", path: "/api/v1/contacts/" + cA,
				body: `{"channel":"window"}`, status: 400, field: "channel"},
			{name: "UpdateOutOfScope", actor: "operatorA", method: "PATCH", path: "/api/v1/contacts/" + cB,
				body: `{"name":"x"}`, status: 404},

			{name: "Cancel", actor: "operatorA", method: "POST", path: "/api/v1/contacts/" + cA + "/cancel",
				body: `{"channel":"self_service","at":"2026-01-05T09:00:00+08:00"}`, status: 200,
				has: []string{`"status":"cancelled"`, `"status_channel":"self_service"`, `"status_since":"2026-01-05T01:00:00Z"`}},
			{name: "CancelAgain", actor: "operatorA", method: "POST", path: "/api/v1/contacts/" + cA + "/cancel", body: `{}`, status: 409, field: "status"},
			{name: "Activate", actor: "operatorA", method: "POST", path: "/api/v1/contacts/" + cA + "/activate", body: `{}`, status: 200,
				has: []string{`"status":"active"`, `"status":"cancelled"`}},
			{name: "ActivateAgain", actor: "operatorA", method: "POST", path: "/api/v1/contacts/" + cA + "/activate", body: `{}`, status: 409},
			{name: "ChangeNumber", actor: "operatorA", method: "POST", path: "/api/v1/contacts/" + cA + "/change-number",
				body: `{"mobile":"` + newMobile[:3] + " " + newMobile[3:7] + " 9999" + `"}`, status: 200,
				has: []string{`"mobile":"` + newMobile[:3] + `****9999"`, `"status":"active"`}},
			{name: "ChangeNumberSame", actor: "operatorA", method: "POST", path: "/api/v1/contacts/" + cA + "/change-number",
				body: `{"mobile":"` + newMobile[:7] + `9999"}`, status: 409, field: "mobile"},
			{name: "ChangeNumberBad", actor: "operatorA", method: "POST", path: "/api/v1/contacts/" + cA + "/change-number",
				body: `{"mobile":"0532"}`, status: 400, field: "mobile"},
			{name: "BadChannel", actor: "operatorA", method: "POST", path: "/api/v1/contacts/" + cA + "/cancel",
				body: `{"channel":"fax"}`, status: 400, field: "channel"},
			{name: "BadAt", actor: "operatorA", method: "POST", path: "/api/v1/contacts/" + cA + "/cancel",
				body: `{"at":"yesterday"}`, status: 400, field: "at"},
			{name: "CancelOutOfScope", actor: "branchA", method: "POST", path: "/api/v1/contacts/" + cB + "/cancel", body: `{}`, status: 404},
			{name: "CancelAuditor", actor: "auditor", method: "POST", path: "/api/v1/contacts/" + cB + "/cancel", body: `{}`, status: 403},
		})
	})
}

func TestAPI_Offices(t *testing.T) {
	eachEngine(t, func(t *testing.T, f *fixture) {
		oA, oB := fmt.Sprint(f.branchA.ID), fmt.Sprint(f.branchB.ID)
		f.run(t, []apiCase{
			{name: "ListAll", actor: "maintainer", method: "GET", path: "/api/v1/offices", status: 200,
				has: []string{"QD-A-1", "QD-B", `"path":"/1/"`}},
			{name: "ListBranch", actor: "branchA", method: "GET", path: "/api/v1/offices", status: 200,
				has: []string{`"code":"QD-A"`, "QD-A-1"}, hasNot: []string{"QD-B", `"code":"QD"`}},
			{name: "ListCode", actor: "city", method: "GET", path: "/api/v1/offices?code=QD-B", status: 200,
				has: []string{"QD-B"}, hasNot: []string{"QD-A"}},
			{name: "ListPage", actor: "city", method: "GET", path: "/api/v1/offices?limit=2", status: 200, has: []string{`"next":"`}},
			{name: "Get", actor: "operatorA", method: "GET", path: "/api/v1/offices/" + oA, status: 200, has: []string{"市南区税务局"}},
			{name: "GetOutOfScope", actor: "operatorA", method: "GET", path: "/api/v1/offices/" + oB, status: 404},
			{name: "Create", actor: "branchA", method: "POST", path: "/api/v1/offices",
				body: `{"code":"QD-A-2","name":"金门路税务所","phone":"0532-8000"}`, status: 201,
				has: []string{fmt.Sprintf(`"parent_id":%d`, f.branchA.ID)}},
			{name: "CreateTaken", actor: "city", method: "POST", path: "/api/v1/offices", body: `{"code":"QD-A-2","name":"x"}`, status: 409},
			{name: "CreateOutOfScope", actor: "branchA", method: "POST", path: "/api/v1/offices",
				body: fmt.Sprintf(`{"parent_id":%d,"code":"QD-B-9","name":"x"}`, f.branchB.ID), status: 400, field: "parent_id"},
			{name: "CreateOperator", actor: "operatorA", method: "POST", path: "/api/v1/offices", body: `{"code":"QD-A-3","name":"x"}`, status: 403},
			{name: "CreateBadCode", actor: "city", method: "POST", path: "/api/v1/offices", body: `{"code":"Q D","name":"x"}`, status: 400, field: "code"},
			{name: "Update", actor: "branchA", method: "PATCH", path: "/api/v1/offices/" + oA, body: `{"address":"香港中路1号"}`, status: 200,
				has: []string{"香港中路1号", `"code":"QD-A"`}},
			{name: "UpdateMove", actor: "city", method: "PATCH", path: "/api/v1/offices/" + oA, body: `{"parent_id":1}`, status: 400, field: "parent_id"},
			{name: "UpdateOutOfScope", actor: "branchA", method: "PATCH", path: "/api/v1/offices/" + oB, body: `{"name":"x"}`, status: 404},
			{name: "UpdateMaintainer", actor: "maintainer", method: "PATCH", path: "/api/v1/offices/" + oA, body: `{"name":"x"}`, status: 403},
			{name: "ListKeyNotListed", actor: "keyNone", method: "GET", path: "/api/v1/offices", status: 403},
		})
	})
}

func TestAPI_Users(t *testing.T) {
	eachEngine(t, func(t *testing.T, f *fixture) {
		opA, opB := fmt.Sprint(f.users["operatorA"].ID), fmt.Sprint(f.users["operatorB"].ID)
		f.run(t, []apiCase{
			{name: "ListCity", actor: "city", method: "GET", path: "/api/v1/users", status: 200,
				has: []string{`"login":"operatorB"`, `"login":"maintainer"`}, hasNot: []string{f.users["operatorB"].Mobile}},
			{name: "ListBranch", actor: "branchA", method: "GET", path: "/api/v1/users", status: 200,
				has: []string{`"login":"operatorA"`}, hasNot: []string{"operatorB", `"login":"city"`}},
			{name: "ListOperatorSelf", actor: "operatorA", method: "GET", path: "/api/v1/users", status: 200,
				has: []string{`"login":"operatorA"`}, hasNot: []string{"branchA"}},
			{name: "ListRole", actor: "city", method: "GET", path: "/api/v1/users?role=operator", status: 200,
				has: []string{"operatorA", "operatorB"}, hasNot: []string{"branchA"}},
			{name: "ListBadRole", actor: "city", method: "GET", path: "/api/v1/users?role=king", status: 400, field: "role"},
			{name: "ListPage", actor: "city", method: "GET", path: "/api/v1/users?limit=2", status: 200, has: []string{`"next":"`}},
			{name: "ListKey", actor: "keyA", method: "GET", path: "/api/v1/users", status: 403},
			{name: "Get", actor: "branchA", method: "GET", path: "/api/v1/users/" + opA, status: 200,
				has: []string{`"role":"operator"`, `"mobile":"138****`}},
			{name: "GetOutOfScope", actor: "branchA", method: "GET", path: "/api/v1/users/" + opB, status: 404},
			{name: "Create", actor: "branchA", method: "POST", path: "/api/v1/users",
				body: `{"login":"operatorA2","name":"小李","role":"operator","mobile":"13900001111"}`, status: 201,
				has: []string{fmt.Sprintf(`"office_id":%d`, f.branchA.ID), `"mobile":"139****1111"`, `"status":"active"`}},
			{name: "CreateTaken", actor: "city", method: "POST", path: "/api/v1/users",
				body: fmt.Sprintf(`{"login":"operatorA2","name":"x","role":"operator","office_id":%d}`, f.branchA.ID), status: 409},
			{name: "CreateBranchAdminByBranch", actor: "branchA", method: "POST", path: "/api/v1/users",
				body: `{"login":"boss","name":"x","role":"branch_admin"}`, status: 403, field: "role"},
			{name: "CreateOutOfScope", actor: "branchA", method: "POST", path: "/api/v1/users",
				body: fmt.Sprintf(`{"login":"spy","name":"x","role":"operator","office_id":%d}`, f.branchB.ID), status: 400, field: "office_id"},
			{name: "CreateOperator", actor: "operatorA", method: "POST", path: "/api/v1/users",
				body: `{"login":"x","name":"x","role":"operator"}`, status: 403},
			{name: "CreateBadLogin", actor: "city", method: "POST", path: "/api/v1/users",
				body: `{"login":"a b","name":"x","role":"operator","office_id":1}`, status: 400, field: "login"},
			{name: "Update", actor: "branchA", method: "PATCH", path: "/api/v1/users/" + opA, body: `{"name":"老王"}`, status: 200,
				has: []string{`"name":"老王"`, `"login":"operatorA"`}},
			{name: "UpdatePromote", actor: "branchA", method: "PATCH", path: "/api/v1/users/" + opA, body: `{"role":"branch_admin"}`, status: 403},
			{name: "UpdateSelfBranch", actor: "branchA", method: "PATCH", path: fmt.Sprintf("/api/v1/users/%d", f.users["branchA"].ID),
				body: `{"name":"x"}`, status: 403},
			{name: "UpdateOutOfScope", actor: "branchA", method: "PATCH", path: "/api/v1/users/" + opB, body: `{"name":"x"}`, status: 404},
			{name: "UpdateMoveOut", actor: "branchA", method: "PATCH", path: "/api/v1/users/" + opA,
				body: fmt.Sprintf(`{"office_id":%d}`, f.branchB.ID), status: 400, field: "office_id"},
			{name: "UpdateCity", actor: "city", method: "PATCH", path: "/api/v1/users/" + opB, body: `{"role":"branch_admin"}`, status: 200,
				has: []string{`"role":"branch_admin"`}},
		})
	})
}

func TestAPI_MessagesScoped(t *testing.T) {
	eachEngine(t, func(t *testing.T, f *fixture) {
		mA, mB := fmt.Sprint(f.msgA.ID), fmt.Sprint(f.msgB.ID)
		f.run(t, []apiCase{
			{name: "ListCity", actor: "city", method: "GET", path: "/api/v1/messages", status: 200,
				has: []string{"甲公司", "丙公司", `"mobile":"` + mask(f.contactA.Mobile) + `"`}, hasNot: []string{f.contactA.Mobile}},
			{name: "ListOperator", actor: "operatorA", method: "GET", path: "/api/v1/messages", status: 200,
				has: []string{"甲公司"}, hasNot: []string{"丙公司"}},
			{name: "ListKey", actor: "keyA", method: "GET", path: "/api/v1/messages?direction=mt&kind=special&status=queued", status: 200,
				has: []string{"甲公司"}, hasNot: []string{"丙公司"}},
			{name: "ListTaxpayer", actor: "city", method: "GET", path: "/api/v1/messages?taxpayer_id=" + fmt.Sprint(f.tpB.ID), status: 200,
				has: []string{"丙公司"}, hasNot: []string{"甲公司"}},
			{name: "ListMobile", actor: "city", method: "GET", path: "/api/v1/messages?mobile=" + f.contactA.Mobile, status: 200,
				has: []string{"甲公司"}, hasNot: []string{"丙公司"}},
			{name: "ListBadStatus", actor: "city", method: "GET", path: "/api/v1/messages?status=lost", status: 400, field: "status"},
			{name: "ListBadKind", actor: "city", method: "GET", path: "/api/v1/messages?kind=spam", status: 400, field: "kind"},
			{name: "ListMaintainer", actor: "maintainer", method: "GET", path: "/api/v1/messages", status: 403},
			{name: "Get", actor: "branchA", method: "GET", path: "/api/v1/messages/" + mA, status: 200, has: []string{`"timeline":[`}},
			{name: "GetOutOfScope", actor: "branchA", method: "GET", path: "/api/v1/messages/" + mB, status: 404},
			{name: "PostKey", actor: "keyA", method: "POST", path: "/api/v1/messages",
				body: `{"mobile":"13900002222","body":"会议通知"}`, status: 201, has: []string{`"created":true`}},
			{name: "PostKeyOtherOffice", actor: "keyA", method: "POST", path: "/api/v1/messages",
				body: fmt.Sprintf(`{"mobile":"13900002222","body":"x","office_id":%d}`, f.branchB.ID), status: 403},
			{name: "PostKeyOtherTaxpayer", actor: "keyA", method: "POST", path: "/api/v1/messages",
				body: fmt.Sprintf(`{"mobile":"13900002222","body":"x","taxpayer_id":%d}`, f.tpB.ID), status: 400, field: "taxpayer_id"},
			{name: "PostContactOfAnother", actor: "city", method: "POST", path: "/api/v1/messages",
				body: fmt.Sprintf(`{"mobile":"13900002222","body":"x","taxpayer_id":%d,"contact_id":%d}`, f.tpA.ID, f.contactB.ID), status: 400, field: "contact_id"},
			{name: "PostOperatorOwn", actor: "operatorA", method: "POST", path: "/api/v1/messages",
				body: fmt.Sprintf(`{"mobile":"13900002222","body":"请及时申报","contact_id":%d}`, f.contactA.ID), status: 201},
			{name: "PostOperatorNoTaxpayer", actor: "operatorA", method: "POST", path: "/api/v1/messages",
				body: `{"mobile":"13900002222","body":"x"}`, status: 403, field: "taxpayer_id"},
			{name: "PostOperatorOther", actor: "operatorA", method: "POST", path: "/api/v1/messages",
				body: fmt.Sprintf(`{"mobile":"13900002222","body":"x","taxpayer_id":%d}`, f.tpA2.ID), status: 400, field: "taxpayer_id"},
			{name: "PostAuditor", actor: "auditor", method: "POST", path: "/api/v1/messages", body: `{"mobile":"13900002222","body":"x"}`, status: 403},
			{name: "PostMaintainer", actor: "maintainer", method: "POST", path: "/api/v1/messages", body: `{"mobile":"13900002222","body":"x"}`, status: 403},
		})
	})
}

func mask(m string) string { return m[:3] + "****" + m[7:] }

// pages follows the cursors of a list from path (which holds a limit) and
// returns the ids of the items in order, and how many pages it took.
func (f *fixture) pages(actor, path string) (ids []float64, pages int) {
	f.t.Helper()
	next := path
	for next != "" {
		code, out := f.json(actor, "GET", next, "")
		if code != http.StatusOK {
			f.t.Fatalf("GET %s = %d %v", next, code, out)
		}
		pages++
		for _, it := range out["items"].([]any) {
			ids = append(ids, it.(map[string]any)["id"].(float64))
		}
		next = ""
		if c, ok := out["next"].(string); ok {
			sep := "?"
			if strings.Contains(path, "?") {
				sep = "&"
			}
			next = path + sep + "cursor=" + url.QueryEscape(c)
		}
		if pages > 100 {
			f.t.Fatalf("GET %s: over 100 pages", path)
		}
	}
	return ids, pages
}

func TestAPI_Paging(t *testing.T) {
	eachEngine(t, func(t *testing.T, f *fixture) {
		for i := range 7 {
			f.taxpayer(f.branchA, 0, fmt.Sprintf("分页%d", i))
			f.message(f.tpA, f.contactA)
			f.office(f.stationA.ID, fmt.Sprintf("P%d", i), "分页")
		}
		for _, tt := range []struct {
			actor, list string
			limit       int
			newestFirst bool
		}{
			{"city", "/api/v1/taxpayers", 3, false},
			{"branchA", "/api/v1/taxpayers?office=" + fmt.Sprint(f.branchA.ID), 4, false},
			{"operatorA", "/api/v1/messages", 2, true},
			{"city", "/api/v1/messages?taxpayer_id=" + fmt.Sprint(f.tpA.ID), 5, true},
			{"branchA", "/api/v1/offices", 3, false},
			{"city", "/api/v1/offices?office=" + fmt.Sprint(f.stationA.ID), 1, false},
			{"city", "/api/v1/users", 2, false},
		} {
			t.Run(tt.actor+tt.list, func(t *testing.T) {
				sep := "?"
				if strings.Contains(tt.list, "?") {
					sep = "&"
				}
				all, _ := f.pages(tt.actor, tt.list+sep+"limit=500")
				got, pages := f.pages(tt.actor, fmt.Sprintf("%s%slimit=%d", tt.list, sep, tt.limit))
				if fmt.Sprint(got) != fmt.Sprint(all) {
					t.Errorf("paged by %d: %v, want %v", tt.limit, got, all)
				}
				if want := (len(all) + tt.limit - 1) / tt.limit; pages != want && pages != want+1 {
					t.Errorf("%d items in %d pages of %d", len(all), pages, tt.limit)
				}
				if len(all) < 2 {
					t.Fatalf("only %d items: the test proves nothing", len(all))
				}
				if tt.newestFirst && all[0] < all[1] {
					t.Errorf("ids %v, want newest first", all)
				}
			})
		}
	})
}
