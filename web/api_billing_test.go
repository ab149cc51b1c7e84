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
	// Each call closes a month of its own, long past.
	closed := 0
	steps["POST /api/v1/statements/{month}/close"] = walkStep{"bulk", func(int) (string, string) {
		closed++
		return fmt.Sprintf("/api/v1/statements/%d-%02d/close", 2015+closed/12, 1+closed%12), ""
	}, func(int) record { return billingOf(f.city) }}
	// Each call a tariff of its own, of a year to come.
	years := 0
	tariff := func() int64 {
		years++
		t := &taxsms.Tariff{Carrier: taxsms.CarrierBroadnet, Kind: taxsms.KindInteractive, Price: 35,
			ValidFrom: taxsms.Date{Year: 2040 + years, Month: 1, Day: 1}, ValidTo: taxsms.Date{Year: 2040 + years, Month: 12, Day: 31}}
		must(f.t, f.db.SetTariff(context.Background(), t))
		return t.ID
	}
	steps["PATCH /api/v1/tariffs/{id}"] = walkStep{"bulk", func(int) (string, string) {
		return fmt.Sprintf("/api/v1/tariffs/%d", tariff()), fmt.Sprintf(`{"valid_to":"%d-06-30"}`, 2040+years)
	}, func(int) record { return billingOf(f.city) }}
	steps["DELETE /api/v1/tariffs/{id}"] = walkStep{"bulk", func(int) (string, string) {
		return fmt.Sprintf("/api/v1/tariffs/%d", tariff()), ""
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

// TestAPI_CloseMonthAndTariffs closes a month by REST, then ends and
// removes tariffs: what would reprice the closed month is refused, and
// only a city administrator may do any of it.
func TestAPI_CloseMonthAndTariffs(t *testing.T) {
	eachEngine(t, func(t *testing.T, f *fixture) {
		ctx := context.Background()
		now := time.Date(2026, 12, 3, 2, 0, 0, 0, time.UTC)
		f.db.Now = func() time.Time { return now }
		code, b := f.do("city", "POST", "/api/v1/tariffs", `{"carrier":"mobile","kind":"special","price":"0.035","valid_from":"2026-01-01"}`)
		if code != 201 {
			t.Fatalf("POST tariff = %d %s", code, b)
		}
		var nov tariffView
		must(t, json.Unmarshal(b, &nov))
		m := &taxsms.Message{Direction: taxsms.MT, Kind: taxsms.KindSpecial, Priority: taxsms.PriorityBulk,
			Mobile: "13900001001", Body: "通知", Segments: 2, OfficeID: f.branchA.ID}
		_, err := f.db.CreateMessages(ctx, []*taxsms.Message{m})
		must(t, err)
		now = time.Date(2026, 11, 20, 2, 0, 0, 0, time.UTC)
		_, err = f.db.ClaimMessages(ctx, "n", 10, time.Minute)
		must(t, err)
		must(t, f.db.RecordOutcomes(ctx, []store.Outcome{{ID: m.ID, Carrier: taxsms.CarrierMobile, Link: "cmpp",
			Parts: []taxsms.Part{{Seq: 1, CarrierMsgID: "C1"}, {Seq: 2, CarrierMsgID: "C2"}}}}))
		now = time.Date(2026, 12, 3, 2, 0, 0, 0, time.UTC)

		for _, c := range []struct {
			actor, method, path, body string
			code                      int
		}{
			{"branchA", "POST", "/api/v1/statements/2026-11/close", "", 403},
			{"auditor", "POST", "/api/v1/statements/2026-11/close", "", 403},
			{"city", "POST", "/api/v1/statements/2026-13/close", "", 400},
			{"city", "POST", "/api/v1/statements/2026-12/close", "", 409}, // not over
			{"city", "POST", "/api/v1/statements/2026-11/close", "", 200},
			{"city", "POST", "/api/v1/statements/2026-11/close", "", 409}, // closed already
			{"branchA", "PATCH", fmt.Sprintf("/api/v1/tariffs/%d", nov.ID), `{"valid_to":"2027-06-30"}`, 403},
			{"city", "PATCH", fmt.Sprintf("/api/v1/tariffs/%d", nov.ID), `{"valid_to":"2026-10-31"}`, 409}, // reprices November
			{"city", "PATCH", fmt.Sprintf("/api/v1/tariffs/%d", nov.ID), `{"valid_to":""}`, 400},
			{"city", "PATCH", fmt.Sprintf("/api/v1/tariffs/%d", nov.ID), `{"valid_to":"2027-06-30","price":"0"}`, 400},
			{"city", "PATCH", "/api/v1/tariffs/999999", `{"valid_to":"2027-06-30"}`, 404},
			{"city", "PATCH", fmt.Sprintf("/api/v1/tariffs/%d", nov.ID), `{"valid_to":"2027-06-30"}`, 200},
			{"city", "DELETE", fmt.Sprintf("/api/v1/tariffs/%d", nov.ID), "", 409}, // prices November
			{"city", "POST", "/api/v1/tariffs", `{"carrier":"mobile","kind":"special","price":"0.03","valid_from":"2027-07-01"}`, 201},
		} {
			if code, b := f.do(c.actor, c.method, c.path, c.body); code != c.code {
				t.Errorf("%s %s %s %s = %d %s, want %d", c.actor, c.method, c.path, c.body, code, b, c.code)
			}
		}
		code, b = f.do("city", "GET", "/api/v1/statements?month=2026-11", "")
		var st statementView
		if code != 200 || json.Unmarshal(b, &st) != nil || !st.Closed || st.Total.Segments != 2 || st.Total.Amount != "0.070" {
			t.Errorf("November = %d %s, want closed, 2 segments, ¥0.070", code, b)
		}
		ts, err := f.db.ListTariffs(ctx)
		must(t, err)
		var later int64
		for _, x := range ts {
			if x.ValidFrom == (taxsms.Date{Year: 2027, Month: 7, Day: 1}) {
				later = x.ID
			}
		}
		path := fmt.Sprintf("/api/v1/tariffs/%d", later)
		for _, c := range []struct {
			actor string
			code  int
		}{{"branchA", 403}, {"city", 204}, {"city", 404}} {
			if code, b := f.do(c.actor, "DELETE", path, ""); code != c.code {
				t.Errorf("%s DELETE %s = %d %s, want %d", c.actor, path, code, b, c.code)
			}
		}
	})
}
