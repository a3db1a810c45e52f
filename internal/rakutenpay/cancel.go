package rakutenpay

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"kessai/internal/commerce"
	"kessai/internal/platform/attempt"
	"kessai/internal/platform/db"
	"kessai/internal/platform/errs"
	"kessai/internal/provider/rakuten"
)

// CancelNotFoundAfter: a cancel request whose order Rakuten still shows as cancellable this
// long after it was sent never reached Rakuten.
const CancelNotFoundAfter = time.Minute

// cancelRequest is what a cancel attempt sends (its RequestSummary).
type cancelRequest struct {
	ShopID  string `json:"shop_id"`
	OrderID string `json:"order_id"`
	Number  string `json:"order_number"`
	Reason  int    `json:"change_reason_detail_apply"`
}

// RequestCancel sends a slip cancelled in kessai to Rakuten as a cancel request (cancelOrder
// with the reason) through the money-call runner. Rakuten takes it as 800; the slip shows
// キャンセル申請中 until the poll reads 900.
func (s *Service) RequestCancel(ctx context.Context, orderID string, reason int) (Link, error) {
	if _, err := s.runner.Run(ctx, s.cancelOp(orderID, reason)); err != nil {
		return Link{}, err
	}
	return s.LinkOf(ctx, s.db, orderID)
}

// CancelOp is the cancel request of orderID as an attempt.Op (for the attempttest suite).
func (s *Service) CancelOp(orderID string, reason int) attempt.Op { return s.cancelOp(orderID, reason) }

func (s *Service) cancelOp(orderID string, reason int) attempt.Op {
	return attempt.Op{
		Claim: func(ctx context.Context, tx *db.Tx) (attempt.Attempt, error) {
			if !slices.Contains(rakuten.CancelReasons(), reason) {
				return attempt.Attempt{}, errs.Invalid(fmt.Sprintf("キャンセル理由 %d は楽天の一覧にありません", reason)).
					Field("reason", "1 キャンセル・2 受取後の返品・3 長期不在による受取拒否・4 未入金・5 代引決済の受取拒否・6 お客様都合その他・8 欠品・10 店舗様都合その他・13 発送遅延・14 顧客・配送対応注意表示・15 返品（破損・品間違い）")
			}
			l, err := s.LinkOf(ctx, tx, orderID)
			if errors.Is(err, ErrNotLinked) {
				return attempt.Attempt{}, errs.Conflict("楽天から取り込んだ伝票ではないため楽天へキャンセル申請できません")
			}
			if err != nil {
				return attempt.Attempt{}, err
			}
			var status string
			if err := tx.QueryRowContext(ctx, `SELECT order_status FROM orders WHERE id = ?`, orderID).Scan(&status); err != nil {
				return attempt.Attempt{}, err
			}
			if status != "cancelled" {
				return attempt.Attempt{}, errs.Conflict("伝票を kessai でキャンセルしてから楽天へキャンセル申請してください（受注状態 " + commerce.OrderStatuses.Label(status) + "）")
			}
			if !l.Progress.Cancellable() {
				return attempt.Attempt{}, errs.Conflict(fmt.Sprintf("楽天のステータスが %s（%d）のため cancelOrder では申請できません（100・200・300 のみ）", l.Progress.Label(), int(l.Progress)))
			}
			res, err := tx.ExecContext(ctx, `UPDATE rakutenpay_orders SET cancel_state = ?, cancel_reason = ?, cancel_error = ''
				WHERE order_id = ? AND cancel_state IN ('', ?)`, CancelSending, reason, orderID, CancelFailed)
			if err != nil {
				return attempt.Attempt{}, err
			}
			if n, _ := res.RowsAffected(); n != 1 {
				return attempt.Attempt{}, errs.Conflict("楽天へのキャンセル申請は「" + CancelStates.Label(l.CancelState) + "」です")
			}
			body, _ := json.Marshal(cancelRequest{ShopID: l.ShopID, OrderID: orderID, Number: l.Number, Reason: reason})
			return attempt.Attempt{Room: Room, RecordType: RecordOrder, RecordID: orderID, Operation: OpCancel,
				IdempotencyKey: db.NewID("rkc"), RequestSummary: string(body)}, nil
		},
		Send:  s.sendCancel,
		Apply: s.applyCancel,
		Late: func(ctx context.Context, a attempt.Attempt, o attempt.Outcome) error {
			if o.State != attempt.Succeeded {
				return nil
			}
			return s.db.InTx(ctx, func(tx *db.Tx) error {
				if ok, err := s.runner.Log().Overturn(ctx, tx, a.ID, o); err != nil || !ok {
					return err
				}
				return s.applyCancel(ctx, tx, a, o)
			})
		},
	}
}

func (s *Service) sendCancel(ctx context.Context, a attempt.Attempt) attempt.Outcome {
	var req cancelRequest
	if err := json.Unmarshal([]byte(a.RequestSummary), &req); err != nil {
		return attempt.Outcome{State: attempt.Failed, Code: attempt.CodeNotSent, Message: err.Error()}
	}
	cfg, err := s.Config(ctx, req.ShopID)
	if err != nil {
		return attempt.Outcome{State: attempt.Failed, Code: attempt.CodeNotSent, Message: err.Error()}
	}
	res, err := cfg.Client.CancelOrder(ctx, rakuten.CancelRequest{OrderNumber: req.Number, ChangeReasonDetailApply: req.Reason})
	switch {
	case err == nil:
		return attempt.Outcome{State: attempt.Succeeded, Code: firstCode(res.Messages), Message: firstText(res.Messages), Response: "orderNumber=" + req.Number}
	case rakuten.IsOutcomeUnknown(err):
		return attempt.Outcome{State: attempt.Unknown, Message: err.Error()}
	}
	var te *rakuten.TransportError
	if errors.As(err, &te) && !te.Sent {
		return attempt.Outcome{State: attempt.Failed, Code: attempt.CodeNotSent, Message: err.Error()}
	}
	// Refused. An order already taken (a request whose answer was lost, sent again) is held.
	if o, rerr := s.readCancel(ctx, cfg, req.Number); rerr == nil && o.State == attempt.Succeeded {
		return o
	}
	code, msg := "", explain(err).Error()
	var ae *rakuten.APIError
	if errors.As(err, &ae) {
		code, msg = firstCode(ae.Messages.Errors()), firstText(ae.Messages.Errors())
	}
	return attempt.Outcome{State: attempt.Failed, Code: code, Message: msg}
}

func firstCode(ms rakuten.Messages) string {
	if len(ms) == 0 {
		return ""
	}
	return ms[0].Code
}

func firstText(ms rakuten.Messages) string {
	if len(ms) == 0 {
		return ""
	}
	return ms[0].Text
}

// readCancel reads whether Rakuten holds the cancel (800/900).
func (s *Service) readCancel(ctx context.Context, cfg *ShopConfig, number string) (attempt.Outcome, error) {
	res, err := cfg.Client.GetOrder(ctx, []string{number})
	if err != nil {
		return attempt.Outcome{}, err
	}
	if len(res.Orders) == 0 {
		return attempt.Outcome{State: attempt.Failed, Code: rakuten.CodeGetOrderNotFound, Message: "楽天に注文がありません"}, nil
	}
	p := res.Orders[0].OrderProgress
	if p.CancelTaken() {
		return attempt.Outcome{State: attempt.Succeeded, Code: fmt.Sprint(int(p)), Message: p.Label(), Response: "orderNumber=" + number}, nil
	}
	return attempt.Outcome{State: attempt.Unknown, Code: fmt.Sprint(int(p)), Message: p.Label()}, nil
}

// applyCancel writes a cancel request's outcome onto the link and the slip's history.
func (s *Service) applyCancel(ctx context.Context, tx *db.Tx, a attempt.Attempt, o attempt.Outcome) error {
	var req cancelRequest
	_ = json.Unmarshal([]byte(a.RequestSummary), &req)
	var sum string
	switch o.State {
	case attempt.Succeeded:
		if _, err := tx.ExecContext(ctx, `UPDATE rakutenpay_orders SET cancel_state = ?, cancel_error = '', watch = TRUE, fingerprint = ''
			WHERE order_id = ? AND cancel_state IN (?, ?, '')`, CancelRequested, a.RecordID, CancelSending, CancelFailed); err != nil {
			return err
		}
		sum = fmt.Sprintf("楽天へキャンセル申請を送りました（理由 %d）→ キャンセル申請中（楽天の確定待ち）", req.Reason)
	case attempt.Failed:
		if _, err := tx.ExecContext(ctx, `UPDATE rakutenpay_orders SET cancel_state = ?, cancel_error = ? WHERE order_id = ? AND cancel_state = ?`,
			CancelFailed, o.Code+" "+o.Message, a.RecordID, CancelSending); err != nil {
			return err
		}
		sum = "楽天へのキャンセル申請は受け付けられませんでした: " + o.Code + " " + o.Message
	default:
		return nil
	}
	_, err := s.store.AppendOrderHistory(ctx, tx, commerce.OrderEvent{OrderID: a.RecordID, Room: Room, Kind: "cancel." + string(o.State),
		Summary: sum, Detail: "cancelOrder " + a.RequestSummary + "\n" + o.Code + " " + o.Message, Actor: "楽天ペイ"})
	return err
}

// CancelResolver settles a cancel request whose outcome is unknown by reading the order: 800 or
// 900 means Rakuten took it; an order still cancellable after CancelNotFoundAfter never got it.
type CancelResolver struct{ s *Service }

// NewCancelResolver returns the janitor's resolver of OpCancel.
func NewCancelResolver(s *Service) *CancelResolver { return &CancelResolver{s} }

// Resolve asks Rakuten; it never sends the cancel again.
func (r *CancelResolver) Resolve(ctx context.Context, a attempt.Attempt) (attempt.Outcome, error) {
	var req cancelRequest
	if err := json.Unmarshal([]byte(a.RequestSummary), &req); err != nil {
		return attempt.Outcome{}, err
	}
	cfg, err := r.s.Config(ctx, req.ShopID)
	if err != nil {
		return attempt.Outcome{}, err
	}
	o, err := r.s.readCancel(ctx, cfg, req.Number)
	if err != nil || o.State != attempt.Unknown {
		return o, err
	}
	if r.s.runner.Log().Now().Sub(a.SentAt) < CancelNotFoundAfter {
		return o, nil
	}
	return attempt.Outcome{State: attempt.Failed, Code: "not_taken", Message: "楽天の注文はキャンセル申請を受けていません（" + o.Message + "）"}, nil
}

// Apply is applyCancel.
func (r *CancelResolver) Apply(ctx context.Context, tx *db.Tx, a attempt.Attempt, o attempt.Outcome) error {
	return r.s.applyCancel(ctx, tx, a, o)
}
