package aozorasim_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"kessai/internal/provider/aozora"
	"kessai/internal/sandbox/aozorasim"
)

func TestOAuthDanceAndRefreshRotation(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()
	if e.tok.RefreshToken == "" || e.tok.Expiry.IsZero() {
		t.Fatalf("token %+v: want a refresh token and an expiry", e.tok)
	}
	if !strings.Contains(e.tok.Scope, "offline_access") {
		t.Errorf("scope %q lacks offline_access", e.tok.Scope)
	}
	if _, err := e.api.Accounts(ctx); err != nil {
		t.Fatalf("accounts: %v", err)
	}
	nt, err := e.client.Refresh(ctx, e.tok.RefreshToken)
	if err != nil {
		t.Fatalf("refresh: %v", err)
	}
	if nt.RefreshToken == "" || nt.RefreshToken == e.tok.RefreshToken {
		t.Fatalf("refresh token not rotated: %q", nt.RefreshToken)
	}
	// The old refresh token is spent.
	_, err = e.client.Refresh(ctx, e.tok.RefreshToken)
	if oe, ok := errors.AsType[*aozora.OAuthError](err); !ok || oe.Code != "invalid_grant" || oe.HTTPStatus != 400 {
		t.Fatalf("reused refresh token: err = %v, want invalid_grant", err)
	}
	if !aozora.IsUnauthorized(err) {
		t.Errorf("IsUnauthorized(%v) = false", err)
	}
}

func TestClientAuthMethods(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		registered string
		used       aozora.AuthMethod
		wantErr    string
	}{
		{"basic", "client_secret_basic", aozora.ClientSecretBasic, ""},
		{"post", "client_secret_post", aozora.ClientSecretPost, ""},
		{"post registered, basic used", "client_secret_post", aozora.ClientSecretBasic, "invalid_client"},
		{"basic registered, post used", "client_secret_basic", aozora.ClientSecretPost, "invalid_client"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t)
			id := "merchant:" + strings.ReplaceAll(tt.name, " ", "-") // a colon needs form-encoding in Basic
			if err := e.sim.RegisterClient(aozorasim.ClientReg{ID: id, Secret: "s3cret/+", Password: "pw", AuthMethod: tt.registered}); err != nil {
				t.Fatal(err)
			}
			c := aozora.New(aozora.Config{AuthBaseURL: e.sim.AuthBaseURL(e.srv.URL), APIBaseURL: e.sim.APIBaseURL(e.srv.URL),
				ClientID: id, ClientSecret: "s3cret/+", AuthMethod: tt.used, RedirectURI: redirect, Clock: e.clk})
			ctx := context.Background()
			code, _, err := aozorasim.LogIn(ctx, nil, c.AuthCodeURL("x"), id, "pw")
			if err != nil {
				t.Fatal(err)
			}
			tok, err := c.Exchange(ctx, code)
			if tt.wantErr != "" {
				if oe, ok := errors.AsType[*aozora.OAuthError](err); !ok || oe.Code != tt.wantErr {
					t.Fatalf("err = %v, want %s", err, tt.wantErr)
				}
				return
			}
			if err != nil || tok.AccessToken == "" {
				t.Fatalf("exchange: %v", err)
			}
			// A code is good once.
			if _, err := c.Exchange(ctx, code); !aozora.IsUnauthorized(err) {
				t.Fatalf("second exchange: err = %v, want invalid_grant", err)
			}
		})
	}
}

func TestLoginRefusesWrongPassword(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	_, _, err := aozorasim.LogIn(context.Background(), nil, e.client.AuthCodeURL("s"), aozorasim.DefaultClientID, "nope")
	if err == nil || !strings.Contains(err.Error(), "401") {
		t.Fatalf("err = %v, want HTTP 401 from the login form", err)
	}
}

func TestTokenHolderRefreshesBeforeExpiry(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	var stored []aozora.Token
	h := aozora.NewTokenHolder(e.client, e.tok, aozora.HolderOptions{Clock: e.clk, OnRefresh: func(t aozora.Token) { stored = append(stored, t) }})
	api := e.client.WithTokenSource(h)
	ctx := context.Background()
	if _, err := api.Accounts(ctx); err != nil || len(stored) != 0 {
		t.Fatalf("fresh token: err %v, refreshes %d", err, len(stored))
	}
	e.clk.Advance(56 * time.Minute) // inside the 5-minute margin of a 1-hour token
	if _, err := api.Accounts(ctx); err != nil {
		t.Fatalf("accounts after refresh: %v", err)
	}
	if len(stored) != 1 || stored[0].RefreshToken == e.tok.RefreshToken || h.Current().AccessToken == e.tok.AccessToken {
		t.Fatalf("want one refresh with a new refresh token, got %d", len(stored))
	}
	// The old access token dies at its expiry: the bank answers 401.
	e.clk.Advance(5 * time.Minute)
	_, err := e.client.WithTokenSource(aozora.StaticToken(e.tok.AccessToken)).Accounts(ctx)
	if ae, ok := errors.AsType[*aozora.APIError](err); !ok || ae.HTTPStatus != 401 || ae.Code != "WG_ERR_002" {
		t.Fatalf("expired token: err = %v, want 401 WG_ERR_002", err)
	}
}
