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
	"kessai/internal/commerce"
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
	type card struct{ no, code, id, wantResult, wantNew string }
	cards := []*card{{no: gmopgsim.CardUpdateNewExpiry, wantResult: "0", wantNew: "3012"}, {no: gmopgsim.CardUpdateInvalid, wantResult: "1"}}
	for i, c := range cards {
		res := inst.API(t, key, http.MethodPost, "/api/v1/customers", map[string]any{"name": "洗替 太郎" + string(rune('A'+i)), "name_kana": "センガエ"})
		if res.Status != http.StatusCreated {
			t.Fatalf("customer: %d %s", res.Status, res.Body)
		}
		var cu struct{ ID, Code string }
		_ = json.Unmarshal([]byte(res.Body), &cu)
		c.code, c.id = cu.Code, cu.ID
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
	// 定期受注管理: the subscriptions of the failed card are found by 洗替ステータス and marked 要カード変更.
	ctx := auth.WithPrincipal(context.Background(), auth.System("test"))
	shop, err := inst.App.Commerce.CreateShop(ctx, commerce.Shop{Code: "cu", Name: "定期便"})
	if err != nil {
		t.Fatal(err)
	}
	subs := map[string]string{} // result → subscription ID
	for _, c := range cards {
		cs, err := inst.App.Commerce.CustomerCards(ctx, c.id)
		if err != nil || len(cs) != 1 {
			t.Fatalf("cards of %s: %v %v", c.code, cs, err)
		}
		sb, err := inst.App.Commerce.CreateSubscription(ctx, commerce.Subscription{ShopID: shop.ID, CustomerID: c.id, CardID: cs[0].ID,
			ProductName: "定期便", Amount: 3000, CycleMonths: 1, NextBillingOn: first.AddDate(0, 1, 0).Format("2006-01-02"), Status: "active"})
		if err != nil {
			t.Fatal(err)
		}
		subs[c.wantResult] = sb.ID
	}
	for _, q := range []string{"card_update_status=invalid", "x_card_update_status=invalid"} {
		res = inst.API(t, key, http.MethodGet, "/api/v1/subscriptions?"+q, nil)
		if res.Status != http.StatusOK || !strings.Contains(res.Body, subs["1"]) || strings.Contains(res.Body, subs["0"]) {
			t.Errorf("subscriptions?%s: %d %s", q, res.Status, res.Body)
		}
	}
	if res = inst.API(t, key, http.MethodGet, "/api/v1/subscriptions?card_update_status=ok", nil); !strings.Contains(res.Body, subs["0"]) || strings.Contains(res.Body, subs["1"]) {
		t.Errorf("subscriptions?card_update_status=ok: %s", res.Body)
	}
	if res = inst.API(t, key, http.MethodGet, "/api/v1/subscriptions?card_update_status=bad", nil); res.Status != http.StatusUnprocessableEntity || !strings.Contains(res.Body, "有効性NG") {
		t.Errorf("bad 洗替ステータス: %d %s", res.Status, res.Body)
	}
	page := inst.Client(t, auth.RoleViewer).Get("/subscriptions?x_card_update_status=invalid")
	if page.Status != http.StatusOK || !strings.Contains(page.Body, "要カード変更") || !strings.Contains(page.Body, "洗替ステータス") {
		t.Errorf("定期受注管理 filtered by 有効性NG: %d", page.Status)
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

// TestGMOPGSettingsForm: 設定 › 外部連携設定 › GMOペイメントゲートウェイ shows every field issue 9
// lists, stores them (エポス連携 with 提携店コード and バナー, セキュリティコードの入力) and shows
// them again, and its 接続テスト checks the API and the SFTP login; the customer page's card
// form follows the セキュリティコード and エポス settings.
func TestGMOPGSettingsForm(t *testing.T) {
	t.Parallel()
	inst := apptest.Start(t, apptest.Options{})
	admin := inst.Client(t, auth.RoleAdmin)
	page := admin.Get("/settings/connections/gmopg")
	if page.Status != http.StatusOK {
		t.Fatalf("form: %d", page.Status)
	}
	for _, label := range []string{"ショップID", "ショップパスワード", "サイトID", "サイトパスワード", "SFTP 接続先", "SFTP ログインID",
		"SFTP パスワード", "セキュリティコードの入力", "エポス連携", "エポス提携店コード", "エポスバナー", "接続テスト"} {
		if !strings.Contains(page.Body, label) {
			t.Errorf("the form lacks %s", label)
		}
	}
	form := url.Values{"shop_id": {gmopgsim.DefaultShopID}, "shop_pass": {gmopgsim.DefaultShopPass}, "site_id": {gmopgsim.DefaultSiteID},
		"site_pass": {gmopgsim.DefaultSitePass}, "sftp_user": {gmopgsim.DefaultSFTPUser}, "sftp_password": {gmopgsim.DefaultSFTPPassword},
		"security_code": {"off"}, "epos": {"on"}, "epos_store_code": {"E123456"}, "epos_banner": {"/static/epos.png"}}
	if res := admin.PostForm("/settings/connections/gmopg", form); res.Status != http.StatusSeeOther {
		t.Fatalf("save: %d %s", res.Status, res.Body)
	}
	page = admin.Get("/settings/connections/gmopg")
	for _, v := range []string{`value="E123456"`, `value="/static/epos.png"`} {
		if !strings.Contains(page.Body, v) {
			t.Errorf("the saved form does not show %s", v)
		}
	}
	if res := admin.PostForm("/settings/connections/gmopg/test", nil); res.Status != http.StatusSeeOther {
		t.Fatalf("接続テスト: %d %s", res.Status, res.Body)
	}
	if page = admin.Get("/settings/connections/gmopg"); !strings.Contains(page.Body, "有効") {
		t.Error("接続テスト (API and SFTP) did not make the connection 有効")
	}
	ctx := auth.WithPrincipal(context.Background(), auth.System("test"))
	cu, err := inst.App.Commerce.CreateCustomer(ctx, commerce.Customer{Name: "エポス 太郎"})
	if err != nil {
		t.Fatal(err)
	}
	cp := admin.Get("/customers/" + cu.ID).Body
	if strings.Contains(cp, `data-card="cvc"`) || !strings.Contains(cp, "エポスカード提携店コード E123456") || !strings.Contains(cp, `src="/static/epos.png"`) {
		t.Errorf("the card form ignores セキュリティコードの入力 off or エポス連携 on")
	}
	// Wrong SFTP credentials: the 接続テスト says so.
	form.Set("sftp_password", "nope")
	admin.PostForm("/settings/connections/gmopg", form)
	admin.PostForm("/settings/connections/gmopg/test", nil)
	if page = admin.Get("/settings/connections/gmopg"); !strings.Contains(page.Body, "ログインできません") {
		t.Error("接続テスト with a wrong SFTP password does not say the login failed")
	}
}
