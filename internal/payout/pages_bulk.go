package payout

import (
	"context"
	"fmt"

	"kessai/internal/platform/auth"
	"kessai/internal/platform/bulk"
	"kessai/internal/platform/db"
	"kessai/internal/web"
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
		Summary: p.svc.casesSummary,
		DoBatch: func(ctx context.Context, tx *db.Tx, ids []string) ([]bulk.Result, error) {
			res, err := p.svc.BulkRequestTx(ctx, tx, bulk.Dedupe(ids))
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

// casesSummary is the confirm page's line for 一括振込依頼: how many cases, their purchase total,
// and how many already have a transfer (skipped).
func (s *Service) casesSummary(ctx context.Context, ids []string) (string, error) {
	var n, has int
	var sum int64
	for start := 0; start < len(ids); start += 500 {
		chunk := ids[start:min(start+500, len(ids))]
		args := make([]any, len(chunk))
		for i, id := range chunk {
			args[i] = id
		}
		var cn, ch int
		var cs int64
		err := s.db.QueryRowContext(ctx, `SELECT COUNT(*), COALESCE(SUM(pc.purchase_amount), 0),
			COALESCE(SUM(CASE WHEN t.id IS NULL THEN 0 ELSE 1 END), 0)
			FROM purchase_cases pc LEFT JOIN transfers t ON t.case_id = pc.id WHERE pc.id IN (`+db.Placeholders(len(chunk))+`)`, args...).Scan(&cn, &cs, &ch)
		if err != nil {
			return "", fmt.Errorf("sum of cases: %w", err)
		}
		n, sum, has = n+cn, sum+cs, has+ch
	}
	msg := fmt.Sprintf("合計件数 %s件・買取金額の合計 %s", web.Comma(int64(n)), web.Yen(sum))
	if has > 0 {
		msg += fmt.Sprintf("（うち %s件は振込を登録済みのためスキップされます）", web.Comma(int64(has)))
	}
	return msg, nil
}
