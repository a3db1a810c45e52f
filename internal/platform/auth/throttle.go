package auth

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"kessai/internal/platform/db"
)

// Throttle limits password guessing: after PerEmail failed logins for one email (or PerIP from
// one address — higher, because an office shares one address) within Window, further attempts
// are refused for Window after the last of those failures. Refused attempts don't extend the
// lock. A successful login clears the count for its email.
type Throttle struct {
	PerEmail int
	PerIP    int
	Window   time.Duration
}

// DefaultThrottle is 5 failures per email or 20 per IP address in 15 minutes.
var DefaultThrottle = Throttle{PerEmail: 5, PerIP: 20, Window: 15 * time.Minute}

// Login attempt outcomes, stored in login_attempts.reason and the audit note.
const (
	reasonOK        = "ok"
	reasonUnknown   = "unknown_email"
	reasonBadPass   = "bad_password"
	reasonDisabled  = "disabled"
	reasonThrottled = "throttled"
)

// lockedUntil returns when attempts for email or ip may resume, or the zero time when they are
// not throttled now.
func (s *Service) lockedUntil(ctx context.Context, email, ip string, now time.Time) (time.Time, error) {
	// A lock lasts Window after a run of failures that itself spans up to Window.
	since := now.Add(-2 * s.Throttle.Window)
	var lastOK time.Time
	err := s.DB.QueryRowContext(ctx, `SELECT at FROM login_attempts WHERE email = ? AND success = ? ORDER BY at DESC LIMIT 1`,
		email, true).Scan(&lastOK)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return time.Time{}, fmt.Errorf("login throttle: %w", err)
	}
	emailSince := since
	if lastOK.After(emailSince) {
		emailSince = lastOK
	}
	until, err := s.lockedBy(ctx, `email = ?`, email, emailSince, now, s.Throttle.PerEmail)
	if err != nil || !until.IsZero() || ip == "" {
		return until, err
	}
	return s.lockedBy(ctx, `ip = ?`, ip, since, now, s.Throttle.PerIP)
}

// lockedBy looks at the newest limit failures matching cond since since: when there are limit
// of them within one window, the lock lasts for the window after the newest.
func (s *Service) lockedBy(ctx context.Context, cond, arg string, since, now time.Time, limit int) (time.Time, error) {
	if limit <= 0 {
		return time.Time{}, nil
	}
	rows, err := s.DB.QueryContext(ctx, `SELECT at FROM login_attempts
		WHERE `+cond+` AND success = ? AND reason <> ? AND at > ? ORDER BY at DESC LIMIT ?`,
		arg, false, reasonThrottled, since, limit)
	if err != nil {
		return time.Time{}, fmt.Errorf("login throttle: %w", err)
	}
	defer rows.Close()
	var n int
	var newest, oldest time.Time
	for rows.Next() {
		if err := rows.Scan(&oldest); err != nil {
			return time.Time{}, fmt.Errorf("login throttle: %w", err)
		}
		if n == 0 {
			newest = oldest
		}
		n++
	}
	if err := rows.Err(); err != nil {
		return time.Time{}, fmt.Errorf("login throttle: %w", err)
	}
	until := newest.Add(s.Throttle.Window)
	if n < limit || newest.Sub(oldest) > s.Throttle.Window || !now.Before(until) {
		return time.Time{}, nil
	}
	return until, nil
}

func insertAttempt(ctx context.Context, q db.Querier, email, ip string, at time.Time, success bool, reason string) error {
	_, err := q.ExecContext(ctx, `INSERT INTO login_attempts (id, email, ip, at, success, reason) VALUES (?, ?, ?, ?, ?, ?)`,
		db.NewID("lga"), email, ip, at, success, reason)
	if err != nil {
		return fmt.Errorf("record login attempt: %w", err)
	}
	return nil
}
