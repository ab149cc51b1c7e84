package main

import (
	"context"
	"time"

	"taxsms/audit"
	"taxsms/store"
)

// retentionEvery is how often a node looks whether retention is due.
const retentionEvery = time.Hour

// runRetention applies the retention once a day, on the node that holds
// its lock, until ctx ends: audit records older than the audit period go
// (store.PruneAudit keeps the chain verifiable), and the text of messages
// older than the message period is erased (store.PruneMessageContent).
func runRetention(ctx context.Context, m *Main, r audit.Retention, lock *store.Lock) {
	var done string // the day retention last ran here
	t := time.NewTicker(retentionEvery)
	defer t.Stop()
	for {
		if day := time.Now().In(m.Location).Format(time.DateOnly); day != done {
			if held, err := lock.Hold(ctx); err != nil && ctx.Err() == nil {
				m.Logger.Warn("retention: lock", "err", err)
			} else if held {
				auditCut, contentCut := r.Cutoffs(m.DB.Now())
				n, err := m.DB.PruneAudit(ctx, auditCut)
				if err == nil {
					var e int64
					e, err = m.DB.PruneMessageContent(ctx, contentCut)
					if n > 0 || e > 0 {
						m.Logger.Info("retention", "audit_records_removed", n, "message_texts_erased", e)
					}
				}
				if err != nil && ctx.Err() == nil {
					m.Logger.Error("retention", "err", err)
				} else if err == nil {
					done = day
				}
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
