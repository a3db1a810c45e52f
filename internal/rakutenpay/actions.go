package rakutenpay

import (
	"context"
	"errors"
	"fmt"

	"kessai/internal/commerce"
	"kessai/internal/platform/db"
	"kessai/internal/platform/errs"
)

// RevertToAwaitingPayment is 【入金待ちに戻す】 (after an amount change): 入金状況 未入金, 承認状況
// 未承認, 承認日 empty, on the slip and its split children. A Rakuten slip becomes a target again
// from now; Rakuten's re-authorization is applied only if it comes within 15 days of the order.
func (s *Service) RevertToAwaitingPayment(ctx context.Context, orderID string, version int) (commerce.Order, error) {
	var out commerce.Order
	now := s.clock.Now().UTC()
	err := s.db.InTx(ctx, func(tx *db.Tx) error {
		childIDs, err := db.Strings(ctx, tx, `SELECT id FROM orders WHERE parent_order_id = ? ORDER BY number`, orderID)
		if err != nil {
			return err
		}
		for i, id := range append([]string{orderID}, childIDs...) {
			var before commerce.Order
			saved, err := s.store.ModifyOrderTx(ctx, tx, id, func(o *commerce.Order) error {
				before = *o
				if i == 0 && version != o.Version {
					return errs.Conflict(fmt.Sprintf("受注 %s は他の人が更新しました。画面を読み込み直してください", o.Number))
				}
				if o.OrderStatus == "cancelled" || o.OrderStatus == "shipped" {
					if i == 0 {
						return errs.Conflict("「" + commerce.OrderStatuses.Label(o.OrderStatus) + "」の受注は入金待ちに戻せません")
					}
					return errSkip
				}
				o.PaymentStatus, o.AuthorizationStatus, o.AuthorizedOn = "unpaid", "pending", ""
				return nil
			})
			if errors.Is(err, errSkip) {
				continue
			}
			if err != nil {
				return err
			}
			if i == 0 {
				out = saved
			}
			p := &Patch{}
			what := p.describe(before, saved)
			if what == "" {
				what = "変更なし（すでに入金待ち）"
			}
			if _, err := s.store.AppendOrderHistory(ctx, tx, commerce.OrderEvent{OrderID: id, Room: Room, Kind: "revert",
				Summary: "【入金待ちに戻す】: " + what, Detail: "金額変更のため。楽天の再与信が受注日から15日以内なら自動で反映します"}); err != nil {
				return err
			}
		}
		_, err = tx.ExecContext(ctx, `UPDATE rakutenpay_orders SET amount_changed_at = ?, basis_at = ?, watch = TRUE, fingerprint = '',
			manual_reason = '' WHERE order_id = ?`, now, now, orderID)
		return err
	})
	return out, err
}

var errSkip = errors.New("skip")
