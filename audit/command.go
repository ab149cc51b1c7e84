package audit

import (
	"context"
	"fmt"
	"io"
)

// Chain is what RunVerify needs of the store that keeps the records.
type Chain interface {
	// VerifyAudit checks the stored chain from its anchor, as VerifyFrom.
	VerifyAudit(ctx context.Context) (checked int, firstBroken *Broken, err error)
	// AuditHead returns the seq and hash of the newest record.
	AuditHead(ctx context.Context) (Anchor, error)
}

// RunVerify is the command "taxsms audit verify". It checks the chain and
// writes to w either
//
//	audit chain verified: N records
//	head: record S, hash H
//
// and returns nil, or
//
//	audit chain broken at record N: <why>
//
// and returns the *Broken. Any other error (the database failed) is returned
// as it is, with nothing written. Keep the head line somewhere else: it is
// what shows that records were removed from the end, or the chain rewritten.
func RunVerify(ctx context.Context, c Chain, w io.Writer) error {
	checked, broken, err := c.VerifyAudit(ctx)
	if err != nil {
		return fmt.Errorf("audit verify: %w", err)
	}
	if broken != nil {
		fmt.Fprintln(w, broken.Error())
		return broken
	}
	head, err := c.AuditHead(ctx)
	if err != nil {
		return fmt.Errorf("audit verify: %w", err)
	}
	fmt.Fprintf(w, "audit chain verified: %d records\nhead: record %d, hash %s\n", checked, head.Seq, head.Hash)
	return nil
}
