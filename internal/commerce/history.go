package commerce

import (
	"context"
	"fmt"
	"time"

	"kessai/internal/platform/auth"
	"kessai/internal/platform/db"
)

// OrderEvent is one line of an order's history (the 履歴 tab): what a room sent to a provider
// about the order and what the provider answered, or any other step worth showing later.
type OrderEvent struct {
	ID      string    `json:"id"`
	OrderID string    `json:"order_id"`
	At      time.Time `json:"at"`
	Room    string    `json:"room"`    // who wrote it: "kantan", "atobarai", "commerce"
	Kind    string    `json:"kind"`    // stable code: "capture.sent", "capture.answered"
	Summary string    `json:"summary"` // one line for people: 「実売上を送信しました（12,000円）」
	Detail  string    `json:"detail"`  // the provider's codes and IDs, never secrets
	Actor   string    `json:"actor"`
}

// AppendOrderHistory adds e to its order's history in q (pass the transaction of the change it
// records, so the history and the change never disagree).
func (s *Store) AppendOrderHistory(ctx context.Context, q db.Querier, e OrderEvent) (OrderEvent, error) {
	if e.OrderID == "" || e.Room == "" || e.Kind == "" || e.Summary == "" {
		return e, fmt.Errorf("order history: OrderID, Room, Kind and Summary are required")
	}
	e.ID, e.At = db.NewID("ohe"), s.clock.Now().UTC()
	if e.Actor == "" {
		if p := auth.FromContext(ctx); p != nil {
			e.Actor = p.Name
		}
	}
	_, err := q.ExecContext(ctx, `INSERT INTO order_history (id, order_id, at, room, kind, summary, detail, actor)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, e.ID, e.OrderID, e.At, e.Room, e.Kind, trimTo(e.Summary, 500), trimTo(e.Detail, 4000), e.Actor)
	if err != nil {
		return e, fmt.Errorf("order %s: append history: %w", e.OrderID, err)
	}
	return e, nil
}

// AppendOrderHistories adds many lines at once in q (an import's lines, one statement per few
// hundred), like AppendOrderHistory.
func (s *Store) AppendOrderHistories(ctx context.Context, q db.Querier, es []OrderEvent) error {
	at := s.clock.Now().UTC()
	actor := ""
	if p := auth.FromContext(ctx); p != nil {
		actor = p.Name
	}
	for i := range es {
		e := &es[i]
		if e.OrderID == "" || e.Room == "" || e.Kind == "" || e.Summary == "" {
			return fmt.Errorf("order history: OrderID, Room, Kind and Summary are required")
		}
		e.ID, e.At = db.NewID("ohe"), at
		if e.Actor == "" {
			e.Actor = actor
		}
	}
	err := db.InsertBatches(ctx, q, `INSERT INTO order_history (id, order_id, at, room, kind, summary, detail, actor) VALUES `, 8, len(es),
		func(i int) []any {
			e := es[i]
			return []any{e.ID, e.OrderID, e.At, e.Room, e.Kind, trimTo(e.Summary, 500), trimTo(e.Detail, 4000), e.Actor}
		})
	if err != nil {
		return fmt.Errorf("order history: append %d lines: %w", len(es), err)
	}
	return nil
}

// OrderHistory is the history of order id, oldest first.
func (s *Store) OrderHistory(ctx context.Context, id string) ([]OrderEvent, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT id, order_id, at, room, kind, summary, detail, actor FROM order_history
		WHERE order_id = ? ORDER BY at, id`, id)
	if err != nil {
		return nil, fmt.Errorf("order %s: history: %w", id, err)
	}
	defer rows.Close()
	var out []OrderEvent
	for rows.Next() {
		var e OrderEvent
		if err := rows.Scan(&e.ID, &e.OrderID, &e.At, &e.Room, &e.Kind, &e.Summary, &e.Detail, &e.Actor); err != nil {
			return nil, fmt.Errorf("order %s: history: %w", id, err)
		}
		e.At = e.At.UTC()
		out = append(out, e)
	}
	return out, rows.Err()
}

func trimTo(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n])
}
