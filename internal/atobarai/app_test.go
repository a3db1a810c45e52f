package atobarai_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"kessai/internal/app"
	"kessai/internal/app/apptest"
	"kessai/internal/atobarai"
	"kessai/internal/commerce"
	"kessai/internal/platform/auth"
	"kessai/internal/platform/bulk"
	"kessai/internal/provider/yamato"
	"kessai/internal/sandbox/mailsim"
	"kessai/internal/sandbox/yamatosim"
)

// appEnv is a whole kessai (real DB, real HTTP) talking to its built-in simulators.
type appEnv struct {
	t     *testing.T
	in    *apptest.Instance
	key   string
	sim   *yamatosim.Sim
	mails *mailsim.Catcher
	shop  commerce.Shop
	cust  commerce.Customer
}

func startApp(t *testing.T, env map[string]string) *appEnv {
	t.Helper()
	e := &appEnv{t: t}
	e.in = apptest.Start(t, apptest.Options{Configure: func(c *app.Config) {
		c.JobPollInterval = 100 * time.Millisecond // bulk runs are jobs
		c.Getenv = func(k string) string {
			if v, ok := env[k]; ok {
				return v
			}
			return map[string]string{"KESSAI_ATOBARAI_FOLLOW_UP": "0s"}[k]
		}
	}})
	s, ok := e.in.App.Sandbox.Lookup(yamatosim.Name)
	if !ok {
		t.Fatal("no yamato simulator")
	}
	e.sim = s.Impl.(*yamatosim.Sim)
	e.sim.SetFollowUpWindow(-1)
	m, ok := e.in.App.Sandbox.Lookup(mailsim.Name)
	if !ok {
		t.Fatal("no mail catcher")
	}
	e.mails = m.Impl.(*mailsim.Catcher)
	e.key = e.in.APIKey(t, auth.RoleAdmin)
	ctx := auth.WithPrincipal(context.Background(), auth.System("test"))
	var err error
	if e.shop, err = e.in.App.Commerce.CreateShop(ctx, commerce.Shop{Code: "S1", Name: "本店"}); err != nil {
		t.Fatal(err)
	}
	if e.cust, err = e.in.App.Commerce.CreateCustomer(ctx, commerce.Customer{Code: "C1", Name: "山田 太郎", NameKana: "ヤマダ タロウ", Email: "taro@example.jp"}); err != nil {
		t.Fatal(err)
	}
	return e
}

func (e *appEnv) api(method, path string, body any) (*apptest.Response, map[string]any) {
	e.t.Helper()
	r := e.in.API(e.t, e.key, method, path, body)
	var m map[string]any
	_ = json.Unmarshal([]byte(r.Body), &m)
	return r, m
}

var addrN int

func (e *appEnv) orderInput(name string, price int64) map[string]any {
	addrN++
	return map[string]any{"shop_id": e.shop.ID, "customer_id": e.cust.ID, "payment_method": "atobarai", "ship_name": name,
		"ship_postal_code": "100-0005", "ship_address": "東京都千代田区丸の内2-" + strconv.Itoa(addrN) + "-1", "ship_phone": "03-1234-5678",
		"shipping_fee": 500, "lines": []map[string]any{{"name": "りんご", "unit_price": price, "quantity": 2}}}
}

func str(m map[string]any, path ...string) string {
	var v any = m
	for _, p := range path {
		mm, _ := v.(map[string]any)
		v = mm[p]
	}
	switch x := v.(type) {
	case string:
		return x
	case float64:
		b, _ := json.Marshal(x)
		return string(b)
	}
	return ""
}

// TestCheckoutAndLifecycle runs the API mode over HTTP: checkout with each credit outcome,
// shipment with the 発送完了メール in the catcher, a reduction, a same-amount edit refused
// with the workaround, and a cancel.
func TestCheckoutAndLifecycle(t *testing.T) {
	t.Parallel()
	e := startApp(t, nil)

	// 与信OK: the order exists, authorized, with its transaction.
	r, ok := e.api(http.MethodPost, "/api/v1/orders", e.orderInput("山田 太郎", 2000))
	if r.Status != http.StatusCreated || str(ok, "payment", "atobarai", "credit") != atobarai.CreditOK || str(ok, "authorization_status") != "authorized" {
		t.Fatalf("checkout OK: %d %s", r.Status, r.Body)
	}
	id := str(ok, "id")
	_, tx := e.api(http.MethodGet, "/api/v1/orders/"+id+"/atobarai", nil)
	if str(tx, "credit_label") != "与信OK" || str(tx, "total") != "4500" {
		t.Fatalf("transaction %v", tx)
	}
	tab := e.in.Client(t, auth.RoleViewer).Get("/orders/" + id + "?tab=atobarai")
	if tab.Status != http.StatusOK || !strings.Contains(tab.Body, `id="atobarai-tab"`) || !strings.Contains(tab.Body, str(tx, "order_no")) || !strings.Contains(tab.Body, "与信OK") {
		t.Fatalf("the order's 後払い tab: %d", tab.Status)
	}

	// 与信NG: refused with the buyer's message, nothing kept but the audit entry.
	before := countOrders(t, e)
	r, ng := e.api(http.MethodPost, "/api/v1/orders", e.orderInput("不可 花子", 2000))
	if r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Body, atobarai.RefusedMessage) {
		t.Fatalf("checkout NG: %d %s", r.Status, r.Body)
	}
	_ = ng
	if n := countOrders(t, e); n != before {
		t.Fatalf("a refused checkout left an order: %d → %d", before, n)
	}
	var txns, audits int
	db := e.in.App.DB
	if err := db.QueryRowContext(context.Background(), `SELECT COUNT(*) FROM atobarai_transactions`).Scan(&txns); err != nil || txns != 1 {
		t.Fatalf("transactions %d, %v (want only the approved one)", txns, err)
	}
	if err := db.QueryRowContext(context.Background(), `SELECT COUNT(*) FROM audit_log WHERE action = 'atobarai.credit_refused'`).Scan(&audits); err != nil || audits != 1 {
		t.Fatalf("audit entries %d, %v", audits, err)
	}

	// 審査中: created 保留 / 与信保留; the re-read after Yamato decided makes it OK.
	r, hold := e.api(http.MethodPost, "/api/v1/orders", e.orderInput("審査 次郎", 2000))
	if r.Status != http.StatusCreated || str(hold, "order_status") != "on_hold" || str(hold, "payment", "atobarai", "credit") != atobarai.CreditHold {
		t.Fatalf("checkout 審査中: %d %s", r.Status, r.Body)
	}
	e.in.App.Clock.Advance(31 * time.Minute)
	r, tx = e.api(http.MethodPost, "/api/v1/orders/"+str(hold, "id")+"/atobarai/refresh", nil)
	if r.Status != http.StatusOK || str(tx, "credit") != atobarai.CreditOK {
		t.Fatalf("refresh of the held credit: %d %s", r.Status, r.Body)
	}
	_, ho := e.api(http.MethodGet, "/api/v1/orders/"+str(hold, "id"), nil)
	if str(ho, "authorization_status") != "authorized" || str(ho, "order_status") != "new" {
		t.Fatalf("the order did not follow the credit: %v", ho)
	}

	// A content change with the same amount is refused with the workaround; a lower total
	// reduces at Yamato.
	r, _ = e.api(http.MethodPatch, "/api/v1/orders/"+id, map[string]any{"lines": []map[string]any{{"name": "みかん", "unit_price": 2000, "quantity": 2}}})
	if r.Status != http.StatusConflict || !strings.Contains(r.Body, "支払方法をいったん後払い以外") {
		t.Fatalf("same amount: %d %s", r.Status, r.Body)
	}
	r, _ = e.api(http.MethodPatch, "/api/v1/orders/"+id, map[string]any{"lines": []map[string]any{{"name": "りんご", "unit_price": 1500, "quantity": 2}}})
	if r.Status != http.StatusOK {
		t.Fatalf("reduce: %d %s", r.Status, r.Body)
	}
	_, tx = e.api(http.MethodGet, "/api/v1/orders/"+id+"/atobarai", nil)
	no := str(tx, "order_no")
	if so, _ := e.sim.Order(no); str(tx, "total") != "3500" || so.Total != 3500 {
		t.Fatalf("after the reduction: kessai %s, Yamato %d", str(tx, "total"), so.Total)
	}
	r, _ = e.api(http.MethodPatch, "/api/v1/orders/"+id, map[string]any{"lines": []map[string]any{{"name": "りんご", "unit_price": 2500, "quantity": 2}}})
	if r.Status != http.StatusConflict || !strings.Contains(r.Body, "増額できません") {
		t.Fatalf("increase: %d %s", r.Status, r.Body)
	}

	// Shipment: registered at Yamato, the order shipped, the mail in the catcher.
	tracking := yamato.WithCheckDigit("50000000001")
	r = e.api2(http.MethodPost, "/api/v1/orders/"+id+"/shipment", map[string]any{"tracking_number": tracking})
	if r.Status != http.StatusConflict || historyCount(e.sim, no, "出荷情報登録") != 0 {
		t.Fatalf("shipment of a 新規受付 order: %d %s (want 409, nothing sent)", r.Status, r.Body)
	}
	if r, _ = e.api(http.MethodPatch, "/api/v1/orders/"+id, map[string]any{"order_status": "awaiting_shipment"}); r.Status != http.StatusOK {
		t.Fatalf("出荷待ち: %d %s", r.Status, r.Body)
	}
	r, sh := e.api(http.MethodPost, "/api/v1/orders/"+id+"/shipment", map[string]any{"tracking_number": tracking})
	if r.Status != http.StatusOK || str(sh, "atobarai", "status") != "3" || str(sh, "order", "order_status") != "shipped" || str(sh, "mail") != "sent" {
		t.Fatalf("shipment: %d %s", r.Status, r.Body)
	}
	if so, _ := e.sim.Order(no); so.TrackingNo != tracking || so.Status != yamato.StatusShipped {
		t.Fatalf("Yamato holds %+v", so)
	}
	msgs := e.mails.Messages()
	if len(msgs) != 1 || msgs[0].To[0] != "taro@example.jp" || !strings.Contains(msgs[0].Subject, "発送完了") ||
		!strings.Contains(msgs[0].Body, tracking) || !strings.Contains(msgs[0].Body, "クロネコ代金後払い") {
		t.Fatalf("mails %+v", msgs)
	}
	// The inbox shows buyers' addresses: a kessai login may open it, nobody else.
	if r := e.in.Anonymous(t).Get("/sandbox/mail/inbox"); r.Status == http.StatusOK {
		t.Fatalf("the mail inbox answered %d without a login", r.Status)
	}
	if r := e.in.Client(t, auth.RoleAdmin).Get("/sandbox/mail/inbox"); r.Status != http.StatusOK || !strings.Contains(r.Body, tracking) {
		t.Fatalf("the mail inbox for an admin: %d", r.Status)
	}

	// Cancel: the held-then-approved order is cancelled at Yamato.
	r, _ = e.api(http.MethodPost, "/api/v1/orders/"+str(hold, "id")+"/cancel", map[string]any{})
	if r.Status != http.StatusOK {
		t.Fatalf("cancel: %d %s", r.Status, r.Body)
	}
	_, tx = e.api(http.MethodGet, "/api/v1/orders/"+str(hold, "id")+"/atobarai", nil)
	if so, _ := e.sim.Order(str(tx, "order_no")); str(tx, "status") != "2" || so.Status != yamato.StatusCancelled {
		t.Fatalf("after cancel: kessai %s, Yamato %s", str(tx, "status"), so.Status)
	}
}

func countOrders(t *testing.T, e *appEnv) int {
	t.Helper()
	var n int
	if err := e.in.App.DB.QueryRowContext(context.Background(), `SELECT COUNT(*) FROM orders`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func (e *appEnv) api2(method, path string, body any) *apptest.Response {
	e.t.Helper()
	return e.in.API(e.t, e.key, method, path, body)
}

// upload posts a CSV file as the request body.
func (e *appEnv) upload(path string, b []byte) *apptest.Response {
	e.t.Helper()
	req, err := http.NewRequest(http.MethodPost, e.in.URL+path, bytes.NewReader(b))
	if err != nil {
		e.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "text/csv")
	req.Header.Set("Authorization", "Bearer "+e.key)
	return e.in.Anonymous(e.t).Do(req)
}

// approvedOrder is a 与信OK order waiting for shipment with tracking number no.
func (e *appEnv) approvedOrder(no string) string {
	e.t.Helper()
	r, o := e.api(http.MethodPost, "/api/v1/orders", e.orderInput("山田 太郎", 1000))
	if r.Status != http.StatusCreated {
		e.t.Fatalf("order: %d %s", r.Status, r.Body)
	}
	id := str(o, "id")
	if r, _ := e.api(http.MethodPatch, "/api/v1/orders/"+id, map[string]any{"order_status": "awaiting_shipment", "tracking_number": no}); r.Status != http.StatusOK {
		e.t.Fatalf("出荷待ち: %d %s", r.Status, r.Body)
	}
	return id
}

// TestShipSettle: 発送完了 with 【決済済みに変更】 (API settle: true, and the list's bulk action)
// registers the shipment at Yamato and mails the buyer; without it nothing goes to Yamato.
func TestShipSettle(t *testing.T) {
	t.Parallel()
	e := startApp(t, nil)
	t1, t2, t3 := yamato.WithCheckDigit("70000000001"), yamato.WithCheckDigit("70000000002"), yamato.WithCheckDigit("70000000003")
	a, b, c := e.approvedOrder(t1), e.approvedOrder(t2), e.approvedOrder(t3)
	noOf := func(id string) string {
		_, tx := e.api(http.MethodGet, "/api/v1/orders/"+id+"/atobarai", nil)
		return str(tx, "order_no")
	}

	r, out := e.api(http.MethodPost, "/api/v1/orders/status", map[string]any{"order_ids": []string{a}, "status": "shipped", "settle": true})
	if r.Status != http.StatusOK || !strings.Contains(r.Body, `"ok":true`) || !strings.Contains(r.Body, `"mail":"sent"`) {
		t.Fatalf("settle: %d %s", r.Status, r.Body)
	}
	_ = out
	if so, _ := e.sim.Order(noOf(a)); so.Status != yamato.StatusShipped || so.TrackingNo != t1 {
		t.Fatalf("Yamato after settle: %+v", so)
	}
	r, _ = e.api(http.MethodPost, "/api/v1/orders/status", map[string]any{"order_ids": []string{b}, "status": "shipped"})
	if r.Status != http.StatusOK || !strings.Contains(r.Body, `"ok":true`) {
		t.Fatalf("without settle: %d %s", r.Status, r.Body)
	}
	if n := historyCount(e.sim, noOf(b), "出荷情報登録"); n != 0 {
		t.Fatal("発送完了 without 決済済みに変更 registered the shipment")
	}

	// The list's bulk action on the third order (and the second: already shipped there, it
	// is registered now).
	ctx := auth.WithPrincipal(context.Background(), &auth.Principal{Kind: auth.KindUser, ID: "u", Name: "staff", Role: auth.RoleAdmin})
	run, _, err := e.in.App.Bulk.Start(ctx, bulk.Request{Action: "atobarai_ship_settle", Token: "t1", IDs: []string{c}})
	if err != nil {
		t.Fatal(err)
	}
	if err := e.in.App.Bulk.Process(ctx, run); err != nil {
		t.Fatal(err)
	}
	items, err := e.in.App.Bulk.Items(ctx, run, "done", 10)
	if err != nil || len(items) != 1 || items[0].Outcome != "done" || !strings.Contains(items[0].Reason, "発送完了メールを送りました") {
		t.Fatalf("bulk items %+v, %v", items, err)
	}
	if so, _ := e.sim.Order(noOf(c)); so.Status != yamato.StatusShipped || so.TrackingNo != t3 {
		t.Fatalf("Yamato after the bulk action: %+v", so)
	}
	if _, o := e.api(http.MethodGet, "/api/v1/orders/"+c, nil); str(o, "order_status") != "shipped" {
		t.Fatalf("order after the bulk action: %v", o)
	}
	mails := e.mails.Messages()
	if len(mails) != 2 || !strings.Contains(mails[0].Body, t3) || !strings.Contains(mails[1].Body, t1) {
		t.Fatalf("mails %+v", mails)
	}
}

// TestConnection: 接続テスト proves the store code and password against Yamato (the simulator)
// without touching a transaction; a wrong password or an 11-digit rule break is named.
func TestConnection(t *testing.T) {
	t.Parallel()
	e := startApp(t, nil)
	ctx := auth.WithPrincipal(context.Background(), auth.System("test"))
	reg := e.in.App.Connections
	if err := reg.Test(ctx, atobarai.ConnKey, ""); err != nil {
		t.Fatalf("sandbox defaults: %v", err)
	}
	cases := []struct {
		name string
		in   map[string]string
		has  string
	}{
		{"wrong password", map[string]string{atobarai.FieldStoreCode: yamatosim.DefaultStoreCode, atobarai.FieldPassword: "wrong1"}, "kaast012E"},
		{"unknown store", map[string]string{atobarai.FieldStoreCode: "12345678900", atobarai.FieldPassword: yamatosim.DefaultPassword}, "kaast015E"},
		{"not 11 digits", map[string]string{atobarai.FieldStoreCode: "1234", atobarai.FieldPassword: yamatosim.DefaultPassword}, "11桁"},
	}
	for _, c := range cases {
		c.in["_environment"] = "sandbox"
		if err := reg.Save(ctx, atobarai.ConnKey, "", c.in); err != nil {
			t.Fatalf("%s: save: %v", c.name, err)
		}
		err := reg.Test(ctx, atobarai.ConnKey, "")
		if err == nil || !strings.Contains(errText(err), c.has) {
			t.Errorf("%s: %v, want it to name %s", c.name, err, c.has)
		}
		if cn, _ := reg.Get(ctx, atobarai.ConnKey, ""); cn.State.Enabled {
			t.Errorf("%s: the connection stayed 有効", c.name)
		}
	}
	if len(e.sim.Orders()) != 0 {
		t.Fatal("the connection test made a transaction")
	}
}

// TestSwitchPaymentMethod: the documented workaround works — leaving 後払い cancels the credit
// at Yamato, the content is changed, and coming back runs a new credit under a new 受注番号.
func TestSwitchPaymentMethod(t *testing.T) {
	t.Parallel()
	e := startApp(t, nil)
	r, o := e.api(http.MethodPost, "/api/v1/orders", e.orderInput("山田 太郎", 2000))
	if r.Status != http.StatusCreated {
		t.Fatalf("order: %d %s", r.Status, r.Body)
	}
	id := str(o, "id")
	_, tx := e.api(http.MethodGet, "/api/v1/orders/"+id+"/atobarai", nil)
	first := str(tx, "order_no")
	if r, _ := e.api(http.MethodPatch, "/api/v1/orders/"+id, map[string]any{"payment_method": "bank_transfer"}); r.Status != http.StatusOK {
		t.Fatalf("leave 後払い: %d %s", r.Status, r.Body)
	}
	if so, _ := e.sim.Order(first); so.Status != yamato.StatusCancelled {
		t.Fatalf("the first credit at Yamato: %s, want 取消済", so.Status)
	}
	if r, _ := e.api(http.MethodPatch, "/api/v1/orders/"+id, map[string]any{"lines": []map[string]any{{"name": "みかん", "unit_price": 2000, "quantity": 2}}}); r.Status != http.StatusOK {
		t.Fatalf("content change while not 後払い: %d %s", r.Status, r.Body)
	}
	if r, _ := e.api(http.MethodPatch, "/api/v1/orders/"+id, map[string]any{"payment_method": "atobarai"}); r.Status != http.StatusOK {
		t.Fatalf("back to 後払い: %d %s", r.Status, r.Body)
	}
	_, tx = e.api(http.MethodGet, "/api/v1/orders/"+id+"/atobarai", nil)
	second := str(tx, "order_no")
	so, ok := e.sim.Order(second)
	if second == first || str(tx, "credit") != atobarai.CreditOK || !ok || so.Items[0].Name != "みかん" {
		t.Fatalf("new credit %s (first %s): %v; Yamato %+v", second, first, tx, so)
	}
	if _, ord := e.api(http.MethodGet, "/api/v1/orders/"+id, nil); str(ord, "authorization_status") != "authorized" {
		t.Fatalf("order after the new credit: %v", ord)
	}
}

// TestTrackingCSV: 受注データCSVアップロード of the carrier's 送り状番号データ sets the orders'
// tracking numbers, all rows or none, with row numbers for the bad ones.
func TestTrackingCSV(t *testing.T) {
	t.Parallel()
	e := startApp(t, nil)
	var nums, ids []string
	for range 2 {
		r, o := e.api(http.MethodPost, "/api/v1/orders", e.orderInput("山田 太郎", 1000))
		if r.Status != http.StatusCreated {
			t.Fatalf("order: %d %s", r.Status, r.Body)
		}
		nums, ids = append(nums, str(o, "number")), append(ids, str(o, "id"))
	}
	t1, t2 := yamato.WithCheckDigit("90000000001"), yamato.WithCheckDigit("90000000002")
	bad := "受注番号,送り状番号,出荷日\r\n" + nums[0] + "," + t1 + ",2026-12-05\r\n" + nums[1] + ",123456789010,\r\nNOPE," + t2 + ",\r\n"
	r := e.upload("/api/v1/orders/import?kind="+atobarai.DataKindTracking, []byte(bad))
	if r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Body, `"rows.3.送り状番号"`) || !strings.Contains(r.Body, `"rows.4.受注番号"`) {
		t.Fatalf("bad file: %d %s", r.Status, r.Body)
	}
	if _, o := e.api(http.MethodGet, "/api/v1/orders/"+ids[0], nil); str(o, "tracking_number") != "" {
		t.Fatal("a refused file set a tracking number")
	}
	good := "受注番号,送り状番号,出荷日\r\n" + nums[0] + "," + t1[:4] + "-" + t1[4:8] + "-" + t1[8:] + ",2026-12-05\r\n" + nums[1] + "," + t2 + ",\r\n"
	r = e.upload("/api/v1/orders/import?kind="+atobarai.DataKindTracking, []byte(good))
	if r.Status != http.StatusCreated || !strings.Contains(r.Body, `"created":2`) {
		t.Fatalf("good file: %d %s", r.Status, r.Body)
	}
	for i, want := range []string{t1, t2} {
		if _, o := e.api(http.MethodGet, "/api/v1/orders/"+ids[i], nil); str(o, "tracking_number") != want || str(o, "carrier") != yamato.CarrierYamato {
			t.Errorf("order %d: %v", i, o)
		}
	}
}
