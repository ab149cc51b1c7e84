package web

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"taxsms"
	"taxsms/store"
)

// billingCity seeds a test console with tariffs and, in December 2026,
// billable messages of the operator's branch (2 segments, China Mobile)
// and of another branch (3 segments, China Unicom); it returns the other
// branch.
func billingCity(t *testing.T, tc *testConsole) *taxsms.Office {
	t.Helper()
	ctx := context.Background()
	branch, err := tc.db.FindOffice(ctx, tc.users[taxsms.RoleOperator].OfficeID)
	must(t, err)
	other := &taxsms.Office{ParentID: branch.ParentID, Code: "13702990000", Name: "越界分局"}
	must(t, tc.db.CreateOffice(ctx, other))
	jan := taxsms.Date{Year: 2026, Month: 1, Day: 1}
	must(t, tc.db.SetTariff(ctx, &taxsms.Tariff{Carrier: taxsms.CarrierMobile, Kind: taxsms.KindSpecial, Price: 35, ValidFrom: jan}))
	must(t, tc.db.SetTariff(ctx, &taxsms.Tariff{Carrier: taxsms.CarrierUnicom, Kind: taxsms.KindSpecial, Price: 40, ValidFrom: jan}))
	var msgs []*taxsms.Message
	for i, office := range []int64{branch.ID, other.ID} {
		msgs = append(msgs, &taxsms.Message{Direction: taxsms.MT, Kind: taxsms.KindSpecial, Priority: taxsms.PriorityBulk,
			Mobile: fmt.Sprintf("1390000000%d", i), Body: "通知", Segments: 1, OfficeID: office})
	}
	_, err = tc.db.CreateMessages(ctx, msgs)
	must(t, err)
	_, err = tc.db.ClaimMessages(ctx, "node1", 10, time.Minute)
	must(t, err)
	must(t, tc.db.RecordOutcomes(ctx, []store.Outcome{
		{ID: msgs[0].ID, Carrier: taxsms.CarrierMobile, Link: "cmpp-1", Parts: []taxsms.Part{{Seq: 1, CarrierMsgID: "M1"}, {Seq: 2, CarrierMsgID: "M2"}}},
		{ID: msgs[1].ID, Carrier: taxsms.CarrierUnicom, Link: "sgip-1", Parts: []taxsms.Part{{Seq: 1, CarrierMsgID: "U1"}, {Seq: 2, CarrierMsgID: "U2"}, {Seq: 3, CarrierMsgID: "U3"}}},
	}))
	return other
}

func TestConsole_Billing(t *testing.T) {
	tc := startConsole(t)
	other := billingCity(t, tc)
	ctx := context.Background()
	as := func(role taxsms.Role) *browser {
		b := tc.browser()
		b.mustSignIn(tc.users[role].Login)
		return b
	}
	city, branch, auditor, operator := as(taxsms.RoleCityAdmin), as(taxsms.RoleBranchAdmin), as(taxsms.RoleAuditor), as(taxsms.RoleOperator)

	t.Run("Statement", func(t *testing.T) {
		for _, tc := range []struct {
			name   string
			b      *browser
			path   string
			status int
			shows  []string
			hides  []string
		}{
			{"City", city, "/billing?month=2026-12", 200, []string{"¥0.190", "越界分局", "市南区税务局", "<svg", `id="billing-segments">5<`}, nil},
			{"CityDrillDown", city, "/billing?month=2026-12&office=" + fmt.Sprint(other.ID), 200, []string{"¥0.120", `id="billing-segments">3<`}, []string{"¥0.070"}},
			{"Branch", branch, "/billing?month=2026-12", 200, []string{"¥0.070", `id="billing-segments">2<`}, []string{"越界分局", "¥0.190", "¥0.120"}},
			{"BranchOutside", branch, "/billing?month=2026-12&office=" + fmt.Sprint(other.ID), 404, nil, []string{"越界分局"}},
			{"Auditor", auditor, "/billing?month=2026-12", 200, []string{"¥0.190"}, []string{"/billing/close"}},
			{"Operator", operator, "/billing", 403, nil, []string{"¥"}},
			{"BadMonth", city, "/billing?month=2026-13", 400, nil, nil},
			{"Print", city, "/billing/print?month=2026-12", 200, []string{"¥0.190", `class="signature"`}, nil},
			{"PrintBranch", branch, "/billing/print?month=2026-12", 200, []string{"¥0.070"}, []string{"越界分局"}},
		} {
			t.Run(tc.name, func(t *testing.T) {
				r := tc.b.get(tc.path)
				if r.Status != tc.status {
					t.Fatalf("GET %s = %d, want %d", tc.path, r.Status, tc.status)
				}
				for _, s := range tc.shows {
					if !strings.Contains(r.Body, s) {
						t.Errorf("GET %s does not show %q", tc.path, s)
					}
				}
				for _, s := range tc.hides {
					if strings.Contains(r.Body, s) {
						t.Errorf("GET %s shows %q", tc.path, s)
					}
				}
			})
		}
		if r := operator.get("/"); strings.Contains(r.Body, `href="/billing"`) {
			t.Errorf("an operator's navigation links to the billing pages")
		}
		if r := branch.get("/"); !strings.Contains(r.Body, `href="/billing"`) {
			t.Errorf("a branch administrator's navigation lacks the billing pages")
		}
	})

	t.Run("Export", func(t *testing.T) {
		before, err := tc.db.AuditHead(ctx)
		must(t, err)
		r := city.get("/billing/export.csv?month=2026-12")
		if r.Status != 200 || !strings.HasPrefix(r.Header.Get("Content-Type"), "text/csv") || !strings.Contains(r.Body, "2026-12,TOTAL,青岛市税务局,,,,2,5,0.190,0") {
			t.Fatalf("export.csv = %d %q", r.Status, r.Body)
		}
		after, err := tc.db.AuditHead(ctx)
		must(t, err)
		if after.Seq == before.Seq {
			t.Errorf("the export was not recorded: audit head %+v", after)
		}
		if r := branch.get("/billing/export.xlsx?month=2026-12"); r.Status != 200 || !strings.Contains(r.Header.Get("Content-Type"), "spreadsheetml") {
			t.Errorf("export.xlsx = %d %s", r.Status, r.Header.Get("Content-Type"))
		}
		if r := branch.get("/billing/export.csv?month=2026-12"); strings.Contains(r.Body, "越界分局") || !strings.Contains(r.Body, "0.070") {
			t.Errorf("the branch's export = %q, want its own line only", r.Body)
		}
		if r := auditor.get("/billing/export.csv?month=2026-12"); r.Status != 403 {
			t.Errorf("an auditor without the export permission: %d, want 403", r.Status)
		}
	})

	t.Run("Tariffs", func(t *testing.T) {
		r := branch.get("/billing/tariffs")
		if r.Status != 200 || !strings.Contains(r.Body, "¥0.035") || strings.Contains(r.Body, `action="/billing/tariffs"`) {
			t.Fatalf("a branch administrator's tariffs page: %d, shows the prices and no form? %q", r.Status, r.Body)
		}
		token := city.csrf("/billing/tariffs")
		post := func(v url.Values) response {
			v.Set("csrf_token", token)
			return city.post("/billing/tariffs", v)
		}
		for _, c := range []struct {
			name   string
			form   url.Values
			status int
			shows  string
		}{
			{"BadPrice", url.Values{"carrier": {"telecom"}, "kind": {"special"}, "price": {"3分"}, "valid_from": {"2026-01-01"}}, 400, "price"},
			{"BadDate", url.Values{"carrier": {"telecom"}, "kind": {"special"}, "price": {"0.03"}, "valid_from": {"soon"}}, 400, "soon"},
			{"Overlap", url.Values{"carrier": {"mobile"}, "kind": {"special"}, "price": {"0.05"}, "valid_from": {"2026-06-01"}}, 400, "overlaps"},
			{"Negative", url.Values{"carrier": {"telecom"}, "kind": {"special"}, "price": {"-0.03"}, "valid_from": {"2026-01-01"}}, 400, "must not be negative"},
			{"NoStart", url.Values{"carrier": {"telecom"}, "kind": {"special"}, "price": {"0.03"}}, 400, "valid_from: required"},
			{"Backwards", url.Values{"carrier": {"telecom"}, "kind": {"special"}, "price": {"0.03"}, "valid_from": {"2026-06-01"}, "valid_to": {"2026-05-31"}}, 400, "is before valid_from"},
			{"Interactive", url.Values{"carrier": {"mobile"}, "kind": {"interactive"}, "price": {"0.05"}, "valid_from": {"2026-06-01"}}, 303, ""},
			{"OK", url.Values{"carrier": {"telecom"}, "kind": {"special"}, "price": {"0.045"}, "valid_from": {"2026-01-01"}}, 303, ""},
		} {
			t.Run(c.name, func(t *testing.T) {
				r := post(c.form)
				if r.Status != c.status || !strings.Contains(r.Body, c.shows) {
					t.Errorf("POST = %d, shows %q? body %q", r.Status, c.shows, r.Body)
				}
			})
		}
		if p, err := tc.db.PriceOf(ctx, taxsms.CarrierTelecom, taxsms.KindSpecial, taxsms.Date{Year: 2026, Month: 12, Day: 1}); err != nil || p != 45 {
			t.Errorf("PriceOf = %d, %v, want 45", p, err)
		}
		if r := branch.post("/billing/tariffs", url.Values{"csrf_token": {branch.csrf("/billing/tariffs")}, "carrier": {"broadnet"},
			"kind": {"special"}, "price": {"0.01"}, "valid_from": {"2026-01-01"}}); r.Status != 403 {
			t.Errorf("a branch administrator adds a tariff: %d, want 403", r.Status)
		}
	})

	t.Run("Close", func(t *testing.T) {
		token := city.csrf("/billing?month=2026-11")
		if r := city.get("/billing?month=2026-11"); !strings.Contains(r.Body, `action="/billing/close"`) {
			t.Errorf("November, over and open, offers no close form")
		}
		if r := city.get("/billing?month=2026-12"); strings.Contains(r.Body, `action="/billing/close"`) {
			t.Errorf("December, not over, offers a close form")
		}
		r := city.post("/billing/close", url.Values{"csrf_token": {token}, "month": {"2026-12"}, "confirm": {"yes"}})
		if r.Status != 303 {
			t.Fatalf("closing December: %d", r.Status)
		}
		if r := city.get(r.Location); !strings.Contains(r.Body, "not over") || !strings.Contains(r.Body, "flash-error") {
			t.Errorf("closing December shows no refusal: %q", r.Body)
		}
		r = city.post("/billing/close", url.Values{"csrf_token": {token}, "month": {"2026-11"}})
		if r.Status != 303 || !strings.Contains(city.get(r.Location).Body, "flash-error") {
			t.Errorf("closing without the confirmation: %d", r.Status)
		}
		r = city.post("/billing/close", url.Values{"csrf_token": {token}, "month": {"2026-11"}, "confirm": {"yes"}})
		if r.Status != 303 {
			t.Fatalf("closing November: %d", r.Status)
		}
		if r := city.get("/billing?month=2026-11"); !strings.Contains(r.Body, "已结账") && !strings.Contains(r.Body, "Closed (") {
			t.Errorf("November is not shown closed: %q", r.Body)
		}
		if r := branch.post("/billing/close", url.Values{"csrf_token": {branch.csrf("/billing")}, "month": {"2026-10"}, "confirm": {"yes"}}); r.Status != 403 {
			t.Errorf("a branch administrator closes a month: %d, want 403", r.Status)
		}
		// November's prices are frozen: a tariff may not end inside it.
		ts, err := tc.db.ListTariffs(ctx)
		must(t, err)
		r = city.post(fmt.Sprintf("/billing/tariffs/%d/end", ts[0].ID), url.Values{"csrf_token": {city.csrf("/billing/tariffs")}, "valid_to": {"2026-11-15"}})
		if page := city.get(r.Location).Body; r.Status != 303 || !strings.Contains(page, "flash-error") || !strings.Contains(page, "2026-11 is closed") {
			t.Errorf("ending a tariff inside closed November: %d, page %q", r.Status, page)
		}
		if p, err := tc.db.PriceOf(ctx, ts[0].Carrier, ts[0].Kind, taxsms.Date{Year: 2026, Month: 11, Day: 20}); err != nil || p != int64(ts[0].Price) {
			t.Errorf("PriceOf after the refusal = %d, %v; want %d", p, err, ts[0].Price)
		}
	})
}
