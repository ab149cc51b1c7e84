package web

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"taxsms"
	"taxsms/auth"
	"taxsms/calendar"
	"taxsms/campaign"
	"taxsms/store"
)

// walkTemplate is a clean text: tax vocabulary, no link, no number.
const walkTemplate = "尊敬的{name}：请于本月15日前办理纳税申报。"

// campaignTitle marks the campaigns of a side in answers.
func campaignTitle(side int) string { return "走查广播" + string("AB"[side]) }

// freshCampaign returns a new campaign of side's operator, on behalf of
// its branch, to its own taxpayers, moved straight to state st by the
// platform.
func (f *fixture) freshCampaign(side int, st taxsms.CampaignState) *taxsms.Campaign {
	f.t.Helper()
	ops := [2]string{"operatorA", "operatorB"}
	offices := [2]*taxsms.Office{f.branchA, f.branchB}
	op := f.users[ops[side]]
	ctx := auth.NewContext(context.Background(), f.actors[ops[side]])
	c := &taxsms.Campaign{OfficeID: offices[side].ID, Kind: taxsms.KindSpecial, Title: campaignTitle(side), Template: walkTemplate,
		Audience: taxsms.Audience{Type: taxsms.AudienceTaxpayers, AdminID: op.ID}}
	if err := (&campaign.Service{DB: f.db}).Create(ctx, c); err != nil {
		f.t.Fatal(err)
	}
	if st != taxsms.CampaignDraft {
		var err error
		c, err = f.db.MoveCampaign(context.Background(), c.ID, store.CampaignMove{From: []taxsms.CampaignState{taxsms.CampaignDraft}, To: st, Detail: "fixture"})
		if err != nil {
			f.t.Fatal(err)
		}
	}
	return c
}

// campaignRec is the scope model's view of side's campaigns.
func (f *fixture) campaignRec(side int) record {
	ops := [2]string{"operatorA", "operatorB"}
	offices := [2]*taxsms.Office{f.branchA, f.branchB}
	return record{auth.DataMessages, offices[side].Path, f.users[ops[side]].ID, `"title":"` + campaignTitle(side) + `"`, nil}
}

// campaignSteps adds the broadcasts' routes to the scope walk. Each call
// acts on a campaign made for it in the state the act needs, so that an
// act allowed succeeds.
func (f *fixture) campaignSteps(steps map[string]walkStep) {
	ctx := context.Background()
	offices := [2]*taxsms.Office{f.branchA, f.branchB}
	tps := [2]*taxsms.Taxpayer{f.tpA, f.tpB}
	ops := [2]string{"operatorA", "operatorB"}
	var lists [2]*taxsms.RecipientList
	for side := range 2 {
		// A taxpayer of the operator's whom no other step touches, so that
		// every campaign has a recipient.
		f.contact(f.taxpayer(offices[side], f.users[ops[side]].ID, "走查户"+string("AB"[side])))
		lists[side] = &taxsms.RecipientList{OfficeID: offices[side].ID, Name: "走查名单"}
		if err := f.db.CreateRecipientList(auth.NewContext(ctx, f.actors[ops[side]]), lists[side], []store.ListEntry{{TaxpayerID: tps[side].ID}}); err != nil {
			f.t.Fatal(err)
		}
	}
	cm := f.campaignRec
	n := 0
	act := func(st taxsms.CampaignState, act, body string) walkStep {
		return walkStep{"write", func(side int) (string, string) {
			return fmt.Sprintf("/api/v1/campaigns/%d/%s", f.freshCampaign(side, st).ID, act), body
		}, cm}
	}
	read := func(suffix string) walkStep {
		return walkStep{"get", func(side int) (string, string) {
			return fmt.Sprintf("/api/v1/campaigns/%d%s", f.freshCampaign(side, taxsms.CampaignDraft).ID, suffix), ""
		}, cm}
	}
	steps["GET /api/v1/campaigns"] = walkStep{"list", func(side int) (string, string) {
		return fmt.Sprintf("/api/v1/campaigns?office=%d", offices[side].ID), ""
	}, func(side int) record { return f.officeRec(offices[side]) }}
	steps["POST /api/v1/campaigns"] = walkStep{"create", func(side int) (string, string) {
		return "/api/v1/campaigns", fmt.Sprintf(`{"office_id":%d,"title":"%s","template":"%s","audience":{"type":"taxpayers","admin_id":%d}}`,
			offices[side].ID, campaignTitle(side), walkTemplate, f.users[ops[side]].ID)
	}, cm}
	steps["GET /api/v1/campaigns/{id}"] = read("")
	steps["PATCH /api/v1/campaigns/{id}"] = walkStep{"write", func(side int) (string, string) {
		n++
		return fmt.Sprintf("/api/v1/campaigns/%d", f.freshCampaign(side, taxsms.CampaignDraft).ID),
			fmt.Sprintf(`{"template":"请于本月15日前办理纳税申报（%d）。"}`, n)
	}, cm}
	steps["POST /api/v1/campaigns/{id}/check"] = read("/check")
	steps["GET /api/v1/campaigns/{id}/estimate"] = read("/estimate")
	steps["GET /api/v1/campaigns/{id}/report"] = read("/report")
	steps["GET /api/v1/campaigns/{id}/report.xlsx"] = read("/report.xlsx")
	steps["POST /api/v1/campaigns/{id}/submit"] = act(taxsms.CampaignDraft, "submit", "")
	steps["POST /api/v1/campaigns/{id}/approve"] = act(taxsms.CampaignPending, "approve", `{}`)
	steps["POST /api/v1/campaigns/{id}/reject"] = act(taxsms.CampaignPending, "reject", `{"reason":"走查"}`)
	steps["POST /api/v1/campaigns/{id}/schedule"] = act(taxsms.CampaignApproved, "schedule", `{"at":"2026-12-07T09:00:00+08:00"}`)
	steps["POST /api/v1/campaigns/{id}/pause"] = act(taxsms.CampaignScheduled, "pause", `{"reason":"走查"}`)
	steps["POST /api/v1/campaigns/{id}/resume"] = act(taxsms.CampaignPaused, "resume", "")
	steps["POST /api/v1/campaigns/{id}/cancel"] = act(taxsms.CampaignDraft, "cancel", `{"reason":"走查"}`)

	// A list names a taxpayer, which the caller must reach.
	steps["POST /api/v1/recipient-lists"] = walkStep{"create", func(side int) (string, string) {
		return "/api/v1/recipient-lists", fmt.Sprintf(`{"name":"走查名单","office_id":%d,"identifiers":["%s"]}`, offices[side].ID, tps[side].Identifier)
	}, func(side int) record { return f.taxpayerRec(tps[side]) }}
	steps["GET /api/v1/recipient-lists/{id}"] = walkStep{"get", func(side int) (string, string) {
		return fmt.Sprintf("/api/v1/recipient-lists/%d", lists[side].ID), ""
	}, cm}

	steps["GET /api/v1/offices/{id}/approval-rule"] = walkStep{"get", func(side int) (string, string) {
		return fmt.Sprintf("/api/v1/offices/%d/approval-rule", offices[side].ID), ""
	}, func(side int) record { return f.officeRec(offices[side]) }}
	steps["PUT /api/v1/offices/{id}/approval-rule"] = walkStep{"write", func(side int) (string, string) {
		return fmt.Sprintf("/api/v1/offices/%d/approval-rule", offices[side].ID), `{"always":true,"emergency_approval":true}`
	}, func(side int) record { return f.officeRec(offices[side]) }}
	steps["GET /api/v1/users/{id}/groups"] = walkStep{"get", func(side int) (string, string) {
		return fmt.Sprintf("/api/v1/users/%d/groups", f.users[ops[side]].ID), ""
	}, func(side int) record { return f.userRec(ops[side]) }}
	steps["PUT /api/v1/users/{id}/groups"] = walkStep{"write", func(side int) (string, string) {
		n++
		return fmt.Sprintf("/api/v1/users/%d/groups", f.users[ops[side]].ID), fmt.Sprintf(`{"groups":["走查组%d"]}`, n)
	}, func(side int) record { return f.userRec(ops[side]) }}
}

// campaignOutOf decodes a campaign answer.
func campaignOutOf(t *testing.T, b []byte) campaignOut {
	t.Helper()
	var c campaignOut
	if err := json.Unmarshal(b, &c); err != nil {
		t.Fatalf("%s: %v", b, err)
	}
	return c
}

// TestAPI_CampaignLife takes a broadcast through the API from draft to
// report: composed by an operator for its taxpayers, checked, estimated,
// submitted, approved by its branch administrator, scheduled, expanded by
// the scheduler, paused (its queued messages held), resumed and reported.
func TestAPI_CampaignLife(t *testing.T) {
	eachEngine(t, func(t *testing.T, f *fixture) {
		ctx := context.Background()
		// A second contact of the operator's taxpayer, so that the
		// campaign has two messages.
		must(t, f.db.CreateContact(ctx, &taxsms.Contact{TaxpayerID: f.tpA.ID, Role: taxsms.RoleTaxClerk, Name: "李办税", Mobile: f.mobile(), Status: taxsms.ServiceActive}))
		opID := f.users["operatorA"].ID
		code, b := f.do("operatorA", "POST", "/api/v1/campaigns",
			fmt.Sprintf(`{"title":"征期提醒","template":"%s","audience":{"type":"taxpayers","admin_id":%d}}`, walkTemplate, opID))
		if code != 201 {
			t.Fatalf("create = %d %s", code, b)
		}
		c := campaignOutOf(t, b)
		if c.State != "draft" || c.OfficeID != f.branchA.ID || c.Kind != "special" || c.AuthorID != opID || len(c.History) != 1 {
			t.Errorf("created = %+v, want a special draft of branch A by the operator with one event", c)
		}
		path := fmt.Sprintf("/api/v1/campaigns/%d", c.ID)

		code, est := f.json("operatorA", "GET", path+"/estimate", "")
		if code != 200 || est["recipients"] != float64(2) || est["needs_approval"] != true {
			t.Errorf("estimate = %d %v, want 2 recipients needing approval", code, est)
		}
		if p, _ := est["preview"].(map[string]any); !strings.Contains(fmt.Sprint(p["text"]), "回TD退订") {
			t.Errorf("preview = %v, want the opt-out line", p)
		}
		code, chk := f.json("operatorA", "POST", path+"/check", "")
		if code != 200 || chk["clean"] != true {
			t.Errorf("check = %d %v, want clean", code, chk)
		}
		f.run(t, []apiCase{
			{name: "SubmitOtherBranch", actor: "branchB", method: "POST", path: path + "/submit", status: 404, code: "not_found"},
			{name: "Submit", actor: "operatorA", method: "POST", path: path + "/submit", status: 200, has: []string{`"state":"pending"`}},
			{name: "OperatorMayNotApprove", actor: "operatorA", method: "POST", path: path + "/approve", status: 403, code: "forbidden"},
			{name: "EditPendingConflicts", actor: "operatorA", method: "PATCH", path: path, body: `{"title":"改"}`, status: 409, code: "conflict"},
			{name: "Approve", actor: "branchA", method: "POST", path: path + "/approve", status: 200,
				has: []string{`"state":"approved"`, fmt.Sprintf(`"approved_by":%d`, f.users["branchA"].ID)}},
			{name: "ScheduleBadTime", actor: "operatorA", method: "POST", path: path + "/schedule", body: `{"at":"tomorrow"}`, status: 400, field: "at"},
			{name: "ScheduleUnknownField", actor: "operatorA", method: "POST", path: path + "/schedule", body: `{"reason":"x"}`, status: 400, field: "reason"},
			{name: "Schedule", actor: "operatorA", method: "POST", path: path + "/schedule", body: `{"at":"2026-12-07T09:00:00+08:00"}`, status: 200,
				has: []string{`"state":"scheduled"`, `"scheduled_at":"2026-12-07T01:00:00Z"`}},
		})

		// The scheduler, on a Monday at 10:00, starts it and queues its
		// messages.
		now := time.Date(2026, 12, 7, 10, 0, 0, 0, calendar.Shanghai)
		svc := &campaign.Service{DB: f.db, Now: func() time.Time { return now }}
		st, err := svc.Run(ctx)
		must(t, err)
		if st.Started != 1 || st.Queued != 2 {
			t.Fatalf("scheduler step = %+v, want 1 started, 2 queued", st)
		}
		code, b = f.do("operatorA", "POST", path+"/pause", `{"reason":"内容需更正"}`)
		if code != 200 {
			t.Fatalf("pause = %d %s", code, b)
		}
		c = campaignOutOf(t, b)
		if c.State != "paused" || c.Progress.ByStatus["held"] != 2 || c.Progress.Waiting != 2 {
			t.Errorf("paused = %s, progress %+v, want paused with its 2 messages held", c.State, c.Progress)
		}
		if last := c.History[len(c.History)-1]; !strings.Contains(last.Detail, "内容需更正") || !strings.Contains(last.Detail, "2 messages held") {
			t.Errorf("last event = %+v, want the reason and the messages held", last)
		}
		// In the outbox: the campaign's two messages held, nothing else.
		held, err := f.db.ListMessages(ctx, taxsms.MessageFilter{Status: taxsms.StatusHeld, Limit: 10})
		must(t, err)
		if len(held) != 2 || held[0].CampaignID != c.ID {
			t.Errorf("held messages = %d, want the campaign's 2", len(held))
		}
		code, b = f.do("operatorA", "POST", path+"/resume", "")
		if c = campaignOutOf(t, b); code != 200 || c.State != "sending" || c.Progress.ByStatus["queued"] != 2 {
			t.Errorf("resume = %d %s %+v, want sending with 2 queued", code, c.State, c.Progress)
		}
		code, rep := f.json("branchA", "GET", path+"/report", "")
		rows, _ := rep["rows"].([]any)
		if code != 200 || len(rows) == 0 {
			t.Errorf("report = %d %v, want rows", code, rep)
		}
		code, b = f.do("operatorA", "GET", path+"/report.xlsx", "")
		if code != 403 {
			t.Errorf("report.xlsx by an operator without export = %d, want 403", code)
		}
		code, b = f.do("branchA", "GET", path+"/report.xlsx", "")
		if code != 200 {
			t.Fatalf("report.xlsx = %d %s", code, b)
		}
		book, err := excelize.OpenReader(bytes.NewReader(b))
		must(t, err)
		if v, _ := book.GetCellValue("Summary", "B6"); v != "2" {
			t.Errorf("workbook messages = %q, want 2", v)
		}
		code, list := f.json("branchA", "GET", fmt.Sprintf("/api/v1/campaigns?state=sending&office=%d", f.branchA.ID), "")
		if items, _ := list["items"].([]any); code != 200 || len(items) != 1 {
			t.Errorf("list of sending = %d %v, want the one campaign", code, list)
		}
		code, b = f.do("branchA", "POST", path+"/cancel", `{"reason":"停止"}`)
		if c = campaignOutOf(t, b); code != 200 || c.State != "cancelled" || c.Progress.Cancelled != 2 {
			t.Errorf("cancel = %d %s %+v, want cancelled with 2 messages cancelled", code, c.State, c.Progress)
		}
	})
}

// TestAPI_CampaignRules checks what the API refuses, each refusal naming
// its field.
func TestAPI_CampaignRules(t *testing.T) {
	eachEngine(t, func(t *testing.T, f *fixture) {
		opID := f.users["operatorA"].ID
		create := func(actor, body string) campaignOut {
			t.Helper()
			code, b := f.do(actor, "POST", "/api/v1/campaigns", body)
			if code != 201 {
				t.Fatalf("create = %d %s", code, b)
			}
			return campaignOutOf(t, b)
		}
		// A flagged text: a link not on the allow-list.
		flagged := create("branchA", `{"title":"链接","template":"请登录 http://tax.example.com 办理纳税申报。","audience":{"type":"taxpayers"}}`)
		fp := fmt.Sprintf("/api/v1/campaigns/%d", flagged.ID)
		code, chk := f.json("branchA", "POST", fp+"/check", "")
		flags, _ := chk["flags"].([]any)
		if code != 200 || chk["clean"] != false || len(flags) != 1 {
			t.Fatalf("check = %d %v, want one flag", code, chk)
		}
		if fl := flags[0].(map[string]any); fl["category"] != "link" || fl["start"] != float64(4) || fl["text"] != "http://tax.example.com" {
			t.Errorf("flag = %v, want the link at character 4", fl)
		}
		if code, b := f.do("branchA", "POST", fp+"/submit", ""); code != 200 {
			t.Fatalf("submit flagged = %d %s", code, b)
		}
		// Under a rule that needs no approval, a clean text goes straight
		// to approved, a flagged one still waits.
		if code, b := f.do("city", "PUT", fmt.Sprintf("/api/v1/offices/%d/approval-rule", f.branchA.ID), `{"over":100}`); code != 200 ||
			!strings.Contains(string(b), fmt.Sprintf(`"set_on":%d`, f.branchA.ID)) {
			t.Fatalf("set rule = %d %s", code, b)
		}
		own := create("operatorA", fmt.Sprintf(`{"title":"自己的","template":"%s","audience":{"type":"taxpayers","admin_id":%d}}`, walkTemplate, opID))
		op := fmt.Sprintf("/api/v1/campaigns/%d", own.ID)
		emergency := `{"title":"紧急","template":"系统故障，今日申报期限顺延。","audience":{"type":"taxpayers"},"emergency":true}`
		f.run(t, []apiCase{
			{name: "ApproveFlaggedWithoutReason", actor: "city", method: "POST", path: fp + "/approve", status: 400, code: "invalid", field: "override_reason",
				has: []string{"link 1 (tax.example.com)"}},
			{name: "AuthorMayNotApprove", actor: "branchA", method: "POST", path: fp + "/approve", body: `{"override_reason":"本局网站"}`, status: 403,
				code: "forbidden", has: []string{"the author of a broadcast may not approve it"}},
			{name: "ApproveWithOverride", actor: "city", method: "POST", path: fp + "/approve", body: `{"override_reason":"本局网站"}`, status: 200,
				has: []string{`"state":"approved"`, `"override_reason":"本局网站"`, fmt.Sprintf(`"override_by":%d`, f.users["city"].ID)}},
			{name: "ApproveTwiceConflicts", actor: "city", method: "POST", path: fp + "/approve", body: `{"override_reason":"本局网站"}`, status: 409, code: "conflict"},
			{name: "SubmitNoApprovalNeeded", actor: "operatorA", method: "POST", path: op + "/submit", status: 200,
				has: []string{`"state":"approved"`, "no approval needed under the office's rule"}},
			{name: "RejectNeedsReason", actor: "branchA", method: "POST", path: fp + "/reject", body: `{}`, status: 400, field: "reason"},

			{name: "OtherBranchOffice", actor: "branchA", method: "POST", path: "/api/v1/campaigns",
				body:   fmt.Sprintf(`{"office_id":%d,"title":"越权","template":"%s","audience":{"type":"taxpayers"}}`, f.branchB.ID, walkTemplate),
				status: 403, code: "forbidden", field: "office_id"},
			{name: "OtherBranchAudience", actor: "branchA", method: "POST", path: "/api/v1/campaigns",
				body:   fmt.Sprintf(`{"title":"越权","template":"%s","audience":{"type":"taxpayers","subtree":%d}}`, walkTemplate, f.branchB.ID),
				status: 404, code: "not_found", field: "audience.subtree"},
			{name: "CityOutOfReach", actor: "branchA", method: "POST", path: "/api/v1/campaigns",
				body:   fmt.Sprintf(`{"title":"全市","template":"%s","audience":{"type":"taxpayers","subtree":%d}}`, walkTemplate, f.city.ID),
				status: 404, code: "not_found", field: "audience.subtree"},
			{name: "OperatorOthersTaxpayers", actor: "operatorA", method: "POST", path: "/api/v1/campaigns",
				body:   fmt.Sprintf(`{"title":"全部","template":"%s","audience":{"type":"taxpayers"}}`, walkTemplate),
				status: 403, code: "forbidden", field: "audience.admin_id"},
			{name: "EmergencyNeedsReason", actor: "city", method: "POST", path: "/api/v1/campaigns", body: emergency,
				status: 400, code: "invalid", field: "emergency_reason"},
			{name: "EmergencyNeedsPermission", actor: "branchA", method: "POST", path: "/api/v1/campaigns",
				body: strings.Replace(emergency, `"emergency":true`, `"emergency":true,"emergency_reason":"系统故障"`, 1), status: 403, code: "forbidden"},
			{name: "Emergency", actor: "city", method: "POST", path: "/api/v1/campaigns",
				body: strings.Replace(emergency, `"emergency":true`, `"emergency":true,"emergency_reason":"系统故障"`, 1), status: 201,
				has: []string{`"emergency":true`, `"emergency_reason":"系统故障"`}},
			{name: "UnknownVariable", actor: "city", method: "POST", path: "/api/v1/campaigns",
				body: `{"title":"变量","template":"{amount}元","audience":{"type":"taxpayers"}}`, status: 400, field: "template"},
			{name: "StaffKindInternal", actor: "city", method: "POST", path: "/api/v1/campaigns",
				body: `{"title":"开会","template":"{name}：下午三点开会。","audience":{"type":"staff"}}`, status: 201, has: []string{`"kind":"internal"`}},
			{name: "UnknownField", actor: "city", method: "POST", path: "/api/v1/campaigns", body: `{"title":"x","colour":"red"}`, status: 400, code: "invalid"},
			{name: "BadState", actor: "city", method: "GET", path: "/api/v1/campaigns?state=flying", status: 400, field: "state"},
			{name: "AuditorReadsNotWrites", actor: "auditor", method: "POST", path: op + "/cancel", status: 403, code: "forbidden"},
			{name: "RuleInheritWithRule", actor: "city", method: "PUT", path: fmt.Sprintf("/api/v1/offices/%d/approval-rule", f.branchA.ID),
				body: `{"inherit":true,"always":true}`, status: 400, field: "inherit"},
			{name: "RuleInherit", actor: "city", method: "PUT", path: fmt.Sprintf("/api/v1/offices/%d/approval-rule", f.branchA.ID),
				body: `{"inherit":true}`, status: 200, has: []string{`"set_on":0`, `"always":true`}},
			{name: "Groups", actor: "branchA", method: "PUT", path: fmt.Sprintf("/api/v1/users/%d/groups", opID),
				body: `{"groups":["纳税服务科"," 纳税服务科","征管科"]}`, status: 200, has: []string{`"groups":["征管科","纳税服务科"]`}},
			{name: "GroupsRead", actor: "branchA", method: "GET", path: fmt.Sprintf("/api/v1/users/%d/groups", opID),
				status: 200, has: []string{`"groups":["征管科","纳税服务科"]`}},
			{name: "GroupsReadOtherBranch", actor: "branchA", method: "GET", path: fmt.Sprintf("/api/v1/users/%d/groups", f.users["operatorB"].ID),
				status: 404},
			{name: "GroupsBadName", actor: "branchA", method: "PUT", path: fmt.Sprintf("/api/v1/users/%d/groups", opID),
				body: `{"groups":["a,b"]}`, status: 400, field: "groups"},
			{name: "GroupsOtherBranch", actor: "branchA", method: "PUT", path: fmt.Sprintf("/api/v1/users/%d/groups", f.users["operatorB"].ID),
				body: `{"groups":["x"]}`, status: 404},
		})
	})
}

// upload posts a multipart list upload as actor.
func (f *fixture) upload(actor string, fields map[string]string, filename string, data []byte) (int, []byte) {
	f.t.Helper()
	var b bytes.Buffer
	mw := multipart.NewWriter(&b)
	for k, v := range fields {
		mw.WriteField(k, v)
	}
	if filename != "" {
		w, _ := mw.CreateFormFile("file", filename)
		w.Write(data)
	}
	mw.Close()
	req, _ := http.NewRequest("POST", f.srv.URL+"/api/v1/recipient-lists", &b)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set(actorHeader, actor)
	resp, err := f.srv.Client().Do(req)
	if err != nil {
		f.t.Fatal(err)
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, out
}

// TestAPI_RecipientLists uploads lists as files and as JSON, and sends a
// campaign to one.
func TestAPI_RecipientLists(t *testing.T) {
	eachEngine(t, func(t *testing.T, f *fixture) {
		csv := []byte("纳税人识别号\n" + f.tpA.Identifier + "\n" + f.tpA2.Identifier + "\n13912345678\n")
		for _, tc := range []struct {
			name     string
			actor    string
			fields   map[string]string
			file     string
			data     []byte
			status   int
			has      []string
			notFound bool
		}{
			{"CSV", "branchA", map[string]string{"name": "重点户"}, "重点户.csv", csv, 201, []string{`"taxpayers":2`, `"numbers":1`, `"name":"重点户"`}, false},
			{"ErrOtherBranchTaxpayer", "branchA", map[string]string{"name": "越权"}, "x.csv", []byte(f.tpB.Identifier + "\n"), 400,
				[]string{"row 1: no taxpayer " + f.tpB.Identifier + " in your scope"}, false},
			{"ErrOperatorScope", "operatorA", map[string]string{"name": "越权"}, "x.csv", csv, 400, []string{"row 3: no taxpayer"}, false},
			{"ErrBadRow", "branchA", map[string]string{"name": "坏"}, "x.csv", []byte("13912345678\n1391234567\n"), 400,
				[]string{`x.csv: row 2, column A: mobile: \"1391234567\": want 11 digits, got 10`, `"field":"file"`}, false},
			{"ErrNoFile", "branchA", map[string]string{"name": "空"}, "", nil, 400, []string{`"field":"file"`}, false},
			{"ErrNoName", "branchA", nil, "x.csv", csv, 400, []string{`"field":"name"`}, false},
			{"ErrOtherOffice", "branchA", map[string]string{"name": "越权", "office_id": fmt.Sprint(f.branchB.ID)}, "x.csv", []byte("13912345678\n"), 404, nil, true},
		} {
			t.Run(tc.name, func(t *testing.T) {
				code, b := f.upload(tc.actor, tc.fields, tc.file, tc.data)
				if code != tc.status {
					t.Fatalf("upload = %d %s, want %d", code, b, tc.status)
				}
				for _, s := range tc.has {
					if !strings.Contains(string(b), s) {
						t.Errorf("answer %s, want it to hold %s", b, s)
					}
				}
			})
		}
		code, l := f.json("branchA", "POST", "/api/v1/recipient-lists",
			fmt.Sprintf(`{"name":"名单","identifiers":["%s"],"numbers":["+86 139 1234 5678","13912345678"]}`, strings.ToLower(f.tpA.Identifier)))
		if code != 201 || l["taxpayers"] != float64(1) || l["numbers"] != float64(2) || l["office_id"] != float64(f.branchA.ID) {
			t.Fatalf("JSON list = %d %v", code, l)
		}
		id := int64(l["id"].(float64))
		f.run(t, []apiCase{
			{name: "Get", actor: "branchA", method: "GET", path: fmt.Sprintf("/api/v1/recipient-lists/%d", id), status: 200, has: []string{`"name":"名单"`}},
			{name: "GetOtherBranch", actor: "branchB", method: "GET", path: fmt.Sprintf("/api/v1/recipient-lists/%d", id), status: 404},
			{name: "JSONBadNumber", actor: "branchA", method: "POST", path: "/api/v1/recipient-lists", body: `{"name":"x","numbers":["1"]}`,
				status: 400, field: "numbers[0]"},
			{name: "ListCampaignOtherBranch", actor: "branchB", method: "POST", path: "/api/v1/campaigns",
				body: fmt.Sprintf(`{"title":"名单","template":"%s","audience":{"type":"list","list_id":%d}}`, walkTemplate, id), status: 404, field: "audience.list_id"},
		})
		code, b := f.do("branchA", "POST", "/api/v1/campaigns",
			fmt.Sprintf(`{"title":"名单","template":"%s","audience":{"type":"list","list_id":%d}}`, walkTemplate, id))
		if code != 201 {
			t.Fatalf("list campaign = %d %s", code, b)
		}
		code, est := f.json("branchA", "GET", fmt.Sprintf("/api/v1/campaigns/%d/estimate", campaignOutOf(t, b).ID), "")
		// The taxpayer's contact and one number, given twice.
		if code != 200 || est["recipients"] != float64(2) || est["duplicates"] != float64(1) {
			t.Errorf("estimate = %d %v, want 2 recipients and 1 duplicate", code, est)
		}
	})
}
