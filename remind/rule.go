// Package remind sends the four automatic reminders of the seed's Art. 4
// (1)-(4), each a Rule with its own template, contact roles, timing and
// switch:
//
//   - before the filing deadline, to taxpayers with an obligation not yet
//     filed, some working days before it (by default 3 and 1);
//   - after the deadline, to those who have not filed, on the first working
//     day after it;
//   - unpaid tax, to those who filed but have not paid everything, the day
//     after the payment deadline (Art. 4 (3): within 2 days), with the
//     amount;
//   - a failed treasury deduction, as soon as the bank's result arrives,
//     with the tax, the amount, the bank's reason and what to do.
//
// A Planner finds, for a day, what each rule would send (Plan, which sends
// nothing) and queues it in the outbox (Run). Every reminder carries the
// idempotency key remind/<rule>/<period>/<taxpayer>/<contact>, so a rule
// sends one message per taxpayer, contact and period ever: running it twice,
// after a crash or on two nodes queues nothing new. Tax data that arrives
// before a reminder goes (a filing, a payment) cancels it in the store (see
// store.UpsertFilings), so a taxpayer is never reminded of what is done.
//
// The four reminders are service messages (MISSION R-4): a contact whose
// service is active receives them and cannot refuse them one by one while
// keeping the service. Ending the service — cancelled by the bureau, or
// opted out by the contact texting TD (退订) — stops them with every other
// message to that contact.
package remind

import (
	"fmt"
	"slices"
	"time"

	"taxsms"
	"taxsms/calendar"
)

// RuleName names a rule.
type RuleName string

// The four rules.
const (
	BeforeDeadline  RuleName = "before_deadline"  // Art. 4 (1)
	AfterDeadline   RuleName = "after_deadline"   // Art. 4 (2)
	UnpaidTax       RuleName = "unpaid_tax"       // Art. 4 (3)
	FailedDeduction RuleName = "failed_deduction" // Art. 4 (4)
)

// RuleNames lists the rules in the order of the seed.
var RuleNames = []RuleName{BeforeDeadline, AfterDeadline, UnpaidTax, FailedDeduction}

// kinds gives the message kind of each rule's reminders.
var kinds = map[RuleName]taxsms.Kind{
	BeforeDeadline:  taxsms.KindFilingReminder,
	AfterDeadline:   taxsms.KindOverdueFiling,
	UnpaidTax:       taxsms.KindUnpaidTax,
	FailedDeduction: taxsms.KindFailedDeduction,
}

// Rule is one reminder: what it says, to whom, when, and whether it runs.
type Rule struct {
	Name     RuleName
	Enabled  bool
	Template Template
	// Roles are the contact roles it goes to; none means every contact of
	// the taxpayer whose service is active.
	Roles []taxsms.ContactRole
	// Days are, for BeforeDeadline, the working days before the deadline
	// on which it goes (each is a reminder of its own); others ignore it.
	Days []int
	// SendAt is the time of day (Asia/Shanghai) from which the day's
	// reminders may go; those planned later in the day go at once. Failed
	// deductions go at any time from SendAt to Until.
	SendAt calendar.Clock
	// Until is the time of day after which nothing of the rule goes that
	// day (carriers refuse notices late in the evening); the message waits
	// for the next day's SendAt.
	Until calendar.Clock
}

// Kind returns the message kind of the rule's reminders.
func (r *Rule) Kind() taxsms.Kind { return kinds[r.Name] }

// Validate returns an EINVALID error naming the first bad field.
func (r *Rule) Validate() error {
	if _, ok := kinds[r.Name]; !ok {
		return taxsms.Invalid("name", "unknown rule %q", r.Name)
	}
	if err := r.Template.Validate(); err != nil {
		return err
	}
	for _, role := range r.Roles {
		if !role.Valid() {
			return taxsms.Invalid("roles", "unknown contact role %q", role)
		}
	}
	if r.Name == BeforeDeadline {
		if len(r.Days) == 0 {
			return taxsms.Invalid("days", "name at least one number of working days before the deadline")
		}
		for _, d := range r.Days {
			if d < 1 || d > 20 {
				return taxsms.Invalid("days", "%d is not between 1 and 20 working days", d)
			}
		}
	}
	if r.SendAt < 0 || r.Until > 24*60 || r.SendAt >= r.Until {
		return taxsms.Invalid("send_at", "want a time of day before until, got %s to %s", r.SendAt, r.Until)
	}
	return nil
}

// goes reports whether the rule sends to a contact of role.
func (r *Rule) goes(role taxsms.ContactRole) bool {
	return len(r.Roles) == 0 || slices.Contains(r.Roles, role)
}

// DefaultRules returns the four rules, enabled, with the bureau's default
// Chinese texts: before the deadline 3 and 1 working days ahead, from 09:00
// to 20:00, to every active contact.
func DefaultRules() []Rule {
	rules := make([]Rule, len(RuleNames))
	for i, name := range RuleNames {
		rules[i] = Rule{Name: name, Enabled: true, Template: DefaultTemplates[name], SendAt: 9 * 60, Until: 20 * 60}
	}
	rules[0].Days = []int{3, 1}
	return rules
}

// window returns when a reminder planned for day may go, at now: from
// SendAt that day, or now if later but before Until, or else SendAt of the
// next day (a failed deduction that arrives late in the evening waits for
// the morning).
func (r *Rule) window(day taxsms.Date, now time.Time) time.Time {
	midnight := day.Time(calendar.Shanghai)
	from := midnight.Add(time.Duration(r.SendAt) * time.Minute)
	until := midnight.Add(time.Duration(r.Until) * time.Minute)
	switch {
	case now.Before(from):
		return from
	case now.Before(until):
		return now
	}
	return r.window(addDays(taxsms.DateOf(now.In(calendar.Shanghai)), 1), now)
}

func addDays(d taxsms.Date, n int) taxsms.Date {
	return taxsms.DateOf(d.Time(time.UTC).AddDate(0, 0, n))
}

func (n RuleName) valid() bool { _, ok := kinds[n]; return ok }

// ParseRuleName returns the rule named s, or an EINVALID error listing them.
func ParseRuleName(s string) (RuleName, error) {
	if n := RuleName(s); n.valid() {
		return n, nil
	}
	return "", taxsms.Invalid("rule", "unknown rule %q (want one of %v)", s, fmt.Sprint(RuleNames))
}
