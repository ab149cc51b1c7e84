package web

import (
	"context"
	"net/http"
	"strconv"
	"time"

	"taxsms"
	"taxsms/billing"
	"taxsms/store"
)

// tariffView is a tariff as the API shows it. Prices are yuan with three
// decimals, as text, so that they stay exact.
type tariffView struct {
	ID        int64     `json:"id"`
	Carrier   string    `json:"carrier"`
	Kind      string    `json:"kind"`
	Price     string    `json:"price"`
	ValidFrom string    `json:"valid_from"`
	ValidTo   string    `json:"valid_to,omitempty"`
	Created   time.Time `json:"created_at"`
}

func viewTariff(t *taxsms.Tariff) tariffView {
	return tariffView{ID: t.ID, Carrier: string(t.Carrier), Kind: string(t.Kind), Price: t.Price.String(),
		ValidFrom: t.ValidFrom.String(), ValidTo: t.ValidTo.String(), Created: t.CreatedAt}
}

// tariffIn is the body of POST /api/v1/tariffs.
type tariffIn struct {
	Carrier   string `json:"carrier"`
	Kind      string `json:"kind"`
	Price     string `json:"price"`
	ValidFrom string `json:"valid_from"`
	ValidTo   string `json:"valid_to"`
}

// handleListTariffs serves GET /api/v1/tariffs: every tariff, by carrier,
// kind and start.
func (s *Server) handleListTariffs(w http.ResponseWriter, r *http.Request) {
	ts, err := s.DB.ListTariffs(r.Context())
	if err != nil {
		s.error(w, r, err)
		return
	}
	out := struct {
		Items []tariffView `json:"items"`
	}{Items: []tariffView{}}
	for _, t := range ts {
		out.Items = append(out.Items, viewTariff(t))
	}
	writeJSON(w, http.StatusOK, out)
}

// handleCreateTariff serves POST /api/v1/tariffs: a new tariff (a city
// administrator's, with manage_settings). An overlap with another tariff
// of the carrier and kind is 409.
func (s *Server) handleCreateTariff(w http.ResponseWriter, r *http.Request) {
	var in tariffIn
	if err := decodeBody(w, r, maxSmallBody, &in); err != nil {
		s.error(w, r, err)
		return
	}
	t := &taxsms.Tariff{Carrier: taxsms.Carrier(in.Carrier), Kind: taxsms.Kind(in.Kind)}
	var err error
	if t.Price, err = taxsms.ParseMilliYuan("price", in.Price); err != nil {
		s.error(w, r, err)
		return
	}
	for _, d := range []struct {
		field, value string
		to           *taxsms.Date
	}{{"valid_from", in.ValidFrom, &t.ValidFrom}, {"valid_to", in.ValidTo, &t.ValidTo}} {
		if *d.to, err = taxsms.ParseDate(d.value); err != nil {
			s.error(w, r, taxsms.Invalid(d.field, "%q is not a date (want YYYY-MM-DD)", d.value))
			return
		}
	}
	if err := s.DB.SetTariff(r.Context(), t); err != nil {
		s.error(w, r, err)
		return
	}
	w.Header().Set("Location", "/api/v1/tariffs")
	writeJSON(w, http.StatusCreated, viewTariff(t))
}

// tariffPatch is the body of PATCH /api/v1/tariffs/{id}: the last day of
// the tariff's validity, the one change a tariff takes (a new price is a
// new tariff from a later day).
type tariffPatch struct {
	ValidTo string `json:"valid_to"`
}

// handleEndTariff serves PATCH /api/v1/tariffs/{id}: the tariff ends on
// valid_to (a city administrator's, with manage_settings). An end that
// would reprice a day of a closed month, or make the tariff overlap
// another, is 409.
func (s *Server) handleEndTariff(w http.ResponseWriter, r *http.Request) {
	t, err := s.pathTariff(r)
	if err != nil {
		s.error(w, r, err)
		return
	}
	var in tariffPatch
	if err := decodeBody(w, r, maxSmallBody, &in); err != nil {
		s.error(w, r, err)
		return
	}
	end, err := taxsms.ParseDate(in.ValidTo)
	if err != nil || end.IsZero() {
		s.error(w, r, taxsms.Invalid("valid_to", "%q is not a date (want YYYY-MM-DD)", in.ValidTo))
		return
	}
	t.ValidTo = end
	if err := s.DB.SetTariff(r.Context(), t); err != nil {
		s.error(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, viewTariff(t))
}

// handleDeleteTariff serves DELETE /api/v1/tariffs/{id}: removes a tariff
// entered in error (204). One that prices a day of a closed month is 409:
// end it instead.
func (s *Server) handleDeleteTariff(w http.ResponseWriter, r *http.Request) {
	t, err := s.pathTariff(r)
	if err != nil {
		s.error(w, r, err)
		return
	}
	if err := s.DB.DeleteTariff(r.Context(), t.ID); err != nil {
		s.error(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// pathTariff returns the tariff the request's path names, or ENOTFOUND.
func (s *Server) pathTariff(r *http.Request) (*taxsms.Tariff, error) {
	id, err := pathID(r, "tariff")
	if err != nil {
		return nil, err
	}
	return findTariff(r.Context(), s.DB, id)
}

// findTariff returns the tariff id, or ENOTFOUND.
func findTariff(ctx context.Context, db *store.DB, id int64) (*taxsms.Tariff, error) {
	ts, err := db.ListTariffs(ctx)
	if err != nil {
		return nil, err
	}
	for _, t := range ts {
		if t.ID == id {
			return t, nil
		}
	}
	return nil, taxsms.Errorf(taxsms.ENOTFOUND, "tariff %d not found", id)
}

// statementView is a monthly statement as the API shows it. Amounts are
// yuan with three decimals, as text.
type statementView struct {
	Month       string           `json:"month"`
	OfficeID    int64            `json:"office_id"`
	Closed      bool             `json:"closed"`
	ClosedAt    *time.Time       `json:"closed_at,omitempty"`
	ClosedBy    string           `json:"closed_by,omitempty"`
	Total       statementSum     `json:"total"`
	Lines       []statementLine  `json:"lines"`
	Adjustments []adjustmentView `json:"adjustments"`
}

type statementSum struct {
	Messages int64  `json:"messages"`
	Segments int64  `json:"segments"`
	Amount   string `json:"amount"`
	Unpriced int64  `json:"unpriced_segments"`
}

type statementLine struct {
	OfficeID   int64  `json:"office_id"`
	OfficeCode string `json:"office_code,omitempty"`
	Carrier    string `json:"carrier"`
	Kind       string `json:"kind"`
	Adjustment bool   `json:"adjustment"`
	statementSum
}

type adjustmentView struct {
	ID       int64     `json:"id"`
	Day      string    `json:"day"`
	OfficeID int64     `json:"office_id"`
	Carrier  string    `json:"carrier"`
	Kind     string    `json:"kind"`
	Messages int64     `json:"messages"`
	Segments int64     `json:"segments"`
	Amount   string    `json:"amount"`
	Reason   string    `json:"reason"`
	Created  time.Time `json:"created_at"`
}

// handleStatement serves GET /api/v1/statements?month=YYYY-MM&office=ID:
// the carrier statement of an office subtree (default: the caller's
// office; the root office for the system) for a month (default: this
// month in the bureau's zone). An office outside the caller's scope is
// 404.
func (s *Server) handleStatement(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	q := r.URL.Query()
	m := billing.MonthAt(time.Now())
	if s.DB != nil && s.DB.Now != nil {
		m = billing.MonthAt(s.DB.Now())
	}
	var err error
	if v := q.Get("month"); v != "" {
		if m, err = taxsms.ParseMonth(v); err != nil {
			s.error(w, r, err)
			return
		}
	}
	var office int64
	if v := q.Get("office"); v != "" {
		if office, err = strconv.ParseInt(v, 10, 64); err != nil || office <= 0 {
			s.error(w, r, taxsms.Invalid("office", "%q is not an office id", v))
			return
		}
	} else if a := actorOf(ctx); a != nil {
		office = a.OfficeID
	} else if office, err = s.rootOffice(ctx); err != nil {
		s.error(w, r, err)
		return
	}
	s.writeStatement(w, r, m, office)
}

// handleCloseMonth serves POST /api/v1/statements/{month}/close: closes the
// month for the whole city (a city administrator's, with manage_settings)
// and returns the city's statement, now frozen. A month not over, already
// closed, or with segments no tariff prices is 409.
func (s *Server) handleCloseMonth(w http.ResponseWriter, r *http.Request) {
	m, err := taxsms.ParseMonth(r.PathValue("month"))
	if err != nil {
		s.error(w, r, err)
		return
	}
	if err := s.DB.CloseMonth(r.Context(), m); err != nil {
		s.error(w, r, err)
		return
	}
	root, err := s.rootOffice(r.Context())
	if err != nil {
		s.error(w, r, err)
		return
	}
	s.writeStatement(w, r, m, root)
}

// rootOffice returns the id of the city's office.
func (s *Server) rootOffice(ctx context.Context) (int64, error) {
	roots, err := s.DB.ListOffices(ctx, taxsms.OfficeFilter{Limit: 1})
	if err != nil {
		return 0, err
	}
	if len(roots) == 0 {
		return 0, taxsms.Invalid("office", "required: no office exists")
	}
	return roots[0].ID, nil
}

// writeStatement writes the statement of month m for the office subtree.
func (s *Server) writeStatement(w http.ResponseWriter, r *http.Request, m taxsms.Month, office int64) {
	ctx := r.Context()
	st, err := s.DB.Statement(ctx, m, office)
	if err != nil {
		s.error(w, r, err)
		return
	}
	offices, err := subtreeOffices(ctx, s.DB, office)
	if err != nil {
		s.error(w, r, err)
		return
	}
	rep := billing.Assemble(st, offices)
	out := statementView{Month: m.String(), OfficeID: st.OfficeID, Closed: st.Closed, ClosedBy: st.ClosedBy,
		Total: sumView(rep.Total), Lines: []statementLine{}, Adjustments: []adjustmentView{}}
	if st.Closed {
		at := st.ClosedAt
		out.ClosedAt = &at
	}
	for _, l := range rep.Lines {
		v := statementLine{OfficeID: l.OfficeID, Carrier: string(l.Carrier), Kind: string(l.Kind), Adjustment: l.Adjustment,
			statementSum: statementSum{Messages: l.Messages, Segments: l.Segments, Amount: l.Amount.String(), Unpriced: l.Unpriced}}
		if l.Office != nil {
			v.OfficeCode = l.Office.Code
		}
		out.Lines = append(out.Lines, v)
	}
	for _, a := range st.Adjustments {
		out.Adjustments = append(out.Adjustments, adjustmentView{ID: a.ID, Day: a.Day.String(), OfficeID: a.OfficeID,
			Carrier: string(a.Carrier), Kind: string(a.Kind), Messages: a.Messages, Segments: a.Segments, Amount: a.Amount.String(),
			Reason: a.Reason, Created: a.CreatedAt})
	}
	writeJSON(w, http.StatusOK, out)
}

func sumView(s billing.Sum) statementSum {
	return statementSum{Messages: s.Messages, Segments: s.Segments, Amount: s.Amount.String(), Unpriced: s.Unpriced}
}
