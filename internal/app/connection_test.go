package app_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"kessai/internal/app/apptest"
	"kessai/internal/platform/auth"
	"kessai/internal/platform/connection"
	"kessai/internal/sandbox"
)

// TestSandboxBadgeFollowsConnections: the サンドボックス badge and the simulator's "in use" follow
// the real connection state — on while the bank connection points at the simulator, off once
// a real client (production) is saved, for the bank and for every declared connection.
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
	// Every other declared connection counts too: while one still uses its simulator the badge
	// stays. Each is pointed at production through its own form, whatever rooms are listed, so
	// a new room needs no edit here.
	var declared []string
	for _, p := range inst.App.Connections.Providers() {
		if p.Page != "" {
			continue // a room's own page: the bank's, saved above
		}
		declared = append(declared, p.Key)
		if home := admin.Get("/"); p.Simulator != "" && !strings.Contains(home.Body, "sandbox-badge") {
			t.Errorf("the badge is gone while %s still uses its simulator", p.Key)
		}
		res := admin.PostForm("/settings/connections/"+p.Key, productionForm(p))
		if res.Status != http.StatusSeeOther {
			t.Fatalf("save %s production: %d %.300s", p.Key, res.Status, res.Body)
		}
	}
	if len(declared) == 0 {
		t.Fatal("no declared connection: the rooms' connections are not checked")
	}
	t.Logf("pointed at production through the declared form: %v", declared)
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

// productionForm is a settings form that points p at production: automatic endpoints, a
// placeholder for every other required field, the first choice of a select.
func productionForm(p *connection.Provider) url.Values {
	v := url.Values{"_environment": {"production"}}
	for _, f := range p.Fields {
		switch {
		case len(f.Options) > 0:
			v.Set(f.Name, f.Options[0].Value)
		case f.Endpoint:
			// blank: the production URL
		case f.Host:
			v.Set(f.Name, f.Name+".example.invalid")
		case f.Required || f.Secret:
			v.Set(f.Name, "real-"+f.Name)
		}
	}
	return v
}
