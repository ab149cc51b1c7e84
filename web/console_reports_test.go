package web

import (
	"context"
	"fmt"
	"iter"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"taxsms"
	"taxsms/audit"
	"taxsms/auth"
	"taxsms/report"
	"taxsms/store"
)

// each yields items, for the store's batch upserts.
func each[T any](items ...T) iter.Seq2[T, error] {
	return func(yield func(T, error) bool) {
		for _, it := range items {
			if !yield(it, nil) {
				return
			}
		}
	}
}

// settleAll sends every queued message and reports each as delivered if
// it is in delivered, else as undelivered (UNDELIV, MK:0001).
func settleAll(t *testing.T, db *store.DB, delivered map[int64]bool) {
	t.Helper()
	ctx := context.Background()
	for {
		got, err := db.ClaimMessages(ctx, "node1", 100, time.Minute)
		must(t, err)
		if len(got) == 0 {
			return
		}
		var outs []store.Outcome
		var rs []store.Receipt
		for _, c := range got {
			id := fmt.Sprintf("W%d", c.ID)
			outs = append(outs, store.Outcome{ID: c.ID, Carrier: taxsms.CarrierUnicom, Link: "l", Parts: []taxsms.Part{{Seq: 1, CarrierMsgID: id}}})
			r := store.Receipt{Carrier: taxsms.CarrierUnicom, MsgID: id, Stat: "UNDELIV", Err: "MK:0001"}
			if delivered[c.ID] {
				r.Stat, r.Err = "DELIVRD", ""
			}
			rs = append(rs, r)
		}
		must(t, db.RecordOutcomes(ctx, outs))
		_, err = db.RecordReceipts(ctx, rs)
		must(t, err)
	}
}

// reportCity is the walk city (a branch and another branch no one of the
// first may reach) with what the reports count. In the branch (市南区税务局):
// a taxpayer in service, one registered on 2026-12-01 whose number never
// came, and the walk's unassigned one without service since 2024; in the
// other branch (越界分局): the walk's taxpayer in service and one
// registered late. From 20:00 on 2026-12-03 (Shanghai): a manual message
// of the operator, an emergency broadcast of the city's administrator for
// the other branch, and three reminders to the other branch's contact, all
// failing (with the walk's message, four in a row). At 10:00 on
// 2026-12-04: three reminders to the taxpayer in service (two delivered)
// and a broadcast of the operator sent under a content-check override.
// Tax period 2026-10 (filing deadline 2026-11-16): the taxpayer in service
// was reminded and filed on 11-13, the other branch's filed late on 11-20,
// the unassigned one never.
type reportCity struct {
	*walkCity
	branch                         *taxsms.Office
	inService, lateHere, lateThere *taxsms.Taxpayer
	inServiceContact               *taxsms.Contact
	emergency, override            *taxsms.Campaign
	query                          string // the days of the messages
	cityAdmin, branchAdmin, op     *taxsms.User
}

func newReportCity(t *testing.T, tc *testConsole) *reportCity {
	t.Helper()
	ctx := context.Background()
	w := newWalkCity(t, tc)
	rc := &reportCity{walkCity: w, query: "?from=2026-12-01&to=2026-12-04",
		cityAdmin: tc.users[taxsms.RoleCityAdmin], branchAdmin: tc.users[taxsms.RoleBranchAdmin], op: tc.users[taxsms.RoleOperator]}
	var err error
	rc.branch, err = tc.db.FindOffice(ctx, rc.op.OfficeID)
	must(t, err)
	n := 0
	taxpayer := func(office, admin int64, name string, registered taxsms.Date) *taxsms.Taxpayer {
		n++
		first := fmt.Sprintf("91370288MA%07d", n)
		tp := &taxsms.Taxpayer{Identifier: first + string(taxsms.USCCCheck(first)), Name: name, OfficeID: office, AdminID: admin,
			Registered: registered, TaxTypes: []string{"增值税"}}
		must(t, tc.db.CreateTaxpayer(ctx, tp))
		return tp
	}
	rc.inService = taxpayer(rc.branch.ID, rc.op.ID, "在服务有限公司", taxsms.Date{Year: 2024, Month: 1, Day: 2})
	rc.inServiceContact = &taxsms.Contact{TaxpayerID: rc.inService.ID, Role: taxsms.RoleLegalRep, Name: "在服务联系人", Mobile: "13800000001", Status: taxsms.ServiceActive}
	must(t, tc.db.CreateContact(ctx, rc.inServiceContact))
	rc.lateHere = taxpayer(rc.branch.ID, rc.op.ID, "迟登记有限公司", taxsms.Date{Year: 2026, Month: 12, Day: 1})
	rc.lateThere = taxpayer(w.other.ID, 0, "越界迟登记有限公司", taxsms.Date{Year: 2026, Month: 12, Day: 1})
	w.markers = append(w.markers, marker{"越界迟登记有限公司", auth.DataTaxpayers, w.other.Path, 0})

	send := func(m *taxsms.Message) *taxsms.Message {
		m.Direction, m.Priority, m.Segments = taxsms.MT, m.Kind.DefaultPriority(), 1
		if m.Body == "" {
			m.Body = "【12366】测试"
		}
		must(t, tc.db.CreateMessage(ctx, m))
		return m
	}
	campaign := func(office, author int64, title, emergency string) *taxsms.Campaign {
		c := &taxsms.Campaign{OfficeID: office, AuthorID: author, Kind: taxsms.KindSpecial, Title: title, Template: "请按期申报。",
			Audience: taxsms.Audience{Type: taxsms.AudienceTaxpayers}, Emergency: emergency != "", EmergencyReason: emergency}
		must(t, tc.db.CreateCampaign(ctx, c))
		return c
	}

	tc.clock.Add(2 * time.Hour) // 2026-12-03 20:00 in Shanghai
	send(&taxsms.Message{Kind: taxsms.KindSpecial, Mobile: "13912340000", Body: "【12366】政策通知", OfficeID: rc.branch.ID, AuthorID: rc.op.ID})
	rc.emergency = campaign(w.other.ID, rc.cityAdmin.ID, "台风停止办税", "台风预警，明日暂停办税服务")
	send(&taxsms.Message{Kind: taxsms.KindSpecial, Mobile: "13900000077", OfficeID: w.other.ID, AuthorID: rc.cityAdmin.ID, CampaignID: rc.emergency.ID})
	for range 3 {
		send(&taxsms.Message{Kind: taxsms.KindUnpaidTax, Mobile: w.otherContact.Mobile, TaxpayerID: w.otherTP.ID, ContactID: w.otherContact.ID, OfficeID: w.other.ID})
	}

	tc.clock.Add(14 * time.Hour) // 2026-12-04 10:00 in Shanghai, a Friday
	delivered := map[int64]bool{}
	c := rc.inServiceContact
	for i, kind := range []taxsms.Kind{taxsms.KindFilingReminder, taxsms.KindUnpaidTax, taxsms.KindUnpaidTax} {
		m := &taxsms.Message{Kind: kind, Mobile: c.Mobile, TaxpayerID: rc.inService.ID, ContactID: c.ID, OfficeID: rc.branch.ID}
		if i == 0 {
			m.IdempotencyKey = fmt.Sprintf("remind/before_deadline-3/2026-10/%d/%d", rc.inService.ID, c.ID)
		}
		delivered[send(m).ID] = i < 2
	}
	rc.override = campaign(rc.branch.ID, rc.op.ID, "政策宣传", "")
	_, err = tc.db.MoveCampaign(ctx, rc.override.ID, store.CampaignMove{From: []taxsms.CampaignState{taxsms.CampaignDraft}, To: taxsms.CampaignApproved,
		ApprovedBy: rc.branchAdmin.ID, OverrideBy: rc.branchAdmin.ID, OverrideReason: "号码为本局咨询电话"})
	must(t, err)
	send(&taxsms.Message{Kind: taxsms.KindSpecial, Mobile: "13900000088", OfficeID: rc.branch.ID, AuthorID: rc.op.ID, CampaignID: rc.override.ID})
	settleAll(t, tc.db, delivered)

	due := taxsms.Date{Year: 2026, Month: 11, Day: 16}
	var obs []*taxsms.Obligation
	for _, tp := range []*taxsms.Taxpayer{rc.inService, w.unassigned, w.otherTP} {
		obs = append(obs, &taxsms.Obligation{TaxpayerID: tp.ID, TaxType: "增值税", Period: "2026-10", FilingDue: due})
	}
	_, err = tc.db.UpsertObligations(ctx, each(obs...))
	must(t, err)
	_, err = tc.db.UpsertFilings(ctx, each(
		&taxsms.Filing{TaxpayerID: rc.inService.ID, TaxType: "增值税", Period: "2026-10", FiledOn: taxsms.Date{Year: 2026, Month: 11, Day: 13}},
		&taxsms.Filing{TaxpayerID: w.otherTP.ID, TaxType: "增值税", Period: "2026-10", FiledOn: taxsms.Date{Year: 2026, Month: 11, Day: 20}},
	))
	must(t, err)
	return rc
}

var spaces = regexp.MustCompile(`>\s+<`)

// squash removes the white space between tags, so that a table row reads
// as one string.
func squash(body string) string { return spaces.ReplaceAllString(body, "><") }

// TestConsole_Reports signs in as every role and opens every report and
// its exports: each is shown to those who may read its data, nothing of
// the other branch appears outside a role's scope, the city's
// administrator sees the late registration, the failing number and the
// operator's send, and every export is recorded in the audit archive.
func TestConsole_Reports(t *testing.T) {
	tc := startConsole(t)
	rc := newReportCity(t, tc)
	ctx := context.Background()
	for _, role := range taxsms.Roles {
		t.Run(string(role), func(t *testing.T) {
			actor, err := tc.db.UserActor(ctx, tc.users[role].ID)
			must(t, err)
			b := tc.browser()
			b.mustSignIn(tc.users[role].Login)
			check := func(path string, r response, want int) {
				t.Helper()
				if r.Status != want {
					t.Errorf("GET %s = %d, want %d", path, r.Status, want)
				}
				for _, m := range rc.markers {
					if !actor.Access(m.data).Read.Contains(m.path, m.owner) && strings.Contains(r.Body, m.text) {
						t.Errorf("GET %s shows %q, outside the scope of %s", path, m.text, role)
					}
				}
			}
			index := http.StatusOK
			if !canSeeReports(actor) {
				index = http.StatusForbidden
			}
			check("/reports", b.get("/reports"), index)
			for _, name := range reportNames {
				want := http.StatusOK
				if actor.Access(reportNeeds(name)).Read.Level == auth.LevelNone {
					want = http.StatusForbidden
				}
				path := "/reports/" + name + rc.query
				r := b.get(path)
				check(path, r, want)
				if role == taxsms.RoleCityAdmin {
					for page, text := range map[string]string{"coverage": "越界迟登记有限公司", "reception": "137****1111", "supervision": rc.op.Name} {
						if page == name && !strings.Contains(r.Body, text) {
							t.Errorf("the city's %s report does not show %q", name, text)
						}
					}
					if !strings.Contains(r.Body, "<svg") {
						t.Errorf("the %s report draws no chart", name)
					}
				}
				for _, format := range []string{"csv", "xlsx"} {
					before, err := tc.db.AuditHead(ctx)
					must(t, err)
					path := "/reports/" + name + "/export" + rc.query + "&format=" + format
					r := b.get(path)
					if !actor.Has(auth.PermExport) || want != http.StatusOK {
						if r.Status != http.StatusForbidden {
							t.Errorf("GET %s = %d, want 403", path, r.Status)
						}
						continue
					}
					check(path, r, http.StatusOK)
					after, err := tc.db.AuditHead(ctx)
					must(t, err)
					if after.Seq == before.Seq {
						t.Errorf("GET %s recorded nothing in the audit archive", path)
					}
					if format == "csv" && name == "reception" && strings.Contains(r.Body, rc.otherContact.Mobile) != (actor.Has(auth.PermRevealNumbers) && actor.Access(auth.DataTaxpayers).Read.Contains(rc.other.Path, 0)) {
						t.Errorf("GET %s: the number in full shown %v, want it only to those who may reveal it", path, strings.Contains(r.Body, rc.otherContact.Mobile))
					}
				}
			}
		})
	}
	t.Run("BadQuery", func(t *testing.T) {
		b := tc.browser()
		b.mustSignIn(rc.cityAdmin.Login)
		for _, q := range []string{"?from=2026-12-31&to=2026-12-01", "?from=yesterday", "?office=x", "?from=2025-01-01&to=2026-12-01"} {
			r := b.get("/reports/coverage" + q)
			if r.Status != http.StatusBadRequest || !strings.Contains(r.Body, `class="error"`) && !strings.Contains(r.Body, "form-error") {
				t.Errorf("GET /reports/coverage%s = %d, want 400 with the error shown", q, r.Status)
			}
		}
		if r := b.get("/reports/effect?period=11-2026"); r.Status != http.StatusBadRequest {
			t.Errorf("a bad period = %d, want 400", r.Status)
		}
		if r := b.get("/reports/nothing"); r.Status != http.StatusNotFound {
			t.Errorf("GET /reports/nothing = %d, want 404", r.Status)
		}
		// An office outside the user's offices is not found.
		b = tc.browser()
		b.mustSignIn(rc.branchAdmin.Login)
		if r := b.get(fmt.Sprintf("/reports/coverage?office=%d", rc.other.ID)); r.Status != http.StatusNotFound {
			t.Errorf("a branch's report of another branch = %d, want 404", r.Status)
		}
	})
}

// TestConsole_ReportFigures checks the figures each report shows, as each
// viewer sees them: the city's administrator the whole city, the branch's
// administrator its branch only, the operator its own taxpayers and sends.
func TestConsole_ReportFigures(t *testing.T) {
	tc := startConsole(t)
	rc := newReportCity(t, tc)
	type want struct {
		page  string
		shows []string // in the page, white space between tags removed
		hides []string
	}
	row := func(cells ...string) string { return strings.Join(cells, "") }
	for _, tt := range []struct {
		name  string
		user  *taxsms.User
		wants []want
	}{
		{"CityAdmin", rc.cityAdmin, []want{
			{"coverage", []string{
				// 3 taxpayers in the branch, 1 in service; the late
				// registration; the unassigned taxpayer without service.
				row(`<th scope="row">市南区税务局</th><td class="n">3</td><td class="n">33.3%</td>`),
				row(`<th scope="row">越界分局</th><td class="n">2</td><td class="n">50.0%</td>`),
				`<p class="big">40.0%</p>`, "2 / 5 户",
				"迟登记有限公司", "越界迟登记有限公司", "未分配纳税人有限公司",
				"市南区税务局: 33.3% · 1/3",
			}, nil},
			{"reception", []string{
				// 10 messages, 2 delivered, 8 failed; the other branch's
				// number failed 4 times in a row, with the carrier's reason.
				`<p class="big">20.0%</p>`, `<p class="big">10</p>`,
				row(`<th scope="row">越界分局</th><td class="n">5</td><td class="n">5</td><td class="n">0</td><td class="n">5</td><td class="n">0.0%</td>`),
				"137****1111", "UNDELIV MK:0001", fmt.Sprintf(`href="/contacts/%d"`, rc.otherContact.ID),
				fmt.Sprintf(`href="/taxpayers/%d"`, rc.otherTP.ID), `class="chart chart-time chart-rate-days"`,
			}, []string{"138****0001"}},
			{"supervision", []string{
				// three sends, each flagged: outside working hours, an
				// emergency with its reason, an override with its reason.
				rc.op.Name, rc.cityAdmin.Name, "台风停止办税", "台风预警，明日暂停办税服务", "号码为本局咨询电话",
				"工作时间外 1 条", "紧急发送", "内容审核放行",
			}, nil},
			{"effect?period=2026-10", []string{
				// reminded and filed in time 1/1; not reminded 0/2 (the
				// other branch's filed late, the unassigned never).
				row(`<th scope="row">申报期限前提醒</th><td>合计</td><td class="n">100.0% <span class="subtle">(1/1)</span></td>`,
					`<td class="n">— <span class="subtle">(0/0)</span></td><td class="n">0.0% <span class="subtle">(0/2)</span></td>`,
					`<td class="n">退订 0 · 无开通联系人 1</td><td class="n">&#43;100.0</td>`), // "+100.0" escaped
				// not filed by the deadline: the late filer filed within 7 days.
				row(`<th scope="row">逾期未申报提醒</th><td>合计</td>`),
				"50.0% <span class=\"subtle\">(1/2)</span>",
			}, nil},
		}},
		{"BranchAdmin", rc.branchAdmin, []want{
			{"coverage", []string{row(`<th scope="row">市南区税务局</th><td class="n">3</td><td class="n">33.3%</td>`), `<p class="big">33.3%</p>`, "迟登记有限公司"},
				[]string{"越界分局", "越界迟登记有限公司", "越界纳税人有限公司"}},
			{"reception", []string{`<p class="big">40.0%</p>`, `<p class="big">5</p>`}, []string{"137****1111", "越界分局"}},
			{"supervision", []string{rc.op.Name, "号码为本局咨询电话", "工作时间外 1 条"}, []string{"台风停止办税", rc.cityAdmin.Name}},
			{"effect?period=2026-10", []string{row(`<th scope="row">申报期限前提醒</th><td>市南区税务局</td><td class="n">100.0% <span class="subtle">(1/1)</span></td>`)},
				[]string{"越界分局", "合计"}},
		}},
		{"Operator", rc.op, []want{
			{"coverage", []string{row(`<th scope="row">市南区税务局</th><td class="n">2</td><td class="n">50.0%</td>`)}, []string{"未分配纳税人有限公司", "越界分局"}},
			{"supervision", []string{"政策宣传"}, []string{"台风停止办税"}},
		}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			b := tc.browser()
			b.mustSignIn(tt.user.Login)
			for _, w := range tt.wants {
				path := "/reports/" + w.page
				if strings.Contains(path, "?") {
					path += "&from=2026-12-01&to=2026-12-04"
				} else {
					path += rc.query
				}
				r := b.get(path)
				if r.Status != http.StatusOK {
					t.Fatalf("GET %s = %d", path, r.Status)
				}
				body := squash(r.Body)
				for _, s := range w.shows {
					if !strings.Contains(body, s) {
						t.Errorf("GET %s does not show %q", path, s)
					}
				}
				for _, s := range w.hides {
					if strings.Contains(body, s) {
						t.Errorf("GET %s shows %q", path, s)
					}
				}
			}
		})
	}
	t.Run("Flagged", func(t *testing.T) {
		b := tc.browser()
		b.mustSignIn(rc.cityAdmin.Login)
		r := b.get("/reports/supervision" + rc.query)
		if n := strings.Count(r.Body, `<tr class="flagged">`); n != 5 {
			t.Errorf("flagged rows = %d, want 5 (3 sends, 2 authors)", n)
		}
	})
	t.Run("Export", func(t *testing.T) {
		b := tc.browser()
		b.mustSignIn(rc.cityAdmin.Login)
		r := b.get("/reports/coverage/export" + rc.query)
		want := fmt.Sprintf("office,%d,市南区税务局,,,,,,,3,1,33.3%%,1,1,1,0,0", rc.branch.ID)
		if !strings.Contains(r.Body, want) {
			t.Errorf("coverage CSV lacks %q:\n%s", want, r.Body)
		}
		if !strings.Contains(r.Body, "late_registration:registered,") || !strings.Contains(r.Body, "without_service:no_service,") {
			t.Errorf("coverage CSV lacks its deadline lists:\n%s", r.Body)
		}
		r = b.get("/reports/supervision/export" + rc.query)
		if !strings.Contains(r.Body, "台风停止办税,2026-12-03,special,") || !strings.Contains(r.Body, ",true,台风预警，明日暂停办税服务,false,") {
			t.Errorf("supervision CSV lacks the emergency and its reason:\n%s", r.Body)
		}
	})
}

// TestConsole_ReportWorklist corrects a failing number from the contact
// page the worklist links to, and the number leaves the list.
func TestConsole_ReportWorklist(t *testing.T) {
	tc := startConsole(t)
	rc := newReportCity(t, tc)
	b := tc.browser()
	b.mustSignIn(rc.cityAdmin.Login)
	r := b.get("/reports/reception" + rc.query)
	link := fmt.Sprintf("/contacts/%d", rc.otherContact.ID)
	if !strings.Contains(r.Body, "137****1111") || !strings.Contains(r.Body, `href="`+link+`"`) {
		t.Fatalf("the worklist lacks the failing number and the link to its contact")
	}
	form := url.Values{"csrf_token": {b.csrf(link)}, "mobile": {"13700002222"}, "channel": {"window"}}
	if r := b.post(link+"/change-number", form); r.Status != http.StatusSeeOther {
		t.Fatalf("POST %s/change-number = %d, want 303\n%s", link, r.Status, r.Body)
	}
	r = b.get("/reports/reception" + rc.query)
	if strings.Contains(r.Body, "137****1111") || strings.Contains(r.Body, "137****2222") {
		t.Errorf("the corrected number is still on the worklist")
	}
	if !strings.Contains(squash(r.Body), `<p class="big">0</p>`) {
		t.Errorf("the worklist's count is not 0 after the correction")
	}
}

// TestConsole_ReportSettings changes the city's settings of the reports:
// only its administrator may, a bad value is named beside its field,
// every change is audited, and the worklist follows the rule.
func TestConsole_ReportSettings(t *testing.T) {
	tc := startConsole(t)
	rc := newReportCity(t, tc)
	ctx := context.Background()
	form := url.Values{"drive_start": {"2026-07-01"}, "fail_run": {"5"}, "fail_days": {"20"}, "paid_within": {"5"}}
	b := tc.browser()
	b.mustSignIn(rc.branchAdmin.Login)
	if r := b.get("/reports"); strings.Contains(r.Body, `action="/reports/settings"`) {
		t.Errorf("a branch administrator is offered the settings form")
	}
	form.Set("csrf_token", b.csrf("/account/password"))
	if r := b.post("/reports/settings", form); r.Status != http.StatusForbidden {
		t.Errorf("a branch administrator's settings = %d, want 403", r.Status)
	}
	b = tc.browser()
	b.mustSignIn(rc.cityAdmin.Login)
	form.Set("csrf_token", b.csrf("/reports"))
	for _, bad := range []struct{ field, value string }{{"fail_run", "0"}, {"fail_days", "x"}, {"drive_start", "2026-13-01"}, {"paid_within", "91"}} {
		f := url.Values{}
		for k, v := range form {
			f[k] = v
		}
		f.Set(bad.field, bad.value)
		r := b.post("/reports/settings", f)
		if r.Status != http.StatusBadRequest || !strings.Contains(r.Body, `id="f-`+bad.field+`"`) || !strings.Contains(squash(r.Body), `field-invalid`) {
			t.Errorf("%s=%s: %d, want 400 with the field marked", bad.field, bad.value, r.Status)
		}
	}
	if r := b.post("/reports/settings", form); r.Status != http.StatusSeeOther {
		t.Fatalf("the city's settings = %d, want 303", r.Status)
	}
	s, err := tc.db.ReportSettings(ctx, time.UTC)
	must(t, err)
	if s.FailRun != 5 || s.FailDays != 20 || s.PaidWithin != 5 || s.DriveStart != (taxsms.Date{Year: 2026, Month: 7, Day: 1}) {
		t.Errorf("settings = %+v, want those posted", s)
	}
	recs, err := tc.db.ListAudit(ctx, audit.Filter{Action: audit.ConfigChanged, ObjectType: "config", ObjectID: "reports"})
	must(t, err)
	if len(recs) != 1 || recs[0].Actor.Login != rc.cityAdmin.Login {
		t.Errorf("audit records of the settings = %+v, want one by the city's administrator", recs)
	}
	// Four failures are fewer than 5 in a row, and they began a day ago.
	if r := b.get("/reports/reception" + rc.query); strings.Contains(r.Body, "137****1111") {
		t.Errorf("with 5 failures in a row the number is still listed")
	}
	form.Set("fail_run", "4")
	b.post("/reports/settings", form)
	if r := b.get("/reports/reception" + rc.query); !strings.Contains(r.Body, "137****1111") || !strings.Contains(r.Body, "连续失败 4 次，或 20 天无送达") {
		t.Errorf("with 4 failures in a row the number is not listed, or the rule not shown")
	}
	// The activation drive began on 2026-07-01: the coverage page says so.
	if r := b.get("/reports/coverage" + rc.query); !strings.Contains(r.Body, "自 2026-07-01 起，应于 2026-10-01 前开通") {
		t.Errorf("the coverage report does not show the drive's start and deadline")
	}
}

// TestConsole_DashboardReports checks the dashboard's delivery rate by day
// and coverage by office, each within the viewer's scope.
func TestConsole_DashboardReports(t *testing.T) {
	tc := startConsole(t)
	rc := newReportCity(t, tc)
	for _, tt := range []struct {
		user         *taxsms.User
		shows, hides []string
	}{
		{rc.cityAdmin, []string{`chart-rate-days`, "市南区税务局: 33.3% · 1/3", "越界分局: 50.0% · 1/2", `<p class="big">40.0%</p>`}, nil},
		{rc.branchAdmin, []string{`chart-rate-days`, "市南区税务局: 33.3% · 1/3"}, []string{"越界分局"}},
		{rc.op, []string{"市南区税务局: 50.0% · 1/2"}, []string{"越界分局"}},
		{tc.users[taxsms.RoleMaintainer], nil, []string{"chart-rate-days", "chart-rates", "/reports/coverage"}},
	} {
		t.Run(string(tt.user.Role), func(t *testing.T) {
			b := tc.browser()
			b.mustSignIn(tt.user.Login)
			r := b.get("/")
			if r.Status != http.StatusOK {
				t.Fatalf("GET / = %d", r.Status)
			}
			for _, s := range tt.shows {
				if !strings.Contains(r.Body, s) {
					t.Errorf("the dashboard lacks %q", s)
				}
			}
			for _, s := range tt.hides {
				if strings.Contains(r.Body, s) {
					t.Errorf("the dashboard shows %q", s)
				}
			}
		})
	}
	// Today (12-04): 4 settled, 2 delivered; the day before: 6, none.
	b := tc.browser()
	b.mustSignIn(rc.cityAdmin.Login)
	r := b.get("/")
	for _, s := range []string{"12-04: 50.0% (2/4)", "12-03: 0.0% (0/6)"} {
		if !strings.Contains(r.Body, s) {
			t.Errorf("the delivery rate chart lacks %q", s)
		}
	}
}

func TestRollUp(t *testing.T) {
	offices := []*taxsms.Office{
		{ID: 1, Name: "市局", Path: "/1/"}, {ID: 2, Name: "甲", Path: "/1/2/"}, {ID: 3, Name: "甲一所", Path: "/1/2/3/"}, {ID: 4, Name: "乙", Path: "/1/4/"},
	}
	rows := []store.CoverageRow{{OfficeID: 1, Taxpayers: 1, Covered: 1}, {OfficeID: 2, Taxpayers: 2, Covered: 1},
		{OfficeID: 3, Taxpayers: 3, Covered: 3}, {OfficeID: 4, Taxpayers: 4}, {OfficeID: 9, Taxpayers: 5, Covered: 5}}
	got, names := rollUp(rows, offices)
	want := []store.CoverageRow{{OfficeID: 1, Taxpayers: 1, Covered: 1}, {OfficeID: 2, Taxpayers: 5, Covered: 4}, {OfficeID: 4, Taxpayers: 4},
		{OfficeID: 9, Taxpayers: 5, Covered: 5}}
	if fmt.Sprint(got) != fmt.Sprint(want) || names[2] != "甲" {
		t.Errorf("rollUp = %v, want %v (the sub-office in its branch, an unknown office apart)", got, want)
	}
	// A branch administrator's tree: its sub-offices are the level below.
	got, _ = rollUp(rows[1:3], offices[1:3])
	if want := []store.CoverageRow{{OfficeID: 2, Taxpayers: 2, Covered: 1}, {OfficeID: 3, Taxpayers: 3, Covered: 3}}; fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("rollUp of a branch = %v, want %v", got, want)
	}
}

func TestRateCharts(t *testing.T) {
	rate := func(n, of int) report.Rate { return report.Rate{N: n, Of: of} }
	c := string(rateChart("a <b>", []rateBar{{Label: "x & y", Rate: rate(1, 3)}, {Label: "无", Rate: rate(0, 0)}}))
	for _, s := range []string{"a &lt;b&gt;", "x &amp; y", "33.3% · 1/3", ">—<"} {
		if !strings.Contains(c, s) {
			t.Errorf("rate chart lacks %q: %s", s, c)
		}
	}
	d := string(rateDaysChart("t", []dayRate{{"12-01", rate(1, 2)}, {"12-02", rate(0, 0)}, {"12-03", rate(3, 3)}}))
	if strings.Count(d, "<circle") != 2 || strings.Count(d, "M") != 2 || strings.Contains(d, "L") || !strings.Contains(d, ">100%<") {
		t.Errorf("rate-by-day chart: want 2 dots, the line broken at the day without a rate, an axis to 100%%: %s", d)
	}
	if got := clip("四川省成都市高新技术产业开发区税务局第一税务所", 120); textWidth(got) > 120 || !strings.HasSuffix(got, "…") {
		t.Errorf("clip = %q (%d wide), want at most 120 wide, ending in …", got, textWidth(got))
	}
}
