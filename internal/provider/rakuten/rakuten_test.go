package rakuten_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"
	"time"

	"kessai/internal/platform/clock"
	"kessai/internal/provider/rakuten"
)

func TestDateTime(t *testing.T) {
	t.Parallel()
	want := time.Date(2026, 1, 5, 1, 0, 0, 0, time.UTC)
	for _, in := range []string{`"2026-01-05T10:00:00+0900"`, `"2026-01-05T10:00:00+09:00"`} {
		var d rakuten.DateTime
		if err := json.Unmarshal([]byte(in), &d); err != nil || !d.Equal(want) {
			t.Errorf("%s: %v %v", in, d, err)
		}
	}
	b, _ := json.Marshal(rakuten.At(want))
	if string(b) != `"2026-01-05T10:00:00+0900"` {
		t.Errorf("marshal: %s", b)
	}
	var zero struct {
		A rakuten.DateTime `json:"a"`
		B rakuten.Date     `json:"b"`
	}
	if err := json.Unmarshal([]byte(`{"a":null,"b":""}`), &zero); err != nil || !zero.A.IsZero() || !zero.B.IsZero() {
		t.Errorf("null/empty: %+v %v", zero, err)
	}
	if b, _ := json.Marshal(zero); string(b) != `{"a":null,"b":null}` {
		t.Errorf("zero marshal: %s", b)
	}
	var d rakuten.DateTime
	if err := json.Unmarshal([]byte(`"2026/01/05 10:00:00"`), &d); err == nil {
		t.Error("bad format accepted")
	}
	if got := rakuten.DateOf(want).String(); got != "2026-01-05" {
		t.Errorf("DateOf %s", got)
	}
}

func TestMessageProblemAndField(t *testing.T) {
	t.Parallel()
	tests := []struct {
		m       rakuten.Message
		problem rakuten.Problem
		field   string
	}{
		{rakuten.Message{Type: "ERROR", Code: "ORDER_EXT_API_SEARCH_ORDER_ERROR_009", Text: "dateTypeの項目を指定して下さい。"}, rakuten.ProblemMissing, "dateType"},
		{rakuten.Message{Type: "ERROR", Code: "ORDER_EXT_API_SEARCH_ORDER_ERROR_010", Text: "startDatetimeの値を指定して下さい。"}, rakuten.ProblemEmpty, "startDatetime"},
		{rakuten.Message{Type: "ERROR", Code: "ORDER_EXT_API_UPDATE_ORDERSHIPPING_ERROR_011", Text: "shippingDetailIdの書式が不正です。"}, rakuten.ProblemBadFormat, "shippingDetailId"},
		{rakuten.Message{Type: "ERROR", Code: "ORDER_EXT_API_GET_ORDER_ERROR_009", Text: "orderNumberListの項目を指定してください。"}, rakuten.ProblemMissing, "orderNumberList"},
		{rakuten.Message{Type: "ERROR", Code: "ORDER_EXT_API_CONFIRM_ORDER_ERROR_105", Text: "送料が未設定です。"}, rakuten.ProblemOther, ""},
		{rakuten.Message{Type: "INFO", Code: "ORDER_EXT_API_GET_ORDER_INFO_102", Text: "受注情報が取得できませんでした。"}, rakuten.ProblemNone, ""},
		{rakuten.Message{Type: "ERROR", Code: "X_ERROR_011", Text: "注文番号の書式が不正です。"}, rakuten.ProblemBadFormat, ""},
	}
	for _, tt := range tests {
		if p, f := tt.m.Problem(), tt.m.Field(); p != tt.problem || f != tt.field {
			t.Errorf("%s: %q %q, want %q %q", tt.m, p, f, tt.problem, tt.field)
		}
	}
}

// Settlement methods are matched on the code: code 14's name changed in January 2026, and an
// answer with the old name (or any name) is still code 14.
func TestSettlementMatchedOnCode(t *testing.T) {
	t.Parallel()
	for _, name := range []string{"ローソン、郵便局ATM等（前払）", "ファミリーマート、ローソン等（前払）", "何か新しい名前"} {
		var s rakuten.Settlement
		body := `{"settlementMethodCode":14,"settlementMethod":"` + name + `","rpaySettlementFlag":1,"cardName":null,"cardPayType":null}`
		if err := json.Unmarshal([]byte(body), &s); err != nil {
			t.Fatal(err)
		}
		if s.Method() != rakuten.SettleConveniencePre || !s.RakutenPay() || s.CardName != nil || s.CardPayType != nil {
			t.Errorf("%s: %+v", name, s)
		}
	}
	if rakuten.SettleConveniencePre.Label() != "ファミリーマート、ローソン等（前払）" || !slices.Contains(rakuten.SettleConveniencePre.FormerLabels(), "ローソン、郵便局ATM等（前払）") {
		t.Error("code 14 labels")
	}
	// An old-version answer has no code: Method is 0 (unknown), never guessed from the name.
	var old rakuten.Settlement
	_ = json.Unmarshal([]byte(`{"settlementMethod":"クレジットカード"}`), &old)
	if old.Method() != 0 || old.Method().Known() || old.RakutenPay() {
		t.Errorf("old answer: %+v", old)
	}
	want := []int{1, 2, 3, 4, 5, 6, 7, 8, 9, 12, 13, 14, 16, 17, 21, 27}
	for i, c := range rakuten.SettlementCodes() {
		if int(c) != want[i] || !c.Known() {
			t.Errorf("code list %v", rakuten.SettlementCodes())
		}
	}
	if !rakuten.SettleCard.Card() || !rakuten.SettleApplePay.Card() || rakuten.SettleBankTransfer.Card() {
		t.Error("card-like methods")
	}
}

func TestStatusTables(t *testing.T) {
	t.Parallel()
	for _, p := range rakuten.OrderProgresses() {
		if !p.Known() || p.Label() == "" {
			t.Errorf("progress %d", p)
		}
	}
	for _, p := range rakuten.PaymentStatuses() {
		if !p.Known() {
			t.Errorf("payment %d", p)
		}
	}
	if rakuten.PaymentStatus(30300).Label() != "決済手続き完了" || rakuten.PaymentStatus(30400).Kind() != rakuten.PaymentKindAuthNG ||
		rakuten.PaymentStatus(30600).Kind() != rakuten.PaymentKindFixed || rakuten.PaymentStatus(39999).Kind() != rakuten.PaymentKindPending {
		t.Error("payment table")
	}
	cancellable := map[rakuten.OrderProgress]bool{100: true, 200: true, 300: true}
	for _, p := range rakuten.OrderProgresses() {
		if p.Cancellable() != cancellable[p] {
			t.Errorf("%d cancellable %v", p, p.Cancellable())
		}
	}
	for _, p := range rakuten.OrderProgresses() {
		if p.CancelTaken() != (p == 800 || p == 900) {
			t.Errorf("%d CancelTaken %v", p, p.CancelTaken())
		}
	}
	if rakuten.OrderProgress(250).Label() != "不明なステータス(250)" {
		t.Error("unknown label")
	}
}

func TestSlipInputsFor(t *testing.T) {
	t.Parallel()
	inst := time.Date(2026, 3, 2, 1, 0, 0, 0, time.UTC)
	procOK := inst.Add(-time.Minute)
	pay := func(s rakuten.PaymentStatus) *rakuten.OrderPayment {
		return &rakuten.OrderPayment{Payments: []rakuten.Payment{{PaymentStatus: s, PaymentProcCmplDatetime: rakuten.At(procOK)}}}
	}
	tests := []struct {
		name     string
		progress rakuten.OrderProgress
		inst     time.Time
		pay      *rakuten.OrderPayment
		verdict  rakuten.Verdict
		deposit  string
		approved time.Time
	}{
		{"100", 100, time.Time{}, nil, rakuten.VerdictAwaitingConfirm, rakuten.SlipDepositUnpaid, time.Time{}},
		{"200 waiting", 200, time.Time{}, pay(30200), rakuten.VerdictAuthorizing, rakuten.SlipDepositUnpaid, time.Time{}},
		{"200 NG", 200, time.Time{}, pay(30400), rakuten.VerdictAuthorizationNG, rakuten.SlipDepositUnpaid, time.Time{}},
		{"200 unread payment", 200, time.Time{}, nil, rakuten.VerdictAuthorizing, rakuten.SlipDepositUnpaid, time.Time{}},
		{"300", 300, inst, pay(30300), rakuten.VerdictAuthorized, rakuten.SlipDepositPaid, inst},
		{"300 without 発送指示日時", 300, time.Time{}, pay(30300), rakuten.VerdictAuthorized, rakuten.SlipDepositPaid, procOK},
		{"500", 500, inst, pay(30600), rakuten.VerdictAuthorized, rakuten.SlipDepositPaid, inst},
		{"800", 800, inst, nil, rakuten.VerdictCancelRequested, rakuten.SlipDepositUnpaid, time.Time{}},
		{"900", 900, inst, nil, rakuten.VerdictCancelled, rakuten.SlipDepositUnpaid, time.Time{}},
		{"unknown", 250, inst, nil, rakuten.VerdictAuthorizing, rakuten.SlipDepositUnpaid, time.Time{}},
	}
	for _, tt := range tests {
		o := rakuten.Order{OrderProgress: tt.progress, ShippingInstDatetime: rakuten.At(tt.inst)}
		in := rakuten.SlipInputsFor(&o, tt.pay)
		if in.Verdict != tt.verdict || in.Deposit != tt.deposit || !in.ApprovedAt.Equal(tt.approved) || in.Reason == "" {
			t.Errorf("%s: %+v", tt.name, in)
		}
		if (in.Verdict == rakuten.VerdictAuthorized) != (in.Approval == rakuten.SlipApprovalApproved) {
			t.Errorf("%s: approval %s", tt.name, in.Approval)
		}
	}
}

func TestSplitWindows(t *testing.T) {
	t.Parallel()
	s := time.Date(2026, 1, 1, 0, 0, 0, 0, clock.JST)
	ws := rakuten.SplitWindows(s, s.AddDate(0, 0, 200))
	if len(ws) != 4 {
		t.Fatalf("%d windows", len(ws))
	}
	for i, w := range ws {
		if w.End.Sub(w.Start) > rakuten.MaxWindow {
			t.Errorf("window %d too long", i)
		}
		if i > 0 && !w.Start.Equal(ws[i-1].End.Add(time.Second)) {
			t.Errorf("gap or overlap before window %d", i)
		}
	}
	if !ws[0].Start.Equal(s) || !ws[3].End.Equal(s.AddDate(0, 0, 200)) {
		t.Error("ends")
	}
	if got := rakuten.SplitWindows(s, s); len(got) != 1 {
		t.Errorf("a one-second window: %v", got)
	}
}

// fakeTime is a clock and sleep for the throttle that never really waits.
type fakeTime struct {
	now   time.Time
	slept []time.Duration
}

func (f *fakeTime) Now() time.Time { return f.now }
func (f *fakeTime) Sleep(_ context.Context, d time.Duration) error {
	f.slept = append(f.slept, d)
	f.now = f.now.Add(d)
	return nil
}

func TestThrottle(t *testing.T) {
	t.Parallel()
	f := &fakeTime{now: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	th := rakuten.NewThrottle(1).WithTime(f.Now, f.Sleep)
	for range 3 {
		if err := th.Wait(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	if !slices.Equal(f.slept, []time.Duration{time.Second, time.Second}) {
		t.Errorf("1/s: slept %v", f.slept)
	}
	// Time that passed on its own counts.
	f.now = f.now.Add(3 * time.Second)
	f.slept = nil
	_ = th.Wait(context.Background())
	if len(f.slept) != 0 {
		t.Errorf("after a pause: slept %v", f.slept)
	}
	// 4 per second, and off.
	f4 := &fakeTime{now: f.now}
	th4 := rakuten.NewThrottle(4).WithTime(f4.Now, f4.Sleep)
	for range 3 {
		_ = th4.Wait(context.Background())
	}
	if !slices.Equal(f4.slept, []time.Duration{250 * time.Millisecond, 250 * time.Millisecond}) {
		t.Errorf("4/s: %v", f4.slept)
	}
	off := &fakeTime{now: f.now}
	th0 := rakuten.NewThrottle(0).WithTime(off.Now, off.Sleep)
	for range 10 {
		_ = th0.Wait(context.Background())
	}
	if len(off.slept) != 0 || th0.Interval() != 0 {
		t.Errorf("off: %v", off.slept)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := rakuten.NewThrottle(1).Wait(ctx); err == nil {
		t.Error("cancelled context: no error")
	}
}

// The client waits for its throttle before every call, and a shop's clients share one.
func TestClientUsesThrottle(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		_, _ = w.Write([]byte(`{"MessageModelList":[],"OrderModelList":[]}`))
	}))
	defer srv.Close()
	f := &fakeTime{now: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	shared := rakuten.NewThrottle(1).WithTime(f.Now, f.Sleep)
	a := rakuten.New(rakuten.Config{BaseURL: srv.URL, Throttle: shared})
	b := rakuten.New(rakuten.Config{BaseURL: srv.URL, Throttle: shared})
	nums := make([]string, 250)
	for i := range nums {
		nums[i] = "100000-20260101-0000000" + string(rune('0'+i%10))
	}
	if _, err := a.GetOrders(context.Background(), nums); err != nil { // 3 calls
		t.Fatal(err)
	}
	if _, err := b.ConfirmOrder(context.Background(), nums[:1]); err != nil { // 1 more
		t.Fatal(err)
	}
	if len(f.slept) != 3 || f.now.Sub(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)) != 3*time.Second {
		t.Errorf("4 calls at 1/s: slept %v", f.slept)
	}
}

func TestThrottlesPerShop(t *testing.T) {
	t.Parallel()
	set := rakuten.NewThrottles(2)
	a, b := set.For("shop-a"), set.For("shop-b")
	if a != set.For("shop-a") || a == b || a.Interval() != 500*time.Millisecond {
		t.Errorf("per shop: %p %p %v", a, b, a.Interval())
	}
	if rakuten.NewThrottles(0).For("x").Interval() != 0 {
		t.Error("0 is off")
	}
}

func TestGatewayAndHTTPErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		status  int
		body    string
		gateway string
		api     bool
	}{
		{"ES01-01", 401, `{"Results":{"errorCode":"ES01-01","message":"Un-Authorised"}}`, "ES01-01", false},
		{"ES04-01 with 200", 200, `{"Results":{"errorCode":"ES04-01","message":"Forbidden"}}`, "ES04-01", false},
		{"API 400", 400, `{"MessageModelList":[{"messageType":"ERROR","messageCode":"ORDER_EXT_API_SEARCH_ORDER_ERROR_009","message":"dateTypeの項目を指定して下さい。"}]}`, "", true},
		{"HTML 503", 503, `<html>busy</html>`, "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
				w.WriteHeader(tt.status)
				_, _ = w.Write([]byte(tt.body))
			}))
			defer srv.Close()
			c := rakuten.New(rakuten.Config{BaseURL: srv.URL, Throttle: rakuten.NewThrottle(0)})
			_, err := c.SearchOrder(context.Background(), rakuten.SearchRequest{})
			ge, isGW := err.(*rakuten.GatewayError)
			ae, isAPI := err.(*rakuten.APIError)
			if tt.gateway != "" && (!isGW || ge.Code != tt.gateway || !rakuten.IsGateway(err)) || tt.api != isAPI || err == nil {
				t.Fatalf("%T %v", err, err)
			}
			if isAPI && (ae.HTTPStatus != tt.status || len(ae.Messages) != 1) {
				t.Errorf("%+v", ae)
			}
		})
	}
	// A cancel answered 5xx may have been executed; a search never "may have".
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(500) }))
	defer srv.Close()
	c := rakuten.New(rakuten.Config{BaseURL: srv.URL, Throttle: rakuten.NewThrottle(0)})
	_, cerr := c.CancelOrder(context.Background(), rakuten.CancelRequest{OrderNumber: "x"})
	_, serr := c.SearchOrder(context.Background(), rakuten.SearchRequest{})
	if !rakuten.IsOutcomeUnknown(cerr) || rakuten.IsOutcomeUnknown(serr) {
		t.Errorf("unknown: cancel %v search %v", cerr, serr)
	}
}

// Every call is bounded by Config.Timeout even when the HTTP client has none.
func TestTimeoutBounded(t *testing.T) {
	t.Parallel()
	block := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-block:
		case <-r.Context().Done():
		}
	}))
	defer srv.Close()
	defer close(block)
	c := rakuten.New(rakuten.Config{BaseURL: srv.URL, Throttle: rakuten.NewThrottle(0), HTTPClient: &http.Client{}, Timeout: 50 * time.Millisecond})
	_, err := c.GetPayment(context.Background(), "x")
	te, ok := err.(*rakuten.TransportError)
	if !ok || !te.Timeout() || !te.Sent {
		t.Fatalf("%T %v", err, err)
	}
}

func TestAuthorizationHeader(t *testing.T) {
	t.Parallel()
	// base64("SP:SL") = U1A6U0w=
	if got := rakuten.AuthorizationHeader("SP", "SL"); got != "ESA U1A6U0w=" {
		t.Errorf("%s", got)
	}
	var seen http.Header
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		seen = r.Header.Clone()
		if r.URL.Path != "/es/2.0/order/getPayment/" || r.Method != http.MethodPost {
			t.Errorf("%s %s", r.Method, r.URL.Path)
		}
		_, _ = w.Write([]byte(`{"MessageModelList":[]}`))
	}))
	defer srv.Close()
	c := rakuten.New(rakuten.Config{BaseURL: srv.URL + "/", ServiceSecret: "SP", LicenseKey: "SL", Throttle: rakuten.NewThrottle(0)})
	if _, err := c.GetPayment(context.Background(), "x"); err != nil {
		t.Fatal(err)
	}
	if seen.Get("Authorization") != "ESA U1A6U0w=" || seen.Get("Content-Type") != "application/json; charset=utf-8" {
		t.Errorf("headers %v", seen)
	}
}
