package commerce_test

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"kessai/internal/commerce"
	"kessai/internal/platform/errs"
)

// manyCases builds n stocked cases spread over the fixture's customers.
func manyCases(fx fixture, customers []commerce.Customer, n int) []commerce.PurchaseCase {
	cs := make([]commerce.PurchaseCase, n)
	for i := range cs {
		cs[i] = commerce.PurchaseCase{
			Kind: []string{"takuhai", "ippan"}[i%2], Status: []string{"stocked", "received", "appraising"}[i%3],
			ShopID: fx.shop.ID, CustomerID: customers[i%len(customers)].ID,
			ReceivedOn: fmt.Sprintf("2026-03-%02d", 1+i%28), ConfirmedOn: fmt.Sprintf("2026-04-%02d", 1+i%28),
			PurchaseAmount: int64(1000 + i%300*1000), ItemCount: 1 + i%10,
		}
	}
	return cs
}

func benchCustomers(b *testing.B, s *commerce.Store, n int) []commerce.Customer {
	b.Helper()
	in := make([]commerce.Customer, n)
	for i := range in {
		in[i] = goodCustomer()
		in[i].Name = fmt.Sprintf("顧客 %d", i)
	}
	out, err := s.CreateCustomers(context.Background(), in)
	if err != nil {
		b.Fatal(err)
	}
	return out
}

// BenchmarkCreateCases10k inserts 10,000 cases (with their audit entries) in one transaction.
func BenchmarkCreateCases10k(b *testing.B) {
	s, _ := newStore(b)
	fx := newFixture(b, s)
	customers := benchCustomers(b, s, 200)
	cases := manyCases(fx, customers, 10000)
	b.ResetTimer()
	for b.Loop() {
		if _, err := s.CreateCases(context.Background(), cases); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkSearchCases10k pages through a filtered list of 10,000 cases, as the list page does.
func BenchmarkSearchCases10k(b *testing.B) {
	s, _ := newStore(b)
	ctx := context.Background()
	fx := newFixture(b, s)
	customers := benchCustomers(b, s, 200)
	if _, err := s.CreateCases(ctx, manyCases(fx, customers, 10000)); err != nil {
		b.Fatal(err)
	}
	// Statistics as autovacuum (PostgreSQL) or a long-running database would have them.
	if _, err := s.DB().ExecContext(ctx, `ANALYZE`); err != nil {
		b.Fatal(err)
	}
	filters := map[string]commerce.CaseFilter{
		"all":           {},
		"stocked-range": {Statuses: []string{"stocked"}, ConfirmedFrom: "2026-04-05", ConfirmedTo: "2026-04-20", Sort: "-confirmed_on"},
		"customer-text": {Customer: "顧客 1", Sort: "customer_kana"},
	}
	for name, f := range filters {
		b.Run(name, func(b *testing.B) {
			for b.Loop() {
				rows, total, err := s.SearchCases(ctx, f, 3, 50)
				if err != nil || total == 0 || len(rows) == 0 {
					b.Fatalf("%d rows of %d: %v", len(rows), total, err)
				}
			}
		})
	}
	b.Run("ids-stocked", func(b *testing.B) {
		for b.Loop() {
			ids, err := s.CaseIDs(ctx, commerce.CaseFilter{Statuses: []string{"stocked"}})
			if err != nil || len(ids) < 3000 {
				b.Fatal(len(ids), err)
			}
		}
	})
}

// Two editors save the same version at once: exactly one wins, the other gets a conflict.
func TestConcurrentUpdatesConflict(t *testing.T) {
	t.Parallel()
	s, _ := newStore(t)
	ctx := context.Background()
	fx := newFixture(t, s)
	c, err := s.CreateCase(ctx, commerce.PurchaseCase{Kind: "takuhai", ShopID: fx.shop.ID, CustomerID: fx.customer.ID})
	if err != nil {
		t.Fatal(err)
	}
	const editors = 8
	var wg sync.WaitGroup
	results := make([]error, editors)
	for i := range editors {
		wg.Go(func() {
			edit := c
			edit.PurchaseAmount = int64(1000 * (i + 1))
			_, results[i] = s.UpdateCase(ctx, edit)
		})
	}
	wg.Wait()
	ok, conflicts := 0, 0
	for _, err := range results {
		switch {
		case err == nil:
			ok++
		case errs.KindOf(err) == errs.KindConflict:
			conflicts++
		default:
			t.Errorf("unexpected error: %v", err)
		}
	}
	got, _ := s.GetCase(ctx, c.ID)
	if ok != 1 || conflicts != editors-1 || got.Version != 2 {
		t.Errorf("%d saved, %d conflicts, version %d; want 1, %d, 2", ok, conflicts, got.Version, editors-1)
	}
}
