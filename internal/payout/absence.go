package payout

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"kessai/internal/platform/attempt"
	"kessai/internal/platform/db"
	"kessai/internal/platform/errs"
	"kessai/internal/platform/logs"
	"kessai/internal/provider/aozora"
	"kessai/internal/web"
)

// A request the bank did not list ("not found") is not proven absent: the bank may list it
// later (clocks skewed across midnight, a request still 依頼中, a slow listing). For
// NotFoundDays after it was sent the poller keeps looking for it, and meanwhile nothing may
// send the transfer under a new key or change what was sent: no edit, no delete, no
// re-execution except the very same request (same key and reference, which the bank dedupes).

// DefaultNotFoundDays is how many days a "not found" request is looked for again; the
// environment variable EnvNotFoundDays changes it.
const DefaultNotFoundDays = 5

// EnvNotFoundDays sets Service.NotFoundDays for `kessai serve`.
const EnvNotFoundDays = "KESSAI_PAYOUT_NOT_FOUND_DAYS"

// RecheckEvery is how often the poller asks the bank again about a "not found" request.
const RecheckEvery = 10 * time.Minute

// notFoundWindow is how long a not-found request is looked for.
func (s *Service) notFoundWindow() time.Duration {
	days := s.NotFoundDays
	if days <= 0 {
		days = DefaultNotFoundDays
	}
	return time.Duration(days) * 24 * time.Hour
}

// unproven returns the transfer's last attempt when the bank did not list it and the window in
// which it may still turn up has not passed (on the wall clock, like every "did it reach the
// bank" decision), with the time the search ends.
func (s *Service) unproven(ctx context.Context, q db.Querier, t Transfer) (attempt.Attempt, time.Time, bool) {
	if t.AttemptID == "" {
		return attempt.Attempt{}, time.Time{}, false
	}
	a, err := s.attempts.Get(ctx, q, t.AttemptID)
	if err != nil || a.State != attempt.Failed || a.ProviderCode != CodeNotFound {
		return a, time.Time{}, false
	}
	sent := a.SentAt
	if sent.IsZero() {
		sent = a.CreatedAt
	}
	until := sent.Add(s.notFoundWindow())
	return a, until, s.attempts.Now().Before(until)
}

// refuseUnproven is the error for doing what to a transfer whose earlier request is not proven
// absent.
func refuseUnproven(t Transfer, a attempt.Attempt, until time.Time, what string) error {
	sent := a.SentAt
	if sent.IsZero() {
		sent = a.CreatedAt
	}
	return errs.Conflict(fmt.Sprintf("振込 %s は、%s に送った振込依頼が銀行に届いていないことをまだ確認できていません（%s まで銀行への照会を続けます）。"+
		"届いていた場合に二重振込にならないよう、それまでは%sできません。", t.CaseCode, jst(sent), jst(until), what))
}

func jst(t time.Time) string { return web.FormatJST(t, "2006/01/02 15:04") }

// notFoundTransfers lists the エラー transfers whose request the bank did not list and may
// still turn up, not asked about for RecheckEvery.
func (s *Service) notFoundTransfers(ctx context.Context) ([]Transfer, error) {
	ts, err := db.Collect(ctx, s.db, selectTransfer+` JOIN attempts a ON a.id = t.attempt_id
		WHERE t.status = ? AND a.state = ? AND a.provider_code = ? AND COALESCE(a.sent_at, a.created_at) > ?
		AND (t.checked_at IS NULL OR t.checked_at < ?) ORDER BY t.checked_at, t.id`,
		[]any{StatusFailed, string(attempt.Failed), CodeNotFound, s.attempts.Now().Add(-s.notFoundWindow()), s.now().Add(-RecheckEvery)},
		scanTransferRow)
	if err != nil {
		return nil, fmt.Errorf("not-found transfers: %w", err)
	}
	return ts, nil
}

// recheck asks the bank again about a transfer whose request it did not list. When the bank
// lists it now, the attempt is overturned and the transfer follows the bank again (承認待ち
// with the applyNo); the audit log says so. It reports whether the transfer changed.
func (p *Poller) recheck(ctx context.Context, bank Bank, t Transfer) (bool, error) {
	a, err := p.svc.attempts.Get(ctx, p.svc.db, t.AttemptID)
	if err != nil {
		return false, err
	}
	if a.Operation == OpBulkRequest {
		return p.recheckBatch(ctx, bank, t, a)
	}
	o, found, err := NewResolver(p.svc, p.bank).find(ctx, bank, a)
	if err != nil {
		return false, err
	}
	if !found {
		_, err := p.svc.db.ExecContext(ctx, `UPDATE transfers SET checked_at = ? WHERE id = ? AND attempt_id = ?`, p.svc.now(), t.ID, a.ID)
		return false, err
	}
	var ans bankAnswer
	if err := json.Unmarshal([]byte(o.Response), &ans); err != nil {
		return false, fmt.Errorf("attempt %s: bank answer: %w", a.ID, err)
	}
	status, reason := fromBankLogged(ctx, aozora.ResultCode(ans.Result), aozora.TransferStatus(ans.BankStatus), ans.Reason)
	moved := false
	err = p.svc.db.InTx(ctx, func(tx *db.Tx) error {
		ok, err := p.svc.attempts.Overturn(ctx, tx, a.ID, o)
		if err != nil || !ok {
			return err
		}
		moved, err = p.svc.setStatus(ctx, tx, t.ID, a.ID, status, reason, ans.ApplyNo, ans.BankStatus, "transfer.found_after_not_found")
		return err
	})
	if moved {
		logs.From(ctx).WarnContext(ctx, "payout: a request the bank had not listed was found later", "transfer", t.ID, "attempt", a.ID, "apply_no", ans.ApplyNo)
	}
	return moved, err
}
