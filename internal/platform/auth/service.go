package auth

import (
	"context"
	"embed"
	"sync"
	"time"

	"kessai/internal/platform/clock"
	"kessai/internal/platform/db"
)

//go:embed migrations
var migrationsFS embed.FS

// Migrations creates the users, sessions, api_keys and login_attempts tables.
var Migrations = db.Migrations{Module: "auth", FS: migrationsFS}

// Event is one change for the audit log. It has the fields of audit.Entry so the app can pass
// (*audit.Log).RecordEvent as the Service's AuditFunc (audit imports auth, not the reverse).
type Event struct {
	Action     string
	RecordType string
	RecordID   string
	Before     any
	After      any
	Note       string
}

// AuditFunc writes e in q, the transaction of the change.
type AuditFunc func(ctx context.Context, q db.Querier, e Event) error

// Service manages users, sessions, login throttling and API keys.
type Service struct {
	DB    *db.DB
	Clock clock.Clock
	Audit AuditFunc // nil records nothing (tests of this package)

	// SessionTTL is a session's absolute lifetime; IdleTimeout ends it earlier when unused.
	SessionTTL  time.Duration
	IdleTimeout time.Duration
	Throttle    Throttle

	params    hashParams
	dummyOnce sync.Once
	dummy     string
}

// NewService returns a Service with the default lifetimes and throttling rules.
func NewService(d *db.DB, c clock.Clock, audit AuditFunc) *Service {
	return &Service{
		DB:          d,
		Clock:       c,
		Audit:       audit,
		SessionTTL:  12 * time.Hour,
		IdleTimeout: 2 * time.Hour,
		Throttle:    DefaultThrottle,
		params:      defaultParams,
	}
}

func (s *Service) now() time.Time { return s.Clock.Now().UTC().Truncate(time.Microsecond) }

func (s *Service) record(ctx context.Context, q db.Querier, e Event) error {
	if s.Audit == nil {
		return nil
	}
	return s.Audit(ctx, q, e)
}

func (s *Service) hash(password string) (string, error) { return hashWith(s.params, password) }

// dummyHash is checked when the email is unknown, so that a wrong email takes as long as a
// wrong password and does not reveal which emails exist.
func (s *Service) dummyHash() string {
	s.dummyOnce.Do(func() { s.dummy, _ = s.hash("kessai-dummy-password") })
	return s.dummy
}
