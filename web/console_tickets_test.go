package web

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"taxsms"
)

// ticketFixture adds to the data fixture three tickets: one from the
// operator's taxpayer (opened by its MO), one from the branch
// administrator's, and one from an unknown sender at the city's office.
type ticketFixture struct {
	*dataFixture
	Own, Other, City *taxsms.Ticket
}

func (tc *testConsole) ticketFixture() *ticketFixture {
	tc.t.Helper()
	ctx := context.Background()
	fx := &ticketFixture{dataFixture: tc.dataFixture()}
	due := tc.clock.Now().Add(4 * time.Hour)
	city := tc.users[taxsms.RoleCityAdmin].OfficeID
	fx.Own = &taxsms.Ticket{Type: taxsms.TicketConsultation, Mobile: fx.OwnContact.Mobile, TaxpayerID: fx.dataFixture.Own.ID,
		OfficeID: fx.dataFixture.Own.OfficeID, MOID: fx.OwnMO.ID, Text: fx.OwnMO.Body, Due: due}
	fx.Other = &taxsms.Ticket{Type: taxsms.TicketComplaint, Mobile: fx.OtherContact.Mobile, TaxpayerID: fx.dataFixture.Other.ID,
		OfficeID: fx.dataFixture.Other.OfficeID, Text: "投诉 瑞丰工单正文", Due: due.Add(72 * time.Hour)}
	fx.City = &taxsms.Ticket{Type: taxsms.TicketReport, Mobile: "13600136000", OfficeID: city, Text: "举报 市局工单正文", Due: due}
	for _, k := range []*taxsms.Ticket{fx.Own, fx.Other, fx.City} {
		must(tc.t, tc.db.CreateTicket(ctx, k))
	}
	return fx
}

func TestConsole_TicketList(t *testing.T) {
	tc := startConsole(t)
	fx := tc.ticketFixture()
	texts := map[string]string{"own": fx.Own.Text, "other": fx.Other.Text, "city": fx.City.Text}
	for _, tt := range []struct {
		role   taxsms.Role
		path   string
		status int
		shows  string // which tickets, of own, other, city
	}{
		{taxsms.RoleOperator, "/tickets", 200, "own"},
		{taxsms.RoleOperator, "/tickets?view=all", 200, "own"},
		{taxsms.RoleOperator, "/tickets?view=mine", 200, ""},
		{taxsms.RoleBranchAdmin, "/tickets", 200, "own other"},
		{taxsms.RoleBranchAdmin, "/tickets?type=complaint", 200, "other"},
		{taxsms.RoleCityAdmin, "/tickets", 200, "own other city"},
		{taxsms.RoleAuditor, "/tickets?view=all", 200, "own other city"},
		{taxsms.RoleMaintainer, "/tickets", 403, ""},
		{taxsms.RoleCityAdmin, "/tickets?view=nonsense", 400, ""},
		{taxsms.RoleCityAdmin, "/tickets?type=question", 400, ""},
	} {
		b := tc.browser()
		b.mustSignIn(tc.users[tt.role].Login)
		r := b.get(tt.path)
		if r.Status != tt.status {
			t.Errorf("%s: GET %s = %d, want %d", tt.role, tt.path, r.Status, tt.status)
			continue
		}
		for name, text := range texts {
			if want := strings.Contains(" "+tt.shows+" ", " "+name+" "); strings.Contains(r.Body, text) != want {
				t.Errorf("%s: GET %s shows the %s ticket: %v, want %v", tt.role, tt.path, name, !want, want)
			}
		}
		if strings.Contains(r.Body, fx.OwnContact.Mobile) || strings.Contains(r.Body, fx.City.Mobile) {
			t.Errorf("%s: GET %s shows a full number", tt.role, tt.path)
		}
	}

	// Overdue: the two due in four hours, not the complaint due later.
	tc.clock.Add(5 * time.Hour)
	b := tc.browser()
	b.mustSignIn(tc.users[taxsms.RoleCityAdmin].Login)
	r := b.get("/tickets?view=overdue")
	if !strings.Contains(r.Body, fx.Own.Number) || !strings.Contains(r.Body, fx.City.Number) || strings.Contains(r.Body, fx.Other.Number) {
		t.Errorf("overdue list = %d, want the consultation and the report only", r.Status)
	}
	if !strings.Contains(r.Body, "已超期") {
		t.Errorf("overdue list shows no overdue mark")
	}
}

func TestConsole_TicketAnswer(t *testing.T) {
	tc := startConsole(t)
	fx := tc.ticketFixture()
	ctx := context.Background()
	path := fmt.Sprintf("/tickets/%d", fx.Own.ID)
	b := tc.browser()
	b.mustSignIn(tc.users[taxsms.RoleOperator].Login)
	page := b.get(path)
	if page.Status != 200 || !strings.Contains(page.Body, fx.Own.Number) || !strings.Contains(page.Body, "138****8000") ||
		strings.Contains(page.Body, fx.OwnContact.Mobile) || !strings.Contains(page.Body, path+"/answer") {
		t.Fatalf("GET %s = %d, want the ticket, its sender masked and the answer form", path, page.Status)
	}
	token := b.csrf(path)
	for _, tt := range []struct {
		name, answer string
	}{{"Empty", "  "}, {"TooLong", strings.Repeat("答", taxsms.MaxAnswerChars+1)}} {
		r := b.post(path+"/answer", url.Values{"csrf_token": {token}, "answer": {tt.answer}})
		if r.Status != http.StatusBadRequest || !strings.Contains(r.Body, `id="f-answer-error"`) {
			t.Errorf("%s answer = %d, want 400 with the error beside the field", tt.name, r.Status)
		}
	}
	if r := b.post(path+"/answer", url.Values{"answer": {"无令牌"}}); r.Status != http.StatusForbidden {
		t.Errorf("answer without the CSRF token = %d, want 403", r.Status)
	}
	answer := "您好，滞纳金按日加收万分之五，详询12366。"
	r := b.post(path+"/answer", url.Values{"csrf_token": {token}, "answer": {answer}})
	if r.Status != http.StatusSeeOther || r.Location != path {
		t.Fatalf("answer = %d → %q, want 303 → %s\n%s", r.Status, r.Location, path, errorText(r.Body))
	}
	k, err := tc.db.FindTicket(ctx, fx.Own.ID)
	must(t, err)
	if k.Status != taxsms.TicketAnswered || k.Answer != answer {
		t.Errorf("ticket after answering = %s %q", k.Status, k.Answer)
	}
	replies, err := tc.db.ListMessages(ctx, taxsms.MessageFilter{Kind: taxsms.KindReply})
	must(t, err)
	if len(replies) != 1 || replies[0].Body != answer || replies[0].Mobile != fx.OwnContact.Mobile || replies[0].AuthorID != tc.users[taxsms.RoleOperator].ID {
		t.Fatalf("replies queued = %+v, want one to the sender", replies)
	}
	page = b.get(path)
	if strings.Contains(page.Body, path+"/answer") || !strings.Contains(page.Body, answer) {
		t.Errorf("answered ticket's page still offers to answer, or lacks the answer")
	}
	// The conversation of the number: the MO and the reply, newest first.
	conv := b.get(fmt.Sprintf("/conversations?ticket=%d", fx.Own.ID))
	i, j := strings.Index(conv.Body, answer), strings.Index(conv.Body, fx.OwnMO.Body)
	if conv.Status != 200 || i < 0 || j < 0 || i > j || strings.Contains(conv.Body, fx.OwnContact.Mobile) {
		t.Errorf("conversation = %d (reply at %d, MO at %d), want both, newest first, number masked", conv.Status, i, j)
	}
	// Closing.
	r = b.post(path+"/close", url.Values{"csrf_token": {token}, "note": {"已电话回访"}})
	if r.Status != http.StatusSeeOther {
		t.Fatalf("close = %d", r.Status)
	}
	if r := b.post(path+"/close", url.Values{"csrf_token": {token}}); r.Status != http.StatusBadRequest {
		t.Errorf("closing again = %d, want 400 with the conflict on the form", r.Status)
	}
}

func TestConsole_TicketAssign(t *testing.T) {
	tc := startConsole(t)
	fx := tc.ticketFixture()
	ctx := context.Background()
	op := tc.users[taxsms.RoleOperator]
	other := fmt.Sprintf("/tickets/%d", fx.Other.ID)

	opB := tc.browser()
	opB.mustSignIn(op.Login)
	if r := opB.get(other); r.Status != http.StatusNotFound {
		t.Fatalf("operator's view of another's ticket = %d, want 404", r.Status)
	}
	admin := tc.browser()
	admin.mustSignIn(tc.users[taxsms.RoleBranchAdmin].Login)
	page := admin.get(other)
	if !strings.Contains(page.Body, op.Name) {
		t.Errorf("the assign form does not offer the branch's operator")
	}
	token := admin.csrf(other)
	if r := admin.post(other+"/assign", url.Values{"csrf_token": {token}, "assignee": {"x"}}); r.Status != http.StatusBadRequest ||
		!strings.Contains(r.Body, `id="f-assignee-error"`) {
		t.Errorf("assign to a bad id = %d, want 400 with the error beside the field", r.Status)
	}
	if r := admin.post(other+"/assign", url.Values{"csrf_token": {token}, "assignee": {fmt.Sprint(op.ID)}}); r.Status != http.StatusSeeOther {
		t.Fatalf("assign = %d\n%s", r.Status, errorText(r.Body))
	}
	k, err := tc.db.FindTicket(ctx, fx.Other.ID)
	must(t, err)
	if k.AssigneeID != op.ID {
		t.Fatalf("assignee = %d, want %d", k.AssigneeID, op.ID)
	}
	if r := opB.get("/tickets?view=mine"); !strings.Contains(r.Body, fx.Other.Number) {
		t.Errorf("the operator's own tickets lack the one assigned to it")
	}
	// "Assign to me" by the administrator.
	if r := admin.post(other+"/assign", url.Values{"csrf_token": {token}, "assignee": {"me"}}); r.Status != http.StatusSeeOther {
		t.Fatalf("assign to me = %d", r.Status)
	}
	k, err = tc.db.FindTicket(ctx, fx.Other.ID)
	must(t, err)
	if k.AssigneeID != tc.users[taxsms.RoleBranchAdmin].ID {
		t.Errorf("assignee after assign to me = %d", k.AssigneeID)
	}
}

func TestConsole_TicketRefused(t *testing.T) {
	tc := startConsole(t)
	fx := tc.ticketFixture()
	ctx := context.Background()
	own := fmt.Sprintf("/tickets/%d", fx.Own.ID)
	for _, tt := range []struct {
		role taxsms.Role
		path string
		want int
	}{
		{taxsms.RoleAuditor, own + "/answer", http.StatusForbidden},                                 // reads, may not answer
		{taxsms.RoleAuditor, own + "/assign", http.StatusForbidden},                                 //
		{taxsms.RoleMaintainer, own + "/answer", http.StatusForbidden},                              // no taxpayer data
		{taxsms.RoleOperator, fmt.Sprintf("/tickets/%d/answer", fx.Other.ID), http.StatusNotFound},  // not its taxpayer
		{taxsms.RoleBranchAdmin, fmt.Sprintf("/tickets/%d/close", fx.City.ID), http.StatusNotFound}, // the city's
	} {
		b := tc.browser()
		b.mustSignIn(tc.users[tt.role].Login)
		if r := b.post(tt.path, url.Values{"csrf_token": {b.csrf("/")}, "answer": {"越权答复"}, "assignee": {"me"}}); r.Status != tt.want {
			t.Errorf("%s: POST %s = %d, want %d", tt.role, tt.path, r.Status, tt.want)
		}
	}
	replies, err := tc.db.ListMessages(ctx, taxsms.MessageFilter{Kind: taxsms.KindReply})
	must(t, err)
	if len(replies) != 0 {
		t.Errorf("refused answers queued %d replies", len(replies))
	}
	// The auditor reads the ticket but is offered no form.
	b := tc.browser()
	b.mustSignIn(tc.users[taxsms.RoleAuditor].Login)
	if r := b.get(own); r.Status != 200 || strings.Contains(r.Body, own+"/answer") {
		t.Errorf("auditor's view = %d, offering to answer: %v", r.Status, strings.Contains(r.Body, own+"/answer"))
	}
	// Conversations keep to the taxpayers one may read.
	op := tc.browser()
	op.mustSignIn(tc.users[taxsms.RoleOperator].Login)
	for _, tt := range []struct {
		path string
		want int
	}{
		{fmt.Sprintf("/conversations?contact=%d", fx.OwnContact.ID), 200},
		{fmt.Sprintf("/conversations?contact=%d", fx.OtherContact.ID), 404},
		{"/conversations?mobile=" + fx.OtherContact.Mobile, 404},
		{fmt.Sprintf("/conversations?ticket=%d", fx.City.ID), 404},
		{"/conversations?ticket=x", 404},
		{"/conversations", 200},
	} {
		if r := op.get(tt.path); r.Status != tt.want || strings.Contains(r.Body, "瑞丰请按期申报") {
			t.Errorf("operator: GET %s = %d, want %d (and never the other taxpayer's messages)", tt.path, r.Status, tt.want)
		}
	}
}
