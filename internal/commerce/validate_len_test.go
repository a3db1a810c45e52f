package commerce_test

import (
	"net/http"
	"strings"
	"testing"

	"kessai/internal/platform/auth"
)

// TestTextLengthLimits: names, addresses and notes have maximum lengths, refused with a field
// error in Japanese (a 6,400-character note and a 320-character product name were accepted).
func TestTextLengthLimits(t *testing.T) {
	t.Parallel()
	e := newPages(t, auth.RoleStaff)
	long := func(n int) string { return strings.Repeat("あ", n) }
	tests := []struct {
		name, field, value, want string
	}{
		{"order note", "note", long(2001), "備考は2000文字以内にしてください（今は2001文字）"},
		{"ship address", "ship_address", long(6400), "お届け先住所は200文字以内にしてください"},
		{"ship name", "ship_name", long(101), "お届け先氏名は100文字以内にしてください"},
		{"line name", "lines.0.name", long(320), "1行目の商品名は100文字以内にしてください"},
		{"note at the limit", "note", long(2000), ""},
	}
	for _, tt := range tests {
		form := e.orderForm()
		form.Set(tt.field, tt.value)
		res, body := e.post(t, "/orders", form)
		if tt.want == "" {
			if res.StatusCode != http.StatusSeeOther {
				t.Errorf("%s: %d, want 303", tt.name, res.StatusCode)
			}
			continue
		}
		if res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, tt.want) {
			t.Errorf("%s: %d, want 422 with %q", tt.name, res.StatusCode, tt.want)
		}
	}
	// The other records' texts are limited too.
	for _, c := range []struct {
		path, field, value, want string
	}{
		{"/customers", "address1", long(201), "住所1は200文字以内"},
		{"/customers", "note", long(2001), "備考は2000文字以内"},
		{"/subscriptions", "product_name", long(320), "商品名は100文字以内"},
		{"/cases", "note", long(2001), "備考は2000文字以内"},
	} {
		form := map[string][]string{"name": {"山田 花子"}, "kind": {"takuhai"}, "customer_code": {e.fx.customer.Code}, "shop_id": {e.fx.shop.ID}, c.field: {c.value}}
		res, body := e.post(t, c.path, form)
		if res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, c.want) {
			t.Errorf("%s %s: %d, want 422 with %q", c.path, c.field, res.StatusCode, c.want)
		}
	}
}
