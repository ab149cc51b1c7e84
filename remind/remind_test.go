package remind_test

import (
	"context"
	"fmt"
	"iter"
	"slices"
	"strings"
	"testing"
	"time"

	"taxsms"
	"taxsms/calendar"
	"taxsms/remind"
	"taxsms/store"
	"taxsms/store/storetest"
)

func day(m time.Month, d int) taxsms.Date { return taxsms.Date{Year: 2026, Month: m, Day: d} }

func seq[T any](xs ...T) iter.Seq2[T, error] {
	return func(yield func(T, error) bool) {
		for _, x := range xs {
			if !yield(x, nil) {
				return
			}
		}
	}
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// city is a branch with three taxpayers, each owing VAT for 2026-11 by
// 2026-12-15 (a Tuesday): A with two active contacts, B with one active
// and one opted out, C with one active contact, who has filed 100.00 yuan
// and not paid.
type city struct {
	db      *store.DB
	tp      [3]*taxsms.Taxpayer
	clerks  [3]*taxsms.Contact
	planner *remind.Planner
	now     time.Time
}

func newCity(t *testing.T) *city {
	t.Helper()
	ctx := context.Background()
	c := &city{db: storetest.Open(t, "sqlite")}
	root := &taxsms.Office{Code: "13702000000", Name: "青岛市税务局", Phone: "0532-12366"}
	must(t, c.db.CreateOffice(ctx, root))
	b := &taxsms.Office{ParentID: root.ID, Code: "13702020000", Name: "市南区税务局", Phone: "0532-82871234"}
	must(t, c.db.CreateOffice(ctx, b))
	var obs []*taxsms.Obligation
	for i := range c.tp {
		first := fmt.Sprintf("91370202MA%07d", 500+i)
		c.tp[i] = &taxsms.Taxpayer{Identifier: first + string(taxsms.USCCCheck(first)), Name: fmt.Sprintf("青岛海纳%c贸易有限公司", 'A'+i),
			OfficeID: b.ID, Registered: taxsms.Date{Year: 2024, Month: 3, Day: 1}, TaxTypes: []string{"增值税"}}
		must(t, c.db.CreateTaxpayer(ctx, c.tp[i]))
		for j, role := range []taxsms.ContactRole{taxsms.RoleTaxClerk, taxsms.RoleLegalRep} {
			status := taxsms.ServiceActive
			if i == 1 && j == 1 || i == 2 && j == 1 {
				status = taxsms.ServiceOptedOut
			}
			ct := &taxsms.Contact{TaxpayerID: c.tp[i].ID, Role: role, Name: "联系人", Mobile: fmt.Sprintf("139000%03d%02d", i, j), Status: status}
			must(t, c.db.CreateContact(ctx, ct))
			if j == 0 {
				c.clerks[i] = ct
			}
		}
		obs = append(obs, &taxsms.Obligation{TaxpayerID: c.tp[i].ID, TaxType: "增值税", Period: "2026-11",
			FilingDue: day(12, 15), PaymentDue: day(12, 15)})
	}
	_, err := c.db.UpsertObligations(ctx, seq(obs...))
	must(t, err)
	_, err = c.db.UpsertFilings(ctx, seq(&taxsms.Filing{TaxpayerID: c.tp[2].ID, TaxType: "增值税", Period: "2026-11",
		FiledOn: day(12, 8), AmountDue: 10000}))
	must(t, err)
	c.now = day(12, 10).Time(calendar.Shanghai).Add(30 * time.Second)
	c.planner = &remind.Planner{Store: c.db, Calendar: calendar.Default(), Signature: "【青岛税务】",
		Now: func() time.Time { return c.now }}
	return c
}

func (c *city) messages(t *testing.T, kind taxsms.Kind) []*taxsms.Message {
	t.Helper()
	ms, err := c.db.ListMessages(context.Background(), taxsms.MessageFilter{Kind: kind, Limit: 100})
	must(t, err)
	return ms
}

func rulePlan(t *testing.T, p *remind.Plan, name remind.RuleName) remind.RulePlan {
	t.Helper()
	for _, rp := range p.Rules {
		if rp.Rule == name {
			return rp
		}
	}
	t.Fatalf("plan has no rule %s: %+v", name, p.Rules)
	return remind.RulePlan{}
}

func TestPlanner_BeforeDeadline(t *testing.T) {
	ctx := context.Background()
	c := newCity(t)

	// 2026-12-10 is 3 working days before the 15th: A's two contacts and
	// B's active one; C has filed.
	plan, err := c.planner.Plan(ctx, day(12, 10))
	must(t, err)
	rp := rulePlan(t, plan, remind.BeforeDeadline)
	if rp.Messages != 3 || rp.Taxpayers != 2 || rp.Queued != 0 || !slices.Equal(rp.Deadlines, []taxsms.Date{day(12, 15), day(12, 11)}) {
		t.Errorf("plan: %d messages to %d taxpayers, %d queued, deadlines %v; want 3 to 2, 0 queued, [2026-12-15 2026-12-11] (3 and 1 working days ahead)",
			rp.Messages, rp.Taxpayers, rp.Queued, rp.Deadlines)
	}
	want := "【青岛税务】尊敬的青岛海纳A贸易有限公司：您2026-11所属期的增值税申报期限为2026-12-15，请及时办理申报。如有疑问请致电0532-82871234。"
	if len(rp.Samples) == 0 || rp.Samples[0].Text != want || rp.Samples[0].Mobile != "139****0000" ||
		!strings.Contains(rp.Samples[0].English, "is due by 2026-12-15") {
		t.Errorf("first sample = %+v, want text %q to 139****0000", rp.Samples, want)
	}
	if rp.Segments != 3*2 {
		t.Errorf("segments = %d, want 6 (a text of 2 segments to 3 contacts)", rp.Segments)
	}
	if ms := c.messages(t, taxsms.KindFilingReminder); len(ms) != 0 {
		t.Fatalf("Plan queued %d messages", len(ms))
	}

	for run, wantQueued := range []int{3, 0} {
		plan, err = c.planner.Run(ctx, day(12, 10))
		must(t, err)
		if rp := rulePlan(t, plan, remind.BeforeDeadline); rp.Queued != wantQueued || rp.Messages != 3 {
			t.Errorf("run %d: queued %d of %d, want %d of 3", run+1, rp.Queued, rp.Messages, wantQueued)
		}
	}
	ms := c.messages(t, taxsms.KindFilingReminder)
	if len(ms) != 3 {
		t.Fatalf("%d reminders stored, want 3", len(ms))
	}
	nineAM := day(12, 10).Time(calendar.Shanghai).Add(9 * time.Hour)
	for _, m := range ms {
		if !m.NotBefore.Equal(nineAM) || !m.ExpiresAt.Equal(day(12, 16).Time(calendar.Shanghai)) || m.Status != taxsms.StatusScheduled && m.Status != taxsms.StatusQueued {
			t.Errorf("reminder %d: not before %v, expires %v, %s; want 09:00 on the 10th, the deadline's end, waiting", m.ID, m.NotBefore, m.ExpiresAt, m.Status)
		}
		if want := fmt.Sprintf("remind/before_deadline-3/2026-11/%d/%d", m.TaxpayerID, m.ContactID); m.IdempotencyKey != want {
			t.Errorf("key %q, want %q", m.IdempotencyKey, want)
		}
	}

	// A files: its waiting reminders are cancelled, not sent, and the one
	// working day before (the 14th) goes to B alone.
	_, err = c.db.UpsertFilings(ctx, seq(&taxsms.Filing{TaxpayerID: c.tp[0].ID, TaxType: "增值税", Period: "2026-11", FiledOn: day(12, 11)}))
	must(t, err)
	for _, m := range c.messages(t, taxsms.KindFilingReminder) {
		if cancelled := m.Status == taxsms.StatusCancelled; cancelled != (m.TaxpayerID == c.tp[0].ID) {
			t.Errorf("after A filed, A's reminder is %s for taxpayer %d", m.Status, m.TaxpayerID)
		}
	}
	c.now = day(12, 14).Time(calendar.Shanghai).Add(10 * time.Hour)
	plan, err = c.planner.Run(ctx, day(12, 14))
	must(t, err)
	if rp := rulePlan(t, plan, remind.BeforeDeadline); rp.Queued != 1 || rp.Samples[0].TaxpayerID != c.tp[1].ID {
		t.Errorf("on the 14th: %+v, want one reminder to B", rp)
	}
	// Planned after 09:00, it goes at once.
	for _, m := range c.messages(t, taxsms.KindFilingReminder) {
		if strings.HasPrefix(m.IdempotencyKey, "remind/before_deadline-1/") && !m.NotBefore.Equal(c.now) {
			t.Errorf("reminder planned at 10:00 waits until %v", m.NotBefore)
		}
	}
}

func TestPlanner_AfterDeadlineAndUnpaid(t *testing.T) {
	ctx := context.Background()
	c := newCity(t)
	c.now = day(12, 16).Time(calendar.Shanghai).Add(8 * time.Hour)
	plan, err := c.planner.Run(ctx, day(12, 16))
	must(t, err)
	after := rulePlan(t, plan, remind.AfterDeadline)
	if after.Queued != 3 || !slices.Equal(after.Deadlines, []taxsms.Date{day(12, 15)}) {
		t.Errorf("after the deadline: %d queued for %v, want 3 (A's two, B's one) for the 15th", after.Queued, after.Deadlines)
	}
	unpaid := rulePlan(t, plan, remind.UnpaidTax)
	if unpaid.Queued != 1 || len(unpaid.Samples) != 1 || !strings.Contains(unpaid.Samples[0].Text, "尚有税款100.00元未缴纳（缴款期限2026-12-15）") {
		t.Errorf("unpaid: %+v, want one reminder to C of 100.00 yuan due 2026-12-15", unpaid)
	}
	// The next day catches up a missed day and queues nothing twice.
	c.now = c.now.Add(24 * time.Hour)
	plan, err = c.planner.Run(ctx, day(12, 17))
	must(t, err)
	if rp := rulePlan(t, plan, remind.UnpaidTax); rp.Messages != 1 || rp.Queued != 0 {
		t.Errorf("unpaid the day after: %d messages, %d queued; want 1 and 0", rp.Messages, rp.Queued)
	}
	if rp := rulePlan(t, plan, remind.AfterDeadline); rp.Messages != 0 {
		t.Errorf("after the deadline on the 17th: %d messages, want 0 (the 16th was the first working day)", rp.Messages)
	}
	// C pays: its waiting unpaid-tax reminder is cancelled.
	_, err = c.db.UpsertPayments(ctx, seq(&taxsms.Payment{TaxpayerID: c.tp[2].ID, TaxType: "增值税", Period: "2026-11", PaidOn: day(12, 17), Amount: 10000}))
	must(t, err)
	for _, m := range c.messages(t, taxsms.KindUnpaidTax) {
		if m.Status != taxsms.StatusCancelled {
			t.Errorf("after C paid, its reminder is %s", m.Status)
		}
	}
}

func TestPlanner_FailedDeduction(t *testing.T) {
	ctx := context.Background()
	c := newCity(t)
	c.now = time.Date(2026, 12, 16, 22, 30, 0, 0, calendar.Shanghai)
	_, err := c.db.UpsertDeductions(ctx, seq(&taxsms.Deduction{Reference: "TIPS2026121600017", TaxpayerID: c.tp[0].ID,
		TaxType: "增值税", Period: "2026-11", Amount: 52050, Result: taxsms.DeductionFailed, Reason: "余额不足", At: c.now}))
	must(t, err)
	plan, err := c.planner.Plan(ctx, day(12, 16))
	must(t, err)
	if rp := rulePlan(t, plan, remind.FailedDeduction); rp.Messages != 2 {
		t.Errorf("plan: %d messages, want 2 (A's contacts)", rp.Messages)
	}
	for run, want := range []int{2, 0} {
		plan, err = c.planner.Run(ctx, day(12, 16), remind.FailedDeduction)
		must(t, err)
		if len(plan.Rules) != 1 {
			t.Fatalf("run of one rule ran %d", len(plan.Rules))
		}
		if rp := plan.Rules[0]; rp.Queued != want {
			t.Errorf("run %d: queued %d, want %d", run+1, rp.Queued, want)
		}
	}
	ms := c.messages(t, taxsms.KindFailedDeduction)
	if len(ms) != 2 {
		t.Fatalf("%d failed-deduction reminders, want 2", len(ms))
	}
	// Arrived at 22:30, after the rule's hours: it goes at 09:00 the next morning.
	next := time.Date(2026, 12, 17, 9, 0, 0, 0, calendar.Shanghai)
	for _, m := range ms {
		if !strings.Contains(m.Body, "税款520.50元银行扣款未成功（余额不足）") || !m.NotBefore.Equal(next) ||
			!strings.HasSuffix(m.IdempotencyKey, "/TIPS2026121600017") {
			t.Errorf("reminder %q key %q not before %v; want the amount and reason, 09:00 next day", m.Body, m.IdempotencyKey, m.NotBefore)
		}
	}
}

func TestPlanner_RolesAndSwitch(t *testing.T) {
	ctx := context.Background()
	c := newCity(t)
	rules := remind.DefaultRules()
	rules[0].Roles = []taxsms.ContactRole{taxsms.RoleLegalRep}
	rules[1].Enabled = false
	c.planner.Rules = rules
	c.now = day(12, 16).Time(calendar.Shanghai)
	plan, err := c.planner.Run(ctx, day(12, 16))
	must(t, err)
	if rp := rulePlan(t, plan, remind.AfterDeadline); rp.Enabled || rp.Queued != 0 || rp.Messages != 0 {
		t.Errorf("a disabled rule: %+v, want nothing", rp)
	}
	// The plan of a disabled rule still shows what it would send.
	plan, err = c.planner.Plan(ctx, day(12, 16))
	must(t, err)
	if rp := rulePlan(t, plan, remind.AfterDeadline); rp.Messages != 3 {
		t.Errorf("plan of the disabled rule: %d messages, want 3", rp.Messages)
	}
	c.now = day(12, 10).Time(calendar.Shanghai)
	plan, err = c.planner.Run(ctx, day(12, 10))
	must(t, err)
	if rp := rulePlan(t, plan, remind.BeforeDeadline); rp.Queued != 1 {
		t.Errorf("legal representatives only: %d queued, want 1 (A's; B's opted out)", rp.Queued)
	}
}

func TestTemplate_Validate(t *testing.T) {
	for _, tt := range []struct {
		tpl  remind.Template
		want string
	}{
		{remind.Template{ZH: "您{period}的{tax_types}", EN: "{period}"}, ""},
		{remind.Template{ZH: " "}, "template_zh: required"},
		{remind.Template{ZH: "您的{taxtype}"}, "template_zh: unknown variable {taxtype}"},
		{remind.Template{ZH: "您的{period"}, `template_zh: "{period" is not closed with '}'`},
		{remind.Template{ZH: "ok", EN: "due}"}, "template_en: a '}' with no '{' before it"},
		{remind.Template{ZH: strings.Repeat("税", 501)}, "template_zh: at most 500 characters, got 501"},
	} {
		err := tt.tpl.Validate()
		if got := taxsms.ErrorMessage(err); err == nil && tt.want != "" || err != nil && got != tt.want {
			t.Errorf("Validate(%q) = %v, want %q", tt.tpl.ZH, err, tt.want)
		}
	}
	for _, name := range remind.RuleNames {
		tpl := remind.DefaultTemplates[name]
		if err := tpl.Validate(); err != nil {
			t.Errorf("default template of %s: %v", name, err)
		}
		if n := remind.Segments(tpl.Render("【青岛税务】", remind.Example)); n > 2 {
			t.Errorf("default template of %s renders to %d segments, want at most 2", name, n)
		}
	}
}

func TestRule_Validate(t *testing.T) {
	r := remind.DefaultRules()[0]
	for _, tt := range []struct {
		edit func(*remind.Rule)
		want string
	}{
		{func(r *remind.Rule) {}, ""},
		{func(r *remind.Rule) { r.Days = nil }, "days: name at least one number of working days before the deadline"},
		{func(r *remind.Rule) { r.Days = []int{0} }, "days: 0 is not between 1 and 20 working days"},
		{func(r *remind.Rule) { r.Roles = []taxsms.ContactRole{"boss"} }, `roles: unknown contact role "boss"`},
		{func(r *remind.Rule) { r.SendAt, r.Until = 21*60, 20*60 }, "send_at: want a time of day before until, got 21:00 to 20:00"},
	} {
		rr := r
		rr.Days = slices.Clone(r.Days)
		tt.edit(&rr)
		err := rr.Validate()
		if got := taxsms.ErrorMessage(err); err == nil && tt.want != "" || err != nil && got != tt.want {
			t.Errorf("Validate = %v, want %q", err, tt.want)
		}
	}
}

// racingStore stores A's filing while the planner reads the dues, as if it
// arrived between the read and the queueing.
type racingStore struct {
	*store.DB
	t      *testing.T
	filing *taxsms.Filing
}

func (s racingStore) Unfiled(ctx context.Context, from, to taxsms.Date) iter.Seq2[*taxsms.Due, error] {
	return func(yield func(*taxsms.Due, error) bool) {
		for d, err := range s.DB.Unfiled(ctx, from, to) {
			if err == nil && d.TaxpayerID == s.filing.TaxpayerID {
				_, ferr := s.DB.UpsertFilings(ctx, seq(s.filing))
				must(s.t, ferr)
			}
			if !yield(d, err) {
				return
			}
		}
	}
}

func TestPlanner_FilingDuringRun(t *testing.T) {
	ctx := context.Background()
	c := newCity(t)
	c.planner.Store = racingStore{DB: c.db, t: t,
		filing: &taxsms.Filing{TaxpayerID: c.tp[0].ID, TaxType: "增值税", Period: "2026-11", FiledOn: day(12, 10)}}
	plan, err := c.planner.Run(ctx, day(12, 10), remind.BeforeDeadline)
	must(t, err)
	if plan.Rules[0].Queued != 3 || plan.Cancelled != 2 {
		t.Errorf("queued %d, cancelled %d; want 3 queued and A's 2 cancelled after", plan.Rules[0].Queued, plan.Cancelled)
	}
	for _, m := range c.messages(t, taxsms.KindFilingReminder) {
		if cancelled := m.Status == taxsms.StatusCancelled; cancelled != (m.TaxpayerID == c.tp[0].ID) {
			t.Errorf("reminder to taxpayer %d is %s", m.TaxpayerID, m.Status)
		}
	}
}
