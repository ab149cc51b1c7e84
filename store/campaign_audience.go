package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"taxsms"
	"taxsms/audit"
	"taxsms/auth"
)

// A campaign's recipients are one SQL query, so that counting and
// expanding read the same rows: each row a contact (of the taxpayers
// chosen), a member of staff, or a row of an uploaded list, with its status
// ('active' when it may receive), whether its office is suspended, its
// number's hash, mask and sealed form, and what the text's variables need.
// The row's key (rid) orders the expansion: the contact's, the user's or
// the list row's id.

// recipientRow is the row a recipients query yields, by column.
const recipientCols = "rid, rk, st, susp, h, mask, enc, tid, cid, uid, oid, nm, ident, aid"

// recipients returns the recipients query of c in the scope of ctx's
// actor, rows with rid in (lo, hi] when hi > 0.
func (db *DB) recipients(ctx context.Context, q querier, c *taxsms.Campaign, lo, hi int64) (string, []any, error) {
	susp, err := db.suspendedOffices(ctx, q)
	if err != nil {
		return "", nil, err
	}
	inSusp := func(col string) string {
		if len(susp) == 0 {
			return "0"
		}
		return "CASE WHEN " + col + " IN (" + susp + ") THEN 1 ELSE 0 END"
	}
	a := &c.Audience
	subtree := a.Subtree
	if subtree == 0 {
		subtree = c.OfficeID
	}
	prefix, err := db.subtreePrefixIn(ctx, q, subtree)
	if err != nil {
		return "", nil, err
	}
	rng := func(col string) (string, []any) {
		if hi <= 0 {
			return "", nil
		}
		return " AND " + col + " > ? AND " + col + " <= ?", []any{lo, hi}
	}
	switch a.Type {
	case taxsms.AudienceStaff:
		scope, sargs := scopeCond(auth.AccessFrom(ctx, auth.DataOffices).Read, "u.office_id", nil)
		where := []string{"u.mobile_hash IS NOT NULL", "u.office_id IN (SELECT id FROM offices WHERE path LIKE ?)", scope}
		args := append([]any{prefix + "%"}, sargs...)
		if len(a.StaffRoles) > 0 {
			where = append(where, "u.role IN ("+placeholders(len(a.StaffRoles))+")")
			for _, r := range a.StaffRoles {
				args = append(args, string(r))
			}
		}
		if a.Group != "" {
			where, args = append(where, "u.id IN (SELECT user_id FROM user_groups WHERE name = ?)"), append(args, a.Group)
		}
		r, rargs := rng("u.id")
		return "SELECT u.id AS rid, 'u' || u.id AS rk, CASE WHEN u.status = 'active' THEN 'active' ELSE 'suspended' END AS st, " +
			inSusp("u.office_id") + " AS susp, u.mobile_hash AS h, u.mobile_mask AS mask, u.mobile_enc AS enc, " +
			"CAST(NULL AS BIGINT) AS tid, CAST(NULL AS BIGINT) AS cid, u.id AS uid, u.office_id AS oid, u.name AS nm, '' AS ident, CAST(NULL AS BIGINT) AS aid " +
			"FROM users u WHERE " + strings.Join(where, " AND ") + r, append(args, rargs...), nil
	case taxsms.AudienceTaxpayers:
		where, args := db.taxpayerFilter(ctx, a)
		where, args = append(where, "t.office_id IN (SELECT id FROM offices WHERE path LIKE ?)"), append(args, prefix+"%")
		r, rargs := rng("c.id")
		from := "contacts c JOIN taxpayers t ON t.id = c.taxpayer_id"
		if hi > 0 {
			// A chunk of an expansion reads a range of contacts: SQLite is
			// made to start from it (CROSS JOIN keeps the order of the
			// tables), not from every taxpayer of the subtree.
			from, where = "contacts c CROSS JOIN taxpayers t", append(where, "t.id = c.taxpayer_id")
		}
		return "SELECT c.id AS rid, 'c' || c.id AS rk, c.status AS st, " + inSusp("t.office_id") + " AS susp, c.mobile_hash AS h, " +
			"c.mobile_mask AS mask, c.mobile_enc AS enc, t.id AS tid, c.id AS cid, CAST(NULL AS BIGINT) AS uid, t.office_id AS oid, " +
			"t.name AS nm, t.identifier AS ident, t.admin_id AS aid " +
			"FROM " + from + " WHERE " + strings.Join(where, " AND ") + r, append(args, rargs...), nil
	case taxsms.AudienceList:
		l, err := db.findRecipientList(ctx, q, a.ListID)
		if err != nil {
			return "", nil, err
		}
		where, args := db.taxpayerFilter(ctx, a)
		where, args = append(where, "e.list_id = ?"), append(args, l.ID)
		r, rargs := rng("e.seq")
		args = append(args, rargs...)
		// Numbers of the list: sent on behalf of the list's office, unless
		// a contact of that number opted out.
		numbers := "SELECT e.seq AS rid, 'n' || e.seq AS rk, CASE WHEN EXISTS (SELECT 1 FROM contacts x WHERE x.mobile_hash = e.mobile_hash " +
			"AND x.status = 'opted_out') THEN 'opted_out' ELSE 'active' END AS st, " + inSusp("l.office_id") + " AS susp, " +
			"e.mobile_hash AS h, e.mobile_mask AS mask, e.mobile_enc AS enc, CAST(NULL AS BIGINT) AS tid, CAST(NULL AS BIGINT) AS cid, " +
			"CAST(NULL AS BIGINT) AS uid, l.office_id AS oid, '' AS nm, '' AS ident, CAST(NULL AS BIGINT) AS aid " +
			"FROM recipient_list_entries e JOIN recipient_lists l ON l.id = e.list_id WHERE e.list_id = ? AND e.mobile_hash IS NOT NULL" + r
		args = append(args, l.ID)
		args = append(args, rargs...)
		return "SELECT e.seq AS rid, 'c' || c.id AS rk, c.status AS st, " + inSusp("t.office_id") + " AS susp, c.mobile_hash AS h, " +
			"c.mobile_mask AS mask, c.mobile_enc AS enc, t.id AS tid, c.id AS cid, CAST(NULL AS BIGINT) AS uid, t.office_id AS oid, " +
			"t.name AS nm, t.identifier AS ident, t.admin_id AS aid " +
			"FROM recipient_list_entries e JOIN contacts c ON c.taxpayer_id = e.taxpayer_id JOIN taxpayers t ON t.id = c.taxpayer_id " +
			"WHERE " + strings.Join(where, " AND ") + r + " UNION ALL " + numbers, args, nil
	}
	return "", nil, taxsms.Invalid("audience.type", "unknown audience %q", a.Type)
}

// taxpayerFilter returns the conditions on contacts c and taxpayers t of a
// taxpayer audience, the actor's read scope included.
func (db *DB) taxpayerFilter(ctx context.Context, a *taxsms.Audience) ([]string, []any) {
	scope, args := taxpayerScope(ctx, false)
	where := []string{scope}
	if len(a.TaxTypes) > 0 {
		var or []string
		for _, tt := range a.TaxTypes {
			or, args = append(or, "(',' || t.tax_types || ',') LIKE ? ESCAPE '\\'"), append(args, "%,"+likeEscaper.Replace(tt)+",%")
		}
		where = append(where, "("+strings.Join(or, " OR ")+")")
	}
	if a.Industry != "" {
		where, args = append(where, "t.industry = ?"), append(args, a.Industry)
	}
	if len(a.RegStatus) > 0 {
		where = append(where, "t.reg_status IN ("+placeholders(len(a.RegStatus))+")")
		for _, s := range a.RegStatus {
			args = append(args, string(s))
		}
	}
	switch a.RemoteFiler {
	case "yes":
		where = append(where, "t.remote_filer = 1")
	case "no":
		where = append(where, "t.remote_filer = 0")
	}
	if a.AdminID != 0 {
		where, args = append(where, "t.admin_id = ?"), append(args, a.AdminID)
	}
	if len(a.Roles) > 0 {
		where = append(where, "c.role IN ("+placeholders(len(a.Roles))+")")
		for _, r := range a.Roles {
			args = append(args, string(r))
		}
	}
	return where, args
}

func placeholders(n int) string {
	return strings.TrimSuffix(strings.Repeat("?, ", n), ", ")
}

// suspendedOffices returns the ids of the offices suspended (or below one
// that is), comma-separated, "" if none.
func (db *DB) suspendedOffices(ctx context.Context, q querier) (string, error) {
	rows, err := q.QueryContext(ctx, db.q("SelectSuspendedOffices"))
	if err != nil {
		return "", err
	}
	defer rows.Close()
	var ids []string
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return "", err
		}
		ids = append(ids, strconv.FormatInt(id, 10))
	}
	return strings.Join(ids, ","), rows.Err()
}

// Render is how a campaign's text is made for each recipient: Head (the
// signature) and Tail (the opt-out line) around the template, whose
// variables take the recipient's values. Segments, if not zero, is the
// count of every text (a template without variables); otherwise each
// text's is counted as UCS-2 (70 characters in one segment, 67 a segment
// beyond).
type Render struct {
	Head, Tail string
	Segments   int
}

// body returns the SQL expression of a recipient's text (over the
// recipients r, offices o and administrators a) and its arguments.
func body(c *taxsms.Campaign, rd Render) (string, []any) {
	if !strings.Contains(c.Template, "{") {
		return "CAST(? AS TEXT)", []any{rd.Head + c.Template + rd.Tail}
	}
	return "CAST(? AS TEXT) || REPLACE(REPLACE(REPLACE(REPLACE(CAST(? AS TEXT), '{name}', SUBSTR(r.nm, 1, 40)), '{identifier}', r.ident), " +
		"'{office}', COALESCE(SUBSTR(o.name, 1, 40), '')), '{admin}', COALESCE(SUBSTR(a.name, 1, 40), '')) || CAST(? AS TEXT)", []any{rd.Head, c.Template, rd.Tail}
}

func segmentsExpr(rd Render, text string) string {
	if rd.Segments > 0 {
		return strconv.Itoa(rd.Segments)
	}
	return "CASE WHEN LENGTH(" + text + ") <= 70 THEN 1 ELSE (LENGTH(" + text + ") + 66) / 67 END"
}

// CountAudience counts the recipients of campaign id as they stand now, in
// its author's scope: distinct numbers that may receive, duplicates
// removed, and the contacts excluded by reason; and the segments of their
// texts rendered with rd. It returns ENOTFOUND outside the actor's read
// scope.
func (db *DB) CountAudience(ctx context.Context, id int64, rd Render) (*taxsms.AudienceCount, error) {
	c, err := db.FindCampaign(ctx, id)
	if err != nil {
		return nil, err
	}
	actx, err := db.authorContext(ctx, c)
	if err != nil {
		return nil, err
	}
	return db.countAudience(actx, c, rd)
}

// CountAudienceOf counts the recipients of a campaign not stored (being
// composed), in the scope of ctx's actor, as CountAudience does.
func (db *DB) CountAudienceOf(ctx context.Context, c *taxsms.Campaign, rd Render) (*taxsms.AudienceCount, error) {
	if err := c.Validate(); err != nil {
		return nil, err
	}
	return db.countAudience(ctx, c, rd)
}

func (db *DB) countAudience(ctx context.Context, c *taxsms.Campaign, rd Render) (*taxsms.AudienceCount, error) {
	rq, args, err := db.recipients(ctx, db.db, c, 0, 0)
	if err != nil {
		return nil, err
	}
	text, targs := body(c, rd)
	segs := segmentsExpr(rd, "x.body")
	// Per status, suspension and prefix: the rows, the distinct numbers and
	// (for the rows that receive) the segments of the first text of each
	// number.
	q := "SELECT x.st, x.susp, SUBSTR(x.mask, 1, 3), COUNT(*), COUNT(DISTINCT x.h), SUM(CASE WHEN x.n = 1 THEN " + segs + " ELSE 0 END) FROM (" +
		"SELECT r.st, r.susp, r.mask, r.h, " + text + " AS body, ROW_NUMBER() OVER (PARTITION BY r.h, r.st, r.susp ORDER BY r.rid, r.rk) AS n " +
		"FROM (" + rq + ") r LEFT JOIN offices o ON o.id = r.oid LEFT JOIN users a ON a.id = r.aid) x GROUP BY x.st, x.susp, SUBSTR(x.mask, 1, 3)"
	if rd.Segments > 0 || !strings.Contains(c.Template, "{") {
		// The same text for all: no rendering, no numbering.
		q = "SELECT r.st, r.susp, SUBSTR(r.mask, 1, 3), COUNT(*), COUNT(DISTINCT r.h), 0 FROM (" + rq + ") r GROUP BY r.st, r.susp, SUBSTR(r.mask, 1, 3)"
		targs = nil
	}
	rows, err := db.db.QueryContext(ctx, db.rebind(q), append(targs, args...)...)
	if err != nil {
		return nil, fmt.Errorf("count audience: %w", err)
	}
	defer rows.Close()
	out := &taxsms.AudienceCount{Excluded: make(map[string]int), ByCarrier: make(map[taxsms.Carrier]int),
		SegmentsByCarrier: make(map[taxsms.Carrier]int)}
	for rows.Next() {
		var st, prefix string
		var susp, n, distinct, segments int
		if err := rows.Scan(&st, &susp, &prefix, &n, &distinct, &segments); err != nil {
			return nil, err
		}
		switch {
		case st == string(taxsms.ServiceActive) && susp == 0:
			out.Recipients += distinct
			out.Duplicates += n - distinct
			out.Segments += segments
			cr, _ := taxsms.DefaultPrefixes.Carrier(prefix)
			out.ByCarrier[cr] += distinct
			out.SegmentsByCarrier[cr] += segments
		case st == string(taxsms.ServiceActive) || st == "suspended":
			out.Excluded["suspended"] += n
		default:
			out.Excluded[st] += n
		}
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if rd.Segments > 0 {
		out.Segments = out.Recipients * rd.Segments
		for cr, n := range out.ByCarrier {
			out.SegmentsByCarrier[cr] = n * rd.Segments
		}
	}
	return out, nil
}

// authorContext returns ctx acting as c's author (the platform for a
// campaign without one), whose scope limits the audience.
func (db *DB) authorContext(ctx context.Context, c *taxsms.Campaign) (context.Context, error) {
	if c.AuthorID == 0 {
		return auth.NewContext(ctx, nil), nil
	}
	a, err := db.UserActor(ctx, c.AuthorID)
	if err != nil {
		return nil, fmt.Errorf("campaign %d author: %w", c.ID, err)
	}
	return auth.NewContext(ctx, a), nil
}

// expandChunk is how many ids of the audience's table one transaction of
// an expansion covers.
const expandChunk = 50_000

// ExpandCampaign queues the messages of a sending campaign, a chunk of its
// audience per transaction, each message keyed campaign/ID/c<contact>
// (u<user>, n<list row>) and each number once. It resumes after the last
// chunk committed, so a stop half-way never queues anyone twice. The
// messages are queued, or held while the campaign is held outside its
// working hours. It stops without error when the campaign leaves the
// sending state (paused, cancelled), and returns how many it queued; when
// the whole audience is queued it sets the campaign's recipient and
// segment counts. It runs as the platform; the audience is the author's.
func (db *DB) ExpandCampaign(ctx context.Context, id int64, rd Render) (queued int, done bool, err error) {
	c, cur, err := db.campaignWithCursor(ctx, id)
	if err != nil {
		return 0, false, err
	}
	if cur.expanded {
		return 0, true, nil
	}
	actx, err := db.authorContext(ctx, c)
	if err != nil {
		return 0, false, err
	}
	var maxQ string
	switch c.Audience.Type {
	case taxsms.AudienceStaff:
		maxQ = "SELECT COALESCE(MAX(id), 0) FROM users"
	case taxsms.AudienceList:
		maxQ = "SELECT COALESCE(MAX(seq), 0) FROM recipient_list_entries WHERE list_id = " + strconv.FormatInt(c.Audience.ListID, 10)
	default:
		maxQ = "SELECT COALESCE(MAX(id), 0) FROM contacts"
	}
	var top int64
	if err := db.db.QueryRowContext(ctx, maxQ).Scan(&top); err != nil {
		return 0, false, err
	}
	for lo := cur.upto; ; lo += expandChunk {
		if err := ctx.Err(); err != nil {
			return queued, false, err
		}
		hi := lo + expandChunk
		last := hi >= top
		n, ok, err := db.expandChunk(actx, c, rd, lo, hi, last)
		queued += n
		if err != nil || !ok {
			return queued, false, err
		}
		if last {
			return queued, true, nil
		}
	}
}

func (db *DB) campaignWithCursor(ctx context.Context, id int64) (*taxsms.Campaign, campaignCursor, error) {
	c, cur, err := scanCampaignCursor(db.db.QueryRowContext(ctx, db.rebind(campaignSelect()+" WHERE c.id = ?"), id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, cur, taxsms.Errorf(taxsms.ENOTFOUND, "campaign %d not found", id)
	}
	return c, cur, err
}

// expandChunk queues the recipients with rid in (lo, hi] in one
// transaction, if the campaign is still sending and expanded up to lo;
// ok is false otherwise. last marks the final chunk.
func (db *DB) expandChunk(actx context.Context, c *taxsms.Campaign, rd Render, lo, hi int64, last bool) (n int, ok bool, err error) {
	ctx := auth.NewContext(actx, nil) // the transaction's writes are the platform's
	err = db.inTx(ctx, func(tx *sql.Tx) error {
		var state string
		var upto int64
		var held int
		if err := tx.QueryRowContext(ctx, db.rebind("SELECT state, expanded_upto, held FROM campaigns WHERE id = ?"+db.forUpdate()), c.ID).
			Scan(&state, &upto, &held); err != nil {
			return err
		}
		if state != string(taxsms.CampaignSending) || upto != lo {
			return nil
		}
		ok = true
		rq, rargs, err := db.recipients(actx, tx, c, lo, hi)
		if err != nil {
			return err
		}
		text, targs := body(c, rd)
		status := taxsms.StatusQueued
		if held != 0 {
			status = taxsms.StatusHeld
		}
		now := ms(db.Now())
		q := "INSERT INTO messages (direction, kind, priority, mobile_enc, mobile_hash, mobile_mask, taxpayer_id, contact_id, user_id, " +
			"office_id, author_id, campaign_id, body, coding, segments, status, idempotency_key, not_before, expires_at, created_at, updated_at) " +
			"SELECT 'mt', ?, ?, x.enc, x.h, x.mask, x.tid, x.cid, x.uid, x.oid, ?, ?, x.body, '', " + segmentsExpr(rd, "x.body") +
			", ?, ? || x.rk, 0, 0, ?, ? FROM (SELECT r.enc, r.h, r.mask, r.tid, r.cid, r.uid, r.oid, r.rk, " + text + " AS body, " +
			"ROW_NUMBER() OVER (PARTITION BY r.h ORDER BY r.rid, r.rk) AS n FROM (" + rq + ") r " +
			"LEFT JOIN offices o ON o.id = r.oid LEFT JOIN users a ON a.id = r.aid WHERE r.st = 'active' AND r.susp = 0) x " +
			// The number looked up by its index: "+" keeps SQLite from
			// scanning the campaign's messages for each one instead.
			"WHERE x.n = 1 AND NOT EXISTS (SELECT 1 FROM messages m WHERE m.mobile_hash = x.h AND +m.campaign_id = ?) " +
			"ON CONFLICT (idempotency_key) WHERE idempotency_key IS NOT NULL DO NOTHING"
		args := []any{string(c.Kind), int(c.Kind.DefaultPriority()), nullID(c.AuthorID), c.ID, string(status),
			fmt.Sprintf("campaign/%d/", c.ID), now, now}
		args = append(append(append(args, targs...), rargs...), c.ID)
		res, err := tx.ExecContext(ctx, db.rebind(q), args...)
		if err != nil {
			return fmt.Errorf("expand campaign %d: %w", c.ID, err)
		}
		k, _ := res.RowsAffected()
		n = int(k)
		if _, err := tx.ExecContext(ctx, db.rebind("UPDATE campaigns SET expanded_upto = ?, updated_at = ? WHERE id = ?"), hi, now, c.ID); err != nil {
			return err
		}
		if n > 0 {
			if err := db.appendAudit(ctx, tx, db.entry(ctx, audit.MessageSent, campaignObject(c.ID), nil, nil,
				fmt.Sprintf("campaign %d: %d messages %s", c.ID, n, status))); err != nil {
				return err
			}
		}
		if last {
			var msgs, segs int
			if err := tx.QueryRowContext(ctx, db.rebind("SELECT COUNT(*), COALESCE(SUM(segments), 0) FROM messages WHERE campaign_id = ?"), c.ID).
				Scan(&msgs, &segs); err != nil {
				return err
			}
			_, err := tx.ExecContext(ctx, db.rebind("UPDATE campaigns SET expanded = 1, recipients = ?, segments = ? WHERE id = ?"), msgs, segs, c.ID)
			return err
		}
		return nil
	})
	return n, ok, err
}

// forUpdate locks the row read on PostgreSQL ("" on SQLite, whose
// transactions are serial).
func (db *DB) forUpdate() string {
	if db.d == postgresDialect {
		return " FOR UPDATE"
	}
	return ""
}

// HoldCampaign holds (hold) or releases the waiting messages of a sending
// campaign, as its office's working window closes or opens, and marks it
// so that messages it still queues are held too. It returns how many
// messages changed; a campaign in another state is left alone.
func (db *DB) HoldCampaign(ctx context.Context, id int64, hold bool) (int, error) {
	to, detail := taxsms.StatusQueued, "working hours open"
	if hold {
		to, detail = taxsms.StatusHeld, "outside working hours"
	}
	n := 0
	err := db.inTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, db.rebind("UPDATE campaigns SET held = ?, updated_at = ? WHERE id = ? AND held <> ? AND state = 'sending'"),
			boolInt(hold), ms(db.Now()), id, boolInt(hold))
		if err != nil {
			return err
		}
		if k, _ := res.RowsAffected(); k == 0 {
			return nil
		}
		if n, err = db.changeWaiting(ctx, tx, Selector{CampaignID: id}, to, detail); err != nil {
			return err
		}
		if err := db.campaignEvent(ctx, tx, id, db.Now(), taxsms.CampaignSending, fmt.Sprintf("%s: %d messages %s", detail, n, to)); err != nil {
			return err
		}
		action := audit.MessageReleased
		if hold {
			action = audit.MessageHeld
		}
		return db.appendAudit(ctx, tx, db.entry(ctx, action, campaignObject(id), nil, nil, fmt.Sprintf("%s; %d messages", detail, n)))
	})
	return n, err
}

// CampaignWaiting returns how many of a campaign's messages still wait
// (scheduled, queued, held or being sent).
func (db *DB) CampaignWaiting(ctx context.Context, id int64) (int, error) {
	var n int
	err := db.db.QueryRowContext(ctx, db.q("CountCampaignWaiting"), id).Scan(&n)
	return n, err
}

// CampaignHeld reports whether a sending campaign's messages are held
// outside working hours, and whether its whole audience is queued.
func (db *DB) CampaignHeld(ctx context.Context, id int64) (held, expanded bool, err error) {
	_, cur, err := db.campaignWithCursor(ctx, id)
	return cur.held, cur.expanded, err
}

// ListEntry is one row of an uploaded recipient list: a taxpayer (by id)
// or a number.
type ListEntry struct {
	TaxpayerID int64
	Mobile     string // normalised
}

// CreateRecipientList stores an uploaded list for campaigns of the office
// l.OfficeID and sets its ID and counts. Each entry names a taxpayer in the
// actor's read scope (else EINVALID naming the row) or a number. It needs
// write scope on the office (EFORBIDDEN).
func (db *DB) CreateRecipientList(ctx context.Context, l *taxsms.RecipientList, entries []ListEntry) error {
	if err := taxsms.CheckListName(l.Name); err != nil {
		return err
	}
	if len(entries) == 0 {
		return taxsms.Invalid("entries", "the list is empty")
	}
	if a, ok := auth.FromContext(ctx); ok && a.UserID != 0 {
		l.AuthorID = a.UserID
	}
	now := db.Now().UTC().Truncate(time.Millisecond)
	return db.inTx(ctx, func(tx *sql.Tx) error {
		if err := db.checkWrite(ctx, tx, auth.DataMessages, "recipient list", l.OfficeID, l.AuthorID); err != nil {
			return err
		}
		l.Taxpayers, l.Numbers = 0, 0
		for _, e := range entries {
			if e.TaxpayerID != 0 {
				l.Taxpayers++
			} else {
				l.Numbers++
			}
		}
		if err := tx.QueryRowContext(ctx, db.q("InsertRecipientList"), l.OfficeID, nullID(l.AuthorID), l.Name, l.Taxpayers, l.Numbers, ms(now)).Scan(&l.ID); err != nil {
			return db.d.mapError(err)
		}
		l.CreatedAt = now
		scope, sargs := taxpayerScope(ctx, false)
		ins := &batcher{ctx: ctx, db: db, tx: tx, name: "InsertRecipientListEntry"}
		defer ins.close()
		for i, e := range entries {
			if e.TaxpayerID != 0 {
				var one int
				err := tx.QueryRowContext(ctx, db.rebind("SELECT 1 FROM taxpayers t WHERE t.id = ? AND "+scope), append([]any{e.TaxpayerID}, sargs...)...).Scan(&one)
				if errors.Is(err, sql.ErrNoRows) {
					return taxsms.Invalid("entries", "row %d: taxpayer %d not found", i+1, e.TaxpayerID)
				} else if err != nil {
					return err
				}
				if err := ins.add(l.ID, i+1, e.TaxpayerID, nil, nil, ""); err != nil {
					return err
				}
				continue
			}
			m, err := taxsms.NormalizeMobile(e.Mobile)
			if err != nil {
				return taxsms.Invalid("entries", "row %d: %s", i+1, taxsms.ErrorMessage(err))
			}
			enc, hash, mask := db.sealMobile(m)
			if err := ins.add(l.ID, i+1, nil, enc, hash, mask); err != nil {
				return err
			}
		}
		if err := ins.flush(); err != nil {
			return db.d.mapError(err)
		}
		return db.appendAudit(ctx, tx, db.entry(ctx, audit.Imported, audit.Object{Type: "recipient_list", ID: strconv.FormatInt(l.ID, 10)},
			nil, nil, fmt.Sprintf("recipient list %q: %d taxpayers, %d numbers", l.Name, l.Taxpayers, l.Numbers)))
	})
}

// FindRecipientList returns an uploaded list in the actor's read scope, or
// ENOTFOUND.
func (db *DB) FindRecipientList(ctx context.Context, id int64) (*taxsms.RecipientList, error) {
	return db.findRecipientList(ctx, db.db, id)
}

func (db *DB) findRecipientList(ctx context.Context, q querier, id int64) (*taxsms.RecipientList, error) {
	var l taxsms.RecipientList
	var created int64
	err := q.QueryRowContext(ctx, db.q("SelectRecipientList"), id).Scan(&l.ID, &l.OfficeID, &l.AuthorID, &l.Name, &l.Taxpayers, &l.Numbers, &created)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, taxsms.Errorf(taxsms.ENOTFOUND, "recipient list %d not found", id)
	} else if err != nil {
		return nil, err
	}
	l.CreatedAt = fromMS(created)
	s := auth.AccessFrom(ctx, auth.DataMessages).Read
	if s.Level != auth.LevelAll {
		o, err := db.findOffice(ctx, q, db.q("SelectOffice"), l.OfficeID)
		if err != nil {
			return nil, err
		}
		if !s.Contains(o.Path, l.AuthorID) {
			return nil, taxsms.Errorf(taxsms.ENOTFOUND, "recipient list %d not found", id)
		}
	}
	return &l, nil
}
