package payout

import (
	"context"

	"kessai/internal/platform/errs"
)

// Refresh is 【状態を更新】: it asks the bank about one transfer now, as the periodic poll would,
// instead of waiting for the next run. It reports whether the transfer changed.
func (p *Poller) Refresh(ctx context.Context, id string) (Transfer, bool, error) {
	t, err := p.svc.Get(ctx, id)
	if err != nil {
		return t, false, err
	}
	if t.ApplyNo == "" {
		return t, false, errs.Conflict("この振込はまだ銀行に受け付けられていません（受付番号がありません）。状態は銀行に照会できません")
	}
	if t.Status != StatusAwaitingApproval && t.Status != StatusCompleted {
		return t, false, errs.Conflict(Statuses.Label(t.Status) + " の振込は銀行に照会しません（再実行すると新しい依頼になります）")
	}
	bank, err := p.bank(ctx)
	if err != nil {
		return t, false, err
	}
	var changed bool
	if t.BatchID != "" {
		b, err := p.svc.GetBatch(ctx, t.BatchID)
		if err != nil {
			return t, false, err
		}
		if b.ApplyNo == "" {
			return t, false, nil
		}
		n, err := p.pollBatch(ctx, bank, b)
		if err != nil {
			return t, false, err
		}
		changed = n > 0
	} else if changed, err = p.pollOne(ctx, bank, t); err != nil {
		return t, false, err
	}
	t, err = p.svc.Get(ctx, id)
	return t, changed, err
}
