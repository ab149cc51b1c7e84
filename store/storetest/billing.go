package storetest

import (
	"context"
	"fmt"
	"testing"
	"time"

	"taxsms"
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
			{"MO", taxsms.Tariff{Carrier: taxsms.CarrierMobile, Kind: taxsms.KindInteractive, Price: 1, ValidFrom: date(2026, 1, 1)}, "kind"},
			{"Carrier", taxsms.Tariff{Carrier: "pigeon", Kind: taxsms.KindOTP, Price: 1, ValidFrom: date(2026, 1, 1)}, "carrier"},
			{"Negative", taxsms.Tariff{Carrier: taxsms.CarrierMobile, Kind: taxsms.KindOTP, Price: -1, ValidFrom: date(2026, 1, 1)}, "price"},
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
		late.Price = 60
		wantCode(t, db.SetTariff(admin, late), taxsms.ECONFLICT, "valid_from")
		wantCode(t, db.DeleteTariff(admin, late.ID), taxsms.ECONFLICT, "valid_from")
		late.Price, late.ValidTo = 50, date(2026, 12, 31)
		must(t, db.SetTariff(admin, late))
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
