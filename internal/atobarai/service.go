package atobarai

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"golang.org/x/text/width"

	"kessai/internal/commerce"
	"kessai/internal/platform/attempt"
	"kessai/internal/platform/audit"
	"kessai/internal/platform/clock"
	"kessai/internal/platform/db"
	"kessai/internal/platform/errs"
	"kessai/internal/platform/mail"
	"kessai/internal/provider/yamato"
)

// Clients gives the API client of the connection as it is now (Conn in kessai, a client to a
// test's simulator in tests).
type Clients interface {
	Client(ctx context.Context) (*yamato.Client, Settings, error)
}

// History writes a line of an order's 履歴 tab in the change's transaction (commerce.Store).
type History interface {
	AppendOrderHistory(ctx context.Context, q db.Querier, e commerce.OrderEvent) (commerce.OrderEvent, error)
}

// Service runs the room's operations. It holds no state of its own; every instance over the
// same database may run them.
type Service struct {
	db      *db.DB
	clock   clock.Clock
	runner  *attempt.Runner
	clients Clients
	history History
	log     *slog.Logger
	// FollowUp is Yamato's follow-up window: for this long after a credit, an operation on the
	// order is queued and sent after it (10 s; the sandbox's window is 5 s).
	FollowUp time.Duration
	// NotFoundGrace: an operation refused as 存在しない受注番号 within this long after the credit
	// is Yamato's registration delay, queued again for FollowUp later (10 minutes).
	NotFoundGrace time.Duration
	// ConcludeAfter is how long after a call was sent "Yamato has no such order" is taken to
	// mean it never arrived (2 minutes, past any follow-up window).
	ConcludeAfter time.Duration
	// OnCredit, when set, runs in the transaction that records a changed credit decision found
	// by a status read (与信保留 → OK/NG, an OK → NG flip), to bring the order along.
	OnCredit func(ctx context.Context, tx *db.Tx, t Txn) error
	// Audit records a refused checkout credit (the only trace it leaves).
	Audit *audit.Log
	// Mailer sends the 発送完了メール (nil: none configured).
	Mailer *mail.Sender

	store *commerce.Store
}

// NewService returns the room's service. history may be nil (no order history lines).
func NewService(d *db.DB, c clock.Clock, r *attempt.Runner, clients Clients, history History, log *slog.Logger) *Service {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	s := &Service{db: d, clock: c, runner: r, clients: clients, history: history, log: log,
		FollowUp: 10 * time.Second, NotFoundGrace: 10 * time.Minute, ConcludeAfter: 2 * time.Minute}
	if st, ok := history.(*commerce.Store); ok {
		s.store = st
	}
	return s
}

// WithRunner is s sending through r (a test's runner with step hooks).
func (s *Service) WithRunner(r *attempt.Runner) *Service {
	c := *s
	c.runner = r
	return &c
}

func (s *Service) now() time.Time { return s.clock.Now().UTC() }

// wallNow is the attempt log's clock: "how long ago was it sent" runs on it.
func (s *Service) wallNow() time.Time { return s.runner.Log().Now() }

// note appends a history line to t's order, if it has one.
func (s *Service) note(ctx context.Context, q db.Querier, t Txn, kind, summary, detail string) error {
	if s.history == nil || t.OrderID == "" {
		return nil
	}
	_, err := s.history.AppendOrderHistory(ctx, q, commerce.OrderEvent{OrderID: t.OrderID, Room: Room, Kind: kind, Summary: summary, Detail: detail})
	return err
}

// outcomeOf classifies a call's error: refused (Failed, with Yamato's code), never sent
// (Failed), or unknown (anything that may have reached Yamato without a readable answer).
func outcomeOf(err error) attempt.Outcome {
	if yamato.IsOutcomeUnknown(err) {
		return attempt.Outcome{State: attempt.Unknown, Message: err.Error()}
	}
	if ve, ok := errors.AsType[*yamato.ValidationError](err); ok {
		code := ""
		if len(ve.Fields) > 0 {
			code = ve.Fields[0].Code
		}
		return attempt.Outcome{State: attempt.Failed, Code: code, Message: ve.Error()}
	}
	if ae, ok := errors.AsType[*yamato.APIError](err); ok {
		return attempt.Outcome{State: attempt.Failed, Code: ae.Code, Message: yamato.Describe(ae.Code)}
	}
	if te, ok := errors.AsType[*yamato.TransportError](err); ok && !te.Sent {
		return attempt.Outcome{State: attempt.Failed, Code: attempt.CodeNotSent, Message: err.Error()}
	}
	return attempt.Outcome{State: attempt.Unknown, Message: err.Error()}
}

// failure is the error a person sees for a failed outcome.
func failure(o attempt.Outcome, what string) error {
	msg := o.Message
	if o.Code != "" {
		msg = o.Code + " " + msg
	}
	return errs.Conflict(fmt.Sprintf("ヤマトが%sを受け付けませんでした: %s", what, msg))
}

func isNotFoundCode(code string) bool {
	return len(code) == 9 && strings.HasSuffix(code, "008E")
}

// ---- credit (KAARA0010) ----------------------------------------------------------------------

func creditDecision(a yamato.CreditAnswer) string {
	switch a.Decision() {
	case yamato.Approved:
		return CreditOK
	case yamato.Refused:
		return CreditNG
	case yamato.Pending:
		return CreditHold
	}
	return CreditUnclear
}

// creditOutcome: any answer with returnCode 0 is the credit done, whatever the decision; the
// decision travels in Response ("decision=ok result=0 requestDate=…").
func creditOutcome(a yamato.CreditAnswer, err error) attempt.Outcome {
	if err != nil {
		return outcomeOf(err)
	}
	d := creditDecision(a)
	return attempt.Outcome{State: attempt.Succeeded, Code: a.Answer.Result, Message: CreditStates.Label(d),
		Response: fmt.Sprintf("decision=%s result=%s requestDate=%s", d, a.Answer.Result, a.RequestDate)}
}

func responseField(resp, key string) string {
	for _, f := range strings.Fields(resp) {
		if v, ok := strings.CutPrefix(f, key+"="); ok {
			return v
		}
	}
	return ""
}

// Credit sends the prepared transaction id's credit request (KAARA0010) once and records the
// decision. It answers the transaction as recorded; an outcome still unknown leaves it 与信中
// for the janitor.
func (s *Service) Credit(ctx context.Context, id string) (Txn, error) {
	cl, _, err := s.clients.Client(ctx)
	if err != nil {
		return Txn{}, err
	}
	var req yamato.CreditRequest
	_, err = s.runner.Run(ctx, attempt.Op{
		Claim: func(ctx context.Context, tx *db.Tx) (attempt.Attempt, error) {
			t, err := getTxn(ctx, tx, `t.id = ?`, id)
			if err != nil {
				return attempt.Attempt{}, err
			}
			if req, err = t.Request(); err != nil {
				return attempt.Attempt{}, err
			}
			a := attempt.Attempt{ID: db.NewID("att"), Room: Room, RecordType: RecordType, RecordID: id, Operation: OpCredit,
				IdempotencyKey: t.OrderNo, RequestSummary: fmt.Sprintf("KAARA0010 orderNo=%s totalAmount=%d", t.OrderNo, t.Total)}
			res, err := tx.ExecContext(ctx, `UPDATE atobarai_transactions SET credit = ?, busy = ?, attempt_id = ?, last_error = '', updated_at = ?
				WHERE id = ? AND busy = '' AND credit IN (?, ?)`, CreditSending, OpCredit, a.ID, s.now(), id, CreditNew, CreditFailed)
			if err != nil {
				return a, fmt.Errorf("atobarai: claim credit %s: %w", id, err)
			}
			if n, _ := res.RowsAffected(); n == 0 {
				return a, errs.Conflict(fmt.Sprintf("この取引の与信はいま送れません（%s%s）", CreditStates.Label(t.Credit), busyNote(t.Busy)))
			}
			return a, nil
		},
		Send: func(ctx context.Context, a attempt.Attempt) attempt.Outcome {
			ans, err := cl.Credit(ctx, req)
			return creditOutcome(ans, err)
		},
		Apply: s.applyCredit,
		Late:  s.late(s.applyCredit),
	})
	if err != nil && !errors.Is(err, attempt.ErrAbandoned) {
		if errs.As(err) != nil {
			return Txn{}, err
		}
		return Txn{}, fmt.Errorf("atobarai: credit %s: %w", id, err)
	}
	return s.Txn(ctx, id)
}

func busyNote(busy string) string {
	if busy == "" {
		return ""
	}
	return "、" + opLabel(busy) + "の送信中"
}

func opLabel(op string) string {
	switch op {
	case OpCredit:
		return "与信"
	case OpShipment:
		return "出荷登録"
	case OpCancel:
		return "取消"
	case OpReduce:
		return "減額"
	}
	return op
}

func (s *Service) applyCredit(ctx context.Context, tx *db.Tx, a attempt.Attempt, o attempt.Outcome) error {
	t, err := getTxn(ctx, tx, `t.id = ?`, a.RecordID)
	if err != nil || t.attemptID != a.ID {
		return err
	}
	now := s.now()
	switch o.State {
	case attempt.Succeeded:
		d := responseField(o.Response, "decision")
		if !CreditStates.Valid(d) {
			d = CreditUnclear
		}
		st := ""
		if d == CreditOK || d == CreditHold {
			st = string(yamato.StatusApproved)
		}
		if responseField(o.Response, "status") != "" {
			st = responseField(o.Response, "status")
		}
		if _, err := tx.ExecContext(ctx, `UPDATE atobarai_transactions SET credit = ?, credit_result = ?, status = ?, busy = '',
			credited_at = ?, checked_at = ?, updated_at = ? WHERE id = ? AND attempt_id = ?`, d, o.Code, st, now, now, now, t.ID, a.ID); err != nil {
			return fmt.Errorf("atobarai: record credit %s: %w", t.ID, err)
		}
		if err := s.note(ctx, tx, t, "credit.answered", fmt.Sprintf("与信の結果: %s（審査結果 %s %s）", CreditStates.Label(d), o.Code, yamato.CreditResult(o.Code).Label()), o.Response); err != nil {
			return err
		}
		if s.OnCredit != nil && t.OrderID != "" {
			t.Credit = d
			return s.OnCredit(ctx, tx, t)
		}
		return nil
	case attempt.Failed:
		if _, err := tx.ExecContext(ctx, `UPDATE atobarai_transactions SET credit = ?, busy = '', last_error = ?, updated_at = ?
			WHERE id = ? AND attempt_id = ?`, CreditFailed, trimMsg(o.Code+" "+o.Message), now, t.ID, a.ID); err != nil {
			return fmt.Errorf("atobarai: record credit %s: %w", t.ID, err)
		}
		return s.note(ctx, tx, t, "credit.failed", "与信を受け付けられませんでした: "+o.Code, o.Message)
	}
	return nil
}

func trimMsg(s string) string {
	s = strings.TrimSpace(s)
	if r := []rune(s); len(r) > 500 {
		return string(r[:500])
	}
	return s
}

// late applies an answer that came after the janitor settled the attempt: a success overturns
// the janitor's failure, never dropped.
func (s *Service) late(apply func(context.Context, *db.Tx, attempt.Attempt, attempt.Outcome) error) func(context.Context, attempt.Attempt, attempt.Outcome) error {
	return func(ctx context.Context, a attempt.Attempt, o attempt.Outcome) error {
		if o.State != attempt.Succeeded {
			return nil
		}
		return s.db.InTx(ctx, func(tx *db.Tx) error {
			if ok, err := s.runner.Log().Overturn(ctx, tx, a.ID, o); err != nil || !ok {
				return err
			}
			return apply(ctx, tx, a, o)
		})
	}
}

// ---- shipment (KAASL0010), cancel (KAACL0010), reduction (KAAKK0010) ----------------------

// ShipmentInput is a shipment registration: the ヤマト運輸 送り状番号 and the ship date.
type ShipmentInput struct {
	TrackingNo string `json:"tracking_number"`
	ShipDate   string `json:"ship_date,omitempty"` // YYYY-MM-DD (JST); today when empty
}

// ReduceInput is the new content of a lowered order: its lines (Σ subtotal = total).
type ReduceInput struct {
	Items []yamato.Item `json:"items"`
	Total int64         `json:"total"`
}

// normTracking is the 12-digit number as Yamato wants it (hyphens and full-width digits
// removed) and whether its check digit holds.
func normTracking(s string) (string, error) {
	no := strings.NewReplacer("-", "", "ー", "", " ", "", "　", "").Replace(width.Narrow.String(strings.TrimSpace(s)))
	switch {
	case no == "":
		return "", errs.Invalid("送り状番号を入力してください").Field("tracking_number", "ヤマト運輸の12桁の送り状番号を入力してください")
	case len(no) != 12 || strings.Trim(no, "0123456789") != "":
		return "", errs.Invalid("送り状番号が正しくありません: "+s).Field("tracking_number", "ヤマト運輸の送り状番号は12桁の数字です")
	case !yamato.TrackingCheckDigitOK(no):
		return "", errs.Invalid("送り状番号のチェックデジットが合いません: "+s).Field("tracking_number", "末尾の1桁（先頭11桁を7で割った余り）が合いません。番号を確かめてください")
	}
	return no, nil
}

func (s *Service) today() string { return s.clock.Now().In(clock.JST).Format("2006-01-02") }

// opReq is an operation's request, kept on the transaction while it is in flight or queued.
type opReq struct {
	Shipment *yamato.ShipmentRequest  `json:"shipment,omitempty"`
	Reduce   *yamato.ReductionRequest `json:"reduce,omitempty"`
	ShipDate string                   `json:"ship_date,omitempty"`
}

func (r opReq) encode() string {
	b, _ := json.Marshal(r)
	return string(b)
}

func decodeOp(s string) (opReq, error) {
	var r opReq
	if s == "" {
		return r, nil
	}
	err := json.Unmarshal([]byte(s), &r)
	return r, err
}

// Ship registers the shipment of transaction id at Yamato (KAASL0010 処理区分 0), so Yamato
// sends the invoice once the parcel is delivered. The same number again is a no-op; inside
// the follow-up window the registration is queued (Txn.QueuedOp) and sent after it.
func (s *Service) Ship(ctx context.Context, id string, in ShipmentInput) (Txn, error) {
	return s.ship(ctx, id, in, "")
}

func (s *Service) ship(ctx context.Context, id string, in ShipmentInput, cond string, condArgs ...any) (Txn, error) {
	no, err := normTracking(in.TrackingNo)
	if err != nil {
		return Txn{}, err
	}
	day := in.ShipDate
	if day == "" {
		day = s.today()
	}
	shipDay, err := parseDay(day)
	if err != nil {
		return Txn{}, errs.Invalid("出荷日が正しくありません: "+day).Field("ship_date", "YYYY-MM-DD で入力してください")
	}
	t, err := s.Txn(ctx, id)
	if err != nil {
		return t, err
	}
	switch st := yamato.Status(t.Status); {
	case t.Credit != CreditOK:
		return t, errs.Conflict(fmt.Sprintf("与信OKの取引だけ出荷登録できます（いま: %s）", CreditStates.Label(t.Credit)))
	case t.TrackingNo == no && st != yamato.StatusApproved && st != yamato.StatusCancelled:
		return t, nil // already registered with this number
	case !st.CanRegisterShipment():
		return t, errs.Conflict(fmt.Sprintf("ヤマトの取引状況が「%s」のため出荷登録できません", st.Label()))
	}
	r := opReq{Shipment: &yamato.ShipmentRequest{OrderNo: t.OrderNo, TrackingNo: no, ProcessDiv: yamato.ProcessRegister, ShipDate: shipDay}, ShipDate: day}
	return s.runOp(ctx, t, OpShipment, r, cond, condArgs, func(cl *yamato.Client) func(ctx context.Context, a attempt.Attempt) attempt.Outcome {
		return func(ctx context.Context, a attempt.Attempt) attempt.Outcome {
			ans, err := cl.RegisterShipment(ctx, *r.Shipment)
			if err != nil {
				return outcomeOf(err)
			}
			return attempt.Outcome{State: attempt.Succeeded, Response: "returnCode=" + ans.ReturnCode + " requestDate=" + ans.RequestDate}
		}
	})
}

// Cancel cancels the credit of transaction id at Yamato (KAACL0010) where its status allows.
func (s *Service) Cancel(ctx context.Context, id string) (Txn, error) { return s.cancel(ctx, id, "") }

// cancel is Cancel whose claim also requires cond (SQL on the transaction's row).
func (s *Service) cancel(ctx context.Context, id, cond string, condArgs ...any) (Txn, error) {
	t, err := s.Txn(ctx, id)
	if err != nil {
		return t, err
	}
	st := yamato.Status(t.Status)
	switch {
	case st == yamato.StatusCancelled || t.Credit == CreditNG || t.Credit == CreditFailed || t.Credit == CreditNew:
		return t, nil // nothing to cancel at Yamato
	case st == yamato.StatusPaid:
		return t, errs.Conflict("入金済みの後払いは取り消せません（ヤマト kaacl015E）。返金は別途行ってください")
	case st != "" && !st.CanCancel():
		return t, errs.Conflict(fmt.Sprintf("ヤマトの取引状況が「%s」のため取り消せません", st.Label()))
	}
	return s.runOp(ctx, t, OpCancel, opReq{}, cond, condArgs, func(cl *yamato.Client) func(ctx context.Context, a attempt.Attempt) attempt.Outcome {
		return func(ctx context.Context, a attempt.Attempt) attempt.Outcome {
			ans, err := cl.Cancel(ctx, t.OrderNo)
			if err != nil {
				return outcomeOf(err)
			}
			return attempt.Outcome{State: attempt.Succeeded, Response: "returnCode=" + ans.ReturnCode + " requestDate=" + ans.RequestDate}
		}
	})
}

// SameAmountMessage explains why a content change that keeps the amount is refused, and what
// to do instead.
const SameAmountMessage = "クロネコ代金後払いでは、金額を変えずに内容（商品・数量など）だけを変更することはできません（ヤマト kaakk049E）。" +
	"変更するには、支払方法をいったん後払い以外（API連携しない支払方法）に変更して保存し、内容を直してから、もう一度クロネコ代金後払いに戻してください（与信をやり直します）"

// Reduce lowers the billed amount of transaction id (KAAKK0010). Yamato accepts only a total
// below the current one and below the first one; the same amount with other content is
// refused here with SameAmountMessage, an increase with its own explanation.
func (s *Service) Reduce(ctx context.Context, id string, in ReduceInput) (Txn, error) {
	return s.reduce(ctx, id, in, "")
}

func (s *Service) reduce(ctx context.Context, id string, in ReduceInput, cond string, condArgs ...any) (Txn, error) {
	t, err := s.Txn(ctx, id)
	if err != nil {
		return t, err
	}
	var sum int64
	for _, it := range in.Items {
		sum += it.SubTotal
	}
	st := yamato.Status(t.Status)
	switch {
	case t.Credit != CreditOK:
		return t, errs.Conflict(fmt.Sprintf("与信OKの取引だけ減額できます（いま: %s）", CreditStates.Label(t.Credit)))
	case sum != in.Total:
		return t, errs.Invalid(fmt.Sprintf("明細の小計の合計 %d円 が合計 %d円 と合いません", sum, in.Total)).Field("total", "明細の合計と一致させてください")
	case in.Total == t.Total:
		return t, errs.Conflict(SameAmountMessage)
	case in.Total > t.Total || in.Total >= t.InitialTotal:
		return t, errs.Conflict(fmt.Sprintf("クロネコ代金後払いは増額できません（いま %d円、最初の与信 %d円）。増額するには支払方法をいったん後払い以外に変更してから、もう一度後払いに戻して与信をやり直してください", t.Total, t.InitialTotal))
	case st != "" && !st.CanReduce():
		return t, errs.Conflict(fmt.Sprintf("ヤマトの取引状況が「%s」のため減額できません", st.Label()))
	}
	cr, err := t.Request()
	if err != nil {
		return t, err
	}
	r := opReq{Reduce: &yamato.ReductionRequest{OrderNo: t.OrderNo, PostCode: cr.PostCode, Address: cr.Address, Items: in.Items, TotalAmount: in.Total}}
	return s.runOp(ctx, t, OpReduce, r, cond, condArgs, func(cl *yamato.Client) func(ctx context.Context, a attempt.Attempt) attempt.Outcome {
		return func(ctx context.Context, a attempt.Attempt) attempt.Outcome {
			return reduceOutcome(cl.ReduceAmount(ctx, *r.Reduce))
		}
	})
}

func reduceOutcome(ans yamato.Answer, err error) attempt.Outcome {
	if err != nil {
		return outcomeOf(err)
	}
	return attempt.Outcome{State: attempt.Succeeded, Response: "returnCode=" + ans.ReturnCode + " requestDate=" + ans.RequestDate}
}

// runOp queues op inside the follow-up window, or claims t and sends it once through the
// runner. send builds the call from the client; cond (with its condArgs), when set, is one
// more condition of the claim.
func (s *Service) runOp(ctx context.Context, t Txn, op string, r opReq, cond string, condArgs []any, send func(*yamato.Client) func(context.Context, attempt.Attempt) attempt.Outcome) (Txn, error) {
	if until := t.CreditedAt.Add(s.FollowUp); !t.CreditedAt.IsZero() && s.now().Before(until) {
		return s.queue(ctx, t.ID, op, r, until)
	}
	cl, _, err := s.clients.Client(ctx)
	if err != nil {
		return t, err
	}
	apply := s.applyOp(op)
	if cond != "" {
		cond = " AND " + cond
	}
	done, err := s.runner.Run(ctx, attempt.Op{
		Claim: func(ctx context.Context, tx *db.Tx) (attempt.Attempt, error) {
			a := attempt.Attempt{ID: db.NewID("att"), Room: Room, RecordType: RecordType, RecordID: t.ID, Operation: op,
				IdempotencyKey: t.OrderNo + "/" + op, RequestSummary: summary(op, t, r)}
			res, err := tx.ExecContext(ctx, `UPDATE atobarai_transactions SET busy = ?, attempt_id = ?, op_args = ?, queued_op = '',
				queued_until = NULL, last_error = '', updated_at = ? WHERE id = ? AND busy = '' AND status = ? AND total = ? AND tracking_no = ?`+cond,
				append([]any{op, a.ID, r.encode(), s.now(), t.ID, t.Status, t.Total, t.TrackingNo}, condArgs...)...)
			if err != nil {
				return a, fmt.Errorf("atobarai: claim %s %s: %w", op, t.ID, err)
			}
			if n, _ := res.RowsAffected(); n == 0 {
				return a, errs.Conflict("この取引はほかの操作で変わったか、送信中です。画面を読み込み直してください")
			}
			return a, nil
		},
		Send:  send(cl),
		Apply: apply,
		Late:  s.late(apply),
	})
	if err != nil && !errors.Is(err, attempt.ErrAbandoned) {
		if errs.As(err) != nil {
			return t, err
		}
		return t, fmt.Errorf("atobarai: %s %s: %w", op, t.ID, err)
	}
	cur, rerr := s.Txn(ctx, t.ID)
	if rerr != nil {
		return cur, rerr
	}
	if done.State == attempt.Failed && cur.QueuedOp == "" {
		return cur, failure(attempt.Outcome{Code: done.ProviderCode, Message: done.ProviderMessage}, opLabel(op))
	}
	return cur, nil
}

func summary(op string, t Txn, r opReq) string {
	switch op {
	case OpShipment:
		return fmt.Sprintf("KAASL0010 orderNo=%s processDiv=0 paymentNo=%s shipYmd=%s", t.OrderNo, r.Shipment.TrackingNo, r.ShipDate)
	case OpCancel:
		return "KAACL0010 orderNo=" + t.OrderNo
	case OpReduce:
		return fmt.Sprintf("KAAKK0010 orderNo=%s totalAmount=%d（変更前 %d）", t.OrderNo, r.Reduce.TotalAmount, t.Total)
	}
	return op
}

// queue keeps op for after until (Yamato's follow-up window), for RunQueued.
func (s *Service) queue(ctx context.Context, id, op string, r opReq, until time.Time) (Txn, error) {
	err := s.db.InTx(ctx, func(tx *db.Tx) error {
		t, err := getTxn(ctx, tx, `t.id = ?`, id)
		if err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, `UPDATE atobarai_transactions SET queued_op = ?, op_args = ?, queued_until = ?, updated_at = ?
			WHERE id = ? AND busy = ''`, op, r.encode(), until.UTC(), s.now(), id)
		if err != nil {
			return fmt.Errorf("atobarai: queue %s %s: %w", op, id, err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return errs.Conflict("この取引は送信中です。少し待ってから画面を読み込み直してください")
		}
		return s.note(ctx, tx, t, op+".queued", fmt.Sprintf("ヤマトの登録待ちのため、%sを %s 以降に自動で送信します", opLabel(op), until.In(clock.JST).Format("15:04:05")), "")
	})
	if err != nil {
		return Txn{}, err
	}
	return s.Txn(ctx, id)
}

// applyOp writes an operation's outcome onto its transaction.
func (s *Service) applyOp(op string) func(ctx context.Context, tx *db.Tx, a attempt.Attempt, o attempt.Outcome) error {
	return func(ctx context.Context, tx *db.Tx, a attempt.Attempt, o attempt.Outcome) error {
		t, err := getTxn(ctx, tx, `t.id = ?`, a.RecordID)
		if err != nil || t.attemptID != a.ID {
			return err
		}
		r, err := decodeOp(t.opArgs)
		if err != nil {
			return fmt.Errorf("atobarai: transaction %s: read %s request: %w", t.ID, op, err)
		}
		if (op == OpShipment && r.Shipment == nil) || (op == OpReduce && r.Reduce == nil) {
			return fmt.Errorf("atobarai: transaction %s: the %s request sent is not recorded", t.ID, op)
		}
		now := s.now()
		switch o.State {
		case attempt.Succeeded:
			q := `UPDATE atobarai_transactions SET busy = '', op_args = '', last_error = '', updated_at = ?`
			args := []any{now}
			var line string
			switch op {
			case OpShipment:
				q += `, status = ?, tracking_no = ?, ship_date = ?`
				args = append(args, string(yamato.StatusShipped), r.Shipment.TrackingNo, r.ShipDate)
				line = fmt.Sprintf("出荷情報をヤマトに登録しました（送り状番号 %s、出荷日 %s）", r.Shipment.TrackingNo, r.ShipDate)
			case OpCancel:
				q += `, status = ?`
				args = append(args, string(yamato.StatusCancelled))
				line = "後払いの与信をヤマトで取り消しました"
			case OpReduce:
				q += `, total = ?`
				args = append(args, r.Reduce.TotalAmount)
				line = fmt.Sprintf("請求金額を %d円 から %d円 に減額しました", t.Total, r.Reduce.TotalAmount)
			}
			if _, err := tx.ExecContext(ctx, q+` WHERE id = ? AND attempt_id = ?`, append(args, t.ID, a.ID)...); err != nil {
				return fmt.Errorf("atobarai: record %s %s: %w", op, t.ID, err)
			}
			return s.note(ctx, tx, t, op+".answered", line, o.Response)
		case attempt.Failed:
			if isNotFoundCode(o.Code) && !t.CreditedAt.IsZero() && now.Before(t.CreditedAt.Add(s.NotFoundGrace)) {
				// Yamato has not registered the order yet: send it again after the window.
				until := now.Add(s.FollowUp)
				if _, err := tx.ExecContext(ctx, `UPDATE atobarai_transactions SET busy = '', queued_op = ?, queued_until = ?, updated_at = ?
					WHERE id = ? AND attempt_id = ?`, op, until, now, t.ID, a.ID); err != nil {
					return fmt.Errorf("atobarai: requeue %s %s: %w", op, t.ID, err)
				}
				return s.note(ctx, tx, t, op+".queued", fmt.Sprintf("ヤマトがまだ受注を登録していないため（%s）、%sを %s 以降にもう一度送信します", o.Code, opLabel(op), until.In(clock.JST).Format("15:04:05")), "")
			}
			// op_args stay: a late success of this attempt (after the janitor failed it) still
			// needs what was sent.
			if _, err := tx.ExecContext(ctx, `UPDATE atobarai_transactions SET busy = '', last_error = ?, updated_at = ?
				WHERE id = ? AND attempt_id = ?`, trimMsg(o.Code+" "+o.Message), now, t.ID, a.ID); err != nil {
				return fmt.Errorf("atobarai: record %s %s: %w", op, t.ID, err)
			}
			return s.note(ctx, tx, t, op+".failed", fmt.Sprintf("ヤマトが%sを受け付けませんでした: %s", opLabel(op), o.Code), o.Message)
		}
		return nil
	}
}

// RunQueued sends the queued operations whose window has passed and the credits an order's
// switch to 後払い left unsent (resumeCredits), and reports how many went.
func (s *Service) RunQueued(ctx context.Context) (int, error) {
	ids, err := db.Strings(ctx, s.db, `SELECT id FROM atobarai_transactions
		WHERE queued_op <> '' AND busy = '' AND queued_until <= ? ORDER BY queued_until LIMIT 500`, s.now())
	if err != nil {
		return 0, fmt.Errorf("atobarai: queued operations: %w", err)
	}
	n := 0
	var errList []error
	for _, id := range ids {
		if err := s.runQueuedOne(ctx, id); err != nil {
			errList = append(errList, err)
			continue
		}
		n++
	}
	k, err := s.resumeCredits(ctx)
	return n + k, errors.Join(append(errList, err)...)
}

func parseDay(s string) (time.Time, error) { return time.ParseInLocation("2006-01-02", s, clock.JST) }
