package app_test

import (
	"net/http"
	"strings"
	"testing"

	"kessai/internal/app/apptest"
	"kessai/internal/platform/auth"
)

// TestRoomSettingsAPI: the GMO-PG rooms' settings read and saved over the API — a refused
// body names the field and saves nothing, a saved one is answered and read back as saved, and
// only an admin may save.
func TestRoomSettingsAPI(t *testing.T) {
	t.Parallel()
	inst := apptest.Start(t, apptest.Options{})
	admin, staff := inst.APIKey(t, auth.RoleAdmin), inst.APIKey(t, auth.RoleStaff)
	for _, tc := range []struct {
		path      string
		bad       map[string]any
		badReason string
		good      map[string]any
		saved     string // the good body as answered and read back
	}{
		{"/api/v1/cardupdate/settings",
			map[string]any{"submit_day": 20, "result_day": 18, "deadline_days": 3}, "結果取得日は送信日より後の日にしてください",
			map[string]any{"submit_day": 8, "result_day": 18, "deadline_days": 2}, `"submit_day":8,"result_day":18,"deadline_days":2`},
		{"/api/v1/gmopg/settings",
			map[string]any{"job_cd": "SALES", "capture_fail": "mark"}, "売上処理種類は",
			map[string]any{"job_cd": "AUTH", "extend_auth": true, "ship_capture": true, "capture_fail": "hold"},
			`"job_cd":"AUTH","extend_auth":true,"ship_capture":true,"capture_fail":"hold"`},
	} {
		t.Run(tc.path, func(t *testing.T) {
			before := inst.API(t, admin, http.MethodGet, tc.path, nil)
			if before.Status != http.StatusOK {
				t.Fatalf("GET: %d %s", before.Status, before.Body)
			}
			if res := inst.API(t, admin, http.MethodPut, tc.path, tc.bad); res.Status != http.StatusUnprocessableEntity || !strings.Contains(res.Body, tc.badReason) {
				t.Errorf("bad PUT: %d %s", res.Status, res.Body)
			}
			if res := inst.API(t, admin, http.MethodGet, tc.path, nil); res.Body != before.Body {
				t.Errorf("after a refused PUT: %s, want %s", res.Body, before.Body)
			}
			if res := inst.API(t, staff, http.MethodPut, tc.path, tc.good); res.Status != http.StatusForbidden {
				t.Errorf("staff PUT: %d %s", res.Status, res.Body)
			}
			if res := inst.API(t, admin, http.MethodPut, tc.path, tc.good); res.Status != http.StatusOK || !strings.Contains(res.Body, tc.saved) {
				t.Errorf("PUT: %d %s", res.Status, res.Body)
			}
			if res := inst.API(t, admin, http.MethodGet, tc.path, nil); !strings.Contains(res.Body, tc.saved) {
				t.Errorf("read back: %s", res.Body)
			}
		})
	}
}
