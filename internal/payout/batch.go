package payout

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"

	"kessai/internal/platform/attempt"
	"kessai/internal/platform/audit"
	"kessai/internal/platform/bankaccount"
	"kessai/internal/platform/bulk"
	"kessai/internal/platform/db"
	"kessai/internal/platform/errs"
	"kessai/internal/platform/logs"
	"kessai/internal/provider/aozora"
)

// 総合振込: many transfers in one /bulktransfer/request, so the bank's approver approves once
// per batch instead of once per transfer. The batch is one attempt (one Idempotency-Key, one
// transferDataName the resolver finds it by); each transfer keeps its own status, set from the
// bank's per-item results, so a failed item is fixed and executed again alone.

// Execution modes of 振込実行.
const (
	ModeBulk   = "bulk"   // まとめて: one 総合振込 (the default)
	ModeSingle = "single" // 1件ずつ: one /transfer/request each
)

// MaxBatchItems is the bank's limit of items in one 総合振込 (totalCount and itemId 1–9,999);
// a larger selection is split.
const MaxBatchItems = 9999

// Batch is one 総合振込.
type Batch struct {
	ID, AttemptID, DataName, SourceAccountID, DesignatedDate string
	ItemCount                                                int
	TotalAmount                                              int64
	Status, ApplyNo, BankStatus, Reason                      string
}

// errNoneEligible: nothing of the selection could go into the batch (each says why).
var errNoneEligible = errors.New("payout: no transfer of the selection can be sent")

// ExecuteAs sends the transfers as mode says: ModeBulk puts every executable one into one
// 総合振込 per MaxBatchItems (a selection with a single executable transfer is sent alone);
// ModeSingle sends each alone; "" is the room's setting (Service.ExecuteMode). Results are per
// transfer, as Execute's.
func (e *Executor) ExecuteAs(ctx context.Context, ids []string, mode string) ([]ExecResult, error) {
	if mode == "" {
		var err error
		if mode, err = e.svc.ExecuteMode(ctx); err != nil {
			return nil, err
		}
	}
	switch mode {
	case ModeSingle:
		return e.Execute(ctx, ids)
	case ModeBulk:
	default:
		return nil, errs.Invalid("実行方法は bulk（まとめて・総合振込）か single（1件ずつ）を指定してください").Field("mode", "bulk または single")
	}
	ids = bulk.Dedupe(ids)
	if len(ids) == 0 {
		return nil, errs.Invalid("振込を1件以上選んでください").Field("transfer_ids", "1件以上指定してください")
	}
	// A plain read only to decide the path; the claim decides again under lock.
	ts, _, err := e.svc.List(ctx, Filter{IDs: ids})
	if err != nil {
		return nil, err
	}
	n := 0
	for _, t := range ts {
		if t.Allows(ActExecute) && t.FileExportedAt == nil {
			n++
		}
	}
	if n < 2 {
		return e.Execute(ctx, ids)
	}
	bank, err := e.bank(ctx)
	if err != nil {
		return nil, err
	}
	size := e.BatchMax
	if size <= 0 || size > MaxBatchItems {
		size = MaxBatchItems
	}
	out := make([]ExecResult, 0, len(ids))
	for start := 0; start < len(ids); start += size {
		res, err := e.executeBatch(ctx, bank, ids[start:min(start+size, len(ids))])
		out = append(out, res...)
		if err != nil {
			return out, err
		}
	}
	return out, nil
}

// executeBatch sends one 総合振込 of ids (≤ MaxBatchItems) and reports each transfer.
func (e *Executor) executeBatch(ctx context.Context, bank Bank, ids []string) ([]ExecResult, error) {
	refused := map[string]string{}
	var b Batch
	_, err := e.runner().Run(ctx, e.batchOp(bank, ids, &b, refused))
	ctx = context.WithoutCancel(ctx)
	switch {
	case err == nil, errors.Is(err, errNoneEligible):
	case errors.Is(err, attempt.ErrAbandoned):
		for _, id := range ids {
			if _, ok := refused[id]; !ok {
				refused[id] = "総合振込を送信前に時間が経ちすぎたため送信を取りやめました。内容を確認して再実行してください"
			}
		}
	case errs.As(err) != nil && errs.As(err).Kind != errs.KindInternal:
		for _, id := range ids {
			if _, ok := refused[id]; !ok {
				refused[id] = errs.As(err).Message
			}
		}
	default:
		return nil, fmt.Errorf("batch %s: %w", b.ID, err)
	}
	out := make([]ExecResult, 0, len(ids))
	for _, id := range ids {
		r := ExecResult{ID: id, Error: refused[id]}
		if t, gerr := e.svc.Get(ctx, id); gerr == nil {
			r.Status, r.StatusLabel, r.Reason, r.BatchID = t.Status, t.StatusLabel, t.Reason, t.BatchID
		} else if r.Error == "" {
			r.Error = errMessage(gerr)
		}
		out = append(out, r)
	}
	return out, nil
}

// batchOp is one 総合振込 as an attempt.Op. *b receives the batch; refused gets the transfers
// left out, with why.
func (e *Executor) batchOp(bank Bank, ids []string, b *Batch, refused map[string]string) attempt.Op {
	return attempt.Op{
		Claim: func(ctx context.Context, tx *db.Tx) (attempt.Attempt, error) {
			return e.claimBatch(ctx, tx, bank, ids, b, refused)
		},
		Send: func(ctx context.Context, a attempt.Attempt) attempt.Outcome {
			var req aozora.BulkTransferRequest
			if err := json.Unmarshal([]byte(a.RequestSummary), &req); err != nil {
				return attempt.Outcome{State: attempt.Failed, Code: "request_summary", Message: "送信内容を読めなかったため送信していません: " + err.Error()}
			}
			return bulkOutcome(bank.Client.BulkTransferRequest(ctx, req, a.IdempotencyKey))
		},
		Apply: e.svc.applyBatchOutcome,
		Late:  e.svc.lateBatchAnswer,
	}
}

// claimBatch moves every executable transfer of ids to 送信中 in tx with one conditional UPDATE
// each (as the single claim does), writes the batch and returns its attempt. A transfer that
// cannot be sent (its status, a 全銀 file, an earlier request not proven absent, a name too long
// for a 総合振込) is left out and reported; none left is errNoneEligible (nothing written).
func (e *Executor) claimBatch(ctx context.Context, tx *db.Tx, bank Bank, ids []string, b *Batch, refused map[string]string) (attempt.Attempt, error) {
	ts, err := e.svc.lockTransfers(ctx, tx, ids)
	if err != nil {
		return attempt.Attempt{}, err
	}
	now := e.svc.now()
	attID := db.NewID("att")
	*b = Batch{ID: db.NewID("tbt"), AttemptID: attID, DataName: batchRef(attID), SourceAccountID: bank.AccountID,
		DesignatedDate: aozora.DateOf(now).String(), Status: StatusSending}
	req := aozora.BulkTransferRequest{AccountID: bank.AccountID, TransferDesignatedDate: aozora.DateOf(now),
		TransferDateHolidayCode: aozora.HolidayNextBusinessDay, TransferDataName: b.DataName}
	key := "kessai-" + attID
	edi := ediRef(attID)
	// The batch's own earlier request, failed only because the bank did not list it, is sent
	// again as the very same request (key, name, references) so a bank that got it dedupes.
	prev, reuse := e.reuseBatch(ctx, tx, bank, ts, req)
	if reuse {
		key, edi, b.DataName = prev.IdempotencyKey, prev.EDI, prev.DataName
		req.TransferDataName = prev.DataName
		ts = prev.ts // in the earlier request's item order, whatever the selection's
	}
	for _, t := range ts {
		switch {
		case !t.Allows(ActExecute):
			refused[t.ID] = fmt.Sprintf("振込 %s は「%s」のため実行できません", t.CaseCode, t.StatusLabel)
			continue
		case t.FileExportedAt != nil:
			refused[t.ID] = refuseExported(t, "APIでは振込できません").(*errs.Error).Message
			continue
		case utf8.RuneCountInString(t.HolderKana) > bankaccount.HolderMaxBulk:
			refused[t.ID] = fmt.Sprintf("振込 %s の受取人名は%d文字で、総合振込で送れる%d文字を超えています（銀行が切り捨てます）。名義を修正するか、1件ずつ実行してください",
				t.CaseCode, utf8.RuneCountInString(t.HolderKana), bankaccount.HolderMaxBulk)
			continue
		}
		if pa, until, open := e.svc.unproven(ctx, tx, t); open && !reuse {
			refused[t.ID] = refuseUnproven(t, pa, until, "別の依頼としての再実行（総合振込を含む）は").(*errs.Error).Message
			continue
		}
		item := len(req.BulkTransfers) + 1
		res, err := tx.ExecContext(ctx, `UPDATE transfers SET status = ?, idempotency_key = ?, attempt_id = ?, batch_id = ?, batch_item = ?,
			source_account_id = ?, designated_date = ?, executed_by = ?, executed_at = ?, reason = '', apply_no = '',
			bank_status = '', completed_at = NULL, updated_at = ? WHERE id = ? AND status = ? AND file_exported_at IS NULL`,
			StatusSending, key, attID, b.ID, item, bank.AccountID, b.DesignatedDate, actor(ctx), now, now, t.ID, t.Status)
		if err != nil {
			return attempt.Attempt{}, fmt.Errorf("claim transfer %s: %w", t.ID, err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			refused[t.ID] = fmt.Sprintf("振込 %s は別の操作で実行中か、状態が変わりました。画面を更新してください", t.CaseCode)
			continue
		}
		req.BulkTransfers = append(req.BulkTransfers, aozora.BulkTransfer{ItemID: item, BeneficiaryBankCode: t.BankCode,
			BeneficiaryBranchCode: t.BranchCode, AccountTypeCode: aozora.AccountType(t.AccountType), AccountNumber: t.AccountNumber,
			BeneficiaryName: t.HolderKana, TransferAmount: t.Amount, EDIInfo: edi})
		if _, err := tx.ExecContext(ctx, `INSERT INTO transfer_batch_items (batch_id, transfer_id, item_id) VALUES (?, ?, ?)`, b.ID, t.ID, item); err != nil {
			return attempt.Attempt{}, fmt.Errorf("batch item %s: %w", t.ID, err)
		}
		b.ItemCount++
		b.TotalAmount += t.Amount
		if err := e.svc.audit.Record(ctx, tx, audit.Entry{Action: "transfer.execute", RecordType: RecordType, RecordID: t.ID,
			Before: map[string]string{"status": t.Status},
			After:  map[string]string{"status": StatusSending, "attempt_id": attID, "batch_id": b.ID}}); err != nil {
			return attempt.Attempt{}, err
		}
	}
	if b.ItemCount == 0 {
		return attempt.Attempt{}, errNoneEligible
	}
	req.TotalCount, req.TotalAmount = b.ItemCount, b.TotalAmount
	if _, err := tx.ExecContext(ctx, `INSERT INTO transfer_batches (id, attempt_id, data_name, source_account_id, designated_date,
		item_count, total_amount, status, executed_by, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		b.ID, attID, b.DataName, b.SourceAccountID, b.DesignatedDate, b.ItemCount, b.TotalAmount, StatusSending, actor(ctx), now, now); err != nil {
		return attempt.Attempt{}, fmt.Errorf("insert batch: %w", err)
	}
	summary, err := json.Marshal(req)
	if err != nil {
		return attempt.Attempt{}, err
	}
	if err := e.svc.audit.Record(ctx, tx, audit.Entry{Action: "transfer.bulk_execute", RecordType: RecordTypeBatch, RecordID: b.ID,
		After: map[string]string{"attempt_id": attID, "items": fmt.Sprint(b.ItemCount), "total_amount": fmt.Sprint(b.TotalAmount)},
		Note:  fmt.Sprintf("総合振込 %d件・合計%d円", b.ItemCount, b.TotalAmount)}); err != nil {
		return attempt.Attempt{}, err
	}
	return attempt.Attempt{ID: attID, Room: Room, RecordType: RecordTypeBatch, RecordID: b.ID, Operation: OpBulkRequest,
		IdempotencyKey: key, RequestSummary: string(summary)}, nil
}

// prevBatch is what a re-execution reuses of a batch's earlier request, with the transfers in
// that request's item order.
type prevBatch struct {
	IdempotencyKey, EDI, DataName string
	ts                            []Transfer
}

// reuseBatch returns the key and references of the earlier 総合振込 of ts when all of them are
// still that request's items, the janitor failed it only because the bank did not list it
// (CodeNotFound), and the request built now with those references is exactly what was sent.
func (e *Executor) reuseBatch(ctx context.Context, tx *db.Tx, bank Bank, ts []Transfer, req aozora.BulkTransferRequest) (prevBatch, bool) {
	if len(ts) == 0 || ts[0].AttemptID == "" {
		return prevBatch{}, false
	}
	pa, err := e.svc.attempts.Get(ctx, tx, ts[0].AttemptID)
	if err != nil || pa.Operation != OpBulkRequest || pa.State != attempt.Failed || pa.ProviderCode != CodeNotFound {
		return prevBatch{}, false
	}
	var old aozora.BulkTransferRequest
	if json.Unmarshal([]byte(pa.RequestSummary), &old) != nil || len(old.BulkTransfers) != len(ts) {
		return prevBatch{}, false
	}
	// The selection may list them in another order than the earlier request's items.
	items, err := db.Collect(ctx, tx, `SELECT transfer_id, item_id FROM transfer_batch_items WHERE batch_id = ?`,
		[]any{pa.RecordID}, func(r *sql.Rows) (batchItem, error) {
			var it batchItem
			err := r.Scan(&it.id, &it.item)
			return it, err
		})
	if err != nil {
		return prevBatch{}, false
	}
	itemOf := make(map[string]int, len(items))
	for _, it := range items {
		itemOf[it.id] = it.item
	}
	ts = slices.Clone(ts)
	slices.SortStableFunc(ts, func(a, b Transfer) int { return itemOf[a.ID] - itemOf[b.ID] })
	req.TransferDataName = old.TransferDataName
	for i, t := range ts {
		if t.AttemptID != pa.ID || !t.Allows(ActExecute) {
			return prevBatch{}, false
		}
		req.BulkTransfers = append(req.BulkTransfers, aozora.BulkTransfer{ItemID: i + 1, BeneficiaryBankCode: t.BankCode,
			BeneficiaryBranchCode: t.BranchCode, AccountTypeCode: aozora.AccountType(t.AccountType), AccountNumber: t.AccountNumber,
			BeneficiaryName: t.HolderKana, TransferAmount: t.Amount, EDIInfo: old.BulkTransfers[0].EDIInfo})
		req.TotalAmount += t.Amount
	}
	req.TotalCount = len(ts)
	b, err := json.Marshal(req)
	if err != nil || string(b) != pa.RequestSummary {
		return prevBatch{}, false
	}
	return prevBatch{IdempotencyKey: pa.IdempotencyKey, EDI: old.BulkTransfers[0].EDIInfo, DataName: old.TransferDataName, ts: ts}, true
}

// batchRef is the transferDataName of a batch (≤10 characters): the attempt ID's last ten,
// which is how the resolver recognises the request in a listing.
func batchRef(attemptID string) string {
	s := strings.TrimPrefix(attemptID, "att_")
	if len(s) > 10 {
		s = s[len(s)-10:]
	}
	return strings.ToUpper(s)
}

// batchAnswer is what a bulk outcome's Response carries: the batch-level answer and, for a
// refusal, the bank's reason per itemId.
type batchAnswer struct {
	bankAnswer
	Items map[int]string `json:"items,omitempty"`
}

func (b batchAnswer) String() string {
	s, _ := json.Marshal(b)
	return string(s)
}

// bulkOutcome classifies the answer to /bulktransfer/request as requestOutcome does, keeping
// the bank's per-item reasons of a refusal.
func bulkOutcome(resp aozora.TransferRequestResponse, err error) attempt.Outcome {
	o := requestOutcome(resp, err)
	var ae *aozora.APIError
	if o.State == attempt.Failed && errors.As(err, &ae) && len(ae.TransferErrorDetails) > 0 {
		ans := batchAnswer{Items: map[int]string{}}
		for _, td := range ae.TransferErrorDetails {
			var parts []string
			for _, d := range td.ErrorDetails {
				parts = append(parts, d.Message)
			}
			ans.Items[td.ItemID] = strings.Join(nonEmpty(parts), " ")
		}
		o.Response = ans.String()
	}
	return o
}

// batchStatus is fromBank for a whole 総合振込: 不能・組戻あり (30) concerns some items only,
// so it waits for the per-item results instead of failing every transfer.
func batchStatus(result aozora.ResultCode, st aozora.TransferStatus, reason string) (string, string) {
	if result == aozora.ResultCompleted && st == aozora.StatusPartlyUnable {
		return StatusAwaitingApproval, ""
	}
	return fromBank(result, st, reason)
}

// applyBatchOutcome writes the outcome of a batch's attempt onto the batch and each transfer
// still belonging to it, in the transaction that finished the attempt.
func (s *Service) applyBatchOutcome(ctx context.Context, tx *db.Tx, a attempt.Attempt, o attempt.Outcome) error {
	_, err := s.applyBatch(ctx, tx, a, o, "transfer.bank_answer")
	return err
}

func (s *Service) applyBatch(ctx context.Context, tx *db.Tx, a attempt.Attempt, o attempt.Outcome, action string) (int, error) {
	var ans batchAnswer
	var status, reason string
	switch o.State {
	case attempt.Unknown, attempt.Pending:
		return 0, nil // stays 送信中 until the janitor knows
	case attempt.Failed:
		status, reason = StatusFailed, "総合振込として送れませんでした: "+o.Message
		_ = json.Unmarshal([]byte(o.Response), &ans)
	case attempt.Succeeded:
		if err := json.Unmarshal([]byte(o.Response), &ans); err != nil {
			return 0, fmt.Errorf("attempt %s: bank answer: %w", a.ID, err)
		}
		status, reason = batchStatus(aozora.ResultCode(ans.Result), aozora.TransferStatus(ans.BankStatus), ans.Reason)
	}
	now := s.now()
	if _, err := tx.ExecContext(ctx, `UPDATE transfer_batches SET status = ?, apply_no = ?, bank_status = ?, reason = ?, updated_at = ?
		WHERE id = ? AND attempt_id = ?`, status, ans.ApplyNo, ans.BankStatus, reason, now, a.RecordID, a.ID); err != nil {
		return 0, fmt.Errorf("batch %s: %w", a.RecordID, err)
	}
	items, err := s.batchItems(ctx, tx, a.RecordID, a.ID)
	if err != nil {
		return 0, err
	}
	moved := 0
	for _, it := range items {
		r := reason
		if why, ok := ans.Items[it.item]; ok && o.State == attempt.Failed {
			r = "総合振込の明細" + fmt.Sprint(it.item) + "に誤りがあります: " + why
		} else if o.State == attempt.Failed && len(ans.Items) > 0 {
			r = "総合振込のほかの明細に誤りがあったため、この振込も送られていません。再実行してください（" + o.Message + "）"
		}
		ok, err := s.setStatus(ctx, tx, it.id, a.ID, status, r, ans.ApplyNo, ans.BankStatus, action)
		if err != nil {
			return moved, err
		}
		if ok {
			moved++
		}
	}
	return moved, nil
}

type batchItem struct {
	id   string
	item int
}

// batchItems lists the transfers of batch still belonging to its attempt.
func (s *Service) batchItems(ctx context.Context, q db.Querier, batchID, attemptID string) ([]batchItem, error) {
	out, err := db.Collect(ctx, q, `SELECT id, batch_item FROM transfers WHERE batch_id = ? AND attempt_id = ? ORDER BY batch_item`,
		[]any{batchID, attemptID}, func(r *sql.Rows) (batchItem, error) {
			var it batchItem
			err := r.Scan(&it.id, &it.item)
			return it, err
		})
	if err != nil {
		return nil, fmt.Errorf("items of batch %s: %w", batchID, err)
	}
	return out, nil
}

// lateBatchAnswer is lateAnswer for a batch: an acceptance that arrives after the janitor
// settled the attempt overturns it and its transfers follow the bank again; if none still
// belongs to it, the answer is audited as an alert.
func (s *Service) lateBatchAnswer(ctx context.Context, a attempt.Attempt, o attempt.Outcome) error {
	if o.State == attempt.Failed {
		return nil
	}
	var ans batchAnswer
	if o.State == attempt.Succeeded {
		if err := json.Unmarshal([]byte(o.Response), &ans); err != nil {
			return fmt.Errorf("attempt %s: bank answer: %w", a.ID, err)
		}
	}
	return s.db.InTx(ctx, func(tx *db.Tx) error {
		cur, err := s.attempts.Get(ctx, tx, a.ID)
		if err != nil {
			return err
		}
		if cur.State == attempt.Succeeded {
			return nil
		}
		if o.State == attempt.Succeeded && ans.ApplyNo != "" {
			if _, err := s.attempts.Overturn(ctx, tx, a.ID, o); err != nil {
				return err
			}
			if n, err := s.applyBatch(ctx, tx, a, o, "transfer.late_answer"); err != nil || n > 0 {
				return err
			}
		}
		logs.From(ctx).ErrorContext(ctx, "payout: the bank's answer to a 総合振込 came after the attempt was settled", "batch", a.RecordID,
			"attempt", a.ID, "outcome", o.State, "apply_no", ans.ApplyNo)
		return s.audit.Record(ctx, tx, audit.Entry{Action: "transfer.late_answer_alert", RecordType: RecordTypeBatch, RecordID: a.RecordID,
			After: map[string]string{"attempt_id": a.ID, "outcome": string(o.State), "apply_no": ans.ApplyNo},
			Note:  "銀行が遅れて総合振込を受け付けた可能性があります（applyNo " + ans.ApplyNo + "）。振込が二重にならないよう銀行の振込状況を確認してください"})
	})
}
