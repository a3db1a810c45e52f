package rakutensim_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"kessai/internal/platform/clock"
	"kessai/internal/provider/rakuten"
	"kessai/internal/sandbox/rakutensim"
	"kessai/internal/sandbox/sim"
)

func str(s string) *string { return &s }

func TestUpdateOrderShipping(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	n := e.create(t, rakutensim.NewOrder{Confirmed: true, Authorize: "ok"}, 1)[0]
	o := e.order(t, n)
	basket := o.Packages[0].BasketID

	// Added rows may come back without their id.
	e.sim.SetSettings(rakutensim.Settings{NullShippingDetailID: true})
	res, err := e.client.UpdateOrderShipping(ctx, rakuten.ShippingUpdate{OrderNumber: n, Baskets: []rakuten.BasketShipping{{
		BasketID: basket, Shippings: []rakuten.ShippingWrite{{DeliveryCompany: str("1001"), ShippingNumber: str("1234-5678-9012")}}}}})
	if err != nil {
		t.Fatal(err)
	}
	rows := res.Rows()
	if len(rows) != 1 || rows[0].Code != rakuten.CodeShippingAdded || rows[0].ShippingDetailID != nil || rows[0].DataNumber != 1 {
		t.Fatalf("added row with null id: %+v", rows)
	}
	o = e.order(t, n)
	if len(o.Packages[0].Shippings) != 1 || o.Packages[0].Shippings[0].ShippingDetailID == nil || o.OrderProgress != rakuten.ProgressAwaitingShipment {
		t.Fatalf("getOrder after add: %+v progress %d", o.Packages[0].Shippings, o.OrderProgress)
	}
	id := *o.Packages[0].Shippings[0].ShippingDetailID

	// Updating it with a date reports the shipment: 500 発送済.
	e.sim.SetSettings(rakutensim.Settings{})
	res, err = e.client.UpdateOrderShipping(ctx, rakuten.ShippingUpdate{OrderNumber: n, Baskets: []rakuten.BasketShipping{{
		BasketID: basket, Shippings: []rakuten.ShippingWrite{{ShippingDetailID: &id, ShippingDate: str("2026-03-02")},
			{DeliveryCompany: str("1002"), ShippingNumber: str("999")}}}}})
	if err != nil {
		t.Fatal(err)
	}
	rows = res.Rows()
	if len(rows) != 2 || rows[0].Code != rakuten.CodeShippingUpdated || *rows[0].ShippingDetailID != id ||
		rows[1].Code != rakuten.CodeShippingAdded || rows[1].ShippingDetailID == nil || rows[1].DataNumber != 2 {
		t.Fatalf("rows %+v", rows)
	}
	o = e.order(t, n)
	if o.OrderProgress != rakuten.ProgressShipped || o.ShippingCmplRptDatetime.IsZero() || o.Packages[0].Shippings[0].ShippingNumber != "1234-5678-9012" {
		t.Fatalf("after the date: progress %d %+v", o.OrderProgress, o.Packages[0].Shippings)
	}

	// An unknown id refuses the whole request and changes nothing.
	bad := int64(999999)
	_, err = e.client.UpdateOrderShipping(ctx, rakuten.ShippingUpdate{OrderNumber: n, Baskets: []rakuten.BasketShipping{{
		BasketID: basket, Shippings: []rakuten.ShippingWrite{{ShippingDetailID: &bad, ShippingDeleteFlag: new(1)}, {ShippingNumber: str("1")}}}}})
	fieldErr(t, err, [2]string{"UPDATE_ORDERSHIPPING_ERROR_011", "shippingDetailId"})
	if got := len(e.order(t, n).Packages[0].Shippings); got != 2 {
		t.Errorf("refused request changed the rows: %d", got)
	}
	// Delete.
	res, err = e.client.UpdateOrderShipping(ctx, rakuten.ShippingUpdate{OrderNumber: n, Baskets: []rakuten.BasketShipping{{
		BasketID: basket, Shippings: []rakuten.ShippingWrite{{ShippingDetailID: &id, ShippingDeleteFlag: new(1)}}}}})
	if err != nil || res.Rows()[0].Code != rakuten.CodeShippingDeleted || len(e.order(t, n).Packages[0].Shippings) != 1 {
		t.Fatalf("delete: %v %v", res, err)
	}
	// Orders not yet authorized cannot take shipping data.
	w := e.create(t, rakutensim.NewOrder{}, 1)[0]
	_, err = e.client.UpdateOrderShipping(ctx, rakuten.ShippingUpdate{OrderNumber: w, Baskets: []rakuten.BasketShipping{{
		BasketID: 1, Shippings: []rakuten.ShippingWrite{{ShippingNumber: str("1")}}}}})
	if ae, ok := errors.AsType[*rakuten.APIError](err); !ok || !ae.Has("ORDER_EXT_API_UPDATE_ORDERSHIPPING_ERROR_102") {
		t.Errorf("shipping on 100: %v", err)
	}
}

func TestCancelOrder(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	o100 := e.create(t, rakutensim.NewOrder{}, 1)[0]
	o200 := e.create(t, rakutensim.NewOrder{Confirmed: true}, 1)[0]
	o300 := e.create(t, rakutensim.NewOrder{Confirmed: true, Authorize: "ok"}, 1)[0]
	o500 := e.create(t, rakutensim.NewOrder{Confirmed: true, Authorize: "ok"}, 1)[0]
	_, err := e.client.UpdateOrderShipping(ctx, rakuten.ShippingUpdate{OrderNumber: o500, Baskets: []rakuten.BasketShipping{{
		BasketID: e.order(t, o500).Packages[0].BasketID, Shippings: []rakuten.ShippingWrite{{DeliveryCompany: str("1001"), ShippingNumber: str("1"), ShippingDate: str("2026-03-02")}}}}})
	if err != nil || e.progress(t, o500) != rakuten.ProgressShipped {
		t.Fatalf("ship: %v", err)
	}
	for _, n := range []string{o100, o200, o300} {
		r, err := e.client.CancelOrder(ctx, rakuten.CancelRequest{OrderNumber: n, InventoryRestoreType: 1, ChangeReasonDetailApply: rakuten.CancelReasonOutOfStock})
		if err != nil || !r.Messages.Has(rakuten.CodeCancelOK) || r.Messages[0].OrderNumber != n {
			t.Fatalf("cancel %s: %v %v", n, r, err)
		}
		if p := e.progress(t, n); p != rakuten.ProgressCancelRequested {
			t.Errorf("%s after the cancel request: %d, want 800", n, p)
		}
	}
	_, err = e.client.CancelOrder(ctx, rakuten.CancelRequest{OrderNumber: o500, ChangeReasonDetailApply: 1})
	ae, ok := errors.AsType[*rakuten.APIError](err)
	if !ok || !ae.Has("ORDER_EXT_API_CANCEL_ORDER_ERROR_102") || rakuten.IsOutcomeUnknown(err) {
		t.Fatalf("cancel a 500: %v", err)
	}
	if e.progress(t, o500) != rakuten.ProgressShipped {
		t.Error("refused cancel changed the order")
	}
	if _, err := e.client.CancelOrderAfterShipping(ctx, rakuten.CancelRequest{OrderNumber: o500, ChangeReasonDetailApply: rakuten.CancelReasonReturned}); err != nil {
		t.Fatalf("cancel after shipping: %v", err)
	}
	if _, err := e.client.CancelOrderAfterShipping(ctx, rakuten.CancelRequest{OrderNumber: o100, ChangeReasonDetailApply: 1}); err == nil {
		t.Error("cancelOrderAfterShipping accepted an 800 order")
	}

	// Rakuten confirms a cancel request 10 minutes later: 900.
	e.clk.Advance(10*time.Minute - time.Second)
	if p := e.progress(t, o300); p != rakuten.ProgressCancelRequested {
		t.Fatalf("before 10 minutes: %d", p)
	}
	e.clk.Advance(time.Second)
	for _, n := range []string{o100, o200, o300, o500} {
		o := e.order(t, n)
		if o.OrderProgress != rakuten.ProgressCancelled {
			t.Errorf("%s: %d, want 900", n, o.OrderProgress)
		}
		if in := rakuten.SlipInputsFor(&o, nil); in.Verdict != rakuten.VerdictCancelled {
			t.Errorf("%s verdict %s", n, in.Verdict)
		}
	}
	if s := e.payment(t, o300).Payments[0]; s.PaymentStatus != rakuten.PaymentProcCancelled || s.PaymentProcCancelCmplDatetime.IsZero() {
		t.Errorf("payment of the cancelled 300: %d", s.PaymentStatus)
	}
}

// The cancel request is built so that net/http cannot replay it.
func TestCancelNotReplayable(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	n := e.create(t, rakutensim.NewOrder{}, 1)[0]
	var sawGetBody []bool
	rt := roundTripFunc(func(r *http.Request) (*http.Response, error) {
		sawGetBody = append(sawGetBody, r.GetBody != nil)
		return http.DefaultTransport.RoundTrip(r)
	})
	c := rakuten.New(rakuten.Config{BaseURL: e.sim.BaseURL(e.srv.URL), ServiceSecret: rakutensim.DefaultServiceSecret,
		LicenseKey: rakutensim.DefaultLicenseKey, Throttle: rakuten.NewThrottle(0), HTTPClient: &http.Client{Transport: rt}})
	if _, err := c.GetOrders(ctx, []string{n}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.CancelOrder(ctx, rakuten.CancelRequest{OrderNumber: n, ChangeReasonDetailApply: 1}); err != nil {
		t.Fatal(err)
	}
	if len(sawGetBody) != 2 || !sawGetBody[0] || sawGetBody[1] {
		t.Errorf("GetBody set per call: %v, want [true false]", sawGetBody)
	}
	// A dropped connection after the request left is an unknown outcome for a cancel only.
	dead := rakuten.New(rakuten.Config{BaseURL: e.sim.BaseURL(e.srv.URL), Throttle: rakuten.NewThrottle(0),
		HTTPClient: &http.Client{Transport: roundTripFunc(func(r *http.Request) (*http.Response, error) {
			if r.Body != nil {
				var b bytes.Buffer
				_, _ = b.ReadFrom(r.Body)
			}
			return nil, errors.New("connection reset")
		})}})
	_, err := dead.CancelOrder(ctx, rakuten.CancelRequest{OrderNumber: n, ChangeReasonDetailApply: 1})
	_, readErr := dead.GetOrders(ctx, []string{n})
	if te, ok := errors.AsType[*rakuten.TransportError](err); !ok || !te.MoneyMoving {
		t.Fatalf("cancel over a dead transport: %v", err)
	}
	if rakuten.IsOutcomeUnknown(readErr) {
		t.Error("a failed read is never an unknown outcome")
	}
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

func TestAuthorizationAndPayment(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	n := e.create(t, rakutensim.NewOrder{}, 1)[0]
	if p := e.payment(t, n).Payments[0]; p.PaymentStatus != rakuten.PaymentProcWaiting {
		t.Errorf("new order payment %d", p.PaymentStatus)
	}
	if _, err := e.client.ConfirmOrder(ctx, []string{n}); err != nil {
		t.Fatal(err)
	}
	o, pay := e.order(t, n), e.payment(t, n)
	in := rakuten.SlipInputsFor(&o, pay)
	if o.OrderProgress != 200 || pay.Payments[0].PaymentStatus != rakuten.PaymentProcRequested || in.Verdict != rakuten.VerdictAuthorizing ||
		in.Deposit != rakuten.SlipDepositUnpaid || in.Approval != rakuten.SlipApprovalPending || !in.ApprovedAt.IsZero() {
		t.Fatalf("after confirm: %d %d %+v", o.OrderProgress, pay.Payments[0].PaymentStatus, in)
	}
	e.clk.Advance(time.Minute)
	if err := e.sim.Authorize(n, true); err != nil {
		t.Fatal(err)
	}
	o, pay = e.order(t, n), e.payment(t, n)
	in = rakuten.SlipInputsFor(&o, pay)
	okAt := start.Add(time.Minute)
	if o.OrderProgress != 300 || !o.ShippingInstDatetime.Equal(okAt) || pay.Payments[0].PaymentStatus != rakuten.PaymentProcCompleted ||
		!pay.Payments[0].PaymentProcCmplDatetime.Equal(okAt) {
		t.Fatalf("after OK: %d %v %d", o.OrderProgress, o.ShippingInstDatetime, pay.Payments[0].PaymentStatus)
	}
	if in.Verdict != rakuten.VerdictAuthorized || in.Deposit != rakuten.SlipDepositPaid || in.Approval != rakuten.SlipApprovalApproved || !in.ApprovedAt.Equal(okAt) {
		t.Errorf("slip inputs after OK: %+v", in)
	}
	if err := e.sim.Authorize(n, true); err == nil {
		t.Error("authorizing a 300 order twice: no error")
	}

	// NG stays in 200 and says so through getPayment.
	ng := e.create(t, rakutensim.NewOrder{Confirmed: true, Authorize: "ng"}, 1)[0]
	o, pay = e.order(t, ng), e.payment(t, ng)
	in = rakuten.SlipInputsFor(&o, pay)
	if o.OrderProgress != 200 || pay.Payments[0].PaymentStatus != rakuten.PaymentProcNG || pay.Payments[0].PaymentProcNgDatetime.IsZero() ||
		in.Verdict != rakuten.VerdictAuthorizationNG || in.Deposit != rakuten.SlipDepositUnpaid || len(o.DueDates) != 1 {
		t.Fatalf("NG: %d %d %+v", o.OrderProgress, pay.Payments[0].PaymentStatus, in)
	}
	// Cash on delivery has no Rakuten payment and cannot be NG.
	cod := e.create(t, rakutensim.NewOrder{Method: rakuten.SettleCOD, Confirmed: true}, 1)[0]
	if err := e.sim.Authorize(cod, false); err == nil {
		t.Error("NG on a COD order: no error")
	}
	if p := e.payment(t, cod).Payments[0]; p.PaymentStatus != rakuten.PaymentNone {
		t.Errorf("COD payment %d", p.PaymentStatus)
	}
}

func TestNGAutoCancelAfterSevenDays(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	n := e.create(t, rakutensim.NewOrder{Confirmed: true, Authorize: "ng"}, 1)[0]
	e.clk.Advance(7*24*time.Hour - time.Second)
	if p := e.progress(t, n); p != 200 {
		t.Fatalf("just before 7 days: %d", p)
	}
	e.clk.Advance(3 * 24 * time.Hour) // past it: the cancel happens at day 7, not now
	o := e.order(t, n)
	if o.OrderProgress != 900 {
		t.Fatalf("after 7 days: %d", o.OrderProgress)
	}
	last := o.ChangeReasons[len(o.ChangeReasons)-1]
	if want := start.Add(7 * 24 * time.Hour); !last.ChangeCmplDatetime.Equal(want) || *last.ChangeReasonDetail != rakuten.CancelReasonUnpaid {
		t.Errorf("cancelled at %v reason %v, want %v", last.ChangeCmplDatetime, *last.ChangeReasonDetail, want)
	}
}

func TestNGThenPaymentMethodChange(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	n := e.create(t, rakutensim.NewOrder{Confirmed: true, Authorize: "ng"}, 1)[0]
	e.clk.Advance(3 * 24 * time.Hour)
	if err := e.sim.ChangePaymentMethod(n, rakuten.SettleSevenEleven); err != nil {
		t.Fatal(err)
	}
	o := e.order(t, n)
	last := o.ChangeReasons[len(o.ChangeReasons)-1]
	if o.OrderProgress != 200 || o.Settlement.Method() != rakuten.SettleSevenEleven || *last.ChangeType != rakuten.ChangeTypeRepay ||
		o.Settlement.CardNumber != nil || o.Settlement.CardPayType != nil {
		t.Fatalf("after the change: %+v %+v", o.Settlement, last)
	}
	// The change stops the 7-day cancel.
	e.clk.Advance(5 * 24 * time.Hour)
	if p := e.progress(t, n); p != 200 {
		t.Fatalf("day 8 after a method change: %d", p)
	}
	if err := e.sim.Authorize(n, true); err != nil {
		t.Fatal(err)
	}
	o = e.order(t, n)
	in := rakuten.SlipInputsFor(&o, e.payment(t, n))
	if in.Verdict != rakuten.VerdictAuthorized || !in.ApprovedAt.Equal(start.Add(8*24*time.Hour)) || in.PaymentStatus != rakuten.PaymentFixed {
		t.Errorf("300 after the change: %+v", in)
	}
}

func TestAmountChangeReauthorizes(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	n := e.create(t, rakutensim.NewOrder{Confirmed: true, Authorize: "ok"}, 1)[0]
	e.clk.Advance(20 * 24 * time.Hour)
	if err := e.sim.ChangeAmount(n, 5000); err != nil {
		t.Fatal(err)
	}
	o := e.order(t, n)
	if o.OrderProgress != 200 || o.GoodsPrice != 5000 || o.RequestPrice != 5000 {
		t.Fatalf("after the amount change: %d %d", o.OrderProgress, o.GoodsPrice)
	}
	e.clk.Advance(time.Hour)
	if err := e.sim.Authorize(n, true); err != nil {
		t.Fatal(err)
	}
	o = e.order(t, n)
	if want := start.Add(20*24*time.Hour + time.Hour); o.OrderProgress != 300 || !o.ShippingInstDatetime.Equal(want) {
		t.Errorf("re-authorized: %d %v, want 300 at %v", o.OrderProgress, o.ShippingInstDatetime, want)
	}
}

func TestLongLeadReauthorization(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name, result string
		method       rakuten.SettlementCode
	}{{"card ok", "ok", rakuten.SettleCard}, {"apple pay ng", "ng", rakuten.SettleApplePay}} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t)
			shipBy := start.Add(40 * 24 * time.Hour)
			n := e.create(t, rakutensim.NewOrder{Method: tt.method, Confirmed: true, Authorize: "ok", ShipBy: shipBy}, 1)[0]
			short := e.create(t, rakutensim.NewOrder{Confirmed: true, Authorize: "ok", ShipBy: start.Add(20 * 24 * time.Hour)}, 1)[0]
			if err := e.sim.SetReauthResult(n, tt.result); err != nil {
				t.Fatal(err)
			}
			reauth := shipBy.Add(-7 * 24 * time.Hour)
			e.clk.Advance(reauth.Sub(start) - time.Second)
			if o := e.order(t, n); !o.ShippingInstDatetime.Equal(start) {
				t.Fatalf("before the re-authorization: %v", o.ShippingInstDatetime)
			}
			e.clk.Advance(time.Hour)
			o, pay := e.order(t, n), e.payment(t, n)
			in := rakuten.SlipInputsFor(&o, pay)
			if tt.result == "ok" {
				if o.OrderProgress != 300 || !o.ShippingInstDatetime.Equal(reauth) || !in.ApprovedAt.Equal(reauth) {
					t.Fatalf("re-authorized OK: %d %v", o.OrderProgress, o.ShippingInstDatetime)
				}
			} else {
				if o.OrderProgress != 200 || in.Verdict != rakuten.VerdictAuthorizationNG || in.Deposit != rakuten.SlipDepositUnpaid ||
					in.Approval != rakuten.SlipApprovalPending || !in.ApprovedAt.IsZero() {
					t.Fatalf("re-authorized NG: %d %+v", o.OrderProgress, in)
				}
				e.clk.Advance(7 * 24 * time.Hour)
				if p := e.progress(t, n); p != 900 {
					t.Errorf("unresolved re-authorization NG after 7 days: %d", p)
				}
			}
			// An order shipped within 30 days of its authorization is not re-authorized.
			if o := e.order(t, short); !o.ShippingInstDatetime.Equal(start) || o.OrderProgress != 300 {
				t.Errorf("short-lead order touched: %d %v", o.OrderProgress, o.ShippingInstDatetime)
			}
		})
	}
}

func TestUnconfirmedOrderCancelledAfter14Days(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	n := e.create(t, rakutensim.NewOrder{}, 1)[0]
	e.clk.Advance(14*24*time.Hour - time.Second)
	if p := e.progress(t, n); p != 100 {
		t.Fatal(p)
	}
	e.clk.Advance(time.Second)
	if p := e.progress(t, n); p != 900 {
		t.Fatalf("after 14 days: %d", p)
	}
}

func TestEverySettlementMethodByCode(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	for _, code := range rakuten.SettlementCodes() {
		n := e.create(t, rakutensim.NewOrder{Method: code}, 1)[0]
		s := e.order(t, n).Settlement
		if s.Method() != code || s.Name != code.Label() || s.RakutenPay() != code.DefaultRakutenPay() {
			t.Errorf("code %d: %+v", code, s)
		}
		if code.Card() != (s.CardNumber != nil) || code.Card() != (s.CardPayType != nil) {
			t.Errorf("code %d: card fields %v %v", code, s.CardNumber, s.CardPayType)
		}
	}
}

func TestStatePersistsAcrossRestart(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "rakuten.json")
	e := newEnv(t, func(o *rakutensim.Options, _ *rakuten.Config) { o.StatePath = path })
	ng := e.create(t, rakutensim.NewOrder{Confirmed: true, Authorize: "ng"}, 1)[0]
	ok := e.create(t, rakutensim.NewOrder{Confirmed: true, Authorize: "ok"}, 1)[0]

	// A new Sim on the same file, on the same clock: the orders and the pending NG cancel survive.
	sim := rakutensim.New(rakutensim.Options{Clock: e.clk, StatePath: path})
	if v, err := sim.Order(ok); err != nil || v.Progress != 300 {
		t.Fatalf("after restart: %+v %v", v, err)
	}
	e.clk.Advance(8 * 24 * time.Hour)
	if v, err := sim.Order(ng); err != nil || v.Progress != 900 {
		t.Fatalf("NG cancel after restart: %+v %v", v, err)
	}
	if st := sim.Status(); len(st.Warnings) != 0 || st.Orders != 2 {
		t.Errorf("status %+v", st)
	}
}

func TestControlAPI(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	post := func(path string, body any, out any) int {
		t.Helper()
		b, _ := json.Marshal(body)
		res, err := http.Post(e.srv.URL+prefix+path, "application/json", bytes.NewReader(b))
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		if out != nil {
			_ = json.NewDecoder(res.Body).Decode(out)
		}
		return res.StatusCode
	}
	var created struct {
		Numbers []string `json:"order_numbers"`
	}
	if c := post("/_sim/orders", map[string]any{"all_methods": true, "confirmed": true}, &created); c != 200 || len(created.Numbers) != len(rakuten.SettlementCodes()) {
		t.Fatalf("create all methods: %d %v", c, created)
	}
	card := created.Numbers[0]
	var v rakutensim.OrderView
	if c := post("/_sim/orders/"+card+"/authorize", map[string]string{"result": "ng"}, &v); c != 200 || v.PaymentStatus != rakuten.PaymentProcNG || v.NextRuleAt.IsZero() {
		t.Fatalf("authorize ng: %d %+v", c, v)
	}
	if c := post("/_sim/orders/"+card+"/payment-method", map[string]int{"method": 9}, &v); c != 200 || v.Method != 9 {
		t.Fatalf("payment-method: %d %+v", c, v)
	}
	if c := post("/_sim/orders/"+card+"/authorize", map[string]string{"result": "ok"}, &v); c != 200 || v.Progress != 300 {
		t.Fatalf("authorize ok: %d %+v", c, v)
	}
	if c := post("/_sim/orders/"+card+"/authorize", map[string]string{"result": "ok"}, nil); c != http.StatusConflict {
		t.Errorf("authorize twice: %d", c)
	}
	if c := post("/_sim/orders/100000-20260302-99999999/settle", nil, nil); c != http.StatusNotFound {
		t.Errorf("unknown order: %d", c)
	}
	if c := post("/_sim/shops/"+rakutensim.DefaultShopNumber+"/expire-license-key", nil, nil); c != 200 {
		t.Fatal(c)
	}
	if _, err := e.client.GetOrders(ctx, []string{card}); !rakuten.IsUnauthorized(err) {
		t.Errorf("after expire-license-key: %v", err)
	}
	res, err := http.Get(e.srv.URL + prefix + "/_sim/status")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var st rakutensim.Status
	if err := json.NewDecoder(res.Body).Decode(&st); err != nil || st.Orders != len(created.Numbers) || !st.Shops[0].Expired {
		t.Errorf("status: %+v %v", st, err)
	}
}

func TestSpecAndIndex(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	s, err := rakutensim.Spec.New(sim.Env{Clock: e.clk, Prefix: prefix})
	if err != nil || s.Name != "rakuten" || s.Control != "_sim/" || s.Handler == nil {
		t.Fatalf("spec: %+v %v", s, err)
	}
	if facts := s.Summary(); len(facts) < 2 || facts[0].Value != "0件" {
		t.Errorf("summary %v", facts)
	}
	res, err := http.Get(e.srv.URL + prefix + "/")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var b bytes.Buffer
	_, _ = b.ReadFrom(res.Body)
	if res.StatusCode != 200 || !strings.Contains(b.String(), rakutensim.DefaultLicenseKey) {
		t.Errorf("index: %d %s", res.StatusCode, b.String())
	}
}

func TestCorruptStateFileMovedAside(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	path := filepath.Join(dir, "rakuten.json")
	if err := os.WriteFile(path, []byte("{not json"), 0o600); err != nil {
		t.Fatal(err)
	}
	s := rakutensim.New(rakutensim.Options{Clock: clock.NewFrozen(start), StatePath: path})
	st := s.Status()
	if len(st.Warnings) != 1 || !strings.Contains(st.Warnings[0], "moved to") || st.Orders != 0 || len(st.Shops) != 1 {
		t.Fatalf("status %+v", st)
	}
	matches, _ := filepath.Glob(path + ".corrupt-*")
	if len(matches) != 1 {
		t.Errorf("aside files %v", matches)
	}
	// And the Sim still works and saves.
	if _, err := s.CreateOrders(rakutensim.NewOrder{}, 1); err != nil {
		t.Fatal(err)
	}
	if st := rakutensim.New(rakutensim.Options{Clock: clock.NewFrozen(start), StatePath: path}).Status(); st.Orders != 1 {
		t.Errorf("after save: %d orders", st.Orders)
	}
}

// With SaveDelay, changes are gathered into one write; Flush writes at once.
func TestDelayedSave(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "rakuten.json")
	s := rakutensim.New(rakutensim.Options{Clock: clock.NewFrozen(start), StatePath: path, SaveDelay: time.Hour})
	if _, err := s.CreateOrders(rakutensim.NewOrder{}, 3); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Fatalf("written before the delay: %v", err)
	}
	s.Flush()
	if st := rakutensim.New(rakutensim.Options{Clock: clock.NewFrozen(start), StatePath: path}).Status(); st.Orders != 3 {
		t.Errorf("after Flush: %d orders", st.Orders)
	}
}
