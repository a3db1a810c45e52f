package payout_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"kessai/internal/payout"
	"kessai/internal/platform/audit"
	"kessai/internal/platform/auth"
	"kessai/internal/platform/clock"
	"kessai/internal/platform/db"
	"kessai/internal/platform/db/dbtest"
	"kessai/internal/platform/lease"
	"kessai/internal/platform/secrets"
	"kessai/internal/provider/aozora"
	"kessai/internal/sandbox/aozorasim"
)

// tokenWorld is two kessai instances (two connection pools on PostgreSQL) sharing one database
// and one bank, and the bank's count of refreshes and refused refresh tokens.
type tokenWorld struct {
	ctx            context.Context
	clk, wall      *clock.Sandbox
	d              *db.DB
	sim            *aozorasim.Sim
	srv            *httptest.Server
	refreshes      atomic.Int32
	invalidGrants  atomic.Int32
	first, second  *payout.Connection
	store          *secrets.Store
	authURL, apURL string
}

func newTokenWorld(t *testing.T) *tokenWorld {
	t.Helper()
	w := &tokenWorld{clk: clock.NewFrozen(start), wall: clock.NewFrozen(start)}
	w.ctx = auth.WithPrincipal(context.Background(), &auth.Principal{Kind: auth.KindUser, ID: "u1", Name: "admin@example.com", Role: auth.RoleAdmin})
	w.d = dbtest.Open(t, audit.Migrations, secrets.Migrations, lease.Migrations)
	w.sim = aozorasim.New(aozorasim.Options{Clock: w.clk})
	w.srv = httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		if !strings.HasSuffix(r.URL.Path, "/token") {
			w.sim.ServeHTTP(rw, r)
			return
		}
		_ = r.ParseForm()
		rec := httptest.NewRecorder()
		w.sim.ServeHTTP(rec, r)
		if r.PostForm.Get("grant_type") == "refresh_token" {
			w.refreshes.Add(1)
			if strings.Contains(rec.Body.String(), "invalid_grant") {
				w.invalidGrants.Add(1)
			}
		}
		for k, v := range rec.Header() {
			rw.Header()[k] = v
		}
		rw.WriteHeader(rec.Code)
		_, _ = rw.Write(rec.Body.Bytes())
	}))
	t.Cleanup(w.srv.Close)
	w.authURL, w.apURL = w.sim.AuthBaseURL(w.srv.URL), w.sim.APIBaseURL(w.srv.URL)
	second := w.d
	if w.d.Dialect() == db.Postgres {
		d2, err := db.Open(context.Background(), w.d.URL, "")
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { d2.Close() })
		second = d2
	}
	w.first, w.second = w.instance(t, w.d), w.instance(t, second)
	if err := logIn(t, w.first, w.ctx, aozorasim.DefaultPassword); err != nil {
		t.Fatalf("connect: %v", err)
	}
	return w
}

func (w *tokenWorld) instance(t *testing.T, d *db.DB) *payout.Connection {
	sealer, err := secrets.New(bytes.Repeat([]byte{7}, 32))
	if err != nil {
		t.Fatal(err)
	}
	store := &secrets.Store{Sealer: sealer, Audit: &audit.Log{Now: w.clk.Now}, Now: w.clk.Now}
	w.store = store
	c := payout.NewConnection(d, store, w.clk, func() (string, string) { return w.authURL, w.apURL }, "http://kessai.test/settings/integrations/aozora/callback")
	c.SandboxClientID, c.SandboxClientSecret = aozorasim.DefaultClientID, aozorasim.DefaultClientSecret
	c.HTTPClient = &http.Client{Timeout: 5 * time.Second}
	c.Leases = lease.New(d, w.wall)
	return c
}

// TestTokenRefreshAcrossInstances: both instances hold the same token when it expires and both
// need the bank at once. One refreshes (under the lease), the other waits and takes the stored
// rotated token: no refresh token is ever refused, and every call succeeds.
func TestTokenRefreshAcrossInstances(t *testing.T) {
	t.Parallel()
	w := newTokenWorld(t)
	var banks []payout.Bank
	for _, c := range []*payout.Connection{w.first, w.second} {
		b, err := c.Bank(w.ctx)
		if err != nil {
			t.Fatal(err)
		}
		banks = append(banks, b)
	}
	w.clk.Advance(2 * time.Hour) // the access token expired on both
	var wg sync.WaitGroup
	errs := make(chan error, 16)
	for i := range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := banks[i%2].Client.Accounts(w.ctx)
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Errorf("a call after expiry failed: %v", err)
		}
	}
	if n := w.invalidGrants.Load(); n != 0 {
		t.Fatalf("the bank refused %d refresh tokens: an instance refreshed with a rotated one", n)
	}
	if n := w.refreshes.Load(); n != 1 {
		t.Fatalf("%d refreshes, want one (the other instance takes the stored token)", n)
	}
	for _, c := range []*payout.Connection{w.first, w.second} {
		if st, _ := c.State(w.ctx); !st.Enabled || st.LastError != "" {
			t.Fatalf("connection after the refresh: enabled %v, %q", st.Enabled, st.LastError)
		}
	}
}

// TestTokenLostInACrashIsAlerted: an instance died between the bank's refresh answer (which
// rotated the refresh token) and saving it. The next refresher takes over the expired lease,
// is refused, finds nothing newer stored, and the connection says so instead of failing
// transfers one by one with a vague error.
func TestTokenLostInACrashIsAlerted(t *testing.T) {
	t.Parallel()
	w := newTokenWorld(t)
	b, err := w.second.Bank(w.ctx)
	if err != nil {
		t.Fatal(err)
	}
	// The dying instance: it holds the lease, refreshes at the bank and never saves.
	if _, ok, err := lease.New(w.d, w.wall).TryTake(w.ctx, "aozora.token", "dead", 2*time.Minute); err != nil || !ok {
		t.Fatalf("take the lease: %v %v", ok, err)
	}
	raw := aozora.New(aozora.Config{AuthBaseURL: w.authURL, APIBaseURL: w.apURL, ClientID: aozorasim.DefaultClientID,
		ClientSecret: aozorasim.DefaultClientSecret, Clock: w.clk})
	stored := storedToken(t, w)
	if _, err := raw.Refresh(w.ctx, stored.RefreshToken); err != nil {
		t.Fatal(err)
	}
	w.clk.Advance(2 * time.Hour)
	w.wall.Advance(3 * time.Minute) // the dead holder's lease expires
	if _, err := b.Client.Accounts(w.ctx); err == nil {
		t.Fatal("a call with a lost refresh token succeeded")
	}
	got, _ := w.first.State(w.ctx)
	if got.Enabled || !strings.Contains(got.LastError, "保存できなかった") || !strings.Contains(got.LastError, "リフレッシュトークンを取得") {
		t.Fatalf("connection after the lost token: enabled %v, %q; want disabled with the reason and what to do", got.Enabled, got.LastError)
	}
}

// storedToken reads the token as stored (sealed in the provider settings).
func storedToken(t *testing.T, w *tokenWorld) aozora.Token {
	t.Helper()
	st, err := w.store.Get(w.ctx, w.d, payout.Provider, "")
	if err != nil {
		t.Fatal(err)
	}
	raw, err := w.store.Secret(st, "token")
	if err != nil {
		t.Fatal(err)
	}
	var tok aozora.Token
	if err := json.Unmarshal([]byte(raw), &tok); err != nil || tok.RefreshToken == "" {
		t.Fatalf("stored token: %v %+v", err, tok)
	}
	return tok
}
