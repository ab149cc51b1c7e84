package web

import (
	"context"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"taxsms"
	"taxsms/auth"
	"taxsms/campaign"
	"taxsms/store"
)

// The broadcasts' pages (Art. 4, 11, 15, 17, 18):
//
//	GET  /campaigns                    the campaigns of the user's scope by state, with their counts
//	GET  /campaigns/new, POST          compose a draft (console_campaign_form.go)
//	GET  /campaigns/{id}               a campaign: its text as received, audience, history and acts
//	GET  /campaigns/{id}/edit, POST    edit a draft, a rejected or an approved campaign
//	GET  /campaigns/{id}/check         the content check and the estimate; submit
//	GET  /campaigns/{id}/approval      the same for an approver; approve (with an override) or reject
//	POST /campaigns/{id}/{act}         submit, approve, reject, schedule, pause, resume, cancel
//	GET  /campaigns/{id}/report        progress and delivery by office and carrier; report.xlsx
//	GET  /approval-rules, /approval-rules/{id}  the offices' approval rules; POST to set or clear one
//
// Those who read messages see the pages; what each may do follows its
// permissions, its write scope over the campaign's office and the
// campaign's state (campaignActs). The store and campaign.Service decide
// again on every act, so a form posted by someone who may not is refused
// with the service's reason.

func (c *Console) campaignRoutes(mux *http.ServeMux) {
	if c.Campaigns == nil {
		sig := ""
		if c.Reminders != nil {
			sig = c.Reminders.Signature
		}
		c.Campaigns = &campaign.Service{DB: c.DB, Checker: c.Content.Checker, Signature: sig, Now: c.Now, Logger: c.logger}
	}
	c.handle(mux, "GET /campaigns", "", c.handleCampaigns)
	c.handle(mux, "GET /campaigns/new", "", c.handleCampaignNew)
	c.handle(mux, "POST /campaigns/new", "", c.handleCampaignNew)
	c.handle(mux, "GET /approval-rules", "", c.handleCampaignRules)
	c.handle(mux, "GET /approval-rules/{id}", "", c.handleCampaignRule)
	c.handle(mux, "POST /approval-rules/{id}", auth.PermManageOffices, c.handleCampaignRuleSave)
	c.handle(mux, "GET /campaigns/{id}", "", c.handleCampaign)
	c.handle(mux, "GET /campaigns/{id}/edit", "", c.handleCampaignEdit)
	c.handle(mux, "POST /campaigns/{id}/edit", "", c.handleCampaignEdit)
	c.handle(mux, "GET /campaigns/{id}/check", "", c.handleCampaignCheck)
	c.handle(mux, "GET /campaigns/{id}/approval", auth.PermApprove, c.handleCampaignCheck)
	c.handle(mux, "POST /campaigns/{id}/submit", "", c.handleCampaignSubmit)
	c.handle(mux, "POST /campaigns/{id}/approve", auth.PermApprove, c.handleCampaignApprove)
	c.handle(mux, "POST /campaigns/{id}/reject", auth.PermApprove, c.handleCampaignReject)
	c.handle(mux, "POST /campaigns/{id}/schedule", "", c.handleCampaignSchedule)
	c.handle(mux, "POST /campaigns/{id}/pause", "", c.handleCampaignMove)
	c.handle(mux, "POST /campaigns/{id}/resume", "", c.handleCampaignMove)
	c.handle(mux, "POST /campaigns/{id}/cancel", "", c.handleCampaignMove)
	c.handle(mux, "GET /campaigns/{id}/report", "", c.handleCampaignReport)
	c.handle(mux, "GET /campaigns/{id}/report.xlsx", auth.PermExport, c.handleCampaignExport)
}

// canSeeCampaigns reports whether a may see the broadcasts' pages: those
// who read messages (a maintainer does not).
func canSeeCampaigns(a *auth.Actor) bool { return canRead(auth.DataMessages)(a) }

// canCompose reports whether a may write broadcasts at all.
func canCompose(a *auth.Actor) bool {
	return a.Has(auth.PermSendOwn) || a.Has(auth.PermSendJurisdiction) || a.Has(auth.PermSendCity)
}

func requireCampaigns(r *Request) error {
	if canSeeCampaigns(r.Actor) {
		return nil
	}
	return taxsms.Errorf(taxsms.EFORBIDDEN, "the broadcasts need reading messages")
}

// campaignActs are the acts the user may make on a campaign in its state:
// the buttons its pages show. Steer is the right to pause, resume and
// cancel it, whatever its state.
type campaignActs struct {
	Edit, Check, Submit, Approve, Schedule, Pause, Resume, Cancel, Export bool
	Steer, Compose                                                        bool
}

// Any reports whether some act is allowed.
func (a campaignActs) Any() bool {
	return a.Edit || a.Submit || a.Approve || a.Schedule || a.Pause || a.Resume || a.Cancel
}

// actsOn returns what r's user may do to cm, whose office has the path
// officePath: a change needs write scope over the campaign (its office, or
// for an operator its authorship); composing acts need a send permission,
// approving needs auth.PermApprove and someone other than the author.
func actsOn(r *Request, cm *taxsms.Campaign, officePath string) campaignActs {
	a := r.Actor
	write := a.Access(auth.DataMessages).Write.Contains(officePath, cm.AuthorID)
	compose := write && canCompose(a)
	steer := write && (canCompose(a) || a.Has(auth.PermApprove))
	st := cm.State
	return campaignActs{
		Edit:     compose && (st == taxsms.CampaignDraft || st == taxsms.CampaignRejected || st == taxsms.CampaignApproved),
		Check:    !st.Final(),
		Submit:   compose && st == taxsms.CampaignDraft,
		Approve:  write && a.Has(auth.PermApprove) && st == taxsms.CampaignPending && a.UserID != cm.AuthorID,
		Schedule: compose && st == taxsms.CampaignApproved,
		Pause:    steer && (st == taxsms.CampaignScheduled || st == taxsms.CampaignSending),
		Resume:   steer && st == taxsms.CampaignPaused,
		Cancel:   steer && !st.Final(),
		Export:   a.Has(auth.PermExport),
		Steer:    steer,
		Compose:  canCompose(a),
	}
}

// campaignStarted reports whether cm has messages to count.
func campaignStarted(cm *taxsms.Campaign) bool { return !cm.StartedAt.IsZero() }

// campaignRow is a campaign in the list, with its office's name and, once
// it started, how its messages stand.
type campaignRow struct {
	*taxsms.Campaign
	Office   string
	Progress *store.CampaignProgress
}

// campaignsPage is what GET /campaigns shows.
type campaignsPage struct {
	Rows    []campaignRow
	States  []taxsms.CampaignState
	Kinds   []taxsms.Kind
	Compose bool
	AsOf    time.Time
}

// campaignKinds are the kinds a broadcast may take.
var campaignKinds = []taxsms.Kind{taxsms.KindSpecial, taxsms.KindOther, taxsms.KindInternal}

// handleCampaigns serves GET /campaigns: one page of the campaigns in the
// user's scope, newest first, filtered by state and kind; the counts of
// each campaign that started are read afresh at every load.
func (c *Console) handleCampaigns(w http.ResponseWriter, r *Request) error {
	if err := requireCampaigns(r); err != nil {
		return err
	}
	f := newForm(r, "state", "kind")
	before, err := r.Cursor()
	if err != nil {
		return err
	}
	filter := taxsms.CampaignFilter{Before: before, Limit: PageSize + 1}
	if s := taxsms.CampaignState(f.Get("state")); s != "" {
		if !s.Valid() {
			f.Fail("state", c.T(r, "campaign.err_state"))
		}
		filter.State = s
	}
	if k := taxsms.Kind(f.Get("kind")); k != "" {
		if !slices.Contains(campaignKinds, k) {
			f.Fail("kind", c.T(r, "campaign.err_kind"))
		}
		filter.Kind = k
	}
	d := &campaignsPage{States: taxsms.CampaignStates, Kinds: campaignKinds, Compose: canCompose(r.Actor), AsOf: c.Now()}
	page := &Page{Title: "campaign.list_title", Form: f, Data: d}
	if !f.OK() {
		c.render(w, r, http.StatusBadRequest, "campaigns", page)
		return nil
	}
	list, err := c.Campaigns.List(r.Context(), filter)
	if err != nil {
		return err
	}
	more := len(list) > PageSize
	if more {
		list = list[:PageSize]
	}
	names := c.campaignNamer()
	for _, cm := range list {
		row := campaignRow{Campaign: cm, Office: names.name(r.Context(), cm.OfficeID)}
		if campaignStarted(cm) {
			if row.Progress, err = c.Campaigns.Progress(r.Context(), cm.ID); err != nil {
				return err
			}
		}
		d.Rows = append(d.Rows, row)
	}
	var last int64
	if len(list) > 0 {
		last = list[len(list)-1].ID
	}
	page.List = r.Pager(more, last)
	c.render(w, r, http.StatusOK, "campaigns", page)
	return nil
}

// officeNamer names offices by id, reading each once.
type officeNamer struct {
	db    *store.DB
	names map[int64]string
	paths map[int64]string
}

// campaignNamer returns a namer for the offices of one page.
func (c *Console) campaignNamer() *officeNamer {
	return &officeNamer{db: c.DB, names: map[int64]string{}, paths: map[int64]string{}}
}

func (n *officeNamer) load(ctx context.Context, id int64) {
	if _, ok := n.names[id]; ok || id == 0 {
		return
	}
	// A campaign read in scope names its office even for a reader whose
	// office scope is narrower (an operator writing for its branch).
	o, err := n.db.FindOffice(auth.NewContext(ctx, nil), id)
	if err != nil {
		n.names[id] = "#" + strconv.FormatInt(id, 10)
		return
	}
	n.names[id], n.paths[id] = o.Name, o.Path
}

func (n *officeNamer) name(ctx context.Context, id int64) string {
	n.load(ctx, id)
	return n.names[id]
}

func (n *officeNamer) path(ctx context.Context, id int64) string {
	n.load(ctx, id)
	return n.paths[id]
}

// campaignView is a campaign as its pages show it.
type campaignView struct {
	*taxsms.Campaign
	Office    string
	Subtree   string // the audience's office subtree, named
	Author    string // login; "" for a draft of the platform
	Approver  string
	Overrider string
	AdminName string // the audience's tax administrator
	List      *taxsms.RecipientList
	Acts      campaignActs
	Preview   campaign.Preview
	History   []taxsms.CampaignEvent
	Progress  *store.CampaignProgress
	Schedule  *Form // the schedule form, with its default time
	Pause     *Form
	Cancel    *Form
}

// loadCampaign returns the campaign of r's path (ENOTFOUND outside the
// user's scope) as its pages show it.
func (c *Console) loadCampaign(r *Request) (*campaignView, error) {
	if err := requireCampaigns(r); err != nil {
		return nil, err
	}
	id, err := r.pathID()
	if err != nil {
		return nil, err
	}
	cm, hist, err := c.Campaigns.Find(r.Context(), id)
	if err != nil {
		return nil, err
	}
	ctx := r.Context()
	names := c.campaignNamer()
	v := &campaignView{Campaign: cm, Office: names.name(ctx, cm.OfficeID)}
	v.Acts = actsOn(r, cm, names.path(ctx, cm.OfficeID))
	sub := cm.Audience.Subtree
	if sub == 0 {
		sub = cm.OfficeID
	}
	v.Subtree = names.name(ctx, sub)
	v.Author = c.userLogin(ctx, cm.AuthorID)
	v.Approver = c.userLogin(ctx, cm.ApprovedBy)
	v.Overrider = c.userLogin(ctx, cm.OverrideBy)
	v.AdminName = c.userLogin(ctx, cm.Audience.AdminID)
	if cm.Audience.Type == taxsms.AudienceList {
		if l, err := c.DB.FindRecipientList(ctx, cm.Audience.ListID); err == nil {
			v.List = l
		}
	}
	v.Preview, v.History = c.preview(cm), hist
	if campaignStarted(cm) {
		if v.Progress, err = c.Campaigns.Progress(ctx, cm.ID); err != nil {
			return nil, err
		}
	}
	return v, nil
}

// userLogin returns the login of user id for display: "" for 0, "#id"
// for a user the platform no longer has.
func (c *Console) userLogin(ctx context.Context, id int64) string {
	if id == 0 {
		return ""
	}
	u, err := c.DB.FindUser(auth.NewContext(ctx, nil), id)
	if err != nil {
		return "#" + strconv.FormatInt(id, 10)
	}
	return u.Login + " " + u.Name
}

// actForms fills the forms of v's acts: the schedule's default time is the
// campaign's own (a festival greeting's day) when it is still ahead.
func (c *Console) actForms(r *Request, v *campaignView) {
	empty := func(fields ...string) *Form {
		return &Form{Values: map[string][]string{}, Errors: map[string]string{}, fields: fields}
	}
	v.Schedule, v.Pause, v.Cancel = empty("at"), empty("reason"), empty("reason")
	if v.ScheduledAt.After(c.Now()) {
		v.Schedule.Values.Set("at", v.ScheduledAt.In(c.Location).Format(dateTimeLocal))
	}
}

// dateTimeLocal is the layout of an <input type="datetime-local">.
const dateTimeLocal = "2006-01-02T15:04"

// handleCampaign serves GET /campaigns/{id}.
func (c *Console) handleCampaign(w http.ResponseWriter, r *Request) error {
	v, err := c.loadCampaign(r)
	if err != nil {
		return err
	}
	c.actForms(r, v)
	c.render(w, r, http.StatusOK, "campaign", &Page{Title: "campaign.title", Data: v})
	return nil
}

// campaignPath returns the page of campaign id.
func campaignPath(id int64, sub string) string {
	p := "/campaigns/" + strconv.FormatInt(id, 10)
	if sub != "" {
		p += "/" + sub
	}
	return p
}

// handleCampaignSubmit serves POST /campaigns/{id}/submit: the draft goes
// for approval, or straight to approved under its office's rule.
func (c *Console) handleCampaignSubmit(w http.ResponseWriter, r *Request) error {
	v, err := c.loadCampaign(r)
	if err != nil {
		return err
	}
	if !canCompose(r.Actor) {
		return errForbidden
	}
	cm, err := c.Campaigns.Submit(r.Context(), v.ID)
	if code := taxsms.ErrorCode(err); code == taxsms.EINVALID || code == taxsms.ECONFLICT || code == taxsms.EFORBIDDEN {
		c.redirectError(w, r, campaignPath(v.ID, "check"), "campaign.refused", taxsms.ErrorMessage(err))
		return nil
	}
	if err != nil {
		return err
	}
	c.redirect(w, r, campaignPath(cm.ID, ""), "campaign.submitted."+string(cm.State))
	return nil
}

// handleCampaignReject serves POST /campaigns/{id}/reject: back to its
// author with the reason.
func (c *Console) handleCampaignReject(w http.ResponseWriter, r *Request) error {
	v, err := c.loadCampaign(r)
	if err != nil {
		return err
	}
	f := newForm(r, "reason")
	_, err = c.Campaigns.Reject(r.Context(), v.ID, f.Values.Get("reason"))
	if err == nil {
		c.redirect(w, r, campaignPath(v.ID, ""), "campaign.flash_rejected", v.Title)
		return nil
	}
	status, err := c.campaignFail(r, f, err)
	if err != nil {
		return err
	}
	return c.renderCheck(w, r, status, v, true, nil, f)
}

// handleCampaignApprove serves POST /campaigns/{id}/approve: a flagged
// text needs the override's reason.
func (c *Console) handleCampaignApprove(w http.ResponseWriter, r *Request) error {
	v, err := c.loadCampaign(r)
	if err != nil {
		return err
	}
	f := newForm(r, "override_reason")
	_, err = c.Campaigns.Approve(r.Context(), v.ID, f.Values.Get("override_reason"))
	if err == nil {
		c.redirect(w, r, campaignPath(v.ID, ""), "campaign.flash_approved", v.Title)
		return nil
	}
	status, err := c.campaignFail(r, f, err)
	if err != nil {
		return err
	}
	return c.renderCheck(w, r, status, v, true, f, nil)
}

// campaignFail shows a refusal of the service on f — a reason missing or
// wrong beside its field, a refusal or a state that moved on above the
// form — and returns the status of the page showing it again: 400, 403
// or 409. Other errors are returned.
func (c *Console) campaignFail(r *Request, f *Form, err error) (int, error) {
	status := http.StatusBadRequest
	switch taxsms.ErrorCode(err) {
	case taxsms.EINVALID:
	case taxsms.EFORBIDDEN:
		status = http.StatusForbidden
	case taxsms.ECONFLICT:
		status = http.StatusConflict
	default:
		return 0, err
	}
	f.Fail(taxsms.ErrorField(err), c.T(r, "form.error", taxsms.ErrorMessage(err)))
	return status, nil
}

// handleCampaignSchedule serves POST /campaigns/{id}/schedule: an approved
// campaign goes at "at" (the bureau's time; empty: as soon as its office's
// working hours allow, an emergency at once).
func (c *Console) handleCampaignSchedule(w http.ResponseWriter, r *Request) error {
	v, err := c.loadCampaign(r)
	if err != nil {
		return err
	}
	c.actForms(r, v)
	f := newForm(r, "at")
	status := http.StatusBadRequest
	var at time.Time
	if s := f.Get("at"); s != "" {
		if at, err = time.ParseInLocation(dateTimeLocal, s, c.Location); err != nil {
			f.Fail("at", c.T(r, "campaign.err_at"))
		} else if at.Before(c.Now().Add(-time.Minute)) {
			f.Fail("at", c.T(r, "campaign.err_at_past"))
		}
	}
	if f.OK() {
		_, err := c.Campaigns.Schedule(r.Context(), v.ID, at)
		if err == nil {
			c.redirect(w, r, campaignPath(v.ID, ""), "campaign.flash_scheduled", v.Title)
			return nil
		}
		if status, err = c.campaignFail(r, f, err); err != nil {
			return err
		}
	}
	v.Schedule = f
	c.render(w, r, status, "campaign", &Page{Title: "campaign.title", Data: v})
	return nil
}

// handleCampaignMove serves POST /campaigns/{id}/pause, resume and cancel
// (a cancel needs its reason). Those who may not steer the campaign get
// 403; a campaign in a state the act does not apply to, 409.
func (c *Console) handleCampaignMove(w http.ResponseWriter, r *Request) error {
	v, err := c.loadCampaign(r)
	if err != nil {
		return err
	}
	if !v.Acts.Steer {
		return taxsms.Errorf(taxsms.EFORBIDDEN, "%s may not pause, resume or cancel campaign %d", r.Actor, v.ID)
	}
	c.actForms(r, v)
	act := r.URL.Path[strings.LastIndexByte(r.URL.Path, '/')+1:]
	f := newForm(r, "reason")
	status := http.StatusBadRequest
	reason := f.Get("reason")
	if act == "cancel" && reason == "" {
		f.Fail("reason", c.T(r, "campaign.err_reason"))
	}
	if f.OK() {
		switch act {
		case "pause":
			_, err = c.Campaigns.Pause(r.Context(), v.ID, reason)
		case "resume":
			_, err = c.Campaigns.Resume(r.Context(), v.ID)
		default:
			_, err = c.Campaigns.Cancel(r.Context(), v.ID, reason)
		}
		if err == nil {
			c.redirect(w, r, campaignPath(v.ID, ""), "campaign.moved."+act, v.Title)
			return nil
		}
		if status, err = c.campaignFail(r, f, err); err != nil {
			return err
		}
	}
	if act == "cancel" {
		v.Cancel = f
	} else {
		v.Pause = f // resume has no field: its refusal shows where the pause form is
	}
	c.render(w, r, status, "campaign", &Page{Title: "campaign.title", Data: v})
	return nil
}
