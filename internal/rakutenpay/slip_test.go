package rakutenpay

import (
	"strings"
	"testing"
	"time"

	"kessai/internal/commerce"
	"kessai/internal/provider/rakuten"
)

// TestSlipFromLongItemName: RMS allows a 商品名 of 127 characters and longer than a slip line's
// name; such an order still becomes a slip (the name shortened) instead of failing validation,
// being counted Failed once and never imported after the search window passed it.
func TestSlipFromLongItemName(t *testing.T) {
	long := strings.Repeat("名", 127)
	o := rakuten.Order{OrderNumber: "100000-20261204-0000000001", OrderDatetime: rakuten.At(time.Date(2026, 12, 4, 10, 0, 0, 0, time.UTC)),
		Packages: []rakuten.Package{{Sender: rakuten.Sender{ZipCode1: "100", ZipCode2: "0001", Prefecture: "東京都", City: "千代田区", SubAddress: "1-1",
			FamilyName: "楽天", FirstName: "太郎"}, Items: []rakuten.Item{{ItemName: long, ItemNumber: "item-1", Price: 1000, Units: 1, TaxRate: 0.1}}}}}
	sl, err := commerce.ValidateOrder(slipFrom("shop", "rakuten_pay", &o))
	if err != nil {
		t.Fatalf("a 127-character item name: %v", err)
	}
	name := []rune(sl.Lines[0].Name)
	if !strings.HasPrefix(long, strings.TrimSuffix(sl.Lines[0].Name, "…")) || len(name) < 90 {
		t.Fatalf("line name %q", sl.Lines[0].Name)
	}
}
