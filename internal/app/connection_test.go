package app_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"kessai/internal/app/apptest"
	"kessai/internal/platform/auth"
	"kessai/internal/sandbox"
)

// TestSandboxBadgeFollowsConnections: the サンドボックス badge and the simulator's "in use" follow
// the real connection state — on while the bank connection points at the simulator, off once
// a real client (production) is saved, for the bank and for GMO-PG.
func TestSandboxBadgeFollowsConnections(t *testing.T) {
	t.Parallel()
	inst := apptest.Start(t, apptest.Options{})
	admin := inst.Client(t, auth.RoleAdmin)
	active := func() bool {
		t.Helper()
		res := admin.Get("/sandbox/state")
		var st sandbox.State
		if err := json.Unmarshal([]byte(res.Body), &st); err != nil {
			t.Fatalf("/sandbox/state: %v: %.200s", err, res.Body)
		}
		for _, s := range st.Simulators {
			if s.Name == "aozora" {
				return s.Active
			}
		}
		t.Fatal("no aozora simulator in /sandbox/state")
		return false
	}
	if home := admin.Get("/"); !strings.Contains(home.Body, "sandbox-badge") || !active() {
		t.Fatalf("a newcomer's kessai talks to the simulator: badge and active expected")
	}
	if res := admin.Get("/settings/integrations"); !strings.Contains(res.Body, "無効（サンドボックス）") {
		t.Errorf("外部連携設定 does not show the bank as 無効（サンドボックス）")
	}
	res := admin.PostForm("/settings/integrations/aozora", url.Values{"client_id": {"merchant-1"}, "client_secret": {"real-secret-0001"}, "auth_method": {"basic"}})
	if res.Status != http.StatusSeeOther {
		t.Fatalf("save a real client: %d %.300s", res.Status, res.Body)
	}
	// GMO-PG (cardupdate and kantan) is a connection of its own: pointed at production too.
	res = admin.PostForm("/settings/connections/gmopg", url.Values{"_environment": {"production"}, "shop_id": {"shop-1"}, "shop_pass": {"p1"},
		"site_id": {"site-1"}, "site_pass": {"p2"}, "sftp_addr": {"sftp.example.invalid"}, "sftp_user": {"u"}, "sftp_password": {"p3"}})
	if res.Status != http.StatusSeeOther {
		t.Fatalf("save GMO-PG production: %d %.300s", res.Status, res.Body)
	}
	// Rakuten (rakutenpay, per shop) too.
	res = admin.PostForm("/settings/connections/rakuten", url.Values{"_environment": {"production"}, "service_secret": {"SP-real"}, "license_key": {"SL-real"}})
	if res.Status != http.StatusSeeOther {
		t.Fatalf("save Rakuten production: %d %.300s", res.Status, res.Body)
	}
	// Yamato (atobarai) too.
	res = admin.PostForm("/settings/connections/yamato", url.Values{"_environment": {"production"}, "store_code": {"12345678901"}, "password": {"real-pass"}})
	if res.Status != http.StatusSeeOther {
		t.Fatalf("save Yamato production: %d %.300s", res.Status, res.Body)
	}
	if home := admin.Get("/"); strings.Contains(home.Body, "sandbox-badge") {
		t.Errorf("the badge is still shown with the bank pointed at production")
	}
	if active() {
		t.Errorf("the simulator is still marked in use with the bank pointed at production")
	}
	if res := admin.Get("/settings/integrations"); strings.Contains(res.Body, "サンドボックス）") || !strings.Contains(res.Body, "無効") {
		t.Errorf("外部連携設定 after saving production: %.600s", res.Body)
	}
}
