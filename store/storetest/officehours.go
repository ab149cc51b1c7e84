package storetest

import (
	"context"
	"testing"

	"taxsms"
	"taxsms/audit"
	"taxsms/auth"
	"taxsms/calendar"
	"taxsms/store"
)

// testOfficeHours sets working hours on offices: an office without its own
// works those of the nearest office above, then the default; only office
// managers in scope set them; bad hours change nothing.
func testOfficeHours(t *testing.T, db *store.DB) {
	ctx := context.Background()
	root, b1, b2, _ := city(t, db)
	sub := &taxsms.Office{ParentID: b1.ID, Code: "13702020100", Name: "八大关税务所"}
	must(t, db.CreateOffice(ctx, sub))
	hours := func(id int64) (string, int64) {
		t.Helper()
		s, from, err := db.OfficeHours(ctx, id)
		must(t, err)
		return calendar.FormatSessions(s), from
	}
	if h, from := hours(sub.ID); h != store.DefaultHours || from != 0 {
		t.Errorf("hours with none set = %q from %d, want the default", h, from)
	}
	must(t, db.SetOfficeHours(ctx, root.ID, "09:00-12:00, 14:00-18:00"))
	must(t, db.SetOfficeHours(ctx, b1.ID, "08:00-11:30,13:00-17:00"))
	for _, c := range []struct {
		office *taxsms.Office
		want   string
		from   int64
	}{{sub, "08:00-11:30,13:00-17:00", b1.ID}, {b1, "08:00-11:30,13:00-17:00", b1.ID}, {b2, "09:00-12:00,14:00-18:00", root.ID}} {
		if h, from := hours(c.office.ID); h != c.want || from != c.from {
			t.Errorf("hours of %s = %q from %d, want %q from %d", c.office.Name, h, from, c.want, c.from)
		}
	}
	err := db.SetOfficeHours(ctx, b1.ID, "08:00-25:00")
	wantCode(t, err, taxsms.EINVALID, "hours")
	if h, _ := hours(b1.ID); h != "08:00-11:30,13:00-17:00" {
		t.Errorf("bad hours changed them to %q", h)
	}
	other := auth.NewContext(ctx, &auth.Actor{UserID: 99, Login: "shibei.admin", Role: taxsms.RoleBranchAdmin,
		OfficeID: b2.ID, OfficePath: b2.Path, Permissions: []auth.Permission{auth.PermManageOffices}})
	wantCode(t, db.SetOfficeHours(other, b1.ID, ""), taxsms.EFORBIDDEN, "")
	noPerm := auth.NewContext(ctx, &auth.Actor{UserID: 98, Login: "shinan.op", Role: taxsms.RoleOperator, OfficeID: b1.ID, OfficePath: b1.Path})
	wantCode(t, db.SetOfficeHours(noPerm, b1.ID, ""), taxsms.EFORBIDDEN, "")
	must(t, db.SetOfficeHours(ctx, b1.ID, ""))
	if h, from := hours(sub.ID); h != "09:00-12:00,14:00-18:00" || from != root.ID {
		t.Errorf("after b1's hours were removed, the sub-office works %q from %d, want the city's", h, from)
	}
	recs, err := db.ListAudit(ctx, audit.Filter{Action: audit.OfficeChanged, Contains: "working hours"})
	must(t, err)
	if len(recs) != 3 {
		t.Errorf("%d audit records of working hours, want 3 (two set, one removed)", len(recs))
	}
}
