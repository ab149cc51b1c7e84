package store

import (
	"context"
	"database/sql"
	"strconv"
	"strings"
	"time"

	"taxsms"
	"taxsms/auth"
)

// SendGroup is one send by a member of staff, as supervision sees it
// (Art. 9-10): the messages of one broadcast (CampaignID set), or those of
// one author, office, day and kind sent outside a broadcast.
type SendGroup struct {
	OfficeID   int64
	AuthorID   int64
	Login      string // the author's login, "" if the actor may not read the author
	Author     string // the author's name, likewise
	CampaignID int64  // 0: not a broadcast
	Day        taxsms.Date
	Kind       taxsms.Kind
	First      time.Time // when its first message was created
	Last       time.Time // and its last
	Recipients int       // messages, one a recipient
	Segments   int
	Delivered  int
	Failed     int // failed, rejected or expired
	Waiting    int // neither delivered nor failed yet (held and cancelled included)
	// OutsideHours counts its messages created outside the working hours
	// of their office (as the caller's classifier decides).
	OutsideHours int
	// A broadcast's title and flags, read from the campaign: sent at once
	// as an emergency whatever the hour, and let go despite the
	// content check by an approver's override, each with its
	// reason. Zero for a group that is not a broadcast.
	CampaignTitle   string
	Emergency       bool
	EmergencyReason string
	Override        bool
	OverrideReason  string
	OverrideBy      int64 // the approver who overrode the check
}

// Flagged reports whether the send is to stand out: some of it outside
// working hours, an emergency, or a content-check override.
func (g *SendGroup) Flagged() bool { return g.OutsideHours > 0 || g.Emergency || g.Override }

// Supervision returns what staff sent from from (included) to to
// (excluded) in the actor's scope of messages (and subtree): groups of
// messages with an author, by office, author, then broadcast or day (in
// loc) and kind, in the order of their first message. An author the actor
// may not read as a user (one of another office who sent on behalf of
// this one) is given by id only. inHours, if not nil,
// tells whether a message of an office created at an instant was within
// its working hours; the others are counted in OutsideHours. It is called
// once the messages are read, so it may read the store itself. Broadcasts
// carry their campaign's title, emergency and override.
//
// It holds one instant per message of the range while it classifies them:
// about 8 MB for a million messages sent by staff.
func (db *DB) Supervision(ctx context.Context, subtree int64, from, to time.Time, loc *time.Location, inHours func(officeID int64, at time.Time) bool) ([]SendGroup, error) {
	lo, hi, err := db.idRange(ctx, from, to)
	if err != nil || lo == 0 {
		return nil, err
	}
	q, args, err := db.reportQuery(ctx, "ReportSupervision", auth.DataMessages, subtree)
	if err != nil {
		return nil, err
	}
	rows, err := db.db.QueryContext(ctx, q, append([]any{lo, hi, ms(from), ms(to)}, args...)...)
	if err != nil {
		return nil, err
	}
	type key struct {
		office, author, campaign int64
		day                      taxsms.Date
		kind                     taxsms.Kind
	}
	index := make(map[key]int)
	var out []SendGroup
	var created [][]int64 // per group, its messages' creation instants
	for rows.Next() {
		var office, author, campaign, at int64
		var kind, status string
		var segments int
		if err := rows.Scan(&office, &author, &campaign, &kind, &status, &segments, &at); err != nil {
			rows.Close()
			return nil, err
		}
		t := fromMS(at)
		k := key{office: office, author: author, campaign: campaign, kind: taxsms.Kind(kind)}
		if campaign == 0 {
			k.day = taxsms.DateOf(t.In(loc))
		}
		i, ok := index[k]
		if !ok {
			i = len(out)
			index[k] = i
			out = append(out, SendGroup{OfficeID: office, AuthorID: author, CampaignID: campaign,
				Day: taxsms.DateOf(t.In(loc)), Kind: k.kind, First: t})
			created = append(created, nil)
		}
		g := &out[i]
		g.Last = t
		g.Recipients++
		g.Segments += segments
		switch taxsms.Status(status) {
		case taxsms.StatusDelivered:
			g.Delivered++
		case taxsms.StatusFailed, taxsms.StatusRejected, taxsms.StatusExpired:
			g.Failed++
		default:
			g.Waiting++
		}
		if inHours != nil {
			created[i] = append(created[i], at)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	// Classified after the rows are closed: the classifier may read each
	// office's hours, which needs a connection of its own.
	if inHours != nil {
		for i := range out {
			for _, at := range created[i] {
				if !inHours(out[i].OfficeID, fromMS(at)) {
					out[i].OutsideHours++
				}
			}
		}
	}
	if err := db.authorNames(ctx, out); err != nil {
		return nil, err
	}
	return out, db.campaignFlags(ctx, out)
}

// inList returns ids as a list of integers for an IN (...) clause.
func inList(ids []int64) string {
	var b strings.Builder
	for j, id := range ids {
		if j > 0 {
			b.WriteByte(',')
		}
		b.WriteString(strconv.FormatInt(id, 10))
	}
	return b.String()
}

// eachBatch calls f with the ids, at most 500 at a time.
func eachBatch(ids []int64, f func(batch []int64) error) error {
	const batch = 500
	for len(ids) > 0 {
		n := min(batch, len(ids))
		if err := f(ids[:n]); err != nil {
			return err
		}
		ids = ids[n:]
	}
	return nil
}

// authorNames sets the login and name of the groups' authors whom the
// actor may read as users; the others keep only their id, so that
// supervision names no one the actor's scope of users leaves out.
func (db *DB) authorNames(ctx context.Context, groups []SendGroup) error {
	at := make(map[int64][]int)
	var ids []int64
	for i, g := range groups {
		if _, ok := at[g.AuthorID]; !ok {
			ids = append(ids, g.AuthorID)
		}
		at[g.AuthorID] = append(at[g.AuthorID], i)
	}
	read := auth.AccessFrom(ctx, auth.DataUsers).Read
	return eachBatch(ids, func(batch []int64) error {
		rows, err := db.db.QueryContext(ctx, strings.Replace(db.q("ReportAuthors"), "{{IDS}}", inList(batch), 1))
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var id int64
			var login, name, path string
			if err := rows.Scan(&id, &login, &name, &path); err != nil {
				return err
			}
			if !read.Contains(path, id) {
				continue
			}
			for _, i := range at[id] {
				groups[i].Login, groups[i].Author = login, name
			}
		}
		return rows.Err()
	})
}

// campaignFlags sets the title, emergency and override of the broadcasts
// among groups, read in batches of their campaigns' ids.
func (db *DB) campaignFlags(ctx context.Context, groups []SendGroup) error {
	at := make(map[int64][]int)
	var ids []int64
	for i, g := range groups {
		if g.CampaignID == 0 {
			continue
		}
		if _, ok := at[g.CampaignID]; !ok {
			ids = append(ids, g.CampaignID)
		}
		at[g.CampaignID] = append(at[g.CampaignID], i)
	}
	return eachBatch(ids, func(batch []int64) error {
		rows, err := db.db.QueryContext(ctx, strings.Replace(db.q("ReportCampaignFlags"), "{{IDS}}", inList(batch), 1))
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var id int64
			var title, eReason, oReason string
			var emergency int
			var overrideBy sql.NullInt64
			if err := rows.Scan(&id, &title, &emergency, &eReason, &overrideBy, &oReason); err != nil {
				return err
			}
			for _, i := range at[id] {
				g := &groups[i]
				g.CampaignTitle, g.Emergency, g.EmergencyReason = title, emergency != 0, eReason
				g.Override, g.OverrideBy, g.OverrideReason = overrideBy.Valid, overrideBy.Int64, oReason
			}
		}
		return rows.Err()
	})
}
