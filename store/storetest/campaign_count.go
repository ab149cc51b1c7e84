package storetest

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"unicode/utf8"

	"taxsms"
	"taxsms/auth"
	"taxsms/store"
)

// testCampaignCount checks that an audience's count is what its expansion
// queues: numbers shared by several taxpayers (one of them also opted
// out), a taxpayer listed twice, names longer than 40 characters and
// names holding a variable, under every kind of template; and that an
// audience's subtree is one its author reaches.
func testCampaignCount(t *testing.T, db *store.DB) {
	ctx := context.Background()
	root, b1, b2, op := city(t, db)
	names := []string{
		"青岛海纳贸易有限公司",
		strings.Repeat("长", 45) + "有限公司", // cut to 40
		"{identifier}科技有限公司",             // a value a later variable matches
		"{office}与{admin}{联合}商行",
		"市北物流有限公司",
		"崂山食品有限公司",
	}
	var tps []*taxsms.Taxpayer
	for i, name := range names {
		first := fmt.Sprintf("91370200MA3C7X%03d", i)
		office := b1.ID
		if i >= 4 {
			office = b2.ID
		}
		tp := &taxsms.Taxpayer{Identifier: first + string(taxsms.USCCCheck(first)), Name: name, OfficeID: office, AdminID: op.ID}
		must(t, db.CreateTaxpayer(ctx, tp))
		tps = append(tps, tp)
		for j, m := range []string{fmt.Sprintf("139%08d", i), "13712345678", fmt.Sprintf("186%08d", i)}[:2+i%2] {
			st := taxsms.ServiceActive
			if i == 5 && j == 1 {
				st = taxsms.ServiceOptedOut
			}
			if i == 4 && j == 0 {
				m = "18600000001" // taxpayer 1's third number
			}
			must(t, db.CreateContact(ctx, &taxsms.Contact{TaxpayerID: tp.ID, Role: taxsms.ContactRoles[j], Mobile: m, Status: st}))
		}
	}
	l := &taxsms.RecipientList{OfficeID: b1.ID, Name: "重复"}
	must(t, db.CreateRecipientList(ctx, l, []store.ListEntry{{TaxpayerID: tps[3].ID}, {Mobile: "13712345678"}, {TaxpayerID: tps[0].ID},
		{TaxpayerID: tps[3].ID}, {Mobile: "13800000099"}, {Mobile: "13800000099"}}))
	rd := store.Render{Head: "【青岛税务】", Tail: taxsms.OptOutLine}
	for _, tmpl := range []string{"请及时申报。", "{name}：请于15日前申报。", "{name}{identifier}{office}{admin}：请申报。", "{admin}提醒{name}（{office}）"} {
		for _, a := range []taxsms.Audience{
			{Type: taxsms.AudienceTaxpayers, Subtree: root.ID},
			{Type: taxsms.AudienceTaxpayers, Subtree: b1.ID},
			{Type: taxsms.AudienceList, ListID: l.ID},
		} {
			t.Run(fmt.Sprintf("%s/%s%d", tmpl, a.Type, a.Subtree+a.ListID), func(t *testing.T) {
				c := &taxsms.Campaign{OfficeID: b1.ID, Kind: taxsms.KindSpecial, Title: "核对", Template: tmpl, Audience: a}
				r := rd
				if !strings.Contains(tmpl, "{") {
					r.Segments = 1
				}
				n, q, done := countAndExpand(t, db, c, r)
				got, err := db.FindCampaign(ctx, c.ID)
				must(t, err)
				if !done || q != n.Recipients || got.Recipients != n.Recipients || got.Segments != n.Segments {
					t.Errorf("queued %d (%v), campaign %d recipients %d segments; counted %d recipients %d segments",
						q, done, got.Recipients, got.Segments, n.Recipients, n.Segments)
				}
				if n.Duplicates == 0 {
					t.Errorf("Duplicates = 0, want some")
				}
				carriers := 0
				for _, v := range n.ByCarrier {
					carriers += v
				}
				if carriers != n.Recipients {
					t.Errorf("ByCarrier = %v, want %d in all", n.ByCarrier, n.Recipients)
				}
				msgs, err := db.ListMessages(ctx, taxsms.MessageFilter{Limit: 1000})
				must(t, err)
				for _, m := range msgs {
					if m.CampaignID != c.ID {
						continue
					}
					chars := utf8.RuneCountInString(m.Body)
					want := 1
					if chars > 70 {
						want = (chars + 66) / 67
					}
					if r.Segments == 0 && m.Segments != want {
						t.Errorf("%q: Segments = %d, want %d", m.Body, m.Segments, want)
					}
				}
			})
		}
	}

	// Numbers stop and start being shared as contacts change: the count
	// follows (SQLite keeps the shared numbers as contacts are written).
	t.Run("NumbersChanged", func(t *testing.T) {
		count := func(t *testing.T, wantDup int) {
			t.Helper()
			c := &taxsms.Campaign{OfficeID: root.ID, Kind: taxsms.KindSpecial, Title: "变更", Template: "请及时申报。",
				Audience: taxsms.Audience{Type: taxsms.AudienceTaxpayers, Subtree: root.ID}}
			r := rd
			r.Segments = 1
			n, q, _ := countAndExpand(t, db, c, r)
			if n.Duplicates != wantDup || q != n.Recipients {
				t.Errorf("counted %d recipients, %d duplicates; queued %d; want %d duplicates", n.Recipients, n.Duplicates, q, wantDup)
			}
		}
		setMobile := func(tp *taxsms.Taxpayer, role taxsms.ContactRole, m string) {
			cs, err := db.ListContacts(ctx, tp.ID)
			must(t, err)
			for _, c := range cs {
				if c.Role == role {
					c.Mobile = m
					must(t, db.UpdateContact(ctx, c))
				}
			}
		}
		// 13712345678, held by every taxpayer's second contact, kept by
		// the last one's alone (opted out); 18600000001 still twice.
		for i, tp := range tps[:5] {
			setMobile(tp, taxsms.ContactRoles[1], fmt.Sprintf("135700000%02d", i))
		}
		count(t, 1)
		setMobile(tps[2], taxsms.ContactRoles[0], "13900000003") // the fourth taxpayer's first
		count(t, 2)
		setMobile(tps[2], taxsms.ContactRoles[0], "13900000002")
		count(t, 1)
	})

	t.Run("SubtreeOutOfScope", func(t *testing.T) {
		admin := &taxsms.User{Login: "shinan.admin", Name: "李强", OfficeID: b1.ID, Role: taxsms.RoleBranchAdmin}
		must(t, db.CreateUser(ctx, admin))
		actx := auth.NewContext(ctx, &auth.Actor{UserID: admin.ID, Login: admin.Login, Role: taxsms.RoleBranchAdmin, OfficeID: b1.ID, OfficePath: b1.Path})
		for _, sub := range []int64{b2.ID, root.ID} {
			c := &taxsms.Campaign{OfficeID: b1.ID, Kind: taxsms.KindSpecial, Title: "越权", Template: "请申报。",
				Audience: taxsms.Audience{Type: taxsms.AudienceTaxpayers, Subtree: sub}}
			wantCode(t, db.CreateCampaign(actx, c), taxsms.ENOTFOUND, "audience.subtree")
		}
		c := &taxsms.Campaign{OfficeID: b1.ID, Kind: taxsms.KindSpecial, Title: "本局", Template: "请申报。",
			Audience: taxsms.Audience{Type: taxsms.AudienceTaxpayers, Subtree: b1.ID}}
		must(t, db.CreateCampaign(actx, c))
		c.Audience.Subtree = b2.ID
		wantCode(t, db.UpdateCampaign(actx, c), taxsms.ENOTFOUND, "audience.subtree")
	})
}

// countAndExpand stores c, counts its audience, starts it and expands it
// in one call: the count, and how many the expansion queued and whether
// it is done.
func countAndExpand(t *testing.T, db *store.DB, c *taxsms.Campaign, r store.Render) (*taxsms.AudienceCount, int, bool) {
	t.Helper()
	ctx := context.Background()
	must(t, db.CreateCampaign(ctx, c))
	n, err := db.CountAudience(ctx, c.ID, r)
	must(t, err)
	_, err = db.MoveCampaign(ctx, c.ID, store.CampaignMove{From: []taxsms.CampaignState{taxsms.CampaignDraft},
		To: taxsms.CampaignSending, Started: true, Detail: "test"})
	must(t, err)
	q, done, err := db.ExpandCampaign(ctx, c.ID, r)
	must(t, err)
	return n, q, done
}
