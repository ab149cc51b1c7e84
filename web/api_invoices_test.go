package web

import (
	"context"
	"testing"

	"taxsms/invoice"
)

func TestAPI_PostInvoices(t *testing.T) {
	eachEngine(t, func(t *testing.T, f *fixture) {
		const path = "/api/v1/invoices"
		good := `{"invoices":[{"code":"3702191130","number":"12345678","status":"valid","seller_name":"青岛海纳贸易有限公司","issued_on":"2026-11-20","amount":"1130.00"},` +
			`{"number":"25372000000012345678","status":"void","seller_name":"青岛海川电子有限公司","issued_on":"2026-11-21"}]}`
		f.run(t, []apiCase{
			{name: "BranchAdmin", actor: "branchA", method: "POST", path: path, body: good, status: 403, code: "forbidden"},
			{name: "Insert", actor: "city", method: "POST", path: path, body: good, status: 200, has: []string{`"received":2`, `"inserted":2`}},
			{name: "Again", actor: "city", method: "POST", path: path, body: good, status: 200, has: []string{`"unchanged":2`}},
			{name: "BadStatus", actor: "city", method: "POST", path: path, status: 400, field: "invoices[0].status",
				body: `{"invoices":[{"code":"3702191130","number":"12345679","status":"lost","seller_name":"某公司","issued_on":"2026-11-20"}]}`},
			{name: "BadDate", actor: "city", method: "POST", path: path, status: 400, field: "invoices[0].issued_on",
				body: `{"invoices":[{"code":"3702191130","number":"12345679","status":"valid","seller_name":"某公司","issued_on":"2026/11/20"}]}`},
			{name: "Repeated", actor: "city", method: "POST", path: path, status: 400,
				body: `{"invoices":[{"code":"3702191130","number":"12345670","status":"valid","seller_name":"甲","issued_on":"2026-11-20"},{"code":"3702191130","number":"12345670","status":"void","seller_name":"甲","issued_on":"2026-11-20"}]}`},
		})
		q, err := invoice.Parse("FP 3702191130 12345678")
		must(t, err)
		r, err := f.db.LookupInvoice(context.Background(), q)
		if err != nil || r.SellerName != "青岛海纳贸易有限公司" || r.Status != invoice.StatusValid {
			t.Errorf("the posted invoice looked up = %+v, %v", r, err)
		}
	})
}
