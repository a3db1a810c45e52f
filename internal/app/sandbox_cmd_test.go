package app

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"kessai/internal/platform/clock"
	"kessai/internal/provider/aozora"
	"kessai/internal/sandbox/aozorasim"
)

// The standalone sandbox serves the home page, the clock and a simulator a real client can use
// end to end (OAuth login, token, accounts) without kessai's database or login.
func TestStandaloneSandbox(t *testing.T) {
	h, _, err := sandboxHandler(clock.NewSandbox(), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	defer srv.Close()

	res, err := http.Get(srv.URL + "/")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != 200 || !strings.Contains(string(body), "GMOあおぞらネット銀行") {
		t.Fatalf("home: %d, lacks the simulator", res.StatusCode)
	}
	res, err = http.Post(srv.URL+"/sandbox/clock", "application/json", strings.NewReader(`{"duration":"1d"}`))
	if err != nil {
		t.Fatal(err)
	}
	var st struct{ Offset string }
	json.NewDecoder(res.Body).Decode(&st)
	res.Body.Close()
	if !strings.HasPrefix(st.Offset, "1日") {
		t.Fatalf("clock offset after +1d = %q", st.Offset)
	}

	base := srv.URL + "/sandbox/aozora"
	c := aozora.New(aozora.Config{
		AuthBaseURL: base + aozorasim.AuthPath, APIBaseURL: base + aozorasim.APIPath,
		ClientID: aozorasim.DefaultClientID, ClientSecret: aozorasim.DefaultClientSecret,
		RedirectURI: "http://127.0.0.1/callback",
	})
	ctx := context.Background()
	code, _, err := aozorasim.LogIn(ctx, srv.Client(), c.AuthCodeURL("st"), aozorasim.DefaultClientID, aozorasim.DefaultPassword)
	if err != nil {
		t.Fatalf("log in on the simulator: %v", err)
	}
	tok, err := c.Exchange(ctx, code)
	if err != nil || tok.RefreshToken == "" {
		t.Fatalf("exchange: %+v %v", tok, err)
	}
	accts, err := c.WithTokenSource(aozora.StaticToken(tok.AccessToken)).Accounts(ctx)
	if err != nil || len(accts.Accounts) == 0 {
		t.Fatalf("accounts: %+v %v", accts, err)
	}
}

// The standalone sandbox's server bounds its connections like kessai's: header, body,
// response and idle time (only a header timeout was set before).
func TestSandboxServerTimeouts(t *testing.T) {
	var want http.Server
	setTimeouts(&want, 0)
	srv := sandboxServer(http.NotFoundHandler())
	if srv.ReadHeaderTimeout <= 0 || srv.ReadTimeout <= 0 || srv.WriteTimeout <= 0 || srv.IdleTimeout <= 0 ||
		srv.ReadTimeout != want.ReadTimeout || srv.WriteTimeout != want.WriteTimeout || srv.IdleTimeout != want.IdleTimeout {
		t.Fatalf("sandbox server timeouts: header %v read %v write %v idle %v, want kessai's %v %v %v %v",
			srv.ReadHeaderTimeout, srv.ReadTimeout, srv.WriteTimeout, srv.IdleTimeout,
			want.ReadHeaderTimeout, want.ReadTimeout, want.WriteTimeout, want.IdleTimeout)
	}
}
