package web

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"taxsms"
)

// reportSteps walks the reports: each a list of one branch's subtree,
// refused (404) for an office the caller may not read.
func (f *fixture) reportSteps(steps map[string]walkStep) {
	offices := [2]*taxsms.Office{f.branchA, f.branchB}
	for _, name := range []string{"coverage", "reception", "failing-numbers", "supervision", "effect"} {
		steps["GET /api/v1/reports/"+name] = walkStep{"list", func(side int) (string, string) {
			return fmt.Sprintf("/api/v1/reports/%s?office=%d", name, offices[side].ID), ""
		}, func(side int) record { return f.officeRec(offices[side]) }}
	}
}

// TestAPI_Reports calls each report as the city's administrator and as
// each branch, checking the figures, the scope (a branch sees its subtree
// only), the worklist emptied by a correction, and each answer against
// its documented schema.
func TestAPI_Reports(t *testing.T) {
	eachEngine(t, func(t *testing.T, f *fixture) {
		ctx := context.Background()
		doc := loadOpenAPI(t)
		// get calls a report and checks its answer against the document.
		get := func(actor, path string) map[string]any {
			t.Helper()
			code, b := f.do(actor, "GET", path, "")
			if code != http.StatusOK {
				t.Fatalf("GET %s as %s = %d %s", path, actor, code, b)
			}
			var v map[string]any
			must(t, json.Unmarshal(b, &v))
			route := strings.SplitN(path, "?", 2)[0]
			resp := doc.Paths[route]["get"].Responses["200"].Content["application/json"].Schema
			if err := doc.check(route, resp, v); err != nil {
				t.Errorf("GET %s: %v\n%s", path, err, b)
			}
			return v
		}
		items := func(v map[string]any, key string) []map[string]any {
			var out []map[string]any
			for _, it := range v[key].([]any) {
				out = append(out, it.(map[string]any))
			}
			return out
		}
		num := func(v any) float64 { n, _ := v.(float64); return n }

		// Messages: msgA delivered; msgB and three more to branch B's
		// contact failed; a send by operator A; an emergency broadcast of
		// operator B.
		for range 3 {
			f.message(f.tpB, f.contactB)
		}
		if code, b := f.do("operatorA", "POST", "/api/v1/messages", fmt.Sprintf(`{"mobile":"13900000000","body":"【12366】通知","taxpayer_id":%d}`, f.tpA.ID)); code != http.StatusCreated {
			t.Fatalf("operator A's message = %d %s", code, b)
		}
		urgent := &taxsms.Campaign{OfficeID: f.branchB.ID, AuthorID: f.users["operatorB"].ID, Kind: taxsms.KindSpecial, Title: "暂停办税",
			Template: "明日暂停办税。", Audience: taxsms.Audience{Type: taxsms.AudienceTaxpayers}, Emergency: true, EmergencyReason: "台风预警"}
		must(t, f.db.CreateCampaign(ctx, urgent))
		must(t, f.db.CreateMessage(ctx, &taxsms.Message{Direction: taxsms.MT, Kind: taxsms.KindSpecial, Priority: taxsms.PriorityBulk,
			Mobile: "13900000077", Body: "【12366】明日暂停办税。", Segments: 1, OfficeID: f.branchB.ID, AuthorID: f.users["operatorB"].ID, CampaignID: urgent.ID}))
		// A reminder of period 2025-10 delivered to taxpayer A, who filed
		// in time; B, not reminded, never filed; A2 has no contact.
		reminder := &taxsms.Message{Direction: taxsms.MT, Kind: taxsms.KindFilingReminder, Priority: taxsms.PriorityReminder, Mobile: f.contactA.Mobile,
			Body: "【12366】请申报", Segments: 1, TaxpayerID: f.tpA.ID, ContactID: f.contactA.ID, OfficeID: f.branchA.ID,
			IdempotencyKey: fmt.Sprintf("remind/before_deadline-3/2025-10/%d/%d", f.tpA.ID, f.contactA.ID)}
		must(t, f.db.CreateMessage(ctx, reminder))
		settleAll(t, f.db, map[int64]bool{f.msgA.ID: true, reminder.ID: true})
		var obs []*taxsms.Obligation
		for _, tp := range []*taxsms.Taxpayer{f.tpA, f.tpA2, f.tpB} {
			obs = append(obs, &taxsms.Obligation{TaxpayerID: tp.ID, TaxType: "增值税", Period: "2025-10", FilingDue: taxsms.Date{Year: 2025, Month: 11, Day: 17}})
		}
		_, err := f.db.UpsertObligations(ctx, each(obs...))
		must(t, err)
		_, err = f.db.UpsertFilings(ctx, each(&taxsms.Filing{TaxpayerID: f.tpA.ID, TaxType: "增值税", Period: "2025-10", FiledOn: taxsms.Date{Year: 2025, Month: 11, Day: 14}}))
		must(t, err)

		t.Run("Coverage", func(t *testing.T) {
			v := get("city", "/api/v1/reports/coverage")
			if num(v["taxpayers"]) != 3 || num(v["covered"]) != 2 || len(v["offices"].([]any)) != 3 {
				t.Errorf("the city's coverage = %v of %v in %d offices, want 2 of 3 in 3", v["covered"], v["taxpayers"], len(v["offices"].([]any)))
			}
			without := v["without_service"].(map[string]any)
			if num(without["cases"]) != 1 || num(without["late"]) != 0 || !strings.Contains(fmt.Sprint(without["items"]), f.tpA2.Identifier) {
				t.Errorf("without service = %v, want taxpayer A2, the drive not over", without)
			}
			v = get("branchA", "/api/v1/reports/coverage")
			if num(v["taxpayers"]) != 2 || num(v["covered"]) != 1 || num(v["coverage_rate"]) != 0.5 {
				t.Errorf("branch A's coverage = %v of %v (rate %v), want 1 of 2, 0.5", v["covered"], v["taxpayers"], v["coverage_rate"])
			}
			for _, o := range items(v, "offices") {
				if int64(num(o["office_id"])) == f.branchB.ID {
					t.Errorf("branch A's coverage shows branch B")
				}
			}
			v = get("city", fmt.Sprintf("/api/v1/reports/coverage?office=%d", f.stationA.ID))
			if num(v["taxpayers"]) != 1 || num(v["covered"]) != 0 || v["coverage_rate"] != 0.0 {
				t.Errorf("station A's coverage = %v of %v, want 0 of 1", v["covered"], v["taxpayers"])
			}
		})

		t.Run("Reception", func(t *testing.T) {
			v := get("city", "/api/v1/reports/reception")
			total := v["total"].(map[string]any)
			// msgA and the reminder delivered; msgB, three to B, A's send
			// and the emergency failed.
			if num(total["messages"]) != 8 || num(total["delivered"]) != 2 || num(total["failed"]) != 6 || num(total["rate"]) != 0.25 {
				t.Errorf("the city's reception = %v, want 8 messages, 2 delivered, 6 failed, rate 0.25", total)
			}
			if days := items(v, "by_day"); len(days) != 1 || num(days[0]["messages"]) != 8 {
				t.Errorf("by_day = %v, want today's 8", days)
			}
			var carriers []string
			for _, c := range items(v, "by_carrier") {
				carriers = append(carriers, c["carrier"].(string))
			}
			if fmt.Sprint(carriers) != "[unicom]" {
				t.Errorf("by_carrier = %v, want [unicom]", carriers)
			}
			v = get("branchA", "/api/v1/reports/reception")
			total = v["total"].(map[string]any)
			if num(total["messages"]) != 3 || num(total["delivered"]) != 2 {
				t.Errorf("branch A's reception = %v, want 3 messages, 2 delivered", total)
			}
		})

		t.Run("FailingNumbers", func(t *testing.T) {
			v := get("city", "/api/v1/reports/failing-numbers")
			list := items(v, "items")
			if num(v["fail_run"]) != 3 || len(list) != 1 || int64(num(list[0]["contact_id"])) != f.contactB.ID || num(list[0]["failed_in_a_row"]) != 4 ||
				list[0]["mobile"] != mask(f.contactB.Mobile) || fmt.Sprint(list[0]["reasons"]) != "[UNDELIV MK:0001]" {
				t.Fatalf("the city's worklist = %v, want contact B, 4 in a row, masked, with its reason", v)
			}
			if v := get("branchA", "/api/v1/reports/failing-numbers"); len(items(v, "items")) != 0 {
				t.Errorf("branch A's worklist = %v, want none", v["items"])
			}
			if v := get("branchB", "/api/v1/reports/failing-numbers"); len(items(v, "items")) != 1 {
				t.Errorf("branch B's worklist = %v, want its contact", v["items"])
			}
			if code, b := f.do("city", "POST", fmt.Sprintf("/api/v1/contacts/%d/change-number", f.contactB.ID), `{"mobile":"13700009999"}`); code != http.StatusOK {
				t.Fatalf("change-number = %d %s", code, b)
			}
			if v := get("city", "/api/v1/reports/failing-numbers"); len(items(v, "items")) != 0 {
				t.Errorf("after the correction the worklist = %v, want none", v["items"])
			}
		})

		t.Run("Supervision", func(t *testing.T) {
			v := get("city", "/api/v1/reports/supervision")
			sends := items(v, "sends")
			if len(sends) != 2 || sends[0]["login"] != "operatorA" || sends[1]["login"] != "operatorB" || sends[1]["emergency"] != true ||
				sends[1]["emergency_reason"] != "台风预警" || sends[1]["flagged"] != true || sends[1]["campaign_title"] != "暂停办税" {
				t.Errorf("the city's sends = %v, want operator A's, then operator B's emergency with its reason", sends)
			}
			if a := items(v, "authors"); len(a) != 2 || num(a[1]["emergencies"])+num(a[0]["emergencies"]) != 1 {
				t.Errorf("authors = %v, want 2, one emergency", a)
			}
			v = get("branchA", "/api/v1/reports/supervision")
			if sends := items(v, "sends"); len(sends) != 1 || sends[0]["login"] != "operatorA" {
				t.Errorf("branch A's sends = %v, want operator A's only", sends)
			}
		})

		t.Run("Effect", func(t *testing.T) {
			v := get("city", "/api/v1/reports/effect?period=2025-10")
			var total map[string]any
			for _, l := range items(v, "lines") {
				if l["rule"] == "before_deadline" && l["total"] == true {
					total = l
				}
			}
			if total == nil {
				t.Fatalf("no total line before the deadline: %v", v["lines"])
			}
			rem, none := total["reminded"].(map[string]any), total["not_reminded"].(map[string]any)
			if num(rem["taxpayers"]) != 1 || num(rem["done"]) != 1 || num(none["taxpayers"]) != 2 || num(none["done"]) != 0 ||
				num(total["no_contact"]) != 1 || num(total["gain"]) != 100 {
				t.Errorf("before the deadline = %v, want reminded 1/1, not reminded 0/2 (1 without contact), gain 100", total)
			}
			v = get("branchA", "/api/v1/reports/effect?period=2025-10")
			for _, l := range items(v, "lines") {
				if id := int64(num(l["office_id"])); id != f.branchA.ID && id != f.stationA.ID && id != 0 {
					t.Errorf("branch A's effect shows office %d", id)
				}
			}
		})

		t.Run("Errors", func(t *testing.T) {
			for _, c := range []struct {
				actor, path string
				status      int
				field       string
			}{
				{"branchA", fmt.Sprintf("/api/v1/reports/coverage?office=%d", f.branchB.ID), 404, ""},
				{"city", "/api/v1/reports/coverage?office=999999", 404, ""},
				{"city", "/api/v1/reports/coverage?period=2026-11", 400, "period"}, // coverage takes days, not a period
				{"city", "/api/v1/reports/reception?from=2026-12-05&to=2026-12-01", 400, "to"},
				{"city", "/api/v1/reports/reception?from=2026-12-01&from=2026-12-02", 400, "from"},
				{"city", "/api/v1/reports/effect?period=13-2026", 400, "period"},
				{"city", "/api/v1/reports/failing-numbers?from=2026-12-01", 400, "from"},
				{"maintainer", "/api/v1/reports/supervision", 403, ""},
			} {
				code, out := f.json(c.actor, "GET", c.path, "")
				e, _ := out["error"].(map[string]any)
				if code != c.status || c.field != "" && e["field"] != c.field {
					t.Errorf("GET %s as %s = %d %v, want %d naming %q", c.path, c.actor, code, out, c.status, c.field)
				}
			}
		})
	})
}
