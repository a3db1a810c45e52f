package commerce_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"kessai/internal/commerce"
	"kessai/internal/platform/auth"
)

// orderForm is a good order form: two lines (10% and 8%) with an empty row between them.
func (e *pagesEnv) orderForm() url.Values {
	return url.Values{
		"shop_id": {e.fx.shop.ID}, "customer_code": {e.fx.customer.Code}, "ordered_at": {"2026-04-09T14:30"},
		"payment_method": {"bank_transfer"}, "order_status": {"new"}, "payment_status": {"unpaid"},
		"ship_name": {"山田 太郎"}, "ship_postal_code": {"1000001"}, "ship_address": {"東京都千代田区千代田1-1"},
		"shipping_fee": {"800"},
		"lines.0.sku":  {"A-1"}, "lines.0.name": {"ボールペン"}, "lines.0.unit_price": {"1,000"}, "lines.0.quantity": {"3"}, "lines.0.tax_rate": {"10"},
		"lines.1.sku": {""}, "lines.1.name": {""}, "lines.1.unit_price": {""}, "lines.1.quantity": {""}, "lines.1.tax_rate": {"10"},
		"lines.2.sku": {"F-9"}, "lines.2.name": {"お茶"}, "lines.2.unit_price": {"155"}, "lines.2.quantity": {"1"}, "lines.2.tax_rate": {"8"},
	}
}

func (e *pagesEnv) orderCount(t *testing.T) int {
	t.Helper()
	var n int
	if err := e.store.DB().QueryRowContext(context.Background(), `SELECT COUNT(*) FROM orders`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestOrderCreateAndEditWithLines(t *testing.T) {
	t.Parallel()
	e := newPages(t, auth.RoleStaff)
	ctx := context.Background()
	if code, body := e.get(t, "/orders/new"); code != 200 || !strings.Contains(body, `name="lines.4.name"`) || !strings.Contains(body, "行を追加") {
		t.Fatalf("new form: %d", code)
	}
	res, _ := e.post(t, "/orders", e.orderForm())
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("create: %d", res.StatusCode)
	}
	o, err := e.store.GetOrderByNumber(ctx, "main-000001")
	if err != nil {
		t.Fatal(err)
	}
	// 3,155 = 3,000 + 155; tax 300 (10% of 3,000) + 12 (8% of 155, rounded down); total + 800 shipping.
	if o.Source != "manual" || len(o.Lines) != 2 || o.Subtotal != 3155 || o.Tax != 312 || o.Total != 4267 ||
		o.Lines[1].Name != "お茶" || o.Lines[1].LineNo != 2 || o.ShipPostalCode != "100-0001" {
		t.Fatalf("created %+v", o)
	}
	if got := o.OrderedAt.Format("2006-01-02 15:04"); got != "2026-04-09 05:30" { // 14:30 JST
		t.Errorf("ordered_at %s UTC", got)
	}
	_, body := e.get(t, res.Header.Get("Location"))
	for _, w := range []string{"¥3,155", "¥312", "¥4,267", ">編集</a>", "複写して新規作成", "キャンセル</button>"} {
		if !strings.Contains(body, w) {
			t.Errorf("detail lacks %q", w)
		}
	}
	code, body := e.get(t, "/orders/"+o.ID+"/edit")
	if code != 200 || !strings.Contains(body, `name="lines.1.name" value="お茶"`) || !strings.Contains(body, `value="2026-04-09T14:30"`) ||
		!strings.Contains(body, `name="lines.6.name"`) || !strings.Contains(body, `name="tax" value=""`) {
		t.Fatalf("edit form: %d", code)
	}
	// Edit: drop the tea, buy 5 pens, the tax follows the lines; then a typed tax is kept.
	form := e.orderForm()
	form.Set("version", "1")
	form.Set("lines.0.quantity", "5")
	for _, k := range []string{"sku", "name", "unit_price", "quantity"} {
		form.Set("lines.2."+k, "")
	}
	form.Set("payment_status", "paid")
	if res, _ := e.post(t, "/orders/"+o.ID, form); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("edit: %d", res.StatusCode)
	}
	o, _ = e.store.GetOrder(ctx, o.ID)
	if len(o.Lines) != 1 || o.Subtotal != 5000 || o.Tax != 500 || o.Total != 6300 || o.PaymentStatus != "paid" || o.Version != 2 {
		t.Fatalf("edited %+v", o)
	}
	form.Set("version", "2")
	form.Set("tax", "450")
	if res, _ := e.post(t, "/orders/"+o.ID, form); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("edit tax: %d", res.StatusCode)
	}
	if o, _ = e.store.GetOrder(ctx, o.ID); o.Tax != 450 || o.Total != 6250 {
		t.Errorf("typed tax: %+v", o)
	}
	if _, body := e.get(t, "/orders/"+o.ID+"/edit"); !strings.Contains(body, `name="tax" value="450"`) {
		t.Errorf("edit form lost the typed tax")
	}
	// 「行を追加」 without JavaScript: re-renders with the totals and five more empty rows, saves nothing.
	form.Set("op", "recalc")
	res, body = e.post(t, "/orders/"+o.ID, form)
	if res.StatusCode != 200 || !strings.Contains(body, `name="lines.5.name"`) || !strings.Contains(body, "¥6,250") {
		t.Errorf("recalc: %d", res.StatusCode)
	}
	if o2, _ := e.store.GetOrder(ctx, o.ID); o2.Version != o.Version {
		t.Errorf("recalc saved")
	}
}

func TestOrderFormErrors(t *testing.T) {
	t.Parallel()
	e := newPages(t, auth.RoleStaff)
	tests := []struct {
		name   string
		change map[string]string
		want   []string
	}{
		{"bad line", map[string]string{"lines.2.quantity": "0", "lines.2.unit_price": ""},
			[]string{"2行目の単価を入力してください", "2行目の数量は1以上にしてください", `name="lines.1.name" value="お茶"`}},
		{"no lines", map[string]string{"lines.0.sku": "", "lines.0.name": "", "lines.0.unit_price": "", "lines.0.quantity": "", "lines.2.sku": "", "lines.2.name": "", "lines.2.unit_price": "", "lines.2.quantity": ""},
			[]string{"明細を1行以上入力してください"}},
		{"bad numbers", map[string]string{"lines.0.unit_price": "千円", "shipping_fee": "-1", "tax": "x"},
			[]string{"1行目の単価は半角の整数で", "送料は0円以上", "消費税は半角の整数で"}},
		{"unknown customer and no date", map[string]string{"customer_code": "C999999", "ordered_at": ""},
			[]string{"C999999 の顧客が見つかりません", "受注日時を入力してください"}},
		{"cancel by the form", map[string]string{"order_status": "cancelled"}, []string{"「キャンセル」ボタンから"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			form := e.orderForm()
			for k, v := range tt.change {
				form.Set(k, v)
			}
			res, body := e.post(t, "/orders", form)
			if res.StatusCode != http.StatusUnprocessableEntity {
				t.Fatalf("status %d", res.StatusCode)
			}
			for _, w := range tt.want {
				if !strings.Contains(body, w) {
					t.Errorf("form lacks %q", w)
				}
			}
		})
	}
	if n := e.orderCount(t); n != 0 {
		t.Errorf("%d orders saved from bad forms", n)
	}
}

func TestOrderStaleCopyCancelShip(t *testing.T) {
	t.Parallel()
	e := newPages(t, auth.RoleStaff)
	ctx := context.Background()
	if res, _ := e.post(t, "/orders", e.orderForm()); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("create: %d", res.StatusCode)
	}
	o, _ := e.store.GetOrderByNumber(ctx, "main-000001")
	// Someone else saves first: the form comes back with the conflict, keeping what was typed.
	if _, err := e.store.ShipOrder(ctx, o.ID, 1, "", "", ""); err == nil {
		t.Fatal("ship without tracking number succeeded")
	}
	o.Note = "他の人の変更"
	if _, err := e.store.UpdateOrder(ctx, o); err != nil {
		t.Fatal(err)
	}
	form := e.orderForm()
	form.Set("version", "1")
	form.Set("note", "私の変更")
	res, body := e.post(t, "/orders/"+o.ID, form)
	if res.StatusCode != http.StatusConflict || !strings.Contains(body, "他の操作で更新されています") || !strings.Contains(body, "私の変更") {
		t.Errorf("stale edit: %d", res.StatusCode)
	}
	if got, _ := e.store.GetOrder(ctx, o.ID); got.Note != "他の人の変更" {
		t.Errorf("stale edit saved: %q", got.Note)
	}
	// 複写: the form starts from the original; saving makes a new slip with source copy.
	code, body := e.get(t, "/orders/new?copy="+o.ID)
	if code != 200 || !strings.Contains(body, "main-000001 を複写") || !strings.Contains(body, `name="source" value="copy"`) ||
		!strings.Contains(body, `name="lines.0.name" value="ボールペン"`) {
		t.Fatalf("copy form: %d", code)
	}
	copyForm := e.orderForm()
	copyForm.Set("source", "copy")
	copyForm.Set("order_status", "new")
	if res, _ := e.post(t, "/orders", copyForm); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("copy: %d", res.StatusCode)
	}
	cp, err := e.store.GetOrderByNumber(ctx, "main-000002")
	if err != nil || cp.Source != "copy" || cp.OrderStatus != "new" || cp.Total != o.Total {
		t.Errorf("copy %+v %v", cp, err)
	}
	// 出荷確定 needs 出荷待ち and a tracking number; then the order can't be cancelled.
	if res, _ := e.post(t, "/orders/"+o.ID+"/ship", url.Values{"version": {"2"}, "tracking_number": {"1234-5678-9012"}}); res.StatusCode != http.StatusConflict {
		t.Errorf("ship a new order: %d", res.StatusCode)
	}
	o, _ = e.store.GetOrder(ctx, o.ID)
	o.OrderStatus = "awaiting_shipment"
	if o, err = e.store.UpdateOrder(ctx, o); err != nil {
		t.Fatal(err)
	}
	if _, body := e.get(t, "/orders/"+o.ID); !strings.Contains(body, "出荷確定する") {
		t.Errorf("detail lacks the ship form")
	}
	if res, _ := e.post(t, "/orders/"+o.ID+"/ship", url.Values{"version": {"3"}, "carrier": {"ヤマト運輸"}}); res.StatusCode != http.StatusUnprocessableEntity {
		t.Errorf("ship without tracking: %d", res.StatusCode)
	}
	res, _ = e.post(t, "/orders/"+o.ID+"/ship", url.Values{"version": {"3"}, "carrier": {"ヤマト運輸"}, "tracking_number": {"1234-5678-9012"}})
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("ship: %d", res.StatusCode)
	}
	o, _ = e.store.GetOrder(ctx, o.ID)
	if o.OrderStatus != "shipped" || o.ShippedOn != "2026-04-10" || o.TrackingNumber != "1234-5678-9012" {
		t.Errorf("shipped %+v", o)
	}
	if _, body := e.get(t, "/orders/"+o.ID); strings.Contains(body, "キャンセル</button>") || strings.Contains(body, "出荷確定する") {
		t.Errorf("shipped order offers cancel or ship")
	}
	// Cancel the copy; a cancelled order has no edit form.
	if res, _ := e.post(t, "/orders/"+cp.ID+"/cancel", url.Values{"version": {"1"}}); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("cancel: %d", res.StatusCode)
	}
	if cp, _ = e.store.GetOrder(ctx, cp.ID); cp.OrderStatus != "cancelled" || cp.CancelType != "1" {
		t.Errorf("cancelled %+v", cp)
	}
	if code, _ := e.get(t, "/orders/"+cp.ID+"/edit"); code != http.StatusConflict {
		t.Errorf("edit a cancelled order: %d", code)
	}
}

func TestSubscriptionFormAndStatusButtons(t *testing.T) {
	t.Parallel()
	e := newPages(t, auth.RoleStaff)
	ctx := context.Background()
	card, err := e.store.CreateCard(ctx, commerce.Card{CustomerID: e.fx.customer.ID, Provider: "gmopg", MemberID: "M1", CardSeq: "0",
		MaskedPAN: "************1111", ExpireYM: "2812"})
	if err != nil {
		t.Fatal(err)
	}
	form := url.Values{"customer_code": {e.fx.customer.Code}, "shop_id": {e.fx.shop.ID}, "product_name": {"コーヒー豆 定期便"},
		"amount": {"3,240"}, "cycle_months": {"2"}, "next_billing_on": {"2026-05-01"}, "status": {"active"}}
	// Without a card an active subscription is refused; 「カードを表示」 lists the customer's cards.
	res, body := e.post(t, "/subscriptions", form)
	if res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, "請求するカードが必要です") || !strings.Contains(body, "************1111") {
		t.Fatalf("no card: %d", res.StatusCode)
	}
	// Expiry as printed on the card (MM/YY), not the stored YYMM.
	if !strings.Contains(body, "有効期限 12/28") || strings.Contains(body, "2812") {
		t.Errorf("card expiry not shown as MM/YY")
	}
	form.Set("op", "cards")
	if res, body := e.post(t, "/subscriptions", form); res.StatusCode != 200 || !strings.Contains(body, `value="`+card.ID+`"`) {
		t.Errorf("cards: %d", res.StatusCode)
	}
	form.Del("op")
	form.Set("card_id", card.ID)
	res, _ = e.post(t, "/subscriptions", form)
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("create: %d", res.StatusCode)
	}
	sb, err := e.store.GetSubscriptionByCode(ctx, "S000001")
	if err != nil || sb.Amount != 3240 || sb.CycleMonths != 2 || sb.CardID != card.ID || sb.Status != "active" {
		t.Fatalf("created %+v %v", sb, err)
	}
	_, body = e.get(t, "/subscriptions/"+sb.ID)
	if !strings.Contains(body, "有効期限 12/28") {
		t.Errorf("subscription detail: card expiry not MM/YY")
	}
	if _, cust := e.get(t, "/customers/"+e.fx.customer.ID); !strings.Contains(cust, "<td>12/28</td>") {
		t.Errorf("customer detail: card expiry not MM/YY")
	}
	if !strings.Contains(body, ">休止する</button>") || !strings.Contains(body, ">解約する</button>") || strings.Contains(body, ">再開する</button>") {
		t.Errorf("active detail buttons wrong")
	}
	steps := []struct {
		to      string
		version string
		status  int
		want    string
	}{
		{"paused", "1", http.StatusSeeOther, "paused"},
		{"paused", "2", http.StatusConflict, "paused"}, // already paused: 休止中 allows no pause
		{"active", "1", http.StatusConflict, "paused"}, // stale
		{"active", "2", http.StatusSeeOther, "active"},
		{"bogus", "3", http.StatusUnprocessableEntity, "active"},
	}
	for _, s := range steps {
		res, _ := e.post(t, "/subscriptions/"+sb.ID+"/status", url.Values{"to": {s.to}, "version": {s.version}})
		got, _ := e.store.GetSubscription(ctx, sb.ID)
		if res.StatusCode != s.status || got.Status != s.want {
			t.Errorf("to %s v%s: %d %s, want %d %s", s.to, s.version, res.StatusCode, got.Status, s.status, s.want)
		}
	}
	// Edit: the status stays (buttons change it); a stale version shows the conflict.
	edit := url.Values{"customer_code": {e.fx.customer.Code}, "shop_id": {e.fx.shop.ID}, "card_id": {card.ID}, "product_name": {"コーヒー豆 定期便（深煎り）"},
		"amount": {"3500"}, "cycle_months": {"1"}, "next_billing_on": {"2026-05-10"}, "status": {"cancelled"}, "version": {"3"}}
	if res, _ := e.post(t, "/subscriptions/"+sb.ID, edit); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("edit: %d", res.StatusCode)
	}
	sb, _ = e.store.GetSubscription(ctx, sb.ID)
	if sb.Amount != 3500 || sb.Status != "active" || sb.NextBillingOn != "2026-05-10" {
		t.Errorf("edited %+v", sb)
	}
	res, body = e.post(t, "/subscriptions/"+sb.ID, edit)
	if res.StatusCode != http.StatusConflict || !strings.Contains(body, "他の操作で更新されています") {
		t.Errorf("stale edit: %d", res.StatusCode)
	}
}

func TestShopsAreAdminOnly(t *testing.T) {
	t.Parallel()
	staff := newPages(t, auth.RoleStaff)
	for _, path := range []string{"/settings/shops", "/settings/shops/new", "/settings/shops/" + staff.fx.shop.ID + "/edit"} {
		if code, _ := staff.get(t, path); code != http.StatusForbidden {
			t.Errorf("staff GET %s: %d", path, code)
		}
	}
	if res, _ := staff.post(t, "/settings/shops/"+staff.fx.shop.ID, url.Values{"name": {"乗っ取り"}, "version": {"1"}}); res.StatusCode != http.StatusForbidden {
		t.Errorf("staff POST: %d", res.StatusCode)
	}
	if sh, _ := staff.store.GetShop(context.Background(), staff.fx.shop.ID); sh.Name != "本店" {
		t.Errorf("staff renamed the shop: %q", sh.Name)
	}

	e := newPages(t, auth.RoleAdmin)
	ctx := context.Background()
	tests := []struct {
		form   url.Values
		status int
		want   string
	}{
		{url.Values{"code": {"main"}, "name": {"別の本店"}}, 422, "店舗コード main はすでに使われています"},
		{url.Values{"code": {"楽天"}, "name": {"楽天市場店"}}, 422, "半角英数字"},
		{url.Values{"code": {"rakuten"}, "name": {""}}, 422, "店舗名を入力してください"},
		{url.Values{"code": {"rakuten"}, "name": {"楽天市場店"}}, 303, ""},
	}
	for _, tt := range tests {
		res, body := e.post(t, "/settings/shops", tt.form)
		if res.StatusCode != tt.status || !strings.Contains(body, tt.want) {
			t.Errorf("create %v: %d", tt.form, res.StatusCode)
		}
	}
	sh, err := e.store.GetShopByCode(ctx, "rakuten")
	if err != nil {
		t.Fatal(err)
	}
	if _, body := e.get(t, "/settings/shops"); !strings.Contains(body, "楽天市場店") || !strings.Contains(body, "/settings/shops/"+sh.ID+"/edit") {
		t.Errorf("shop list lacks the new shop")
	}
	// The code is fixed: a posted code is ignored; a stale version is a conflict.
	if res, _ := e.post(t, "/settings/shops/"+sh.ID, url.Values{"code": {"other"}, "name": {"楽天市場 本店"}, "version": {"1"}}); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("edit: %d", res.StatusCode)
	}
	if got, _ := e.store.GetShop(ctx, sh.ID); got.Code != "rakuten" || got.Name != "楽天市場 本店" {
		t.Errorf("edited %+v", got)
	}
	if res, body := e.post(t, "/settings/shops/"+sh.ID, url.Values{"name": {"古い版"}, "version": {"1"}}); res.StatusCode != http.StatusConflict || !strings.Contains(body, "他の操作で更新されています") {
		t.Errorf("stale edit: %d", res.StatusCode)
	}
}

func TestCustomerLookupAndViewerForms(t *testing.T) {
	t.Parallel()
	e := newPages(t, auth.RoleViewer)
	if _, body := e.get(t, "/lookup/customers?q=やまだ"); !strings.Contains(body, `"code":"C000001"`) || !strings.Contains(body, "山田 太郎") {
		t.Errorf("lookup: %s", body)
	}
	if _, body := e.get(t, "/lookup/customers?q="); body != "[]\n" && body != "[]" {
		t.Errorf("empty lookup: %q", body)
	}
	for _, path := range []string{"/orders/new", "/subscriptions/new"} {
		if code, _ := e.get(t, path); code != http.StatusForbidden {
			t.Errorf("viewer GET %s: %d", path, code)
		}
	}
	if res, _ := e.post(t, "/orders", e.orderForm()); res.StatusCode != http.StatusForbidden {
		t.Errorf("viewer POST /orders: %d", res.StatusCode)
	}
}
