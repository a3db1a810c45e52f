package kantan

import (
	"context"
	"errors"
	"strings"

	"kessai/internal/commerce"
	"kessai/internal/platform/attempt"
	"kessai/internal/platform/db"
	"kessai/internal/platform/errs"
	"kessai/internal/provider/gmopg"
)

// onChange is commerce's hook on every save of an order of the room's methods: it refuses
// what the payment's status does not allow (with the reason) and records what GMO-PG must be
// told. A cancel of a linked payment and a shipment that captures (実売り同時処理) claim their
// call here, in the change's transaction, and send it after the commit.
func (s *Service) onChange(ctx context.Context, tx *db.Tx, c commerce.OrderChange) (commerce.AfterCommit, error) {
	p, err := getPayment(ctx, tx, c.Before.ID, true)
	if errors.Is(err, ErrNoPayment) {
		// A part of a split order (several delivery addresses) shares its parent's payment:
		// the order is cancelled whole, from the parent.
		if c.Kind() == commerce.ChangeCancel && c.Before.ParentOrderID != "" {
			if parent, perr := getPayment(ctx, tx, c.Before.ParentOrderID, false); perr == nil && parent.Status != StatusCancelled {
				return nil, errs.Conflict("複数のお届け先がある受注は、一部だけキャンセルできません。元の受注（全体）をキャンセルしてください")
			}
		}
		if c.After.PaymentMethod == "kantan" && c.MethodChanged() {
			return nil, errs.Conflict("かんたん支払いへの変更はできません（購入者の支払いが必要なため、API で新しい受注として登録してください）")
		}
		return nil, nil // an imported order: nothing at GMO-PG
	}
	if err != nil {
		return nil, err
	}
	if p.Busy != "" && (c.Kind() != commerce.ChangeEdit || c.AmountChanged() || c.MethodChanged()) {
		return nil, errs.Conflict(busyText(p.Busy))
	}
	switch {
	case c.Kind() == commerce.ChangeCancel:
		return s.onCancel(ctx, tx, p, c)
	case c.Kind() == commerce.ChangeShip:
		return s.onShip(ctx, tx, p, c)
	case c.MethodChanged():
		if r := refusal(p.Status, ActChangeMethod); r != "" {
			return nil, errs.Conflict(r)
		}
		return nil, s.history(ctx, tx, p.OrderID, "method.changed", "決済方法を「"+commerce.PaymentMethods.Label(c.After.PaymentMethod)+"」に変更しました（GMO-PG には連携しません）", "OrderID="+p.PGOrderID)
	case c.AmountChanged():
		if rules := changeRules(p, c.After.Total, s.clock.Now(), false); len(rules) > 0 {
			return nil, errs.Conflict(strings.Join(rules, "。")).Field("total", rules[0])
		}
		return nil, s.history(ctx, tx, p.OrderID, "change.recorded", "金額の変更を記録しました（"+yen(c.Before.Total)+"円→"+yen(c.After.Total)+"円、GMO-PG へは未送信）",
			"GMO-PG の金額 "+yen(p.Amount)+"円")
	}
	return nil, nil
}

// onCancel: 仮売上 (and a started 要確認) is cancelled at GMO-PG after the commit; after capture
// nothing is sent (GMO-PG is not linked then): the refund owed is recorded. Statuses without a
// trade to undo are cancelled here.
func (s *Service) onCancel(ctx context.Context, tx *db.Tx, p Payment, c commerce.OrderChange) (commerce.AfterCommit, error) {
	if r := refusal(p.Status, ActCancel); r != "" {
		return nil, errs.Conflict(r)
	}
	if p.Status == StatusCaptureFailed && c.Before.OrderStatus == "shipped" {
		return nil, errs.Conflict("出荷済みの受注は、実売上に失敗していてもキャンセルできません（状態を同期して決済を確認してください）")
	}
	now := s.now()
	linked := p.AccessID != "" && (p.Status == StatusAuthorized || p.PGStatus == string(gmopg.StatusAuth) ||
		p.PGStatus == string(gmopg.StatusReqSuccess) || p.PGStatus == string(gmopg.StatusUnprocessed))
	switch {
	case p.Status == StatusCaptured:
		if _, err := tx.ExecContext(ctx, `UPDATE kantan_payments SET status = ?, refund_owed = ?, updated_at = ? WHERE order_id = ?`,
			StatusCancelled, true, now, p.OrderID); err != nil {
			return nil, err
		}
		return nil, s.history(ctx, tx, p.OrderID, "cancel.refund_owed",
			"実売上後のキャンセルのため GMO-PG には連携していません。"+yen(p.Amount)+"円の返金が必要です", "OrderID="+p.PGOrderID)
	case linked:
		op := s.op(OpCancel, p.OrderID)
		a, err := s.runner.Claim(ctx, tx, op)
		if err != nil {
			return nil, err
		}
		if err := s.history(ctx, tx, p.OrderID, "cancel.sent", "GMO-PG に取消を送信します（"+yen(p.Amount)+"円）", "OrderID="+p.PGOrderID); err != nil {
			return nil, err
		}
		return func(ctx context.Context) { s.sendClaimed(ctx, op, a) }, nil
	}
	if _, err := tx.ExecContext(ctx, `UPDATE kantan_payments SET status = ?, updated_at = ? WHERE order_id = ?`, StatusCancelled, now, p.OrderID); err != nil {
		return nil, err
	}
	return nil, s.history(ctx, tx, p.OrderID, "cancel.local", "決済を取り消しました（GMO-PG で支払われていないため連携なし）", "OrderID="+p.PGOrderID)
}

// onShip: 決済完了 ships; 仮売上 ships only with 実売り同時処理, which captures after the commit.
func (s *Service) onShip(ctx context.Context, tx *db.Tx, p Payment, c commerce.OrderChange) (commerce.AfterCommit, error) {
	if p.Status == StatusCaptured {
		return nil, nil
	}
	st, err := readSettings(ctx, tx)
	if err != nil {
		return nil, err
	}
	if p.Status != StatusAuthorized || !st.ShipCapture {
		msg := refusal(p.Status, ActShip)
		if p.Status == StatusAuthorized {
			msg += "。実売上処理をしてから出荷してください（実売り同時処理が「利用しない」です）"
		}
		return nil, errs.Conflict(msg)
	}
	op := s.op(OpCapture, p.OrderID)
	a, err := s.runner.Claim(ctx, tx, op)
	if err != nil {
		return nil, err
	}
	if err := s.history(ctx, tx, p.OrderID, "capture.on_ship", "送り状番号の登録により実売上処理をします（実売り同時処理）", "送り状番号 "+c.After.TrackingNumber); err != nil {
		return nil, err
	}
	return func(ctx context.Context) { s.sendClaimed(ctx, op, a) }, nil
}

// sendClaimed sends a call claimed in a commerce transaction; a failure to record is the
// janitor's to settle.
func (s *Service) sendClaimed(ctx context.Context, op attempt.Op, a attempt.Attempt) {
	if _, err := s.runner.Send(ctx, op, a); err != nil && !errors.Is(err, attempt.ErrAbandoned) {
		s.log.ErrorContext(ctx, "kantan: send after commit", "attempt", a.ID, "operation", a.Operation, "err", err)
	}
}

// ChangeMethod is 決済方法の変更 from the かんたん決済 tab: the order keeps going with a payment
// method outside GMO-PG (nothing is sent to GMO-PG: the change is recorded, and a cancelled
// order is taken back to 新規受付). The payment status must allow it.
func (s *Service) ChangeMethod(ctx context.Context, orderID, method string) (commerce.Order, error) {
	if _, ok := commerce.PaymentMethods.Get(method); !ok {
		return commerce.Order{}, errs.Invalid("支払方法の値が正しくありません: "+method).Field("payment_method", "支払方法を選んでください")
	}
	if _, gmo := Methods[method]; gmo {
		return commerce.Order{}, errs.Invalid("GMO-PG の支払方法には変更できません（新しい受注として API で登録してください）").
			Field("payment_method", "GMO-PG 以外の支払方法を選んでください")
	}
	var out commerce.Order
	err := s.db.InTx(ctx, func(tx *db.Tx) error {
		p, err := getPayment(ctx, tx, orderID, true)
		if errors.Is(err, ErrNoPayment) {
			return errs.Conflict("この受注には GMO-PG の決済がありません。受注の編集で支払方法を変更してください")
		}
		if err != nil {
			return err
		}
		if p.Busy != "" {
			return errs.Conflict(busyText(p.Busy))
		}
		if r := refusal(p.Status, ActChangeMethod); r != "" {
			return errs.Conflict(r)
		}
		o, err := s.orderTx(ctx, tx, orderID)
		if err != nil {
			return err
		}
		set := func(o *commerce.Order) error { o.PaymentMethod = method; return nil }
		if o.OrderStatus == "cancelled" {
			out, err = s.store.ReopenOrderTx(ctx, tx, orderID, set)
		} else {
			out, err = s.store.ModifyOrderTx(ctx, tx, orderID, set)
		}
		if err != nil {
			return err
		}
		summary := "決済方法を「" + commerce.PaymentMethods.Label(method) + "」に変更しました（GMO-PG には連携しません）"
		if o.OrderStatus == "cancelled" {
			summary += "。キャンセルした受注を新規受付に戻しました"
		}
		return s.history(ctx, tx, orderID, "method.changed", summary, "OrderID="+p.PGOrderID)
	})
	return out, err
}
