package auth

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"kessai/internal/platform/db"
	"kessai/internal/platform/errs"
)

// Throttle limits password guessing without letting a stranger lock anyone out:
//
//   - the fast lock counts failures for one email from one address (PerAccountIP in Window),
//     so a stranger who guesses locks out only themselves;
//   - PerIP failures from one address, whatever the email (higher: an office shares an
//     address), lock that address;
//   - PerAccount failures for one email from anywhere within AccountWindow are the slower,
//     account-wide backoff against guessing from many addresses.
//
// A lock lasts its window after the newest failure of the run; refused attempts don't extend
// it. A successful login clears its email's counts; so do an administrator's 「ロック解除」
// and a password reset.
type Throttle struct {
	PerAccountIP  int
	PerIP         int
	Window        time.Duration
	PerAccount    int
	AccountWindow time.Duration
}

// DefaultThrottle is 5 failures per email and address or 20 per address in 15 minutes, and 50
// per email from all addresses in an hour.
var DefaultThrottle = Throttle{PerAccountIP: 5, PerIP: 20, Window: 15 * time.Minute, PerAccount: 50, AccountWindow: time.Hour}

// Login attempt outcomes, stored in login_attempts.reason and the audit note. An attempt is
// written as pending before its password is checked, so concurrent guesses are counted.
const (
	reasonPending   = "pending"
	reasonOK        = "ok"
	reasonUnknown   = "unknown_email"
	reasonBadPass   = "bad_password"
	reasonDisabled  = "disabled"
	reasonThrottled = "throttled"
)

// loginLockKey serialises the count-and-claim of login attempts on PostgreSQL (SQLite
// transactions are serial already): attempts are rare, the critical section two queries.
const loginLockKey = 0x6b6c6f67 // "klog"

// claimAttempt counts email's and ip's recent failures and, unless a lock applies, records a
// pending attempt, in one serialised transaction: N concurrent guesses see each other. It
// returns the pending attempt's ID, or the end of the lock that refused it (recorded by the
// caller with refuseLocked).
func (s *Service) claimAttempt(ctx context.Context, email, ip string, now time.Time) (id string, until time.Time, err error) {
	err = s.DB.InTx(ctx, func(tx *db.Tx) error {
		if tx.Dialect() == db.Postgres {
			if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock(?)`, loginLockKey); err != nil {
				return fmt.Errorf("login throttle lock: %w", err)
			}
		}
		u, err := s.lockedUntil(ctx, tx, email, ip, now)
		if err != nil {
			return err
		}
		if !u.IsZero() {
			until = u
			return nil // recorded by refuseLocked
		}
		id = db.NewID("lga")
		return insertAttempt(ctx, tx, id, email, ip, now, false, reasonPending)
	})
	return id, until, err
}

// refusedEvery is how often a refused attempt is recorded per email and address: the audit log
// shows the guessing went on, and a flood of refusals adds a row a minute, not one a request.
const refusedEvery = time.Minute

// refuseLocked records a refused attempt (a login_attempts row and user.login_failed with
// reason throttled) unless one was recorded for email from ip within refusedEvery.
func (s *Service) refuseLocked(ctx context.Context, email, ip string, now time.Time) error {
	recorded := func(q db.Querier) (bool, error) {
		var n int
		if err := q.QueryRowContext(ctx, `SELECT COUNT(*) FROM login_attempts WHERE email = ? AND ip = ? AND reason = ? AND at > ?`,
			email, ip, reasonThrottled, now.Add(-refusedEvery)).Scan(&n); err != nil {
			return false, fmt.Errorf("login throttle: %w", err)
		}
		return n > 0, nil
	}
	// Mostly answered by a read; only the first refusals of a burst take the serialised
	// transaction, where the check is made again so the burst records one.
	if done, err := recorded(s.DB); done || err != nil {
		return err
	}
	return s.DB.InTx(ctx, func(tx *db.Tx) error {
		if tx.Dialect() == db.Postgres {
			if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock(?)`, loginLockKey); err != nil {
				return fmt.Errorf("login throttle lock: %w", err)
			}
		}
		if done, err := recorded(tx); done || err != nil {
			return err
		}
		if err := insertAttempt(ctx, tx, db.NewID("lga"), email, ip, now, false, reasonThrottled); err != nil {
			return err
		}
		return s.auditFailed(ctx, tx, email, ip, "", reasonThrottled)
	})
}

// lockedUntil returns when attempts for email from ip may resume, or the zero time when no
// lock applies now.
func (s *Service) lockedUntil(ctx context.Context, q db.Querier, email, ip string, now time.Time) (time.Time, error) {
	t := s.Throttle
	var lastOK time.Time
	err := q.QueryRowContext(ctx, `SELECT at FROM login_attempts WHERE email = ? AND success = ? ORDER BY at DESC LIMIT 1`,
		email, true).Scan(&lastOK)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return time.Time{}, fmt.Errorf("login throttle: %w", err)
	}
	after := func(since time.Time) time.Time {
		if lastOK.After(since) {
			return lastOK
		}
		return since
	}
	checks := []struct {
		cond   string
		args   []any
		since  time.Time
		limit  int
		window time.Duration
	}{
		{`email = ? AND ip = ?`, []any{email, ip}, after(now.Add(-2 * t.Window)), t.PerAccountIP, t.Window},
		{`ip = ?`, []any{ip}, now.Add(-2 * t.Window), t.PerIP, t.Window},
		{`email = ?`, []any{email}, after(now.Add(-2 * t.AccountWindow)), t.PerAccount, t.AccountWindow},
	}
	for _, c := range checks {
		if c.cond == `ip = ?` && ip == "" {
			continue
		}
		until, err := lockedBy(ctx, q, c.cond, c.args, c.since, now, c.limit, c.window)
		if err != nil || !until.IsZero() {
			return until, err
		}
	}
	return time.Time{}, nil
}

// lockedBy looks at the newest limit failures matching cond since since: when there are limit
// of them within one window, the lock lasts for the window after the newest.
func lockedBy(ctx context.Context, q db.Querier, cond string, args []any, since, now time.Time, limit int, window time.Duration) (time.Time, error) {
	if limit <= 0 {
		return time.Time{}, nil
	}
	args = append(args, false, reasonThrottled, since, limit)
	rows, err := q.QueryContext(ctx, `SELECT at FROM login_attempts
		WHERE `+cond+` AND success = ? AND reason <> ? AND at > ? ORDER BY at DESC LIMIT ?`, args...)
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
	until := newest.Add(window)
	if n < limit || newest.Sub(oldest) > window || !now.Before(until) {
		return time.Time{}, nil
	}
	return until, nil
}

func insertAttempt(ctx context.Context, q db.Querier, id, email, ip string, at time.Time, success bool, reason string) error {
	_, err := q.ExecContext(ctx, `INSERT INTO login_attempts (id, email, ip, at, success, reason) VALUES (?, ?, ?, ?, ?, ?)`,
		id, email, ip, at, success, reason)
	if err != nil {
		return fmt.Errorf("record login attempt: %w", err)
	}
	return nil
}

// Lock is a login lock an administrator can see on the users page.
type Lock struct {
	Email string
	IP    string // the address the failures came from
	Until time.Time
}

// LoginLocks lists the emails that cannot sign in from some address now, each with its
// longest lock.
func (s *Service) LoginLocks(ctx context.Context) ([]Lock, error) {
	now := s.now()
	since := now.Add(-2 * max(s.Throttle.Window, s.Throttle.AccountWindow))
	rows, err := s.DB.QueryContext(ctx, `SELECT DISTINCT email, ip FROM login_attempts WHERE success = ? AND reason <> ? AND at > ?`,
		false, reasonThrottled, since)
	if err != nil {
		return nil, fmt.Errorf("login locks: %w", err)
	}
	type pair struct{ email, ip string }
	var pairs []pair
	for rows.Next() {
		var p pair
		if err := rows.Scan(&p.email, &p.ip); err != nil {
			rows.Close()
			return nil, fmt.Errorf("login locks: %w", err)
		}
		pairs = append(pairs, p)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("login locks: %w", err)
	}
	byEmail := map[string]*Lock{}
	var out []Lock
	for _, p := range pairs {
		until, err := s.lockedUntil(ctx, s.DB, p.email, p.ip, now)
		if err != nil {
			return nil, err
		}
		if until.IsZero() {
			continue
		}
		if l := byEmail[p.email]; l == nil || until.After(l.Until) {
			byEmail[p.email] = &Lock{Email: p.email, IP: p.ip, Until: until}
		}
	}
	for _, l := range byEmail {
		out = append(out, *l)
	}
	slices.SortFunc(out, func(a, b Lock) int { return strings.Compare(a.Email, b.Email) })
	return out, nil
}

// UnlockLogin lifts every lock on email (its failures are forgotten) and records
// user.unlock; a password reset does the same.
func (s *Service) UnlockLogin(ctx context.Context, email string) error {
	email = NormalizeEmail(email)
	return s.DB.InTx(ctx, func(tx *db.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM login_attempts WHERE email = ? AND success = ?`, email, false)
		if err != nil {
			return fmt.Errorf("unlock %s: %w", email, err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return errs.Conflict("このユーザーのログインはロックされていません")
		}
		var id string
		_ = tx.QueryRowContext(ctx, `SELECT id FROM users WHERE email = ?`, email).Scan(&id)
		return s.record(ctx, tx, Event{Action: "user.unlock", RecordType: "user", RecordID: id, Note: "email=" + email})
	})
}
