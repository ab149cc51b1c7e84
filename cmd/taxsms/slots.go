package main

import (
	"context"
	"fmt"
	"time"

	"taxsms"
	"taxsms/carrier"
	"taxsms/store"
)

// slots leases the carrier links' connection slots in the database, for
// one node: the carrier.Slots of nodes sharing a PostgreSQL database.
type slots struct {
	db   *store.DB
	node string
}

func (s slots) Acquire(ctx context.Context, link string, max int, lease time.Duration) (int, bool, error) {
	return s.db.AcquireSlot(ctx, link, max, s.node, lease)
}

// Renew reports a lease that lapsed or was taken as carrier.ErrSlotLost.
func (s slots) Renew(ctx context.Context, link string, slot int, lease time.Duration) error {
	err := s.db.RenewSlot(ctx, link, slot, s.node, lease)
	if taxsms.ErrorCode(err) == taxsms.ENOTFOUND {
		return fmt.Errorf("%w: %s", carrier.ErrSlotLost, taxsms.ErrorMessage(err))
	}
	return err
}

func (s slots) Release(ctx context.Context, link string, slot int) error {
	return s.db.ReleaseSlot(ctx, link, slot, s.node)
}

// leaseSlots makes the links lease their connection slots in the database
// when it is PostgreSQL, where several nodes may share the carrier
// accounts; it first frees the slots this node's name held in its previous
// run, whose sessions died with it. On SQLite one node runs, and each
// link's connections are its limit: no slots are leased.
func (m *Main) leaseSlots(ctx context.Context, opts *carrier.Options) error {
	if m.DB.Engine() != "postgres" || opts.Slots != nil {
		return nil
	}
	n, err := m.DB.ReleaseNodeSlots(ctx, m.Config.Node)
	if err != nil {
		return fmt.Errorf("free the connection slots of this node's previous run: %w", err)
	}
	if n > 0 {
		m.Logger.Info("freed the connection slots of this node's previous run", "slots", n)
	}
	opts.Slots, opts.SlotLease = slots{db: m.DB, node: m.Config.Node}, m.Config.SlotLease
	return nil
}
