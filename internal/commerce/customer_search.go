package commerce

import (
	"context"
	"fmt"
	"net/url"

	"kessai/internal/platform/db"
)

// CustomerFilter is a search of customers. The zero value matches every customer.
type CustomerFilter struct {
	Text       string // part of name, kana, code, email or phone
	Prefecture string
	HasBank    *bool // has a payout account
	IDs        []string
	Sort       string // a CustomerSorts key
	After      string // keyset paging: the rows after this customer ID (see OrderFilter.After)
}

// CustomerSorts are the sort orders of the customer list.
var CustomerSorts = []Sort{
	{"-created", "登録の新しい順", "c.created_at DESC, c.code DESC"},
	{"code", "顧客番号順", "c.code"},
	{"kana", "フリガナ順", "c.name_kana, c.code"},
	{"-updated", "更新の新しい順", "c.updated_at DESC, c.id DESC"},
}

// CustomerSortOptions lists CustomerSorts for a sort menu.
func CustomerSortOptions() []SortOption { return sortOptions(CustomerSorts) }

// CustomerFilterFromQuery reads q, prefecture, has_bank, id… and sort.
func CustomerFilterFromQuery(v url.Values) (CustomerFilter, error) {
	return CustomerFilter{}.FromQuery(v)
}

// FromQuery is CustomerFilterFromQuery (the receiver is ignored).
func (CustomerFilter) FromQuery(v url.Values) (CustomerFilter, error) {
	q := newQueryReader(v)
	f := CustomerFilter{
		Text:       q.str("q"),
		Prefecture: q.str("prefecture"),
		HasBank:    q.boolean("has_bank", "振込先口座の有無"),
		IDs:        q.list("id"),
		Sort:       q.sort("sort", CustomerSorts),
		After:      q.str("after"),
	}
	if f.Prefecture != "" && !IsPrefecture(f.Prefecture) {
		q.f.Add("prefecture", "都道府県は「東京都」のように47都道府県の名前で指定してください")
	}
	return f, q.err()
}

// Query writes the filter as URL parameters.
func (f CustomerFilter) Query() url.Values {
	v := url.Values{}
	w := queryWriter(v)
	w.str("q", f.Text)
	w.str("prefecture", f.Prefecture)
	w.boolean("has_bank", f.HasBank)
	w.list("id", f.IDs)
	w.str("sort", f.Sort)
	return v
}

func (f CustomerFilter) where(d db.Dialect) *where {
	w := &where{d: d}
	w.customerText("c", f.Text)
	if f.Prefecture != "" {
		w.add("c.prefecture = ?", f.Prefecture)
	}
	if f.HasBank != nil {
		if *f.HasBank {
			w.add("c.account_number <> ''")
		} else {
			w.add("c.account_number = ''")
		}
	}
	w.in("c.id", f.IDs)
	return w
}

func (f CustomerFilter) sort() Sort {
	s, ok := findSort(CustomerSorts, f.Sort)
	if !ok {
		s = CustomerSorts[0]
	}
	return s
}

// Keyset reports whether f's sort pages by After.
func (f CustomerFilter) Keyset() bool { _, ok := f.sort().keyset("c", "customers"); return ok }

// RecordID is the ID a keyset page continues after.
func (c Customer) RecordID() string { return c.ID }

func (f CustomerFilter) orderBy() string { return " ORDER BY " + f.sort().sql }

// SearchCustomers returns one page of the customers matching f (after f.After when set) and
// how many match in all, counted up to CountLimit+1.
func (s *Store) SearchCustomers(ctx context.Context, f CustomerFilter, page, perPage int) ([]Customer, int, error) {
	w := f.where(s.db.Dialect())
	total, err := countBounded(ctx, s.db, ` FROM customers c`, w)
	if err != nil {
		return nil, 0, fmt.Errorf("count customers: %w", err)
	}
	w, tail, extra := pageOf(s.db.Dialect(), w, f.sort(), "c", "customers", ` FROM customers c`, f.After, page, perPage)
	out, err := s.listCustomers(ctx, w, tail, extra...)
	return out, total, err
}

// ListCustomers returns every customer matching f (for exports and bulk jobs).
func (s *Store) ListCustomers(ctx context.Context, f CustomerFilter) ([]Customer, error) {
	return s.listCustomers(ctx, f.where(s.db.Dialect()), f.orderBy())
}

// CustomerIDs returns the IDs of every customer matching f.
func (s *Store) CustomerIDs(ctx context.Context, f CustomerFilter) ([]string, error) {
	w := f.where(s.db.Dialect())
	return db.Strings(ctx, s.db, `SELECT c.id FROM customers c`+w.sql()+f.orderBy(), w.args...)
}

func (s *Store) listCustomers(ctx context.Context, w *where, tail string, extra ...any) ([]Customer, error) {
	var out []Customer
	err := s.eachCustomer(ctx, w, tail, extra, func(c Customer) error { out = append(out, c); return nil })
	return out, err
}

// eachCustomer calls fn with each customer of the query as it is read (exports stream).
func (s *Store) eachCustomer(ctx context.Context, w *where, tail string, extra []any, fn func(Customer) error) error {
	rows, err := s.db.QueryContext(ctx, `SELECT `+customerColumns+` FROM customers c`+w.sql()+tail, append(w.args, extra...)...)
	if err != nil {
		return fmt.Errorf("search customers: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		c, err := scanCustomer(rows)
		if err != nil {
			return fmt.Errorf("search customers: %w", err)
		}
		if err := fn(c); err != nil {
			return err
		}
	}
	return rows.Err()
}
