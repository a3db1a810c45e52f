package rakutenpay_test

import (
	"fmt"
	"os"
	"strconv"
	"testing"
	"time"

	"kessai/internal/commerce"
	"kessai/internal/platform/attempt"
	"kessai/internal/platform/audit"
	"kessai/internal/platform/db"
	"kessai/internal/platform/db/dbtest"
	"kessai/internal/provider/rakuten"
	"kessai/internal/rakutenpay"
	"kessai/internal/sandbox/rakutensim"
)

// benchOrders is how many Rakuten orders BenchmarkImport imports (KESSAI_BENCH_RAKUTEN_ORDERS).
func benchOrders(b *testing.B) int {
	n := 100000
	if v := os.Getenv("KESSAI_BENCH_RAKUTEN_ORDERS"); v != "" {
		var err error
		if n, err = strconv.Atoi(v); err != nil {
			b.Fatal(err)
		}
	}
	return n
}

// BenchmarkImport imports 100,000 simulator orders (card, 楽天処理中, spread over the last
// 100 minutes) into slips with the throttle off, in one poll over real HTTP, and in the same run
// measures the floor: a bare batched insert of the same slips (orders and lines, 1,000 a
// transaction, no validation, audit, history or links). It reports both, their ratio, the calls
// the import needed by method and how long those calls take with the default throttle
// (1 request/second per shop). Run with -benchtime 1x.
func BenchmarkImport(b *testing.B) {
	n := benchOrders(b)
	for b.Loop() {
		e := newEnv(b)
		perBatch := 1000
		for i := 0; i < n; i += perBatch {
			at := start.Add(-time.Duration(n/perBatch-i/perBatch) * time.Minute)
			if _, err := e.sim.CreateOrders(rakutensim.NewOrder{Method: rakuten.SettleCard, Confirmed: true, OrderedAt: at}, min(perBatch, n-i)); err != nil {
				b.Fatal(err)
			}
		}
		t0 := time.Now()
		rep, err := e.svc.Poll(e.ctx, e.shop.ID)
		took := time.Since(t0)
		if err != nil || rep.Imported != n {
			b.Fatalf("import: %v %+v", err, rep)
		}
		calls := map[string]int{}
		total := 0
		for _, m := range []string{"searchOrder", "getOrder", "getPayment", "confirmOrder"} {
			calls[m] = e.callCount(m)
			total += calls[m]
		}
		floor := benchFloor(b, e, n)
		b.ReportMetric(took.Seconds(), "import-s")
		b.ReportMetric(floor.Seconds(), "floor-s")
		b.ReportMetric(took.Seconds()/floor.Seconds(), "ratio")
		b.ReportMetric(float64(total), "calls")
		b.ReportMetric(float64(total)/rakuten.DefaultRequestsPerSecond, "throttled-s")
		b.Logf("%d orders on %s: import %.1fs, floor %.1fs, ratio %.1f; calls %v = %d → %.0fs at %d request/s",
			n, e.db.Dialect(), took.Seconds(), floor.Seconds(), took.Seconds()/floor.Seconds(), calls, total, float64(total)/rakuten.DefaultRequestsPerSecond, rakuten.DefaultRequestsPerSecond)
	}
}

// benchFloor inserts the same slips bare into a fresh database.
func benchFloor(b *testing.B, e *env, n int) time.Duration {
	rows, err := e.store.ListOrders(e.ctx, commerce.OrderFilter{Sources: []string{"api"}}, true)
	if err != nil || len(rows) != n {
		b.Fatalf("slips: %d %v", len(rows), err)
	}
	d := dbtest.Open(b, audit.Migrations, commerce.Migrations)
	st := commerce.NewStore(d, e.clk, &audit.Log{Now: e.clk.Now})
	shop, err := st.CreateShop(e.ctx, commerce.Shop{Code: "rk", Name: "楽天店"})
	if err != nil {
		b.Fatal(err)
	}
	t0 := time.Now()
	for i := 0; i < n; i += 1000 {
		batch := rows[i:min(i+1000, n)]
		err := d.InTx(e.ctx, func(tx *db.Tx) error {
			if err := db.InsertBatches(e.ctx, tx, `INSERT INTO orders (id, number, shop_id, source, ordered_at, subtotal, tax,
				shipping_fee, total, payment_method, order_status, payment_status, authorization_status, external_ref,
				ship_name, ship_postal_code, ship_address, ship_phone, version, created_at, updated_at) VALUES `, 21, len(batch), func(j int) []any {
				o := batch[j]
				return []any{o.ID, fmt.Sprintf("rk-%06d", i+j+1), shop.ID, o.Source, o.OrderedAt, o.Subtotal, o.Tax, o.ShippingFee, o.Total,
					o.PaymentMethod, o.OrderStatus, o.PaymentStatus, o.AuthorizationStatus, o.ExternalRef, o.ShipName, o.ShipPostalCode,
					o.ShipAddress, o.ShipPhone, 1, o.CreatedAt, o.UpdatedAt}
			}); err != nil {
				return err
			}
			var lines [][]any
			for _, o := range batch {
				for _, l := range o.Lines {
					lines = append(lines, []any{l.ID, o.ID, l.LineNo, l.SKU, l.Name, l.UnitPrice, l.Quantity, l.TaxRate, l.Amount})
				}
			}
			return db.InsertBatches(e.ctx, tx, `INSERT INTO order_lines (id, order_id, line_no, sku, name, unit_price, quantity,
				tax_rate, amount) VALUES `, 9, len(lines), func(j int) []any { return lines[j] })
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	return time.Since(t0)
}

// BenchmarkStatusLatency measures, with the default throttle (1 request/second per shop), how
// long a poll takes from a simulator status change (one of 100 watched orders authorized) to
// the slip's update. With the default poll every minute the latency is at most the interval
// plus this, about half the interval plus this on average.
func BenchmarkStatusLatency(b *testing.B) {
	for b.Loop() {
		e := newEnv(b)
		nums := e.orders(rakutensim.NewOrder{Confirmed: true}, 100)
		e.poll()
		svc := rakutenpay.NewService(e.db, e.clk, e.store, e.reg, attempt.NewRunner(e.db, e.log), rakutenpay.Options{})
		if err := svc.Declare(e.url); err != nil {
			b.Fatal(err)
		}
		if err := e.sim.Authorize(nums[42], true); err != nil {
			b.Fatal(err)
		}
		before := map[string]int{}
		for _, m := range []string{"searchOrder", "getOrder", "getPayment"} {
			before[m] = e.callCount(m)
		}
		e.advance(time.Minute)
		t0 := time.Now()
		rep, err := svc.Poll(e.ctx, e.shop.ID)
		took := time.Since(t0)
		if err != nil || rep.Updated != 1 || e.slip(nums[42]).PaymentStatus != "paid" {
			b.Fatalf("poll: %v %+v", err, rep)
		}
		calls := 0
		for m, n := range before {
			calls += e.callCount(m) - n
		}
		poll := rakutenpay.DefaultPollEvery.Seconds()
		b.ReportMetric(took.Seconds(), "poll-s")
		b.ReportMetric(poll+took.Seconds(), "worst-latency-s")
		b.ReportMetric(poll/2+took.Seconds(), "mean-latency-s")
		b.Logf("100 watched orders, one authorized: poll %.1fs with %d calls at the default throttle → latency ≤ %.0fs (mean %.0fs) with a poll every %s",
			took.Seconds(), calls, poll+took.Seconds(), poll/2+took.Seconds(), rakutenpay.DefaultPollEvery)
	}
}
