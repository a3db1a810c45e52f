package app_test

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"golang.org/x/text/encoding/japanese"

	"kessai/internal/app/apptest"
	"kessai/internal/platform/auth"
	"kessai/internal/platform/clock"
	"kessai/internal/sandbox/gmopgsim"
)

// TestCardUpdateJobsAPI drives a month of the cardupdate room through the API of a whole
// kessai: cards registered with sandbox tokens, the run started, the clock moved to the result
// day, and 「GMO 洗替結果取得」 found with GET /api/v1/jobs?name= and its CP932 CSV read with
// GET /api/v1/jobs/{id}/result.csv (洗替判定結果, old and new expiry per customer).
func TestCardUpdateJobsAPI(t *testing.T) {
	t.Parallel()
	inst := apptest.Start(t, apptest.Options{})
	key := inst.APIKey(t, auth.RoleAdmin)
	type card struct{ no, code, wantResult, wantNew string }
	cards := []*card{{no: gmopgsim.CardUpdateNewExpiry, wantResult: "0", wantNew: "3012"}, {no: gmopgsim.CardUpdateInvalid, wantResult: "1"}}
	for i, c := range cards {
		res := inst.API(t, key, http.MethodPost, "/api/v1/customers", map[string]any{"name": "洗替 太郎" + string(rune('A'+i)), "name_kana": "センガエ"})
		if res.Status != http.StatusCreated {
			t.Fatalf("customer: %d %s", res.Status, res.Body)
		}
		var cu struct{ ID, Code string }
		_ = json.Unmarshal([]byte(res.Body), &cu)
		c.code = cu.Code
		res = inst.API(t, key, http.MethodPost, "/sandbox/gmopg/_sim/token", map[string]string{"card_no": c.no, "expire": "2712"})
		var tok struct{ Token string }
		if json.Unmarshal([]byte(res.Body), &tok); res.Status != http.StatusOK || tok.Token == "" {
			t.Fatalf("token: %d %s", res.Status, res.Body)
		}
		if res = inst.API(t, key, http.MethodPost, "/api/v1/customers/"+cu.ID+"/cards", map[string]string{"token": tok.Token}); res.Status != http.StatusCreated {
			t.Fatalf("card: %d %s", res.Status, res.Body)
		}
	}
	// Next month's run (its result day is always ahead of the clock), then its result day.
	now := inst.App.Clock.Now().In(clock.JST)
	first := time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, clock.JST).AddDate(0, 1, 0)
	month := first.Format("200601")
	res := inst.API(t, key, http.MethodPost, "/api/v1/cardupdate/runs", map[string]string{"month": month})
	if res.Status != http.StatusCreated || !strings.Contains(res.Body, `"status":"uploaded"`) {
		t.Fatalf("start run: %d %s", res.Status, res.Body)
	}
	inst.App.Clock.Advance(first.AddDate(0, 0, 26).Add(time.Minute).Sub(inst.App.Clock.Now()))
	res = inst.API(t, key, http.MethodPost, "/api/v1/cardupdate/runs", map[string]string{"month": month})
	var started struct {
		JobID int64 `json:"job_id"`
	}
	if json.Unmarshal([]byte(res.Body), &started); res.Status != http.StatusCreated || started.JobID == 0 {
		t.Fatalf("fetch not started on the result day: %d %s", res.Status, res.Body)
	}

	type job struct {
		ID        int64  `json:"id"`
		Name      string `json:"name"`
		State     string `json:"state"`
		Note      string `json:"note"`
		ResultCSV string `json:"result_csv"`
		Counts    []struct {
			Label string `json:"label"`
			N     int    `json:"n"`
		} `json:"counts"`
	}
	var got job
	deadline := time.Now().Add(60 * time.Second)
	for {
		res = inst.API(t, key, http.MethodGet, "/api/v1/jobs?name="+url.QueryEscape("GMO 洗替結果取得"), nil)
		var list struct {
			Items []job `json:"items"`
			Total int   `json:"total"`
		}
		if err := json.Unmarshal([]byte(res.Body), &list); res.Status != http.StatusOK || err != nil {
			t.Fatalf("jobs?name=: %d %s", res.Status, res.Body)
		}
		for _, j := range list.Items {
			if j.Name != "GMO 洗替結果取得" {
				t.Fatalf("jobs?name= listed %q", j.Name)
			}
			if j.ID == started.JobID {
				got = j
			}
		}
		if got.State == "completed" || got.State == "failed" || time.Now().After(deadline) {
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	if got.State != "completed" || got.ResultCSV == "" {
		t.Fatalf("job = %+v", got)
	}
	counts := map[string]int{}
	for _, c := range got.Counts {
		counts[c.Label] = c.N
	}
	if counts["有効性OK"] != 1 || counts["有効性NG"] != 1 {
		t.Errorf("counts = %v", counts)
	}
	res = inst.API(t, key, http.MethodGet, got.ResultCSV, nil)
	if res.Status != http.StatusOK || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/csv") {
		t.Fatalf("result.csv: %d %s", res.Status, res.Header)
	}
	text, err := japanese.ShiftJIS.NewDecoder().String(res.Body)
	if err != nil {
		t.Fatalf("result.csv is not CP932: %v", err)
	}
	recs, err := csv.NewReader(strings.NewReader(text)).ReadAll()
	if err != nil || len(recs) != 3 {
		t.Fatalf("csv = %v %v", recs, err)
	}
	col := map[string]int{}
	for i, h := range recs[0] {
		col[h] = i
	}
	for _, h := range []string{"顧客コード", "洗替判定結果", "更新前有効期限", "更新後有効期限"} {
		if _, ok := col[h]; !ok {
			t.Fatalf("header %v lacks %s", recs[0], h)
		}
	}
	for _, c := range cards {
		found := false
		for _, r := range recs[1:] {
			if r[col["顧客コード"]] == c.code {
				found = true
				if r[col["洗替判定結果"]] != c.wantResult || r[col["更新前有効期限"]] != "2712" || r[col["更新後有効期限"]] != c.wantNew {
					t.Errorf("%s: row %v", c.no, r)
				}
			}
		}
		if !found {
			t.Errorf("customer %s missing from the CSV", c.code)
		}
	}
	// Refusals name what is allowed.
	if res = inst.API(t, key, http.MethodGet, "/api/v1/jobs?name=nope", nil); res.Status != http.StatusUnprocessableEntity || !strings.Contains(res.Body, "GMO 洗替結果取得") {
		t.Errorf("unknown name: %d %s", res.Status, res.Body)
	}
	if res = inst.API(t, key, http.MethodGet, "/api/v1/jobs/999999/result.csv", nil); res.Status != http.StatusNotFound {
		t.Errorf("missing job csv: %d %s", res.Status, res.Body)
	}
}

// TestCardUpdatePageScheduleAndRerun covers カード洗替: the schedule saved by an admin (and
// refused with the field's reason), a month that failed on wrong SFTP credentials shown on the
// top page and on the page with its reason, and the admin's 再実行 once the password is fixed.
func TestCardUpdatePageScheduleAndRerun(t *testing.T) {
	t.Parallel()
	inst := apptest.Start(t, apptest.Options{})
	admin := inst.Client(t, auth.RoleAdmin)
	if res := admin.Get("/cardupdate"); res.Status != http.StatusOK || !strings.Contains(res.Body, "の対象（プレビュー）") || !strings.Contains(res.Body, `name="submit_day"`) {
		t.Fatalf("/cardupdate: %d", res.Status)
	}
	res := admin.PostForm("/cardupdate/settings", url.Values{"submit_day": {"20"}, "result_day": {"18"}, "deadline_days": {"3"}})
	if res.Status != http.StatusUnprocessableEntity || !strings.Contains(res.Body, "結果取得日は送信日より後の日にしてください") {
		t.Fatalf("bad schedule: %d", res.Status)
	}
	if res = admin.PostForm("/cardupdate/settings", url.Values{"submit_day": {"8"}, "result_day": {"18"}, "deadline_days": {"2"}}); res.Status != http.StatusSeeOther {
		t.Fatalf("save schedule: %d %s", res.Status, res.Body)
	}
	key := inst.APIKey(t, auth.RoleAdmin)
	if res = inst.API(t, key, http.MethodGet, "/api/v1/cardupdate/settings", nil); !strings.Contains(res.Body, `"submit_day":8,"result_day":18,"deadline_days":2`) {
		t.Errorf("settings = %s", res.Body)
	}
	if res = inst.Client(t, auth.RoleStaff).PostForm("/cardupdate/settings", url.Values{"submit_day": {"1"}, "result_day": {"2"}, "deadline_days": {"1"}}); res.Status != http.StatusForbidden {
		t.Errorf("staff saved the schedule: %d", res.Status)
	}

	ctx := context.Background()
	conn := func(sftpPassword string) map[string]string {
		return map[string]string{"shop_id": gmopgsim.DefaultShopID, "shop_pass": gmopgsim.DefaultShopPass, "site_id": gmopgsim.DefaultSiteID,
			"site_pass": gmopgsim.DefaultSitePass, "sftp_user": gmopgsim.DefaultSFTPUser, "sftp_password": sftpPassword}
	}
	if err := inst.App.Connections.Save(ctx, "gmopg", "", conn("wrong-password")); err != nil {
		t.Fatal(err)
	}
	now := inst.App.Clock.Now().In(clock.JST)
	month := time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, clock.JST).AddDate(0, 1, 0).Format("200601")
	// The server refuses the login; the month is failed with the reason, not left waiting.
	if res = inst.API(t, key, http.MethodPost, "/api/v1/cardupdate/runs", map[string]string{"month": month}); !strings.Contains(res.Body, `"status":"failed"`) ||
		!strings.Contains(res.Body, "ログインできません") {
		t.Fatalf("upload with a wrong SFTP password: %d %s", res.Status, res.Body)
	}
	if res = admin.Get("/"); !strings.Contains(res.Body, "カード洗替の失敗（再実行が必要）") {
		t.Error("the top page does not show the failed month")
	}
	page := admin.Get("/cardupdate").Body
	if !strings.Contains(page, "失敗") || !strings.Contains(page, "SFTP に接続できません") || !strings.Contains(page, "再実行") {
		t.Fatalf("the page does not show the failure and 再実行: %s", page)
	}
	var runs []struct{ ID, Status, Reason string }
	res = inst.API(t, key, http.MethodGet, "/api/v1/cardupdate/runs", nil)
	if err := json.Unmarshal([]byte(res.Body), &runs); err != nil || len(runs) != 1 || runs[0].Status != "failed" {
		t.Fatalf("runs = %s", res.Body)
	}
	if err := inst.App.Connections.Save(ctx, "gmopg", "", conn(gmopgsim.DefaultSFTPPassword)); err != nil {
		t.Fatal(err)
	}
	if res = admin.PostForm("/cardupdate/runs/"+runs[0].ID+"/rerun", nil); res.Status != http.StatusSeeOther {
		t.Fatalf("rerun: %d %s", res.Status, res.Body)
	}
	res = inst.API(t, key, http.MethodGet, "/api/v1/cardupdate/runs", nil)
	if err := json.Unmarshal([]byte(res.Body), &runs); err != nil || runs[0].Status != "uploaded" {
		t.Fatalf("after rerun: %s", res.Body)
	}
	if res = admin.Get("/"); strings.Contains(res.Body, "カード洗替の失敗") {
		t.Error("the alert stays after the rerun")
	}
}
