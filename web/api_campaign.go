package web

import (
	"bytes"
	"context"
	"errors"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"time"

	"taxsms"
	"taxsms/auth"
	"taxsms/campaign"
	"taxsms/content"
	"taxsms/store"
)

// campaignRoutes are the broadcasts' endpoints (Art. 15, 17, 18): the
// campaigns, from draft to report, the recipient lists they may be sent
// to, the offices' approval rules and the staff groups internal notices
// go to. Campaigns and lists are messages data; who may send what, and who
// may approve, is decided by package campaign.
func (s *Server) campaignRoutes() []apiRoute {
	const ms, of, us = auth.DataMessages, auth.DataOffices, auth.DataUsers
	act := func(name string, h http.HandlerFunc) apiRoute {
		return apiRoute{Pattern: "POST /api/v1/campaigns/{id}/" + name, Data: ms, Write: true, Handler: h}
	}
	return []apiRoute{
		{Pattern: "GET /api/v1/campaigns", Data: ms, Handler: s.handleListCampaigns},
		{Pattern: "POST /api/v1/campaigns", Data: ms, Write: true, Handler: s.handleCreateCampaign},
		{Pattern: "GET /api/v1/campaigns/{id}", Data: ms, Handler: s.handleGetCampaign},
		{Pattern: "PATCH /api/v1/campaigns/{id}", Data: ms, Write: true, Handler: s.handleUpdateCampaign},
		{Pattern: "POST /api/v1/campaigns/{id}/check", Data: ms, Handler: s.handleCheckCampaign},
		{Pattern: "GET /api/v1/campaigns/{id}/estimate", Data: ms, Handler: s.handleEstimateCampaign},
		act("submit", s.handleSubmitCampaign),
		{Pattern: "POST /api/v1/campaigns/{id}/approve", Data: ms, Write: true, Perm: auth.PermApprove, Handler: s.handleApproveCampaign},
		{Pattern: "POST /api/v1/campaigns/{id}/reject", Data: ms, Write: true, Perm: auth.PermApprove, Handler: s.handleRejectCampaign},
		act("schedule", s.handleScheduleCampaign),
		act("pause", s.handleCampaignAct("pause")),
		act("resume", s.handleCampaignAct("resume")),
		act("cancel", s.handleCampaignAct("cancel")),
		{Pattern: "GET /api/v1/campaigns/{id}/report", Data: ms, Handler: s.handleCampaignReport},
		{Pattern: "GET /api/v1/campaigns/{id}/report.xlsx", Data: ms, Perm: auth.PermExport, Handler: s.handleCampaignWorkbook},

		{Pattern: "POST /api/v1/recipient-lists", Data: ms, Write: true, Handler: s.handleCreateRecipientList},
		{Pattern: "GET /api/v1/recipient-lists/{id}", Data: ms, Handler: s.handleGetRecipientList},

		{Pattern: "GET /api/v1/offices/{id}/approval-rule", Data: of, Handler: s.handleGetApprovalRule},
		{Pattern: "PUT /api/v1/offices/{id}/approval-rule", Data: of, Write: true, Perm: auth.PermManageOffices, Handler: s.handleSetApprovalRule},
		{Pattern: "GET /api/v1/users/{id}/groups", Data: us, Handler: s.handleGetUserGroups},
		{Pattern: "PUT /api/v1/users/{id}/groups", Data: us, Write: true, Perm: auth.PermManageUsers, Handler: s.handleSetUserGroups},
	}
}

// campaigns returns the broadcasts' service: the node's, or one on DB
// with the embedded content lists and calendar, and no prices.
func (s *Server) campaigns() *campaign.Service {
	if s.Campaigns != nil {
		return s.Campaigns
	}
	return &campaign.Service{DB: s.DB, Logger: s.Logger}
}

// campaignDoc is a campaign as the API shows it, with its history and
// the progress of its messages.
type campaignDoc struct {
	ID              int64           `json:"id"`
	OfficeID        int64           `json:"office_id"`
	AuthorID        int64           `json:"author_id,omitempty"`
	Kind            string          `json:"kind"`
	Title           string          `json:"title"`
	Template        string          `json:"template"`
	Audience        taxsms.Audience `json:"audience"`
	State           string          `json:"state"`
	Emergency       bool            `json:"emergency"`
	EmergencyReason string          `json:"emergency_reason,omitempty"`
	ApprovedBy      int64           `json:"approved_by,omitempty"`
	OverrideBy      int64           `json:"override_by,omitempty"`
	OverrideReason  string          `json:"override_reason,omitempty"`
	RejectReason    string          `json:"reject_reason,omitempty"`
	ScheduledAt     *time.Time      `json:"scheduled_at,omitempty"`
	Festival        string          `json:"festival,omitempty"`
	Recipients      int             `json:"recipients"`
	Segments        int             `json:"segments"`
	Created         time.Time       `json:"created_at"`
	Updated         time.Time       `json:"updated_at"`
	Started         *time.Time      `json:"started_at,omitempty"`
	Completed       *time.Time      `json:"completed_at,omitempty"`
}

// campaignOut is one campaign with its history and progress.
type campaignOut struct {
	campaignDoc
	History  []campaignEventView  `json:"history"`
	Progress campaignProgressView `json:"progress"`
}

type campaignEventView struct {
	At      time.Time `json:"at"`
	State   string    `json:"state"`
	ActorID int64     `json:"actor_id,omitempty"`
	Actor   string    `json:"actor"`
	Detail  string    `json:"detail,omitempty"`
}

type campaignProgressView struct {
	Messages  int            `json:"messages"`
	Segments  int            `json:"segments"`
	ByStatus  map[string]int `json:"by_status"`
	Waiting   int            `json:"waiting"`
	Sent      int            `json:"sent"`
	Delivered int            `json:"delivered"`
	Failed    int            `json:"failed"`
	Cancelled int            `json:"cancelled"`
}

func optionalTime(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

func viewCampaign(c *taxsms.Campaign) campaignDoc {
	return campaignDoc{ID: c.ID, OfficeID: c.OfficeID, AuthorID: c.AuthorID, Kind: string(c.Kind), Title: c.Title,
		Template: c.Template, Audience: c.Audience, State: string(c.State), Emergency: c.Emergency,
		EmergencyReason: c.EmergencyReason, ApprovedBy: c.ApprovedBy, OverrideBy: c.OverrideBy, OverrideReason: c.OverrideReason,
		RejectReason: c.RejectReason, ScheduledAt: optionalTime(c.ScheduledAt), Festival: c.Festival, Recipients: c.Recipients,
		Segments: c.Segments, Created: c.CreatedAt, Updated: c.UpdatedAt, Started: optionalTime(c.StartedAt), Completed: optionalTime(c.CompletedAt)}
}

func viewCampaignProgress(p *store.CampaignProgress) campaignProgressView {
	v := campaignProgressView{Messages: p.Messages, Segments: p.Segments, ByStatus: map[string]int{}, Waiting: p.Waiting,
		Sent: p.Sent, Delivered: p.Delivered, Failed: p.Failed, Cancelled: p.Cancelled}
	for st, n := range p.ByStatus {
		v.ByStatus[string(st)] = n
	}
	return v
}

// writeCampaign answers with campaign id as it now stands: its fields,
// history and progress.
func (s *Server) writeCampaign(w http.ResponseWriter, r *http.Request, status int, id int64) {
	ctx := r.Context()
	c, hist, err := s.campaigns().Find(ctx, id)
	if err != nil {
		s.error(w, r, err)
		return
	}
	p, err := s.campaigns().Progress(ctx, id)
	if err != nil {
		s.error(w, r, err)
		return
	}
	out := campaignOut{campaignDoc: viewCampaign(c), History: []campaignEventView{}, Progress: viewCampaignProgress(p)}
	for _, e := range hist {
		out.History = append(out.History, campaignEventView{At: e.At, State: string(e.State), ActorID: e.ActorID, Actor: e.Actor, Detail: e.Detail})
	}
	writeJSON(w, status, out)
}

// campaignIn is the body of POST and PATCH /api/v1/campaigns.
type campaignIn struct {
	OfficeID        *int64           `json:"office_id"`
	Kind            *string          `json:"kind"`
	Title           *string          `json:"title"`
	Template        *string          `json:"template"`
	Audience        *taxsms.Audience `json:"audience"`
	Emergency       *bool            `json:"emergency"`
	EmergencyReason *string          `json:"emergency_reason"`
	ScheduledAt     *string          `json:"scheduled_at"` // RFC 3339; "" for none
}

func (in *campaignIn) apply(c *taxsms.Campaign) error {
	set(&c.OfficeID, in.OfficeID)
	if in.Kind != nil {
		c.Kind = taxsms.Kind(*in.Kind)
	}
	set(&c.Title, in.Title)
	set(&c.Template, in.Template)
	if in.Audience != nil {
		c.Audience = *in.Audience
	}
	set(&c.Emergency, in.Emergency)
	set(&c.EmergencyReason, in.EmergencyReason)
	if in.ScheduledAt != nil {
		at, err := parseAPITime("scheduled_at", *in.ScheduledAt)
		if err != nil {
			return err
		}
		c.ScheduledAt = at
	}
	return nil
}

// parseAPITime reads an RFC 3339 time; "" is the zero time.
func parseAPITime(field, v string) (time.Time, error) {
	if v == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339, v)
	if err != nil {
		return time.Time{}, taxsms.Invalid(field, "%q is not an RFC 3339 time (2026-12-07T09:00:00+08:00)", v)
	}
	return t, nil
}

// handleListCampaigns serves GET /api/v1/campaigns: the campaigns of the
// actor's scope, newest first, filtered by state, kind, office (subtree)
// and author_id, one page at a time.
func (s *Server) handleListCampaigns(w http.ResponseWriter, r *http.Request) {
	q, err := parseList(r, "state", "kind", "office", "author_id")
	if err != nil {
		s.error(w, r, err)
		return
	}
	f := taxsms.CampaignFilter{State: taxsms.CampaignState(q.Get("state")), Kind: taxsms.Kind(q.Get("kind")), Limit: q.Limit + 1}
	if f.State != "" && !f.State.Valid() {
		err = taxsms.Invalid("state", "unknown state %q", f.State)
	} else if f.Kind != "" && !f.Kind.Valid() {
		err = taxsms.Invalid("kind", "unknown kind %q", f.Kind)
	}
	if err == nil {
		f.AuthorID, err = q.ID("author_id")
	}
	if err == nil {
		f.Subtree, err = s.officeFilter(r.Context(), q)
	}
	if err == nil {
		f.Before, err = decodeIDCursor("campaigns", q.Get("cursor"))
	}
	if err != nil {
		s.error(w, r, err)
		return
	}
	cs, err := s.campaigns().List(r.Context(), f)
	if err != nil {
		s.error(w, r, err)
		return
	}
	out := page[campaignDoc]{Items: []campaignDoc{}}
	for i, c := range cs {
		if i == q.Limit {
			out.Next = encodeCursor("campaigns", strconv.FormatInt(cs[i-1].ID, 10))
			break
		}
		out.Items = append(out.Items, viewCampaign(c))
	}
	writeJSON(w, http.StatusOK, out)
}

// handleCreateCampaign serves POST /api/v1/campaigns: a new draft, on
// behalf of office_id (default: the caller's office). The kind defaults
// to internal for a staff audience, special otherwise. Only a caller who
// may send it creates it (403); an emergency needs its reason (400) and
// the permission send_emergency (403).
func (s *Server) handleCreateCampaign(w http.ResponseWriter, r *http.Request) {
	var in campaignIn
	if err := decodeBody(w, r, maxSmallBody, &in); err != nil {
		s.error(w, r, err)
		return
	}
	var c taxsms.Campaign
	if a := actorOf(r.Context()); a != nil {
		c.OfficeID = a.OfficeID
	}
	if err := in.apply(&c); err != nil {
		s.error(w, r, err)
		return
	}
	if c.Kind == "" {
		c.Kind = taxsms.KindSpecial
		if c.Audience.Staff() {
			c.Kind = taxsms.KindInternal
		}
	}
	if err := s.audienceInScope(r.Context(), &c); err != nil {
		s.error(w, r, err)
		return
	}
	if err := s.campaigns().Create(r.Context(), &c); err != nil {
		s.error(w, r, err)
		return
	}
	w.Header().Set("Location", "/api/v1/campaigns/"+strconv.FormatInt(c.ID, 10))
	s.writeCampaign(w, r, http.StatusCreated, c.ID)
}

// audienceInScope returns ENOTFOUND (naming audience.subtree) for an
// audience rooted at an office the caller may not read: a broadcast
// targets only offices its author reaches.
func (s *Server) audienceInScope(ctx context.Context, c *taxsms.Campaign) error {
	if c.Audience.Subtree <= 0 {
		return nil
	}
	if _, err := s.DB.FindOffice(ctx, c.Audience.Subtree); err != nil {
		return &taxsms.Error{Code: taxsms.ErrorCode(err), Field: "audience.subtree", Message: "audience.subtree: " + taxsms.ErrorMessage(err)}
	}
	return nil
}

// campaignID returns the {id} of r's path as a campaign in the actor's
// read scope, or ENOTFOUND.
func (s *Server) campaignID(r *http.Request) (*taxsms.Campaign, error) {
	id, err := pathID(r, "campaign")
	if err != nil {
		return nil, err
	}
	return s.DB.FindCampaign(r.Context(), id)
}

// handleGetCampaign serves GET /api/v1/campaigns/{id}: the campaign, its
// history and the progress of its messages.
func (s *Server) handleGetCampaign(w http.ResponseWriter, r *http.Request) {
	c, err := s.campaignID(r)
	if err != nil {
		s.error(w, r, err)
		return
	}
	s.writeCampaign(w, r, http.StatusOK, c.ID)
}

// handleUpdateCampaign serves PATCH /api/v1/campaigns/{id}: changes the
// fields given of a draft, rejected or approved campaign, which goes back
// to draft (409 in any other state).
func (s *Server) handleUpdateCampaign(w http.ResponseWriter, r *http.Request) {
	c, err := s.campaignID(r)
	if err != nil {
		s.error(w, r, err)
		return
	}
	var in campaignIn
	if err := decodeBody(w, r, maxSmallBody, &in); err != nil {
		s.error(w, r, err)
		return
	}
	if err := in.apply(c); err != nil {
		s.error(w, r, err)
		return
	}
	if err := s.audienceInScope(r.Context(), c); err != nil {
		s.error(w, r, err)
		return
	}
	if err := s.campaigns().Update(r.Context(), c); err != nil {
		s.error(w, r, err)
		return
	}
	s.writeCampaign(w, r, http.StatusOK, c.ID)
}

// contentCheckView is the content check of a campaign's text.
type contentCheckView struct {
	Template  string            `json:"template"`
	Clean     bool              `json:"clean"`
	Unrelated bool              `json:"unrelated"`
	Summary   string            `json:"summary"`
	Flags     []contentFlagView `json:"flags"`
}

// contentFlagView is one flagged fragment; start and end count characters
// (Unicode code points) of the template from 0, end exclusive.
type contentFlagView struct {
	Category string `json:"category"`
	Term     string `json:"term"`
	Start    int    `json:"start"`
	End      int    `json:"end"`
	Text     string `json:"text"`
}

func viewContentCheck(text string, rep content.Report) contentCheckView {
	v := contentCheckView{Template: text, Clean: rep.Clean(), Unrelated: rep.Unrelated, Summary: rep.String(), Flags: []contentFlagView{}}
	for _, f := range rep.Flags {
		v.Flags = append(v.Flags, contentFlagView{Category: string(f.Category), Term: f.Term, Start: f.RuneStart, End: f.RuneEnd, Text: f.Text})
	}
	return v
}

// handleCheckCampaign serves POST /api/v1/campaigns/{id}/check: the
// content check of the campaign's text, each flag with its position. A
// flagged text needs an approver's override with its reason.
func (s *Server) handleCheckCampaign(w http.ResponseWriter, r *http.Request) {
	c, err := s.campaignID(r)
	if err != nil {
		s.error(w, r, err)
		return
	}
	if !s.campaignNoBody(w, r) {
		return
	}
	rep, err := s.campaigns().Check(r.Context(), c.ID)
	if err != nil {
		s.error(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, viewContentCheck(c.Template, rep))
}

// campaignEstimateView is what a campaign would send now.
type campaignEstimateView struct {
	Recipients    int                   `json:"recipients"`
	Duplicates    int                   `json:"duplicates"`
	Excluded      map[string]int        `json:"excluded"`
	Segments      int                   `json:"segments"`
	Carriers      []campaignCarrierCost `json:"carriers"`
	Cost          string                `json:"cost"`
	Complete      bool                  `json:"complete"`
	CityWide      bool                  `json:"city_wide"`
	NeedsApproval bool                  `json:"needs_approval"`
	Preview       campaignPreviewView   `json:"preview"`
}

type campaignCarrierCost struct {
	Carrier    string `json:"carrier"`
	Recipients int    `json:"recipients"`
	Segments   int    `json:"segments"`
	Priced     bool   `json:"priced"`
	Price      string `json:"price,omitempty"`
	Cost       string `json:"cost,omitempty"`
	Note       string `json:"note,omitempty"`
}

type campaignPreviewView struct {
	Text      string `json:"text"`
	Chars     int    `json:"chars"`
	Segments  int    `json:"segments"`
	Variables bool   `json:"variables"`
}

// handleEstimateCampaign serves GET /api/v1/campaigns/{id}/estimate: the
// audience counted in its author's scope (recipients, duplicate numbers,
// contacts excluded by reason), its segments, its cost by carrier at
// today's tariffs, and whether the office's rule asks for an approver.
func (s *Server) handleEstimateCampaign(w http.ResponseWriter, r *http.Request) {
	c, err := s.campaignID(r)
	if err != nil {
		s.error(w, r, err)
		return
	}
	e, err := s.campaigns().Estimate(r.Context(), c.ID)
	if err != nil {
		s.error(w, r, err)
		return
	}
	out := campaignEstimateView{Recipients: e.Count.Recipients, Duplicates: e.Count.Duplicates, Excluded: map[string]int{},
		Segments: e.Count.Segments, Carriers: []campaignCarrierCost{}, Cost: taxsms.MilliYuan(e.CostMilliYuan).String(),
		Complete: e.Complete, CityWide: e.CityWide, NeedsApproval: e.NeedsApproval,
		Preview: campaignPreviewView{Text: e.Preview.Text, Chars: e.Preview.Chars, Segments: e.Preview.Segments, Variables: e.Preview.Variables}}
	for k, v := range e.Count.Excluded {
		out.Excluded[k] = v
	}
	for _, cc := range e.Carriers {
		v := campaignCarrierCost{Carrier: string(cc.Carrier), Recipients: cc.Recipients, Segments: cc.Segments, Priced: cc.Priced, Note: cc.Note}
		if v.Carrier == "" {
			v.Carrier = "unknown"
		}
		if cc.Priced {
			v.Price, v.Cost = taxsms.MilliYuan(cc.PriceMilliYuan).String(), taxsms.MilliYuan(cc.CostMilliYuan).String()
		}
		out.Carriers = append(out.Carriers, v)
	}
	writeJSON(w, http.StatusOK, out)
}

// campaignActIn is the optional body of a campaign's acts; each act takes only
// its own fields.
type campaignActIn struct {
	Reason         string `json:"reason,omitempty"`
	OverrideReason string `json:"override_reason,omitempty"`
	At             string `json:"at,omitempty"`
}

// campaignActBody reads the optional body of an act, refusing the fields the act
// does not take (EINVALID naming them).
func (s *Server) campaignActBody(w http.ResponseWriter, r *http.Request, takes ...string) (campaignActIn, bool) {
	var in campaignActIn
	body, err := readBody(w, r, maxSmallBody)
	if err == nil && len(bytes.TrimSpace(body)) > 0 {
		if e := strictJSON(body, &in); e != nil {
			err = taxsms.Errorf(taxsms.EINVALID, "body: %v", e)
		}
	}
	for _, f := range []struct {
		name string
		set  bool
	}{{"reason", in.Reason != ""}, {"override_reason", in.OverrideReason != ""}, {"at", in.At != ""}} {
		if err == nil && f.set && !contains(takes, f.name) {
			err = taxsms.Invalid(f.name, "not taken by this act")
		}
	}
	if err == nil && len([]rune(in.Reason)) > 200 {
		err = taxsms.Invalid("reason", "at most 200 characters, got %d", len([]rune(in.Reason)))
	}
	if err != nil {
		s.error(w, r, err)
		return in, false
	}
	return in, true
}

// campaignNoBody refuses a body with anything in it but {} (EINVALID).
func (s *Server) campaignNoBody(w http.ResponseWriter, r *http.Request) bool {
	_, ok := s.campaignActBody(w, r)
	return ok
}

// writeMoved answers an act that returned the campaign.
func (s *Server) writeMoved(w http.ResponseWriter, r *http.Request, c *taxsms.Campaign, err error) {
	if err != nil {
		s.error(w, r, err)
		return
	}
	s.writeCampaign(w, r, http.StatusOK, c.ID)
}

// handleSubmitCampaign serves POST /api/v1/campaigns/{id}/submit: a draft
// goes to pending when its office's approval rule, or a flagged text,
// asks for an approver, else straight to approved. An empty audience is
// 400.
func (s *Server) handleSubmitCampaign(w http.ResponseWriter, r *http.Request) {
	c, err := s.campaignID(r)
	if err != nil {
		s.error(w, r, err)
		return
	}
	if !s.campaignNoBody(w, r) {
		return
	}
	c, err = s.campaigns().Submit(r.Context(), c.ID)
	s.writeMoved(w, r, c, err)
}

// handleApproveCampaign serves POST /api/v1/campaigns/{id}/approve
// {"override_reason"}: approves a pending campaign. The approver holds
// approve and is not its author (403); a flagged text needs
// override_reason (400 naming it), recorded as an override.
func (s *Server) handleApproveCampaign(w http.ResponseWriter, r *http.Request) {
	c, err := s.campaignID(r)
	if err != nil {
		s.error(w, r, err)
		return
	}
	in, ok := s.campaignActBody(w, r, "override_reason")
	if !ok {
		return
	}
	c, err = s.campaigns().Approve(r.Context(), c.ID, in.OverrideReason)
	s.writeMoved(w, r, c, err)
}

// handleRejectCampaign serves POST /api/v1/campaigns/{id}/reject
// {"reason"}: sends a pending campaign back to its author; the reason is
// required.
func (s *Server) handleRejectCampaign(w http.ResponseWriter, r *http.Request) {
	c, err := s.campaignID(r)
	if err != nil {
		s.error(w, r, err)
		return
	}
	in, ok := s.campaignActBody(w, r, "reason")
	if !ok {
		return
	}
	c, err = s.campaigns().Reject(r.Context(), c.ID, in.Reason)
	s.writeMoved(w, r, c, err)
}

// handleScheduleCampaign serves POST /api/v1/campaigns/{id}/schedule
// {"at"}: an approved campaign goes at at (RFC 3339; absent: now) within
// its office's working hours, an emergency at once.
func (s *Server) handleScheduleCampaign(w http.ResponseWriter, r *http.Request) {
	c, err := s.campaignID(r)
	if err != nil {
		s.error(w, r, err)
		return
	}
	in, ok := s.campaignActBody(w, r, "at")
	if !ok {
		return
	}
	at, err := parseAPITime("at", in.At)
	if err != nil {
		s.error(w, r, err)
		return
	}
	c, err = s.campaigns().Schedule(r.Context(), c.ID, at)
	s.writeMoved(w, r, c, err)
}

// handleCampaignAct serves POST /api/v1/campaigns/{id}/pause, resume and
// cancel ({"reason"} for pause and cancel). A pause holds the campaign's
// waiting messages and a cancel cancels them, in the same transaction;
// a resume queues them again (or leaves them for the working window).
func (s *Server) handleCampaignAct(act string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		c, err := s.campaignID(r)
		if err != nil {
			s.error(w, r, err)
			return
		}
		var takes []string
		if act != "resume" {
			takes = []string{"reason"}
		}
		in, ok := s.campaignActBody(w, r, takes...)
		if !ok {
			return
		}
		svc := s.campaigns()
		switch act {
		case "pause":
			c, err = svc.Pause(r.Context(), c.ID, in.Reason)
		case "resume":
			c, err = svc.Resume(r.Context(), c.ID)
			if err == nil && c.State == taxsms.CampaignSending && s.Notifier != nil {
				s.Notifier.Notify()
			}
		case "cancel":
			c, err = svc.Cancel(r.Context(), c.ID, in.Reason)
		}
		s.writeMoved(w, r, c, err)
	}
}

// campaignReportView is a campaign's delivery by office and carrier.
type campaignReportView struct {
	CampaignID int64                   `json:"campaign_id"`
	Title      string                  `json:"title"`
	State      string                  `json:"state"`
	Progress   campaignProgressView    `json:"progress"`
	Rows       []campaignReportRowView `json:"rows"`
}

type campaignReportRowView struct {
	OfficeID  int64  `json:"office_id"`
	Office    string `json:"office"`
	Carrier   string `json:"carrier"`
	Messages  int    `json:"messages"`
	Segments  int    `json:"segments"`
	Delivered int    `json:"delivered"`
	Failed    int    `json:"failed"`
	Waiting   int    `json:"waiting"`
	Cancelled int    `json:"cancelled"`
}

// handleCampaignReport serves GET /api/v1/campaigns/{id}/report: the
// progress of the campaign's messages and their delivery by office and
// carrier.
func (s *Server) handleCampaignReport(w http.ResponseWriter, r *http.Request) {
	c, err := s.campaignID(r)
	if err != nil {
		s.error(w, r, err)
		return
	}
	svc := s.campaigns()
	p, err := svc.Progress(r.Context(), c.ID)
	if err != nil {
		s.error(w, r, err)
		return
	}
	rows, err := svc.Report(r.Context(), c.ID)
	if err != nil {
		s.error(w, r, err)
		return
	}
	out := campaignReportView{CampaignID: c.ID, Title: c.Title, State: string(c.State), Progress: viewCampaignProgress(p), Rows: []campaignReportRowView{}}
	for _, row := range rows {
		cr := string(row.Carrier)
		if cr == "" {
			cr = "unknown"
		}
		out.Rows = append(out.Rows, campaignReportRowView{OfficeID: row.OfficeID, Office: row.OfficeName, Carrier: cr, Messages: row.Messages,
			Segments: row.Segments, Delivered: row.Delivered, Failed: row.Failed, Waiting: row.Waiting, Cancelled: row.Cancelled})
	}
	writeJSON(w, http.StatusOK, out)
}

// xlsxMediaType is the media type of an Excel workbook.
const xlsxMediaType = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

// handleCampaignWorkbook serves GET /api/v1/campaigns/{id}/report.xlsx:
// the report as an Excel workbook (needs export; the export is audited).
func (s *Server) handleCampaignWorkbook(w http.ResponseWriter, r *http.Request) {
	c, err := s.campaignID(r)
	if err != nil {
		s.error(w, r, err)
		return
	}
	var b bytes.Buffer
	if err := s.campaigns().WriteReport(r.Context(), c.ID, &b); err != nil {
		s.error(w, r, err)
		return
	}
	w.Header().Set("Content-Type", xlsxMediaType)
	w.Header().Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": "campaign-" + strconv.FormatInt(c.ID, 10) + ".xlsx"}))
	w.Header().Set("Content-Length", strconv.Itoa(b.Len()))
	w.WriteHeader(http.StatusOK)
	w.Write(b.Bytes())
}

// recipientListView is an uploaded recipient list.
type recipientListView struct {
	ID        int64     `json:"id"`
	OfficeID  int64     `json:"office_id"`
	AuthorID  int64     `json:"author_id,omitempty"`
	Name      string    `json:"name"`
	Taxpayers int       `json:"taxpayers"`
	Numbers   int       `json:"numbers"`
	Created   time.Time `json:"created_at"`
}

func viewRecipientList(l *taxsms.RecipientList) recipientListView {
	return recipientListView{ID: l.ID, OfficeID: l.OfficeID, AuthorID: l.AuthorID, Name: l.Name, Taxpayers: l.Taxpayers,
		Numbers: l.Numbers, Created: l.CreatedAt}
}

// recipientListIn is the JSON body of POST /api/v1/recipient-lists.
type recipientListIn struct {
	Name        string   `json:"name"`
	OfficeID    int64    `json:"office_id"`
	Identifiers []string `json:"identifiers"`
	Numbers     []string `json:"numbers"`
}

// handleCreateRecipientList serves POST /api/v1/recipient-lists: a list
// for campaigns of office_id (default: the caller's office), either as
// JSON {"name", "office_id", "identifiers", "numbers"} or as a
// multipart/form-data upload with the fields name, office_id and file (a
// CSV or .xlsx file of one column, campaign.ParseList). Identifiers name
// taxpayers in the caller's scope. A bad row or value is 400 naming it,
// and nothing is stored.
func (s *Server) handleCreateRecipientList(w http.ResponseWriter, r *http.Request) {
	l := &taxsms.RecipientList{}
	if a := actorOf(r.Context()); a != nil {
		l.OfficeID = a.OfficeID
	}
	var rows []campaign.ListRow
	var err error
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if mt == "multipart/form-data" {
		rows, err = s.readRecipientUpload(w, r, l)
	} else {
		var in recipientListIn
		if err = decodeBody(w, r, maxBody, &in); err == nil {
			l.Name = in.Name
			if in.OfficeID != 0 {
				l.OfficeID = in.OfficeID
			}
			rows, err = campaign.ListOf(in.Identifiers, in.Numbers)
		}
	}
	if err == nil && l.OfficeID == 0 {
		err = taxsms.Invalid("office_id", "required")
	}
	if err == nil {
		_, err = s.DB.FindOffice(r.Context(), l.OfficeID)
	}
	if err == nil {
		err = s.campaigns().CreateList(r.Context(), l, rows)
	}
	if err != nil {
		s.error(w, r, err)
		return
	}
	w.Header().Set("Location", "/api/v1/recipient-lists/"+strconv.FormatInt(l.ID, 10))
	writeJSON(w, http.StatusCreated, viewRecipientList(l))
}

// readRecipientUpload reads a multipart upload of a list: the fields name and
// office_id into l, the part file parsed.
func (s *Server) readRecipientUpload(w http.ResponseWriter, r *http.Request, l *taxsms.RecipientList) ([]campaign.ListRow, error) {
	r.Body = http.MaxBytesReader(w, r.Body, campaign.MaxListBytes+1<<20)
	mr, err := r.MultipartReader()
	if err != nil {
		return nil, taxsms.Invalid("body", "not a multipart form: %v", err)
	}
	var rows []campaign.ListRow
	file := false
	for {
		p, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return nil, taxsms.Invalid("file", "the upload is larger than %d MB", campaign.MaxListBytes>>20)
		} else if err != nil {
			return nil, taxsms.Invalid("body", "not a multipart form: %v", err)
		}
		switch p.FormName() {
		case "file":
			if file {
				return nil, taxsms.Invalid("file", "one file a list")
			}
			file = true
			name := p.FileName()
			if name == "" {
				name = "list.csv"
			}
			if rows, err = campaign.ParseList(name, p); err != nil {
				if errors.As(err, &mbe) {
					return nil, taxsms.Invalid("file", "the upload is larger than %d MB", campaign.MaxListBytes>>20)
				}
				return nil, err
			}
		case "name", "office_id":
			b, err := io.ReadAll(io.LimitReader(p, 1024))
			if err != nil {
				return nil, taxsms.Invalid("body", "not a multipart form: %v", err)
			}
			v := strings.TrimSpace(string(b))
			if p.FormName() == "name" {
				l.Name = v
			} else if id, err := strconv.ParseInt(v, 10, 64); err != nil || id <= 0 {
				return nil, taxsms.Invalid("office_id", "%q is not an office id", v)
			} else {
				l.OfficeID = id
			}
		default:
			return nil, taxsms.Invalid(p.FormName(), "unknown field; an upload takes name, office_id and file")
		}
	}
	if !file {
		return nil, taxsms.Invalid("file", "required")
	}
	return rows, nil
}

// handleGetRecipientList serves GET /api/v1/recipient-lists/{id}.
func (s *Server) handleGetRecipientList(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "recipient list")
	if err != nil {
		s.error(w, r, err)
		return
	}
	l, err := s.DB.FindRecipientList(r.Context(), id)
	if err != nil {
		s.error(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, viewRecipientList(l))
}

// approvalRuleView is an office's approval rule.
type approvalRuleView struct {
	OfficeID          int64 `json:"office_id"`
	Always            bool  `json:"always"`
	Over              int   `json:"over"`
	CityWide          bool  `json:"city_wide"`
	EmergencyApproval bool  `json:"emergency_approval"`
	// SetOn is the office whose rule this is (the office itself or one
	// above it); 0 for the platform's default.
	SetOn int64 `json:"set_on"`
}

// approvalRuleIn is the body of PUT /api/v1/offices/{id}/approval-rule.
type approvalRuleIn struct {
	Always            bool `json:"always"`
	Over              int  `json:"over"`
	CityWide          bool `json:"city_wide"`
	EmergencyApproval bool `json:"emergency_approval"`
	// Inherit removes the office's own rule: the rule above applies.
	Inherit bool `json:"inherit"`
}

func (s *Server) writeApprovalRule(w http.ResponseWriter, r *http.Request, office int64) {
	rule, from, err := s.DB.ApprovalRule(r.Context(), office)
	if err != nil {
		s.error(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, approvalRuleView{OfficeID: office, Always: rule.Always, Over: rule.Over, CityWide: rule.CityWide,
		EmergencyApproval: rule.EmergencyApproval, SetOn: from})
}

// handleGetApprovalRule serves GET /api/v1/offices/{id}/approval-rule:
// the rule the office's broadcasts work under, its own or inherited.
func (s *Server) handleGetApprovalRule(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "office")
	if err != nil {
		s.error(w, r, err)
		return
	}
	s.writeApprovalRule(w, r, id)
}

// handleSetApprovalRule serves PUT /api/v1/offices/{id}/approval-rule:
// sets the office's own rule ({"inherit": true} removes it). Needs
// manage_offices and write scope on the office; audited.
func (s *Server) handleSetApprovalRule(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "office")
	if err == nil {
		_, err = s.DB.FindOffice(r.Context(), id)
	}
	if err != nil {
		s.error(w, r, err)
		return
	}
	var in approvalRuleIn
	if err := decodeBody(w, r, maxSmallBody, &in); err != nil {
		s.error(w, r, err)
		return
	}
	if in.Inherit && (in.Always || in.Over != 0 || in.CityWide || in.EmergencyApproval) {
		s.error(w, r, taxsms.Invalid("inherit", "removes the office's rule: give no rule with it"))
		return
	}
	rule := taxsms.ApprovalRule{OfficeID: id, Always: in.Always, Over: in.Over, CityWide: in.CityWide, EmergencyApproval: in.EmergencyApproval}
	if err := s.DB.SetApprovalRule(r.Context(), rule, in.Inherit); err != nil {
		s.error(w, r, err)
		return
	}
	s.writeApprovalRule(w, r, id)
}

// userGroupsIn is the body of PUT /api/v1/users/{id}/groups.
type userGroupsIn struct {
	Groups []string `json:"groups"`
}

// handleSetUserGroups serves PUT /api/v1/users/{id}/groups: replaces the
// staff groups a user belongs to (internal notices go to a group). Needs
// manage_users and write scope on the user; audited.
func (s *Server) handleSetUserGroups(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "user")
	if err == nil {
		_, err = s.DB.FindUser(r.Context(), id)
	}
	if err != nil {
		s.error(w, r, err)
		return
	}
	var in userGroupsIn
	if err := decodeBody(w, r, maxSmallBody, &in); err != nil {
		s.error(w, r, err)
		return
	}
	if len(in.Groups) > 50 {
		s.error(w, r, taxsms.Invalid("groups", "at most 50 groups, got %d", len(in.Groups)))
		return
	}
	if err := s.DB.SetUserGroups(r.Context(), id, in.Groups); err != nil {
		s.error(w, r, err)
		return
	}
	s.writeUserGroups(w, r, id)
}

// handleGetUserGroups answers the staff groups of a user the caller may
// read.
func (s *Server) handleGetUserGroups(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "user")
	if err == nil {
		_, err = s.DB.FindUser(r.Context(), id)
	}
	if err != nil {
		s.error(w, r, err)
		return
	}
	s.writeUserGroups(w, r, id)
}

func (s *Server) writeUserGroups(w http.ResponseWriter, r *http.Request, id int64) {
	groups, err := s.DB.UserGroups(r.Context(), id)
	if err != nil {
		s.error(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, struct {
		UserID int64    `json:"user_id"`
		Groups []string `json:"groups"`
	}{id, groups})
}
