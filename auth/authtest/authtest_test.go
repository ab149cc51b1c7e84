package authtest_test

import (
	"context"
	"fmt"
	"testing"

	"taxsms"
	"taxsms/auth"
	"taxsms/auth/authtest"
)

func TestActor(t *testing.T) {
	for _, c := range []struct {
		path   string
		office int64
	}{{"/1/5/12/", 12}, {"/1/", 1}, {"", 0}, {"/x/", 0}} {
		a := authtest.Actor(taxsms.RoleBranchAdmin, 4, c.path)
		if a.OfficeID != c.office || a.Login != "user4" || a.UserID != 4 || a.OfficePath != c.path {
			t.Errorf("Actor(%q) = %+v, want office %d", c.path, a, c.office)
		}
	}
}

func TestHasher(t *testing.T) {
	ctx := context.Background()
	h := authtest.Hasher()
	enc, err := h.Hash(ctx, "Laoshan-tax-2025")
	if err != nil {
		t.Fatal(err)
	}
	if err := h.Verify(ctx, enc, "Laoshan-tax-2025"); err != nil {
		t.Errorf("Verify = %v, want nil", err)
	}
	if authtest.CSRF().Token("s") == "" {
		t.Errorf("CSRF token is empty")
	}
}

// A store test runs a read as an operator of office 12.
func ExampleContext() {
	ctx := authtest.Context(context.Background(), taxsms.RoleOperator, 7, "/1/5/12/")
	fmt.Println(auth.AccessFrom(ctx, auth.DataTaxpayers).Read)
	fmt.Println(auth.AccessFrom(ctx, auth.DataOffices).Read)
	// Output:
	// assigned to 7
	// subtree /1/5/12/
}
