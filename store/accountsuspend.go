package store

import (
	"context"
	"database/sql"
	"fmt"

	"taxsms"
	"taxsms/audit"
	"taxsms/auth"
)

// SuspendOffice suspends (or, with suspend false, resumes) an office and its
// whole subtree at once (seed Art. 19), in one transaction: the sessions of
// every user of the subtree end, its API keys stop (APIKeyActor refuses
// them, as SessionActor refuses its users, while the office or one above it
// is suspended), the manual messages (those with an author) of the subtree
// and of its users that are not yet claimed are held, and the act is
// recorded as audit.Suspended or audit.Resumed with the reason. Resuming
// releases no message. It returns how many messages were held.
//
// ctx's actor must hold auth.PermManageOffices and may write the office
// (EFORBIDDEN); missing is ENOTFOUND; an office already in that state is
// ECONFLICT.
func (db *DB) SuspendOffice(ctx context.Context, officeID int64, suspend bool, reason string) (held int, err error) {
	a, _ := auth.FromContext(ctx)
	if err := a.Require(auth.PermManageOffices); err != nil {
		return 0, err
	}
	err = db.inTx(ctx, func(tx *sql.Tx) error {
		o, err := db.findOffice(ctx, tx, db.q("SelectOffice"), officeID)
		if err != nil {
			return err
		}
		if !auth.AccessFrom(ctx, auth.DataOffices).Read.Contains(o.Path, 0) {
			return taxsms.Errorf(taxsms.ENOTFOUND, "office %d not found", officeID)
		}
		if err := db.checkWrite(ctx, tx, auth.DataOffices, "office "+o.Code, o.ID, 0); err != nil {
			return err
		}
		if o.Suspended == suspend {
			state := "in force"
			if suspend {
				state = "suspended"
			}
			return taxsms.Errorf(taxsms.ECONFLICT, "office %s is already %s", o.Code, state)
		}
		before := officeRecord(o)
		if _, err := tx.ExecContext(ctx, db.q("SetOfficeSuspended"), boolInt(suspend), ms(db.Now()), o.ID, boolInt(suspend)); err != nil {
			return err
		}
		o.Suspended = suspend
		action := audit.Resumed
		if suspend {
			action = audit.Suspended
			if held, err = db.suspendSubtree(ctx, tx, o, reason); err != nil {
				return err
			}
		}
		return db.appendAudit(ctx, tx, db.entry(ctx, action, officeObject(o.ID), before, officeRecord(o),
			fmt.Sprintf("%s; %d queued messages held", reason, held)))
	})
	return held, err
}

// suspendSubtree ends the sessions of the users of o's subtree and holds
// its manual messages not yet claimed, returning how many were held.
func (db *DB) suspendSubtree(ctx context.Context, tx *sql.Tx, o *taxsms.Office, reason string) (int, error) {
	like := o.Path + "%"
	if _, err := tx.ExecContext(ctx, db.q("DeleteSubtreeSessions"), like); err != nil {
		return 0, err
	}
	detail := "office " + o.Code + " suspended: " + reason
	held := 0
	// Manual messages on behalf of the subtree, whoever wrote them.
	authors, err := db.ids(ctx, tx, db.q("SelectWaitingAuthors"), like, like)
	if err != nil {
		return 0, err
	}
	for _, id := range authors {
		n, err := db.changeWaiting(ctx, tx, Selector{AuthorID: id, Subtree: o.ID}, taxsms.StatusHeld, detail)
		if err != nil {
			return 0, err
		}
		held += n
	}
	// Those its users wrote, wherever they go.
	users, err := db.ids(ctx, tx, db.q("SelectWaitingSubtreeAuthors"), like, like)
	if err != nil {
		return 0, err
	}
	for _, id := range users {
		n, err := db.changeWaiting(ctx, tx, Selector{AuthorID: id}, taxsms.StatusHeld, detail)
		if err != nil {
			return 0, err
		}
		held += n
	}
	return held, nil
}

// ids returns the first column of the rows of query.
func (db *DB) ids(ctx context.Context, tx *sql.Tx, query string, args ...any) ([]int64, error) {
	rows, err := tx.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		out = append(out, id)
	}
	return out, rows.Err()
}
