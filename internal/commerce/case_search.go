package commerce

import (
	"context"
	"fmt"
	"net/url"
	"strings"

	"kessai/internal/platform/db"
)

// CaseFilter is a search of purchase cases, shared by the list page, the bulk actions and the
// API. The zero value matches every case.
type CaseFilter struct {
	Kind          string   // CaseKinds code
	Statuses      []string // CaseStatuses codes; any of them
	Code          string   // part of the case code
	Customer      string   // part of the customer's name, kana, code, email or phone
	CustomerID    string
	ShopID        string
	ConfirmedFrom string // 買取確定日 from (YYYY-MM-DD, inclusive)
	ConfirmedTo   string // 買取確定日 to (inclusive)
	ReceivedFrom  string // 受付日 from
	ReceivedTo    string // 受付日 to
	AmountMin     *int64 // 買取金額 at least
	AmountMax     *int64 // 買取金額 at most
	HasBank       *bool  // the customer has a payout account
	IDs           []string
	Sort          string // a CaseSorts key; "" is the default (newest first)
	After         string // keyset paging: the rows after this case ID (see OrderFilter.After)
	Extra         []Cond // the rooms' conditions (Store.CaseFilterFromQuery)
}

// CaseSorts are the sort orders of the case list.
var CaseSorts = []Sort{
	{"-created", "登録の新しい順", "pc.created_at DESC, pc.code DESC"},
	{"created", "登録の古い順", "pc.created_at, pc.code"},
	{"code", "ケース番号順", "pc.code"},
	{"-confirmed_on", "買取確定日の新しい順", "pc.confirmed_on DESC, pc.code DESC"},
	{"confirmed_on", "買取確定日の古い順", "pc.confirmed_on, pc.code"},
	{"-received_on", "受付日の新しい順", "pc.received_on DESC, pc.code DESC"},
	{"received_on", "受付日の古い順", "pc.received_on, pc.code"},
	{"-amount", "買取金額の高い順", "pc.purchase_amount DESC, pc.code DESC"},
	{"amount", "買取金額の低い順", "pc.purchase_amount, pc.code"},
	{"customer_kana", "顧客のフリガナ順", "pc.customer_kana, pc.code"}, // kept by triggers (migration 0008)
}

// CaseSortOptions lists CaseSorts for a sort menu.
func CaseSortOptions() []SortOption { return sortOptions(CaseSorts) }

// CaseFilterFromQuery reads a filter from URL parameters (kind, status…, code, customer,
// customer_id, shop, confirmed_from, confirmed_to, received_from, received_to, amount_min,
// amount_max, has_bank, id…, sort). Every bad parameter is reported in one errs.Invalid.
func CaseFilterFromQuery(v url.Values) (CaseFilter, error) { return CaseFilter{}.FromQuery(v) }

// FromQuery is CaseFilterFromQuery (the receiver is ignored).
func (CaseFilter) FromQuery(v url.Values) (CaseFilter, error) {
	q := newQueryReader(v)
	f := CaseFilter{
		Kind:          q.code("kind", CaseKinds),
		Statuses:      q.codes("status", CaseStatuses),
		Code:          q.str("code"),
		Customer:      q.str("customer"),
		CustomerID:    q.str("customer_id"),
		ShopID:        q.str("shop"),
		ConfirmedFrom: q.date("confirmed_from", "買取確定日（から）"),
		ConfirmedTo:   q.date("confirmed_to", "買取確定日（まで）"),
		ReceivedFrom:  q.date("received_from", "受付日（から）"),
		ReceivedTo:    q.date("received_to", "受付日（まで）"),
		AmountMin:     q.amount("amount_min", "買取金額（下限）"),
		AmountMax:     q.amount("amount_max", "買取金額（上限）"),
		HasBank:       q.boolean("has_bank", "振込先口座の有無"),
		IDs:           q.list("id"),
		Sort:          q.sort("sort", CaseSorts),
		After:         q.str("after"),
	}
	q.dateRange("confirmed_from", "confirmed_to", f.ConfirmedFrom, f.ConfirmedTo, "買取確定日")
	q.dateRange("received_from", "received_to", f.ReceivedFrom, f.ReceivedTo, "受付日")
	if f.AmountMin != nil && f.AmountMax != nil && *f.AmountMin > *f.AmountMax {
		q.f.Add("amount_max", "買取金額の上限は下限以上にしてください")
	}
	return f, q.err()
}

// Query writes the filter as URL parameters; FromQuery(f.Query()) == f.
func (f CaseFilter) Query() url.Values {
	v := url.Values{}
	w := queryWriter(v)
	w.str("kind", f.Kind)
	w.list("status", f.Statuses)
	w.str("code", f.Code)
	w.str("customer", f.Customer)
	w.str("customer_id", f.CustomerID)
	w.str("shop", f.ShopID)
	w.str("confirmed_from", f.ConfirmedFrom)
	w.str("confirmed_to", f.ConfirmedTo)
	w.str("received_from", f.ReceivedFrom)
	w.str("received_to", f.ReceivedTo)
	w.amount("amount_min", f.AmountMin)
	w.amount("amount_max", f.AmountMax)
	w.boolean("has_bank", f.HasBank)
	w.list("id", f.IDs)
	w.str("sort", f.Sort)
	return v
}

func (f CaseFilter) where(d db.Dialect) *where {
	w := &where{d: d}
	if f.Kind != "" {
		w.add("pc.kind = ?", f.Kind)
	}
	w.in("pc.status", f.Statuses)
	if f.Code != "" {
		w.add("LOWER(pc.code) LIKE ?"+escape, contains(strings.ToLower(f.Code)))
	}
	w.customerIn("pc.customer_id", f.Customer)
	if f.CustomerID != "" {
		w.add("pc.customer_id = ?", f.CustomerID)
	}
	if f.ShopID != "" {
		w.add("pc.shop_id = ?", f.ShopID)
	}
	if f.ConfirmedFrom != "" {
		w.add("pc.confirmed_on <> '' AND pc.confirmed_on >= ?", f.ConfirmedFrom)
	}
	if f.ConfirmedTo != "" {
		w.add("pc.confirmed_on <> '' AND pc.confirmed_on <= ?", f.ConfirmedTo)
	}
	if f.ReceivedFrom != "" {
		w.add("pc.received_on <> '' AND pc.received_on >= ?", f.ReceivedFrom)
	}
	if f.ReceivedTo != "" {
		w.add("pc.received_on <> '' AND pc.received_on <= ?", f.ReceivedTo)
	}
	if f.AmountMin != nil {
		w.add("pc.purchase_amount >= ?", *f.AmountMin)
	}
	if f.AmountMax != nil {
		w.add("pc.purchase_amount <= ?", *f.AmountMax)
	}
	if f.HasBank != nil {
		w.joins = true
		if *f.HasBank {
			w.add("cu.account_number <> ''")
		} else {
			w.add("cu.account_number = ''")
		}
	}
	w.in("pc.id", f.IDs)
	w.extra(f.Extra)
	return w
}

func (f CaseFilter) sort() Sort {
	s, ok := findSort(CaseSorts, f.Sort)
	if !ok {
		s = CaseSorts[0]
	}
	return s
}

// Keyset reports whether f's sort pages by After.
func (f CaseFilter) Keyset() bool { _, ok := f.sort().keyset("pc", "purchase_cases"); return ok }

// RecordID is the ID a keyset page continues after.
func (c PurchaseCase) RecordID() string { return c.ID }

func (f CaseFilter) orderBy() string { return " ORDER BY " + f.sort().sql }

// CaseRow is a case as a list shows it: with its customer (and payout account) and shop.
type CaseRow struct {
	PurchaseCase
	CustomerCode string      `json:"customer_code"`
	CustomerName string      `json:"customer_name"`
	CustomerKana string      `json:"customer_name_kana"`
	Bank         BankAccount `json:"bank_account"`
	ShopCode     string      `json:"shop_code"`
	ShopName     string      `json:"shop_name"`
}

const caseRowFrom = ` FROM purchase_cases pc
	LEFT JOIN customers cu ON cu.id = pc.customer_id
	LEFT JOIN shops sh ON sh.id = pc.shop_id`

const caseRowColumns = caseColumns + `, cu.code, cu.name, cu.name_kana, cu.bank_code, cu.bank_name,
	cu.branch_code, cu.branch_name, cu.account_type, cu.account_number, cu.account_holder_kana, sh.code, sh.name`

func scanCaseRow(r scanner) (CaseRow, error) {
	var c CaseRow
	dest := append(caseDest(&c.PurchaseCase), &c.CustomerCode, &c.CustomerName, &c.CustomerKana,
		&c.Bank.BankCode, &c.Bank.BankName, &c.Bank.BranchCode, &c.Bank.BranchName, &c.Bank.AccountType,
		&c.Bank.AccountNumber, &c.Bank.HolderKana, &c.ShopCode, &c.ShopName)
	err := r.Scan(dest...)
	c.CreatedAt, c.UpdatedAt = c.CreatedAt.UTC(), c.UpdatedAt.UTC()
	return c, err
}

// SearchCases returns one page (1-based; perPage 0 means DefaultPerPage; after f.After when
// set) of the cases matching f, and how many match in all (up to CountLimit+1). One query for the rows (customers and shops joined), one for
// the count.
func (s *Store) SearchCases(ctx context.Context, f CaseFilter, page, perPage int) ([]CaseRow, int, error) {
	w := f.where(s.db.Dialect())
	total, err := countBounded(ctx, s.db, caseCountFrom(w), w)
	if err != nil {
		return nil, 0, fmt.Errorf("count cases: %w", err)
	}
	w, tail, extra := pageOf(s.db.Dialect(), w, f.sort(), "pc", "purchase_cases", caseKeyFrom, f.After, page, perPage)
	rows, err := s.listCases(ctx, s.db, w, tail, extra...)
	return rows, total, err
}

// caseKeyFrom is what a page's offset subquery reads: a sort may be by the customer's kana.
const caseKeyFrom = ` FROM purchase_cases pc JOIN customers cu ON cu.id = pc.customer_id`

// caseCountFrom is what a count reads: the cases, and their customers only when a condition
// needs them.
func caseCountFrom(w *where) string {
	if w.joins {
		return ` FROM purchase_cases pc JOIN customers cu ON cu.id = pc.customer_id`
	}
	return ` FROM purchase_cases pc`
}

// ListCases returns every case matching f, in its sort order (for exports and bulk jobs).
func (s *Store) ListCases(ctx context.Context, f CaseFilter) ([]CaseRow, error) {
	return s.listCases(ctx, s.db, f.where(s.db.Dialect()), f.orderBy())
}

// CaseRowsByID returns the rows of the given cases, in the order of ids (unknown IDs are
// skipped).
func (s *Store) CaseRowsByID(ctx context.Context, ids []string) ([]CaseRow, error) {
	var out []CaseRow
	for start := 0; start < len(ids); start += 500 {
		rows, err := s.ListCases(ctx, CaseFilter{IDs: ids[start:min(len(ids), start+500)]})
		if err != nil {
			return nil, err
		}
		out = append(out, rows...)
	}
	return orderByIDs(out, ids, func(r CaseRow) string { return r.ID }), nil
}

func (s *Store) listCases(ctx context.Context, q db.Querier, w *where, tail string, extra ...any) ([]CaseRow, error) {
	var out []CaseRow
	err := eachCase(ctx, q, w, tail, extra, func(c CaseRow) error { out = append(out, c); return nil })
	return out, err
}

// eachCase calls fn with each case row of the query as it is read (exports stream).
func eachCase(ctx context.Context, q db.Querier, w *where, tail string, extra []any, fn func(CaseRow) error) error {
	rows, err := q.QueryContext(ctx, `SELECT `+caseRowColumns+caseRowFrom+w.sql()+tail, append(w.args, extra...)...)
	if err != nil {
		return fmt.Errorf("search cases: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		r, err := scanCaseRow(rows)
		if err != nil {
			return fmt.Errorf("search cases: %w", err)
		}
		if err := fn(r); err != nil {
			return err
		}
	}
	return rows.Err()
}

// CaseIDs returns the IDs of every case matching f, in its sort order: what 「全N件を一括操作」
// acts on.
func (s *Store) CaseIDs(ctx context.Context, f CaseFilter) ([]string, error) {
	w := f.where(s.db.Dialect())
	return db.Strings(ctx, s.db, `SELECT pc.id`+caseRowFrom+w.sql()+f.orderBy(), w.args...)
}

// orderByIDs returns rows in the order of ids.
func orderByIDs[T any](rows []T, ids []string, id func(T) string) []T {
	by := make(map[string]T, len(rows))
	for _, r := range rows {
		by[id(r)] = r
	}
	out := make([]T, 0, len(rows))
	for _, i := range ids {
		if r, ok := by[i]; ok {
			out = append(out, r)
			delete(by, i)
		}
	}
	return out
}
