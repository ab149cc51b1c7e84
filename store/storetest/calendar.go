package storetest

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"taxsms"
	"taxsms/audit"
	"taxsms/auth/authtest"
	"taxsms/calendar"
	"taxsms/remind"
	"taxsms/store"
)

// testCalendar runs the tests of the stored calendar, deadline overrides and
// reminder rules: what is written reads back, writes need their permission
// and are audited, bad input changes nothing.
func testCalendar(t *testing.T, open func(testing.TB) *store.DB) {
	t.Run("Entries", func(t *testing.T) { testCalendarEntries(t, open(t)) })
	t.Run("Overrides", func(t *testing.T) { testDeadlineOverrides(t, open(t)) })
	t.Run("Rules", func(t *testing.T) { testReminderRules(t, open(t)) })
}

// configAudit returns the audit records of object type typ and id.
func configAudit(t testing.TB, db *store.DB, typ, id string) []audit.Entry {
	t.Helper()
	var out []audit.Entry
	for e, err := range db.ExportAudit(context.Background(), audit.Filter{Action: audit.ConfigChanged, ObjectType: typ, ObjectID: id}) {
		must(t, err)
		out = append(out, e)
	}
	return out
}

func testCalendarEntries(t *testing.T, db *store.DB) {
	ctx := context.Background()
	root, b1, _, _ := city(t, db)
	admin := authtest.Context(ctx, taxsms.RoleCityAdmin, 100, root.Path)
	es, err := db.CalendarEntries(ctx)
	must(t, err)
	if len(es) != 0 {
		t.Fatalf("entries of a new database = %d, want 0", len(es))
	}
	def := calendar.Default()
	must(t, db.ReplaceCalendarYears(ctx, def.Years(), def.Entries()))
	es, err = db.CalendarEntries(ctx)
	must(t, err)
	if !slices.Equal(es, def.Entries()) {
		t.Fatalf("entries stored = %d, want the %d embedded, equal", len(es), len(def.Entries()))
	}

	// Replacing 2027 leaves 2025 and 2026 alone and is audited per year.
	notice := []calendar.Entry{
		{Date: day(2027, time.January, 1), Kind: calendar.Holiday, Name: "元旦", Source: "国办发明电〔2026〕1号"},
		{Date: day(2027, time.February, 20), Kind: calendar.Workday, Name: "春节", Source: "国办发明电〔2026〕1号"},
	}
	must(t, db.ReplaceCalendarYears(admin, []int{2027}, notice))
	es, err = db.CalendarEntries(ctx)
	must(t, err)
	cal, err := calendar.New(es)
	must(t, err)
	if cal.Provisional(2027) || !cal.Covers(2026) || len(es) != len(def.Entries())-countYear(def.Entries(), 2027)+2 {
		t.Errorf("after replacing 2027: provisional %v, covers 2026 %v, %d entries", cal.Provisional(2027), cal.Covers(2026), len(es))
	}
	recs := configAudit(t, db, "calendar", "2027")
	if len(recs) != 2 || recs[1].Actor.Login != "user100" || !strings.Contains(string(recs[1].After), "国办发明电〔2026〕1号") || !strings.Contains(string(recs[1].Before), "provisional") {
		t.Errorf("audit of 2027 = %d records %+v, want the load and the replacement by user100 with before and after", len(recs), recs)
	}

	t.Run("ErrInvalid", func(t *testing.T) {
		for _, tt := range []struct {
			name    string
			years   []int
			entries []calendar.Entry
			code    string
		}{
			{"OutsideYears", []int{2028}, notice, taxsms.EINVALID},
			{"WorkdayOnWeekday", []int{2027}, []calendar.Entry{{Date: day(2027, time.March, 1), Kind: calendar.Workday, Name: "x", Source: "y"}}, taxsms.EINVALID},
			{"Twice", []int{2027}, append(slices.Clone(notice), notice[0]), taxsms.ECONFLICT},
			{"NoYear", nil, nil, taxsms.EINVALID},
		} {
			t.Run(tt.name, func(t *testing.T) {
				wantCode(t, db.ReplaceCalendarYears(admin, tt.years, tt.entries), tt.code, "")
			})
		}
		after, err := db.CalendarEntries(ctx)
		must(t, err)
		if !slices.Equal(after, es) {
			t.Errorf("refused replacements changed the calendar")
		}
	})

	t.Run("ErrForbidden", func(t *testing.T) {
		branch := authtest.Context(ctx, taxsms.RoleBranchAdmin, 101, b1.Path)
		maint := authtest.Context(ctx, taxsms.RoleMaintainer, 102, root.Path) // may be granted it, holds it not by default
		for _, c := range []context.Context{branch, maint} {
			wantCode(t, db.ReplaceCalendarYears(c, []int{2027}, nil), taxsms.EFORBIDDEN, "")
			wantCode(t, db.AddCalendarEntry(c, notice[0]), taxsms.EFORBIDDEN, "")
			wantCode(t, db.RemoveCalendarEntry(c, notice[0].Date), taxsms.EFORBIDDEN, "")
		}
	})

	t.Run("AddRemove", func(t *testing.T) {
		e := calendar.Entry{Date: day(2027, time.March, 15), Kind: calendar.Holiday, Name: "地方", Source: "青岛市政府通知"}
		must(t, db.AddCalendarEntry(admin, e))
		e.Name = "调整"
		must(t, db.AddCalendarEntry(admin, e)) // replaces
		es, err := db.CalendarEntries(ctx)
		must(t, err)
		cal, err := calendar.New(es)
		must(t, err)
		if got, ok := cal.Lookup(e.Date); !ok || got != e || cal.IsWorkday(e.Date) {
			t.Errorf("Lookup(%s) = %+v, %v, want %+v", e.Date, got, ok, e)
		}
		recs := configAudit(t, db, "calendar", "2027-03-15")
		if len(recs) != 2 || recs[0].Before != nil || !strings.Contains(string(recs[1].Before), "地方") || !strings.Contains(string(recs[1].After), "调整") {
			t.Errorf("audit of the entry = %+v", recs)
		}
		wantCode(t, db.AddCalendarEntry(admin, calendar.Entry{Date: e.Date, Kind: calendar.Holiday, Name: "有 空格", Source: "x"}), taxsms.EINVALID, "name")
		must(t, db.RemoveCalendarEntry(admin, e.Date))
		wantCode(t, db.RemoveCalendarEntry(admin, e.Date), taxsms.ENOTFOUND, "")
		if recs := configAudit(t, db, "calendar", "2027-03-15"); len(recs) != 3 || string(recs[2].After) != "[]" {
			t.Errorf("audit of the removal = %+v", recs)
		}
	})
}

func countYear(es []calendar.Entry, year int) int {
	n := 0
	for _, e := range es {
		if e.Date.Year == year {
			n++
		}
	}
	return n
}

func testDeadlineOverrides(t *testing.T, db *store.DB) {
	ctx := context.Background()
	root, b1, _, _ := city(t, db)
	admin := authtest.Context(ctx, taxsms.RoleCityAdmin, 100, root.Path)
	p := calendar.Period{Filing: calendar.Monthly, Year: 2027, Month: time.March}
	o := store.DeadlineOverride{Period: p, Date: day(2027, time.March, 22), Reason: "系统升级 顺延"}
	must(t, db.SetDeadlineOverride(admin, o))
	got, err := db.DeadlineOverrides(ctx)
	must(t, err)
	if len(got) != 1 || got[0].Period != p || got[0].Date != o.Date || got[0].Reason != o.Reason || got[0].UpdatedAt.IsZero() {
		t.Fatalf("DeadlineOverrides = %+v, want %+v", got, o)
	}
	tab, err := db.DeadlineTable(ctx)
	must(t, err)
	d := calendar.Deadlines{Calendar: calendar.Default(), Tables: calendar.Published(), Overrides: tab}
	if date, src, err := d.MonthlyDeadline(2027, time.March); err != nil || date != o.Date || src != calendar.SourceOverride {
		t.Errorf("MonthlyDeadline with the stored overrides = %s %s %v, want %s override", date, src, err, o.Date)
	}
	o.Date = day(2027, time.March, 23)
	must(t, db.SetDeadlineOverride(admin, o))
	recs := configAudit(t, db, "deadline", "2027-03")
	if len(recs) != 2 || !strings.Contains(string(recs[1].Before), "2027-03-22") || !strings.Contains(string(recs[1].After), "2027-03-23") {
		t.Errorf("audit of the override = %+v", recs)
	}
	for _, tt := range []struct {
		name  string
		o     store.DeadlineOverride
		field string
	}{
		{"BeforeThe15th", store.DeadlineOverride{Period: p, Date: day(2027, time.March, 10), Reason: "x"}, "date"},
		{"OtherMonth", store.DeadlineOverride{Period: p, Date: day(2027, time.April, 16), Reason: "x"}, "date"},
		{"NoReason", store.DeadlineOverride{Period: p, Date: day(2027, time.March, 20), Reason: " "}, "reason"},
	} {
		t.Run("ErrInvalid/"+tt.name, func(t *testing.T) { wantCode(t, db.SetDeadlineOverride(admin, tt.o), taxsms.EINVALID, tt.field) })
	}
	branch := authtest.Context(ctx, taxsms.RoleBranchAdmin, 101, b1.Path)
	wantCode(t, db.SetDeadlineOverride(branch, o), taxsms.EFORBIDDEN, "")
	wantCode(t, db.RemoveDeadlineOverride(branch, p), taxsms.EFORBIDDEN, "")
	must(t, db.RemoveDeadlineOverride(admin, p))
	wantCode(t, db.RemoveDeadlineOverride(admin, p), taxsms.ENOTFOUND, "")
	if got, err := db.DeadlineOverrides(ctx); err != nil || len(got) != 0 {
		t.Errorf("after removal: %+v, %v", got, err)
	}
}

func testReminderRules(t *testing.T, db *store.DB) {
	ctx := context.Background()
	root, b1, _, _ := city(t, db)
	admin := authtest.Context(ctx, taxsms.RoleCityAdmin, 100, root.Path)
	rules, err := db.ReminderRules(ctx)
	must(t, err)
	if len(rules) != 0 {
		t.Fatalf("rules of a new database = %d, want 0", len(rules))
	}
	r := remind.DefaultRules()[0]
	r.Enabled, r.Days, r.Roles, r.SendAt, r.Until = false, []int{5, 2}, []taxsms.ContactRole{taxsms.RoleFinance, taxsms.RoleTaxClerk}, 8*60, 18*60
	r.Template.ZH = "{name}：{period}申报期限{deadline}。"
	must(t, db.SetReminderRule(admin, r))
	rules, err = db.ReminderRules(ctx)
	must(t, err)
	if len(rules) != 1 || rules[0].Name != r.Name || rules[0].Enabled || !slices.Equal(rules[0].Days, r.Days) || !slices.Equal(rules[0].Roles, r.Roles) ||
		rules[0].SendAt != r.SendAt || rules[0].Until != r.Until || rules[0].Template != r.Template {
		t.Fatalf("ReminderRules = %+v, want %+v", rules, r)
	}
	must(t, db.SetReminderRule(admin, r)) // unchanged: not recorded again
	recs := configAudit(t, db, "reminder_rule", string(r.Name))
	if len(recs) != 1 || recs[0].Before != nil || !strings.Contains(string(recs[0].After), "tax_clerk") {
		t.Errorf("audit of the rule = %+v, want one record", recs)
	}

	bad := r
	bad.Template.ZH = "{nmae}"
	wantCode(t, db.SetReminderRule(admin, bad), taxsms.EINVALID, "template_zh")
	bad = r
	bad.Days = nil
	wantCode(t, db.SetReminderRule(admin, bad), taxsms.EINVALID, "days")
	// Reminder rules are city-wide: manage_templates is not enough.
	branch := authtest.Context(ctx, taxsms.RoleBranchAdmin, 101, b1.Path)
	wantCode(t, db.SetReminderRule(branch, r), taxsms.EFORBIDDEN, "")
	wantCode(t, db.ResetReminderRule(branch, r.Name), taxsms.EFORBIDDEN, "")

	// The planner reads the stored rules over its own at every plan.
	p := &remind.Planner{Settings: db, Rules: remind.DefaultRules()}
	cur, _, err := p.Current(ctx)
	must(t, err)
	if len(cur) != 4 || cur[0].Enabled || !cur[1].Enabled {
		t.Errorf("Current = %+v, want the stored first rule and the default others", cur)
	}
	must(t, db.ResetReminderRule(admin, r.Name))
	wantCode(t, db.ResetReminderRule(admin, r.Name), taxsms.ENOTFOUND, "")
	if cur, _, err := p.Current(ctx); err != nil || !cur[0].Enabled {
		t.Errorf("Current after reset = %+v, %v, want the default rule", cur, err)
	}
}
