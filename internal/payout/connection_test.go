package payout_test

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"kessai/internal/payout"
	"kessai/internal/platform/audit"
	"kessai/internal/platform/auth"
	"kessai/internal/platform/clock"
	"kessai/internal/platform/db/dbtest"
	"kessai/internal/platform/errs"
	"kessai/internal/platform/lease"
	"kessai/internal/platform/secrets"
	"kessai/internal/provider/aozora"
	"kessai/internal/sandbox/aozorasim"
)

// newConnection is a Connection over a real database and the simulator on a real HTTP server,
// wired the way the app wires it.
func newConnection(t *testing.T) (*payout.Connection, *clock.Sandbox, *aozorasim.Sim, context.Context) {
	t.Helper()
	clk := clock.NewFrozen(start)
	d := dbtest.Open(t, audit.Migrations, secrets.Migrations, lease.Migrations)
	sealer, err := secrets.New(bytes.Repeat([]byte{7}, 32))
	if err != nil {
		t.Fatal(err)
	}
	store := &secrets.Store{Sealer: sealer, Audit: &audit.Log{Now: clk.Now}, Now: clk.Now}
	sim := aozorasim.New(aozorasim.Options{Clock: clk})
	srv := httptest.NewServer(sim)
	t.Cleanup(srv.Close)
	c := payout.NewConnection(d, store, clk, func() (string, string) { return sim.AuthBaseURL(srv.URL), sim.APIBaseURL(srv.URL) },
		"http://kessai.test/settings/integrations/aozora/callback")
	c.SandboxClientID, c.SandboxClientSecret = aozorasim.DefaultClientID, aozorasim.DefaultClientSecret
	c.HTTPClient = &http.Client{Timeout: 5 * time.Second}
	ctx := auth.WithPrincipal(context.Background(), &auth.Principal{Kind: auth.KindUser, ID: "u1", Name: "admin@example.com", Role: auth.RoleAdmin})
	return c, clk, sim, ctx
}

// logIn does the OAuth dance with the simulator and completes it.
func logIn(t *testing.T, c *payout.Connection, ctx context.Context, password string) error {
	t.Helper()
	u, err := c.AuthURL(ctx, "s")
	if err != nil {
		t.Fatal(err)
	}
	code, _, err := aozorasim.LogIn(ctx, nil, u, aozorasim.DefaultClientID, password)
	if err != nil {
		t.Fatalf("log in: %v", err)
	}
	return c.Complete(ctx, code)
}

func TestConnectionSandboxLifecycle(t *testing.T) {
	t.Parallel()
	c, clk, _, ctx := newConnection(t)

	st, err := c.State(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !st.Sandbox || !st.SandboxDefaults || st.EffectiveClientID != aozorasim.DefaultClientID || st.Enabled || !st.HasSecret {
		t.Fatalf("a newcomer's state: %+v", st)
	}
	_, _, err = c.Client(ctx)
	if e := errs.As(err); e == nil || e.Kind != errs.KindConflict || !strings.Contains(e.Message, "連携されていません") {
		t.Fatalf("Client before connecting: %v, want the Japanese conflict", err)
	}
	if label, ok := c.Status(ctx); ok || label != "未連携（サンドボックス）" {
		t.Errorf("status before connecting = %q %v", label, ok)
	}

	if err := logIn(t, c, ctx, aozorasim.DefaultPassword); err != nil {
		t.Fatalf("complete: %v", err)
	}
	st, _ = c.State(ctx)
	if !st.Enabled || st.AccountID != accountID || !st.HasRefreshToken || st.AccountLabel == "" {
		t.Fatalf("after the OAuth dance: %+v", st)
	}
	if label, ok := c.Status(ctx); !ok || label != "有効（サンドボックス）" {
		t.Errorf("status after connecting = %q %v", label, ok)
	}
	cl, src, err := c.Client(ctx)
	if err != nil || src != accountID {
		t.Fatalf("Client: %v %q", err, src)
	}
	if _, err := cl.Accounts(ctx); err != nil {
		t.Fatalf("accounts with the fresh token: %v", err)
	}

	// Past the access token's hour: the holder refreshes, and the new token is stored sealed.
	before := st.TokenExpiry
	clk.Advance(2 * time.Hour)
	cl, _, err = c.Client(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := cl.Accounts(ctx); err != nil {
		t.Fatalf("accounts after expiry: %v", err)
	}
	st, _ = c.State(ctx)
	if !st.TokenExpiry.After(before.Add(time.Hour)) {
		t.Errorf("the refreshed token was not stored: expiry %v, before %v", st.TokenExpiry, before)
	}
	// 連携を確認 refreshes again with the stored (newest) refresh token.
	if err := c.Verify(ctx); err != nil {
		t.Errorf("verify: %v", err)
	}

	// A real client ID points the connection at production and drops the sandbox's tokens.
	if err := c.Save(ctx, payout.SettingsInput{ClientID: "merchant-1", ClientSecret: "s3cret-merchant", AuthMethod: "basic"}); err != nil {
		t.Fatal(err)
	}
	st, _ = c.State(ctx)
	if st.Sandbox || st.EffectiveAuthURL != aozora.ProductionAuthBaseURL || st.EffectiveAPIURL != aozora.ProductionAPIBaseURL ||
		st.Enabled || st.HasRefreshToken || st.AccountID != "" {
		t.Errorf("after saving a real client: %+v", st)
	}
	if strings.Contains(st.SecretMasked, "s3cret") {
		t.Errorf("masked secret shows it: %q", st.SecretMasked)
	}
}

func TestConnectionBankErrors(t *testing.T) {
	t.Parallel()
	c, _, _, ctx := newConnection(t)
	// The sandbox client with a wrong secret: the token call fails with invalid_client.
	if err := c.Save(ctx, payout.SettingsInput{ClientID: aozorasim.DefaultClientID, ClientSecret: "wrong", AuthMethod: "post"}); err != nil {
		t.Fatal(err)
	}
	err := logIn(t, c, ctx, aozorasim.DefaultPassword)
	e := errs.As(err)
	if e == nil || !strings.Contains(e.Message, "invalid_client") || !strings.Contains(e.Message, "クライアントIDまたはクライアントシークレットが正しくありません") {
		t.Fatalf("wrong secret: %v, want the bank's code with a Japanese explanation", err)
	}
	st, _ := c.State(ctx)
	if st.Enabled || !strings.Contains(st.LastError, "invalid_client") {
		t.Errorf("after a refused token call: enabled=%v last error %q", st.Enabled, st.LastError)
	}
	// Field errors are in Japanese, per field.
	err = c.Save(ctx, payout.SettingsInput{ClientID: "", AuthMethod: "x", AuthBaseURL: "not a url"})
	var fe *errs.Error
	if !errors.As(err, &fe) || fe.Fields["client_id"] == "" || fe.Fields["auth_method"] == "" || fe.Fields["auth_base_url"] == "" {
		t.Errorf("bad settings: %v", err)
	}
}
