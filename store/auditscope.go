package store

import (
	"context"
	"iter"
	"strings"

	"taxsms"
	"taxsms/audit"
	"taxsms/auth"
)

// ListAuditInScope is ListAudit within ctx's actor's read scope of the audit
// archive (auth.DataAudit): every record for an actor who reads it all (city
// administrators, auditors, the system); for a subtree (branch
// administrators), the records whose actor is a user of an office of the
// subtree. An actor who may read none of it is EFORBIDDEN.
func (db *DB) ListAuditInScope(ctx context.Context, f audit.Filter) ([]audit.Entry, error) {
	cond, cargs, err := auditScope(ctx)
	if err != nil {
		return nil, err
	}
	where, args := auditWhere(f)
	if cond != "" {
		where, args = append(where, cond), append(args, cargs...)
	}
	if f.Before != 0 {
		where, args = append(where, "seq < ?"), append(args, f.Before)
	}
	q := db.q("AuditColumns")
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	q += " ORDER BY seq DESC LIMIT ?"
	return db.queryAudit(ctx, db.rebind(q), append(args, limit(f.Limit))...)
}

// ExportAuditInScope is ExportAudit within ctx's actor's read scope, as
// ListAuditInScope decides it; an actor who may read none of the archive
// gets EFORBIDDEN as the first (and only) value.
func (db *DB) ExportAuditInScope(ctx context.Context, f audit.Filter) iter.Seq2[audit.Entry, error] {
	cond, cargs, err := auditScope(ctx)
	if err != nil {
		return func(yield func(audit.Entry, error) bool) { yield(audit.Entry{}, err) }
	}
	where, args := auditWhere(f)
	if cond != "" {
		where, args = append(where, cond), append(args, cargs...)
	}
	q := db.rebind(db.q("AuditColumns") + " WHERE " + strings.Join(append(where, "seq > ?"), " AND ") + " ORDER BY seq LIMIT ?")
	return db.pages(ctx, func(after int64) ([]audit.Entry, error) {
		return db.queryAudit(ctx, q, append(args[:len(args):len(args)], after, auditPage)...)
	})
}

// auditScope returns the condition on audit records that ctx's actor's read
// scope of the archive adds ("" for all of it), or EFORBIDDEN.
func auditScope(ctx context.Context) (string, []any, error) {
	s := auth.AccessFrom(ctx, auth.DataAudit).Read
	switch s.Level {
	case auth.LevelAll:
		return "", nil, nil
	case auth.LevelSubtree:
		return "actor_id IN (SELECT u.id FROM users u JOIN offices o ON o.id = u.office_id WHERE o.path LIKE ?)", []any{s.Path + "%"}, nil
	}
	a, _ := auth.FromContext(ctx)
	return "", nil, taxsms.Errorf(taxsms.EFORBIDDEN, "%s may not read the audit archive", a)
}
