package app_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"kessai/internal/app/apptest"
	"kessai/internal/platform/db"
	"kessai/internal/platform/db/dbtest"
	"kessai/internal/platform/jobs"
)

// Two kessai instances on one PostgreSQL database share the job queue: each period of a
// periodic job runs once, and each enqueued job runs once, on whichever instance takes it.
// The job counted is the real system.heartbeat, which writes one row per run.
func TestTwoInstancesRunEachJobOnce(t *testing.T) {
	if dbtest.Engine() != string(db.Postgres) {
		t.Skip("needs PostgreSQL: two processes sharing one SQLite file isn't a supported deployment")
	}
	t.Parallel()
	ctx := context.Background()
	url := dbtest.URL(t)
	a := apptest.Start(t, apptest.Options{DatabaseURL: url, Configure: fastJobs})
	b := apptest.Start(t, apptest.Options{DatabaseURL: url, Configure: fastJobs})
	d := a.App.DB

	periods := func() int {
		var n int
		if err := d.QueryRowContext(ctx, `SELECT COUNT(DISTINCT period) FROM job_heartbeats WHERE period IS NOT NULL`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	waitPeriods := func(want int) {
		t.Helper()
		for deadline := time.Now().Add(20 * time.Second); periods() < want; time.Sleep(20 * time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatalf("heartbeats ran for %d periods, want %d", periods(), want)
			}
		}
	}
	// The heartbeat runs every minute of the business clock. Both instances check the schedule
	// every 20ms; moving both clocks a minute makes a new period due on both at once.
	waitPeriods(1)
	const moves = 3
	for i := 1; i <= moves; i++ {
		a.App.Clock.Advance(time.Minute)
		b.App.Clock.Advance(time.Minute)
		// Besides their own ticks, make both instances check at the very same moment.
		var wg sync.WaitGroup
		for _, in := range []*apptest.Instance{a, b, a, b, a, b} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if err := in.App.Jobs.CheckSchedules(ctx); err != nil {
					t.Error(err)
				}
			}()
		}
		wg.Wait()
		waitPeriods(i + 1)
	}
	time.Sleep(300 * time.Millisecond) // many more checks on both: would a duplicate appear?
	rows, err := d.QueryContext(ctx, `SELECT period, COUNT(*) FROM job_heartbeats WHERE period IS NOT NULL GROUP BY period HAVING COUNT(*) > 1`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var p time.Time
		var n int
		if err := rows.Scan(&p, &n); err != nil {
			t.Fatal(err)
		}
		t.Errorf("period %s ran %d times", p, n)
	}
	rows.Close()

	// Jobs enqueued by hand on either instance run once each.
	const n = 40
	var ids []any
	for i := 0; i < n; i++ {
		in := a
		if i%2 == 1 {
			in = b
		}
		id, _, err := in.App.Jobs.Insert(ctx, jobs.HeartbeatArgs{}, nil)
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	in := "?" + strings.Repeat(", ?", n-1)
	count := func(q string) int {
		var c int
		if err := d.QueryRowContext(ctx, q, ids...).Scan(&c); err != nil {
			t.Fatal(err)
		}
		return c
	}
	for deadline := time.Now().Add(20 * time.Second); count(`SELECT COUNT(DISTINCT job_id) FROM job_heartbeats WHERE job_id IN (`+in+`)`) < n; time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("only %d of %d jobs ran", count(`SELECT COUNT(DISTINCT job_id) FROM job_heartbeats WHERE job_id IN (`+in+`)`), n)
		}
	}
	time.Sleep(200 * time.Millisecond)
	if runs := count(`SELECT COUNT(*) FROM job_heartbeats WHERE job_id IN (` + in + `)`); runs != n {
		t.Errorf("%d jobs ran %d times in total, want %d", n, runs, n)
	}
	workers, err := d.QueryContext(ctx, `SELECT worker, COUNT(*) FROM job_heartbeats WHERE job_id IN (`+in+`) GROUP BY worker`, ids...)
	if err != nil {
		t.Fatal(err)
	}
	defer workers.Close()
	for workers.Next() {
		var w string
		var c int
		if err := workers.Scan(&w, &c); err != nil {
			t.Fatal(err)
		}
		t.Logf("instance %s ran %d jobs", w, c)
	}
}
