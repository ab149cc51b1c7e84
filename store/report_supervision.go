package store

import (
	"context"
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
	Login      string
	Author     string // the author's name
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
	// Emergency and Override are the broadcast's flags: sent at once as an
	// emergency, and sent despite the content check by an
	// approver's override. Supervision leaves them false; they are
	// read from the broadcast, for groups that are one.
	Emergency bool
	Override  bool
}

// Supervision returns what staff sent from from (included) to to
// (excluded) in the actor's scope of messages (and subtree): groups of
// messages with an author, by office, author, then broadcast or day (in
// loc) and kind, in the order of their first message. inHours, if not nil,
// tells whether a message of an office created at an instant was within
// its working hours; the others are counted in OutsideHours.
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
	defer rows.Close()
	type key struct {
		office, author, campaign int64
		day                      taxsms.Date
		kind                     taxsms.Kind
	}
	index := make(map[key]int)
	var out []SendGroup
	for rows.Next() {
		var office, author, campaign, created int64
		var login, name, kind, status string
		var segments int
		if err := rows.Scan(&office, &author, &login, &name, &campaign, &kind, &status, &segments, &created); err != nil {
			return nil, err
		}
		at := fromMS(created)
		k := key{office: office, author: author, campaign: campaign, kind: taxsms.Kind(kind)}
		if campaign == 0 {
			k.day = taxsms.DateOf(at.In(loc))
		}
		i, ok := index[k]
		if !ok {
			i = len(out)
			index[k] = i
			out = append(out, SendGroup{OfficeID: office, AuthorID: author, Login: login, Author: name, CampaignID: campaign,
				Day: taxsms.DateOf(at.In(loc)), Kind: k.kind, First: at})
		}
		g := &out[i]
		g.Last = at
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
		if inHours != nil && !inHours(office, at) {
			g.OutsideHours++
		}
	}
	return out, rows.Err()
}
