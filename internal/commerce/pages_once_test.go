package commerce_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"

	"kessai/internal/commerce"
	"kessai/internal/platform/auth"
)

// countRows counts the rows of table (the records a create form made).
func (e *pagesEnv) countRows(t *testing.T, table string) int {
	t.Helper()
	var n int
	if err := e.store.DB().QueryRowContext(context.Background(), `SELECT COUNT(*) FROM `+table).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// TestCreateFormsOnce: every create form carries a one-time token; a second post of the same
// form (double click, Back and resubmit) creates nothing and lands on the first record.
func TestCreateFormsOnce(t *testing.T) {
	t.Parallel()
	e := newPages(t, auth.RoleAdmin)
	card, err := e.store.CreateCard(context.Background(), commerce.Card{CustomerID: e.fx.customer.ID, Provider: "gmopg", MemberID: "M1", CardSeq: "0",
		MaskedPAN: "************1111", ExpireYM: "2812"})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		newPath, post, table, prefix string
		form                         url.Values
	}{
		{"/cases/new?kind=takuhai", "/cases", "purchase_cases", "/cases/", url.Values{"kind": {"takuhai"}, "status": {"received"}, "shop_id": {e.fx.shop.ID},
			"customer_code": {e.fx.customer.Code}, "received_on": {"2026-04-09"}, "purchase_amount": {"5000"}, "item_count": {"2"}}},
		{"/customers/new", "/customers", "customers", "/customers/", url.Values{"name": {"佐藤 花子"}, "name_kana": {"サトウ ハナコ"}, "email": {"hanako@example.jp"}}},
		{"/orders/new", "/orders", "orders", "/orders/", e.orderForm()},
		{"/subscriptions/new", "/subscriptions", "subscriptions", "/subscriptions/", url.Values{"customer_code": {e.fx.customer.Code}, "shop_id": {e.fx.shop.ID},
			"card_id": {card.ID}, "product_name": {"コーヒー豆 定期便"}, "amount": {"3240"}, "cycle_months": {"1"}, "next_billing_on": {"2026-05-01"}, "status": {"active"}}},
		{"/settings/shops/new", "/settings/shops", "shops", "/settings/shops", url.Values{"code": {"rakuten"}, "name": {"楽天市場店"}}},
	}
	for _, tt := range tests {
		t.Run(tt.post, func(t *testing.T) {
			_, page := e.get(t, tt.newPath)
			m := formTokenRE.FindStringSubmatch(page)
			if m == nil {
				t.Fatalf("%s has no form_token", tt.newPath)
			}
			tt.form.Set("form_token", m[1])
			before := e.countRows(t, tt.table)
			res1, _ := e.post(t, tt.post, tt.form)
			res2, _ := e.post(t, tt.post, tt.form) // double click / Back and resubmit
			loc := res1.Header.Get("Location")
			if res1.StatusCode != http.StatusSeeOther || !strings.HasPrefix(loc, tt.prefix) {
				t.Fatalf("first: %d %q", res1.StatusCode, loc)
			}
			if res2.StatusCode != http.StatusSeeOther || res2.Header.Get("Location") != loc {
				t.Errorf("second: %d %q, want the first's %q", res2.StatusCode, res2.Header.Get("Location"), loc)
			}
			if got := e.countRows(t, tt.table) - before; got != 1 {
				t.Errorf("%d records created, want 1", got)
			}
		})
	}
}

// TestCreateFormOnceConcurrent: two posts of one form at the same time create one case.
func TestCreateFormOnceConcurrent(t *testing.T) {
	t.Parallel()
	e := newPages(t, auth.RoleStaff)
	_, page := e.get(t, "/cases/new?kind=takuhai")
	m := formTokenRE.FindStringSubmatch(page)
	if m == nil {
		t.Fatal("no form_token")
	}
	form := url.Values{"kind": {"takuhai"}, "status": {"received"}, "shop_id": {e.fx.shop.ID}, "customer_code": {e.fx.customer.Code},
		"received_on": {"2026-04-09"}, "purchase_amount": {"5000"}, "item_count": {"2"}, "form_token": {m[1]}}
	var wg sync.WaitGroup
	locs := make([]string, 4)
	for i := range locs {
		wg.Go(func() {
			res, err := noFollow.PostForm(e.srv.URL+"/cases", form)
			if err != nil {
				t.Error(err)
				return
			}
			res.Body.Close()
			locs[i] = res.Header.Get("Location")
		})
	}
	wg.Wait()
	if n := e.countRows(t, "purchase_cases"); n != 1 {
		t.Errorf("%d cases, want 1", n)
	}
	for _, l := range locs {
		if l != locs[0] || !strings.HasPrefix(l, "/cases/") {
			t.Errorf("locations %q", locs)
			break
		}
	}
}
