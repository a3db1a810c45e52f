package kantan_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"kessai/internal/commerce"
	"kessai/internal/kantan"
	"kessai/internal/platform/errs"
	"kessai/internal/provider/gmopg"
	"kessai/internal/sandbox/gmopgsim"
)

// into brings a new order to a payment status through the real flows.
func (e *env) into(status string) commerce.Order {
	e.t.Helper()
	switch status {
	case kantan.StatusNeedsCheck:
		return e.checkout(3000, gmopgsim.BuyerAbandon)
	case kantan.StatusFailed:
		return e.checkout(3000, gmopgsim.BuyerFail)
	}
	o := e.checkout(3000, gmopgsim.BuyerPay)
	switch status {
	case kantan.StatusCaptured:
		if _, err := e.svc.Capture(e.ctx, o.ID); err != nil {
			e.t.Fatal(err)
		}
	case kantan.StatusCancelled:
		if _, err := e.store.CancelOrder(e.ctx, o.ID, e.order(o.ID).Version); err != nil {
			e.t.Fatal(err)
		}
	case kantan.StatusCaptureFailed:
		// Cancelled at GMO-PG behind kessai's back: the capture is refused (E01050004).
		p := e.payment(o.ID)
		cl := gmopg.New(e.sim.Config(strings.TrimSuffix(e.simURL, prefix)))
		if _, err := cl.RecruitCancel(context.Background(), gmopg.Access{OrderID: p.PGOrderID, AccessID: p.AccessID, AccessPass: e.accessPass(o.ID)}); err != nil {
			e.t.Fatal(err)
		}
		if _, err := e.svc.Capture(e.ctx, o.ID); err != nil {
			e.t.Fatal(err)
		}
	case kantan.StatusExpired:
		e.clk.Advance(61 * 24 * time.Hour)
		if _, err := e.svc.Sync(e.ctx); err != nil {
			e.t.Fatal(err)
		}
	}
	if got := e.payment(o.ID).Status; got != status {
		e.t.Fatalf("into %s: payment is %s (%s)", status, got, e.payment(o.ID).Reason)
	}
	return o
}

func (e *env) accessPass(orderID string) string {
	var pass string
	if err := e.db.QueryRowContext(e.ctx, `SELECT access_pass FROM kantan_payments WHERE order_id = ?`, orderID).Scan(&pass); err != nil {
		e.t.Fatal(err)
	}
	return pass
}

// act runs one of the table's actions on an order through the path staff and the API use.
func (e *env) act(action string, o commerce.Order) error {
	cur := e.order(o.ID)
	switch action {
	case kantan.ActCapture:
		p, err := e.svc.Capture(e.ctx, o.ID)
		if err == nil && p.Status != kantan.StatusCaptured {
			return errs.Conflict(p.Reason)
		}
		return err
	case kantan.ActCancel:
		_, err := e.store.CancelOrder(e.ctx, o.ID, cur.Version)
		return err
	case kantan.ActChangeAmount:
		return e.setAmount(o.ID, cur.Total-100)
	case kantan.ActExtend:
		_, err := e.svc.Extend(e.ctx, o.ID)
		return err
	case kantan.ActShip:
		_, err := e.store.ShipOrder(e.ctx, o.ID, cur.Version, "yamato", "1234-5678-9012", "")
		return err
	case kantan.ActChangeMethod:
		got, err := e.svc.ChangeMethod(e.ctx, o.ID, "cod")
		if err == nil && (got.PaymentMethod != "cod" || got.OrderStatus == "cancelled") {
			return errs.Conflict("the order was not kept with cod: " + got.OrderStatus)
		}
		return err
	}
	panic(action)
}

// TestStatusRows: for every row of the status table, each action is allowed exactly
// when the row lists it, through the same paths as the UI and the API; a refusal names the
// status. 決済方法の変更 of a cancelled payment takes the order back (新規受付) with the new method.
func TestStatusRows(t *testing.T) {
	t.Parallel()
	actions := []string{kantan.ActCapture, kantan.ActCancel, kantan.ActChangeAmount, kantan.ActExtend, kantan.ActShip, kantan.ActChangeMethod}
	rows := []struct {
		status  string
		allowed []string
	}{
		{kantan.StatusNeedsCheck, []string{kantan.ActCancel, kantan.ActChangeMethod}},
		{kantan.StatusAuthorized, []string{kantan.ActCapture, kantan.ActCancel, kantan.ActChangeAmount, kantan.ActExtend}},
		{kantan.StatusCaptured, []string{kantan.ActShip, kantan.ActCancel, kantan.ActChangeAmount}},
		{kantan.StatusCancelled, []string{kantan.ActChangeMethod}},
		{kantan.StatusCaptureFailed, []string{kantan.ActCancel}},
		{kantan.StatusFailed, []string{kantan.ActCancel, kantan.ActChangeMethod}},
		{kantan.StatusExpired, []string{kantan.ActCancel, kantan.ActChangeMethod}},
	}
	for _, row := range rows {
		t.Run(row.status, func(t *testing.T) {
			t.Parallel()
			// Captured on the 3rd: the amount change below is an edit on the 4th (recorded).
			e := newEnv(t, jst(2026, 12, 3, 10, 0))
			for _, a := range actions {
				o := e.into(row.status)
				allowed := false
				for _, x := range row.allowed {
					allowed = allowed || x == a
				}
				err := e.act(a, o)
				if allowed && err != nil {
					t.Errorf("%s on %s refused: %v", a, row.status, err)
				}
				if !allowed && err == nil {
					t.Errorf("%s on %s was allowed", a, row.status)
				}
				if !allowed && err != nil {
					if e := errs.As(err); e == nil || (e.Kind != errs.KindConflict && e.Kind != errs.KindInvalid) {
						t.Errorf("%s on %s: refusal %v is not a conflict a person can act on", a, row.status, err)
					}
				}
			}
		})
	}
}

// TestSplitOrderCancelledWhole: a part of a split kantan order (several delivery addresses)
// cannot be cancelled alone; the parent's cancel cancels the payment.
func TestSplitOrderCancelledWhole(t *testing.T) {
	t.Parallel()
	e := newEnv(t, jst(2026, 12, 3, 10, 0))
	parent := e.checkout(6000, gmopgsim.BuyerPay)
	part := orderOf(e, "copy", 3000)
	part.ParentOrderID, part.CancelType = parent.ID, "2"
	parts, err := e.store.CreateOrders(e.ctx, []commerce.Order{part})
	if err != nil {
		t.Fatal(err)
	}
	_, err = e.store.CancelOrder(e.ctx, parts[0].ID, parts[0].Version)
	if e := errs.As(err); e == nil || e.Kind != errs.KindConflict || !strings.Contains(e.Message, "複数のお届け先") {
		t.Fatalf("cancelling a part: %v", err)
	}
	if _, err := e.store.CancelOrder(e.ctx, parent.ID, e.order(parent.ID).Version); err != nil {
		t.Fatal(err)
	}
	if p := e.payment(parent.ID); p.Status != kantan.StatusCancelled || e.trade(parent).Status != gmopg.StatusVoid {
		t.Errorf("the whole order's cancel: %s, GMO-PG %s", p.Status, e.trade(parent).Status)
	}
}
