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

// registerSubscriptionBulk adds the subscription list's source and 「一括休止」: when a product
// is out of stock or a campaign ends, staff pause every subscription of it before the next
// billing date so none is charged.
func (p *Pages) registerSubscriptionBulk() {
	svc := p.bulk.Service()
	svc.RegisterSource(bulk.Source{RecordType: "subscription", Label: "定期受注", ListPath: "/subscriptions", RecordPath: "/subscriptions/",
		Select: func(ctx context.Context, q url.Values) ([]string, error) {
			f, err := SubscriptionFilterFromQuery(q)
			if err != nil {
				return nil, err
			}
			var none bool
			if f.IDs, none, err = p.resultIDs(ctx, q, f.IDs); err != nil || none {
				return nil, err
			}
			return p.store.SubscriptionIDs(ctx, f)
		},
		Describe: func(ctx context.Context, ids []string) (map[string]string, error) {
			rows, err := p.store.ListSubscriptions(ctx, SubscriptionFilter{IDs: ids})
			out := map[string]string{}
			for _, r := range rows {
				out[r.ID] = r.Code + " " + r.CustomerName
			}
			return out, err
		}})
	svc.Register(bulk.Action{Name: "subscription_pause", Label: "一括休止", RecordType: "subscription",
		Perm:        auth.PermOperate,
		Description: "継続中の定期受注を「休止中」にします。休止中は請求されません（次回請求日はそのまま残り、再開は各定期受注の画面から行います）。すでに休止中のものはスキップし、解約済みやカードエラーのものはエラーとして理由を残します。",
		Outcomes: []bulk.Outcome{{Code: "done", Label: "完了", Level: "ok"}, {Code: "skipped", Label: "スキップ（休止中）", Level: "warn"},
			{Code: bulk.OutcomeError, Label: "エラー", Level: "error"}},
		DoBatch: p.pauseSubscriptions})
}

// pauseOutcome says what 「一括休止」 does to a subscription in status from, by the status
// table (SubscriptionStatuses' "pause" action).
func pauseOutcome(from string) (outcome, reason string) {
	if from == "paused" {
		return "skipped", "すでに休止中です"
	}
	if e := errs.As(subscriptionTransition(from, "paused")); e != nil {
		reason := e.Message
		if from == "card_error" {
			reason += "。カードを更新して再開するか、解約してください"
		}
		return bulk.OutcomeError, reason
	}
	return "done", ""
}

// pauseSubscriptions pauses a batch inside the run's transaction: one locked read, one UPDATE
// for those that may be paused, an audit entry each (as SetSubscriptionStatus writes them).
func (p *Pages) pauseSubscriptions(ctx context.Context, tx *db.Tx, ids []string) ([]bulk.Result, error) {
	in, args, lock := lockIDs(tx, ids)
	rows, err := tx.QueryContext(ctx, `SELECT `+subscriptionColumns+` FROM subscriptions sb WHERE sb.id IN `+in+lock, args...)
	if err != nil {
		return nil, fmt.Errorf("load subscriptions: %w", err)
	}
	found := map[string]Subscription{}
	for rows.Next() {
		var sb Subscription
		if err := rows.Scan(subscriptionDest(&sb)...); err != nil {
			rows.Close()
			return nil, fmt.Errorf("load subscriptions: %w", err)
		}
		sb.CreatedAt, sb.UpdatedAt = sb.CreatedAt.UTC(), sb.UpdatedAt.UTC()
		found[sb.ID] = sb
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("load subscriptions: %w", err)
	}
	now := p.store.now()
	out := make([]bulk.Result, 0, len(ids))
	var change []Subscription
	var changeIDs []string
	for _, id := range ids {
		sb, ok := found[id]
		if !ok {
			out = append(out, bulk.Result{RecordID: id, Outcome: bulk.OutcomeError, Reason: "定期受注が見つかりません（削除された可能性があります）"})
			continue
		}
		outcome, reason := pauseOutcome(sb.Status)
		out = append(out, bulk.Result{RecordID: id, Outcome: outcome, Reason: reason})
		if outcome == "done" {
			change, changeIDs = append(change, sb), append(changeIDs, id)
		}
	}
	if len(change) == 0 {
		return out, nil
	}
	in, args, _ = lockIDs(tx, changeIDs)
	if _, err := tx.ExecContext(ctx, `UPDATE subscriptions SET status = ?, version = version + 1, updated_at = ? WHERE id IN `+in,
		append([]any{"paused", now}, args...)...); err != nil {
		return nil, fmt.Errorf("pause subscriptions: %w", err)
	}
	for _, before := range change {
		after := before
		after.Status, after.Version, after.UpdatedAt = "paused", before.Version+1, now
		if err := p.auditLog().Record(ctx, tx, audit.Entry{Action: "subscription.paused", RecordType: "subscription", RecordID: before.ID,
			Before: before, After: after, Note: "一括操作: 一括休止"}); err != nil {
			return nil, err
		}
	}
	return out, nil
}
