package storetest

import (
	"context"
	"slices"
	"testing"

	"taxsms"
	"taxsms/auth"
)

// ExerciseUserSearch checks SearchUsersAfter: login or name containing the
// text, taken literally, within the actor's scope, paged by id.
func ExerciseUserSearch(t *testing.T, engine string) {
	db := Open(t, engine)
	ctx := context.Background()
	city := &taxsms.Office{Code: "C", Name: "市局"}
	must(t, db.CreateOffice(ctx, city))
	south := &taxsms.Office{ParentID: city.ID, Code: "S", Name: "市南"}
	must(t, db.CreateOffice(ctx, south))
	north := &taxsms.Office{ParentID: city.ID, Code: "N", Name: "市北"}
	must(t, db.CreateOffice(ctx, north))
	ids := map[string]int64{}
	for _, u := range []*taxsms.User{
		{Login: "south.admin", Name: "王南", OfficeID: south.ID, Role: taxsms.RoleBranchAdmin},
		{Login: "wang.fang", Name: "王芳", OfficeID: south.ID, Role: taxsms.RoleOperator},
		{Login: "li_100", Name: "李明", OfficeID: south.ID, Role: taxsms.RoleOperator},
		{Login: "li1x00", Name: "李%", OfficeID: south.ID, Role: taxsms.RoleOperator},
		{Login: "wang.bei", Name: "王北", OfficeID: north.ID, Role: taxsms.RoleOperator},
	} {
		must(t, db.CreateUser(ctx, u))
		ids[u.Login] = u.ID
	}
	a, err := db.UserActor(ctx, ids["south.admin"])
	must(t, err)
	branch := auth.NewContext(ctx, a)
	for _, tt := range []struct {
		name  string
		ctx   context.Context
		text  string
		after int64
		limit int
		want  []string
	}{
		{"Name", ctx, "王", 0, 10, []string{"south.admin", "wang.fang", "wang.bei"}},
		{"Login", ctx, "wang.", 0, 10, []string{"wang.fang", "wang.bei"}},
		{"Literal", ctx, "li_1", 0, 10, []string{"li_100"}},
		{"LiteralPercent", ctx, "%", 0, 10, []string{"li1x00"}},
		{"Scope", branch, "王", 0, 10, []string{"south.admin", "wang.fang"}},
		{"Page", ctx, "王", ids["south.admin"], 1, []string{"wang.fang"}},
		{"Empty", branch, "", 0, 10, []string{"south.admin", "wang.fang", "li_100", "li1x00"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			list, err := db.SearchUsersAfter(tt.ctx, taxsms.UserFilter{Limit: tt.limit}, tt.text, tt.after)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, u := range list {
				got = append(got, u.Login)
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("SearchUsersAfter(%q) = %v, want %v", tt.text, got, tt.want)
			}
		})
	}
}
