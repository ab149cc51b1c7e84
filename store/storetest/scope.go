package storetest

import (
	"context"
	"fmt"
	"testing"

	"taxsms"
	"taxsms/auth/authtest"
)

// ExerciseScope proves, on the engine, that every read and write of the
// store keeps to the actor's scope: for each role, which taxpayers,
// contacts, messages, users and offices it sees, and which it may change.
func ExerciseScope(t *testing.T, engine string) {
	db := Open(t, engine)
	ctx := context.Background()
	root, b1, b2, op1 := city(t, db)
	op2 := &taxsms.User{Login: "shinan.op2", Name: "赵敏", OfficeID: b1.ID, Role: taxsms.RoleOperator}
	must(t, db.CreateUser(ctx, op2))
	shibei := &taxsms.User{Login: "shibei.op1", Name: "钱进", OfficeID: b2.ID, Role: taxsms.RoleOperator}
	must(t, db.CreateUser(ctx, shibei))

	// Taxpayer i: A in branch 1 assigned to op1, B in branch 1 to op2, C in branch 2.
	tps := []*taxsms.Taxpayer{newTaxpayer(b1.ID, op1.ID, 1), newTaxpayer(b1.ID, op2.ID, 2), newTaxpayer(b2.ID, shibei.ID, 3)}
	var contacts []*taxsms.Contact
	var msgs []*taxsms.Message
	for i, tp := range tps {
		must(t, db.CreateTaxpayer(ctx, tp))
		c := &taxsms.Contact{TaxpayerID: tp.ID, Role: taxsms.RoleLegalRep, Mobile: fmt.Sprintf("1380000000%d", i), Status: taxsms.ServiceActive}
		must(t, db.CreateContact(ctx, c))
		contacts = append(contacts, c)
		m := &taxsms.Message{Direction: taxsms.MT, Kind: taxsms.KindUnpaidTax, Priority: taxsms.PriorityReminder, Mobile: c.Mobile,
			TaxpayerID: tp.ID, ContactID: c.ID, OfficeID: tp.OfficeID, Body: "x", Segments: 1}
		must(t, db.CreateMessage(ctx, m))
		msgs = append(msgs, m)
	}

	type sees struct {
		taxpayers      string // which of A, B, C are visible
		writeTaxpayers string // which it may change
		users, offices int    // how many of each it sees
		imports        bool   // may it bulk import
	}
	for _, tt := range []struct {
		name  string
		ctx   context.Context
		wants sees
	}{
		{"System", ctx, sees{"ABC", "ABC", 3, 3, true}},
		{"CityAdmin", authtest.Context(ctx, taxsms.RoleCityAdmin, 100, root.Path), sees{"ABC", "ABC", 3, 3, true}},
		{"BranchAdmin", authtest.Context(ctx, taxsms.RoleBranchAdmin, 101, b1.Path), sees{"AB", "AB", 2, 1, false}},
		{"Operator", authtest.Context(ctx, taxsms.RoleOperator, op1.ID, b1.Path), sees{"A", "A", 1, 1, false}},
		{"OtherBranchOperator", authtest.Context(ctx, taxsms.RoleOperator, shibei.ID, b2.Path), sees{"C", "C", 1, 1, false}},
		{"Auditor", authtest.Context(ctx, taxsms.RoleAuditor, 102, root.Path), sees{"ABC", "", 3, 3, false}},
		{"Maintainer", authtest.Context(ctx, taxsms.RoleMaintainer, 103, root.Path), sees{"", "", 0, 3, false}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			actx := tt.ctx
			list, err := db.ListTaxpayers(actx, taxsms.TaxpayerFilter{})
			must(t, err)
			got := ""
			for i, tp := range tps {
				for _, l := range list {
					if l.ID == tp.ID {
						got += string(rune('A' + i))
					}
				}
			}
			if got != tt.wants.taxpayers {
				t.Errorf("ListTaxpayers sees %q, want %q", got, tt.wants.taxpayers)
			}
			for i, tp := range tps {
				name := string(rune('A' + i))
				visible := contains(tt.wants.taxpayers, name)
				writable := contains(tt.wants.writeTaxpayers, name)
				code := func(err error) string { return taxsms.ErrorCode(err) }
				wantRead := map[bool]string{true: "", false: taxsms.ENOTFOUND}[visible]

				_, err := db.FindTaxpayer(actx, tp.ID)
				check(t, "FindTaxpayer "+name, code(err), wantRead)
				_, err = db.FindTaxpayerByIdentifier(actx, tp.Identifier)
				check(t, "FindTaxpayerByIdentifier "+name, code(err), wantRead)
				cs, err := db.ListContacts(actx, tp.ID)
				must(t, err)
				check(t, "ListContacts "+name, fmt.Sprint(len(cs)), map[bool]string{true: "1", false: "0"}[visible])
				byMobile, err := db.FindContactsByMobile(actx, contacts[i].Mobile)
				must(t, err)
				check(t, "FindContactsByMobile "+name, fmt.Sprint(len(byMobile)), map[bool]string{true: "1", false: "0"}[visible])
				_, err = db.FindContact(actx, contacts[i].ID)
				check(t, "FindContact "+name, code(err), wantRead)
				_, err = db.FindMessage(actx, msgs[i].ID)
				check(t, "FindMessage "+name, code(err), wantRead)
				ms, err := db.ListMessages(actx, taxsms.MessageFilter{TaxpayerID: tp.ID})
				must(t, err)
				check(t, "ListMessages "+name, fmt.Sprint(len(ms)), map[bool]string{true: "1", false: "0"}[visible])

				wantWrite := map[bool]string{true: "", false: taxsms.EFORBIDDEN}[writable]
				if !visible {
					wantWrite = taxsms.ENOTFOUND
				}
				changed := *tp
				changed.Industry = "改过的行业"
				check(t, "UpdateTaxpayer "+name, code(db.UpdateTaxpayer(actx, &changed)), wantWrite)
				c := *contacts[i]
				c.Name = "改过的名字"
				check(t, "UpdateContact "+name, code(db.UpdateContact(actx, &c)), wantWrite)
			}
			// Moving a taxpayer out of one's scope, or creating one outside it, is refused.
			if tt.wants.writeTaxpayers == "AB" || tt.wants.writeTaxpayers == "A" {
				moved := *tps[0]
				moved.OfficeID = b2.ID
				check(t, "UpdateTaxpayer into another branch", taxsms.ErrorCode(db.UpdateTaxpayer(actx, &moved)), taxsms.EFORBIDDEN)
				check(t, "CreateTaxpayer in another branch", taxsms.ErrorCode(db.CreateTaxpayer(actx, newTaxpayer(b2.ID, 0, 50))), taxsms.EFORBIDDEN)
				m := &taxsms.Message{Direction: taxsms.MT, Kind: taxsms.KindSpecial, Mobile: "13900000000", Body: "x", Segments: 1, OfficeID: b2.ID}
				check(t, "CreateMessage for another branch", taxsms.ErrorCode(db.CreateMessage(actx, m)), taxsms.EFORBIDDEN)
			}
			users, err := db.ListUsers(actx, taxsms.UserFilter{})
			must(t, err)
			check(t, "ListUsers", fmt.Sprint(len(users)), fmt.Sprint(tt.wants.users))
			offices, err := db.ListOffices(actx, taxsms.OfficeFilter{})
			must(t, err)
			check(t, "ListOffices", fmt.Sprint(len(offices)), fmt.Sprint(tt.wants.offices))
			_, err = db.UpsertTaxpayers(actx, seq(newTaxpayer(b1.ID, 0, 60)))
			check(t, "UpsertTaxpayers", taxsms.ErrorCode(err), map[bool]string{true: "", false: taxsms.EFORBIDDEN}[tt.wants.imports])
		})
	}
}

func contains(s, c string) bool {
	for _, r := range s {
		if string(r) == c {
			return true
		}
	}
	return false
}

func check(t *testing.T, what, got, want string) {
	t.Helper()
	if got != want {
		t.Errorf("%s = %q, want %q", what, got, want)
	}
}
