package web

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"taxsms"
	"taxsms/audit"
	"taxsms/auth"
)

// TestConsole_TaxpayersExport exports the taxpayers of a search: only with
// the export permission, within the scope, numbers masked unless the user
// may reveal them, and recorded before the rows go.
func TestConsole_TaxpayersExport(t *testing.T) {
	tc := startConsole(t)
	ctx := context.Background()
	op := tc.users[taxsms.RoleOperator]
	for i, admin := range []int64{op.ID, 0} {
		first := fmt.Sprintf("91370202MA%07d", 900+i)
		tp := &taxsms.Taxpayer{Identifier: first + string(taxsms.USCCCheck(first)), Name: fmt.Sprintf("导出测试%d有限公司", i),
			OfficeID: op.OfficeID, AdminID: admin, Registered: taxsms.Date{Year: 2024, Month: 1, Day: 2}, TaxTypes: []string{"增值税"}}
		must(t, tc.db.CreateTaxpayer(ctx, tp))
		must(t, tc.db.CreateContact(ctx, &taxsms.Contact{TaxpayerID: tp.ID, Role: taxsms.RoleTaxClerk, Name: "会计",
			Mobile: fmt.Sprintf("1391234%04d", i), Status: taxsms.ServiceActive}))
	}
	b := tc.browser()
	b.mustSignIn(op.Login)
	if r := b.get("/taxpayers/export.csv"); r.Status != http.StatusForbidden {
		t.Fatalf("export without the permission: %d, want 403", r.Status)
	}
	must(t, tc.db.SetUserPermissions(ctx, op.ID, []auth.Permission{auth.PermSendOwn, auth.PermAnswerTickets, auth.PermExport}))
	b = tc.browser()
	b.mustSignIn(op.Login)
	r := b.get("/taxpayers/export.csv?name=导出测试")
	if r.Status != http.StatusOK || !strings.HasPrefix(r.Header.Get("Content-Type"), "text/csv") {
		t.Fatalf("export = %d %s", r.Status, r.Header.Get("Content-Type"))
	}
	if !strings.Contains(r.Body, "导出测试0有限公司") || !strings.Contains(r.Body, "139****0000") ||
		strings.Contains(r.Body, "13912340000") || strings.Contains(r.Body, "导出测试1有限公司") {
		t.Errorf("operator's export:\n%s\nwant its own taxpayer only, the number masked", r.Body)
	}
	b = tc.browser()
	b.mustSignIn(tc.users[taxsms.RoleBranchAdmin].Login)
	r = b.get("/taxpayers/export.csv?name=导出测试")
	if !strings.Contains(r.Body, "13912340000") || !strings.Contains(r.Body, "13912340001") {
		t.Errorf("branch administrator's export:\n%s\nwant both taxpayers, numbers in full (it may reveal them)", r.Body)
	}
	recs, err := tc.db.ListAudit(ctx, audit.Filter{Action: audit.Exported})
	must(t, err)
	if len(recs) != 2 || recs[0].Object.Type != "taxpayers, numbers in full" || recs[1].Object.Type != "taxpayers" ||
		!strings.Contains(recs[1].Detail, "name=") {
		t.Errorf("audit records of the exports = %+v", recs)
	}
}
