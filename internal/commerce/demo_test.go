package commerce_test

import (
	"bytes"
	"context"
	"math/rand/v2"
	"testing"

	"kessai/internal/commerce"
)

func TestSeedDemo(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	seed := func() (*commerce.Store, commerce.DemoSummary) {
		s, _ := newStore(t)
		sum, err := commerce.Seed(ctx, s, rand.New(rand.NewPCG(1, 2)))
		if err != nil {
			t.Fatal(err)
		}
		return s, sum
	}
	s, sum := seed()
	want := commerce.DemoSummary{Shops: 2, Customers: 50, Cards: 40, Cases: 200, Orders: 300, Subscriptions: 50}
	if sum != want {
		t.Errorf("summary %+v", sum)
	}
	again, err := commerce.Seed(ctx, s, rand.New(rand.NewPCG(1, 2)))
	if err != nil || !again.Skipped {
		t.Errorf("second seed: %+v %v", again, err)
	}

	count := func(f commerce.CaseFilter) int {
		ids, err := s.CaseIDs(ctx, f)
		if err != nil {
			t.Fatal(err)
		}
		return len(ids)
	}
	zero, lo, hi := int64(0), int64(1000), int64(300000)
	stocked := count(commerce.CaseFilter{Statuses: []string{"stocked"}})
	if stocked < 80 || count(commerce.CaseFilter{Statuses: []string{"stocked"}, ConfirmedFrom: "2026-02-09"}) != stocked {
		t.Errorf("stocked cases: %d, all confirmed in the last 60 days?", stocked)
	}
	if n := count(commerce.CaseFilter{Statuses: []string{"stocked"}, AmountMax: &zero}); n < 2 {
		t.Errorf("zero-amount stocked cases: %d", n)
	}
	if n := count(commerce.CaseFilter{Statuses: []string{"stocked"}, AmountMin: &lo, AmountMax: &hi}); n != stocked-count(commerce.CaseFilter{Statuses: []string{"stocked"}, AmountMax: &zero}) {
		t.Errorf("stocked amounts outside ¥1,000–¥300,000: %d", stocked-n)
	}
	noBank := false
	custs, _ := s.ListCustomers(ctx, commerce.CustomerFilter{HasBank: &noBank})
	if len(custs) < 3 {
		t.Errorf("customers without bank: %d", len(custs))
	}
	prefs := map[string]bool{}
	all, _ := s.ListCustomers(ctx, commerce.CustomerFilter{})
	for _, c := range all {
		prefs[c.Prefecture] = true
	}
	if len(prefs) < 10 {
		t.Errorf("only %d prefectures", len(prefs))
	}
	subs, _, _ := s.SearchSubscriptions(ctx, commerce.SubscriptionFilter{Statuses: []string{"card_error"}}, 1, 100)
	if len(subs) == 0 {
		t.Error("no subscription with a card error")
	}
	for _, m := range commerce.PaymentMethods.All() {
		ids, _ := s.OrderIDs(ctx, commerce.OrderFilter{PaymentMethods: []string{m.Code}})
		if len(ids) == 0 {
			t.Errorf("no order paid by %s", m.Code)
		}
	}

	// Every export template of the demo data encodes in CP932.
	var buf bytes.Buffer
	for _, tpl := range commerce.SubscriptionExportTemplates() {
		if err := s.ExportSubscriptions(ctx, &buf, commerce.SubscriptionFilter{}, tpl.ID); err != nil {
			t.Errorf("subscriptions %s: %v", tpl.ID, err)
		}
	}
	for _, tpl := range commerce.CaseExportTemplates() {
		if err := s.ExportCases(ctx, &buf, commerce.CaseFilter{}, tpl.ID); err != nil {
			t.Errorf("cases %s: %v", tpl.ID, err)
		}
	}
	for _, tpl := range commerce.OrderExportTemplates() {
		if err := s.ExportOrders(ctx, &buf, commerce.OrderFilter{}, tpl.ID); err != nil {
			t.Errorf("orders %s: %v", tpl.ID, err)
		}
	}
	for _, tpl := range commerce.CustomerExportTemplates() {
		if err := s.ExportCustomers(ctx, &buf, commerce.CustomerFilter{}, tpl.ID); err != nil {
			t.Errorf("customers %s: %v", tpl.ID, err)
		}
	}

	// The same seed gives the same data.
	s2, _ := seed()
	a, _ := s.ListCases(ctx, commerce.CaseFilter{Sort: "code"})
	b, _ := s2.ListCases(ctx, commerce.CaseFilter{Sort: "code"})
	for i := range a {
		if a[i].PurchaseAmount != b[i].PurchaseAmount || a[i].CustomerName != b[i].CustomerName || a[i].ConfirmedOn != b[i].ConfirmedOn {
			t.Fatalf("case %d differs between runs of one seed: %+v vs %+v", i, a[i], b[i])
		}
	}
}
