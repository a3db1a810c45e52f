package kantan

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"kessai/internal/commerce"
	"kessai/internal/platform/attempt"
	"kessai/internal/platform/db"
	"kessai/internal/platform/errs"
	"kessai/internal/provider/gmopg"
)

// Credit card through the same lifecycle: the order registers the trade (EntryTran) and the
// storefront sends the card token from GMO-PG's token script to POST
// /api/v1/orders/{id}/card-payment, which authorizes (ExecTran, a money call through the
// runner). Capture is AlterTran SALES, cancel AlterTran VOID, amount change ChangeTran; the
// status sync and the result notification read it with SearchTradeMulti (PayType 0).

// OpAuthorize is the card's ExecTran.
const OpAuthorize = "kantan.authorize"

// CardPath is where the storefront posts the card token, below /api/v1/orders/{id}.
const CardPath = "/card-payment"

func (s *Service) startCard(ctx context.Context, cl *gmopg.Client, o commerce.Order, p Payment, fail func(string, error) (map[string]any, error)) (map[string]any, error) {
	acc, err := cl.EntryTran(ctx, gmopg.EntryTranInput{OrderID: p.PGOrderID, JobCd: p.JobCd, Amount: p.Amount, Tax: p.Tax})
	if err != nil {
		return fail("EntryTran", err)
	}
	if _, err := s.db.ExecContext(ctx, `UPDATE kantan_payments SET access_id = ?, access_pass = ?, pg_status = ?, updated_at = ? WHERE order_id = ?`,
		acc.AccessID, acc.AccessPass, string(gmopg.StatusUnprocessed), s.now(), o.ID); err != nil {
		return nil, fmt.Errorf("kantan: save access of %s: %w", o.Number, err)
	}
	return map[string]any{"status": StatusNeedsCheck, "status_label": Statuses.Label(StatusNeedsCheck), "pg_order_id": p.PGOrderID,
		"access_id": acc.AccessID, "card_payment_path": "/api/v1/orders/" + o.ID + CardPath,
		"post": "GMO-PG のトークン（MP トークン）を card_payment_path に {\"token\": …} で POST してください"}, nil
}

// PayCard authorizes (or, with 即時売上, captures) a card order with a token.
func (s *Service) PayCard(ctx context.Context, orderID, token string) (Payment, error) {
	if strings.TrimSpace(token) == "" {
		return Payment{}, errs.Invalid("カードのトークンがありません").Field("token", "GMO-PG のトークンを送ってください")
	}
	op := attempt.Op{
		Claim: func(ctx context.Context, tx *db.Tx) (attempt.Attempt, error) {
			p, err := getPayment(ctx, tx, orderID, true)
			if errors.Is(err, ErrNoPayment) {
				return attempt.Attempt{}, errs.NotFound("この受注には GMO-PG の決済がありません: " + orderID)
			}
			if err != nil {
				return attempt.Attempt{}, err
			}
			switch {
			case p.PayType != gmopg.PayTypeCard:
				return attempt.Attempt{}, errs.Conflict("カード決済の受注ではありません（" + string(p.PayType) + "）")
			case p.Busy != "":
				return attempt.Attempt{}, errs.Conflict(busyText(p.Busy))
			case p.Status != StatusNeedsCheck || p.AccessID == "":
				return attempt.Attempt{}, errs.Conflict("決済ステータスが「" + Statuses.Label(p.Status) + "」のためカードで支払えません")
			}
			if _, err := tx.ExecContext(ctx, `UPDATE kantan_payments SET busy = ?, updated_at = ? WHERE order_id = ? AND busy = ''`, OpAuthorize, s.now(), orderID); err != nil {
				return attempt.Attempt{}, err
			}
			prior, err := s.runner.Log().ForRecord(ctx, tx, RecordPayment, orderID)
			if err != nil {
				return attempt.Attempt{}, err
			}
			r := request{OrderID: p.PGOrderID, AccessID: p.AccessID, PayType: p.PayType, Amount: p.Amount, Tax: p.Tax}
			for _, a := range prior {
				r.ReadFirst = r.ReadFirst || a.Operation == OpAuthorize
			}
			return attempt.Attempt{Room: Room, RecordType: RecordPayment, RecordID: orderID, Operation: OpAuthorize, IdempotencyKey: p.PGOrderID,
				RequestSummary: r.summary()}, nil
		},
		Send: func(ctx context.Context, a attempt.Attempt) attempt.Outcome {
			r := parseRequest(a)
			cl, _, err := s.client(ctx)
			if err != nil {
				return attempt.Outcome{State: attempt.Failed, Code: attempt.CodeNotSent, Message: err.Error()}
			}
			if r.ReadFirst {
				t, err := cl.SearchTradeMulti(ctx, r.OrderID, r.PayType)
				switch {
				case err != nil:
					return attempt.Outcome{State: attempt.Failed, Code: attempt.CodeNotSent, Message: "GMO-PG の取引を照会できないため送信していません: " + pgMessage(err)}
				case t.Status != gmopg.StatusUnprocessed:
					return attempt.Outcome{State: attempt.Succeeded, Response: answer(t.Status, t.Amount, t.RcUpdateAuthDay) + " (SearchTradeMulti)"}
				}
			}
			var pass string
			if err := s.db.QueryRowContext(ctx, `SELECT access_pass FROM kantan_payments WHERE order_id = ?`, a.RecordID).Scan(&pass); err != nil {
				return attempt.Outcome{State: attempt.Failed, Code: attempt.CodeNotSent, Message: err.Error()}
			}
			res, err := cl.ExecTran(ctx, gmopg.ExecTranInput{Access: gmopg.Access{OrderID: r.OrderID, AccessID: r.AccessID, AccessPass: pass}, Token: token})
			if err != nil {
				return outcomeOf(err)
			}
			return attempt.Outcome{State: attempt.Succeeded, Response: "TranID=" + res.TranID}
		},
		Apply: s.applyAuthorize,
	}
	op.Late = func(ctx context.Context, a attempt.Attempt, o attempt.Outcome) error {
		if o.State != attempt.Succeeded {
			return nil
		}
		return s.db.InTx(ctx, func(tx *db.Tx) error {
			if _, err := s.runner.Log().Overturn(ctx, tx, a.ID, o); err != nil {
				return err
			}
			return s.applyAuthorize(ctx, tx, a, o)
		})
	}
	if _, err := s.runner.Run(ctx, op); err != nil && !errors.Is(err, attempt.ErrAbandoned) {
		return Payment{}, err
	}
	return s.Payment(ctx, orderID)
}

// applyAuthorize writes the card's answer: 仮売上 (or 決済完了 with 即時売上); a refusal (a
// declined card) leaves the trade UNPROCESSED and the payment 要確認 with the reason, so the
// buyer may try another card.
func (s *Service) applyAuthorize(ctx context.Context, tx *db.Tx, a attempt.Attempt, o attempt.Outcome) error {
	p, err := getPayment(ctx, tx, a.RecordID, true)
	if err != nil {
		return err
	}
	now := s.now()
	switch o.State {
	case attempt.Unknown:
		return nil
	case attempt.Failed:
		msg := "カードで支払えませんでした: " + o.Message
		if _, err := tx.ExecContext(ctx, `UPDATE kantan_payments SET busy = '', reason = ?, updated_at = ? WHERE order_id = ?`, msg, now, a.RecordID); err != nil {
			return err
		}
		return s.history(ctx, tx, a.RecordID, "authorize.failed", msg, "ErrInfo="+o.Code)
	}
	if p.Status != StatusNeedsCheck {
		_, err := tx.ExecContext(ctx, `UPDATE kantan_payments SET busy = '', updated_at = ? WHERE order_id = ?`, now, a.RecordID)
		return err
	}
	next, pg, captured := StatusAuthorized, gmopg.StatusAuth, any(nil)
	if p.JobCd == gmopg.JobCapture {
		next, pg, captured = StatusCaptured, gmopg.StatusCapture, now
	}
	if _, err := tx.ExecContext(ctx, `UPDATE kantan_payments SET busy = '', status = ?, pg_status = ?, captured_at = ?, reason = '', updated_at = ? WHERE order_id = ?`,
		next, string(pg), captured, now, a.RecordID); err != nil {
		return err
	}
	if err := s.mirror(ctx, tx, a.RecordID, next, false); err != nil {
		return err
	}
	return s.history(ctx, tx, a.RecordID, "authorize.done", "カードで支払われました（"+yen(p.Amount)+"円、"+Statuses.Label(next)+"）", o.Response)
}
