package commerce

import (
	"context"
	"fmt"
	"net/url"
	"slices"
	"sort"
	"strings"
	"time"

	"kessai/internal/platform/db"
	"kessai/internal/platform/status"
)

// OrderFilter is a search of orders. The zero value matches every order.
type OrderFilter struct {
	ShopID                string
	Number                string // part of the order number
	Customer              string // part of the customer's name, kana, code, email or phone
	CustomerID            string
	OrderStatuses         []string // 受注状態, any of
	PaymentStatuses       []string // 入金状況, any of
	AuthorizationStatuses []string // 承認状況, any of
	PaymentMethods        []string
	Sources               []string
	OrderedFrom           string // JST date YYYY-MM-DD, inclusive
	OrderedTo             string // JST date, inclusive
	TrackingNumber        string // exact
	ExternalRef           string // exact (e.g. the Rakuten order number)
	IDs                   []string
	Sort                  string // an OrderSorts key
	// After pages by keyset: the rows after this order ID in the sort order (page is then
	// ignored). Not part of the filter proper: bulk actions and exports ignore it.
	After string
	// Extra are the rooms' conditions (ListExtension), set by Store.OrderFilterFromQuery.
	Extra []Cond
}

// OrderSorts are the sort orders of the order list.
var OrderSorts = []Sort{
	{"-ordered_at", "受注日時の新しい順", "o.ordered_at DESC, o.number DESC"},
	{"ordered_at", "受注日時の古い順", "o.ordered_at, o.number"},
	{"number", "受注番号順", "o.number"},
	{"-total", "合計の高い順", "o.total DESC, o.number DESC"},
	{"-updated", "更新の新しい順", "o.updated_at DESC, o.number DESC"},
}

// OrderSortOptions lists OrderSorts for a sort menu.
func OrderSortOptions() []SortOption { return sortOptions(OrderSorts) }

// OrderFilterFromQuery reads shop, number, customer, customer_id, order_status…,
// payment_status…, authorization_status…, payment_method…, source…, ordered_from, ordered_to,
// tracking_number, external_ref, id… and sort.
func OrderFilterFromQuery(v url.Values) (OrderFilter, error) { return OrderFilter{}.FromQuery(v) }

// FromQuery is OrderFilterFromQuery (the receiver is ignored).
func (OrderFilter) FromQuery(v url.Values) (OrderFilter, error) {
	q := newQueryReader(v)
	f := OrderFilter{
		ShopID:                q.str("shop"),
		Number:                q.str("number"),
		Customer:              q.str("customer"),
		CustomerID:            q.str("customer_id"),
		OrderStatuses:         q.codes("order_status", OrderStatuses),
		PaymentStatuses:       union(q.codes("payment_status", PaymentStatuses), q.alias("deposit_status", PaymentStatuses, depositNumbers)),
		AuthorizationStatuses: union(q.codes("authorization_status", AuthorizationStatuses), q.alias("approval_status", AuthorizationStatuses, approvalNumbers)),
		PaymentMethods:        q.codes("payment_method", PaymentMethods),
		Sources:               q.codes("source", OrderSources),
		OrderedFrom:           q.date("ordered_from", "受注日（から）"),
		OrderedTo:             q.date("ordered_to", "受注日（まで）"),
		TrackingNumber:        q.str("tracking_number"),
		ExternalRef:           q.str("external_ref"),
		IDs:                   q.list("id"),
		Sort:                  q.sort("sort", OrderSorts),
		After:                 q.str("after"),
	}
	q.dateRange("ordered_from", "ordered_to", f.OrderedFrom, f.OrderedTo, "受注日")
	return f, q.err()
}

// Query writes the filter as URL parameters.
func (f OrderFilter) Query() url.Values {
	v := url.Values{}
	w := queryWriter(v)
	w.str("shop", f.ShopID)
	w.str("number", f.Number)
	w.str("customer", f.Customer)
	w.str("customer_id", f.CustomerID)
	w.list("order_status", f.OrderStatuses)
	w.list("payment_status", f.PaymentStatuses)
	w.list("authorization_status", f.AuthorizationStatuses)
	w.list("payment_method", f.PaymentMethods)
	w.list("source", f.Sources)
	w.str("ordered_from", f.OrderedFrom)
	w.str("ordered_to", f.OrderedTo)
	w.str("tracking_number", f.TrackingNumber)
	w.str("external_ref", f.ExternalRef)
	w.list("id", f.IDs)
	w.str("sort", f.Sort)
	return v
}

func (f OrderFilter) where(d db.Dialect) *where {
	w := &where{d: d}
	if f.ShopID != "" {
		w.add("o.shop_id = ?", f.ShopID)
	}
	if f.Number != "" {
		w.add("LOWER(o.number) LIKE ?"+escape, contains(strings.ToLower(f.Number)))
	}
	w.customerIn("o.customer_id", f.Customer)
	if f.CustomerID != "" {
		w.add("o.customer_id = ?", f.CustomerID)
	}
	w.in("o.order_status", f.OrderStatuses)
	w.in("o.payment_status", f.PaymentStatuses)
	w.in("o.authorization_status", f.AuthorizationStatuses)
	w.in("o.payment_method", f.PaymentMethods)
	w.in("o.source", f.Sources)
	if f.OrderedFrom != "" {
		w.add("o.ordered_at >= ?", jstDayStart(f.OrderedFrom))
	}
	if f.OrderedTo != "" {
		w.add("o.ordered_at < ?", jstDayStart(f.OrderedTo).Add(24*time.Hour))
	}
	if f.TrackingNumber != "" {
		w.add("o.tracking_number = ?", f.TrackingNumber)
	}
	if f.ExternalRef != "" {
		w.add("o.external_ref = ?", f.ExternalRef)
	}
	w.in("o.id", f.IDs)
	w.extra(f.Extra)
	return w
}

func (f OrderFilter) sort() Sort {
	s, ok := findSort(OrderSorts, f.Sort)
	if !ok {
		s = OrderSorts[0]
	}
	return s
}

// Keyset reports whether f's sort pages by After.
func (f OrderFilter) Keyset() bool { _, ok := f.sort().keyset("o", "orders"); return ok }

// RecordID is the ID a keyset page continues after.
func (o Order) RecordID() string { return o.ID }

func (f OrderFilter) orderBy() string { return " ORDER BY " + f.sort().sql }

// OrderRow is an order as a list shows it: with its customer and shop (lines are not loaded).
type OrderRow struct {
	Order
	CustomerCode string `json:"customer_code"`
	CustomerName string `json:"customer_name"`
	ShopCode     string `json:"shop_code"`
	ShopName     string `json:"shop_name"`
}

// orderRowFrom joins the shop with LEFT JOIN although every order has one: an inner join let
// SQLite, once statistics said there is one shop, read the orders through that shop's index and
// sort them all for the first page (1 s at 100,000 orders instead of 1 ms). The case and
// subscription lists do the same.
const orderRowFrom = ` FROM orders o
	LEFT JOIN customers cu ON cu.id = o.customer_id
	LEFT JOIN shops sh ON sh.id = o.shop_id`

const orderRowColumns = orderColumns + `, COALESCE(cu.code, ''), COALESCE(cu.name, ''), sh.code, sh.name`

// SearchOrders returns one page of the orders matching f (after f.After when set) and how
// many match in all, counted up to CountLimit+1.
func (s *Store) SearchOrders(ctx context.Context, f OrderFilter, page, perPage int) ([]OrderRow, int, error) {
	w := f.where(s.db.Dialect())
	total, err := countBounded(ctx, s.db, orderCountFrom, w)
	if err != nil {
		return nil, 0, fmt.Errorf("count orders: %w", err)
	}
	w, tail, extra := pageOf(s.db.Dialect(), w, f.sort(), "o", "orders", orderCountFrom, f.After, page, perPage)
	rows, err := s.listOrders(ctx, w, tail, extra...)
	return rows, total, err
}

// orderCountFrom is what a count reads: the orders alone (the joins add nothing to a count).
const orderCountFrom = ` FROM orders o`

// ListOrders returns every order matching f; with lines it also loads their lines (one query
// per 500 orders), as exports need.
func (s *Store) ListOrders(ctx context.Context, f OrderFilter, withLines bool) ([]OrderRow, error) {
	rows, err := s.listOrders(ctx, f.where(s.db.Dialect()), f.orderBy())
	if err != nil || !withLines {
		return rows, err
	}
	ids := make([]string, len(rows))
	for i, r := range rows {
		ids[i] = r.ID
	}
	lines, err := orderLines(ctx, s.db, ids)
	if err != nil {
		return nil, err
	}
	for i := range rows {
		rows[i].Lines = lines[rows[i].ID]
	}
	return rows, nil
}

// OrderIDs returns the IDs of every order matching f.
func (s *Store) OrderIDs(ctx context.Context, f OrderFilter) ([]string, error) {
	w := f.where(s.db.Dialect())
	return db.Strings(ctx, s.db, `SELECT o.id`+orderRowFrom+w.sql()+f.orderBy(), w.args...)
}

func (s *Store) listOrders(ctx context.Context, w *where, tail string, extra ...any) ([]OrderRow, error) {
	var out []OrderRow
	err := s.eachOrder(ctx, w, tail, extra, func(r OrderRow) error { out = append(out, r); return nil })
	return out, err
}

// eachOrder calls fn with each order row of the query as it is read (exports stream).
func (s *Store) eachOrder(ctx context.Context, w *where, tail string, extra []any, fn func(OrderRow) error) error {
	rows, err := s.db.QueryContext(ctx, `SELECT `+orderRowColumns+orderRowFrom+w.sql()+tail, append(w.args, extra...)...)
	if err != nil {
		return fmt.Errorf("search orders: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var r OrderRow
		if err := rows.Scan(append(orderDest(&r.Order), &r.CustomerCode, &r.CustomerName, &r.ShopCode, &r.ShopName)...); err != nil {
			return fmt.Errorf("search orders: %w", err)
		}
		fixOrderTimes(&r.Order)
		if err := fn(r); err != nil {
			return err
		}
	}
	return rows.Err()
}

// deposit_status and approval_status are payment_status and authorization_status as a mall
// integration names them, also with the numbers such tools use (入金状況 0 未入金, 1 一部入金,
// 2 入金済み; 承認状況 0 承認不要, 10 未承認, 30 承認済).
var (
	depositNumbers  = map[string]string{"0": "unpaid", "1": "partially_paid", "2": "paid"}
	approvalNumbers = map[string]string{"0": "not_required", "10": "pending", "30": "authorized"}
)

// alias reads key like codes, translating the numbers first.
func (q *queryReader) alias(key string, set *status.Set, numbers map[string]string) []string {
	vals := q.list(key)
	for i, v := range vals {
		if c, ok := numbers[v]; ok {
			vals[i] = c
		} else if !set.Valid(v) {
			q.f.Add(key, fmt.Sprintf("%sに「%s」はありません。使える値: %s（番号 %s も可）", set.Name(), v, codesAndLabels(set), numberList(numbers)))
		}
	}
	return vals
}

func numberList(m map[string]string) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		return len(keys[i]) < len(keys[j]) || len(keys[i]) == len(keys[j]) && keys[i] < keys[j]
	})
	out := ""
	for _, k := range keys {
		if out != "" {
			out += "・"
		}
		out += k + "=" + m[k]
	}
	return out
}

func union(a, b []string) []string {
	for _, v := range b {
		if !slices.Contains(a, v) {
			a = append(a, v)
		}
	}
	return a
}
