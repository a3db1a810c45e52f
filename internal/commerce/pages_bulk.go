package commerce

import (
	"context"
	"fmt"
	"net/http"
	"net/url"

	"kessai/internal/platform/audit"
	"kessai/internal/platform/auth"
	"kessai/internal/platform/bulk"
	"kessai/internal/platform/db"
	"kessai/internal/platform/errs"
	"kessai/internal/web"
)

// registerBulk tells the bulk service how each list selects its records and adds the actions:
// cases here, orders, subscriptions and customers in pages_bulk_*.go.
func (p *Pages) registerBulk() {
	svc := p.bulk.Service()
	svc.RegisterSource(bulk.Source{RecordType: "purchase_case", Label: "買取ケース", ListPath: "/cases",
		KeepParams: []string{"kind"}, RecordPath: "/cases/",
		Select: func(ctx context.Context, q url.Values) ([]string, error) {
			f, err := CaseFilterFromQuery(q)
			if err != nil {
				return nil, err
			}
			var none bool
			if f.IDs, none, err = p.resultIDs(ctx, q, f.IDs); err != nil || none {
				return nil, err
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
	p.registerOrderBulk()
	p.registerSubscriptionBulk()
	p.registerCustomerBulk()
}

// resultIDs applies the bulk result filter of a list's query (?bulk_run=&outcome=) to a
// Source's Select: 「全N件を一括操作」 on a list opened from a result count acts on exactly the
// records it shows. Without the filter ids is returned as is; none reports a run with no such
// records (select nothing, not everything).
func (p *Pages) resultIDs(ctx context.Context, q url.Values, ids []string) (_ []string, none bool, err error) {
	rf := bulk.ItemFilterFrom(q)
	if rf.IsZero() {
		return ids, false, nil
	}
	if ids, err = p.bulk.Service().RecordIDs(ctx, rf); err != nil {
		return nil, false, err
	}
	return ids, len(ids) == 0, nil
}

// listResult reads the bulk result filter of a list request into l's notice and returns the
// IDs the store filter must be restricted to: ids without the filter, [""] when the run has no
// such records (no record has an empty ID, so the list is empty rather than unfiltered).
func (p *Pages) listResult(r *http.Request, l *web.List, ids []string) ([]string, error) {
	rf, err := p.bulk.ResultFilter(r)
	if err != nil || !rf.Active {
		return ids, err
	}
	l.Notice, l.NoticeClear = rf.Notice, rf.Clear
	if len(rf.IDs) == 0 {
		return []string{""}, nil
	}
	return rf.IDs, nil
}

// lockIDs is the IN list and arguments of a batch's IDs, and the row lock of the engine: a
// DoBatch reads its records with one query under the run's transaction.
func lockIDs(tx *db.Tx, ids []string) (in string, args []any, lock string) {
	args = make([]any, len(ids))
	for i, id := range ids {
		args[i] = id
	}
	return "(" + placeholders(len(ids)) + ")", args, db.ForUpdate(tx.Dialect())
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
