package auth

import (
	"context"
	"crypto/subtle"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"kessai/internal/platform/clock"
	"kessai/internal/platform/db"
	"kessai/internal/platform/errs"
)

// Session is a signed-in browser. Only the hash of its token is stored.
type Session struct {
	ID        string
	UserID    string
	CSRFToken string
	CreatedAt time.Time
	ExpiresAt time.Time
}

// LoginRequest is what the login form sends, with where it came from.
type LoginRequest struct {
	Email     string
	Password  string
	IP        string
	UserAgent string
}

// Login is a successful sign-in: Token goes into the session cookie and nowhere else.
type Login struct {
	Token   string
	Session Session
	User    *User
}

// ErrNoSession means the cookie names no live session (unknown, expired, idle, or the user was
// disabled); the request continues anonymously.
var ErrNoSession = errors.New("auth: no live session")

const badCredentials = "メールアドレスまたはパスワードが正しくありません"

// Login checks an email and password, enforces the throttle, and opens a session. The attempt
// is counted before its password is checked (claimAttempt), so concurrent guesses cannot slip
// past the limits; every attempt is written to the audit log (user.login / user.login_failed
// with the reason).
func (s *Service) Login(ctx context.Context, req LoginRequest) (*Login, error) {
	email := NormalizeEmail(req.Email)
	now := s.now()
	if email == "" || req.Password == "" {
		return nil, errs.Invalid("メールアドレスとパスワードを入力してください")
	}
	if len(email) > 254 || len(req.Password) > 4*MaxPasswordLen {
		return nil, errs.E(errs.KindUnauthenticated, badCredentials)
	}
	// A guess from a locked address is refused on a read, before the serialised claim: a
	// flood of them queues no write behind it (see refuseLocked).
	until, err := s.lockedUntil(ctx, s.DB, email, req.IP, now)
	if err != nil {
		return nil, err
	}
	var attemptID string
	if until.IsZero() {
		if attemptID, until, err = s.claimAttempt(ctx, email, req.IP, now); err != nil {
			return nil, err
		}
	}
	if !until.IsZero() {
		if err := s.refuseLocked(ctx, email, req.IP, now); err != nil {
			return nil, err
		}
		return nil, errs.E(errs.KindTooMany, fmt.Sprintf(
			"ログインの失敗が続いたため、この端末から一時的にログインを止めています。%s 以降にもう一度お試しください（約%d分後）。急ぐ場合は管理者にロック解除かパスワードの再設定を依頼してください",
			until.In(clock.JST).Format("15:04"), int(until.Sub(now).Minutes())+1))
	}
	u, hash, err := scanUser(s.DB.QueryRowContext(ctx, `SELECT `+userColumns+` FROM users WHERE email = ?`, email))
	if errors.Is(err, sql.ErrNoRows) {
		if _, err := s.verify(ctx, s.dummyHash(), req.Password); err != nil {
			return nil, s.unclaim(ctx, attemptID, err)
		}
		if err := s.failed(ctx, attemptID, email, req.IP, "", reasonUnknown); err != nil {
			return nil, err
		}
		return nil, errs.E(errs.KindUnauthenticated, badCredentials)
	}
	if err != nil {
		return nil, fmt.Errorf("login %s: %w", email, err)
	}
	ok, err := s.verify(ctx, hash, req.Password)
	if err != nil {
		return nil, s.unclaim(ctx, attemptID, fmt.Errorf("login %s: %w", email, err))
	}
	if !ok {
		if err := s.failed(ctx, attemptID, email, req.IP, u.ID, reasonBadPass); err != nil {
			return nil, err
		}
		return nil, errs.E(errs.KindUnauthenticated, badCredentials)
	}
	if u.Disabled {
		if err := s.failed(ctx, attemptID, email, req.IP, u.ID, reasonDisabled); err != nil {
			return nil, err
		}
		return nil, errs.Forbidden("このユーザーは無効になっています。管理者に連絡してください")
	}
	l := &Login{Token: newToken(32), User: u, Session: Session{
		ID: db.NewID("ses"), UserID: u.ID, CSRFToken: newToken(32), CreatedAt: now, ExpiresAt: now.Add(s.SessionTTL)}}
	actx := WithPrincipal(ctx, &Principal{Kind: KindUser, ID: u.ID, Name: u.Email, Role: u.Role})
	err = s.DB.InTx(ctx, func(tx *db.Tx) error {
		// Expired sessions and old attempts are swept here, at a moment nobody waits on.
		if _, err := tx.ExecContext(ctx, `DELETE FROM sessions WHERE expires_at < ?`, now); err != nil {
			return fmt.Errorf("sweep sessions: %w", err)
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM login_attempts WHERE at < ?`, now.Add(-24*time.Hour)); err != nil {
			return fmt.Errorf("sweep login attempts: %w", err)
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO sessions (id, token_hash, user_id, csrf_token, created_at, last_seen_at, expires_at, ip, user_agent)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`, l.Session.ID, hashToken(l.Token), u.ID, l.Session.CSRFToken, now, now, l.Session.ExpiresAt,
			req.IP, truncate(req.UserAgent, 300))
		if err != nil {
			return fmt.Errorf("create session: %w", err)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE users SET last_login_at = ? WHERE id = ?`, now, u.ID); err != nil {
			return fmt.Errorf("set last login: %w", err)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE login_attempts SET success = ?, reason = ? WHERE id = ?`, true, reasonOK, attemptID); err != nil {
			return fmt.Errorf("record login attempt: %w", err)
		}
		return s.record(actx, tx, Event{Action: "user.login", RecordType: "user", RecordID: u.ID, Note: "ip=" + req.IP})
	})
	if err != nil {
		return nil, err
	}
	u.LastLoginAt = now
	return l, nil
}

// failed settles a pending attempt as a failure and audits it.
func (s *Service) failed(ctx context.Context, attemptID, email, ip, userID, reason string) error {
	return s.DB.InTx(ctx, func(tx *db.Tx) error {
		if _, err := tx.ExecContext(ctx, `UPDATE login_attempts SET reason = ? WHERE id = ?`, reason, attemptID); err != nil {
			return fmt.Errorf("record login attempt: %w", err)
		}
		return s.auditFailed(ctx, tx, email, ip, userID, reason)
	})
}

func (s *Service) auditFailed(ctx context.Context, q db.Querier, email, ip, userID, reason string) error {
	actx := WithPrincipal(ctx, &Principal{Kind: KindUser, ID: userID, Name: email})
	return s.record(actx, q, Event{Action: "user.login_failed", RecordType: "user", RecordID: userID,
		Note: "reason=" + reason + " email=" + email + " ip=" + ip})
}

// unclaim forgets an attempt whose password was never checked (the server was too busy, the
// client left), so it does not count against the user, and returns err.
func (s *Service) unclaim(ctx context.Context, attemptID string, err error) error {
	_, _ = s.DB.ExecContext(context.WithoutCancel(ctx), `DELETE FROM login_attempts WHERE id = ?`, attemptID)
	return err
}

// Session returns the principal of a session token, or ErrNoSession. It applies the absolute
// and idle timeouts and reads the user's current role and state, so a role change or a
// disabled user takes effect on the next request.
func (s *Service) Session(ctx context.Context, token string) (*Principal, error) {
	if token == "" {
		return nil, ErrNoSession
	}
	now := s.now()
	var (
		p        Principal
		lastSeen time.Time
		expires  time.Time
		disabled bool
	)
	err := s.DB.QueryRowContext(ctx, `SELECT s.id, s.csrf_token, s.last_seen_at, s.expires_at, u.id, u.email, u.name, u.role, u.disabled
		FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.token_hash = ?`, hashToken(token)).
		Scan(&p.SessionID, &p.CSRFToken, &lastSeen, &expires, &p.ID, &p.Name, new(string), &p.Role, &disabled)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNoSession
	}
	if err != nil {
		return nil, fmt.Errorf("look up session: %w", err)
	}
	if disabled || !now.Before(expires) || !now.Before(lastSeen.Add(s.IdleTimeout)) {
		return nil, ErrNoSession
	}
	p.Kind = KindUser
	// last_seen is written at most once a minute: enough for the idle timeout, and most
	// requests stay read-only.
	if now.Sub(lastSeen) >= time.Minute {
		if _, err := s.DB.ExecContext(ctx, `UPDATE sessions SET last_seen_at = ? WHERE id = ?`, now, p.SessionID); err != nil {
			return nil, fmt.Errorf("touch session: %w", err)
		}
	}
	return &p, nil
}

// Logout ends the session of p (a no-op for other principals) and records user.logout.
func (s *Service) Logout(ctx context.Context, p *Principal) error {
	if p == nil || p.SessionID == "" {
		return nil
	}
	ctx = WithPrincipal(ctx, p)
	return s.DB.InTx(ctx, func(tx *db.Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM sessions WHERE id = ?`, p.SessionID); err != nil {
			return fmt.Errorf("logout: %w", err)
		}
		return s.record(ctx, tx, Event{Action: "user.logout", RecordType: "user", RecordID: p.ID})
	})
}

// CheckCSRF reports whether token is the CSRF token of p's session.
func CheckCSRF(p *Principal, token string) bool {
	if p == nil || p.CSRFToken == "" || token == "" {
		return false
	}
	return subtle.ConstantTimeCompare([]byte(p.CSRFToken), []byte(token)) == 1
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n]
}
