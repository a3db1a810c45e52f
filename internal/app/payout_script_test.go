package app_test

import (
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"kessai/internal/platform/auth"
)

// A whole payout run driven by a script, no browser: register over the API, execute as 経理,
// read the approver's mail and approve with its token through the simulator's control API, move
// the sandbox clock so the poller runs, and see 振込完了 — all with API keys.
func TestPayoutScriptedWithoutBrowser(t *testing.T) {
	t.Parallel()
	f := newPayoutFixture(t)
	staff, keiri, admin := f.inst.APIKey(t, auth.RoleStaff), f.inst.APIKey(t, auth.RoleAccountant), f.inst.APIKey(t, auth.RoleAdmin)
	c := f.newCase(sellerAccount, 12345)

	res := f.inst.API(t, staff, http.MethodPost, "/api/v1/cases/"+c.ID+"/transfers", map[string]any{})
	var tr struct {
		ID          string `json:"id"`
		Status      string `json:"status"`
		StatusLabel string `json:"status_label"`
	}
	if err := json.Unmarshal([]byte(res.Body), &tr); err != nil || res.Status/100 != 2 || tr.Status != "awaiting_execution" {
		t.Fatalf("register: %d %s", res.Status, res.Body)
	}
	res = f.inst.API(t, keiri, http.MethodPost, "/api/v1/transfers/execute", map[string]any{"transfer_ids": []string{tr.ID}})
	if res.Status != http.StatusOK {
		t.Fatalf("execute: %d %s", res.Status, res.Body)
	}

	// The simulator's control API refuses a staff key and serves an admin key.
	if res := f.inst.API(t, staff, http.MethodGet, "/sandbox/aozora/_sim/mails", nil); res.Status != http.StatusForbidden {
		t.Fatalf("mails with a staff key: %d, want 403", res.Status)
	}
	res = f.inst.API(t, admin, http.MethodGet, "/sandbox/aozora/_sim/mails", nil)
	var mails []struct {
		Kind, Token string
		Waiting     bool
	}
	if err := json.Unmarshal([]byte(res.Body), &mails); err != nil || res.Status != http.StatusOK {
		t.Fatalf("mails: %d %s", res.Status, res.Body)
	}
	token := ""
	for _, m := range mails {
		if m.Kind == "approval" && m.Waiting {
			token = m.Token
		}
	}
	if token == "" {
		t.Fatalf("no approval mail waiting: %s", res.Body)
	}
	if res := f.inst.API(t, admin, http.MethodPost, "/sandbox/aozora/_sim/approve", map[string]any{"token": token, "password": "sandbox"}); res.Status != http.StatusOK {
		t.Fatalf("approve: %d %s", res.Status, res.Body)
	}

	// Moving the clock checks the schedules at once; the poller asks the bank and settles it.
	deadline := time.Now().Add(20 * time.Second)
	for {
		if res := f.inst.API(t, admin, http.MethodPost, "/sandbox/clock", map[string]any{"duration": "2m"}); res.Status != http.StatusOK {
			t.Fatalf("advance the clock: %d %s", res.Status, res.Body)
		}
		res = f.inst.API(t, staff, http.MethodGet, "/api/v1/transfers/"+tr.ID, nil)
		if err := json.Unmarshal([]byte(res.Body), &tr); err != nil {
			t.Fatalf("get: %d %s", res.Status, res.Body)
		}
		if tr.Status == "completed" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("transfer still %s (%s) after approval", tr.Status, tr.StatusLabel)
		}
		time.Sleep(200 * time.Millisecond)
	}
	if tr.StatusLabel != "振込完了" {
		t.Fatalf("label %q, want 振込完了", tr.StatusLabel)
	}
}
