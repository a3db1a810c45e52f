package payout

import (
	"context"

	"kessai/internal/platform/auth"
	"kessai/internal/platform/bulk"
	"kessai/internal/platform/db"
)

// Bulk outcomes of 一括振込依頼.
const (
	OutcomeRequested = "requested"
	OutcomeSkipped   = "skipped"
)

// BulkAction is 一括振込依頼 on the case list: a transfer per case from the customer's account.
func (p *Pages) BulkAction() bulk.Action {
	return bulk.Action{Name: "transfer_request", Label: "一括振込依頼", RecordType: "purchase_case", Perm: auth.PermOperate,
		Description: "選んだ買取ケースごとに、顧客の振込先口座と買取金額で振込（振込実行待ち）を登録します。振込先口座の不備や金額0円のケースはエラー、振込を登録済みのケースはスキップします。",
		Outcomes: []bulk.Outcome{{Code: OutcomeRequested, Label: "完了", Level: "ok"}, {Code: bulk.OutcomeError, Label: "エラー", Level: "error"},
			{Code: OutcomeSkipped, Label: "スキップ", Level: "warn"}},
		DoBatch: func(ctx context.Context, tx *db.Tx, ids []string) ([]bulk.Result, error) {
			res, err := p.svc.BulkRequestTx(ctx, tx, dedupe(ids))
			if err != nil {
				return nil, err
			}
			out := make([]bulk.Result, 0, len(ids))
			for _, id := range res.Requested {
				out = append(out, bulk.Result{RecordID: id, Outcome: OutcomeRequested})
			}
			for _, id := range res.Skipped {
				out = append(out, bulk.Result{RecordID: id, Outcome: OutcomeSkipped, Reason: "振込を登録済みです"})
			}
			for _, e := range res.Errors {
				out = append(out, bulk.Result{RecordID: e.CaseID, Outcome: bulk.OutcomeError, Reason: e.Reason})
			}
			return out, nil
		}}
}
