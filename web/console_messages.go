package web

import (
	"net/http"
	"strconv"
	"unicode/utf8"

	"taxsms"
	"taxsms/auth"
	"taxsms/store"
)

// messagesData is the data of the message search page.
type messagesData struct {
	Offices    []officeChoice
	Kinds      []taxsms.Kind
	Statuses   []taxsms.Status
	Directions []taxsms.Direction
	Rows       []*taxsms.Message
}

// excerpt returns the first n characters of s, with "…" if it is longer.
func excerpt(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n]) + "…"
}

// Excerpt is for templates: the beginning of a message's text.
func (d *messagesData) Excerpt(s string) string { return excerpt(s, 40) }

// handleMessages serves GET /messages: the messages of the user's scope,
// newest first, a page at a time, searched by number, kind, status,
// direction, office subtree and the days they were created on (from and to,
// both included, in the bureau's time zone).
func (c *Console) handleMessages(w http.ResponseWriter, r *Request) error {
	if err := requireRead(r, auth.DataMessages); err != nil {
		return err
	}
	f := newForm(r, "mobile", "kind", "status", "direction", "office", "from", "to", "taxpayer")
	d := &messagesData{Kinds: taxsms.Kinds, Statuses: messageStatuses, Directions: []taxsms.Direction{taxsms.MT, taxsms.MO}}
	d.Offices, _ = c.officeChoices(r)
	filter := taxsms.MessageFilter{Kind: taxsms.Kind(f.Get("kind")), Status: taxsms.Status(f.Get("status")),
		Direction: taxsms.Direction(f.Get("direction"))}
	var err error
	if filter.TaxpayerID, err = formID(f, "taxpayer"); err != nil {
		f.Fail("taxpayer", c.T(r, "msg.err_choice"))
	}
	if filter.Kind != "" && !filter.Kind.Valid() {
		f.Fail("kind", c.T(r, "msg.err_choice"))
	}
	if filter.Status != "" && !validStatus(filter.Status) {
		f.Fail("status", c.T(r, "msg.err_choice"))
	}
	if filter.Direction != "" && filter.Direction != taxsms.MT && filter.Direction != taxsms.MO {
		f.Fail("direction", c.T(r, "msg.err_choice"))
	}
	page := &Page{Title: "msg.title", Data: d, Form: f}
	rows, list, err := c.searchMessages(r, f, filter)
	if err != nil {
		return err
	}
	if !f.OK() {
		c.render(w, r, http.StatusBadRequest, "messages", page)
		return nil
	}
	d.Rows, page.List = rows, list
	c.render(w, r, http.StatusOK, "messages", page)
	return nil
}

func validStatus(s taxsms.Status) bool {
	for _, v := range messageStatuses {
		if v == s {
			return true
		}
	}
	return false
}

// searchMessages reads f's number, office and days into filter, records
// what is wrong on f, and, if nothing is, returns one page of the messages
// matching filter: ids below the request's cursor (newest first), created
// within the days. Days become ids (store.MessageIDAt), so the search pages
// by the primary key however many messages there are.
func (c *Console) searchMessages(r *Request, f *Form, filter taxsms.MessageFilter) ([]*taxsms.Message, *List, error) {
	ctx := r.Context()
	after, err := r.Cursor()
	if err != nil {
		return nil, nil, err
	}
	if m := f.Get("mobile"); m != "" {
		if filter.Mobile, err = taxsms.NormalizeMobile(m); err != nil {
			f.Fail("mobile", c.T(r, "tp.err_mobile"))
		}
	}
	if filter.Subtree, err = formID(f, "office"); err != nil {
		f.Fail("office", c.T(r, "tp.err_office"))
	}
	from, err := taxsms.ParseDate(f.Get("from"))
	if err != nil {
		f.Fail("from", c.T(r, "tp.err_date"))
	}
	to, err := taxsms.ParseDate(f.Get("to"))
	if err != nil {
		f.Fail("to", c.T(r, "tp.err_date"))
	} else if !from.IsZero() && !to.IsZero() && to.Before(from) {
		f.Fail("to", c.T(r, "msg.err_range"))
	}
	if !f.OK() {
		return nil, nil, nil
	}
	filter.Before, filter.Limit = after, PageSize+1
	var low int64 // the first id created on or after from
	if !from.IsZero() {
		if low, err = c.DB.MessageIDAt(ctx, from.Time(c.Location)); err != nil {
			return nil, nil, err
		}
		if low == 0 { // nothing since from
			return nil, r.Pager(false, 0), nil
		}
	}
	if !to.IsZero() {
		end, err := c.DB.MessageIDAt(ctx, to.Time(c.Location).AddDate(0, 0, 1))
		if err != nil {
			return nil, nil, err
		}
		if end != 0 && (filter.Before == 0 || end < filter.Before) {
			filter.Before = end
		}
	}
	msgs, err := c.DB.ListMessages(ctx, filter)
	if taxsms.ErrorCode(err) == taxsms.ENOTFOUND && filter.Subtree != 0 {
		f.Fail("office", c.T(r, "tp.err_office"))
		return nil, nil, nil
	} else if err != nil {
		return nil, nil, c.failWith(r, f, err)
	}
	more := len(msgs) > PageSize
	if more {
		msgs = msgs[:PageSize]
	}
	for i, m := range msgs {
		if m.ID < low {
			msgs, more = msgs[:i], false
			break
		}
	}
	var last int64
	if len(msgs) > 0 {
		last = msgs[len(msgs)-1].ID
	}
	return msgs, r.Pager(more, last), nil
}

// messageData is the data of a message's page.
type messageData struct {
	M        *taxsms.Message
	Taxpayer *taxsms.Taxpayer // nil when none or out of reach
	Actions  []string         // the changes the user may make now: cancel, hold, release
}

// waitingActionsOf returns the changes that apply to a message in status s,
// in the order the page shows them.
func waitingActionsOf(s taxsms.Status) []string {
	switch s {
	case taxsms.StatusScheduled, taxsms.StatusQueued:
		return []string{"hold", "cancel"}
	case taxsms.StatusHeld:
		return []string{"release", "cancel"}
	}
	return nil
}

// mayChangeMessage reports whether a may cancel, hold or release m, which it may
// read: as the store decides in ChangeWaiting, a user whose write scope is
// its own records changes only the messages it wrote; the others change
// every message they may read.
func mayChangeMessage(a *auth.Actor, m *taxsms.Message) bool {
	switch w := a.Access(auth.DataMessages).Write; w.Level {
	case auth.LevelNone:
		return false
	case auth.LevelAssigned:
		return m.AuthorID != 0 && m.AuthorID == w.UserID
	}
	return true
}

// handleMessage serves GET /messages/{id}: a message with its number
// masked, its text, its status timeline and its segments, and for a
// message still waiting the buttons to hold, release or cancel it for
// those who may change it.
func (c *Console) handleMessage(w http.ResponseWriter, r *Request) error {
	if err := requireRead(r, auth.DataMessages); err != nil {
		return err
	}
	id, err := pathID(r.Request, "message")
	if err != nil {
		return err
	}
	m, err := c.DB.FindMessage(r.Context(), id)
	if err != nil {
		return err
	}
	d := &messageData{M: m}
	if m.TaxpayerID != 0 && r.Actor.Access(auth.DataTaxpayers).Read.Level != auth.LevelNone {
		if d.Taxpayer, err = c.DB.FindTaxpayer(r.Context(), m.TaxpayerID); err != nil && taxsms.ErrorCode(err) == taxsms.EINTERNAL {
			return err
		}
	}
	if mayChangeMessage(r.Actor, m) {
		d.Actions = waitingActionsOf(m.Status)
	}
	c.render(w, r, http.StatusOK, "message", &Page{Title: "msg.one_title", Data: d})
	return nil
}

// handleMessageChange serves POST /messages/{id}/cancel, /hold and
// /release: the change of one waiting message (store.ChangeWaiting, on its
// timeline and in the audit archive with the reason given). A message
// claimed for sending in the meantime is left as it is, and the page says
// so.
func (c *Console) handleMessageChange(w http.ResponseWriter, r *Request) error {
	action := r.PathValue("action")
	to, ok := waitingActions[action]
	if !ok {
		return taxsms.Errorf(taxsms.ENOTFOUND, "no action %q", action)
	}
	id, err := pathID(r.Request, "message")
	if err != nil {
		return err
	}
	if err := requireRead(r, auth.DataMessages); err != nil {
		return err
	}
	m, err := c.DB.FindMessage(r.Context(), id)
	if err != nil {
		return err
	}
	if !mayChangeMessage(r.Actor, m) {
		return errForbidden
	}
	f := newForm(r, "reason")
	reason := f.Get("reason")
	if utf8.RuneCountInString(reason) > 200 {
		reason = excerpt(reason, 200)
	}
	if reason == "" {
		reason = "console"
	}
	n, err := c.DB.ChangeWaiting(r.Context(), store.Selector{ID: id}, to, reason)
	if err != nil {
		return err
	}
	flash := "msg.done." + action
	if n == 0 {
		flash = "msg.not_waiting"
	}
	c.redirect(w, r, "/messages/"+strconv.FormatInt(id, 10), flash)
	return nil
}
