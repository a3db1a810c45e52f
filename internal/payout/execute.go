package payout

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"kessai/internal/platform/attempt"
	"kessai/internal/platform/audit"
	"kessai/internal/platform/bulk"
	"kessai/internal/platform/db"
	"kessai/internal/platform/errs"
	"kessai/internal/platform/logs"
	"kessai/internal/provider/aozora"
)

// Bank is a ready connection to GMO あおぞらネット銀行: a client whose business calls carry a
// valid token, and the source account (振込元口座) transfers are sent from.
type Bank struct {
	Client    *aozora.Client
	AccountID string
}

// BankFunc returns the current connection, or an errs.KindUnavailable error when the bank is not
// connected (連携が有効ではない).
type BankFunc func(ctx context.Context) (Bank, error)

// Steps of one execution, named for StepHook (attempt.Runner's steps).
const (
	StepBeforeAttempt = attempt.StepBeforeClaim // nothing written yet
	StepAfterAttempt  = attempt.StepAfterClaim  // claimed and attempt written, not sent
	StepBeforeSend    = attempt.StepBeforeSend  // attempt marked sending, the call not made yet
	StepAfterSend     = attempt.StepAfterSend   // the bank answered (or not), nothing recorded
	StepAfterRecord   = attempt.StepAfterRecord // the answer is recorded
)

// Executor sends transfers to the bank.
//
// ExecuteOne and Execute send each transfer in its own /transfer/request with one item: it then
// has its own applyNo, approval, expiry and failure, and an unknown outcome concerns exactly one
// transfer. ExecuteAs with ModeBulk groups a selection into one 総合振込 (batch.go), approved
// once; its transfers still follow their own items, so a failed one is fixed and sent alone.
type Executor struct {
	svc  *Service
	bank BankFunc
	// CallTimeout bounds one request to the bank (30 s). It must stay well below the janitor's
	// StaleAfter, so the janitor never asks about a call still in flight.
	CallTimeout time.Duration
	// BatchMax is how many transfers one 総合振込 takes (MaxBatchItems when 0; tests lower it to
	// see a selection split).
	BatchMax int
	// StepHook is for tests only: it is called at each Step; an error stops the execution right
	// there, as if the process had died.
	StepHook func(step attempt.Step) error
}

// NewExecutor returns an executor that sends through bank.
func NewExecutor(svc *Service, bank BankFunc) *Executor {
	return &Executor{svc: svc, bank: bank, CallTimeout: 30 * time.Second}
}

// runner is the platform's money-call runner with this executor's timeout and hook.
func (e *Executor) runner() *attempt.Runner {
	r := attempt.NewRunner(e.svc.db, e.svc.attempts)
	r.CallTimeout, r.StepHook = e.CallTimeout, e.StepHook
	return r
}

// ExecResult is the outcome of executing one transfer.
type ExecResult struct {
	ID          string `json:"id"`
	Status      string `json:"status"`
	StatusLabel string `json:"status_label"`
	Reason      string `json:"reason,omitempty"`
	Error       string `json:"error,omitempty"`    // why it was not executed (state, permission, bank down)
	BatchID     string `json:"batch_id,omitempty"` // the 総合振込 it went in (mode bulk)
}

// Execute sends each transfer; a transfer that cannot be executed is reported in its result, not
// as an error. The error is for the connection as a whole (bank not connected).
func (e *Executor) Execute(ctx context.Context, ids []string) ([]ExecResult, error) {
	ids = bulk.Dedupe(ids)
	if len(ids) == 0 {
		return nil, errs.Invalid("振込を1件以上選んでください").Field("transfer_ids", "1件以上指定してください")
	}
	bank, err := e.bank(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]ExecResult, 0, len(ids))
	for _, id := range ids {
		t, err := e.executeWith(ctx, bank, id)
		r := ExecResult{ID: id, Status: t.Status, StatusLabel: t.StatusLabel, Reason: t.Reason}
		if err != nil {
			if ee := errs.As(err); ee != nil && ee.Kind != errs.KindInternal {
				r.Error = ee.Message
			} else {
				return out, err
			}
		}
		out = append(out, r)
	}
	return out, nil
}

// ExecuteOne sends one transfer and returns it as recorded.
func (e *Executor) ExecuteOne(ctx context.Context, id string) (Transfer, error) {
	bank, err := e.bank(ctx)
	if err != nil {
		return Transfer{}, err
	}
	return e.executeWith(ctx, bank, id)
}

func (e *Executor) executeWith(ctx context.Context, bank Bank, id string) (Transfer, error) {
	var t Transfer
	_, err := e.runner().Run(ctx, e.op(bank, id, &t))
	// Once claimed, a caller gone away must not hide what became of the transfer.
	ctx = context.WithoutCancel(ctx)
	if err == nil {
		return e.svc.Get(ctx, id)
	}
	cur, gerr := e.svc.Get(ctx, id)
	if gerr != nil {
		cur = t
	}
	if errors.Is(err, attempt.ErrAbandoned) {
		// The janitor settled the attempt (as never sent) while this process stalled: it wins.
		return cur, errs.Conflict(fmt.Sprintf("振込 %s は送信前に時間が経ちすぎたため送信を取りやめました（「%s」）。内容を確認して再実行してください", t.CaseCode, cur.StatusLabel))
	}
	if errs.As(err) == nil {
		err = fmt.Errorf("transfer %s: %w", id, err)
	}
	return cur, err
}

// op is the transfer request of transfer id as an attempt.Op: claim, send what the attempt
// recorded, apply the answer, and handle a late one. *t receives the claimed transfer.
func (e *Executor) op(bank Bank, id string, t *Transfer) attempt.Op {
	return attempt.Op{
		Claim: func(ctx context.Context, tx *db.Tx) (attempt.Attempt, error) {
			var a attempt.Attempt
			var err error
			*t, a, err = e.claim(ctx, tx, bank, id)
			return a, err
		},
		Send: func(ctx context.Context, a attempt.Attempt) attempt.Outcome {
			var req aozora.TransferRequest
			if err := json.Unmarshal([]byte(a.RequestSummary), &req); err != nil {
				// Written by claim a moment ago; unreadable means nothing was sent.
				return attempt.Outcome{State: attempt.Failed, Code: "request_summary", Message: "送信内容を読めなかったため送信していません: " + err.Error()}
			}
			return requestOutcome(bank.Client.TransferRequest(ctx, req, a.IdempotencyKey))
		},
		Apply: e.svc.applyOutcome,
		Late:  e.svc.lateAnswer,
	}
}

// claim moves the transfer to sending in tx and returns its attempt for the runner to write in
// the same transaction. The conditional UPDATE is the claim: of two concurrent executions (two
// requests, or two instances on PostgreSQL) exactly one changes the row, and only that one sends.
func (e *Executor) claim(ctx context.Context, tx *db.Tx, bank Bank, id string) (Transfer, attempt.Attempt, error) {
	var t Transfer
	var a attempt.Attempt
	var req aozora.TransferRequest
	err := func() error {
		var err error
		// Locked, so what is sent is what the record says: an edit committed after a plain read
		// would otherwise reach the record but not the bank.
		t, err = e.svc.getForUpdate(ctx, tx, id)
		if err != nil {
			return err
		}
		if !t.Allows(ActExecute) {
			return errs.Conflict(fmt.Sprintf("振込 %s は「%s」のため実行できません", t.CaseCode, t.StatusLabel))
		}
		if t.FileExportedAt != nil {
			// The file may be paid at another bank: the API would pay it a second time.
			return refuseExported(t, "APIでは振込できません")
		}
		now := e.svc.now()
		attID := db.NewID("att")
		// The key is new for every execution: a キャンセル or エラー transfer executed again is a
		// new request at the bank. Retries of this execution (none are made blindly) reuse it —
		// and so does a re-execution after the janitor concluded "never received" (reuseKey).
		key := "kessai-" + attID
		req = aozora.TransferRequest{
			AccountID:               bank.AccountID,
			RemitterName:            t.RemitterName,
			TransferDesignatedDate:  aozora.DateOf(now),
			TransferDateHolidayCode: aozora.HolidayNextBusinessDay,
			Transfers: []aozora.Transfer{{
				TransferAmount:        t.Amount,
				EDIInfo:               ediRef(attID),
				BeneficiaryBankCode:   t.BankCode,
				BeneficiaryBranchCode: t.BranchCode,
				AccountTypeCode:       aozora.AccountType(t.AccountType),
				AccountNumber:         t.AccountNumber,
				BeneficiaryName:       t.HolderKana,
			}},
		}
		if prev, ok := e.reuseKey(ctx, tx, t.AttemptID, req); ok {
			key, req.Transfers[0].EDIInfo = prev.IdempotencyKey, prev.EDI
		} else if pa, until, open := e.svc.unproven(ctx, tx, t); open {
			// The bank may still hold the earlier request: a new key would pay twice.
			return refuseUnproven(t, pa, until, "別の依頼としての再実行（日付が変わった後・内容を変えた後の実行）は")
		}
		res, err := tx.ExecContext(ctx, `UPDATE transfers SET status = ?, idempotency_key = ?, attempt_id = ?,
			source_account_id = ?, designated_date = ?, executed_by = ?, executed_at = ?, reason = '', apply_no = '',
			bank_status = '', completed_at = NULL, batch_id = '', batch_item = 0, updated_at = ? WHERE id = ? AND status = ? AND file_exported_at IS NULL`,
			StatusSending, key, attID, bank.AccountID, req.TransferDesignatedDate.String(), actor(ctx), now, now, id, t.Status)
		if err != nil {
			return fmt.Errorf("claim transfer %s: %w", id, err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return errs.Conflict(fmt.Sprintf("振込 %s は別の操作で実行中か、状態が変わりました。画面を更新してください", t.CaseCode))
		}
		summary, err := json.Marshal(req)
		if err != nil {
			return err
		}
		a = attempt.Attempt{ID: attID, Room: Room, RecordType: RecordType, RecordID: id,
			Operation: OpRequest, IdempotencyKey: key, RequestSummary: string(summary)}
		return e.svc.audit.Record(ctx, tx, audit.Entry{Action: "transfer.execute", RecordType: RecordType, RecordID: id,
			Before: map[string]string{"status": t.Status}, After: map[string]string{"status": StatusSending, "attempt_id": attID}})
	}()
	t.Status, t.StatusLabel = StatusSending, Statuses.Label(StatusSending)
	return t, a, err
}

// prevRequest is what a re-execution reuses of an earlier request.
type prevRequest struct{ IdempotencyKey, EDI string }

// reuseKey returns the key and EDI reference of the transfer's previous attempt when the
// janitor failed it only because the bank did not list it (CodeNotFound: the bank may still
// hold it, see resolve.go) and req, with that reference, is exactly what was sent then. Sent
// again with the same key, the bank answers with the request it holds instead of making a
// second one.
func (e *Executor) reuseKey(ctx context.Context, tx *db.Tx, prevID string, req aozora.TransferRequest) (prevRequest, bool) {
	if prevID == "" {
		return prevRequest{}, false
	}
	pa, err := e.svc.attempts.Get(ctx, tx, prevID)
	if err != nil || pa.State != attempt.Failed || pa.ProviderCode != CodeNotFound {
		return prevRequest{}, false
	}
	var old aozora.TransferRequest
	if json.Unmarshal([]byte(pa.RequestSummary), &old) != nil || len(old.Transfers) != 1 {
		return prevRequest{}, false
	}
	req.Transfers = []aozora.Transfer{req.Transfers[0]}
	req.Transfers[0].EDIInfo = old.Transfers[0].EDIInfo
	b, err := json.Marshal(req)
	if err != nil || string(b) != pa.RequestSummary {
		return prevRequest{}, false
	}
	return prevRequest{IdempotencyKey: pa.IdempotencyKey, EDI: old.Transfers[0].EDIInfo}, true
}

// ediRef is the reference sent as the transfer's EDI information (≤20 characters, upper-case
// letters and digits): the attempt ID's time-and-random part. The bank echoes it in status
// answers, which is how the janitor finds a request whose answer was lost.
func ediRef(attemptID string) string {
	s := strings.TrimPrefix(attemptID, "att_")
	if len(s) > 20 {
		s = s[len(s)-20:]
	}
	return s
}

// bankAnswer is what an outcome's Response carries for applyOutcome.
type bankAnswer struct {
	ApplyNo    string `json:"apply_no"`
	Result     string `json:"result"`                // resultCode of request or request-result
	BankStatus string `json:"bank_status,omitempty"` // transferStatus, when known
	Reason     string `json:"reason,omitempty"`      // the bank's reason for 40 and the like
}

func (b bankAnswer) String() string {
	s, _ := json.Marshal(b)
	return string(s)
}

// requestOutcome classifies the answer to /transfer/request.
func requestOutcome(resp aozora.TransferRequestResponse, err error) attempt.Outcome {
	switch {
	case err == nil && !validApplyNo(resp.ApplyNo):
		// The bank said yes without saying to what: nothing could follow the transfer. Let the
		// janitor find the request by its EDI reference.
		return attempt.Outcome{State: attempt.Unknown, Code: string(resp.ResultCode),
			Message: fmt.Sprintf("銀行の応答に受付番号（applyNo）がありません（%q）。照会して確認します", resp.ApplyNo)}
	case err == nil:
		return attempt.Outcome{State: attempt.Succeeded, Code: string(resp.ResultCode),
			Message:  resp.ResultCode.Label(),
			Response: bankAnswer{ApplyNo: resp.ApplyNo, Result: string(resp.ResultCode)}.String()}
	case aozora.IsOutcomeUnknown(err):
		return attempt.Outcome{State: attempt.Unknown, Code: bankCode(err), Message: err.Error()}
	default:
		return attempt.Outcome{State: attempt.Failed, Code: bankCode(err), Message: bankReason(err)}
	}
}

// validApplyNo reports whether s is the bank's 16-digit applyNo.
func validApplyNo(s string) bool {
	if len(s) != 16 {
		return false
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

func bankCode(err error) string {
	var ae *aozora.APIError
	if errors.As(err, &ae) {
		if ae.Code != "" {
			return ae.Code
		}
		return fmt.Sprintf("HTTP%d", ae.HTTPStatus)
	}
	var oe *aozora.OAuthError
	if errors.As(err, &oe) {
		return oe.Code
	}
	return ""
}

// bankReason is the reason a person sees on a transfer the bank refused or never got.
func bankReason(err error) string {
	var ae *aozora.APIError
	var oe *aozora.OAuthError
	var te *aozora.TransportError
	switch {
	case aozora.IsMaintenance(err):
		return "銀行がメンテナンス中のため送信できませんでした（WG_ERR_300）。時間をおいて再実行してください"
	case aozora.IsUnauthorized(err):
		return "銀行の認証が切れています。設定 › 外部連携設定でリフレッシュトークンを取得し直してから再実行してください"
	case errors.As(err, &ae):
		parts := []string{ae.Message}
		for _, d := range ae.Details {
			parts = append(parts, d.Message)
		}
		for _, td := range ae.TransferErrorDetails {
			for _, d := range td.ErrorDetails {
				parts = append(parts, d.Message)
			}
		}
		return fmt.Sprintf("銀行エラー %s: %s", bankCode(err), strings.Join(nonEmpty(parts), " "))
	case errors.As(err, &oe):
		return "銀行の認証エラー " + oe.Code + ": " + oe.Description
	case errors.As(err, &te):
		return "銀行に接続できなかったため送信していません。再実行してください"
	}
	return "送信できませんでした: " + err.Error()
}

func nonEmpty(ss []string) []string {
	var out []string
	for _, s := range ss {
		if strings.TrimSpace(s) != "" {
			out = append(out, s)
		}
	}
	return out
}

// applyOutcome writes a settled (or unknown) outcome of the transfer's attempt onto the transfer,
// in the transaction that finished the attempt. It only touches the transfer while it still
// belongs to that attempt.
func (s *Service) applyOutcome(ctx context.Context, tx *db.Tx, a attempt.Attempt, o attempt.Outcome) error {
	var status, reason string
	var ans bankAnswer
	switch o.State {
	case attempt.Unknown, attempt.Pending:
		return nil // stays 送信中 until the janitor knows
	case attempt.Failed:
		status, reason = StatusFailed, o.Message
	case attempt.Succeeded:
		if err := json.Unmarshal([]byte(o.Response), &ans); err != nil {
			return fmt.Errorf("attempt %s: bank answer: %w", a.ID, err)
		}
		status, reason = fromBankLogged(ctx, aozora.ResultCode(ans.Result), aozora.TransferStatus(ans.BankStatus), ans.Reason)
	}
	_, err := s.setStatus(ctx, tx, a.RecordID, a.ID, status, reason, ans.ApplyNo, ans.BankStatus, "transfer.bank_answer")
	return err
}

// lateAnswer handles the bank's answer to a request whose attempt was settled while the call
// was under way (the janitor concluded "not received"). An acceptance is never dropped: the
// attempt is overturned, and the transfer — if it still belongs to the attempt — follows the
// bank again with the applyNo; otherwise (re-executed or deleted meanwhile) the answer is kept
// in the audit log and logged as an error for a person to reconcile.
func (s *Service) lateAnswer(ctx context.Context, a attempt.Attempt, o attempt.Outcome) error {
	var ans bankAnswer
	if o.State == attempt.Succeeded {
		if err := json.Unmarshal([]byte(o.Response), &ans); err != nil {
			return fmt.Errorf("attempt %s: bank answer: %w", a.ID, err)
		}
	}
	if o.State == attempt.Failed {
		return nil // the bank refused it: nothing at the bank, the settled failure stands
	}
	return s.db.InTx(ctx, func(tx *db.Tx) error {
		cur, err := s.attempts.Get(ctx, tx, a.ID)
		if err != nil {
			return err
		}
		if cur.State == attempt.Succeeded {
			return nil // the janitor found it at the bank: already recorded
		}
		moved := false
		if o.State == attempt.Succeeded && ans.ApplyNo != "" {
			if _, err := s.attempts.Overturn(ctx, tx, a.ID, o); err != nil {
				return err
			}
			status, reason := fromBankLogged(ctx, aozora.ResultCode(ans.Result), aozora.TransferStatus(ans.BankStatus), ans.Reason)
			if moved, err = s.setStatus(ctx, tx, a.RecordID, a.ID, status, reason, ans.ApplyNo, ans.BankStatus, "transfer.late_answer"); err != nil {
				return err
			}
		}
		if moved {
			return nil
		}
		if t, err := s.get(ctx, tx, a.RecordID); err == nil && ans.ApplyNo != "" && t.ApplyNo == ans.ApplyNo {
			return nil // re-executed with the same key: the bank answered with this same request
		}
		note := "銀行が遅れて依頼を受け付けた可能性があります（applyNo " + ans.ApplyNo + "）。振込が二重にならないよう銀行の振込状況を確認してください"
		logs.From(ctx).ErrorContext(ctx, "payout: the bank's answer came after the attempt was settled", "transfer", a.RecordID,
			"attempt", a.ID, "outcome", o.State, "apply_no", ans.ApplyNo, "code", o.Code)
		return s.audit.Record(ctx, tx, audit.Entry{Action: "transfer.late_answer_alert", RecordType: RecordType, RecordID: a.RecordID,
			After: map[string]string{"attempt_id": a.ID, "outcome": string(o.State), "apply_no": ans.ApplyNo}, Note: note})
	})
}

// setStatus moves a transfer to status. attemptID, when set, makes the change conditional on the
// transfer still belonging to that attempt. It reports whether the transfer changed.
func (s *Service) setStatus(ctx context.Context, tx *db.Tx, id, attemptID, status, reason, applyNo, bankStatus, action string) (bool, error) {
	now := s.now()
	var done any
	if status == StatusCompleted {
		done = now
	}
	q := `UPDATE transfers SET status = ?, reason = ?, bank_status = ?, completed_at = ?, checked_at = ?, updated_at = ?`
	args := []any{status, reason, bankStatus, done, now, now}
	if applyNo != "" {
		q += `, apply_no = ?`
		args = append(args, applyNo)
	}
	q += ` WHERE id = ?`
	args = append(args, id)
	if attemptID != "" {
		q += ` AND attempt_id = ?`
		args = append(args, attemptID)
	}
	res, err := tx.ExecContext(ctx, q, args...)
	if err != nil {
		return false, fmt.Errorf("transfer %s to %s: %w", id, status, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return false, nil // the transfer moved on (deleted or executed again): nothing to apply
	}
	return true, s.audit.Record(ctx, tx, audit.Entry{Action: action, RecordType: RecordType, RecordID: id,
		After: map[string]string{"status": status, "apply_no": applyNo, "bank_status": bankStatus}, Note: reason})
}

// fromBankLogged is fromBank, warning on the injected logger about a completion whose
// transfer status this version does not know (the transfer stays 承認待ち and is asked again).
func fromBankLogged(ctx context.Context, result aozora.ResultCode, st aozora.TransferStatus, bankReason string) (status, reason string) {
	if result == aozora.ResultCompleted && st.Outcome() == aozora.OutcomeUnknown {
		logs.From(ctx).WarnContext(ctx, "payout: resultCode 1 without a known transferStatus; the transfer stays 承認待ち",
			"transfer_status", string(st))
	}
	return fromBank(result, st, bankReason)
}

// fromBank maps the bank's answer to a transfer status: resultCode 2 waits for the approver;
// 8 expired; 1 approved, after which the transfer status decides (20 完了 — and 26 組戻不成立,
// where the money stayed with the seller —, 40/22/25 エラー, 4/5/8 キャンセル; still being
// processed, missing or unknown stays 承認待ち and is asked about again).
func fromBank(result aozora.ResultCode, st aozora.TransferStatus, bankReason string) (status, reason string) {
	switch result {
	case aozora.ResultExpired:
		return StatusCancelled, "承認期限切れ: 期限までに銀行の承認が行われませんでした（request-result 8 期限切）"
	case aozora.ResultIncomplete:
		switch st.Outcome() {
		case aozora.OutcomeCancelled:
			return StatusCancelled, cancelReason(st)
		}
		return StatusAwaitingApproval, ""
	case aozora.ResultCompleted:
		switch st.Outcome() {
		case aozora.OutcomeCancelled:
			return StatusCancelled, cancelReason(st)
		case aozora.OutcomeFailed, aozora.OutcomePartial:
			r := "銀行で振込が成立しませんでした（" + st.Label() + "）"
			if bankReason != "" {
				r += ": " + bankReason
			}
			return StatusFailed, r
		case aozora.OutcomePending:
			return StatusAwaitingApproval, ""
		case aozora.OutcomeCompleted:
			return StatusCompleted, ""
		case aozora.OutcomeUnknown:
			// No status detail (request-result also answers 1 for a cancel) or a code this
			// version does not know: the money may not have moved, so keep asking.
			return StatusAwaitingApproval, ""
		}
	}
	return StatusAwaitingApproval, ""
}

func cancelReason(st aozora.TransferStatus) string {
	return "銀行で取り消されました（" + st.Label() + "）"
}
