package jobs_test

import (
	"context"
	"os"
	"syscall"
	"testing"
	"time"

	"kessai/internal/platform/db/dbtest"
	"kessai/internal/platform/jobs"
)

// BenchmarkIdle measures what an idle queue costs: CPU seconds a minute with no job to run,
// at River's own default poll interval (1 s) and at kessai's (DefaultPollInterval, 5 s;
// in-process inserts trigger a fetch at once, so the interval only delays scheduled jobs and
// retries). It idles 20 s per case, so it runs
// only with KESSAI_BENCH_SCALE=1 (scripts/bench-scale).
func BenchmarkIdle(b *testing.B) {
	if os.Getenv("KESSAI_BENCH_SCALE") != "1" {
		b.Skip("set KESSAI_BENCH_SCALE=1 (scripts/bench-scale)")
	}
	for _, tc := range []struct {
		name string
		poll time.Duration
	}{{"poll-river-1s", time.Second}, {"poll-default", 0}} {
		b.Run(tc.name, func(b *testing.B) {
			d := dbtest.Open(b, jobs.Migrations)
			ctx := context.Background()
			for b.Loop() {
				q, err := jobs.New(ctx, d, jobs.Config{PollInterval: tc.poll})
				if err != nil {
					b.Fatal(err)
				}
				if err := q.Start(ctx); err != nil {
					b.Fatal(err)
				}
				time.Sleep(2 * time.Second) // start-up work (leader election, heartbeat) is not idling
				before := cpu()
				const window = 20 * time.Second
				time.Sleep(window)
				used := cpu() - before
				sctx, cancel := context.WithTimeout(ctx, 10*time.Second)
				_ = q.Stop(sctx)
				cancel()
				b.ReportMetric(used.Seconds()*float64(time.Minute)/float64(window), "cpu-s/min")
			}
		})
	}
}

// cpu is the process's user+system CPU time.
func cpu() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
