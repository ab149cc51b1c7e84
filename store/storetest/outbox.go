package storetest

import (
	"context"
	"fmt"
	"strconv"
	"sync"
	"testing"
	"time"

	"taxsms"
	"taxsms/audit"
	"taxsms/auth"
	"taxsms/store"
)

// clock is a settable time for db.Now.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func mt(kind taxsms.Kind, mobile string, segments int) *taxsms.Message {
	return &taxsms.Message{Direction: taxsms.MT, Kind: kind, Priority: kind.DefaultPriority(), Mobile: mobile,
		Body: "【12366】测试", Segments: segments}
}

func testOutbox(t *testing.T, db *store.DB) {
	ctx := context.Background()
	clk := &clock{t: time.Date(2026, 12, 3, 9, 0, 0, 0, time.UTC)}
	db.Now = clk.Now
	_, b1, _, op := city(t, db)
	tp := newTaxpayer(b1.ID, op.ID, 1)
	must(t, db.CreateTaxpayer(ctx, tp))
	contact := &taxsms.Contact{TaxpayerID: tp.ID, Role: taxsms.RoleLegalRep, Mobile: "13900000001", Status: taxsms.ServiceActive}
	must(t, db.CreateContact(ctx, contact))

	bulk := mt(taxsms.KindSpecial, "13900000001", 1)
	reminder := mt(taxsms.KindFilingReminder, "13900000002", 2)
	reminder.ContactID = contact.ID
	reply := mt(taxsms.KindReply, "13900000003", 1)
	later := mt(taxsms.KindSpecial, "13900000004", 1)
	later.NotBefore = clk.Now().Add(time.Hour)
	stale := mt(taxsms.KindFilingReminder, "13900000005", 1)
	stale.ExpiresAt = clk.Now().Add(time.Minute)
	created, err := db.CreateMessages(ctx, []*taxsms.Message{bulk, reminder, reply, later, stale})
	must(t, err)
	if len(created) != 5 || later.Status != taxsms.StatusScheduled {
		t.Fatalf("CreateMessages: created %v, later %s", created, later.Status)
	}

	t.Run("ClaimOrder", func(t *testing.T) {
		clk.Add(2 * time.Minute) // stale has expired
		got, err := db.ClaimMessages(ctx, "node1", 10, time.Minute)
		must(t, err)
		var ids []int64
		for _, c := range got {
			ids = append(ids, c.ID)
		}
		want := []int64{reply.ID, reminder.ID, bulk.ID}
		if fmt.Sprint(ids) != fmt.Sprint(want) {
			t.Fatalf("claimed %v, want %v (reply, reminder, broadcast; scheduled and expired left out)", ids, want)
		}
		if got[1].Mobile != "13900000002" || got[1].Segments != 2 || got[1].ContactID != contact.ID {
			t.Errorf("claimed reminder = %+v", got[1])
		}
		again, err := db.ClaimMessages(ctx, "node2", 10, time.Minute)
		must(t, err)
		if len(again) != 0 {
			t.Errorf("second claim = %d messages, want 0", len(again))
		}
		m, err := db.FindMessage(ctx, stale.ID)
		must(t, err)
		if m.Status != taxsms.StatusExpired {
			t.Errorf("expired message status = %s, want expired", m.Status)
		}
	})

	t.Run("Outcomes", func(t *testing.T) {
		must(t, db.RecordOutcomes(ctx, []store.Outcome{
			{ID: reminder.ID, Carrier: taxsms.CarrierMobile, Link: "cmpp-1", Coding: taxsms.CodingUCS2,
				Parts: []taxsms.Part{{Seq: 1, CarrierMsgID: "A1"}, {Seq: 2, CarrierMsgID: "A2"}}},
			{ID: reply.ID, Status: taxsms.StatusScheduled, RetryAt: clk.Now().Add(10 * time.Second), Attempt: true, Error: "busy"},
			{ID: bulk.ID, Status: taxsms.StatusRejected, Error: "no route"},
		}))
		m, err := db.FindMessage(ctx, reminder.ID)
		must(t, err)
		if m.Status != taxsms.StatusSubmitted || m.Link != "cmpp-1" || len(m.Parts) != 2 || m.Parts[1].CarrierMsgID != "A2" {
			t.Errorf("submitted message = %+v", m)
		}
		r, err := db.FindMessage(ctx, reply.ID)
		must(t, err)
		if r.Status != taxsms.StatusScheduled || r.Attempts != 1 || r.Error != "busy" {
			t.Errorf("retried message = %+v", r)
		}
		clk.Add(11 * time.Second)
		s, err := db.Sweep(ctx, store.SweepOptions{})
		must(t, err)
		if s.Promoted != 1 {
			t.Errorf("Sweep promoted %d, want the retry", s.Promoted)
		}
		got, err := db.ClaimMessages(ctx, "node1", 10, time.Minute)
		must(t, err)
		if len(got) != 1 || got[0].ID != reply.ID || got[0].Attempts != 1 {
			t.Errorf("claim after retry = %+v", got)
		}
		// The lease runs out: the message is queued again, and a late outcome changes nothing.
		clk.Add(2 * time.Minute)
		s, err = db.Sweep(ctx, store.SweepOptions{})
		must(t, err)
		if s.Requeued != 1 {
			t.Errorf("Sweep requeued %d, want 1", s.Requeued)
		}
		must(t, db.RecordOutcomes(ctx, []store.Outcome{{ID: reply.ID, Carrier: taxsms.CarrierMobile, Link: "x", Parts: []taxsms.Part{{Seq: 1, CarrierMsgID: "LATE"}}}}))
		r, err = db.FindMessage(ctx, reply.ID)
		must(t, err)
		if r.Status != taxsms.StatusQueued || len(r.Parts) != 0 {
			t.Errorf("after a late outcome: %s with %d parts, want queued with none", r.Status, len(r.Parts))
		}
	})

	t.Run("Receipts", func(t *testing.T) {
		pending, err := db.RecordReceipts(ctx, []store.Receipt{
			{Carrier: taxsms.CarrierMobile, MsgID: "A1", Stat: "DELIVRD"},
			{Carrier: taxsms.CarrierMobile, MsgID: "EARLY", Stat: "DELIVRD"},
		})
		must(t, err)
		if pending != 1 {
			t.Errorf("pending = %d, want 1", pending)
		}
		m, err := db.FindMessage(ctx, reminder.ID)
		must(t, err)
		if m.Status != taxsms.StatusSubmitted || m.Parts[0].Status != taxsms.StatusDelivered {
			t.Errorf("after 1 of 2 receipts: %s, part 1 %s", m.Status, m.Parts[0].Status)
		}
		_, err = db.RecordReceipts(ctx, []store.Receipt{{Carrier: taxsms.CarrierMobile, MsgID: "A2", Stat: "UNDELIV", Err: "001"}})
		must(t, err)
		m, err = db.FindMessage(ctx, reminder.ID)
		must(t, err)
		if m.Status != taxsms.StatusFailed || m.Error != "UNDELIV 001" {
			t.Errorf("after a failed segment: %s %q, want failed \"UNDELIV 001\"", m.Status, m.Error)
		}
		if last := m.Timeline[len(m.Timeline)-1]; last.Status != taxsms.StatusFailed {
			t.Errorf("timeline ends with %v", last)
		}
		// The early receipt's segment is submitted now: the sweep matches it.
		got, err := db.ClaimMessages(ctx, "node1", 10, time.Minute)
		must(t, err)
		if len(got) != 1 {
			t.Fatalf("claimed %d, want 1", len(got))
		}
		must(t, db.RecordOutcomes(ctx, []store.Outcome{{ID: got[0].ID, Carrier: taxsms.CarrierMobile, Link: "cmpp-1", Parts: []taxsms.Part{{Seq: 1, CarrierMsgID: "EARLY"}}}}))
		_, err = db.RecordReceipts(ctx, []store.Receipt{{Carrier: taxsms.CarrierUnicom, MsgID: "NOBODY", Stat: "DELIVRD"}})
		must(t, err)
		clk.Add(time.Hour)
		s, err := db.Sweep(ctx, store.SweepOptions{ReceiptGrace: 10 * time.Minute})
		must(t, err)
		if s.Matched != 1 || s.Unmatched != 1 {
			t.Errorf("Sweep matched %d, unmatched %d; want 1 and 1", s.Matched, s.Unmatched)
		}
		r, err := db.FindMessage(ctx, got[0].ID)
		must(t, err)
		if r.Status != taxsms.StatusDelivered {
			t.Errorf("message of the early receipt: %s, want delivered", r.Status)
		}
		st, err := db.Outbox(ctx)
		must(t, err)
		if st.Unmatched != 1 {
			t.Errorf("Outbox().Unmatched = %d, want 1", st.Unmatched)
		}
	})

	t.Run("Change", func(t *testing.T) {
		var ms []*taxsms.Message
		for i := range 4 {
			m := mt(taxsms.KindSpecial, fmt.Sprintf("1370000000%d", i), 1)
			m.CampaignID, m.AuthorID, m.OfficeID = 7, op.ID, b1.ID
			ms = append(ms, m)
		}
		_, err := db.CreateMessages(ctx, ms)
		must(t, err)
		// Actors reach only the messages they may change: another branch's
		// administrator and another operator change nothing.
		other := &taxsms.User{ID: op.ID + 1000, Login: "other.op", Role: taxsms.RoleOperator, OfficeID: b1.ID}
		for _, a := range []*auth.Actor{
			{UserID: 999, Login: "shibei.admin", Role: taxsms.RoleBranchAdmin, OfficePath: "/0/999/"},
			auth.UserActor(other, b1.Path, auth.DefaultPermissions(taxsms.RoleOperator)),
		} {
			n, err := db.ChangeWaiting(auth.NewContext(ctx, a), store.Selector{CampaignID: 7}, taxsms.StatusHeld, "paused")
			must(t, err)
			if n != 0 {
				t.Errorf("%s held %d messages outside its scope", a, n)
			}
		}
		opCtx := auth.NewContext(ctx, auth.UserActor(op, b1.Path, auth.DefaultPermissions(taxsms.RoleOperator)))
		// Queueing is recorded once per call, with the ids and kinds.
		sent, err := db.ListAudit(ctx, audit.Filter{Action: audit.MessageSent, Limit: 1})
		must(t, err)
		if want := fmt.Sprintf("%d-%d", ms[0].ID, ms[3].ID); len(sent) != 1 || sent[0].Object.ID != want ||
			sent[0].Detail != "4 messages queued: 4 special" || sent[0].Actor != audit.System {
			t.Errorf("audit record of the queueing = %+v, want messages %s by the system", sent, want)
		}
		n, err := db.ChangeWaiting(opCtx, store.Selector{CampaignID: 7}, taxsms.StatusHeld, "paused by 王芳")
		must(t, err)
		if n != 4 {
			t.Errorf("held %d, want 4", n)
		}
		recs, err := db.ListAudit(ctx, audit.Filter{Action: audit.MessageHeld, Login: op.Login})
		must(t, err)
		if len(recs) != 1 || recs[0].Object.ID != "campaign 7" || recs[0].Detail != "paused by 王芳; 4 messages" {
			t.Errorf("audit records of the hold = %+v, want one for campaign 7 with 4 messages", recs)
		}
		got, err := db.ClaimMessages(ctx, "node1", 10, time.Minute)
		must(t, err)
		for _, c := range got {
			for _, m := range ms {
				if c.ID == m.ID {
					t.Errorf("held message %d claimed", c.ID)
				}
			}
		}
		n, err = db.ChangeWaiting(ctx, store.Selector{ID: ms[0].ID}, taxsms.StatusCancelled, "cancelled by 王芳")
		must(t, err)
		if n != 1 {
			t.Errorf("cancelled %d, want 1", n)
		}
		n, err = db.ChangeWaiting(ctx, store.Selector{AuthorID: op.ID, Subtree: b1.ID}, taxsms.StatusQueued, "resumed")
		must(t, err)
		if n != 3 {
			t.Errorf("released %d, want 3", n)
		}
		m, err := db.FindMessage(ctx, ms[0].ID)
		must(t, err)
		if m.Status != taxsms.StatusCancelled || m.Error != "cancelled by 王芳" {
			t.Errorf("cancelled message = %s %q", m.Status, m.Error)
		}
		_, err = db.ChangeWaiting(ctx, store.Selector{}, taxsms.StatusCancelled, "")
		wantCode(t, err, taxsms.EINVALID, "selector")
	})

	t.Run("ContactFailures", func(t *testing.T) {
		for i := range 3 {
			m := mt(taxsms.KindUnpaidTax, "13900000001", 1)
			m.ContactID = contact.ID
			must(t, db.CreateMessage(ctx, m))
			for {
				got, err := db.ClaimMessages(ctx, "node1", 100, time.Minute)
				must(t, err)
				var outs []store.Outcome
				for _, c := range got {
					outs = append(outs, store.Outcome{ID: c.ID, Carrier: taxsms.CarrierMobile, Link: "l", Parts: []taxsms.Part{{Seq: 1, CarrierMsgID: fmt.Sprintf("F%d-%d", i, c.ID)}}})
				}
				must(t, db.RecordOutcomes(ctx, outs))
				if len(got) == 0 || got[len(got)-1].ID == m.ID {
					break
				}
			}
			_, err := db.RecordReceipts(ctx, []store.Receipt{{Carrier: taxsms.CarrierMobile, MsgID: fmt.Sprintf("F%d-%d", i, m.ID), Stat: "UNDELIV"}})
			must(t, err)
		}
		failing, err := db.FailingContacts(ctx, 0, 3)
		must(t, err)
		if len(failing) != 1 || failing[0].ID != contact.ID {
			t.Errorf("FailingContacts = %+v, want the contact", failing)
		}
	})
}

func testMO(t *testing.T, db *store.DB) {
	ctx := context.Background()
	clk := &clock{t: time.Date(2026, 12, 3, 9, 0, 0, 0, time.UTC)}
	db.Now = clk.Now
	frag := func(id string, seq, total int, text string) store.Fragment {
		return store.Fragment{Carrier: taxsms.CarrierMobile, Link: "cmpp-1", MsgID: id, From: "+8613800000001",
			To: "1063532123661", Text: text, Ref: 9, Total: total, Seq: seq}
	}
	m, dup, err := db.StoreFragment(ctx, store.Fragment{Carrier: taxsms.CarrierMobile, Link: "cmpp-1", MsgID: "M1",
		From: "13800000001", To: "106353212366", Text: "CX", Total: 1, Seq: 1})
	must(t, err)
	if dup || m == nil || m.Body != "CX" || m.Status != taxsms.StatusReceived || m.ServiceNumber != "106353212366" {
		t.Fatalf("short MO = %+v, dup %v", m, dup)
	}
	if _, dup, _ := db.StoreFragment(ctx, store.Fragment{Carrier: taxsms.CarrierMobile, MsgID: "M1", From: "13800000001", Text: "CX", Total: 1, Seq: 1}); !dup {
		t.Error("the same MO twice was not dropped")
	}
	for _, f := range []store.Fragment{frag("L3", 3, 3, "丙"), frag("L1", 1, 3, "甲"), frag("L1", 1, 3, "甲")} {
		m, _, err := db.StoreFragment(ctx, f)
		must(t, err)
		if m != nil {
			t.Fatalf("MO stored after %d of 3 segments", f.Seq)
		}
	}
	m, _, err = db.StoreFragment(ctx, frag("L2", 2, 3, "乙"))
	must(t, err)
	if m == nil || m.Body != "甲乙丙" || m.Mobile != "13800000001" || m.Segments != 3 {
		t.Fatalf("long MO = %+v", m)
	}
	// Each MO, once whole, is recorded in the audit archive, number masked.
	recs, err := db.ListAudit(ctx, audit.Filter{Action: audit.MessageReceived})
	must(t, err)
	if len(recs) != 2 || recs[0].Object.ID != strconv.FormatInt(m.ID, 10) ||
		recs[0].Detail != "from 138****0001 to 1063532123661 by cmpp-1, 3 segments" {
		t.Errorf("audit records of the MO = %+v, want two, the last for message %d", recs, m.ID)
	}
	got, err := db.FindMessage(ctx, m.ID)
	must(t, err)
	if got.Body != "甲乙丙" || got.Direction != taxsms.MO || got.ServiceNumber != "1063532123661" {
		t.Errorf("stored long MO = %+v", got)
	}
	// A long MO missing a segment is stored incomplete when its time is up.
	_, _, err = db.StoreFragment(ctx, store.Fragment{Carrier: taxsms.CarrierMobile, MsgID: "P1", From: "13800000002", Text: "只有", Ref: 4, Total: 2, Seq: 1})
	must(t, err)
	clk.Add(5 * time.Minute)
	s, err := db.Sweep(ctx, store.SweepOptions{FragmentExpiry: time.Minute})
	must(t, err)
	if len(s.MO) != 1 || s.MO[0].Body != "只有…" || s.MO[0].Error != "incomplete: 1 of 2 segments missing" {
		t.Errorf("Sweep MO = %+v", s.MO)
	}
	c, err := db.Count(ctx)
	must(t, err)
	if c.Messages != 3 {
		t.Errorf("messages = %d, want 3", c.Messages)
	}
	_, _, err = db.StoreFragment(ctx, store.Fragment{Carrier: taxsms.CarrierMobile, MsgID: "BAD", Text: "x", Total: 2, Seq: 3})
	wantCode(t, err, taxsms.EINVALID, "")
}

// testClaimConcurrent claims from two goroutines at once: every message is
// claimed exactly once.
func testClaimConcurrent(t *testing.T, db *store.DB) {
	ctx := context.Background()
	var msgs []*taxsms.Message
	for i := range 400 {
		msgs = append(msgs, mt(taxsms.KindSpecial, fmt.Sprintf("139%08d", i), 1))
	}
	_, err := db.CreateMessages(ctx, msgs)
	must(t, err)
	seen := make(map[int64]int)
	var mu sync.Mutex
	var wg sync.WaitGroup
	for node := range 3 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				got, err := db.ClaimMessages(ctx, fmt.Sprintf("node%d", node), 25, time.Minute)
				if err != nil {
					t.Error(err)
					return
				}
				if len(got) == 0 {
					return
				}
				mu.Lock()
				for _, c := range got {
					seen[c.ID]++
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if len(seen) != len(msgs) {
		t.Errorf("claimed %d distinct messages, want %d", len(seen), len(msgs))
	}
	for id, n := range seen {
		if n != 1 {
			t.Errorf("message %d claimed %d times", id, n)
		}
	}
}
