package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"taxsms"
	"taxsms/audit"
	"taxsms/auth"
	"taxsms/calendar"
)

// ticketScope is the condition on tickets k that a read by ctx's actor must
// meet: operators see the tickets of the taxpayers in their charge and those
// assigned to them.
func ticketScope(ctx context.Context) (string, []any) {
	return scopeCond(auth.AccessFrom(ctx, auth.DataTickets).Read, "k.office_id", func(uid int64) (string, []any) {
		return "(k.assignee_id = ? OR k.taxpayer_id IN (SELECT id FROM taxpayers WHERE admin_id = ?))", []any{uid, uid}
	})
}

// CreateTicket stores a new ticket: it validates t, sets its ID, Number
// (type prefix, the day in Shanghai, the sequence of that day:
// "TS-20261203-0007"), Status (open) and CreatedAt, and records
// audit.TicketOpened. The caller sets Due. It needs write scope on the
// ticket's office (EFORBIDDEN); the router, acting as the platform, has it.
func (db *DB) CreateTicket(ctx context.Context, t *taxsms.Ticket) error {
	if err := t.Validate(); err != nil {
		return err
	}
	now := db.Now().UTC().Truncate(time.Millisecond)
	return db.inTx(ctx, func(tx *sql.Tx) error {
		if err := db.checkWrite(ctx, tx, auth.DataTickets, "ticket", t.OfficeID, t.AssigneeID); err != nil {
			return err
		}
		day := now.In(calendar.Shanghai).Format("20060102")
		var seq int64
		if err := tx.QueryRowContext(ctx, db.q("NextTicketNumber"), t.Type.Prefix(), day).Scan(&seq); err != nil {
			return err
		}
		number := fmt.Sprintf("%s-%s-%04d", t.Type.Prefix(), day, seq)
		enc, hash, mask := db.sealMobile(t.Mobile)
		var id int64
		err := tx.QueryRowContext(ctx, db.q("InsertTicket"), number, string(t.Type), string(taxsms.TicketOpen), enc, hash, mask,
			nullID(t.TaxpayerID), t.OfficeID, nullID(t.AssigneeID), nullID(t.MOID), t.Text, ms(t.Due), ms(now)).Scan(&id)
		if db.d.violation(err) == "foreign" {
			return taxsms.Errorf(taxsms.EINVALID, "a ticket refers to a taxpayer, office, user or message that does not exist")
		} else if err != nil {
			return err
		}
		t.ID, t.Number, t.Status, t.CreatedAt = id, number, taxsms.TicketOpen, now
		t.Answer, t.ReplyID, t.AnsweredAt, t.ClosedAt = "", 0, time.Time{}, time.Time{}
		return db.appendAudit(ctx, tx, db.entry(ctx, audit.TicketOpened, ticketObject(id),
			nil, map[string]string{"number": number, "type": string(t.Type), "office": strconv.FormatInt(t.OfficeID, 10)},
			fmt.Sprintf("%s %s from %s", t.Type, number, taxsms.MaskMobile(t.Mobile))))
	})
}

func ticketObject(id int64) audit.Object {
	return audit.Object{Type: "ticket", ID: strconv.FormatInt(id, 10)}
}

// FindTicket returns a ticket, or ENOTFOUND (also outside the actor's scope
// of auth.DataTickets).
func (db *DB) FindTicket(ctx context.Context, id int64) (*taxsms.Ticket, error) {
	return db.findTicket(ctx, db.db, id)
}

func (db *DB) findTicket(ctx context.Context, q querier, id int64) (*taxsms.Ticket, error) {
	scope, args := ticketScope(ctx)
	t, err := db.scanTicket(q.QueryRowContext(ctx, db.rebind(db.q("TicketColumns")+" WHERE k.id = ? AND "+scope), append([]any{id}, args...)...))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, taxsms.Errorf(taxsms.ENOTFOUND, "ticket %d not found", id)
	}
	return t, err
}

func (db *DB) scanTicket(s scanner) (*taxsms.Ticket, error) {
	var t taxsms.Ticket
	var typ, status string
	var enc []byte
	var due, created, answered, closed int64
	err := s.Scan(&t.ID, &t.Number, &typ, &status, &enc, &t.TaxpayerID, &t.OfficeID, &t.AssigneeID, &t.MOID, &t.ReplyID,
		&t.Text, &t.Answer, &t.Note, &due, &created, &answered, &closed)
	if err != nil {
		return nil, err
	}
	t.Type, t.Status = taxsms.TicketType(typ), taxsms.TicketStatus(status)
	t.Due, t.CreatedAt, t.AnsweredAt, t.ClosedAt = fromMS(due), fromMS(created), fromMS(answered), fromMS(closed)
	t.Mobile, err = db.openMobile(enc)
	return &t, err
}

// ListTickets returns one page of the tickets matching f within the actor's
// scope, newest first.
func (db *DB) ListTickets(ctx context.Context, f taxsms.TicketFilter) ([]*taxsms.Ticket, error) {
	var where []string
	var args []any
	add := func(cond string, arg ...any) { where = append(where, cond); args = append(args, arg...) }
	if f.Status != "" {
		add("k.status = ?", string(f.Status))
	}
	if f.Type != "" {
		add("k.type = ?", string(f.Type))
	}
	if f.AssigneeID != 0 {
		add("k.assignee_id = ?", f.AssigneeID)
	}
	if f.TaxpayerID != 0 {
		add("k.taxpayer_id = ?", f.TaxpayerID)
	}
	if f.Subtree != 0 {
		prefix, err := db.subtreePrefix(ctx, f.Subtree)
		if err != nil {
			return nil, err
		}
		add("k.office_id IN (SELECT id FROM offices WHERE path LIKE ?)", prefix+"%")
	}
	if f.Overdue {
		now := f.Now
		if now.IsZero() {
			now = db.Now()
		}
		add("k.status = 'open' AND k.due_at < ?", ms(now))
	}
	if f.Before != 0 {
		add("k.id < ?", f.Before)
	}
	scope, sargs := ticketScope(ctx)
	add(scope, sargs...)
	q := db.q("TicketColumns") + " WHERE " + strings.Join(where, " AND ") + " ORDER BY k.id DESC LIMIT ?"
	rows, err := db.db.QueryContext(ctx, db.rebind(q), append(args, limit(f.Limit))...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*taxsms.Ticket
	for rows.Next() {
		t, err := db.scanTicket(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	return out, rows.Err()
}

// writableTicket returns the ticket for a change by ctx's actor: it needs
// auth.PermAnswerTickets (EFORBIDDEN), a ticket it may read (ENOTFOUND) and
// write: in its subtree, or for an operator one assigned to it or of a
// taxpayer in its charge (EFORBIDDEN).
func (db *DB) writableTicket(ctx context.Context, tx *sql.Tx, id int64) (*taxsms.Ticket, error) {
	a, _ := auth.FromContext(ctx)
	if err := a.Require(auth.PermAnswerTickets); err != nil {
		return nil, err
	}
	t, err := db.findTicket(ctx, tx, id)
	if err != nil {
		return nil, err
	}
	s := auth.AccessFrom(ctx, auth.DataTickets).Write
	if s.Level == auth.LevelAll {
		return t, nil
	}
	var path string
	var admin int64
	if err := tx.QueryRowContext(ctx, db.q("SelectTicketOwner"), id).Scan(&path, &admin); err != nil {
		return nil, err
	}
	if s.Contains(path, t.AssigneeID) || s.Contains(path, admin) {
		return t, nil
	}
	return nil, &taxsms.Error{Code: taxsms.EFORBIDDEN, Field: "office",
		Message: fmt.Sprintf("ticket %s: outside what you may change", t.Number)}
}

// AssignTicket puts a member of staff in charge of a ticket, or nobody
// (userID 0). The user must be active and work in the ticket's office, an
// office above it or one below it (EINVALID, field "assignee"). It needs
// auth.PermAnswerTickets and write scope on the ticket, and is recorded in
// the audit archive (audit.TicketAssigned).
func (db *DB) AssignTicket(ctx context.Context, id, userID int64) error {
	return db.inTx(ctx, func(tx *sql.Tx) error {
		t, err := db.writableTicket(ctx, tx, id)
		if err != nil {
			return err
		}
		if t.AssigneeID == userID {
			return nil
		}
		if userID != 0 {
			var upath, tpath, status string
			err := tx.QueryRowContext(ctx, db.q("SelectAssignee"), userID).Scan(&upath, &status)
			if errors.Is(err, sql.ErrNoRows) {
				return taxsms.Invalid("assignee", "user %d not found", userID)
			} else if err != nil {
				return err
			}
			if err := tx.QueryRowContext(ctx, db.q("SelectTicketOwner"), id).Scan(&tpath, new(int64)); err != nil {
				return err
			}
			if status != string(taxsms.UserActive) {
				return taxsms.Invalid("assignee", "user %d is %s", userID, status)
			}
			if !strings.HasPrefix(upath, tpath) && !strings.HasPrefix(tpath, upath) {
				return taxsms.Invalid("assignee", "user %d works outside the ticket's office", userID)
			}
		}
		if _, err := tx.ExecContext(ctx, db.q("AssignTicket"), nullID(userID), id); err != nil {
			return err
		}
		return db.appendAudit(ctx, tx, db.entry(ctx, audit.TicketAssigned, ticketObject(id),
			map[string]int64{"assignee": t.AssigneeID}, map[string]int64{"assignee": userID}, t.Number))
	})
}

// AnswerTicket answers an open ticket (ECONFLICT otherwise): it stores the
// answer (1 to taxsms.MaxAnswerChars characters: EINVALID, field "answer"),
// marks the ticket answered and, in the same transaction, queues the answer
// to the sender as an SMS reply (taxsms.KindReply, interactive priority)
// written by the actor, on behalf of the ticket's office. The ticket keeps
// the reply's id (ReplyID) beside the MO's (MOID), which links the two. It needs
// auth.PermAnswerTickets and write scope on the ticket, and is recorded in
// the audit archive (audit.TicketAnswered, and audit.MessageSent for the
// reply). It returns the reply.
func (db *DB) AnswerTicket(ctx context.Context, id int64, answer string) (*taxsms.Message, error) {
	answer, err := taxsms.ValidAnswer(answer)
	if err != nil {
		return nil, err
	}
	now := db.Now().UTC().Truncate(time.Millisecond)
	var reply *taxsms.Message
	err = db.inTx(ctx, func(tx *sql.Tx) error {
		t, err := db.writableTicket(ctx, tx, id)
		if err != nil {
			return err
		}
		if t.Status != taxsms.TicketOpen {
			return taxsms.Errorf(taxsms.ECONFLICT, "ticket %s is %s", t.Number, t.Status)
		}
		var author int64
		if a, _ := auth.FromContext(ctx); a != nil {
			author = a.UserID
		}
		m := &taxsms.Message{Direction: taxsms.MT, Kind: taxsms.KindReply, Priority: taxsms.PriorityInteractive,
			Mobile: t.Mobile, TaxpayerID: t.TaxpayerID, OfficeID: t.OfficeID, AuthorID: author,
			Body: answer, Coding: taxsms.CodingUCS2, Segments: ucs2Segments(answer),
			IdempotencyKey: "ticket/" + strconv.FormatInt(id, 10) + "/answer"}
		if err := db.insertMessage(ctx, tx, m, now); err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, db.q("AnswerTicket"), answer, m.ID, ms(now), id)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n != 1 {
			return taxsms.Errorf(taxsms.ECONFLICT, "ticket %s changed meanwhile", t.Number)
		}
		reply = m
		return db.appendAudit(ctx, tx,
			sentEntry(db.entry(ctx, audit.MessageSent, audit.Object{}, nil, nil, ""), []*taxsms.Message{m}),
			db.entry(ctx, audit.TicketAnswered, ticketObject(id), map[string]string{"status": string(t.Status)},
				map[string]string{"status": string(taxsms.TicketAnswered), "reply": strconv.FormatInt(m.ID, 10)},
				fmt.Sprintf("%s answered, %d characters", t.Number, utf8.RuneCountInString(answer))))
	})
	if err != nil {
		return nil, err
	}
	return reply, nil
}

// insertMessage stores one new MT message within tx, as CreateMessages
// does, and sets its ID, times and timeline. It records no audit.
func (db *DB) insertMessage(ctx context.Context, tx *sql.Tx, m *taxsms.Message, now time.Time) error {
	if err := m.Validate(); err != nil {
		return err
	}
	enc, hash, mask := db.sealMobile(m.Mobile)
	var key sql.NullString
	if m.IdempotencyKey != "" {
		key = sql.NullString{String: m.IdempotencyKey, Valid: true}
	}
	err := tx.QueryRowContext(ctx, db.q("InsertMessage"), string(m.Direction), string(m.Kind), int(m.Priority), enc, hash, mask,
		nullID(m.TaxpayerID), nullID(m.ContactID), nullID(m.UserID), nullID(m.OfficeID), nullID(m.AuthorID),
		nullID(m.CampaignID), m.Body, string(m.Coding), m.Segments, string(m.Status), key,
		ms(m.NotBefore), ms(m.ExpiresAt), ms(now), ms(now)).Scan(&m.ID)
	if err != nil {
		return db.messageError(err)
	}
	m.CreatedAt, m.UpdatedAt = now, now
	m.Timeline = []taxsms.StatusEvent{{At: now, Status: m.Status}}
	return nil
}

// ucs2Segments returns how many segments a text takes in UCS-2: one up to
// 70 characters, else one per 67.
func ucs2Segments(s string) int {
	n := utf8.RuneCountInString(s)
	if n <= 70 {
		return 1
	}
	return (n + 66) / 67
}

// CloseTicket closes a ticket that is not closed yet (ECONFLICT otherwise),
// with an optional note of at most 200 characters (EINVALID, field "note").
// It needs auth.PermAnswerTickets and write scope on the ticket, and is
// recorded in the audit archive (audit.TicketClosed).
func (db *DB) CloseTicket(ctx context.Context, id int64, note string) error {
	note = strings.TrimSpace(note)
	if !utf8.ValidString(note) || utf8.RuneCountInString(note) > 200 {
		return taxsms.Invalid("note", "at most 200 characters of UTF-8")
	}
	now := db.Now().UTC().Truncate(time.Millisecond)
	return db.inTx(ctx, func(tx *sql.Tx) error {
		t, err := db.writableTicket(ctx, tx, id)
		if err != nil {
			return err
		}
		if t.Status == taxsms.TicketClosed {
			return taxsms.Errorf(taxsms.ECONFLICT, "ticket %s is closed", t.Number)
		}
		if _, err := tx.ExecContext(ctx, db.q("CloseTicket"), note, ms(now), id); err != nil {
			return err
		}
		return db.appendAudit(ctx, tx, db.entry(ctx, audit.TicketClosed, ticketObject(id),
			map[string]string{"status": string(t.Status)}, map[string]string{"status": string(taxsms.TicketClosed)},
			strings.TrimSpace(t.Number+" "+note)))
	})
}

// Conversation returns the messages received from and sent to a number,
// MO and MT alike, newest first: one page of at most n, of ids below
// before (0: from the newest). Only an actor who may read every taxpayer, a
// taxpayer with a contact of that number, or a ticket from it may see them;
// for any other, and for a bad number, the conversation is ENOTFOUND.
func (db *DB) Conversation(ctx context.Context, mobile string, before int64, n int) ([]*taxsms.Message, error) {
	mob, err := taxsms.NormalizeMobile(mobile)
	if err != nil {
		return nil, taxsms.Errorf(taxsms.ENOTFOUND, "conversation not found")
	}
	hash := db.box.Hash(mob)
	if auth.AccessFrom(ctx, auth.DataTaxpayers).Read.Level != auth.LevelAll {
		tscope, targs := taxpayerScope(ctx, false)
		kscope, kargs := ticketScope(ctx)
		q := "SELECT CASE WHEN EXISTS (SELECT 1 FROM contacts c JOIN taxpayers t ON t.id = c.taxpayer_id WHERE c.mobile_hash = ? AND " + tscope +
			") OR EXISTS (SELECT 1 FROM tickets k WHERE k.mobile_hash = ? AND " + kscope + ") THEN 1 ELSE 0 END"
		args := append(append(append([]any{hash}, targs...), hash), kargs...)
		var ok int
		if err := db.db.QueryRowContext(ctx, db.rebind(q), args...).Scan(&ok); err != nil {
			return nil, err
		}
		if ok == 0 {
			return nil, taxsms.Errorf(taxsms.ENOTFOUND, "conversation not found")
		}
	}
	q := db.q("MessageColumns") + " WHERE m.mobile_hash = ?"
	args := []any{hash}
	if before != 0 {
		q += " AND m.id < ?"
		args = append(args, before)
	}
	q += " ORDER BY m.id DESC LIMIT ?"
	rows, err := db.db.QueryContext(ctx, db.rebind(q), append(args, limit(n))...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*taxsms.Message
	for rows.Next() {
		m, err := db.scanMessage(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	return out, rows.Err()
}
