package commerce_test

import (
	"context"
	"strings"
	"testing"

	"kessai/internal/commerce"
)

// 顧客のフリガナ順 follows the customers' kana as it is now: a new case, a case moved to another
// customer and a customer whose kana changed are all in place on the next page, read in the
// kana index's order (TestListQueryPlans checks the plan).
func TestCaseKanaSortFollowsCustomers(t *testing.T) {
	t.Parallel()
	s, _ := newStore(t)
	ctx := context.Background()
	fx := newFixture(t, s)
	customer := func(name, kana string) commerce.Customer {
		c := goodCustomer()
		c.Name, c.NameKana = name, kana
		out, err := s.CreateCustomer(ctx, c)
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	ueda, abe := customer("上田", "ウエダ"), customer("阿部", "アベ")
	newCase := func(c commerce.Customer) commerce.PurchaseCase {
		pc, err := s.CreateCase(ctx, commerce.PurchaseCase{Kind: "takuhai", ShopID: fx.shop.ID, CustomerID: c.ID, ReceivedOn: "2026-04-01"})
		if err != nil {
			t.Fatal(err)
		}
		return pc
	}
	c1, c2 := newCase(ueda), newCase(abe)
	order := func() string {
		rows, _, err := s.SearchCases(ctx, commerce.CaseFilter{Sort: "customer_kana", Customer: ""}, 1, 50)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, r := range rows {
			if r.CustomerID == ueda.ID || r.CustomerID == abe.ID {
				out = append(out, r.CustomerKana+":"+map[string]string{c1.ID: "c1", c2.ID: "c2"}[r.ID])
			}
		}
		return strings.Join(out, " ")
	}
	if got := order(); got != "アベ:c2 ウエダ:c1" {
		t.Fatalf("order %q", got)
	}
	ueda.NameKana = "アイダ" // renamed: 上田 is now read アイダ
	if _, err := s.UpdateCustomer(ctx, ueda); err != nil {
		t.Fatal(err)
	}
	if got := order(); got != "アイダ:c1 アベ:c2" {
		t.Fatalf("after the kana changed: %q", got)
	}
	c2.CustomerID = ueda.ID // the case belongs to 上田 after all
	if _, err := s.UpdateCase(ctx, c2); err != nil {
		t.Fatal(err)
	}
	if got := order(); got != "アイダ:c1 アイダ:c2" {
		t.Fatalf("after the case moved: %q", got)
	}
}
