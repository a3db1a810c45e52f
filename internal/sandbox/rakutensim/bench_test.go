package rakutensim_test

import (
	"testing"
	"time"

	"kessai/internal/provider/rakuten"
	"kessai/internal/sandbox/rakutensim"
)

// BenchmarkImport100k serves 100,000 orders over real HTTP through searchOrder and getOrder
// (Client.Orders: SearchAll narrows past the 15,000 cap, getOrder reads 100 per call) with
// the throttle off: what a first import of a big shop costs on the wire. With the default
// throttle (1 request a second) the same import takes one second per call: throttled-s.
func BenchmarkImport100k(b *testing.B) {
	const total = 100_000
	e := newEnv(b)
	e.clk.Advance(40 * 24 * time.Hour)
	per := total / 30
	for d := range 30 {
		n := per
		if d == 29 {
			n = total - per*29
		}
		e.create(b, rakutensim.NewOrder{OrderedAt: start.Add(time.Duration(d) * 24 * time.Hour), Confirmed: true, Authorize: "ok"}, n)
	}
	q := rakuten.SearchQuery{DateType: rakuten.DateOrdered, Start: start, End: start.Add(31 * 24 * time.Hour)}
	b.ResetTimer()
	for b.Loop() {
		e.resetCalls()
		got := 0
		for _, err := range e.client.Orders(ctx, q) {
			if err != nil {
				b.Fatal(err)
			}
			got++
		}
		if got != total {
			b.Fatalf("read %d, want %d", got, total)
		}
	}
	calls := e.callCount("searchOrder") + e.callCount("getOrder")
	b.ReportMetric(float64(e.callCount("searchOrder")), "searchOrder-calls")
	b.ReportMetric(float64(e.callCount("getOrder")), "getOrder-calls")
	b.ReportMetric(float64(calls), "throttled-s")
	b.ReportMetric(float64(total)/(b.Elapsed().Seconds()/float64(b.N)), "orders/s")
}
