package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"taxsms"
	"taxsms/audit"
	"taxsms/auth"
)

// Broadcasts (campaigns) are messages data (auth.DataMessages): an actor
// reads and changes the campaigns of the offices in its scope, an operator
// those it wrote. Every change of state is a guarded update — it names the
// states it moves from, and a campaign found in another state is ECONFLICT
// — so that two acts racing (an approval and a cancel, two nodes' schedulers)
// never both succeed; each is recorded in the campaign's history and in
// the audit archive in the same transaction.
//
// A campaign's audience is counted and expanded in its author's scope, not
// in the scope of whoever asks: the approver sees the count that will be
// sent.

// campaignScope is the condition on campaigns c (joined with offices o)
// that a read (or write) by ctx's actor must meet.
func campaignScope(ctx context.Context, write bool) (string, []any) {
	acc := auth.AccessFrom(ctx, auth.DataMessages)
	s := acc.Read
	if write {
		s = acc.Write
	}
	return scopeCond(s, "c.office_id", func(uid int64) (string, []any) { return "c.author_id = ?", []any{uid} })
}

// CreateCampaign validates and stores a new campaign as a draft, sets its
// ID, AuthorID (the actor, for a user) and times, and records
// audit.CampaignCreated (and audit.Emergency for an emergency). It returns
// EINVALID naming the field and EFORBIDDEN outside the actor's write scope.
func (db *DB) CreateCampaign(ctx context.Context, c *taxsms.Campaign) error {
	c.State = taxsms.CampaignDraft
	if a, ok := auth.FromContext(ctx); ok && a.UserID != 0 {
		c.AuthorID = a.UserID
	}
	if err := c.Validate(); err != nil {
		return err
	}
	aud, err := json.Marshal(c.Audience)
	if err != nil {
		return err
	}
	now := db.Now().UTC().Truncate(time.Millisecond)
	return db.inTx(ctx, func(tx *sql.Tx) error {
		if err := db.checkWrite(ctx, tx, auth.DataMessages, "campaign", c.OfficeID, c.AuthorID); err != nil {
			return err
		}
		if err := db.checkAudienceOffices(ctx, tx, c); err != nil {
			return err
		}
		err := tx.QueryRowContext(ctx, db.q("InsertCampaign"), c.OfficeID, nullID(c.AuthorID), string(c.Kind), c.Title, c.Template,
			string(aud), string(c.State), boolInt(c.Emergency), c.EmergencyReason, ms(c.ScheduledAt), c.Festival, ms(now), ms(now)).Scan(&c.ID)
		if err != nil {
			if db.d.violation(err) == "unique" {
				return taxsms.Errorf(taxsms.ECONFLICT, "festival: a greeting for %s is already prepared", c.Festival)
			}
			return db.d.mapError(err)
		}
		c.CreatedAt, c.UpdatedAt = now, now
		if err := db.campaignEvent(ctx, tx, c.ID, now, c.State, "created"); err != nil {
			return err
		}
		obj := campaignObject(c.ID)
		entries := []audit.Entry{db.entry(ctx, audit.CampaignCreated, obj, nil, campaignRecord(c), c.Title)}
		if c.Emergency {
			entries = append(entries, db.entry(ctx, audit.Emergency, obj, nil, nil, c.EmergencyReason))
		}
		return db.appendAudit(ctx, tx, entries...)
	})
}

// checkAudienceOffices refuses an audience whose office subtree or list
// the actor may not reach: ENOTFOUND, as for anything outside its scope.
func (db *DB) checkAudienceOffices(ctx context.Context, q querier, c *taxsms.Campaign) error {
	if c.Audience.Subtree != 0 {
		o, err := db.findOffice(ctx, q, db.q("SelectOffice"), c.Audience.Subtree)
		if err == nil && !auth.AccessFrom(ctx, auth.DataOffices).Read.Contains(o.Path, 0) {
			err = taxsms.Errorf(taxsms.ENOTFOUND, "office %d not found", c.Audience.Subtree)
		}
		if err != nil {
			return &taxsms.Error{Code: taxsms.ErrorCode(err), Field: "audience.subtree", Message: "audience.subtree: " + taxsms.ErrorMessage(err)}
		}
	}
	if c.Audience.Type == taxsms.AudienceList {
		if _, err := db.findRecipientList(ctx, q, c.Audience.ListID); err != nil {
			return &taxsms.Error{Code: taxsms.ErrorCode(err), Field: "audience.list_id", Message: "audience.list_id: " + taxsms.ErrorMessage(err)}
		}
	}
	return nil
}

// UpdateCampaign replaces the text, title, kind, audience, schedule and
// emergency of a campaign in draft, rejected or approved state; it goes
// back to draft (an approval is lost with the text it approved). A
// festival draft made by the platform takes the editor as its author. It
// returns ECONFLICT in any other state.
func (db *DB) UpdateCampaign(ctx context.Context, c *taxsms.Campaign) error {
	c.State = taxsms.CampaignDraft
	if err := c.Validate(); err != nil {
		return err
	}
	aud, err := json.Marshal(c.Audience)
	if err != nil {
		return err
	}
	now := db.Now().UTC().Truncate(time.Millisecond)
	return db.inTx(ctx, func(tx *sql.Tx) error {
		old, err := db.findCampaign(ctx, tx, c.ID, true)
		if err != nil {
			return err
		}
		author := old.AuthorID
		if a, ok := auth.FromContext(ctx); ok && a.UserID != 0 && author == 0 {
			author = a.UserID
		}
		if c.OfficeID != old.OfficeID {
			if err := db.checkWrite(ctx, tx, auth.DataMessages, "campaign", c.OfficeID, author); err != nil {
				return err
			}
		}
		if err := db.checkAudienceOffices(ctx, tx, c); err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, db.rebind(`UPDATE campaigns SET office_id = ?, author_id = ?, kind = ?, title = ?, template = ?,
			audience = ?, emergency = ?, emergency_reason = ?, scheduled_at = ?, state = 'draft', approved_by = NULL,
			override_by = NULL, override_reason = '', reject_reason = '', updated_at = ?
			WHERE id = ? AND state IN ('draft', 'rejected', 'approved')`),
			c.OfficeID, nullID(author), string(c.Kind), c.Title, c.Template, string(aud), boolInt(c.Emergency), c.EmergencyReason,
			ms(c.ScheduledAt), ms(now), c.ID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return taxsms.Errorf(taxsms.ECONFLICT, "campaign %d is %s: only a draft, rejected or approved campaign may be edited", c.ID, old.State)
		}
		c.AuthorID, c.Festival, c.CreatedAt, c.UpdatedAt = author, old.Festival, old.CreatedAt, now
		if err := db.campaignEvent(ctx, tx, c.ID, now, c.State, "edited"); err != nil {
			return err
		}
		obj := campaignObject(c.ID)
		entries := []audit.Entry{db.entry(ctx, audit.CampaignCreated, obj, campaignRecord(old), campaignRecord(c), "edited")}
		if c.Emergency && !old.Emergency {
			entries = append(entries, db.entry(ctx, audit.Emergency, obj, nil, nil, c.EmergencyReason))
		}
		return db.appendAudit(ctx, tx, entries...)
	})
}

func campaignObject(id int64) audit.Object {
	return audit.Object{Type: "campaign", ID: strconv.FormatInt(id, 10)}
}

// campaignRecord is a campaign as the audit archive shows it.
func campaignRecord(c *taxsms.Campaign) map[string]any {
	return map[string]any{"office": c.OfficeID, "kind": string(c.Kind), "title": c.Title, "template": c.Template,
		"audience": c.Audience, "emergency": c.Emergency, "emergency_reason": c.EmergencyReason,
		"scheduled_at": ms(c.ScheduledAt)}
}

// FindCampaign returns a campaign in the actor's read scope, or ENOTFOUND.
func (db *DB) FindCampaign(ctx context.Context, id int64) (*taxsms.Campaign, error) {
	return db.findCampaign(ctx, db.db, id, false)
}

func (db *DB) findCampaign(ctx context.Context, q querier, id int64, write bool) (*taxsms.Campaign, error) {
	cond, args := campaignScope(ctx, false)
	c, err := scanCampaign(q.QueryRowContext(ctx, db.rebind(campaignSelect()+" WHERE c.id = ? AND "+cond), append([]any{id}, args...)...))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, taxsms.Errorf(taxsms.ENOTFOUND, "campaign %d not found", id)
	} else if err != nil {
		return nil, err
	}
	if write {
		if err := db.checkWrite(ctx, q, auth.DataMessages, fmt.Sprintf("campaign %d", id), c.OfficeID, c.AuthorID); err != nil {
			return nil, err
		}
	}
	return c, nil
}

// campaignCursor is what expansion keeps of a campaign beside the domain
// fields.
type campaignCursor struct {
	upto     int64
	expanded bool
	held     bool
}

// campaignSelect is the query of a campaign's columns, to complete with a
// WHERE clause.
func campaignSelect() string {
	return strings.TrimSuffix(strings.TrimSpace(rawQueries["CampaignColumns"]), ";")
}

func scanCampaign(s scanner) (*taxsms.Campaign, error) {
	c, _, err := scanCampaignCursor(s)
	return c, err
}

func scanCampaignCursor(s scanner) (*taxsms.Campaign, campaignCursor, error) {
	var c taxsms.Campaign
	var cur campaignCursor
	var kind, aud, state string
	var emergency, expanded, held int
	var sched, created, updated, started, completed int64
	err := s.Scan(&c.ID, &c.OfficeID, &c.AuthorID, &kind, &c.Title, &c.Template, &aud, &state, &emergency,
		&c.EmergencyReason, &c.OverrideBy, &c.OverrideReason, &c.ApprovedBy, &c.RejectReason, &sched, &c.Festival,
		&c.Recipients, &c.Segments, &created, &updated, &started, &completed, &cur.upto, &expanded, &held)
	if err != nil {
		return nil, cur, err
	}
	if err := json.Unmarshal([]byte(aud), &c.Audience); err != nil {
		return nil, cur, fmt.Errorf("campaign %d audience: %w", c.ID, err)
	}
	c.Kind, c.State, c.Emergency = taxsms.Kind(kind), taxsms.CampaignState(state), emergency != 0
	c.ScheduledAt, c.CreatedAt, c.UpdatedAt = fromMS(sched), fromMS(created), fromMS(updated)
	c.StartedAt, c.CompletedAt = fromMS(started), fromMS(completed)
	cur.expanded, cur.held = expanded != 0, held != 0
	return &c, cur, nil
}

// ListCampaigns returns one page of the campaigns matching f in the
// actor's read scope, newest first.
func (db *DB) ListCampaigns(ctx context.Context, f taxsms.CampaignFilter) ([]*taxsms.Campaign, error) {
	cond, args := campaignScope(ctx, false)
	where := []string{cond}
	if f.State != "" {
		where, args = append(where, "c.state = ?"), append(args, string(f.State))
	}
	if f.Kind != "" {
		where, args = append(where, "c.kind = ?"), append(args, string(f.Kind))
	}
	if f.AuthorID != 0 {
		where, args = append(where, "c.author_id = ?"), append(args, f.AuthorID)
	}
	if f.Subtree != 0 {
		prefix, err := db.subtreePrefix(ctx, f.Subtree)
		if err != nil {
			return nil, err
		}
		where, args = append(where, "o.path LIKE ?"), append(args, prefix+"%")
	}
	if f.Before != 0 {
		where, args = append(where, "c.id < ?"), append(args, f.Before)
	}
	q := campaignSelect() + " WHERE " + strings.Join(where, " AND ") +
		" ORDER BY c.id DESC LIMIT " + strconv.Itoa(limit(f.Limit))
	rows, err := db.db.QueryContext(ctx, db.rebind(q), args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*taxsms.Campaign
	for rows.Next() {
		c, err := scanCampaign(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// CampaignHistory returns a campaign's changes of state, oldest first, or
// ENOTFOUND outside the actor's read scope.
func (db *DB) CampaignHistory(ctx context.Context, id int64) ([]taxsms.CampaignEvent, error) {
	if _, err := db.FindCampaign(ctx, id); err != nil {
		return nil, err
	}
	rows, err := db.db.QueryContext(ctx, db.q("SelectCampaignEvents"), id)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []taxsms.CampaignEvent
	for rows.Next() {
		var e taxsms.CampaignEvent
		var at int64
		var state string
		if err := rows.Scan(&at, &state, &e.ActorID, &e.Actor, &e.Detail); err != nil {
			return nil, err
		}
		e.At, e.State = fromMS(at), taxsms.CampaignState(state)
		out = append(out, e)
	}
	return out, rows.Err()
}

func (db *DB) campaignEvent(ctx context.Context, tx *sql.Tx, id int64, at time.Time, state taxsms.CampaignState, detail string) error {
	a, _ := auth.FromContext(ctx)
	var uid int64
	if a != nil {
		uid = a.UserID
	}
	_, err := tx.ExecContext(ctx, db.q("InsertCampaignEvent"), id, ms(at), string(state), nullID(uid), a.String(), maskNumbers(detail))
	return err
}

// CampaignMove is a change of a campaign's state, made by MoveCampaign.
type CampaignMove struct {
	From   []taxsms.CampaignState // the states it may be made from
	To     taxsms.CampaignState
	Action audit.Action // recorded; none when zero
	Detail string       // the reason, recorded in the history and the archive

	ApprovedBy     int64     // set when non-zero
	RejectReason   string    // set with CampaignRejected
	OverrideBy     int64     // set when non-zero, with OverrideReason (audit.Overridden recorded)
	OverrideReason string    //
	ScheduledAt    time.Time // set when non-zero
	Started        bool      // sets StartedAt
	Completed      bool      // sets CompletedAt and the counts of what was queued

	// Waiting, if set, changes the campaign's waiting messages in the same
	// transaction (ChangeWaiting's rules): held for a pause, cancelled for
	// a cancel, queued for a resume.
	Waiting taxsms.Status
}

// MoveCampaign makes mv on the campaign id and returns it as changed. It
// returns ENOTFOUND outside the actor's read scope, EFORBIDDEN outside
// its write scope and ECONFLICT (naming the state) when the campaign is
// in none of mv.From; of two moves racing, one wins.
func (db *DB) MoveCampaign(ctx context.Context, id int64, mv CampaignMove) (*taxsms.Campaign, error) {
	if !mv.To.Valid() || len(mv.From) == 0 {
		return nil, fmt.Errorf("campaign move: bad move %v", mv)
	}
	var out *taxsms.Campaign
	err := db.inTx(ctx, func(tx *sql.Tx) error {
		c, err := db.findCampaign(ctx, tx, id, true)
		if err != nil {
			return err
		}
		now := db.Now().UTC().Truncate(time.Millisecond)
		set, args := []string{"state = ?", "updated_at = ?"}, []any{string(mv.To), ms(now)}
		if mv.ApprovedBy != 0 {
			set, args = append(set, "approved_by = ?"), append(args, mv.ApprovedBy)
		}
		if mv.To == taxsms.CampaignRejected {
			set, args = append(set, "reject_reason = ?"), append(args, mv.RejectReason)
		}
		if mv.OverrideBy != 0 {
			set, args = append(set, "override_by = ?", "override_reason = ?"), append(args, mv.OverrideBy, mv.OverrideReason)
		}
		if !mv.ScheduledAt.IsZero() {
			set, args = append(set, "scheduled_at = ?"), append(args, ms(mv.ScheduledAt))
		}
		if mv.Started {
			set, args = append(set, "started_at = ?"), append(args, ms(now))
		}
		if mv.Completed {
			set, args = append(set, "completed_at = ?"), append(args, ms(now))
		}
		from := make([]string, len(mv.From))
		for i, s := range mv.From {
			from[i] = "'" + string(s) + "'"
		}
		args = append(args, id)
		res, err := tx.ExecContext(ctx, db.rebind("UPDATE campaigns SET "+strings.Join(set, ", ")+
			" WHERE id = ? AND state IN ("+strings.Join(from, ", ")+")"), args...)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return taxsms.Errorf(taxsms.ECONFLICT, "campaign %d is %s: it cannot be made %s", id, c.State, mv.To)
		}
		if mv.Waiting != "" {
			n, err := db.changeWaiting(ctx, tx, Selector{CampaignID: id}, mv.Waiting, fmt.Sprintf("campaign %d %s", id, mv.To))
			if err != nil {
				return err
			}
			if n > 0 {
				mv.Detail = strings.TrimPrefix(mv.Detail+fmt.Sprintf("; %d messages %s", n, mv.Waiting), "; ")
			}
		}
		if err := db.campaignEvent(ctx, tx, id, now, mv.To, mv.Detail); err != nil {
			return err
		}
		obj := campaignObject(id)
		var entries []audit.Entry
		if mv.Action != "" {
			entries = append(entries, db.entry(ctx, mv.Action, obj, map[string]string{"state": string(c.State)},
				map[string]string{"state": string(mv.To)}, mv.Detail))
		}
		if mv.OverrideBy != 0 {
			entries = append(entries, db.entry(ctx, audit.Overridden, obj, nil, nil, mv.OverrideReason))
		}
		if err := db.appendAudit(ctx, tx, entries...); err != nil {
			return err
		}
		out, err = db.findCampaign(ctx, tx, id, false)
		return err
	})
	return out, err
}

// ActiveCampaigns returns the ids of the campaigns scheduled, sending or
// paused, for the scheduler (which runs as the platform).
func (db *DB) ActiveCampaigns(ctx context.Context) ([]int64, error) {
	rows, err := db.db.QueryContext(ctx, db.q("SelectCampaignsInStates"))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		ids = append(ids, id)
	}
	return ids, rows.Err()
}

// CampaignProgress is how a campaign's messages stand.
type CampaignProgress struct {
	Messages  int                   // queued for the campaign so far
	Segments  int                   // their segments
	ByStatus  map[taxsms.Status]int // messages by status
	Waiting   int                   // scheduled, queued, held or being sent
	Sent      int                   // with the carrier or past it: submitted, delivered, failed
	Delivered int
	Failed    int // failed, expired or rejected
	Cancelled int
}

// CampaignProgress counts a campaign's messages by status, or returns
// ENOTFOUND outside the actor's read scope.
func (db *DB) CampaignProgress(ctx context.Context, id int64) (*CampaignProgress, error) {
	if _, err := db.FindCampaign(ctx, id); err != nil {
		return nil, err
	}
	rows, err := db.db.QueryContext(ctx, db.q("SelectCampaignProgress"), id)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	p := &CampaignProgress{ByStatus: make(map[taxsms.Status]int)}
	for rows.Next() {
		var st string
		var n, segs int
		if err := rows.Scan(&st, &n, &segs); err != nil {
			return nil, err
		}
		s := taxsms.Status(st)
		p.ByStatus[s] = n
		p.Messages += n
		p.Segments += segs
		switch s {
		case taxsms.StatusScheduled, taxsms.StatusQueued, taxsms.StatusHeld, taxsms.StatusSending:
			p.Waiting += n
		case taxsms.StatusSubmitted:
			p.Sent += n
		case taxsms.StatusDelivered:
			p.Sent += n
			p.Delivered += n
		case taxsms.StatusFailed, taxsms.StatusExpired, taxsms.StatusRejected:
			p.Sent += n
			p.Failed += n
		case taxsms.StatusCancelled:
			p.Cancelled += n
		}
	}
	return p, rows.Err()
}

// CampaignReportRow is one office's and carrier's share of a campaign.
type CampaignReportRow struct {
	OfficeID   int64
	OfficeName string
	Carrier    taxsms.Carrier // the carrier it went through; before submission, the one its prefix tells (or "")
	Messages   int
	Segments   int
	Delivered  int
	Failed     int
	Waiting    int
	Cancelled  int
}

// CampaignReport returns a campaign's delivery by office and carrier,
// ordered by office and carrier, or ENOTFOUND outside the actor's read
// scope.
func (db *DB) CampaignReport(ctx context.Context, id int64) ([]CampaignReportRow, error) {
	if _, err := db.FindCampaign(ctx, id); err != nil {
		return nil, err
	}
	rows, err := db.db.QueryContext(ctx, db.q("SelectCampaignReport"), id)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	type key struct {
		office  int64
		carrier taxsms.Carrier
	}
	idx := make(map[key]int)
	var out []CampaignReportRow
	for rows.Next() {
		var office int64
		var name, carrier, prefix, st string
		var n, segs int
		if err := rows.Scan(&office, &name, &carrier, &prefix, &st, &n, &segs); err != nil {
			return nil, err
		}
		cr := taxsms.Carrier(carrier)
		if cr == "" {
			cr, _ = taxsms.DefaultPrefixes.Carrier(prefix)
		}
		k := key{office, cr}
		i, ok := idx[k]
		if !ok {
			i = len(out)
			idx[k] = i
			out = append(out, CampaignReportRow{OfficeID: office, OfficeName: name, Carrier: cr})
		}
		r := &out[i]
		r.Messages += n
		r.Segments += segs
		switch taxsms.Status(st) {
		case taxsms.StatusDelivered:
			r.Delivered += n
		case taxsms.StatusFailed, taxsms.StatusExpired, taxsms.StatusRejected:
			r.Failed += n
		case taxsms.StatusCancelled:
			r.Cancelled += n
		case taxsms.StatusScheduled, taxsms.StatusQueued, taxsms.StatusHeld, taxsms.StatusSending:
			r.Waiting += n
		}
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	sortReport(out)
	return out, nil
}

func sortReport(rows []CampaignReportRow) {
	for i := 1; i < len(rows); i++ {
		for j := i; j > 0 && (rows[j].OfficeID < rows[j-1].OfficeID ||
			rows[j].OfficeID == rows[j-1].OfficeID && rows[j].Carrier < rows[j-1].Carrier); j-- {
			rows[j], rows[j-1] = rows[j-1], rows[j]
		}
	}
}

// ApprovalRule returns the approval rule an office works under: its own,
// or that of the nearest office above it with one, or
// taxsms.DefaultApprovalRule; and the id of the office it was set on (0
// for the default). An office outside the actor's read scope is ENOTFOUND.
func (db *DB) ApprovalRule(ctx context.Context, officeID int64) (taxsms.ApprovalRule, int64, error) {
	o, err := db.FindOffice(ctx, officeID)
	if err != nil {
		return taxsms.ApprovalRule{}, 0, err
	}
	rows, err := db.db.QueryContext(ctx, db.q("SelectApprovalRules"), o.Path)
	if err != nil {
		return taxsms.ApprovalRule{}, 0, err
	}
	defer rows.Close()
	r, from := taxsms.DefaultApprovalRule, int64(0)
	for rows.Next() {
		var path string
		var always, city, emergency int
		if err := rows.Scan(&path, &always, &r.Over, &city, &emergency); err != nil {
			return taxsms.ApprovalRule{}, 0, err
		}
		r.Always, r.CityWide, r.EmergencyApproval = always != 0, city != 0, emergency != 0
		from = lastID(path)
	}
	r.OfficeID = officeID
	return r, from, rows.Err()
}

// SetApprovalRule sets an office's own approval rule; with clear, it
// removes it, so that the office works under the rule above. It needs
// auth.PermManageOffices and write scope on the office (EFORBIDDEN), and
// records audit.ConfigChanged with the rule before and after.
func (db *DB) SetApprovalRule(ctx context.Context, r taxsms.ApprovalRule, clear bool) error {
	a, _ := auth.FromContext(ctx)
	if err := a.Require(auth.PermManageOffices); err != nil {
		return err
	}
	if err := r.Validate(); err != nil {
		return err
	}
	return db.inTx(ctx, func(tx *sql.Tx) error {
		o, err := db.findOffice(ctx, tx, db.q("SelectOffice"), r.OfficeID)
		if err != nil {
			return err
		}
		if err := db.checkWrite(ctx, tx, auth.DataOffices, "office "+o.Code, o.ID, 0); err != nil {
			return err
		}
		if clear {
			if _, err := tx.ExecContext(ctx, db.q("DeleteApprovalRule"), r.OfficeID); err != nil {
				return err
			}
			return db.appendAudit(ctx, tx, db.entry(ctx, audit.ConfigChanged, audit.Object{Type: "approval_rule", ID: strconv.FormatInt(o.ID, 10)},
				nil, map[string]any{}, "approval rule removed: the office's above applies"))
		}
		if _, err := tx.ExecContext(ctx, db.q("UpsertApprovalRule"), r.OfficeID, boolInt(r.Always), r.Over, boolInt(r.CityWide),
			boolInt(r.EmergencyApproval), ms(db.Now())); err != nil {
			return err
		}
		return db.appendAudit(ctx, tx, db.entry(ctx, audit.ConfigChanged, audit.Object{Type: "approval_rule", ID: strconv.FormatInt(o.ID, 10)},
			nil, map[string]any{"always": r.Always, "over": r.Over, "city_wide": r.CityWide, "emergency_approval": r.EmergencyApproval}, "approval rule"))
	})
}

// SetUserGroups replaces the groups a member of staff belongs to (for
// internal notices to a group). It needs write scope on the user
// (EFORBIDDEN) and records audit.UserChanged.
func (db *DB) SetUserGroups(ctx context.Context, userID int64, groups []string) error {
	clean := make([]string, 0, len(groups))
	for _, g := range groups {
		g = strings.TrimSpace(g)
		if g == "" {
			continue
		}
		if err := taxsms.CheckGroup(g); err != nil {
			return err
		}
		clean = append(clean, g)
	}
	return db.inTx(ctx, func(tx *sql.Tx) error {
		var office int64
		if err := tx.QueryRowContext(ctx, db.rebind("SELECT office_id FROM users WHERE id = ?"), userID).Scan(&office); errors.Is(err, sql.ErrNoRows) {
			return taxsms.Errorf(taxsms.ENOTFOUND, "user %d not found", userID)
		} else if err != nil {
			return err
		}
		if err := db.checkWrite(ctx, tx, auth.DataUsers, fmt.Sprintf("user %d", userID), office, userID); err != nil {
			return err
		}
		before, err := db.userGroups(ctx, tx, userID)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, db.q("DeleteUserGroups"), userID); err != nil {
			return err
		}
		seen := make(map[string]bool)
		for _, g := range clean {
			if seen[g] {
				continue
			}
			seen[g] = true
			if _, err := tx.ExecContext(ctx, db.q("InsertUserGroup"), userID, g); err != nil {
				return err
			}
		}
		after, err := db.userGroups(ctx, tx, userID)
		if err != nil {
			return err
		}
		return db.appendChange(ctx, tx, audit.UserChanged, audit.Object{Type: "user", ID: strconv.FormatInt(userID, 10)},
			map[string]any{"groups": before}, map[string]any{"groups": after}, "groups")
	})
}

// UserGroups returns the groups of a user, sorted.
func (db *DB) UserGroups(ctx context.Context, userID int64) ([]string, error) {
	return db.userGroups(ctx, db.db, userID)
}

func (db *DB) userGroups(ctx context.Context, q querier, userID int64) ([]string, error) {
	rows, err := q.QueryContext(ctx, db.q("SelectUserGroups"), userID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []string{}
	for rows.Next() {
		var g string
		if err := rows.Scan(&g); err != nil {
			return nil, err
		}
		out = append(out, g)
	}
	return out, rows.Err()
}
