package commerce_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"kessai/internal/api"
	"kessai/internal/commerce"
	"kessai/internal/platform/auth"
	"kessai/internal/web"
)

// apiClient talks to the commerce API over real HTTP as a staff (スタッフ) API key.
type apiClient struct {
	t    *testing.T
	url  string
	role auth.Role // "" is the default staff key
}

func newAPI(t *testing.T) (*apiClient, fixture) {
	t.Helper()
	c, fx, _ := newAPIStore(t)
	return c, fx
}

func newAPIStore(t *testing.T) (*apiClient, fixture, *commerce.Store) {
	t.Helper()
	s, _ := newStore(t)
	fx := newFixture(t, s)
	r := web.NewRouter(nil)
	commerce.RegisterAPI(api.New(r), s)
	h := http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		p := &auth.Principal{Kind: auth.KindAPIKey, ID: "key_test", Name: "test", Role: auth.RoleStaff}
		if role := req.Header.Get("X-Test-Role"); role != "" {
			p.Role = auth.Role(role) // a test's own key of another role (apiClient.role)
		}
		r.ServeHTTP(w, req.WithContext(auth.WithPrincipal(req.Context(), p)))
	})
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return &apiClient{t: t, url: srv.URL}, fx, s
}

// do sends body (JSON-encoded unless a string) and decodes the answer into out when given.
func (c *apiClient) do(method, path string, body any, out any) (int, web.ErrorBody) {
	c.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	default:
		j, _ := json.Marshal(b)
		rd = bytes.NewReader(j)
	}
	req, _ := http.NewRequest(method, c.url+path, rd)
	if c.role != "" {
		req.Header.Set("X-Test-Role", string(c.role))
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	var eb web.ErrorBody
	if res.StatusCode >= 400 {
		_ = json.Unmarshal(raw, &eb)
	} else if out != nil {
		if err := json.Unmarshal(raw, out); err != nil {
			c.t.Fatalf("%s %s: decode %s: %v", method, path, raw, err)
		}
	}
	return res.StatusCode, eb
}

func TestAPICases(t *testing.T) {
	t.Parallel()
	c, fx := newAPI(t)

	var made commerce.CaseJSON
	st, eb := c.do("POST", "/api/v1/cases", map[string]any{"kind": "takuhai", "shop_id": fx.shop.ID,
		"customer_id": fx.customer.ID, "purchase_amount": 12000, "item_count": 3}, &made)
	if st != http.StatusCreated || made.Code != "TK000001" || made.Status != "received" || made.StatusLabel != "受付" ||
		made.KindLabel != "宅配買取" || made.ReceivedOn != "2026-04-10" || made.Version != 1 {
		t.Fatalf("create: %d %+v %+v", st, made, eb)
	}
	for _, body := range []map[string]any{
		{"kind": "ippan", "shop_id": fx.shop.ID, "customer_id": fx.customer.ID, "purchase_amount": 500},
		{"kind": "takuhai", "shop_id": fx.shop.ID, "customer_id": fx.customer.ID, "purchase_amount": 90000,
			"status": "stocked", "confirmed_on": "2026-04-09"},
	} {
		if st, eb := c.do("POST", "/api/v1/cases", body, nil); st != http.StatusCreated {
			t.Fatalf("create %v: %d %+v", body, st, eb)
		}
	}

	lists := []struct {
		query string
		want  []string // codes, in order
	}{
		{"?sort=code", []string{"IP000001", "TK000001", "TK000002"}},
		{"?kind=takuhai&sort=code", []string{"TK000001", "TK000002"}},
		{"?status=stocked", []string{"TK000002"}},
		{"?amount_min=1000&amount_max=20000", []string{"TK000001"}},
		{"?confirmed_from=2026-04-01&confirmed_to=2026-04-30", []string{"TK000002"}},
		{"?customer=やまだ&sort=-amount", []string{"TK000002", "TK000001", "IP000001"}},
		{"?sort=code&per_page=2&page=2", []string{"TK000002"}},
	}
	for _, tt := range lists {
		var page web.ListBody[commerce.CaseRowJSON]
		if st, eb := c.do("GET", "/api/v1/cases"+tt.query, nil, &page); st != 200 {
			t.Errorf("list %s: %d %+v", tt.query, st, eb)
			continue
		}
		var got []string
		for _, it := range page.Items {
			got = append(got, it.Code)
			if it.StatusLabel == "" || it.CustomerName != "山田 太郎" || it.ShopName != "本店" {
				t.Errorf("list %s: row %+v lacks labels or joins", tt.query, it)
			}
		}
		if strings.Join(got, ",") != strings.Join(tt.want, ",") {
			t.Errorf("list %s = %v, want %v", tt.query, got, tt.want)
		}
	}

	var patched commerce.CaseJSON
	if st, eb := c.do("PATCH", "/api/v1/cases/"+made.ID, map[string]any{"status": "appraising", "note": "査定開始"}, &patched); st != 200 ||
		patched.Status != "appraising" || patched.StatusLabel != "査定中" || patched.Note != "査定開始" ||
		patched.PurchaseAmount != 12000 || patched.ItemCount != 3 || patched.Version != 2 {
		t.Fatalf("patch: %d %+v %+v", st, patched, eb)
	}
	var got commerce.CaseJSON
	if st, _ := c.do("GET", "/api/v1/cases/"+made.ID, nil, &got); st != 200 || got.Version != 2 || got.Note != "査定開始" {
		t.Errorf("get after patch: %d %+v", st, got)
	}

	errors := []struct {
		name, method, path string
		body               any
		status             int
		field              string
	}{
		{"missing kind and customer", "POST", "/api/v1/cases", map[string]any{"shop_id": fx.shop.ID}, 422, "customer_id"},
		{"bad kind", "POST", "/api/v1/cases", map[string]any{"kind": "x", "shop_id": fx.shop.ID, "customer_id": fx.customer.ID}, 422, "kind"},
		{"stocked needs 買取確定日", "POST", "/api/v1/cases", map[string]any{"kind": "ippan", "shop_id": fx.shop.ID, "customer_id": fx.customer.ID, "status": "stocked"}, 422, "confirmed_on"},
		{"unknown customer", "POST", "/api/v1/cases", map[string]any{"kind": "ippan", "shop_id": fx.shop.ID, "customer_id": "cus_nope"}, 422, "customer_id"},
		{"unknown field", "POST", "/api/v1/cases", `{"kind":"ippan","colour":"red"}`, 422, ""},
		{"wrong type", "POST", "/api/v1/cases", `{"purchase_amount":"1000"}`, 422, "purchase_amount"},
		{"version on create", "POST", "/api/v1/cases", map[string]any{"kind": "ippan", "shop_id": fx.shop.ID, "customer_id": fx.customer.ID, "version": 1}, 422, "version"},
		{"stale version", "PATCH", "/api/v1/cases/" + made.ID, map[string]any{"note": "x", "version": 1}, 409, ""},
		{"kind is fixed", "PATCH", "/api/v1/cases/" + made.ID, map[string]any{"kind": "ippan"}, 422, "kind"},
		{"bad date", "PATCH", "/api/v1/cases/" + made.ID, map[string]any{"received_on": "2026/04/01"}, 422, "received_on"},
		{"not found", "GET", "/api/v1/cases/case_nope", nil, 404, ""},
		{"bad filter", "GET", "/api/v1/cases?status=nope&confirmed_from=x", nil, 422, "status"},
	}
	for _, tt := range errors {
		st, eb := c.do(tt.method, tt.path, tt.body, nil)
		if st != tt.status || (tt.field != "" && eb.Error.Fields[tt.field] == "") || eb.Error.Message == "" {
			t.Errorf("%s: %d %+v, want %d with field %q", tt.name, st, eb, tt.status, tt.field)
		}
	}

	var cancelled commerce.CaseJSON
	if st, eb := c.do("POST", "/api/v1/cases/"+made.ID+"/cancel", map[string]any{"reason": "お客様都合"}, &cancelled); st != 200 ||
		cancelled.Status != "cancelled" || cancelled.StatusLabel != "キャンセル" {
		t.Fatalf("cancel: %d %+v %+v", st, cancelled, eb)
	}
	if st, _ := c.do("PATCH", "/api/v1/cases/"+made.ID, map[string]any{"note": "x"}, nil); st != http.StatusConflict {
		t.Errorf("patch of a cancelled case: %d, want 409", st)
	}
}

func TestAPICustomersAndShops(t *testing.T) {
	t.Parallel()
	c, fx := newAPI(t)
	var cu commerce.Customer
	if st, eb := c.do("POST", "/api/v1/customers", map[string]any{"name": "佐藤 花子", "name_kana": "さとう はなこ", "prefecture": "大阪府"}, &cu); st != 201 ||
		cu.Code != "C000002" || cu.NameKana != "サトウ ハナコ" {
		t.Fatalf("create: %d %+v %+v", st, cu, eb)
	}
	if st, eb := c.do("POST", "/api/v1/customers", map[string]any{"email": "not-an-email"}, nil); st != 422 || eb.Error.Fields["name"] == "" || eb.Error.Fields["email"] == "" {
		t.Errorf("invalid create: %d %+v", st, eb)
	}
	var page web.ListBody[commerce.Customer]
	if st, _ := c.do("GET", "/api/v1/customers?prefecture=大阪府", nil, &page); st != 200 || page.Total != 1 || page.Items[0].ID != cu.ID {
		t.Errorf("filter: %d %+v", st, page)
	}
	if st, _ := c.do("GET", "/api/v1/customers?has_bank=true", nil, &page); st != 200 || page.Total != 1 || page.Items[0].ID != fx.customer.ID {
		t.Errorf("has_bank: %d %+v", st, page)
	}
	var patched commerce.Customer
	if st, eb := c.do("PATCH", "/api/v1/customers/"+cu.ID, map[string]any{"phone": "06-1234-5678", "version": 1}, &patched); st != 200 ||
		patched.Phone != "06-1234-5678" || patched.Name != "佐藤 花子" || patched.Prefecture != "大阪府" || patched.Version != 2 {
		t.Fatalf("patch: %d %+v %+v", st, patched, eb)
	}
	if st, _ := c.do("DELETE", "/api/v1/customers/"+cu.ID+"?version=1", nil, nil); st != 409 {
		t.Errorf("delete with stale version: %d", st)
	}
	if st, _ := c.do("DELETE", "/api/v1/customers/"+cu.ID, nil, nil); st != 204 {
		t.Errorf("delete: %d", st)
	}
	if st, _ := c.do("GET", "/api/v1/customers/"+cu.ID, nil, nil); st != 404 {
		t.Errorf("get deleted: %d", st)
	}

	// Shops are settings: the API, like the page, is for administrators.
	var sh commerce.Shop
	if st, _ := c.do("POST", "/api/v1/shops", map[string]any{"code": "rakuten", "name": "楽天市場店"}, nil); st != 403 {
		t.Fatalf("staff creating a shop: %d, want 403", st)
	}
	c.role = auth.RoleAdmin
	if st, eb := c.do("POST", "/api/v1/shops", map[string]any{"code": "rakuten", "name": "楽天市場店"}, &sh); st != 201 {
		t.Fatalf("create shop: %d %+v", st, eb)
	}
	if st, eb := c.do("PATCH", "/api/v1/shops/"+sh.ID, map[string]any{"name": "楽天店"}, &sh); st != 200 || sh.Name != "楽天店" || sh.Code != "rakuten" {
		t.Errorf("rename: %d %+v %+v", st, sh, eb)
	}
	if st, eb := c.do("PATCH", "/api/v1/shops/"+sh.ID, map[string]any{"code": "other"}, nil); st != 422 || eb.Error.Fields["code"] == "" {
		t.Errorf("code change: %d %+v", st, eb)
	}
	var shops web.ListBody[commerce.Shop]
	if st, _ := c.do("GET", "/api/v1/shops?per_page=1&page=2", nil, &shops); st != 200 || shops.Total != 2 || len(shops.Items) != 1 {
		t.Errorf("shops: %d %+v", st, shops)
	}
}

func TestAPIOrders(t *testing.T) {
	t.Parallel()
	c, fx := newAPI(t)
	var o commerce.OrderJSON
	st, eb := c.do("POST", "/api/v1/orders", map[string]any{"shop_id": fx.shop.ID, "customer_id": fx.customer.ID,
		"payment_method": "credit_card", "tax": 300, "shipping_fee": 500,
		"lines": []map[string]any{{"name": "りんご", "unit_price": 1000, "quantity": 3}}}, &o)
	if st != 201 || o.Number == "" || o.Source != "api" || o.SourceLabel != "API" || o.Subtotal != 3000 || o.Total != 3800 ||
		o.AuthorizationStatus != "pending" || o.AuthorizationStatusLabel != "未承認" || len(o.Lines) != 1 || o.Lines[0].TaxRate != 10 {
		t.Fatalf("create: %d %+v %+v", st, o, eb)
	}
	// Lines replaced: the totals follow; fields not sent stay.
	var p commerce.OrderJSON
	if st, eb := c.do("PATCH", "/api/v1/orders/"+o.ID, map[string]any{"lines": []map[string]any{
		{"name": "りんご", "unit_price": 1000, "quantity": 1}, {"name": "みかん", "unit_price": 200, "quantity": 5, "tax_rate": 8}}}, &p); st != 200 ||
		p.Subtotal != 2000 || p.Total != 2800 || len(p.Lines) != 2 || p.Lines[1].TaxRate != 8 || p.PaymentMethod != "credit_card" {
		t.Fatalf("patch lines: %d %+v %+v", st, p, eb)
	}
	var list web.ListBody[commerce.OrderRowJSON]
	if st, _ := c.do("GET", "/api/v1/orders?payment_method=credit_card&lines=true", nil, &list); st != 200 || list.Total != 1 ||
		len(list.Items[0].Lines) != 2 || list.Items[0].CustomerName != "山田 太郎" || list.Items[0].OrderStatusLabel != "新規受付" {
		t.Errorf("list: %d %+v", st, list)
	}
	if st, _ := c.do("GET", "/api/v1/orders?order_status=shipped", nil, &list); st != 200 || list.Total != 0 {
		t.Errorf("filtered list: %d %+v", st, list)
	}
	for _, tt := range []struct {
		name, path string
		body       any
		status     int
		field      string
	}{
		{"no lines", "/api/v1/orders", map[string]any{"shop_id": fx.shop.ID, "payment_method": "cod"}, 422, "lines"},
		{"bad total", "/api/v1/orders", map[string]any{"shop_id": fx.shop.ID, "payment_method": "cod", "total": 1,
			"lines": []map[string]any{{"name": "x", "unit_price": 10, "quantity": 1}}}, 422, "total"},
		{"bad line", "/api/v1/orders", map[string]any{"shop_id": fx.shop.ID, "payment_method": "cod",
			"lines": []map[string]any{{"name": "", "unit_price": 10, "quantity": 0}}}, 422, "lines.0.quantity"},
		{"ship without tracking", "/api/v1/orders/" + o.ID + "/ship", map[string]any{"tracking_number": ""}, 422, "tracking_number"},
	} {
		st, eb := c.do("POST", tt.path, tt.body, nil)
		if st != tt.status || eb.Error.Fields[tt.field] == "" {
			t.Errorf("%s: %d %+v", tt.name, st, eb)
		}
	}
	// 新規受付 can't be shipped before 出荷待ち: the status table answers 409.
	if st, _ := c.do("POST", "/api/v1/orders/"+o.ID+"/ship", map[string]any{"tracking_number": "1234"}, nil); st != 409 {
		t.Errorf("ship from new: %d", st)
	}
	c.do("PATCH", "/api/v1/orders/"+o.ID, map[string]any{"order_status": "awaiting_shipment"}, nil)
	var shipped commerce.OrderJSON
	if st, eb := c.do("POST", "/api/v1/orders/"+o.ID+"/ship", map[string]any{"carrier": "yamato", "tracking_number": "1234-5678"}, &shipped); st != 200 ||
		shipped.OrderStatusLabel != "出荷確定" || shipped.ShippedOn != "2026-04-10" {
		t.Errorf("ship: %d %+v %+v", st, shipped, eb)
	}
	if st, _ := c.do("POST", "/api/v1/orders/"+o.ID+"/cancel", map[string]any{}, nil); st != 409 {
		t.Errorf("cancel shipped: %d", st)
	}
}

func TestAPISubscriptions(t *testing.T) {
	t.Parallel()
	c, fx, s := newAPIStore(t)
	card, err := s.CreateCard(context.Background(), commerce.Card{CustomerID: fx.customer.ID, Provider: "gmopg", MemberID: "M1", CardSeq: "0", ExpireYM: "2812"})
	if err != nil {
		t.Fatal(err)
	}
	var sb commerce.SubscriptionJSON
	if st, eb := c.do("POST", "/api/v1/subscriptions", map[string]any{"shop_id": fx.shop.ID, "customer_id": fx.customer.ID,
		"card_id": card.ID, "product_name": "コーヒー豆", "amount": 3240, "next_billing_on": "2026-05-01"}, &sb); st != 201 ||
		sb.Status != "active" || sb.StatusLabel != "継続中" || sb.CycleMonths != 1 {
		t.Fatalf("create: %d %+v %+v", st, sb, eb)
	}
	if st, eb := c.do("POST", "/api/v1/subscriptions", map[string]any{"shop_id": fx.shop.ID, "customer_id": fx.customer.ID,
		"product_name": "x", "amount": 100}, nil); st != 422 || eb.Error.Fields["card_id"] == "" || eb.Error.Fields["next_billing_on"] == "" {
		t.Errorf("active without card: %d %+v", st, eb)
	}
	var paused commerce.SubscriptionJSON
	if st, eb := c.do("PATCH", "/api/v1/subscriptions/"+sb.ID, map[string]any{"status": "paused", "version": sb.Version}, &paused); st != 200 ||
		paused.StatusLabel != "休止中" || paused.Amount != 3240 {
		t.Errorf("pause: %d %+v %+v", st, paused, eb)
	}
	var list web.ListBody[commerce.SubscriptionRowJSON]
	if st, _ := c.do("GET", "/api/v1/subscriptions?status=paused&card_status=valid", nil, &list); st != 200 || list.Total != 1 ||
		list.Items[0].CardStatusLabel != "有効" || list.Items[0].StatusLabel != "休止中" {
		t.Errorf("list: %d %+v", st, list)
	}
	res, err := http.Get(c.url + "/api/v1/subscriptions/export.csv?encoding=utf-8&status=paused")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != 200 || !strings.Contains(string(body), sb.Code) {
		t.Errorf("export: %d %s", res.StatusCode, body)
	}
	c.do("PATCH", "/api/v1/subscriptions/"+sb.ID, map[string]any{"status": "cancelled"}, nil)
	if st, _ := c.do("PATCH", "/api/v1/subscriptions/"+sb.ID, map[string]any{"status": "active"}, nil); st != 409 {
		t.Errorf("resume after 解約: %d", st)
	}
}

func TestAPICSV(t *testing.T) {
	t.Parallel()
	c, fx := newAPI(t)
	post := func(body string) (int, []byte) {
		t.Helper()
		res, err := http.Post(c.url+"/api/v1/cases/import", "text/csv", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res.StatusCode, b
	}
	// Row 3 has two problems and row 4 one: nothing is created, every problem is named.
	bad := "買取種別,店舗コード,顧客番号,買取金額\r\n宅配買取,main," + fx.customer.Code + ",1000\r\n" +
		"宅配買取,nope," + fx.customer.Code + ",abc\r\n一般仕入,main,C999999,10\r\n"
	st, b := post(bad)
	var eb web.ErrorBody
	_ = json.Unmarshal(b, &eb)
	if st != 422 || eb.Error.Fields["rows.3.店舗コード"] == "" || eb.Error.Fields["rows.3.買取金額"] == "" || eb.Error.Fields["rows.4.顧客番号"] == "" {
		t.Fatalf("bad import: %d %s", st, b)
	}
	var page web.ListBody[commerce.CaseRowJSON]
	if c.do("GET", "/api/v1/cases", nil, &page); page.Total != 0 {
		t.Fatalf("a failed import created %d cases", page.Total)
	}
	good := "買取種別,店舗コード,顧客番号,買取金額\r\n宅配買取,main," + fx.customer.Code + ",1000\r\nippan,main," + fx.customer.Code + ",2500\r\n"
	st, b = post(good)
	var res commerce.ImportJSON
	if err := json.Unmarshal(b, &res); st != 201 || err != nil || res.Created != 2 || len(res.Codes) != 2 || res.Encoding != "utf-8" {
		t.Fatalf("good import: %d %s", st, b)
	}

	for _, tt := range []struct {
		query, wantType string
		wantRows        int
	}{
		{"", "text/csv; charset=Shift_JIS", 3},
		{"?encoding=utf-8&kind=ippan", "text/csv; charset=UTF-8", 2},
	} {
		res, err := http.Get(c.url + "/api/v1/cases/export.csv" + tt.query)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != 200 || res.Header.Get("Content-Type") != tt.wantType || strings.Count(string(body), "\r\n") != tt.wantRows {
			t.Errorf("export %s: %d %s, %d lines", tt.query, res.StatusCode, res.Header.Get("Content-Type"), strings.Count(string(body), "\r\n"))
		}
	}
	for _, q := range []string{"?encoding=latin1", "?template=nope", "?status=nope"} {
		if st, _ := c.do("GET", "/api/v1/cases/export.csv"+q, nil, nil); st != 422 {
			t.Errorf("export %s: %d, want 422", q, st)
		}
	}
}

// TestAPIImportUploads: a multipart upload's file part is the CSV; other body types get 415
// with what to send (they were read as CSV and failed with 「見出し行にこの列がありません」).
func TestAPIImportUploads(t *testing.T) {
	t.Parallel()
	c, fx := newAPI(t)
	csv := "買取種別,店舗コード,顧客番号,買取金額\r\n宅配買取,main," + fx.customer.Code + ",1000\r\n"
	var mp bytes.Buffer
	mw := multipart.NewWriter(&mp)
	fw, _ := mw.CreateFormFile("file", "cases.csv")
	_, _ = fw.Write([]byte(csv))
	_ = mw.Close()
	var other bytes.Buffer
	ow := multipart.NewWriter(&other)
	_ = ow.WriteField("csv", csv)
	_ = ow.Close()
	tests := []struct {
		name, ctype string
		body        []byte
		status      int
		want        string
	}{
		{"multipart file", mw.FormDataContentType(), mp.Bytes(), 201, `"created":1`},
		{"multipart without file", ow.FormDataContentType(), other.Bytes(), 422, "file という名前の欄"},
		{"json", "application/json", []byte(`{"csv":"x"}`), 415, "text/csv"},
		{"text/csv", "text/csv", []byte(csv), 201, `"created":1`},
	}
	for _, tt := range tests {
		res, err := http.Post(c.url+"/api/v1/cases/import", tt.ctype, bytes.NewReader(tt.body))
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != tt.status || !strings.Contains(string(b), tt.want) {
			t.Errorf("%s: %d %s, want %d with %q", tt.name, res.StatusCode, b, tt.status, tt.want)
		}
	}
}

// TestAPIUnknownPath: any unmatched /api/ path answers with the JSON error body.
func TestAPIUnknownPath(t *testing.T) {
	t.Parallel()
	c, _ := newAPI(t)
	for _, tt := range []struct {
		method, path string
		status       int
		code         string
	}{
		{"GET", "/api/v1/nope", 404, "not_found"},
		{"GET", "/api/v2/cases", 404, "not_found"},
		{"DELETE", "/api/v1/cases", 405, "method_not_allowed"},
	} {
		req, _ := http.NewRequest(tt.method, c.url+tt.path, nil)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var eb web.ErrorBody
		err = json.NewDecoder(res.Body).Decode(&eb)
		res.Body.Close()
		if res.StatusCode != tt.status || err != nil || eb.Error.Code != tt.code || !strings.HasPrefix(res.Header.Get("Content-Type"), "application/json") {
			t.Errorf("%s %s: %d %q %v (%s)", tt.method, tt.path, res.StatusCode, eb.Error.Code, err, res.Header.Get("Content-Type"))
		}
	}
}
