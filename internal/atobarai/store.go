package atobarai

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"kessai/internal/platform/db"
	"kessai/internal/platform/errs"
	"kessai/internal/provider/yamato"
)

const txnColumns = `t.id, COALESCE(t.order_id, ''), t.order_no, t.mode, t.request, t.total, t.initial_total, t.credit,
	t.credit_result, t.status, t.warning, t.flipped, t.tracking_no, t.ship_date, t.busy, t.attempt_id, t.op_args,
	t.queued_op, t.queued_until, t.last_error, t.credited_at, t.checked_at, t.mail_sent_at, t.created_at, t.updated_at`

type scanner interface{ Scan(...any) error }

// scanTxnRow is scanTxn for db.Collect.
func scanTxnRow(r *sql.Rows) (Txn, error) { return scanTxn(r) }

func scanTxn(r scanner) (Txn, error) {
	var t Txn
	var flipped int
	var queued, credited, checked, mailed sql.NullTime
	err := r.Scan(&t.ID, &t.OrderID, &t.OrderNo, &t.Mode, &t.request, &t.Total, &t.InitialTotal, &t.Credit,
		&t.CreditResult, &t.Status, &t.Warning, &flipped, &t.TrackingNo, &t.ShipDate, &t.Busy, &t.attemptID, &t.opArgs,
		&t.QueuedOp, &queued, &t.LastError, &credited, &checked, &mailed, &t.CreatedAt, &t.UpdatedAt)
	if err != nil {
		return t, err
	}
	t.Flipped = flipped != 0
	t.QueuedUntil, t.CreditedAt, t.CheckedAt, t.MailSentAt = utc(queued), utc(credited), utc(checked), utc(mailed)
	t.CreatedAt, t.UpdatedAt = t.CreatedAt.UTC(), t.UpdatedAt.UTC()
	return t, nil
}

func utc(t sql.NullTime) time.Time {
	if !t.Valid {
		return time.Time{}
	}
	return t.Time.UTC()
}

func getTxn(ctx context.Context, q db.Querier, cond string, arg any) (Txn, error) {
	t, err := scanTxn(q.QueryRowContext(ctx, `SELECT `+txnColumns+` FROM atobarai_transactions t WHERE `+cond, arg))
	if errors.Is(err, sql.ErrNoRows) {
		return t, errs.NotFound("後払いの取引が見つかりません")
	}
	if err != nil {
		return t, fmt.Errorf("atobarai: read transaction: %w", err)
	}
	return t, nil
}

// Txn reads a transaction by its ID.
func (s *Service) Txn(ctx context.Context, id string) (Txn, error) {
	return getTxn(ctx, s.db, `t.id = ?`, id)
}

// TxnOfOrder reads the transaction of a commerce order.
func (s *Service) TxnOfOrder(ctx context.Context, orderID string) (Txn, error) {
	return getTxn(ctx, s.db, `t.order_id = ?`, orderID)
}

// TxnByOrderNo reads a transaction by Yamato's 受注番号.
func (s *Service) TxnByOrderNo(ctx context.Context, orderNo string) (Txn, error) {
	return getTxn(ctx, s.db, `t.order_no = ?`, orderNo)
}

// Request is the credit request the transaction was (or will be) sent with.
func (t Txn) Request() (yamato.CreditRequest, error) {
	var r yamato.CreditRequest
	if t.request == "" {
		return r, fmt.Errorf("atobarai: transaction %s has no credit request", t.ID)
	}
	if err := json.Unmarshal([]byte(t.request), &r); err != nil {
		return r, fmt.Errorf("atobarai: transaction %s: read credit request: %w", t.ID, err)
	}
	return r, nil
}

// insertTxn writes a new transaction for r in q, with the credit state given.
func (s *Service) insertTxn(ctx context.Context, q db.Querier, orderID, mode, credit string, r yamato.CreditRequest) (Txn, error) {
	b, err := json.Marshal(r)
	if err != nil {
		return Txn{}, fmt.Errorf("atobarai: encode credit request: %w", err)
	}
	now := s.clock.Now().UTC()
	t := Txn{ID: db.NewID("ato"), OrderID: orderID, OrderNo: r.OrderNo, Mode: mode, Total: r.TotalAmount, InitialTotal: r.TotalAmount,
		Credit: credit, CreatedAt: now, UpdatedAt: now, request: string(b)}
	var oid any
	if orderID != "" {
		oid = orderID
	}
	_, err = q.ExecContext(ctx, `INSERT INTO atobarai_transactions (id, order_id, order_no, mode, request, total, initial_total,
		credit, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		t.ID, oid, t.OrderNo, mode, t.request, t.Total, t.InitialTotal, credit, now, now)
	if db.IsUniqueViolation(err) {
		return t, errs.Conflict("この受注にはすでに後払いの取引があります（受注番号 " + r.OrderNo + "）")
	}
	if err != nil {
		return t, fmt.Errorf("atobarai: insert transaction: %w", err)
	}
	return t, nil
}

// NewOrderNo is a fresh Yamato 受注番号 within Yamato's 20 of [0-9A-Za-z_-]: "K", a new ID's
// 10 time characters and its last 9. Not its first 19: IDs made in the same millisecond count
// up from the last one in their low bits, so their leading characters are equal and two
// checkouts in one millisecond got the same number.
func NewOrderNo() string {
	id := db.NewID("k")[2:] // 26 characters: 10 of time, 16 counted up within a millisecond
	return "K" + id[:10] + id[17:]
}

// Prepare writes a transaction ready for its credit (CreditNew) for orderID ("" while the
// order does not exist yet, as at checkout).
func (s *Service) Prepare(ctx context.Context, orderID, mode string, r yamato.CreditRequest) (Txn, error) {
	if r.OrderNo == "" {
		r.OrderNo = NewOrderNo()
	}
	return s.insertTxn(ctx, s.db, orderID, mode, CreditNew, r)
}
