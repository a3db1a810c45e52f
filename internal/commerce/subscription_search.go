package commerce

import (
	"context"
	"fmt"
	"net/url"
	"strings"

	"kessai/internal/platform/db"
)

// SubscriptionFilter is a search of subscriptions. The zero value matches every subscription.
type SubscriptionFilter struct {
	Statuses    []string // SubscriptionStatuses codes, any of
	Code        string   // part of the code
	Customer    string   // part of the customer's name, kana, code, email or phone
	CustomerID  string
	ShopID      string
	CardID      string
	NextFrom    string // 次回請求日 from (inclusive)
	NextTo      string // 次回請求日 to (inclusive)
	CardStatus  string // the card's CardStatuses code
	IDs         []string
	Sort        string // a SubscriptionSorts key
	ProductName string // part of the product name
	Extra       []Cond // the rooms' conditions (Store.SubscriptionFilterFromQuery)
}

// SubscriptionSorts are the sort orders of the subscription list.
var SubscriptionSorts = []Sort{
	{"next_billing_on", "次回請求日の早い順", "sb.next_billing_on, sb.code"},
	{"-next_billing_on", "次回請求日の遅い順", "sb.next_billing_on DESC, sb.code DESC"},
	{"code", "定期番号順", "sb.code"},
	{"-created", "登録の新しい順", "sb.created_at DESC, sb.code DESC"},
	{"-amount", "金額の高い順", "sb.amount DESC, sb.code"},
}

// SubscriptionSortOptions lists SubscriptionSorts for a sort menu.
func SubscriptionSortOptions() []SortOption { return sortOptions(SubscriptionSorts) }

// SubscriptionFilterFromQuery reads status…, code, customer, customer_id, shop, card_id,
// next_from, next_to, card_status, product, id… and sort.
func SubscriptionFilterFromQuery(v url.Values) (SubscriptionFilter, error) {
	return SubscriptionFilter{}.FromQuery(v)
}

// FromQuery is SubscriptionFilterFromQuery (the receiver is ignored).
func (SubscriptionFilter) FromQuery(v url.Values) (SubscriptionFilter, error) {
	q := newQueryReader(v)
	f := SubscriptionFilter{
		Statuses:    q.codes("status", SubscriptionStatuses),
		Code:        q.str("code"),
		Customer:    q.str("customer"),
		CustomerID:  q.str("customer_id"),
		ShopID:      q.str("shop"),
		CardID:      q.str("card_id"),
		NextFrom:    q.date("next_from", "次回請求日（から）"),
		NextTo:      q.date("next_to", "次回請求日（まで）"),
		CardStatus:  q.code("card_status", CardStatuses),
		ProductName: q.str("product"),
		IDs:         q.list("id"),
		Sort:        q.sort("sort", SubscriptionSorts),
	}
	q.dateRange("next_from", "next_to", f.NextFrom, f.NextTo, "次回請求日")
	return f, q.err()
}

// Query writes the filter as URL parameters.
func (f SubscriptionFilter) Query() url.Values {
	v := url.Values{}
	w := queryWriter(v)
	w.list("status", f.Statuses)
	w.str("code", f.Code)
	w.str("customer", f.Customer)
	w.str("customer_id", f.CustomerID)
	w.str("shop", f.ShopID)
	w.str("card_id", f.CardID)
	w.str("next_from", f.NextFrom)
	w.str("next_to", f.NextTo)
	w.str("card_status", f.CardStatus)
	w.str("product", f.ProductName)
	w.list("id", f.IDs)
	w.str("sort", f.Sort)
	return v
}

func (f SubscriptionFilter) where(d db.Dialect) *where {
	w := &where{d: d}
	w.in("sb.status", f.Statuses)
	if f.Code != "" {
		w.add("LOWER(sb.code) LIKE ?"+escape, contains(strings.ToLower(f.Code)))
	}
	w.customerIn("sb.customer_id", f.Customer)
	if f.CustomerID != "" {
		w.add("sb.customer_id = ?", f.CustomerID)
	}
	if f.ShopID != "" {
		w.add("sb.shop_id = ?", f.ShopID)
	}
	if f.CardID != "" {
		w.add("sb.card_id = ?", f.CardID)
	}
	if f.NextFrom != "" {
		w.add("sb.next_billing_on <> '' AND sb.next_billing_on >= ?", f.NextFrom)
	}
	if f.NextTo != "" {
		w.add("sb.next_billing_on <> '' AND sb.next_billing_on <= ?", f.NextTo)
	}
	if f.CardStatus != "" {
		w.add("cc.status = ?", f.CardStatus)
	}
	if f.ProductName != "" {
		w.add("LOWER(sb.product_name) LIKE ?"+escape, contains(strings.ToLower(f.ProductName)))
	}
	w.in("sb.id", f.IDs)
	w.extra(f.Extra)
	return w
}

func (f SubscriptionFilter) orderBy() string {
	s, ok := findSort(SubscriptionSorts, f.Sort)
	if !ok {
		s = SubscriptionSorts[0]
	}
	return " ORDER BY " + s.sql
}

// SubscriptionRow is a subscription as a list shows it: with customer, shop and card.
type SubscriptionRow struct {
	Subscription
	CustomerCode string `json:"customer_code"`
	CustomerName string `json:"customer_name"`
	ShopCode     string `json:"shop_code"`
	ShopName     string `json:"shop_name"`
	CardMasked   string `json:"card_masked_pan"`
	CardExpireYM string `json:"card_expire_ym"`
	CardStatus   string `json:"card_status"`
	CardMemberID string `json:"card_member_id"`
	CardSeq      string `json:"card_seq"`
}

const subscriptionRowFrom = ` FROM subscriptions sb
	LEFT JOIN customers cu ON cu.id = sb.customer_id
	LEFT JOIN shops sh ON sh.id = sb.shop_id
	LEFT JOIN customer_cards cc ON cc.id = sb.card_id`

const subscriptionRowColumns = subscriptionColumns + `, cu.code, cu.name, sh.code, sh.name,
	COALESCE(cc.masked_pan, ''), COALESCE(cc.expire_ym, ''), COALESCE(cc.status, ''), COALESCE(cc.member_id, ''),
	COALESCE(cc.card_seq, '')`

// SearchSubscriptions returns one page of the subscriptions matching f and how many match.
func (s *Store) SearchSubscriptions(ctx context.Context, f SubscriptionFilter, page, perPage int) ([]SubscriptionRow, int, error) {
	w := f.where(s.db.Dialect())
	var total int
	if err := s.db.QueryRowContext(ctx, `SELECT COUNT(*)`+subscriptionRowFrom+w.sql(), w.args...).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("count subscriptions: %w", err)
	}
	limit, offset := pageBounds(page, perPage)
	rows, err := s.listSubscriptions(ctx, w, f.orderBy()+" LIMIT ? OFFSET ?", limit, offset)
	return rows, total, err
}

// ListSubscriptions returns every subscription matching f.
func (s *Store) ListSubscriptions(ctx context.Context, f SubscriptionFilter) ([]SubscriptionRow, error) {
	return s.listSubscriptions(ctx, f.where(s.db.Dialect()), f.orderBy())
}

// SubscriptionIDs returns the IDs of every subscription matching f.
func (s *Store) SubscriptionIDs(ctx context.Context, f SubscriptionFilter) ([]string, error) {
	w := f.where(s.db.Dialect())
	return db.Strings(ctx, s.db, `SELECT sb.id`+subscriptionRowFrom+w.sql()+f.orderBy(), w.args...)
}

func (s *Store) listSubscriptions(ctx context.Context, w *where, tail string, extra ...any) ([]SubscriptionRow, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT `+subscriptionRowColumns+subscriptionRowFrom+w.sql()+tail, append(w.args, extra...)...)
	if err != nil {
		return nil, fmt.Errorf("search subscriptions: %w", err)
	}
	defer rows.Close()
	var out []SubscriptionRow
	for rows.Next() {
		var r SubscriptionRow
		dest := append(subscriptionDest(&r.Subscription), &r.CustomerCode, &r.CustomerName, &r.ShopCode, &r.ShopName,
			&r.CardMasked, &r.CardExpireYM, &r.CardStatus, &r.CardMemberID, &r.CardSeq)
		if err := rows.Scan(dest...); err != nil {
			return nil, fmt.Errorf("search subscriptions: %w", err)
		}
		r.CreatedAt, r.UpdatedAt = r.CreatedAt.UTC(), r.UpdatedAt.UTC()
		out = append(out, r)
	}
	return out, rows.Err()
}
