package rakutenpay_test

import (
	"slices"
	"testing"

	"kessai/internal/commerce"
	"kessai/internal/rakutenpay"
)

// TestViewsFollowTheShippableSetting: 入金待ち and 印刷待ち split the live slips by the 出荷可能
// statuses; changing the setting moves a 一部入金 slip from one to the other, and a slip with a
// 納品書印刷指示日 or a cancelled one is in neither.
func TestViewsFollowTheShippableSetting(t *testing.T) {
	e := newEnv(t)
	mk := func(payment, status, print string) string {
		t.Helper()
		o, err := e.store.CreateOrder(e.ctx, commerce.Order{ShopID: e.shop.ID, PaymentMethod: "rakuten_pay", PaymentStatus: payment,
			OrderStatus: status, DeliveryNotePrintOn: print, Lines: []commerce.OrderLine{{Name: "商品", UnitPrice: 1000, Quantity: 1, TaxRate: 10}}})
		if err != nil {
			t.Fatal(err)
		}
		return o.ID
	}
	unpaid, partial, paid := mk("unpaid", "new", ""), mk("partially_paid", "new", ""), mk("paid", "awaiting_shipment", "")
	printed, gone := mk("paid", "awaiting_shipment", "2026-03-05"), mk("unpaid", "cancelled", "")
	view := func(v string) []string {
		t.Helper()
		sh, err := e.svc.Shippable(e.ctx)
		if err != nil {
			t.Fatal(err)
		}
		rows, err := e.store.ListOrders(e.ctx, commerce.OrderFilter{Extra: []commerce.Cond{*rakutenpay.ViewCond(v, sh)}}, false)
		if err != nil {
			t.Fatal(err)
		}
		var ids []string
		for _, r := range rows {
			ids = append(ids, r.ID)
		}
		slices.Sort(ids)
		return ids
	}
	sorted := func(ids ...string) []string { slices.Sort(ids); return ids }
	if got := view(rakutenpay.ViewAwaitingPayment); !slices.Equal(got, sorted(unpaid, partial)) {
		t.Fatalf("入金待ち %v", got)
	}
	if got := view(rakutenpay.ViewAwaitingPrint); !slices.Equal(got, sorted(paid)) {
		t.Fatalf("印刷待ち %v", got)
	}
	if err := e.svc.SetShippable(e.ctx, []string{"paid", "partially_paid"}); err != nil {
		t.Fatal(err)
	}
	if got := view(rakutenpay.ViewAwaitingPayment); !slices.Equal(got, sorted(unpaid)) {
		t.Fatalf("入金待ち after the change %v", got)
	}
	if got := view(rakutenpay.ViewAwaitingPrint); !slices.Equal(got, sorted(paid, partial)) {
		t.Fatalf("印刷待ち after the change %v", got)
	}
	if err := e.svc.SetShippable(e.ctx, []string{"bogus"}); err == nil {
		t.Fatal("an unknown 入金状況 was saved")
	}
	_, _ = printed, gone
}
