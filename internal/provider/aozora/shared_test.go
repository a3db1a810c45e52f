package aozora_test

import (
	"context"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"kessai/internal/platform/clock"
	"kessai/internal/provider/aozora"
	"kessai/internal/sandbox/aozorasim"
)

// sharedStore is a stored token as another process may change it between two loads.
type sharedStore struct {
	mu     sync.Mutex
	loads  []aozora.Token // returned in turn; the last one again and again
	saved  []aozora.Token
	lost   int
	locked int
}

func (s *sharedStore) Lock(context.Context) (func(), bool, error) {
	s.mu.Lock()
	s.locked++
	s.mu.Unlock()
	return func() {}, false, nil
}

func (s *sharedStore) Load(context.Context) (aozora.Token, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.loads[0]
	if len(s.loads) > 1 {
		s.loads = s.loads[1:]
	}
	return t, nil
}

func (s *sharedStore) Save(_ context.Context, t aozora.Token) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.saved = append(s.saved, t)
	return nil
}

func (s *sharedStore) Lost(context.Context, error, bool) { s.mu.Lock(); s.lost++; s.mu.Unlock() }

// TestSharedHolderReloadsOnInvalidGrant: the bank refuses the refresh token because another
// process rotated it and stored the new one after this process looked. The holder reloads the
// stored token and goes on with it instead of failing.
func TestSharedHolderReloadsOnInvalidGrant(t *testing.T) {
	t.Parallel()
	clk := clock.NewFrozen(time.Date(2026, 3, 2, 1, 0, 0, 0, time.UTC))
	sim := aozorasim.New(aozorasim.Options{Clock: clk})
	srv := httptest.NewServer(sim)
	defer srv.Close()
	c := aozora.New(aozora.Config{AuthBaseURL: sim.AuthBaseURL(srv.URL), APIBaseURL: sim.APIBaseURL(srv.URL),
		ClientID: aozorasim.DefaultClientID, ClientSecret: aozorasim.DefaultClientSecret, RedirectURI: "http://kessai.test/cb", Clock: clk})
	ctx := context.Background()
	code, _, err := aozorasim.LogIn(ctx, nil, c.AuthCodeURL("s"), aozorasim.DefaultClientID, aozorasim.DefaultPassword)
	if err != nil {
		t.Fatal(err)
	}
	t0, err := c.Exchange(ctx, code)
	if err != nil {
		t.Fatal(err)
	}
	clk.Advance(2 * time.Hour)
	t1, err := c.Refresh(ctx, t0.RefreshToken) // the other process
	if err != nil {
		t.Fatal(err)
	}
	clk.Advance(2 * time.Hour) // t1's access token expired too: its refresh token is the live one
	for _, tc := range []struct {
		name  string
		loads []aozora.Token
	}{{"stored after this process looked", []aozora.Token{t0, t1}}} {
		st := &sharedStore{loads: tc.loads}
		h := aozora.NewTokenHolder(c, t0, aozora.HolderOptions{Clock: clk, Shared: st})
		got, err := h.Token(ctx)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if got.AccessToken == t0.AccessToken || got.AccessToken == t1.AccessToken || st.lost != 0 || len(st.saved) != 1 || st.saved[0] != got {
			t.Fatalf("%s: token %+v, lost %d, saved %d; want a fresh token refreshed from the reloaded one and saved", tc.name, got, st.lost, len(st.saved))
		}
		if _, err := c.WithTokenSource(h).Accounts(ctx); err != nil {
			t.Fatalf("%s: call with the token: %v", tc.name, err)
		}
	}
	// Nothing newer stored: the refresh token is lost, and Lost is told.
	st := &sharedStore{loads: []aozora.Token{t0}}
	h := aozora.NewTokenHolder(c, t0, aozora.HolderOptions{Clock: clk, Shared: st})
	if _, err := h.Token(ctx); err == nil || st.lost != 1 {
		t.Fatalf("dead refresh token: %v, lost %d; want an error and Lost told once", err, st.lost)
	}
}
