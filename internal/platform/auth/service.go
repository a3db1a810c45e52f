package auth

import (
	"context"
	"embed"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"kessai/internal/platform/clock"
	"kessai/internal/platform/db"
	"kessai/internal/platform/errs"
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
	// HashWait is how long a login waits for a hashing slot before it is told to retry (503).
	HashWait time.Duration

	params    hashParams
	dummyOnce sync.Once
	dummy     string

	// hashSlots bounds concurrent argon2id work: each check holds params.memory (64 MiB), so
	// 30 concurrent logins must not mean 2 GB. inHash and peakHash are for tests and metrics.
	hashSlots chan struct{}
	inHash    atomic.Int64
	peakHash  atomic.Int64
}

// HashConcurrency is how many password hashes run at once, for this machine's size: one per
// CPU Go may use (more would only queue for the CPU), never more than 4, as each holds 64 MiB
// (4 × 64 MiB is the most logins can take however many arrive). Logins beyond it wait (up to
// HashWait).
func HashConcurrency() int { return max(1, min(runtime.GOMAXPROCS(0), 4)) }

// DefaultHashWait is how long a login waits for a hashing slot before it is told to retry.
const DefaultHashWait = 10 * time.Second

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
		HashWait:    DefaultHashWait,
		hashSlots:   make(chan struct{}, HashConcurrency()),
	}
}

// acquireHash takes a hashing slot, waiting at most HashWait.
func (s *Service) acquireHash(ctx context.Context) (release func(), err error) {
	t := time.NewTimer(s.HashWait)
	defer t.Stop()
	select {
	case s.hashSlots <- struct{}{}:
	case <-ctx.Done():
		return nil, ctx.Err()
	case <-t.C:
		return nil, errs.E(errs.KindUnavailable, "ログインが混み合っています。少し待ってからもう一度お試しください")
	}
	n := s.inHash.Add(1)
	for {
		p := s.peakHash.Load()
		if n <= p || s.peakHash.CompareAndSwap(p, n) {
			break
		}
	}
	return func() { s.inHash.Add(-1); <-s.hashSlots }, nil
}

// PeakHashing is the most password hashes that ran at once since the service started.
func (s *Service) PeakHashing() int { return int(s.peakHash.Load()) }

// verify checks password against hash within a hashing slot.
func (s *Service) verify(ctx context.Context, hash, password string) (bool, error) {
	release, err := s.acquireHash(ctx)
	if err != nil {
		return false, err
	}
	defer release()
	return CheckPassword(hash, password)
}

func (s *Service) now() time.Time { return s.Clock.Now().UTC().Truncate(time.Microsecond) }

func (s *Service) record(ctx context.Context, q db.Querier, e Event) error {
	if s.Audit == nil {
		return nil
	}
	return s.Audit(ctx, q, e)
}

func (s *Service) hash(password string) (string, error) {
	release, err := s.acquireHash(context.Background())
	if err != nil {
		return "", err
	}
	defer release()
	return hashWith(s.params, password)
}

// dummyHash is checked when the email is unknown, so that a wrong email takes as long as a
// wrong password and does not reveal which emails exist.
func (s *Service) dummyHash() string {
	s.dummyOnce.Do(func() { s.dummy, _ = s.hash("kessai-dummy-password") })
	return s.dummy
}
