package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"taxsms"
	"taxsms/calendar"
	"taxsms/remind"
)

// remindRules returns the reminder rules of the configuration, or an
// EINVALID error naming the bad remind.* setting.
func (c *Config) remindRules() ([]remind.Rule, error) {
	rules := remind.DefaultRules()
	var on []remind.RuleName
	for _, s := range strings.Split(c.Remind.Rules, ",") {
		if s = strings.TrimSpace(s); s == "" {
			continue
		}
		n, err := remind.ParseRuleName(s)
		if err != nil {
			return nil, taxsms.Invalid("remind.rules", "%s", taxsms.ErrorMessage(err))
		}
		on = append(on, n)
	}
	var days []int
	for _, s := range strings.Split(c.Remind.Days, ",") {
		if s = strings.TrimSpace(s); s == "" {
			continue
		}
		d, err := strconv.Atoi(s)
		if err != nil {
			return nil, taxsms.Invalid("remind.days", "%q is not a number of working days", s)
		}
		days = append(days, d)
	}
	hours, err := calendar.ParseSessions(c.Remind.Hours)
	if err != nil || len(hours) != 1 {
		return nil, taxsms.Invalid("remind.hours", "want one range HH:MM-HH:MM, got %q", c.Remind.Hours)
	}
	for i := range rules {
		r := &rules[i]
		r.Enabled = slices.Contains(on, r.Name)
		r.SendAt, r.Until = hours[0].Open, hours[0].Close
		if r.Name == remind.BeforeDeadline {
			r.Days = days
		}
		if err := r.Validate(); err != nil {
			return nil, taxsms.Invalid("remind."+taxsms.ErrorField(err), "%s", taxsms.ErrorMessage(err))
		}
	}
	return rules, nil
}

// planner returns the reminders' planner of the node: at every plan and
// run it reads the rules and the working-day calendar stored in the
// database (edited in the console), falling back to the configuration's
// rules and the embedded calendar.
func (m *Main) planner() (*remind.Planner, error) {
	rules, err := m.Config.remindRules()
	if err != nil {
		return nil, err
	}
	return &remind.Planner{Store: m.DB, Settings: m.DB, Calendar: calendar.Default(), Rules: rules, Signature: m.Config.Signature}, nil
}

// noteCalendar logs, when the database holds no calendar, that the embedded
// one is in force and how to load it for editing.
func (m *Main) noteCalendar(ctx context.Context) {
	es, err := m.DB.CalendarEntries(ctx)
	if err == nil && len(es) == 0 && m.Logger != nil {
		m.Logger.Info("the working-day calendar is the embedded one; a city administrator may load it into the database on the console's Calendar page (/calendar) to edit it")
	}
}

// runRemind runs "taxsms remind plan|run".
func runRemind(ctx context.Context, args, environ []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "plan" && args[0] != "run" {
		fmt.Fprintln(stderr, "Usage: taxsms remind plan|run [--date YYYY-MM-DD] [--rule NAME] [--json]")
		return flag.ErrHelp
	}
	m := NewMain(environ, stdout, stderr)
	fs := m.FlagSet("remind "+args[0]+" [flags]", map[string]string{
		"plan": "Shows, per rule and office, what the automatic reminders would send on a date, with samples; sends nothing.",
		"run":  "Queues the automatic reminders of a date now (what was queued before is not queued again); the node's dispatcher sends them.",
	}[args[0]])
	date := fs.String("date", "", "the date, YYYY-MM-DD (default today in Asia/Shanghai)")
	rule := fs.String("rule", "", "one rule only: before_deadline, after_deadline, unpaid_tax or failed_deduction")
	asJSON := fs.Bool("json", false, "print the plan as JSON")
	if err := m.ParseFlags(fs, args[1:]); err != nil {
		return err
	}
	day := taxsms.DateOf(time.Now().In(calendar.Shanghai))
	if *date != "" {
		d, err := taxsms.ParseDate(*date)
		if err != nil {
			return fmt.Errorf("-date: %w", err)
		}
		day = d
	}
	var only []remind.RuleName
	if *rule != "" {
		n, err := remind.ParseRuleName(*rule)
		if err != nil {
			return err
		}
		only = append(only, n)
	}
	if err := m.Open(ctx); err != nil {
		return err
	}
	defer m.Close()
	p, err := m.planner()
	if err != nil {
		return err
	}
	var plan *remind.Plan
	if args[0] == "plan" {
		plan, err = p.Plan(ctx, day)
		if plan != nil && len(only) > 0 {
			plan.Rules = slices.DeleteFunc(plan.Rules, func(rp remind.RulePlan) bool { return rp.Rule != only[0] })
		}
	} else {
		plan, err = p.Run(ctx, day, only...)
	}
	if err != nil {
		return err
	}
	if *asJSON {
		return json.NewEncoder(stdout).Encode(plan)
	}
	printPlan(stdout, plan, args[0] == "run")
	return nil
}

// printPlan writes a plan as staff read it: per rule its deadlines, counts
// and offices, then samples.
func printPlan(w io.Writer, plan *remind.Plan, ran bool) {
	fmt.Fprintf(w, "reminders of %s\n", plan.Date)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	head := "rule\tenabled\tdeadlines\ttaxpayers\tmessages\tsegments"
	if ran {
		head += "\tqueued now"
	}
	fmt.Fprintln(tw, head)
	for _, rp := range plan.Rules {
		var ds []string
		for _, d := range rp.Deadlines {
			ds = append(ds, d.String())
		}
		line := fmt.Sprintf("%s\t%v\t%s\t%d\t%d\t%d", rp.Rule, rp.Enabled, strings.Join(ds, " "), rp.Taxpayers, rp.Messages, rp.Segments)
		if ran {
			line += fmt.Sprintf("\t%d", rp.Queued)
		}
		fmt.Fprintln(tw, line)
	}
	tw.Flush()
	for _, rp := range plan.Rules {
		if rp.Messages == 0 {
			continue
		}
		fmt.Fprintf(w, "\n%s, messages per office id:", rp.Rule)
		ids := make([]int64, 0, len(rp.ByOffice))
		for id := range rp.ByOffice {
			ids = append(ids, id)
		}
		slices.Sort(ids)
		for _, id := range ids {
			fmt.Fprintf(w, " %d:%d", id, rp.ByOffice[id])
		}
		fmt.Fprintln(w)
		for _, s := range rp.Samples {
			fmt.Fprintf(w, "  to %s: %s\n", s.Mobile, s.Text)
		}
	}
}
