package web

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"taxsms"
	"taxsms/auth"
	"taxsms/store"
)

// seedTaxData gives the fixture's taxpayers A and B an obligation each
// (增值税 2026-11, filed) and a failed deduction, referenced DK-<taxpayer
// id>. It may be called again: the upserts change nothing then.
func (f *fixture) seedTaxData() {
	f.t.Helper()
	ctx := context.Background()
	var obs []*taxsms.Obligation
	var fs []*taxsms.Filing
	var ds []*taxsms.Deduction
	for _, tp := range []*taxsms.Taxpayer{f.tpA, f.tpB} {
		obs = append(obs, &taxsms.Obligation{TaxpayerID: tp.ID, TaxType: "增值税", Period: "2026-11",
			FilingDue: taxsms.Date{Year: 2026, Month: 12, Day: 15}})
		fs = append(fs, &taxsms.Filing{TaxpayerID: tp.ID, TaxType: "增值税", Period: "2026-11",
			FiledOn: taxsms.Date{Year: 2026, Month: 12, Day: 3}, AmountDue: 50000})
		ds = append(ds, &taxsms.Deduction{Reference: fmt.Sprintf("DK-%d", tp.ID), TaxpayerID: tp.ID, TaxType: "增值税",
			Period: "2026-11", Amount: 50000, Result: taxsms.DeductionFailed, Reason: "余额不足",
			At: time.Date(2026, 12, 16, 2, 0, 0, 0, time.UTC)})
	}
	if _, err := f.db.UpsertObligations(ctx, seq(obs)); err != nil {
		f.t.Fatal(err)
	}
	if _, err := f.db.UpsertFilings(ctx, seq(fs)); err != nil {
		f.t.Fatal(err)
	}
	if _, err := f.db.UpsertDeductions(ctx, seq(ds)); err != nil {
		f.t.Fatal(err)
	}
}

func seq[T any](list []T) func(func(T, error) bool) {
	return func(yield func(T, error) bool) {
		for _, v := range list {
			if !yield(v, nil) {
				return
			}
		}
	}
}

// taxDataSteps adds the tax data routes to the scope walk. Posting is a
// bulk write: only actors writing every taxpayer may.
func (f *fixture) taxDataSteps(steps map[string]walkStep) {
	f.seedTaxData()
	tps := [2]*taxsms.Taxpayer{f.tpA, f.tpB}
	tp := func(side int) record { return f.taxpayerRec(tps[side]) }
	steps["GET /api/v1/obligations"] = walkStep{"list", func(side int) (string, string) {
		return fmt.Sprintf("/api/v1/obligations?taxpayer_id=%d", tps[side].ID), ""
	}, tp} // the filter's taxpayer must be one the actor may read
	steps["GET /api/v1/deductions/{reference}"] = walkStep{"get", func(side int) (string, string) {
		return fmt.Sprintf("/api/v1/deductions/DK-%d", tps[side].ID), ""
	}, tp}
	steps["POST /api/v1/obligations"] = walkStep{"bulk", func(side int) (string, string) {
		return "/api/v1/obligations", fmt.Sprintf(`{"obligations":[{"identifier":"%s","tax_type":"增值税","period":"2026-12","filing_due":"2027-01-15"}]}`,
			tps[side].Identifier)
	}, tp}
	steps["POST /api/v1/filings"] = walkStep{"bulk", func(side int) (string, string) {
		return "/api/v1/filings", fmt.Sprintf(`{"filings":[{"taxpayer_id":%d,"tax_type":"增值税","period":"2026-11","filed_on":"2026-12-10","amount_due":"500.00"}]}`,
			tps[side].ID)
	}, tp}
	steps["POST /api/v1/payments"] = walkStep{"bulk", func(side int) (string, string) {
		return "/api/v1/payments", fmt.Sprintf(`{"payments":[{"identifier":"%s","tax_type":"增值税","period":"2026-11","paid_on":"2026-12-12","amount_paid":"500"}]}`,
			tps[side].Identifier)
	}, tp}
	steps["POST /api/v1/invoices"] = walkStep{"bulk", func(side int) (string, string) {
		return "/api/v1/invoices", fmt.Sprintf(`{"invoices":[{"code":"3702191130","number":"%08d","status":"valid","seller_name":"青岛海纳贸易有限公司","issued_on":"2026-11-20"}]}`, side+1)
	}, tp}
	steps["POST /api/v1/deductions"] = walkStep{"bulk", func(side int) (string, string) {
		return "/api/v1/deductions", fmt.Sprintf(`{"deductions":[{"reference":"WALK-%d","taxpayer_id":%d,"tax_type":"增值税","period":"2026-11","amount":"500.00","result":"failed","reason":"账户冻结","at":"2026-12-16T10:00:00+08:00"}]}`,
			side, tps[side].ID)
	}, tp}
}

// obligationRow is one row of an obligations batch, as JSON.
func obligationRow(who, period, filingDue string) string {
	return fmt.Sprintf(`{%s,"tax_type":"增值税","period":"%s","filing_due":"%s"}`, who, period, filingDue)
}

func TestAPI_PostObligations(t *testing.T) {
	eachEngine(t, func(t *testing.T, f *fixture) {
		a := fmt.Sprintf(`"identifier":"%s"`, f.tpA.Identifier)
		b := fmt.Sprintf(`"taxpayer_id":%d`, f.tpB.ID)
		batch := func(rows ...string) string { return `{"obligations":[` + strings.Join(rows, ",") + `]}` }
		good := batch(obligationRow(a, "2026-10", "2026-11-17"), obligationRow(b, "2026Q3", "2026-10-27"),
			fmt.Sprintf(`{%s,"tax_type":"企业所得税","period":"2025年度","filing_due":"2026-05-31","payment_due":"2026-06-15"}`, a))
		unknown := "91370200999999999" + string(taxsms.USCCCheck("91370200999999999"))
		big := batch(slices.Repeat([]string{"{}"}, MaxBatch+1)...)
		const path = "/api/v1/obligations"
		// A key of the city's root office reaches every office: it may post.
		f.actors["keyCity"] = auth.APIKey{ID: 3, Name: "core city", OfficeID: f.city.ID, OfficePath: f.city.Path}.Actor()
		f.actors["keyCity"].Endpoints = []string{"POST " + path, "GET " + path}
		f.run(t, []apiCase{
			{name: "APIKeyOfCity", actor: "keyCity", method: "POST", path: path, body: batch(obligationRow(a, "2026-09", "2026-10-20")), status: 200,
				has: []string{`"received":1`, `"inserted":1`}},
			{name: "APIKeyOfCityReads", actor: "keyCity", method: "GET", path: path, status: 200},
			{name: "Unauthenticated", method: "POST", path: path, body: good, status: 401},
			{name: "BranchAdmin", actor: "branchA", method: "POST", path: path, body: good, status: 403, code: "forbidden"},
			{name: "Operator", actor: "operatorA", method: "POST", path: path, body: good, status: 403, code: "forbidden"},
			{name: "Auditor", actor: "auditor", method: "POST", path: path, body: good, status: 403, code: "forbidden"},
			{name: "APIKeyOfBranch", actor: "keyA", method: "POST", path: path, body: good, status: 403, code: "forbidden"},
			{name: "ForbiddenBeforeChecked", actor: "branchA", method: "POST", path: path,
				body: batch(obligationRow(`"identifier":"`+unknown+`"`, "2026-10", "x")), status: 403, code: "forbidden"},

			{name: "Insert", actor: "city", method: "POST", path: path, body: good, status: 200,
				has: []string{`"received":3`, `"inserted":3`, `"updated":0`, `"unchanged":0`}},
			{name: "Again", actor: "system", method: "POST", path: path, body: good, status: 200,
				has: []string{`"received":3`, `"inserted":0`, `"updated":0`, `"unchanged":3`}},
			{name: "Update", actor: "city", method: "POST", path: path,
				body: batch(obligationRow(a, "2026-10", "2026-11-20"), obligationRow(b, "2026Q3", "2026-10-27")), status: 200,
				has: []string{`"received":2`, `"inserted":0`, `"updated":1`, `"unchanged":1`}},

			{name: "BadDate", actor: "city", method: "POST", path: path,
				body: batch(obligationRow(a, "2027-01", "2027-02-15"), obligationRow(b, "2027-01", "2027/02/15")), status: 400,
				code: "invalid", field: "obligations[1].filing_due", has: []string{`obligations[1].filing_due: \"2027/02/15\" is not a date`}},
			{name: "MissingDate", actor: "city", method: "POST", path: path, body: batch(obligationRow(a, "2027-01", "")), status: 400,
				field: "obligations[0].filing_due"},
			{name: "DueBeforePeriod", actor: "city", method: "POST", path: path, body: batch(obligationRow(a, "2027-01", "2026-12-31")), status: 400,
				field: "obligations[0].filing_due"},
			{name: "PaymentBeforeFiling", actor: "city", method: "POST", path: path,
				body: batch(fmt.Sprintf(`{%s,"tax_type":"增值税","period":"2027-01","filing_due":"2027-02-15","payment_due":"2027-02-01"}`, a)), status: 400,
				field: "obligations[0].payment_due"},
			{name: "BadPeriod", actor: "city", method: "POST", path: path, body: batch(obligationRow(a, "2027-13", "2027-02-15")), status: 400,
				field: "obligations[0].period"},
			{name: "MissingPeriod", actor: "city", method: "POST", path: path, body: batch(obligationRow(a, "", "2027-02-15")), status: 400,
				field: "obligations[0].period"},
			{name: "MissingTaxType", actor: "city", method: "POST", path: path,
				body: batch(fmt.Sprintf(`{%s,"period":"2027-01","filing_due":"2027-02-15"}`, a)), status: 400, field: "obligations[0].tax_type"},
			{name: "UnknownIdentifier", actor: "city", method: "POST", path: path,
				body: batch(obligationRow(a, "2027-01", "2027-02-15"), obligationRow(`"identifier":"`+unknown+`"`, "2027-01", "2027-02-15")), status: 400,
				field: "obligations[1].identifier"},
			{name: "UnknownID", actor: "city", method: "POST", path: path, body: batch(obligationRow(`"taxpayer_id":999999`, "2027-01", "2027-02-15")), status: 400,
				field: "obligations[0].taxpayer_id"},
			{name: "NoTaxpayer", actor: "city", method: "POST", path: path, body: batch(`{"tax_type":"增值税","period":"2027-01","filing_due":"2027-02-15"}`), status: 400,
				field: "obligations[0].identifier"},
			{name: "BothNames", actor: "city", method: "POST", path: path, body: batch(obligationRow(a+","+b, "2027-01", "2027-02-15")), status: 400,
				field: "obligations[0].taxpayer_id"},
			{name: "Repeated", actor: "city", method: "POST", path: path,
				body: batch(obligationRow(a, "2027-01", "2027-02-15"), obligationRow(b, "2027-01", "2027-02-15"), obligationRow(a, "2027年1月", "2027-02-16")), status: 400,
				field: "obligations[2]", has: []string{"repeats obligations[0]"}},
			{name: "UnknownRowField", actor: "city", method: "POST", path: path, body: batch(`{"colour":"red"}`), status: 400, field: "obligations[0]"},
			{name: "RowNotObject", actor: "city", method: "POST", path: path, body: batch(`17`), status: 400, field: "obligations[0]"},
			{name: "OtherKind", actor: "city", method: "POST", path: path, body: `{"filings":[]}`, status: 400, field: "filings"},
			{name: "Empty", actor: "city", method: "POST", path: path, body: batch(), status: 400, field: "obligations"},
			{name: "NotArray", actor: "city", method: "POST", path: path, body: `{"obligations":{}}`, status: 400, field: "obligations"},
			{name: "TooMany", actor: "city", method: "POST", path: path, body: big, status: 400, field: "obligations",
				has: []string{"want 1 to 10000 rows, got 10001"}},
			{name: "NotJSON", actor: "city", method: "POST", path: path, body: `{"obligations":[`, status: 400, code: "invalid"},
		})
		// The refused batches stored nothing of 2027.
		for _, p := range []taxsms.Period{"2027-01"} {
			if list, err := f.db.ListObligations(context.Background(), store.ObligationFilter{Period: p}); err != nil || len(list) != 0 {
				t.Errorf("obligations of %s after refused batches = %d, %v; want none", p, len(list), err)
			}
		}
		o, err := f.db.FindObligation(context.Background(), f.tpA.ID, "企业所得税", "2025")
		if err != nil {
			t.Fatal(err)
		}
		if o.FilingDue.String() != "2026-05-31" || o.PaymentDue.String() != "2026-06-15" {
			t.Errorf("obligation = %+v, want due 2026-05-31 and 2026-06-15", o)
		}
		o, err = f.db.FindObligation(context.Background(), f.tpA.ID, "增值税", "2026-10")
		if err != nil {
			t.Fatal(err)
		}
		if o.FilingDue.String() != "2026-11-20" || o.PaymentDue.String() != "2026-11-17" && o.PaymentDue.String() != "2026-11-20" {
			t.Errorf("updated obligation = %+v, want filing due 2026-11-20", o)
		}
	})
}

func TestAPI_PostFilingsPayments(t *testing.T) {
	eachEngine(t, func(t *testing.T, f *fixture) {
		a := fmt.Sprintf(`"identifier":"%s"`, f.tpA.Identifier)
		b := fmt.Sprintf(`"taxpayer_id":%d`, f.tpB.ID)
		filing := func(who, on, amount string) string {
			return fmt.Sprintf(`{%s,"tax_type":"增值税","period":"2026-10","filed_on":"%s","amount_due":%s}`, who, on, amount)
		}
		payment := func(who, on, amount string) string {
			return fmt.Sprintf(`{%s,"tax_type":"增值税","period":"2026-10","paid_on":"%s","amount_paid":%s}`, who, on, amount)
		}
		filings := func(rows ...string) string { return `{"filings":[` + strings.Join(rows, ",") + `]}` }
		payments := func(rows ...string) string { return `{"payments":[` + strings.Join(rows, ",") + `]}` }
		okFilings := filings(filing(a, "2026-11-10", `"1,234.56"`), filing(b, "2026-11-11", `"0"`))
		okPayments := payments(payment(a, "2026-11-12", `"¥1234.56"`))
		f.run(t, []apiCase{
			{name: "FilingsForbidden", actor: "keyA", method: "POST", path: "/api/v1/filings", body: okFilings, status: 403, code: "forbidden"},
			{name: "Filings", actor: "city", method: "POST", path: "/api/v1/filings", body: okFilings, status: 200,
				has: []string{`"received":2`, `"inserted":2`}},
			{name: "FilingsAgain", actor: "city", method: "POST", path: "/api/v1/filings", body: okFilings, status: 200,
				has: []string{`"inserted":0`, `"updated":0`, `"unchanged":2`}},
			{name: "FilingCorrected", actor: "city", method: "POST", path: "/api/v1/filings",
				body: filings(filing(a, "2026-11-13", `"1300"`)), status: 200, has: []string{`"updated":1`}},
			{name: "AmountNumber", actor: "city", method: "POST", path: "/api/v1/filings",
				body: filings(filing(a, "2026-11-10", `1234.56`)), status: 400, field: "filings[0]"},
			{name: "AmountThreeDecimals", actor: "city", method: "POST", path: "/api/v1/filings",
				body: filings(filing(a, "2026-11-10", `"12.345"`)), status: 400, field: "filings[0].amount_due"},
			{name: "AmountNegative", actor: "city", method: "POST", path: "/api/v1/filings",
				body: filings(filing(b, "2026-11-10", `"5"`), filing(a, "2026-11-10", `"-1"`)), status: 400, field: "filings[1].amount_due"},
			{name: "AmountMissing", actor: "city", method: "POST", path: "/api/v1/filings",
				body: filings(filing(a, "2026-11-10", `""`)), status: 400, field: "filings[0].amount_due"},
			{name: "FiledOnMissing", actor: "city", method: "POST", path: "/api/v1/filings",
				body: filings(filing(a, "", `"1"`)), status: 400, field: "filings[0].filed_on"},
			{name: "FilingRepeated", actor: "city", method: "POST", path: "/api/v1/filings",
				body: filings(filing(a, "2026-11-10", `"1"`), filing(a, "2026-11-11", `"2"`)), status: 400, field: "filings[1]"},

			{name: "PaymentsForbidden", actor: "branchA", method: "POST", path: "/api/v1/payments", body: okPayments, status: 403, code: "forbidden"},
			{name: "Payments", actor: "city", method: "POST", path: "/api/v1/payments", body: okPayments, status: 200,
				has: []string{`"received":1`, `"updated":1`}},
			{name: "PaymentsAgain", actor: "city", method: "POST", path: "/api/v1/payments", body: okPayments, status: 200,
				has: []string{`"unchanged":1`}},
			{name: "PaymentZero", actor: "city", method: "POST", path: "/api/v1/payments",
				body: payments(payment(a, "2026-11-12", `"0.00"`)), status: 400, field: "payments[0].amount_paid"},
			{name: "PaymentBadDate", actor: "city", method: "POST", path: "/api/v1/payments",
				body: payments(payment(a, "2026-11-31", `"1"`)), status: 400, field: "payments[0].paid_on"},
			{name: "PaymentTooLarge", actor: "city", method: "POST", path: "/api/v1/payments",
				body: payments(payment(a, "2026-11-12", `"100000000000000"`)), status: 400, field: "payments[0].amount_paid"},

			{name: "List", actor: "city", method: "GET", path: fmt.Sprintf("/api/v1/obligations?taxpayer_id=%d", f.tpA.ID), status: 200,
				has: []string{`"period":"2026-10"`, `"filed_on":"2026-11-13"`, `"amount_due":"1300.00"`, `"paid_on":"2026-11-12"`,
					`"amount_paid":"1234.56"`, `"unpaid":"65.44"`}, hasNot: []string{`"filing_due"`, `"truncated"`}},
		})
	})
}

func TestAPI_PostDeductions(t *testing.T) {
	eachEngine(t, func(t *testing.T, f *fixture) {
		row := func(ref, result, at string) string {
			return fmt.Sprintf(`{"reference":"%s","identifier":"%s","tax_type":"增值税","period":"2026-11","amount":"800","result":"%s","reason":"余额不足","at":"%s"}`,
				ref, f.tpA.Identifier, result, at)
		}
		batch := func(rows ...string) string { return `{"deductions":[` + strings.Join(rows, ",") + `]}` }
		good := batch(row("BK-1", "failed", "2026-12-16T10:00:00+08:00"), row("BK-2", "success", "2026-12-17T10:00:00+08:00"))
		const path = "/api/v1/deductions"
		f.run(t, []apiCase{
			{name: "Forbidden", actor: "operatorA", method: "POST", path: path, body: good, status: 403, code: "forbidden"},
			{name: "Insert", actor: "city", method: "POST", path: path, body: good, status: 200, has: []string{`"received":2`, `"inserted":2`}},
			{name: "Again", actor: "city", method: "POST", path: path, body: good, status: 200, has: []string{`"unchanged":2`}},
			{name: "BadResult", actor: "city", method: "POST", path: path, body: batch(row("BK-3", "maybe", "2026-12-16T10:00:00Z")), status: 400,
				field: "deductions[0].result"},
			{name: "BadAt", actor: "city", method: "POST", path: path, body: batch(row("BK-3", "failed", "2026-12-16 10:00")), status: 400,
				field: "deductions[0].at"},
			{name: "NoAt", actor: "city", method: "POST", path: path, body: batch(row("BK-3", "failed", "")), status: 400,
				field: "deductions[0].at"},
			{name: "NoReference", actor: "city", method: "POST", path: path, body: batch(row(" ", "failed", "2026-12-16T10:00:00Z")), status: 400,
				field: "deductions[0].reference"},
			{name: "Repeated", actor: "city", method: "POST", path: path,
				body: batch(row("BK-3", "failed", "2026-12-16T10:00:00Z"), row("BK-3", "success", "2026-12-17T10:00:00Z")), status: 400,
				field: "deductions[1]", has: []string{"repeats deductions[0]"}},

			{name: "Get", actor: "branchA", method: "GET", path: "/api/v1/deductions/BK-1", status: 200,
				has: []string{`"reference":"BK-1"`, fmt.Sprintf(`"taxpayer_id":%d`, f.tpA.ID), `"amount":"800.00"`, `"result":"failed"`,
					`"reason":"余额不足"`, `"at":"2026-12-16T02:00:00Z"`}, hasNot: []string{"reminded_at"}},
			{name: "GetOutOfScope", actor: "operatorB", method: "GET", path: "/api/v1/deductions/BK-1", status: 404, code: "not_found",
				hasNot: []string{"800.00"}},
			{name: "GetMissing", actor: "city", method: "GET", path: "/api/v1/deductions/nope", status: 404, code: "not_found"},
		})
	})
}

func TestAPI_ListObligations(t *testing.T) {
	eachEngine(t, func(t *testing.T, f *fixture) {
		f.seedTaxData()
		idA, idB := fmt.Sprintf(`"taxpayer_id":%d`, f.tpA.ID), fmt.Sprintf(`"taxpayer_id":%d`, f.tpB.ID)
		f.run(t, []apiCase{
			{name: "All", actor: "city", method: "GET", path: "/api/v1/obligations", status: 200,
				has: []string{idA, idB, `"tax_type":"增值税"`, `"filing_due":"2026-12-15"`, `"payment_due":"2026-12-15"`,
					`"filed_on":"2026-12-03"`, `"amount_due":"500.00"`, `"amount_paid":"0.00"`, `"unpaid":"500.00"`}, hasNot: []string{`"truncated"`}},
			{name: "Branch", actor: "branchA", method: "GET", path: "/api/v1/obligations", status: 200, has: []string{idA}, hasNot: []string{idB}},
			{name: "Operator", actor: "operatorB", method: "GET", path: "/api/v1/obligations", status: 200, has: []string{idB}, hasNot: []string{idA}},
			{name: "Key", actor: "keyA", method: "GET", path: "/api/v1/obligations", status: 200, has: []string{idA}, hasNot: []string{idB}},
			{name: "Maintainer", actor: "maintainer", method: "GET", path: "/api/v1/obligations", status: 403},
			{name: "ByTaxpayer", actor: "city", method: "GET", path: fmt.Sprintf("/api/v1/obligations?taxpayer_id=%d", f.tpB.ID), status: 200,
				has: []string{idB}, hasNot: []string{idA}},
			{name: "ByIdentifier", actor: "city", method: "GET", path: "/api/v1/obligations?identifier=" + f.tpA.Identifier, status: 200,
				has: []string{idA}, hasNot: []string{idB}},
			{name: "IdentifierAndOtherID", actor: "city", method: "GET",
				path: fmt.Sprintf("/api/v1/obligations?identifier=%s&taxpayer_id=%d", f.tpA.Identifier, f.tpB.ID), status: 400, field: "identifier"},
			{name: "ByPeriod", actor: "city", method: "GET", path: "/api/v1/obligations?period=2026%E5%B9%B411%E6%9C%88", status: 200, has: []string{idA, idB}},
			{name: "OtherPeriod", actor: "city", method: "GET", path: "/api/v1/obligations?period=2026Q3", status: 200, hasNot: []string{idA, idB}},
			{name: "BadPeriod", actor: "city", method: "GET", path: "/api/v1/obligations?period=soon", status: 400, field: "period"},
			{name: "TaxpayerOutOfScope", actor: "operatorA", method: "GET", path: fmt.Sprintf("/api/v1/obligations?taxpayer_id=%d", f.tpB.ID), status: 404},
			{name: "IdentifierOutOfScope", actor: "branchA", method: "GET", path: "/api/v1/obligations?identifier=" + f.tpB.Identifier, status: 404},
			{name: "Limit", actor: "city", method: "GET", path: "/api/v1/obligations?limit=1", status: 200, has: []string{idA, `"truncated":true`}, hasNot: []string{idB}},
			{name: "BadLimit", actor: "city", method: "GET", path: "/api/v1/obligations?limit=501", status: 400, field: "limit"},
			{name: "Cursor", actor: "city", method: "GET", path: "/api/v1/obligations?cursor=abc", status: 400, field: "cursor"},
			{name: "UnknownFilter", actor: "city", method: "GET", path: "/api/v1/obligations?colour=red", status: 400, field: "colour"},
		})
	})
}

// FuzzTaxDataBodies checks the decoders of the tax data batches: any body
// is refused with an EINVALID error (naming a row when a row is at fault)
// or gives rows that are valid.
func FuzzTaxDataBodies(f *testing.F) {
	for _, s := range []string{
		`{"obligations":[{"identifier":"91370200000000001X","tax_type":"增值税","period":"2026年11月","filing_due":"2026-12-15"}]}`,
		`{"obligations":[{"taxpayer_id":3,"tax_type":"企业所得税","period":"2025","filing_due":"2026-05-31","payment_due":"2026-05-01"}]}`,
		`{"filings":[{"taxpayer_id":1,"tax_type":"增值税","period":"2026Q3","filed_on":"2026-10-10","amount_due":"1,234.56"}]}`,
		`{"payments":[{"taxpayer_id":1,"tax_type":"增值税","period":"2026-11","paid_on":"2026-12-01","amount_paid":"¥12.30元"}]}`,
		`{"deductions":[{"reference":"DK1","taxpayer_id":1,"tax_type":"增值税","period":"2026-11","amount":"1","result":"failed","at":"2026-12-16T10:00:00+08:00"}]}`,
		`{"obligations":[{},{}]}`, `{"filings":[1]}`, `{"payments":null}`, `{}`, `null`, `[]`, `{"deductions":[{"amount":12}]}`,
	} {
		f.Add([]byte(s))
	}
	resolve := func(_ context.Context, identifier string, id int64) (int64, error) {
		if id != 0 {
			return id, nil
		}
		if taxsms.NormalizeIdentifier(identifier) == "" {
			return 0, taxsms.Invalid("identifier", "unknown taxpayer")
		}
		return 7, nil
	}
	s := &Server{DB: &store.DB{}}
	f.Fuzz(func(t *testing.T, b []byte) {
		ctx := context.Background()
		check := func(kind string, n int, err error, valid func(i int) error) {
			t.Helper()
			if err != nil {
				if taxsms.ErrorCode(err) != taxsms.EINVALID {
					t.Fatalf("%s of %q: error %v, want invalid", kind, b, err)
				}
				if f := taxsms.ErrorField(err); strings.HasPrefix(f, kind+"[") && !strings.HasPrefix(taxsms.ErrorMessage(err), f) {
					t.Fatalf("%s of %q: message %q does not start with its field %q", kind, b, taxsms.ErrorMessage(err), f)
				}
				return
			}
			if n == 0 || n > MaxBatch {
				t.Fatalf("%s of %q: %d rows", kind, b, n)
			}
			for i := range n {
				if err := valid(i); err != nil {
					t.Fatalf("%s of %q: row %d is not valid: %v", kind, b, i, err)
				}
			}
		}
		if in, err := decodeTaxRows[obligationIn](b, "obligations"); err != nil {
			check("obligations", 0, err, nil)
		} else {
			rows, err := convertTaxRows(ctx, s.obligationBatch(), in, resolve)
			check("obligations", len(rows), err, func(i int) error { return rows[i].Validate() })
		}
		if in, err := decodeTaxRows[filingIn](b, "filings"); err != nil {
			check("filings", 0, err, nil)
		} else {
			rows, err := convertTaxRows(ctx, s.filingBatch(), in, resolve)
			check("filings", len(rows), err, func(i int) error { return rows[i].Validate() })
		}
		if in, err := decodeTaxRows[paymentIn](b, "payments"); err != nil {
			check("payments", 0, err, nil)
		} else {
			rows, err := convertTaxRows(ctx, s.paymentBatch(), in, resolve)
			check("payments", len(rows), err, func(i int) error { return rows[i].Validate() })
		}
		if in, err := decodeTaxRows[deductionIn](b, "deductions"); err != nil {
			check("deductions", 0, err, nil)
		} else {
			rows, err := convertTaxRows(ctx, s.deductionBatch(), in, resolve)
			check("deductions", len(rows), err, func(i int) error { return rows[i].Validate() })
		}
	})
}

// TestAPI_PostObligationsFullBatch posts the largest batch allowed, twice.
func TestAPI_PostObligationsFullBatch(t *testing.T) {
	eachEngine(t, func(t *testing.T, f *fixture) {
		rows := make([]string, 0, MaxBatch)
		for i := 0; len(rows) < MaxBatch; i++ {
			month := taxsms.Date{Year: 2000 + i/12, Month: time.Month(i%12 + 1), Day: 1}
			p := taxsms.PeriodOf(taxsms.Monthly, month)
			due := p.End().Time(time.UTC).AddDate(0, 0, 15)
			for _, tp := range []*taxsms.Taxpayer{f.tpA, f.tpB} {
				for _, tt := range []string{"增值税", "消费税", "印花税", "房产税", "城镇土地使用税"} {
					rows = append(rows, fmt.Sprintf(`{"taxpayer_id":%d,"tax_type":"%s","period":"%s","filing_due":"%s"}`,
						tp.ID, tt, p, due.Format(taxsms.DateLayout)))
				}
			}
		}
		body := `{"obligations":[` + strings.Join(rows, ",") + `]}`
		for _, want := range []string{`"inserted":10000`, `"unchanged":10000`} {
			code, b := f.do("city", "POST", "/api/v1/obligations", body)
			if code != 200 || !strings.Contains(string(b), want) {
				t.Fatalf("POST of %d obligations = %d %s, want 200 with %s", len(rows), code, b, want)
			}
		}
	})
}

// TestAPI_PostFilingsCancelsReminders checks that a filing posted to the
// API cancels the taxpayer's filing reminder still waiting for the period,
// and leaves another taxpayer's alone.
func TestAPI_PostFilingsCancelsReminders(t *testing.T) {
	eachEngine(t, func(t *testing.T, f *fixture) {
		ctx := context.Background()
		code, b := f.do("city", "POST", "/api/v1/obligations", fmt.Sprintf(`{"obligations":[%s,%s]}`,
			obligationRow(fmt.Sprintf(`"taxpayer_id":%d`, f.tpA.ID), "2026-12", "2027-01-15"),
			obligationRow(fmt.Sprintf(`"taxpayer_id":%d`, f.tpB.ID), "2026-12", "2027-01-15")))
		if code != 200 {
			t.Fatalf("POST obligations = %d %s", code, b)
		}
		reminders := map[*taxsms.Taxpayer]*taxsms.Message{}
		for _, tp := range []*taxsms.Taxpayer{f.tpA, f.tpB} {
			c := f.contactA
			if tp == f.tpB {
				c = f.contactB
			}
			m := &taxsms.Message{Direction: taxsms.MT, Kind: taxsms.KindFilingReminder, Priority: taxsms.KindFilingReminder.DefaultPriority(),
				Mobile: c.Mobile, Body: "【12366】请于2027-01-15前申报", Segments: 1, TaxpayerID: tp.ID, ContactID: c.ID, OfficeID: tp.OfficeID,
				IdempotencyKey: fmt.Sprintf("remind/filing/2026-12/%d/%d", tp.ID, c.ID)}
			if err := f.db.CreateMessage(ctx, m); err != nil {
				t.Fatal(err)
			}
			reminders[tp] = m
		}
		code, b = f.do("system", "POST", "/api/v1/filings", fmt.Sprintf(
			`{"filings":[{"identifier":"%s","tax_type":"增值税","period":"2026年12月","filed_on":"2027-01-08","amount_due":"0"}]}`, f.tpA.Identifier))
		if code != 200 {
			t.Fatalf("POST filings = %d %s", code, b)
		}
		for tp, want := range map[*taxsms.Taxpayer]taxsms.Status{f.tpA: taxsms.StatusCancelled, f.tpB: taxsms.StatusQueued} {
			m, err := f.db.FindMessage(ctx, reminders[tp].ID)
			if err != nil {
				t.Fatal(err)
			}
			if m.Status != want {
				t.Errorf("reminder of %s: status %s, want %s", tp.Name, m.Status, want)
			}
		}
	})
}
