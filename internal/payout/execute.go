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
	"kessai/internal/platform/db"
	"kessai/internal/platform/errs"
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

// Steps of one execution, named for StepHook.
const (
	StepBeforeAttempt = "before_attempt" // nothing written yet
	StepAfterAttempt  = "after_attempt"  // claimed and attempt written, not sent
	StepAfterSend     = "after_send"     // the bank answered (or not), nothing recorded
	StepAfterRecord   = "after_record"   // the answer is recorded
)

// Executor sends transfers to the bank.
//
// Each transfer goes in its own /transfer/request with one item, not grouped into
// /bulktransfer/request: each then has its own applyNo, approval, expiry and failure, so one bad
// account never holds up or fails the others, a キャンセル or エラー can be fixed and re-executed
// alone, and an unknown outcome concerns exactly one transfer. The cost is one approval mail per
// transfer, which the bank's approver screen lists together anyway.
type Executor struct {
	svc  *Service
	bank BankFunc
	// CallTimeout bounds one request to the bank (30 s). It must stay well below the janitor's
	// StaleAfter, so the janitor never asks about a call still in flight.
	CallTimeout time.Duration
	// StepHook is for tests only: it is called at each Step; an error stops the execution right
	// there, as if the process had died.
	StepHook func(step string) error
}

// NewExecutor returns an executor that sends through bank.
func NewExecutor(svc *Service, bank BankFunc) *Executor {
	return &Executor{svc: svc, bank: bank, CallTimeout: 30 * time.Second}
}

func (e *Executor) step(name string) error {
	if e.StepHook == nil {
		return nil
	}
	if err := e.StepHook(name); err != nil {
		return fmt.Errorf("stopped at %s: %w", name, err)
	}
	return nil
}

// ExecResult is the outcome of executing one transfer.
type ExecResult struct {
	ID          string `json:"id"`
	Status      string `json:"status"`
	StatusLabel string `json:"status_label"`
	Reason      string `json:"reason,omitempty"`
	Error       string `json:"error,omitempty"` // why it was not executed (state, permission, bank down)
}

// Execute sends each transfer; a transfer that cannot be executed is reported in its result, not
// as an error. The error is for the connection as a whole (bank not connected).
func (e *Executor) Execute(ctx context.Context, ids []string) ([]ExecResult, error) {
	ids = dedupe(ids)
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
	if err := e.step(StepBeforeAttempt); err != nil {
		return Transfer{}, err
	}
	t, a, req, err := e.claim(ctx, bank, id)
	if err != nil {
		cur, _ := e.svc.Get(ctx, id)
		return cur, err
	}
	if err := e.step(StepAfterAttempt); err != nil {
		return t, err
	}
	cctx, cancel := context.WithTimeout(ctx, e.CallTimeout)
	resp, callErr := bank.Client.TransferRequest(cctx, req, a.IdempotencyKey)
	cancel()
	if err := e.step(StepAfterSend); err != nil {
		return t, err
	}
	o := requestOutcome(resp, callErr)
	err = e.svc.db.InTx(ctx, func(tx *db.Tx) error {
		done, err := e.svc.attempts.Finish(ctx, tx, a.ID, o)
		if err != nil {
			return err
		}
		return e.svc.applyOutcome(ctx, tx, done, o)
	})
	if err != nil && !errors.Is(err, attempt.ErrSettled) {
		return t, fmt.Errorf("record answer for transfer %s (attempt %s): %w", id, a.ID, err)
	}
	if err := e.step(StepAfterRecord); err != nil {
		return t, err
	}
	return e.svc.Get(ctx, id)
}

// claim moves the transfer to sending and writes its attempt in one transaction. The
// conditional UPDATE is the claim: of two concurrent executions (two requests, or two instances
// on PostgreSQL) exactly one changes the row, and only that one sends.
func (e *Executor) claim(ctx context.Context, bank Bank, id string) (Transfer, attempt.Attempt, aozora.TransferRequest, error) {
	var t Transfer
	var a attempt.Attempt
	var req aozora.TransferRequest
	err := e.svc.db.InTx(ctx, func(tx *db.Tx) error {
		var err error
		t, err = e.svc.get(ctx, tx, id)
		if err != nil {
			return err
		}
		if !t.Allows(ActExecute) {
			return errs.Conflict(fmt.Sprintf("振込 %s は「%s」のため実行できません", t.CaseCode, t.StatusLabel))
		}
		now := e.svc.now()
		attID := db.NewID("att")
		// The key is new for every execution: a キャンセル or エラー transfer executed again is a
		// new request at the bank. Retries of this execution (none are made blindly) reuse it.
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
		res, err := tx.ExecContext(ctx, `UPDATE transfers SET status = ?, idempotency_key = ?, attempt_id = ?,
			source_account_id = ?, designated_date = ?, executed_by = ?, executed_at = ?, reason = '', apply_no = '',
			bank_status = '', completed_at = NULL, updated_at = ? WHERE id = ? AND status = ?`,
			StatusSending, key, attID, bank.AccountID, req.TransferDesignatedDate.String(), actor(ctx), now, now, id, t.Status)
		if err != nil {
			return fmt.Errorf("claim transfer %s: %w", id, err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return errs.Conflict(fmt.Sprintf("振込 %s は別の操作で実行中か、状態が変わりました。画面を更新してください", t.CaseCode))
		}
		summary, _ := json.Marshal(req)
		a, err = e.svc.attempts.Begin(ctx, tx, attempt.Attempt{ID: attID, Room: Room, RecordType: RecordType, RecordID: id,
			Operation: OpRequest, IdempotencyKey: key, RequestSummary: string(summary)})
		if err != nil {
			return err
		}
		return e.svc.audit.Record(ctx, tx, audit.Entry{Action: "transfer.execute", RecordType: RecordType, RecordID: id,
			Before: map[string]string{"status": t.Status}, After: map[string]string{"status": StatusSending, "attempt_id": attID}})
	})
	t.Status, t.StatusLabel = StatusSending, Statuses.Label(StatusSending)
	return t, a, req, err
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
		status, reason = fromBank(aozora.ResultCode(ans.Result), aozora.TransferStatus(ans.BankStatus), ans.Reason)
	}
	return s.setStatus(ctx, tx, a.RecordID, a.ID, status, reason, ans.ApplyNo, ans.BankStatus, "transfer.bank_answer")
}

// setStatus moves a transfer to status. attemptID, when set, makes the change conditional on the
// transfer still belonging to that attempt.
func (s *Service) setStatus(ctx context.Context, tx *db.Tx, id, attemptID, status, reason, applyNo, bankStatus, action string) error {
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
		return fmt.Errorf("transfer %s to %s: %w", id, status, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return nil // the transfer moved on (deleted or executed again): nothing to apply
	}
	return s.audit.Record(ctx, tx, audit.Entry{Action: action, RecordType: RecordType, RecordID: id,
		After: map[string]string{"status": status, "apply_no": applyNo, "bank_status": bankStatus}, Note: reason})
}

// fromBank maps the bank's answer to a transfer status: resultCode 2 waits for the approver;
// 8 expired; 1 approved, after which the transfer status decides (20 完了, 40 エラー, 4/5/8
// キャンセル; still being processed stays 承認待ち until it ends).
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
		case aozora.OutcomeCompleted, aozora.OutcomeUnknown:
			return StatusCompleted, ""
		}
	}
	return StatusAwaitingApproval, ""
}

func cancelReason(st aozora.TransferStatus) string {
	return "銀行で取り消されました（" + st.Label() + "）"
}
