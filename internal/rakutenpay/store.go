package rakutenpay

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"kessai/internal/platform/db"
	"kessai/internal/provider/rakuten"
)

// Link is a slip imported from Rakuten: its Rakuten order and what the poll last read and
// decided about it.
type Link struct {
	OrderID    string                 `json:"order_id"`
	ShopID     string                 `json:"shop_id"`
	Number     string                 `json:"rakuten_order_number"`
	Settlement rakuten.SettlementCode `json:"settlement_method_code"`
	OrderedAt  time.Time              `json:"rakuten_ordered_at"`
	// BasisAt is the latest of the order date, a payment-method change and an amount change:
	// the slip is an authorization target for 15 days from it.
	BasisAt time.Time `json:"basis_at"`
	// AmountChangedAt is when staff pressed 【入金待ちに戻す】 (zero: never).
	AmountChangedAt time.Time             `json:"amount_changed_at,omitzero"`
	Progress        rakuten.OrderProgress `json:"order_progress"`
	PaymentStatus   rakuten.PaymentStatus `json:"payment_status"`
	PaymentOKAt     time.Time             `json:"payment_ok_at,omitzero"`
	RKState         string                `json:"-"`
	Fingerprint     string                `json:"-"`
	Watch           bool                  `json:"watch"`
	// ManualReason, when set, lists the slip for manual payment entry.
	ManualReason string    `json:"manual_reason,omitempty"`
	CancelState  string    `json:"cancel_state"`
	CancelReason int       `json:"cancel_reason,omitempty"`
	CancelError  string    `json:"cancel_error,omitempty"`
	CheckedAt    time.Time `json:"checked_at"`
}

const linkColumns = `l.order_id, l.shop_id, l.rakuten_number, l.settlement_code, l.rakuten_ordered_at, l.basis_at,
	l.amount_changed_at, l.progress, l.payment_status, l.payment_ok_at, l.rk_state, l.fingerprint, l.watch,
	l.manual_reason, l.cancel_state, l.cancel_reason, l.cancel_error, l.checked_at`

func scanLink(sc interface{ Scan(...any) error }) (Link, error) {
	var l Link
	var amount, okAt sql.NullTime
	err := sc.Scan(&l.OrderID, &l.ShopID, &l.Number, &l.Settlement, &l.OrderedAt, &l.BasisAt, &amount, &l.Progress,
		&l.PaymentStatus, &okAt, &l.RKState, &l.Fingerprint, &l.Watch, &l.ManualReason, &l.CancelState, &l.CancelReason,
		&l.CancelError, &l.CheckedAt)
	if err != nil {
		return l, err
	}
	l.OrderedAt, l.BasisAt, l.CheckedAt = l.OrderedAt.UTC(), l.BasisAt.UTC(), l.CheckedAt.UTC()
	if amount.Valid {
		l.AmountChangedAt = amount.Time.UTC()
	}
	if okAt.Valid {
		l.PaymentOKAt = okAt.Time.UTC()
	}
	return l, nil
}

func nullTime(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UTC()
}

// ErrNotLinked is a slip that did not come from Rakuten.
var ErrNotLinked = errors.New("rakutenpay: the slip was not imported from Rakuten")

// LinkOf returns the Rakuten link of slip orderID.
func (s *Service) LinkOf(ctx context.Context, q db.Querier, orderID string) (Link, error) {
	l, err := scanLink(q.QueryRowContext(ctx, `SELECT `+linkColumns+` FROM rakutenpay_orders l WHERE l.order_id = ?`, orderID))
	if errors.Is(err, sql.ErrNoRows) {
		return Link{}, ErrNotLinked
	}
	if err != nil {
		return Link{}, fmt.Errorf("rakutenpay: link of %s: %w", orderID, err)
	}
	return l, nil
}

func insertLinks(ctx context.Context, tx *db.Tx, ls []Link) error {
	return db.InsertBatches(ctx, tx, `INSERT INTO rakutenpay_orders (order_id, shop_id, rakuten_number, settlement_code,
		rakuten_ordered_at, basis_at, progress, payment_status, rk_state, fingerprint, watch, checked_at) VALUES `, 12, len(ls),
		func(i int) []any {
			l := ls[i]
			return []any{l.OrderID, l.ShopID, l.Number, int(l.Settlement), l.OrderedAt.UTC(), l.BasisAt.UTC(), int(l.Progress),
				int(l.PaymentStatus), l.RKState, l.Fingerprint, l.Watch, l.CheckedAt.UTC()}
		})
}

// saveLink writes what a sync read and decided.
func saveLink(ctx context.Context, tx *db.Tx, l Link) error {
	_, err := tx.ExecContext(ctx, `UPDATE rakutenpay_orders SET settlement_code = ?, basis_at = ?, amount_changed_at = ?,
		progress = ?, payment_status = ?, payment_ok_at = ?, rk_state = ?, fingerprint = ?, watch = ?, manual_reason = ?,
		cancel_state = ?, checked_at = ? WHERE order_id = ?`,
		int(l.Settlement), l.BasisAt.UTC(), nullTime(l.AmountChangedAt), int(l.Progress), int(l.PaymentStatus),
		nullTime(l.PaymentOKAt), l.RKState, l.Fingerprint, l.Watch, l.ManualReason, l.CancelState, l.CheckedAt.UTC(), l.OrderID)
	if err != nil {
		return fmt.Errorf("rakutenpay: save link %s: %w", l.OrderID, err)
	}
	return nil
}

// PollState is where a shop's import stands.
type PollState struct {
	ShopID     string    `json:"shop_id"`
	SearchedTo time.Time `json:"searched_to,omitzero"`
	LastRunAt  time.Time `json:"last_run_at,omitzero"`
	LastOKAt   time.Time `json:"last_ok_at,omitzero"`
	LastError  string    `json:"last_error,omitempty"`
	Imported   int       `json:"imported"`
	Updated    int       `json:"updated"`
}

// PollState reads shop's poll state (zero when it never ran).
func (s *Service) PollState(ctx context.Context, shopID string) (PollState, error) {
	st := PollState{ShopID: shopID}
	var to, run, ok sql.NullTime
	err := s.db.QueryRowContext(ctx, `SELECT searched_to, last_run_at, last_ok_at, last_error, imported, updated
		FROM rakutenpay_polls WHERE shop_id = ?`, shopID).Scan(&to, &run, &ok, &st.LastError, &st.Imported, &st.Updated)
	if errors.Is(err, sql.ErrNoRows) {
		return st, nil
	}
	if err != nil {
		return st, fmt.Errorf("rakutenpay: poll state of %s: %w", shopID, err)
	}
	if to.Valid {
		st.SearchedTo = to.Time.UTC()
	}
	if run.Valid {
		st.LastRunAt = run.Time.UTC()
	}
	if ok.Valid {
		st.LastOKAt = ok.Time.UTC()
	}
	return st, nil
}

// recordPoll stores a poll's outcome; searchedTo is zero when the search did not finish (the
// next poll searches from the old point again).
func (s *Service) recordPoll(ctx context.Context, shopID string, searchedTo time.Time, rep Report, pollErr error) error {
	now := s.clock.Now().UTC()
	msg := ""
	var okAt any
	if pollErr != nil {
		msg = explain(pollErr).Error()
	} else {
		okAt = now
	}
	return s.db.InTx(ctx, func(tx *db.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO rakutenpay_polls (shop_id, searched_to, last_run_at, last_ok_at, last_error, imported, updated)
			VALUES (?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (shop_id) DO UPDATE SET searched_to = COALESCE(excluded.searched_to, rakutenpay_polls.searched_to),
				last_run_at = excluded.last_run_at, last_ok_at = COALESCE(excluded.last_ok_at, rakutenpay_polls.last_ok_at),
				last_error = excluded.last_error, imported = rakutenpay_polls.imported + excluded.imported,
				updated = rakutenpay_polls.updated + excluded.updated`,
			shopID, nullTime(searchedTo), now, okAt, msg, rep.Imported, rep.Updated)
		if err != nil {
			return fmt.Errorf("rakutenpay: record poll of %s: %w", shopID, err)
		}
		return nil
	})
}

// Unmapped is a Rakuten order left out because its settlement method has no mapping.
type Unmapped struct {
	ShopID         string    `json:"shop_id"`
	Number         string    `json:"rakuten_order_number"`
	SettlementCode int       `json:"settlement_method_code"`
	SettlementName string    `json:"settlement_method"`
	SeenAt         time.Time `json:"seen_at"`
}

// UnmappedOrders lists shop's left-out orders ("" = every shop), oldest first.
func (s *Service) UnmappedOrders(ctx context.Context, shopID string, limit int) ([]Unmapped, error) {
	q := `SELECT shop_id, rakuten_number, settlement_code, settlement_name, seen_at FROM rakutenpay_unmapped`
	var args []any
	if shopID != "" {
		q += ` WHERE shop_id = ?`
		args = append(args, shopID)
	}
	q += ` ORDER BY seen_at, rakuten_number LIMIT ?`
	args = append(args, limit)
	return db.Collect(ctx, s.db, q, args, func(r *sql.Rows) (Unmapped, error) {
		var u Unmapped
		err := r.Scan(&u.ShopID, &u.Number, &u.SettlementCode, &u.SettlementName, &u.SeenAt)
		u.SeenAt = u.SeenAt.UTC()
		return u, err
	})
}

func (s *Service) count(ctx context.Context, q string, args ...any) (int, error) {
	var n int
	err := s.db.QueryRowContext(ctx, q, args...).Scan(&n)
	return n, err
}
