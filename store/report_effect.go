package store

import (
	"cmp"
	"context"
	"slices"
	"sort"
	"strings"
	"time"

	"taxsms"
	"taxsms/auth"
	"taxsms/remind"
)

// EffectOptions say which reminders ReminderEffect measures and what counts
// as their effect.
type EffectOptions struct {
	Period taxsms.Period
	// Lead returns the first day the before-deadline reminders go for a
	// filing deadline (e.g. 3 working days before it): taxpayers who filed
	// before it were never to be reminded and are left out. nil: the
	// deadline itself. It is called once per deadline.
	Lead func(deadline taxsms.Date) taxsms.Date
	// Within is how many days after the filing deadline (overdue filing),
	// the payment deadline (unpaid tax) or the failed deduction filing or
	// paying still counts.
	Within int
}

// EffectGroup counts taxpayers of one group and those of them who did what
// the reminder asked in time.
type EffectGroup struct {
	Taxpayers int
	Done      int
}

// EffectRow is the effect of one reminder rule in one office for a period:
// the taxpayers it was for, split by whether a reminder reached them.
type EffectRow struct {
	Rule     remind.RuleName
	OfficeID int64
	// Delivered: at least one reminder was delivered to a contact.
	Delivered EffectGroup
	// Undelivered: reminders were sent and none was delivered (failed,
	// expired, or still waiting for the receipt).
	Undelivered EffectGroup
	// None: no reminder went; OptedOut and NoContact say why for some of
	// them (every contact opted out; no contact in service). The others had
	// an active contact but no reminder (a rule switched off or limited to
	// other roles, a reminder held or cancelled).
	None      EffectGroup
	OptedOut  int
	NoContact int
}

// ReminderEffect returns, per reminder rule and office, the share of the
// taxpayers a rule was for who then did what it asked, beside those whose
// reminder did not arrive and those who got none (R-3, Art. 4 (1)-(4)):
//
//   - before the deadline: taxpayers with an obligation of the period not
//     filed before the reminders' first day (opt.Lead); done when every
//     such obligation was filed by its deadline;
//   - overdue filing: obligations not filed by their deadline; done when
//     filed within opt.Within days after it;
//   - unpaid tax: obligations filed and not paid in full by the payment
//     deadline; done when paid in full within opt.Within days after it;
//   - failed deduction: failed deductions of the period; done when the
//     obligation was paid in full, or a later deduction succeeded, within
//     opt.Within days of the failure.
//
// Deadlines whose window has not closed at now (in loc) are left out of the
// two rules that wait for them. Rows are by rule, then office; taxpayers
// are read within the actor's scope (and subtree).
//
// It reads the period's obligations once, in taxpayer order, looking a
// reminder kind up only on the obligations its rule may be for; then the
// contacts of the taxpayers no reminder reached, a thousand at a time,
// holding those taxpayers until then (16 bytes a taxpayer and rule).
func (db *DB) ReminderEffect(ctx context.Context, subtree int64, opt EffectOptions, loc *time.Location) ([]EffectRow, error) {
	if !opt.Period.Valid() {
		return nil, taxsms.Invalid("period", "%q: want 2026-11, 2026Q3 or 2025", string(opt.Period))
	}
	if opt.Within < 0 {
		return nil, taxsms.Invalid("paid_within", "%d days is negative", opt.Within)
	}
	today := taxsms.DateOf(db.Now().In(loc))
	lead := opt.Lead
	if lead == nil {
		lead = func(d taxsms.Date) taxsms.Date { return d }
	}
	// A period's obligations share a few deadlines and filing days: each
	// is parsed, and each deadline's lead and window worked out, once.
	dates := make(map[string]taxsms.Date)
	date := func(s string) taxsms.Date {
		d, ok := dates[s]
		if !ok {
			d, _ = taxsms.ParseDate(s)
			dates[s] = d
		}
		return d
	}
	leads, windows := make(map[taxsms.Date]taxsms.Date), make(map[taxsms.Date]taxsms.Date)
	leadOf := func(d taxsms.Date) taxsms.Date {
		l, ok := leads[d]
		if !ok {
			l = lead(d)
			leads[d] = l
		}
		return l
	}
	within := func(d taxsms.Date) taxsms.Date {
		w, ok := windows[d]
		if !ok {
			w = taxsms.DateOf(d.Time(time.UTC).AddDate(0, 0, opt.Within))
			windows[d] = w
		}
		return w
	}
	pattern := "remind/%/" + string(opt.Period) + "/%"
	acc := newEffectAcc()

	q, args, err := db.reportQuery(ctx, "ReportEffectObligations", auth.DataTaxpayers, subtree)
	if err != nil {
		return nil, err
	}
	rows, err := db.db.QueryContext(ctx, q, append([]any{pattern, pattern, pattern, string(opt.Period)}, args...)...)
	if err != nil {
		return nil, err
	}
	// A taxpayer's obligations come together; each rule's verdict on the
	// taxpayer is decided once all are read.
	type verdict struct{ in, done bool }
	var cur struct {
		taxpayer, office int64
		reach            [3]int
		rules            [3]verdict
	}
	flush := func() {
		if cur.taxpayer == 0 {
			return
		}
		for i, v := range cur.rules {
			if v.in {
				acc.add(remind.RuleNames[i], cur.taxpayer, cur.office, cur.reach[i], v.done)
			}
		}
	}
	for rows.Next() {
		var taxpayer, office, due, paid int64
		var filingDue, filedOn, paymentDue, paidOn string
		var reach int
		if err := rows.Scan(&taxpayer, &office, &filingDue, &filedOn, &paymentDue, &paidOn, &due, &paid, &reach); err != nil {
			rows.Close()
			return nil, err
		}
		if taxpayer != cur.taxpayer {
			flush()
			cur.taxpayer, cur.office, cur.reach = taxpayer, office, [3]int{}
			for i := range cur.rules {
				cur.rules[i] = verdict{done: true}
			}
		}
		// Each kind is looked up only on the obligations its rule may be
		// for: the taxpayer's reach is the largest found.
		for i := range cur.reach {
			cur.reach[i] = max(cur.reach[i], reach%3)
			reach /= 3
		}
		fd, filed, pd, paidDay := date(filingDue), date(filedOn), date(paymentDue), date(paidOn)
		if !fd.IsZero() {
			// Before the deadline: not filed when the reminders began.
			if filed.IsZero() || !filed.Before(leadOf(fd)) {
				v := &cur.rules[0]
				v.in = true
				v.done = v.done && !filed.IsZero() && !fd.Before(filed)
			}
			// Overdue: not filed by the deadline, the window closed.
			if (filed.IsZero() || fd.Before(filed)) && within(fd).Before(today) {
				v := &cur.rules[1]
				v.in = true
				v.done = v.done && !filed.IsZero() && !within(fd).Before(filed)
			}
		}
		// Unpaid: filed, not paid in full by the payment deadline.
		if !pd.IsZero() && !filed.IsZero() && due > 0 && (paid < due || pd.Before(paidDay)) && within(pd).Before(today) {
			v := &cur.rules[2]
			v.in = true
			v.done = v.done && paid >= due && !paidDay.IsZero() && !within(pd).Before(paidDay)
		}
	}
	flush()
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}

	q, args, err = db.reportQuery(ctx, "ReportEffectDeductions", auth.DataTaxpayers, subtree)
	if err != nil {
		return nil, err
	}
	rows, err = db.db.QueryContext(ctx, q, append([]any{pattern, string(opt.Period)}, args...)...)
	if err != nil {
		return nil, err
	}
	var last struct {
		taxpayer, office int64
		reach            int
		done             bool
	}
	flushD := func() {
		if last.taxpayer != 0 {
			acc.add(remind.FailedDeduction, last.taxpayer, last.office, last.reach, last.done)
		}
	}
	for rows.Next() {
		var taxpayer, office, at, due, paid, success int64
		var paidOn string
		var reach int
		if err := rows.Scan(&taxpayer, &office, &at, &paidOn, &due, &paid, &success, &reach); err != nil {
			rows.Close()
			return nil, err
		}
		if taxpayer != last.taxpayer {
			flushD()
			last.taxpayer, last.office, last.reach, last.done = taxpayer, office, reach, true
		}
		failedDay := taxsms.DateOf(fromMS(at).In(loc))
		paidDay, _ := taxsms.ParseDate(paidOn)
		byPayment := due > 0 && paid >= due && !paidDay.IsZero() && !within(failedDay).Before(paidDay)
		bySuccess := success != 0 && !within(failedDay).Before(taxsms.DateOf(fromMS(success).In(loc)))
		last.done = last.done && (byPayment || bySuccess)
	}
	flushD()
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if err := db.effectContacts(ctx, acc); err != nil {
		return nil, err
	}
	return acc.rows(), nil
}

// contactsBatch is how many taxpayers' contacts effectContacts reads in one
// query: always that many placeholders (the last batch padded with id 0,
// which no taxpayer has), so that the engine sees one statement.
const contactsBatch = 1000

// effectContacts counts, among the taxpayers no reminder reached, those
// whose contacts all opted out and those with no contact in service,
// reading their contacts contactsBatch taxpayers at a time.
func (db *DB) effectContacts(ctx context.Context, acc *effectAcc) error {
	none := acc.none
	slices.SortFunc(none, func(a, b unreached) int { return cmp.Compare(a.taxpayer, b.taxpayer) })
	q := db.rebind(strings.Replace(db.q("ReportEffectContacts"), "{{IDS}}", strings.Repeat("?, ", contactsBatch-1)+"?", 1))
	args := make([]any, contactsBatch)
	states := make(map[int64]int, contactsBatch)
	for len(none) > 0 {
		// The next contactsBatch taxpayers, and the entries of none they
		// have (a taxpayer may have one for each rule).
		n, k := 0, 0
		for ; k < len(none) && (n < contactsBatch || none[k].taxpayer == none[k-1].taxpayer); k++ {
			if k == 0 || none[k].taxpayer != none[k-1].taxpayer {
				args[n] = none[k].taxpayer
				n++
			}
		}
		for i := n; i < contactsBatch; i++ {
			args[i] = int64(0)
		}
		clear(states)
		rows, err := db.db.QueryContext(ctx, q, args...)
		if err != nil {
			return err
		}
		for rows.Next() {
			var id int64
			var state int
			if err := rows.Scan(&id, &state); err != nil {
				rows.Close()
				return err
			}
			states[id] = state
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		for _, u := range none[:k] {
			switch states[u.taxpayer] {
			case 1:
				u.row.OptedOut++
			case 0:
				u.row.NoContact++
			}
		}
		none = none[k:]
	}
	return nil
}

// effectAcc gathers EffectRows by rule and office, and the taxpayers no
// reminder reached, whose contacts are read at the end.
type effectAcc struct {
	byKey map[effectKey]*EffectRow
	none  []unreached
}

// unreached is a taxpayer counted in row's None group, whose contacts
// tell whether it is also counted as opted out or without contact.
type unreached struct {
	taxpayer int64
	row      *EffectRow
}

type effectKey struct {
	rule   remind.RuleName
	office int64
}

func newEffectAcc() *effectAcc { return &effectAcc{byKey: make(map[effectKey]*EffectRow)} }

// add counts one taxpayer: reach is 2 (delivered), 1 (sent, not
// delivered) or 0 (none).
func (a *effectAcc) add(rule remind.RuleName, taxpayer, office int64, reach int, done bool) {
	k := effectKey{rule, office}
	r := a.byKey[k]
	if r == nil {
		r = &EffectRow{Rule: rule, OfficeID: office}
		a.byKey[k] = r
	}
	g := &r.None
	switch reach {
	case 2:
		g = &r.Delivered
	case 1:
		g = &r.Undelivered
	default:
		a.none = append(a.none, unreached{taxpayer, r})
	}
	g.Taxpayers++
	if done {
		g.Done++
	}
}

func (a *effectAcc) rows() []EffectRow {
	order := make(map[remind.RuleName]int)
	for i, n := range remind.RuleNames {
		order[n] = i
	}
	out := make([]EffectRow, 0, len(a.byKey))
	for _, r := range a.byKey {
		out = append(out, *r)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Rule != out[j].Rule {
			return order[out[i].Rule] < order[out[j].Rule]
		}
		return out[i].OfficeID < out[j].OfficeID
	})
	return out
}
