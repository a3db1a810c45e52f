package app_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"kessai/internal/app/apptest"
	"kessai/internal/platform/auth"
	"kessai/internal/platform/clock"
	"kessai/internal/sandbox/rakutensim"
)

// TestRakutenPayScenarioOverHTTP drives the 楽天ペイ room through a whole kessai without a
// browser: the shop's Rakuten connection saved on its settings page, orders made with the
// simulator's control API, a poll run with POST /api/v1/rakuten/shops/{id}/sync, the slips
// found with GET /api/v1/orders?source=&payment_method=&deposit_status=&approval_status= and
// the 印刷待ち view, Rakuten's authorization applied, 【入金待ちに戻す】 through the API, the
// slip's 楽天連携 tab and the licenseKey warning on the top page.
func TestRakutenPayScenarioOverHTTP(t *testing.T) {
	t.Parallel()
	inst := apptest.Start(t, apptest.Options{})
	key := inst.APIKey(t, auth.RoleAdmin)
	admin := inst.Client(t, auth.RoleAdmin)
	res := inst.API(t, key, http.MethodPost, "/api/v1/shops", map[string]string{"code": "rk", "name": "楽天店"})
	var shop struct{ ID string }
	if json.Unmarshal([]byte(res.Body), &shop); res.Status != http.StatusCreated || shop.ID == "" {
		t.Fatalf("shop: %d %s", res.Status, res.Body)
	}
	expires := inst.App.Clock.Now().In(clock.JST).AddDate(0, 0, 10).Format("2006-01-02")
	res = admin.PostForm("/settings/connections/rakuten", url.Values{"shop": {shop.ID}, "_environment": {"sandbox"},
		"service_secret": {rakutensim.DefaultServiceSecret}, "license_key": {rakutensim.DefaultLicenseKey},
		"license_key_expires_on": {expires}, "import": {"on"}, "map_1": {"rakuten_pay"}})
	if res.Status != http.StatusSeeOther {
		t.Fatalf("save the connection: %d %.500s", res.Status, res.Body)
	}
	res = inst.API(t, key, http.MethodPost, "/sandbox/rakuten/_sim/orders", map[string]any{"method": 1, "confirmed": true, "count": 2})
	var made struct {
		Numbers []string `json:"order_numbers"`
	}
	if json.Unmarshal([]byte(res.Body), &made); res.Status != http.StatusOK || len(made.Numbers) != 2 {
		t.Fatalf("sim orders: %d %s", res.Status, res.Body)
	}
	sync := func(want string) {
		t.Helper()
		res := inst.API(t, key, http.MethodPost, "/api/v1/rakuten/shops/"+shop.ID+"/sync", nil)
		if res.Status != http.StatusOK || !strings.Contains(res.Body, want) {
			t.Fatalf("sync: %d %s, want %s", res.Status, res.Body, want)
		}
	}
	sync(`"imported":2`)
	type list struct {
		Items []struct {
			ID          string `json:"id"`
			Version     int    `json:"version"`
			ExternalRef string `json:"external_ref"`
		} `json:"items"`
	}
	orders := func(q string) list {
		t.Helper()
		res := inst.API(t, key, http.MethodGet, "/api/v1/orders?"+q, nil)
		var l list
		if err := json.Unmarshal([]byte(res.Body), &l); err != nil || res.Status != http.StatusOK {
			t.Fatalf("orders?%s: %d %s", q, res.Status, res.Body)
		}
		return l
	}
	if l := orders("source=api&payment_method=rakuten_pay&deposit_status=0&approval_status=10"); len(l.Items) != 2 {
		t.Fatalf("waiting slips: %+v", l)
	}
	if res = inst.API(t, key, http.MethodPost, "/sandbox/rakuten/_sim/orders/"+made.Numbers[0]+"/authorize", map[string]string{"result": "ok"}); res.Status != http.StatusOK {
		t.Fatalf("authorize: %d %s", res.Status, res.Body)
	}
	sync(`"updated":1`)
	paid := orders("source=api&deposit_status=2&approval_status=30")
	if len(paid.Items) != 1 || paid.Items[0].ExternalRef != made.Numbers[0] {
		t.Fatalf("paid slips: %+v", paid)
	}
	if l := orders("x_view=awaiting_print"); len(l.Items) != 1 || l.Items[0].ID != paid.Items[0].ID {
		t.Fatalf("印刷待ち: %+v", l)
	}
	if l := orders("x_view=awaiting_payment&source=api"); len(l.Items) != 1 || l.Items[0].ExternalRef != made.Numbers[1] {
		t.Fatalf("入金待ち: %+v", l)
	}
	if page := admin.Get("/orders?x_view=awaiting_payment"); page.Status != http.StatusOK || !strings.Contains(page.Body, made.Numbers[1]) || strings.Contains(page.Body, made.Numbers[0]) {
		t.Fatalf("入金待ち page: %d %.2000s", page.Status, page.Body)
	}
	id := paid.Items[0].ID
	page := admin.Get("/orders/" + id + "?tab=rakuten")
	if page.Status != http.StatusOK || !strings.Contains(page.Body, made.Numbers[0]) || !strings.Contains(page.Body, "楽天との同期履歴") || !strings.Contains(page.Body, "30300") {
		t.Fatalf("楽天連携 tab: %d %.2000s", page.Status, page.Body)
	}
	res = inst.API(t, key, http.MethodPost, "/api/v1/orders/"+id+"/revert-to-awaiting-payment", map[string]int{"version": paid.Items[0].Version})
	if res.Status != http.StatusOK || !strings.Contains(res.Body, `"payment_status":"unpaid"`) || !strings.Contains(res.Body, `"authorized_on":""`) {
		t.Fatalf("revert: %d %s", res.Status, res.Body)
	}
	if res = inst.API(t, key, http.MethodPost, "/api/v1/orders/"+id+"/revert-to-awaiting-payment", map[string]int{"version": paid.Items[0].Version}); res.Status != http.StatusConflict {
		t.Fatalf("revert with a stale version: %d %s", res.Status, res.Body)
	}
	// An order of a method without a mapping is listed on the settings page, not imported.
	res = inst.API(t, key, http.MethodPost, "/sandbox/rakuten/_sim/orders", map[string]any{"method": 9})
	var loan struct {
		Numbers []string `json:"order_numbers"`
	}
	if json.Unmarshal([]byte(res.Body), &loan); len(loan.Numbers) != 1 {
		t.Fatalf("sim order: %s", res.Body)
	}
	sync(`"unmapped":1`)
	if page := admin.Get("/settings/rakutenpay"); !strings.Contains(page.Body, loan.Numbers[0]) || !strings.Contains(page.Body, "銀行振込") {
		t.Fatalf("settings page lacks the unmapped order: %.3000s", page.Body)
	}
	if home := admin.Get("/"); !strings.Contains(home.Body, "licenseKey の有効期限まであと"+strconv.Itoa(10)+"日") || !strings.Contains(home.Body, "決済方法が未設定") {
		t.Fatalf("top page lacks the licenseKey warning: %.3000s", home.Body)
	}
}
