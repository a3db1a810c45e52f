package app_test

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"kessai/internal/app"
	"kessai/internal/app/apptest"
	"kessai/internal/commerce"
	"kessai/internal/platform/auth"
)

// BenchmarkScaleLoad runs a real kessai over KESSAI_BENCH_LOAD_ORDERS orders (default 100,000,
// SQLite, built once into KESSAI_BENCH_DIR) and fires HTTP requests at it from this process:
//
//   - closed: KESSAI_BENCH_CLIENTS clients (default 16) each send the next request as soon as the
//     last one answered, for a few seconds: the most requests a second the server answers, with
//     p50/p99;
//   - rate: requests sent at a fixed KESSAI_BENCH_RATE a second (default 500) for 10 s whatever
//     the answers, as a busy day would: p50/p99 and how many failed or were late.
//
// Each is measured for GET /api/v1/orders (the first page, as the list shows it) and for its
// floor in the same run, GET /healthz, which passes through the same middleware and touches no
// table. The machine is shared, so the figures to compare are the ratios to the floor.
func BenchmarkScaleLoad(b *testing.B) {
	if os.Getenv("KESSAI_BENCH_SCALE") != "1" {
		b.Skip("set KESSAI_BENCH_SCALE=1 (scripts/bench-scale)")
	}
	n := envInt("KESSAI_BENCH_LOAD_ORDERS", 100_000)
	clients := envInt("KESSAI_BENCH_CLIENTS", 16)
	rate := envInt("KESSAI_BENCH_RATE", 500)
	in := loadInstance(b, n)
	key := in.APIKey(b, auth.RoleViewer)
	tr := &http.Transport{MaxIdleConnsPerHost: 4 * clients, MaxConnsPerHost: 0}
	defer tr.CloseIdleConnections()
	hc := &http.Client{Transport: tr, Timeout: 30 * time.Second}
	get := func(path string) (time.Duration, bool) {
		req, _ := http.NewRequest(http.MethodGet, in.URL+path, nil)
		req.Header.Set("Authorization", "Bearer "+key)
		t0 := time.Now()
		res, err := hc.Do(req)
		if err != nil {
			return time.Since(t0), false
		}
		_, _ = io.Copy(io.Discard, res.Body)
		res.Body.Close()
		return time.Since(t0), res.StatusCode == http.StatusOK
	}
	for _, target := range []struct{ name, path string }{
		{"orders", "/api/v1/orders?per_page=50"},
		{"floor-healthz", "/healthz"},
	} {
		if _, ok := get(target.path); !ok {
			b.Fatalf("GET %s failed", target.path)
		}
		b.Run("closed/"+target.name, func(b *testing.B) {
			for b.Loop() {
				var mu sync.Mutex
				var ds []time.Duration
				var failed atomic.Int64
				stop := time.Now().Add(5 * time.Second)
				var wg sync.WaitGroup
				t0 := time.Now()
				for range clients {
					wg.Go(func() {
						for time.Now().Before(stop) {
							d, ok := get(target.path)
							if !ok {
								failed.Add(1)
							}
							mu.Lock()
							ds = append(ds, d)
							mu.Unlock()
						}
					})
				}
				wg.Wait()
				elapsed := time.Since(t0)
				reportLoad(b, ds, failed.Load(), 0)
				b.ReportMetric(float64(len(ds))/elapsed.Seconds(), "req/s")
			}
		})
		b.Run(fmt.Sprintf("rate%d/%s", rate, target.name), func(b *testing.B) {
			for b.Loop() {
				const d = 10 * time.Second
				total := rate * int(d/time.Second)
				ds := make([]time.Duration, total)
				var failed, late atomic.Int64
				var wg sync.WaitGroup
				start := time.Now()
				for i := range total {
					at := start.Add(time.Duration(i) * time.Second / time.Duration(rate))
					time.Sleep(time.Until(at))
					wg.Go(func() {
						if time.Since(at) > 50*time.Millisecond {
							late.Add(1) // this process could not send it on time: the machine is saturated
						}
						dd, ok := get(target.path)
						if !ok {
							failed.Add(1)
						}
						ds[i] = dd
					})
				}
				wg.Wait()
				reportLoad(b, ds, failed.Load(), late.Load())
				b.ReportMetric(float64(total)/time.Since(start).Seconds(), "req/s")
			}
		})
	}
}

func reportLoad(b *testing.B, ds []time.Duration, failed, late int64) {
	slices.Sort(ds)
	if len(ds) == 0 {
		return
	}
	at := func(p float64) float64 { return float64(ds[int(float64(len(ds)-1)*p)].Microseconds()) / 1000 }
	b.ReportMetric(at(0.50), "p50-ms")
	b.ReportMetric(at(0.99), "p99-ms")
	b.ReportMetric(float64(failed), "failed")
	b.ReportMetric(float64(late), "late-sends")
}

func envInt(name string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(name)); err == nil && v > 0 {
		return v
	}
	return def
}

// loadInstance starts kessai on a data dir holding n orders, built the first time by importing
// a generated order CSV (one line per order, over a year of dates, three payment methods).
func loadInstance(b *testing.B, n int) *apptest.Instance {
	dir := os.Getenv("KESSAI_BENCH_DIR")
	if dir == "" {
		home, _ := os.UserHomeDir()
		dir = filepath.Join(home, ".cache", "kessai-bench")
	}
	data := filepath.Join(dir, fmt.Sprintf("load-%d", n))
	_, statErr := os.Stat(filepath.Join(data, "ready"))
	if statErr != nil {
		_ = os.RemoveAll(data)
	}
	if err := os.MkdirAll(data, 0o755); err != nil {
		b.Fatal(err)
	}
	in := apptest.Start(b, apptest.Options{DataDir: data, DatabaseURL: "", Configure: func(c *app.Config) {
		c.DatabaseURL = "" // SQLite in the data dir, kept between runs
	}})
	if statErr == nil {
		return in
	}
	ctx := context.Background()
	t0 := time.Now()
	if _, err := in.App.Commerce.CreateShop(ctx, commerce.Shop{Code: "main", Name: "本店"}); err != nil {
		b.Fatal(err)
	}
	csvPath := filepath.Join(data, "orders.csv")
	f, err := os.Create(csvPath)
	if err != nil {
		b.Fatal(err)
	}
	w := bufio.NewWriter(f)
	w.WriteString("受注キー,店舗コード,受注日時,支払方法,入金状況,配送先氏名,配送先住所,商品名,単価,数量\r\n")
	methods := []string{"credit_card", "cod", "bank_transfer"}
	for i := range n {
		fmt.Fprintf(w, "K%07d,main,2026-%02d-%02d 10:%02d,%s,unpaid,山田 太郎%d,東京都千代田区千代田1-%d,商品%d,%d,1\r\n",
			i, 1+i%12, 1+i%28, i%60, methods[i%len(methods)], i, i%100, i%500, 1000+i%9000)
	}
	if err := w.Flush(); err != nil {
		b.Fatal(err)
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		b.Fatal(err)
	}
	res, err := in.App.Commerce.ImportOrders(ctx, f)
	f.Close()
	os.Remove(csvPath)
	if err != nil || res.Created != n {
		b.Fatalf("build: %d orders, %v", res.Created, err)
	}
	if err := os.WriteFile(filepath.Join(data, "ready"), nil, 0o644); err != nil {
		b.Fatal(err)
	}
	b.Logf("built %d orders in %s", n, time.Since(t0).Round(time.Second))
	return in
}
