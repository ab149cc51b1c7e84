package store

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"sync"
	"time"
)

// Lock is a lock that one node at a time holds among those sharing the
// database, for work that must run on one node only: the schedulers.
//
// On PostgreSQL it is a session-level advisory lock (pg_try_advisory_lock)
// taken on a connection the Lock keeps out of the pool while it holds it:
// PostgreSQL releases it when that session ends, so the lock of a node that
// dies, or loses its connection, passes to another node as soon as the
// server notices (at once for a process killed on a live host; after the
// server's TCP keep-alive for a host that vanished). On SQLite, where one
// node runs, every Lock is always held.
//
// A Lock is safe for concurrent use.
type Lock struct {
	db   *DB
	name string

	mu   sync.Mutex
	conn *sql.Conn // the session holding the lock; nil while not held
}

// Lock returns the lock called name, not yet held. On PostgreSQL the lock
// is the schema's: databases in schemas of their own do not share it.
func (db *DB) Lock(name string) *Lock {
	return &Lock{db: db, name: name}
}

// Hold reports whether this node holds the lock now, taking it if it is
// free. A node that held it checks that its session still answers; if it
// does not, the lock is lost (the server has released it or will), Hold
// reports false with the error, and the next call tries to take it again.
// An error otherwise means the database did not answer.
func (l *Lock) Hold(ctx context.Context) (bool, error) {
	if l.db.d.tryLock == "" {
		return true, nil
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.conn != nil {
		if err := l.conn.PingContext(ctx); err != nil {
			l.discard()
			return false, err
		}
		return true, nil
	}
	conn, err := l.db.db.Conn(ctx)
	if err != nil {
		return false, err
	}
	var held bool
	if err := conn.QueryRowContext(ctx, l.db.d.tryLock, l.name).Scan(&held); err != nil || !held {
		conn.Close()
		return false, err
	}
	l.conn = conn
	return true, nil
}

// Release gives the lock up if this node holds it: the session unlocks it,
// so that another node may take it as soon as Release returns, and is
// closed. The Lock may be held again afterwards.
func (l *Lock) Release() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.conn == nil {
		return nil
	}
	// Closing the session would release the lock too, but only once the
	// server has ended it, after Release returns.
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_, err := l.conn.ExecContext(ctx, l.db.d.unlockAll)
	l.discard()
	return err
}

// discard closes the session of the lock rather than returning it to the
// pool, where another caller would hold the lock unknowingly.
func (l *Lock) discard() {
	l.conn.Raw(func(any) error { return driver.ErrBadConn })
	l.conn.Close()
	l.conn = nil
}
