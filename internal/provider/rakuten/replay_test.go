package rakuten_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"kessai/internal/platform/clock"
	"kessai/internal/provider/rakuten"
)

// replay serves testdata/name with status for every request.
func replay(t *testing.T, name string, status int) *rakuten.Client {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json;charset=utf-8")
		w.WriteHeader(status)
		_, _ = w.Write(b)
	}))
	t.Cleanup(srv.Close)
	return rakuten.New(rakuten.Config{BaseURL: srv.URL, Throttle: rakuten.NewThrottle(0)})
}

func jst(y int, m time.Month, d, hh, mm, ss int) time.Time {
	return time.Date(y, m, d, hh, mm, ss, 0, clock.JST)
}

// An old-version cash-on-delivery answer: no settlementMethodCode or rpaySettlementFlag, null
// card fields, 代引料 inside requestPrice but not totalPrice, and fields the client ignores.
func TestReplayOldCODOrder(t *testing.T) {
	t.Parallel()
	r, err := replay(t, "getorder-cod-old-version.json", 200).GetOrders(context.Background(), []string{"123456-20180101-00000001"})
	if err != nil {
		t.Fatal(err)
	}
	o := r.Orders[0]
	s := o.Settlement
	if s.Code != nil || s.Method() != 0 || s.RakutenPay() || s.Name != "代金引換" || s.CardName != nil || s.CardPayType != nil {
		t.Errorf("settlement %+v", s)
	}
	if o.TotalPrice != 120 || o.RequestPrice != 220 || o.DeliveryPrice != 100 || o.GoodsPrice != 20 {
		t.Errorf("amounts %d %d", o.TotalPrice, o.RequestPrice)
	}
	if !o.OrderFixDatetime.Equal(jst(2018, 7, 24, 10, 57, 45)) || !o.ShippingInstDatetime.Equal(o.OrderFixDatetime.Time) ||
		o.CancelDueDate.String() != "2019-07-24" || !o.DeliveryDate.IsZero() || o.Memo != nil || o.Remarks != "[配送日時指定:]\n\n" {
		t.Errorf("dates %v %v %v", o.OrderFixDatetime, o.CancelDueDate, o.DeliveryDate)
	}
	if len(o.Packages) != 1 || len(o.Packages[0].Items) != 1 || len(o.Packages[0].Shippings) != 0 {
		t.Errorf("packages %+v", o.Packages)
	}
	in := rakuten.SlipInputsFor(&o, nil)
	if in.Verdict != rakuten.VerdictAuthorized || !in.ApprovedAt.Equal(jst(2018, 7, 24, 10, 57, 45)) {
		t.Errorf("slip %+v", in)
	}
}

func TestReplayCardOrderV10(t *testing.T) {
	t.Parallel()
	r, err := replay(t, "getorder-card-v10.json", 200).GetOrders(context.Background(), []string{"123456-20260101-00000002", "123456-20260101-00000099"})
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Orders) != 1 || !slices.Equal(r.NotFound(), []string{"123456-20260101-00000099"}) || *r.Version != 10 {
		t.Fatalf("%d orders, not found %v", len(r.Orders), r.NotFound())
	}
	o := r.Orders[0]
	if o.Settlement.Method() != rakuten.SettleCard || !o.Settlement.RakutenPay() || *o.Settlement.CardPayType != 0 || *o.SubStatusID != 5 {
		t.Errorf("settlement %+v", o.Settlement)
	}
	if o.RequestPrice != rakuten.Undetermined || !o.OrderFixDatetime.IsZero() || !o.ShippingInstDatetime.IsZero() {
		t.Errorf("undetermined %d", o.RequestPrice)
	}
	ch := o.ChangeReasons[0]
	if *ch.ChangeType != rakuten.ChangeTypeRepay || *ch.ChangeTypeDetail != rakuten.ChangeDetailMethod || !ch.ChangeCmplDatetime.IsZero() ||
		o.DueDates[0].DueDateType != 1 || o.DueDates[0].DueDate.String() != "2026-01-09" {
		t.Errorf("change %+v due %+v", ch, o.DueDates)
	}
	sh := o.Packages[0].Shippings[0]
	if *sh.ShippingDetailID != 77 || sh.DeliveryCompany != "1001" || sh.ShippingDate.String() != "2026-01-03" {
		t.Errorf("shipping %+v", sh)
	}
}

func TestReplaySearch(t *testing.T) {
	t.Parallel()
	r, err := replay(t, "searchorder-none.json", 200).SearchOrder(context.Background(), rakuten.SearchRequest{})
	if err != nil || len(r.OrderNumbers) != 0 || r.Pagination.Total() != 0 || r.Pagination.Pages() != 0 || !r.Messages.Has(rakuten.CodeSearchNone) {
		t.Fatalf("none: %+v %v", r, err)
	}
	// SearchAll over a zero-hit answer ends at once.
	n := 0
	for _, err := range replay(t, "searchorder-none.json", 200).SearchAll(context.Background(), rakuten.SearchQuery{DateType: 1, Start: jst(2026, 1, 1, 0, 0, 0), End: jst(2026, 1, 2, 0, 0, 0)}) {
		if err != nil {
			t.Fatal(err)
		}
		n++
	}
	if n != 0 {
		t.Errorf("%d numbers from no hits", n)
	}
	_, err = replay(t, "searchorder-refused.json", 400).SearchOrder(context.Background(), rakuten.SearchRequest{})
	ae, ok := errors.AsType[*rakuten.APIError](err)
	if !ok || len(ae.Messages) != 2 || ae.Messages[0].Field() != "dateType" || ae.Messages[1].Problem() != rakuten.ProblemBadFormat {
		t.Fatalf("refused: %v", err)
	}
}

func TestReplayWrites(t *testing.T) {
	t.Parallel()
	ship, err := replay(t, "updateordershipping-null-ids.json", 200).UpdateOrderShipping(context.Background(), rakuten.ShippingUpdate{})
	if err != nil {
		t.Fatal(err)
	}
	rows := ship.Rows()
	if len(rows) != 2 || rows[0].ShippingDetailID != nil || rows[0].Code != rakuten.CodeShippingAdded || *rows[1].ShippingDetailID != 12345 {
		t.Errorf("rows %+v", rows)
	}
	conf, err := replay(t, "confirmorder.json", 200).ConfirmOrder(context.Background(), []string{"a", "b"})
	if err != nil || !slices.Equal(conf.Confirmed(), []string{"123456-20260101-00000001"}) ||
		conf.Messages.ForOrder("123456-20260101-00000002")[0].Problem() != rakuten.ProblemOther {
		t.Errorf("confirm %+v %v", conf, err)
	}
	can, err := replay(t, "cancelorder.json", 200).CancelOrder(context.Background(), rakuten.CancelRequest{OrderNumber: "123456-20260101-00000001"})
	if err != nil || !can.Messages.Has(rakuten.CodeCancelOK) {
		t.Errorf("cancel %+v %v", can, err)
	}
}

func TestReplayGetPaymentShapes(t *testing.T) {
	t.Parallel()
	p, err := replay(t, "getpayment.json", 200).GetPayment(context.Background(), "123456-20260101-00000001")
	if err != nil || p.Order == nil {
		t.Fatalf("%+v %v", p, err)
	}
	pm := p.Order.Payments[0]
	if pm.PaymentStatus != rakuten.PaymentProcCompleted || !pm.PaymentProcCmplDatetime.Equal(jst(2026, 1, 1, 22, 52, 0)) || *pm.Card.CardName != "VISA" {
		t.Errorf("payment %+v", pm)
	}
	o := rakuten.Order{OrderProgress: 300}
	if in := rakuten.SlipInputsFor(&o, p.Order); !in.ApprovedAt.Equal(jst(2026, 1, 1, 22, 52, 0)) || in.PaymentStatus != 30300 {
		t.Errorf("slip from payment %+v", in)
	}
	p, err = replay(t, "getpayment-list.json", 200).GetPayment(context.Background(), "123456-20260101-00000003")
	if err != nil || p.Order == nil || p.Order.OrderNumber != "123456-20260101-00000003" || p.Order.Payments[0].PaymentStatus != rakuten.PaymentFixed ||
		p.Order.Payments[0].Bank.TransferDate.String() != "2026-01-05" {
		t.Fatalf("list shape: %+v %v", p, err)
	}
}
