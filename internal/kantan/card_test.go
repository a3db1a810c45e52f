package kantan_test

import (
	"testing"

	"kessai/internal/commerce"
	"kessai/internal/kantan"
	"kessai/internal/provider/gmopg"
	"kessai/internal/sandbox/gmopgsim"
)

// cardOrder creates a credit_card order through commerce (as the API does) and pays it with a
// token of number; it returns the order.
func (e *env) cardOrder(amount int64, number string) (commerce.Order, kantan.Payment, error) {
	e.t.Helper()
	o := orderOf(e, "api", amount)
	o.PaymentMethod = "credit_card"
	o, pay, err := e.store.CreateOrderPayment(e.ctx, o)
	if err != nil {
		e.t.Fatal(err)
	}
	if pay["card_payment_path"] != "/api/v1/orders/"+o.ID+"/card-payment" || pay["access_id"] == nil {
		e.t.Fatalf("card start: %+v", pay)
	}
	tok, err := e.sim.Tokenize(number, "2912", "123", "TARO YAMADA")
	if err != nil {
		e.t.Fatal(err)
	}
	p, err := e.svc.PayCard(e.ctx, o.ID, tok)
	return o, p, err
}

// TestCardLifecycle: credit card shares the lifecycle: token → 仮売上 (AUTH at GMO-PG), a
// declined card stays 要確認 with the reason, amount change (ChangeTran) after recording,
// capture (AlterTran SALES) and the cancel of another authorization (AlterTran VOID); a card
// order keyed in on the page has no GMO-PG payment; extension is refused for cards.
func TestCardLifecycle(t *testing.T) {
	t.Parallel()
	e := newEnv(t, jst(2026, 12, 3, 10, 0))
	o, p, err := e.cardOrder(6000, gmopgsim.CardOK)
	if err != nil || p.Status != kantan.StatusAuthorized || e.trade(o).Status != gmopg.StatusAuth || e.trade(o).PayType != gmopg.PayTypeCard {
		t.Fatalf("card payment: %v %+v %+v", err, p, e.trade(o))
	}
	if _, err := e.svc.Extend(e.ctx, o.ID); err == nil {
		t.Error("a card authorization was extended")
	}
	if err := e.setAmount(o.ID, 5000); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.Capture(e.ctx, o.ID); err == nil {
		t.Error("capture with an unsent change")
	}
	if p, err := e.svc.SendChange(e.ctx, o.ID); err != nil || p.Amount != 5000 || e.trade(o).Amount != 5000 {
		t.Fatalf("change: %v %+v", err, p)
	}
	if p, err := e.svc.Capture(e.ctx, o.ID); err != nil || p.Status != kantan.StatusCaptured || e.trade(o).Status != gmopg.StatusSales {
		t.Fatalf("capture: %v %+v %+v", err, p, e.trade(o))
	}

	declined, p, err := e.cardOrder(3000, gmopgsim.CardDeclined)
	if err != nil || p.Status != kantan.StatusNeedsCheck || p.Reason == "" {
		t.Fatalf("declined: %v %+v", err, p)
	}
	tok, _ := e.sim.Tokenize(gmopgsim.CardOK, "2912", "123", "TARO YAMADA")
	if p, err := e.svc.PayCard(e.ctx, declined.ID, tok); err != nil || p.Status != kantan.StatusAuthorized {
		t.Fatalf("another card after the decline: %v %+v", err, p)
	}
	if _, err := e.store.CancelOrder(e.ctx, declined.ID, e.order(declined.ID).Version); err != nil {
		t.Fatal(err)
	}
	if p := e.payment(declined.ID); p.Status != kantan.StatusCancelled || e.trade(declined).Status != gmopg.StatusVoid {
		t.Errorf("cancel: %s, GMO-PG %s", p.Status, e.trade(declined).Status)
	}

	keyed := orderOf(e, "manual", 2000)
	keyed.PaymentMethod = "credit_card"
	k, err := e.store.CreateOrder(e.ctx, keyed)
	if err != nil {
		t.Fatalf("a card order keyed in by staff: %v", err)
	}
	if _, err := e.svc.Payment(e.ctx, k.ID); err == nil {
		t.Error("a keyed-in card order got a GMO-PG payment")
	}
}
