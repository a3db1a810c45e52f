package commerce

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"kessai/internal/platform/audit"
	"kessai/internal/platform/bankaccount"
	"kessai/internal/platform/db"
	"kessai/internal/platform/errs"
)

const cardColumns = `cc.id, cc.customer_id, cc.provider, cc.member_id, cc.card_seq, cc.masked_pan, cc.expire_ym,
	cc.status, cc.version, cc.created_at, cc.updated_at`

func scanCard(r scanner) (Card, error) {
	var c Card
	err := r.Scan(&c.ID, &c.CustomerID, &c.Provider, &c.MemberID, &c.CardSeq, &c.MaskedPAN, &c.ExpireYM,
		&c.Status, &c.Version, &c.CreatedAt, &c.UpdatedAt)
	c.CreatedAt, c.UpdatedAt = c.CreatedAt.UTC(), c.UpdatedAt.UTC()
	return c, err
}

// ValidateCard normalises and checks a card reference. ExpireYM is YYMM, as providers send it.
func ValidateCard(c Card) (Card, error) {
	c.Provider, c.MemberID, c.CardSeq = strings.TrimSpace(c.Provider), strings.TrimSpace(c.MemberID), strings.TrimSpace(c.CardSeq)
	c.ExpireYM, c.MaskedPAN = strings.TrimSpace(c.ExpireYM), strings.TrimSpace(c.MaskedPAN)
	if c.Status == "" {
		c.Status = "valid"
	}
	f := errs.Fields{}
	checkRequired(f, "customer_id", "顧客", c.CustomerID)
	checkRequired(f, "provider", "決済代行会社", c.Provider)
	checkRequired(f, "member_id", "会員ID", c.MemberID)
	if c.ExpireYM != "" && (len(c.ExpireYM) != 4 || !bankaccount.AllDigits(c.ExpireYM) || c.ExpireYM[2:] < "01" || c.ExpireYM[2:] > "12") {
		f.Add("expire_ym", "有効期限はYYMMの4桁で入力してください（例: 2812 は2028年12月）")
	}
	checkStatus(f, "status", CardStatuses, c.Status)
	return c, f.Err()
}

// CreateCard stores a card reference for a customer.
func (s *Store) CreateCard(ctx context.Context, c Card) (Card, error) {
	out, err := s.CreateCards(ctx, []Card{c})
	if err != nil {
		return Card{}, err
	}
	return out[0], nil
}

// CreateCards stores several card references in one transaction.
func (s *Store) CreateCards(ctx context.Context, cs []Card) ([]Card, error) {
	out := make([]Card, len(cs))
	for i, c := range cs {
		v, err := ValidateCard(c)
		if err != nil {
			return nil, withIndex(err, i, len(cs))
		}
		out[i] = v
	}
	err := s.db.InTx(ctx, func(tx *db.Tx) error { return s.insertCards(ctx, tx, out) })
	if err != nil {
		return nil, err
	}
	return out, nil
}

func (s *Store) insertCards(ctx context.Context, tx *db.Tx, cs []Card) error {
	if len(cs) == 0 {
		return nil
	}
	ids := make([]string, len(cs))
	for i, c := range cs {
		ids[i] = c.CustomerID
	}
	if err := mustExist(ctx, tx, "customers", "customer_id", "顧客", ids); err != nil {
		return err
	}
	now := s.now()
	for i := range cs {
		cs[i].ID, cs[i].Version, cs[i].CreatedAt, cs[i].UpdatedAt = db.NewID("card"), 1, now, now
	}
	err := db.InsertBatches(ctx, tx, `INSERT INTO customer_cards (id, customer_id, provider, member_id, card_seq,
		masked_pan, expire_ym, status, version, created_at, updated_at) VALUES `, 11, len(cs), func(i int) []any {
		c := cs[i]
		return []any{c.ID, c.CustomerID, c.Provider, c.MemberID, c.CardSeq, c.MaskedPAN, c.ExpireYM, c.Status, c.Version, c.CreatedAt, c.UpdatedAt}
	})
	if db.IsUniqueViolation(err) {
		return errs.Invalid("同じ決済代行会社・会員ID・カード連番のカードがすでに登録されています").Field("card_seq", "登録済みのカードです").Wrap(err)
	}
	if err != nil {
		return fmt.Errorf("insert cards: %w", err)
	}
	for _, c := range cs {
		if err := s.audit.Record(ctx, tx, audit.Entry{Action: "card.create", RecordType: "customer_card", RecordID: c.ID, After: c}); err != nil {
			return err
		}
	}
	return nil
}

// GetCard returns a card reference by ID.
func (s *Store) GetCard(ctx context.Context, id string) (Card, error) {
	return getCard(ctx, s.db, id, false)
}

func getCard(ctx context.Context, q db.Querier, id string, lock bool) (Card, error) {
	query := `SELECT ` + cardColumns + ` FROM customer_cards cc WHERE cc.id = ?`
	if lock {
		query += db.ForUpdate(q.Dialect())
	}
	c, err := scanCard(q.QueryRowContext(ctx, query, id))
	if errors.Is(err, sql.ErrNoRows) {
		return Card{}, notFound("カード", id)
	}
	if err != nil {
		return Card{}, fmt.Errorf("get card %s: %w", id, err)
	}
	return c, nil
}

// CustomerCards returns a customer's cards, oldest first.
func (s *Store) CustomerCards(ctx context.Context, customerID string) ([]Card, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT `+cardColumns+` FROM customer_cards cc WHERE cc.customer_id = ?
		ORDER BY cc.created_at, cc.id`, customerID)
	if err != nil {
		return nil, fmt.Errorf("cards of %s: %w", customerID, err)
	}
	defer rows.Close()
	var out []Card
	for rows.Next() {
		c, err := scanCard(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// UpdateCard saves a card's masked number, expiry and status (the card update room does this
// after 洗替). c.Version must be the version read.
func (s *Store) UpdateCard(ctx context.Context, c Card) (Card, error) {
	return s.ModifyCard(ctx, c.ID, func(cur *Card) error {
		if err := checkVersion("カード", c.ID, c.Version, cur.Version); err != nil {
			return err
		}
		cur.MaskedPAN, cur.ExpireYM, cur.Status = c.MaskedPAN, c.ExpireYM, c.Status
		return nil
	})
}

// ModifyCard changes a card under lock. The customer, provider, member and seq never change:
// they name the card at the provider.
func (s *Store) ModifyCard(ctx context.Context, id string, fn func(c *Card) error) (Card, error) {
	var out Card
	err := s.db.InTx(ctx, func(tx *db.Tx) error {
		before, err := getCard(ctx, tx, id, true)
		if err != nil {
			return err
		}
		c := before
		if err := fn(&c); err != nil {
			return err
		}
		c.ID, c.CustomerID, c.Provider, c.MemberID, c.CardSeq, c.CreatedAt = before.ID, before.CustomerID, before.Provider, before.MemberID, before.CardSeq, before.CreatedAt
		if c, err = ValidateCard(c); err != nil {
			return err
		}
		c.Version, c.UpdatedAt = before.Version+1, s.now()
		if _, err := tx.ExecContext(ctx, `UPDATE customer_cards SET masked_pan = ?, expire_ym = ?, status = ?,
			version = ?, updated_at = ? WHERE id = ?`, c.MaskedPAN, c.ExpireYM, c.Status, c.Version, c.UpdatedAt, id); err != nil {
			return fmt.Errorf("update card %s: %w", id, err)
		}
		out = c
		return s.audit.Record(ctx, tx, audit.Entry{Action: "card.update", RecordType: "customer_card", RecordID: id, Before: before, After: c})
	})
	return out, err
}

// DeleteCard removes a card reference nothing bills: a card a subscription uses is kept
// (errs.Conflict); mark it invalid instead.
func (s *Store) DeleteCard(ctx context.Context, id string, version int) error {
	return s.db.InTx(ctx, func(tx *db.Tx) error {
		before, err := getCard(ctx, tx, id, true)
		if err != nil {
			return err
		}
		if err := checkVersion("カード", id, version, before.Version); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM customer_cards WHERE id = ?`, id); err != nil {
			if isForeignKeyViolation(err) {
				return errs.Conflict("このカードは定期受注などで使われているため削除できません。無効にしてください").Wrap(err)
			}
			return fmt.Errorf("delete card %s: %w", id, err)
		}
		return s.audit.Record(ctx, tx, audit.Entry{Action: "card.delete", RecordType: "customer_card", RecordID: id, Before: before})
	})
}

// ExpiryText writes a YYMM expiry as people read it on the card: MM/YY (2703 → 03/27).
// Anything else is shown as stored.
func ExpiryText(yymm string) string {
	if len(yymm) != 4 || !bankaccount.AllDigits(yymm) {
		return yymm
	}
	return yymm[2:] + "/" + yymm[:2]
}

// Expiry is the card's expiry as MM/YY.
func (c Card) Expiry() string { return ExpiryText(c.ExpireYM) }

// CardExpiry is the subscription's card expiry as MM/YY.
func (r SubscriptionRow) CardExpiry() string { return ExpiryText(r.CardExpireYM) }
