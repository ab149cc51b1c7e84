package taxsms

import (
	"strings"
	"time"
	"unicode/utf8"
)

// CampaignState is where a broadcast stands (Art. 17). A campaign moves
//
//	draft → pending → approved → scheduled → sending → completed
//
// with rejected (back to draft when edited), paused (from scheduled or
// sending, back with resume) and cancelled (from any state but completed)
// as side exits. Rules that need no approval take a submitted draft straight
// to approved.
type CampaignState string

// Campaign states.
const (
	CampaignDraft     CampaignState = "draft"
	CampaignPending   CampaignState = "pending" // waiting for an approver
	CampaignApproved  CampaignState = "approved"
	CampaignRejected  CampaignState = "rejected"
	CampaignScheduled CampaignState = "scheduled" // waiting for its time and the office's working window
	CampaignSending   CampaignState = "sending"   // expanded into the outbox, or being expanded
	CampaignPaused    CampaignState = "paused"
	CampaignCompleted CampaignState = "completed"
	CampaignCancelled CampaignState = "cancelled"
)

// CampaignStates lists every state, in the order of the life of a campaign.
var CampaignStates = []CampaignState{CampaignDraft, CampaignPending, CampaignApproved, CampaignRejected,
	CampaignScheduled, CampaignSending, CampaignPaused, CampaignCompleted, CampaignCancelled}

// Valid reports whether s is a known state.
func (s CampaignState) Valid() bool {
	for _, v := range CampaignStates {
		if s == v {
			return true
		}
	}
	return false
}

// Final reports whether no act changes the campaign any more.
func (s CampaignState) Final() bool { return s == CampaignCompleted || s == CampaignCancelled }

// campaignMoves are the allowed transitions.
var campaignMoves = map[CampaignState][]CampaignState{
	CampaignDraft:     {CampaignPending, CampaignApproved, CampaignCancelled},
	CampaignPending:   {CampaignApproved, CampaignRejected, CampaignCancelled},
	CampaignRejected:  {CampaignDraft, CampaignCancelled},
	CampaignApproved:  {CampaignScheduled, CampaignDraft, CampaignCancelled},
	CampaignScheduled: {CampaignSending, CampaignPaused, CampaignCancelled},
	CampaignSending:   {CampaignPaused, CampaignCompleted, CampaignCancelled},
	CampaignPaused:    {CampaignScheduled, CampaignSending, CampaignCancelled},
}

// CanMove reports whether a campaign in state s may move to state to.
func (s CampaignState) CanMove(to CampaignState) bool {
	for _, v := range campaignMoves[s] {
		if v == to {
			return true
		}
	}
	return false
}

// AudienceType tells how a campaign's recipients are chosen.
type AudienceType string

// Audience types.
const (
	AudienceTaxpayers AudienceType = "taxpayers" // taxpayers' contacts, by filter
	AudienceList      AudienceType = "list"      // an uploaded list of identifiers or numbers
	AudienceStaff     AudienceType = "staff"     // members of staff, by office, role and group
)

// Audience chooses a campaign's recipients. Zero fields do not filter;
// the author's scope always limits what is reached.
type Audience struct {
	Type AudienceType `json:"type"`

	// Taxpayers (and the taxpayers of a list of identifiers).
	Subtree     int64         `json:"subtree,omitempty"`      // office subtree; 0: the campaign's office
	TaxTypes    []string      `json:"tax_types,omitempty"`    // any of
	Industry    string        `json:"industry,omitempty"`     // exact
	RegStatus   []RegStatus   `json:"reg_status,omitempty"`   // any of
	RemoteFiler string        `json:"remote_filer,omitempty"` // "yes", "no" or ""
	AdminID     int64         `json:"admin_id,omitempty"`     // assigned tax administrator
	Roles       []ContactRole `json:"roles,omitempty"`        // contact roles; none: every role

	// List.
	ListID int64 `json:"list_id,omitempty"`

	// Staff (Subtree too).
	StaffRoles []Role `json:"staff_roles,omitempty"`
	Group      string `json:"group,omitempty"`
}

// Validate returns an EINVALID error naming the first bad field, with the
// "audience." prefix.
func (a *Audience) Validate() error {
	switch a.Type {
	case AudienceTaxpayers, AudienceStaff:
	case AudienceList:
		if a.ListID <= 0 {
			return Invalid("audience.list_id", "required for a list audience")
		}
	default:
		return Invalid("audience.type", "want taxpayers, list or staff, got %q", a.Type)
	}
	if a.Subtree < 0 {
		return Invalid("audience.subtree", "not an office id: %d", a.Subtree)
	}
	for _, tt := range a.TaxTypes {
		if err := checkTaxType(tt); err != nil {
			return Invalid("audience.tax_types", "%s", ErrorMessage(err))
		}
	}
	if err := checkText("audience.industry", a.Industry, 0, 100); err != nil {
		return err
	}
	for _, s := range a.RegStatus {
		if s != RegRegistered && s != RegChanged && s != RegCancelled {
			return Invalid("audience.reg_status", "unknown registration status %q", s)
		}
	}
	switch a.RemoteFiler {
	case "", "yes", "no":
	default:
		return Invalid("audience.remote_filer", "want yes, no or empty, got %q", a.RemoteFiler)
	}
	for _, r := range a.Roles {
		if !r.Valid() {
			return Invalid("audience.roles", "unknown contact role %q", r)
		}
	}
	for _, r := range a.StaffRoles {
		if !r.Valid() {
			return Invalid("audience.staff_roles", "unknown role %q", r)
		}
	}
	if err := checkText("audience.group", a.Group, 0, 50); err != nil {
		return err
	}
	if a.Type == AudienceStaff && (len(a.TaxTypes) > 0 || a.Industry != "" || len(a.RegStatus) > 0 || a.RemoteFiler != "" || a.AdminID != 0 || len(a.Roles) > 0) {
		return Invalid("audience.type", "a staff audience takes only subtree, staff_roles and group")
	}
	if a.Type != AudienceStaff && (len(a.StaffRoles) > 0 || a.Group != "") {
		return Invalid("audience.type", "staff_roles and group choose staff, not taxpayers")
	}
	return nil
}

// Staff reports whether the audience is members of staff.
func (a *Audience) Staff() bool { return a.Type == AudienceStaff }

// MaxTemplateChars bounds a campaign's text before rendering.
const MaxTemplateChars = 500

// Campaign is a broadcast: one text, rendered per recipient, sent to an
// audience once it is checked and approved (Art. 17, 18), within working
// hours (Art. 15) unless it is an emergency.
type Campaign struct {
	ID       int64
	OfficeID int64 // the office it is sent on behalf of; rules and working hours are this office's
	AuthorID int64
	Kind     Kind // special, internal or other
	Title    string
	Template string // the text, with {name}, {identifier}, {office}, {admin}; no signature
	Audience Audience
	State    CampaignState

	Emergency       bool   // goes at once, whatever the hour
	EmergencyReason string // required with Emergency
	OverrideBy      int64  // the approver who let a flagged text go
	OverrideReason  string
	ApprovedBy      int64
	RejectReason    string
	ScheduledAt     time.Time // not before; zero: as soon as approved and scheduled
	Festival        string    // the festival a greeting is prepared for, as "2027-02-06 春节"

	// Counts, set at expansion: recipients queued; the messages' progress
	// is read with the store's CampaignProgress.
	Recipients int
	Segments   int

	CreatedAt   time.Time
	UpdatedAt   time.Time
	StartedAt   time.Time
	CompletedAt time.Time
}

// Validate normalises the text and returns an EINVALID error naming the
// first bad field.
func (c *Campaign) Validate() error {
	if c.OfficeID <= 0 {
		return Invalid("office", "required")
	}
	switch c.Kind {
	case KindSpecial, KindInternal, KindOther:
	default:
		return Invalid("kind", "want special, internal or other, got %q", c.Kind)
	}
	if err := checkText("title", c.Title, 1, 100); err != nil {
		return err
	}
	c.Template = strings.TrimSpace(c.Template)
	if c.Template == "" {
		return Invalid("template", "required")
	}
	if err := checkText("template", c.Template, 1, MaxTemplateChars); err != nil {
		return err
	}
	if err := CheckCampaignVariables(c.Template); err != nil {
		return err
	}
	if err := c.Audience.Validate(); err != nil {
		return err
	}
	if c.Kind == KindInternal && !c.Audience.Staff() {
		return Invalid("kind", "an internal notice goes to staff: choose a staff audience")
	}
	if c.Kind != KindInternal && c.Audience.Staff() {
		return Invalid("kind", "a staff audience takes the kind internal")
	}
	if c.State == "" {
		c.State = CampaignDraft
	}
	if !c.State.Valid() {
		return Invalid("state", "unknown state %q", c.State)
	}
	c.EmergencyReason = strings.TrimSpace(c.EmergencyReason)
	if c.Emergency && c.EmergencyReason == "" {
		return Invalid("emergency_reason", "an emergency message needs its reason")
	}
	if !c.Emergency && c.EmergencyReason != "" {
		return Invalid("emergency_reason", "only an emergency message has one")
	}
	return checkText("emergency_reason", c.EmergencyReason, 0, 200)
}

// OptOut reports whether texts of the campaign end with the opt-out line:
// those to taxpayers do, internal notices to staff do not.
func (c *Campaign) OptOut() bool { return c.Kind != KindInternal }

// OptOutLine ends every broadcast to taxpayers.
const OptOutLine = "回TD退订"

// CampaignVariables are the names a campaign's text may use.
var CampaignVariables = []struct{ Name, About string }{
	{"name", "the taxpayer's (or staff member's) name"},
	{"identifier", "the taxpayer's identifier"},
	{"office", "the taxpayer's (or staff member's) office"},
	{"admin", "the taxpayer's tax administrator"},
}

// CheckCampaignVariables returns an EINVALID error (field "template") for
// an unknown or unclosed variable.
func CheckCampaignVariables(text string) error {
	for rest := text; ; {
		i := strings.IndexByte(rest, '{')
		if i < 0 {
			if strings.IndexByte(rest, '}') >= 0 {
				return Invalid("template", "a '}' with no '{' before it")
			}
			return nil
		}
		if j := strings.IndexByte(rest[:i], '}'); j >= 0 {
			return Invalid("template", "a '}' with no '{' before it")
		}
		j := strings.IndexByte(rest[i:], '}')
		if j < 0 {
			end := min(len(rest), i+20)
			for end > i && !utf8.ValidString(rest[i:end]) {
				end--
			}
			return Invalid("template", "%q is not closed with '}'", rest[i:end])
		}
		name, known := rest[i+1:i+j], false
		for _, v := range CampaignVariables {
			known = known || v.Name == name
		}
		if !known {
			return Invalid("template", "unknown variable {%s}", name)
		}
		rest = rest[i+j+1:]
	}
}

// CampaignEvent is one entry of a campaign's history.
type CampaignEvent struct {
	At      time.Time
	State   CampaignState
	ActorID int64 // 0: the platform
	Actor   string
	Detail  string
}

// CampaignFilter selects campaigns; zero fields do not filter. Results are
// newest first; Before gives the last ID of the previous page.
type CampaignFilter struct {
	State    CampaignState
	Kind     Kind
	Subtree  int64
	AuthorID int64
	Before   int64
	Limit    int
}

// ApprovalRule is an office's rule for which broadcasts need approval:
// every one, those over a number of recipients, or those reaching the
// whole city. Offices without one take the nearest office's above.
type ApprovalRule struct {
	OfficeID int64
	Always   bool // every broadcast
	Over     int  // more recipients than this; 0: no such limit
	CityWide bool // an audience of the whole city
	// EmergencyApproval makes an emergency broadcast wait for an approver
	// too; without it an emergency goes at once on its author's word.
	EmergencyApproval bool
}

// DefaultApprovalRule applies when no office on the path has a rule:
// every broadcast is approved.
var DefaultApprovalRule = ApprovalRule{Always: true, EmergencyApproval: true}

// Needs reports whether a broadcast of n recipients, city-wide or not,
// needs approval under r.
func (r ApprovalRule) Needs(n int, cityWide, emergency bool) bool {
	if emergency {
		return r.EmergencyApproval
	}
	return r.Always || (r.Over > 0 && n > r.Over) || (r.CityWide && cityWide)
}

// Validate returns an EINVALID error naming the first bad field.
func (r *ApprovalRule) Validate() error {
	if r.OfficeID <= 0 {
		return Invalid("office", "required")
	}
	if r.Over < 0 {
		return Invalid("over", "a number of recipients, not %d", r.Over)
	}
	return nil
}

// AudienceCount is an audience counted before sending: the recipients
// (distinct numbers that will receive the text), the duplicates removed
// (numbers reached more than once), and the contacts excluded, by reason.
type AudienceCount struct {
	Recipients int
	Duplicates int
	// Excluded counts by reason: "opted_out", "cancelled", "pending" (a
	// service not yet activated) and "suspended" (a suspended user, or an
	// office suspended from the platform).
	Excluded map[string]int
	// ByCarrier counts the recipients by the carrier their number's
	// prefix was allocated to; "" for prefixes the table does not tell
	// apart by three digits.
	ByCarrier map[Carrier]int
	// Segments is the total of segments, every recipient's text rendered;
	// SegmentsByCarrier splits it like ByCarrier.
	Segments          int
	SegmentsByCarrier map[Carrier]int
}

// RecipientList is an uploaded list of recipients: taxpayers by identifier
// and numbers.
type RecipientList struct {
	ID        int64
	OfficeID  int64
	AuthorID  int64
	Name      string
	Taxpayers int // rows naming a taxpayer
	Numbers   int // rows giving a number
	CreatedAt time.Time
}

// CheckGroup returns an EINVALID error (field "groups") unless g is a
// staff group's name: 1 to 50 characters, no commas.
func CheckGroup(g string) error {
	if strings.ContainsAny(g, ",;") {
		return Invalid("groups", "%q: a group may not contain ',' or ';'", g)
	}
	return checkText("groups", g, 1, 50)
}

// CheckListName returns an EINVALID error (field "name") unless s names an
// uploaded recipient list: 1 to 100 characters.
func CheckListName(s string) error { return checkText("name", s, 1, 100) }
