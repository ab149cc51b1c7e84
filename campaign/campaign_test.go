package campaign_test

import (
	"bytes"
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"taxsms"
	"taxsms/auth"
	"taxsms/calendar"
	"taxsms/campaign"
	"taxsms/store"
	"taxsms/store/storetest"
)

// fakePrices prices mobile and unicom only.
type fakePrices map[taxsms.Carrier]int64

func (p fakePrices) PriceOf(ctx context.Context, c taxsms.Carrier, k taxsms.Kind, day taxsms.Date) (int64, error) {
	if v, ok := p[c]; ok {
		return v, nil
	}
	return 0, taxsms.Errorf(taxsms.ENOTFOUND, "no tariff for %s", c)
}

// fixture is a city: root, branches b1 and b2; in b1 an operator, its
// branch administrator and a second operator with the approve permission;
// a city administrator at the root; taxpayers in b1 (assigned to the
// operator) and b2, with contacts of every service status.
type fixture struct {
	db                     *store.DB
	svc                    *campaign.Service
	root, b1, b2           *taxsms.Office
	op, admin, op2, city   *taxsms.User
	opCtx, adminCtx, cityC context.Context
	now                    time.Time
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func wantCode(t testing.TB, err error, code string) {
	t.Helper()
	if got := taxsms.ErrorCode(err); got != code {
		t.Fatalf("error = %v (code %q), want %q", err, got, code)
	}
}

// Monday 2026-12-07 10:00 in Shanghai: a working day, in working hours.
var monday10 = time.Date(2026, 12, 7, 10, 0, 0, 0, calendar.Shanghai)

func newFixture(t *testing.T) *fixture {
	t.Helper()
	ctx := context.Background()
	db := storetest.Open(t, "sqlite")
	f := &fixture{db: db, now: monday10}
	db.Now = func() time.Time { return f.now }
	f.root = &taxsms.Office{Code: "13702000000", Name: "青岛市税务局"}
	must(t, db.CreateOffice(ctx, f.root))
	f.b1 = &taxsms.Office{ParentID: f.root.ID, Code: "13702020000", Name: "市南区税务局"}
	must(t, db.CreateOffice(ctx, f.b1))
	f.b2 = &taxsms.Office{ParentID: f.root.ID, Code: "13702030000", Name: "市北区税务局"}
	must(t, db.CreateOffice(ctx, f.b2))
	user := func(login string, office int64, role taxsms.Role, mobile string) *taxsms.User {
		u := &taxsms.User{Login: login, Name: login, OfficeID: office, Role: role, Mobile: mobile}
		must(t, db.CreateUser(ctx, u))
		return u
	}
	f.op = user("op", f.b1.ID, taxsms.RoleOperator, "13900000001")
	f.admin = user("admin", f.b1.ID, taxsms.RoleBranchAdmin, "13900000002")
	f.op2 = user("op2", f.b1.ID, taxsms.RoleOperator, "")
	f.city = user("city", f.root.ID, taxsms.RoleCityAdmin, "13900000003")
	must(t, db.SetUserPermissions(ctx, f.op2.ID, []auth.Permission{auth.PermSendOwn, auth.PermApprove}))
	f.opCtx, f.adminCtx, f.cityC = f.actor(t, f.op), f.actor(t, f.admin), f.actor(t, f.city)
	n := 0
	taxpayer := func(office, admin int64, contacts ...taxsms.ServiceStatus) {
		tp := &taxsms.Taxpayer{Identifier: validID(t, n), Name: fmt.Sprintf("纳税人%d", n), OfficeID: office, AdminID: admin,
			TaxTypes: []string{"增值税"}}
		must(t, db.CreateTaxpayer(ctx, tp))
		for i, st := range contacts {
			mobile := fmt.Sprintf("138%08d", n*10+i)
			if st == "dup" {
				mobile, st = "13812345678", taxsms.ServiceActive
			}
			must(t, db.CreateContact(ctx, &taxsms.Contact{TaxpayerID: tp.ID, Role: taxsms.ContactRoles[i], Mobile: mobile, Status: st}))
		}
		n++
	}
	taxpayer(f.b1.ID, f.op.ID, taxsms.ServiceActive, "dup")
	taxpayer(f.b1.ID, f.op.ID, taxsms.ServiceActive, taxsms.ServiceOptedOut, "dup")
	taxpayer(f.b1.ID, f.admin.ID, taxsms.ServiceActive, taxsms.ServiceCancelled, taxsms.ServicePending)
	taxpayer(f.b2.ID, 0, taxsms.ServiceActive, taxsms.ServiceActive)
	f.svc = &campaign.Service{DB: db, Signature: "【青岛税务】", Now: func() time.Time { return f.now },
		Prices: fakePrices{taxsms.CarrierMobile: 45}}
	return f
}

// validID returns the n-th valid unified social credit code.
func validID(t testing.TB, n int) string {
	t.Helper()
	first := fmt.Sprintf("91370200MA3C5X%03d", n)
	return first + string(taxsms.USCCCheck(first))
}

func (f *fixture) actor(t testing.TB, u *taxsms.User) context.Context {
	t.Helper()
	a, err := f.db.UserActor(context.Background(), u.ID)
	must(t, err)
	return auth.NewContext(context.Background(), a)
}

func (f *fixture) draft(t *testing.T, ctx context.Context, mutate func(*taxsms.Campaign)) *taxsms.Campaign {
	t.Helper()
	c := &taxsms.Campaign{OfficeID: f.b1.ID, Kind: taxsms.KindSpecial, Title: "申报提醒",
		Template: "尊敬的{name}：本月征期将于15日结束，请及时办理纳税申报。",
		Audience: taxsms.Audience{Type: taxsms.AudienceTaxpayers}}
	if mutate != nil {
		mutate(c)
	}
	must(t, f.svc.Create(ctx, c))
	return c
}

func TestService_Estimate(t *testing.T) {
	f := newFixture(t)
	c := f.draft(t, f.adminCtx, nil)
	e, err := f.svc.Estimate(f.adminCtx, c.ID)
	must(t, err)
	// b1: taxpayer 0 has 2 active (one the shared number), taxpayer 1 one
	// active, one opted out and the shared number again, taxpayer 2 one
	// active, one cancelled, one pending.
	if e.Count.Recipients != 4 || e.Count.Duplicates != 1 {
		t.Errorf("Recipients, Duplicates = %d, %d, want 4, 1", e.Count.Recipients, e.Count.Duplicates)
	}
	want := map[string]int{"opted_out": 1, "cancelled": 1, "pending": 1}
	for k, v := range want {
		if e.Count.Excluded[k] != v {
			t.Errorf("Excluded[%s] = %d, want %d", k, e.Count.Excluded[k], v)
		}
	}
	text := f.svc.Render(c, campaign.Values{Name: "纳税人0"})
	if e.Count.Segments != 4*campaignSegments(text) {
		t.Errorf("Segments = %d, want %d", e.Count.Segments, 4*campaignSegments(text))
	}
	if !e.Complete && e.CostMilliYuan != 45*int64(e.Count.Segments) {
		t.Errorf("Cost = %d, want %d", e.CostMilliYuan, 45*e.Count.Segments)
	}
	if !e.NeedsApproval {
		t.Error("NeedsApproval = false under the default rule")
	}
	// The operator's own estimate reaches only its taxpayers: the author's
	// scope, whoever asks.
	oc := f.draft(t, f.opCtx, func(c *taxsms.Campaign) { c.Audience.AdminID = f.op.ID })
	e, err = f.svc.Estimate(f.adminCtx, oc.ID)
	must(t, err)
	if e.Count.Recipients != 3 {
		t.Errorf("operator's Recipients = %d, want 3", e.Count.Recipients)
	}
}

func campaignSegments(text string) int {
	n := len([]rune(text))
	if n <= 70 {
		return 1
	}
	return (n + 66) / 67
}

func TestService_Preview(t *testing.T) {
	svc := &campaign.Service{Signature: "【青岛税务】"}
	for _, tc := range []struct {
		name string
		c    taxsms.Campaign
		want string
		code string
	}{
		{"Taxpayers", taxsms.Campaign{OfficeID: 1, Kind: taxsms.KindSpecial, Title: "t", Template: "{name}您好，{admin}提醒您申报。",
			Audience: taxsms.Audience{Type: taxsms.AudienceTaxpayers}},
			"【青岛税务】青岛海川贸易有限公司您好，王芳提醒您申报。回TD退订", ""},
		{"Staff", taxsms.Campaign{OfficeID: 1, Kind: taxsms.KindInternal, Title: "t", Template: "{name}：下午三点开会。",
			Audience: taxsms.Audience{Type: taxsms.AudienceStaff}},
			"【青岛税务】青岛海川贸易有限公司：下午三点开会。", ""},
		{"ErrVariable", taxsms.Campaign{OfficeID: 1, Kind: taxsms.KindSpecial, Title: "t", Template: "{amount}",
			Audience: taxsms.Audience{Type: taxsms.AudienceTaxpayers}}, "", taxsms.EINVALID},
		{"ErrInternalToTaxpayers", taxsms.Campaign{OfficeID: 1, Kind: taxsms.KindInternal, Title: "t", Template: "x",
			Audience: taxsms.Audience{Type: taxsms.AudienceTaxpayers}}, "", taxsms.EINVALID},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, err := svc.Preview(&tc.c)
			wantCode(t, err, tc.code)
			if err != nil {
				return
			}
			if p.Text != tc.want {
				t.Errorf("Text = %q, want %q", p.Text, tc.want)
			}
			if p.Chars != len([]rune(tc.want)) || p.Segments != 1 {
				t.Errorf("Chars, Segments = %d, %d, want %d, 1", p.Chars, p.Segments, len([]rune(tc.want)))
			}
		})
	}
}

func TestService_Approval(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	c := f.draft(t, f.opCtx, func(c *taxsms.Campaign) { c.Audience.AdminID = f.op.ID })
	got, err := f.svc.Submit(f.opCtx, c.ID)
	must(t, err)
	if got.State != taxsms.CampaignPending {
		t.Fatalf("State = %s, want pending", got.State)
	}
	t.Run("ErrAuthor", func(t *testing.T) {
		_, err := f.svc.Approve(f.opCtx, c.ID, "")
		wantCode(t, err, taxsms.EFORBIDDEN)
	})
	t.Run("ErrScope", func(t *testing.T) {
		// An operator holding approve reaches only its own campaigns.
		_, err := f.svc.Approve(f.actor(t, f.op2), c.ID, "")
		if code := taxsms.ErrorCode(err); code != taxsms.ENOTFOUND && code != taxsms.EFORBIDDEN {
			t.Fatalf("error = %v, want not found or forbidden", err)
		}
	})
	t.Run("ErrRejectWithoutReason", func(t *testing.T) {
		_, err := f.svc.Reject(f.adminCtx, c.ID, " ")
		wantCode(t, err, taxsms.EINVALID)
	})
	got, err = f.svc.Approve(f.adminCtx, c.ID, "")
	must(t, err)
	if got.State != taxsms.CampaignApproved || got.ApprovedBy != f.admin.ID {
		t.Fatalf("State, ApprovedBy = %s, %d, want approved, %d", got.State, got.ApprovedBy, f.admin.ID)
	}
	_, err = f.svc.Approve(f.adminCtx, c.ID, "")
	wantCode(t, err, taxsms.ECONFLICT)

	t.Run("NoRuleNoApproval", func(t *testing.T) {
		must(t, f.db.SetApprovalRule(ctx, taxsms.ApprovalRule{OfficeID: f.b1.ID, Over: 100}, false))
		defer f.db.SetApprovalRule(ctx, taxsms.ApprovalRule{OfficeID: f.b1.ID}, true)
		c := f.draft(t, f.adminCtx, nil)
		got, err := f.svc.Submit(f.adminCtx, c.ID)
		must(t, err)
		if got.State != taxsms.CampaignApproved {
			t.Fatalf("State = %s, want approved (4 recipients, rule over 100)", got.State)
		}
	})
	t.Run("Reject", func(t *testing.T) {
		c := f.draft(t, f.opCtx, func(c *taxsms.Campaign) { c.Audience.AdminID = f.op.ID })
		_, err := f.svc.Submit(f.opCtx, c.ID)
		must(t, err)
		got, err := f.svc.Reject(f.adminCtx, c.ID, "措辞不当")
		must(t, err)
		if got.State != taxsms.CampaignRejected || got.RejectReason != "措辞不当" {
			t.Fatalf("State, RejectReason = %s, %q", got.State, got.RejectReason)
		}
		// Edited, it is a draft again.
		got.Template = "请及时申报。"
		must(t, f.svc.Update(f.opCtx, got))
		again, _, err := f.svc.Find(f.opCtx, c.ID)
		must(t, err)
		if again.State != taxsms.CampaignDraft || again.RejectReason != "" {
			t.Fatalf("after edit State, RejectReason = %s, %q, want draft, empty", again.State, again.RejectReason)
		}
	})
	t.Run("Override", func(t *testing.T) {
		c := f.draft(t, f.opCtx, func(c *taxsms.Campaign) {
			c.Audience.AdminID = f.op.ID
			c.Template = "请访问 http://example.com/bet 了解赌博优惠"
		})
		rep, err := f.svc.Check(f.opCtx, c.ID)
		must(t, err)
		if rep.Clean() {
			t.Fatal("Check: clean, want flags")
		}
		_, err = f.svc.Submit(f.opCtx, c.ID)
		must(t, err)
		_, err = f.svc.Approve(f.adminCtx, c.ID, "")
		wantCode(t, err, taxsms.EINVALID)
		got, err := f.svc.Approve(f.adminCtx, c.ID, "经核实为反诈宣传原文")
		must(t, err)
		if got.OverrideBy != f.admin.ID || got.OverrideReason == "" {
			t.Fatalf("OverrideBy, OverrideReason = %d, %q", got.OverrideBy, got.OverrideReason)
		}
	})
	t.Run("ErrOwnOnly", func(t *testing.T) {
		err := f.svc.Create(f.opCtx, &taxsms.Campaign{OfficeID: f.b1.ID, Kind: taxsms.KindSpecial, Title: "x", Template: "请申报",
			Audience: taxsms.Audience{Type: taxsms.AudienceTaxpayers}})
		wantCode(t, err, taxsms.EFORBIDDEN)
	})
	t.Run("ErrCityWide", func(t *testing.T) {
		err := f.svc.Create(f.adminCtx, &taxsms.Campaign{OfficeID: f.b1.ID, Kind: taxsms.KindSpecial, Title: "x", Template: "请申报",
			Audience: taxsms.Audience{Type: taxsms.AudienceTaxpayers, Subtree: f.root.ID}})
		if code := taxsms.ErrorCode(err); code != taxsms.EFORBIDDEN && code != taxsms.ENOTFOUND {
			t.Fatalf("error = %v, want forbidden or not found", err)
		}
	})
}

// TestCampaignState_CanMove is the table of allowed and refused moves.
func TestCampaignState_CanMove(t *testing.T) {
	allowed := map[[2]taxsms.CampaignState]bool{}
	for _, m := range [][2]taxsms.CampaignState{
		{"draft", "pending"}, {"draft", "approved"}, {"draft", "cancelled"},
		{"pending", "approved"}, {"pending", "rejected"}, {"pending", "cancelled"},
		{"rejected", "draft"}, {"rejected", "cancelled"},
		{"approved", "scheduled"}, {"approved", "draft"}, {"approved", "cancelled"},
		{"scheduled", "sending"}, {"scheduled", "paused"}, {"scheduled", "cancelled"},
		{"sending", "paused"}, {"sending", "completed"}, {"sending", "cancelled"},
		{"paused", "scheduled"}, {"paused", "sending"}, {"paused", "cancelled"},
	} {
		allowed[m] = true
	}
	for _, from := range taxsms.CampaignStates {
		for _, to := range taxsms.CampaignStates {
			if got := from.CanMove(to); got != allowed[[2]taxsms.CampaignState{from, to}] {
				t.Errorf("%s.CanMove(%s) = %v, want %v", from, to, got, !got)
			}
		}
	}
}

func TestService_States(t *testing.T) {
	f := newFixture(t)
	c := f.draft(t, f.adminCtx, nil)
	for _, tc := range []struct {
		name string
		do   func() (*taxsms.Campaign, error)
		want taxsms.CampaignState
		code string
	}{
		{"ErrScheduleDraft", func() (*taxsms.Campaign, error) { return f.svc.Schedule(f.adminCtx, c.ID, time.Time{}) }, "", taxsms.ECONFLICT},
		{"ErrPauseDraft", func() (*taxsms.Campaign, error) { return f.svc.Pause(f.adminCtx, c.ID, "") }, "", taxsms.ECONFLICT},
		{"Submit", func() (*taxsms.Campaign, error) { return f.svc.Submit(f.adminCtx, c.ID) }, taxsms.CampaignPending, ""},
		{"ErrResubmit", func() (*taxsms.Campaign, error) { return f.svc.Submit(f.adminCtx, c.ID) }, "", taxsms.ECONFLICT},
		{"Approve", func() (*taxsms.Campaign, error) { return f.svc.Approve(f.cityC, c.ID, "") }, taxsms.CampaignApproved, ""},
		{"Schedule", func() (*taxsms.Campaign, error) { return f.svc.Schedule(f.adminCtx, c.ID, time.Time{}) }, taxsms.CampaignScheduled, ""},
		{"Pause", func() (*taxsms.Campaign, error) { return f.svc.Pause(f.adminCtx, c.ID, "核对名单") }, taxsms.CampaignPaused, ""},
		{"ErrPausePaused", func() (*taxsms.Campaign, error) { return f.svc.Pause(f.adminCtx, c.ID, "") }, "", taxsms.ECONFLICT},
		{"Resume", func() (*taxsms.Campaign, error) { return f.svc.Resume(f.adminCtx, c.ID) }, taxsms.CampaignScheduled, ""},
		{"Cancel", func() (*taxsms.Campaign, error) { return f.svc.Cancel(f.adminCtx, c.ID, "政策调整") }, taxsms.CampaignCancelled, ""},
		{"ErrCancelCancelled", func() (*taxsms.Campaign, error) { return f.svc.Cancel(f.adminCtx, c.ID, "") }, "", taxsms.ECONFLICT},
	} {
		got, err := tc.do()
		wantCode(t, err, tc.code)
		if err == nil && got.State != tc.want {
			t.Fatalf("%s: State = %s, want %s", tc.name, got.State, tc.want)
		}
	}
	_, h, err := f.svc.Find(f.adminCtx, c.ID)
	must(t, err)
	var states []taxsms.CampaignState
	for _, e := range h {
		states = append(states, e.State)
	}
	if want := "[draft pending approved scheduled paused scheduled cancelled]"; fmt.Sprint(states) != want {
		t.Errorf("history = %v, want %s", states, want)
	}
}

// send takes a campaign of ctx's author through approval and scheduling.
func (f *fixture) send(t *testing.T, ctx context.Context, c *taxsms.Campaign, at time.Time) {
	t.Helper()
	_, err := f.svc.Submit(ctx, c.ID)
	must(t, err)
	_, err = f.svc.Approve(f.cityC, c.ID, "")
	must(t, err)
	_, err = f.svc.Schedule(ctx, c.ID, at)
	must(t, err)
}

func TestService_Run(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	c := f.draft(t, f.adminCtx, nil)
	// Saturday evening: the campaign waits for Monday 08:30.
	f.now = time.Date(2026, 12, 5, 20, 0, 0, 0, calendar.Shanghai)
	f.send(t, f.adminCtx, c, time.Time{})
	st, err := f.svc.Run(ctx)
	must(t, err)
	if st.Started != 0 {
		t.Fatalf("Started on Saturday = %d, want 0", st.Started)
	}
	f.now = time.Date(2026, 12, 7, 8, 30, 0, 0, calendar.Shanghai)
	st, err = f.svc.Run(ctx)
	must(t, err)
	if st.Started != 1 || st.Queued != 4 {
		t.Fatalf("Monday 08:30: Started, Queued = %d, %d, want 1, 4", st.Started, st.Queued)
	}
	// Idempotent: nothing queued twice.
	if st, err = f.svc.Run(ctx); err != nil || st.Queued != 0 {
		t.Fatalf("second run: Queued = %d, %v, want 0", st.Queued, err)
	}
	p, err := f.svc.Progress(f.adminCtx, c.ID)
	must(t, err)
	if p.Messages != 4 || p.ByStatus[taxsms.StatusQueued] != 4 {
		t.Fatalf("Progress = %+v, want 4 queued", p)
	}
	// Lunch: held; afternoon: released.
	f.now = time.Date(2026, 12, 7, 12, 30, 0, 0, calendar.Shanghai)
	if st, err = f.svc.Run(ctx); err != nil || st.Held != 4 {
		t.Fatalf("at 12:30 Held = %d, %v, want 4", st.Held, err)
	}
	f.now = time.Date(2026, 12, 7, 13, 30, 0, 0, calendar.Shanghai)
	if st, err = f.svc.Run(ctx); err != nil || st.Released != 4 {
		t.Fatalf("at 13:30 Released = %d, %v, want 4", st.Released, err)
	}
	// Pause reaches the queued messages at once.
	_, err = f.svc.Pause(f.adminCtx, c.ID, "核对")
	must(t, err)
	if p, _ = f.svc.Progress(f.adminCtx, c.ID); p.ByStatus[taxsms.StatusHeld] != 4 {
		t.Fatalf("after pause: %v, want 4 held", p.ByStatus)
	}
	_, err = f.svc.Resume(f.adminCtx, c.ID)
	must(t, err)
	if p, _ = f.svc.Progress(f.adminCtx, c.ID); p.ByStatus[taxsms.StatusQueued] != 4 {
		t.Fatalf("after resume: %v, want 4 queued", p.ByStatus)
	}
	// The messages are sent: the campaign completes.
	if _, err := f.db.ChangeWaiting(ctx, store.Selector{CampaignID: c.ID}, taxsms.StatusCancelled, "test"); err != nil {
		t.Fatal(err)
	}
	if st, err = f.svc.Run(ctx); err != nil || st.Completed != 1 {
		t.Fatalf("Completed = %d, %v, want 1", st.Completed, err)
	}
	rows, err := f.svc.Report(f.adminCtx, c.ID)
	must(t, err)
	total := 0
	for _, r := range rows {
		total += r.Cancelled
	}
	if total != 4 {
		t.Errorf("report cancelled = %d, want 4", total)
	}
	var buf bytes.Buffer
	must(t, f.svc.WriteReport(f.adminCtx, c.ID, &buf))
	x, err := excelize.OpenReader(&buf)
	must(t, err)
	if v, _ := x.GetCellValue("Summary", "B6"); v != "4" {
		t.Errorf("Summary!B6 (messages) = %q, want 4", v)
	}
}

func TestService_Emergency(t *testing.T) {
	f := newFixture(t)
	f.now = time.Date(2026, 12, 5, 22, 0, 0, 0, calendar.Shanghai) // Saturday night
	err := f.svc.Create(f.adminCtx, &taxsms.Campaign{OfficeID: f.b1.ID, Kind: taxsms.KindSpecial, Title: "x", Template: "请申报",
		Audience: taxsms.Audience{Type: taxsms.AudienceTaxpayers}, Emergency: true, EmergencyReason: "系统故障"})
	wantCode(t, err, taxsms.EFORBIDDEN) // branch administrators hold no send_emergency by default
	c := f.draft(t, f.cityC, func(c *taxsms.Campaign) { c.Emergency, c.EmergencyReason = true, "申报系统故障，征期顺延" })
	_, err = f.svc.Submit(f.cityC, c.ID)
	must(t, err)
	_, err = f.svc.Approve(f.adminCtx, c.ID, "")
	must(t, err)
	_, err = f.svc.Schedule(f.cityC, c.ID, time.Time{})
	must(t, err)
	st, err := f.svc.Run(context.Background())
	must(t, err)
	if st.Started != 1 || st.Queued != 4 || st.Held != 0 {
		t.Fatalf("Saturday night emergency: %+v, want started, 4 queued, none held", st)
	}
}

func TestService_Staff(t *testing.T) {
	f := newFixture(t)
	must(t, f.db.SetUserGroups(f.cityC, f.op.ID, []string{"党员"}))
	c := f.draft(t, f.adminCtx, func(c *taxsms.Campaign) {
		c.Kind, c.Template = taxsms.KindInternal, "{name}同志：请于周五前提交廉政承诺书。"
		c.Audience = taxsms.Audience{Type: taxsms.AudienceStaff, Group: "党员"}
	})
	e, err := f.svc.Estimate(f.adminCtx, c.ID)
	must(t, err)
	if e.Count.Recipients != 1 {
		t.Fatalf("Recipients = %d, want 1 (the group's member with a number)", e.Count.Recipients)
	}
	if e.Preview.Text[len(e.Preview.Text)-len(taxsms.OptOutLine):] == taxsms.OptOutLine {
		t.Error("an internal notice ends with the opt-out line")
	}
}

func TestService_FestivalDrafts(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	day := taxsms.Date{Year: 2027, Month: 1, Day: 25} // 春节 2027 is 02-06
	n, err := f.svc.FestivalDrafts(ctx, day, 14)
	must(t, err)
	if n != 1 {
		t.Fatalf("drafted %d, want 1", n)
	}
	if n, err = f.svc.FestivalDrafts(ctx, day, 14); err != nil || n != 0 {
		t.Fatalf("again: drafted %d, %v, want 0", n, err)
	}
	list, err := f.svc.List(f.cityC, taxsms.CampaignFilter{})
	must(t, err)
	if len(list) != 1 || list[0].Festival != "2027-02-06 春节" || list[0].State != taxsms.CampaignDraft {
		t.Fatalf("drafts = %+v", list)
	}
}
