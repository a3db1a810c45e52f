package commerce_test

import (
	"context"
	"reflect"
	"strings"
	"testing"
	"time"

	"kessai/internal/commerce"
	"kessai/internal/platform/errs"
)

func twoLines() []commerce.OrderLine {
	return []commerce.OrderLine{
		{SKU: "A-1", Name: "りんご", UnitPrice: 300, Quantity: 2, TaxRate: 8},
		{SKU: "B-2", Name: "包装", UnitPrice: 100, Quantity: 1, TaxRate: 10},
	}
}

func TestValidateOrderTotals(t *testing.T) {
	t.Parallel()
	at := testNow
	tests := []struct {
		name  string
		edit  func(o *commerce.Order)
		field string
		total int64
	}{
		{"computed", func(o *commerce.Order) {}, "", 700 + 58 + 500},
		{"given and right", func(o *commerce.Order) { o.Subtotal, o.Total = 700, 1258 }, "", 1258},
		{"line amount wrong", func(o *commerce.Order) { o.Lines[0].Amount = 500 }, "lines.0.amount", 0},
		{"subtotal wrong", func(o *commerce.Order) { o.Subtotal = 800 }, "subtotal", 0},
		{"total wrong", func(o *commerce.Order) { o.Total = 1000 }, "total", 0},
		{"no lines", func(o *commerce.Order) { o.Lines = nil }, "lines", 0},
		{"quantity", func(o *commerce.Order) { o.Lines[1].Quantity = 0 }, "lines.1.quantity", 0},
		{"tax rate", func(o *commerce.Order) { o.Lines[1].TaxRate = 5 }, "lines.1.tax_rate", 0},
		{"negative price", func(o *commerce.Order) { o.Lines[0].UnitPrice = -1 }, "lines.0.unit_price", 0},
		{"negative shipping", func(o *commerce.Order) { o.ShippingFee = -1 }, "shipping_fee", 0},
		{"method", func(o *commerce.Order) { o.PaymentMethod = "cash" }, "payment_method", 0},
		{"payment status", func(o *commerce.Order) { o.PaymentStatus = "done" }, "payment_status", 0},
		{"authorized on", func(o *commerce.Order) { o.AuthorizedOn = "2026/04/01" }, "authorized_on", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := commerce.Order{ShopID: "shop", OrderedAt: at, PaymentMethod: "credit_card", Tax: 58, ShippingFee: 500, Lines: twoLines()}
			tt.edit(&o)
			got, err := commerce.ValidateOrder(o)
			if tt.field == "" {
				if err != nil || got.Total != tt.total || got.AuthorizationStatus != "pending" || got.Lines[1].LineNo != 2 {
					t.Fatalf("got %+v %v", got, err)
				}
				return
			}
			if fieldsOf(err)[tt.field] == "" {
				t.Fatalf("error %v fields %v, want %s", err, fieldsOf(err), tt.field)
			}
		})
	}
}

func TestOrderLifecycle(t *testing.T) {
	t.Parallel()
	s, d := newStore(t)
	ctx := context.Background()
	fx := newFixture(t, s)
	o, err := s.CreateOrder(ctx, commerce.Order{ShopID: fx.shop.ID, CustomerID: fx.customer.ID, PaymentMethod: "bank_transfer", Lines: twoLines()})
	if err != nil {
		t.Fatal(err)
	}
	if o.Number != "main-000001" || o.Total != 700 || o.AuthorizationStatus != "not_required" || !o.OrderedAt.Equal(testNow) {
		t.Errorf("created %+v", o)
	}
	got, err := s.GetOrder(ctx, o.ID)
	if err != nil || !reflect.DeepEqual(got, o) {
		t.Fatalf("read back\n%+v\nwant\n%+v\n%v", got, o, err)
	}
	guest, err := s.CreateOrder(ctx, commerce.Order{ShopID: fx.shop.ID, PaymentMethod: "cod", Lines: twoLines()[:1]})
	if err != nil || guest.Number != "main-000002" || guest.CustomerID != "" {
		t.Fatalf("guest order %+v %v", guest, err)
	}

	// Header edit keeps the lines and their IDs.
	o.Note, o.Lines = "ギフト包装", nil
	o2, err := s.UpdateOrder(ctx, o)
	if err != nil {
		t.Fatal(err)
	}
	if o2.Version != 2 || len(o2.Lines) != 2 || o2.Lines[0].ID != got.Lines[0].ID {
		t.Errorf("after header edit: %+v", o2)
	}
	// New lines replace the old ones and the totals follow.
	o2.Lines = append(o2.Lines, commerce.OrderLine{Name: "追加", UnitPrice: 1000, Quantity: 1, TaxRate: 10})
	o2.Subtotal, o2.Total = 0, 0
	o3, err := s.UpdateOrder(ctx, o2)
	if err != nil || o3.Total != 1700 || len(o3.Lines) != 3 {
		t.Fatalf("after line edit: %+v %v", o3, err)
	}
	if _, err := s.UpdateOrder(ctx, o2); errs.KindOf(err) != errs.KindConflict {
		t.Errorf("stale: %v", err)
	}
	if _, err := s.ShipOrder(ctx, o3.ID, o3.Version, "yamato", "1234-5678-9012", ""); errs.KindOf(err) != errs.KindConflict {
		t.Errorf("ship a new order: %v, want conflict", err)
	}
	o3.OrderStatus = "awaiting_shipment"
	o4, err := s.UpdateOrder(ctx, o3)
	if err != nil {
		t.Fatal(err)
	}
	o5, err := s.ShipOrder(ctx, o4.ID, o4.Version, "yamato", "1234-5678-9012", "")
	if err != nil || o5.OrderStatus != "shipped" || o5.ShippedOn != "2026-04-10" {
		t.Fatalf("ship: %+v %v", o5, err)
	}
	if _, err := s.CancelOrder(ctx, o5.ID, o5.Version); errs.KindOf(err) != errs.KindConflict {
		t.Errorf("cancel shipped: %v", err)
	}
	c, err := s.CancelOrder(ctx, guest.ID, guest.Version)
	if err != nil || c.CancelType != "1" || c.OrderStatus != "cancelled" {
		t.Fatalf("cancel: %+v %v", c, err)
	}
	c.Note = "x"
	if _, err := s.UpdateOrder(ctx, c); errs.KindOf(err) != errs.KindConflict {
		t.Errorf("edit cancelled: %v", err)
	}
	for action, n := range map[string]int{"order.create": 1, "order.update": 3, "order.ship": 1} {
		if got := auditCount(t, d, action, o.ID); got != n {
			t.Errorf("audit %s = %d, want %d", action, got, n)
		}
	}
}

func TestSearchOrders(t *testing.T) {
	t.Parallel()
	s, _ := newStore(t)
	ctx := context.Background()
	fx := newFixture(t, s)
	jst := time.FixedZone("JST", 9*3600)
	orders, err := s.CreateOrders(ctx, []commerce.Order{
		// 2026-04-01 00:30 JST is still 03-31 in UTC: it belongs to JST 04-01.
		{ShopID: fx.shop.ID, CustomerID: fx.customer.ID, OrderedAt: time.Date(2026, 4, 1, 0, 30, 0, 0, jst), PaymentMethod: "credit_card", Source: "api", Lines: twoLines()},
		{ShopID: fx.shop.ID, OrderedAt: time.Date(2026, 3, 31, 23, 59, 0, 0, jst), PaymentMethod: "atobarai", PaymentStatus: "paid", Lines: twoLines(), TrackingNumber: "4444", ExternalRef: "R-1"},
		{ShopID: fx.shop.ID, CustomerID: fx.customer.ID, OrderedAt: time.Date(2026, 4, 2, 12, 0, 0, 0, jst), PaymentMethod: "kantan", AuthorizationStatus: "authorized", Lines: twoLines()},
	})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		f    commerce.OrderFilter
		want string
	}{
		{"all newest first", commerce.OrderFilter{}, "main-000003 main-000001 main-000002"},
		{"JST day", commerce.OrderFilter{OrderedFrom: "2026-04-01", OrderedTo: "2026-04-01"}, "main-000001"},
		{"to is inclusive", commerce.OrderFilter{OrderedTo: "2026-03-31"}, "main-000002"},
		{"method", commerce.OrderFilter{PaymentMethods: []string{"kantan", "atobarai"}, Sort: "number"}, "main-000002 main-000003"},
		{"payment status", commerce.OrderFilter{PaymentStatuses: []string{"paid"}}, "main-000002"},
		{"authorization", commerce.OrderFilter{AuthorizationStatuses: []string{"pending"}, Sort: "number"}, "main-000001 main-000002"},
		{"order status", commerce.OrderFilter{OrderStatuses: []string{"new"}, Sort: "ordered_at"}, "main-000002 main-000001 main-000003"},
		{"source", commerce.OrderFilter{Sources: []string{"api"}}, "main-000001"},
		{"customer", commerce.OrderFilter{Customer: "ヤマダ", Sort: "number"}, "main-000001 main-000003"},
		{"number", commerce.OrderFilter{Number: "002"}, "main-000002"},
		{"tracking", commerce.OrderFilter{TrackingNumber: "4444"}, "main-000002"},
		{"external ref", commerce.OrderFilter{ExternalRef: "R-1"}, "main-000002"},
		{"ids", commerce.OrderFilter{IDs: []string{orders[2].ID}}, "main-000003"},
		{"shop", commerce.OrderFilter{ShopID: "shop_other"}, ""},
	}
	for _, tt := range tests {
		rows, total, err := s.SearchOrders(ctx, tt.f, 1, 0)
		var got []string
		for _, r := range rows {
			got = append(got, r.Number)
		}
		if err != nil || strings.Join(got, " ") != tt.want || total != len(rows) {
			t.Errorf("%s: %v total %d %v, want %s", tt.name, got, total, err, tt.want)
		}
		back, err := commerce.OrderFilterFromQuery(tt.f.Query())
		if err != nil || !reflect.DeepEqual(back, tt.f) {
			t.Errorf("%s: round trip %+v %v", tt.name, back, err)
		}
	}
	rows, err := s.ListOrders(ctx, commerce.OrderFilter{Sort: "number"}, true)
	if err != nil || len(rows) != 3 || len(rows[0].Lines) != 2 || rows[0].CustomerName != "山田 太郎" || rows[1].CustomerName != "" || rows[0].ShopName != "本店" {
		t.Errorf("ListOrders with lines: %+v %v", rows, err)
	}
}

func TestSubscriptions(t *testing.T) {
	t.Parallel()
	s, _ := newStore(t)
	ctx := context.Background()
	fx := newFixture(t, s)
	card, err := s.CreateCard(ctx, commerce.Card{CustomerID: fx.customer.ID, Provider: "gmopg", MemberID: "M1", CardSeq: "0", MaskedPAN: "411111******1111", ExpireYM: "2812"})
	if err != nil || card.Status != "valid" {
		t.Fatalf("card %+v %v", card, err)
	}
	if _, err := s.CreateCard(ctx, commerce.Card{CustomerID: fx.customer.ID, Provider: "gmopg", MemberID: "M1", CardSeq: "0"}); fieldsOf(err)["card_seq"] == "" {
		t.Errorf("duplicate card: %v", err)
	}
	if _, err := s.CreateCard(ctx, commerce.Card{CustomerID: fx.customer.ID, Provider: "gmopg", MemberID: "M1", ExpireYM: "2813"}); fieldsOf(err)["expire_ym"] == "" {
		t.Errorf("bad expiry: %v", err)
	}
	other, _ := s.CreateCustomer(ctx, commerce.Customer{Name: "別人"})
	if _, err := s.CreateSubscription(ctx, commerce.Subscription{ShopID: fx.shop.ID, CustomerID: other.ID, CardID: card.ID, ProductName: "水", Amount: 3000, NextBillingOn: "2026-05-01"}); fieldsOf(err)["card_id"] == "" {
		t.Errorf("someone else's card: %v", err)
	}
	sb, err := s.CreateSubscription(ctx, commerce.Subscription{ShopID: fx.shop.ID, CustomerID: fx.customer.ID, CardID: card.ID, ProductName: "天然水 定期便", Amount: 3000, NextBillingOn: "2026-05-01"})
	if err != nil || sb.Code != "S000001" || sb.Status != "active" || sb.CycleMonths != 1 {
		t.Fatalf("subscription %+v %v", sb, err)
	}

	steps := []struct {
		to   string
		kind errs.Kind
	}{
		{"paused", ""},
		{"paused", ""}, // an edit in the same status
		{"card_error", ""},
		{"paused", errs.KindConflict}, // card_error allows resume and cancel, not pause
		{"active", ""},
		{"cancelled", ""},
		{"active", errs.KindConflict},
	}
	cur := sb
	for i, st := range steps {
		got, err := s.SetSubscriptionStatus(ctx, cur.ID, cur.Version, st.to, "")
		if errs.KindOf(err) != st.kind && !(st.kind == "" && err == nil) {
			t.Fatalf("step %d → %s: %v", i, st.to, err)
		}
		if err == nil {
			cur = got
		}
	}
	if err := s.DeleteCard(ctx, card.ID, card.Version); errs.KindOf(err) != errs.KindConflict {
		t.Errorf("delete a card in use: %v", err)
	}
	rows, total, err := s.SearchSubscriptions(ctx, commerce.SubscriptionFilter{Statuses: []string{"cancelled"}, CardStatus: "valid", Customer: "やまだ"}, 1, 10)
	if err != nil || total != 1 || rows[0].CardMasked != "411111******1111" || rows[0].ShopName != "本店" {
		t.Errorf("search: %+v %d %v", rows, total, err)
	}
	f := commerce.SubscriptionFilter{Statuses: []string{"active", "paused"}, NextFrom: "2026-05-01", NextTo: "2026-05-31", ShopID: fx.shop.ID, Sort: "-amount"}
	if back, err := commerce.SubscriptionFilterFromQuery(f.Query()); err != nil || !reflect.DeepEqual(back, f) {
		t.Errorf("round trip %+v %v", back, err)
	}
}
