package storetest

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"taxsms"
	"taxsms/auth"
	"taxsms/store"
)

// campaignCity is city() with taxpayers: in b1 three (contacts active,
// active with a number shared, opted out, cancelled, pending), in b2 one.
func campaignCity(t *testing.T, db *store.DB) (root, b1, b2 *taxsms.Office, op *taxsms.User, tps []*taxsms.Taxpayer) {
	t.Helper()
	ctx := context.Background()
	root, b1, b2, op = city(t, db)
	add := func(n int, office int64, statuses ...taxsms.ServiceStatus) {
		first := fmt.Sprintf("91370200MA3C6X%03d", n)
		tp := &taxsms.Taxpayer{Identifier: first + string(taxsms.USCCCheck(first)), Name: fmt.Sprintf("纳税人%d", n), OfficeID: office,
			AdminID: op.ID, TaxTypes: []string{"增值税", "企业所得税"}, Industry: "批发业"}
		if n == 2 {
			tp.TaxTypes, tp.Industry = []string{"个人所得税"}, "零售业"
		}
		must(t, db.CreateTaxpayer(ctx, tp))
		for i, st := range statuses {
			mobile := fmt.Sprintf("138%08d", n*10+i)
			if st == "shared" {
				mobile, st = "13812345678", taxsms.ServiceActive
			}
			must(t, db.CreateContact(ctx, &taxsms.Contact{TaxpayerID: tp.ID, Role: taxsms.ContactRoles[i], Mobile: mobile, Status: st}))
		}
		tps = append(tps, tp)
	}
	add(0, b1.ID, taxsms.ServiceActive, "shared")
	add(1, b1.ID, "shared", taxsms.ServiceOptedOut, taxsms.ServiceCancelled)
	add(2, b1.ID, taxsms.ServiceActive, taxsms.ServicePending)
	add(3, b2.ID, taxsms.ServiceActive, taxsms.ServiceActive)
	return
}

func testCampaign(t *testing.T, db *store.DB) {
	ctx := context.Background()
	root, b1, b2, op, tps := campaignCity(t, db)
	newCampaign := func(t *testing.T, a taxsms.Audience) *taxsms.Campaign {
		t.Helper()
		kind := taxsms.KindSpecial
		if a.Staff() {
			kind = taxsms.KindInternal
		}
		c := &taxsms.Campaign{OfficeID: b1.ID, Kind: kind, Title: "征期提醒", Template: "{name}：请于15日前申报。", Audience: a}
		must(t, db.CreateCampaign(ctx, c))
		return c
	}
	rd := store.Render{Head: "【青岛税务】", Tail: taxsms.OptOutLine}

	t.Run("CRUD", func(t *testing.T) {
		opCtx := auth.NewContext(ctx, &auth.Actor{UserID: op.ID, Login: op.Login, Role: taxsms.RoleOperator, OfficeID: b1.ID, OfficePath: b1.Path})
		c := &taxsms.Campaign{OfficeID: b1.ID, Kind: taxsms.KindSpecial, Title: "t", Template: "请申报",
			Audience: taxsms.Audience{Type: taxsms.AudienceTaxpayers, AdminID: op.ID}}
		must(t, db.CreateCampaign(opCtx, c))
		if c.AuthorID != op.ID || c.State != taxsms.CampaignDraft {
			t.Fatalf("AuthorID, State = %d, %s", c.AuthorID, c.State)
		}
		got, err := db.FindCampaign(opCtx, c.ID)
		must(t, err)
		if got.Title != "t" || got.Audience.AdminID != op.ID {
			t.Errorf("found %+v", got)
		}
		got.Title = "t2"
		must(t, db.UpdateCampaign(opCtx, got))
		list, err := db.ListCampaigns(opCtx, taxsms.CampaignFilter{State: taxsms.CampaignDraft})
		must(t, err)
		if len(list) != 1 || list[0].Title != "t2" {
			t.Errorf("ListCampaigns = %v", list)
		}
		h, err := db.CampaignHistory(opCtx, c.ID)
		must(t, err)
		if len(h) != 2 || h[0].Actor == "" {
			t.Errorf("history = %+v", h)
		}
		// Another branch's administrator does not see it.
		other := auth.NewContext(ctx, &auth.Actor{UserID: 999, Login: "x", Role: taxsms.RoleBranchAdmin, OfficeID: b2.ID, OfficePath: b2.Path})
		_, err = db.FindCampaign(other, c.ID)
		wantCode(t, err, taxsms.ENOTFOUND, "")
		err = db.CreateCampaign(other, &taxsms.Campaign{OfficeID: b1.ID, Kind: taxsms.KindSpecial, Title: "t", Template: "x",
			Audience: taxsms.Audience{Type: taxsms.AudienceTaxpayers}})
		wantCode(t, err, taxsms.EFORBIDDEN, "")
		err = db.CreateCampaign(ctx, &taxsms.Campaign{OfficeID: b1.ID, Kind: taxsms.KindSpecial, Title: "t", Template: "{amount}",
			Audience: taxsms.Audience{Type: taxsms.AudienceTaxpayers}})
		wantCode(t, err, taxsms.EINVALID, "template")
	})

	t.Run("Count", func(t *testing.T) {
		for _, tc := range []struct {
			name     string
			a        taxsms.Audience
			want     int
			dup      int
			excluded map[string]int
		}{
			{"Office", taxsms.Audience{Type: taxsms.AudienceTaxpayers}, 3, 1, map[string]int{"opted_out": 1, "cancelled": 1, "pending": 1}},
			{"City", taxsms.Audience{Type: taxsms.AudienceTaxpayers, Subtree: root.ID}, 5, 1, nil},
			{"TaxType", taxsms.Audience{Type: taxsms.AudienceTaxpayers, TaxTypes: []string{"个人所得税"}}, 1, 0, nil},
			{"Industry", taxsms.Audience{Type: taxsms.AudienceTaxpayers, Industry: "批发业"}, 2, 1, nil},
			{"Role", taxsms.Audience{Type: taxsms.AudienceTaxpayers, Roles: []taxsms.ContactRole{taxsms.RoleLegalRep}}, 3, 0, nil},
			{"Staff", taxsms.Audience{Type: taxsms.AudienceStaff, Subtree: root.ID}, 1, 0, nil},
		} {
			t.Run(tc.name, func(t *testing.T) {
				c := newCampaign(t, tc.a)
				n, err := db.CountAudience(ctx, c.ID, rd)
				must(t, err)
				if n.Recipients != tc.want || n.Duplicates != tc.dup {
					t.Errorf("Recipients, Duplicates = %d, %d, want %d, %d", n.Recipients, n.Duplicates, tc.want, tc.dup)
				}
				for k, v := range tc.excluded {
					if n.Excluded[k] != v {
						t.Errorf("Excluded[%s] = %d, want %d", k, n.Excluded[k], v)
					}
				}
				if n.Segments != n.Recipients || n.ByCarrier[taxsms.CarrierMobile] != n.Recipients {
					t.Errorf("Segments, ByCarrier = %d, %v, want %d each", n.Segments, n.ByCarrier, n.Recipients)
				}
				m, err := db.CountAudienceOf(ctx, c, rd)
				must(t, err)
				if m.Recipients != n.Recipients {
					t.Errorf("CountAudienceOf = %d, want %d", m.Recipients, n.Recipients)
				}
			})
		}
	})

	t.Run("List", func(t *testing.T) {
		l := &taxsms.RecipientList{OfficeID: b1.ID, Name: "名单"}
		err := db.CreateRecipientList(ctx, l, []store.ListEntry{{TaxpayerID: tps[0].ID}, {Mobile: "13812345678"}, {Mobile: "13700000001"}, {Mobile: "13800000011"}})
		must(t, err)
		if l.Taxpayers != 1 || l.Numbers != 3 {
			t.Fatalf("counts = %d, %d", l.Taxpayers, l.Numbers)
		}
		got, err := db.FindRecipientList(ctx, l.ID)
		must(t, err)
		if got.Name != "名单" {
			t.Errorf("Name = %q", got.Name)
		}
		err = db.CreateRecipientList(ctx, &taxsms.RecipientList{OfficeID: b1.ID, Name: "x"}, []store.ListEntry{{Mobile: "12345"}})
		wantCode(t, err, taxsms.EINVALID, "entries")
		c := newCampaign(t, taxsms.Audience{Type: taxsms.AudienceList, ListID: l.ID})
		n, err := db.CountAudience(ctx, c.ID, rd)
		must(t, err)
		// Taxpayer 0's two numbers (one shared, listed again), a new
		// number, and one opted out (13800000011).
		if n.Recipients != 3 || n.Duplicates != 1 || n.Excluded["opted_out"] != 1 {
			t.Errorf("list count = %+v", n)
		}
	})

	t.Run("MoveExpand", func(t *testing.T) {
		c := newCampaign(t, taxsms.Audience{Type: taxsms.AudienceTaxpayers})
		move := func(from []taxsms.CampaignState, to taxsms.CampaignState) (*taxsms.Campaign, error) {
			return db.MoveCampaign(ctx, c.ID, store.CampaignMove{From: from, To: to, Detail: "test", Started: to == taxsms.CampaignSending})
		}
		_, err := move([]taxsms.CampaignState{taxsms.CampaignPending}, taxsms.CampaignApproved)
		wantCode(t, err, taxsms.ECONFLICT, "")
		_, err = move([]taxsms.CampaignState{taxsms.CampaignDraft}, taxsms.CampaignSending)
		must(t, err)
		n, done, err := db.ExpandCampaign(ctx, c.ID, rd)
		must(t, err)
		if n != 3 || !done {
			t.Fatalf("Expand = %d, %v, want 3, true", n, done)
		}
		if n, _, _ = db.ExpandCampaign(ctx, c.ID, rd); n != 0 {
			t.Fatalf("second Expand = %d, want 0", n)
		}
		got, err := db.FindCampaign(ctx, c.ID)
		must(t, err)
		if got.Recipients != 3 || got.Segments != 3 {
			t.Errorf("Recipients, Segments = %d, %d, want 3, 3", got.Recipients, got.Segments)
		}
		msgs, err := db.ListMessages(ctx, taxsms.MessageFilter{Limit: 100})
		must(t, err)
		for _, m := range msgs {
			if m.CampaignID == c.ID && m.Body != "【青岛税务】"+firstName(tps, m.TaxpayerID)+"：请于15日前申报。回TD退订" {
				t.Errorf("body = %q", m.Body)
			}
		}
		held, err := db.HoldCampaign(ctx, c.ID, true)
		must(t, err)
		if h, _, _ := db.CampaignHeld(ctx, c.ID); held != 3 || !h {
			t.Errorf("held %d (%v), want 3", held, h)
		}
		if w, _ := db.CampaignWaiting(ctx, c.ID); w != 3 {
			t.Errorf("waiting = %d, want 3", w)
		}
		p, err := db.CampaignProgress(ctx, c.ID)
		must(t, err)
		if p.ByStatus[taxsms.StatusHeld] != 3 {
			t.Errorf("progress = %+v", p)
		}
		ids, err := db.ActiveCampaigns(ctx)
		must(t, err)
		if len(ids) == 0 {
			t.Error("ActiveCampaigns: none")
		}
		got, err = db.MoveCampaign(ctx, c.ID, store.CampaignMove{From: []taxsms.CampaignState{taxsms.CampaignSending},
			To: taxsms.CampaignCancelled, Waiting: taxsms.StatusCancelled})
		must(t, err)
		rows, err := db.CampaignReport(ctx, c.ID)
		must(t, err)
		if len(rows) != 1 || rows[0].Cancelled != 3 || rows[0].Carrier != taxsms.CarrierMobile || rows[0].OfficeID != b1.ID {
			t.Errorf("report = %+v", rows)
		}
	})

	t.Run("MoveConcurrent", func(t *testing.T) {
		c := newCampaign(t, taxsms.Audience{Type: taxsms.AudienceTaxpayers})
		_, err := db.MoveCampaign(ctx, c.ID, store.CampaignMove{From: []taxsms.CampaignState{taxsms.CampaignDraft}, To: taxsms.CampaignPending})
		must(t, err)
		var wg sync.WaitGroup
		errs := make([]error, 8)
		for i := range errs {
			wg.Add(1)
			go func() {
				defer wg.Done()
				to := taxsms.CampaignApproved
				if i%2 == 1 {
					to = taxsms.CampaignCancelled
				}
				_, errs[i] = db.MoveCampaign(ctx, c.ID, store.CampaignMove{From: []taxsms.CampaignState{taxsms.CampaignPending}, To: to})
			}()
		}
		wg.Wait()
		ok := 0
		for _, err := range errs {
			if err == nil {
				ok++
			} else if taxsms.ErrorCode(err) != taxsms.ECONFLICT {
				t.Fatal(err)
			}
		}
		if ok != 1 {
			t.Fatalf("%d moves succeeded, want 1", ok)
		}
	})

	t.Run("ApprovalRule", func(t *testing.T) {
		r, from, err := db.ApprovalRule(ctx, b1.ID)
		must(t, err)
		if from != 0 || !r.Always {
			t.Errorf("default = %+v from %d", r, from)
		}
		must(t, db.SetApprovalRule(ctx, taxsms.ApprovalRule{OfficeID: root.ID, Over: 1000, CityWide: true}, false))
		r, from, err = db.ApprovalRule(ctx, b1.ID)
		must(t, err)
		if from != root.ID || r.Always || r.Over != 1000 || !r.CityWide {
			t.Errorf("inherited = %+v from %d", r, from)
		}
		must(t, db.SetApprovalRule(ctx, taxsms.ApprovalRule{OfficeID: root.ID}, true))
		if _, from, _ = db.ApprovalRule(ctx, b1.ID); from != 0 {
			t.Errorf("after clearing, from %d", from)
		}
		opCtx := auth.NewContext(ctx, &auth.Actor{UserID: op.ID, Login: op.Login, Role: taxsms.RoleOperator, OfficeID: b1.ID, OfficePath: b1.Path})
		wantCode(t, db.SetApprovalRule(opCtx, taxsms.ApprovalRule{OfficeID: b1.ID}, false), taxsms.EFORBIDDEN, "")
	})

	t.Run("UserGroups", func(t *testing.T) {
		must(t, db.SetUserGroups(ctx, op.ID, []string{"党员", " 纳税服务科 ", "党员"}))
		g, err := db.UserGroups(ctx, op.ID)
		must(t, err)
		if fmt.Sprint(g) != "[党员 纳税服务科]" && fmt.Sprint(g) != "[纳税服务科 党员]" {
			t.Errorf("groups = %v", g)
		}
		wantCode(t, db.SetUserGroups(ctx, op.ID, []string{"a,b"}), taxsms.EINVALID, "groups")
		c := newCampaign(t, taxsms.Audience{Type: taxsms.AudienceStaff, Group: "党员"})
		n, err := db.CountAudience(ctx, c.ID, rd)
		must(t, err)
		if n.Recipients != 1 {
			t.Errorf("group audience = %d, want 1", n.Recipients)
		}
	})
}

func firstName(tps []*taxsms.Taxpayer, id int64) string {
	for _, tp := range tps {
		if tp.ID == id {
			return tp.Name
		}
	}
	return ""
}
