package web

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"taxsms"
	"taxsms/auth"
	"taxsms/store"
)

// billingSteps adds the billing routes to the scope walk.
func (f *fixture) billingSteps(steps map[string]walkStep) {
	offices := [2]*taxsms.Office{f.branchA, f.branchB}
	billingOf := func(o *taxsms.Office) record { return record{auth.DataBilling, o.Path, 0, "", nil} }
	steps["GET /api/v1/statements"] = walkStep{"list", func(side int) (string, string) {
		return fmt.Sprintf("/api/v1/statements?month=2026-11&office=%d", offices[side].ID), ""
	}, func(side int) record { return billingOf(offices[side]) }}
	steps["GET /api/v1/tariffs"] = walkStep{"list", func(int) (string, string) { return "/api/v1/tariffs", "" },
		func(int) record { return billingOf(f.branchA) }} // tariffs are the city's, read by anyone reading some billing
	// Each call a carrier and kind of its own, so that those allowed do not
	// overlap the one before.
	var combos [][2]string
	for _, c := range []string{"mobile", "unicom", "telecom", "broadnet"} {
		for _, k := range taxsms.Kinds {
			if k != taxsms.KindInteractive {
				combos = append(combos, [2]string{c, string(k)})
			}
		}
	}
	n := 0
	steps["POST /api/v1/tariffs"] = walkStep{"create", func(int) (string, string) {
		c := combos[n%len(combos)]
		n++
		return "/api/v1/tariffs", fmt.Sprintf(`{"carrier":"%s","kind":"%s","price":"0.035","valid_from":"2026-01-01"}`, c[0], c[1])
	}, func(int) record { return billingOf(f.city) }}
}

// TestAPI_Statement posts submissions in two branches and reads the
// statements as the city, a branch and the system: each sees its subtree,
// the city's total is the sum of its branches.
func TestAPI_Statement(t *testing.T) {
	eachEngine(t, func(t *testing.T, f *fixture) {
		ctx := context.Background()
		now := time.Date(2026, 11, 20, 2, 0, 0, 0, time.UTC)
		f.db.Now = func() time.Time { return now }
		if code, b := f.do("city", "POST", "/api/v1/tariffs", `{"carrier":"mobile","kind":"special","price":"0.035","valid_from":"2026-01-01"}`); code != 201 {
			t.Fatalf("POST tariff = %d %s", code, b)
		}
		if code, b := f.do("city", "POST", "/api/v1/tariffs", `{"carrier":"mobile","kind":"special","price":"0.05","valid_from":"2026-06-01"}`); code != 409 {
			t.Errorf("overlapping tariff = %d %s, want 409", code, b)
		}
		if code, b := f.do("city", "POST", "/api/v1/tariffs", `{"carrier":"mobile","kind":"otp","price":"0.0351","valid_from":"2026-06-01"}`); code != 400 {
			t.Errorf("price with four decimals = %d %s, want 400", code, b)
		}
		var msgs []*taxsms.Message
		for i, o := range []*taxsms.Office{f.branchA, f.stationA, f.branchB} {
			msgs = append(msgs, &taxsms.Message{Direction: taxsms.MT, Kind: taxsms.KindSpecial, Priority: taxsms.PriorityBulk,
				Mobile: fmt.Sprintf("1390000100%d", i), Body: "通知", Segments: 1, OfficeID: o.ID})
		}
		_, err := f.db.CreateMessages(ctx, msgs)
		must(t, err)
		_, err = f.db.ClaimMessages(ctx, "n", 10, time.Minute)
		must(t, err)
		var outs []store.Outcome
		for i, m := range msgs {
			var parts []taxsms.Part
			for s := range i + 1 {
				parts = append(parts, taxsms.Part{Seq: s + 1, CarrierMsgID: fmt.Sprintf("S%d-%d", i, s)})
			}
			outs = append(outs, store.Outcome{ID: m.ID, Carrier: taxsms.CarrierMobile, Link: "cmpp", Parts: parts})
		}
		must(t, f.db.RecordOutcomes(ctx, outs))

		get := func(actor, query string) (int, statementView) {
			t.Helper()
			code, b := f.do(actor, "GET", "/api/v1/statements?"+query, "")
			var v statementView
			if code == 200 {
				if err := json.Unmarshal(b, &v); err != nil {
					t.Fatal(err)
				}
			}
			return code, v
		}
		for _, c := range []struct {
			actor, query string
			code         int
			segments     int64
			amount       string
		}{
			{"city", "month=2026-11", 200, 6, "0.210"},
			{"system", "month=2026-11", 200, 6, "0.210"},
			{"city", fmt.Sprintf("month=2026-11&office=%d", f.branchA.ID), 200, 3, "0.105"},
			{"city", fmt.Sprintf("month=2026-11&office=%d", f.branchB.ID), 200, 3, "0.105"},
			{"branchA", "month=2026-11", 200, 3, "0.105"},
			{"branchA", fmt.Sprintf("month=2026-11&office=%d", f.branchB.ID), 404, 0, ""},
			{"branchA", fmt.Sprintf("month=2026-11&office=%d", f.city.ID), 404, 0, ""},
			{"auditor", "month=2026-10", 200, 0, "0.000"},
			{"operatorA", "month=2026-11", 403, 0, ""},
			{"keyA", "month=2026-11", 403, 0, ""},
			{"city", "month=November", 400, 0, ""},
		} {
			code, v := get(c.actor, c.query)
			if code != c.code || code == 200 && (v.Total.Segments != c.segments || v.Total.Amount != c.amount) {
				t.Errorf("%s GET ?%s = %d, %d segments, ¥%s; want %d, %d, ¥%s", c.actor, c.query, code, v.Total.Segments, v.Total.Amount,
					c.code, c.segments, c.amount)
			}
		}
		_, branch := get("branchA", "month=2026-11")
		for _, l := range branch.Lines {
			if l.OfficeID != f.branchA.ID && l.OfficeID != f.stationA.ID {
				t.Errorf("branch A's statement has a line of office %d", l.OfficeID)
			}
		}
	})
}
