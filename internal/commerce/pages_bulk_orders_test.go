package commerce_test

import (
	"context"
	"strings"
	"testing"

	"kessai/internal/commerce"
	"kessai/internal/platform/auth"
)

// orders creates one credit-card order per status, numbered main-000001… in that order.
func (e *pagesEnv) orders(t *testing.T, statuses ...string) []commerce.Order {
	t.Helper()
	var os []commerce.Order
	for _, st := range statuses {
		o := commerce.Order{ShopID: e.fx.shop.ID, CustomerID: e.fx.customer.ID, OrderedAt: testNow, PaymentMethod: "credit_card",
			OrderStatus: st, Tax: 58, ShippingFee: 500, Lines: twoLines()}
		if st == "cancelled" {
			o.CancelType = "1"
		}
		os = append(os, o)
	}
	out, err := e.store.CreateOrders(context.Background(), os)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestOrderBulkAwaitShipment(t *testing.T) {
	t.Parallel()
	e := newPages(t, auth.RoleStaff)
	ctx := context.Background()
	os := e.orders(t, "new", "awaiting_payment", "on_hold", "awaiting_shipment", "shipped", "cancelled")
	// Not selected by the filter: paid by bank transfer.
	other := commerce.Order{ShopID: e.fx.shop.ID, OrderedAt: testNow, PaymentMethod: "bank_transfer", Lines: twoLines()}
	other, err := e.store.CreateOrder(ctx, other)
	if err != nil {
		t.Fatal(err)
	}
	run := e.runBulk(t, "order_await_shipment", "order", "payment_method=credit_card", nil, 6)
	e.resultHas(t, run,
		`/orders?bulk_run=`+run+`&amp;outcome=done" data-outcome="done">3件`,
		`outcome=skipped" data-outcome="skipped">1件`,
		`outcome=error" data-outcome="error">2件`,
		"スキップ（出荷待ち済み）", "すでに出荷待ちです",
		"「出荷確定」の受注は出荷待ちに戻せません", "「キャンセル」の受注は変更できません",
		`<a href="/orders/`+os[4].ID+`">main-000005 山田 太郎</a>`)
	e.listShowsExactly(t, "/orders", run, "done", []string{"main-000001", "main-000002", "main-000003"}, []string{"main-000004", "main-000005", "main-000006", "main-000007"})
	e.listShowsExactly(t, "/orders", run, "error", []string{"main-000005", "main-000006"}, []string{"main-000001", "main-000004"})
	e.listShowsExactly(t, "/orders", run, "skipped", []string{"main-000004"}, nil)
	// The CSV export of a result list holds exactly those records, like the list.
	if st, body := e.get(t, "/orders.csv?encoding=utf8&bulk_run="+run+"&outcome=error"); st != 200 ||
		!strings.Contains(body, "main-000005") || !strings.Contains(body, "main-000006") || strings.Contains(body, "main-000001") {
		t.Errorf("export of the error list: %d\n%s", st, body)
	}

	want := []string{"awaiting_shipment", "awaiting_shipment", "awaiting_shipment", "awaiting_shipment", "shipped", "cancelled"}
	for i, o := range os {
		got, err := e.store.GetOrder(ctx, o.ID)
		if err != nil || got.OrderStatus != want[i] {
			t.Errorf("%s: %s %v, want %s", o.Number, got.OrderStatus, err, want[i])
		}
		if changed := got.Version != o.Version; changed != (i < 3) {
			t.Errorf("%s: version %d → %d", o.Number, o.Version, got.Version)
		}
		if n := auditCount(t, e.store.DB(), "order.update", o.ID); n != map[bool]int{true: 1, false: 0}[i < 3] {
			t.Errorf("%s: %d audit entries", o.Number, n)
		}
	}
	if got, _ := e.store.GetOrder(ctx, other.ID); got.OrderStatus != "new" {
		t.Errorf("order outside the filter: %s", got.OrderStatus)
	}
	// 「全N件を一括操作」 on the list of errors acts on those two only: both are errors again.
	again := e.runBulk(t, "order_await_shipment", "order", "bulk_run="+run+"&outcome=error", nil, 2)
	e.resultHas(t, again, `outcome=error" data-outcome="error">2件`)
}
