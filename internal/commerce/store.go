package commerce

import (
	"kessai/internal/platform/audit"
	"kessai/internal/platform/clock"
	"kessai/internal/platform/db"
)

// Store reads and writes the commerce records. Every create and update runs in one transaction
// with its audit entry and, for new records, the counter that numbers it.
type Store struct {
	db    *db.DB
	clock clock.Clock
	audit *audit.Log
}

// NewStore returns a store over d; a is the audit log every change is recorded in.
func NewStore(d *db.DB, c clock.Clock, a *audit.Log) *Store {
	return &Store{db: d, clock: c, audit: a}
}

// DB is the database the store writes to, for rooms that join their tables with ours.
func (s *Store) DB() *db.DB { return s.db }
