package main

import (
	"context"
	"errors"
	"sync"
	"time"

	"taxsms"
	"taxsms/calendar"
	"taxsms/inbound"
	"taxsms/invoice"
	"taxsms/kb"
	"taxsms/remind"
	"taxsms/store"
)

// invoices answers SMS invoice checks from the store's registry.
type invoices struct{ db *store.DB }

func (iv invoices) CheckInvoice(ctx context.Context, text string) string {
	q, err := invoice.Parse(text)
	if err != nil {
		return invoice.Answer(q, nil, err, "zh")
	}
	r, err := iv.db.LookupInvoice(ctx, q)
	return invoice.Answer(q, r, err, "zh")
}

// kbRefresh is how old the knowledge base's index may grow before it is
// built again from the store, so that edits reach the answers.
const kbRefresh = time.Minute

// answers answers tax questions from the knowledge base kept in the store
// (the built-in FAQ while it is empty).
type answers struct {
	db *store.DB

	mu    sync.Mutex
	index *kb.Index
	built time.Time
}

func (a *answers) AnswerQuestion(text string) (string, bool) {
	m, ok := a.current().Match(text)
	if !ok {
		return "", false
	}
	return m.Entry.Answer, true
}

// current returns the index, built again when older than kbRefresh; if the
// store cannot be read, the last index stands.
func (a *answers) current() *kb.Index {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.index != nil && time.Since(a.built) < kbRefresh {
		return a.index
	}
	entries, err := a.db.KBEntries(context.Background())
	switch {
	case err != nil && a.index != nil:
		return a.index
	case err != nil || len(entries) == 0:
		entries = kb.Default()
	}
	a.index, a.built = kb.NewIndex(entries, kb.Options{}), time.Now()
	return a.index
}

// tickets opens the tickets of taxpayers' texts: at the taxpayer's office,
// or the city's service centre (the root office) for an unknown sender,
// due a number of working days after today per kind.
type tickets struct {
	db      *store.DB
	planner *remind.Planner // for the working-day calendar as kept in the store
	due     map[inbound.Intent]int
}

// ticketTypes are the tickets of the intents that open one.
var ticketTypes = map[inbound.Intent]taxsms.TicketType{inbound.Question: taxsms.TicketConsultation,
	inbound.Complaint: taxsms.TicketComplaint, inbound.Report: taxsms.TicketReport}

func (tk tickets) OpenTicket(ctx context.Context, kind inbound.Intent, m *taxsms.Message, taxpayer int64) (string, taxsms.Date, error) {
	cal, err := tk.planner.CurrentCalendar(ctx)
	if err != nil {
		return "", taxsms.Date{}, err
	}
	office := int64(0)
	if taxpayer != 0 {
		t, err := tk.db.FindTaxpayer(ctx, taxpayer)
		if err != nil {
			return "", taxsms.Date{}, err
		}
		office = t.OfficeID
	} else if office, err = tk.root(ctx); err != nil {
		return "", taxsms.Date{}, err
	}
	due := cal.AddWorkdays(taxsms.DateOf(time.Now().In(calendar.Shanghai)), tk.due[kind])
	t := &taxsms.Ticket{Type: ticketTypes[kind], Mobile: m.Mobile, TaxpayerID: taxpayer, OfficeID: office, MOID: m.ID,
		Text: m.Body, Due: due.Time(calendar.Shanghai).Add(24*time.Hour - time.Second)}
	if err := tk.db.CreateTicket(ctx, t); err != nil {
		return "", taxsms.Date{}, err
	}
	return t.Number, due, nil
}

// root returns the city's office, at the top of the tree.
func (tk tickets) root(ctx context.Context) (int64, error) {
	offices, err := tk.db.ListOffices(ctx, taxsms.OfficeFilter{})
	if err != nil {
		return 0, err
	}
	for _, o := range offices {
		if o.ParentID == 0 {
			return o.ID, nil
		}
	}
	return 0, errors.New("no office at the top of the tree: import the offices first")
}
