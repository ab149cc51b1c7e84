package web

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"taxsms"
	"taxsms/audit"
	"taxsms/auth"
	"taxsms/store"
)

// failMessages sends every queued message and reports each sent to one of
// the contacts as undelivered.
func failMessages(t *testing.T, db *store.DB, contacts ...int64) {
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
			id := fmt.Sprintf("W%d", c.ID)
			outs = append(outs, store.Outcome{ID: c.ID, Carrier: taxsms.CarrierUnicom, Link: "l", Parts: []taxsms.Part{{Seq: 1, CarrierMsgID: id}}})
			rs = append(rs, store.Receipt{Carrier: taxsms.CarrierUnicom, MsgID: id, Stat: "UNDELIV", Err: "MK:0001"})
		}
		must(t, db.RecordOutcomes(ctx, outs))
		_, err = db.RecordReceipts(ctx, rs)
		must(t, err)
	}
}

// seedReports gives the other branch of the walk a late registration and a
// failing number, so that a report that strayed out of scope would show
// them, and the first branch a send by its operator.
func seedReports(t *testing.T, tc *testConsole, w *walkCity) {
	t.Helper()
	ctx := context.Background()
	late := &taxsms.Taxpayer{Identifier: "91370299MA0000003" + string(taxsms.USCCCheck("91370299MA0000003")), Name: "越界迟登记有限公司",
		OfficeID: w.other.ID, Registered: taxsms.Date{Year: 2026, Month: 12, Day: 1}, TaxTypes: []string{"增值税"}}
	must(t, tc.db.CreateTaxpayer(ctx, late))
	w.markers = append(w.markers, marker{"越界迟登记有限公司", auth.DataTaxpayers, w.other.Path, 0})
	for range 3 {
		m := &taxsms.Message{Direction: taxsms.MT, Kind: taxsms.KindUnpaidTax, Priority: taxsms.PriorityReminder, Mobile: w.otherContact.Mobile,
			Body: "【12366】欠税提醒", TaxpayerID: w.otherTP.ID, ContactID: w.otherContact.ID, OfficeID: w.other.ID, Segments: 1}
		must(t, tc.db.CreateMessage(ctx, m))
	}
	op := tc.users[taxsms.RoleOperator]
	m := &taxsms.Message{Direction: taxsms.MT, Kind: taxsms.KindSpecial, Priority: taxsms.PriorityBulk, Mobile: "13912340000",
		Body: "【12366】政策通知", OfficeID: op.OfficeID, AuthorID: op.ID, Segments: 1}
	must(t, tc.db.CreateMessage(ctx, m))
	failMessages(t, tc.db)
}

// TestConsole_Reports signs in as every role and opens every report and
// its exports: each is shown to those who may read its data, nothing of
// the other branch appears outside a role's scope, the city's
// administrator sees the late registration and the failing number, and
// every export is recorded in the audit archive.
func TestConsole_Reports(t *testing.T) {
	tc := startConsole(t)
	w := newWalkCity(t, tc)
	seedReports(t, tc, w)
	ctx := context.Background()
	query := "?from=2026-12-01&to=2026-12-03"
	for _, role := range taxsms.Roles {
		t.Run(string(role), func(t *testing.T) {
			actor, err := tc.db.UserActor(ctx, tc.users[role].ID)
			must(t, err)
			b := tc.browser()
			b.mustSignIn(tc.users[role].Login)
			check := func(path string, r response, want int) {
				t.Helper()
				if r.Status != want {
					t.Errorf("GET %s = %d, want %d", path, r.Status, want)
				}
				for _, m := range w.markers {
					if !actor.Access(m.data).Read.Contains(m.path, m.owner) && strings.Contains(r.Body, m.text) {
						t.Errorf("GET %s shows %q, outside the scope of %s", path, m.text, role)
					}
				}
			}
			index := http.StatusOK
			if !canSeeReports(actor) {
				index = http.StatusForbidden
			}
			check("/reports", b.get("/reports"), index)
			for _, name := range reportNames {
				want := http.StatusOK
				if actor.Access(reportNeeds(name)).Read.Level == auth.LevelNone {
					want = http.StatusForbidden
				}
				path := "/reports/" + name + query
				r := b.get(path)
				check(path, r, want)
				if role == taxsms.RoleCityAdmin {
					for page, text := range map[string]string{"coverage": "越界迟登记有限公司", "reception": "137****1111", "supervision": tc.users[taxsms.RoleOperator].Name} {
						if page == name && !strings.Contains(r.Body, text) {
							t.Errorf("the city's %s report does not show %q", name, text)
						}
					}
					if !strings.Contains(r.Body, "<svg") {
						t.Errorf("the %s report draws no chart", name)
					}
				}
				for _, format := range []string{"csv", "xlsx"} {
					before, err := tc.db.AuditHead(ctx)
					must(t, err)
					path := "/reports/" + name + "/export" + query + "&format=" + format
					r := b.get(path)
					if !actor.Has(auth.PermExport) || want != http.StatusOK {
						if r.Status != http.StatusForbidden {
							t.Errorf("GET %s = %d, want 403", path, r.Status)
						}
						continue
					}
					check(path, r, http.StatusOK)
					after, err := tc.db.AuditHead(ctx)
					must(t, err)
					if after.Seq == before.Seq {
						t.Errorf("GET %s recorded nothing in the audit archive", path)
					}
					if format == "csv" && name == "reception" && strings.Contains(r.Body, w.otherContact.Mobile) != (actor.Has(auth.PermRevealNumbers) && actor.Access(auth.DataTaxpayers).Read.Contains(w.other.Path, 0)) {
						t.Errorf("GET %s: the number in full shown %v, want it only to those who may reveal it", path, strings.Contains(r.Body, w.otherContact.Mobile))
					}
				}
			}
		})
	}
	t.Run("BadQuery", func(t *testing.T) {
		b := tc.browser()
		b.mustSignIn(tc.users[taxsms.RoleCityAdmin].Login)
		for _, q := range []string{"?from=2026-12-31&to=2026-12-01", "?from=yesterday", "?office=x"} {
			if r := b.get("/reports/coverage" + q); r.Status != http.StatusBadRequest {
				t.Errorf("GET /reports/coverage%s = %d, want 400", q, r.Status)
			}
		}
		if r := b.get("/reports/effect?period=11-2026"); r.Status != http.StatusBadRequest {
			t.Errorf("a bad period = %d, want 400", r.Status)
		}
		if r := b.get("/reports/nothing"); r.Status != http.StatusNotFound {
			t.Errorf("GET /reports/nothing = %d, want 404", r.Status)
		}
	})
	t.Run("Settings", func(t *testing.T) {
		form := url.Values{"drive_start": {"2026-07-01"}, "fail_run": {"4"}, "fail_days": {"20"}, "paid_within": {"5"}}
		b := tc.browser()
		b.mustSignIn(tc.users[taxsms.RoleBranchAdmin].Login)
		form.Set("csrf_token", b.csrf("/reports"))
		if r := b.post("/reports/settings", form); r.Status != http.StatusForbidden {
			t.Errorf("a branch administrator's settings = %d, want 403", r.Status)
		}
		b = tc.browser()
		b.mustSignIn(tc.users[taxsms.RoleCityAdmin].Login)
		form.Set("csrf_token", b.csrf("/reports"))
		form.Set("fail_run", "0")
		if r := b.post("/reports/settings", form); r.Status != http.StatusBadRequest {
			t.Errorf("0 failures in a row = %d, want 400", r.Status)
		}
		form.Set("fail_run", "4")
		if r := b.post("/reports/settings", form); r.Status != http.StatusSeeOther {
			t.Errorf("the city's settings = %d, want 303", r.Status)
		}
		s, err := tc.db.ReportSettings(ctx, time.UTC)
		must(t, err)
		if s.FailRun != 4 || s.DriveStart != (taxsms.Date{Year: 2026, Month: 7, Day: 1}) {
			t.Errorf("settings = %+v", s)
		}
		recs, err := tc.db.ListAudit(ctx, audit.Filter{Action: audit.ConfigChanged, ObjectType: "config", ObjectID: "reports"})
		must(t, err)
		if len(recs) != 1 {
			t.Errorf("audit records of the settings = %d, want 1", len(recs))
		}
		if r := b.get("/reports/reception" + query); !strings.Contains(r.Body, "137****1111") == true {
			// 3 failures are fewer than 4 in a row, but nothing was
			// delivered to the number for 20 days only if it failed that
			// long ago: the number leaves the list.
		} else {
			t.Errorf("with 4 failures in a row the number is still listed")
		}
	})
}
