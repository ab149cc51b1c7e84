package auth_test

import (
	"context"
	"slices"
	"testing"

	"taxsms"
	"taxsms/auth"
)

func TestContext(t *testing.T) {
	t.Run("OK", func(t *testing.T) {
		a := &auth.Actor{UserID: 7, Login: "li", Role: taxsms.RoleOperator}
		got, ok := auth.FromContext(auth.NewContext(context.Background(), a))
		if !ok || got != a {
			t.Errorf("FromContext = %v, %v, want %v, true", got, ok, a)
		}
	})
	t.Run("System", func(t *testing.T) {
		for name, ctx := range map[string]context.Context{
			"Empty":    context.Background(),
			"NilActor": auth.NewContext(context.Background(), nil),
		} {
			a, ok := auth.FromContext(ctx)
			if a != nil || ok {
				t.Errorf("%s: FromContext = %v, %v, want nil, false", name, a, ok)
			}
			if got, want := auth.AccessFrom(ctx, auth.DataTaxpayers), (auth.Access{Read: auth.ScopeAll(), Write: auth.ScopeAll()}); got != want {
				t.Errorf("%s: AccessFrom = %v, want %v", name, got, want)
			}
		}
	})
}

func TestActor_Has(t *testing.T) {
	var system *auth.Actor
	op := &auth.Actor{UserID: 7, Login: "li", Role: taxsms.RoleOperator, Permissions: []auth.Permission{auth.PermSendOwn}}
	for _, c := range []struct {
		a    *auth.Actor
		p    auth.Permission
		want bool
	}{
		{system, auth.PermSendCity, true},
		{op, auth.PermSendOwn, true},
		{op, auth.PermSendJurisdiction, false},
		{&auth.Actor{}, auth.PermSendOwn, false},
	} {
		if got := c.a.Has(c.p); got != c.want {
			t.Errorf("%v.Has(%s) = %v, want %v", c.a, c.p, got, c.want)
		}
		err := c.a.Require(c.p)
		if c.want {
			wantCode(t, err, "")
		} else {
			wantCode(t, err, taxsms.EFORBIDDEN)
		}
	}
	if got, want := taxsms.ErrorMessage(op.Require(auth.PermExport)), `user li (7) does not hold the permission "export"`; got != want {
		t.Errorf("Require message = %q, want %q", got, want)
	}
}

func TestUserActor(t *testing.T) {
	u := &taxsms.User{ID: 3, Login: "aud", Role: taxsms.RoleAuditor, OfficeID: 1}
	a := auth.UserActor(u, "/1/", []auth.Permission{auth.PermReadAll, auth.PermSendCity, auth.PermReadAll, "fly"})
	if want := []auth.Permission{auth.PermReadAll}; !slices.Equal(a.Permissions, want) {
		t.Errorf("Permissions = %v, want %v (beyond the ceiling dropped)", a.Permissions, want)
	}
	if a.UserID != 3 || a.Login != "aud" || a.Role != taxsms.RoleAuditor || a.OfficeID != 1 || a.OfficePath != "/1/" {
		t.Errorf("UserActor = %+v", a)
	}
}

func TestScope_Contains(t *testing.T) {
	for _, c := range []struct {
		s     auth.Scope
		path  string
		owner int64
		want  bool
	}{
		{auth.ScopeAll(), "/1/9/", 0, true},
		{auth.ScopeNone(), "/1/", 7, false},
		{auth.Scope{}, "/1/", 7, false},
		{auth.ScopeSubtree("/1/5/"), "/1/5/", 0, true},
		{auth.ScopeSubtree("/1/5/"), "/1/5/12/", 0, true},
		{auth.ScopeSubtree("/1/5/"), "/1/50/", 0, false},
		{auth.ScopeSubtree("/1/5/"), "/1/", 0, false},
		{auth.ScopeSubtree("/1/5/"), "/1/6/5/", 0, false},
		{auth.ScopeSubtree("/1/5/"), "", 0, false},
		{auth.ScopeSubtree("/1/5"), "/1/50/", 0, false},
		{auth.ScopeSubtree(""), "/1/", 0, false},
		{auth.ScopeSubtree("/"), "/1/", 0, false},
		{auth.ScopeSubtree("/1//"), "/1//", 0, false},
		{auth.ScopeSubtree("/1/x/"), "/1/x/", 0, false},
		{auth.ScopeAssigned(7), "/1/5/", 7, true},
		{auth.ScopeAssigned(7), "/1/5/", 8, false},
		{auth.ScopeAssigned(0), "/1/5/", 0, false},
	} {
		if got := c.s.Contains(c.path, c.owner); got != c.want {
			t.Errorf("%v.Contains(%q, %d) = %v, want %v", c.s, c.path, c.owner, got, c.want)
		}
	}
}

func TestActor_Access(t *testing.T) {
	all, none := auth.ScopeAll(), auth.ScopeNone()
	sub := auth.ScopeSubtree("/1/5/")
	own := auth.ScopeAssigned(7)
	actor := func(r taxsms.Role) *auth.Actor {
		return &auth.Actor{UserID: 7, Login: "x", Role: r, OfficeID: 5, OfficePath: "/1/5/"}
	}
	key := auth.APIKey{ID: 3, Name: "core", OfficeID: 5, OfficePath: "/1/5/"}.Actor()
	type rw = auth.Access
	for _, c := range []struct {
		a    *auth.Actor
		d    auth.Data
		want auth.Access
	}{
		{nil, auth.DataAudit, rw{all, all}},
		{actor(taxsms.RoleCityAdmin), auth.DataTaxpayers, rw{all, all}},
		{actor(taxsms.RoleCityAdmin), auth.DataAudit, rw{all, none}},
		{actor(taxsms.RoleCityAdmin), auth.DataLinks, rw{all, all}},
		{actor(taxsms.RoleBranchAdmin), auth.DataTaxpayers, rw{sub, sub}},
		{actor(taxsms.RoleBranchAdmin), auth.DataUsers, rw{sub, sub}},
		{actor(taxsms.RoleBranchAdmin), auth.DataAudit, rw{sub, none}},
		{actor(taxsms.RoleBranchAdmin), auth.DataLinks, rw{none, none}},
		{actor(taxsms.RoleOperator), auth.DataTaxpayers, rw{own, own}},
		{actor(taxsms.RoleOperator), auth.DataMessages, rw{own, own}},
		{actor(taxsms.RoleOperator), auth.DataTickets, rw{own, own}},
		{actor(taxsms.RoleOperator), auth.DataUsers, rw{own, none}},
		{actor(taxsms.RoleOperator), auth.DataOffices, rw{sub, none}},
		{actor(taxsms.RoleOperator), auth.DataAudit, rw{none, none}},
		{actor(taxsms.RoleAuditor), auth.DataTaxpayers, rw{all, none}},
		{actor(taxsms.RoleAuditor), auth.DataLinks, rw{all, none}},
		{actor(taxsms.RoleMaintainer), auth.DataTaxpayers, rw{none, none}},
		{actor(taxsms.RoleMaintainer), auth.DataMessages, rw{none, none}},
		{actor(taxsms.RoleMaintainer), auth.DataLinks, rw{all, all}},
		{actor(taxsms.RoleMaintainer), auth.DataUsers, rw{own, none}},
		{key, auth.DataTaxpayers, rw{sub, sub}},
		{key, auth.DataOffices, rw{sub, none}},
		{key, auth.DataUsers, rw{none, none}},
		{key, auth.DataLinks, rw{none, none}},
		{actor("king"), auth.DataTaxpayers, rw{none, none}},
		{actor(taxsms.RoleCityAdmin), "weather", rw{none, none}},
		{actor(taxsms.RoleBranchAdmin), "weather", rw{none, none}},
	} {
		if got := c.a.Access(c.d); got != c.want {
			t.Errorf("%v (%s).Access(%s) = %v, want %v", c.a, roleOf(c.a), c.d, got, c.want)
		}
	}

	// Write is never wider than Read, for any role and kind.
	kinds := []auth.Data{auth.DataTaxpayers, auth.DataMessages, auth.DataTickets, auth.DataUsers, auth.DataOffices, auth.DataAudit, auth.DataLinks, auth.DataBilling}
	for _, r := range taxsms.Roles {
		for _, d := range kinds {
			acc := actor(r).Access(d)
			if acc.Write.Level > acc.Read.Level {
				t.Errorf("%s on %s: write %v wider than read %v", r, d, acc.Write, acc.Read)
			}
		}
	}
}

func roleOf(a *auth.Actor) taxsms.Role {
	if a == nil {
		return "system"
	}
	return a.Role
}
