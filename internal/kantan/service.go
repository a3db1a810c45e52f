package kantan

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"kessai/internal/commerce"
	"kessai/internal/platform/attempt"
	"kessai/internal/platform/audit"
	"kessai/internal/platform/clock"
	"kessai/internal/platform/db"
	"kessai/internal/platform/errs"
	"kessai/internal/provider/gmopg"
	"kessai/internal/provider/gmopg/gmopgconn"
	"kessai/internal/web"
)

// Service is the room's logic: checkout, the money calls, status sync and notifications.
type Service struct {
	db      *db.DB
	clock   clock.Clock
	runner  *attempt.Runner
	conn    *gmopgconn.Connection
	store   *commerce.Store
	auditor *audit.Log
	log     *slog.Logger
	// ReturnURL is where GMO-PG sends the buyer back (BaseURL + ReturnPath).
	ReturnURL string
}

// Paths the buyer's browser and GMO-PG post to (served without kessai's session).
const (
	ReturnPath = "/kantan/return"
	NotifyPath = "/kantan/notify"
)

// NewService returns the room's service.
func NewService(d *db.DB, c clock.Clock, r *attempt.Runner, conn *gmopgconn.Connection, store *commerce.Store, a *audit.Log, log *slog.Logger, baseURL string) *Service {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if a == nil {
		a = &audit.Log{Now: c.Now}
	}
	return &Service{db: d, clock: c, runner: r, conn: conn, store: store, auditor: a, log: log,
		ReturnURL: strings.TrimRight(baseURL, "/") + ReturnPath}
}

// Store is the commerce store the service is the payment handler of.
func (s *Service) Store() *commerce.Store { return s.store }

// Runner is the service's money-call runner (tests set its StepHook and CallTimeout).
func (s *Service) Runner() *attempt.Runner { return s.runner }

func (s *Service) now() time.Time { return s.clock.Now().UTC().Truncate(time.Microsecond) }

func (s *Service) today() string { return clock.Today(s.clock).Format("2006-01-02") }

func (s *Service) audit(ctx context.Context, q db.Querier, action, recordType, id string, before, after any) error {
	return s.auditor.Record(ctx, q, audit.Entry{Action: action, RecordType: recordType, RecordID: id, Before: before, After: after})
}

// client is the GMO-PG client of the shared connection (gmopgconn keeps one per settings, so
// its idle connections are reused) and the shop ID it uses.
func (s *Service) client(ctx context.Context) (*gmopg.Client, string, error) {
	cn, err := s.conn.Get(ctx)
	if err != nil {
		return nil, "", err
	}
	cl, err := s.conn.Client(cn)
	if err != nil {
		return nil, "", err
	}
	return cl, cn.Value(gmopgconn.FieldShopID), nil
}

// history appends a line to the order's 履歴 in q.
func (s *Service) history(ctx context.Context, q db.Querier, orderID, kind, summary, detail string) error {
	_, err := s.store.AppendOrderHistory(ctx, q, commerce.OrderEvent{OrderID: orderID, Room: Room, Kind: kind, Summary: summary, Detail: detail})
	return err
}

// Handler is the commerce payment handler of the room's methods.
func (s *Service) Handler() commerce.PaymentHandler {
	return commerce.PaymentHandler{Room: Room, Create: s.onCreate, Change: s.onChange}
}

// maxAmount is the largest order GMO-PG takes (利用金額は7桁まで).
const maxAmount = 9_999_999

// onCreate fixes GMO-PG's OrderID with the new order (要確認 until the buyer pays) and starts
// the payment after the commit.
func (s *Service) onCreate(ctx context.Context, tx *db.Tx, o commerce.Order) (commerce.AfterCreate, error) {
	pt := Methods[o.PaymentMethod]
	if pt == gmopg.PayTypeCard && o.Source != "api" {
		return nil, nil // a card order keyed in by staff: paid elsewhere, nothing at GMO-PG
	}
	if o.Source != "api" {
		return nil, errs.Invalid("かんたん支払いの受注は、購入者が支払い画面で支払うため API（POST /api/v1/orders）から登録してください").
			Field("payment_method", "画面からはかんたん支払いの受注を登録できません")
	}
	if o.Total < 1 || o.Total > maxAmount {
		return nil, errs.Invalid(fmt.Sprintf("かんたん支払いで支払える金額は1円から%s円までです（この注文は%d円）", "9,999,999", o.Total)).
			Field("total", "1〜9,999,999円にしてください")
	}
	st, err := readSettings(ctx, tx)
	if err != nil {
		return nil, err
	}
	now := s.now()
	pgID := newPGOrderID()
	if _, err := tx.ExecContext(ctx, `INSERT INTO kantan_payments (order_id, pay_type, pg_order_id, job_cd, status, amount, tax, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`, o.ID, string(pt), pgID, string(st.JobCd), StatusNeedsCheck, o.Total, o.Tax, now, now); err != nil {
		return nil, fmt.Errorf("kantan: payment of %s: %w", o.Number, err)
	}
	if err := s.history(ctx, tx, o.ID, "payment.created", fmt.Sprintf("%sの決済を登録しました（%s円、%s）", commerce.PaymentMethods.Label(o.PaymentMethod), yen(o.Total), jobLabel(st.JobCd)),
		"OrderID="+pgID); err != nil {
		return nil, err
	}
	return func(ctx context.Context) (map[string]any, error) { return s.start(ctx, o) }, nil
}

func jobLabel(j gmopg.JobCd) string {
	if j == gmopg.JobCapture {
		return "即時売上"
	}
	return "仮売上→実売上"
}

// itemName is what the buyer sees at Recruit: at most 64 bytes of CP932.
func itemName(o commerce.Order) string {
	name := "ご注文 " + o.Number
	if len(o.Lines) > 0 {
		name = o.Lines[0].Name
		if len(o.Lines) > 1 {
			name += " ほか"
		}
	}
	for {
		b, err := gmopg.EncodeCP932(name)
		if err == nil && len(b) <= 64 {
			return name
		}
		r := []rune(name)
		if err != nil || len(r) <= 1 {
			return "ご注文 " + o.Number
		}
		name = string(r[:len(r)-1])
	}
}

// start registers the payment at GMO-PG (EntryTranRecruit) and asks where the buyer goes
// (ExecTranRecruit). Neither moves money; a failure leaves the payment 要確認 with the reason.
func (s *Service) start(ctx context.Context, o commerce.Order) (map[string]any, error) {
	p, err := getPayment(ctx, s.db, o.ID, false)
	if err != nil {
		return nil, err
	}
	fail := func(step string, err error) (map[string]any, error) {
		msg := "GMO-PG に決済を登録できませんでした（" + step + "）: " + pgMessage(err)
		s.log.WarnContext(ctx, "kantan: start failed", "order", o.Number, "step", step, "err", err)
		werr := s.db.InTx(ctx, func(tx *db.Tx) error {
			if _, err := tx.ExecContext(ctx, `UPDATE kantan_payments SET reason = ?, updated_at = ? WHERE order_id = ?`, msg, s.now(), o.ID); err != nil {
				return err
			}
			return s.history(ctx, tx, o.ID, "payment.start_failed", msg, errDetail(err))
		})
		if werr != nil {
			return nil, werr
		}
		return map[string]any{"status": StatusNeedsCheck, "status_label": Statuses.Label(StatusNeedsCheck), "error": msg}, nil
	}
	cl, _, err := s.client(ctx)
	if err != nil {
		return fail("接続設定", err)
	}
	if p.PayType == gmopg.PayTypeCard {
		return s.startCard(ctx, cl, o, p, fail)
	}
	acc, err := cl.EntryTranRecruit(ctx, gmopg.RecruitEntryInput{OrderID: p.PGOrderID, JobCd: p.JobCd, Amount: p.Amount, Tax: p.Tax})
	if err != nil {
		return fail("EntryTranRecruit", err)
	}
	if _, err := s.db.ExecContext(ctx, `UPDATE kantan_payments SET access_id = ?, access_pass = ?, pg_status = ?, updated_at = ? WHERE order_id = ?`,
		acc.AccessID, acc.AccessPass, string(gmopg.StatusUnprocessed), s.now(), o.ID); err != nil {
		return nil, fmt.Errorf("kantan: save access of %s: %w", o.Number, err)
	}
	st, err := cl.ExecTranRecruit(ctx, gmopg.RecruitExecInput{Access: acc, RetURL: s.ReturnURL, ItemName: itemName(o), ClientField1: o.Number})
	if err != nil {
		return fail("ExecTranRecruit", err)
	}
	if _, err := s.db.ExecContext(ctx, `UPDATE kantan_payments SET pg_status = ?, updated_at = ? WHERE order_id = ?`,
		string(gmopg.StatusReqSuccess), s.now(), o.ID); err != nil {
		return nil, err
	}
	out := map[string]any{"status": StatusNeedsCheck, "status_label": Statuses.Label(StatusNeedsCheck), "pg_order_id": p.PGOrderID,
		"start_url": st.StartURL, "access_id": st.AccessID, "token": st.Token,
		"post": "購入者のブラウザから start_url に AccessID と Token を Shift_JIS のフォームで POST してください"}
	if !st.StartLimitDate.IsZero() {
		out["start_limit"] = st.StartLimitDate
	}
	return out, nil
}

// yen writes an amount with thousands separators, as the pages do.
func yen(n int64) string { return web.Comma(n) }

// pgMessage is err for people: GMO-PG's codes with their Japanese text.
func pgMessage(err error) string {
	if ae, ok := errors.AsType[*gmopg.APIError](err); ok {
		parts := make([]string, len(ae.Pairs))
		for i, p := range ae.Pairs {
			parts[i] = p.String()
		}
		return strings.Join(parts, "、")
	}
	if e := errs.As(err); e != nil && e.Message != "" {
		return e.Message
	}
	return err.Error()
}

func errDetail(err error) string {
	if ae, ok := errors.AsType[*gmopg.APIError](err); ok {
		return "ErrInfo=" + strings.Join(ae.Infos(), "|")
	}
	return err.Error()
}

// mirror writes a payment status onto the order's own fields (承認状況, 入金状況, and 出荷待ち once
// the payment is secured) in tx. A cancelled order stays as it is (final).
func (s *Service) mirror(ctx context.Context, tx *db.Tx, orderID, st string, hold bool) error {
	o, err := s.orderTx(ctx, tx, orderID)
	if err != nil || o.OrderStatus == "cancelled" {
		return err
	}
	_, err = s.store.ModifyOrderTx(ctx, tx, orderID, func(o *commerce.Order) error {
		switch st {
		case StatusAuthorized, StatusCaptured:
			o.AuthorizationStatus = "authorized"
			if o.AuthorizedOn == "" {
				o.AuthorizedOn = s.today()
			}
			if st == StatusCaptured {
				o.PaymentStatus = "paid"
			}
			if o.OrderStatus == "new" || o.OrderStatus == "awaiting_payment" {
				o.OrderStatus = "awaiting_shipment"
			}
		case StatusFailed:
			o.AuthorizationStatus = "failed"
		case StatusExpired:
			o.AuthorizationStatus = "expired"
		case StatusCancelled:
			o.AuthorizationStatus = "cancelled"
		case StatusCaptureFailed:
			if hold && o.OrderStatus != "shipped" {
				o.OrderStatus = "on_hold"
			}
		}
		return nil
	})
	return err
}

// orderTx reads an order in tx (the store's own reads go to the read pool).
func (s *Service) orderTx(ctx context.Context, tx *db.Tx, id string) (commerce.Order, error) {
	var o commerce.Order
	err := tx.QueryRowContext(ctx, `SELECT id, number, order_status, total, tax, payment_method FROM orders WHERE id = ?`, id).
		Scan(&o.ID, &o.Number, &o.OrderStatus, &o.Total, &o.Tax, &o.PaymentMethod)
	if err != nil {
		return o, fmt.Errorf("kantan: order %s: %w", id, db.NotFound(err))
	}
	return o, nil
}
