package storetest

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"taxsms"
	"taxsms/audit"
	"taxsms/auth/authtest"
	"taxsms/store"
)

// shanghai returns the instant of a wall-clock time in the bureau's zone.
func shanghai(t testing.TB, s string) time.Time {
	t.Helper()
	at, err := time.ParseInLocation("2006-01-02 15:04", s, time.FixedZone("CST", 8*3600))
	if err != nil {
		t.Fatal(err)
	}
	return at.UTC()
}

func date(y int, m time.Month, d int) taxsms.Date { return taxsms.Date{Year: y, Month: m, Day: d} }

func testBilling(t *testing.T, db *store.DB) {
	ctx := context.Background()
	clk := &clock{t: shanghai(t, "2026-11-30 22:00")}
	db.Now = clk.Now
	root, b1, b2, _ := city(t, db)
	nov, dec := taxsms.Month{Year: 2026, Month: 11}, taxsms.Month{Year: 2026, Month: 12}
	admin := authtest.Context(ctx, taxsms.RoleCityAdmin, 100, root.Path)
	branch1 := authtest.Context(ctx, taxsms.RoleBranchAdmin, 101, b1.Path)
	branch2 := authtest.Context(ctx, taxsms.RoleBranchAdmin, 103, b2.Path)
	operator := authtest.Context(ctx, taxsms.RoleOperator, 104, b1.Path)
	auditor := authtest.Context(ctx, taxsms.RoleAuditor, 102, root.Path)

	// Tariffs: China Mobile's notices cost ¥0.035 a segment until 15
	// November, then ¥0.05; its reminders ¥0.03; China Unicom's ¥0.04.
	special := &taxsms.Tariff{Carrier: taxsms.CarrierMobile, Kind: taxsms.KindSpecial, Price: 35, ValidFrom: date(2026, 1, 1)}
	must(t, db.SetTariff(admin, special))
	for _, tr := range []*taxsms.Tariff{
		{Carrier: taxsms.CarrierMobile, Kind: taxsms.KindFilingReminder, Price: 30, ValidFrom: date(2026, 1, 1)},
		{Carrier: taxsms.CarrierUnicom, Kind: taxsms.KindSpecial, Price: 40, ValidFrom: date(2026, 1, 1)},
	} {
		must(t, db.SetTariff(ctx, tr))
	}
	t.Run("TariffOverlap", func(t *testing.T) {
		err := db.SetTariff(admin, &taxsms.Tariff{Carrier: taxsms.CarrierMobile, Kind: taxsms.KindSpecial, Price: 50, ValidFrom: date(2026, 11, 16)})
		wantCode(t, err, taxsms.ECONFLICT, "valid_from")
		special.ValidTo = date(2026, 11, 15)
		must(t, db.SetTariff(admin, special))
		must(t, db.SetTariff(admin, &taxsms.Tariff{Carrier: taxsms.CarrierMobile, Kind: taxsms.KindSpecial, Price: 50, ValidFrom: date(2026, 11, 16)}))
	})
	t.Run("TariffInvalid", func(t *testing.T) {
		for _, tc := range []struct {
			name  string
			tr    taxsms.Tariff
			field string
		}{
			{"Kind", taxsms.Tariff{Carrier: taxsms.CarrierMobile, Kind: "spam", Price: 1, ValidFrom: date(2026, 1, 1)}, "kind"},
			{"Carrier", taxsms.Tariff{Carrier: "pigeon", Kind: taxsms.KindOTP, Price: 1, ValidFrom: date(2026, 1, 1)}, "carrier"},
			{"Negative", taxsms.Tariff{Carrier: taxsms.CarrierMobile, Kind: taxsms.KindOTP, Price: -1, ValidFrom: date(2026, 1, 1)}, "price"},
			{"TooDear", taxsms.Tariff{Carrier: taxsms.CarrierMobile, Kind: taxsms.KindOTP, Price: 100_001, ValidFrom: date(2026, 1, 1)}, "price"},
			{"NoStart", taxsms.Tariff{Carrier: taxsms.CarrierMobile, Kind: taxsms.KindOTP, Price: 1}, "valid_from"},
			{"Backwards", taxsms.Tariff{Carrier: taxsms.CarrierMobile, Kind: taxsms.KindOTP, ValidFrom: date(2026, 2, 1), ValidTo: date(2026, 1, 1)}, "valid_to"},
		} {
			t.Run(tc.name, func(t *testing.T) { wantCode(t, db.SetTariff(admin, &tc.tr), taxsms.EINVALID, tc.field) })
		}
	})
	t.Run("PriceOf", func(t *testing.T) {
		for _, tc := range []struct {
			day  taxsms.Date
			want int64
			code string
		}{
			{date(2026, 11, 15), 35, ""},
			{date(2026, 11, 16), 50, ""},
			{date(2030, 1, 1), 50, ""},
			{date(2025, 12, 31), 0, taxsms.ENOTFOUND},
		} {
			got, err := db.PriceOf(operator, taxsms.CarrierMobile, taxsms.KindSpecial, tc.day)
			if tc.code != "" {
				wantCode(t, err, tc.code, "")
				continue
			}
			must(t, err)
			if got != tc.want {
				t.Errorf("PriceOf(%s) = %d, want %d", tc.day, got, tc.want)
			}
		}
	})

	// Messages: what a carrier accepted is billed, whatever its receipt
	// says; nothing else is.
	newMsg := func(office int64, kind taxsms.Kind, n int) *taxsms.Message {
		m := mt(kind, fmt.Sprintf("139%08d", n), 1)
		m.OfficeID = office
		return m
	}
	type plan struct {
		msg     *taxsms.Message
		outcome store.Outcome
	}
	parts := func(prefix string, n int) []taxsms.Part {
		var ps []taxsms.Part
		for i := range n {
			ps = append(ps, taxsms.Part{Seq: i + 1, CarrierMsgID: fmt.Sprintf("%s-%d", prefix, i+1)})
		}
		return ps
	}
	send := func(t *testing.T, plans []plan) {
		t.Helper()
		var msgs []*taxsms.Message
		for _, p := range plans {
			msgs = append(msgs, p.msg)
		}
		_, err := db.CreateMessages(ctx, msgs)
		must(t, err)
		claimed, err := db.ClaimMessages(ctx, "node1", 100, time.Minute)
		must(t, err)
		if len(claimed) != len(plans) {
			t.Fatalf("claimed %d, want %d", len(claimed), len(plans))
		}
		var outs []store.Outcome
		for _, p := range plans {
			o := p.outcome
			o.ID = p.msg.ID
			outs = append(outs, o)
		}
		must(t, db.RecordOutcomes(ctx, outs))
	}
	mobile := func(prefix string, n int) store.Outcome {
		return store.Outcome{Carrier: taxsms.CarrierMobile, Link: "cmpp-1", Parts: parts(prefix, n)}
	}
	a := newMsg(b1.ID, taxsms.KindSpecial, 1)        // 2 segments, receipt says undelivered: billed
	b := newMsg(b2.ID, taxsms.KindFilingReminder, 2) // 1 segment, delivered: billed
	c := newMsg(b1.ID, taxsms.KindSpecial, 3)        // refused by the carrier: not billed
	d := newMsg(b1.ID, taxsms.KindSpecial, 4)        // temporary failure, then submitted: billed once
	e := newMsg(root.ID, taxsms.KindSpecial, 5)      // cancelled before it was claimed: not billed
	u := newMsg(b2.ID, taxsms.KindSpecial, 6)        // China Unicom, 3 segments: billed
	must(t, db.CreateMessage(ctx, e))
	_, err := db.ChangeWaiting(ctx, store.Selector{ID: e.ID}, taxsms.StatusCancelled, "withdrawn")
	must(t, err)
	send(t, []plan{
		{a, mobile("A", 2)},
		{b, mobile("B", 1)},
		{c, store.Outcome{Status: taxsms.StatusRejected, Error: "MK:0008"}},
		{d, store.Outcome{Status: taxsms.StatusScheduled, RetryAt: clk.Now(), Attempt: true, Error: "timeout"}},
		{u, store.Outcome{Carrier: taxsms.CarrierUnicom, Link: "sgip-1", Parts: parts("U", 3)}},
	})
	_, err = db.Sweep(ctx, store.SweepOptions{})
	must(t, err)
	claimed, err := db.ClaimMessages(ctx, "node1", 10, time.Minute)
	must(t, err)
	if len(claimed) != 1 || claimed[0].ID != d.ID {
		t.Fatalf("retry claimed %v, want message %d", claimed, d.ID)
	}
	o := mobile("D", 1)
	o.ID = d.ID
	must(t, db.RecordOutcomes(ctx, []store.Outcome{o}))
	must(t, db.RecordOutcomes(ctx, []store.Outcome{o})) // a second report of one submission changes nothing
	_, err = db.RecordReceipts(ctx, []store.Receipt{
		{Carrier: taxsms.CarrierMobile, MsgID: "A-1", Stat: "DELIVRD"}, {Carrier: taxsms.CarrierMobile, MsgID: "A-2", Stat: "UNDELIV"},
		{Carrier: taxsms.CarrierMobile, MsgID: "B-1", Stat: "DELIVRD"},
	})
	must(t, err)
	_, _, err = db.StoreFragment(ctx, store.Fragment{Carrier: taxsms.CarrierMobile, Link: "cmpp-1", MsgID: "MO1", From: "13900000009",
		To: "12366", Text: "查询", Total: 1, Seq: 1})
	must(t, err)

	type row struct {
		office        int64
		carrier, kind string
		msgs, segs    int64
		amount        taxsms.MilliYuan
		adjustment    bool
	}
	lines := func(st *taxsms.Statement) []row {
		var out []row
		for _, l := range st.Lines {
			out = append(out, row{l.OfficeID, string(l.Carrier), string(l.Kind), l.Messages, l.Segments, l.Amount, l.Adjustment})
		}
		return out
	}
	wantLines := func(t *testing.T, st *taxsms.Statement, want []row) {
		t.Helper()
		got := lines(st)
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("Statement(%s, %d) lines\n got %v\nwant %v", st.Month, st.OfficeID, got, want)
		}
	}
	novLines := []row{
		{b1.ID, "mobile", "special", 2, 3, 150, false},
		{b2.ID, "mobile", "filing_reminder", 1, 1, 30, false},
		{b2.ID, "unicom", "special", 1, 3, 120, false},
	}
	t.Run("Counted", func(t *testing.T) {
		st, err := db.Statement(admin, nov, root.ID)
		must(t, err)
		wantLines(t, st, novLines)
		if tot := st.Total(); tot.Messages != 4 || tot.Segments != 7 || tot.Amount != 300 || st.Closed {
			t.Errorf("Total = %+v closed %v, want 4 messages, 7 segments, ¥0.300, open", tot, st.Closed)
		}
		var sum taxsms.StatementLine
		for _, o := range []int64{root.ID, b1.ID, b2.ID} {
			sub, err := db.Statement(admin, nov, o)
			must(t, err)
			if o == root.ID {
				continue
			}
			t := sub.Total()
			sum.Messages, sum.Segments, sum.Amount = sum.Messages+t.Messages, sum.Segments+t.Segments, sum.Amount+t.Amount
		}
		if tot := st.Total(); sum.Messages != tot.Messages || sum.Segments != tot.Segments || sum.Amount != tot.Amount {
			t.Errorf("sum of the branches = %+v, want the city's %+v", sum, tot)
		}
	})
	t.Run("Scope", func(t *testing.T) {
		st, err := db.Statement(branch1, nov, b1.ID)
		must(t, err)
		wantLines(t, st, novLines[:1])
		_, err = db.Statement(branch1, nov, root.ID)
		wantCode(t, err, taxsms.ENOTFOUND, "")
		_, err = db.Statement(branch2, nov, b1.ID)
		wantCode(t, err, taxsms.ENOTFOUND, "")
		_, err = db.Statement(operator, nov, b1.ID)
		wantCode(t, err, taxsms.EFORBIDDEN, "")
		_, err = db.ListTariffs(operator)
		wantCode(t, err, taxsms.EFORBIDDEN, "")
		if _, err := db.Statement(auditor, nov, root.ID); err != nil {
			t.Errorf("auditor: %v", err)
		}
		wantCode(t, db.SetTariff(branch1, &taxsms.Tariff{Carrier: taxsms.CarrierTelecom, Kind: taxsms.KindOTP, ValidFrom: date(2026, 1, 1)}), taxsms.EFORBIDDEN, "")
		wantCode(t, db.SetTariff(auditor, &taxsms.Tariff{Carrier: taxsms.CarrierTelecom, Kind: taxsms.KindOTP, ValidFrom: date(2026, 1, 1)}), taxsms.EFORBIDDEN, "")
		wantCode(t, db.CloseMonth(branch1, nov), taxsms.EFORBIDDEN, "")
		_, err = db.Recount(auditor)
		wantCode(t, err, taxsms.EFORBIDDEN, "")
		ts, err := db.ListTariffs(branch1)
		must(t, err)
		if len(ts) != 4 {
			t.Errorf("ListTariffs = %d, want 4", len(ts))
		}
	})
	t.Run("CloseNotOver", func(t *testing.T) {
		wantCode(t, db.CloseMonth(admin, nov), taxsms.ECONFLICT, "month")
	})

	// 1 December in Shanghai (still 30 November in UTC): a new month.
	clk.t = shanghai(t, "2026-12-01 01:00")
	f := newMsg(b1.ID, taxsms.KindSpecial, 7)
	send(t, []plan{{f, mobile("F", 1)}})
	decLines := []row{{b1.ID, "mobile", "special", 1, 1, 50, false}}
	t.Run("DayInBureauZone", func(t *testing.T) {
		st, err := db.Statement(admin, dec, root.ID)
		must(t, err)
		wantLines(t, st, decLines)
	})
	t.Run("Close", func(t *testing.T) {
		must(t, db.CloseMonth(admin, nov))
		wantCode(t, db.CloseMonth(admin, nov), taxsms.ECONFLICT, "month")
		st, err := db.Statement(admin, nov, root.ID)
		must(t, err)
		if !st.Closed || st.ClosedBy == "" {
			t.Errorf("Closed = %v by %q, want closed by someone", st.Closed, st.ClosedBy)
		}
		wantLines(t, st, novLines)
		// Tariffs may not reprice a closed month's days; ending one after it may.
		cur, err := db.PriceOf(ctx, taxsms.CarrierMobile, taxsms.KindSpecial, date(2026, 11, 20))
		must(t, err)
		ts, err := db.ListTariffs(admin)
		must(t, err)
		var late *taxsms.Tariff
		for _, tr := range ts {
			if tr.Carrier == taxsms.CarrierMobile && tr.Kind == taxsms.KindSpecial && tr.ValidTo.IsZero() {
				late = tr
			}
		}
		if late == nil || int64(late.Price) != cur {
			t.Fatalf("open tariff = %+v, want price %d", late, cur)
		}
		for _, tc := range []struct {
			name  string
			edit  func(tr *taxsms.Tariff)
			field string
		}{
			{"Price", func(tr *taxsms.Tariff) { tr.Price = 60 }, "price"},
			{"EndInside", func(tr *taxsms.Tariff) { tr.ValidTo = date(2026, 11, 20) }, "valid_to"},
			{"StartLater", func(tr *taxsms.Tariff) { tr.ValidFrom = date(2026, 11, 20) }, "valid_from"},
			{"StartAfter", func(tr *taxsms.Tariff) { tr.ValidFrom = date(2026, 12, 1) }, "valid_from"},
			{"OtherKind", func(tr *taxsms.Tariff) { tr.Kind = taxsms.KindOther }, "kind"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				tr := *late
				tc.edit(&tr)
				wantCode(t, db.SetTariff(admin, &tr), taxsms.ECONFLICT, tc.field)
			})
		}
		wantCode(t, db.DeleteTariff(admin, late.ID), taxsms.ECONFLICT, "id")
		// A new tariff may not price a closed month's days that had none.
		wantCode(t, db.SetTariff(admin, &taxsms.Tariff{Carrier: taxsms.CarrierTelecom, Kind: taxsms.KindOTP, Price: 10,
			ValidFrom: date(2026, 11, 1)}), taxsms.ECONFLICT, "valid_from")
		must(t, db.SetTariff(admin, &taxsms.Tariff{Carrier: taxsms.CarrierTelecom, Kind: taxsms.KindOTP, Price: 10,
			ValidFrom: date(2026, 12, 1)}))
		late.Price, late.ValidTo = 50, date(2026, 12, 31)
		must(t, db.SetTariff(admin, late))
		if cur, err := db.PriceOf(ctx, taxsms.CarrierMobile, taxsms.KindSpecial, date(2026, 11, 20)); err != nil || cur != 50 {
			t.Errorf("PriceOf(2026-11-20) after the refusals = %d, %v; want 50", cur, err)
		}
	})
	t.Run("LateChangeIsAdjustment", func(t *testing.T) {
		// A node whose clock lags records a submission on 30 November.
		clk.t = shanghai(t, "2026-11-30 23:59")
		g := newMsg(b2.ID, taxsms.KindSpecial, 8)
		send(t, []plan{{g, mobile("G", 2)}})
		clk.t = shanghai(t, "2026-12-01 02:00")
		st, err := db.Statement(admin, nov, root.ID)
		must(t, err)
		wantLines(t, st, novLines)
		st, err = db.Statement(admin, dec, root.ID)
		must(t, err)
		wantLines(t, st, append(decLines, row{b2.ID, "mobile", "special", 1, 2, 100, true}))
		if len(st.Adjustments) != 1 || st.Adjustments[0].Day != date(2026, 11, 30) || st.Adjustments[0].Amount != 100 {
			t.Errorf("Adjustments = %+v, want one of 30 November, ¥0.100", st.Adjustments)
		}
		sub, err := db.Statement(branch1, dec, b1.ID)
		must(t, err)
		if len(sub.Adjustments) != 0 {
			t.Errorf("branch 1 sees adjustments %+v of branch 2", sub.Adjustments)
		}
	})
	t.Run("Recount", func(t *testing.T) {
		r, err := db.Recount(admin)
		must(t, err)
		if r.Changed != 0 || r.Counters != 5 {
			t.Errorf("Recount = %+v, want 5 counters, all right", r)
		}
	})
}

// testBillingStates takes messages through every change of state and
// checks the counters against what the carriers accepted: a message
// counts once, when sent whole, on the carrier that took it; segments
// accepted of a message not sent whole that time (a link that failed half
// way, a failover, a claim that lapsed while its node still sent) count
// without it; nothing else counts. Recount then finds the counters exact.
func testBillingStates(t *testing.T, db *store.DB) {
	ctx := context.Background()
	clk := &clock{t: shanghai(t, "2026-11-10 10:00")}
	db.Now = clk.Now
	root, b1, b2, _ := city(t, db)
	nov := taxsms.Month{Year: 2026, Month: 11}
	admin := authtest.Context(ctx, taxsms.RoleCityAdmin, 100, root.Path)
	for _, tr := range []*taxsms.Tariff{
		{Carrier: taxsms.CarrierMobile, Kind: taxsms.KindSpecial, Price: 35, ValidFrom: date(2026, 1, 1)},
		{Carrier: taxsms.CarrierUnicom, Kind: taxsms.KindSpecial, Price: 40, ValidFrom: date(2026, 1, 1)},
		{Carrier: taxsms.CarrierTelecom, Kind: taxsms.KindSpecial, Price: 45, ValidFrom: date(2026, 1, 1)},
		// MT messages of kind interactive (a self-service notice) are sent
		// and billed; MO of that kind never are.
		{Carrier: taxsms.CarrierMobile, Kind: taxsms.KindInteractive, Price: 20, ValidFrom: date(2026, 1, 1)},
	} {
		must(t, db.SetTariff(admin, tr))
	}
	parts := func(prefix string, n int) []taxsms.Part {
		var ps []taxsms.Part
		for i := range n {
			ps = append(ps, taxsms.Part{Seq: i + 1, CarrierMsgID: fmt.Sprintf("%s-%d", prefix, i+1)})
		}
		return ps
	}
	queue := func(office int64, kind taxsms.Kind, n, segments int) *taxsms.Message {
		t.Helper()
		m := mt(kind, fmt.Sprintf("139%08d", n), segments)
		m.OfficeID = office
		must(t, db.CreateMessage(ctx, m))
		return m
	}
	claim := func(node string, want ...*taxsms.Message) {
		t.Helper()
		claimed, err := db.ClaimMessages(ctx, node, 100, time.Minute)
		must(t, err)
		if len(claimed) != len(want) {
			t.Fatalf("%s claimed %d messages, want %d", node, len(claimed), len(want))
		}
	}
	record := func(outs ...store.Outcome) {
		t.Helper()
		must(t, db.RecordOutcomes(ctx, outs))
	}
	mobile, unicom, telecom := taxsms.CarrierMobile, taxsms.CarrierUnicom, taxsms.CarrierTelecom

	// a: 3 segments; the link took one, then failed; retried, sent whole.
	a := queue(b1.ID, taxsms.KindSpecial, 1, 3)
	// b: China Mobile's link took one segment and went down; failed over to
	// China Telecom, which took both.
	b := queue(b1.ID, taxsms.KindSpecial, 2, 2)
	// c: one segment taken, the carrier refused the next: failed.
	c := queue(b2.ID, taxsms.KindSpecial, 3, 2)
	// d: refused outright; e: no route; neither reached a carrier.
	d := queue(b2.ID, taxsms.KindSpecial, 4, 1)
	e := queue(b2.ID, taxsms.KindSpecial, 5, 1)
	// f: an MT of kind interactive, sent whole.
	f := queue(root.ID, taxsms.KindInteractive, 6, 1)
	claim("node1", a, b, c, d, e, f)
	record(
		store.Outcome{ID: a.ID, Status: taxsms.StatusScheduled, RetryAt: clk.Now(), Attempt: true, Error: "timeout",
			Partial: []store.PartialSend{{Carrier: mobile, Link: "cmpp-1", Parts: parts("A1", 1)}}},
		store.Outcome{ID: b.ID, Carrier: telecom, Link: "smgp-1", Parts: parts("B2", 2),
			Partial: []store.PartialSend{{Carrier: mobile, Link: "cmpp-1", Parts: parts("B1", 1)}}},
		store.Outcome{ID: c.ID, Status: taxsms.StatusFailed, Error: "MK:0008",
			Partial: []store.PartialSend{{Carrier: unicom, Link: "sgip-1", Parts: parts("C", 1)}}},
		store.Outcome{ID: d.ID, Status: taxsms.StatusFailed, Error: "MK:0001"},
		store.Outcome{ID: e.ID, Status: taxsms.StatusRejected, Error: "no route"},
		store.Outcome{ID: f.ID, Carrier: mobile, Link: "cmpp-1", Parts: parts("F", 1)},
	)
	// The same outcome reported again changes nothing.
	record(store.Outcome{ID: c.ID, Status: taxsms.StatusFailed, Error: "MK:0008",
		Partial: []store.PartialSend{{Carrier: unicom, Link: "sgip-1", Parts: parts("C", 1)}}})
	_, err := db.Sweep(ctx, store.SweepOptions{})
	must(t, err)
	claim("node1", a)
	record(store.Outcome{ID: a.ID, Carrier: mobile, Link: "cmpp-1", Parts: parts("A2", 3)})

	// g: cancelled while queued; h: held, then cancelled; i: waits for a
	// retry; j: expired.
	g := queue(b1.ID, taxsms.KindSpecial, 7, 1)
	h := queue(b1.ID, taxsms.KindSpecial, 8, 1)
	i := queue(b1.ID, taxsms.KindSpecial, 9, 1)
	_, err = db.ChangeWaiting(ctx, store.Selector{ID: g.ID}, taxsms.StatusCancelled, "withdrawn")
	must(t, err)
	_, err = db.ChangeWaiting(ctx, store.Selector{ID: h.ID}, taxsms.StatusHeld, "held")
	must(t, err)
	_, err = db.ChangeWaiting(ctx, store.Selector{ID: h.ID}, taxsms.StatusCancelled, "withdrawn")
	must(t, err)
	j := mt(taxsms.KindSpecial, "13900000010", 1)
	j.OfficeID, j.ExpiresAt = b1.ID, clk.Now().Add(time.Minute)
	must(t, db.CreateMessage(ctx, j))
	clk.Add(2 * time.Minute)
	_, err = db.Sweep(ctx, store.SweepOptions{})
	must(t, err)

	// k: node1's claim lapses while it still sends; node2 claims and sends
	// again. node1's outcome marks it submitted; node2's, coming after,
	// finds it so but its segment was carried too.
	k := queue(b2.ID, taxsms.KindSpecial, 11, 1)
	claim("node1", i, k)
	record(store.Outcome{ID: i.ID, Status: taxsms.StatusScheduled, RetryAt: clk.Now().Add(time.Hour)})
	clk.Add(2 * time.Minute)
	_, err = db.Sweep(ctx, store.SweepOptions{})
	must(t, err)
	claim("node2", k)
	record(store.Outcome{ID: k.ID, Carrier: unicom, Link: "sgip-1", Parts: parts("K1", 1)})
	record(store.Outcome{ID: k.ID, Carrier: unicom, Link: "sgip-2", Parts: parts("K2", 1)})
	record(store.Outcome{ID: k.ID, Carrier: unicom, Link: "sgip-1", Parts: parts("K1", 1)}) // node1's again

	// Receipts, failed or delivered, change nothing; nor does an MO.
	_, err = db.RecordReceipts(ctx, []store.Receipt{
		{Carrier: mobile, MsgID: "A2-1", Stat: "DELIVRD"}, {Carrier: mobile, MsgID: "A2-2", Stat: "UNDELIV"},
		{Carrier: mobile, MsgID: "A2-3", Stat: "DELIVRD"}, {Carrier: telecom, MsgID: "B2-1", Stat: "DELIVRD"},
		{Carrier: mobile, MsgID: "B1-1", Stat: "DELIVRD"}, {Carrier: mobile, MsgID: "F-1", Stat: "EXPIRED"},
	})
	must(t, err)
	for n := range 2 {
		_, _, err = db.StoreFragment(ctx, store.Fragment{Carrier: taxsms.CarrierMobile, Link: "cmpp-1", MsgID: fmt.Sprint("MO", n),
			From: "13900000009", To: "12366", Text: "查询发票", Total: 1, Seq: 1})
		must(t, err)
	}

	for _, tc := range []struct {
		msg  *taxsms.Message
		want taxsms.Status
	}{
		{a, taxsms.StatusFailed}, {b, taxsms.StatusSubmitted}, {c, taxsms.StatusFailed}, {d, taxsms.StatusFailed},
		{e, taxsms.StatusRejected}, {f, taxsms.StatusFailed}, {g, taxsms.StatusCancelled}, {h, taxsms.StatusCancelled},
		{i, taxsms.StatusScheduled}, {j, taxsms.StatusExpired}, {k, taxsms.StatusSubmitted},
	} {
		m, err := db.FindMessage(ctx, tc.msg.ID)
		must(t, err)
		if m.Status != tc.want {
			t.Errorf("message %d: status %s, want %s", tc.msg.ID, m.Status, tc.want)
		}
	}
	st, err := db.Statement(admin, nov, root.ID)
	must(t, err)
	type row struct {
		office        int64
		carrier, kind string
		msgs, segs    int64
		amount        taxsms.MilliYuan
	}
	var got []row
	for _, l := range st.Lines {
		got = append(got, row{l.OfficeID, string(l.Carrier), string(l.Kind), l.Messages, l.Segments, l.Amount})
	}
	want := []row{
		{root.ID, "mobile", "interactive", 1, 1, 20}, // f
		{b1.ID, "mobile", "special", 1, 5, 175},      // a: 1 + 3 segments, b: 1 before the failover
		{b1.ID, "telecom", "special", 1, 2, 90},      // b, sent whole
		{b2.ID, "unicom", "special", 1, 3, 120},      // c: 1 before the refusal; k: twice
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("Statement lines\n got %v\nwant %v", got, want)
	}
	if tot := st.Total(); tot.Messages != 4 || tot.Segments != 11 || tot.Amount != 405 || tot.Unpriced != 0 {
		t.Errorf("Total = %+v, want 4 messages, 11 segments, ¥0.405", tot)
	}
	r, err := db.Recount(admin)
	must(t, err)
	if r.Changed != 0 || r.Counters != 4 {
		t.Errorf("Recount = %+v, want 4 counters, none changed: the counters kept are those the messages give", r)
	}
}

// testBillingRecount closes a month, damages the counters behind the
// store's back, and checks that Recount sets them right: an open month's
// counter directly, a closed month's by an adjustment billed in the next
// open month, the closed statement unchanged. Every administrative act
// of billing is in the audit archive.
func testBillingRecount(t *testing.T, engine string) {
	ctx := context.Background()
	dsn := DSN(t, engine, "sqlite:"+filepath.Join(t.TempDir(), "billing.db"))
	db := OpenDSN(t, dsn, Box(t))
	clk := &clock{t: shanghai(t, "2026-11-20 10:00")}
	db.Now = clk.Now
	root, b1, b2, _ := city(t, db)
	admin := authtest.Context(ctx, taxsms.RoleCityAdmin, 100, root.Path)
	nov, dec, jan := taxsms.Month{Year: 2026, Month: 11}, taxsms.Month{Year: 2026, Month: 12}, taxsms.Month{Year: 2027, Month: 1}
	must(t, db.SetTariff(admin, &taxsms.Tariff{Carrier: taxsms.CarrierMobile, Kind: taxsms.KindSpecial, Price: 35, ValidFrom: date(2026, 1, 1)}))
	send := func(office int64, n int, kind taxsms.Kind) {
		t.Helper()
		m := mt(kind, fmt.Sprintf("139%08d", n), 1)
		m.OfficeID = office
		must(t, db.CreateMessage(ctx, m))
		_, err := db.ClaimMessages(ctx, "node1", 10, time.Minute)
		must(t, err)
		must(t, db.RecordOutcomes(ctx, []store.Outcome{{ID: m.ID, Carrier: taxsms.CarrierMobile, Link: "cmpp-1",
			Parts: []taxsms.Part{{Seq: 1, CarrierMsgID: fmt.Sprint("R", n)}}}}))
	}
	send(b1.ID, 1, taxsms.KindSpecial)
	send(b2.ID, 2, taxsms.KindSpecial)
	send(b2.ID, 3, taxsms.KindOther) // no tariff: the month cannot close

	clk.t = shanghai(t, "2026-12-02 09:00")
	wantCode(t, db.CloseMonth(admin, taxsms.Month{}), taxsms.EINVALID, "month")
	wantCode(t, db.CloseMonth(admin, dec), taxsms.ECONFLICT, "month")
	wantCode(t, db.CloseMonth(admin, nov), taxsms.ECONFLICT, "month") // unpriced segments
	_, err := db.Statement(admin, taxsms.Month{}, root.ID)
	wantCode(t, err, taxsms.EINVALID, "month")
	must(t, db.SetTariff(admin, &taxsms.Tariff{Carrier: taxsms.CarrierMobile, Kind: taxsms.KindOther, Price: 30, ValidFrom: date(2026, 1, 1)}))
	must(t, db.CloseMonth(admin, nov))
	send(b1.ID, 4, taxsms.KindSpecial) // December
	closedNov, err := db.Statement(admin, nov, root.ID)
	must(t, err)

	// Someone with the database's credentials changes the counters: one
	// of a closed November day dropped, one of December doubled.
	raw := rawDB(t, engine, dsn)
	novDay := date(2026, 11, 20).Time(time.UTC).Unix() / 86400
	decDay := date(2026, 12, 2).Time(time.UTC).Unix() / 86400
	for _, q := range []string{
		fmt.Sprintf("DELETE FROM billing_counters WHERE day = %d AND office_id = %d AND kind = 'special'", novDay, b2.ID),
		fmt.Sprintf("UPDATE billing_counters SET messages = 2, segments = 2 WHERE day = %d", decDay),
	} {
		res, err := raw.ExecContext(ctx, q)
		must(t, err)
		if n, _ := res.RowsAffected(); n != 1 {
			t.Fatalf("%s: %d rows, want 1", q, n)
		}
	}
	r, err := db.Recount(admin)
	must(t, err)
	if r.Changed != 2 || r.Adjustments != 1 || r.Counters != 4 {
		t.Errorf("Recount = %+v, want 4 counters, 2 set right, 1 adjustment", r)
	}
	again, err := db.Statement(admin, nov, root.ID)
	must(t, err)
	if fmt.Sprint(again.Lines) != fmt.Sprint(closedNov.Lines) || again.Total().Amount != 100 {
		t.Errorf("closed November after the recount = %+v, want %+v (¥0.100) unchanged", again.Lines, closedNov.Lines)
	}
	st, err := db.Statement(admin, dec, root.ID)
	must(t, err)
	if tot := st.Total(); tot.Messages != 2 || tot.Segments != 2 || tot.Amount != 70 || len(st.Adjustments) != 1 {
		t.Fatalf("December = %+v with adjustments %+v, want 2 messages, 2 segments, ¥0.070: its own and November's adjustment", tot, st.Adjustments)
	}
	if a := st.Adjustments[0]; a.OfficeID != b2.ID || a.Day != date(2026, 11, 20) || a.Messages != 1 || a.Amount != 35 ||
		!strings.Contains(a.Reason, "recount") {
		t.Errorf("adjustment = %+v, want branch 2's message of 20 November, ¥0.035, by recount", a)
	}
	// Closing December freezes its adjustment with it; a later recount of
	// right counters changes nothing.
	clk.t = shanghai(t, "2027-01-05 09:00")
	must(t, db.CloseMonth(admin, dec))
	st, err = db.Statement(admin, dec, root.ID)
	must(t, err)
	if tot := st.Total(); !st.Closed || tot.Amount != 70 || !st.Lines[len(st.Lines)-1].Adjustment {
		t.Errorf("closed December = %+v, lines %+v; want ¥0.070 with the adjustment line last", tot, st.Lines)
	}
	if r, err := db.Recount(admin); err != nil || r.Changed != 0 {
		t.Errorf("second Recount = %+v, %v; want nothing changed", r, err)
	}
	if st, err := db.Statement(admin, jan, root.ID); err != nil || len(st.Lines) != 0 {
		t.Errorf("January = %+v, %v; want empty", st, err)
	}
	months, err := db.ClosedMonths(admin)
	must(t, err)
	if len(months) != 2 || months[0].Month != nov || months[1].Month != dec || months[0].By == "" {
		t.Errorf("ClosedMonths = %+v, want November and December, by someone", months)
	}

	// A tariff entered in error, for days of no closed month, is deleted.
	wrong := &taxsms.Tariff{Carrier: taxsms.CarrierBroadnet, Kind: taxsms.KindOTP, Price: 99, ValidFrom: date(2027, 2, 1)}
	must(t, db.SetTariff(admin, wrong))
	must(t, db.DeleteTariff(admin, wrong.ID))
	wantCode(t, db.DeleteTariff(admin, wrong.ID), taxsms.ENOTFOUND, "")
	if recs := auditActions(t, db, audit.Filter{Action: audit.TariffChanged, ObjectType: "tariff", ObjectID: fmt.Sprint(wrong.ID)}); len(recs) != 2 ||
		len(recs[1].Before) == 0 || len(recs[1].After) != 0 && string(recs[1].After) != "null" {
		t.Errorf("audit of the tariff added and deleted = %+v, want 2 records, the last with the tariff before and nothing after", recs)
	}

	for _, tc := range []struct {
		f    audit.Filter
		want int
	}{
		{audit.Filter{Action: audit.TariffChanged, ObjectType: "tariff"}, 4},
		{audit.Filter{Action: audit.MonthClosed, ObjectType: "billing_month", ObjectID: "2026-11"}, 1},
		{audit.Filter{Action: audit.MonthClosed, ObjectType: "billing_month", ObjectID: "2026-12"}, 1},
		{audit.Filter{Action: audit.BillingRecounted}, 2},
	} {
		recs := auditActions(t, db, tc.f)
		if len(recs) != tc.want {
			t.Errorf("audit %+v: %d records, want %d", tc.f, len(recs), tc.want)
			continue
		}
		if recs[0].Actor.UserID != 100 {
			t.Errorf("audit %s by %+v, want user 100", tc.f.Action, recs[0].Actor)
		}
	}
	if recs := auditActions(t, db, audit.Filter{Action: audit.MonthClosed, ObjectID: "2026-11", ObjectType: "billing_month"}); len(recs) == 1 &&
		!strings.Contains(string(recs[0].After), `"amount":"0.100"`) {
		t.Errorf("month_closed record after = %s, want the month's amount ¥0.100", recs[0].After)
	}
	verified(t, db)
}

// testTariffRace has several administrators add the same tariff at once:
// exactly one succeeds, the others are told of the overlap.
func testTariffRace(t *testing.T, db *store.DB) {
	ctx := context.Background()
	root, _, _, _ := city(t, db)
	admin := authtest.Context(ctx, taxsms.RoleCityAdmin, 100, root.Path)
	const n = 16
	errs := make(chan error, n)
	// Warm the connection pool, so that the tariffs below start together.
	var warm sync.WaitGroup
	for range n {
		warm.Go(func() { db.ListTariffs(admin) })
	}
	warm.Wait()
	start := make(chan struct{})
	for i := range n {
		go func() {
			<-start
			errs <- db.SetTariff(admin, &taxsms.Tariff{Carrier: taxsms.CarrierTelecom, Kind: taxsms.KindOTP,
				Price: taxsms.MilliYuan(10 + i), ValidFrom: date(2026, 1, 1)})
		}()
	}
	close(start)
	ok := 0
	for range n {
		switch err := <-errs; taxsms.ErrorCode(err) {
		case "":
			ok++
		case taxsms.ECONFLICT:
		default:
			t.Errorf("SetTariff = %v, want success or ECONFLICT", err)
		}
	}
	ts, err := db.ListTariffs(admin)
	must(t, err)
	if ok != 1 || len(ts) != 1 {
		t.Errorf("%d of %d concurrent tariffs added, %d stored; want 1", ok, n, len(ts))
	}
}

// exerciseBilling runs the billing tests on the engine.
func exerciseBilling(t *testing.T, engine string, open func(testing.TB) *store.DB) {
	t.Run("Statement", func(t *testing.T) { testBilling(t, open(t)) })
	t.Run("States", func(t *testing.T) { testBillingStates(t, open(t)) })
	t.Run("Recount", func(t *testing.T) { testBillingRecount(t, engine) })
	t.Run("TariffRace", func(t *testing.T) { testTariffRace(t, open(t)) })
}
