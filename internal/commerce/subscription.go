package commerce

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"kessai/internal/platform/audit"
	"kessai/internal/platform/db"
	"kessai/internal/platform/errs"
)

const subscriptionColumns = `sb.id, sb.code, sb.shop_id, sb.customer_id, COALESCE(sb.card_id, ''), sb.product_name,
	sb.amount, sb.cycle_months, sb.next_billing_on, sb.status, sb.note, sb.version, sb.created_at, sb.updated_at`

func subscriptionDest(sb *Subscription) []any {
	return []any{&sb.ID, &sb.Code, &sb.ShopID, &sb.CustomerID, &sb.CardID, &sb.ProductName,
		&sb.Amount, &sb.CycleMonths, &sb.NextBillingOn, &sb.Status, &sb.Note, &sb.Version, &sb.CreatedAt, &sb.UpdatedAt}
}

// ValidateSubscription normalises and checks a subscription. An active one needs a card and
// a next billing date: it is billed to that card on that date.
func ValidateSubscription(sb Subscription) (Subscription, error) {
	sb.ProductName, sb.Note = strings.TrimSpace(sb.ProductName), strings.TrimSpace(sb.Note)
	if sb.Status == "" {
		sb.Status = "active"
	}
	if sb.CycleMonths == 0 {
		sb.CycleMonths = 1
	}
	f := errs.Fields{}
	checkRequired(f, "shop_id", "店舗", sb.ShopID)
	checkRequired(f, "customer_id", "顧客", sb.CustomerID)
	checkRequired(f, "product_name", "商品名", sb.ProductName)
	checkMaxLen(f, "product_name", "商品名", sb.ProductName, maxName)
	checkMaxLen(f, "note", "備考", sb.Note, maxNote)
	checkAmount(f, "amount", "金額", sb.Amount)
	if sb.CycleMonths < 1 || sb.CycleMonths > 12 {
		f.Add("cycle_months", "お届け周期は1〜12か月にしてください")
	}
	checkStatus(f, "status", SubscriptionStatuses, sb.Status)
	checkDate(f, "next_billing_on", "次回請求日", sb.NextBillingOn, sb.Status == "active")
	if sb.Status == "active" && sb.CardID == "" {
		f.Add("card_id", "継続中の定期受注には請求するカードが必要です")
	}
	return sb, f.Err()
}

// subscriptionTransition applies SubscriptionStatuses: pause, resume and cancel need their
// actions, a cancelled subscription is final, card_error is set by billing or card update.
func subscriptionTransition(from, to string) error {
	st, _ := SubscriptionStatuses.Get(from)
	need := "edit"
	switch {
	case from == to:
	case to == "paused":
		need = "pause"
	case to == "cancelled":
		need = "cancel"
	case to == "active":
		need = "resume"
	}
	if st.Final {
		return errs.Conflict(fmt.Sprintf("「%s」の定期受注は変更できません", st.Label))
	}
	if !SubscriptionStatuses.Allows(from, need) {
		return errs.Conflict(fmt.Sprintf("「%s」の定期受注は「%s」にできません", st.Label, SubscriptionStatuses.Label(to)))
	}
	return nil
}

// CreateSubscription numbers (S000001) and saves a new subscription.
func (s *Store) CreateSubscription(ctx context.Context, sb Subscription, also ...Also) (Subscription, error) {
	out, err := s.createSubscriptions(ctx, []Subscription{sb}, also)
	if err != nil {
		return Subscription{}, err
	}
	return out[0], nil
}

// CreateSubscriptions saves several subscriptions in one transaction.
func (s *Store) CreateSubscriptions(ctx context.Context, sbs []Subscription) ([]Subscription, error) {
	return s.createSubscriptions(ctx, sbs, nil)
}

func (s *Store) createSubscriptions(ctx context.Context, sbs []Subscription, also []Also) ([]Subscription, error) {
	out := make([]Subscription, len(sbs))
	for i, sb := range sbs {
		v, err := ValidateSubscription(sb)
		if err != nil {
			return nil, withIndex(err, i, len(sbs))
		}
		out[i] = v
	}
	err := s.db.InTx(ctx, func(tx *db.Tx) error {
		if err := s.insertSubscriptions(ctx, tx, out); err != nil || len(out) != 1 {
			return err
		}
		return runAlso(ctx, tx, out[0].ID, also)
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

func (s *Store) insertSubscriptions(ctx context.Context, tx *db.Tx, sbs []Subscription) error {
	if len(sbs) == 0 {
		return nil
	}
	var shops, customers []string
	for _, sb := range sbs {
		shops, customers = append(shops, sb.ShopID), append(customers, sb.CustomerID)
		if sb.CardID != "" {
			if err := cardBelongs(ctx, tx, sb.CardID, sb.CustomerID); err != nil {
				return err
			}
		}
	}
	if err := mustExist(ctx, tx, "shops", "shop_id", "店舗", shops); err != nil {
		return err
	}
	if err := mustExist(ctx, tx, "customers", "customer_id", "顧客", customers); err != nil {
		return err
	}
	first, err := reserve(ctx, tx, counterSubscription, len(sbs))
	if err != nil {
		return err
	}
	now := s.now()
	for i := range sbs {
		sb := &sbs[i]
		sb.ID, sb.Code = db.NewID("sub"), fmt.Sprintf("S%06d", first+int64(i))
		sb.Version, sb.CreatedAt, sb.UpdatedAt = 1, now, now
	}
	err = db.InsertBatches(ctx, tx, `INSERT INTO subscriptions (id, code, shop_id, customer_id, card_id, product_name,
		amount, cycle_months, next_billing_on, status, note, version, created_at, updated_at) VALUES `, 14, len(sbs),
		func(i int) []any {
			sb := sbs[i]
			return []any{sb.ID, sb.Code, sb.ShopID, sb.CustomerID, nullable(sb.CardID), sb.ProductName, sb.Amount,
				sb.CycleMonths, sb.NextBillingOn, sb.Status, sb.Note, sb.Version, sb.CreatedAt, sb.UpdatedAt}
		})
	if err != nil {
		return fmt.Errorf("insert subscriptions: %w", err)
	}
	for _, sb := range sbs {
		if err := s.audit.Record(ctx, tx, audit.Entry{Action: "subscription.create", RecordType: "subscription", RecordID: sb.ID, After: sb}); err != nil {
			return err
		}
	}
	return nil
}

// cardBelongs checks that a card is the customer's own.
func cardBelongs(ctx context.Context, q db.Querier, cardID, customerID string) error {
	var owner string
	err := q.QueryRowContext(ctx, `SELECT customer_id FROM customer_cards WHERE id = ?`, cardID).Scan(&owner)
	if errors.Is(err, sql.ErrNoRows) {
		return errs.Invalid("カードが見つかりません（"+cardID+"）").Field("card_id", "カードを選び直してください")
	}
	if err != nil {
		return fmt.Errorf("card %s: %w", cardID, err)
	}
	if owner != customerID {
		return errs.Invalid("ほかの顧客のカードは使えません").Field("card_id", "この顧客のカードを選んでください")
	}
	return nil
}

// GetSubscription returns a subscription by ID.
func (s *Store) GetSubscription(ctx context.Context, id string) (Subscription, error) {
	return getSubscription(ctx, s.db, `sb.id = ?`, id, false)
}

// GetSubscriptionByCode returns a subscription by its code (S000001).
func (s *Store) GetSubscriptionByCode(ctx context.Context, code string) (Subscription, error) {
	return getSubscription(ctx, s.db, `sb.code = ?`, code, false)
}

func getSubscription(ctx context.Context, q db.Querier, cond, key string, lock bool) (Subscription, error) {
	query := `SELECT ` + subscriptionColumns + ` FROM subscriptions sb WHERE ` + cond
	if lock {
		query += db.ForUpdate(q.Dialect())
	}
	var sb Subscription
	err := q.QueryRowContext(ctx, query, key).Scan(subscriptionDest(&sb)...)
	if errors.Is(err, sql.ErrNoRows) {
		return Subscription{}, notFound("定期受注", key)
	}
	if err != nil {
		return Subscription{}, fmt.Errorf("get subscription %s: %w", key, err)
	}
	sb.CreatedAt, sb.UpdatedAt = sb.CreatedAt.UTC(), sb.UpdatedAt.UTC()
	return sb, nil
}

// UpdateSubscription saves the editable fields of sb; sb.Version must be the version read. The
// status may change as SubscriptionStatuses allows.
func (s *Store) UpdateSubscription(ctx context.Context, sb Subscription) (Subscription, error) {
	return s.ModifySubscription(ctx, sb.ID, func(cur *Subscription) error {
		if err := checkVersion("定期受注", sb.ID, sb.Version, cur.Version); err != nil {
			return err
		}
		*cur = sb
		return nil
	})
}

// SetSubscriptionStatus moves a subscription to status (paused, active, cancelled, card_error)
// if its current status allows it; version 0 skips the version check (for jobs).
func (s *Store) SetSubscriptionStatus(ctx context.Context, id string, version int, status, note string) (Subscription, error) {
	return s.ModifySubscription(ctx, id, func(sb *Subscription) error {
		if version != 0 && version != sb.Version {
			return conflict("定期受注", id)
		}
		sb.Status = status
		if note != "" {
			sb.Note = strings.TrimSpace(sb.Note + "\n" + note)
		}
		return nil
	})
}

// ModifySubscription changes a subscription under lock; its code and creation time never change.
func (s *Store) ModifySubscription(ctx context.Context, id string, fn func(sb *Subscription) error) (Subscription, error) {
	var out Subscription
	err := s.db.InTx(ctx, func(tx *db.Tx) error {
		before, err := getSubscription(ctx, tx, `sb.id = ?`, id, true)
		if err != nil {
			return err
		}
		sb := before
		if err := fn(&sb); err != nil {
			return err
		}
		sb.ID, sb.Code, sb.CreatedAt = before.ID, before.Code, before.CreatedAt
		if err := subscriptionTransition(before.Status, sb.Status); err != nil {
			return err
		}
		if sb, err = ValidateSubscription(sb); err != nil {
			return err
		}
		if sb.ShopID != before.ShopID {
			if err := mustExist(ctx, tx, "shops", "shop_id", "店舗", []string{sb.ShopID}); err != nil {
				return err
			}
		}
		if sb.CustomerID != before.CustomerID {
			if err := mustExist(ctx, tx, "customers", "customer_id", "顧客", []string{sb.CustomerID}); err != nil {
				return err
			}
		}
		if sb.CardID != "" && (sb.CardID != before.CardID || sb.CustomerID != before.CustomerID) {
			if err := cardBelongs(ctx, tx, sb.CardID, sb.CustomerID); err != nil {
				return err
			}
		}
		sb.Version, sb.UpdatedAt = before.Version+1, s.now()
		_, err = tx.ExecContext(ctx, `UPDATE subscriptions SET shop_id = ?, customer_id = ?, card_id = ?,
			product_name = ?, amount = ?, cycle_months = ?, next_billing_on = ?, status = ?, note = ?, version = ?,
			updated_at = ? WHERE id = ?`,
			sb.ShopID, sb.CustomerID, nullable(sb.CardID), sb.ProductName, sb.Amount, sb.CycleMonths,
			sb.NextBillingOn, sb.Status, sb.Note, sb.Version, sb.UpdatedAt, id)
		if err != nil {
			return fmt.Errorf("update subscription %s: %w", id, err)
		}
		out = sb
		action := "subscription.update"
		if sb.Status != before.Status {
			action = "subscription." + sb.Status
		}
		return s.audit.Record(ctx, tx, audit.Entry{Action: action, RecordType: "subscription", RecordID: id, Before: before, After: sb})
	})
	return out, err
}
