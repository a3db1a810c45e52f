package atobarai

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"kessai/internal/api"
	"kessai/internal/commerce"
	"kessai/internal/platform/auth"
	"kessai/internal/platform/bulk"
	"kessai/internal/platform/db"
	"kessai/internal/platform/errs"
	"kessai/internal/platform/mail"
	"kessai/internal/provider/yamato"
	"kessai/internal/web"
)

// TxnJSON is a transaction as the API answers it.
type TxnJSON struct {
	Txn
	CreditLabel  string `json:"credit_label"`
	StatusLabel  string `json:"status_label"`
	WarningLabel string `json:"warning_label"`
}

func txnJSON(t Txn) TxnJSON {
	return TxnJSON{Txn: t, CreditLabel: CreditStates.Label(t.Credit), StatusLabel: yamato.Status(t.Status).Label(),
		WarningLabel: yamato.Warning(t.Warning).Label()}
}

// ShipmentIn is POST /api/v1/orders/{id}/shipment.
type ShipmentIn struct {
	TrackingNumber string `json:"tracking_number" doc:"ヤマト運輸の送り状番号（12桁、ハイフン可）。省略時は受注の送り状番号" required:"true"`
	ShipDate       string `json:"ship_date,omitempty" doc:"出荷日 YYYY-MM-DD（省略時は今日）"`
	Notify         *bool  `json:"notify,omitempty" doc:"発送完了メールを送る（省略時 true）"`
}

// ShipmentOut is the answer of a shipment: the order, its transaction and the mail.
type ShipmentOut struct {
	Order    commerce.Order `json:"order"`
	Atobarai TxnJSON        `json:"atobarai"`
	Mail     string         `json:"mail" doc:"sent / not_requested / failed: 理由"`
}

// StatusIn is POST /api/v1/orders/status: a bulk status change.
type StatusIn struct {
	OrderIDs []string `json:"order_ids" required:"true"`
	Status   string   `json:"status" doc:"受注状態のコード（shipped = 発送完了）" required:"true"`
	Settle   bool     `json:"settle,omitempty" doc:"【決済済みに変更】: クロネコ代金後払いの受注はヤマトに出荷情報を登録（KAASL0010）し、発送完了メールを送る"`
}

// StatusResult is one order of a bulk status change.
type StatusResult struct {
	OrderID string `json:"order_id"`
	OK      bool   `json:"ok"`
	Queued  bool   `json:"queued,omitempty" doc:"ヤマトの登録待ちのため、出荷登録は自動で後から送ります"`
	Mail    string `json:"mail,omitempty"`
	Error   string `json:"error,omitempty"`
}

// StatusOut is the answer of a bulk status change.
type StatusOut struct {
	Results []StatusResult `json:"results"`
}

type noSettleKey struct{}

// withoutSettle marks a change that must not register anything at Yamato (発送完了 without
// 【決済済みに変更】).
func withoutSettle(ctx context.Context) context.Context {
	return context.WithValue(ctx, noSettleKey{}, true)
}

func settling(ctx context.Context) bool { v, _ := ctx.Value(noSettleKey{}).(bool); return !v }

func registerAPI(v1 *api.API, s *Service, store *commerce.Store) {
	const tag = "後払い"
	idParam := map[string]string{"id": "受注ID"}
	v1.Handle(api.Operation{Method: http.MethodGet, Path: "/api/v1/orders/{id}/atobarai", Perm: auth.PermView, ID: "getAtobarai", Tag: tag,
		Summary: "受注のクロネコ代金後払いの取引（与信・取引状況・警告・送り状番号・請求金額）", PathParams: idParam, Response: TxnJSON{}},
		api.Get(s.TxnOfOrder, txnJSON))
	v1.Handle(api.Operation{Method: http.MethodPost, Path: "/api/v1/orders/{id}/atobarai/refresh", Perm: auth.PermOperate, ID: "refreshAtobarai", Tag: tag,
		Summary: "ヤマトに取引状況をいま照会する（KAAST0010）", PathParams: idParam, Response: TxnJSON{}, Status: http.StatusOK},
		func(w http.ResponseWriter, r *http.Request) {
			t, err := s.TxnOfOrder(r.Context(), r.PathValue("id"))
			if err == nil {
				t, err = s.Refresh(r.Context(), t.ID)
			}
			if err != nil {
				web.WriteError(w, r, err)
				return
			}
			web.WriteJSON(w, http.StatusOK, txnJSON(t))
		})
	v1.Handle(api.Operation{Method: http.MethodPost, Path: "/api/v1/orders/{id}/shipment", Perm: auth.PermOperate, ID: "shipAtobarai", Tag: tag,
		Summary: "出荷登録: ヤマトに送り状番号を登録（KAASL0010）し、受注を出荷確定、発送完了メールを送る", PathParams: idParam,
		Request: ShipmentIn{}, Response: ShipmentOut{}, Status: http.StatusOK,
		Description: "ヤマトが受注を登録する前（決済依頼の直後）の出荷登録は送信待ちになり、待ち時間の後に自動で送ります（atobarai.queued_op）。"},
		api.Do(func(r *http.Request, in ShipmentIn) (ShipmentOut, error) {
			notify := in.Notify == nil || *in.Notify
			return s.ShipOrder(r.Context(), store, r.PathValue("id"), ShipmentInput{TrackingNo: in.TrackingNumber, ShipDate: in.ShipDate}, true, notify)
		}, func(o ShipmentOut) ShipmentOut { return o }))
	v1.Handle(api.Operation{Method: http.MethodPost, Path: "/api/v1/orders/status", Perm: auth.PermOperate, ID: "changeOrdersStatus", Tag: tag,
		Summary: "受注の一括ステータス変更（shipped と settle: true で後払いの出荷登録と発送完了メール）", Request: StatusIn{}, Response: StatusOut{}, Status: http.StatusOK},
		api.Do(func(r *http.Request, in StatusIn) (StatusOut, error) { return s.ChangeStatus(r.Context(), store, in) }, func(o StatusOut) StatusOut { return o }))
}

// ShipOrder registers the shipment of order id at Yamato first (when settle and the order is
// paid by 後払い: a refusal stops here, nothing changes), then confirms it in commerce and
// sends the 発送完了メール (when notify).
func (s *Service) ShipOrder(ctx context.Context, store *commerce.Store, orderID string, in ShipmentInput, settle, notify bool) (ShipmentOut, error) {
	var out ShipmentOut
	o, err := store.GetOrder(ctx, orderID)
	if err != nil {
		return out, err
	}
	if strings.TrimSpace(in.TrackingNo) == "" {
		in.TrackingNo = o.TrackingNumber
	}
	if o.OrderStatus != "shipped" && !commerce.OrderStatuses.Allows(o.OrderStatus, "ship") {
		// Checked before anything goes to Yamato: commerce would refuse the 出荷確定 after.
		return out, errs.Conflict(fmt.Sprintf("「%s」の受注は出荷確定できません。出荷待ちにしてから出荷確定してください", commerce.OrderStatuses.Label(o.OrderStatus)))
	}
	var t Txn
	if o.PaymentMethod == PaymentMethod {
		if t, err = s.TxnOfOrder(ctx, o.ID); err != nil {
			return out, err
		}
		if settle {
			if t, err = s.Ship(ctx, t.ID, in); err != nil {
				return out, err
			}
		}
	}
	no := in.TrackingNo
	if t.TrackingNo != "" {
		no = t.TrackingNo
	}
	day := in.ShipDate
	if day == "" {
		day = s.today()
	}
	if o.OrderStatus != "shipped" {
		carrier := o.Carrier
		if carrier == "" {
			carrier = yamato.CarrierYamato
		}
		sctx := ctx
		if !settle {
			sctx = withoutSettle(ctx)
		}
		if o, err = store.ShipOrder(sctx, o.ID, o.Version, carrier, no, day); err != nil {
			return out, err
		}
	}
	out.Order = o
	if t.ID != "" {
		t, _ = s.Txn(ctx, t.ID)
		out.Atobarai = txnJSON(t)
	}
	out.Mail = "not_requested"
	if notify {
		out.Mail = "sent"
		if err := s.NotifyShipped(ctx, o, no); err != nil {
			out.Mail = "failed: " + errMsg(err)
		}
	}
	return out, nil
}

// ChangeStatus changes the status of many orders, one by one (one refusal does not stop the
// others): 発送完了 (shipped) with settle registers the 後払い orders' shipments at Yamato and
// mails the buyers.
func (s *Service) ChangeStatus(ctx context.Context, store *commerce.Store, in StatusIn) (StatusOut, error) {
	out := StatusOut{Results: []StatusResult{}}
	if !commerce.OrderStatuses.Valid(in.Status) {
		return out, errs.Invalid("受注状態が正しくありません: "+in.Status).Field("status", "受注状態のコードを指定してください（発送完了は shipped）")
	}
	if len(in.OrderIDs) == 0 || len(in.OrderIDs) > 1000 {
		return out, errs.Invalid("受注を1〜1,000件指定してください").Field("order_ids", "1〜1,000件")
	}
	for _, id := range in.OrderIDs {
		res := StatusResult{OrderID: id}
		var err error
		if in.Status == "shipped" {
			var so ShipmentOut
			so, err = s.ShipOrder(ctx, store, id, ShipmentInput{}, in.Settle, in.Settle)
			res.Queued, res.Mail = so.Atobarai.QueuedOp != "", so.Mail
		} else {
			_, err = store.ModifyOrder(ctx, id, func(o *commerce.Order) error { o.OrderStatus = in.Status; return nil })
		}
		res.OK = err == nil
		if err != nil {
			res.Error = errMsg(err)
			if e := errs.As(err); e != nil {
				for _, v := range e.Fields {
					res.Error += "（" + v + "）"
					break
				}
			}
		}
		out.Results = append(out.Results, res)
	}
	return out, nil
}

// NotifyShipped sends the buyer the 発送完了メール once per transaction (orders not paid by
// 後払い get it each time they are asked).
func (s *Service) NotifyShipped(ctx context.Context, o commerce.Order, trackingNo string) error {
	if s.Mailer == nil {
		return errs.Conflict("メールの送信先（KESSAI_SMTP_ADDR）が設定されていません")
	}
	if o.CustomerID == "" || s.store == nil {
		return errs.Conflict("受注に顧客がないため、発送完了メールの宛先がありません")
	}
	cu, err := s.store.GetCustomer(ctx, o.CustomerID)
	if err != nil {
		return err
	}
	if cu.Email == "" {
		return errs.Conflict("顧客のメールアドレスが登録されていません")
	}
	t, terr := s.TxnOfOrder(ctx, o.ID)
	if terr == nil {
		// Claimed before it is sent, so of two requests (a double click, a retried bulk
		// change) one mails; a failed send gives the claim back. A crash in between leaves
		// it marked sent: a buyer misses a mail rather than getting two.
		res, err := s.db.ExecContext(ctx, `UPDATE atobarai_transactions SET mail_sent_at = ? WHERE id = ? AND mail_sent_at IS NULL`, s.now(), t.ID)
		if err != nil {
			return fmt.Errorf("atobarai: claim the 発送完了メール of %s: %w", o.Number, err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return nil // sent already, or being sent
		}
	}
	body := fmt.Sprintf("%s 様\n\nご注文の商品を発送しました。\n\n受注番号: %s\n配送業者: %s\n送り状番号: %s\n出荷日: %s\n合計: %d円\n",
		cu.Name, o.Number, orDefault(o.Carrier, yamato.CarrierYamato), trackingNo, o.ShippedOn, o.Total)
	if o.PaymentMethod == PaymentMethod {
		body += "\nお支払い方法: クロネコ代金後払い\n請求書は商品とは別に、ヤマトクレジットファイナンスから郵送されます。請求書に記載の期限までに、コンビニ・郵便局・銀行でお支払いください。\n"
	}
	m := mail.Message{To: cu.Email, Subject: "【発送完了】ご注文の商品を発送しました（受注番号 " + o.Number + "）", Body: body}
	if err := s.Mailer.Send(ctx, m); err != nil {
		if terr == nil {
			if _, uerr := s.db.ExecContext(context.WithoutCancel(ctx), `UPDATE atobarai_transactions SET mail_sent_at = NULL WHERE id = ?`, t.ID); uerr != nil {
				return errors.Join(err, fmt.Errorf("atobarai: give back the 発送完了メール of %s: %w", o.Number, uerr))
			}
		}
		return err
	}
	if terr != nil {
		return nil
	}
	return s.db.InTx(ctx, func(tx *db.Tx) error {
		return s.note(ctx, tx, t, "mail.shipped", "発送完了メールを送信しました（"+cu.Email+"）", "")
	})
}

func orDefault(s, d string) string {
	if s == "" {
		return d
	}
	return s
}

// BulkShip is the order list's 「一括ステータス変更：発送完了【決済済みに変更】」: each selected
// クロネコ代金後払い order with a tracking number is confirmed shipped (in the batch) and its
// shipment registered at Yamato and the 発送完了メール sent (after the batch).
func (s *Service) BulkShip(store *commerce.Store) bulk.Action {
	return bulk.Action{Name: "atobarai_ship_settle", Label: "一括ステータス変更：発送完了【決済済みに変更】（クロネコ代金後払い）",
		RecordType: "order", Perm: auth.PermOperate,
		Description: "クロネコ代金後払いの受注を出荷確定にし、ヤマトに出荷情報（送り状番号）を登録して、購入者に発送完了メールを送ります。送り状番号のない受注・与信OKでない受注はエラー、後払い以外の受注はスキップします。",
		Outcomes: []bulk.Outcome{{Code: "done", Label: "完了", Level: "ok"}, {Code: "queued", Label: "送信待ち（ヤマトの登録待ち）", Level: "warn"},
			{Code: "skipped", Label: "スキップ"}},
		Do: func(ctx context.Context, tx *db.Tx, id string) (string, string, error) {
			o, err := store.GetOrder(ctx, id)
			if err != nil {
				return bulk.OutcomeError, errMsg(err), nil
			}
			if o.PaymentMethod != PaymentMethod {
				return "skipped", "クロネコ代金後払いの受注ではありません", nil
			}
			t, err := getTxn(ctx, tx, `t.order_id = ?`, id)
			if err != nil {
				return bulk.OutcomeError, "後払いの取引がありません", nil
			}
			if t.Credit != CreditOK {
				return bulk.OutcomeError, "与信が「" + CreditStates.Label(t.Credit) + "」のため出荷できません", nil
			}
			no, err := normTracking(o.TrackingNumber)
			if err != nil {
				return bulk.OutcomeError, "送り状番号: " + errMsg(err) + "。受注に送り状番号を入れてください", nil
			}
			if o.OrderStatus == "shipped" && t.TrackingNo == no {
				return "skipped", "出荷登録済みです", nil
			}
			if _, err := store.ModifyOrderTx(ctx, tx, id, func(o *commerce.Order) error {
				o.OrderStatus = "shipped"
				if o.ShippedOn == "" {
					o.ShippedOn = s.today()
				}
				if o.Carrier == "" {
					o.Carrier = yamato.CarrierYamato
				}
				return nil
			}); err != nil {
				return bulk.OutcomeError, errMsg(err), nil
			}
			if mode, err := s.mode(ctx); err == nil && mode == ModeCSV {
				return "done", "", nil // CSV mode: the 出荷情報一括登録CSV registers it at Yamato
			}
			if t.TrackingNo != no {
				day := s.today()
				if o.ShippedOn != "" {
					day = o.ShippedOn
				}
				shipDay, _ := parseDay(day)
				if _, err := s.enqueueTx(ctx, tx, t, OpShipment, opReq{Shipment: &yamato.ShipmentRequest{OrderNo: t.OrderNo, TrackingNo: no,
					ProcessDiv: yamato.ProcessRegister, ShipDate: shipDay}, ShipDate: day}); err != nil {
					return bulk.OutcomeError, errMsg(err), nil
				}
			}
			return "done", "", nil
		},
		After: func(ctx context.Context, r bulk.Result) bulk.Result {
			t, err := s.TxnOfOrder(ctx, r.RecordID)
			if err != nil {
				return bulk.Result{RecordID: r.RecordID, Outcome: bulk.OutcomeError, Reason: errMsg(err)}
			}
			if err := s.runQueuedOne(ctx, t.ID); err != nil {
				return bulk.Result{RecordID: r.RecordID, Outcome: bulk.OutcomeError, Reason: "ヤマトへの出荷登録: " + errMsg(err)}
			}
			t, _ = s.Txn(ctx, t.ID)
			o, err := store.GetOrder(ctx, r.RecordID)
			if err != nil {
				return bulk.Result{RecordID: r.RecordID, Outcome: bulk.OutcomeError, Reason: errMsg(err)}
			}
			reason := "ヤマトに出荷登録しました"
			out := "done"
			switch {
			case t.QueuedOp != "":
				out, reason = "queued", "ヤマトの登録待ちのため、出荷登録は自動で送ります"
			case t.TrackingNo == "":
				reason = "CSV連携のため、出荷情報一括登録CSVでヤマトに登録してください"
			}
			if err := s.NotifyShipped(ctx, o, o.TrackingNumber); err != nil {
				reason += "。発送完了メールは送れませんでした: " + errMsg(err)
			} else {
				reason += "。発送完了メールを送りました"
			}
			return bulk.Result{RecordID: r.RecordID, Outcome: out, Reason: reason}
		},
	}
}
