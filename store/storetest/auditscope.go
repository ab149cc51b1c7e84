package storetest

import (
	"context"
	"slices"
	"testing"

	"taxsms"
	"taxsms/audit"
	"taxsms/auth"
)

// ExerciseAuditScope checks that the audit archive is read within the
// actor's scope (ListAuditInScope, ExportAuditInScope): all of it for a
// city administrator and an auditor, the records of its subtree's users for
// a branch administrator, none of it for an operator.
func ExerciseAuditScope(t *testing.T, engine string) {
	db := Open(t, engine)
	ctx := context.Background()
	city := &taxsms.Office{Code: "C", Name: "市局"}
	must(t, db.CreateOffice(ctx, city))
	south := &taxsms.Office{ParentID: city.ID, Code: "S", Name: "市南"}
	must(t, db.CreateOffice(ctx, south))
	north := &taxsms.Office{ParentID: city.ID, Code: "N", Name: "市北"}
	must(t, db.CreateOffice(ctx, north))
	users := map[string]*taxsms.User{}
	for _, u := range []*taxsms.User{
		{Login: "city", Name: "市", OfficeID: city.ID, Role: taxsms.RoleCityAdmin},
		{Login: "south.admin", Name: "南", OfficeID: south.ID, Role: taxsms.RoleBranchAdmin},
		{Login: "south.op", Name: "南操", OfficeID: south.ID, Role: taxsms.RoleOperator},
		{Login: "north.op", Name: "北操", OfficeID: north.ID, Role: taxsms.RoleOperator},
		{Login: "auditor", Name: "审", OfficeID: city.ID, Role: taxsms.RoleAuditor},
	} {
		must(t, db.CreateUser(ctx, u))
		users[u.Login] = u
		must(t, db.AppendAudit(ctx, audit.Entry{Actor: audit.User(u.ID, u.Login, u.Role), Action: audit.SignIn, Detail: "scope test"}))
	}
	actor := func(login string) context.Context {
		a, err := db.UserActor(ctx, users[login].ID)
		must(t, err)
		return auth.NewContext(ctx, a)
	}
	f := audit.Filter{Action: audit.SignIn, Contains: "scope test", Limit: 100}
	for _, tt := range []struct {
		login string
		want  []string // logins whose records are read, newest first
	}{
		{"city", []string{"auditor", "north.op", "south.op", "south.admin", "city"}},
		{"auditor", []string{"auditor", "north.op", "south.op", "south.admin", "city"}},
		{"south.admin", []string{"south.op", "south.admin"}},
	} {
		t.Run(tt.login, func(t *testing.T) {
			list, err := db.ListAuditInScope(actor(tt.login), f)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, e := range list {
				got = append(got, e.Actor.Login)
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("ListAuditInScope = %v, want %v", got, tt.want)
			}
			var exported []string
			for e, err := range db.ExportAuditInScope(actor(tt.login), f) {
				if err != nil {
					t.Fatal(err)
				}
				exported = append([]string{e.Actor.Login}, exported...) // oldest first: reversed
			}
			if !slices.Equal(exported, tt.want) {
				t.Errorf("ExportAuditInScope = %v, want %v", exported, tt.want)
			}
		})
	}
	t.Run("ErrOperator", func(t *testing.T) {
		if _, err := db.ListAuditInScope(actor("south.op"), f); taxsms.ErrorCode(err) != taxsms.EFORBIDDEN {
			t.Errorf("ListAuditInScope(operator) = %v, want EFORBIDDEN", err)
		}
		for _, err := range db.ExportAuditInScope(actor("south.op"), f) {
			if taxsms.ErrorCode(err) != taxsms.EFORBIDDEN {
				t.Errorf("ExportAuditInScope(operator) = %v, want EFORBIDDEN", err)
			}
		}
	})
}
