package app_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"kessai/internal/app/apptest"
	"kessai/internal/browsertest"
)

// TestBrowserLoginLogout signs the bootstrap admin in through the real login page in
// Chromium, checks the top page and its navigation, and signs out again.
func TestBrowserLoginLogout(t *testing.T) {
	t.Parallel()
	inst := apptest.Start(t, apptest.Options{})
	cfg := inst.App.Config
	p := browsertest.New(t, browsertest.Options{})

	if got := p.Goto(inst.URL + "/login"); got != http.StatusOK {
		t.Fatalf("GET /login: status %d, want 200", got)
	}
	p.Fill("email", cfg.AdminEmail)
	p.Fill("password", cfg.AdminPass)
	if got := p.ClickAndWait("ログイン"); got != http.StatusOK {
		t.Fatalf("log in: status %d, want 200", got)
	}
	if path := pathOf(t, p.URL()); path != "/" {
		t.Fatalf("after log in the browser is at %s, want the top page /", path)
	}
	p.WaitText("トップ")
	if h1 := p.Text("main h1"); h1 != "トップ" {
		t.Errorf("top page heading = %q, want トップ", h1)
	}
	nav := p.Text("nav")
	for _, entry := range []string{"トップ", "宅配買取", "一般仕入", "受注管理", "定期受注管理", "顧客", "会計", "ジョブ管理", "設定", "サンドボックス"} {
		if !strings.Contains(nav, entry) {
			t.Errorf("navigation lacks %s; it reads %q", entry, nav)
		}
	}
	if who := p.Text("header"); !strings.Contains(who, cfg.AdminEmail) || !strings.Contains(who, "管理者") {
		t.Errorf("header should show the admin's email and role 管理者: %q", who)
	}
	// A look at the page as a person sees it (Japanese must render, not boxes).
	p.Screenshot("/tmp/kessai-top.png")

	p.ClickAndWait("ログアウト")
	if path := pathOf(t, p.URL()); path != "/login" {
		t.Errorf("after log out the browser is at %s, want /login", path)
	}
	// The session is gone: the top page sends us back to the login page.
	p.Goto(inst.URL + "/")
	if path := pathOf(t, p.URL()); path != "/login" {
		t.Errorf("top page after log out went to %s, want /login", path)
	}
	_ = p.Text("input[name=password]") // waits for the login form
}

func pathOf(t *testing.T, u string) string {
	t.Helper()
	parsed, err := url.Parse(u)
	if err != nil {
		t.Fatalf("parse URL %q: %v", u, err)
	}
	return parsed.Path
}
