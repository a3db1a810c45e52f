package rakutensim_test

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"kessai/internal/provider/rakuten"
	"kessai/internal/sandbox/rakutensim"
)

func search(e *env, dt rakuten.DateType, from, to time.Time, page, size int) (*rakuten.SearchResult, error) {
	return e.client.SearchOrder(ctx, rakuten.SearchRequest{DateType: dt, StartDatetime: rakuten.At(from),
		EndDatetime: rakuten.At(to), Pagination: rakuten.PaginationRequest{RecordsAmount: size, Page: page}})
}

func TestSearchOrderPagingAndFilters(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.clk.Advance(48 * time.Hour)
	card := e.create(t, rakutensim.NewOrder{OrderedAt: start}, 25)
	bank := e.create(t, rakutensim.NewOrder{Method: rakuten.SettleBankTransfer, OrderedAt: start.Add(time.Hour), Confirmed: true}, 5)

	r, err := search(e, rakuten.DateOrdered, start, start.Add(24*time.Hour), 3, 10)
	if err != nil {
		t.Fatal(err)
	}
	if r.Pagination.Total() != 30 || r.Pagination.Pages() != 3 || len(r.OrderNumbers) != 10 || !r.Messages.Has(rakuten.CodeSearchOK) {
		t.Fatalf("page 3: total %d pages %d got %d %v", r.Pagination.Total(), r.Pagination.Pages(), len(r.OrderNumbers), r.Messages)
	}
	if !slices.Equal(r.OrderNumbers[5:], bank) {
		t.Errorf("page 3 should end with the later bank orders (sorted by 注文日時): %v", r.OrderNumbers)
	}

	m := rakuten.SettleBankTransfer
	r, err = e.client.SearchOrder(ctx, rakuten.SearchRequest{DateType: rakuten.DateOrdered, StartDatetime: rakuten.At(start),
		EndDatetime: rakuten.At(start.Add(24 * time.Hour)), SettlementMethod: &m,
		OrderProgressList: []rakuten.OrderProgress{rakuten.ProgressRakutenHandling},
		Pagination:        rakuten.PaginationRequest{RecordsAmount: 1000, Page: 1}})
	if err != nil || !slices.Equal(r.OrderNumbers, bank) {
		t.Fatalf("filter by method and progress: %v %v", r.OrderNumbers, err)
	}

	// Zero hits: INFO_102 and null pagination.
	r, err = search(e, rakuten.DateOrdered, start.Add(-72*time.Hour), start.Add(-time.Hour), 1, 30)
	if err != nil || len(r.OrderNumbers) != 0 || r.OrderNumbers == nil || !r.Messages.Has(rakuten.CodeSearchNone) ||
		r.Pagination == nil || r.Pagination.TotalRecordsAmount != nil || r.Pagination.TotalPages != nil || r.Pagination.RequestPage != nil {
		t.Fatalf("zero hits: %+v %v", r, err)
	}
	_ = card
}

func TestSearchDateTypes(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	n := e.create(t, rakutensim.NewOrder{Method: rakuten.SettleBankTransfer, OrderedAt: start, Confirmed: true}, 1)[0]
	other := e.create(t, rakutensim.NewOrder{OrderedAt: start, Confirmed: true, Authorize: "ok"}, 1)[0]
	e.clk.Advance(3 * 24 * time.Hour)
	if err := e.sim.Authorize(n, true); err != nil { // the transfer arrives: 決済確定
		t.Fatal(err)
	}
	paid := start.Add(3 * 24 * time.Hour)
	for _, tt := range []struct {
		dt   rakuten.DateType
		want []string
	}{
		{rakuten.DateOrdered, nil},
		{rakuten.DateFixed, []string{n}},
		{rakuten.DatePaymentFixed, []string{n}},
	} {
		r, err := search(e, tt.dt, paid.Add(-time.Minute), paid.Add(time.Minute), 1, 100)
		if err != nil || !slices.Equal(r.OrderNumbers, tt.want) && !(len(tt.want) == 0 && len(r.OrderNumbers) == 0) {
			t.Errorf("dateType %d: %v %v, want %v", tt.dt, r.OrderNumbers, err, tt.want)
		}
	}
	if err := e.sim.Settle(other); err != nil {
		t.Fatal(err)
	}
	r, err := search(e, rakuten.DatePaymentFixed, paid.Add(-time.Minute), paid.Add(time.Minute), 1, 100)
	if err != nil || len(r.OrderNumbers) != 2 {
		t.Errorf("決済確定日 after settle: %v %v", r.OrderNumbers, err)
	}
}

// fieldErr checks that err is an *APIError whose ERRORs are exactly want (code suffix, field).
func fieldErr(t *testing.T, err error, want ...[2]string) {
	t.Helper()
	ae, ok := errors.AsType[*rakuten.APIError](err)
	if !ok {
		t.Fatalf("want *APIError, got %T %v", err, err)
	}
	if ae.HTTPStatus != 400 {
		t.Errorf("HTTP %d, want 400", ae.HTTPStatus)
	}
	errs := ae.Messages.Errors()
	if len(errs) != len(want) {
		t.Fatalf("%d errors %v, want %v", len(errs), errs, want)
	}
	for i, w := range want {
		if !strings.HasSuffix(errs[i].Code, w[0]) || errs[i].Field() != w[1] {
			t.Errorf("error %d: %s field %q, want …%s field %q", i, errs[i], errs[i].Field(), w[0], w[1])
		}
	}
}

func TestFieldErrors(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	good := map[string]any{"dateType": 1, "startDatetime": "2026-03-01T00:00:00+0900", "endDatetime": "2026-03-02T00:00:00+0900",
		"PaginationRequestModel": map[string]any{"requestRecordsAmount": 30, "requestPage": 1}}
	with := func(kv ...any) map[string]any {
		m := map[string]any{}
		for k, v := range good {
			m[k] = v
		}
		for i := 0; i < len(kv); i += 2 {
			if kv[i+1] == nil {
				delete(m, kv[i].(string))
			} else {
				m[kv[i].(string)] = kv[i+1]
			}
		}
		return m
	}
	tests := []struct {
		name   string
		method string
		body   any
		want   [][2]string
	}{
		{"missing dateType", "searchOrder", with("dateType", nil), [][2]string{{"SEARCH_ORDER_ERROR_009", "dateType"}}},
		{"empty dates", "searchOrder", with("startDatetime", "", "endDatetime", ""),
			[][2]string{{"SEARCH_ORDER_ERROR_010", "startDatetime"}, {"SEARCH_ORDER_ERROR_010", "endDatetime"}}},
		{"colon offset", "searchOrder", with("startDatetime", "2026-03-01T00:00:00+09:00"), [][2]string{{"SEARCH_ORDER_ERROR_011", "startDatetime"}}},
		{"several fields", "searchOrder", with("dateType", 7, "endDatetime", nil, "PaginationRequestModel", map[string]any{"requestRecordsAmount": 1001}),
			[][2]string{{"SEARCH_ORDER_ERROR_011", "dateType"}, {"SEARCH_ORDER_ERROR_009", "endDatetime"},
				{"SEARCH_ORDER_ERROR_011", "requestRecordsAmount"}, {"SEARCH_ORDER_ERROR_009", "requestPage"}}},
		{"dateType as string", "searchOrder", with("dateType", "1"), [][2]string{{"SEARCH_ORDER_ERROR_011", "dateType"}}},
		{"getOrder without version", "getOrder", map[string]any{"orderNumberList": []string{"100000-20260302-00000001"}},
			[][2]string{{"GET_ORDER_ERROR_009", "version"}}},
		{"getOrder version as string", "getOrder", map[string]any{"orderNumberList": []string{"100000-20260302-00000001"}, "version": "10"},
			[][2]string{{"GET_ORDER_ERROR_011", "version"}}},
		{"getOrder empty list and bad version", "getOrder", map[string]any{"orderNumberList": []string{}, "version": 2},
			[][2]string{{"GET_ORDER_ERROR_010", "orderNumberList"}, {"GET_ORDER_ERROR_011", "version"}}},
		{"getOrder bad number", "getOrder", map[string]any{"orderNumberList": []string{"12-3"}, "version": 10},
			[][2]string{{"GET_ORDER_ERROR_011", "orderNumberList"}}},
		{"cancel without reason", "cancelOrder", map[string]any{"orderNumber": "100000-20260302-00000001", "inventoryRestoreType": 3},
			[][2]string{{"CANCEL_ORDER_ERROR_011", "inventoryRestoreType"}, {"CANCEL_ORDER_ERROR_009", "changeReasonDetailApply"}}},
		{"shipping bad company and date", "updateOrderShipping", map[string]any{"orderNumber": "100000-20260302-00000001",
			"BasketidModelList": []any{map[string]any{"basketId": 1, "ShippingModelList": []any{map[string]any{"deliveryCompany": "yamato", "shippingDate": "2026/03/02"}}}}},
			[][2]string{{"UPDATE_ORDERSHIPPING_ERROR_011", "deliveryCompany"}, {"UPDATE_ORDERSHIPPING_ERROR_011", "shippingDate"}}},
		{"getPayment missing number", "getPayment", map[string]any{"version": 4}, [][2]string{{"GET_PAYMENT_ERROR_009", "orderNumber"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out struct {
				Messages rakuten.Messages `json:"MessageModelList"`
			}
			err := e.client.Call(ctx, tt.method, tt.body, &out)
			fieldErr(t, err, tt.want...)
			for _, m := range out.Messages {
				if m.Problem() == rakuten.ProblemNone || m.Problem() == rakuten.ProblemOther {
					t.Errorf("message %s has no field problem", m)
				}
			}
		})
	}
}

func TestSearchWindowLimits(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	from := start.AddDate(0, 0, -100)
	_, err := search(e, rakuten.DateOrdered, from, from.Add(rakuten.MaxWindow+time.Second), 1, 30)
	fieldErr(t, err, [2]string{"SEARCH_ORDER_ERROR_013", ""})
	if _, err := search(e, rakuten.DateOrdered, from, from.Add(rakuten.MaxWindow), 1, 30); err != nil {
		t.Errorf("exactly 63 days: %v", err)
	}
	_, err = search(e, rakuten.DateOrdered, start.AddDate(0, 0, -731), start.AddDate(0, 0, -700), 1, 30)
	fieldErr(t, err, [2]string{"SEARCH_ORDER_ERROR_014", ""})
	_, err = search(e, rakuten.DateOrdered, start, start.Add(-time.Second), 1, 30)
	fieldErr(t, err, [2]string{"SEARCH_ORDER_ERROR_012", ""})

	// SearchAll over 200 days splits into 63-day windows and finds orders in each.
	var want []string
	for _, d := range []int{-199, -130, -64, -1} {
		want = append(want, e.create(t, rakutensim.NewOrder{OrderedAt: start.AddDate(0, 0, d)}, 2)...)
	}
	e.resetCalls()
	var got []string
	for n, err := range e.client.SearchAll(ctx, rakuten.SearchQuery{DateType: rakuten.DateOrdered, Start: start.AddDate(0, 0, -200), End: start}) {
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, n)
	}
	if !slices.Equal(got, want) {
		t.Errorf("SearchAll: %v, want %v", got, want)
	}
	if c := e.callCount("searchOrder"); c != 4 {
		t.Errorf("200 days took %d searchOrder calls, want 4 windows", c)
	}
}

func TestSearchAllNarrowsPastTheCap(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.clk.Advance(20 * 24 * time.Hour)
	// 20,000 orders in 10 days: one 10-day window has more than the 15,000 one search can read.
	var want []string
	for d := range 10 {
		want = append(want, e.create(t, rakutensim.NewOrder{OrderedAt: start.Add(time.Duration(d) * 24 * time.Hour)}, 2000)...)
	}
	end := start.Add(10 * 24 * time.Hour)
	// A page past the first 15,000 hits is refused.
	_, err := search(e, rakuten.DateOrdered, start, end, 16, 1000)
	fieldErr(t, err, [2]string{"SEARCH_ORDER_ERROR_023", ""})
	r, err := search(e, rakuten.DateOrdered, start, end, 15, 1000)
	if err != nil || r.Pagination.Total() != 20000 || len(r.OrderNumbers) != 1000 {
		t.Fatalf("page 15: %v", err)
	}

	e.resetCalls()
	var got []string
	for n, err := range e.client.SearchAll(ctx, rakuten.SearchQuery{DateType: rakuten.DateOrdered, Start: start, End: end}) {
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, n)
	}
	if len(got) != len(want) {
		t.Fatalf("SearchAll found %d, want %d", len(got), len(want))
	}
	slices.Sort(got)
	sorted := slices.Clone(want)
	slices.Sort(sorted)
	if !slices.Equal(got, sorted) {
		t.Fatal("SearchAll found other orders than created")
	}
	// 1 refused-as-too-big window + 2 halves of 10,000 hits at 10 pages each.
	if c := e.callCount("searchOrder"); c != 21 {
		t.Errorf("searchOrder calls: %d, want 21", c)
	}
}

func TestGetOrderBatchingAndUnknownInfo(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	nums := e.create(t, rakutensim.NewOrder{}, 250)
	unknown := "100000-20260302-99999999"
	req := append(slices.Clone(nums), unknown)

	e.resetCalls()
	r, err := e.client.GetOrders(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	if c := e.callCount("getOrder"); c != 3 {
		t.Errorf("251 orders took %d getOrder calls, want 3", c)
	}
	if len(r.Orders) != 250 || r.Orders[0].OrderNumber != nums[0] || r.Orders[249].OrderNumber != nums[249] {
		t.Errorf("got %d orders", len(r.Orders))
	}
	if nf := r.NotFound(); !slices.Equal(nf, []string{unknown}) {
		t.Errorf("NotFound %v", nf)
	}
	if r.Messages.HasErrors() || r.Version == nil || *r.Version != rakuten.OrderVersion {
		t.Errorf("messages %v version %v", r.Messages.Errors(), r.Version)
	}
	if _, err := e.client.GetOrder(ctx, req[:101]); err == nil {
		t.Error("GetOrder with 101 numbers: no error")
	}
	var out rakuten.GetOrderResult
	fieldErr(t, e.client.Call(ctx, "getOrder", map[string]any{"orderNumberList": req[:101], "version": 10}, &out),
		[2]string{"GET_ORDER_ERROR_012", ""})

	// Another shop's orders are unknown to this one.
	if err := e.sim.SetShop(rakutensim.Shop{Number: "200000", ServiceSecret: "s2", LicenseKey: "k2"}); err != nil {
		t.Fatal(err)
	}
	other := rakuten.New(rakuten.Config{BaseURL: e.sim.BaseURL(e.srv.URL), ServiceSecret: "s2", LicenseKey: "k2", Throttle: rakuten.NewThrottle(0)})
	r, err = other.GetOrders(ctx, nums[:1])
	if err != nil || len(r.Orders) != 0 || len(r.NotFound()) != 1 {
		t.Errorf("other shop: %v %v", r, err)
	}
	p, err := e.client.GetPayment(ctx, unknown)
	if err != nil || p.Order != nil || !p.Messages.Has(rakuten.CodeGetPaymentUnknown) {
		t.Errorf("getPayment of an unknown order: %+v %v", p, err)
	}
}

func TestLicenseKey(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	if _, err := e.client.GetOrders(ctx, []string{"100000-20260302-00000001"}); err != nil {
		t.Fatalf("valid key: %v", err)
	}
	wrong := rakuten.New(rakuten.Config{BaseURL: e.sim.BaseURL(e.srv.URL), ServiceSecret: rakutensim.DefaultServiceSecret, LicenseKey: "nope", Throttle: rakuten.NewThrottle(0)})
	_, err := wrong.GetOrders(ctx, []string{"100000-20260302-00000001"})
	if !rakuten.IsUnauthorized(err) || !rakuten.IsGateway(err) {
		t.Fatalf("wrong key: %v", err)
	}
	if _, isAPI := errors.AsType[*rakuten.APIError](err); isAPI {
		t.Error("a gateway refusal must not be an APIError")
	}
	ge, _ := errors.AsType[*rakuten.GatewayError](err)
	if ge.HTTPStatus != 401 || ge.Code != "ES01-01" {
		t.Errorf("gateway error %+v", ge)
	}
	// 90 days on, the key has expired.
	e.clk.Advance(rakutensim.LicenseKeyLife)
	if _, err := e.client.ConfirmOrder(ctx, []string{"100000-20260302-00000001"}); !rakuten.IsUnauthorized(err) {
		t.Fatalf("expired key: %v", err)
	}
	if err := e.sim.SetShop(rakutensim.Shop{Number: rakutensim.DefaultShopNumber, ServiceSecret: rakutensim.DefaultServiceSecret, LicenseKey: rakutensim.DefaultLicenseKey}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.client.ConfirmOrder(ctx, []string{"100000-20260302-00000001"}); err != nil {
		t.Fatalf("renewed key: %v", err)
	}
	if err := e.sim.ExpireLicenseKey(rakutensim.DefaultShopNumber); err != nil {
		t.Fatal(err)
	}
	if _, err := e.client.SearchOrder(ctx, rakuten.SearchRequest{}); !rakuten.IsUnauthorized(err) {
		t.Fatalf("expired by control: %v", err)
	}
}

func TestConfirmOrder(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	nums := e.create(t, rakutensim.NewOrder{}, 150)
	e.resetCalls()
	r, err := e.client.ConfirmOrder(ctx, nums)
	if err != nil || len(r.Confirmed()) != 150 {
		t.Fatalf("confirm: %d %v", len(r.Confirmed()), err)
	}
	if c := e.callCount("confirmOrder"); c != 2 {
		t.Errorf("150 orders took %d confirmOrder calls, want 2", c)
	}
	if p := e.progress(t, nums[0]); p != rakuten.ProgressRakutenHandling {
		t.Errorf("after confirm: %d", p)
	}
	if _, err := e.client.CancelOrder(ctx, rakuten.CancelRequest{OrderNumber: nums[1], ChangeReasonDetailApply: 1}); err != nil {
		t.Fatal(err)
	}
	unknown := "100000-20260302-99999999"
	r, err = e.client.ConfirmOrder(ctx, []string{nums[0], nums[1], unknown})
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct{ n, code string }{{nums[0], rakuten.CodeConfirmMovedOn}, {nums[1], rakuten.CodeConfirmCancelled}, {unknown, "ORDER_EXT_API_CONFIRM_ORDER_ERROR_101"}} {
		if ms := r.Messages.ForOrder(tt.n); len(ms) != 1 || ms[0].Code != tt.code || !ms[0].IsError() {
			t.Errorf("%s: %v, want %s", tt.n, ms, tt.code)
		}
	}
}

func TestOrdersStreamsSearchAndGet(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.clk.Advance(time.Hour)
	want := e.create(t, rakutensim.NewOrder{OrderedAt: start}, 250)
	e.create(t, rakutensim.NewOrder{OrderedAt: start, Confirmed: true}, 5) // filtered out by progress
	e.resetCalls()
	var got []string
	q := rakuten.SearchQuery{DateType: rakuten.DateOrdered, Start: start, End: start.Add(time.Hour),
		OrderProgressList: []rakuten.OrderProgress{rakuten.ProgressAwaitingConfirm}}
	for o, err := range e.client.Orders(ctx, q) {
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, o.OrderNumber)
	}
	if !slices.Equal(got, want) || e.callCount("getOrder") != 3 || e.callCount("searchOrder") != 1 {
		t.Errorf("%d orders, %d getOrder, %d searchOrder", len(got), e.callCount("getOrder"), e.callCount("searchOrder"))
	}
	// Stopping early stops the calls.
	e.resetCalls()
	for range e.client.Orders(ctx, q) {
		break
	}
	if e.callCount("getOrder") != 1 {
		t.Errorf("early stop: %d getOrder calls", e.callCount("getOrder"))
	}
}

func TestSearchSubStatusAndOrderType(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.clk.Advance(time.Hour)
	n := e.create(t, rakutensim.NewOrder{OrderedAt: start}, 1)
	req := func(sub, typ []int, progress []rakuten.OrderProgress) rakuten.SearchRequest {
		return rakuten.SearchRequest{DateType: 1, StartDatetime: rakuten.At(start), EndDatetime: rakuten.At(start.Add(time.Hour)),
			SubStatusIDList: sub, OrderTypeList: typ, OrderProgressList: progress, Pagination: rakuten.PaginationRequest{RecordsAmount: 30, Page: 1}}
	}
	_, err := e.client.SearchOrder(ctx, req([]int{-1}, nil, nil))
	fieldErr(t, err, [2]string{"SEARCH_ORDER_ERROR_015", ""})
	for _, tt := range []struct {
		sub, typ []int
		hits     int
	}{{[]int{-1}, nil, 1}, {[]int{7}, nil, 0}, {nil, []int{1, 4}, 1}, {nil, []int{5}, 0}} {
		r, err := e.client.SearchOrder(ctx, req(tt.sub, tt.typ, []rakuten.OrderProgress{100}))
		if err != nil || len(r.OrderNumbers) != tt.hits || tt.hits == 1 && r.OrderNumbers[0] != n[0] {
			t.Errorf("sub %v type %v: %v %v", tt.sub, tt.typ, r.OrderNumbers, err)
		}
	}
	_, err = e.client.SearchOrder(ctx, req(nil, []int{2}, nil))
	fieldErr(t, err, [2]string{"SEARCH_ORDER_ERROR_011", "orderTypeList"})
}
