package web

import (
	"bytes"
	"context"
	"fmt"
	"mime/multipart"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"taxsms"
	"taxsms/auth"
	"taxsms/campaign"
	"taxsms/remind"
)

// campaignCity seeds a test console for the broadcasts' pages: five
// taxpayers of the branch assigned to its operator, each with an active
// contact and the first also with an opted-out one, and a taxpayer of
// another branch. It returns the console's clock set to a working morning
// (Thursday 2026-12-03 10:00 in Shanghai).
func campaignCity(t *testing.T, tc *testConsole) *taxsms.Office {
	t.Helper()
	ctx := context.Background()
	tc.clock.Add(-8 * time.Hour) // 02:00 UTC
	op := tc.users[taxsms.RoleOperator]
	branch, err := tc.db.FindOffice(ctx, op.OfficeID)
	must(t, err)
	other := &taxsms.Office{ParentID: branch.ParentID, Code: "13702990000", Name: "越界分局"}
	must(t, tc.db.CreateOffice(ctx, other))
	tp := func(n int, office, admin int64, contacts ...taxsms.ServiceStatus) {
		p := &taxsms.Taxpayer{Identifier: campaignTaxpayerID(n), Name: fmt.Sprintf("纳税人%d有限公司", n),
			OfficeID: office, AdminID: admin, Registered: taxsms.Date{Year: 2024, Month: 1, Day: 2}, TaxTypes: []string{"增值税"}}
		must(t, tc.db.CreateTaxpayer(ctx, p))
		for i, st := range contacts {
			must(t, tc.db.CreateContact(ctx, &taxsms.Contact{TaxpayerID: p.ID, Role: taxsms.ContactRoles[i], Name: "联系人",
				Mobile: fmt.Sprintf("1380000%02d%02d", n, i), Status: st}))
		}
	}
	tp(1, branch.ID, op.ID, taxsms.ServiceActive, taxsms.ServiceOptedOut)
	for n := 2; n <= 5; n++ {
		tp(n, branch.ID, op.ID, taxsms.ServiceActive)
	}
	tp(9, other.ID, 0, taxsms.ServiceActive)
	return other
}

// campaignTaxpayerID returns the identifier of campaignCity's taxpayer n.
func campaignTaxpayerID(n int) string {
	first := fmt.Sprintf("91370202MA%07d", n)
	return first + string(taxsms.USCCCheck(first))
}

// postMultipart posts the form fields and one file as multipart/form-data.
func (b *browser) postMultipart(path string, fields url.Values, fileField, fileName, content string) response {
	b.t.Helper()
	var body bytes.Buffer
	w := multipart.NewWriter(&body)
	for k, vs := range fields {
		for _, v := range vs {
			w.WriteField(k, v)
		}
	}
	fw, err := w.CreateFormFile(fileField, fileName)
	must(b.t, err)
	fw.Write([]byte(content))
	must(b.t, w.Close())
	req, _ := http.NewRequest("POST", b.base+path, &body)
	req.Header.Set("Content-Type", w.FormDataContentType())
	return b.do(req)
}

// as returns a browser signed in as the test console's user of role.
func (tc *testConsole) as(role taxsms.Role) *browser {
	b := tc.browser()
	b.mustSignIn(tc.users[role].Login)
	return b
}

// actorCtx returns a context acting as user u.
func (tc *testConsole) actorCtx(t *testing.T, u *taxsms.User) context.Context {
	t.Helper()
	a, err := tc.db.UserActor(context.Background(), u.ID)
	must(t, err)
	return auth.NewContext(context.Background(), a)
}

// draft stores a draft of the branch to its taxpayers, written by u.
func (tc *testConsole) draft(t *testing.T, u *taxsms.User, text string, mutate ...func(*taxsms.Campaign)) *taxsms.Campaign {
	t.Helper()
	cm := &taxsms.Campaign{OfficeID: tc.users[taxsms.RoleOperator].OfficeID, Kind: taxsms.KindSpecial, Title: "征期提醒 " + text[:6],
		Template: text, Audience: taxsms.Audience{Type: taxsms.AudienceTaxpayers}}
	for _, f := range mutate {
		f(cm)
	}
	must(t, tc.c.Campaigns.Create(tc.actorCtx(t, u), cm))
	return cm
}

// campaignState returns the stored state of campaign id.
func (tc *testConsole) campaignState(t *testing.T, id int64) taxsms.CampaignState {
	t.Helper()
	cm, err := tc.db.FindCampaign(context.Background(), id)
	must(t, err)
	return cm.State
}

// fieldError returns the error shown beside field name on a page.
func fieldError(body, name string) string {
	m := regexp.MustCompile(`(?s)<p class="error" id="f-` + regexp.QuoteMeta(name) + `-error">(.*?)</p>`).FindStringSubmatch(body)
	if m == nil {
		return ""
	}
	return m[1]
}

const cleanText = "本月征期将于15日结束，请及时办理纳税申报。"

func TestConsole_CampaignCompose(t *testing.T) {
	tc := startConsole(t, func(c *Console) {
		c.Campaigns = &campaign.Service{Signature: "【青岛税务】"}
	})
	campaignCity(t, tc)
	tc.c.Campaigns.DB, tc.c.Campaigns.Checker, tc.c.Campaigns.Now = tc.db, tc.c.Content.Checker, tc.clock.Now
	branch := strconv.FormatInt(tc.users[taxsms.RoleOperator].OfficeID, 10)
	admin, op, auditor := tc.as(taxsms.RoleBranchAdmin), tc.as(taxsms.RoleOperator), tc.as(taxsms.RoleAuditor)
	form := func(b *browser, kv ...string) url.Values {
		v := url.Values{"csrf_token": {b.csrf("/campaigns/new")}, "office": {branch}, "kind": {"special"}, "title": {"申报提醒"},
			"template": {cleanText}, "audience": {"taxpayers"}, "action": {"save"}}
		for i := 0; i < len(kv); i += 2 {
			v.Set(kv[i], kv[i+1])
		}
		return v
	}
	for _, tt := range []struct {
		name   string
		b      *browser
		form   url.Values
		status int
		field  string // the field whose error is shown; "" for none
		shows  []string
	}{
		{"OK", admin, form(admin), 303, "", nil},
		{"OperatorOwn", op, form(op, "admin", tc.users[taxsms.RoleOperator].Login), 303, "", nil},
		{"OperatorAll", op, form(op), 403, "admin", nil},
		{"NoTitle", admin, form(admin, "title", ""), 400, "title", nil},
		{"UnknownVariable", admin, form(admin, "template", "尊敬的{nmae}：请申报。"), 400, "template", []string{"{nmae}"}},
		{"LineBreak", admin, form(admin, "template", "请申报。\r\n谢谢"), 400, "template", nil},
		{"InternalToTaxpayers", admin, form(admin, "kind", "internal"), 400, "kind", nil},
		{"UnknownAdmin", admin, form(admin, "admin", "nobody"), 400, "admin", []string{"nobody"}},
		{"EmergencyWithoutPermission", admin, form(admin, "emergency", "on", "emergency_reason", "台风"), 403, "", nil},
		{"AuditorComposes", auditor, form(auditor), 403, "", nil},
		{"Preview", admin, form(admin, "action", "preview", "template", "尊敬的{name}："+cleanText), 200, "",
			[]string{"【青岛税务】尊敬的" + campaign.Example.Name + "：" + cleanText + "回TD退订"}},
		{"PreviewInternal", admin, form(admin, "action", "preview", "kind", "internal", "audience", "staff"), 200, "",
			[]string{`id="compose-preview" aria-live="polite">【青岛税务】` + cleanText + `</blockquote>`}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r := tt.b.post("/campaigns/new", tt.form)
			if r.Status != tt.status {
				t.Fatalf("POST /campaigns/new = %d, want %d\n%s", r.Status, tt.status, errorText(r.Body)+fieldError(r.Body, tt.field))
			}
			if tt.status == 303 && !regexp.MustCompile(`^/campaigns/\d+$`).MatchString(r.Location) {
				t.Errorf("after saving: → %q, want the campaign's page", r.Location)
			}
			if tt.field != "" && fieldError(r.Body, tt.field) == "" {
				t.Errorf("no error beside %s; form error %q", tt.field, errorText(r.Body))
			}
			for _, s := range tt.shows {
				if !strings.Contains(r.Body, s) {
					t.Errorf("the page does not show %q", s)
				}
			}
		})
	}

	t.Run("Count", func(t *testing.T) {
		// The server's count is remind.Segments of the text as received;
		// 70 characters make one segment, 71 two.
		for _, n := range []int{30, 70 - 6 - 5, 70 - 6 - 5 + 1, 134 - 11, 200} {
			text := strings.Repeat("税", n)
			r := admin.post("/campaigns/new", form(admin, "action", "preview", "template", text))
			full := "【青岛税务】" + text + "回TD退订"
			want := fmt.Sprintf(`<output id="compose-chars" for="f-template">%d</output>`, len([]rune(full)))
			wantSegs := fmt.Sprintf(`<output id="compose-segments" for="f-template">%d</output>`, remind.Segments(full))
			if !strings.Contains(r.Body, want) || !strings.Contains(r.Body, wantSegs) {
				t.Errorf("%d characters: the page does not show %s and %s", n, want, wantSegs)
			}
		}
	})

	t.Run("List", func(t *testing.T) {
		good := "纳税人识别号\n" + campaignTaxpayerID(1) + "\n" + campaignTaxpayerID(2) + "\n13912340000\n"
		for _, tt := range []struct {
			name, file, content string
			b                   *browser
			status              int
			field               string
		}{
			{"OK", "名单.csv", good, admin, 303, ""},
			{"BadNumber", "名单.csv", campaignTaxpayerID(1) + "\n1234\n", admin, 400, "list_file"},
			{"OutsideScope", "名单.csv", campaignTaxpayerID(9) + "\n", admin, 400, "list_file"},
			{"OldExcel", "名单.xls", "\xd0\xcf\x11\xe0rest", admin, 400, "list_file"},
		} {
			t.Run(tt.name, func(t *testing.T) {
				v := form(tt.b, "audience", "list", "list_name", "重点户名单 "+tt.name)
				r := tt.b.postMultipart("/campaigns/new", v, "list_file", tt.file, tt.content)
				if r.Status != tt.status {
					t.Fatalf("POST = %d, want %d: %s %s", r.Status, tt.status, errorText(r.Body), fieldError(r.Body, "list_file"))
				}
				if tt.field != "" && fieldError(r.Body, tt.field) == "" {
					t.Errorf("no error beside %s", tt.field)
				}
				if tt.status != 303 {
					return
				}
				id, _ := strconv.ParseInt(strings.TrimPrefix(r.Location, "/campaigns/"), 10, 64)
				cm, err := tc.db.FindCampaign(context.Background(), id)
				must(t, err)
				l, err := tc.db.FindRecipientList(context.Background(), cm.Audience.ListID)
				if err != nil || l.Taxpayers != 2 || l.Numbers != 1 || l.Name != "重点户名单 OK" {
					t.Fatalf("the campaign's list = %+v (%v), want 2 taxpayers and 1 number", l, err)
				}
				page := admin.get(r.Location)
				if !strings.Contains(page.Body, "重点户名单 OK") {
					t.Errorf("the campaign's page does not name its list")
				}
				e, err := tc.c.Campaigns.Estimate(tc.actorCtx(t, tc.users[taxsms.RoleBranchAdmin]), id)
				must(t, err)
				if e.Count.Recipients != 3 {
					t.Errorf("the list's estimate: %d recipients, want 3", e.Count.Recipients)
				}
			})
		}
	})

	t.Run("StartFrom", func(t *testing.T) {
		r := admin.get("/campaigns/new?greeting=" + url.QueryEscape("春节"))
		if r.Status != 200 || !strings.Contains(r.Body, campaign.Greetings["春节"]) {
			t.Errorf("from the greeting: %d, text not in the form", r.Status)
		}
		src := tc.draft(t, tc.users[taxsms.RoleBranchAdmin], "请于本月15日前完成增值税申报。", func(c *taxsms.Campaign) { c.Audience.Industry = "批发业" })
		r = admin.get("/campaigns/new?from=" + strconv.FormatInt(src.ID, 10))
		if r.Status != 200 || !strings.Contains(r.Body, src.Template) || !strings.Contains(r.Body, `value="批发业"`) {
			t.Errorf("from campaign %d: %d, its text or audience not in the form", src.ID, r.Status)
		}
		if r := op.get("/campaigns/new?from=" + strconv.FormatInt(src.ID, 10)); r.Status != 404 {
			t.Errorf("an operator starting from another's campaign: %d, want 404", r.Status)
		}
		if r := admin.get("/campaigns/new?greeting=nope"); r.Status != 404 {
			t.Errorf("an unknown greeting: %d, want 404", r.Status)
		}
	})

	t.Run("Edit", func(t *testing.T) {
		cm := tc.draft(t, tc.users[taxsms.RoleBranchAdmin], cleanText)
		path := "/campaigns/" + strconv.FormatInt(cm.ID, 10) + "/edit"
		r := admin.get(path)
		if r.Status != 200 || !strings.Contains(r.Body, cleanText) {
			t.Fatalf("GET %s = %d", path, r.Status)
		}
		v := form(admin, "title", "改过的标题")
		v.Set("csrf_token", admin.csrf(path))
		if r := admin.post(path, v); r.Status != 303 {
			t.Fatalf("POST %s = %d: %s", path, r.Status, errorText(r.Body))
		}
		got, err := tc.db.FindCampaign(context.Background(), cm.ID)
		must(t, err)
		if got.Title != "改过的标题" || got.State != taxsms.CampaignDraft {
			t.Errorf("after the edit: %q %s", got.Title, got.State)
		}
		if r := op.get(path); r.Status != 404 {
			t.Errorf("an operator editing the branch's campaign: %d, want 404", r.Status)
		}
		if r := auditor.get(path); r.Status != 403 {
			t.Errorf("the auditor editing: %d, want 403", r.Status)
		}
		_, err = tc.c.Campaigns.Submit(tc.actorCtx(t, tc.users[taxsms.RoleBranchAdmin]), cm.ID)
		must(t, err)
		if r := admin.get(path); r.Status != 409 {
			t.Errorf("editing a pending campaign: %d, want 409", r.Status)
		}
	})
}

func TestConsole_CampaignFlow(t *testing.T) {
	tc := startConsole(t)
	other := campaignCity(t, tc)
	ctx := context.Background()
	ba, city := tc.users[taxsms.RoleBranchAdmin], tc.users[taxsms.RoleCityAdmin]
	admin, cityB, op, auditor, maint := tc.as(taxsms.RoleBranchAdmin), tc.as(taxsms.RoleCityAdmin), tc.as(taxsms.RoleOperator),
		tc.as(taxsms.RoleAuditor), tc.as(taxsms.RoleMaintainer)
	act := func(b *browser, id int64, a string, kv ...string) response {
		t.Helper()
		page := "/campaigns/" + strconv.FormatInt(id, 10)
		tok := b.csrf("/account/password")
		v := url.Values{"csrf_token": {tok}}
		for i := 0; i < len(kv); i += 2 {
			v.Set(kv[i], kv[i+1])
		}
		return b.post(page+"/"+a, v)
	}

	flagged := tc.draft(t, ba, "请及时申报，详见 http://evil.example/tax 网站。")
	clean := tc.draft(t, ba, cleanText)
	page := func(cm *taxsms.Campaign, sub string) string { return campaignPath(cm.ID, sub) }

	t.Run("List", func(t *testing.T) {
		for _, tt := range []struct {
			name   string
			b      *browser
			path   string
			status int
			shows  []string
			hides  []string
		}{
			{"Branch", admin, "/campaigns", 200, []string{flagged.Title, clean.Title, `href="/campaigns/new"`}, nil},
			{"FilterState", admin, "/campaigns?state=pending", 200, nil, []string{clean.Title}},
			{"BadState", admin, "/campaigns?state=lost", 400, nil, nil},
			{"OperatorSeesOwnOnly", op, "/campaigns", 200, nil, []string{clean.Title}},
			{"AuditorReads", auditor, "/campaigns", 200, []string{clean.Title}, []string{`href="/campaigns/new"`}},
			{"Maintainer", maint, "/campaigns", 403, nil, nil},
			{"OperatorOtherCampaign", op, page(clean, ""), 404, nil, []string{clean.Template}},
			{"Page", admin, page(clean, ""), 200, []string{`id="campaign-preview">` + tc.c.Campaigns.Signature + cleanText + "回TD退订<", "/check"}, nil},
			{"AuditorPage", auditor, page(clean, ""), 200, []string{clean.Title}, []string{`action="` + page(clean, "cancel")}},
		} {
			t.Run(tt.name, func(t *testing.T) {
				r := tt.b.get(tt.path)
				if r.Status != tt.status {
					t.Fatalf("GET %s = %d, want %d", tt.path, r.Status, tt.status)
				}
				for _, s := range tt.shows {
					if !strings.Contains(r.Body, s) {
						t.Errorf("GET %s does not show %q", tt.path, s)
					}
				}
				for _, s := range tt.hides {
					if strings.Contains(r.Body, s) {
						t.Errorf("GET %s shows %q", tt.path, s)
					}
				}
			})
		}
		if r := maint.get("/"); strings.Contains(r.Body, `href="/campaigns"`) {
			t.Errorf("the maintainer's navigation links to the broadcasts")
		}
		if r := op.get("/"); !strings.Contains(r.Body, `href="/campaigns"`) {
			t.Errorf("the operator's navigation lacks the broadcasts")
		}
	})

	t.Run("Check", func(t *testing.T) {
		r := admin.get(page(flagged, "check"))
		if r.Status != 200 {
			t.Fatalf("check = %d", r.Status)
		}
		for _, s := range []string{
			`<mark class="flag" title="不在白名单的链接">http://evil.example/tax</mark>`,
			`id="estimate-recipients">5<`, // 5 active contacts of the branch; the opted-out one excluded
			"已退订", `action="` + page(flagged, "submit") + `"`,
		} {
			if !strings.Contains(r.Body, s) {
				t.Errorf("the check page does not show %q", s)
			}
		}
		if r := auditor.get(page(flagged, "check")); r.Status != 200 || strings.Contains(r.Body, page(flagged, "submit")) {
			t.Errorf("the auditor's check page: %d, with the submit form: %v", r.Status, strings.Contains(r.Body, page(flagged, "submit")))
		}
		if r := auditor.get(page(flagged, "approval")); r.Status != 403 {
			t.Errorf("the auditor's approval page: %d, want 403", r.Status)
		}
	})

	t.Run("Approve", func(t *testing.T) {
		for _, cm := range []*taxsms.Campaign{flagged, clean} {
			if r := act(admin, cm.ID, "submit"); r.Status != 303 || tc.campaignState(t, cm.ID) != taxsms.CampaignPending {
				t.Fatalf("submit %d = %d → %s, want pending", cm.ID, r.Status, tc.campaignState(t, cm.ID))
			}
		}
		if r := admin.get(page(flagged, "approval")); !strings.Contains(r.Body, `id="approval-refused"`) || strings.Contains(r.Body, `id="approve-form"`) {
			t.Errorf("the author's approval page offers to approve")
		}
		for _, tt := range []struct {
			name   string
			b      *browser
			cm     *taxsms.Campaign
			act    string
			kv     []string
			status int
			field  string
			state  taxsms.CampaignState
		}{
			{"ByAuthor", admin, clean, "approve", nil, 403, "", taxsms.CampaignPending},
			{"ByOperator", op, clean, "approve", nil, 403, "", taxsms.CampaignPending},
			{"FlaggedWithoutReason", cityB, flagged, "approve", nil, 400, "override_reason", taxsms.CampaignPending},
			{"FlaggedWithReason", cityB, flagged, "approve", []string{"override_reason", "链接为本局合作银行官网"}, 303, "", taxsms.CampaignApproved},
			{"RejectWithoutReason", cityB, clean, "reject", nil, 400, "reason", taxsms.CampaignPending},
			{"Reject", cityB, clean, "reject", []string{"reason", "时间不对"}, 303, "", taxsms.CampaignRejected},
			{"ApproveAgain", cityB, flagged, "approve", []string{"override_reason", "再次"}, 409, "", taxsms.CampaignApproved},
		} {
			t.Run(tt.name, func(t *testing.T) {
				r := act(tt.b, tt.cm.ID, tt.act, tt.kv...)
				if r.Status != tt.status {
					t.Errorf("POST %s = %d, want %d: %s", tt.act, r.Status, tt.status, errorText(r.Body))
				}
				if tt.field != "" && fieldError(r.Body, tt.field) == "" {
					t.Errorf("no error beside %s: %q", tt.field, errorText(r.Body))
				}
				if got := tc.campaignState(t, tt.cm.ID); got != tt.state {
					t.Errorf("state = %s, want %s", got, tt.state)
				}
			})
		}
		got, err := tc.db.FindCampaign(ctx, flagged.ID)
		must(t, err)
		if got.OverrideBy != city.ID || got.OverrideReason != "链接为本局合作银行官网" || got.ApprovedBy != city.ID {
			t.Errorf("the override: by %d %q, approved by %d; want %d", got.OverrideBy, got.OverrideReason, got.ApprovedBy, city.ID)
		}
		if r := admin.get(page(flagged, "")); !strings.Contains(r.Body, `id="campaign-override"`) || !strings.Contains(r.Body, "链接为本局合作银行官网") {
			t.Errorf("the campaign's page does not show the override")
		}
		if r := admin.get(page(clean, "")); !strings.Contains(r.Body, "时间不对") {
			t.Errorf("the rejected campaign's page does not show the reason")
		}
	})

	t.Run("Steer", func(t *testing.T) {
		for _, tt := range []struct {
			name   string
			b      *browser
			act    string
			kv     []string
			status int
			state  taxsms.CampaignState
		}{
			{"PauseApproved", admin, "pause", nil, 409, taxsms.CampaignApproved},
			{"ScheduleByAuditor", auditor, "schedule", nil, 403, taxsms.CampaignApproved},
			{"SchedulePast", admin, "schedule", []string{"at", "2020-01-01T09:00"}, 400, taxsms.CampaignApproved},
			{"Schedule", admin, "schedule", nil, 303, taxsms.CampaignScheduled},
			{"PauseByAuditor", auditor, "pause", nil, 403, taxsms.CampaignScheduled},
			{"Pause", admin, "pause", []string{"reason", "核对名单"}, 303, taxsms.CampaignPaused},
			{"Resume", admin, "resume", nil, 303, taxsms.CampaignScheduled},
			{"CancelWithoutReason", admin, "cancel", nil, 400, taxsms.CampaignScheduled},
		} {
			t.Run(tt.name, func(t *testing.T) {
				r := act(tt.b, flagged.ID, tt.act, tt.kv...)
				if r.Status != tt.status {
					t.Errorf("POST %s = %d, want %d: %s", tt.act, r.Status, tt.status, errorText(r.Body))
				}
				if got := tc.campaignState(t, flagged.ID); got != tt.state {
					t.Errorf("state = %s, want %s", got, tt.state)
				}
			})
		}
	})

	t.Run("Report", func(t *testing.T) {
		if _, err := tc.c.Campaigns.Run(ctx); err != nil {
			t.Fatal(err)
		}
		if got := tc.campaignState(t, flagged.ID); got != taxsms.CampaignSending {
			t.Fatalf("after the scheduler's run: %s, want sending", got)
		}
		r := admin.get(page(flagged, "report"))
		if r.Status != 200 || r.Header.Get("Refresh") == "" {
			t.Fatalf("report = %d, Refresh %q", r.Status, r.Header.Get("Refresh"))
		}
		for _, s := range []string{`id="report-messages">5<`, `id="report-waiting">5<`, "市南区税务局", `href="` + page(flagged, "report.xlsx") + `"`} {
			if !strings.Contains(r.Body, s) {
				t.Errorf("the report does not show %q", s)
			}
		}
		if r := admin.get("/campaigns"); !regexp.MustCompile(`(?s)id="campaign-` + strconv.FormatInt(flagged.ID, 10) + `".*?<td class="n">5</td>`).MatchString(r.Body) {
			t.Errorf("the list does not count the campaign's 5 messages")
		}
		before, err := tc.db.AuditHead(ctx)
		must(t, err)
		x := admin.get(page(flagged, "report.xlsx"))
		if x.Status != 200 || !strings.Contains(x.Header.Get("Content-Type"), "spreadsheetml") || !strings.HasPrefix(x.Body, "PK") {
			t.Errorf("report.xlsx = %d %s", x.Status, x.Header.Get("Content-Type"))
		}
		after, err := tc.db.AuditHead(ctx)
		must(t, err)
		if after.Seq == before.Seq {
			t.Errorf("the export was not recorded")
		}
		if r := op.get(page(flagged, "report.xlsx")); r.Status != 403 {
			t.Errorf("an operator without export: %d, want 403", r.Status)
		}
		// Cancelled: the waiting messages with it.
		if r := act(admin, flagged.ID, "cancel", "reason", "政策有变"); r.Status != 303 {
			t.Fatalf("cancel = %d: %s", r.Status, errorText(r.Body))
		}
		p, err := tc.c.Campaigns.Progress(ctx, flagged.ID)
		must(t, err)
		if p.Cancelled != 5 || p.Waiting != 0 {
			t.Errorf("after the cancel: %d cancelled, %d waiting; want 5, 0", p.Cancelled, p.Waiting)
		}
		if r := act(admin, flagged.ID, "cancel", "reason", "again"); r.Status != 409 {
			t.Errorf("cancelling a cancelled campaign: %d, want 409", r.Status)
		}
	})

	t.Run("Rules", func(t *testing.T) {
		branch := strconv.FormatInt(ba.OfficeID, 10)
		if r := admin.get("/approval-rules"); r.Status != 200 || !strings.Contains(r.Body, "系统默认") || strings.Contains(r.Body, other.Name) {
			t.Errorf("the branch's rules page: %d, default %v, other branch %v", r.Status, strings.Contains(r.Body, "系统默认"), strings.Contains(r.Body, other.Name))
		}
		tok := cityB.csrf("/approval-rules/" + branch)
		for _, tt := range []struct {
			name   string
			b      *browser
			form   url.Values
			status int
		}{
			{"BranchAdmin", admin, url.Values{"csrf_token": {admin.csrf("/approval-rules/" + branch)}, "over": {"10"}}, 403},
			{"BadOver", cityB, url.Values{"csrf_token": {tok}, "over": {"ten"}}, 400},
			{"NegativeOver", cityB, url.Values{"csrf_token": {tok}, "over": {"-1"}}, 400},
			{"Set", cityB, url.Values{"csrf_token": {tok}, "over": {"10"}, "action": {"save"}}, 303},
		} {
			t.Run(tt.name, func(t *testing.T) {
				if r := tt.b.post("/approval-rules/"+branch, tt.form); r.Status != tt.status {
					t.Errorf("POST = %d, want %d", r.Status, tt.status)
				}
			})
		}
		rule, from, err := tc.db.ApprovalRule(ctx, ba.OfficeID)
		must(t, err)
		if rule.Always || rule.Over != 10 || from != ba.OfficeID {
			t.Errorf("the branch's rule = %+v from %d", rule, from)
		}
		// A clean broadcast to 5 goes straight to approved now.
		cm := tc.draft(t, ba, cleanText)
		if r := act(admin, cm.ID, "submit"); r.Status != 303 || tc.campaignState(t, cm.ID) != taxsms.CampaignApproved {
			t.Errorf("under the rule: submit = %d → %s, want approved", r.Status, tc.campaignState(t, cm.ID))
		}
		if r := cityB.post("/approval-rules/"+branch, url.Values{"csrf_token": {tok}, "action": {"clear"}}); r.Status != 303 {
			t.Errorf("clear = %d", r.Status)
		}
		if _, from, _ := tc.db.ApprovalRule(ctx, ba.OfficeID); from != 0 {
			t.Errorf("after the clear the rule comes from %d, want the default", from)
		}
	})
}
