package commerce_test

import (
	"context"
	"testing"

	"kessai/internal/commerce"
	"kessai/internal/platform/auth"
)

// subscriptions creates one subscription per status, coded S000001… in that order, billed to
// one card of the fixture's customer.
func (e *pagesEnv) subscriptions(t *testing.T, statuses ...string) []commerce.Subscription {
	t.Helper()
	ctx := context.Background()
	card, err := e.store.CreateCard(ctx, commerce.Card{CustomerID: e.fx.customer.ID, Provider: "gmopg", MemberID: "M1", CardSeq: "0", MaskedPAN: "411111******1111", ExpireYM: "2812"})
	if err != nil {
		t.Fatal(err)
	}
	var sbs []commerce.Subscription
	for _, st := range statuses {
		sbs = append(sbs, commerce.Subscription{ShopID: e.fx.shop.ID, CustomerID: e.fx.customer.ID, CardID: card.ID,
			ProductName: "天然水 定期便", Amount: 3000, NextBillingOn: "2026-05-01", Status: st})
	}
	out, err := e.store.CreateSubscriptions(ctx, sbs)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestSubscriptionBulkPause(t *testing.T) {
	t.Parallel()
	e := newPages(t, auth.RoleStaff)
	ctx := context.Background()
	sbs := e.subscriptions(t, "active", "active", "paused", "card_error", "cancelled", "active")
	// 「選択したN件を操作」: the first five are ticked; S000006 is not.
	var ids []string
	for _, sb := range sbs[:5] {
		ids = append(ids, sb.ID)
	}
	run := e.runBulk(t, "subscription_pause", "subscription", "", ids, 5)
	e.resultHas(t, run,
		`/subscriptions?bulk_run=`+run+`&amp;outcome=done" data-outcome="done">2件`,
		`outcome=skipped" data-outcome="skipped">1件`,
		`outcome=error" data-outcome="error">2件`,
		"すでに休止中です", "「カードエラー」の定期受注は「休止中」にできません。カードを更新して再開するか、解約してください",
		"「解約」の定期受注は変更できません", `<a href="/subscriptions/`+sbs[3].ID+`">S000004 山田 太郎</a>`)
	e.listShowsExactly(t, "/subscriptions", run, "done", []string{"S000001", "S000002"}, []string{"S000003", "S000006"})
	e.listShowsExactly(t, "/subscriptions", run, "error", []string{"S000004", "S000005"}, []string{"S000001"})
	e.listShowsExactly(t, "/subscriptions", run, "skipped", []string{"S000003"}, nil)

	want := []string{"paused", "paused", "paused", "card_error", "cancelled", "active"}
	for i, sb := range sbs {
		got, err := e.store.GetSubscription(ctx, sb.ID)
		if err != nil || got.Status != want[i] {
			t.Errorf("%s: %s %v, want %s", sb.Code, got.Status, err, want[i])
		}
		if n := auditCount(t, e.store.DB(), "subscription.paused", sb.ID); n != map[bool]int{true: 1, false: 0}[i < 2] {
			t.Errorf("%s: %d audit entries", sb.Code, n)
		}
	}
}
