package web

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"taxsms"
	"taxsms/store"
)

// MessageStore is what the messages API needs of the store.
type MessageStore interface {
	CreateMessages(ctx context.Context, msgs []*taxsms.Message) ([]bool, error)
	FindMessage(ctx context.Context, id int64) (*taxsms.Message, error)
}

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

// messageOut is a message as the API shows it: the number masked.
type messageOut struct {
	ID        int64      `json:"id"`
	Direction string     `json:"direction"`
	Kind      string     `json:"kind"`
	Priority  int        `json:"priority"`
	Mobile    string     `json:"mobile"`
	Body      string     `json:"body"`
	Segments  int        `json:"segments"`
	Status    string     `json:"status"`
	Carrier   string     `json:"carrier,omitempty"`
	Error     string     `json:"error,omitempty"`
	Timeline  []eventOut `json:"timeline"`
	Parts     []partOut  `json:"parts,omitempty"`
	Created   time.Time  `json:"created_at"`
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
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
	if err != nil {
		s.error(w, r, taxsms.Errorf(taxsms.EINVALID, "request body over %d bytes", maxBody))
		return
	}
	var in struct {
		Messages []messageIn `json:"messages"`
	}
	var probe struct {
		Messages json.RawMessage `json:"messages"`
	}
	if json.Unmarshal(body, &probe); probe.Messages != nil {
		err = strictJSON(body, &in)
	} else {
		var one messageIn
		err = strictJSON(body, &one)
		in.Messages = []messageIn{one}
	}
	if err != nil {
		s.error(w, r, taxsms.Errorf(taxsms.EINVALID, "body: %v", err))
		return
	}
	if len(in.Messages) == 0 || len(in.Messages) > MaxBatch {
		s.error(w, r, taxsms.Errorf(taxsms.EINVALID, "messages: want 1 to %d, got %d", MaxBatch, len(in.Messages)))
		return
	}
	msgs := make([]*taxsms.Message, len(in.Messages))
	for i, mi := range in.Messages {
		m, err := mi.message()
		if err != nil {
			s.error(w, r, &taxsms.Error{Code: taxsms.EINVALID, Message: fmt.Sprintf("messages[%d]: %s", i, taxsms.ErrorMessage(err))})
			return
		}
		msgs[i] = m
	}
	created, err := s.Messages.CreateMessages(r.Context(), msgs)
	if err != nil {
		s.error(w, r, err)
		return
	}
	if s.Notifier != nil {
		s.Notifier.Notify()
	}
	type result struct {
		ID      int64 `json:"id"`
		Created bool  `json:"created"`
	}
	out := struct {
		Messages []result `json:"messages"`
	}{make([]result, len(msgs))}
	for i, m := range msgs {
		out.Messages[i] = result{m.ID, created[i]}
	}
	writeJSON(w, http.StatusCreated, out)
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
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		s.error(w, r, taxsms.Errorf(taxsms.ENOTFOUND, "message %q not found", r.PathValue("id")))
		return
	}
	m, err := s.Messages.FindMessage(r.Context(), id)
	if err != nil {
		s.error(w, r, err)
		return
	}
	out := messageOut{ID: m.ID, Direction: string(m.Direction), Kind: string(m.Kind), Priority: int(m.Priority),
		Mobile: taxsms.MaskMobile(m.Mobile), Body: m.Body, Segments: m.Segments, Status: string(m.Status),
		Carrier: string(m.Carrier), Error: m.Error, Created: m.CreatedAt}
	for _, e := range m.Timeline {
		out.Timeline = append(out.Timeline, eventOut{e.At, string(e.Status), e.Detail})
	}
	for _, p := range m.Parts {
		out.Parts = append(out.Parts, partOut{p.Seq, p.CarrierMsgID, string(p.Status), p.Error})
	}
	writeJSON(w, http.StatusOK, out)
}

// requireAPIKey lets a request through only with the configured key, as
// "Authorization: Bearer KEY" or "X-API-Key: KEY".
func (s *Server) requireAPIKey(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		key := strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
		if key == "" {
			key = r.Header.Get("X-API-Key")
		}
		if s.APIKey == "" || subtle.ConstantTimeCompare([]byte(key), []byte(s.APIKey)) != 1 {
			s.error(w, r, taxsms.Errorf(taxsms.EUNAUTHORIZED, "a valid API key is required"))
			return
		}
		h(w, r)
	}
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

// error writes err as {"error": {"code", "message"}}; an internal error is
// logged and shown only as "Internal error.".
func (s *Server) error(w http.ResponseWriter, r *http.Request, err error) {
	code := taxsms.ErrorCode(err)
	if code == taxsms.EINTERNAL {
		s.Logger.Error("http", "method", r.Method, "path", r.URL.Path, "err", err)
	}
	writeJSON(w, statusOf[code], map[string]any{"error": map[string]string{"code": code, "message": taxsms.ErrorMessage(err), "field": taxsms.ErrorField(err)}})
}

var _ MessageStore = (*store.DB)(nil)
