package commerce

import (
	"context"
	"fmt"

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
		Select: listSelect(p, p.store.OrderFilterFromQuery, p.store.OrderIDs),
		Describe: describeBy(func(ctx context.Context, ids []string) ([]OrderRow, error) {
			return p.store.ListOrders(ctx, OrderFilter{IDs: ids}, false)
		}, func(r OrderRow) (string, string) { return r.ID, r.Number + " " + r.CustomerName })})
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
	found, err := loadBatch(ctx, tx, "orders", `SELECT `+orderColumns+` FROM orders o WHERE o.id IN `, true, ids,
		func(r scanner) (Order, error) {
			var o Order
			err := r.Scan(orderDest(&o)...)
			fixOrderTimes(&o)
			return o, err
		})
	if err != nil {
		return nil, err
	}
	lines, err := orderLines(ctx, tx, ids)
	if err != nil {
		return nil, err
	}
	now := p.store.now()
	out, change := classify(ids, found, "受注が見つかりません（削除された可能性があります）",
		func(o Order) (string, string) { return awaitShipment(o.OrderStatus) })
	for i := range change {
		change[i].Lines = lines[change[i].ID]
	}
	err = statusChange[Order]{table: "orders", column: "order_status", status: "awaiting_shipment", now: now,
		after: func(o Order) Order {
			o.OrderStatus, o.Version, o.UpdatedAt = "awaiting_shipment", o.Version+1, now
			return o
		},
		entry: audit.Entry{Action: "order.update", RecordType: "order", Note: "一括操作: 出荷待ちにする"},
		what:  "orders to awaiting_shipment"}.apply(ctx, tx, p.auditLog(), change)
	if err != nil {
		return nil, err
	}
	return out, nil
}
