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
	// caller can store the new token (sealed) before it is used.
	OnRefresh func(Token)
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
