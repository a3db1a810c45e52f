package kantan

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"kessai/internal/platform/db"
	"kessai/internal/platform/errs"
	"kessai/internal/provider/gmopg"
)

// Payment is an order's GMO-PG payment.
type Payment struct {
	OrderID      string        `json:"order_id"`
	PayType      gmopg.PayType `json:"pay_type"`
	PGOrderID    string        `json:"pg_order_id"` // GMO-PG's OrderID
	AccessID     string        `json:"access_id"`
	AccessPass   string        `json:"-"`
	JobCd        gmopg.JobCd   `json:"job_cd"`
	Status       string        `json:"status"`
	StatusLabel  string        `json:"status_label"`
	Busy         string        `json:"busy,omitempty"`
	PGStatus     string        `json:"pg_status"`
	Amount       int64         `json:"amount"` // what GMO-PG holds
	Tax          int64         `json:"tax"`
	PointsOnly   bool          `json:"points_only"`
	AuthDeadline string        `json:"auth_deadline,omitempty"`
	ExtendedOn   string        `json:"extended_on,omitempty"` // the day of the last オーソリ期間延長
	CapturedAt   time.Time     `json:"captured_at,omitzero"`
	RefundOwed   bool          `json:"refund_owed"`
	Reason       string        `json:"reason,omitempty"`
	SyncedAt     time.Time     `json:"synced_at,omitzero"`
	CreatedAt    time.Time     `json:"created_at"`
	UpdatedAt    time.Time     `json:"updated_at"`
}

const paymentColumns = `order_id, pay_type, pg_order_id, access_id, access_pass, job_cd, status, busy, pg_status, amount, tax,
	points_only, auth_deadline, captured_at, refund_owed, reason, synced_at, created_at, updated_at, extended_on`

func scanPayment(r interface{ Scan(...any) error }) (Payment, error) {
	var p Payment
	var captured, synced sql.NullTime
	var points, refund bool
	err := r.Scan(&p.OrderID, &p.PayType, &p.PGOrderID, &p.AccessID, &p.AccessPass, &p.JobCd, &p.Status, &p.Busy, &p.PGStatus,
		&p.Amount, &p.Tax, &points, &p.AuthDeadline, &captured, &refund, &p.Reason, &synced, &p.CreatedAt, &p.UpdatedAt, &p.ExtendedOn)
	if err != nil {
		return p, err
	}
	p.PointsOnly, p.RefundOwed = points, refund
	if captured.Valid {
		p.CapturedAt = captured.Time.UTC()
	}
	if synced.Valid {
		p.SyncedAt = synced.Time.UTC()
	}
	p.CreatedAt, p.UpdatedAt = p.CreatedAt.UTC(), p.UpdatedAt.UTC()
	p.StatusLabel = Statuses.Label(p.Status)
	return p, nil
}

// ErrNoPayment is an order of the room's methods without a GMO-PG payment (imported by CSV,
// demo data): nothing is sent to GMO-PG for it.
var ErrNoPayment = errors.New("kantan: the order has no GMO-PG payment")

// getPayment reads the payment of an order (lock: FOR UPDATE on PostgreSQL).
func getPayment(ctx context.Context, q db.Querier, orderID string, lock bool) (Payment, error) {
	query := `SELECT ` + paymentColumns + ` FROM kantan_payments WHERE order_id = ?`
	if lock {
		query += db.ForUpdate(q.Dialect())
	}
	p, err := scanPayment(q.QueryRowContext(ctx, query, orderID))
	if errors.Is(err, sql.ErrNoRows) {
		return Payment{}, ErrNoPayment
	}
	if err != nil {
		return Payment{}, fmt.Errorf("kantan: payment of %s: %w", orderID, err)
	}
	return p, nil
}

// Payment reads the GMO-PG payment of an order; errs.NotFound when it has none.
func (s *Service) Payment(ctx context.Context, orderID string) (Payment, error) {
	p, err := getPayment(ctx, s.db, orderID, false)
	if errors.Is(err, ErrNoPayment) {
		return p, errs.NotFound("この受注には GMO-PG の決済がありません（かんたん決済で登録された受注ではありません）: " + orderID)
	}
	return p, err
}

// byPGOrderID finds the order of a GMO-PG OrderID.
func (s *Service) byPGOrderID(ctx context.Context, pgOrderID string) (Payment, error) {
	p, err := scanPayment(s.db.QueryRowContext(ctx, `SELECT `+paymentColumns+` FROM kantan_payments WHERE pg_order_id = ?`, pgOrderID))
	if errors.Is(err, sql.ErrNoRows) {
		return Payment{}, ErrNoPayment
	}
	return p, err
}

// payments lists payments matching where.
func (s *Service) payments(ctx context.Context, where string, args ...any) ([]Payment, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT `+paymentColumns+` FROM kantan_payments WHERE `+where+` ORDER BY order_id`, args...)
	if err != nil {
		return nil, fmt.Errorf("kantan: payments: %w", err)
	}
	defer rows.Close()
	var out []Payment
	for rows.Next() {
		p, err := scanPayment(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, rows.Err()
}

// newPGOrderID is a GMO-PG OrderID: 27 characters of [0-9A-Za-z].
func newPGOrderID() string { return strings.ReplaceAll(db.NewID("k"), "_", "")[:27] }

// Settings reads 設定 › 決済 › GMO-PG (DefaultSettings until saved).
func (s *Service) Settings(ctx context.Context) (Settings, error) { return readSettings(ctx, s.db) }

func readSettings(ctx context.Context, q db.Querier) (Settings, error) {
	var st Settings
	var job string
	err := q.QueryRowContext(ctx, `SELECT job_cd, extend_auth, ship_capture, capture_fail FROM kantan_settings WHERE id = 1`).
		Scan(&job, &st.ExtendAuth, &st.ShipCapture, &st.CaptureFail)
	if errors.Is(err, sql.ErrNoRows) {
		return DefaultSettings, nil
	}
	if err != nil {
		return st, fmt.Errorf("kantan: settings: %w", err)
	}
	st.JobCd = gmopg.JobCd(job)
	return st, nil
}

// SaveSettings validates and saves st (audited).
func (s *Service) SaveSettings(ctx context.Context, st Settings) error {
	if f := st.Validate(); len(f) > 0 {
		e := errs.Invalid("入力内容を確認してください")
		for k, v := range f {
			e = e.Field(k, v)
		}
		return e
	}
	return s.db.InTx(ctx, func(tx *db.Tx) error {
		before, err := readSettings(ctx, tx)
		if err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO kantan_settings (id, job_cd, extend_auth, ship_capture, capture_fail, updated_at)
			VALUES (1, ?, ?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET job_cd = excluded.job_cd, extend_auth = excluded.extend_auth,
			ship_capture = excluded.ship_capture, capture_fail = excluded.capture_fail, updated_at = excluded.updated_at`,
			string(st.JobCd), st.ExtendAuth, st.ShipCapture, st.CaptureFail, s.now())
		if err != nil {
			return fmt.Errorf("kantan: save settings: %w", err)
		}
		return s.audit(ctx, tx, "kantan.settings", "kantan_settings", "1", before, st)
	})
}
