package cardupdate_test

import (
	"strings"
	"testing"

	"kessai/internal/cardupdate"
	"kessai/internal/commerce"
	"kessai/internal/sandbox/gmopgsim"
)

// TestCardRegisterShowDelete: a card form token becomes a stored card at GMO-PG (member made on
// first use, 洗替 target) and a masked reference in kessai, shown with its latest 洗替 result;
// it cannot be deleted while a subscription uses it, and deleting removes it at GMO-PG too.
func TestCardRegisterShowDelete(t *testing.T) {
	t.Parallel()
	e := newEnv(t, jst(2026, 11, 2, 9))
	cu, err := e.store.CreateCustomer(e.ctx, commerce.Customer{Code: "c-1", Name: "山田 花子", NameKana: "ヤマダ ハナコ"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.RegisterCard(e.ctx, e.store, cu.ID, ""); err == nil || !strings.Contains(err.Error(), "トークン") {
		t.Fatalf("no token: %v", err)
	}
	tok, err := e.sim.Tokenize(gmopgsim.CardUpdateInvalid, "2612", "123", "HANAKO YAMADA")
	if err != nil {
		t.Fatal(err)
	}
	c, err := e.svc.RegisterCard(e.ctx, e.store, cu.ID, tok)
	if err != nil {
		t.Fatal(err)
	}
	if c.MemberID != cu.ID || !strings.HasSuffix(c.MaskedPAN, "*101") || strings.Contains(c.MaskedPAN, "400000000000") || c.ExpireYM != "2612" || c.Expiry != "12/26" {
		t.Fatalf("stored card = %+v", c)
	}
	// The month's 洗替 marks it 有効性NG; the customer's card list shows it (要カード変更).
	e.setClock(jst(2026, 12, 20, 9))
	if run := e.month("202612"); run.Invalid != 1 {
		t.Fatalf("run = %+v", run)
	}
	cards, err := e.svc.Cards(e.ctx, e.store, cu.ID)
	if err != nil || len(cards) != 1 || cards[0].CardUpdateStatus != cardupdate.StatusInvalid || !cards[0].NeedsNewCard || cards[0].CardUpdateLabel != "有効性NG" {
		t.Fatalf("cards = %+v, %v", cards, err)
	}
	sb := e.subscription(c.Card, 1000, "2027-01-05")
	if err := e.svc.DeleteCard(e.ctx, e.store, cu.ID, c.ID); err == nil || !strings.Contains(err.Error(), "定期受注") {
		t.Fatalf("delete a card in use: %v", err)
	}
	if _, err := e.db.ExecContext(e.ctx, `UPDATE subscriptions SET card_id = NULL WHERE id = ?`, sb.ID); err != nil {
		t.Fatal(err)
	}
	if err := e.svc.DeleteCard(e.ctx, e.store, cu.ID, c.ID); err != nil {
		t.Fatal(err)
	}
	if cards, _ := e.svc.Cards(e.ctx, e.store, cu.ID); len(cards) != 0 {
		t.Fatalf("after delete: %+v", cards)
	}
	cn, _ := e.conn.Get(e.ctx)
	cl, _ := e.conn.Client(cn)
	if got, err := cl.SearchCard(e.ctx, cu.ID, 0); err == nil && len(got) > 0 && !got[0].Deleted {
		t.Fatalf("GMO-PG still holds the card: %+v", got)
	}
}
