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

// registerOrderBulk adds the order list's source and 「一括ステータス変更：出荷待ちにする」: after
// staff have checked payment and stock for a day's orders, they release them to the warehouse
// in one go instead of opening each slip.
func (p *Pages) registerOrderBulk() {
	svc := p.bulk.Service()
	svc.RegisterSource(bulk.Source{RecordType: "order", Label: "受注", ListPath: "/orders", RecordPath: "/orders/",
		Select: func(ctx context.Context, q url.Values) ([]string, error) {
			f, err := OrderFilterFromQuery(q)
			if err != nil {
				return nil, err
			}
			var none bool
			if f.IDs, none, err = p.resultIDs(ctx, q, f.IDs); err != nil || none {
				return nil, err
			}
			return p.store.OrderIDs(ctx, f)
		},
		Describe: func(ctx context.Context, ids []string) (map[string]string, error) {
			rows, err := p.store.ListOrders(ctx, OrderFilter{IDs: ids}, false)
			out := map[string]string{}
			for _, r := range rows {
				out[r.ID] = r.Number + " " + r.CustomerName
			}
			return out, err
		}})
	svc.Register(bulk.Action{Name: "order_await_shipment", Label: "一括ステータス変更：出荷待ちにする", RecordType: "order",
		Perm:        auth.PermOperate,
		Description: "新規受付・入金待ち・保留の受注を「出荷待ち」にします（入金状況や承認状況は変えません）。すでに出荷待ちの受注はスキップし、出荷確定済みやキャンセル済みの受注はエラーとして理由を残します。",
		Outcomes: []bulk.Outcome{{Code: "done", Label: "完了", Level: "ok"}, {Code: "skipped", Label: "スキップ（出荷待ち済み）", Level: "warn"},
			{Code: bulk.OutcomeError, Label: "エラー", Level: "error"}},
		DoBatch: p.ordersAwaitShipment})
}

// awaitShipment says what 「出荷待ちにする」 does to an order in status from: "done", or
// "skipped"/error with the reason.
func awaitShipment(from string) (outcome, reason string) {
	const to = "awaiting_shipment"
	if from == to {
		return "skipped", "すでに出荷待ちです"
	}
	if e := errs.As(orderTransition(from, to)); e != nil {
		return bulk.OutcomeError, e.Message
	}
	// The store lets a shipped slip be edited; releasing it to the warehouse again would ship
	// it twice. Only orders before shipment — those that may still be cancelled — qualify.
	if !OrderStatuses.Allows(from, "cancel") {
		return bulk.OutcomeError, fmt.Sprintf("「%s」の受注は出荷待ちに戻せません（出荷をやり直す場合は受注を個別に編集してください）", OrderStatuses.Label(from))
	}
	return "done", ""
}

// ordersAwaitShipment moves a batch of orders to 出荷待ち inside the run's transaction: one
// locked read, one UPDATE for the orders that qualify, an audit entry each.
func (p *Pages) ordersAwaitShipment(ctx context.Context, tx *db.Tx, ids []string) ([]bulk.Result, error) {
	in, args, lock := lockIDs(tx, ids)
	rows, err := tx.QueryContext(ctx, `SELECT `+orderColumns+` FROM orders o WHERE o.id IN `+in+lock, args...)
	if err != nil {
		return nil, fmt.Errorf("load orders: %w", err)
	}
	found := map[string]Order{}
	for rows.Next() {
		var o Order
		if err := rows.Scan(orderDest(&o)...); err != nil {
			rows.Close()
			return nil, fmt.Errorf("load orders: %w", err)
		}
		fixOrderTimes(&o)
		found[o.ID] = o
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("load orders: %w", err)
	}
	lines, err := orderLines(ctx, tx, ids)
	if err != nil {
		return nil, err
	}
	now := p.store.now()
	out := make([]bulk.Result, 0, len(ids))
	var change []Order
	for _, id := range ids {
		o, ok := found[id]
		if !ok {
			out = append(out, bulk.Result{RecordID: id, Outcome: bulk.OutcomeError, Reason: "受注が見つかりません（削除された可能性があります）"})
			continue
		}
		outcome, reason := awaitShipment(o.OrderStatus)
		out = append(out, bulk.Result{RecordID: id, Outcome: outcome, Reason: reason})
		if outcome == "done" {
			o.Lines = lines[id]
			change = append(change, o)
		}
	}
	if len(change) == 0 {
		return out, nil
	}
	in, args, _ = lockIDs(tx, idsOf(change))
	if _, err := tx.ExecContext(ctx, `UPDATE orders SET order_status = ?, version = version + 1, updated_at = ? WHERE id IN `+in,
		append([]any{"awaiting_shipment", now}, args...)...); err != nil {
		return nil, fmt.Errorf("orders to awaiting_shipment: %w", err)
	}
	for _, before := range change {
		after := before
		after.OrderStatus, after.Version, after.UpdatedAt = "awaiting_shipment", before.Version+1, now
		if err := p.auditLog().Record(ctx, tx, audit.Entry{Action: "order.update", RecordType: "order", RecordID: before.ID,
			Before: before, After: after, Note: "一括操作: 出荷待ちにする"}); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func idsOf(os []Order) []string {
	ids := make([]string, len(os))
	for i, o := range os {
		ids[i] = o.ID
	}
	return ids
}
