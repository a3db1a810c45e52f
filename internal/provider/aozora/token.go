package aozora

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"kessai/internal/platform/clock"
)

// TokenSource gives the business calls a valid access token.
type TokenSource interface {
	Token(ctx context.Context) (Token, error)
}

// StaticToken is a token issued by hand (sunabar's portal): it is never refreshed.
type StaticToken string

// Token returns the static token.
func (s StaticToken) Token(context.Context) (Token, error) { return Token{AccessToken: string(s)}, nil }

// ErrNoRefreshToken means the token expired and cannot be refreshed: the merchant must log in to
// the bank again (the scope lacked offline_access, or the token was issued by hand).
var ErrNoRefreshToken = errors.New("aozora: token expired and there is no refresh token")

// HolderOptions tune a TokenHolder.
type HolderOptions struct {
	Clock clock.Clock // the system clock when nil
	// Margin is how long before expiry the token is refreshed (5 minutes when zero), so a call
	// never leaves with a token that dies in flight.
	Margin time.Duration
	// OnRefresh is called, with the holder's lock held, after every successful refresh, so the
	// caller can store the new token (sealed) before it is used. With Shared set, Shared.Save
	// is called instead.
	OnRefresh func(Token)
	// Shared, when set, makes the holder safe for several processes holding the same stored
	// token. The bank rotates the refresh token on every refresh, so two processes refreshing
	// at once would leave one with a dead refresh token (invalid_grant).
	Shared Shared
}

// Shared is the stored token several processes share, with a cross-process lock for refreshing.
type Shared interface {
	// Lock waits until this process alone may refresh. unlock must be called after Save.
	// tookOver reports that the previous holder died while holding it: its rotated refresh
	// token may have been lost.
	Lock(ctx context.Context) (unlock func(), tookOver bool, err error)
	// Load returns the stored token (what another process may have refreshed meanwhile).
	Load(ctx context.Context) (Token, error)
	// Save stores a refreshed token before anyone uses it. A failure must be reported (the
	// other processes can no longer refresh); the holder keeps using the token.
	Save(ctx context.Context, t Token) error
	// Lost is told that the refresh token was refused and no newer one is stored: the
	// connection is gone until a person authorises again. tookOver as from Lock.
	Lost(ctx context.Context, err error, tookOver bool)
}

// TokenHolder keeps the current token and refreshes it before it expires. Concurrent callers
// share one refresh. It keeps the newest refresh token, and the old one when a refresh answer
// carries none.
type TokenHolder struct {
	c    *Client
	opts HolderOptions

	mu  sync.Mutex
	tok Token
}

// NewTokenHolder returns a holder that starts with tok and refreshes through c.
func NewTokenHolder(c *Client, tok Token, opts HolderOptions) *TokenHolder {
	if opts.Clock == nil {
		opts.Clock = clock.System{}
	}
	if opts.Margin <= 0 {
		opts.Margin = 5 * time.Minute
	}
	return &TokenHolder{c: c, opts: opts, tok: tok}
}

// Token returns a token that is valid for at least the margin, refreshing it if needed.
func (h *TokenHolder) Token(ctx context.Context) (Token, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	now := h.opts.Clock.Now()
	if h.tok.AccessToken != "" && (h.tok.Expiry.IsZero() || now.Add(h.opts.Margin).Before(h.tok.Expiry)) {
		return h.tok, nil
	}
	if h.tok.RefreshToken == "" {
		if h.tok.AccessToken != "" && now.Before(h.tok.Expiry) {
			return h.tok, nil // inside the margin but still alive: use it while it lasts
		}
		return Token{}, ErrNoRefreshToken
	}
	if err := h.refreshLocked(ctx); err != nil {
		return Token{}, err
	}
	return h.tok, nil
}

// ForceRefresh refreshes now, e.g. after the bank answered 401 to a token we thought valid.
func (h *TokenHolder) ForceRefresh(ctx context.Context) (Token, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.tok.RefreshToken == "" {
		return Token{}, ErrNoRefreshToken
	}
	if err := h.refreshLocked(ctx); err != nil {
		return Token{}, err
	}
	return h.tok, nil
}

// Current returns the held token without refreshing it.
func (h *TokenHolder) Current() Token {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.tok
}

func (h *TokenHolder) refreshLocked(ctx context.Context) error {
	if h.opts.Shared != nil {
		return h.refreshShared(ctx)
	}
	nt, err := h.c.Refresh(ctx, h.tok.RefreshToken)
	if err != nil {
		return fmt.Errorf("refresh token: %w", err)
	}
	if nt.RefreshToken == "" {
		nt.RefreshToken = h.tok.RefreshToken
	}
	if nt.Scope == "" {
		nt.Scope = h.tok.Scope
	}
	h.tok = nt
	if h.opts.OnRefresh != nil {
		h.opts.OnRefresh(nt)
	}
	return nil
}

// refreshShared refreshes under the cross-process lock: first it reloads the stored token (a
// process that refreshed while this one waited leaves a newer one, valid, to adopt); it
// reloads again when the bank refuses the refresh token (invalid_grant: rotated by another
// process) before giving up; and it saves the rotated token before releasing the lock, so
// the next process refreshes with the live one.
func (h *TokenHolder) refreshShared(ctx context.Context) error {
	sh := h.opts.Shared
	unlock, tookOver, err := sh.Lock(ctx)
	if err != nil {
		return fmt.Errorf("refresh token: %w", err)
	}
	defer unlock()
	if h.adopt(ctx) {
		return nil
	}
	used := h.tok.RefreshToken
	nt, err := h.c.Refresh(ctx, used)
	if isInvalidGrant(err) {
		// Rotated by someone else (a process without the lock, an older kessai): the stored
		// token is the live one.
		if h.adopt(ctx) {
			return nil
		}
		if h.tok.RefreshToken != used {
			nt, err = h.c.Refresh(ctx, h.tok.RefreshToken)
		}
		if isInvalidGrant(err) {
			sh.Lost(ctx, err, tookOver)
		}
	}
	if err != nil {
		return fmt.Errorf("refresh token: %w", err)
	}
	if nt.RefreshToken == "" {
		nt.RefreshToken = h.tok.RefreshToken
	}
	if nt.Scope == "" {
		nt.Scope = h.tok.Scope
	}
	h.tok = nt
	// Saved before the lock is released and before the token is used: a process that died
	// between the bank's answer and this save is what Lock's tookOver reports. A failed save
	// is Save's to report; this process keeps the live token in memory either way.
	_ = sh.Save(ctx, nt)
	return nil
}

// adopt takes the stored token when another process refreshed it and it is still valid for
// the margin, and reports whether it did.
func (h *TokenHolder) adopt(ctx context.Context) bool {
	st, err := h.opts.Shared.Load(ctx)
	if err != nil || st.AccessToken == "" || st.AccessToken == h.tok.AccessToken {
		return false
	}
	if !st.Expiry.IsZero() && !h.opts.Clock.Now().Add(h.opts.Margin).Before(st.Expiry) {
		if st.RefreshToken != "" {
			h.tok.RefreshToken = st.RefreshToken // refresh with the newest one
		}
		return false
	}
	h.tok = st
	return true
}

func isInvalidGrant(err error) bool {
	oe, ok := errors.AsType[*OAuthError](err)
	return ok && oe.Code == "invalid_grant"
}
