package commerce_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"kessai/internal/commerce"
	"kessai/internal/platform/jpcsv"
)

// TestOrderShipAddressTrimmed: an address built as 住所1 + " " + 住所2 with an empty 住所2 is stored
// and exported without the trailing space.
func TestOrderShipAddressTrimmed(t *testing.T) {
	t.Parallel()
	s, _ := newStore(t)
	fx := newFixture(t, s)
	ctx := context.Background()
	o, err := s.CreateOrder(ctx, commerce.Order{ShopID: fx.shop.ID, CustomerID: fx.customer.ID, PaymentMethod: "bank_transfer",
		OrderedAt: time.Date(2026, 4, 1, 1, 0, 0, 0, time.UTC), ShipName: " 山田 太郎 ", ShipAddress: "東京都千代田区千代田1-1 ",
		Lines: []commerce.OrderLine{{Name: "ペン", UnitPrice: 100, Quantity: 1, TaxRate: 10}}})
	if err != nil {
		t.Fatal(err)
	}
	if o.ShipAddress != "東京都千代田区千代田1-1" || o.ShipName != "山田 太郎" {
		t.Errorf("stored %q %q", o.ShipName, o.ShipAddress)
	}
	var b strings.Builder
	if err := s.ExportOrders(ctx, &b, commerce.OrderFilter{}, "", jpcsv.UTF8); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(b.String(), "千代田1-1 ") {
		t.Errorf("export keeps the trailing space: %s", b.String())
	}
}
