package taxsms

import (
	"strings"
	"time"
	"unicode/utf8"
)

// TicketType is what a taxpayer's text asks for when staff must answer it
// (seed Art. 4 (6)).
type TicketType string

// Ticket types.
const (
	TicketConsultation TicketType = "consultation" // a tax question the knowledge base could not answer
	TicketComplaint    TicketType = "complaint"    // 投诉
	TicketReport       TicketType = "report"       // 举报
)

// TicketTypes lists every ticket type.
var TicketTypes = []TicketType{TicketConsultation, TicketComplaint, TicketReport}

// Valid reports whether t is a known type.
func (t TicketType) Valid() bool {
	for _, v := range TicketTypes {
		if t == v {
			return true
		}
	}
	return false
}

// Prefix is the letters that open the numbers of tickets of the type: ZX
// (咨询), TS (投诉), JB (举报).
func (t TicketType) Prefix() string {
	switch t {
	case TicketConsultation:
		return "ZX"
	case TicketComplaint:
		return "TS"
	case TicketReport:
		return "JB"
	}
	return ""
}

// TicketStatus is where a ticket stands: open until staff answer it, then
// answered, and closed when nothing more is to be done.
type TicketStatus string

// Ticket statuses.
const (
	TicketOpen     TicketStatus = "open"
	TicketAnswered TicketStatus = "answered"
	TicketClosed   TicketStatus = "closed"
)

// TicketStatuses lists every status.
var TicketStatuses = []TicketStatus{TicketOpen, TicketAnswered, TicketClosed}

// Valid reports whether s is a known status.
func (s TicketStatus) Valid() bool {
	for _, v := range TicketStatuses {
		if s == v {
			return true
		}
	}
	return false
}

// MaxTicketText bounds the text of a ticket: the reassembled MO it came from.
const MaxTicketText = MaxBodyChars

// MaxAnswerChars bounds a ticket's answer, sent as one SMS reply of a few
// segments.
const MaxAnswerChars = 300

// Ticket is a consultation, complaint or report received by SMS that staff
// answer (MISSION: interactive service). The answer goes back by SMS.
type Ticket struct {
	ID     int64
	Number string // set by the store: "TS-20261203-0007" (type prefix, day, sequence of the day), unique
	Type   TicketType
	Status TicketStatus
	Mobile string // the sender; sealed in the store, masked in pages

	TaxpayerID int64 // 0 for an unknown sender
	OfficeID   int64 // the taxpayer's office, or the city's service centre (the root office)
	AssigneeID int64 // the staff member in charge; 0 until assigned
	MOID       int64 // the message that opened it
	ReplyID    int64 // the SMS that carried the answer; set by the store

	Text   string
	Answer string
	Note   string // why it was closed, if told

	Due        time.Time // answer before; set by the caller from the working days of the type
	CreatedAt  time.Time
	AnsweredAt time.Time
	ClosedAt   time.Time
}

// Validate normalises Mobile and the text and returns an EINVALID error
// naming the first bad field of a new ticket.
func (t *Ticket) Validate() error {
	if !t.Type.Valid() {
		return Invalid("type", "want consultation, complaint or report, got %q", t.Type)
	}
	mob, err := NormalizeMobile(t.Mobile)
	if err != nil {
		return err
	}
	t.Mobile = mob
	if t.OfficeID <= 0 {
		return Invalid("office", "required")
	}
	t.Text = strings.TrimSpace(t.Text)
	switch {
	case t.Text == "":
		return Invalid("text", "required")
	case !utf8.ValidString(t.Text):
		return Invalid("text", "not valid UTF-8")
	case utf8.RuneCountInString(t.Text) > MaxTicketText:
		return Invalid("text", "at most %d characters, got %d", MaxTicketText, utf8.RuneCountInString(t.Text))
	}
	if t.Due.IsZero() {
		return Invalid("due", "required")
	}
	if t.TaxpayerID < 0 || t.AssigneeID < 0 || t.MOID < 0 {
		return Invalid("id", "ids are positive or 0")
	}
	return nil
}

// ValidAnswer normalises an answer and returns an EINVALID error (field
// "answer") unless it is 1 to MaxAnswerChars characters of UTF-8.
func ValidAnswer(answer string) (string, error) {
	answer = strings.TrimSpace(answer)
	switch {
	case answer == "":
		return "", Invalid("answer", "required")
	case !utf8.ValidString(answer):
		return "", Invalid("answer", "not valid UTF-8")
	case utf8.RuneCountInString(answer) > MaxAnswerChars:
		return "", Invalid("answer", "at most %d characters, got %d", MaxAnswerChars, utf8.RuneCountInString(answer))
	}
	return answer, nil
}

// Overdue reports whether the ticket is still unanswered after its due time.
func (t *Ticket) Overdue(now time.Time) bool {
	return t.Status == TicketOpen && !t.Due.IsZero() && now.After(t.Due)
}

// TicketFilter selects tickets; zero fields do not filter. Results are
// newest first; Before gives the last ID of the previous page.
type TicketFilter struct {
	Status     TicketStatus
	Type       TicketType
	Subtree    int64 // office subtree
	AssigneeID int64
	TaxpayerID int64
	Overdue    bool      // open with Due before Now
	Now        time.Time // for Overdue; zero means the store's clock
	Before     int64
	Limit      int
}
