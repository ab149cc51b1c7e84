package web

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"taxsms"
	"taxsms/auth"
)

// Notifier is told when new messages are queued (the dispatcher).
type Notifier interface{ Notify() }

// MaxBatch is the most messages one POST /api/v1/messages may carry.
const MaxBatch = 10000

// maxBody bounds a request body: 10,000 messages of 670 characters.
const maxBody = 32 << 20

// messageIn is a message as the tax core systems post it.
type messageIn struct {
	Kind           string `json:"kind"`
	Mobile         string `json:"mobile"`
	Body           string `json:"body"`
	Priority       *int   `json:"priority,omitempty"`
	TaxpayerID     int64  `json:"taxpayer_id,omitempty"`
	ContactID      int64  `json:"contact_id,omitempty"`
	OfficeID       int64  `json:"office_id,omitempty"`
	IdempotencyKey string `json:"idempotency_key,omitempty"`
	NotBefore      string `json:"not_before,omitempty"` // RFC 3339
	ExpiresAt      string `json:"expires_at,omitempty"` // RFC 3339
}

// messageView is a message as the API lists it: the number masked.
type messageView struct {
	ID         int64     `json:"id"`
	Direction  string    `json:"direction"`
	Kind       string    `json:"kind"`
	Priority   int       `json:"priority"`
	Mobile     string    `json:"mobile"`
	Body       string    `json:"body"`
	Segments   int       `json:"segments"`
	Status     string    `json:"status"`
	TaxpayerID int64     `json:"taxpayer_id,omitempty"`
	ContactID  int64     `json:"contact_id,omitempty"`
	OfficeID   int64     `json:"office_id,omitempty"`
	AuthorID   int64     `json:"author_id,omitempty"`
	Carrier    string    `json:"carrier,omitempty"`
	Error      string    `json:"error,omitempty"`
	Created    time.Time `json:"created_at"`
	Updated    time.Time `json:"updated_at"`
}

func viewMessage(m *taxsms.Message) messageView {
	return messageView{ID: m.ID, Direction: string(m.Direction), Kind: string(m.Kind), Priority: int(m.Priority),
		Mobile: taxsms.MaskMobile(m.Mobile), Body: m.Body, Segments: m.Segments, Status: string(m.Status),
		TaxpayerID: m.TaxpayerID, ContactID: m.ContactID, OfficeID: m.OfficeID, AuthorID: m.AuthorID,
		Carrier: string(m.Carrier), Error: m.Error, Created: m.CreatedAt, Updated: m.UpdatedAt}
}

// messageOut is one message with its status timeline and parts.
type messageOut struct {
	messageView
	Timeline []eventOut `json:"timeline"`
	Parts    []partOut  `json:"parts,omitempty"`
}

type eventOut struct {
	At     time.Time `json:"at"`
	Status string    `json:"status"`
	Detail string    `json:"detail,omitempty"`
}

type partOut struct {
	Seq    int    `json:"seq"`
	ID     string `json:"carrier_msg_id"`
	Status string `json:"status"`
	Error  string `json:"error,omitempty"`
}

// handlePostMessages serves POST /api/v1/messages: one message object, or
// {"messages": [...]} with up to MaxBatch. It answers 201 with
// {"messages":[{"id":…,"created":true|false}]} in the order given; created
// is false for a repeated idempotency key, whose first message's id is
// given. A bad message fails the whole request (400, naming it) and
// nothing is stored.
func (s *Server) handlePostMessages(w http.ResponseWriter, r *http.Request) {
	body, err := readBody(w, r, maxBody)
	if err != nil {
		s.error(w, r, err)
		return
	}
	in, err := decodeMessages(body)
	if err != nil {
		s.error(w, r, err)
		return
	}
	ctx := r.Context()
	a := actorOf(ctx)
	if err := requireSend(a); err != nil {
		s.error(w, r, err)
		return
	}
	msgs := make([]*taxsms.Message, len(in))
	seen := recipients{tps: map[int64]*taxsms.Taxpayer{}, cs: map[int64]*taxsms.Contact{}}
	for i, mi := range in {
		m, err := mi.message()
		if err == nil {
			err = s.checkRecipient(ctx, a, m, &seen)
		}
		if err != nil {
			s.error(w, r, &taxsms.Error{Code: taxsms.ErrorCode(err), Field: taxsms.ErrorField(err),
				Message: fmt.Sprintf("messages[%d]: %s", i, taxsms.ErrorMessage(err))})
			return
		}
		msgs[i] = m
	}
	created, err := s.DB.CreateMessages(ctx, msgs)
	if err != nil {
		s.error(w, r, err)
		return
	}
	if s.Notifier != nil {
		s.Notifier.Notify()
	}
	out := postedMessages{Messages: make([]postedMessage, len(msgs))}
	for i, m := range msgs {
		out.Messages[i] = postedMessage{m.ID, created[i]}
	}
	writeJSON(w, http.StatusCreated, out)
}

type postedMessage struct {
	ID      int64 `json:"id"`
	Created bool  `json:"created"`
}

type postedMessages struct {
	Messages []postedMessage `json:"messages"`
}

// decodeMessages reads the body of POST /api/v1/messages: one message, or
// {"messages": [...]} with 1 to MaxBatch. Errors are EINVALID.
func decodeMessages(body []byte) ([]messageIn, error) {
	var in struct {
		Messages []messageIn `json:"messages"`
	}
	var probe struct {
		Messages json.RawMessage `json:"messages"`
	}
	var err error
	if json.Unmarshal(body, &probe); probe.Messages != nil {
		err = strictJSON(body, &in)
	} else {
		var one messageIn
		err = strictJSON(body, &one)
		in.Messages = []messageIn{one}
	}
	if err != nil {
		return nil, taxsms.Errorf(taxsms.EINVALID, "body: %v", err)
	}
	if len(in.Messages) == 0 || len(in.Messages) > MaxBatch {
		return nil, taxsms.Invalid("messages", "want 1 to %d, got %d", MaxBatch, len(in.Messages))
	}
	return in.Messages, nil
}

// requireSend returns EFORBIDDEN unless a may send as far as its write
// scope over messages reaches: the whole city needs send_city, a subtree
// send_jurisdiction (or send_city), one's own taxpayers send_own (or more).
func requireSend(a *auth.Actor) error {
	if a == nil {
		return nil
	}
	perms := []auth.Permission{auth.PermSendCity}
	switch a.Access(auth.DataMessages).Write.Level {
	case auth.LevelSubtree:
		perms = append(perms, auth.PermSendJurisdiction)
	case auth.LevelAssigned:
		perms = append(perms, auth.PermSendJurisdiction, auth.PermSendOwn)
	}
	for _, p := range perms {
		if a.Has(p) {
			return nil
		}
	}
	return a.Require(perms[len(perms)-1])
}

// recipients are the taxpayers and contacts a batch named, each looked up
// once.
type recipients struct {
	tps map[int64]*taxsms.Taxpayer
	cs  map[int64]*taxsms.Contact
}

// checkRecipient completes m for an actor and keeps it in the actor's
// scope: the taxpayer and contact named must be ones it may read (else
// EINVALID, as if they did not exist), the contact must be the taxpayer's,
// the office defaults to the taxpayer's or the actor's, the author is the
// user. A user who reaches only its own taxpayers must name one.
func (s *Server) checkRecipient(ctx context.Context, a *auth.Actor, m *taxsms.Message, seen *recipients) error {
	if m.ContactID != 0 {
		c, ok := seen.cs[m.ContactID]
		if !ok {
			var err error
			c, err = s.DB.FindContact(ctx, m.ContactID)
			if taxsms.ErrorCode(err) == taxsms.ENOTFOUND {
				return taxsms.Invalid("contact_id", "no contact with id %d", m.ContactID)
			} else if err != nil {
				return err
			}
			seen.cs[m.ContactID] = c
		}
		if m.TaxpayerID == 0 {
			m.TaxpayerID = c.TaxpayerID
		} else if m.TaxpayerID != c.TaxpayerID {
			return taxsms.Invalid("contact_id", "contact %d is not of taxpayer %d", m.ContactID, m.TaxpayerID)
		}
	}
	if m.TaxpayerID != 0 {
		t, ok := seen.tps[m.TaxpayerID]
		if !ok {
			var err error
			t, err = s.DB.FindTaxpayer(ctx, m.TaxpayerID)
			if taxsms.ErrorCode(err) == taxsms.ENOTFOUND {
				return taxsms.Invalid("taxpayer_id", "no taxpayer with id %d", m.TaxpayerID)
			} else if err != nil {
				return err
			}
			seen.tps[m.TaxpayerID] = t
		}
		if m.OfficeID == 0 {
			m.OfficeID = t.OfficeID
		}
	}
	if a == nil {
		return nil
	}
	m.AuthorID = a.UserID
	if m.OfficeID == 0 {
		m.OfficeID = a.OfficeID
	}
	if a.Access(auth.DataMessages).Write.Level == auth.LevelAssigned && m.TaxpayerID == 0 {
		return &taxsms.Error{Code: taxsms.EFORBIDDEN, Field: "taxpayer_id",
			Message: "taxpayer_id: required: you may send only to the taxpayers in your charge"}
	}
	return nil
}

func (mi messageIn) message() (*taxsms.Message, error) {
	m := &taxsms.Message{Direction: taxsms.MT, Kind: taxsms.Kind(mi.Kind), Mobile: mi.Mobile, Body: mi.Body,
		TaxpayerID: mi.TaxpayerID, ContactID: mi.ContactID, OfficeID: mi.OfficeID, IdempotencyKey: mi.IdempotencyKey}
	if m.Kind == "" {
		m.Kind = taxsms.KindOther
	}
	if !m.Kind.Valid() || m.Kind == taxsms.KindInteractive {
		return nil, taxsms.Invalid("kind", "unknown kind %q", mi.Kind)
	}
	m.Priority = m.Kind.DefaultPriority()
	if mi.Priority != nil {
		m.Priority = taxsms.Priority(*mi.Priority)
	}
	for _, t := range []struct {
		field string
		in    string
		out   *time.Time
	}{{"not_before", mi.NotBefore, &m.NotBefore}, {"expires_at", mi.ExpiresAt, &m.ExpiresAt}} {
		if t.in == "" {
			continue
		}
		v, err := time.Parse(time.RFC3339, t.in)
		if err != nil {
			return nil, taxsms.Invalid(t.field, "%q is not an RFC 3339 time", t.in)
		}
		*t.out = v
	}
	m.Segments = segments(m.Body)
	return m, m.Validate()
}

// segments estimates the segments of a text for the record; the link that
// sends it sets the count it billed.
func segments(body string) int {
	n := len([]rune(body))
	if n <= 70 {
		return 1
	}
	return (n + 66) / 67
}

// handleGetMessage serves GET /api/v1/messages/{id}: the message with its
// status timeline and parts, the number masked.
func (s *Server) handleGetMessage(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "message")
	if err != nil {
		s.error(w, r, err)
		return
	}
	m, err := s.DB.FindMessage(r.Context(), id)
	if err != nil {
		s.error(w, r, err)
		return
	}
	out := messageOut{messageView: viewMessage(m), Timeline: []eventOut{}}
	for _, e := range m.Timeline {
		out.Timeline = append(out.Timeline, eventOut{e.At, string(e.Status), e.Detail})
	}
	for _, p := range m.Parts {
		out.Parts = append(out.Parts, partOut{p.Seq, p.CarrierMsgID, string(p.Status), p.Error})
	}
	writeJSON(w, http.StatusOK, out)
}

// strictJSON decodes one JSON value, refusing unknown fields and trailing data.
func strictJSON(b []byte, v any) error {
	dec := json.NewDecoder(strings.NewReader(string(b)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if dec.More() {
		return errors.New("trailing data after the JSON value")
	}
	return nil
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(code)
	json.NewEncoder(w).Encode(v)
}

// statusOf maps an error code to an HTTP status.
var statusOf = map[string]int{
	taxsms.ECONFLICT:     http.StatusConflict,
	taxsms.EFORBIDDEN:    http.StatusForbidden,
	taxsms.EINTERNAL:     http.StatusInternalServerError,
	taxsms.EINVALID:      http.StatusBadRequest,
	taxsms.ENOTFOUND:     http.StatusNotFound,
	taxsms.EUNAUTHORIZED: http.StatusUnauthorized,
}

// apiFields renames the fields the domain's validation names to the JSON
// fields of the API.
var apiFields = map[string]string{"office": "office_id", "taxpayer": "taxpayer_id", "parent": "parent_id"}

// apiError is the body of every error the API returns.
type apiError struct {
	Error struct {
		Code    string `json:"code"`
		Field   string `json:"field,omitempty"`
		Message string `json:"message"`
	} `json:"error"`
}

// error writes err as {"error": {"code", "field", "message"}} with the
// HTTP status of its code; an internal error is logged and shown only as
// "Internal error.".
func (s *Server) error(w http.ResponseWriter, r *http.Request, err error) {
	code := taxsms.ErrorCode(err)
	if code == taxsms.EINTERNAL {
		s.Logger.Error("http", "method", r.Method, "path", r.URL.Path, "err", err)
	}
	var e apiError
	e.Error.Code, e.Error.Message, e.Error.Field = code, taxsms.ErrorMessage(err), taxsms.ErrorField(err)
	if f, ok := apiFields[e.Error.Field]; ok {
		e.Error.Field = f
	}
	status, ok := statusOf[code]
	if !ok {
		status = http.StatusInternalServerError
	}
	writeJSON(w, status, e)
}

// readBody reads r's body, at most max bytes (else EINVALID).
func readBody(w http.ResponseWriter, r *http.Request, max int64) ([]byte, error) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, max))
	if err != nil {
		return nil, taxsms.Errorf(taxsms.EINVALID, "request body over %d bytes", max)
	}
	return body, nil
}

// handleListMessages serves GET /api/v1/messages: the messages of the
// actor's scope, newest first, filtered by direction, kind, status,
// taxpayer_id, office (subtree) and mobile, one page at a time.
func (s *Server) handleListMessages(w http.ResponseWriter, r *http.Request) {
	q, err := parseList(r, "direction", "kind", "status", "taxpayer_id", "office", "mobile")
	if err != nil {
		s.error(w, r, err)
		return
	}
	f := taxsms.MessageFilter{Direction: taxsms.Direction(q.Get("direction")), Kind: taxsms.Kind(q.Get("kind")),
		Status: taxsms.Status(q.Get("status")), Mobile: q.Get("mobile"), Limit: q.Limit + 1}
	if f.Direction != "" && f.Direction != taxsms.MT && f.Direction != taxsms.MO {
		err = taxsms.Invalid("direction", "want mt or mo, got %q", f.Direction)
	} else if f.Kind != "" && !f.Kind.Valid() {
		err = taxsms.Invalid("kind", "unknown kind %q", f.Kind)
	} else if f.Status != "" && !contains(statuses, string(f.Status)) {
		err = taxsms.Invalid("status", "unknown status %q", f.Status)
	}
	if err == nil {
		f.TaxpayerID, err = q.ID("taxpayer_id")
	}
	if err == nil && f.TaxpayerID != 0 {
		_, err = s.DB.FindTaxpayer(r.Context(), f.TaxpayerID) // one out of scope is not found
	}
	if err == nil {
		f.Subtree, err = s.officeFilter(r.Context(), q)
	}
	if err == nil {
		f.Before, err = decodeIDCursor("messages", q.Get("cursor"))
	}
	if err != nil {
		s.error(w, r, err)
		return
	}
	msgs, err := s.DB.ListMessages(r.Context(), f)
	if err != nil {
		s.error(w, r, err)
		return
	}
	out := page[messageView]{Items: []messageView{}}
	for i, m := range msgs {
		if i == q.Limit {
			out.Next = encodeCursor("messages", strconv.FormatInt(msgs[i-1].ID, 10))
			break
		}
		out.Items = append(out.Items, viewMessage(m))
	}
	writeJSON(w, http.StatusOK, out)
}

// statuses are the statuses a message list may be filtered by.
var statuses = []string{
	string(taxsms.StatusScheduled), string(taxsms.StatusQueued), string(taxsms.StatusHeld), string(taxsms.StatusSending),
	string(taxsms.StatusSubmitted), string(taxsms.StatusDelivered), string(taxsms.StatusFailed), string(taxsms.StatusExpired),
	string(taxsms.StatusRejected), string(taxsms.StatusCancelled), string(taxsms.StatusReceived),
}
