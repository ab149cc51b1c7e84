package storetest

import (
	"context"
	"fmt"
	"strconv"
	"testing"
	"time"

	"taxsms"
	"taxsms/audit"
	"taxsms/auth"
	"taxsms/auth/authtest"
	"taxsms/store"
)

// testTicket covers tickets: numbering, scope, answering (the reply queued
// with the answer), assignment, closing, overdue lists, conversations and
// the audit records of each step.
func testTicket(t *testing.T, db *store.DB) {
	ctx := context.Background()
	clk := &clock{t: time.Date(2026, 12, 3, 1, 0, 0, 0, time.UTC)} // 09:00 in Shanghai
	db.Now = clk.Now
	root, b1, b2, op := city(t, db)
	other := &taxsms.User{Login: "shinan.op2", Name: "赵敏", OfficeID: b1.ID, Role: taxsms.RoleOperator}
	must(t, db.CreateUser(ctx, other))
	shibei := &taxsms.User{Login: "shibei.op1", Name: "钱进", OfficeID: b2.ID, Role: taxsms.RoleOperator}
	must(t, db.CreateUser(ctx, shibei))
	tpA := newTaxpayer(b1.ID, op.ID, 1) // op's taxpayer
	tpB := newTaxpayer(b2.ID, shibei.ID, 2)
	must(t, db.CreateTaxpayer(ctx, tpA))
	must(t, db.CreateTaxpayer(ctx, tpB))
	cA := &taxsms.Contact{TaxpayerID: tpA.ID, Role: taxsms.RoleLegalRep, Mobile: "13800000001", Status: taxsms.ServiceActive}
	must(t, db.CreateContact(ctx, cA))

	open := func(typ taxsms.TicketType, mobile string, tp *taxsms.Taxpayer, office int64) *taxsms.Ticket {
		t.Helper()
		mo := &taxsms.Message{Direction: taxsms.MO, Mobile: mobile, Body: "投诉 办税厅排队两小时", Segments: 1, OfficeID: office}
		if tp != nil {
			mo.TaxpayerID = tp.ID
		}
		must(t, db.CreateMessage(ctx, mo))
		k := &taxsms.Ticket{Type: typ, Mobile: mobile, OfficeID: office, MOID: mo.ID, Text: mo.Body, Due: clk.Now().Add(2 * time.Hour)}
		if tp != nil {
			k.TaxpayerID = tp.ID
		}
		must(t, db.CreateTicket(ctx, k))
		return k
	}

	// Numbers: a sequence per type and day (Shanghai).
	k1 := open(taxsms.TicketComplaint, cA.Mobile, tpA, b1.ID)
	k2 := open(taxsms.TicketComplaint, "13800000002", tpB, b2.ID)
	k3 := open(taxsms.TicketConsultation, "13800000009", nil, root.ID) // unknown sender
	clk.Add(18 * time.Hour)                                            // 03:00 on 4 December in Shanghai
	k4 := open(taxsms.TicketComplaint, cA.Mobile, tpA, b1.ID)
	for _, tt := range []struct {
		k    *taxsms.Ticket
		want string
	}{{k1, "TS-20261203-0001"}, {k2, "TS-20261203-0002"}, {k3, "ZX-20261203-0001"}, {k4, "TS-20261204-0001"}} {
		if tt.k.Number != tt.want || tt.k.Status != taxsms.TicketOpen || tt.k.ID == 0 {
			t.Errorf("ticket %d: number %q status %q, want %q open", tt.k.ID, tt.k.Number, tt.k.Status, tt.want)
		}
	}
	got, err := db.FindTicket(ctx, k1.ID)
	must(t, err)
	if got.Mobile != cA.Mobile || got.Text != k1.Text || got.MOID != k1.MOID || !got.Due.Equal(k1.Due) || got.TaxpayerID != tpA.ID {
		t.Errorf("FindTicket = %+v, want %+v", got, k1)
	}
	wantCode(t, db.CreateTicket(ctx, &taxsms.Ticket{Type: "x", Mobile: cA.Mobile, OfficeID: b1.ID, Text: "x", Due: clk.Now()}), taxsms.EINVALID, "type")
	wantCode(t, db.CreateTicket(ctx, &taxsms.Ticket{Type: taxsms.TicketReport, Mobile: cA.Mobile, OfficeID: 9999, Text: "x", Due: clk.Now()}), taxsms.EINVALID, "")

	// Scope: which of k1..k4 each actor sees.
	ids := func(list []*taxsms.Ticket) string {
		s := ""
		for _, k := range list {
			for i, w := range []*taxsms.Ticket{k1, k2, k3, k4} {
				if k.ID == w.ID {
					s += strconv.Itoa(i + 1)
				}
			}
		}
		return s
	}
	opCtx := authtest.Context(ctx, taxsms.RoleOperator, op.ID, b1.Path)
	otherCtx := authtest.Context(ctx, taxsms.RoleOperator, other.ID, b1.Path)
	branchCtx := authtest.Context(ctx, taxsms.RoleBranchAdmin, 101, b1.Path)
	cityCtx := authtest.Context(ctx, taxsms.RoleCityAdmin, 100, root.Path)
	for _, tt := range []struct {
		name string
		ctx  context.Context
		f    taxsms.TicketFilter
		want string
	}{
		{"System", ctx, taxsms.TicketFilter{}, "4321"},
		{"City", cityCtx, taxsms.TicketFilter{}, "4321"},
		{"Branch", branchCtx, taxsms.TicketFilter{}, "41"},
		{"Operator", opCtx, taxsms.TicketFilter{}, "41"},
		{"OtherOperator", otherCtx, taxsms.TicketFilter{}, ""},
		{"Auditor", authtest.Context(ctx, taxsms.RoleAuditor, 102, root.Path), taxsms.TicketFilter{}, "4321"},
		{"Maintainer", authtest.Context(ctx, taxsms.RoleMaintainer, 103, root.Path), taxsms.TicketFilter{}, ""},
		{"Type", ctx, taxsms.TicketFilter{Type: taxsms.TicketConsultation}, "3"},
		{"Subtree", ctx, taxsms.TicketFilter{Subtree: b2.ID}, "2"},
		{"Before", ctx, taxsms.TicketFilter{Before: k3.ID, Limit: 1}, "2"},
		{"Overdue", ctx, taxsms.TicketFilter{Overdue: true}, "321"},
		{"OverdueLater", ctx, taxsms.TicketFilter{Overdue: true, Now: clk.Now().Add(48 * time.Hour)}, "4321"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			list, err := db.ListTickets(tt.ctx, tt.f)
			must(t, err)
			if g := ids(list); g != tt.want {
				t.Errorf("ListTickets(%+v) = %q, want %q", tt.f, g, tt.want)
			}
		})
	}
	_, err = db.FindTicket(otherCtx, k1.ID)
	wantCode(t, err, taxsms.ENOTFOUND, "")
	_, err = db.FindTicket(branchCtx, k2.ID)
	wantCode(t, err, taxsms.ENOTFOUND, "")

	// Assignment: the other operator is put in charge of k1 and sees it.
	wantCode(t, db.AssignTicket(otherCtx, k1.ID, other.ID), taxsms.ENOTFOUND, "")
	wantCode(t, db.AssignTicket(branchCtx, k1.ID, shibei.ID), taxsms.EINVALID, "assignee")
	wantCode(t, db.AssignTicket(branchCtx, k1.ID, 9999), taxsms.EINVALID, "assignee")
	must(t, db.AssignTicket(branchCtx, k1.ID, other.ID))
	list, err := db.ListTickets(otherCtx, taxsms.TicketFilter{AssigneeID: other.ID})
	must(t, err)
	if ids(list) != "1" {
		t.Errorf("assigned to the other operator: %q, want 1", ids(list))
	}
	noPerm := authtest.Actor(taxsms.RoleOperator, op.ID, b1.Path)
	noPerm.Permissions = nil
	wantCode(t, db.AssignTicket(auth.NewContext(ctx, noPerm), k1.ID, op.ID), taxsms.EFORBIDDEN, "")
	auditor := authtest.Context(ctx, taxsms.RoleAuditor, 102, root.Path)
	_, err = db.AnswerTicket(auditor, k1.ID, "x")
	wantCode(t, err, taxsms.EFORBIDDEN, "")

	// Answering queues one reply to the sender, linked to the MO's ticket.
	_, err = db.AnswerTicket(otherCtx, k1.ID, "")
	wantCode(t, err, taxsms.EINVALID, "answer")
	before, err := db.ListMessages(ctx, taxsms.MessageFilter{Direction: taxsms.MT})
	must(t, err)
	reply, err := db.AnswerTicket(otherCtx, k1.ID, " 您好，已转市南区办税服务厅核实，感谢监督。 ")
	must(t, err)
	after, err := db.ListMessages(ctx, taxsms.MessageFilter{Direction: taxsms.MT})
	must(t, err)
	if len(after) != len(before)+1 || after[0].ID != reply.ID {
		t.Fatalf("answer queued %d messages, want 1", len(after)-len(before))
	}
	m, err := db.FindMessage(ctx, reply.ID)
	must(t, err)
	if m.Kind != taxsms.KindReply || m.Priority != taxsms.PriorityInteractive || m.Mobile != cA.Mobile ||
		m.Status != taxsms.StatusQueued || m.Body != "您好，已转市南区办税服务厅核实，感谢监督。" ||
		m.AuthorID != other.ID || m.TaxpayerID != tpA.ID || m.OfficeID != b1.ID {
		t.Errorf("reply = %+v", m)
	}
	got, err = db.FindTicket(ctx, k1.ID)
	must(t, err)
	if got.Status != taxsms.TicketAnswered || got.Answer != m.Body || !got.AnsweredAt.Equal(clk.Now().Truncate(time.Millisecond)) || got.AssigneeID != other.ID ||
		got.ReplyID != reply.ID || got.MOID != k1.MOID {
		t.Errorf("answered ticket = %+v", got)
	}
	_, err = db.AnswerTicket(otherCtx, k1.ID, "again")
	wantCode(t, err, taxsms.ECONFLICT, "")
	if again, err := db.ListMessages(ctx, taxsms.MessageFilter{Direction: taxsms.MT}); err != nil || len(again) != len(after) {
		t.Errorf("a second answer queued a message (%v)", err)
	}
	// A failed answer stores nothing: the operator of branch 2 may not write k4.
	_, err = db.AnswerTicket(authtest.Context(ctx, taxsms.RoleOperator, shibei.ID, b2.Path), k4.ID, "x")
	wantCode(t, err, taxsms.ENOTFOUND, "")
	after2, err := db.ListMessages(ctx, taxsms.MessageFilter{Direction: taxsms.MT})
	must(t, err)
	if len(after2) != len(after) {
		t.Errorf("a refused answer queued a message")
	}
	list, err = db.ListTickets(ctx, taxsms.TicketFilter{Overdue: true})
	must(t, err)
	if ids(list) != "32" {
		t.Errorf("overdue after answering k1 = %q, want 32", ids(list))
	}

	// Closing.
	must(t, db.CloseTicket(opCtx, k1.ID, "已回复"))
	wantCode(t, db.CloseTicket(opCtx, k1.ID, ""), taxsms.ECONFLICT, "")
	list, err = db.ListTickets(ctx, taxsms.TicketFilter{Status: taxsms.TicketClosed})
	must(t, err)
	if ids(list) != "1" || list[0].Note != "已回复" || list[0].ClosedAt.IsZero() {
		t.Errorf("closed = %q %+v", ids(list), list)
	}

	// Audit: every step recorded, against the ticket.
	for _, tt := range []struct {
		action audit.Action
		want   int
	}{{audit.TicketOpened, 1}, {audit.TicketAssigned, 1}, {audit.TicketAnswered, 1}, {audit.TicketClosed, 1}} {
		recs, err := db.ListAudit(ctx, audit.Filter{Action: tt.action, ObjectType: "ticket", ObjectID: strconv.FormatInt(k1.ID, 10)})
		must(t, err)
		if len(recs) != tt.want {
			t.Errorf("%s records of ticket 1 = %d, want %d", tt.action, len(recs), tt.want)
		}
	}
	recs, err := db.ListAudit(ctx, audit.Filter{Action: audit.MessageSent, ObjectType: "message", ObjectID: strconv.FormatInt(reply.ID, 10)})
	must(t, err)
	if len(recs) != 1 || recs[0].Actor.UserID != other.ID {
		t.Errorf("message_sent records of the reply = %+v", recs)
	}

	// Conversations: the MO and MT of a number, newest first, for those who may read its taxpayer.
	conv, err := db.Conversation(opCtx, "+86 138 0000 0001", 0, 10)
	must(t, err)
	var dirs string
	for _, m := range conv {
		if m.Mobile != cA.Mobile {
			t.Errorf("conversation holds a message to %s", m.Mobile)
		}
		dirs += string(m.Direction) + " "
	}
	if dirs != "mt mo mo " {
		t.Errorf("conversation = %q, want newest first: mt mo mo", dirs)
	}
	page, err := db.Conversation(opCtx, cA.Mobile, conv[0].ID, 1)
	must(t, err)
	if len(page) != 1 || page[0].ID != conv[1].ID {
		t.Errorf("second page = %v", page)
	}
	for _, tt := range []struct {
		name   string
		ctx    context.Context
		mobile string
		code   string
	}{
		{"Operator", opCtx, cA.Mobile, ""},
		{"OtherOperatorAssigned", otherCtx, cA.Mobile, ""}, // through the ticket assigned to it
		{"OtherBranch", authtest.Context(ctx, taxsms.RoleOperator, shibei.ID, b2.Path), cA.Mobile, taxsms.ENOTFOUND},
		{"BranchUnknownSender", branchCtx, "13800000009", taxsms.ENOTFOUND},
		{"CityUnknownSender", cityCtx, "13800000009", ""},
		{"Maintainer", authtest.Context(ctx, taxsms.RoleMaintainer, 103, root.Path), cA.Mobile, taxsms.ENOTFOUND},
		{"BadNumber", ctx, "12345", taxsms.ENOTFOUND},
	} {
		t.Run("Conversation"+tt.name, func(t *testing.T) {
			_, err := db.Conversation(tt.ctx, tt.mobile, 0, 0)
			if taxsms.ErrorCode(err) != tt.code {
				t.Errorf("err = %v, want code %q", err, tt.code)
			}
		})
	}
}

// testTicketNumbers opens tickets concurrently: the numbers of a day stay
// unique and without gaps.
func testTicketNumbers(t *testing.T, db *store.DB) {
	ctx := context.Background()
	clk := &clock{t: time.Date(2026, 12, 3, 1, 0, 0, 0, time.UTC)}
	db.Now = clk.Now
	root, _, _, _ := city(t, db)
	const n = 20
	errs := make(chan error, n)
	for i := range n {
		go func() {
			errs <- db.CreateTicket(ctx, &taxsms.Ticket{Type: taxsms.TicketReport, Mobile: fmt.Sprintf("139000000%02d", i),
				OfficeID: root.ID, Text: "举报 虚开发票", Due: clk.Now().Add(time.Hour)})
		}()
	}
	for range n {
		must(t, <-errs)
	}
	list, err := db.ListTickets(ctx, taxsms.TicketFilter{Limit: n})
	must(t, err)
	seen := make(map[string]bool)
	for _, k := range list {
		seen[k.Number] = true
	}
	for i := 1; i <= n; i++ {
		if want := fmt.Sprintf("JB-20261203-%04d", i); !seen[want] {
			t.Errorf("no ticket %s among %d", want, len(list))
		}
	}
}
