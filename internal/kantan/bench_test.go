package kantan_test

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"kessai/internal/kantan"
	"kessai/internal/provider/gmopg"
	"kessai/internal/sandbox/gmopgsim"
)

// BenchmarkBulkCapture5000 captures 5,000 仮売上 orders through the room (attempt.Runner: claim,
// send, record, the order's 入金状況 and history) against the simulator over HTTP, and in the
// same run the floor: the same simulator answering 5,000 RecruitSales from a bare client loop.
// Reported: orders/s of the room (1 and 4 at a time), floor orders/s, and room/floor.
//
//	go test ./internal/kantan/ -run '^$' -bench BulkCapture5000 -benchtime 1x
func BenchmarkBulkCapture5000(b *testing.B) {
	n := 5000
	if v, err := strconv.Atoi(os.Getenv("KANTAN_BENCH_N")); err == nil && v > 0 {
		n = v // a smaller run for profiling
	}
	for b.Loop() {
		e := newEnv(b, jst(2026, 12, 3, 10, 0))
		ctx := context.Background()
		// The floor's trades: entered, started and paid at the simulator directly.
		cl := gmopg.New(e.sim.Config(strings.TrimSuffix(e.simURL, prefix)))
		floor := make([]gmopg.Access, n)
		for i := range n {
			a, err := cl.EntryTranRecruit(ctx, gmopg.RecruitEntryInput{OrderID: fmt.Sprintf("floor-%07d", i), JobCd: gmopg.JobAuth, Amount: 1000})
			if err != nil {
				b.Fatal(err)
			}
			st, err := cl.ExecTranRecruit(ctx, gmopg.RecruitExecInput{Access: a, RetURL: "http://kessai.test/kantan/return", ItemName: "item"})
			if err != nil {
				b.Fatal(err)
			}
			if _, _, err := e.sim.Buy(st.AccessID, st.Token, gmopgsim.BuyerPay); err != nil {
				b.Fatal(err)
			}
			floor[i] = a
		}
		// The room's orders, through the real checkout.
		ids := make([]string, 2*n)
		for i := range ids {
			ids[i] = e.checkout(1000, gmopgsim.BuyerPay).ID
		}
		t0 := time.Now()
		for _, a := range floor {
			if _, err := cl.RecruitSales(ctx, a); err != nil {
				b.Fatal(err)
			}
		}
		floorRate := float64(n) / time.Since(t0).Seconds()
		rate := func(part []string, workers int) float64 {
			t0 := time.Now()
			res := e.svc.CaptureMany(e.ctx, part, workers)
			d := time.Since(t0)
			for _, r := range res {
				if r.Outcome != kantan.OutcomeCaptured {
					b.Fatalf("%+v", r)
				}
			}
			return float64(len(part)) / d.Seconds()
		}
		one := rate(ids[:n], 1)
		four := rate(ids[n:], 4)
		b.ReportMetric(one, "orders/s")
		b.ReportMetric(four, "orders/s_4")
		b.ReportMetric(floorRate, "floor_orders/s")
		b.ReportMetric(one/floorRate, "ratio")
		b.ReportMetric(four/floorRate, "ratio_4")
	}
}
