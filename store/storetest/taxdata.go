package storetest

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"slices"
	"strings"
	"testing"
	"time"

	"taxsms"
	"taxsms/auth/authtest"
	"taxsms/store"
)

// testTaxData runs the tax data tests: upserts and their counts, the
// reminders' look-ups, and the cancellation of waiting reminders.
func testTaxData(t *testing.T, open func(testing.TB) *store.DB) {
	t.Run("Upsert", func(t *testing.T) { testTaxUpsert(t, open(t)) })
	t.Run("Dues", func(t *testing.T) { testDues(t, open(t)) })
	t.Run("Cancel", func(t *testing.T) { testTaxCancel(t, open(t)) })
	t.Run("CancelMoot", func(t *testing.T) { testCancelMoot(t, open(t)) })
	t.Run("Deductions", func(t *testing.T) { testDeductions(t, open(t)) })
	t.Run("Pages", func(t *testing.T) { testDuePages(t, open(t)) })
}

func day(y int, m time.Month, d int) taxsms.Date { return taxsms.Date{Year: y, Month: m, Day: d} }

// taxCity is a city with taxpayers A and B (branch 1, assigned to op) and C
// (branch 2): A has two active contacts, B one active and one opted out, C
// none active.
type taxCity struct {
	root, b1, b2 *taxsms.Office
	op           *taxsms.User
	tp           [3]*taxsms.Taxpayer
	contacts     [3][]*taxsms.Contact
}

func newTaxCity(t testing.TB, db *store.DB) *taxCity {
	t.Helper()
	ctx := context.Background()
	c := &taxCity{}
	c.root, c.b1, c.b2, c.op = city(t, db)
	statuses := [3][2]taxsms.ServiceStatus{
		{taxsms.ServiceActive, taxsms.ServiceActive},
		{taxsms.ServiceActive, taxsms.ServiceOptedOut},
		{taxsms.ServicePending, taxsms.ServiceCancelled},
	}
	for i := range c.tp {
		office := c.b1.ID
		if i == 2 {
			office = c.b2.ID
		}
		c.tp[i] = newTaxpayer(office, c.op.ID, 700+i)
		must(t, db.CreateTaxpayer(ctx, c.tp[i]))
		for j, role := range []taxsms.ContactRole{taxsms.RoleTaxClerk, taxsms.RoleLegalRep} {
			ct := &taxsms.Contact{TaxpayerID: c.tp[i].ID, Role: role, Name: fmt.Sprintf("联系人%d%d", i, j),
				Mobile: fmt.Sprintf("1370000%02d%02d", i, j), Status: statuses[i][j]}
			must(t, db.CreateContact(ctx, ct))
			c.contacts[i] = append(c.contacts[i], ct)
		}
	}
	return c
}

func collect(t testing.TB, seq iter.Seq2[*taxsms.Due, error]) []*taxsms.Due {
	t.Helper()
	var out []*taxsms.Due
	for d, err := range seq {
		must(t, err)
		out = append(out, d)
	}
	return out
}

func testTaxUpsert(t *testing.T, db *store.DB) {
	ctx := context.Background()
	c := newTaxCity(t, db)
	a, b := c.tp[0].ID, c.tp[1].ID
	obs := []*taxsms.Obligation{
		{TaxpayerID: a, TaxType: "增值税", Period: "2026-11", FilingDue: day(2026, 12, 15)},
		{TaxpayerID: a, TaxType: "城市维护建设税", Period: "2026-11", FilingDue: day(2026, 12, 15), PaymentDue: day(2026, 12, 16)},
		{TaxpayerID: b, TaxType: "增值税", Period: "2026-11", FilingDue: day(2026, 12, 15)},
	}
	got, err := db.UpsertObligations(ctx, seq(obs...))
	must(t, err)
	if want := (store.Upserted{Inserted: 3}); got != want {
		t.Errorf("UpsertObligations = %+v, want %+v", got, want)
	}
	got, err = db.UpsertObligations(ctx, seq(obs...))
	must(t, err)
	if want := (store.Upserted{Unchanged: 3}); got != want {
		t.Errorf("UpsertObligations again = %+v, want %+v", got, want)
	}
	moved := *obs[2]
	moved.FilingDue, moved.PaymentDue = day(2026, 12, 17), taxsms.Date{}
	got, err = db.UpsertObligations(ctx, seq(obs[0], &moved, &taxsms.Obligation{TaxpayerID: b, TaxType: "增值税", Period: "2026Q4", FilingDue: day(2027, 1, 15)}))
	must(t, err)
	if want := (store.Upserted{Inserted: 1, Updated: 1, Unchanged: 1}); got != want {
		t.Errorf("UpsertObligations with a change = %+v, want %+v", got, want)
	}
	o, err := db.FindObligation(ctx, b, "增值税", "2026-11")
	must(t, err)
	if o.FilingDue != day(2026, 12, 17) || o.PaymentDue != day(2026, 12, 17) || o.Filed() {
		t.Errorf("FindObligation = %+v, want due 2026-12-17 and not filed", o)
	}

	t.Run("Filings", func(t *testing.T) {
		fs := []*taxsms.Filing{
			{TaxpayerID: a, TaxType: "增值税", Period: "2026-11", FiledOn: day(2026, 12, 3), AmountDue: 123456},
			{TaxpayerID: a, TaxType: "印花税", Period: "2026-11", FiledOn: day(2026, 12, 3), AmountDue: 500}, // no obligation yet
		}
		got, err := db.UpsertFilings(ctx, seq(fs...))
		must(t, err)
		if want := (store.Upserted{Inserted: 1, Updated: 1}); got != want {
			t.Errorf("UpsertFilings = %+v, want %+v", got, want)
		}
		got, err = db.UpsertFilings(ctx, seq(fs...))
		must(t, err)
		if want := (store.Upserted{Unchanged: 2}); got != want {
			t.Errorf("UpsertFilings again = %+v, want %+v", got, want)
		}
		got, err = db.UpsertObligations(ctx, seq(obs...))
		must(t, err)
		if want := (store.Upserted{Unchanged: 2, Updated: 1}); got != want { // b's deadline goes back
			t.Errorf("UpsertObligations after filings = %+v, want %+v", got, want)
		}
		o, err := db.FindObligation(ctx, a, "增值税", "2026-11")
		must(t, err)
		if o.FiledOn != day(2026, 12, 3) || o.AmountDue != 123456 || o.FilingDue != day(2026, 12, 15) {
			t.Errorf("obligation after filing and re-import = %+v", o)
		}
		stamp, err := db.FindObligation(ctx, a, "印花税", "2026-11")
		must(t, err)
		if !stamp.FilingDue.IsZero() || stamp.AmountDue != 500 {
			t.Errorf("obligation created by a filing = %+v, want no deadline", stamp)
		}
	})
	t.Run("Payments", func(t *testing.T) {
		p := &taxsms.Payment{TaxpayerID: a, TaxType: "增值税", Period: "2026-11", PaidOn: day(2026, 12, 10), Amount: 100000}
		got, err := db.UpsertPayments(ctx, seq(p))
		must(t, err)
		if want := (store.Upserted{Updated: 1}); got != want {
			t.Errorf("UpsertPayments = %+v, want %+v", got, want)
		}
		got, err = db.UpsertPayments(ctx, seq(p))
		must(t, err)
		if want := (store.Upserted{Unchanged: 1}); got != want {
			t.Errorf("UpsertPayments again = %+v, want %+v", got, want)
		}
		o, err := db.FindObligation(ctx, a, "增值税", "2026-11")
		must(t, err)
		if o.PaidOn != day(2026, 12, 10) || o.AmountPaid != 100000 || o.Unpaid() != 23456 {
			t.Errorf("obligation after payment = %+v", o)
		}
	})
	t.Run("List", func(t *testing.T) {
		list, err := db.ListObligations(ctx, store.ObligationFilter{TaxpayerID: a})
		must(t, err)
		var keys []string
		for _, o := range list {
			keys = append(keys, string(o.Period)+" "+o.TaxType)
		}
		if got, want := strings.Join(keys, ", "), "2026-11 印花税, 2026-11 城市维护建设税, 2026-11 增值税"; got != want {
			t.Errorf("ListObligations = %s, want %s", got, want)
		}
		other := authtest.Context(ctx, taxsms.RoleOperator, 999, c.b2.Path)
		list, err = db.ListObligations(other, store.ObligationFilter{TaxpayerID: a})
		must(t, err)
		if len(list) != 0 {
			t.Errorf("ListObligations by an operator of another branch = %d, want 0", len(list))
		}
		_, err = db.FindObligation(other, a, "增值税", "2026-11")
		wantCode(t, err, taxsms.ENOTFOUND, "")
	})
	t.Run("ErrInvalid", func(t *testing.T) {
		bad := &taxsms.Obligation{TaxpayerID: a, TaxType: "增值税", Period: "2026-13", FilingDue: day(2026, 12, 15)}
		_, err := db.UpsertObligations(ctx, seq(bad))
		wantCode(t, err, taxsms.EINVALID, "period")
		_, err = db.UpsertFilings(ctx, seq(&taxsms.Filing{TaxpayerID: a, TaxType: "增值税", Period: "2026-11"}))
		wantCode(t, err, taxsms.EINVALID, "filed_on")
		_, err = db.UpsertPayments(ctx, seq(&taxsms.Payment{TaxpayerID: a, TaxType: "增值税", Period: "2026-11", PaidOn: day(2026, 12, 1)}))
		wantCode(t, err, taxsms.EINVALID, "amount_paid")
		_, err = db.UpsertObligations(ctx, seq(&taxsms.Obligation{TaxpayerID: 99999, TaxType: "增值税", Period: "2026-11", FilingDue: day(2026, 12, 15)}))
		wantCode(t, err, taxsms.EINVALID, "taxpayer")
		_, err = db.UpsertFilings(ctx, seq(&taxsms.Filing{TaxpayerID: 99999, TaxType: "增值税", Period: "2026-11", FiledOn: day(2026, 12, 1)}))
		wantCode(t, err, taxsms.EINVALID, "taxpayer")
	})
	t.Run("Rollback", func(t *testing.T) {
		// 300 good rows, sent in multi-row statements, then an error: none stays.
		var many []*taxsms.Obligation
		for i := range 300 {
			many = append(many, &taxsms.Obligation{TaxpayerID: a, TaxType: fmt.Sprintf("税种%03d", i), Period: "2027-01", FilingDue: day(2027, 2, 15)})
		}
		failing := func(yield func(*taxsms.Obligation, error) bool) {
			for _, o := range many {
				if !yield(o, nil) {
					return
				}
			}
			yield(nil, errors.New("the file broke"))
		}
		if _, err := db.UpsertObligations(ctx, failing); err == nil || !strings.Contains(err.Error(), "the file broke") {
			t.Fatalf("UpsertObligations = %v, want the sequence's error", err)
		}
		list, err := db.ListObligations(ctx, store.ObligationFilter{Period: "2027-01"})
		must(t, err)
		if len(list) != 0 {
			t.Errorf("%d obligations left after a failed upsert, want 0", len(list))
		}
		got, err := db.UpsertObligations(ctx, seq(append(many, many[0])...)) // a repeat: the later row wins
		must(t, err)
		if want := (store.Upserted{Inserted: 300, Unchanged: 1}); got != want {
			t.Errorf("UpsertObligations of 301 = %+v, want %+v", got, want)
		}
	})
	t.Run("ErrForbidden", func(t *testing.T) {
		for _, role := range []taxsms.Role{taxsms.RoleBranchAdmin, taxsms.RoleOperator, taxsms.RoleAuditor} {
			actx := authtest.Context(ctx, role, c.op.ID, c.b1.Path)
			_, err := db.UpsertObligations(actx, seq(obs...))
			wantCode(t, err, taxsms.EFORBIDDEN, "")
			_, err = db.UpsertFilings(actx, seq[*taxsms.Filing]())
			wantCode(t, err, taxsms.EFORBIDDEN, "")
			_, err = db.UpsertPayments(actx, seq[*taxsms.Payment]())
			wantCode(t, err, taxsms.EFORBIDDEN, "")
			_, err = db.UpsertDeductions(actx, seq[*taxsms.Deduction]())
			wantCode(t, err, taxsms.EFORBIDDEN, "")
		}
		admin := authtest.Context(ctx, taxsms.RoleCityAdmin, 100, c.root.Path)
		_, err := db.UpsertObligations(admin, seq(obs...))
		must(t, err)
	})
}

func testDues(t *testing.T, db *store.DB) {
	ctx := context.Background()
	c := newTaxCity(t, db)
	a, b, cc := c.tp[0].ID, c.tp[1].ID, c.tp[2].ID
	_, err := db.UpsertObligations(ctx, seq(
		&taxsms.Obligation{TaxpayerID: a, TaxType: "增值税", Period: "2026-11", FilingDue: day(2026, 12, 15)},
		&taxsms.Obligation{TaxpayerID: a, TaxType: "城市维护建设税", Period: "2026-11", FilingDue: day(2026, 12, 15), PaymentDue: day(2026, 12, 16)},
		&taxsms.Obligation{TaxpayerID: a, TaxType: "企业所得税", Period: "2026Q3", FilingDue: day(2026, 12, 15)},
		&taxsms.Obligation{TaxpayerID: b, TaxType: "增值税", Period: "2026-11", FilingDue: day(2026, 12, 15)},
		&taxsms.Obligation{TaxpayerID: b, TaxType: "个人所得税", Period: "2026-11", FilingDue: day(2026, 12, 16)},
		&taxsms.Obligation{TaxpayerID: cc, TaxType: "增值税", Period: "2026-11", FilingDue: day(2026, 12, 15)},
	))
	must(t, err)
	describe := func(list []*taxsms.Due) string {
		var parts []string
		for _, d := range list {
			var who []string
			for _, ct := range d.Contacts {
				who = append(who, ct.Mobile)
			}
			parts = append(parts, fmt.Sprintf("%s %s %s %s/%s %s [%s]", d.Name[len(d.Name)-21:], d.Period, strings.Join(d.TaxTypes, "+"),
				d.FilingDue, d.PaymentDue, taxsms.FormatYuan(d.Amount), strings.Join(who, " ")))
		}
		return strings.Join(parts, "\n")
	}
	name := func(i int) string { n := c.tp[i].Name; return n[len(n)-21:] }

	t.Run("Unfiled", func(t *testing.T) {
		list := collect(t, db.Unfiled(ctx, day(2026, 12, 15), day(2026, 12, 15)))
		want := strings.Join([]string{
			name(0) + " 2026-11 城市维护建设税+增值税 2026-12-15/ 0.00 [13700000000 13700000001]",
			name(0) + " 2026Q3 企业所得税 2026-12-15/ 0.00 [13700000000 13700000001]",
			name(1) + " 2026-11 增值税 2026-12-15/ 0.00 [13700000100]",
		}, "\n")
		if got := describe(list); got != want {
			t.Errorf("Unfiled(2026-12-15) =\n%s\nwant\n%s", got, want)
		}
		d := list[0]
		if d.TaxpayerID != a || d.OfficeID != c.b1.ID || d.OfficeName != c.b1.Name ||
			d.Contacts[0].ID != c.contacts[0][0].ID || d.Contacts[0].Role != taxsms.RoleTaxClerk || d.Contacts[0].Name != "联系人00" {
			t.Errorf("first due = %+v", d)
		}
		two := collect(t, db.Unfiled(ctx, day(2026, 12, 14), day(2026, 12, 16)))
		if len(two) != 4 || two[3].TaxpayerID != b || two[3].TaxTypes[0] != "个人所得税" {
			t.Errorf("Unfiled(2026-12-14 to 16) = \n%s\nwant 4 dues, the last b's 个人所得税", describe(two))
		}
		if got := collect(t, db.Unfiled(ctx, day(2026, 12, 17), day(2026, 12, 31))); len(got) != 0 {
			t.Errorf("Unfiled after the deadlines = %d dues, want 0", len(got))
		}
		for _, err := range db.Unfiled(ctx, day(2026, 12, 16), day(2026, 12, 15)) {
			wantCode(t, err, taxsms.EINVALID, "date")
		}
	})
	t.Run("Scope", func(t *testing.T) {
		other := authtest.Context(ctx, taxsms.RoleOperator, 999, c.b2.Path)
		if got := collect(t, db.Unfiled(other, day(2026, 12, 15), day(2026, 12, 15))); len(got) != 0 {
			t.Errorf("Unfiled for an operator of branch 2 = %d dues, want 0", len(got))
		}
		mine := authtest.Context(ctx, taxsms.RoleBranchAdmin, 998, c.b1.Path)
		if got := collect(t, db.Unfiled(mine, day(2026, 12, 15), day(2026, 12, 15))); len(got) != 3 {
			t.Errorf("Unfiled for the branch administrator = %d dues, want 3", len(got))
		}
	})
	t.Run("Unpaid", func(t *testing.T) {
		_, err := db.UpsertFilings(ctx, seq(
			&taxsms.Filing{TaxpayerID: a, TaxType: "增值税", Period: "2026-11", FiledOn: day(2026, 12, 3), AmountDue: 100000},
			&taxsms.Filing{TaxpayerID: a, TaxType: "城市维护建设税", Period: "2026-11", FiledOn: day(2026, 12, 3), AmountDue: 7000},
			&taxsms.Filing{TaxpayerID: b, TaxType: "增值税", Period: "2026-11", FiledOn: day(2026, 12, 3), AmountDue: 0},
		))
		must(t, err)
		list := collect(t, db.Unfiled(ctx, day(2026, 12, 15), day(2026, 12, 15)))
		if got, want := describe(list), name(0)+" 2026Q3 企业所得税 2026-12-15/ 0.00 [13700000000 13700000001]"; got != want {
			t.Errorf("Unfiled after filings =\n%s\nwant\n%s", got, want)
		}
		list = collect(t, db.Unpaid(ctx, day(2026, 12, 15), day(2026, 12, 16)))
		want := name(0) + " 2026-11 增值税 /2026-12-15 1000.00 [13700000000 13700000001]\n" +
			name(0) + " 2026-11 城市维护建设税 /2026-12-16 70.00 [13700000000 13700000001]"
		if got := describe(list); got != want {
			t.Errorf("Unpaid =\n%s\nwant\n%s", got, want)
		}
		_, err = db.UpsertPayments(ctx, seq(&taxsms.Payment{TaxpayerID: a, TaxType: "增值税", Period: "2026-11", PaidOn: day(2026, 12, 15), Amount: 60000}))
		must(t, err)
		list = collect(t, db.Unpaid(ctx, day(2026, 12, 15), day(2026, 12, 15)))
		if got, want := describe(list), name(0)+" 2026-11 增值税 /2026-12-15 400.00 [13700000000 13700000001]"; got != want {
			t.Errorf("Unpaid after a part payment =\n%s\nwant\n%s", got, want)
		}
	})
}

// reminder stores a waiting reminder of kind for taxpayer i's first contact.
func reminder(t testing.TB, db *store.DB, c *taxCity, i int, kind taxsms.Kind, period taxsms.Period, notBefore time.Time) *taxsms.Message {
	t.Helper()
	ct := c.contacts[i][0]
	m := &taxsms.Message{Direction: taxsms.MT, Kind: kind, Priority: taxsms.PriorityReminder, Mobile: ct.Mobile,
		TaxpayerID: c.tp[i].ID, ContactID: ct.ID, OfficeID: c.tp[i].OfficeID, Body: "【青岛税务】提醒", Segments: 1,
		NotBefore:      notBefore,
		IdempotencyKey: fmt.Sprintf("remind/%s/%s/%d/%d", kind, period, c.tp[i].ID, ct.ID)}
	must(t, db.CreateMessage(context.Background(), m))
	return m
}

func testTaxCancel(t *testing.T, db *store.DB) {
	ctx := context.Background()
	c := newTaxCity(t, db)
	a, b := c.tp[0].ID, c.tp[1].ID
	_, err := db.UpsertObligations(ctx, seq(
		&taxsms.Obligation{TaxpayerID: a, TaxType: "增值税", Period: "2026-11", FilingDue: day(2026, 12, 15)},
		&taxsms.Obligation{TaxpayerID: a, TaxType: "城市维护建设税", Period: "2026-11", FilingDue: day(2026, 12, 15)},
		&taxsms.Obligation{TaxpayerID: b, TaxType: "增值税", Period: "2026-11", FilingDue: day(2026, 12, 15)},
	))
	must(t, err)
	later := time.Now().Add(24 * time.Hour)
	pre := reminder(t, db, c, 0, taxsms.KindFilingReminder, "2026-11", later)       // scheduled
	over := reminder(t, db, c, 0, taxsms.KindOverdueFiling, "2026-11", time.Time{}) // queued
	older := reminder(t, db, c, 0, taxsms.KindFilingReminder, "2026-10", later)     // another period
	unpaid := reminder(t, db, c, 0, taxsms.KindUnpaidTax, "2026-11", later)         // another reason
	deduct := reminder(t, db, c, 0, taxsms.KindFailedDeduction, "2026-11", later)
	otherTP := reminder(t, db, c, 1, taxsms.KindFilingReminder, "2026-11", later)
	status := func(m *taxsms.Message) taxsms.Status {
		t.Helper()
		got, err := db.FindMessage(ctx, m.ID)
		must(t, err)
		return got.Status
	}
	check := func(step string, want map[*taxsms.Message]taxsms.Status) {
		t.Helper()
		for m, s := range want {
			if got := status(m); got != s {
				t.Errorf("%s: message %s = %s, want %s", step, m.IdempotencyKey, got, s)
			}
		}
	}
	// One of a's two taxes filed: a reminder is still due.
	_, err = db.UpsertFilings(ctx, seq(&taxsms.Filing{TaxpayerID: a, TaxType: "增值税", Period: "2026-11", FiledOn: day(2026, 12, 3), AmountDue: 1000}))
	must(t, err)
	check("one of two filed", map[*taxsms.Message]taxsms.Status{pre: taxsms.StatusScheduled, over: taxsms.StatusQueued})

	_, err = db.UpsertFilings(ctx, seq(&taxsms.Filing{TaxpayerID: a, TaxType: "城市维护建设税", Period: "2026-11", FiledOn: day(2026, 12, 4), AmountDue: 70}))
	must(t, err)
	check("all filed", map[*taxsms.Message]taxsms.Status{pre: taxsms.StatusCancelled, over: taxsms.StatusCancelled,
		older: taxsms.StatusScheduled, unpaid: taxsms.StatusScheduled, deduct: taxsms.StatusScheduled, otherTP: taxsms.StatusScheduled})
	got, err := db.FindMessage(ctx, pre.ID)
	must(t, err)
	if got.Error != "cancelled: the taxpayer has filed" {
		t.Errorf("cancelled message's error = %q", got.Error)
	}

	// The deduction of one of the two taxes failed: its reminder stands until that tax is paid.
	_, err = db.UpsertDeductions(ctx, seq(&taxsms.Deduction{Reference: "BKA", TaxpayerID: a, TaxType: "城市维护建设税", Period: "2026-11",
		Amount: 70, Result: taxsms.DeductionFailed, At: time.Date(2026, 12, 15, 2, 0, 0, 0, time.UTC)}))
	must(t, err)
	_, err = db.UpsertPayments(ctx, seq(&taxsms.Payment{TaxpayerID: a, TaxType: "增值税", Period: "2026-11", PaidOn: day(2026, 12, 10), Amount: 1000}))
	must(t, err)
	check("part paid", map[*taxsms.Message]taxsms.Status{unpaid: taxsms.StatusScheduled, deduct: taxsms.StatusScheduled})
	_, err = db.UpsertPayments(ctx, seq(&taxsms.Payment{TaxpayerID: a, TaxType: "城市维护建设税", Period: "2026-11", PaidOn: day(2026, 12, 10), Amount: 70}))
	must(t, err)
	check("all paid", map[*taxsms.Message]taxsms.Status{unpaid: taxsms.StatusCancelled, deduct: taxsms.StatusCancelled,
		older: taxsms.StatusScheduled, otherTP: taxsms.StatusScheduled})
	got, err = db.FindMessage(ctx, unpaid.ID)
	must(t, err)
	if got.Error != "cancelled: the taxpayer has paid" {
		t.Errorf("cancelled message's error = %q", got.Error)
	}
	if want := "remind/%/2026-11/" + fmt.Sprint(a) + "/%"; store.ReminderKeyPattern("2026-11", a) != want {
		t.Errorf("ReminderKeyPattern = %q, want %q", store.ReminderKeyPattern("2026-11", a), want)
	}
}

func testDeductions(t *testing.T, db *store.DB) {
	ctx := context.Background()
	c := newTaxCity(t, db)
	a, b, cc := c.tp[0].ID, c.tp[1].ID, c.tp[2].ID
	at := time.Date(2026, 12, 15, 2, 0, 0, 0, time.UTC)
	ds := []*taxsms.Deduction{
		{Reference: "BK001", TaxpayerID: a, TaxType: "增值税", Period: "2026-11", Amount: 1000, Result: taxsms.DeductionOK, At: at},
		{Reference: "BK002", TaxpayerID: b, TaxType: "增值税", Period: "2026-11", Amount: 2000, Result: taxsms.DeductionFailed, Reason: "余额不足", At: at},
		{Reference: "BK003", TaxpayerID: cc, TaxType: "增值税", Period: "2026-11", Amount: 3000, Result: taxsms.DeductionFailed, Reason: "账户冻结", At: at},
		{Reference: "BK004", TaxpayerID: a, TaxType: "企业所得税", Period: "2026Q3", Amount: 4000, Result: taxsms.DeductionFailed, Reason: "余额不足", At: at},
		{Reference: "BK005", TaxpayerID: a, TaxType: "企业所得税", Period: "2026Q3", Amount: 4000, Result: taxsms.DeductionOK, At: at.Add(time.Hour)},
	}
	got, err := db.UpsertDeductions(ctx, seq(ds...))
	must(t, err)
	if want := (store.Upserted{Inserted: 5}); got != want {
		t.Errorf("UpsertDeductions = %+v, want %+v", got, want)
	}
	got, err = db.UpsertDeductions(ctx, seq(ds...))
	must(t, err)
	if want := (store.Upserted{Unchanged: 5}); got != want {
		t.Errorf("UpsertDeductions again = %+v, want %+v", got, want)
	}
	d, err := db.FindDeduction(ctx, "BK002")
	must(t, err)
	if d.TaxpayerID != b || d.Amount != 2000 || d.Result != taxsms.DeductionFailed || d.Reason != "余额不足" || !d.At.Equal(at) || !d.RemindedAt.IsZero() {
		t.Errorf("FindDeduction = %+v", d)
	}
	_, err = db.FindDeduction(ctx, "nosuch")
	wantCode(t, err, taxsms.ENOTFOUND, "")

	list := collect(t, db.FailedDeductions(ctx))
	if len(list) != 2 {
		t.Fatalf("FailedDeductions = %d, want 2 (BK004 was followed by a success)", len(list))
	}
	if d := list[0]; d.Deduction.Reference != "BK002" || d.TaxpayerID != b || d.Amount != 2000 || d.Period != "2026-11" ||
		len(d.Contacts) != 1 || d.Contacts[0].Mobile != "13700000100" || d.Deduction.Reason != "余额不足" || d.TaxTypes[0] != "增值税" {
		t.Errorf("first failed deduction = %+v", d)
	}
	if d := list[1]; d.Deduction.Reference != "BK003" || len(d.Contacts) != 0 {
		t.Errorf("second failed deduction = %+v, want BK003 with no contacts", d)
	}

	// Paid since: no reminder.
	_, err = db.UpsertFilings(ctx, seq(&taxsms.Filing{TaxpayerID: cc, TaxType: "增值税", Period: "2026-11", FiledOn: day(2026, 12, 1), AmountDue: 3000}))
	must(t, err)
	_, err = db.UpsertPayments(ctx, seq(&taxsms.Payment{TaxpayerID: cc, TaxType: "增值税", Period: "2026-11", PaidOn: day(2026, 12, 16), Amount: 3000}))
	must(t, err)
	list = collect(t, db.FailedDeductions(ctx))
	if len(list) != 1 || list[0].Deduction.Reference != "BK002" {
		t.Fatalf("FailedDeductions after C paid = %d, want BK002 only", len(list))
	}

	n, err := db.MarkDeductionsReminded(ctx, []int64{list[0].Deduction.ID})
	must(t, err)
	if n != 1 {
		t.Errorf("MarkDeductionsReminded = %d, want 1", n)
	}
	n, err = db.MarkDeductionsReminded(ctx, []int64{list[0].Deduction.ID})
	must(t, err)
	if n != 0 {
		t.Errorf("MarkDeductionsReminded again = %d, want 0", n)
	}
	if list := collect(t, db.FailedDeductions(ctx)); len(list) != 0 {
		t.Errorf("FailedDeductions after marking = %d, want 0", len(list))
	}
	got, err = db.UpsertDeductions(ctx, seq(ds[1]))
	must(t, err)
	if got != (store.Upserted{Unchanged: 1}) {
		t.Errorf("UpsertDeductions of a reminded one = %+v", got)
	}
	if d, _ := db.FindDeduction(ctx, "BK002"); d.RemindedAt.IsZero() {
		t.Error("RemindedAt is zero after marking")
	}
	t.Run("Cancel", func(t *testing.T) {
		// A waiting failed-deduction reminder goes once a later deduction succeeds.
		m := reminder(t, db, c, 1, taxsms.KindFailedDeduction, "2026-11", time.Now().Add(time.Hour))
		other := reminder(t, db, c, 1, taxsms.KindUnpaidTax, "2026-11", time.Now().Add(time.Hour))
		_, err := db.UpsertDeductions(ctx, seq(&taxsms.Deduction{Reference: "BK006", TaxpayerID: b, TaxType: "增值税", Period: "2026-11",
			Amount: 2000, Result: taxsms.DeductionFailed, Reason: "余额不足", At: at.Add(time.Hour)}))
		must(t, err)
		if got, _ := db.FindMessage(ctx, m.ID); got.Status != taxsms.StatusScheduled {
			t.Fatalf("after another failure: reminder %s, want scheduled", got.Status)
		}
		_, err = db.UpsertDeductions(ctx, seq(&taxsms.Deduction{Reference: "BK007", TaxpayerID: b, TaxType: "增值税", Period: "2026-11",
			Amount: 2000, Result: taxsms.DeductionOK, At: at.Add(2 * time.Hour)}))
		must(t, err)
		got, err := db.FindMessage(ctx, m.ID)
		must(t, err)
		if got.Status != taxsms.StatusCancelled || got.Error != "cancelled: the tax was deducted" {
			t.Errorf("after a success: reminder %s (%q), want cancelled", got.Status, got.Error)
		}
		if got, _ := db.FindMessage(ctx, other.ID); got.Status != taxsms.StatusScheduled {
			t.Errorf("unpaid-tax reminder = %s, want scheduled (a deduction is no payment record)", got.Status)
		}
	})
	t.Run("ErrInvalid", func(t *testing.T) {
		_, err := db.UpsertDeductions(ctx, seq(&taxsms.Deduction{Reference: "X", TaxpayerID: a, TaxType: "增值税", Period: "2026-11", Result: "ok", At: at}))
		wantCode(t, err, taxsms.EINVALID, "result")
		_, err = db.UpsertDeductions(ctx, seq(&taxsms.Deduction{Reference: "X", TaxpayerID: 99999, TaxType: "增值税", Period: "2026-11", Result: taxsms.DeductionOK, At: at}))
		wantCode(t, err, taxsms.EINVALID, "taxpayer")
	})
}

// testDuePages yields more obligations than one page holds (4 of each
// taxpayer's, so that a page's end falls amid a taxpayer's): every taxpayer
// once, whole.
func testDuePages(t *testing.T, db *store.DB) {
	ctx := context.Background()
	_, b1, _, op := city(t, db)
	const n = 1100 // × 4 obligations: more than a page
	var tps []*taxsms.Taxpayer
	for i := range n {
		tps = append(tps, newTaxpayer(b1.ID, op.ID, 1000+i))
	}
	_, err := db.UpsertTaxpayers(ctx, seq(tps...))
	must(t, err)
	ids, err := db.TaxpayerIdentifiers(ctx)
	must(t, err)
	var cs []*taxsms.Contact
	var obs []*taxsms.Obligation
	for i, tp := range tps {
		id := ids[tp.Identifier]
		for j, role := range []taxsms.ContactRole{taxsms.RoleLegalRep, taxsms.RoleFinance} {
			cs = append(cs, &taxsms.Contact{TaxpayerID: id, Role: role, Mobile: fmt.Sprintf("1390000%04d", i*2+j), Status: taxsms.ServiceActive})
		}
		for _, tt := range []string{"增值税", "城市维护建设税", "教育费附加", "地方教育附加"} {
			obs = append(obs, &taxsms.Obligation{TaxpayerID: id, TaxType: tt, Period: "2026-11", FilingDue: day(2026, 12, 15)})
		}
	}
	_, err = db.UpsertContacts(ctx, seq(cs...))
	must(t, err)
	_, err = db.UpsertObligations(ctx, seq(obs...))
	must(t, err)
	seen := make(map[int64]bool)
	var order []int64
	for d, err := range db.Unfiled(ctx, day(2026, 12, 15), day(2026, 12, 15)) {
		must(t, err)
		if seen[d.TaxpayerID] {
			t.Fatalf("taxpayer %d yielded twice", d.TaxpayerID)
		}
		seen[d.TaxpayerID] = true
		order = append(order, d.TaxpayerID)
		if len(d.Contacts) != 2 || len(d.TaxTypes) != 4 {
			t.Fatalf("taxpayer %d: %d contacts and %d tax types, want 2 and 4", d.TaxpayerID, len(d.Contacts), len(d.TaxTypes))
		}
	}
	if len(seen) != n || !slices.IsSorted(order) {
		t.Errorf("Unfiled yielded %d taxpayers (sorted %v), want %d in order", len(seen), slices.IsSorted(order), n)
	}
	// A consumer that stops early.
	k := 0
	for range db.Unfiled(ctx, day(2026, 12, 15), day(2026, 12, 15)) {
		if k++; k == 10 {
			break
		}
	}
}

// testCancelMoot queues reminders after the data that made them moot (as a
// reminder run that read the data before an import would), and sweeps.
func testCancelMoot(t *testing.T, db *store.DB) {
	ctx := context.Background()
	c := newTaxCity(t, db)
	a, b := c.tp[0].ID, c.tp[1].ID
	at := time.Date(2026, 12, 15, 2, 0, 0, 0, time.UTC)
	_, err := db.UpsertObligations(ctx, seq(
		&taxsms.Obligation{TaxpayerID: a, TaxType: "增值税", Period: "2026-11", FilingDue: day(2026, 12, 15)},
		&taxsms.Obligation{TaxpayerID: b, TaxType: "增值税", Period: "2026-11", FilingDue: day(2026, 12, 15)},
	))
	must(t, err)
	_, err = db.UpsertFilings(ctx, seq(&taxsms.Filing{TaxpayerID: a, TaxType: "增值税", Period: "2026-11", FiledOn: day(2026, 12, 3), AmountDue: 500}))
	must(t, err)
	_, err = db.UpsertPayments(ctx, seq(&taxsms.Payment{TaxpayerID: a, TaxType: "增值税", Period: "2026-11", PaidOn: day(2026, 12, 4), Amount: 500}))
	must(t, err)
	_, err = db.UpsertDeductions(ctx, seq(&taxsms.Deduction{Reference: "BKB", TaxpayerID: b, TaxType: "增值税", Period: "2026-11",
		Amount: 500, Result: taxsms.DeductionFailed, At: at}))
	must(t, err)
	later := time.Now().Add(time.Hour)
	moot := []*taxsms.Message{
		reminder(t, db, c, 0, taxsms.KindFilingReminder, "2026-11", later),
		reminder(t, db, c, 0, taxsms.KindUnpaidTax, "2026-11", later),
		reminder(t, db, c, 0, taxsms.KindFailedDeduction, "2026-11", later),
	}
	standing := []*taxsms.Message{
		reminder(t, db, c, 1, taxsms.KindFilingReminder, "2026-11", later),
		reminder(t, db, c, 1, taxsms.KindFailedDeduction, "2026-11", later),
		reminder(t, db, c, 0, taxsms.KindFilingReminder, "2026-10", later), // no data for that period: not this sweep's
	}
	n, err := db.CancelMootReminders(ctx, "2026-11", 0)
	must(t, err)
	if n != len(moot) {
		t.Errorf("CancelMootReminders = %d, want %d", n, len(moot))
	}
	for _, m := range moot {
		if got, _ := db.FindMessage(ctx, m.ID); got.Status != taxsms.StatusCancelled {
			t.Errorf("%s = %s, want cancelled", m.IdempotencyKey, got.Status)
		}
	}
	for _, m := range standing {
		if got, _ := db.FindMessage(ctx, m.ID); got.Status != taxsms.StatusScheduled {
			t.Errorf("%s = %s, want scheduled", m.IdempotencyKey, got.Status)
		}
	}
	_, err = db.CancelMootReminders(authtest.Context(ctx, taxsms.RoleOperator, c.op.ID, c.b1.Path), "2026-11", 0)
	wantCode(t, err, taxsms.EFORBIDDEN, "")
	_, err = db.CancelMootReminders(ctx, "2026-13", 0)
	wantCode(t, err, taxsms.EINVALID, "period")
}
