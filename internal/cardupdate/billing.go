package cardupdate

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"kessai/internal/platform/attempt"
	"kessai/internal/platform/db"
	"kessai/internal/platform/errs"
	"kessai/internal/platform/status"
	"kessai/internal/provider/gmopg"
)

// OpCharge is the billing run's charge of a stored card.
const (
	OpCharge     = "cardupdate.charge"
	RecordCharge = "cardupdate_charge"
)

// Charge statuses.
const (
	ChargePending  = "pending"
	ChargeCharging = "charging"
	ChargeCharged  = "charged"
	ChargeFailed   = "failed"
	ChargeSkipped  = "skipped" // the card's latest 洗替 failed: not charged until a new card
)

// ChargeStatuses is the one table of charge statuses.
var ChargeStatuses = status.NewSet("課金の状態",
	status.Status{Code: ChargePending, Label: "課金待ち", Level: "info"},
	status.Status{Code: ChargeCharging, Label: "課金中", Level: "info"},
	status.Status{Code: ChargeCharged, Label: "課金済み", Level: "ok"},
	status.Status{Code: ChargeFailed, Label: "課金失敗", Level: "error"},
	status.Status{Code: ChargeSkipped, Label: "課金停止（要カード変更）", Level: "warn"},
)

// Charge is one subscription's charge for one due date.
type Charge struct {
	ID             string `json:"id"`
	SubscriptionID string `json:"subscription_id"`
	DueOn          string `json:"due_on"`
	OrderID        string `json:"order_id"`
	Amount         int64  `json:"amount"`
	Status         string `json:"status"`
	Reason         string `json:"reason,omitempty"`
	TranID         string `json:"tran_id,omitempty"`
}

// BillingReport is one billing run: what was charged, skipped (with the reason) or failed.
type BillingReport struct {
	Charged []Charge
	Skipped []Charge
	Failed  []Charge
}

// newOrderID is a GMO-PG OrderID: 27 characters of [0-9A-Za-z].
func newOrderID() string { return strings.ReplaceAll(db.NewID("k"), "_", "")[:27] }

// Bill charges every active subscription due on or before day (YYYY-MM-DD, JST) with a stored
// card: subscriptions whose card's latest 洗替 failed are skipped (kept listed, with the
// reason, until a new card is registered); the others are charged once each through the runner.
func (s *Service) Bill(ctx context.Context, day string) (BillingReport, error) {
	var rep BillingReport
	now := s.now()
	// Write (or refresh) a charge per due subscription; the OrderID is fixed here, once.
	err := s.db.InTx(ctx, func(tx *db.Tx) error {
		rows, err := tx.QueryContext(ctx, `SELECT sb.id, sb.next_billing_on, sb.amount, COALESCE(cc.id, ''), COALESCE(cc.member_id, ''),
			COALESCE(cc.card_seq, ''), COALESCE(cus.status, '')
			FROM subscriptions sb LEFT JOIN customer_cards cc ON cc.id = sb.card_id
			LEFT JOIN cardupdate_card_status cus ON cus.card_id = sb.card_id
			WHERE sb.status = 'active' AND sb.next_billing_on <> '' AND sb.next_billing_on <= ? ORDER BY sb.id`, day)
		if err != nil {
			return err
		}
		type due struct {
			id, on, card, member, seq, st string
			amount                        int64
		}
		var dues []due
		for rows.Next() {
			var d due
			if err := rows.Scan(&d.id, &d.on, &d.amount, &d.card, &d.member, &d.seq, &d.st); err != nil {
				rows.Close()
				return err
			}
			dues = append(dues, d)
		}
		rows.Close()
		for _, d := range dues {
			st, reason := ChargePending, ""
			switch {
			case d.card == "":
				st, reason = ChargeSkipped, "カードが登録されていません"
			case Failed(d.st):
				st, reason = ChargeSkipped, "カードの洗替結果が「"+CardStatuses.Label(d.st)+"」のため課金しません（新しいカードの登録が必要です）"
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO cardupdate_charges (id, subscription_id, due_on, order_id, card_id, member_id, card_seq,
				amount, status, reason, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
				ON CONFLICT (subscription_id, due_on) DO NOTHING`, db.NewID("chg"), d.id, d.on, newOrderID(), d.card, d.member, d.seq,
				d.amount, st, reason, now, now); err != nil {
				return fmt.Errorf("cardupdate: charge of %s: %w", d.id, err)
			}
			// A skipped charge whose subscription now has a good card is charged; a pending one
			// whose card failed meanwhile is skipped. Charged, charging and failed ones stay.
			if _, err := tx.ExecContext(ctx, `UPDATE cardupdate_charges SET status = ?, reason = ?, card_id = ?, member_id = ?, card_seq = ?, updated_at = ?
				WHERE subscription_id = ? AND due_on = ? AND status IN (?, ?) AND (status <> ? OR card_id <> ?)`,
				st, reason, d.card, d.member, d.seq, now, d.id, d.on, ChargePending, ChargeSkipped, st, d.card); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return rep, err
	}
	charges, err := s.charges(ctx, `status IN (?, ?) AND due_on <= ?`, ChargePending, ChargeSkipped, day)
	if err != nil {
		return rep, err
	}
	for _, c := range charges {
		if c.Status == ChargeSkipped {
			rep.Skipped = append(rep.Skipped, c)
			continue
		}
		if _, err := s.ChargeOne(ctx, c.ID); err != nil && !errors.Is(err, attempt.ErrAbandoned) {
			return rep, fmt.Errorf("cardupdate: charge %s: %w", c.ID, err)
		}
		got, err := s.GetCharge(ctx, c.ID)
		if err != nil {
			return rep, err
		}
		switch got.Status {
		case ChargeCharged:
			rep.Charged = append(rep.Charged, got)
		case ChargeFailed:
			rep.Failed = append(rep.Failed, got)
		}
	}
	return rep, nil
}

func (s *Service) charges(ctx context.Context, where string, args ...any) ([]Charge, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT id, subscription_id, due_on, order_id, amount, status, reason, tran_id
		FROM cardupdate_charges WHERE `+where+` ORDER BY subscription_id, due_on`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Charge
	for rows.Next() {
		var c Charge
		if err := rows.Scan(&c.ID, &c.SubscriptionID, &c.DueOn, &c.OrderID, &c.Amount, &c.Status, &c.Reason, &c.TranID); err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// GetCharge reads a charge.
func (s *Service) GetCharge(ctx context.Context, id string) (Charge, error) {
	cs, err := s.charges(ctx, `id = ?`, id)
	if err != nil {
		return Charge{}, err
	}
	if len(cs) == 0 {
		return Charge{}, errs.NotFound("課金が見つかりません: " + id)
	}
	return cs[0], nil
}

// ChargesOf lists a subscription's charges.
func (s *Service) ChargesOf(ctx context.Context, subscriptionID string) ([]Charge, error) {
	return s.charges(ctx, `subscription_id = ?`, subscriptionID)
}

// ChargeOne charges one pending charge through the runner.
func (s *Service) ChargeOne(ctx context.Context, id string) (attempt.Attempt, error) {
	return s.runner.Run(ctx, s.chargeOp(id))
}

type chargeRequest struct {
	OrderID  string `json:"order_id"`
	Amount   int64  `json:"amount"`
	MemberID string `json:"member_id"`
	CardSeq  string `json:"card_seq"`
}

func (s *Service) chargeOp(id string) attempt.Op {
	return attempt.Op{
		Claim: func(ctx context.Context, tx *db.Tx) (attempt.Attempt, error) {
			var c chargeRequest
			var st string
			err := tx.QueryRowContext(ctx, `SELECT order_id, amount, member_id, card_seq, status FROM cardupdate_charges WHERE id = ?`, id).
				Scan(&c.OrderID, &c.Amount, &c.MemberID, &c.CardSeq, &st)
			if err != nil {
				return attempt.Attempt{}, db.NotFound(err)
			}
			// A failed charge may be run again (a person's rerun): sendCharge reads the OrderID
			// back before anything is sent.
			res, err := tx.ExecContext(ctx, `UPDATE cardupdate_charges SET status = ?, updated_at = ? WHERE id = ? AND status IN (?, ?)`,
				ChargeCharging, s.now(), id, ChargePending, ChargeFailed)
			if err != nil {
				return attempt.Attempt{}, err
			}
			if n, _ := res.RowsAffected(); n != 1 {
				return attempt.Attempt{}, errs.Conflict("この課金は" + ChargeStatuses.Label(st) + "のため実行できません")
			}
			return attempt.Attempt{Room: Room, RecordType: RecordCharge, RecordID: id, Operation: OpCharge, IdempotencyKey: c.OrderID,
				RequestSummary: fmt.Sprintf("OrderID=%s Amount=%d MemberID=%s CardSeq=%s", c.OrderID, c.Amount, c.MemberID, c.CardSeq)}, nil
		},
		Send:  s.sendCharge,
		Apply: s.applyCharge,
		Late: func(ctx context.Context, a attempt.Attempt, o attempt.Outcome) error {
			if o.State != attempt.Succeeded {
				return nil
			}
			return s.db.InTx(ctx, func(tx *db.Tx) error {
				if _, err := s.runner.Log().Overturn(ctx, tx, a.ID, o); err != nil {
					return err
				}
				return s.applyCharge(ctx, tx, a, o)
			})
		},
	}
}

func parseRequest(a attempt.Attempt) chargeRequest {
	var c chargeRequest
	for _, f := range strings.Fields(a.RequestSummary) {
		k, v, _ := strings.Cut(f, "=")
		switch k {
		case "OrderID":
			c.OrderID = v
		case "Amount":
			c.Amount, _ = strconv.ParseInt(v, 10, 64)
		case "MemberID":
			c.MemberID = v
		case "CardSeq":
			c.CardSeq = v
		}
	}
	return c
}

// sendCharge first reads the OrderID back with SearchTrade (a retry after a timeout must not
// charge twice: a captured trade is the success, an entered one is executed, not entered again),
// then EntryTran and ExecTran (CAPTURE) with the stored card.
func (s *Service) sendCharge(ctx context.Context, a attempt.Attempt) attempt.Outcome {
	c := parseRequest(a)
	cn, err := s.conn.Get(ctx)
	if err != nil {
		return attempt.Outcome{State: attempt.Failed, Code: attempt.CodeNotSent, Message: err.Error()}
	}
	cl, err := s.conn.Client(cn)
	if err != nil {
		return attempt.Outcome{State: attempt.Failed, Code: attempt.CodeNotSent, Message: err.Error()}
	}
	tr, err := cl.SearchTrade(ctx, c.OrderID)
	var acc gmopg.Access
	switch {
	case err == nil && (tr.Status == gmopg.StatusCapture || tr.Status == gmopg.StatusSales):
		return attempt.Outcome{State: attempt.Succeeded, Response: "TranID=" + tr.TranID + " (SearchTrade)"}
	case err == nil && tr.Status == gmopg.StatusUnprocessed:
		acc = gmopg.Access{OrderID: c.OrderID, AccessID: tr.AccessID, AccessPass: tr.AccessPass}
	case err == nil:
		return attempt.Outcome{State: attempt.Failed, Code: string(tr.Status), Message: "GMO-PG の取引状態が " + string(tr.Status) + " です"}
	case gmopg.HasInfo(err, gmopg.InfoTranNotFound):
		acc, err = cl.EntryTran(ctx, gmopg.EntryTranInput{OrderID: c.OrderID, JobCd: gmopg.JobCapture, Amount: c.Amount})
		if err != nil {
			if gmopg.IsOutcomeUnknown(err) || gmopg.HasInfo(err, gmopg.InfoOrderIDExists) {
				return attempt.Outcome{State: attempt.Unknown, Message: err.Error()}
			}
			return attempt.Outcome{State: attempt.Failed, Code: codeOf(err), Message: err.Error()}
		}
	default:
		return attempt.Outcome{State: attempt.Failed, Code: attempt.CodeNotSent, Message: "取引を照会できません: " + err.Error()}
	}
	seq := 0
	if c.CardSeq != "" {
		seq, _ = strconv.Atoi(c.CardSeq)
	}
	res, err := cl.ExecTran(ctx, gmopg.ExecTranInput{Access: acc, MemberID: c.MemberID, CardSeq: seq})
	if err != nil {
		if gmopg.IsOutcomeUnknown(err) {
			return attempt.Outcome{State: attempt.Unknown, Message: err.Error()}
		}
		if ae, ok := errors.AsType[*gmopg.APIError](err); ok && gmopg.HasInfo(ae, "E90010001") {
			return attempt.Outcome{State: attempt.Unknown, Message: err.Error()}
		}
		return attempt.Outcome{State: attempt.Failed, Code: codeOf(err), Message: err.Error()}
	}
	return attempt.Outcome{State: attempt.Succeeded, Response: "TranID=" + res.TranID}
}

func codeOf(err error) string {
	if ae, ok := errors.AsType[*gmopg.APIError](err); ok {
		return strings.Join(ae.Infos(), "|")
	}
	return ""
}

// applyCharge writes the outcome; a success also moves the subscription's next billing date
// on by its cycle (only from the due date charged, so a second apply changes nothing).
func (s *Service) applyCharge(ctx context.Context, tx *db.Tx, a attempt.Attempt, o attempt.Outcome) error {
	now := s.now()
	switch o.State {
	case attempt.Succeeded:
		tran := strings.TrimSuffix(strings.TrimPrefix(o.Response, "TranID="), " (SearchTrade)")
		res, err := tx.ExecContext(ctx, `UPDATE cardupdate_charges SET status = ?, reason = '', tran_id = ?, updated_at = ? WHERE id = ? AND status <> ?`,
			ChargeCharged, tran, now, a.RecordID, ChargeCharged)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return nil
		}
		var sub, due string
		var cycle int
		if err := tx.QueryRowContext(ctx, `SELECT c.subscription_id, c.due_on, sb.cycle_months FROM cardupdate_charges c
			JOIN subscriptions sb ON sb.id = c.subscription_id WHERE c.id = ?`, a.RecordID).Scan(&sub, &due, &cycle); err != nil {
			return err
		}
		d, err := time.Parse("2006-01-02", due)
		if err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `UPDATE subscriptions SET next_billing_on = ?, version = version + 1, updated_at = ? WHERE id = ? AND next_billing_on = ?`,
			d.AddDate(0, max(cycle, 1), 0).Format("2006-01-02"), now, sub, due)
		return err
	case attempt.Failed:
		_, err := tx.ExecContext(ctx, `UPDATE cardupdate_charges SET status = ?, reason = ?, updated_at = ? WHERE id = ? AND status = ?`,
			ChargeFailed, trim("課金できませんでした: "+o.Message, 1000), now, a.RecordID, ChargeCharging)
		return err
	}
	return nil
}

// ChargeResolver settles a charge whose outcome is unknown with SearchTrade; it never charges.
type ChargeResolver struct{ s *Service }

// NewChargeResolver returns the resolver of OpCharge.
func NewChargeResolver(s *Service) *ChargeResolver { return &ChargeResolver{s} }

// Resolve reads the trade by OrderID.
func (r *ChargeResolver) Resolve(ctx context.Context, a attempt.Attempt) (attempt.Outcome, error) {
	cn, err := r.s.conn.Get(ctx)
	if err != nil {
		return attempt.Outcome{}, err
	}
	cl, err := r.s.conn.Client(cn)
	if err != nil {
		return attempt.Outcome{}, err
	}
	tr, err := cl.SearchTrade(ctx, a.IdempotencyKey)
	switch {
	case err == nil && (tr.Status == gmopg.StatusCapture || tr.Status == gmopg.StatusSales):
		return attempt.Outcome{State: attempt.Succeeded, Response: "TranID=" + tr.TranID + " (SearchTrade)"}, nil
	case err == nil && tr.Status == gmopg.StatusUnprocessed, gmopg.HasInfo(err, gmopg.InfoTranNotFound):
		// Registered but never executed, or never registered: no money moved. The charge is
		// failed; a rerun reuses the OrderID and reads it back first.
		return attempt.Outcome{State: attempt.Failed, Code: "not_charged", Message: "GMO-PG で売上になっていません（未決済）"}, nil
	case err == nil:
		return attempt.Outcome{State: attempt.Failed, Code: string(tr.Status), Message: "GMO-PG の取引状態が " + string(tr.Status) + " です"}, nil
	}
	return attempt.Outcome{}, err
}

// Apply is the charge's Apply.
func (r *ChargeResolver) Apply(ctx context.Context, tx *db.Tx, a attempt.Attempt, o attempt.Outcome) error {
	return r.s.applyCharge(ctx, tx, a, o)
}

// RetryCharge puts a failed charge back to 課金待ち (same OrderID: it is read back first).
func (s *Service) RetryCharge(ctx context.Context, id string) error {
	return s.db.InTx(ctx, func(tx *db.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE cardupdate_charges SET status = ?, updated_at = ? WHERE id = ? AND status = ?`, ChargePending, s.now(), id, ChargeFailed)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return errs.Conflict("課金失敗の課金だけ再実行できます")
		}
		return nil
	})
}
