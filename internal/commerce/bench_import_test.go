package commerce_test

import (
	"bufio"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"kessai/internal/commerce"
	"kessai/internal/platform/audit"
	"kessai/internal/platform/clock"
	"kessai/internal/platform/db"
	"kessai/internal/platform/db/dbtest"
)

// BenchmarkScaleImport imports an order CSV of KESSAI_BENCH_IMPORT_ROWS rows (default 100,000;
// one line per order, so each row is an order, its line and an audit entry) into a fresh
// database, and reports rows/s and the process's peak RSS. Its floor, in the same run:
// BenchmarkScaleImport/<engine>/floor reads the same file with encoding/csv and writes the same orders
// and lines with db.InsertRows (multi-row INSERTs on SQLite, COPY on PostgreSQL) and nothing
// else — no validation, no numbering, no audit. scripts/bench-scale runs each in its own process
// so that each peak RSS is its own; PostgreSQL when KESSAI_TEST_POSTGRES_URL is set.
func BenchmarkScaleImport(b *testing.B) {
	if os.Getenv("KESSAI_BENCH_SCALE") != "1" {
		b.Skip("set KESSAI_BENCH_SCALE=1 (scripts/bench-scale)")
	}
	n := 100_000
	if v := os.Getenv("KESSAI_BENCH_IMPORT_ROWS"); v != "" {
		n, _ = strconv.Atoi(v)
	}
	path := importFile(b, n)
	st, _ := os.Stat(path)
	ctx := context.Background()
	fresh := func(b *testing.B) (*commerce.Store, *db.DB) {
		b.StopTimer()
		defer b.StartTimer()
		d := dbtest.Open(b, audit.Migrations, commerce.Migrations)
		c := clock.NewFrozen(testNow)
		s := commerce.NewStore(d, c, &audit.Log{Now: c.Now})
		if _, err := s.CreateShop(ctx, commerce.Shop{Code: "main", Name: "本店"}); err != nil {
			b.Fatal(err)
		}
		return s, d
	}
	report := func(b *testing.B, elapsed time.Duration) {
		b.ReportMetric(float64(n)/elapsed.Seconds(), "rows/s")
		b.ReportMetric(float64(st.Size())/1e6, "file-MB")
		b.ReportMetric(peakRSSMB(), "peak-rss-MB")
	}
	b.Run(dbtest.Engine()+"/kessai", func(b *testing.B) {
		var elapsed time.Duration
		for b.Loop() {
			s, _ := fresh(b)
			f, err := os.Open(path)
			if err != nil {
				b.Fatal(err)
			}
			t0 := time.Now()
			res, err := s.ImportOrders(ctx, f)
			elapsed += time.Since(t0)
			f.Close()
			if err != nil || res.Created != n {
				b.Fatalf("import: %d created, %v", res.Created, err)
			}
		}
		report(b, elapsed/time.Duration(b.N))
	})
	b.Run(dbtest.Engine()+"/floor", func(b *testing.B) {
		var elapsed time.Duration
		for b.Loop() {
			_, d := fresh(b)
			var shopID string
			if err := d.QueryRowContext(ctx, `SELECT id FROM shops`).Scan(&shopID); err != nil {
				b.Fatal(err)
			}
			t0 := time.Now()
			if err := floorImport(ctx, d, path, shopID); err != nil {
				b.Fatal(err)
			}
			elapsed += time.Since(t0)
		}
		report(b, elapsed/time.Duration(b.N))
	})
}

// floorImport is the least an import of the file can do: read each row and insert its order
// and line, 500 rows at a time, in one transaction.
func floorImport(ctx context.Context, d *db.DB, path, shopID string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	r := csv.NewReader(bufio.NewReaderSize(f, 64<<10))
	r.ReuseRecord = true
	if _, err := r.Read(); err != nil {
		return err
	}
	now := testNow.UTC()
	orderCols := []string{"id", "number", "shop_id", "source", "ordered_at", "subtotal", "tax", "shipping_fee", "total",
		"payment_method", "order_status", "payment_status", "authorization_status", "ship_name", "ship_postal_code",
		"ship_address", "ship_phone", "version", "created_at", "updated_at"}
	lineCols := []string{"id", "order_id", "line_no", "sku", "name", "unit_price", "quantity", "tax_rate", "amount"}
	if d.Dialect() == db.SQLite { // the page cache kessai's import gets
		if _, err := d.SQL.ExecContext(ctx, `PRAGMA cache_size = -49152`); err != nil {
			return err
		}
	}
	return d.InTx(ctx, func(tx *db.Tx) error {
		orders, lines := make([][]any, 0, 500), make([][]any, 0, 500)
		flush := func() error {
			if err := db.InsertRows(ctx, tx, "orders", orderCols, len(orders), func(i int) []any { return orders[i] }); err != nil {
				return err
			}
			if err := db.InsertRows(ctx, tx, "order_lines", lineCols, len(lines), func(i int) []any { return lines[i] }); err != nil {
				return err
			}
			orders, lines = orders[:0], lines[:0]
			return nil
		}
		for i := 0; ; i++ {
			rec, err := r.Read()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				return err
			}
			price, _ := strconv.ParseInt(rec[11], 10, 64)
			at, err := time.ParseInLocation("2006-01-02 15:04", rec[2], clock.JST)
			if err != nil {
				return err
			}
			id := db.NewID("ord")
			orders = append(orders, []any{id, fmt.Sprintf("main-%06d", i+1), shopID, "csv", at.UTC(), price, int64(0), int64(0), price,
				rec[3], rec[4], rec[5], "not_required", rec[6], rec[7], rec[8], rec[9], 1, now, now})
			lines = append(lines, []any{db.NewID("oln"), id, 1, rec[10], rec[10], price, 1, 10, price})
			if len(orders) == 500 {
				if err := flush(); err != nil {
					return err
				}
			}
		}
		return flush()
	})
}

// importFile writes (once, into KESSAI_BENCH_DIR) an order CSV of n rows: one order a row.
func importFile(b *testing.B, n int) string {
	dir := os.Getenv("KESSAI_BENCH_DIR")
	if dir == "" {
		home, _ := os.UserHomeDir()
		dir = filepath.Join(home, ".cache", "kessai-bench")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		b.Fatal(err)
	}
	path := filepath.Join(dir, fmt.Sprintf("import-orders-%d.csv", n))
	if _, err := os.Stat(path); err == nil {
		return path
	}
	f, err := os.Create(path + ".tmp")
	if err != nil {
		b.Fatal(err)
	}
	w := bufio.NewWriter(f)
	w.WriteString("受注キー,店舗コード,受注日時,支払方法,受注状態,入金状況,配送先氏名,配送先郵便番号,配送先住所,配送先電話番号,商品名,単価,数量,税率\r\n")
	methods := []string{"credit_card", "cod", "bank_transfer"}
	for i := range n {
		fmt.Fprintf(w, "K%07d,main,2026-%02d-%02d 10:%02d,%s,new,unpaid,山田 太郎%d,100-0001,東京都千代田区千代田1-%d,03-1234-%04d,商品%d,%d,1,10\r\n",
			i, 1+i%12, 1+i%28, i%60, methods[i%len(methods)], i, i%100, i%10000, i%500, 1000+i%9000)
	}
	if err := w.Flush(); err != nil {
		b.Fatal(err)
	}
	f.Close()
	if err := os.Rename(path+".tmp", path); err != nil {
		b.Fatal(err)
	}
	return path
}
