package kantan

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"kessai/internal/platform/attempt"
	"kessai/internal/platform/clock"
	"kessai/internal/platform/db"
	"kessai/internal/platform/errs"
	"kessai/internal/provider/gmopg"
)

// A money operation of the room: what it checks, sends and writes. Capture, cancel, amount
// change and extension differ only here; the runner does the rest.
type operation struct {
	name  string // OpCapture…
	label string // 実売上処理…
	// check is the reason the payment (and its order's total) cannot take the operation now.
	check func(s *Service, p Payment, total int64, now time.Time) string
	// send makes the call.
	send func(ctx context.Context, cl *gmopg.Client, p request) (gmopg.RecruitResult, error)
	// done says whether the trade GMO-PG reports already shows the operation done (read back
	// before a retry, and by the janitor), and pending whether it shows it not done yet.
	done, pending func(t gmopg.MultiTrade, p request) bool
}

// request is what an attempt sends, as its RequestSummary records it.
type request struct {
	OrderID    string // GMO-PG's
	AccessID   string
	AccessPass string
	PayType    gmopg.PayType
	Amount     int64 // the amount after the call (change), or held (others)
	Tax        int64
	Deadline   string      // the authorization's last day before an extension
	ReadFirst  bool        // an earlier attempt of the same operation exists: read the trade back first
	Job        gmopg.JobCd // card ChangeTran: the JobCd after the change (AUTH, CAPTURE, SALES)
}

func (r request) summary() string {
	return fmt.Sprintf("OrderID=%s PayType=%s Amount=%d Tax=%d Deadline=%s ReadFirst=%t AccessID=%s Job=%s",
		r.OrderID, r.PayType, r.Amount, r.Tax, orDash(r.Deadline), r.ReadFirst, r.AccessID, orDash(string(r.Job)))
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func parseRequest(a attempt.Attempt) request {
	var r request
	for _, f := range strings.Fields(a.RequestSummary) {
		k, v, _ := strings.Cut(f, "=")
		switch k {
		case "OrderID":
			r.OrderID = v
		case "PayType":
			r.PayType = gmopg.PayType(v)
		case "Amount":
			r.Amount, _ = strconv.ParseInt(v, 10, 64)
		case "Tax":
			r.Tax, _ = strconv.ParseInt(v, 10, 64)
		case "Deadline":
			if v != "-" {
				r.Deadline = v
			}
		case "ReadFirst":
			r.ReadFirst = v == "true"
		case "AccessID":
			r.AccessID = v
		case "Job":
			if v != "-" {
				r.Job = gmopg.JobCd(v)
			}
		}
	}
	return r
}

var operations = map[string]*operation{
	OpAuthorize: {name: OpAuthorize, label: "カード決済",
		done:    func(t gmopg.MultiTrade, _ request) bool { return t.Status != gmopg.StatusUnprocessed },
		pending: func(t gmopg.MultiTrade, _ request) bool { return t.Status == gmopg.StatusUnprocessed },
	},
	OpCapture: {name: OpCapture, label: "実売上処理",
		check: func(s *Service, p Payment, total int64, now time.Time) string {
			if r := refusal(p.Status, ActCapture); r != "" {
				return r
			}
			if total != p.Amount {
				return fmt.Sprintf("金額の変更（%s円→%s円）が GMO-PG に未送信です。【変更内容をGMO-PGに送信】してから実売上処理をしてください", yen(p.Amount), yen(total))
			}
			if p.AuthDeadline != "" && now.In(jstLoc).Format("2006-01-02") > p.AuthDeadline {
				return "仮売上の期限（" + p.AuthDeadline + "）を過ぎているため実売上処理できません（状態を同期すると「仮売上期限切れ」になります）"
			}
			return ""
		},
		send: func(ctx context.Context, cl *gmopg.Client, r request) (gmopg.RecruitResult, error) {
			if r.PayType == gmopg.PayTypeCard {
				_, err := cl.AlterTran(ctx, r.access(), gmopg.JobSales, r.Amount)
				return gmopg.RecruitResult{OrderID: r.OrderID, Status: gmopg.StatusSales, Amount: r.Amount}, err
			}
			return cl.RecruitSales(ctx, r.access())
		},
		done: func(t gmopg.MultiTrade, _ request) bool {
			return t.Status == gmopg.StatusSales || t.Status == gmopg.StatusCapture
		},
		pending: func(t gmopg.MultiTrade, _ request) bool { return t.Status == gmopg.StatusAuth },
	},
	OpCancel: {name: OpCancel, label: "取消",
		check: func(s *Service, p Payment, total int64, now time.Time) string { return "" }, // checked by the cancel itself
		send: func(ctx context.Context, cl *gmopg.Client, r request) (gmopg.RecruitResult, error) {
			if r.PayType == gmopg.PayTypeCard {
				_, err := cl.AlterTran(ctx, r.access(), gmopg.JobVoid, 0)
				return gmopg.RecruitResult{OrderID: r.OrderID, Status: gmopg.StatusVoid, Amount: r.Amount}, err
			}
			return cl.RecruitCancel(ctx, r.access())
		},
		done: func(t gmopg.MultiTrade, _ request) bool {
			return t.Status == gmopg.StatusVoid || t.Status == gmopg.StatusCancel
		},
		pending: func(t gmopg.MultiTrade, _ request) bool {
			return t.Status == gmopg.StatusAuth || t.Status == gmopg.StatusReqSuccess || t.Status == gmopg.StatusUnprocessed
		},
	},
	OpChange: {name: OpChange, label: "金額変更の送信",
		check: func(s *Service, p Payment, total int64, now time.Time) string {
			if p.Status != StatusAuthorized && p.Status != StatusCaptured {
				return refusal(p.Status, ActChangeAmount)
			}
			if total == p.Amount {
				return "GMO-PG に未送信の金額変更はありません"
			}
			return strings.Join(changeRules(p, total, now, true), "。")
		},
		send: func(ctx context.Context, cl *gmopg.Client, r request) (gmopg.RecruitResult, error) {
			if r.PayType == gmopg.PayTypeCard {
				_, err := cl.ChangeTran(ctx, r.access(), r.Job, r.Amount, r.Tax)
				return gmopg.RecruitResult{OrderID: r.OrderID, Amount: r.Amount}, err
			}
			return cl.RecruitChange(ctx, r.access(), r.Amount, r.Tax)
		},
		done:    func(t gmopg.MultiTrade, r request) bool { return t.Amount == r.Amount },
		pending: func(t gmopg.MultiTrade, r request) bool { return t.Amount != r.Amount },
	},
	OpExtend: {name: OpExtend, label: "オーソリ期間延長",
		check: func(s *Service, p Payment, total int64, now time.Time) string {
			if r := refusal(p.Status, ActExtend); r != "" {
				return r
			}
			if p.PayType != gmopg.PayTypeRecruit {
				return "カード決済はオーソリ期間延長に対応していません"
			}
			if p.ExtendedOn == now.In(jstLoc).Format("2006-01-02") {
				return "オーソリ期間は本日すでに延長しています（新しい期限 " + p.AuthDeadline + "）。延長は1日1回です"
			}
			return ""
		},
		send: func(ctx context.Context, cl *gmopg.Client, r request) (gmopg.RecruitResult, error) {
			return cl.RecruitUpdateAuth(ctx, r.access())
		},
		done: func(t gmopg.MultiTrade, r request) bool {
			return t.Status == gmopg.StatusAuth && !t.RcUpdateAuthDay.IsZero() && t.RcUpdateAuthDay.In(jstLoc).Format("2006-01-02") > r.Deadline
		},
		pending: func(t gmopg.MultiTrade, r request) bool { return t.Status == gmopg.StatusAuth },
	},
}

func (r request) access() gmopg.Access {
	return gmopg.Access{OrderID: r.OrderID, AccessID: r.AccessID, AccessPass: r.AccessPass}
}

// busyText names an operation in flight.
func busyText(busy string) string {
	if op := operations[busy]; op != nil {
		return "GMO-PG への" + op.label + "が実行中です。終わってから操作してください"
	}
	return "GMO-PG への処理が実行中です。終わってから操作してください"
}

// op is the attempt.Op of operation name on orderID.
func (s *Service) op(name, orderID string) attempt.Op {
	o := operations[name]
	return attempt.Op{
		Claim: func(ctx context.Context, tx *db.Tx) (attempt.Attempt, error) { return s.claim(ctx, tx, o, orderID) },
		Send:  func(ctx context.Context, a attempt.Attempt) attempt.Outcome { return s.send(ctx, o, a) },
		Apply: func(ctx context.Context, tx *db.Tx, a attempt.Attempt, out attempt.Outcome) error {
			return s.apply(ctx, tx, o, a, out)
		},
		Late: func(ctx context.Context, a attempt.Attempt, out attempt.Outcome) error {
			if out.State != attempt.Succeeded {
				return nil
			}
			// The janitor concluded first; GMO-PG's success wins.
			return s.db.InTx(ctx, func(tx *db.Tx) error {
				if _, err := s.runner.Log().Overturn(ctx, tx, a.ID, out); err != nil {
					return err
				}
				return s.apply(ctx, tx, o, a, out)
			})
		},
	}
}

// claim checks the payment and marks the operation in flight (of two concurrent claims one
// wins), fixing what will be sent.
func (s *Service) claim(ctx context.Context, tx *db.Tx, o *operation, orderID string) (attempt.Attempt, error) {
	p, err := getPayment(ctx, tx, orderID, true)
	if errors.Is(err, ErrNoPayment) {
		return attempt.Attempt{}, errs.Conflict("この受注には GMO-PG の決済がありません（CSV 取込などで登録された受注です）")
	}
	if err != nil {
		return attempt.Attempt{}, err
	}
	ord, err := s.orderTx(ctx, tx, orderID)
	if err != nil {
		return attempt.Attempt{}, err
	}
	if p.Busy != "" {
		return attempt.Attempt{}, errs.Conflict(busyText(p.Busy))
	}
	if p.AccessID == "" {
		return attempt.Attempt{}, errs.Conflict("GMO-PG に決済が登録されていないため" + o.label + "できません（要確認）")
	}
	if reason := o.check(s, p, ord.Total, s.clock.Now()); reason != "" {
		return attempt.Attempt{}, errs.Conflict(reason)
	}
	res, err := tx.ExecContext(ctx, `UPDATE kantan_payments SET busy = ?, updated_at = ? WHERE order_id = ? AND busy = ''`, o.name, s.now(), orderID)
	if err != nil {
		return attempt.Attempt{}, err
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return attempt.Attempt{}, errs.Conflict(busyText(o.name))
	}
	prior, err := s.runner.Log().ForRecord(ctx, tx, RecordPayment, orderID)
	if err != nil {
		return attempt.Attempt{}, err
	}
	r := request{OrderID: p.PGOrderID, AccessID: p.AccessID, PayType: p.PayType, Amount: p.Amount, Tax: p.Tax, Deadline: p.AuthDeadline}
	if o.name == OpChange {
		r.Amount, r.Tax = ord.Total, ord.Tax
		r.Job = gmopg.JobAuth
		if p.Status == StatusCaptured {
			r.Job = gmopg.JobSales
			if p.JobCd == gmopg.JobCapture {
				r.Job = gmopg.JobCapture
			}
		}
	}
	for _, a := range prior {
		r.ReadFirst = r.ReadFirst || a.Operation == o.name
	}
	return attempt.Attempt{Room: Room, RecordType: RecordPayment, RecordID: orderID, Operation: o.name, IdempotencyKey: p.PGOrderID,
		RequestSummary: r.summary()}, nil
}

// send makes the call once. After an earlier attempt of the same operation (a timeout, a
// crash) the trade is read back first: done is the success, anything but pending is refused.
func (s *Service) send(ctx context.Context, o *operation, a attempt.Attempt) attempt.Outcome {
	r := parseRequest(a)
	cl, _, err := s.client(ctx)
	if err != nil {
		return attempt.Outcome{State: attempt.Failed, Code: attempt.CodeNotSent, Message: err.Error()}
	}
	// The pass is not in the attempt's summary (never secrets there): read it from the row.
	var pass string
	if err := s.db.QueryRowContext(ctx, `SELECT access_pass FROM kantan_payments WHERE order_id = ?`, a.RecordID).Scan(&pass); err != nil {
		return attempt.Outcome{State: attempt.Failed, Code: attempt.CodeNotSent, Message: err.Error()}
	}
	r.AccessPass = pass
	if r.ReadFirst {
		t, err := cl.SearchTradeMulti(ctx, r.OrderID, r.PayType)
		switch {
		case err != nil:
			return attempt.Outcome{State: attempt.Failed, Code: attempt.CodeNotSent, Message: "GMO-PG の取引を照会できないため送信していません: " + pgMessage(err)}
		case o.done(t, r):
			return attempt.Outcome{State: attempt.Succeeded, Response: answer(t.Status, t.Amount, t.RcUpdateAuthDay) + " (SearchTradeMulti)"}
		case !o.pending(t, r):
			return attempt.Outcome{State: attempt.Failed, Code: string(t.Status), Message: "GMO-PG の取引状態が " + string(t.Status) + " のため送信していません"}
		}
	}
	res, err := o.send(ctx, cl, r)
	if err != nil {
		return outcomeOf(err)
	}
	return attempt.Outcome{State: attempt.Succeeded, Response: answer(res.Status, res.Amount, res.RcUpdateAuthDay)}
}

// outcomeOf classifies a failed call: unknown when GMO-PG may have done it (a timeout after
// the request left, E90010001 — never retried —, E91), failed otherwise.
func outcomeOf(err error) attempt.Outcome {
	if gmopg.IsOutcomeUnknown(err) || gmopg.IsDoubleSubmission(err) {
		return attempt.Outcome{State: attempt.Unknown, Message: err.Error()}
	}
	if ae, ok := errors.AsType[*gmopg.APIError](err); ok {
		return attempt.Outcome{State: attempt.Failed, Code: strings.Join(ae.Infos(), "|"), Message: pgMessage(err)}
	}
	return attempt.Outcome{State: attempt.Failed, Code: attempt.CodeNotSent, Message: err.Error()}
}

func answer(st gmopg.Status, amount int64, authDay time.Time) string {
	out := fmt.Sprintf("Status=%s Amount=%d", st, amount)
	if !authDay.IsZero() {
		out += " RcUpdateAuthDay=" + authDay.In(jstLoc).Format("2006-01-02")
	}
	return out
}

func answerAuthDay(resp string) string {
	for _, f := range strings.Fields(resp) {
		if v, ok := strings.CutPrefix(f, "RcUpdateAuthDay="); ok {
			return v
		}
	}
	return ""
}

// refusedByPG says whether an outcome is GMO-PG refusing the call (a business error), as
// opposed to a call that never left or was turned away unprocessed (E92: try again).
func refusedByPG(out attempt.Outcome) bool {
	if out.State != attempt.Failed || out.Code == attempt.CodeNotSent || out.Code == "" {
		return false
	}
	for _, c := range strings.Split(out.Code, "|") {
		if !strings.HasPrefix(c, "E92") && !strings.HasPrefix(c, "42C") {
			return true
		}
	}
	return false
}

// apply writes an outcome onto the payment (and the order) in the attempt's transaction. It
// is idempotent: applying the same success twice changes nothing more.
func (s *Service) apply(ctx context.Context, tx *db.Tx, o *operation, a attempt.Attempt, out attempt.Outcome) error {
	p, err := getPayment(ctx, tx, a.RecordID, true)
	if err != nil {
		return err
	}
	r := parseRequest(a)
	now := s.now()
	set := func(q string, args ...any) error {
		_, err := tx.ExecContext(ctx, `UPDATE kantan_payments SET busy = '', updated_at = ?`+q+` WHERE order_id = ?`,
			append(append([]any{now}, args...), a.RecordID)...)
		return err
	}
	if out.State == attempt.Unknown {
		// Still open: the janitor reads the trade back. The payment stays in flight.
		return nil
	}
	detail := "OrderID=" + r.OrderID + " " + out.Response
	if out.State == attempt.Failed {
		msg := o.label + "に失敗しました: " + out.Message
		if !refusedByPG(out) {
			msg = o.label + "を GMO-PG に送れませんでした（もう一度実行できます）: " + out.Message
		}
		// A failed capture is 売上失敗 (the status sync puts it back to 仮売上 when GMO-PG
		// still holds the authorization, or 決済完了 when it captured after all).
		// CodeNotSent changes nothing: the request was never written, or GMO-PG showed the
		// capture not done when read back; the capture can simply run again.
		if o.name == OpCapture && p.Status == StatusAuthorized && out.Code != attempt.CodeNotSent {
			st, err := readSettings(ctx, tx)
			if err != nil {
				return err
			}
			if !refusedByPG(out) {
				// Turned away unprocessed (E92/42C): 売上失敗 refuses the capture until the sync.
				msg = o.label + "を GMO-PG が受け付けませんでした（【今すぐ同期】で仮売上に戻してから、もう一度実行できます）: " + out.Message
			}
			if err := set(`, status = ?, reason = ?`, StatusCaptureFailed, msg); err != nil {
				return err
			}
			if err := s.mirror(ctx, tx, a.RecordID, StatusCaptureFailed, st.CaptureFail == CaptureFailHold); err != nil {
				return err
			}
		} else if err := set(`, reason = ?`, msg); err != nil {
			return err
		}
		return s.history(ctx, tx, a.RecordID, o.name+".failed", msg, "ErrInfo="+out.Code)
	}
	switch o.name {
	case OpCapture:
		if p.Status == StatusCaptured {
			return set(``)
		}
		if err := set(`, status = ?, pg_status = ?, captured_at = ?, reason = ''`, StatusCaptured, string(gmopg.StatusSales), now); err != nil {
			return err
		}
		if err := s.mirror(ctx, tx, a.RecordID, StatusCaptured, false); err != nil {
			return err
		}
		return s.history(ctx, tx, a.RecordID, "capture.done", "実売上処理が完了しました（"+yen(p.Amount)+"円）", detail)
	case OpCancel:
		if p.Status == StatusCancelled && (p.PGStatus == string(gmopg.StatusVoid) || p.PGStatus == string(gmopg.StatusCancel)) {
			return set(``)
		}
		if err := set(`, status = ?, pg_status = ?, reason = ''`, StatusCancelled, string(gmopg.StatusVoid)); err != nil {
			return err
		}
		if err := s.mirror(ctx, tx, a.RecordID, StatusCancelled, false); err != nil {
			return err
		}
		return s.history(ctx, tx, a.RecordID, "cancel.done", "GMO-PG の決済を取り消しました（"+yen(p.Amount)+"円）", detail)
	case OpChange:
		if p.Amount == r.Amount {
			return set(``)
		}
		if err := set(`, amount = ?, tax = ?, reason = ''`, r.Amount, r.Tax); err != nil {
			return err
		}
		return s.history(ctx, tx, a.RecordID, "change.done", "金額変更を GMO-PG に送信しました（"+yen(p.Amount)+"円→"+yen(r.Amount)+"円）", detail)
	case OpExtend:
		day := answerAuthDay(out.Response)
		if day == "" {
			day = p.AuthDeadline
		}
		if p.ExtendedOn == s.today() && day == p.AuthDeadline {
			return set(``)
		}
		if err := set(`, auth_deadline = ?, extended_on = ?, reason = ''`, day, s.today()); err != nil {
			return err
		}
		return s.history(ctx, tx, a.RecordID, "extend.done", "オーソリ期間を延長しました（新しい期限 "+day+"）", detail)
	}
	return fmt.Errorf("kantan: unknown operation %s", o.name)
}

// processingWindow is how long after a call was sent a trade that does not show it yet is
// taken as GMO-PG possibly still running it (the janitor's default staleness).
const processingWindow = 2 * time.Minute

// Resolver settles an operation whose outcome is unknown by reading the trade back; it never
// sends anything.
type Resolver struct {
	s  *Service
	op *operation
}

// NewResolver returns the resolver of operation name (OpCapture…).
func NewResolver(s *Service, name string) *Resolver { return &Resolver{s: s, op: operations[name]} }

// Resolve reads the trade with SearchTradeMulti.
func (rv *Resolver) Resolve(ctx context.Context, a attempt.Attempt) (attempt.Outcome, error) {
	cl, _, err := rv.s.client(ctx)
	if err != nil {
		return attempt.Outcome{}, err
	}
	r := parseRequest(a)
	t, err := cl.SearchTradeMulti(ctx, r.OrderID, r.PayType)
	if err != nil {
		return attempt.Outcome{}, err
	}
	if rv.op.done(t, r) {
		return attempt.Outcome{State: attempt.Succeeded, Response: answer(t.Status, t.Amount, t.RcUpdateAuthDay) + " (SearchTradeMulti)"}, nil
	}
	// A call that left may still be running at GMO-PG (E90010001 answers while the first is
	// running; a timed-out one may be slow): a trade still waiting for the operation proves
	// nothing until the call is older than processingWindow. Concluding earlier frees the
	// payment for a second send while the first may still land.
	if !a.SentAt.IsZero() && rv.op.pending(t, r) && rv.s.clock.Now().Sub(a.SentAt) < processingWindow {
		return attempt.Outcome{State: attempt.Unknown, Message: "GMO-PG で処理中の可能性があるため確認を続けます（取引状態 " + string(t.Status) + "）"}, nil
	}
	// Not done at GMO-PG: no money moved. Failed as never done; a new run reads back first.
	return attempt.Outcome{State: attempt.Failed, Code: attempt.CodeNotSent, Message: "GMO-PG では" + rv.op.label + "されていません（取引状態 " + string(t.Status) + "）"}, nil
}

// Apply is the operation's Apply.
func (rv *Resolver) Apply(ctx context.Context, tx *db.Tx, a attempt.Attempt, o attempt.Outcome) error {
	if rv.op.name == OpAuthorize {
		return rv.s.applyAuthorize(ctx, tx, a, o)
	}
	return rv.s.apply(ctx, tx, rv.op, a, o)
}

// Capture runs 実売上処理 of one order.
func (s *Service) Capture(ctx context.Context, orderID string) (Payment, error) {
	return s.run(ctx, OpCapture, orderID)
}

// SendChange sends the order's unsent amount change (【変更内容をGMO-PGに送信】).
func (s *Service) SendChange(ctx context.Context, orderID string) (Payment, error) {
	return s.run(ctx, OpChange, orderID)
}

// Extend runs オーソリ期間延長 (when the setting allows it).
func (s *Service) Extend(ctx context.Context, orderID string) (Payment, error) {
	st, err := s.Settings(ctx)
	if err != nil {
		return Payment{}, err
	}
	if !st.ExtendAuth {
		return Payment{}, errs.Conflict("オーソリ期間延長設定が「利用しない」のため延長できません（設定 › 決済 › GMO-PG）")
	}
	return s.run(ctx, OpExtend, orderID)
}

// RetryCancel sends again the GMO-PG cancel of a cancelled order whose payment GMO-PG still
// holds (the cancel after the order's キャンセル failed or never left). The trade is read back
// first when a cancel was tried before.
func (s *Service) RetryCancel(ctx context.Context, orderID string) (Payment, error) {
	o, err := s.store.GetOrder(ctx, orderID)
	if err != nil {
		return Payment{}, err
	}
	if o.OrderStatus != "cancelled" {
		return Payment{}, errs.Conflict("受注がキャンセルされていません。受注のキャンセルから取り消してください")
	}
	p, err := s.Payment(ctx, orderID)
	if err != nil {
		return p, err
	}
	if p.Status == StatusCancelled {
		return p, errs.Conflict("GMO-PG の決済は取消済みです")
	}
	return s.run(ctx, OpCancel, orderID)
}

func (s *Service) run(ctx context.Context, name, orderID string) (Payment, error) {
	_, err := s.runner.Run(ctx, s.op(name, orderID))
	if err != nil && !errors.Is(err, attempt.ErrAbandoned) {
		return Payment{}, err
	}
	return s.Payment(ctx, orderID)
}

var jstLoc = clock.JST
