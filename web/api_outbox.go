package web

import (
	"net/http"

	"taxsms"
	"taxsms/store"
)

// waitingActions maps an endpoint's action to the status it moves messages to.
var waitingActions = map[string]taxsms.Status{
	"cancel":  taxsms.StatusCancelled,
	"hold":    taxsms.StatusHeld,
	"release": taxsms.StatusQueued,
}

// changeIn is the body of the cancel, hold and release endpoints: the
// reason (kept on each message's timeline and in the audit archive), and,
// for POST /api/v1/outbox/{action}, which messages.
type changeIn struct {
	Reason     string `json:"reason,omitempty"`
	CampaignID int64  `json:"campaign_id,omitempty"`
	AuthorID   int64  `json:"author_id,omitempty"`
	OfficeID   int64  `json:"office_id,omitempty"` // the office and its subtree
}

// handleChangeMessage serves POST /api/v1/messages/{id}/{action}, action
// being cancel, hold or release: {"changed": 1} when the message was
// waiting and is now cancelled, held or queued again; {"changed": 0} when it
// was not waiting (already claimed, submitted or finished), or not the
// caller's to change. A message outside the caller's scope is ENOTFOUND.
func (s *Server) handleChangeMessage(action string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		id, err := pathID(r, "message")
		if err == nil {
			_, err = s.DB.FindMessage(r.Context(), id)
		}
		if err != nil {
			s.error(w, r, err)
			return
		}
		in, ok := s.changeBody(w, r, false)
		if !ok {
			return
		}
		s.changeWaiting(w, r, action, store.Selector{ID: id}, in.Reason)
	}
}

// handleChangeOutbox serves POST /api/v1/outbox/{action}: cancel, hold or
// release every waiting message of a campaign, an author or an office
// subtree (those given must all match) that the caller may change,
// answering {"changed": n}. The change reaches each message before it is
// claimed for sending: the dispatcher claims only what its windows can
// take, so a change takes effect within a fraction of a second. An office
// outside the caller's scope is ENOTFOUND.
func (s *Server) handleChangeOutbox(action string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		in, ok := s.changeBody(w, r, true)
		if !ok {
			return
		}
		if in.OfficeID != 0 {
			if _, err := s.DB.FindOffice(r.Context(), in.OfficeID); err != nil {
				s.error(w, r, err)
				return
			}
		}
		s.changeWaiting(w, r, action, store.Selector{CampaignID: in.CampaignID, AuthorID: in.AuthorID, Subtree: in.OfficeID}, in.Reason)
	}
}

// changeBody reads the optional body of a change; with selector false it
// may carry only a reason.
func (s *Server) changeBody(w http.ResponseWriter, r *http.Request, selector bool) (changeIn, bool) {
	var in changeIn
	body, err := readBody(w, r, maxSmallBody)
	if err != nil {
		s.error(w, r, err)
		return in, false
	}
	if len(body) > 0 {
		if err := strictJSON(body, &in); err != nil {
			s.error(w, r, taxsms.Errorf(taxsms.EINVALID, "body: %v", err))
			return in, false
		}
	}
	if !selector && (in.CampaignID != 0 || in.AuthorID != 0 || in.OfficeID != 0) {
		s.error(w, r, taxsms.Invalid("body", "a message's change takes only a reason"))
		return in, false
	}
	if n := len([]rune(in.Reason)); n > 200 {
		s.error(w, r, taxsms.Invalid("reason", "at most 200 characters, got %d", n))
		return in, false
	}
	return in, true
}

func (s *Server) changeWaiting(w http.ResponseWriter, r *http.Request, action string, sel store.Selector, reason string) {
	to := waitingActions[action]
	if reason == "" {
		reason = action + " through the API"
	}
	n, err := s.DB.ChangeWaiting(r.Context(), sel, to, reason)
	if err != nil {
		s.error(w, r, err)
		return
	}
	if to == taxsms.StatusQueued && n > 0 && s.Notifier != nil {
		s.Notifier.Notify()
	}
	writeJSON(w, http.StatusOK, changed{n})
}

// changed is the answer of the cancel, hold and release endpoints.
type changed struct {
	Changed int `json:"changed"`
}
