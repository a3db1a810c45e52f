package atobarai

import (
	"context"
	"errors"
	"fmt"
	"time"

	"kessai/internal/commerce"
	"kessai/internal/platform/audit"
	"kessai/internal/platform/clock"
	"kessai/internal/platform/db"
	"kessai/internal/platform/errs"
	"kessai/internal/provider/yamato"
)

// The payment lifecycle of クロネコ代金後払い orders (commerce.PaymentHandler):
//
//   - checkout (POST /api/v1/orders, 新規登録): in API mode the credit runs before the order is
//     saved; only 与信OK (and 与信保留, saved 保留) creates it — any other answer refuses the
//     order with a message for the buyer and keeps nothing but the audit entry.
//   - cancel, 出荷確定, a lower total, leaving 後払い: the call is queued on the transaction in
//     commerce's transaction (durable with the change) and sent right after the commit (or by
//     the periodic job after Yamato's follow-up window).
//   - a content change with the same amount, an increase: refused with the explanation.
//   - switching back to 後払い: a new credit after the commit.
//
// In CSV mode nothing is sent: the 買手情報一括登録CSV and the result file carry the credit.

type txnKey struct{}

// Handler is the room's payment handler over store.
func (s *Service) Handler(store *commerce.Store) commerce.PaymentHandler {
	s.store = store
	return commerce.PaymentHandler{Room: Room, Authorize: s.authorize, Create: s.create, Change: s.change}
}

// RefusedMessage is what the buyer reads when Yamato does not accept the order.
const RefusedMessage = "クロネコ代金後払いをご利用いただけませんでした。お手数ですが、別のお支払い方法をお選びください"

func (s *Service) mode(ctx context.Context) (string, error) {
	if m, ok := s.clients.(interface {
		Mode(context.Context) (string, error)
	}); ok {
		return m.Mode(ctx)
	}
	_, set, err := s.clients.Client(ctx)
	if err != nil {
		return "", err
	}
	return set.Mode, nil
}

func (s *Service) authorize(ctx context.Context, o commerce.Order) (context.Context, commerce.Order, error) {
	mode, err := s.mode(ctx)
	if err != nil {
		return ctx, o, errs.E(errs.KindUnavailable, "ただいまクロネコ代金後払いをご利用いただけません（"+errMsg(err)+"）")
	}
	if mode == ModeCSV {
		return ctx, o, nil // the credit goes by the 買手情報一括登録CSV
	}
	if o.OrderedAt.IsZero() {
		o.OrderedAt = s.now()
	}
	v, err := commerce.ValidateOrder(o)
	if err != nil {
		return ctx, o, err
	}
	email := ""
	if v.CustomerID != "" && s.store != nil {
		if cu, err := s.store.GetCustomer(ctx, v.CustomerID); err == nil {
			email = cu.Email
		}
	}
	req := CreditRequestOf(v, email, s.clock.Now())
	if err := CheckRequest(req, s.now()); err != nil {
		return ctx, o, err
	}
	t, err := s.Prepare(ctx, "", ModeAPI, req)
	if err != nil {
		return ctx, o, err
	}
	if t, err = s.Credit(ctx, t.ID); err != nil {
		return ctx, o, err
	}
	switch t.Credit {
	case CreditOK:
		o.AuthorizationStatus, o.AuthorizedOn = "authorized", s.today()
	case CreditHold:
		o.AuthorizationStatus = "pending"
		if o.OrderStatus == "" || o.OrderStatus == "new" {
			o.OrderStatus = "on_hold" // not to be shipped before Yamato decides
		}
	case CreditNG, CreditFailed:
		if err := s.refused(ctx, t); err != nil {
			return ctx, o, err
		}
		e := errs.Invalid(RefusedMessage).Field("payment_method", RefusedMessage)
		if t.Credit == CreditFailed && t.LastError != "" {
			e.Field("atobarai", "ヤマトの応答: "+t.LastError)
		}
		return ctx, o, e
	default:
		// Unknown outcome: the janitor settles it; an approved credit without an order is
		// cancelled at Yamato by the status job (orphans).
		return ctx, o, errs.E(errs.KindUnavailable, "クロネコ代金後払いの与信結果を確認できませんでした。しばらくしてからもう一度お試しください")
	}
	return context.WithValue(ctx, txnKey{}, t.ID), o, nil
}

func errMsg(err error) string {
	if e := errs.As(err); e != nil {
		return e.Message
	}
	return err.Error()
}

// refused keeps only the audit entry of a refused checkout credit.
func (s *Service) refused(ctx context.Context, t Txn) error {
	return s.db.InTx(ctx, func(tx *db.Tx) error {
		if s.Audit != nil {
			if err := s.Audit.Record(ctx, tx, audit.Entry{Action: "atobarai.credit_refused", RecordType: RecordType, RecordID: t.ID,
				Before: map[string]any{"order_no": t.OrderNo, "total": t.Total, "credit": t.Credit, "credit_result": t.CreditResult, "error": t.LastError},
				Note:   "クロネコ代金後払いの与信が通らなかったため、受注は登録していません"}); err != nil {
				return err
			}
		}
		_, err := tx.ExecContext(ctx, `DELETE FROM atobarai_transactions WHERE id = ? AND order_id IS NULL`, t.ID)
		return err
	})
}

func (s *Service) create(ctx context.Context, tx *db.Tx, o commerce.Order) (commerce.AfterCreate, error) {
	id, _ := ctx.Value(txnKey{}).(string)
	if id == "" {
		return nil, nil // CSV mode
	}
	// Not a credit the orphan cancel has claimed or withdrawn (a checkout slower than
	// orphanAfter): the order would say 与信OK over a credit Yamato no longer holds.
	res, err := tx.ExecContext(ctx, `UPDATE atobarai_transactions SET order_id = ?, updated_at = ?
		WHERE id = ? AND order_id IS NULL AND busy = '' AND status <> ?`, o.ID, s.now(), id, string(yamato.StatusCancelled))
	if err != nil {
		return nil, fmt.Errorf("atobarai: link transaction %s to order %s: %w", id, o.ID, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return nil, errs.Conflict("後払いの与信がほかの受注に使われました。もう一度注文してください")
	}
	t, err := getTxn(ctx, tx, `t.id = ?`, id)
	if err != nil {
		return nil, err
	}
	if err := s.note(ctx, tx, t, "credit.answered", fmt.Sprintf("注文時の与信: %s（ヤマトの受注番号 %s、審査結果 %s）", CreditStates.Label(t.Credit), t.OrderNo, t.CreditResult), ""); err != nil {
		return nil, err
	}
	return func(context.Context) (map[string]any, error) {
		return map[string]any{"atobarai": map[string]any{"credit": t.Credit, "credit_label": CreditStates.Label(t.Credit),
			"order_no": t.OrderNo, "credit_result": t.CreditResult}}, nil
	}, nil
}

// needsCancel reports whether Yamato holds a credit of t that a cancel must withdraw.
func needsCancel(t Txn) bool {
	return (t.Credit == CreditOK || t.Credit == CreditHold || t.Credit == CreditUnclear) && t.Status != string(yamato.StatusCancelled)
}

func (s *Service) change(ctx context.Context, tx *db.Tx, c commerce.OrderChange) (commerce.AfterCommit, error) {
	mine := func(o commerce.Order) bool { return o.PaymentMethod == PaymentMethod }
	t, err := getTxn(ctx, tx, `t.order_id = ?`, c.After.ID)
	has := err == nil
	if err != nil && errs.KindOf(err) != errs.KindNotFound {
		return nil, err
	}
	if has && t.Busy != "" {
		return nil, errs.Conflict("後払いの" + opLabel(t.Busy) + "をヤマトへ送信中です。少し待ってからもう一度保存してください")
	}
	mode, merr := s.mode(ctx)
	api := merr == nil && mode == ModeAPI
	switch {
	case c.MethodChanged() && mine(c.Before):
		if !has || !needsCancel(t) {
			return nil, nil
		}
		if !api {
			return nil, s.note(ctx, tx, t, "cancel.manual", "支払方法を変更しました。CSV連携のため、ヤマトの管理画面で与信を取り消してください", "")
		}
		return s.enqueueTx(ctx, tx, t, OpCancel, opReq{})
	case c.MethodChanged() && mine(c.After):
		return s.switchedTo(ctx, tx, t, has, api, c.After)
	case !mine(c.After) || !has:
		return nil, nil
	}
	cr := CreditRequestOf(c.After, "", s.clock.Now())
	switch c.Kind() {
	case commerce.ChangeCancel:
		if !needsCancel(t) {
			return nil, nil
		}
		if yamato.Status(t.Status) == yamato.StatusPaid {
			return nil, errs.Conflict("入金済みのクロネコ代金後払いは取り消せません（ヤマト kaacl015E）。返金は別途行ってください")
		}
		if !api {
			return nil, s.note(ctx, tx, t, "cancel.manual", "受注をキャンセルしました。CSV連携のため、ヤマトの管理画面で与信を取り消してください", "")
		}
		return s.enqueueTx(ctx, tx, t, OpCancel, opReq{})
	case commerce.ChangeShip:
		if t.Credit != CreditOK {
			return nil, errs.Conflict(fmt.Sprintf("クロネコ代金後払いの与信が「%s」のため出荷確定できません", CreditStates.Label(t.Credit)))
		}
		if !api || !settling(ctx) {
			return nil, nil // the 出荷情報一括登録CSV carries it, or 発送完了 without 決済済みに変更
		}
		no, err := normTracking(c.After.TrackingNumber)
		if err != nil {
			return nil, err
		}
		day := c.After.ShippedOn
		if day == "" {
			day = s.today()
		}
		if no == t.TrackingNo && t.Status != string(yamato.StatusApproved) {
			return nil, nil // registered already (POST …/shipment)
		}
		shipDay, _ := time.ParseInLocation("2006-01-02", day, clock.JST)
		return s.enqueueTx(ctx, tx, t, OpShipment, opReq{Shipment: &yamato.ShipmentRequest{OrderNo: t.OrderNo, TrackingNo: no, ProcessDiv: yamato.ProcessRegister, ShipDate: shipDay}, ShipDate: day})
	}
	if t.Credit != CreditOK || c.After.OrderStatus == "cancelled" {
		return nil, nil
	}
	sameContent := sameItems(CreditRequestOf(c.Before, "", s.clock.Now()).Items, cr.Items)
	switch {
	case !c.AmountChanged() && sameContent:
		return nil, nil
	case !c.AmountChanged():
		return nil, errs.Conflict(SameAmountMessage)
	case c.After.Total > t.Total || c.After.Total >= t.InitialTotal:
		return nil, errs.Conflict(fmt.Sprintf("クロネコ代金後払いは増額できません（いま %d円、最初の与信 %d円）。増額するには支払方法をいったん後払い以外に変更して保存し、もう一度後払いに戻して与信をやり直してください", t.Total, t.InitialTotal))
	case !api:
		return nil, s.note(ctx, tx, t, "reduce.manual", fmt.Sprintf("合計を %d円 に変更しました。CSV連携のため、ヤマトの管理画面で減額してください", c.After.Total), "")
	}
	old, err := t.Request()
	if err != nil {
		return nil, err
	}
	return s.enqueueTx(ctx, tx, t, OpReduce, opReq{Reduce: &yamato.ReductionRequest{OrderNo: t.OrderNo, PostCode: old.PostCode, Address: old.Address,
		Items: cr.Items, TotalAmount: c.After.Total}})
}

func sameItems(a, b []yamato.Item) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// switchedTo starts a new credit for an order that switched to 後払い (after the commit). A
// previous transaction of the order must be withdrawn first; it stays as history.
func (s *Service) switchedTo(ctx context.Context, tx *db.Tx, old Txn, has, api bool, o commerce.Order) (commerce.AfterCommit, error) {
	if has {
		if needsCancel(old) {
			return nil, errs.Conflict("前のクロネコ代金後払いの与信の取消がまだ終わっていません。取消が終わってから後払いに戻してください")
		}
		if _, err := tx.ExecContext(ctx, `UPDATE atobarai_transactions SET order_id = NULL, updated_at = ? WHERE id = ?`, s.now(), old.ID); err != nil {
			return nil, fmt.Errorf("atobarai: detach transaction %s: %w", old.ID, err)
		}
	}
	if !api {
		return nil, nil // CSV mode: the next 買手情報一括登録CSV carries it
	}
	req := CreditRequestOf(o, "", s.clock.Now())
	if s.store != nil && o.CustomerID != "" {
		var email string
		if err := tx.QueryRowContext(ctx, `SELECT email FROM customers WHERE id = ?`, o.CustomerID).Scan(&email); err == nil {
			req.Email = email
		}
	}
	if err := CheckRequest(req, s.now()); err != nil {
		return nil, err
	}
	req.OrderNo = NewOrderNo()
	t, err := s.insertTxn(ctx, tx, o.ID, ModeAPI, CreditNew, req)
	if err != nil {
		return nil, err
	}
	if err := s.note(ctx, tx, t, "credit.queued", "支払方法をクロネコ代金後払いにしました。保存後に与信を送ります（受注番号 "+t.OrderNo+"）", ""); err != nil {
		return nil, err
	}
	return func(ctx context.Context) {
		if _, err := s.Credit(ctx, t.ID); err != nil {
			s.log.ErrorContext(ctx, "atobarai: credit after switching to 後払い", "order", o.ID, "txn", t.ID, "error", err)
		}
	}, nil
}

// resumeAfter: an order's credit still unsent this long after it was prepared (a switch back
// to 後払い whose after-commit step died) is sent by the periodic job.
const resumeAfter = 2 * time.Minute

// resumeCredits sends the credits that switching an order to 後払い promised and that no
// after-commit step sent (the process died, or no client then), for orders still open and
// paid by 後払い. Credit's claim sends each once, whoever else tries.
func (s *Service) resumeCredits(ctx context.Context) (int, error) {
	if s.store == nil {
		return 0, nil // no commerce (the room's service alone): no orders to switch
	}
	ids, err := db.Strings(ctx, s.db, `SELECT t.id FROM atobarai_transactions t JOIN orders o ON o.id = t.order_id
		WHERE t.mode = ? AND t.credit = ? AND t.busy = '' AND t.created_at <= ? AND o.payment_method = ? AND o.order_status <> 'cancelled'
		ORDER BY t.created_at LIMIT 100`, ModeAPI, CreditNew, s.now().Add(-resumeAfter), PaymentMethod)
	if err != nil {
		return 0, fmt.Errorf("atobarai: unsent credits: %w", err)
	}
	n := 0
	var errList []error
	for _, id := range ids {
		if _, err := s.Credit(ctx, id); err != nil {
			if errs.KindOf(err) != errs.KindConflict { // another run took it
				errList = append(errList, fmt.Errorf("credit %s: %w", id, err))
			}
			continue
		}
		n++
	}
	return n, errors.Join(errList...)
}

// enqueueTx queues op on t in commerce's transaction (durable with the change) and returns the
// after-commit step that sends it when Yamato's follow-up window allows.
func (s *Service) enqueueTx(ctx context.Context, tx *db.Tx, t Txn, op string, r opReq) (commerce.AfterCommit, error) {
	until := s.now()
	if w := t.CreditedAt.Add(s.FollowUp); !t.CreditedAt.IsZero() && w.After(until) {
		until = w
	}
	// A cancel replaces whatever waits; anything else never replaces another operation (a
	// reduction saved over a waiting shipment would leave Yamato without the 送り状番号).
	if t.QueuedOp != "" && t.QueuedOp != op && op != OpCancel {
		return nil, errs.Conflict(fmt.Sprintf("後払いの%sがヤマトへの送信待ちです。送信が終わってから（数秒〜数分）もう一度保存してください", opLabel(t.QueuedOp)))
	}
	res, err := tx.ExecContext(ctx, `UPDATE atobarai_transactions SET queued_op = ?, op_args = ?, queued_until = ?, updated_at = ?
		WHERE id = ? AND busy = '' AND queued_op = ?`, op, r.encode(), until, s.now(), t.ID, t.QueuedOp)
	if err != nil {
		return nil, fmt.Errorf("atobarai: queue %s %s: %w", op, t.ID, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return nil, errs.Conflict("後払いの取引が送信中です。少し待ってからもう一度保存してください")
	}
	if err := s.note(ctx, tx, t, op+".queued", fmt.Sprintf("%sをヤマトへ送信します", opLabel(op)), ""); err != nil {
		return nil, err
	}
	return func(ctx context.Context) {
		if err := s.runQueuedOne(ctx, t.ID); err != nil {
			s.log.WarnContext(ctx, "atobarai: queued operation", "op", op, "txn", t.ID, "error", err)
		}
	}, nil
}

// runQueuedOne sends t's queued operation now if its time has come (RunQueued's step).
func (s *Service) runQueuedOne(ctx context.Context, id string) error {
	t, err := s.Txn(ctx, id)
	if err != nil {
		return err
	}
	if t.QueuedOp == "" || t.Busy != "" || t.QueuedUntil.After(s.now()) {
		return nil
	}
	r, err := decodeOp(t.opArgs)
	if err != nil {
		return err
	}
	// The entry leaves the queue in the operation's claim (runOp clears queued_op), and only
	// while it is still this entry: of two runs (the after-commit step, the periodic job, two
	// instances) one sends it, and a crash before the claim leaves it queued for the next run.
	cond, args := `queued_op = ? AND op_args = ?`, []any{t.QueuedOp, t.opArgs}
	switch t.QueuedOp {
	case OpShipment:
		if r.Shipment == nil {
			return errors.New("atobarai: queued shipment without its request")
		}
		_, err = s.ship(ctx, t.ID, ShipmentInput{TrackingNo: r.Shipment.TrackingNo, ShipDate: r.ShipDate}, cond, args...)
	case OpCancel:
		_, err = s.cancel(ctx, t.ID, cond, args...)
	case OpReduce:
		if r.Reduce == nil {
			return errors.New("atobarai: queued reduction without its request")
		}
		_, err = s.reduce(ctx, t.ID, ReduceInput{Items: r.Reduce.Items, Total: r.Reduce.TotalAmount}, cond, args...)
	}
	if k := errs.KindOf(err); err == nil || k == errs.KindConflict || k == errs.KindInvalid {
		// Done, nothing to do, or refused (here, or by Yamato: recorded by the attempt): an
		// entry no claim took is taken off the queue, a refusal shown as 送信エラー. Other
		// errors (no client, the database) leave it queued for the next run.
		if derr := s.dropQueued(ctx, t, err); derr != nil {
			return errors.Join(err, derr)
		}
	}
	if err != nil {
		return fmt.Errorf("%s %s: %w", t.QueuedOp, t.OrderNo, err)
	}
	return nil
}

// dropQueued takes t's queued operation, refused before it was sent, off the queue with the
// reason, if it is still the entry that was refused.
func (s *Service) dropQueued(ctx context.Context, t Txn, refused error) error {
	return s.db.InTx(ctx, func(tx *db.Tx) error {
		cur, err := getTxn(ctx, tx, `t.id = ?`, t.ID)
		if err != nil {
			return err
		}
		if cur.QueuedOp != t.QueuedOp || cur.opArgs != t.opArgs || !cur.QueuedUntil.Equal(t.QueuedUntil) || cur.Busy != "" {
			return nil // claimed (and maybe queued again after Yamato's answer), or replaced
		}
		msg, line := "", ""
		if refused != nil {
			msg = trimMsg(errMsg(refused))
			line = fmt.Sprintf("送信待ちの%sを送れませんでした: %s", opLabel(t.QueuedOp), errMsg(refused))
		}
		res, err := tx.ExecContext(ctx, `UPDATE atobarai_transactions SET queued_op = '', queued_until = NULL,
			last_error = CASE WHEN ? = '' THEN last_error ELSE ? END, updated_at = ?
			WHERE id = ? AND queued_op = ? AND op_args = ? AND busy = ''`, msg, msg, s.now(), t.ID, t.QueuedOp, t.opArgs)
		if err != nil {
			return fmt.Errorf("atobarai: drop queued %s %s: %w", t.QueuedOp, t.ID, err)
		}
		if n, _ := res.RowsAffected(); n == 0 || line == "" {
			return nil
		}
		return s.note(ctx, tx, t, t.QueuedOp+".failed", line, "")
	})
}
