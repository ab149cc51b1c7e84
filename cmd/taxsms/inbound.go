package main

import (
	"context"
	"sync"
	"time"

	"taxsms/invoice"
	"taxsms/kb"
	"taxsms/store"
)

// invoices answers SMS invoice checks from the store's registry.
type invoices struct{ db *store.DB }

func (iv invoices) CheckInvoice(ctx context.Context, text string) string {
	q, err := invoice.Parse(text)
	if err != nil {
		return invoice.Answer(q, nil, err, "zh")
	}
	r, err := iv.db.LookupInvoice(ctx, q)
	return invoice.Answer(q, r, err, "zh")
}

// kbRefresh is how old the knowledge base's index may grow before it is
// built again from the store, so that edits reach the answers.
const kbRefresh = time.Minute

// answers answers tax questions from the knowledge base kept in the store
// (the built-in FAQ while it is empty).
type answers struct {
	db *store.DB

	mu    sync.Mutex
	index *kb.Index
	built time.Time
}

func (a *answers) AnswerQuestion(text string) (string, bool) {
	m, ok := a.current().Match(text)
	if !ok {
		return "", false
	}
	return m.Entry.Answer, true
}

// current returns the index, built again when older than kbRefresh; if the
// store cannot be read, the last index stands.
func (a *answers) current() *kb.Index {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.index != nil && time.Since(a.built) < kbRefresh {
		return a.index
	}
	entries, err := a.db.KBEntries(context.Background())
	switch {
	case err != nil && a.index != nil:
		return a.index
	case err != nil || len(entries) == 0:
		entries = kb.Default()
	}
	a.index, a.built = kb.NewIndex(entries, kb.Options{}), time.Now()
	return a.index
}
