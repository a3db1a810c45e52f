package commerce_test

import (
	"context"
	"strings"
	"testing"

	"kessai/internal/commerce"
)

// The free-text index follows every change of a customer: a search of three characters or
// more (the index) and a shorter one (the LIKE fallback) agree before and after an edit and
// a delete, on every searchable field.
func TestCustomerTextSearchFollowsEdits(t *testing.T) {
	t.Parallel()
	s, _ := newStore(t)
	ctx := context.Background()
	c, err := s.CreateCustomer(ctx, commerce.Customer{Name: "鈴木 一郎", NameKana: "すずき いちろう", Email: "Ichiro.Suzuki@example.com", Phone: "03-1234-5678"})
	if err != nil {
		t.Fatal(err)
	}
	find := func(text string) string {
		t.Helper()
		rows, _, err := s.SearchCustomers(ctx, commerce.CustomerFilter{Text: text}, 1, 10)
		if err != nil {
			t.Fatalf("search %q: %v", text, err)
		}
		var codes []string
		for _, r := range rows {
			codes = append(codes, r.Code)
		}
		return strings.Join(codes, " ")
	}
	for _, q := range []string{"鈴木 一", "鈴木", "スズキ イチ", "すずき", "ICHIRO.suz", "0312345", "1234-56", c.Code} {
		if got := find(q); got != c.Code {
			t.Errorf("before the edit, %q found %q, want %s", q, got, c.Code)
		}
	}
	c.Name, c.Email = "高橋 一郎", "ichiro@example.net"
	if c, err = s.UpdateCustomer(ctx, c); err != nil {
		t.Fatal(err)
	}
	for q, want := range map[string]string{"鈴木 一": "", "鈴木": "", "高橋 一": c.Code, "高橋": c.Code, "ICHIRO.suz": "", "ichiro@ex": c.Code} {
		if got := find(q); got != want {
			t.Errorf("after the edit, %q found %q, want %q", q, got, want)
		}
	}
	if err := s.DeleteCustomer(ctx, c.ID, c.Version); err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{"高橋 一", "高橋"} {
		if got := find(q); got != "" {
			t.Errorf("after the delete, %q found %q", q, got)
		}
	}
}
