package atobarai_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"strconv"
	"testing"

	"kessai/internal/atobarai"
	"kessai/internal/commerce"
	"kessai/internal/platform/attempt"
	"kessai/internal/platform/audit"
	"kessai/internal/platform/auth"
	"kessai/internal/platform/clock"
	"kessai/internal/platform/db"
	"kessai/internal/platform/db/dbtest"
	"kessai/internal/platform/jpcsv"
	"kessai/internal/provider/yamato"
)

// benchOrders is how many orders the CSV benchmark uses (KESSAI_BENCH_ATOBARAI_ORDERS, 100,000).
func benchOrders(b *testing.B) int {
	n := 100_000
	if v := os.Getenv("KESSAI_BENCH_ATOBARAI_ORDERS"); v != "" {
		var err error
		if n, err = strconv.Atoi(v); err != nil {
			b.Fatal(err)
		}
	}
	return n
}

// BenchmarkCSV exports the 買手情報一括登録CSV of N クロネコ代金後払い orders and imports their
// 与信結果データ, both CP932, and in the same run measures the floor of each: the same rows
// read from the database and encoded to CP932 with no other work (export), and the result
// file decoded with one plain UPDATE per row (import). It reports rows/s and the ratio. The
// import's real work per row is the transaction's update, the order's audited 承認状況 change
// (commerce.ModifyOrderTx) and a line of the order's 履歴, all in one transaction.
//
//	go test -run '^$' -bench BenchmarkCSV -benchtime 1x ./internal/atobarai/
func BenchmarkCSV(b *testing.B) {
	n := benchOrders(b)
	ctx := auth.WithPrincipal(context.Background(), auth.System("bench"))
	clk := clock.NewFrozen(start)
	d := dbtest.Open(b, audit.Migrations, commerce.Migrations, attempt.Migrations, atobarai.Migrations)
	store := commerce.NewStore(d, clk, &audit.Log{Now: clk.Now})
	svc := atobarai.NewService(d, clk, attempt.NewRunner(d, attempt.New(clk)), nil, store, nil)
	svc.OnCredit = func(ctx context.Context, tx *db.Tx, t atobarai.Txn) error {
		return atobarai.SyncOrder(ctx, tx, store, t)
	}
	shop, err := store.CreateShop(ctx, commerce.Shop{Code: "B", Name: "ベンチ店"})
	if err != nil {
		b.Fatal(err)
	}
	for i := 0; i < n; i += 5000 {
		batch := make([]commerce.Order, 0, 5000)
		for j := i; j < min(i+5000, n); j++ {
			batch = append(batch, commerce.Order{ShopID: shop.ID, PaymentMethod: atobarai.PaymentMethod, OrderedAt: start,
				ShipName: "山田 太郎", ShipPostalCode: "100-0005", ShipAddress: fmt.Sprintf("東京都千代田区丸の内1-%d-1", j), ShipPhone: "03-1234-5678",
				ShippingFee: 500, Lines: []commerce.OrderLine{{Name: "りんご", UnitPrice: 1000, Quantity: 2}, {Name: "みかん", UnitPrice: 300, Quantity: 1}}})
		}
		if _, err := store.CreateOrders(ctx, batch); err != nil {
			b.Fatal(err)
		}
	}
	all := commerce.OrderFilter{}
	var buyer bytes.Buffer
	// The first export also writes the transactions: measured apart, once.
	if err := svc.ExportBuyerCSV(ctx, store, &buyer, all, nil); err != nil {
		b.Fatal(err)
	}
	// The result file Yamato would give: every order 与信OK.
	var rows []yamato.CreditResultRow
	nos, err := db.Strings(ctx, d, `SELECT order_no FROM atobarai_transactions ORDER BY order_no`)
	if err != nil || len(nos) != n {
		b.Fatalf("%d transactions, %v", len(nos), err)
	}
	for _, no := range nos {
		rows = append(rows, yamato.CreditResultRow{OrderNo: no, Total: 2800, Result: yamato.CreditOK, DecidedAt: start})
	}
	var result bytes.Buffer
	if err := yamato.WriteCreditResultCSV(&result, rows); err != nil {
		b.Fatal(err)
	}
	var exportNs, exportFloorNs, importNs, importFloorNs int64
	b.ResetTimer()
	for range b.N {
		t := clock.System{}.Now()
		if err := svc.ExportBuyerCSV(ctx, store, io.Discard, all, nil); err != nil {
			b.Fatal(err)
		}
		exportNs += clock.System{}.Now().Sub(t).Nanoseconds()

		t = clock.System{}.Now()
		if err := exportFloor(ctx, d, io.Discard); err != nil {
			b.Fatal(err)
		}
		exportFloorNs += clock.System{}.Now().Sub(t).Nanoseconds()

		// Every import applies fresh decisions, as the first import of a file does.
		if _, err := d.ExecContext(ctx, `UPDATE atobarai_transactions SET credit = 'new', credit_result = '', status = ''`); err != nil {
			b.Fatal(err)
		}
		if _, err := d.ExecContext(ctx, `UPDATE orders SET authorization_status = 'pending', authorized_on = ''`); err != nil {
			b.Fatal(err)
		}
		t = clock.System{}.Now()
		res, err := svc.ImportCreditResults(ctx, bytes.NewReader(result.Bytes()))
		if err != nil || res.Created != n {
			b.Fatalf("import: %d, %v", res.Created, err)
		}
		importNs += clock.System{}.Now().Sub(t).Nanoseconds()

		t = clock.System{}.Now()
		if err := importFloor(ctx, d, result.Bytes()); err != nil {
			b.Fatal(err)
		}
		importFloorNs += clock.System{}.Now().Sub(t).Nanoseconds()
	}
	b.StopTimer()
	perSec := func(ns int64) float64 { return float64(n) * float64(b.N) / (float64(ns) / 1e9) }
	b.ReportMetric(perSec(exportNs), "export_rows/s")
	b.ReportMetric(perSec(exportFloorNs), "export_floor_rows/s")
	b.ReportMetric(float64(exportNs)/float64(exportFloorNs), "export_ratio")
	b.ReportMetric(perSec(importNs), "import_rows/s")
	b.ReportMetric(perSec(importFloorNs), "import_floor_rows/s")
	b.ReportMetric(float64(importNs)/float64(importFloorNs), "import_ratio")
	b.ReportMetric(float64(buyer.Len())/float64(n), "bytes/row")
}

// exportFloor reads the rows the export needs (order, lines, no customer) and encodes them as
// CP932 CSV with 106 columns, with nothing else.
func exportFloor(ctx context.Context, d *db.DB, w io.Writer) error {
	cw, err := jpcsv.NewWriter(w, jpcsv.CP932, yamato.BuyerCSV.Columns)
	if err != nil {
		return err
	}
	rows, err := d.QueryContext(ctx, `SELECT o.id, o.number, o.ordered_at, o.ship_name, o.ship_postal_code, o.ship_address, o.ship_phone, o.total,
		l.name, l.quantity, l.unit_price, l.amount FROM orders o JOIN order_lines l ON l.order_id = o.id ORDER BY o.id, l.line_no`)
	if err != nil {
		return err
	}
	defer rows.Close()
	rec := make([]string, yamato.BuyerColumnCount)
	last := ""
	flush := func() error {
		if last == "" {
			return nil
		}
		err := cw.Write(rec)
		clear(rec)
		return err
	}
	col := 15
	for rows.Next() {
		var id, number, name, post, addr, tel, item string
		var at any
		var total, price, amount int64
		var qty int
		if err := rows.Scan(&id, &number, &at, &name, &post, &addr, &tel, &total, &item, &qty, &price, &amount); err != nil {
			return err
		}
		if id != last {
			if err := flush(); err != nil {
				return err
			}
			last, col = id, 15
			rec[0], rec[1], rec[2], rec[3], rec[5], rec[6], rec[8], rec[14] = fmt.Sprint(at), "", number, name, post, addr, tel, strconv.FormatInt(total, 10)
		}
		if col+4 <= 55 {
			rec[col], rec[col+1], rec[col+2], rec[col+3] = item, strconv.Itoa(qty), strconv.FormatInt(price, 10), strconv.FormatInt(amount, 10)
			col += 4
		}
	}
	if err := rows.Err(); err != nil {
		return err
	}
	if err := flush(); err != nil {
		return err
	}
	return cw.Close()
}

// importFloor decodes the CP932 result file and writes each row's result with one UPDATE in
// one transaction, checking nothing.
func importFloor(ctx context.Context, d *db.DB, b []byte) error {
	r, err := jpcsv.NewReader(bytes.NewReader(b))
	if err != nil {
		return err
	}
	return d.InTx(ctx, func(tx *db.Tx) error {
		for {
			rec, err := r.Read()
			if err == io.EOF {
				return nil
			}
			if err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, `UPDATE atobarai_transactions SET credit_result = ? WHERE order_no = ?`, rec.Get("審査結果"), rec.Get("受注番号")); err != nil {
				return err
			}
		}
	})
}
