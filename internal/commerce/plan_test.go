package commerce

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"kessai/internal/platform/db"
	"kessai/internal/platform/db/dbtest"
)

// listPlanCase is one list query a page or the API runs: a filter alone with the default
// order, or a sort alone, on the first page and after a keyset cursor.
type listPlanCase struct {
	name  string
	query url.Values
}

func planCases(filters map[string]url.Values, sorts []Sort) []listPlanCase {
	var out []listPlanCase
	for name, q := range filters {
		out = append(out, listPlanCase{"filter " + name, q})
	}
	for _, s := range sorts {
		out = append(out, listPlanCase{"sort " + s.Key, url.Values{"sort": {s.Key}}})
	}
	return out
}

// TestListQueryPlans checks, for every 詳細検索 filter that is an equality or a range and
// every sort of the order, case and customer lists, that the page is read through an index in
// its order — no full scan of the table, no temporary sort of the matches — and that the
// bounded count reads an index. (Free text — 受注番号・顧客の部分一致 — is the exception the
// FTS/trigram work is for; a filter combined with a non-default sort may sort its matches.)
func TestListQueryPlans(t *testing.T) {
	d := dbtest.Open(t, Migrations)
	checkListPlans(t, d)
	// Again with the statistics a real shop gives the planner: one shop, a few customers, many
	// orders and cases (an inner join to shops then read the orders of "the" shop and sorted).
	ctx := context.Background()
	now := time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC)
	err := d.InTx(ctx, func(tx *db.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO shops (id, code, name, created_at, updated_at) VALUES ('shp_1', 'main', '本店', ?, ?)`, now, now); err != nil {
			return err
		}
		if err := db.InsertRows(ctx, tx, "customers", []string{"id", "code", "name", "name_kana", "created_at", "updated_at"}, 3, func(i int) []any {
			return []any{fmt.Sprintf("cus_%d", i), fmt.Sprintf("C%06d", i), "顧客", "コキャク", now, now}
		}); err != nil {
			return err
		}
		if err := db.InsertRows(ctx, tx, "orders", orderInsertColumns, 2000, func(i int) []any {
			return orderArgs(Order{ID: fmt.Sprintf("ord_%05d", i), Number: fmt.Sprintf("main-%06d", i), ShopID: "shp_1", Source: "csv",
				OrderedAt: now.Add(time.Duration(i) * time.Minute), PaymentMethod: "cod", OrderStatus: "new", PaymentStatus: "unpaid",
				AuthorizationStatus: "not_required", Version: 1, CreatedAt: now, UpdatedAt: now})
		}); err != nil {
			return err
		}
		return db.InsertRows(ctx, tx, "purchase_cases", []string{"id", "code", "kind", "shop_id", "customer_id", "status", "received_on",
			"version", "created_at", "updated_at"}, 2000, func(i int) []any {
			return []any{fmt.Sprintf("case_%05d", i), fmt.Sprintf("TK%06d", i), "takuhai", "shp_1", fmt.Sprintf("cus_%d", i%3), "received", "2026-04-01", 1, now, now}
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := d.Analyze(ctx); err != nil {
		t.Fatal(err)
	}
	if d.Dialect() == db.SQLite {
		if _, err := d.ExecContext(ctx, `ANALYZE`); err != nil {
			t.Fatal(err)
		}
	}
	checkListPlans(t, d)
}

func checkListPlans(t *testing.T, d *db.DB) {
	t.Helper()
	orders := planCases(map[string]url.Values{
		"shop": {"shop": {"shp_x"}}, "customer_id": {"customer_id": {"cus_x"}},
		"order_status": {"order_status": {"new"}}, "payment_status": {"payment_status": {"unpaid"}},
		"authorization_status": {"authorization_status": {"pending"}}, "payment_method": {"payment_method": {"credit_card"}},
		"source": {"source": {"csv"}}, "ordered range": {"ordered_from": {"2026-01-01"}, "ordered_to": {"2026-01-31"}},
		"tracking_number": {"tracking_number": {"1234"}}, "external_ref": {"external_ref": {"r-1"}},
	}, OrderSorts)
	for _, c := range orders {
		f, err := OrderFilterFromQuery(c.query)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		for _, after := range []string{"", "ord_x"} {
			f.After = after
			w := f.where(d.Dialect())
			checkPlan(t, d, "orders "+c.name+" count", `SELECT COUNT(*) FROM (SELECT 1`+orderCountFrom+w.sql()+` LIMIT ?) AS capped`, append(w.args, CountLimit+1), "orders", true, false)
			w, tail, extra := pageOf(d.Dialect(), w, f.sort(), "o", "orders", orderCountFrom, f.After, 1, 50)
			checkPlan(t, d, "orders "+c.name+" page after="+after, `SELECT `+orderRowColumns+orderRowFrom+w.sql()+tail, append(w.args, extra...), "orders", false, false)
			if after == "" { // a numbered page past the first: the offset is skipped in the index
				w3, tail3, extra3 := pageOf(d.Dialect(), f.where(d.Dialect()), f.sort(), "o", "orders", orderCountFrom, "", 3, 50)
				checkPlan(t, d, "orders "+c.name+" page 3", `SELECT `+orderRowColumns+orderRowFrom+w3.sql()+tail3, append(w3.args, extra3...), "orders", false, true)
			}
		}
	}
	cases := planCases(map[string]url.Values{
		"kind": {"kind": {"takuhai"}}, "status": {"status": {"received"}}, "shop": {"shop": {"shp_x"}},
		"customer_id":     {"customer_id": {"cus_x"}},
		"confirmed range": {"confirmed_from": {"2026-01-01"}, "confirmed_to": {"2026-01-31"}, "sort": {"-confirmed_on"}},
		"received range":  {"received_from": {"2026-01-01"}, "received_to": {"2026-01-31"}, "sort": {"-received_on"}},
	}, CaseSorts)
	for _, c := range cases {
		f, err := CaseFilterFromQuery(c.query)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		for _, after := range []string{"", "pc_x"} {
			f.After = after
			w := f.where(d.Dialect())
			checkPlan(t, d, "cases "+c.name+" count", `SELECT COUNT(*) FROM (SELECT 1`+caseCountFrom(w)+w.sql()+` LIMIT ?) AS capped`, append(w.args, CountLimit+1), "purchase_cases", true, false)
			w, tail, extra := pageOf(d.Dialect(), w, f.sort(), "pc", "purchase_cases", caseKeyFrom, f.After, 1, 50)
			checkPlan(t, d, "cases "+c.name+" page after="+after, `SELECT `+caseRowColumns+caseRowFrom+w.sql()+tail, append(w.args, extra...), "purchase_cases", false, false)
			if after == "" { // a numbered page past the first: the offset is skipped in the index
				w3, tail3, extra3 := pageOf(d.Dialect(), f.where(d.Dialect()), f.sort(), "pc", "purchase_cases", caseKeyFrom, "", 3, 50)
				checkPlan(t, d, "cases "+c.name+" page 3", `SELECT `+caseRowColumns+caseRowFrom+w3.sql()+tail3, append(w3.args, extra3...), "purchase_cases", false, true)
			}
		}
	}
	customers := planCases(map[string]url.Values{"prefecture": {"prefecture": {"東京都"}}}, CustomerSorts)
	for _, c := range customers {
		f, err := CustomerFilterFromQuery(c.query)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		for _, after := range []string{"", "cus_x"} {
			f.After = after
			w := f.where(d.Dialect())
			checkPlan(t, d, "customers "+c.name+" count", `SELECT COUNT(*) FROM (SELECT 1 FROM customers c`+w.sql()+` LIMIT ?) AS capped`, append(w.args, CountLimit+1), "customers", true, false)
			w, tail, extra := pageOf(d.Dialect(), w, f.sort(), "c", "customers", ` FROM customers c`, f.After, 1, 50)
			checkPlan(t, d, "customers "+c.name+" page after="+after, `SELECT `+customerColumns+` FROM customers c`+w.sql()+tail, append(w.args, extra...), "customers", false, false)
			if after == "" { // a numbered page past the first: the offset is skipped in the index
				w3, tail3, extra3 := pageOf(d.Dialect(), f.where(d.Dialect()), f.sort(), "c", "customers", ` FROM customers c`, "", 3, 50)
				checkPlan(t, d, "customers "+c.name+" page 3", `SELECT `+customerColumns+` FROM customers c`+w3.sql()+tail3, append(w3.args, extra3...), "customers", false, true)
			}
		}
	}
}

// Free text of three characters or more is answered by the customers' trigram index (FTS5 on
// SQLite, pg_trgm GIN on PostgreSQL), not by reading every customer; the records' lists reach
// the customers through it.
func TestFreeTextPlans(t *testing.T) {
	d := dbtest.Open(t, Migrations)
	f := CustomerFilter{Text: "やまだ太郎"}
	w := f.where(d.Dialect())
	plan := explainWith(t, d, true, `SELECT c.id FROM customers c`+w.sql(), w.args...)
	switch d.Dialect() {
	case db.SQLite:
		if !strings.Contains(plan, "VIRTUAL TABLE INDEX") || strings.Contains(plan, "SCAN c\n") || strings.HasSuffix(plan, "SCAN c") {
			t.Errorf("customer text plan on SQLite:\n%s\nwant the FTS5 index", plan)
		}
	case db.Postgres:
		for _, idx := range []string{"customers_name_trgm", "customers_kana_trgm", "customers_code_trgm", "customers_email_trgm", "customers_phone_trgm"} {
			if !strings.Contains(plan, idx) {
				t.Errorf("customer text plan on PostgreSQL lacks %s:\n%s", idx, plan)
			}
		}
	}
	of := OrderFilter{Customer: "やまだ太郎"}
	ow := of.where(d.Dialect())
	if plan := explainWith(t, d, true, `SELECT o.id`+orderCountFrom+ow.sql(), ow.args...); strings.Contains(plan, "Seq Scan on customers") || strings.Contains(plan, "SCAN cu\n") {
		t.Errorf("orders by customer text scan the customers:\n%s", plan)
	}
}

// checkPlan fails when q's plan scans table whole (a count may scan an index: it stops at
// CountLimit+1) or sorts the matches for the ORDER BY (with sorted50, an offset page may sort
// once: the 50 rows its subquery picked in index order).
func checkPlan(t *testing.T, d *db.DB, name, q string, args []any, table string, count, sorted50 bool) {
	t.Helper()
	plan := explain(t, d, q, args...)
	var bad []string
	switch d.Dialect() {
	case db.SQLite:
		for _, line := range strings.Split(plan, "\n") {
			l := strings.TrimSpace(line)
			for _, alias := range []string{"o", "pc", "c"} {
				if l == "SCAN "+alias || l == "SCAN "+table {
					if !count {
						bad = append(bad, "full scan: "+l)
					}
				}
			}
			if strings.Contains(l, "TEMP B-TREE FOR ORDER BY") && !(sorted50 && strings.Count(plan, "TEMP B-TREE FOR ORDER BY") == 1) {
				bad = append(bad, "sort: "+l)
			}
		}
	case db.Postgres:
		if strings.Contains(plan, "Seq Scan on "+table) && !count {
			bad = append(bad, "full scan of "+table)
		}
		if (strings.Contains(plan, "Sort  (") || strings.Contains(plan, "Sort Key")) && !sorted50 {
			bad = append(bad, "sort")
		}
	}
	if len(bad) > 0 {
		t.Errorf("%s (%s): %s\nquery: %s\nplan:\n%s", name, d.Dialect(), strings.Join(bad, "; "), q, plan)
	}
}

// explain returns q's plan as text.
func explain(t *testing.T, d *db.DB, q string, args ...any) string {
	t.Helper()
	return explainWith(t, d, false, q, args...)
}

// explainWith is explain; bitmap keeps PostgreSQL's bitmap scans (GIN indexes have no other).
func explainWith(t *testing.T, d *db.DB, bitmap bool, q string, args ...any) string {
	t.Helper()
	ctx := context.Background()
	var out []string
	err := d.InTx(ctx, func(tx *db.Tx) error {
		prefix := "EXPLAIN QUERY PLAN "
		if d.Dialect() == db.Postgres {
			prefix = "EXPLAIN "
			// Sequential scans, bitmap scans and sorts are priced out, so the plan shows whether
			// an index serves the filter and the order (on a tiny table the planner would
			// rightly sort 30 rows; at a million it must not have to).
			for _, set := range []string{"enable_seqscan", "enable_bitmapscan", "enable_sort", "enable_incremental_sort"} {
				if bitmap && set == "enable_bitmapscan" {
					continue
				}
				if _, err := tx.ExecContext(ctx, "SET LOCAL "+set+" = off"); err != nil {
					return err
				}
			}
		}
		rows, err := tx.QueryContext(ctx, prefix+q, args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		cols, _ := rows.Columns()
		for rows.Next() {
			vals := make([]any, len(cols))
			ptrs := make([]any, len(cols))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			if err := rows.Scan(ptrs...); err != nil {
				return err
			}
			switch v := vals[len(vals)-1].(type) {
			case string:
				out = append(out, v)
			case []byte:
				out = append(out, string(v))
			}
		}
		return rows.Err()
	})
	if err != nil {
		t.Fatalf("explain %s: %v", q, err)
	}
	return strings.Join(out, "\n")
}
