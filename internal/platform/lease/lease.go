// Package lease gives one process at a time, across every kessai instance sharing the
// database, a piece of work that must not run twice at once — rotating a provider's refresh
// token, where the second rotation would use a refresh token the first just killed. A lease
// expires, so a holder that dies does not block the others for longer than its TTL; whoever
// takes an expired lease that was never released learns so (TookOver), because the work it
// guarded may have been left half done.
package lease

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"time"

	"kessai/internal/platform/clock"
	"kessai/internal/platform/db"
)

//go:embed migrations
var migrationsFS embed.FS

// Migrations creates the leases table.
var Migrations = db.Migrations{Module: "lease", FS: migrationsFS}

// Lease is one held lease.
type Lease struct {
	Name, Holder string
	// TookOver is true when the previous holder's lease expired without being released: it
	// probably died in the middle of the work.
	TookOver bool
}

// Leases takes and releases leases in d. Times are on the wall clock: a lease is a safety
// timeout, which the movable sandbox clock must not shorten.
type Leases struct {
	db    *db.DB
	clock clock.Clock
	// Poll is how often Wait tries again (100 ms).
	Poll time.Duration
}

// New returns the leases of d, timed by c (clock.System in production).
func New(d *db.DB, c clock.Clock) *Leases {
	return &Leases{db: d, clock: c, Poll: 100 * time.Millisecond}
}

// ErrBusy is returned by Wait when another holder kept the lease until ctx ended.
var ErrBusy = errors.New("lease: held by another process")

// TryTake takes name for holder for ttl if it is free (never taken, released, or expired) and
// reports whether it did.
func (l *Leases) TryTake(ctx context.Context, name, holder string, ttl time.Duration) (Lease, bool, error) {
	now := l.clock.Now().UTC().Truncate(time.Microsecond)
	var le Lease
	taken := false
	err := l.db.InTx(ctx, func(tx *db.Tx) error {
		res, err := tx.ExecContext(ctx, `INSERT INTO leases (name, holder, expires_at, released) VALUES (?, ?, ?, FALSE)
			ON CONFLICT (name) DO NOTHING`, name, holder, now.Add(ttl))
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 1 {
			le.Name, le.Holder, taken = name, holder, true
			return nil
		}
		var expires time.Time
		var released bool
		if err := tx.QueryRowContext(ctx, `SELECT expires_at, released FROM leases WHERE name = ?`+db.ForUpdate(tx.Dialect()), name).
			Scan(&expires, &released); err != nil {
			return err
		}
		if !released && now.Before(expires.UTC()) {
			return nil // held
		}
		if _, err := tx.ExecContext(ctx, `UPDATE leases SET holder = ?, expires_at = ?, released = FALSE WHERE name = ?`, holder, now.Add(ttl), name); err != nil {
			return err
		}
		le.Name, le.Holder, le.TookOver, taken = name, holder, !released, true
		return nil
	})
	if err != nil {
		return Lease{}, false, fmt.Errorf("lease %s: take: %w", name, err)
	}
	return le, taken, nil
}

// Wait takes name, trying again every Poll until it is free or ctx ends (then ErrBusy).
func (l *Leases) Wait(ctx context.Context, name, holder string, ttl time.Duration) (Lease, error) {
	for {
		le, ok, err := l.TryTake(ctx, name, holder, ttl)
		if err != nil && ctx.Err() != nil {
			// ctx ended inside the attempt (a slow commit): the caller does not hold the
			// lease as far as it knows, which is ErrBusy; a take that did commit lapses
			// after its TTL like a dead holder's.
			return Lease{}, fmt.Errorf("lease %s: %w (%v)", name, ErrBusy, err)
		}
		if err != nil || ok {
			return le, err
		}
		t := time.NewTimer(l.Poll)
		select {
		case <-ctx.Done():
			t.Stop()
			return Lease{}, fmt.Errorf("lease %s: %w (%v)", name, ErrBusy, ctx.Err())
		case <-t.C:
		}
	}
}

// Release gives the lease back, if le still holds it.
func (l *Leases) Release(ctx context.Context, le Lease) error {
	_, err := l.db.ExecContext(ctx, `UPDATE leases SET released = TRUE WHERE name = ? AND holder = ?`, le.Name, le.Holder)
	if err != nil {
		return fmt.Errorf("lease %s: release: %w", le.Name, err)
	}
	return nil
}
