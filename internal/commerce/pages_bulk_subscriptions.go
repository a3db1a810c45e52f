package commerce

import (
	"context"

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
		Select: listSelect(p, p.store.SubscriptionFilterFromQuery, p.store.SubscriptionIDs),
		Describe: describeBy(func(ctx context.Context, ids []string) ([]SubscriptionRow, error) {
			return p.store.ListSubscriptions(ctx, SubscriptionFilter{IDs: ids})
		}, func(r SubscriptionRow) (string, string) { return r.ID, r.Code + " " + r.CustomerName })})
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
	found, err := loadBatch(ctx, tx, "subscriptions", `SELECT `+subscriptionColumns+` FROM subscriptions sb WHERE sb.id IN `, true, ids,
		func(r scanner) (Subscription, error) {
			var sb Subscription
			err := r.Scan(subscriptionDest(&sb)...)
			sb.CreatedAt, sb.UpdatedAt = sb.CreatedAt.UTC(), sb.UpdatedAt.UTC()
			return sb, err
		})
	if err != nil {
		return nil, err
	}
	now := p.store.now()
	out, change := classify(ids, found, "定期受注が見つかりません（削除された可能性があります）",
		func(sb Subscription) (string, string) { return pauseOutcome(sb.Status) })
	err = statusChange[Subscription]{table: "subscriptions", column: "status", status: "paused", now: now,
		after: func(sb Subscription) Subscription {
			sb.Status, sb.Version, sb.UpdatedAt = "paused", sb.Version+1, now
			return sb
		},
		entry: audit.Entry{Action: "subscription.paused", RecordType: "subscription", Note: "一括操作: 一括休止"},
		what:  "pause subscriptions"}.apply(ctx, tx, p.auditLog(), change)
	if err != nil {
		return nil, err
	}
	return out, nil
}
