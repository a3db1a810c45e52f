package app_test

import (
	"encoding/json"
	"html/template"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"kessai/internal/app/apptest"
	"kessai/internal/browsertest"
	"kessai/internal/platform/auth"
	"kessai/internal/sandbox/gmopgsim"
)

var kantanCheckout = template.Must(template.New("c").Parse(`<!doctype html><html lang="ja"><head><meta charset="utf-8"></head><body>
<form method="post" action="{{.StartURL}}"><input type="hidden" name="AccessID" value="{{.AccessID}}"><input type="hidden" name="Token" value="{{.Token}}">
<button>かんたん支払いへ進む</button></form></body></html>`))

// TestBrowserKantanCheckout is the checkout round trip through a whole kessai: a storefront
// creates the order with POST /api/v1/orders (payment_method kantan) and posts the answer's
// access_id and token from the buyer's browser to start_url; the buyer pays on the simulator's
// Shift_JIS page and comes back to kessai's return URL, which reads the trade back and shows
// the result; the order is then 仮売上 and is captured through the API.
func TestBrowserKantanCheckout(t *testing.T) {
	t.Parallel()
	inst := apptest.Start(t, apptest.Options{})
	key := inst.APIKey(t, auth.RoleAdmin)
	var shop struct{ ID string }
	if r := inst.API(t, key, "POST", "/api/v1/shops", map[string]any{"code": "main", "name": "本店"}); r.Status != 201 {
		t.Fatalf("shop: %d %s", r.Status, r.Body)
	} else if err := json.Unmarshal([]byte(r.Body), &shop); err != nil {
		t.Fatal(err)
	}
	var order struct {
		ID      string
		Payment struct {
			StartURL string `json:"start_url"`
			AccessID string `json:"access_id"`
			Token    string
		}
	}
	store := http.NewServeMux()
	store.HandleFunc("GET /checkout", func(w http.ResponseWriter, r *http.Request) {
		res := inst.API(t, key, "POST", "/api/v1/orders", map[string]any{"shop_id": shop.ID, "payment_method": "kantan",
			"lines": []map[string]any{{"name": "抹茶セット", "unit_price": 4300, "quantity": 1}}})
		if res.Status != 201 {
			http.Error(w, res.Body, 500)
			return
		}
		if err := json.Unmarshal([]byte(res.Body), &order); err != nil {
			http.Error(w, err.Error(), 500)
			return
		}
		kantanCheckout.Execute(w, order.Payment)
	})
	srv := httptest.NewServer(store)
	t.Cleanup(srv.Close)

	p := browsertest.New(t, browsertest.Options{})
	p.Goto(srv.URL + "/checkout")
	p.ClickAndWait("かんたん支払いへ進む")
	p.WaitText("抹茶セット") // the item name, through Shift_JIS
	p.WaitText("4300円")
	p.ClickAndWait("支払う（カード・ポイント・クーポン）")
	p.ClickAndWait("お店に戻る")
	p.WaitText("お支払いを受け付けました")

	var pay struct{ Status string }
	r := inst.API(t, key, "GET", "/api/v1/orders/"+order.ID+"/payment", nil)
	if err := json.Unmarshal([]byte(r.Body), &pay); err != nil || r.Status != 200 || pay.Status != "authorized" {
		t.Fatalf("payment after the return: %d %s", r.Status, r.Body)
	}
	r = inst.API(t, key, "POST", "/api/v1/orders/"+order.ID+"/capture", nil)
	if err := json.Unmarshal([]byte(r.Body), &pay); err != nil || r.Status != 200 || pay.Status != "captured" {
		t.Fatalf("capture: %d %s", r.Status, r.Body)
	}
	// A second capture is refused with the reason.
	if r := inst.API(t, key, "POST", "/api/v1/orders/"+order.ID+"/capture", nil); r.Status != 409 {
		t.Errorf("second capture: %d %s", r.Status, r.Body)
	}
}

// TestKantanNotifyOverHTTP: GMO-PG's result notification reaches /kantan/notify through the
// whole kessai (no session, no CSRF token, the form read as posted): the ping is answered "0",
// a notification naming another shop is refused with a non-"0" answer (GMO-PG sends it again).
func TestKantanNotifyOverHTTP(t *testing.T) {
	t.Parallel()
	inst := apptest.Start(t, apptest.Options{})
	post := func(body string) (int, string) {
		res, err := http.Post(inst.URL+"/kantan/notify", "application/x-www-form-urlencoded", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res.StatusCode, string(b)
	}
	if st, body := post("ShopID=tshop00012345&ErrCode=E00&ErrInfo=E00000000"); st != 200 || body != "0" {
		t.Errorf("ping: %d %q", st, body)
	}
	if st, body := post("ShopID=tshop99999999&OrderID=x&Status=AUTH&PayType=O"); st != http.StatusForbidden || body == "0" {
		t.Errorf("another shop: %d %q", st, body)
	}
}

// TestKantanTrackingPage: 伝票番号一括登録 through a whole kessai as staff: a file with a bad
// row registers nothing and names the row; a good file ships each order, captures the 仮売上
// ones (実売り同時処理), and refuses the rest row by row with the reason.
func TestKantanTrackingPage(t *testing.T) {
	t.Parallel()
	inst := apptest.Start(t, apptest.Options{})
	key := inst.APIKey(t, auth.RoleAdmin)
	decode := func(r *apptest.Response, v any) {
		t.Helper()
		if r.Status >= 300 {
			t.Fatalf("%d %s", r.Status, r.Body)
		}
		if err := json.Unmarshal([]byte(r.Body), v); err != nil {
			t.Fatal(err)
		}
	}
	var shop struct{ ID string }
	decode(inst.API(t, key, "POST", "/api/v1/shops", map[string]any{"code": "main", "name": "本店"}), &shop)
	decode(inst.API(t, key, "PUT", "/api/v1/gmopg/settings", map[string]any{"job_cd": "AUTH", "extend_auth": true, "ship_capture": true, "capture_fail": "mark"}), &struct{}{})
	s, ok := inst.App.Sandbox.Lookup(gmopgsim.Name)
	if !ok {
		t.Fatal("no GMO-PG simulator")
	}
	sim := s.Impl.(*gmopgsim.Sim)
	type order struct{ ID, Number string }
	newOrder := func(pay bool) order {
		var o order
		decode(inst.API(t, key, "POST", "/api/v1/orders", map[string]any{"shop_id": shop.ID, "payment_method": "credit_card",
			"lines": []map[string]any{{"name": "茶葉", "unit_price": 1200, "quantity": 1}}}), &o)
		if pay {
			tok, err := sim.Tokenize(gmopgsim.CardOK, "2912", "123", "TARO YAMADA")
			if err != nil {
				t.Fatal(err)
			}
			var p struct{ Status string }
			decode(inst.API(t, key, "POST", "/api/v1/orders/"+o.ID+"/card-payment", map[string]any{"token": tok}), &p)
			if p.Status != "authorized" {
				t.Fatalf("card payment: %s", p.Status)
			}
		}
		return o
	}
	a, b, unpaid := newOrder(true), newOrder(true), newOrder(false)
	staff := inst.Client(t, auth.RoleStaff)
	upload := func(csv string) *apptest.Response {
		ct, body := multipartBody(t, [][2]string{{"csrf_token", staff.CSRF}}, "file", strings.NewReader(csv))
		return send(t, staff, "POST", "/kantan/tracking", ct, body, int64(body.Len()))
	}
	bad := upload("受注番号,送り状番号\r\n" + a.Number + ",1111\r\n" + b.Number + ",\r\n")
	if bad.Status != http.StatusUnprocessableEntity || !strings.Contains(bad.Body, "3行目: 送り状番号が空です") {
		t.Fatalf("bad file: %d\n%s", bad.Status, bad.Body)
	}
	var p struct{ Status string }
	decode(inst.API(t, key, "GET", "/api/v1/orders/"+a.ID+"/payment", nil), &p)
	if p.Status != "authorized" {
		t.Fatalf("a bad file changed an order: %s", p.Status)
	}
	good := upload("受注番号,送り状番号,配送業者\r\n" + a.Number + ",1111,yamato\r\n" + b.Number + ",2222,yamato\r\n" + unpaid.Number + ",3333,yamato\r\nmain-999999,4444,yamato\r\n")
	if good.Status != http.StatusOK || !strings.Contains(good.Body, "出荷確定 2件、登録できず 2件") {
		t.Fatalf("good file: %d\n%s", good.Status, good.Body)
	}
	for _, o := range []order{a, b} {
		decode(inst.API(t, key, "GET", "/api/v1/orders/"+o.ID+"/payment", nil), &p)
		if p.Status != "captured" {
			t.Errorf("%s after 伝票番号一括登録: %s", o.Number, p.Status)
		}
	}
}

// TestKantanOrderTab: the order page's かんたん決済 tab as 経理 sees it: 【変更内容をGMO-PGに送信】 is
// disabled while nothing is unsent and 実売上処理 is enabled; after the total is edited the send
// is enabled and 実売上処理 disabled (capture refused while a change is unsent); sending from the
// page clears it; after the order's キャンセル, 決済方法の変更 keeps it; a 閲覧 user sees the status
// but no buttons.
func TestKantanOrderTab(t *testing.T) {
	t.Parallel()
	inst := apptest.Start(t, apptest.Options{})
	key := inst.APIKey(t, auth.RoleAdmin)
	var shop struct{ ID string }
	if r := inst.API(t, key, "POST", "/api/v1/shops", map[string]any{"code": "main", "name": "本店"}); r.Status != 201 {
		t.Fatal(r.Body)
	} else {
		_ = json.Unmarshal([]byte(r.Body), &shop)
	}
	s, _ := inst.App.Sandbox.Lookup(gmopgsim.Name)
	sim := s.Impl.(*gmopgsim.Sim)
	var o struct {
		ID      string
		Version int
	}
	r := inst.API(t, key, "POST", "/api/v1/orders", map[string]any{"shop_id": shop.ID, "payment_method": "credit_card",
		"lines": []map[string]any{{"name": "茶葉", "unit_price": 5000, "quantity": 1}}})
	_ = json.Unmarshal([]byte(r.Body), &o)
	tok, _ := sim.Tokenize(gmopgsim.CardOK, "2912", "123", "TARO YAMADA")
	if r := inst.API(t, key, "POST", "/api/v1/orders/"+o.ID+"/card-payment", map[string]any{"token": tok}); r.Status != 200 {
		t.Fatal(r.Body)
	}
	keiri := inst.Client(t, auth.RoleAccountant)
	button := func(body, id string) (present, disabled bool) {
		i := strings.Index(body, `id="`+id+`"`)
		if i < 0 {
			return false, false
		}
		end := strings.Index(body[i:], ">")
		return true, strings.Contains(body[i:i+end], "disabled")
	}
	tab := keiri.Get("/orders/" + o.ID + "?tab=kantan")
	if !strings.Contains(tab.Body, "仮売上") {
		t.Fatalf("tab: %d\n%s", tab.Status, tab.Body)
	}
	if p, d := button(tab.Body, "kantan-send-change"); !p || !d {
		t.Errorf("send-change with nothing unsent: present %v disabled %v", p, d)
	}
	if p, d := button(tab.Body, "kantan-capture"); !p || d {
		t.Errorf("capture: present %v disabled %v", p, d)
	}
	if r := inst.API(t, key, "PATCH", "/api/v1/orders/"+o.ID, map[string]any{"lines": []map[string]any{{"name": "茶葉", "unit_price": 4000, "quantity": 1}}}); r.Status != 200 {
		t.Fatal(r.Body)
	}
	tab = keiri.Get("/orders/" + o.ID + "?tab=kantan")
	if p, d := button(tab.Body, "kantan-send-change"); !p || d || !strings.Contains(tab.Body, "未送信の変更あり") {
		t.Errorf("send-change with an unsent change: present %v disabled %v", p, d)
	}
	if _, d := button(tab.Body, "kantan-capture"); !d {
		t.Error("capture enabled while a change is unsent")
	}
	if r := keiri.PostForm("/kantan/orders/"+o.ID+"/send-change", nil); r.Status != http.StatusSeeOther {
		t.Fatalf("send from the page: %d %s", r.Status, r.Body)
	}
	var p struct{ Amount int64 }
	r = inst.API(t, key, "GET", "/api/v1/orders/"+o.ID+"/payment", nil)
	if _ = json.Unmarshal([]byte(r.Body), &p); p.Amount != 4000 {
		t.Errorf("after the page's send: %s", r.Body)
	}
	// 注文キャンセル → 決済方法の変更 keeps the order (新規受付, 代金引換), nothing sent to GMO-PG.
	if r := inst.API(t, key, "POST", "/api/v1/orders/"+o.ID+"/cancel", map[string]any{}); r.Status != 200 {
		t.Fatalf("cancel: %d %s", r.Status, r.Body)
	}
	tab = keiri.Get("/orders/" + o.ID + "?tab=kantan")
	if !strings.Contains(tab.Body, `id="kantan-change-method"`) || !strings.Contains(tab.Body, "注文キャンセル") {
		t.Fatalf("a cancelled payment's tab has no 決済方法の変更:\n%s", tab.Body)
	}
	if r := keiri.PostForm("/kantan/orders/"+o.ID+"/change-method", url.Values{"payment_method": {"cod"}}); r.Status != http.StatusSeeOther {
		t.Fatalf("change method: %d", r.Status)
	}
	r = inst.API(t, key, "GET", "/api/v1/orders/"+o.ID, nil)
	if !strings.Contains(r.Body, `"order_status":"new"`) || !strings.Contains(r.Body, `"payment_method":"cod"`) {
		t.Errorf("after 決済方法の変更: %s", r.Body)
	}
	viewer := inst.Client(t, auth.RoleViewer)
	tab = viewer.Get("/orders/" + o.ID + "?tab=kantan")
	if present, _ := button(tab.Body, "kantan-capture"); present || !strings.Contains(tab.Body, "注文キャンセル") {
		t.Errorf("viewer sees money buttons or no status")
	}
}
