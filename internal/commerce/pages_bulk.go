package commerce

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"time"

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
		Select: listSelect(p, p.store.CaseFilterFromQuery, p.store.CaseIDs),
		Describe: describeBy(p.store.CaseRowsByID, func(r CaseRow) (string, string) {
			return r.ID, r.Code + " " + r.CustomerName
		})})
	// The confirm page of 全N件 says the search in the list's own words, the rooms' fields too.
	p.bulk.AddConditions("purchase_case", func(ctx context.Context, q url.Values) []string {
		shops, _ := p.store.ListShops(ctx)
		fields := caseList(q, shops).Fields
		for _, e := range p.store.ext {
			if e.List == ListCases && e.Field != nil {
				fields = append(fields, *e.Field)
			}
		}
		return web.DescribeFields(fields, q)
	})
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

// idFilter is a list filter that can be narrowed to given record IDs.
type idFilter[F any] interface{ withIDs(ids []string) F }

func (f CaseFilter) withIDs(ids []string) CaseFilter                 { f.IDs = ids; return f }
func (f OrderFilter) withIDs(ids []string) OrderFilter               { f.IDs = ids; return f }
func (f SubscriptionFilter) withIDs(ids []string) SubscriptionFilter { f.IDs = ids; return f }
func (f CustomerFilter) withIDs(ids []string) CustomerFilter         { f.IDs = ids; return f }

// listSelect is a Source's Select: the IDs find gives for the list's filter in the query,
// with the bulk result filter applied (see resultIDs).
func listSelect[F idFilter[F]](p *Pages, fromQuery func(url.Values) (F, error),
	find func(context.Context, F) ([]string, error)) func(context.Context, url.Values) ([]string, error) {
	return func(ctx context.Context, q url.Values) ([]string, error) {
		f, err := fromQuery(q)
		if err != nil {
			return nil, err
		}
		ids, none, err := p.resultIDs(ctx, q, nil)
		if err != nil || none {
			return nil, err
		}
		if ids != nil { // a list opened from a bulk result: that run's records, not the query's own id=
			f = f.withIDs(ids)
		}
		return find(ctx, f)
	}
}

// describeBy is a Source's Describe: the rows list reads, each named as name says.
func describeBy[Row any](list func(context.Context, []string) ([]Row, error),
	name func(Row) (id, label string)) func(context.Context, []string) (map[string]string, error) {
	return func(ctx context.Context, ids []string) (map[string]string, error) {
		rows, err := list(ctx, ids)
		out := map[string]string{}
		for _, r := range rows {
			id, label := name(r)
			out[id] = label
		}
		return out, err
	}
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
	return "(" + db.Placeholders(len(ids)) + ")", args, db.ForUpdate(tx.Dialect())
}

// loadBatch reads a batch's records with one query through the run's transaction, locked
// when lock is set: query selects up to "WHERE x.id IN", what names them in errors.
func loadBatch[T identified](ctx context.Context, tx *db.Tx, what, query string, lock bool, ids []string,
	scan func(scanner) (T, error)) (map[string]T, error) {
	in, args, forUpdate := lockIDs(tx, ids)
	if !lock {
		forUpdate = ""
	}
	rows, err := tx.QueryContext(ctx, query+in+forUpdate, args...)
	if err != nil {
		return nil, fmt.Errorf("load %s: %w", what, err)
	}
	defer rows.Close()
	found := map[string]T{}
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, fmt.Errorf("load %s: %w", what, err)
		}
		found[v.recordID()] = v
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("load %s: %w", what, err)
	}
	return found, nil
}

// classify gives each ID of a batch, in order, its outcome: an error with notFound as the
// reason when it was not loaded, else what judge says. It returns the records judged "done".
func classify[T any](ids []string, found map[string]T, notFound string,
	judge func(T) (outcome, reason string)) ([]bulk.Result, []T) {
	out := make([]bulk.Result, 0, len(ids))
	var done []T
	for _, id := range ids {
		v, ok := found[id]
		if !ok {
			out = append(out, bulk.Result{RecordID: id, Outcome: bulk.OutcomeError, Reason: notFound})
			continue
		}
		outcome, reason := judge(v)
		out = append(out, bulk.Result{RecordID: id, Outcome: outcome, Reason: reason})
		if outcome == "done" {
			done = append(done, v)
		}
	}
	return out, done
}

// statusChange is what a bulk action does to the records it judged "done": one UPDATE of a
// status column for all of them, and an audit entry each, as the single-record change writes.
type statusChange[T identified] struct {
	table, column, status string
	now                   time.Time
	after                 func(before T) T // the record as the UPDATE leaves it
	entry                 audit.Entry      // Action, RecordType and Note; the rest is filled in
	what                  string           // names the UPDATE in errors
}

func (c statusChange[T]) apply(ctx context.Context, tx *db.Tx, log *audit.Log, recs []T) error {
	if len(recs) == 0 {
		return nil
	}
	ids := make([]string, len(recs))
	for i, v := range recs {
		ids[i] = v.recordID()
	}
	in, args, _ := lockIDs(tx, ids)
	if _, err := tx.ExecContext(ctx, `UPDATE `+c.table+` SET `+c.column+` = ?, version = version + 1, updated_at = ? WHERE id IN `+in,
		append([]any{c.status, c.now}, args...)...); err != nil {
		return fmt.Errorf("%s: %w", c.what, err)
	}
	for _, before := range recs {
		e := c.entry
		e.RecordID, e.Before, e.After = before.recordID(), before, c.after(before)
		if err := log.Record(ctx, tx, e); err != nil {
			return err
		}
	}
	return nil
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
