package web

import (
	"net/http"
	"strconv"

	"taxsms"
	"taxsms/auth"
)

// The tickets' pages: the list (GET /tickets, with the views open, mine,
// overdue and all, and filters), a ticket (GET /tickets/{id}) with its
// forms to assign it (POST /tickets/{id}/assign), answer it by SMS (POST
// /tickets/{id}/answer) and close it (POST /tickets/{id}/close); and the
// conversation of a number (GET /conversations). Reads keep to the user's
// scope of auth.DataTickets; the forms need auth.PermAnswerTickets.

func (c *Console) ticketRoutes(mux *http.ServeMux) {
	c.handle(mux, "GET /tickets", "", c.handleTickets)
	c.handle(mux, "GET /tickets/{id}", "", c.handleTicket)
	c.handle(mux, "POST /tickets/{id}/assign", auth.PermAnswerTickets, c.handleTicketAssign)
	c.handle(mux, "POST /tickets/{id}/answer", auth.PermAnswerTickets, c.handleTicketAnswer)
	c.handle(mux, "POST /tickets/{id}/close", auth.PermAnswerTickets, c.handleTicketClose)
	c.handle(mux, "GET /conversations", "", c.handleConversation)
}

// ticketViews are the list's views, in the order of its tabs.
var ticketViews = []string{"open", "mine", "overdue", "all"}

// ticketsData is the data of the tickets list.
type ticketsData struct {
	View     string
	Views    []string
	Types    []taxsms.TicketType
	Statuses []taxsms.TicketStatus
	Offices  []officeChoice
	Rows     []ticketRow
}

// ticketRow is a ticket as the pages show it.
type ticketRow struct {
	*taxsms.Ticket
	Overdue  bool
	Office   string // the office's name
	Assignee string // the assignee's name, if the user may read it
}

// handleTickets serves GET /tickets: the tickets in the user's scope,
// newest first, of one view (open by default, mine, overdue or all),
// filtered by type, status and office.
func (c *Console) handleTickets(w http.ResponseWriter, r *Request) error {
	if err := requireRead(r, auth.DataTickets); err != nil {
		return err
	}
	f := newForm(r, "view", "type", "status", "office")
	d := &ticketsData{View: f.Get("view"), Views: ticketViews, Types: taxsms.TicketTypes, Statuses: taxsms.TicketStatuses}
	if d.View == "" {
		d.View = "open"
	}
	page := &Page{Title: "tk.title", Data: d, Form: f}
	var names map[int64]string
	d.Offices, names = c.officeChoices(r)
	filter := taxsms.TicketFilter{Type: taxsms.TicketType(f.Get("type")), Status: taxsms.TicketStatus(f.Get("status")), Now: c.Now()}
	switch d.View {
	case "open":
		filter.Status = taxsms.TicketOpen
	case "mine":
		filter.AssigneeID = r.Actor.UserID
	case "overdue":
		filter.Overdue = true
	case "all":
	default:
		f.Fail("view", c.T(r, "tk.bad_view"))
		d.View = "all"
	}
	if filter.Type != "" && !filter.Type.Valid() {
		f.Fail("type", c.T(r, "tk.bad_type"))
	}
	if filter.Status != "" && !filter.Status.Valid() {
		f.Fail("status", c.T(r, "tk.bad_status"))
	}
	office, err := formID(f, "office")
	if err != nil {
		f.Fail("office", c.T(r, "tk.bad_office"))
	}
	filter.Subtree = office
	before, err := r.Cursor()
	if err != nil {
		return err
	}
	if !f.OK() {
		c.render(w, r, http.StatusBadRequest, "tickets", page)
		return nil
	}
	filter.Before, filter.Limit = before, PageSize+1
	list, err := c.DB.ListTickets(r.Context(), filter)
	if taxsms.ErrorCode(err) == taxsms.ENOTFOUND || taxsms.ErrorCode(err) == taxsms.EINVALID {
		f.Fail("office", c.T(r, "tk.bad_office"))
		c.render(w, r, http.StatusBadRequest, "tickets", page)
		return nil
	} else if err != nil {
		return err
	}
	more := len(list) > PageSize
	if more {
		list = list[:PageSize]
	}
	var last int64
	for _, t := range list {
		d.Rows = append(d.Rows, ticketRow{Ticket: t, Overdue: t.Overdue(c.Now()), Office: names[t.OfficeID]})
		last = t.ID
	}
	page.List = r.Pager(more, last)
	c.render(w, r, http.StatusOK, "tickets", page)
	return nil
}

// ticketData is the data of a ticket's page.
type ticketData struct {
	ticketRow
	Taxpayer  *taxsms.Taxpayer // nil for an unknown sender or one the user may not read
	Staff     []*taxsms.User   // whom the user may assign it to
	CanWrite  bool
	MaxAnswer int
}

// ticketFields are the fields of a ticket's forms.
var ticketFields = []string{"assignee", "answer", "note"}

// ticketID returns the ticket id of the path, or ENOTFOUND.
func ticketID(r *Request) (int64, error) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		return 0, taxsms.Errorf(taxsms.ENOTFOUND, "ticket not found")
	}
	return id, nil
}

// handleTicket serves GET /tickets/{id}.
func (c *Console) handleTicket(w http.ResponseWriter, r *Request) error {
	return c.renderTicket(w, r, http.StatusOK, newForm(r, ticketFields...))
}

// renderTicket renders a ticket's page with f, the form shown again.
func (c *Console) renderTicket(w http.ResponseWriter, r *Request, status int, f *Form) error {
	if err := requireRead(r, auth.DataTickets); err != nil {
		return err
	}
	id, err := ticketID(r)
	if err != nil {
		return err
	}
	ctx := r.Context()
	t, err := c.DB.FindTicket(ctx, id)
	if err != nil {
		return err
	}
	d := &ticketData{ticketRow: ticketRow{Ticket: t, Overdue: t.Overdue(c.Now())}, MaxAnswer: taxsms.MaxAnswerChars,
		CanWrite: r.Actor.Has(auth.PermAnswerTickets) && t.Status != taxsms.TicketClosed}
	if o, err := c.DB.FindOffice(ctx, t.OfficeID); err == nil {
		d.Office = o.Name
	}
	if t.TaxpayerID != 0 {
		if tp, err := c.DB.FindTaxpayer(ctx, t.TaxpayerID); err == nil {
			d.Taxpayer = tp
		}
	}
	if t.AssigneeID != 0 {
		if u, err := c.DB.FindUser(ctx, t.AssigneeID); err == nil {
			d.Assignee = u.Name
		}
	}
	if d.CanWrite {
		if users, err := c.DB.ListUsers(ctx, taxsms.UserFilter{Subtree: t.OfficeID, Limit: 200}); err == nil {
			for _, u := range users {
				if u.Status == taxsms.UserActive {
					d.Staff = append(d.Staff, u)
				}
			}
		}
	}
	c.render(w, r, status, "ticket", &Page{Title: "tk.ticket", Data: d, Form: f})
	return nil
}

// ticketPost runs a ticket's form: do's EINVALID, ECONFLICT and EFORBIDDEN
// errors are shown beside the form's fields, and success redirects to the
// ticket with the flash done.
func (c *Console) ticketPost(w http.ResponseWriter, r *Request, done string, do func(id int64, f *Form) error) error {
	id, err := ticketID(r)
	if err != nil {
		return err
	}
	f := newForm(r, ticketFields...)
	err = do(id, f)
	if taxsms.ErrorCode(err) == taxsms.ENOTFOUND {
		return err
	}
	if err := c.failWith(r, f, err); err != nil {
		return err
	}
	if !f.OK() {
		return c.renderTicket(w, r, http.StatusBadRequest, f)
	}
	c.redirect(w, r, "/tickets/"+strconv.FormatInt(id, 10), done)
	return nil
}

// handleTicketAssign serves POST /tickets/{id}/assign: assignee is a
// user's id, "me" for the signed-in user, or "" for nobody.
func (c *Console) handleTicketAssign(w http.ResponseWriter, r *Request) error {
	return c.ticketPost(w, r, "tk.assigned", func(id int64, f *Form) error {
		var uid int64
		switch s := f.Get("assignee"); s {
		case "me":
			uid = r.Actor.UserID
		case "":
		default:
			n, err := strconv.ParseInt(s, 10, 64)
			if err != nil || n <= 0 {
				f.Fail("assignee", c.T(r, "tk.bad_assignee"))
				return nil
			}
			uid = n
		}
		return c.DB.AssignTicket(r.Context(), id, uid)
	})
}

// handleTicketAnswer serves POST /tickets/{id}/answer: the answer is
// stored and queued by SMS to the sender.
func (c *Console) handleTicketAnswer(w http.ResponseWriter, r *Request) error {
	return c.ticketPost(w, r, "tk.answered", func(id int64, f *Form) error {
		_, err := c.DB.AnswerTicket(r.Context(), id, f.Values.Get("answer"))
		return err
	})
}

// handleTicketClose serves POST /tickets/{id}/close.
func (c *Console) handleTicketClose(w http.ResponseWriter, r *Request) error {
	return c.ticketPost(w, r, "tk.closed", func(id int64, f *Form) error {
		return c.DB.CloseTicket(r.Context(), id, f.Values.Get("note"))
	})
}

// conversationData is the data of a conversation's page.
type conversationData struct {
	Mobile   string // masked
	Query    string // the query that names the number, for the pager
	Messages []*taxsms.Message
}

// handleConversation serves GET /conversations: the messages received from
// and sent to one number, newest first, with their status. The number is
// named by ticket (a ticket's sender), contact (a contact's number) or
// mobile; the pages link by ticket or contact, so that full numbers stay
// out of addresses and logs.
func (c *Console) handleConversation(w http.ResponseWriter, r *Request) error {
	if err := requireRead(r, auth.DataTaxpayers); err != nil {
		if err := requireRead(r, auth.DataTickets); err != nil {
			return err
		}
	}
	ctx := r.Context()
	f := newForm(r, "mobile", "ticket", "contact")
	notFound := taxsms.Errorf(taxsms.ENOTFOUND, "conversation not found")
	var mobile string
	switch {
	case f.Get("ticket") != "":
		id, err := formID(f, "ticket")
		if err != nil {
			return notFound
		}
		t, err := c.DB.FindTicket(ctx, id)
		if err != nil {
			return err
		}
		mobile = t.Mobile
	case f.Get("contact") != "":
		id, err := formID(f, "contact")
		if err != nil {
			return notFound
		}
		ct, err := c.DB.FindContact(ctx, id)
		if err != nil {
			return err
		}
		mobile = ct.Mobile
	case f.Get("mobile") != "":
		mobile = f.Get("mobile")
	default:
		page := &Page{Title: "conv.title", Data: &conversationData{}, Form: f}
		c.render(w, r, http.StatusOK, "conversation", page)
		return nil
	}
	before, err := r.Cursor()
	if err != nil {
		return err
	}
	msgs, err := c.DB.Conversation(ctx, mobile, before, PageSize+1)
	if err != nil {
		return err
	}
	more := len(msgs) > PageSize
	if more {
		msgs = msgs[:PageSize]
	}
	var last int64
	if len(msgs) > 0 {
		last = msgs[len(msgs)-1].ID
	}
	d := &conversationData{Mobile: taxsms.MaskMobile(mobile), Messages: msgs}
	c.render(w, r, http.StatusOK, "conversation", &Page{Title: "conv.title", Data: d, Form: f, List: r.Pager(more, last)})
	return nil
}
