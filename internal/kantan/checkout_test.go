package kantan_test

import (
	"testing"

	"kessai/internal/kantan"
	"kessai/internal/provider/gmopg"
	"kessai/internal/sandbox/gmopgsim"
)

// TestCheckout: the order is created with GMO-PG's OrderID fixed, EntryTran/ExecTran answer
// where the buyer goes, and the buyer's return (read back with SearchTradeMulti) sets the
// status each buyer action leads to; a paid order is 出荷待ち with 承認済.
func TestCheckout(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		job     gmopg.JobCd
		action  gmopgsim.BuyerAction
		want    string
		pg      gmopg.Status
		points  bool
		orderSt string
	}{
		{"pay", gmopg.JobAuth, gmopgsim.BuyerPay, kantan.StatusAuthorized, gmopg.StatusAuth, false, "awaiting_shipment"},
		{"points only", gmopg.JobAuth, gmopgsim.BuyerPoints, kantan.StatusAuthorized, gmopg.StatusAuth, true, "awaiting_shipment"},
		{"immediate capture", gmopg.JobCapture, gmopgsim.BuyerPay, kantan.StatusCaptured, gmopg.StatusCapture, false, "awaiting_shipment"},
		{"abandon", gmopg.JobAuth, gmopgsim.BuyerAbandon, kantan.StatusNeedsCheck, gmopg.StatusReqSuccess, false, "new"},
		{"fail", gmopg.JobAuth, gmopgsim.BuyerFail, kantan.StatusFailed, gmopg.StatusPayFail, false, "new"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, jst(2026, 12, 4, 10, 0))
			e.settings(func(s *kantan.Settings) { s.JobCd = tt.job })
			o := e.checkout(5500, tt.action)
			p := e.payment(o.ID)
			if p.Status != tt.want || p.PGStatus != string(tt.pg) || p.PointsOnly != tt.points || p.Amount != 5500 || p.JobCd != tt.job {
				t.Errorf("payment = %s/%s points=%v amount=%d job=%s, want %s/%s points=%v", p.Status, p.PGStatus, p.PointsOnly, p.Amount, p.JobCd, tt.want, tt.pg, tt.points)
			}
			if got := e.order(o.ID); got.OrderStatus != tt.orderSt {
				t.Errorf("order status %s, want %s", got.OrderStatus, tt.orderSt)
			}
			if tr := e.trade(o); tr.Amount != 5500 || tr.PayType != gmopg.PayTypeRecruit {
				t.Errorf("trade %+v", tr)
			}
		})
	}
}

// TestCheckoutRefused: orders the room cannot start are refused before they exist, with a
// message for the buyer; a failing GMO-PG leaves the order 要確認 with the reason.
func TestCheckoutRefused(t *testing.T) {
	t.Parallel()
	e := newEnv(t, jst(2026, 12, 4, 10, 0))
	if _, _, err := e.store.CreateOrderPayment(e.ctx, orderOf(e, "manual", 1000)); err == nil {
		t.Error("a kantan order from the page was accepted")
	}
	if _, _, err := e.store.CreateOrderPayment(e.ctx, orderOf(e, "api", 10_000_000)); err == nil {
		t.Error("an order over 9,999,999 yen was accepted")
	}
	if err := e.sim.SetFault(gmopgsim.FaultRateLimit, 0, "EntryTranRecruit"); err != nil {
		t.Fatal(err)
	}
	o, pay, err := e.store.CreateOrderPayment(e.ctx, orderOf(e, "api", 1000))
	if err != nil {
		t.Fatal(err)
	}
	if pay["error"] == nil || pay["start_url"] != nil {
		t.Errorf("answer with GMO-PG down: %+v", pay)
	}
	if p := e.payment(o.ID); p.Status != kantan.StatusNeedsCheck || p.Reason == "" {
		t.Errorf("payment %s %q", p.Status, p.Reason)
	}
}
