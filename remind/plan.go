package remind

import (
	"context"
	"fmt"
	"iter"
	"slices"
	"strconv"
	"strings"
	"time"

	"taxsms"
	"taxsms/calendar"
)

// Store is what a Planner needs of the store (store.DB has it).
type Store interface {
	// Unfiled and Unpaid yield the taxpayers whose obligations not filed
	// (not paid) have their filing (payment) deadline on a day from from to
	// to, with their active contacts.
	Unfiled(ctx context.Context, from, to taxsms.Date) iter.Seq2[*taxsms.Due, error]
	Unpaid(ctx context.Context, from, to taxsms.Date) iter.Seq2[*taxsms.Due, error]
	// FailedDeductions yields the failed deductions not yet marked
	// reminded; MarkDeductionsReminded marks them.
	FailedDeductions(ctx context.Context) iter.Seq2[*taxsms.Due, error]
	MarkDeductionsReminded(ctx context.Context, ids []int64) (int, error)
	// CreateMessages queues messages, one per idempotency key ever.
	CreateMessages(ctx context.Context, msgs []*taxsms.Message) ([]bool, error)
	// CancelMootReminders cancels the waiting reminders of period, with
	// ids from fromID, whose reason has gone.
	CancelMootReminders(ctx context.Context, period taxsms.Period, fromID int64) (int, error)
}

// Settings are the rules and the calendar as an administrator edits them
// (store.DB has them).
type Settings interface {
	// ReminderRules returns the stored rules; a rule not among them keeps
	// the Planner's.
	ReminderRules(ctx context.Context) ([]Rule, error)
	// CalendarEntries returns the stored calendar; none keeps the
	// Planner's.
	CalendarEntries(ctx context.Context) ([]calendar.Entry, error)
}

// Planner plans and queues the reminders.
type Planner struct {
	Store    Store
	Calendar *calendar.Calendar
	Rules    []Rule // DefaultRules if nil
	// Settings, if not nil, are read at every Plan and Run (see Current),
	// so that rules and calendar edited meanwhile apply without a restart.
	Settings Settings
	// Signature goes in front of every text, e.g. 【青岛税务】.
	Signature string
	Now       func() time.Time // time.Now if nil
}

// Plan is what the rules send on a day.
type Plan struct {
	Date  taxsms.Date
	Rules []RulePlan
	// Cancelled counts, in a Run, the reminders cancelled after queueing
	// because tax data read meanwhile made them moot.
	Cancelled int
}

// RulePlan is what one rule sends on a day. Counts are of messages (one
// per contact), segments and taxpayers; in a Run, Queued of the messages
// are new and the others were queued before (same idempotency key).
type RulePlan struct {
	Rule      RuleName
	Enabled   bool
	Deadlines []taxsms.Date // the deadlines it reminds of (none for failed deductions)
	Taxpayers int
	Messages  int
	Segments  int
	Queued    int
	ByOffice  map[int64]int // messages per office id
	Samples   []Sample      // the first few, numbers masked
}

// Sample is one planned message, as staff may see it.
type Sample struct {
	TaxpayerID int64
	Mobile     string // masked
	Text       string
	English    string
}

// samples is how many Samples a RulePlan keeps.
const samples = 3

// batch is how many messages Run queues per store call.
const batch = 1000

// Plan returns what each rule would send on day, sending nothing.
func (p *Planner) Plan(ctx context.Context, day taxsms.Date) (*Plan, error) {
	return p.do(ctx, day, nil, false)
}

// Run queues what each enabled rule (of only, when given) sends on day,
// and returns the plan with Queued counts. It is idempotent: what was
// queued before, by this node or another, is not queued again. Failed
// deductions are taken whatever day is, and marked once their reminders
// are queued.
func (p *Planner) Run(ctx context.Context, day taxsms.Date, only ...RuleName) (*Plan, error) {
	return p.do(ctx, day, only, true)
}

// Current returns the rules and the calendar in force: each rule as
// Settings stores it, else as Rules (DefaultRules if nil) has it, in the
// order of RuleNames; the stored calendar if Settings holds any entry, else
// Calendar. It returns Settings' errors, and an error if the stored calendar
// does not build (it was checked when stored).
func (p *Planner) Current(ctx context.Context) ([]Rule, *calendar.Calendar, error) {
	base := p.Rules
	if base == nil {
		base = DefaultRules()
	}
	if p.Settings == nil {
		return base, p.Calendar, nil
	}
	stored, err := p.Settings.ReminderRules(ctx)
	if err != nil {
		return nil, nil, err
	}
	rules := make([]Rule, 0, len(RuleNames))
	for _, name := range RuleNames {
		for _, set := range [][]Rule{stored, base, DefaultRules()} {
			if i := slices.IndexFunc(set, func(r Rule) bool { return r.Name == name }); i >= 0 {
				rules = append(rules, set[i])
				break
			}
		}
	}
	cal, err := p.CurrentCalendar(ctx)
	if err != nil {
		return nil, nil, err
	}
	return rules, cal, nil
}

// CurrentCalendar returns the calendar in force, as Current does, without
// reading the rules.
func (p *Planner) CurrentCalendar(ctx context.Context) (*calendar.Calendar, error) {
	if p.Settings == nil {
		return p.Calendar, nil
	}
	entries, err := p.Settings.CalendarEntries(ctx)
	if err != nil {
		return nil, err
	}
	if len(entries) == 0 {
		return p.Calendar, nil
	}
	cal, err := calendar.New(entries)
	if err != nil {
		return nil, fmt.Errorf("stored calendar: %w", err)
	}
	return cal, nil
}

func (p *Planner) do(ctx context.Context, day taxsms.Date, only []RuleName, send bool) (*Plan, error) {
	rules, cal, err := p.Current(ctx)
	if err != nil {
		return nil, err
	}
	now := time.Now()
	if p.Now != nil {
		now = p.Now()
	}
	plan := &Plan{Date: day}
	periods := make(map[taxsms.Period]int64) // period → the first id queued for it
	for i := range rules {
		r := &rules[i]
		if len(only) > 0 && !containsRule(only, r.Name) {
			continue
		}
		rp := RulePlan{Rule: r.Name, Enabled: r.Enabled, ByOffice: map[int64]int{}}
		if r.Enabled || !send {
			q := &queue{p: p, r: r, rp: &rp, send: send && r.Enabled, notBefore: r.window(day, now), periods: periods}
			if err := p.rule(ctx, cal, r, day, q); err != nil {
				return plan, err
			}
			if err := q.flush(ctx); err != nil {
				return plan, err
			}
		}
		plan.Rules = append(plan.Rules, rp)
	}
	// A filing or payment stored while a rule read the dues cancels only
	// the reminders queued before it: sweep what this run queued.
	for period, from := range periods {
		n, err := p.Store.CancelMootReminders(ctx, period, from)
		if err != nil {
			return plan, err
		}
		plan.Cancelled += n
	}
	return plan, nil
}

func containsRule(list []RuleName, n RuleName) bool {
	for _, m := range list {
		if m == n {
			return true
		}
	}
	return false
}

// rule feeds q the dues of rule r on day.
func (p *Planner) rule(ctx context.Context, cal *calendar.Calendar, r *Rule, day taxsms.Date, q *queue) error {
	switch r.Name {
	case BeforeDeadline:
		// The deadlines that are Days working days after day: a deadline
		// lies at most a few weeks ahead of its reminder.
		for _, n := range r.Days {
			for x := addDays(day, 1); !addDays(day, 7*n+21).Before(x); x = addDays(x, 1) {
				if cal.AddWorkdays(x, -n) != day {
					continue
				}
				q.tag = "-" + strconv.Itoa(n)
				if err := q.deadline(ctx, cal, p.Store.Unfiled(ctx, x, x), x); err != nil {
					return err
				}
			}
		}
		q.tag = ""
	case AfterDeadline:
		// The deadlines whose first working day after is day.
		for x := addDays(day, -21); x.Before(day); x = addDays(x, 1) {
			if cal.AddWorkdays(x, 1) != day {
				continue
			}
			if err := q.deadline(ctx, cal, p.Store.Unfiled(ctx, x, x), x); err != nil {
				return err
			}
		}
	case UnpaidTax:
		// Payment deadlines of the last two days (Art. 4 (3)): a day
		// missed is caught up the next.
		from, to := addDays(day, -2), addDays(day, -1)
		q.rp.Deadlines = append(q.rp.Deadlines, from, to)
		if err := q.dues(ctx, p.Store.Unpaid(ctx, from, to), taxsms.Date{}); err != nil {
			return err
		}
	case FailedDeduction:
		return q.dues(ctx, p.Store.FailedDeductions(ctx), taxsms.Date{})
	}
	return nil
}

// queue renders the dues of one rule into messages, counts them and, when
// sending, queues them in batches.
type queue struct {
	p         *Planner
	r         *Rule
	rp        *RulePlan
	send      bool
	notBefore time.Time
	tag       string // told apart in the key: "-3" for 3 working days before

	msgs       []*taxsms.Message
	deductions []int64
	periods    map[taxsms.Period]int64 // period → the first id queued for it
	msgPeriod  []taxsms.Period         // the period of each of msgs
}

// deadline feeds q the dues of deadline x, and lists x among the rule's
// deadlines if it is a working day (as deadlines are) or has dues.
func (q *queue) deadline(ctx context.Context, cal *calendar.Calendar, seq iter.Seq2[*taxsms.Due, error], x taxsms.Date) error {
	before := q.rp.Taxpayers
	if err := q.dues(ctx, seq, x); err != nil {
		return err
	}
	if cal.IsWorkday(x) || q.rp.Taxpayers > before {
		q.rp.Deadlines = append(q.rp.Deadlines, x)
	}
	return nil
}

func (q *queue) dues(ctx context.Context, seq iter.Seq2[*taxsms.Due, error], deadline taxsms.Date) error {
	for d, err := range seq {
		if err != nil {
			return err
		}
		if err := q.add(ctx, d, deadline); err != nil {
			return err
		}
	}
	return nil
}

func (q *queue) add(ctx context.Context, d *taxsms.Due, deadline taxsms.Date) error {
	v := Values{Name: d.Name, TaxTypes: strings.Join(d.TaxTypes, "、"), Period: string(d.Period),
		Office: d.OfficeName, OfficePhone: d.OfficePhone, Amount: taxsms.FormatYuan(d.Amount)}
	switch {
	case !deadline.IsZero():
		v.Deadline = deadline.String()
	case !d.PaymentDue.IsZero():
		v.Deadline = d.PaymentDue.String()
	case !d.FilingDue.IsZero():
		v.Deadline = d.FilingDue.String()
	}
	key := "remind/" + string(q.r.Name) + q.tag + "/" + string(d.Period) + "/" + strconv.FormatInt(d.TaxpayerID, 10) + "/"
	suffix := ""
	expires := q.notBefore.Add(72 * time.Hour)
	if q.r.Name == BeforeDeadline {
		// Useful until the deadline's end.
		expires = addDays(deadline, 1).Time(calendar.Shanghai)
	}
	if dd := d.Deduction; dd != nil {
		v.Reason = dd.Reason
		suffix = "/" + dd.Reference
		expires = q.notBefore.Add(7 * 24 * time.Hour)
		q.deductions = append(q.deductions, dd.ID)
	}
	text := q.r.Template.Render(q.p.Signature, v)
	segs := Segments(text)
	sent := false
	for _, c := range d.Contacts {
		if !q.r.goes(c.Role) {
			continue
		}
		sent = true
		q.rp.Messages++
		q.rp.Segments += segs
		q.rp.ByOffice[d.OfficeID]++
		if len(q.rp.Samples) < samples {
			q.rp.Samples = append(q.rp.Samples, Sample{TaxpayerID: d.TaxpayerID, Mobile: taxsms.MaskMobile(c.Mobile),
				Text: text, English: q.r.Template.RenderEN(v)})
		}
		if q.send {
			q.msgPeriod = append(q.msgPeriod, d.Period)
			kind := q.r.Kind()
			q.msgs = append(q.msgs, &taxsms.Message{Direction: taxsms.MT, Kind: kind, Priority: kind.DefaultPriority(),
				Mobile: c.Mobile, Body: text, Segments: segs, TaxpayerID: d.TaxpayerID, ContactID: c.ID, OfficeID: d.OfficeID,
				IdempotencyKey: key + strconv.FormatInt(c.ID, 10) + suffix, NotBefore: q.notBefore, ExpiresAt: expires})
		}
	}
	if sent {
		q.rp.Taxpayers++
	}
	if len(q.msgs) >= batch {
		return q.flush(ctx)
	}
	return nil
}

// flush queues the messages gathered, then marks their failed deductions
// reminded: a crash between the two yields the deductions again, and their
// keys keep them from being queued twice.
func (q *queue) flush(ctx context.Context) error {
	if !q.send {
		return nil
	}
	if len(q.msgs) > 0 {
		created, err := q.p.Store.CreateMessages(ctx, q.msgs)
		if err != nil {
			return err
		}
		for i, c := range created {
			if !c {
				continue
			}
			q.rp.Queued++
			if first, ok := q.periods[q.msgPeriod[i]]; !ok || q.msgs[i].ID < first {
				q.periods[q.msgPeriod[i]] = q.msgs[i].ID
			}
		}
		q.msgs, q.msgPeriod = q.msgs[:0], q.msgPeriod[:0]
	}
	if len(q.deductions) > 0 {
		if _, err := q.p.Store.MarkDeductionsReminded(ctx, q.deductions); err != nil {
			return err
		}
		q.deductions = q.deductions[:0]
	}
	return nil
}
