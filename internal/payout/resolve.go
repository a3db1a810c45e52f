package payout

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"kessai/internal/platform/attempt"
	"kessai/internal/platform/clock"
	"kessai/internal/platform/db"
	"kessai/internal/platform/logs"
	"kessai/internal/provider/aozora"
)

// Resolver settles transfer requests whose answer was lost (timeout, crash, 5xx after sending)
// by asking the bank: it looks the request up in /transfer/status by period — a business day
// either side of the dates it can carry, since the bank dates it by its own clock
// (searchPeriod) — and finds it by the EDI reference the request carried. It never sends the
// request again.
//
// "Not listed NotFoundAfter after it was sent ⇒ エラー" is an inference, not the bank's
// answer, so by itself it would be the kind of guess principle 2 forbids: the bank lists a
// request only from 申請中 on (one still 依頼中/作成中 is invisible), and a sender that stalled
// after MarkSending could still deliver it. It is kept because a transfer must not stay 送信中
// forever, and it is made safe four ways:
//   - the request is not taken as absent for NotFoundDays (absence.go): the poller keeps
//     looking for it, and the transfer can be neither edited, deleted nor sent under a new
//     key meanwhile, each refusal saying until when;
//   - a stalled sender is bounded: its call deadline (CallTimeout, far below NotFoundAfter)
//     starts before MarkSending, and an attempt still pending is failed by the janitor as never
//     sent, which MarkSending then refuses — no inference needed there;
//   - if the sender's answer still arrives, Executor records it (lateAnswer) instead of dropping
//     it: the transfer goes back to 承認待ち with the applyNo, or an alert is audited;
//   - the failure carries CodeNotFound, and re-executing the unchanged transfer reuses the same
//     Idempotency-Key and EDI reference (Executor.reuseKey), so a bank that did receive it
//     answers with that request instead of making a second one (and the janitor finds it by the
//     same reference).
type Resolver struct {
	svc  *Service
	bank BankFunc
	// NotFoundAfter is how long after the attempt a request the bank does not list counts as
	// never received (10 minutes): the bank lists requests only once they are 申請中, so a very
	// young one may not show yet.
	NotFoundAfter time.Duration
}

// CodeNotFound is the code of an attempt failed because the bank did not list it.
const CodeNotFound = "not_found"

// NewResolver returns the resolver for OpRequest; register it with the janitor.
func NewResolver(svc *Service, bank BankFunc) *Resolver {
	return &Resolver{svc: svc, bank: bank, NotFoundAfter: 10 * time.Minute}
}

// Resolve asks the bank what became of the request.
func (r *Resolver) Resolve(ctx context.Context, a attempt.Attempt) (attempt.Outcome, error) {
	bank, err := r.bank(ctx)
	if err != nil {
		return attempt.Outcome{}, err
	}
	o, found, err := r.find(ctx, bank, a)
	if err != nil || found {
		return o, err
	}
	sent := a.SentAt
	if sent.IsZero() {
		sent = a.CreatedAt
	}
	// On the wall clock (the attempt log's): a sandbox clock moved ahead must not make a call
	// still in flight look old enough to conclude about.
	if r.svc.attempts.Now().Sub(sent) < r.NotFoundAfter {
		return attempt.Outcome{State: attempt.Unknown}, nil // too young to conclude
	}
	return attempt.Outcome{State: attempt.Failed, Code: CodeNotFound,
		Message: fmt.Sprintf("銀行の照会で振込依頼が見つかりませんでした。届いていた場合に備えて%sまで照会を続け、見つかれば承認待ちに戻します"+
			"（それまで編集・削除・別の依頼としての再実行はできません。同じ日に内容を変えずに再実行すれば、同じ依頼として扱われ二重になりません）",
			jst(sent.Add(r.svc.notFoundWindow())))}, nil
}

// find looks the attempt's request up at the bank by period and EDI reference, and reports
// whether the bank lists it (with the outcome it shows).
func (r *Resolver) find(ctx context.Context, bank Bank, a attempt.Attempt) (attempt.Outcome, bool, error) {
	var req aozora.TransferRequest
	if err := json.Unmarshal([]byte(a.RequestSummary), &req); err != nil || len(req.Transfers) != 1 {
		return attempt.Outcome{}, false, fmt.Errorf("attempt %s: unreadable request summary: %v", a.ID, err)
	}
	item := req.Transfers[0]
	from, to := searchPeriod(req.TransferDesignatedDate, a.CreatedAt, r.svc.now(), r.svc.attempts.Now())
	q := aozora.StatusQuery{AccountID: req.AccountID, QueryKeyClass: aozora.QueryByPeriod, DateFrom: from, DateTo: to, TransferTerm: "1"}
	for page := 0; page < 100; page++ {
		res, err := bank.Client.TransferStatus(ctx, q)
		if err != nil {
			return attempt.Outcome{}, false, fmt.Errorf("attempt %s: status by period: %w", a.ID, err)
		}
		for _, d := range res.TransferDetails {
			if !matches(d, item) {
				continue
			}
			ans := bankAnswer{ApplyNo: d.ApplyNo(), BankStatus: string(d.TransferStatus), Reason: unableReason(d)}
			rr, err := bank.Client.TransferRequestResult(ctx, req.AccountID, ans.ApplyNo)
			if err != nil {
				return attempt.Outcome{}, false, fmt.Errorf("attempt %s: request-result %s: %w", a.ID, ans.ApplyNo, err)
			}
			ans.Result = string(rr.ResultCode)
			return attempt.Outcome{State: attempt.Succeeded, Code: ans.Result, Message: "銀行に照会して確認: " + rr.ResultCode.Label(),
				Response: ans.String()}, true, nil
		}
		var next string
		for _, e := range res.TransferQueryBulkResponses {
			if e.HasNext {
				next = e.NextItemKey
			}
		}
		if next == "" {
			break
		}
		q.NextItemKey = next
	}
	return attempt.Outcome{}, false, nil
}

// searchPeriod is the period of dates to search the bank for a request: from the business day
// before the earliest date it can carry to the business day after the latest. The bank dates a
// request by its own clock, which may be a little off kessai's: 40 seconds across midnight put a
// request on the day before, and a weekend or holiday in between moves it further. So the search
// starts a business day before the designated date and the day it was sent (wall clock), and
// ends a business day after today on either clock.
func searchPeriod(designated aozora.Date, sent, now, wall time.Time) (from, to aozora.Date) {
	early, late := aozora.DateOf(sent), aozora.DateOf(now)
	for _, d := range []aozora.Date{aozora.DateOf(wall), designated, aozora.DateOf(sent)} {
		if d.IsZero() {
			continue
		}
		if d.Before(early) {
			early = d
		}
		if late.Before(d) {
			late = d
		}
	}
	return aozora.DateOf(clock.PrevBusinessDay(early.Time())), aozora.DateOf(clock.NextBusinessDay(late.Time()))
}

// Apply writes the settled outcome onto the transfer.
func (r *Resolver) Apply(ctx context.Context, tx *db.Tx, a attempt.Attempt, o attempt.Outcome) error {
	return r.svc.applyOutcome(ctx, tx, a, o)
}

// matches reports whether a status detail is the request item: by the EDI reference, which is
// unique per attempt; details without EDI information never match, since amount and account
// alone could be another transfer to the same seller.
func matches(d aozora.TransferDetail, item aozora.Transfer) bool {
	for _, tr := range d.TransferResponses {
		for _, in := range tr.TransferInfos {
			if in.EDIInfo != "" && in.EDIInfo == item.EDIInfo && in.TransferAmount == item.TransferAmount &&
				in.AccountNumber == item.AccountNumber {
				return true
			}
		}
	}
	return false
}

func unableReason(d aozora.TransferDetail) string {
	for _, tr := range d.TransferResponses {
		for _, in := range tr.TransferInfos {
			for _, u := range in.UnableDetailInfos {
				if u.UnableReason != "" {
					return u.UnableReason
				}
			}
		}
	}
	return ""
}

// Poller follows every transfer the bank has not finished (承認待ち) and moves it when the bank
// says so; it also follows 振込完了 transfers for FollowCompletedDays business days, since the
// money can still come back (資金返却 22, 組戻済 25), which makes them エラー. Run it from a
// periodic job.
type Poller struct {
	svc  *Service
	bank BankFunc
	// Hook is for tests only: it is called after the bank answered about t and before the
	// answer is written, where another instance may change the transfer meanwhile.
	Hook func(t Transfer)
}

// FollowCompletedDays is how many business days after 振込完了 a transfer is still followed.
const FollowCompletedDays = 10

// NewPoller returns a poller over svc.
func NewPoller(svc *Service, bank BankFunc) *Poller { return &Poller{svc: svc, bank: bank} }

// PollReport says what one Poll did.
type PollReport struct {
	Checked int
	Changed int
}

// Poll asks the bank about every open transfer once.
func (p *Poller) Poll(ctx context.Context) (PollReport, error) {
	var rep PollReport
	list, _, err := p.svc.List(ctx, Filter{Status: StatusAwaitingApproval})
	if err != nil {
		return rep, err
	}
	done, err := p.svc.recentlyCompleted(ctx, clock.AddBusinessDays(p.svc.now(), -FollowCompletedDays))
	if err != nil {
		return rep, err
	}
	list = append(list, done...)
	lost, err := p.svc.notFoundTransfers(ctx)
	if err != nil {
		return rep, err
	}
	batches, err := p.svc.openBatches(ctx)
	if err != nil {
		return rep, err
	}
	if len(list) == 0 && len(lost) == 0 && len(batches) == 0 {
		return rep, nil
	}
	bank, err := p.bank(ctx)
	if err != nil {
		return rep, err
	}
	p.pollBatches(ctx, bank, batches, &rep)
	asked := map[string]bool{} // a 総合振込's transfers share one request: ask once
	for _, t := range lost {
		if asked[t.AttemptID] {
			continue
		}
		asked[t.AttemptID] = true
		rep.Checked++
		changed, err := p.recheck(ctx, bank, t)
		if err != nil {
			logs.From(ctx).WarnContext(ctx, "payout: look again for a request the bank did not list", "transfer", t.ID, "err", err)
			continue
		}
		if changed {
			rep.Changed++
		}
	}
	for _, t := range list {
		if t.ApplyNo == "" || t.BatchID != "" {
			continue // a 総合振込's transfers follow their batch (pollBatches)
		}
		rep.Checked++
		changed, err := p.pollOne(ctx, bank, t)
		if err != nil {
			logs.From(ctx).WarnContext(ctx, "payout: poll transfer", "transfer", t.ID, "apply_no", t.ApplyNo, "err", err)
			continue
		}
		if changed {
			rep.Changed++
		}
	}
	return rep, nil
}

func (p *Poller) pollOne(ctx context.Context, bank Bank, t Transfer) (bool, error) {
	account := t.SourceAccountID
	if account == "" {
		account = bank.AccountID
	}
	rr, err := bank.Client.TransferRequestResult(ctx, account, t.ApplyNo)
	if err != nil {
		return false, fmt.Errorf("request-result: %w", err)
	}
	var st aozora.TransferStatus
	var why string
	if rr.ResultCode != aozora.ResultExpired {
		sr, err := bank.Client.TransferStatus(ctx, aozora.StatusQuery{AccountID: account, QueryKeyClass: aozora.QueryByApplyNo, ApplyNo: t.ApplyNo})
		if err != nil {
			return false, fmt.Errorf("status: %w", err)
		}
		for _, d := range sr.TransferDetails {
			if d.ApplyNo() == t.ApplyNo || d.ApplyNo() == "" {
				st, why = d.TransferStatus, unableReason(d)
				if err := p.svc.recordFee(ctx, t, d); err != nil {
					return false, err
				}
			}
		}
	}
	status, reason := fromBankLogged(ctx, rr.ResultCode, st, why)
	if p.Hook != nil {
		p.Hook(t)
	}
	if t.Status == StatusCompleted && status != StatusFailed {
		// After 振込完了 only the money coming back (資金返却, 組戻済) changes the transfer.
		_, err := p.svc.db.ExecContext(ctx, `UPDATE transfers SET checked_at = ?, bank_status = ? WHERE id = ? AND status = ?`,
			p.svc.now(), string(st), t.ID, StatusCompleted)
		return false, err
	}
	if status == t.Status && string(st) == t.BankStatus {
		_, err := p.svc.db.ExecContext(ctx, `UPDATE transfers SET checked_at = ? WHERE id = ?`, p.svc.now(), t.ID)
		return false, err
	}
	err = p.svc.db.InTx(ctx, func(tx *db.Tx) error {
		// The answer is about t.ApplyNo as it was read: a transfer re-executed meanwhile (a new
		// applyNo, maybe the same status) must not take the old request's answer.
		res, err := tx.ExecContext(ctx, `UPDATE transfers SET updated_at = updated_at WHERE id = ? AND status = ? AND apply_no = ?`,
			t.ID, t.Status, t.ApplyNo)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return nil // changed meanwhile
		}
		_, err = p.svc.setStatus(ctx, tx, t.ID, "", status, reason, "", string(st), "transfer.bank_status")
		return err
	})
	return status != t.Status, err
}
