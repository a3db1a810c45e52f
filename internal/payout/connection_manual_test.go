package payout_test

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"kessai/internal/payout"
	"kessai/internal/platform/auth"
	"kessai/internal/platform/errs"
	"kessai/internal/provider/aozora"
	"kessai/internal/sandbox/aozorasim"
)

// sunabar issues access tokens by hand: one pasted into the settings connects (after a
// successful accounts call), is used as is for transfers, and is never refreshed.
func TestConnectWithHandIssuedAccessToken(t *testing.T) {
	t.Parallel()
	c, _, sim, ctx := newConnection(t)
	// A token the bank issued outside kessai (here: the simulator's OAuth, done by hand).
	srv := httptest.NewServer(sim)
	t.Cleanup(srv.Close)
	oauth := aozora.New(aozora.Config{AuthBaseURL: sim.AuthBaseURL(srv.URL), APIBaseURL: sim.APIBaseURL(srv.URL),
		ClientID: aozorasim.DefaultClientID, ClientSecret: aozorasim.DefaultClientSecret, RedirectURI: "http://x.test/cb"})
	code, _, err := aozorasim.LogIn(ctx, nil, oauth.AuthCodeURL("s"), aozorasim.DefaultClientID, aozorasim.DefaultPassword)
	if err != nil {
		t.Fatal(err)
	}
	tok, err := oauth.Exchange(ctx, code)
	if err != nil {
		t.Fatal(err)
	}
	st, _ := c.State(ctx)
	apiURL := st.EffectiveAPIURL // the built-in simulator: http is allowed for it alone

	for _, tc := range []struct{ url, token, field, want string }{
		{apiURL, "", "access_token", "アクセストークンを入力"},
		{apiURL, "two words", "access_token", "空白を含まない"},
		{"http://bank.example/corporation/v1", tok.AccessToken, "token_api_base_url", "https:// だけです"},
		{"ftp://bank.example", tok.AccessToken, "token_api_base_url", "https:// で始まる"},
	} {
		err := c.SaveAccessToken(ctx, tc.url, tc.token)
		if e := errs.As(err); e == nil || !strings.Contains(e.Fields[tc.field], tc.want) {
			t.Errorf("SaveAccessToken(%q, %q) = %v, want %s: …%s…", tc.url, tc.token, err, tc.field, tc.want)
		}
	}
	if err := c.SaveAccessToken(ctx, apiURL, "not-a-token"); err == nil {
		t.Fatal("a token the bank refuses connected")
	}
	if st, _ := c.State(ctx); st.Enabled {
		t.Fatal("enabled with a refused token")
	}
	if err := c.SaveAccessToken(ctx, apiURL, tok.AccessToken); err != nil {
		t.Fatalf("SaveAccessToken: %v", err)
	}
	st, _ = c.State(ctx)
	if !st.Enabled || !st.Manual || !st.HasManualToken || st.HasRefreshToken || st.AccountID == "" {
		t.Fatalf("after a good token: %+v", st)
	}
	b, err := c.Bank(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.Client.Accounts(ctx); err != nil {
		t.Fatalf("the executor's client with the hand-issued token: %v", err)
	}
	if err := c.Verify(ctx); err != nil {
		t.Fatalf("連携を確認 with a hand-issued token: %v", err)
	}
	// Back to the OAuth form: the hand-issued token is dropped.
	if err := c.Save(ctx, payout.SettingsInput{ClientID: aozorasim.DefaultClientID, AuthMethod: "basic"}); err != nil {
		t.Fatal(err)
	}
	if st, _ := c.State(ctx); st.Manual || st.Enabled || st.HasManualToken {
		t.Fatalf("after switching back to OAuth: %+v", st)
	}
}

// The OAuth settings refuse http:// endpoints except the built-in simulator's.
func TestEndpointsMustBeHTTPS(t *testing.T) {
	t.Parallel()
	c, _, _, ctx := newConnection(t)
	err := c.Save(ctx, payout.SettingsInput{ClientID: "m", ClientSecret: "s", AuthMethod: "basic",
		AuthBaseURL: "http://api.gmo-aozora.com/ganb/api/auth/v1", APIBaseURL: "https://api.gmo-aozora.com/ganb/api/corporation/v1"})
	if e := errs.As(err); e == nil || !strings.Contains(e.Fields["auth_base_url"], "https:// だけです") {
		t.Fatalf("http endpoint: %v", err)
	}
	st, _ := c.State(ctx)
	if err := c.Save(ctx, payout.SettingsInput{ClientID: aozorasim.DefaultClientID, AuthMethod: "basic",
		AuthBaseURL: st.EffectiveAuthURL, APIBaseURL: st.EffectiveAPIURL}); err != nil {
		t.Fatalf("the built-in simulator over http: %v", err)
	}
}

// The settings page has the token form; a refused token comes back with the reason.
func TestSettingsPageTokenForm(t *testing.T) {
	t.Parallel()
	inst := startKessai(t)
	admin := inst.Client(t, auth.RoleAdmin)
	page := admin.Get(settingsPath).Body
	if !strings.Contains(page, `id="token-form"`) || !strings.Contains(page, `value="`+payout.SunabarAPIBaseURL+`"`) {
		t.Fatalf("no token form with sunabar's URL")
	}
	res := admin.PostForm(settingsPath+"/token", url.Values{"access_token": {""}, "token_api_base_url": {"http://bank.example/v1"}})
	if res.Status != http.StatusUnprocessableEntity || !strings.Contains(res.Body, "アクセストークンを入力") || !strings.Contains(res.Body, "https:// だけです") {
		t.Fatalf("refused token: %d", res.Status)
	}
	if res := inst.Client(t, auth.RoleAccountant).PostForm(settingsPath+"/token", url.Values{"access_token": {"x"}}); res.Status != http.StatusForbidden {
		t.Errorf("accountant setting a token: %d", res.Status)
	}
}
