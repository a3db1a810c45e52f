package commerce

import (
	"context"
	"fmt"

	"kessai/internal/platform/audit"
	"kessai/internal/platform/db"
)

// AuthorizationChange is the 承認状況 a room found for one order (a credit decision read in
// bulk, e.g. a provider's result file).
type AuthorizationChange struct {
	OrderID      string
	Status       string // AuthorizationStatuses code
	AuthorizedOn string // YYYY-MM-DD for authorized; kept when the order has one
}

// SetAuthorizationsTx sets many orders' 承認状況 in the caller's transaction, 500 at a time,
// with one audit entry per order changed (before and after of the fields it sets). Orders
// cancelled or unchanged are left alone; no payment hooks run (it is the owning room's own
// change, like ModifyOrderTx).
func (s *Store) SetAuthorizationsTx(ctx context.Context, tx *db.Tx, changes []AuthorizationChange) error {
	for _, c := range changes {
		if !AuthorizationStatuses.Valid(c.Status) {
			return fmt.Errorf("commerce: 承認状況 %q of order %s", c.Status, c.OrderID)
		}
	}
	now := s.now()
	for i := 0; i < len(changes); i += 500 {
		chunk := changes[i:min(i+500, len(changes))]
		args := make([]any, len(chunk))
		for j, c := range chunk {
			args[j] = c.OrderID
		}
		type cur struct{ status, on, orderStatus string }
		before := map[string]cur{}
		rows, err := tx.QueryContext(ctx, `SELECT id, authorization_status, authorized_on, order_status FROM orders WHERE id IN (`+db.Placeholders(len(chunk))+`)`+db.ForUpdate(tx.Dialect()), args...)
		if err != nil {
			return fmt.Errorf("commerce: read orders' 承認状況: %w", err)
		}
		for rows.Next() {
			var id string
			var c cur
			if err := rows.Scan(&id, &c.status, &c.on, &c.orderStatus); err != nil {
				rows.Close()
				return err
			}
			before[id] = c
		}
		if err := rows.Close(); err != nil {
			return err
		}
		var entries []audit.Entry
		for _, c := range chunk {
			b, ok := before[c.OrderID]
			on := b.on
			if on == "" && c.Status == "authorized" {
				on = c.AuthorizedOn
			}
			if !ok || b.orderStatus == "cancelled" || (b.status == c.Status && b.on == on) {
				continue
			}
			if _, err := tx.ExecContext(ctx, `UPDATE orders SET authorization_status = ?, authorized_on = ?, version = version + 1, updated_at = ? WHERE id = ?`,
				c.Status, on, now, c.OrderID); err != nil {
				return fmt.Errorf("commerce: set 承認状況 of %s: %w", c.OrderID, err)
			}
			entries = append(entries, audit.Entry{Action: "order.update", RecordType: "order", RecordID: c.OrderID,
				Before: map[string]string{"authorization_status": b.status, "authorized_on": b.on},
				After:  map[string]string{"authorization_status": c.Status, "authorized_on": on}})
		}
		if len(entries) > 0 {
			if err := s.audit.RecordAll(ctx, tx, entries); err != nil {
				return err
			}
		}
	}
	return nil
}
