package payout

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"kessai/internal/platform/attempt"
	"kessai/internal/platform/db"
	"kessai/internal/platform/logs"
	"kessai/internal/provider/aozora"
)

// BatchResolver settles a 総合振込 whose answer was lost by asking the bank: it lists bulk
// transfers by period (searchPeriod, as for single ones) and recognises the request by its
// transferDataName, item count and total. It never sends the request again; "not listed" is
// concluded, and then kept in question, exactly as Resolver does (absence.go: the batch's
// transfers can be neither edited, deleted nor sent again under a new key meanwhile).
type BatchResolver struct {
	svc           *Service
	bank          BankFunc
	NotFoundAfter time.Duration
}

// NewBatchResolver returns the resolver for OpBulkRequest; register it with the janitor.
func NewBatchResolver(svc *Service, bank BankFunc) *BatchResolver {
	return &BatchResolver{svc: svc, bank: bank, NotFoundAfter: 10 * time.Minute}
}

// Resolve asks the bank what became of the 総合振込.
func (r *BatchResolver) Resolve(ctx context.Context, a attempt.Attempt) (attempt.Outcome, error) {
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
	if r.svc.attempts.Now().Sub(sent) < r.NotFoundAfter {
		return attempt.Outcome{State: attempt.Unknown}, nil
	}
	return attempt.Outcome{State: attempt.Failed, Code: CodeNotFound,
		Message: fmt.Sprintf("銀行の照会で総合振込の依頼が見つかりませんでした。届いていた場合に備えて%sまで照会を続け、見つかれば承認待ちに戻します"+
			"（それまで編集・削除・別の依頼としての再実行はできません）", jst(sent.Add(r.svc.notFoundWindow())))}, nil
}

// Apply writes the settled outcome onto the batch and its transfers.
func (r *BatchResolver) Apply(ctx context.Context, tx *db.Tx, a attempt.Attempt, o attempt.Outcome) error {
	return r.svc.applyBatchOutcome(ctx, tx, a, o)
}

// find looks the batch's request up at the bank by period and transferDataName.
func (r *BatchResolver) find(ctx context.Context, bank Bank, a attempt.Attempt) (attempt.Outcome, bool, error) {
	var req aozora.BulkTransferRequest
	if err := json.Unmarshal([]byte(a.RequestSummary), &req); err != nil || req.TransferDataName == "" {
		return attempt.Outcome{}, false, fmt.Errorf("attempt %s: unreadable bulk request summary: %v", a.ID, err)
	}
	from, to := searchPeriod(req.TransferDesignatedDate, a.CreatedAt, r.svc.now(), r.svc.attempts.Now())
	q := aozora.StatusQuery{AccountID: req.AccountID, QueryKeyClass: aozora.QueryByPeriod, DateFrom: from, DateTo: to, TransferTerm: "1"}
	for page := 0; page < 100; page++ {
		res, err := bank.Client.BulkTransferStatus(ctx, q)
		if err != nil {
			return attempt.Outcome{}, false, fmt.Errorf("attempt %s: bulk status by period: %w", a.ID, err)
		}
		for _, d := range res.BulkTransferDetails {
			if !matchesBatch(d, req) || d.ApplyNo() == "" {
				continue
			}
			ans := batchAnswer{bankAnswer: bankAnswer{ApplyNo: d.ApplyNo(), BankStatus: string(d.TransferStatus)}}
			rr, err := bank.Client.BulkTransferRequestResult(ctx, req.AccountID, ans.ApplyNo)
			if err != nil {
				return attempt.Outcome{}, false, fmt.Errorf("attempt %s: bulk request-result %s: %w", a.ID, ans.ApplyNo, err)
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

// matchesBatch: the listing shows the request's transferDataName (unique per attempt), count and
// total; a listing without the name never matches.
func matchesBatch(d aozora.BulkTransferDetail, req aozora.BulkTransferRequest) bool {
	for _, r := range d.BulkTransferResponses {
		if r.TransferDataName != "" && r.TransferDataName == req.TransferDataName && r.TotalCount == req.TotalCount && r.TotalAmount == req.TotalAmount {
			return true
		}
	}
	return false
}

// openBatches lists the batches the bank has accepted and not finished.
func (s *Service) openBatches(ctx context.Context) ([]Batch, error) {
	out, err := db.Collect(ctx, s.db, `SELECT id, attempt_id, data_name, source_account_id, designated_date, item_count, total_amount,
		status, apply_no, bank_status, reason FROM transfer_batches WHERE status = ? AND apply_no <> '' ORDER BY created_at, id`,
		[]any{StatusAwaitingApproval}, func(r *sql.Rows) (Batch, error) {
			var b Batch
			err := r.Scan(&b.ID, &b.AttemptID, &b.DataName, &b.SourceAccountID, &b.DesignatedDate, &b.ItemCount, &b.TotalAmount,
				&b.Status, &b.ApplyNo, &b.BankStatus, &b.Reason)
			return b, err
		})
	if err != nil {
		return nil, fmt.Errorf("open batches: %w", err)
	}
	return out, nil
}

// GetBatch returns the batch id.
func (s *Service) GetBatch(ctx context.Context, id string) (Batch, error) {
	var b Batch
	err := s.db.QueryRowContext(ctx, `SELECT id, attempt_id, data_name, source_account_id, designated_date, item_count, total_amount,
		status, apply_no, bank_status, reason FROM transfer_batches WHERE id = ?`, id).Scan(&b.ID, &b.AttemptID, &b.DataName,
		&b.SourceAccountID, &b.DesignatedDate, &b.ItemCount, &b.TotalAmount, &b.Status, &b.ApplyNo, &b.BankStatus, &b.Reason)
	if errors.Is(err, sql.ErrNoRows) {
		return b, fmt.Errorf("batch %s not found", id)
	}
	return b, err
}

// itemOutcome is what the bank says of one item of a finished 総合振込.
type itemOutcome struct {
	status, reason string
	fee            *int64
}

// pollBatch asks the bank about one accepted 総合振込: its request result, then its status with
// the items (500 per page). Each transfer still belonging to the batch's attempt follows the
// bank: the whole batch for 承認待ち, キャンセル, 手続済 and 手続不成立; per item for 不能・組戻あり,
// once the bank has the items ready (about 10 minutes after the approval). It reports how many
// transfers changed.
func (p *Poller) pollBatch(ctx context.Context, bank Bank, b Batch) (int, error) {
	rr, err := bank.Client.BulkTransferRequestResult(ctx, b.SourceAccountID, b.ApplyNo)
	if err != nil {
		return 0, fmt.Errorf("bulk request-result: %w", err)
	}
	var st aozora.TransferStatus
	items := map[int]itemOutcome{}
	ready := false
	if rr.ResultCode != aozora.ResultExpired {
		q := aozora.StatusQuery{AccountID: b.SourceAccountID, QueryKeyClass: aozora.QueryByApplyNo, ApplyNo: b.ApplyNo,
			DetailInfoNecessity: true, BulkTransferItemKey: 1}
		for page := 0; page*500 < b.ItemCount+500 && page < 21; page++ {
			res, err := bank.Client.BulkTransferStatus(ctx, q)
			if err != nil {
				return 0, fmt.Errorf("bulk status: %w", err)
			}
			got := 0
			for _, d := range res.BulkTransferDetails {
				if d.ApplyNo() != b.ApplyNo && d.ApplyNo() != "" {
					continue
				}
				st = d.TransferStatus
				for _, r := range d.BulkTransferResponses {
					for _, in := range r.BulkTransferInfos {
						got++
						items[in.ItemID] = itemOf(in)
					}
				}
			}
			ready = res.DetailInfoResult != nil && *res.DetailInfoResult
			if !ready || got < 500 {
				break
			}
			q.BulkTransferItemKey += 500
		}
	}
	status, reason := batchStatus(rr.ResultCode, st, "")
	partial := rr.ResultCode == aozora.ResultCompleted && st == aozora.StatusPartlyUnable
	members, err := p.svc.batchItems(ctx, p.svc.db, b.ID, b.AttemptID)
	if err != nil {
		return 0, err
	}
	changed, open := 0, 0
	err = p.svc.db.InTx(ctx, func(tx *db.Tx) error {
		for _, m := range members {
			t, err := p.svc.get(ctx, tx, m.id)
			if err != nil {
				return err
			}
			if t.Status != StatusAwaitingApproval {
				continue
			}
			ms, mr := status, reason
			if partial {
				io, ok := items[m.item]
				if !ready || !ok || io.status == "" {
					open++
					continue
				}
				ms, mr = io.status, io.reason
			}
			if io, ok := items[m.item]; ok && io.fee != nil {
				if _, err := tx.ExecContext(ctx, `UPDATE transfers SET fee = ?, fee_apply_no = ? WHERE id = ?`, *io.fee, b.ApplyNo, m.id); err != nil {
					return err
				}
			}
			if ms == t.Status && string(st) == t.BankStatus {
				open++
				continue
			}
			ok, err := p.svc.setStatus(ctx, tx, m.id, b.AttemptID, ms, mr, "", string(st), "transfer.bank_status")
			if err != nil {
				return err
			}
			if ok && ms != t.Status {
				changed++
			}
			if ms == StatusAwaitingApproval {
				open++
			}
		}
		bs := status
		if open == 0 && partial {
			bs = StatusCompleted // every item settled; each transfer says how
		}
		if open > 0 {
			bs = StatusAwaitingApproval
		}
		_, err := tx.ExecContext(ctx, `UPDATE transfer_batches SET status = ?, bank_status = ?, checked_at = ?, updated_at = ? WHERE id = ?`,
			bs, string(st), p.svc.now(), p.svc.now(), b.ID)
		return err
	})
	return changed, err
}

// itemOf reads one item's result: 手続済 or 手続不成立 with the bank's reason, and its fee.
func itemOf(in aozora.BulkTransferInfo) itemOutcome {
	var io itemOutcome
	for _, u := range in.UnableDetailInfos {
		switch u.TransferDetailStatus {
		case aozora.DetailUnable:
			io.status, io.reason = StatusFailed, "総合振込のこの明細は銀行で手続不成立になりました"
			if u.UnableReason != "" {
				io.reason += ": " + u.UnableReason
			}
		case aozora.DetailCompleted:
			if io.status == "" {
				io.status = StatusCompleted
			}
		}
	}
	for _, d := range in.TransferDetailResponses {
		fee := d.TransferFee
		io.fee = &fee
	}
	return io
}

// pollBatches follows every open batch once.
func (p *Poller) pollBatches(ctx context.Context, bank Bank, bs []Batch, rep *PollReport) {
	for _, b := range bs {
		rep.Checked++
		n, err := p.pollBatch(ctx, bank, b)
		if err != nil {
			logs.From(ctx).WarnContext(ctx, "payout: poll 総合振込", "batch", b.ID, "apply_no", b.ApplyNo, "err", err)
			continue
		}
		rep.Changed += n
	}
}

// recheckBatch is recheck for a transfer whose 総合振込 the bank did not list: when the bank
// lists it now, the attempt is overturned and the batch's transfers follow the bank again.
func (p *Poller) recheckBatch(ctx context.Context, bank Bank, t Transfer, a attempt.Attempt) (bool, error) {
	o, found, err := NewBatchResolver(p.svc, p.bank).find(ctx, bank, a)
	if err != nil {
		return false, err
	}
	if !found {
		_, err := p.svc.db.ExecContext(ctx, `UPDATE transfers SET checked_at = ? WHERE batch_id = ? AND attempt_id = ?`, p.svc.now(), a.RecordID, a.ID)
		return false, err
	}
	moved := 0
	err = p.svc.db.InTx(ctx, func(tx *db.Tx) error {
		ok, err := p.svc.attempts.Overturn(ctx, tx, a.ID, o)
		if err != nil || !ok {
			return err
		}
		moved, err = p.svc.applyBatch(ctx, tx, a, o, "transfer.found_after_not_found")
		return err
	})
	if moved > 0 {
		logs.From(ctx).WarnContext(ctx, "payout: a 総合振込 the bank had not listed was found later", "batch", a.RecordID, "attempt", a.ID)
	}
	return moved > 0, err
}
