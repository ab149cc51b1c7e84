package taxsms

import (
	"time"
	"unicode/utf8"
)

// Direction tells whether a message was sent (MT) or received (MO).
type Direction string

// Directions.
const (
	MT Direction = "mt" // mobile terminated: sent by the platform
	MO Direction = "mo" // mobile originated: received from a handset
)

// Kind is what a message is for. The first eight are the functions of Art. 4
// (MISSION R-3), each with its own template and statistics.
type Kind string

// Kinds.
const (
	KindFilingReminder  Kind = "filing_reminder"  // Art. 4 (1): before the filing deadline
	KindOverdueFiling   Kind = "overdue_filing"   // Art. 4 (2): to non-filers after it
	KindUnpaidTax       Kind = "unpaid_tax"       // Art. 4 (3): within 2 days after the payment deadline
	KindFailedDeduction Kind = "failed_deduction" // Art. 4 (4): treasury deduction failed
	KindSpecial         Kind = "special"          // Art. 4 (5): policies, meetings
	KindInteractive     Kind = "interactive"      // Art. 4 (6): queries and complaints received
	KindInternal        Kind = "internal"         // Art. 4 (7): notices to staff
	KindOther           Kind = "other"            // Art. 4 (8)
	KindOTP             Kind = "otp"              // one-time code for self-service
	KindReply           Kind = "reply"            // automatic answer to an MO
)

// Kinds lists every kind.
var Kinds = []Kind{KindFilingReminder, KindOverdueFiling, KindUnpaidTax, KindFailedDeduction,
	KindSpecial, KindInteractive, KindInternal, KindOther, KindOTP, KindReply}

// Valid reports whether k is a known kind.
func (k Kind) Valid() bool {
	for _, v := range Kinds {
		if k == v {
			return true
		}
	}
	return false
}

// Priority orders the outbox: lower goes first (MISSION R-11).
type Priority int

// Priorities.
const (
	PriorityInteractive Priority = 0 // replies and one-time codes
	PriorityReminder    Priority = 1 // the automatic reminders
	PriorityInternal    Priority = 2 // internal notices
	PriorityBulk        Priority = 3 // broadcasts
)

// DefaultPriority returns the priority a message of kind k gets unless told otherwise.
func (k Kind) DefaultPriority() Priority {
	switch k {
	case KindReply, KindOTP, KindInteractive:
		return PriorityInteractive
	case KindFilingReminder, KindOverdueFiling, KindUnpaidTax, KindFailedDeduction:
		return PriorityReminder
	case KindInternal:
		return PriorityInternal
	}
	return PriorityBulk
}

// Status is where a message stands. A message's statuses form its timeline.
type Status string

// Statuses. Scheduled, Queued and Held are waiting; Sending is claimed by a
// node for submission; Submitted is with the carrier; the rest are final.
// Received is the status of an MO.
const (
	StatusScheduled Status = "scheduled" // waiting for its NotBefore (or a retry)
	StatusQueued    Status = "queued"
	StatusHeld      Status = "held"
	StatusSending   Status = "sending"
	StatusSubmitted Status = "submitted"
	StatusDelivered Status = "delivered"
	StatusFailed    Status = "failed"
	StatusExpired   Status = "expired"
	StatusRejected  Status = "rejected"
	StatusCancelled Status = "cancelled"
	StatusReceived  Status = "received"
)

// Final reports whether no further change of status is expected.
func (s Status) Final() bool {
	switch s {
	case StatusDelivered, StatusFailed, StatusExpired, StatusRejected, StatusCancelled, StatusReceived:
		return true
	}
	return false
}

// Coding is the text encoding of a message on the air.
type Coding string

// Codings.
const (
	CodingGSM7   Coding = "gsm7"
	CodingASCII  Coding = "ascii"
	CodingUCS2   Coding = "ucs2"
	CodingGB     Coding = "gb18030"
	CodingBinary Coding = "binary"
)

// MaxBodyChars bounds a message body: 10 UCS-2 segments of 67 characters.
const MaxBodyChars = 670

// Message is one SMS, sent or received. An MT message may travel as several
// segments, each with its own carrier id and receipt.
type Message struct {
	ID        int64
	Direction Direction
	Kind      Kind
	Priority  Priority
	Mobile    string // the taxpayer's or staff member's number (recipient of MT, sender of MO)

	TaxpayerID int64 // links; 0 when none
	ContactID  int64
	UserID     int64 // a staff recipient of an internal notice
	OfficeID   int64 // the office on whose behalf it is sent, or that owns the sender
	AuthorID   int64 // the user who wrote it; 0 for automatic messages
	CampaignID int64 // the broadcast it belongs to, if any

	Body     string
	Coding   Coding
	Segments int

	Status   Status
	Timeline []StatusEvent
	Carrier  Carrier
	Link     string // the carrier link it was submitted on, or an MO arrived on
	// ServiceNumber is, for an MO, the number it was sent to (the platform's
	// source number and the extension that tells which service it answers).
	ServiceNumber string
	Parts         []Part
	Attempts      int // submissions that failed temporarily

	IdempotencyKey string // unique among MT messages when set
	Error          string // the last error, carrier code included

	NotBefore time.Time // not sent before; zero means now
	ExpiresAt time.Time // marked expired instead of sent after; zero means never
	CreatedAt time.Time
	UpdatedAt time.Time
}

// StatusEvent is one entry of a message's timeline.
type StatusEvent struct {
	At     time.Time
	Status Status
	Detail string // e.g. the carrier's code
}

// Part is one segment of a message as the carrier knows it.
type Part struct {
	Seq          int    // 1-based
	CarrierMsgID string // normalised carrier id, from the submit response
	Status       Status // submitted, delivered or failed
	Error        string
	DoneAt       time.Time
}

// Validate normalises Mobile, fills defaults and returns an EINVALID error
// naming the first bad field.
func (m *Message) Validate() error {
	if m.Direction != MT && m.Direction != MO {
		return Invalid("direction", "want mt or mo, got %q", m.Direction)
	}
	if m.Kind == "" && m.Direction == MO {
		m.Kind = KindInteractive
	}
	if !m.Kind.Valid() {
		return Invalid("kind", "unknown kind %q", m.Kind)
	}
	if m.Priority < PriorityInteractive || m.Priority > PriorityBulk {
		return Invalid("priority", "want %d-%d, got %d", PriorityInteractive, PriorityBulk, m.Priority)
	}
	mob, err := NormalizeMobile(m.Mobile)
	if err != nil {
		return err
	}
	m.Mobile = mob
	if m.Body == "" {
		return Invalid("body", "required")
	}
	if !utf8.ValidString(m.Body) {
		return Invalid("body", "not valid UTF-8")
	}
	if n := utf8.RuneCountInString(m.Body); n > MaxBodyChars && m.Direction == MT {
		return Invalid("body", "at most %d characters, got %d", MaxBodyChars, n)
	}
	if m.Segments < 1 {
		return Invalid("segments", "at least 1")
	}
	if len(m.IdempotencyKey) > 200 {
		return Invalid("idempotency_key", "at most 200 bytes, got %d", len(m.IdempotencyKey))
	}
	if !m.ExpiresAt.IsZero() && !m.NotBefore.IsZero() && !m.ExpiresAt.After(m.NotBefore) {
		return Invalid("expires_at", "must be after not_before")
	}
	switch {
	case m.Direction == MO:
		m.Status = StatusReceived
	case m.Status == "":
		m.Status = StatusQueued
	case m.Status != StatusQueued && m.Status != StatusHeld && m.Status != StatusScheduled:
		return Invalid("status", "a new message is queued, scheduled or held, not %q", m.Status)
	}
	return nil
}

// MessageFilter selects messages; zero fields do not filter. Results are
// newest first; Before gives the last ID of the previous page.
type MessageFilter struct {
	Direction  Direction
	Kind       Kind
	Status     Status
	TaxpayerID int64
	Subtree    int64 // office subtree
	Mobile     string
	Before     int64
	Limit      int
}
