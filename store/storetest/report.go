package storetest

import (
	"context"
	"fmt"
	"testing"
	"time"

	"taxsms"
	"taxsms/audit"
	"taxsms/auth"
	"taxsms/calendar"
	"taxsms/remind"
	"taxsms/store"
)

// cst is a time in the bureau's zone.
func cst(y int, m time.Month, d, h, min int) time.Time {
	return time.Date(y, m, d, h, min, 0, 0, calendar.Shanghai)
}

// settle sends every queued message and reports each as its outcome says
// ("DELIVRD", or an error code for a failure), over carrier.
func settle(t *testing.T, db *store.DB, carrier taxsms.Carrier, outcome map[int64]string) {
	t.Helper()
	ctx := context.Background()
	for {
		got, err := db.ClaimMessages(ctx, "node1", 100, time.Minute)
		must(t, err)
		if len(got) == 0 {
			return
		}
		var outs []store.Outcome
		var rs []store.Receipt
		for _, c := range got {
			id := fmt.Sprintf("R%d", c.ID)
			outs = append(outs, store.Outcome{ID: c.ID, Carrier: carrier, Link: "l", Parts: []taxsms.Part{{Seq: 1, CarrierMsgID: id}}})
			if stat, ok := outcome[c.ID]; ok {
				r := store.Receipt{Carrier: carrier, MsgID: id, Stat: stat}
				if stat != "DELIVRD" {
					r.Stat, r.Err = "UNDELIV", stat
				}
				rs = append(rs, r)
			}
		}
		must(t, db.RecordOutcomes(ctx, outs))
		_, err = db.RecordReceipts(ctx, rs)
		must(t, err)
	}
}

func testReports(t *testing.T, open func(t testing.TB) *store.DB) {
	cal := calendar.Default()
	loc := calendar.Shanghai

	t.Run("Coverage", func(t *testing.T) {
		db := open(t)
		ctx := context.Background()
		clk := &clock{t: cst(2026, 12, 4, 10, 0)}
		db.Now = clk.Now
		root, b1, b2, op := city(t, db)
		add := func(office, admin int64, n int, status taxsms.ServiceStatus) *taxsms.Taxpayer {
			tp := newTaxpayer(office, admin, n)
			must(t, db.CreateTaxpayer(ctx, tp))
			if status != "" {
				must(t, db.CreateContact(ctx, &taxsms.Contact{TaxpayerID: tp.ID, Role: taxsms.RoleLegalRep,
					Mobile: fmt.Sprintf("139000%05d", n), Status: status}))
			}
			return tp
		}
		add(b1.ID, op.ID, 1, taxsms.ServiceActive)
		add(b1.ID, op.ID, 2, taxsms.ServicePending)
		add(b1.ID, 0, 3, "")
		gone := add(b1.ID, 0, 4, taxsms.ServiceActive)
		gone.RegStatus, gone.Cancelled = taxsms.RegCancelled, day(2026, 11, 30)
		must(t, db.UpdateTaxpayer(ctx, gone))
		add(b2.ID, 0, 5, taxsms.ServiceActive)
		add(root.ID, 0, 6, "") // an office none of whose taxpayers is in service

		operator := auth.NewContext(ctx, &auth.Actor{UserID: op.ID, Login: op.Login, Role: taxsms.RoleOperator, OfficeID: b1.ID, OfficePath: b1.Path})
		branch2 := auth.NewContext(ctx, &auth.Actor{UserID: 99, Login: "shibei.admin", Role: taxsms.RoleBranchAdmin, OfficeID: b2.ID, OfficePath: b2.Path})
		for _, tc := range []struct {
			name    string
			ctx     context.Context
			subtree int64
			want    []store.CoverageRow
			code    string
		}{
			{"City", ctx, 0, []store.CoverageRow{{OfficeID: root.ID, Taxpayers: 1}, {OfficeID: b1.ID, Taxpayers: 3, Covered: 1},
				{OfficeID: b2.ID, Taxpayers: 1, Covered: 1}}, ""},
			{"Subtree", ctx, b2.ID, []store.CoverageRow{{OfficeID: b2.ID, Taxpayers: 1, Covered: 1}}, ""},
			{"Operator", operator, 0, []store.CoverageRow{{OfficeID: b1.ID, Taxpayers: 2, Covered: 1}}, ""},
			{"Branch", branch2, 0, []store.CoverageRow{{OfficeID: b2.ID, Taxpayers: 1, Covered: 1}}, ""},
			// An office outside the offices one may read is not found, as
			// is one that does not exist.
			{"OperatorOutside", operator, b2.ID, nil, taxsms.ENOTFOUND},
			{"BranchOutside", branch2, b1.ID, nil, taxsms.ENOTFOUND},
			{"NoOffice", ctx, 9999, nil, taxsms.ENOTFOUND},
		} {
			t.Run(tc.name, func(t *testing.T) {
				got, err := db.Coverage(tc.ctx, tc.subtree)
				if tc.code != "" {
					wantCode(t, err, tc.code, "office")
					return
				}
				must(t, err)
				if fmt.Sprint(got) != fmt.Sprint(tc.want) {
					t.Errorf("Coverage = %+v, want %+v", got, tc.want)
				}
			})
		}
	})

	t.Run("Deadlines", func(t *testing.T) {
		db := open(t)
		ctx := context.Background()
		clk := &clock{t: cst(2026, 11, 2, 9, 0)}
		db.Now = clk.Now
		_, b1, _, op := city(t, db)
		n := 0
		// reg creates a taxpayer registered on a day and, if at is set, its
		// first number entered then.
		reg := func(on taxsms.Date, at time.Time) (*taxsms.Taxpayer, *taxsms.Contact) {
			n++
			tp := newTaxpayer(b1.ID, op.ID, n)
			tp.Registered = on
			must(t, db.CreateTaxpayer(ctx, tp))
			if at.IsZero() {
				return tp, nil
			}
			clk.t = at
			c := &taxsms.Contact{TaxpayerID: tp.ID, Role: taxsms.RoleTaxClerk, Mobile: fmt.Sprintf("138000%05d", n), Status: taxsms.ServiceActive}
			must(t, db.CreateContact(ctx, c))
			return tp, c
		}
		// Registered before the drive began on 2026-10-01: one with a number
		// (later changed and cancelled), one pending, one with none.
		old, oldC := reg(day(2026, 9, 1), cst(2026, 11, 2, 9, 0))
		pending, pendingC := reg(day(2026, 9, 2), cst(2026, 11, 2, 9, 0))
		pendingC.Status = taxsms.ServicePending
		must(t, db.UpdateContact(ctx, pendingC))
		bare, _ := reg(day(2026, 9, 3), time.Time{})
		// New registrations: Friday → Monday is on time, Tuesday → Thursday
		// is late, Friday without a number is late by Tuesday.
		friday, _ := reg(day(2026, 12, 4), cst(2026, 12, 7, 16, 0))
		tuesday, _ := reg(day(2026, 12, 1), cst(2026, 12, 3, 9, 0))
		none, _ := reg(day(2026, 12, 4), time.Time{})
		// Changes of registration: the service followed the same day, a day
		// later, or never.
		changedOK, changedOKC := reg(day(2026, 1, 5), cst(2026, 11, 2, 9, 0))
		changedLate, changedLateC := reg(day(2026, 1, 5), cst(2026, 11, 2, 9, 0))
		cancelledOK, cancelledOKC := reg(day(2026, 1, 5), cst(2026, 11, 2, 9, 0))
		cancelledNot, _ := reg(day(2026, 1, 5), cst(2026, 11, 2, 9, 0))
		for _, tp := range []*taxsms.Taxpayer{changedOK, changedLate} {
			tp.RegStatus, tp.Changed = taxsms.RegChanged, day(2026, 12, 2)
			must(t, db.UpdateTaxpayer(ctx, tp))
		}
		for _, tp := range []*taxsms.Taxpayer{cancelledOK, cancelledNot} {
			tp.RegStatus, tp.Cancelled = taxsms.RegCancelled, day(2026, 12, 2)
			must(t, db.UpdateTaxpayer(ctx, tp))
		}
		clk.t = cst(2026, 12, 2, 15, 0)
		// A change of service is dated now (StatusSince zero).
		changedOKC.Mobile, changedOKC.StatusSince = "13700000001", time.Time{}
		must(t, db.UpdateContact(ctx, changedOKC))
		cancelledOKC.Status, cancelledOKC.StatusSince = taxsms.ServiceCancelled, time.Time{}
		must(t, db.UpdateContact(ctx, cancelledOKC))
		clk.t = cst(2026, 12, 3, 10, 0)
		changedLateC.Mobile, changedLateC.StatusSince = "13700000002", time.Time{}
		must(t, db.UpdateContact(ctx, changedLateC))
		_ = oldC

		t.Run("LateRegistrations", func(t *testing.T) {
			clk.t = cst(2026, 12, 7, 18, 0) // Monday: the Friday without a number is due today
			rep, err := db.LateRegistrations(ctx, 0, day(2026, 12, 1), day(2026, 12, 31), cal, loc)
			must(t, err)
			if len(rep.Rows) != 1 || rep.Rows[0].TaxpayerID != tuesday.ID || rep.Rows[0].Due != day(2026, 12, 2) || rep.Rows[0].Done != day(2026, 12, 3) {
				t.Errorf("late on Monday = %+v, want only the Tuesday registration, due 12-02, done 12-03", rep.Rows)
			}
			if want := []store.OfficeLate{{OfficeID: b1.ID, Total: 2, Late: 1}}; fmt.Sprint(rep.ByOffice) != fmt.Sprint(want) {
				t.Errorf("ByOffice = %+v, want %+v", rep.ByOffice, want)
			}
			clk.t = cst(2026, 12, 8, 9, 0)
			rep, err = db.LateRegistrations(ctx, 0, day(2026, 12, 1), day(2026, 12, 31), cal, loc)
			must(t, err)
			late := map[int64]bool{}
			for _, r := range rep.Rows {
				late[r.TaxpayerID] = true
			}
			if len(rep.Rows) != 2 || !late[tuesday.ID] || !late[none.ID] || late[friday.ID] {
				t.Errorf("late on Tuesday = %+v, want the Tuesday registration and the Friday one without a number", rep.Rows)
			}
			_, err = db.LateRegistrations(ctx, 0, day(2026, 12, 31), day(2026, 12, 1), cal, loc)
			wantCode(t, err, taxsms.EINVALID, "to")
		})

		t.Run("WithoutService", func(t *testing.T) {
			clk.t = cst(2026, 12, 8, 9, 0)
			rep, err := db.WithoutService(ctx, 0, day(2026, 10, 1), loc, 0, 100)
			must(t, err)
			if len(rep.Rows) != 2 || rep.Rows[0].TaxpayerID != pending.ID || rep.Rows[1].TaxpayerID != bare.ID || rep.Rows[0].Due != day(2027, 1, 1) {
				t.Errorf("WithoutService = %+v, want the pending and the bare taxpayer, due 2027-01-01", rep.Rows)
			}
			if want := []store.OfficeLate{{OfficeID: b1.ID, Total: 2}}; fmt.Sprint(rep.ByOffice) != fmt.Sprint(want) {
				t.Errorf("ByOffice = %+v, want %+v (not overdue yet)", rep.ByOffice, want)
			}
			page, err := db.WithoutService(ctx, 0, day(2026, 10, 1), loc, 0, 1)
			must(t, err)
			if len(page.Rows) != 1 || !page.More {
				t.Errorf("a page of 1 = %+v (more %v)", page.Rows, page.More)
			}
			clk.t = cst(2027, 1, 2, 9, 0)
			rep, err = db.WithoutService(ctx, 0, day(2026, 10, 1), loc, 0, 100)
			must(t, err)
			if want := []store.OfficeLate{{OfficeID: b1.ID, Total: 2, Late: 2}}; fmt.Sprint(rep.ByOffice) != fmt.Sprint(want) {
				t.Errorf("ByOffice after the quarter = %+v, want %+v", rep.ByOffice, want)
			}
			_ = old
		})

		t.Run("UnreflectedChanges", func(t *testing.T) {
			clk.t = cst(2026, 12, 8, 9, 0)
			rep, err := db.UnreflectedChanges(ctx, 0, day(2026, 12, 1), day(2026, 12, 7), loc)
			must(t, err)
			got := map[int64]store.LateRow{}
			for _, r := range rep.Rows {
				got[r.TaxpayerID] = r
			}
			if len(rep.Rows) != 2 || got[changedLate.ID].Done != day(2026, 12, 3) || got[cancelledNot.ID].What != "cancelled" || !got[cancelledNot.ID].Done.IsZero() {
				t.Errorf("UnreflectedChanges = %+v, want the change followed a day late and the cancellation never followed", rep.Rows)
			}
			if want := []store.OfficeLate{{OfficeID: b1.ID, Total: 4, Late: 2}}; fmt.Sprint(rep.ByOffice) != fmt.Sprint(want) {
				t.Errorf("ByOffice = %+v, want %+v", rep.ByOffice, want)
			}
		})
	})

	t.Run("Settings", func(t *testing.T) {
		db := open(t)
		ctx := context.Background()
		clk := &clock{t: cst(2026, 11, 20, 10, 0)}
		db.Now = clk.Now
		root, b1, _, _ := city(t, db)
		s, err := db.ReportSettings(ctx, loc)
		must(t, err)
		if s.DriveStart != day(2026, 10, 1) || s.FailRun != 3 || s.FailDays != 30 || s.PaidWithin != 7 || !s.UpdatedAt.IsZero() {
			t.Errorf("default settings = %+v", s)
		}
		admin := auth.NewContext(ctx, &auth.Actor{UserID: 1, Login: "admin", Role: taxsms.RoleCityAdmin, OfficeID: root.ID, OfficePath: root.Path, Permissions: auth.AllPermissions})
		branch := auth.NewContext(ctx, &auth.Actor{UserID: 2, Login: "branch", Role: taxsms.RoleBranchAdmin, OfficeID: b1.ID, OfficePath: b1.Path, Permissions: auth.AllPermissions})
		s.DriveStart, s.FailRun = day(2026, 7, 1), 5
		wantCode(t, db.SetReportSettings(branch, s), taxsms.EFORBIDDEN, "")
		bad := s
		bad.FailDays = 0
		wantCode(t, db.SetReportSettings(admin, bad), taxsms.EINVALID, "fail_days")
		must(t, db.SetReportSettings(admin, s))
		got, err := db.ReportSettings(ctx, loc)
		must(t, err)
		if got.DriveStart != day(2026, 7, 1) || got.FailRun != 5 || got.UpdatedAt.IsZero() {
			t.Errorf("stored settings = %+v", got)
		}
		if got.DriveDeadline() != day(2026, 10, 1) {
			t.Errorf("DriveDeadline = %s, want 2026-10-01", got.DriveDeadline())
		}
		entries, err := db.ListAudit(ctx, audit.Filter{Action: audit.ConfigChanged, ObjectType: "config", ObjectID: "reports"})
		must(t, err)
		if len(entries) != 1 || entries[0].Actor.Login != "admin" {
			t.Errorf("audit records of the report settings = %+v, want one by admin", entries)
		}
		must(t, db.SetReportSettings(admin, s))
		if entries, _ = db.ListAudit(ctx, audit.Filter{Action: audit.ConfigChanged, ObjectType: "config", ObjectID: "reports"}); len(entries) != 1 {
			t.Errorf("saving the same settings recorded %d records, want none more", len(entries)-1)
		}
	})

	t.Run("Reception", func(t *testing.T) {
		db := open(t)
		ctx := context.Background()
		clk := &clock{t: cst(2026, 12, 3, 10, 0)}
		db.Now = clk.Now
		_, b1, b2, _ := city(t, db)
		var want = map[string]int{}
		outcome := map[int64]string{}
		send := func(office int64, kind taxsms.Kind, stat string, n int) {
			for i := 0; i < n; i++ {
				m := mt(kind, "13900000001", 1)
				m.OfficeID = office
				must(t, db.CreateMessage(ctx, m))
				outcome[m.ID] = stat
			}
		}
		clk.t = cst(2026, 12, 2, 23, 30) // the day before, in Shanghai; 15:30 UTC
		send(b1.ID, taxsms.KindFilingReminder, "DELIVRD", 1)
		clk.t = cst(2026, 12, 3, 10, 0)
		send(b1.ID, taxsms.KindFilingReminder, "DELIVRD", 3)
		send(b1.ID, taxsms.KindFilingReminder, "MK:0005", 1)
		send(b2.ID, taxsms.KindSpecial, "DELIVRD", 2)
		settle(t, db, taxsms.CarrierMobile, outcome)
		want[fmt.Sprint(b1.ID, taxsms.KindFilingReminder, taxsms.StatusDelivered)] = 3
		want[fmt.Sprint(b1.ID, taxsms.KindFilingReminder, taxsms.StatusFailed)] = 1
		want[fmt.Sprint(b2.ID, taxsms.KindSpecial, taxsms.StatusDelivered)] = 2
		got, err := db.Reception(ctx, 0, cst(2026, 12, 3, 0, 0), cst(2026, 12, 4, 0, 0))
		must(t, err)
		if len(got) != len(want) {
			t.Fatalf("Reception = %+v, want %d groups", got, len(want))
		}
		for _, r := range got {
			if r.Carrier != taxsms.CarrierMobile || want[fmt.Sprint(r.OfficeID, r.Kind, r.Status)] != r.Messages {
				t.Errorf("Reception row %+v, want %d messages", r, want[fmt.Sprint(r.OfficeID, r.Kind, r.Status)])
			}
		}
		got, err = db.Reception(ctx, b2.ID, cst(2026, 12, 3, 0, 0), cst(2026, 12, 4, 0, 0))
		must(t, err)
		if len(got) != 1 || got[0].OfficeID != b2.ID {
			t.Errorf("Reception of branch 2 = %+v", got)
		}
		got, err = db.Reception(ctx, 0, cst(2026, 12, 4, 0, 0), cst(2026, 12, 5, 0, 0))
		must(t, err)
		if len(got) != 0 {
			t.Errorf("Reception of the next day = %+v, want none", got)
		}
		for _, tc := range []struct {
			name    string
			subtree int64
			want    []store.DayDelivery
		}{
			{"City", 0, []store.DayDelivery{{Day: day(2026, 12, 2), Messages: 1, Delivered: 1}, {Day: day(2026, 12, 3), Messages: 6, Delivered: 5, Failed: 1}}},
			{"Branch2", b2.ID, []store.DayDelivery{{Day: day(2026, 12, 3), Messages: 2, Delivered: 2}}},
		} {
			days, err := db.ReceptionDays(ctx, tc.subtree, cst(2026, 12, 1, 0, 0), cst(2026, 12, 5, 0, 0), loc)
			must(t, err)
			if fmt.Sprint(days) != fmt.Sprint(tc.want) {
				t.Errorf("ReceptionDays of %s = %+v, want %+v", tc.name, days, tc.want)
			}
		}
		branch := auth.NewContext(ctx, &auth.Actor{UserID: 9, Login: "b2", Role: taxsms.RoleBranchAdmin, OfficeID: b2.ID, OfficePath: b2.Path})
		days, err := db.ReceptionDays(branch, 0, cst(2026, 12, 1, 0, 0), cst(2026, 12, 5, 0, 0), loc)
		must(t, err)
		if len(days) != 1 || days[0].Messages != 2 {
			t.Errorf("branch 2's ReceptionDays = %+v, want its 2 messages only", days)
		}
	})

	t.Run("ReceptionUnsent", func(t *testing.T) {
		db := open(t)
		ctx := context.Background()
		clk := &clock{t: cst(2026, 12, 3, 10, 0)}
		db.Now = clk.Now
		_, b1, _, _ := city(t, db)
		delivered := mt(taxsms.KindSpecial, "13900000001", 1)
		delivered.OfficeID = b1.ID
		must(t, db.CreateMessage(ctx, delivered))
		settle(t, db, taxsms.CarrierUnicom, map[int64]string{delivered.ID: "DELIVRD"})
		// Queued, so never given to a carrier: one of the office in two
		// segments, one of no office.
		queued := mt(taxsms.KindSpecial, "13900000002", 2)
		queued.OfficeID = b1.ID
		must(t, db.CreateMessage(ctx, queued))
		must(t, db.CreateMessage(ctx, mt(taxsms.KindOther, "13900000003", 1)))
		got, err := db.Reception(ctx, 0, cst(2026, 12, 3, 0, 0), cst(2026, 12, 4, 0, 0))
		must(t, err)
		want := map[store.ReceptionCount]bool{
			{OfficeID: b1.ID, Kind: taxsms.KindSpecial, Carrier: taxsms.CarrierUnicom, Status: taxsms.StatusDelivered, Messages: 1, Segments: 1}: true,
			{OfficeID: b1.ID, Kind: taxsms.KindSpecial, Carrier: "", Status: taxsms.StatusQueued, Messages: 1, Segments: 2}:                      true,
			{OfficeID: 0, Kind: taxsms.KindOther, Carrier: "", Status: taxsms.StatusQueued, Messages: 1, Segments: 1}:                            true,
		}
		if len(got) != len(want) {
			t.Fatalf("Reception = %+v, want %d groups", got, len(want))
		}
		for _, r := range got {
			if !want[r] {
				t.Errorf("Reception row %+v, want one of %+v", r, want)
			}
		}
		days, err := db.ReceptionDays(ctx, 0, cst(2026, 12, 1, 0, 0), cst(2026, 12, 5, 0, 0), loc)
		must(t, err)
		if w := []store.DayDelivery{{Day: day(2026, 12, 3), Messages: 3, Delivered: 1}}; fmt.Sprint(days) != fmt.Sprint(w) {
			t.Errorf("ReceptionDays = %+v, want %+v (the queued ones neither delivered nor failed)", days, w)
		}
	})

	t.Run("FailingNumbers", func(t *testing.T) {
		db := open(t)
		ctx := context.Background()
		clk := &clock{t: cst(2026, 11, 1, 10, 0)}
		db.Now = clk.Now
		_, b1, b2, op := city(t, db)
		contact := func(office int64, n int, mobile string) *taxsms.Contact {
			tp := newTaxpayer(office, op.ID, n)
			must(t, db.CreateTaxpayer(ctx, tp))
			c := &taxsms.Contact{TaxpayerID: tp.ID, Role: taxsms.RoleLegalRep, Mobile: mobile, Status: taxsms.ServiceActive}
			must(t, db.CreateContact(ctx, c))
			return c
		}
		three := contact(b1.ID, 1, "13900000001")
		two := contact(b1.ID, 2, "13900000002")
		other := contact(b2.ID, 3, "13900000003")
		send := func(c *taxsms.Contact, stat string) {
			m := mt(taxsms.KindUnpaidTax, c.Mobile, 1)
			m.ContactID, m.TaxpayerID = c.ID, c.TaxpayerID
			must(t, db.CreateMessage(ctx, m))
			settle(t, db, taxsms.CarrierMobile, map[int64]string{m.ID: stat})
		}
		send(two, "DELIVRD")
		clk.t = cst(2026, 11, 2, 10, 0)
		send(two, "MK:0001")
		send(three, "DELIVRD")
		for _, code := range []string{"MK:0001", "MK:0005", "MK:0005"} {
			clk.t = clk.t.Add(24 * time.Hour)
			send(three, code)
			send(other, code)
		}
		clk.t = cst(2026, 11, 20, 10, 0)
		send(two, "MK:0002")
		ids := func(list []store.FailingNumber) []int64 {
			var out []int64
			for _, f := range list {
				out = append(out, f.ContactID)
			}
			return out
		}
		now := cst(2026, 12, 3, 10, 0)
		got, err := db.FailingNumbers(ctx, b1.ID, store.FailRule{Run: 3}, now)
		must(t, err)
		if len(got) != 1 || got[0].ContactID != three.ID || got[0].Run != 3 || got[0].Mobile != "13900000001" ||
			fmt.Sprint(got[0].Reasons) != "[UNDELIV MK:0005 UNDELIV MK:0001]" || got[0].Delivered.IsZero() {
			t.Fatalf("3 in a row in branch 1 = %+v, want the first contact, reasons MK:0005 then MK:0001", got)
		}
		got, err = db.FailingNumbers(ctx, b1.ID, store.FailRule{Run: 3, Days: 30}, now)
		must(t, err)
		if fmt.Sprint(ids(got)) != fmt.Sprint([]int64{three.ID, two.ID}) {
			t.Errorf("3 in a row or 30 days = %v, want %d and %d (nothing delivered since 11-01)", ids(got), three.ID, two.ID)
		}
		got, err = db.FailingNumbers(ctx, 0, store.FailRule{Run: 3}, now)
		must(t, err)
		if len(got) != 2 {
			t.Errorf("3 in a row in the city = %v, want 2", ids(got))
		}
		branch := auth.NewContext(ctx, &auth.Actor{UserID: 9, Login: "b2", Role: taxsms.RoleBranchAdmin, OfficeID: b2.ID, OfficePath: b2.Path})
		got, err = db.FailingNumbers(branch, 0, store.FailRule{Run: 3}, now)
		must(t, err)
		if fmt.Sprint(ids(got)) != fmt.Sprint([]int64{other.ID}) {
			t.Errorf("branch 2's worklist = %v, want only its own contact %d", ids(got), other.ID)
		}
		// Correcting the number takes it off the list.
		three.Mobile = "13900000009"
		must(t, db.UpdateContact(ctx, three))
		got, err = db.FailingNumbers(ctx, b1.ID, store.FailRule{Run: 3}, now)
		must(t, err)
		if len(got) != 0 {
			t.Errorf("after the correction = %v, want none", ids(got))
		}
		_, err = db.FailingNumbers(ctx, 0, store.FailRule{}, now)
		wantCode(t, err, taxsms.EINVALID, "fail_run")
	})

	t.Run("Supervision", func(t *testing.T) {
		db := open(t)
		ctx := context.Background()
		clk := &clock{t: cst(2026, 12, 3, 10, 0)}
		db.Now = clk.Now
		_, b1, b2, op := city(t, db)
		other := &taxsms.User{Login: "shibei.op1", Name: "李明", OfficeID: b2.ID, Role: taxsms.RoleOperator}
		must(t, db.CreateUser(ctx, other))
		send := func(author *taxsms.User, campaign int64, n int) {
			for i := 0; i < n; i++ {
				m := mt(taxsms.KindSpecial, fmt.Sprintf("1390000%04d", i), 2)
				m.AuthorID, m.OfficeID, m.CampaignID = author.ID, author.OfficeID, campaign
				must(t, db.CreateMessage(ctx, m))
			}
		}
		campaign := func(title string, emergency string) *taxsms.Campaign {
			c := &taxsms.Campaign{OfficeID: b1.ID, AuthorID: op.ID, Kind: taxsms.KindSpecial, Title: title, Template: "请按期申报。",
				Audience: taxsms.Audience{Type: taxsms.AudienceTaxpayers}, Emergency: emergency != "", EmergencyReason: emergency}
			must(t, db.CreateCampaign(ctx, c))
			return c
		}
		plain := campaign("征期提醒", "")
		overridden := campaign("政策宣传", "")
		_, err := db.MoveCampaign(ctx, overridden.ID, store.CampaignMove{From: []taxsms.CampaignState{taxsms.CampaignDraft},
			To: taxsms.CampaignApproved, ApprovedBy: op.ID, OverrideBy: op.ID, OverrideReason: "号码为本局咨询电话"})
		must(t, err)
		urgent := campaign("台风停止办税", "台风预警，明日暂停办税服务")
		send(op, plain.ID, 3) // a broadcast at 10:00
		send(op, 0, 1)
		send(op, overridden.ID, 1)
		clk.t = cst(2026, 12, 3, 20, 0)
		send(op, 0, 1) // in the evening
		send(other, 0, 2)
		send(op, urgent.ID, 2)                                                          // an emergency in the evening
		must(t, db.CreateMessage(ctx, mt(taxsms.KindFilingReminder, "13900000001", 1))) // automatic: not supervised
		hours := calendar.DefaultHours(cal)
		// The classifier reads the store, as the console's does, while
		// Supervision is called on a store of one connection.
		inHours := func(office int64, at time.Time) bool {
			if _, err := db.FindOffice(ctx, office); err != nil {
				t.Errorf("the classifier cannot read office %d: %v", office, err)
			}
			return hours.Contains(at)
		}
		got, err := db.Supervision(ctx, 0, cst(2026, 12, 3, 0, 0), cst(2026, 12, 4, 0, 0), loc, inHours)
		must(t, err)
		if len(got) != 5 {
			t.Fatalf("Supervision = %+v, want 5 groups", got)
		}
		if g := got[0]; g.CampaignID != plain.ID || g.CampaignTitle != "征期提醒" || g.Recipients != 3 || g.Segments != 6 || g.OutsideHours != 0 ||
			g.Login != op.Login || g.Emergency || g.Override || g.Flagged() {
			t.Errorf("broadcast group = %+v, want 3 messages of 征期提醒 within hours, nothing flagged", g)
		}
		if g := got[1]; g.CampaignID != 0 || g.Recipients != 2 || g.OutsideHours != 1 || g.Day != day(2026, 12, 3) || g.Waiting != 2 || !g.Flagged() {
			t.Errorf("day group = %+v, want 2 messages, 1 outside working hours", g)
		}
		if g := got[2]; g.CampaignID != overridden.ID || !g.Override || g.OverrideBy != op.ID || g.OverrideReason != "号码为本局咨询电话" || g.Emergency || !g.Flagged() {
			t.Errorf("overridden broadcast = %+v, want the override and its reason", g)
		}
		if g := got[3]; g.AuthorID != other.ID || g.OfficeID != b2.ID || g.OutsideHours != 2 {
			t.Errorf("other author's group = %+v", g)
		}
		if g := got[4]; g.CampaignID != urgent.ID || !g.Emergency || g.EmergencyReason != "台风预警，明日暂停办税服务" || g.Override || g.OutsideHours != 2 {
			t.Errorf("emergency broadcast = %+v, want the emergency and its reason, 2 outside working hours", g)
		}
		// A branch administrator reads what was sent in its branch; an
		// author it may not read as a user is given by id only.
		branch := auth.NewContext(ctx, &auth.Actor{UserID: 9, Login: "b2", Role: taxsms.RoleBranchAdmin, OfficeID: b2.ID, OfficePath: b2.Path})
		stranger := &taxsms.User{Login: "city.op", Name: "赵强", OfficeID: b1.ID, Role: taxsms.RoleOperator}
		must(t, db.CreateUser(ctx, stranger))
		send(stranger, 0, 0)
		m := mt(taxsms.KindSpecial, "13900000099", 1)
		m.AuthorID, m.OfficeID = stranger.ID, b2.ID // on behalf of branch 2
		must(t, db.CreateMessage(ctx, m))
		got, err = db.Supervision(branch, 0, cst(2026, 12, 3, 0, 0), cst(2026, 12, 4, 0, 0), loc, nil)
		must(t, err)
		if len(got) != 2 || got[0].Login != other.Login || got[0].Author != other.Name || got[1].AuthorID != stranger.ID || got[1].Login != "" || got[1].Author != "" {
			t.Errorf("branch 2's supervision = %+v, want its operator by name and the other branch's user by id only", got)
		}
		operator := auth.NewContext(ctx, &auth.Actor{UserID: op.ID, Login: op.Login, Role: taxsms.RoleOperator, OfficeID: b1.ID, OfficePath: b1.Path})
		got, err = db.Supervision(operator, 0, cst(2026, 12, 3, 0, 0), cst(2026, 12, 4, 0, 0), loc, nil)
		must(t, err)
		if len(got) != 4 {
			t.Fatalf("an operator's supervision = %+v, want its 4 sends", got)
		}
		for _, g := range got {
			if g.AuthorID != op.ID || g.OutsideHours != 0 {
				t.Errorf("an operator's supervision shows %+v, want only its own sends, none classified", g)
			}
		}
	})

	t.Run("ReminderEffect", func(t *testing.T) {
		db := open(t)
		ctx := context.Background()
		clk := &clock{t: cst(2026, 12, 1, 9, 0)}
		db.Now = clk.Now
		_, b1, _, op := city(t, db)
		type who struct {
			tp *taxsms.Taxpayer
			c  *taxsms.Contact
		}
		n := 0
		taxpayer := func(status taxsms.ServiceStatus) who {
			n++
			tp := newTaxpayer(b1.ID, op.ID, n)
			must(t, db.CreateTaxpayer(ctx, tp))
			w := who{tp: tp}
			if status != "" {
				w.c = &taxsms.Contact{TaxpayerID: tp.ID, Role: taxsms.RoleLegalRep, Mobile: fmt.Sprintf("139100%05d", n), Status: status}
				must(t, db.CreateContact(ctx, w.c))
			}
			return w
		}
		const period = "2026-11"
		deadline := day(2026, 12, 15)
		filedOnTime := taxpayer(taxsms.ServiceActive) // reminder delivered, files on the 14th, pays late
		notFiled := taxpayer(taxsms.ServiceActive)    // reminder failed, never files
		optedOut := taxpayer(taxsms.ServiceOptedOut)  // no reminder, files on the deadline
		noContact := taxpayer("")                     // no reminder, never files
		early := taxpayer(taxsms.ServiceActive)       // filed before the reminders began
		deducted := taxpayer(taxsms.ServiceActive)    // deduction failed, pays 2 days later
		var obs []*taxsms.Obligation
		for _, w := range []who{filedOnTime, notFiled, optedOut, noContact, early, deducted} {
			obs = append(obs, &taxsms.Obligation{TaxpayerID: w.tp.ID, TaxType: "增值税", Period: period, FilingDue: deadline})
		}
		_, err := db.UpsertObligations(ctx, seq(obs...))
		must(t, err)
		outcome := map[int64]string{}
		remindOf := func(w who, rule remind.RuleName, kind taxsms.Kind, stat string) {
			m := mt(kind, w.c.Mobile, 1)
			m.TaxpayerID, m.ContactID, m.OfficeID = w.tp.ID, w.c.ID, b1.ID
			m.IdempotencyKey = fmt.Sprintf("remind/%s/%s/%d/%d", rule, period, w.tp.ID, w.c.ID)
			must(t, db.CreateMessage(ctx, m))
			outcome[m.ID] = stat
		}
		clk.t = cst(2026, 12, 10, 9, 0)
		remindOf(filedOnTime, "before_deadline-3", taxsms.KindFilingReminder, "DELIVRD")
		remindOf(notFiled, "before_deadline-3", taxsms.KindFilingReminder, "MK:0001")
		settle(t, db, taxsms.CarrierMobile, outcome)
		_, err = db.UpsertFilings(ctx, seq(
			&taxsms.Filing{TaxpayerID: early.tp.ID, TaxType: "增值税", Period: period, FiledOn: day(2026, 12, 2)},
			&taxsms.Filing{TaxpayerID: filedOnTime.tp.ID, TaxType: "增值税", Period: period, FiledOn: day(2026, 12, 14), AmountDue: 10000},
			&taxsms.Filing{TaxpayerID: optedOut.tp.ID, TaxType: "增值税", Period: period, FiledOn: day(2026, 12, 15)},
			&taxsms.Filing{TaxpayerID: deducted.tp.ID, TaxType: "增值税", Period: period, FiledOn: day(2026, 12, 8), AmountDue: 5000},
		))
		must(t, err)
		clk.t = cst(2026, 12, 16, 9, 0)
		remindOf(filedOnTime, remind.UnpaidTax, taxsms.KindUnpaidTax, "DELIVRD")
		_, err = db.UpsertDeductions(ctx, seq(&taxsms.Deduction{Reference: "D1", TaxpayerID: deducted.tp.ID, TaxType: "增值税", Period: period,
			Amount: 5000, Result: taxsms.DeductionFailed, Reason: "余额不足", At: cst(2026, 12, 15, 8, 0)}))
		must(t, err)
		remindOf(deducted, remind.FailedDeduction, taxsms.KindFailedDeduction, "DELIVRD")
		settle(t, db, taxsms.CarrierMobile, outcome)
		_, err = db.UpsertPayments(ctx, seq(
			&taxsms.Payment{TaxpayerID: filedOnTime.tp.ID, TaxType: "增值税", Period: period, PaidOn: day(2026, 12, 18), Amount: 10000},
			&taxsms.Payment{TaxpayerID: deducted.tp.ID, TaxType: "增值税", Period: period, PaidOn: day(2026, 12, 17), Amount: 5000},
		))
		must(t, err)

		clk.t = cst(2026, 12, 28, 9, 0)
		lead := func(d taxsms.Date) taxsms.Date { return cal.AddWorkdays(d, -3) }
		got, err := db.ReminderEffect(ctx, 0, store.EffectOptions{Period: period, Lead: lead, Within: 7}, loc)
		must(t, err)
		rows := map[remind.RuleName]store.EffectRow{}
		for _, r := range got {
			rows[r.Rule] = r
		}
		before := rows[remind.BeforeDeadline]
		if before.Delivered != (store.EffectGroup{Taxpayers: 1, Done: 1}) || before.Undelivered != (store.EffectGroup{Taxpayers: 1}) ||
			before.None != (store.EffectGroup{Taxpayers: 2, Done: 1}) || before.OptedOut != 1 || before.NoContact != 1 {
			t.Errorf("before the deadline = %+v, want reminded-and-filed 1/1, reminder failed 0/1, none 1/2 (1 opted out, 1 without contact)", before)
		}
		if after := rows[remind.AfterDeadline]; after.None != (store.EffectGroup{Taxpayers: 2}) {
			t.Errorf("overdue filing = %+v, want the 2 who never filed, no reminder", after)
		}
		if unpaid := rows[remind.UnpaidTax]; unpaid.Delivered != (store.EffectGroup{Taxpayers: 1, Done: 1}) {
			t.Errorf("unpaid tax = %+v, want the one reminded, paid within 7 days", unpaid)
		}
		if ded := rows[remind.FailedDeduction]; ded.Delivered != (store.EffectGroup{Taxpayers: 1, Done: 1}) {
			t.Errorf("failed deduction = %+v, want the one notified, paid 2 days later", ded)
		}
		got, err = db.ReminderEffect(ctx, 0, store.EffectOptions{Period: period, Lead: lead, Within: 1}, loc)
		must(t, err)
		for _, r := range got {
			if r.Rule == remind.UnpaidTax && r.Delivered.Done != 0 {
				t.Errorf("unpaid tax paid 3 days late counted within 1 day: %+v", r)
			}
		}
		_, err = db.ReminderEffect(ctx, 0, store.EffectOptions{Period: "11/2026"}, loc)
		wantCode(t, err, taxsms.EINVALID, "period")
	})

	// A taxpayer's obligations of a period decide together: it is done when
	// every obligation a rule is for is, and a reminder reached it if it
	// reached it for any of them.
	t.Run("ReminderEffectObligations", func(t *testing.T) {
		db := open(t)
		ctx := context.Background()
		clk := &clock{t: cst(2026, 12, 1, 9, 0)}
		db.Now = clk.Now
		_, b1, _, op := city(t, db)
		type who struct {
			tp *taxsms.Taxpayer
			c  *taxsms.Contact
		}
		n := 0
		taxpayer := func(status taxsms.ServiceStatus) who {
			n++
			tp := newTaxpayer(b1.ID, op.ID, n)
			must(t, db.CreateTaxpayer(ctx, tp))
			w := who{tp: tp, c: &taxsms.Contact{TaxpayerID: tp.ID, Role: taxsms.RoleLegalRep, Mobile: fmt.Sprintf("139200%05d", n), Status: status}}
			must(t, db.CreateContact(ctx, w.c))
			return w
		}
		const period = "2026-11"
		deadline := day(2026, 12, 15)
		oneLate := taxpayer(taxsms.ServiceActive)   // files one on the 14th, the other on the 18th
		paidLate := taxpayer(taxsms.ServiceActive)  // files both early, pays one in time, one on the 20th
		neither := taxpayer(taxsms.ServiceOptedOut) // files neither, no reminder
		var obs []*taxsms.Obligation
		for _, w := range []who{oneLate, paidLate, neither} {
			for _, tax := range []string{"增值税", "企业所得税"} {
				obs = append(obs, &taxsms.Obligation{TaxpayerID: w.tp.ID, TaxType: tax, Period: period, FilingDue: deadline})
			}
		}
		_, err := db.UpsertObligations(ctx, seq(obs...))
		must(t, err)
		outcome := map[int64]string{}
		remindOf := func(w who, rule remind.RuleName, kind taxsms.Kind, stat string) {
			m := mt(kind, w.c.Mobile, 1)
			m.TaxpayerID, m.ContactID, m.OfficeID = w.tp.ID, w.c.ID, b1.ID
			m.IdempotencyKey = fmt.Sprintf("remind/%s/%s/%d/%d", rule, period, w.tp.ID, w.c.ID)
			must(t, db.CreateMessage(ctx, m))
			outcome[m.ID] = stat
		}
		clk.t = cst(2026, 12, 10, 9, 0)
		remindOf(oneLate, "before_deadline-3", taxsms.KindFilingReminder, "DELIVRD")
		settle(t, db, taxsms.CarrierMobile, outcome)
		_, err = db.UpsertFilings(ctx, seq(
			&taxsms.Filing{TaxpayerID: oneLate.tp.ID, TaxType: "增值税", Period: period, FiledOn: day(2026, 12, 14)},
			&taxsms.Filing{TaxpayerID: oneLate.tp.ID, TaxType: "企业所得税", Period: period, FiledOn: day(2026, 12, 18)},
			&taxsms.Filing{TaxpayerID: paidLate.tp.ID, TaxType: "增值税", Period: period, FiledOn: day(2026, 12, 2), AmountDue: 10000},
			&taxsms.Filing{TaxpayerID: paidLate.tp.ID, TaxType: "企业所得税", Period: period, FiledOn: day(2026, 12, 2), AmountDue: 20000},
		))
		must(t, err)
		clk.t = cst(2026, 12, 16, 9, 0)
		remindOf(oneLate, remind.AfterDeadline, taxsms.KindOverdueFiling, "DELIVRD")
		remindOf(paidLate, remind.UnpaidTax, taxsms.KindUnpaidTax, "MK:0001")
		settle(t, db, taxsms.CarrierMobile, outcome)
		_, err = db.UpsertPayments(ctx, seq(
			&taxsms.Payment{TaxpayerID: paidLate.tp.ID, TaxType: "增值税", Period: period, PaidOn: day(2026, 12, 14), Amount: 10000},
			&taxsms.Payment{TaxpayerID: paidLate.tp.ID, TaxType: "企业所得税", Period: period, PaidOn: day(2026, 12, 20), Amount: 20000},
		))
		must(t, err)

		clk.t = cst(2026, 12, 28, 9, 0)
		lead := func(d taxsms.Date) taxsms.Date { return cal.AddWorkdays(d, -3) }
		got, err := db.ReminderEffect(ctx, 0, store.EffectOptions{Period: period, Lead: lead, Within: 7}, loc)
		must(t, err)
		want := []store.EffectRow{
			// One filed late: reminded, not done; the other two filed neither.
			{Rule: remind.BeforeDeadline, OfficeID: b1.ID, Delivered: store.EffectGroup{Taxpayers: 1}, None: store.EffectGroup{Taxpayers: 1}, OptedOut: 1},
			// Filed within the 7 days after it, reminded.
			{Rule: remind.AfterDeadline, OfficeID: b1.ID, Delivered: store.EffectGroup{Taxpayers: 1, Done: 1}, None: store.EffectGroup{Taxpayers: 1}, OptedOut: 1},
			// Paid within the 7 days, its reminder failed.
			{Rule: remind.UnpaidTax, OfficeID: b1.ID, Undelivered: store.EffectGroup{Taxpayers: 1, Done: 1}},
		}
		if fmt.Sprintf("%+v", got) != fmt.Sprintf("%+v", want) {
			t.Errorf("ReminderEffect = %+v\nwant %+v", got, want)
		}
	})
}
