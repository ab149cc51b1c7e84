// Package audit is the platform's archive of who did what (MISSION R-20,
// Art. 20): every sign-in and failed sign-in, administrative change (with
// its state before and after), message sent or received, approval, reveal of
// a number and export becomes an Entry. Entries are chained by hash, so that
// editing, deleting, inserting or moving any stored record is detectable by
// Verify. The package is pure: the store keeps the entries, this package
// defines them, their bytes, the chain and its check.
//
// # Numbers are passed masked
//
// An entry is kept for years and shown to auditors: callers put mobile
// numbers in it only masked (taxsms.MaskMobile: 138****5678), in Detail,
// Object.ID, Before and After alike. Validate refuses a text that holds a
// run of exactly 11 digits starting 13-19 (or 13 digits starting 8613-8619),
// which is what an unmasked number looks like; it is a safety net, not a
// proof (a number split by spaces or dashes passes).
//
// # Canonical bytes
//
// The hash of an entry covers its canonical encoding, which is fixed here and
// never changes for version 1 (a new layout gets a new tag). Integers are
// big-endian; str is a 4-byte big-endian length followed by that many bytes
// of UTF-8, in this order:
//
//	offset size  field
//	0      14    tag "taxsms-audit/1"
//	14     8     Seq (int64)
//	22     8     At, Unix milliseconds (int64; finer precision is not kept)
//	30     str   Actor.Kind
//	…      8     Actor.UserID (int64)
//	…      str   Actor.Login
//	…      str   Actor.Role
//	…      str   Action
//	…      str   Object.Type
//	…      str   Object.ID
//	…      str   Before (the JSON bytes exactly as given, or empty)
//	…      str   After  (likewise)
//	…      str   IP
//	…      str   UserAgent
//	…      str   Detail
//
// The chain is Hash(n) = SHA-256(Hash(n-1) ‖ canonical(entry n)), 32 bytes
// each; the first record follows Genesis() = SHA-256("taxsms-audit/1 genesis").
// Entry.Prev holds Hash(n-1) as written, Entry.Hash holds Hash(n).
//
// # Known limits
//
// The chain is not keyed: whoever can write the database can recompute every
// hash after the record they changed, and the chain then verifies. Deleting
// the newest records leaves a shorter chain that also verifies. Both are
// caught only by comparing the head (the last seq and hash, printed by
// RunVerify) with a copy kept elsewhere: on paper, in a ticket, in another
// system. A chain checked from an anchor (after retention removed its oldest
// records) proves nothing about the records before the anchor.
package audit

import (
	"encoding/json"
	"net/netip"
	"strconv"
	"time"
	"unicode/utf8"

	"taxsms"
)

// Entry is one record of the archive. The store assigns Seq, Prev and Hash,
// and At when it is zero; the caller fills in the rest.
type Entry struct {
	Seq    int64     // position in the chain, from 1, without gaps
	At     time.Time // when it happened; kept to the millisecond
	Actor  Actor     // who did it
	Action Action    // what was done
	Object Object    // what it was done to, if anything

	// Before and After are the state of the object (JSON) before and after
	// an administrative change; empty for other actions.
	Before, After json.RawMessage

	IP        string // the client's address, empty for the system
	UserAgent string // the client's User-Agent, empty for the system
	Detail    string // free text: reason, counts, masked numbers

	Prev Hash // hash of the previous record, as stored
	Hash Hash // hash of this record: Sum(Prev, e)
}

// ActorKind is what kind of actor an Actor is.
type ActorKind string

// Actor kinds.
const (
	ActorUser   ActorKind = "user"    // a staff user, or a login that failed
	ActorKey    ActorKind = "api_key" // a tax core system calling the REST API
	ActorSystem ActorKind = "system"  // the platform itself: automatic sends, retention
)

// Actor is who acted.
type Actor struct {
	Kind   ActorKind
	UserID int64       // the user's id; 0 for a failed sign-in with an unknown login
	Login  string      // the user's login, or the API key's id
	Role   taxsms.Role // the user's role when acting, if known
}

// User returns the actor for a staff user.
func User(id int64, login string, role taxsms.Role) Actor {
	return Actor{Kind: ActorUser, UserID: id, Login: login, Role: role}
}

// Key returns the actor for an API key.
func Key(id string) Actor { return Actor{Kind: ActorKey, Login: id} }

// System is the platform acting on its own.
var System = Actor{Kind: ActorSystem}

// String returns "user 12 (li.qiang, city_admin)", "api_key core-1" or "system".
func (a Actor) String() string {
	switch a.Kind {
	case ActorUser:
		s := "user"
		if a.UserID != 0 {
			s += " " + strconv.FormatInt(a.UserID, 10)
		}
		s += " (" + a.Login
		if a.Role != "" {
			s += ", " + string(a.Role)
		}
		return s + ")"
	case ActorKey:
		return "api_key " + a.Login
	}
	return string(a.Kind)
}

// Action is what was done.
type Action string

// Actions. The list grows with the platform; Validate refuses any other.
const (
	SignIn            Action = "sign_in"
	SignInFailed      Action = "sign_in_failed"
	SignOut           Action = "sign_out"
	UserCreated       Action = "user_created"
	UserChanged       Action = "user_changed"
	PasswordChanged   Action = "password_changed"
	PermissionGranted Action = "permission_granted"
	PermissionRevoked Action = "permission_revoked"
	OfficeCreated     Action = "office_created"
	OfficeChanged     Action = "office_changed"
	Suspended         Action = "suspended"
	Resumed           Action = "resumed"
	TaxpayerChanged   Action = "taxpayer_changed"
	ContactChanged    Action = "contact_changed"
	Imported          Action = "imported"
	MessageSent       Action = "message_sent"
	MessageReceived   Action = "message_received"
	MessageCancelled  Action = "message_cancelled"
	MessageHeld       Action = "message_held"     // waiting messages held back from sending
	MessageReleased   Action = "message_released" // held messages queued again
	Approved          Action = "approved"
	Rejected          Action = "rejected"
	Overridden        Action = "overridden" // a flagged text sent by an approver's override
	Emergency         Action = "emergency"  // a manual message sent outside working hours
	NumberRevealed    Action = "number_revealed"
	Exported          Action = "exported"
	LinkChanged       Action = "link_changed"
	ConfigChanged     Action = "config_changed"
	KeyCreated        Action = "key_created"
	KeyRevoked        Action = "key_revoked"
	AuditPruned       Action = "audit_pruned"    // retention removed the oldest records
	ContentPruned     Action = "content_pruned"  // retention erased the text of old messages
	TicketOpened      Action = "ticket_opened"   // a consultation, complaint or report received
	TicketAssigned    Action = "ticket_assigned" // a member of staff put in charge of a ticket
	TicketAnswered    Action = "ticket_answered" // a ticket's answer queued as an SMS reply
	TicketClosed      Action = "ticket_closed"
	CampaignCreated   Action = "campaign_created"   // a broadcast drafted, or its draft changed
	CampaignSubmitted Action = "campaign_submitted" // a broadcast handed in for approval
	CampaignScheduled Action = "campaign_scheduled"
	CampaignPaused    Action = "campaign_paused"
	CampaignResumed   Action = "campaign_resumed"
	CampaignCancelled Action = "campaign_cancelled"
	TariffChanged     Action = "tariff_changed"    // a carrier tariff added, changed or deleted
	MonthClosed       Action = "month_closed"      // a month's carrier statement closed and frozen
	BillingRecounted  Action = "billing_recounted" // the billing counters rebuilt from the messages
)

// Actions lists every action, in a stable order (for the console's filter).
var Actions = []Action{
	SignIn, SignInFailed, SignOut, UserCreated, UserChanged, PasswordChanged,
	PermissionGranted, PermissionRevoked, OfficeCreated, OfficeChanged, Suspended, Resumed,
	TaxpayerChanged, ContactChanged, Imported, MessageSent, MessageReceived, MessageCancelled,
	MessageHeld, MessageReleased, Approved, Rejected, Overridden, Emergency, NumberRevealed, Exported, LinkChanged,
	ConfigChanged, KeyCreated, KeyRevoked, AuditPruned, ContentPruned,
	TicketOpened, TicketAssigned, TicketAnswered, TicketClosed,
	CampaignCreated, CampaignSubmitted, CampaignScheduled, CampaignPaused, CampaignResumed, CampaignCancelled,
	TariffChanged, MonthClosed, BillingRecounted,
}

// Valid reports whether a is one of Actions.
func (a Action) Valid() bool {
	for _, v := range Actions {
		if a == v {
			return true
		}
	}
	return false
}

// Object is what an action was done to: its type ("user", "office",
// "message", "taxpayer", "contact", "link", "config", …) and its id.
type Object struct {
	Type string
	ID   string
}

// Limits on the size of an entry's fields, in bytes.
const (
	MaxName      = 128       // Actor.Login, Actor.Role, Object.Type, Object.ID
	MaxUserAgent = 512       // UserAgent; callers cut longer ones
	MaxDetail    = 4096      // Detail
	MaxState     = 64 * 1024 // Before, After each
)

// Validate checks an entry before it is chained. It returns an EINVALID
// *taxsms.Error naming the first field at fault: a zero At, an unknown action
// or actor kind, an actor without its login, a text that is not UTF-8, holds
// a NUL byte, is too long or looks like an unmasked mobile number, Before or
// After that is not JSON, or an IP that is not an address. It does not look
// at Seq, Prev or Hash.
func (e *Entry) Validate() error {
	if e.At.IsZero() {
		return taxsms.Invalid("at", "is missing")
	}
	switch e.Actor.Kind {
	case ActorUser, ActorKey:
		if e.Actor.Login == "" {
			return taxsms.Invalid("actor", "%s without a login or key id", e.Actor.Kind)
		}
	case ActorSystem:
		if e.Actor != System {
			return taxsms.Invalid("actor", "system with a user id, login or role")
		}
	default:
		return taxsms.Invalid("actor", "unknown kind %q", e.Actor.Kind)
	}
	if !e.Action.Valid() {
		return taxsms.Invalid("action", "unknown action %q", e.Action)
	}
	if e.Object.ID != "" && e.Object.Type == "" {
		return taxsms.Invalid("object", "id %q without a type", e.Object.ID)
	}
	for _, f := range []struct {
		name, v string
		max     int
	}{
		{"actor", e.Actor.Login, MaxName},
		{"role", string(e.Actor.Role), MaxName},
		{"object", e.Object.Type, MaxName},
		{"object", e.Object.ID, MaxName},
		{"before", string(e.Before), MaxState},
		{"after", string(e.After), MaxState},
		{"ip", e.IP, MaxName},
		{"user_agent", e.UserAgent, MaxUserAgent},
		{"detail", e.Detail, MaxDetail},
	} {
		if err := checkText(f.name, f.v, f.max); err != nil {
			return err
		}
	}
	for _, f := range []struct {
		name string
		v    json.RawMessage
	}{{"before", e.Before}, {"after", e.After}} {
		if len(f.v) > 0 && !json.Valid(f.v) {
			return taxsms.Invalid(f.name, "is not JSON")
		}
	}
	if e.IP != "" {
		if _, err := netip.ParseAddr(e.IP); err != nil {
			return taxsms.Invalid("ip", "%q is not an IP address", e.IP)
		}
	}
	return nil
}

func checkText(field, s string, max int) error {
	switch {
	case len(s) > max:
		return taxsms.Invalid(field, "is %d bytes long, at most %d", len(s), max)
	case !utf8.ValidString(s):
		return taxsms.Invalid(field, "is not UTF-8")
	case containsNUL(s):
		return taxsms.Invalid(field, "holds a NUL byte")
	case containsMobile(s):
		return taxsms.Invalid(field, "holds what looks like an unmasked mobile number; pass it masked (138****5678)")
	}
	return nil
}

func containsNUL(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] == 0 {
			return true
		}
	}
	return false
}

// containsMobile reports whether s has a maximal run of digits that is a
// mainland mobile number: 11 digits 1[3-9]…, or 13 digits 861[3-9]….
func containsMobile(s string) bool {
	for i := 0; i < len(s); {
		if s[i] < '0' || s[i] > '9' {
			i++
			continue
		}
		j := i
		for j < len(s) && s[j] >= '0' && s[j] <= '9' {
			j++
		}
		run := s[i:j]
		if len(run) == 13 && run[:2] == "86" {
			run = run[2:]
		}
		if len(run) == 11 && run[0] == '1' && run[1] >= '3' {
			return true
		}
		i = j
	}
	return false
}
