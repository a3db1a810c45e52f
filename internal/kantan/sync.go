package kantan

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"

	"kessai/internal/platform/db"
	"kessai/internal/provider/gmopg"
)

// SyncReport is one status sync: how many payments were read and changed.
type SyncReport struct {
	Checked int      `json:"checked"`
	Changed int      `json:"changed"`
	Failed  int      `json:"failed"`
	Errors  []string `json:"errors,omitempty"`
}

// syncable are the statuses the sync reads back: every one not final.
var syncable = []any{StatusNeedsCheck, StatusAuthorized, StatusCaptureFailed}

// Sync reads every payment not final back with SearchTradeMulti and applies GMO-PG's status
// (売上失敗, 要確認, 仮売上期限切れ, 決済失敗 …); each change lands in the order's history.
// Payments with a call in flight are left to it.
func (s *Service) Sync(ctx context.Context) (SyncReport, error) {
	var rep SyncReport
	ps, err := s.payments(ctx, `status IN (?, ?, ?) AND busy = '' AND access_id <> ''`, syncable...)
	if err != nil {
		return rep, err
	}
	cl, _, err := s.client(ctx)
	if err != nil {
		return rep, err
	}
	for _, p := range ps {
		rep.Checked++
		changed, err := s.syncOne(ctx, cl, p, "状態の同期", nil)
		switch {
		case err != nil:
			rep.Failed++
			if len(rep.Errors) < 100 {
				rep.Errors = append(rep.Errors, p.PGOrderID+": "+pgMessage(err))
			}
		case changed:
			rep.Changed++
		}
	}
	return rep, nil
}

// SyncOrder reads one order's payment back (the tab's button, the buyer's return).
func (s *Service) SyncOrder(ctx context.Context, orderID, source string) (Payment, error) {
	p, err := s.Payment(ctx, orderID)
	if err != nil {
		return p, err
	}
	cl, _, err := s.client(ctx)
	if err != nil {
		return p, err
	}
	if _, err := s.syncOne(ctx, cl, p, source, nil); err != nil {
		return p, err
	}
	return s.Payment(ctx, orderID)
}

// syncOne applies the trade GMO-PG reports to p; it reports whether the status changed. also
// (may be nil) runs in the same transaction, first.
func (s *Service) syncOne(ctx context.Context, cl *gmopg.Client, p Payment, source string, also func(*db.Tx) error) (bool, error) {
	t, err := cl.SearchTradeMulti(ctx, p.PGOrderID, p.PayType)
	if err != nil {
		return false, err
	}
	changed := false
	err = s.db.InTx(ctx, func(tx *db.Tx) error {
		cur, err := getPayment(ctx, tx, p.OrderID, true)
		if err != nil {
			return err
		}
		if also != nil {
			if err := also(tx); err != nil {
				return err
			}
		}
		if cur.Busy != "" {
			return nil // a call in flight decides
		}
		next := statusOf(t.Status, cur.Status)
		// A payment cancelled in kessai stays cancelled; a refused capture stays 売上失敗 until
		// GMO-PG shows it authorized or captured.
		if cur.Status == StatusCancelled || (cur.Status == StatusCaptureFailed && next != StatusAuthorized && next != StatusCaptured) {
			next = cur.Status
		}
		now := s.now()
		points := cur.PointsOnly
		if p.PayType == gmopg.PayTypeRecruit && t.Amount > 0 && t.RcUsePoint >= t.Amount {
			points = true
		}
		deadline := cur.AuthDeadline
		if !t.RcUpdateAuthDay.IsZero() {
			deadline = t.RcUpdateAuthDay.In(jstLoc).Format("2006-01-02")
		}
		captured := any(nil)
		if !cur.CapturedAt.IsZero() {
			captured = cur.CapturedAt
		} else if next == StatusCaptured {
			at := t.ProcessDate
			if at.IsZero() {
				at = now
			}
			captured = at.UTC()
		}
		amount := cur.Amount
		if t.Amount > 0 {
			amount = t.Amount
		}
		if _, err := tx.ExecContext(ctx, `UPDATE kantan_payments SET status = ?, pg_status = ?, points_only = ?, auth_deadline = ?,
			captured_at = ?, amount = ?, synced_at = ?, updated_at = ? WHERE order_id = ?`,
			next, string(t.Status), points, deadline, captured, amount, now, now, p.OrderID); err != nil {
			return err
		}
		if next == cur.Status {
			return nil
		}
		changed = true
		if err := s.mirror(ctx, tx, p.OrderID, next, false); err != nil {
			return err
		}
		return s.history(ctx, tx, p.OrderID, "status.synced",
			fmt.Sprintf("GMO-PG の取引状態 %s により決済ステータスを「%s」から「%s」にしました（%s）", t.Status, Statuses.Label(cur.Status), Statuses.Label(next), source),
			fmt.Sprintf("OrderID=%s Status=%s Amount=%d", p.PGOrderID, t.Status, t.Amount))
	})
	return changed, err
}

// Notified is what a result notification did.
type Notified struct {
	Ping      bool
	Duplicate bool // the same notification was received before (nothing changes)
	Unknown   bool // no payment has the OrderID (acknowledged, nothing changes)
	Payment   Payment
}

// ErrForeignShop is a notification naming another shop than the connection's.
var ErrForeignShop = errors.New("kantan: the notification names another shop")

// Notify applies a result notification (結果通知): the ping changes nothing; otherwise the shop
// must be the connection's, and the trade is read back before anything changes, so a forged
// or repeated notification cannot move a payment. An error makes GMO-PG send it again.
func (s *Service) Notify(ctx context.Context, body []byte) (Notified, error) {
	n, err := gmopg.ParseNotification(body)
	if err != nil {
		return Notified{}, err
	}
	if n.IsPing() {
		return Notified{Ping: true}, nil
	}
	cl, shop, err := s.client(ctx)
	if err != nil {
		return Notified{}, err
	}
	if !n.FromShop(shop) {
		return Notified{}, fmt.Errorf("%w: %q", ErrForeignShop, n.ShopID)
	}
	sum := sha256.Sum256(body)
	key := hex.EncodeToString(sum[:])
	// The notification is marked received in the transaction that applies it, so a read-back
	// cut off (or a crash) before that leaves GMO-PG's retry to be applied.
	record := func(q db.Querier) error {
		_, err := q.ExecContext(ctx, `INSERT INTO kantan_notifications (id, dedupe_key, pg_order_id, status, body, received_at)
			VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (dedupe_key) DO NOTHING`,
			db.NewID("kno"), key, n.OrderID, string(n.Status), string(body), s.now())
		if err != nil {
			return fmt.Errorf("kantan: record notification: %w", err)
		}
		return nil
	}
	var seen int
	if err := s.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM kantan_notifications WHERE dedupe_key = ?`, key).Scan(&seen); err != nil {
		return Notified{}, fmt.Errorf("kantan: look up notification: %w", err)
	}
	p, err := s.byPGOrderID(ctx, n.OrderID)
	if errors.Is(err, ErrNoPayment) {
		s.log.WarnContext(ctx, "kantan: notification for an unknown OrderID", "order_id", n.OrderID, "status", n.Status)
		return Notified{Unknown: true}, record(s.db)
	}
	if err != nil {
		return Notified{}, err
	}
	if seen > 0 {
		return Notified{Duplicate: true, Payment: p}, nil
	}
	if _, err := s.syncOne(ctx, cl, p, "結果通知", func(tx *db.Tx) error { return record(tx) }); err != nil {
		return Notified{}, err
	}
	p, err = s.Payment(ctx, p.OrderID)
	return Notified{Payment: p}, err
}

// Returned applies the buyer's return post (a hint like a notification: the trade is read
// back) and reports the payment as it is now.
func (s *Service) Returned(ctx context.Context, body []byte) (Payment, error) {
	n, err := gmopg.ParseNotification(body)
	if err != nil {
		return Payment{}, err
	}
	p, err := s.byPGOrderID(ctx, n.OrderID)
	if err != nil {
		return Payment{}, err
	}
	return s.SyncOrder(ctx, p.OrderID, "購入者の戻り")
}
