// Package campaign runs the broadcasts staff compose, check, approve and
// send (Art. 15, 17, 18): composing a text with per-recipient variables,
// the bureau's signature first and the opt-out line last; counting the
// audience and pricing it; the content check and an approver's override;
// the approval rules of each office; the states from draft to completed;
// the working hours a broadcast waits for (an emergency does not); and the
// festival greetings prepared ahead of the lunar festivals.
//
// The store keeps the campaigns, enforces scope and makes every change of
// state a guarded update; this package decides what is allowed and when.
//
// Known limits: the segments of texts with variables are counted by the
// store as UCS-2 characters (70 in one segment, 67 a segment beyond), so a
// name with characters outside the Basic Multilingual Plane is counted one
// character short per such character. The carrier of a recipient in an
// estimate is the one its number's first three digits were allocated to;
// the few prefixes split at four digits (1349, 170x) count as unknown.
package campaign

import (
	"context"
	"log/slog"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"taxsms"
	"taxsms/audit"
	"taxsms/auth"
	"taxsms/calendar"
	"taxsms/content"
	"taxsms/remind"
	"taxsms/store"
)

// Prices tells what a segment costs (the billing tariffs; store.DB has it).
type Prices interface {
	// PriceOf returns the price of one segment of kind k through carrier c
	// on day, in thousandths of a yuan, or an ENOTFOUND error when no
	// tariff applies.
	PriceOf(ctx context.Context, c taxsms.Carrier, k taxsms.Kind, day taxsms.Date) (milliYuan int64, err error)
}

// Service runs the broadcasts. Every method takes the actor from ctx
// (auth.NewContext); the store limits each to the actor's scope.
type Service struct {
	DB *store.DB
	// Checker returns the content checker in force, so that word lists
	// reloaded meanwhile apply; content.Default if nil.
	Checker func() *content.Checker
	// Prices prices an estimate; without it an estimate gives counts only.
	Prices Prices
	// Calendar returns the working-day calendar in force; calendar.Default
	// if nil.
	Calendar func(ctx context.Context) (*calendar.Calendar, error)
	// Signature goes in front of every text, e.g. 【青岛税务】.
	Signature string
	Now       func() time.Time // time.Now if nil
	Logger    *slog.Logger     // slog.Default if nil
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

func (s *Service) logger() *slog.Logger {
	if s.Logger != nil {
		return s.Logger
	}
	return slog.Default()
}

func (s *Service) checker() *content.Checker {
	if s.Checker != nil {
		if c := s.Checker(); c != nil {
			return c
		}
	}
	return content.Default()
}

func (s *Service) calendar(ctx context.Context) (*calendar.Calendar, error) {
	if s.Calendar != nil {
		return s.Calendar(ctx)
	}
	return calendar.Default(), nil
}

// Preview is a campaign's text as a recipient receives it.
type Preview struct {
	Text     string // rendered with Example values (or the given ones)
	Chars    int    // characters, signature and opt-out line included
	Segments int    // as billed, in UCS-2
	// Variables reports whether the text takes per-recipient values, so
	// that each recipient's count may differ from this one.
	Variables bool
}

// Values are a recipient's values of a campaign's variables.
type Values struct {
	Name, Identifier, Office, Admin string
}

// Example are the values a preview uses.
var Example = Values{Name: remind.Example.Name, Identifier: "91370200MA3C5XXXXX", Office: remind.Example.Office, Admin: "王芳"}

// Render returns the text c sends to a recipient with values v: the
// signature, the template with the values put in (each cut to 40
// characters, as the store does), and the opt-out line for taxpayers.
func (s *Service) Render(c *taxsms.Campaign, v Values) string {
	r := strings.NewReplacer("{name}", cut(v.Name), "{identifier}", v.Identifier, "{office}", cut(v.Office), "{admin}", cut(v.Admin))
	return s.Signature + r.Replace(c.Template) + tail(c)
}

func tail(c *taxsms.Campaign) string {
	if c.OptOut() {
		return taxsms.OptOutLine
	}
	return ""
}

func cut(s string) string {
	if utf8.RuneCountInString(s) <= 40 {
		return s
	}
	return string([]rune(s)[:40])
}

// Preview validates c and returns its text rendered with Example values.
func (s *Service) Preview(c *taxsms.Campaign) (*Preview, error) {
	if err := c.Validate(); err != nil {
		return nil, err
	}
	text := s.Render(c, Example)
	return &Preview{Text: text, Chars: utf8.RuneCountInString(text), Segments: remind.Segments(text),
		Variables: strings.Contains(c.Template, "{")}, nil
}

// Rendering is how the store renders c's texts (store.CountAudience,
// store.ExpandCampaign).
func (s *Service) Rendering(c *taxsms.Campaign) store.Render {
	rd := store.Render{Head: s.Signature, Tail: tail(c)}
	if !strings.Contains(c.Template, "{") {
		rd.Segments = remind.Segments(rd.Head + c.Template + rd.Tail)
	}
	return rd
}

// cityWide reports whether c's audience is the whole city: a taxpayer or
// staff audience rooted at the root office.
func (s *Service) cityWide(ctx context.Context, c *taxsms.Campaign) (bool, error) {
	if c.Audience.Type == taxsms.AudienceList {
		return false, nil
	}
	id := c.Audience.Subtree
	if id == 0 {
		id = c.OfficeID
	}
	o, err := s.DB.FindOffice(auth.NewContext(ctx, nil), id)
	if err != nil {
		return false, err
	}
	return o.ParentID == 0, nil
}

// mayAuthor returns EFORBIDDEN unless ctx's actor may send c: a
// city-wide audience needs auth.PermSendCity; staff, a whole jurisdiction
// or a list need PermSendJurisdiction (or PermSendCity); with PermSendOwn
// alone, only the taxpayers assigned to the author (Audience.AdminID set
// to the author). An emergency needs PermSendEmergency.
func (s *Service) mayAuthor(ctx context.Context, c *taxsms.Campaign) error {
	a, _ := auth.FromContext(ctx)
	city, err := s.cityWide(ctx, c)
	if err != nil {
		return err
	}
	switch {
	case a.Has(auth.PermSendCity):
	case city:
		return forbidden("audience", "a city-wide broadcast needs the permission %q", auth.PermSendCity)
	case a.Has(auth.PermSendJurisdiction):
	case a.Has(auth.PermSendOwn) && c.Audience.Type == taxsms.AudienceTaxpayers && c.Audience.AdminID == a.UserID:
	case a.Has(auth.PermSendOwn) && c.Audience.Type == taxsms.AudienceTaxpayers:
		return forbidden("audience.admin_id", "with %q alone, a broadcast goes to the taxpayers assigned to you: set admin_id to %d", auth.PermSendOwn, a.UserID)
	default:
		return forbidden("audience", "%s may not send this broadcast", a)
	}
	if c.Emergency {
		if err := a.Require(auth.PermSendEmergency); err != nil {
			return err
		}
	}
	return nil
}

func forbidden(field, format string, args ...any) error {
	e := taxsms.Errorf(taxsms.EFORBIDDEN, format, args...)
	e.Field = field
	return e
}

// Create stores c as a draft after checking that the actor may send it.
func (s *Service) Create(ctx context.Context, c *taxsms.Campaign) error {
	if err := c.Validate(); err != nil {
		return err
	}
	if err := s.mayAuthor(ctx, c); err != nil {
		return err
	}
	return s.DB.CreateCampaign(ctx, c)
}

// Update replaces a draft's (or a rejected or approved campaign's) text,
// audience and schedule; it goes back to draft.
func (s *Service) Update(ctx context.Context, c *taxsms.Campaign) error {
	if err := c.Validate(); err != nil {
		return err
	}
	if err := s.mayAuthor(ctx, c); err != nil {
		return err
	}
	return s.DB.UpdateCampaign(ctx, c)
}

// Find returns a campaign with its history.
func (s *Service) Find(ctx context.Context, id int64) (*taxsms.Campaign, []taxsms.CampaignEvent, error) {
	c, err := s.DB.FindCampaign(ctx, id)
	if err != nil {
		return nil, nil, err
	}
	h, err := s.DB.CampaignHistory(ctx, id)
	return c, h, err
}

// List returns one page of the campaigns matching f.
func (s *Service) List(ctx context.Context, f taxsms.CampaignFilter) ([]*taxsms.Campaign, error) {
	return s.DB.ListCampaigns(ctx, f)
}

// Check returns the content check of a campaign's text (template,
// signature and opt-out line).
func (s *Service) Check(ctx context.Context, id int64) (content.Report, error) {
	c, err := s.DB.FindCampaign(ctx, id)
	if err != nil {
		return content.Report{}, err
	}
	return s.checker().Check(c.Template), nil
}

// CarrierCost is an estimate's share of one carrier.
type CarrierCost struct {
	Carrier    taxsms.Carrier // "" for numbers whose carrier the prefix does not tell
	Recipients int
	Segments   int
	// Priced is false when no tariff applies (or none is known): then
	// PriceMilliYuan and CostMilliYuan are zero and Note says why.
	Priced         bool
	PriceMilliYuan int64 // a segment
	CostMilliYuan  int64
	Note           string
}

// Estimate is what a campaign would send now.
type Estimate struct {
	Count         taxsms.AudienceCount
	Carriers      []CarrierCost // in the order of taxsms carriers, unknown last
	CostMilliYuan int64         // of the carriers priced
	Complete      bool          // every carrier priced
	Preview       Preview
	CityWide      bool
	// NeedsApproval tells whether the office's rule asks for an approver.
	NeedsApproval bool
}

// Estimate counts a campaign's audience (in its author's scope) and prices
// it with the tariffs of today.
func (s *Service) Estimate(ctx context.Context, id int64) (*Estimate, error) {
	c, err := s.DB.FindCampaign(ctx, id)
	if err != nil {
		return nil, err
	}
	n, err := s.DB.CountAudience(ctx, id, s.Rendering(c))
	if err != nil {
		return nil, err
	}
	p, err := s.Preview(c)
	if err != nil {
		return nil, err
	}
	e := &Estimate{Count: *n, Preview: *p, Complete: true}
	if e.CityWide, err = s.cityWide(ctx, c); err != nil {
		return nil, err
	}
	rule, _, err := s.DB.ApprovalRule(auth.NewContext(ctx, nil), c.OfficeID)
	if err != nil {
		return nil, err
	}
	e.NeedsApproval = rule.Needs(n.Recipients, e.CityWide, c.Emergency)
	day := taxsms.DateOf(s.now().In(calendar.Shanghai))
	for _, cr := range []taxsms.Carrier{taxsms.CarrierMobile, taxsms.CarrierUnicom, taxsms.CarrierTelecom, taxsms.CarrierBroadnet, ""} {
		r := n.ByCarrier[cr]
		if r == 0 {
			continue
		}
		cc := CarrierCost{Carrier: cr, Recipients: r, Segments: n.SegmentsByCarrier[cr]}
		switch {
		case cr == "":
			cc.Note = "carrier not known from the number's prefix"
		case s.Prices == nil:
			cc.Note = "no tariffs configured"
		default:
			price, err := s.Prices.PriceOf(ctx, cr, c.Kind, day)
			switch {
			case taxsms.ErrorCode(err) == taxsms.ENOTFOUND:
				cc.Note = "no tariff for " + string(cr) + " on " + day.String()
			case err != nil:
				return nil, err
			default:
				cc.Priced, cc.PriceMilliYuan, cc.CostMilliYuan = true, price, price*int64(cc.Segments)
				e.CostMilliYuan += cc.CostMilliYuan
			}
		}
		e.Complete = e.Complete && cc.Priced
		e.Carriers = append(e.Carriers, cc)
	}
	return e, nil
}

// Submit hands a draft in: it goes to pending when the office's approval
// rule (or a flagged text) asks for an approver, else straight to
// approved. Only a user who may send it submits it (EFORBIDDEN).
func (s *Service) Submit(ctx context.Context, id int64) (*taxsms.Campaign, error) {
	c, err := s.DB.FindCampaign(ctx, id)
	if err != nil {
		return nil, err
	}
	if err := s.mayAuthor(ctx, c); err != nil {
		return nil, err
	}
	n, err := s.DB.CountAudience(ctx, id, s.Rendering(c))
	if err != nil {
		return nil, err
	}
	if n.Recipients == 0 {
		return nil, taxsms.Invalid("audience", "the audience has no recipient (%d excluded)", excluded(n))
	}
	city, err := s.cityWide(ctx, c)
	if err != nil {
		return nil, err
	}
	rule, _, err := s.DB.ApprovalRule(auth.NewContext(ctx, nil), c.OfficeID)
	if err != nil {
		return nil, err
	}
	report := s.checker().Check(c.Template)
	detail := "submitted: " + strconv.Itoa(n.Recipients) + " recipients"
	to := taxsms.CampaignApproved
	switch {
	case !report.Clean():
		to, detail = taxsms.CampaignPending, detail+"; the content check flagged it: "+report.String()
	case rule.Needs(n.Recipients, city, c.Emergency):
		to = taxsms.CampaignPending
	default:
		detail += "; no approval needed under the office's rule"
	}
	return s.DB.MoveCampaign(ctx, id, store.CampaignMove{From: []taxsms.CampaignState{taxsms.CampaignDraft},
		To: to, Action: audit.CampaignSubmitted, Detail: detail})
}

func excluded(n *taxsms.AudienceCount) int {
	t := 0
	for _, v := range n.Excluded {
		t += v
	}
	return t
}

// Approve approves a pending campaign. The approver is someone other than
// its author holding auth.PermApprove with write scope over the
// campaign's office (EFORBIDDEN). A text the content check flags needs an
// override with its reason (EINVALID naming "override_reason" without
// one); the override is recorded (audit.Overridden).
func (s *Service) Approve(ctx context.Context, id int64, overrideReason string) (*taxsms.Campaign, error) {
	a, c, err := s.approver(ctx, id)
	if err != nil {
		return nil, err
	}
	mv := store.CampaignMove{From: []taxsms.CampaignState{taxsms.CampaignPending}, To: taxsms.CampaignApproved,
		Action: audit.Approved, ApprovedBy: a.UserID, Detail: "approved"}
	if report := s.checker().Check(c.Template); !report.Clean() {
		overrideReason = strings.TrimSpace(overrideReason)
		if overrideReason == "" {
			return nil, taxsms.Invalid("override_reason", "the content check flagged the text (%s): approving it needs an override and its reason", report.String())
		}
		if utf8.RuneCountInString(overrideReason) > 200 {
			return nil, taxsms.Invalid("override_reason", "at most 200 characters")
		}
		mv.OverrideBy, mv.OverrideReason = a.UserID, overrideReason
		mv.Detail = "approved with an override of the content check: " + overrideReason
	}
	return s.DB.MoveCampaign(ctx, id, mv)
}

// Reject sends a pending campaign back to its author with the reason
// (required: EINVALID naming "reason"). The approver's rules are
// Approve's.
func (s *Service) Reject(ctx context.Context, id int64, reason string) (*taxsms.Campaign, error) {
	reason = strings.TrimSpace(reason)
	if reason == "" {
		return nil, taxsms.Invalid("reason", "a rejection needs its reason")
	}
	if utf8.RuneCountInString(reason) > 200 {
		return nil, taxsms.Invalid("reason", "at most 200 characters")
	}
	if _, _, err := s.approver(ctx, id); err != nil {
		return nil, err
	}
	return s.DB.MoveCampaign(ctx, id, store.CampaignMove{From: []taxsms.CampaignState{taxsms.CampaignPending},
		To: taxsms.CampaignRejected, Action: audit.Rejected, RejectReason: reason, Detail: reason})
}

// approver returns ctx's actor if it may approve campaign id.
func (s *Service) approver(ctx context.Context, id int64) (*auth.Actor, *taxsms.Campaign, error) {
	c, err := s.DB.FindCampaign(ctx, id)
	if err != nil {
		return nil, nil, err
	}
	a, ok := auth.FromContext(ctx)
	if !ok || a.UserID == 0 {
		return nil, nil, forbidden("", "only a member of staff approves a broadcast")
	}
	if err := a.Require(auth.PermApprove); err != nil {
		return nil, nil, err
	}
	if a.UserID == c.AuthorID {
		return nil, nil, forbidden("", "the author of a broadcast may not approve it: someone else must")
	}
	return a, c, nil
}

// Schedule sets an approved campaign to go at at (zero: as soon as its
// office's working hours allow; an emergency at once). The scheduler
// starts it.
func (s *Service) Schedule(ctx context.Context, id int64, at time.Time) (*taxsms.Campaign, error) {
	c, err := s.DB.FindCampaign(ctx, id)
	if err != nil {
		return nil, err
	}
	if err := s.mayAuthor(ctx, c); err != nil {
		return nil, err
	}
	if at.IsZero() {
		at = s.now()
	}
	detail := "scheduled for " + at.In(calendar.Shanghai).Format("2006-01-02 15:04")
	if c.Emergency {
		detail += "; emergency: " + c.EmergencyReason
	}
	return s.DB.MoveCampaign(ctx, id, store.CampaignMove{From: []taxsms.CampaignState{taxsms.CampaignApproved},
		To: taxsms.CampaignScheduled, Action: audit.CampaignScheduled, ScheduledAt: at, Detail: detail})
}

// Pause stops a scheduled or sending campaign: its waiting messages are
// held at once, in the same transaction.
func (s *Service) Pause(ctx context.Context, id int64, reason string) (*taxsms.Campaign, error) {
	return s.DB.MoveCampaign(ctx, id, store.CampaignMove{From: []taxsms.CampaignState{taxsms.CampaignScheduled, taxsms.CampaignSending},
		To: taxsms.CampaignPaused, Action: audit.CampaignPaused, Detail: strings.TrimSpace(reason), Waiting: taxsms.StatusHeld})
}

// Resume takes a paused campaign back: to sending if it had started (its
// held messages queued again, or held still outside working hours at the
// scheduler's next tick), else to scheduled.
func (s *Service) Resume(ctx context.Context, id int64) (*taxsms.Campaign, error) {
	c, err := s.DB.FindCampaign(ctx, id)
	if err != nil {
		return nil, err
	}
	mv := store.CampaignMove{From: []taxsms.CampaignState{taxsms.CampaignPaused}, To: taxsms.CampaignScheduled,
		Action: audit.CampaignResumed, Detail: "resumed"}
	if !c.StartedAt.IsZero() {
		mv.To, mv.Waiting = taxsms.CampaignSending, taxsms.StatusQueued
		if held, _, err := s.DB.CampaignHeld(ctx, id); err != nil {
			return nil, err
		} else if held {
			mv.Waiting = "" // still outside working hours: they wait for the window
		}
	}
	return s.DB.MoveCampaign(ctx, id, mv)
}

// Cancel ends a campaign that is not completed: its waiting messages are
// cancelled at once, in the same transaction; what was sent stays sent.
func (s *Service) Cancel(ctx context.Context, id int64, reason string) (*taxsms.Campaign, error) {
	var from []taxsms.CampaignState
	for _, st := range taxsms.CampaignStates {
		if !st.Final() {
			from = append(from, st)
		}
	}
	return s.DB.MoveCampaign(ctx, id, store.CampaignMove{From: from, To: taxsms.CampaignCancelled,
		Action: audit.CampaignCancelled, Detail: strings.TrimSpace(reason), Waiting: taxsms.StatusCancelled})
}

// Progress returns how a campaign's messages stand.
func (s *Service) Progress(ctx context.Context, id int64) (*store.CampaignProgress, error) {
	return s.DB.CampaignProgress(ctx, id)
}

// Report returns a campaign's delivery by office and carrier.
func (s *Service) Report(ctx context.Context, id int64) ([]store.CampaignReportRow, error) {
	return s.DB.CampaignReport(ctx, id)
}
