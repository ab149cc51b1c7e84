package web

import (
	"bytes"
	"context"
	"fmt"
	"mime/multipart"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"

	"taxsms"
	"taxsms/audit"
	"taxsms/calendar"
	"taxsms/remind"
)

// startRemindConsole is startConsole with a planner signing 【青岛税务】 and a
// taxpayer of the branch with two active contacts (tax clerk and legal
// representative) whose VAT of 2027-02 is due on Monday 2027-03-15 and not
// filed: 3 working days before is 2027-03-10.
func startRemindConsole(t *testing.T) *testConsole {
	t.Helper()
	tc := startConsole(t, func(c *Console) {
		c.Reminders = &remind.Planner{Store: c.DB, Settings: c.DB, Calendar: calendar.Default(), Signature: "【青岛税务】"}
	})
	ctx := context.Background()
	branch := tc.users[taxsms.RoleOperator].OfficeID
	first := "91370202MA0000701"
	tp := &taxsms.Taxpayer{Identifier: first + string(taxsms.USCCCheck(first)), Name: "青岛海纳贸易有限公司", OfficeID: branch,
		Registered: taxsms.Date{Year: 2024, Month: 3, Day: 1}, TaxTypes: []string{"增值税"}}
	must(t, tc.db.CreateTaxpayer(ctx, tp))
	for i, role := range []taxsms.ContactRole{taxsms.RoleTaxClerk, taxsms.RoleLegalRep} {
		must(t, tc.db.CreateContact(ctx, &taxsms.Contact{TaxpayerID: tp.ID, Role: role, Name: fmt.Sprint("联系人", i),
			Mobile: fmt.Sprintf("137000000%02d", i), Status: taxsms.ServiceActive}))
	}
	obs := []*taxsms.Obligation{{TaxpayerID: tp.ID, TaxType: "增值税", Period: "2027-02", FilingDue: taxsms.Date{Year: 2027, Month: 3, Day: 15}}}
	_, err := tc.db.UpsertObligations(ctx, func(yield func(*taxsms.Obligation, error) bool) {
		for _, o := range obs {
			if !yield(o, nil) {
				return
			}
		}
	})
	must(t, err)
	return tc
}

func TestConsole_RemindPermissions(t *testing.T) {
	tc := startRemindConsole(t)
	pages := []string{"/reminders", "/reminders/before_deadline", "/plan?date=2027-03-10", "/calendar?year=2027"}
	for _, tt := range []struct {
		role taxsms.Role
		want []int
	}{
		{taxsms.RoleCityAdmin, []int{200, 200, 200, 200}},
		{taxsms.RoleAuditor, []int{200, 200, 200, 200}},
		{taxsms.RoleBranchAdmin, []int{403, 403, 403, 403}},
		{taxsms.RoleOperator, []int{403, 403, 403, 403}},
		{taxsms.RoleMaintainer, []int{403, 403, 403, 403}},
	} {
		t.Run(string(tt.role), func(t *testing.T) {
			b := tc.browser()
			b.mustSignIn(tc.users[tt.role].Login)
			for i, p := range pages {
				if r := b.get(p); r.Status != tt.want[i] {
					t.Errorf("GET %s = %d, want %d", p, r.Status, tt.want[i])
				}
			}
			// Only those who change settings or the calendar may post.
			token := b.csrf("/")
			posts := []struct {
				path string
				form url.Values
				want int
			}{
				{"/reminders/before_deadline", url.Values{"action": {"save"}}, 403},
				{"/plan", url.Values{"date": {"2027-03-10"}}, 403},
				{"/calendar/entries", url.Values{"date": {"2027-03-15"}}, 403},
				{"/calendar/overrides", url.Values{"month": {"2027-03"}}, 403},
			}
			if tt.role == taxsms.RoleCityAdmin {
				return
			}
			for _, p := range posts {
				p.form.Set("csrf_token", token)
				if r := b.post(p.path, p.form); r.Status != p.want {
					t.Errorf("POST %s = %d, want %d", p.path, r.Status, p.want)
				}
			}
		})
	}
	// The navigation shows the pages to those who may see them.
	b := tc.browser()
	b.mustSignIn(tc.users[taxsms.RoleCityAdmin].Login)
	if r := b.get("/"); !strings.Contains(r.Body, `href="/reminders"`) || !strings.Contains(r.Body, `href="/calendar"`) {
		t.Errorf("city administrator's navigation lacks the reminders or the calendar")
	}
	o := tc.browser()
	o.mustSignIn(tc.users[taxsms.RoleOperator].Login)
	if r := o.get("/"); strings.Contains(r.Body, `href="/reminders"`) {
		t.Errorf("operator's navigation shows the reminders")
	}
}

// ruleForm is the form of the before-deadline rule as the page posts it.
func ruleForm(token, action, zh string, roles ...string) url.Values {
	return url.Values{"csrf_token": {token}, "action": {action}, "enabled": {"on"}, "roles": roles, "days": {"3,1"},
		"hours": {"09:00-20:00"}, "template_zh": {zh}, "template_en": {"Dear {name}: file {period} by {deadline}."}}
}

func TestConsole_Reminders(t *testing.T) {
	tc := startRemindConsole(t)
	b := tc.browser()
	b.mustSignIn(tc.users[taxsms.RoleCityAdmin].Login)
	b.post("/lang", url.Values{"csrf_token": {b.csrf("/")}, "lang": {"en"}, "next": {"/"}})

	r := b.get("/reminders/before_deadline")
	if r.Status != 200 || !strings.Contains(r.Body, "【青岛税务】尊敬的青岛海川贸易有限公司") || !strings.Contains(r.Body, `id="preview-segments"`) {
		t.Fatalf("rule page = %d, want the preview with the signature\n%s", r.Status, r.Body)
	}

	plan := b.get("/plan?date=2027-03-10")
	if !strings.Contains(plan.Body, "市南区税务局") || !strings.Contains(plan.Body, "137****0000") || strings.Contains(plan.Body, "13700000000") ||
		!strings.Contains(plan.Body, "【青岛税务】尊敬的青岛海纳贸易有限公司") || !strings.Contains(plan.Body, "2027-03-15") {
		t.Fatalf("plan = %d, want the office, a masked number and the default text\n%s", plan.Status, plan.Body)
	}
	if !strings.Contains(plan.Body, `<td class="n">2</td>`) {
		t.Errorf("plan shows no 2 messages for two contacts")
	}

	token := b.csrf("/reminders/before_deadline")
	t.Run("ErrInvalid", func(t *testing.T) {
		for _, tt := range []struct {
			name, field string
			form        url.Values
		}{
			{"UnknownVariable", "template_zh", ruleForm(token, "save", "{nmae}申报")},
			{"Days", "days", func() url.Values { f := ruleForm(token, "save", "申报"); f.Set("days", "3,x"); return f }()},
			{"Hours", "hours", func() url.Values { f := ruleForm(token, "preview", "申报"); f.Set("hours", "20:00-09:00"); return f }()},
			{"Role", "roles", ruleForm(token, "save", "申报", "boss")},
		} {
			t.Run(tt.name, func(t *testing.T) {
				r := b.post("/reminders/before_deadline", tt.form)
				if r.Status != 400 || !strings.Contains(r.Body, `id="f-`+tt.field+`-error"`) {
					t.Errorf("POST = %d, want 400 with the error beside %s\n%s", r.Status, tt.field, r.Body)
				}
			})
		}
		if rules, err := tc.db.ReminderRules(context.Background()); err != nil || len(rules) != 0 {
			t.Errorf("refused forms stored %d rules (%v)", len(rules), err)
		}
	})

	// Preview renders the form's text without saving.
	r = b.post("/reminders/before_deadline", ruleForm(token, "preview", "{name}请于{deadline}前申报{period}。", "tax_clerk"))
	if r.Status != 200 || !strings.Contains(r.Body, "【青岛税务】青岛海川贸易有限公司请于2026-12-15前申报2026-11。") ||
		!strings.Contains(r.Body, "Dear 青岛海川贸易有限公司: file 2026-11 by 2026-12-15.") || !strings.Contains(r.Body, "Billed as 1 segment") {
		t.Errorf("preview = %d, want the rendered texts and one segment\n%s", r.Status, r.Body)
	}
	if rules, _ := tc.db.ReminderRules(context.Background()); len(rules) != 0 {
		t.Errorf("preview stored the rule")
	}

	// Saving changes what the plan shows: one contact role, the new text.
	r = b.post("/reminders/before_deadline", ruleForm(token, "save", "{name}请于{deadline}前申报{period}。", "tax_clerk"))
	if r.Status != http.StatusSeeOther {
		t.Fatalf("save = %d, want 303\n%s", r.Status, r.Body)
	}
	plan = b.get("/plan?date=2027-03-10")
	if !strings.Contains(plan.Body, "【青岛税务】青岛海纳贸易有限公司请于2027-03-15前申报2027-02。") || strings.Contains(plan.Body, "137****0001") {
		t.Errorf("plan after the edit lacks the new text or still goes to the legal representative\n%s", plan.Body)
	}
	recs := auditOf(t, tc, "reminder_rule")
	if len(recs) != 1 || recs[0].Actor.Login != tc.users[taxsms.RoleCityAdmin].Login || !strings.Contains(string(recs[0].After), "tax_clerk") {
		t.Errorf("audit of the rule = %+v", recs)
	}

	// Run now queues once: the tax clerk's reminder, then nothing new.
	token = b.csrf("/plan?date=2027-03-10")
	for i, want := range []string{"1", "0"} {
		run := b.post("/plan", url.Values{"csrf_token": {token}, "date": {"2027-03-10"}})
		m := queuedRE.FindStringSubmatch(run.Body)
		if run.Status != 200 || m == nil || m[1] != "1" || m[2] != want {
			t.Errorf("run %d = %d, %q, want 1 message, %s queued\n%s", i+1, run.Status, m, want, run.Body)
		}
	}

	// Reset returns to the configuration's rule.
	if r := b.post("/reminders/before_deadline", url.Values{"csrf_token": {token}, "action": {"reset"}}); r.Status != http.StatusSeeOther {
		t.Errorf("reset = %d", r.Status)
	}
	if rules, _ := tc.db.ReminderRules(context.Background()); len(rules) != 0 {
		t.Errorf("reset left %d stored rules", len(rules))
	}
}

// queuedRE finds the messages and the queued count of the before-deadline
// rule in a plan that ran.
var queuedRE = regexp.MustCompile(`(?s)href="/reminders/before_deadline">[^<]*</a></th>.*?<td class="n">\d+</td><td class="n">(\d+)</td><td class="n">\d+</td>\s*<td class="n">(\d+)</td>`)

func auditOf(t *testing.T, tc *testConsole, typ string) []audit.Entry {
	t.Helper()
	var out []audit.Entry
	for e, err := range tc.db.ExportAudit(context.Background(), audit.Filter{Action: audit.ConfigChanged, ObjectType: typ}) {
		must(t, err)
		out = append(out, e)
	}
	return out
}

// upload posts a calendar file for year.
func (b *browser) upload(token string, year int, file string) response {
	b.t.Helper()
	var body bytes.Buffer
	w := multipart.NewWriter(&body)
	w.WriteField("csrf_token", token)
	w.WriteField("year", fmt.Sprint(year))
	fw, _ := w.CreateFormFile("file", "2027.txt")
	fw.Write([]byte(file))
	w.Close()
	req, _ := http.NewRequest("POST", b.base+"/calendar/upload", &body)
	req.Header.Set("Content-Type", w.FormDataContentType())
	return b.do(req)
}

func TestConsole_Calendar(t *testing.T) {
	tc := startRemindConsole(t)
	ctx := context.Background()
	b := tc.browser()
	b.mustSignIn(tc.users[taxsms.RoleCityAdmin].Login)
	b.post("/lang", url.Values{"csrf_token": {b.csrf("/")}, "lang": {"en"}, "next": {"/"}})

	r := b.get("/calendar?year=2027")
	if r.Status != 200 || !strings.Contains(r.Body, `action="/calendar/load"`) || !strings.Contains(r.Body, "provisional") {
		t.Fatalf("calendar page = %d, want the offer to load the embedded calendar and 2027 provisional\n%s", r.Status, r.Body)
	}
	if !regexpMatch(r.Body, `2027-03</th>\s*<td>2027-03-15</td>\s*<td>computed`) {
		t.Errorf("deadlines lack 2027-03 computed 2027-03-15\n%s", r.Body)
	}
	if r := b.get("/calendar?year=2026"); !regexpMatch(r.Body, `2026-02</th>\s*<td>2026-02-24</td>\s*<td>published table`) {
		t.Errorf("deadlines of 2026 lack 2026-02 from the published table\n%s", r.Body)
	}

	// A holiday on Monday the 15th makes three rest days (13-15) within
	// the first 15 days: the deadline moves three working days after the
	// 15th (Art. 109). The embedded calendar is loaded first.
	token := b.csrf("/calendar?year=2027")
	form := url.Values{"csrf_token": {token}, "date": {"2027-03-15"}, "kind": {"holiday"}, "name": {"地方假日"}, "source": {"青岛市政府通知"}}
	if r := b.post("/calendar/entries", form); r.Status != http.StatusSeeOther {
		t.Fatalf("add = %d\n%s", r.Status, r.Body)
	}
	r = b.get("/calendar?year=2027")
	if !regexpMatch(r.Body, `2027-03</th>\s*<td>2027-03-18</td>\s*<td>computed`) || !strings.Contains(r.Body, "地方假日") || strings.Contains(r.Body, `action="/calendar/load"`) {
		t.Errorf("after the holiday: want 2027-03 due 2027-03-18 and the entry listed\n%s", r.Body)
	}
	es, err := tc.db.CalendarEntries(ctx)
	must(t, err)
	if len(es) != len(calendar.Default().Entries())+1 {
		t.Errorf("stored entries = %d, want the embedded ones and the new", len(es))
	}

	// A bad add shows the error beside its field.
	form.Set("kind", "workday")
	if r := b.post("/calendar/entries", form); r.Status != 400 || !strings.Contains(r.Body, `id="f-kind-error"`) {
		t.Errorf("make-up day on a Monday = %d, want 400 beside kind\n%s", r.Status, r.Body)
	}

	// An upload with a bad line names it and changes nothing.
	bad := "2027-01-01 holiday 元旦 国办发明电〔2026〕1号\n2027-03-01 workday 元旦 国办发明电〔2026〕1号\n"
	r = b.upload(token, 2027, bad)
	if r.Status != 400 || !strings.Contains(r.Body, "line 2") || !strings.Contains(r.Body, `id="f-file-error"`) {
		t.Errorf("bad upload = %d, want 400 naming line 2 beside the file\n%s", r.Status, r.Body)
	}
	after, err := tc.db.CalendarEntries(ctx)
	must(t, err)
	if !slices.Equal(after, es) {
		t.Errorf("a bad upload changed the calendar")
	}
	r = b.upload(token, 2027, "2027-01-01 holiday 元旦 国办发明电〔2026〕1号\n")
	if r.Status != http.StatusSeeOther {
		t.Fatalf("upload = %d\n%s", r.Status, r.Body)
	}
	after, err = tc.db.CalendarEntries(ctx)
	must(t, err)
	cal, err := calendar.New(after)
	must(t, err)
	if cal.Provisional(2027) || !cal.Covers(2026) || !cal.IsWorkday(taxsms.Date{Year: 2027, Month: 3, Day: 15}) {
		t.Errorf("after the upload: 2027 provisional %v, 2026 covered %v", cal.Provisional(2027), cal.Covers(2026))
	}

	// A month's deadline overridden, with its reason.
	ov := url.Values{"csrf_token": {token}, "month": {"2027-03"}, "deadline": {"2027-03-10"}, "reason": {"系统升级"}}
	if r := b.post("/calendar/overrides", ov); r.Status != 400 || !strings.Contains(r.Body, `id="f-deadline-error"`) {
		t.Errorf("override before the 15th = %d, want 400 beside the deadline\n%s", r.Status, r.Body)
	}
	ov.Set("deadline", "2027-03-22")
	if r := b.post("/calendar/overrides", ov); r.Status != http.StatusSeeOther {
		t.Fatalf("override = %d\n%s", r.Status, r.Body)
	}
	r = b.get("/calendar?year=2027")
	if !regexpMatch(r.Body, `2027-03</th>\s*<td>2027-03-22</td>\s*<td>local override: 系统升级`) {
		t.Errorf("override not shown\n%s", r.Body)
	}
	if r := b.post("/calendar/overrides/remove", url.Values{"csrf_token": {token}, "month": {"2027-03"}}); r.Status != http.StatusSeeOther {
		t.Errorf("remove override = %d", r.Status)
	}
	if r := b.post("/calendar/entries/remove", url.Values{"csrf_token": {token}, "date": {"2027-01-01"}}); r.Status != http.StatusSeeOther {
		t.Errorf("remove entry = %d", r.Status)
	}
	if n := len(auditOf(t, tc, "calendar")); n < 5 {
		t.Errorf("calendar audit records = %d, want the load (3 years), the add, the upload and the removal", n)
	}
	if n := len(auditOf(t, tc, "deadline")); n != 2 {
		t.Errorf("deadline audit records = %d, want 2", n)
	}
}

func regexpMatch(s, re string) bool { return regexp.MustCompile(re).MatchString(s) }
