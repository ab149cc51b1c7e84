package auth_test

import (
	"slices"
	"testing"

	"taxsms"
	"taxsms/auth"
)

// wantCode fails t unless err's taxsms code is want ("" for nil).
func wantCode(t *testing.T, err error, want string) {
	t.Helper()
	if got := taxsms.ErrorCode(err); got != want {
		t.Fatalf("error = %v (code %q), want code %q", err, got, want)
	}
}

func TestDefaultPermissions(t *testing.T) {
	for _, role := range taxsms.Roles {
		t.Run(string(role), func(t *testing.T) {
			def, ceiling := auth.DefaultPermissions(role), auth.RolePermissions(role)
			if len(def) == 0 {
				t.Fatalf("DefaultPermissions(%s) is empty", role)
			}
			for _, p := range def {
				if !p.Valid() {
					t.Errorf("default %q is not a known permission", p)
				}
				if !slices.Contains(ceiling, p) {
					t.Errorf("default %q is beyond the role's ceiling", p)
				}
			}
			if err := auth.CanGrant(nil, role, "/1/", def); err != nil {
				t.Errorf("CanGrant(system, defaults) = %v, want nil", err)
			}
		})
	}
	t.Run("Fresh", func(t *testing.T) {
		p := auth.DefaultPermissions(taxsms.RoleOperator)
		p[0] = "changed"
		if got := auth.DefaultPermissions(taxsms.RoleOperator)[0]; got == "changed" {
			t.Errorf("DefaultPermissions returned the table's own slice")
		}
	})
	t.Run("Unknown", func(t *testing.T) {
		if got := auth.DefaultPermissions("king"); got != nil {
			t.Errorf("DefaultPermissions(king) = %v, want nil", got)
		}
	})
	t.Run("Meaning", func(t *testing.T) {
		for _, c := range []struct {
			role taxsms.Role
			p    auth.Permission
			may  bool
		}{
			{taxsms.RoleAuditor, auth.PermSendOwn, false},
			{taxsms.RoleAuditor, auth.PermApprove, false},
			{taxsms.RoleAuditor, auth.PermReadAll, true},
			{taxsms.RoleMaintainer, auth.PermRevealNumbers, false},
			{taxsms.RoleMaintainer, auth.PermSendOwn, false},
			{taxsms.RoleMaintainer, auth.PermManageCarriers, true},
			{taxsms.RoleBranchAdmin, auth.PermSendCity, false},
			{taxsms.RoleOperator, auth.PermSendCity, false},
			{taxsms.RoleOperator, auth.PermManageUsers, false},
			{taxsms.RoleCityAdmin, auth.PermSendCity, true},
		} {
			if got := slices.Contains(auth.RolePermissions(c.role), c.p); got != c.may {
				t.Errorf("%s may hold %s = %v, want %v", c.role, c.p, got, c.may)
			}
		}
	})
}

func TestParsePermissions(t *testing.T) {
	got, err := auth.ParsePermissions([]string{"send_own", " approve", "send_own"})
	wantCode(t, err, "")
	if want := []auth.Permission{auth.PermApprove, auth.PermSendOwn}; !slices.Equal(got, want) {
		t.Errorf("ParsePermissions = %v, want %v", got, want)
	}
	_, err = auth.ParsePermissions([]string{"send_own", "fly"})
	wantCode(t, err, taxsms.EINVALID)
	if got, want := taxsms.ErrorMessage(err), `permissions: unknown permission "fly"`; got != want {
		t.Errorf("message = %q, want %q", got, want)
	}
}

func TestCanGrant(t *testing.T) {
	city := &auth.Actor{UserID: 1, Login: "city", Role: taxsms.RoleCityAdmin, OfficePath: "/1/", Permissions: auth.DefaultPermissions(taxsms.RoleCityAdmin)}
	branch := &auth.Actor{UserID: 2, Login: "br5", Role: taxsms.RoleBranchAdmin, OfficePath: "/1/5/",
		Permissions: []auth.Permission{auth.PermManageUsers, auth.PermSendOwn, auth.PermSendJurisdiction, auth.PermAnswerTickets}}
	branchNoManage := &auth.Actor{UserID: 3, Login: "br6", Role: taxsms.RoleBranchAdmin, OfficePath: "/1/6/",
		Permissions: []auth.Permission{auth.PermSendOwn}}
	operator := &auth.Actor{UserID: 4, Login: "op", Role: taxsms.RoleOperator, OfficePath: "/1/5/",
		Permissions: []auth.Permission{auth.PermSendOwn, auth.PermManageUsers}} // a stale row: still not a granter
	auditor := &auth.Actor{UserID: 5, Login: "aud", Role: taxsms.RoleAuditor, OfficePath: "/1/", Permissions: auth.DefaultPermissions(taxsms.RoleAuditor)}
	key := &auth.Actor{APIKeyID: 9, OfficePath: "/1/", Permissions: auth.APIKeyPermissions()}
	sendOwn := []auth.Permission{auth.PermSendOwn}

	for _, c := range []struct {
		name    string
		granter *auth.Actor
		role    taxsms.Role
		path    string
		perms   []auth.Permission
		code    string
		field   string
	}{
		{"SystemAnything", nil, taxsms.RoleCityAdmin, "/1/", auth.AllPermissions, "", ""},
		{"CityToAnyone", city, taxsms.RoleBranchAdmin, "/1/7/", auth.DefaultPermissions(taxsms.RoleBranchAdmin), "", ""},
		{"CityToOperatorElsewhere", city, taxsms.RoleOperator, "/1/7/9/", []auth.Permission{auth.PermApprove, auth.PermRevealNumbers}, "", ""},
		{"BranchToOwnOperator", branch, taxsms.RoleOperator, "/1/5/", sendOwn, "", ""},
		{"BranchToOperatorBelow", branch, taxsms.RoleOperator, "/1/5/12/", []auth.Permission{auth.PermSendOwn, auth.PermSendJurisdiction}, "", ""},
		{"BranchRemovesAll", branch, taxsms.RoleOperator, "/1/5/", nil, "", ""},
		{"BranchApproveNotHeld", branch, taxsms.RoleOperator, "/1/5/", []auth.Permission{auth.PermSendOwn, auth.PermApprove}, taxsms.EFORBIDDEN, "permissions"},
		{"BranchOtherBranch", branch, taxsms.RoleOperator, "/1/6/", sendOwn, taxsms.EFORBIDDEN, "office"},
		{"BranchPrefixIsNotSubtree", branch, taxsms.RoleOperator, "/1/50/", sendOwn, taxsms.EFORBIDDEN, "office"},
		{"BranchParent", branch, taxsms.RoleOperator, "/1/", sendOwn, taxsms.EFORBIDDEN, "office"},
		{"BranchBadPath", branch, taxsms.RoleOperator, "", sendOwn, taxsms.EFORBIDDEN, "office"},
		{"BranchToBranchAdmin", branch, taxsms.RoleBranchAdmin, "/1/5/12/", sendOwn, taxsms.EFORBIDDEN, "role"},
		{"BranchWithoutManageUsers", branchNoManage, taxsms.RoleOperator, "/1/6/", sendOwn, taxsms.EFORBIDDEN, "permissions"},
		{"OperatorAnything", operator, taxsms.RoleOperator, "/1/5/", sendOwn, taxsms.EFORBIDDEN, "permissions"},
		{"AuditorAnything", auditor, taxsms.RoleOperator, "/1/5/", sendOwn, taxsms.EFORBIDDEN, "permissions"},
		{"APIKey", key, taxsms.RoleOperator, "/1/5/", sendOwn, taxsms.EFORBIDDEN, "permissions"},
		{"BeyondCeiling", city, taxsms.RoleAuditor, "/1/", []auth.Permission{auth.PermSendCity}, taxsms.EFORBIDDEN, "permissions"},
		{"BeyondCeilingForSystem", nil, taxsms.RoleMaintainer, "/1/", []auth.Permission{auth.PermRevealNumbers}, taxsms.EFORBIDDEN, "permissions"},
		{"UnknownPermission", city, taxsms.RoleOperator, "/1/", []auth.Permission{"fly"}, taxsms.EINVALID, "permissions"},
		{"UnknownRole", city, "king", "/1/", sendOwn, taxsms.EINVALID, "role"},
	} {
		t.Run(c.name, func(t *testing.T) {
			err := auth.CanGrant(c.granter, c.role, c.path, c.perms)
			wantCode(t, err, c.code)
			if got := taxsms.ErrorField(err); got != c.field {
				t.Errorf("field = %q, want %q (%v)", got, c.field, err)
			}
		})
	}

	t.Run("MessageNamesWhat", func(t *testing.T) {
		err := auth.CanGrant(branch, taxsms.RoleOperator, "/1/5/", []auth.Permission{auth.PermApprove})
		if got, want := taxsms.ErrorMessage(err), `user br5 (2) may not grant "approve": it does not hold it`; got != want {
			t.Errorf("message = %q, want %q", got, want)
		}
	})
}
