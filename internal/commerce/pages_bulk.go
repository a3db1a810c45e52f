package commerce

import (
	"context"
	"fmt"
	"net/url"

	"kessai/internal/platform/audit"
	"kessai/internal/platform/auth"
	"kessai/internal/platform/bulk"
	"kessai/internal/platform/db"
	"kessai/internal/platform/errs"
)

// registerBulk tells the bulk service how cases are selected and adds the case actions.
func (p *Pages) registerBulk() {
	svc := p.bulk.Service()
	svc.RegisterSource(bulk.Source{RecordType: "purchase_case", Label: "買取ケース", ListPath: "/cases",
		KeepParams: []string{"kind"}, RecordPath: "/cases/",
		Select: func(ctx context.Context, q url.Values) ([]string, error) {
			f, err := CaseFilterFromQuery(q)
			if err != nil {
				return nil, err
			}
			if rf := bulk.ItemFilterFrom(q); !rf.IsZero() {
				if f.IDs, err = svc.RecordIDs(ctx, rf); err != nil || len(f.IDs) == 0 {
					return nil, err
				}
			}
			return p.store.CaseIDs(ctx, f)
		},
		Describe: func(ctx context.Context, ids []string) (map[string]string, error) {
			rows, err := p.store.CaseRowsByID(ctx, ids)
			out := map[string]string{}
			for _, r := range rows {
				out[r.ID] = r.Code + " " + r.CustomerName
			}
			return out, err
		}})
	svc.Register(bulk.Action{Name: "case_stock", Label: "一括ステータス変更：入庫完了にする", RecordType: "purchase_case",
		Perm:        auth.PermOperate,
		Description: "買取確定日が入っているケースを「入庫完了」にします。すでに入庫完了のケースはスキップし、キャンセル済みや買取確定日のないケースはエラーとして理由を残します。",
		Outcomes: []bulk.Outcome{{Code: "done", Label: "完了", Level: "ok"}, {Code: "skipped", Label: "スキップ（入庫完了済み）", Level: "warn"},
			{Code: bulk.OutcomeError, Label: "エラー", Level: "error"}},
		Do: p.stockCase})
}

// stockCase moves one case to 入庫完了 inside the bulk run's transaction, with its audit entry.
func (p *Pages) stockCase(ctx context.Context, tx *db.Tx, id string) (string, string, error) {
	before, err := getCase(ctx, tx, `pc.id = ?`, id, true)
	if IsNotFound(err) {
		return bulk.OutcomeError, "買取ケースが見つかりません（削除された可能性があります）", nil
	}
	if err != nil {
		return "", "", err
	}
	refused := errs.As(caseTransition(before.Status, "stocked"))
	switch {
	case before.Status == "stocked":
		return "skipped", "すでに入庫完了です", nil
	case refused != nil:
		return bulk.OutcomeError, refused.Message, nil
	case before.ConfirmedOn == "":
		return bulk.OutcomeError, "買取確定日が未入力です。ケースを編集して買取確定日を入れてください", nil
	}
	after := before
	after.Status, after.Version, after.UpdatedAt = "stocked", before.Version+1, p.store.now()
	if _, err := tx.ExecContext(ctx, `UPDATE purchase_cases SET status = ?, version = ?, updated_at = ? WHERE id = ?`,
		after.Status, after.Version, after.UpdatedAt, id); err != nil {
		return "", "", fmt.Errorf("stock case %s: %w", id, err)
	}
	if err := p.auditLog().Record(ctx, tx, audit.Entry{Action: "case.update", RecordType: "purchase_case", RecordID: id,
		Before: before, After: after, Note: "一括操作: 入庫完了にする"}); err != nil {
		return "", "", err
	}
	return "done", "", nil
}

func (p *Pages) auditLog() *audit.Log {
	if p.audit != nil {
		return p.audit
	}
	return p.store.audit
}
