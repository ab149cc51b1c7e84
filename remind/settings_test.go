package remind_test

import (
	"context"
	"slices"
	"testing"

	"taxsms"
	"taxsms/calendar"
	"taxsms/remind"
)

// TestPlanner_Settings checks that a planner with Settings plans with the
// stored calendar and rules as they are at each run.
func TestPlanner_Settings(t *testing.T) {
	ctx := context.Background()
	c := newCity(t)
	c.planner.Settings = c.db
	deadlines := func(d taxsms.Date) []taxsms.Date {
		t.Helper()
		plan, err := c.planner.Plan(ctx, d)
		must(t, err)
		return rulePlan(t, plan, remind.BeforeDeadline).Deadlines
	}
	if got := deadlines(day(12, 10)); !slices.Contains(got, day(12, 15)) {
		t.Fatalf("deadlines of 12-10 with nothing stored = %v, want 2026-12-15 (the embedded calendar)", got)
	}

	// A local holiday on Friday 12-11, stored: 3 working days before the
	// 15th is now 12-09.
	def := calendar.Default()
	must(t, c.db.ReplaceCalendarYears(ctx, def.Years(), def.Entries()))
	must(t, c.db.AddCalendarEntry(ctx, calendar.Entry{Date: day(12, 11), Kind: calendar.Holiday, Name: "地方", Source: "通知"}))
	if got := deadlines(day(12, 10)); slices.Contains(got, day(12, 15)) {
		t.Errorf("deadlines of 12-10 after the holiday = %v, want no 2026-12-15", got)
	}
	if got := deadlines(day(12, 9)); !slices.Contains(got, day(12, 15)) {
		t.Errorf("deadlines of 12-09 after the holiday = %v, want 2026-12-15", got)
	}

	// A rule switched off in the store queues nothing at the next run.
	rules, _, err := c.planner.Current(ctx)
	must(t, err)
	off := rules[0]
	off.Enabled = false
	must(t, c.db.SetReminderRule(ctx, off))
	plan, err := c.planner.Run(ctx, day(12, 9))
	must(t, err)
	if rp := rulePlan(t, plan, remind.BeforeDeadline); rp.Enabled || rp.Queued != 0 {
		t.Errorf("switched-off rule: enabled %v, queued %d; want off, 0", rp.Enabled, rp.Queued)
	}
	if ms := c.messages(t, taxsms.KindFilingReminder); len(ms) != 0 {
		t.Errorf("switched-off rule queued %d messages", len(ms))
	}
}
