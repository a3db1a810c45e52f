package commerce_test

import (
	"context"
	"strings"
	"testing"

	"kessai/internal/commerce"
	"kessai/internal/platform/auth"
)

// TestCustomerDetailShowsLabels: the customer page's 買取ケース and カード tables show the
// Japanese status labels, not the stored codes.
func TestCustomerDetailShowsLabels(t *testing.T) {
	t.Parallel()
	e := newPages(t, auth.RoleViewer)
	e.cases(t, "takuhai", 3) // consented, consented, stocked
	if _, err := e.store.CreateCard(context.Background(), commerce.Card{CustomerID: e.fx.customer.ID, Provider: "gmopg", MemberID: "M1", CardSeq: "0",
		MaskedPAN: "************1111", ExpireYM: "2812"}); err != nil {
		t.Fatal(err)
	}
	_, body := e.get(t, "/customers/"+e.fx.customer.ID)
	for _, want := range []string{">" + commerce.CaseStatuses.Label("stocked") + "</span>", ">" + commerce.CaseStatuses.Label("consented") + "</span>"} {
		if !strings.Contains(body, want) {
			t.Errorf("missing %s", want)
		}
	}
	for _, raw := range []string{"<td>stocked</td>", "<td>consented</td>", "<td>active</td>"} {
		if strings.Contains(body, raw) {
			t.Errorf("raw code shown: %s", raw)
		}
	}
}
