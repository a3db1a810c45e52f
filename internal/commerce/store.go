package commerce

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"kessai/internal/platform/audit"
	"kessai/internal/platform/clock"
	"kessai/internal/platform/db"
	"kessai/internal/platform/errs"
)

// Store reads and writes the commerce records. Every create and update runs in one transaction
// with its audit entry and, for new records, the counter that numbers it.
//
// Concurrency: updates are optimistic. Each record has a version; an update names the version
// it was based on and fails with errs.Conflict if someone saved in between. Inside the
// transaction the row is read with FOR UPDATE on PostgreSQL (SQLite's immediate transaction
// already holds the write lock), so the check and the write cannot interleave.
type Store struct {
	db    *db.DB
	clock clock.Clock
	audit *audit.Log
	// ext are the rooms' list extensions (registered while wiring, read after).
	ext []ListExtension
	// payments are the rooms' payment handlers by method (registered while wiring).
	payments map[string]*PaymentHandler
	// imports runs large CSV imports as jobs (UseImportQueue); nil runs them in the request.
	imports *importQueue
	// orderExports and orderImports are the rooms' order CSV templates and data kinds.
	orderExports []OrderExport
	orderImports []OrderImport
}

// NewStore returns a store over d; a is the audit log every change is recorded in.
func NewStore(d *db.DB, c clock.Clock, a *audit.Log) *Store {
	if a == nil {
		a = &audit.Log{Now: c.Now}
	}
	return &Store{db: d, clock: c, audit: a}
}

// DB is the database the store writes to, for rooms that join their tables with ours.
func (s *Store) DB() *db.DB { return s.db }

// now is the store's clock in UTC, truncated to what PostgreSQL keeps, so a record returned by a
// create equals the one read back.
func (s *Store) now() time.Time { return s.clock.Now().UTC().Truncate(time.Microsecond) }

// today is the JST business date of now.
func (s *Store) today() string { return clock.Today(s.clock).Format(dateLayout) }

// Also runs inside a create's transaction after the insert, with the new record's ID; its
// error rolls the create back. The pages claim a form's one-time token this way.
type Also func(ctx context.Context, tx *db.Tx, id string) error

// runAlso calls each of also with id.
func runAlso(ctx context.Context, tx *db.Tx, id string, also []Also) error {
	for _, f := range also {
		if err := f(ctx, tx, id); err != nil {
			return err
		}
	}
	return nil
}

// Counter names, and the formats of the numbers they produce.
const (
	counterCustomer     = "customer"
	counterSubscription = "subscription"
	counterCasePrefix   = "case:"  // + kind
	counterOrderPrefix  = "order:" // + shop code
)

// reserve advances counter name by n and returns the first of the n reserved values. It runs
// in the caller's transaction, so numbers are gap-free: a rolled-back insert gives its number
// back.
func reserve(ctx context.Context, tx *db.Tx, name string, n int) (int64, error) {
	var last int64
	err := tx.QueryRowContext(ctx, `INSERT INTO counters (name, value) VALUES (?, ?)
		ON CONFLICT (name) DO UPDATE SET value = counters.value + excluded.value
		RETURNING value`, name, int64(n)).Scan(&last)
	if err != nil {
		return 0, fmt.Errorf("counter %s: %w", name, err)
	}
	return last - int64(n) + 1, nil
}

// conflict is the error for an update based on an old version.
func conflict(what, id string) error {
	return errs.Conflict(fmt.Sprintf("%sは他の操作で更新されています。画面を読み込み直してから、もう一度操作してください", what)).
		Wrap(fmt.Errorf("%s %s: stale version", what, id))
}

func notFound(what, id string) error {
	return errs.NotFound(fmt.Sprintf("%sが見つかりません（%s）", what, id)).Wrap(db.ErrNotFound)
}

// isForeignKeyViolation reports whether err is a foreign-key violation on either engine.
func isForeignKeyViolation(err error) bool {
	if err == nil {
		return false
	}
	s := err.Error()
	return strings.Contains(s, "FOREIGN KEY constraint failed") || strings.Contains(s, "SQLSTATE 23503")
}

// IsNotFound reports whether err means the record does not exist.
func IsNotFound(err error) bool {
	return errors.Is(err, db.ErrNotFound) || errs.KindOf(err) == errs.KindNotFound
}

// checkVersion compares the version an editor read with the stored one.
func checkVersion(what, id string, want, have int) error {
	if want == 0 {
		return errs.Invalid("更新には version（読み込んだときの版）が必要です").Field("version", "読み込んだときの version を送ってください")
	}
	if want != have {
		return conflict(what, id)
	}
	return nil
}
