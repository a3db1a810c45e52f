package commerce_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"kessai/internal/commerce"
	"kessai/internal/platform/db"
)

// seedCustomers inserts n customers straight into the table (500 a statement): enough rows
// for the count to hit its bound without n store calls.
func seedCustomers(t testing.TB, d *db.DB, n int) {
	t.Helper()
	ctx := context.Background()
	base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	err := d.InTx(ctx, func(tx *db.Tx) error {
		for start := 0; start < n; start += 500 {
			end := min(start+500, n)
			var args []any
			for i := start; i < end; i++ {
				// created_at repeats every 7 rows and kana every 13, so ties are broken by code.
				args = append(args, fmt.Sprintf("cus_%08d", i), fmt.Sprintf("C%08d", i), fmt.Sprintf("顧客%d", i),
					fmt.Sprintf("ｺｷｬｸ%02d", i%13), base.Add(time.Duration(i%7)*time.Hour), base.Add(time.Duration(i%5)*time.Minute))
			}
			q := `INSERT INTO customers (id, code, name, name_kana, created_at, updated_at) VALUES ` +
				strings.TrimSuffix(strings.Repeat("(?, ?, ?, ?, ?, ?),", end-start), ",")
			if _, err := tx.ExecContext(ctx, q, args...); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// Counting stops at CountLimit+1: the total says "more than CountLimit" without reading
// every row.
func TestCountIsBounded(t *testing.T) {
	s, d := newStore(t)
	seedCustomers(t, d, commerce.CountLimit+50)
	_, total, err := s.SearchCustomers(context.Background(), commerce.CustomerFilter{}, 1, 20)
	if err != nil || total != commerce.CountLimit+1 {
		t.Fatalf("total = %d, %v; want the bound %d", total, err, commerce.CountLimit+1)
	}
	_, total, err = s.SearchCustomers(context.Background(), commerce.CustomerFilter{Text: "顧客1000"}, 1, 20)
	if err != nil || total != 11 { // 1000 and 10000..10009
		t.Fatalf("filtered total = %d, %v; want the exact 11", total, err)
	}
}

// Paging by after=ID walks the same rows, in the same order, as paging by number, for every
// sort that offers it — including across ties of the first sort column.
func TestKeysetPagesMatchNumberedPages(t *testing.T) {
	s, d := newStore(t)
	seedCustomers(t, d, 230)
	ctx := context.Background()
	for _, srt := range commerce.CustomerSorts {
		t.Run(srt.Key, func(t *testing.T) {
			f := commerce.CustomerFilter{Sort: srt.Key}
			if !f.Keyset() {
				t.Fatalf("sort %s cannot page by keyset", srt.Key)
			}
			var byNumber, byAfter []string
			for page := 1; ; page++ {
				rows, _, err := s.SearchCustomers(ctx, f, page, 50)
				if err != nil {
					t.Fatal(err)
				}
				for _, r := range rows {
					byNumber = append(byNumber, r.ID)
				}
				if len(rows) < 50 {
					break
				}
			}
			for {
				rows, _, err := s.SearchCustomers(ctx, f, 99, 50) // page is ignored after a cursor
				if err != nil {
					t.Fatal(err)
				}
				if f.After == "" { // the first page is page 1, not 99
					rows, _, err = s.SearchCustomers(ctx, f, 1, 50)
					if err != nil {
						t.Fatal(err)
					}
				}
				for _, r := range rows {
					byAfter = append(byAfter, r.ID)
				}
				if len(rows) < 50 {
					break
				}
				f.After = rows[len(rows)-1].ID
			}
			if len(byNumber) != 230 || !slices.Equal(byNumber, byAfter) {
				t.Fatalf("keyset pages differ from numbered pages: %d vs %d rows", len(byAfter), len(byNumber))
			}
		})
	}
}
