package jobs_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"kessai/internal/platform/clock"
	"kessai/internal/platform/db"
	"kessai/internal/platform/db/dbtest"
	"kessai/internal/platform/jobs"
)

// recordArgs is a test job: it fails its first FailTimes attempts, then records its run.
type recordArgs struct {
	N         int `json:"n"`
	FailTimes int `json:"fail_times"`
}

func (recordArgs) Kind() string { return "test.record" }

type recorder struct {
	river.WorkerDefaults[recordArgs]
	mu      sync.Mutex
	runs    map[int64]int     // job ID → successful runs
	periods map[time.Time]int // period → successful runs
	done    chan int64
}

func newRecorder() *recorder {
	return &recorder{runs: map[int64]int{}, periods: map[time.Time]int{}, done: make(chan int64, 1000)}
}

// NextRetry keeps the test fast; production kinds keep River's backoff.
func (w *recorder) NextRetry(*river.Job[recordArgs]) time.Time {
	return time.Now().Add(20 * time.Millisecond)
}

func (w *recorder) Work(ctx context.Context, job *river.Job[recordArgs]) error {
	if job.Attempt <= job.Args.FailTimes {
		return errors.New("わざと失敗")
	}
	if err := jobs.Progress(ctx, 1, 2); err != nil {
		return err
	}
	if err := jobs.Finish(ctx, jobs.Result{Counts: []jobs.Count{{Label: "完了", N: job.Args.N}, {Label: "エラー", N: 1}},
		CSV: []byte("a,b\r\n1,2\r\n"), CSVName: "result.csv"}); err != nil {
		return err
	}
	w.mu.Lock()
	w.runs[job.ID]++
	if p, ok := jobs.PeriodOf(job.JobRow); ok {
		w.periods[p]++
	}
	w.mu.Unlock()
	w.done <- job.ID
	return nil
}

func (w *recorder) waitFor(t *testing.T, n int) {
	t.Helper()
	deadline := time.After(20 * time.Second)
	for i := 0; i < n; i++ {
		select {
		case <-w.done:
		case <-deadline:
			t.Fatalf("only %d of %d jobs ran", i, n)
		}
	}
}

func openDB(t *testing.T) *db.DB {
	t.Helper()
	return dbtest.Open(t, jobs.Migrations)
}

// startQueue builds and starts a queue on d; it is stopped when t ends.
func startQueue(t *testing.T, d *db.DB, clk clock.Clock, register func(q *jobs.Queue)) *jobs.Queue {
	t.Helper()
	ctx := context.Background()
	q, err := jobs.New(ctx, d, jobs.Config{Clock: clk, PollInterval: 20 * time.Millisecond, ScheduleEvery: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	if register != nil {
		register(q)
	}
	if err := q.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := q.Stop(sctx); err != nil {
			t.Errorf("stop: %v", err)
		}
		q.Close()
	})
	return q
}

func waitState(t *testing.T, q *jobs.Queue, id int64, want rivertype.JobState) *rivertype.JobRow {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		row, err := q.Get(context.Background(), id)
		if err != nil {
			t.Fatal(err)
		}
		if row.State == want {
			return row
		}
		if time.Now().After(deadline) {
			t.Fatalf("job %d is %s, want %s (errors %v)", id, row.State, want, row.Errors)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestInsertWorkRetryAndResult(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	w := newRecorder()
	q := startQueue(t, openDB(t), clock.NewSandbox(), func(q *jobs.Queue) {
		if err := jobs.AddWorker(q, w); err != nil {
			t.Fatal(err)
		}
	})
	tests := []struct {
		name      string
		failTimes int
	}{
		{"succeeds at once", 0},
		{"fails twice, then succeeds", 2},
	}
	for _, tt := range tests {
		id, dup, err := q.Insert(ctx, recordArgs{N: 12, FailTimes: tt.failTimes}, nil)
		if err != nil || dup {
			t.Fatalf("%s: Insert = %d, %v, %v", tt.name, id, dup, err)
		}
		row := waitState(t, q, id, rivertype.JobStateCompleted)
		if row.Attempt != tt.failTimes+1 || len(row.Errors) != tt.failTimes {
			t.Errorf("%s: attempt %d with %d errors, want %d and %d", tt.name, row.Attempt, len(row.Errors), tt.failTimes+1, tt.failTimes)
		}
		run, err := q.GetRun(ctx, id)
		if err != nil {
			t.Fatalf("%s: GetRun: %v", tt.name, err)
		}
		if len(run.Counts) != 2 || run.Counts[0] != (jobs.Count{Label: "完了", N: 12}) || run.CSVName != "result.csv" || run.CSVSize != 10 {
			t.Errorf("%s: run = %+v", tt.name, run)
		}
		if wantErr := tt.failTimes > 0; wantErr != strings.Contains(run.Error, "試行2: わざと失敗") {
			t.Errorf("%s: recorded error %q", tt.name, run.Error)
		}
		name, data, err := q.ResultCSV(ctx, id)
		if err != nil || name != "result.csv" || string(data) != "a,b\r\n1,2\r\n" {
			t.Errorf("%s: ResultCSV = %q, %q, %v", tt.name, name, data, err)
		}
	}
	if _, _, err := q.ResultCSV(ctx, 999999); !errors.Is(err, db.ErrNotFound) {
		t.Errorf("ResultCSV of unknown job: %v, want not found", err)
	}
	list, total, err := q.List(ctx, jobs.Filter{Kind: "test.record", State: "completed"}, 0, 1)
	if err != nil || total != 2 || len(list) != 1 || list[0].Run.Counts[0].N != 12 || list[0].StartedAt.IsZero() || list[0].FinishedAt.IsZero() {
		t.Fatalf("List = %+v, total %d, %v", list, total, err)
	}
	if list, total, err := q.List(ctx, jobs.Filter{Kind: "test.record", State: "failed"}, 0, 10); err != nil || total != 0 || len(list) != 0 {
		t.Fatalf("List failed = %d items, total %d, %v", len(list), total, err)
	}
	counts, err := q.CountByKindState(ctx)
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, c := range counts {
		if c.Kind == "test.record" && c.State == "completed" && c.N == 2 {
			found = true
		}
	}
	if !found {
		t.Errorf("CountByKindState = %+v, want test.record completed 2", counts)
	}
}

func TestRegistrationClosesAtStart(t *testing.T) {
	t.Parallel()
	q := startQueue(t, openDB(t), clock.NewSandbox(), nil)
	if err := jobs.AddWorker(q, newRecorder()); err == nil {
		t.Error("AddWorker after Start succeeded")
	}
	if err := q.AddPeriodic(jobs.Periodic{Name: "x", Schedule: jobs.Every(time.Minute), Args: func() river.JobArgs { return recordArgs{} }}); err == nil {
		t.Error("AddPeriodic after Start succeeded")
	}
}

// Two queues on one database (two instances) check the schedule over and over while the
// business clock moves: each period is enqueued and worked exactly once.
func TestPeriodicOncePerPeriodAcrossInstances(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	d := openDB(t)
	start := time.Date(2026, 11, 26, 23, 58, 30, 0, clock.JST)
	clk := clock.NewFrozen(start)
	w := newRecorder()
	register := func(q *jobs.Queue) {
		if err := jobs.AddWorker(q, w); err != nil {
			t.Fatal(err)
		}
		if err := q.AddPeriodic(jobs.Periodic{Name: "test.monthly", Schedule: jobs.MustCron("0 0 27 * *"),
			Args: func() river.JobArgs { return recordArgs{N: 1} }}); err != nil {
			t.Fatal(err)
		}
	}
	a := startQueue(t, d, clk, register)
	b := startQueue(t, d, clk, register)
	check := func() {
		var wg sync.WaitGroup
		for _, q := range []*jobs.Queue{a, b, a, b} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if err := q.CheckSchedules(ctx); err != nil {
					t.Error(err)
				}
			}()
		}
		wg.Wait()
	}
	check() // first sight: remembers November's period without running it
	clk.Advance(time.Minute)
	check() // 23:59:30 — still nothing due
	clk.Advance(time.Minute)
	check() // 0:00:30 on the 27th — December's run is due
	check()
	w.waitFor(t, 1)
	clk.Advance(62 * 24 * time.Hour) // jump past December's and January's 27th: they collapse into one run
	check()
	check()
	w.waitFor(t, 1)
	time.Sleep(200 * time.Millisecond) // would a duplicate still run?
	w.mu.Lock()
	defer w.mu.Unlock()
	want := map[time.Time]int{
		time.Date(2026, 11, 27, 0, 0, 0, 0, clock.JST).UTC(): 1,
		time.Date(2027, 1, 27, 0, 0, 0, 0, clock.JST).UTC():  1,
	}
	if len(w.periods) != len(want) {
		t.Fatalf("periods run = %v, want %v", w.periods, want)
	}
	for p, n := range want {
		if w.periods[p] != n {
			t.Errorf("period %s ran %d times, want %d (all: %v)", p, w.periods[p], n, w.periods)
		}
	}
}

func TestSchedulePrev(t *testing.T) {
	t.Parallel()
	jst := func(y int, m time.Month, d, h, mi, s int) time.Time {
		return time.Date(y, m, d, h, mi, s, 0, clock.JST)
	}
	tests := []struct {
		name  string
		sched jobs.Schedule
		at    time.Time
		want  time.Time
	}{
		{"27th at 0:00 on the dot", jobs.MustCron("0 0 27 * *"), jst(2026, 11, 27, 0, 0, 0), jst(2026, 11, 27, 0, 0, 0)},
		{"27th, a minute before", jobs.MustCron("0 0 27 * *"), jst(2026, 11, 26, 23, 59, 0), jst(2026, 10, 27, 0, 0, 0)},
		{"27th across the year", jobs.MustCron("0 0 27 * *"), jst(2027, 1, 3, 12, 0, 0), jst(2026, 12, 27, 0, 0, 0)},
		{"every 5 minutes by cron", jobs.MustCron("*/5 * * * *"), jst(2026, 11, 27, 10, 7, 59), jst(2026, 11, 27, 10, 5, 0)},
		{"daily at 9:30", jobs.MustCron("30 9 * * *"), jst(2026, 11, 27, 9, 29, 0), jst(2026, 11, 26, 9, 30, 0)},
		{"yearly", jobs.MustCron("@yearly"), jst(2026, 11, 27, 0, 0, 0), jst(2026, 1, 1, 0, 0, 0)},
		{"every 5 minutes by interval", jobs.Every(5 * time.Minute), jst(2026, 11, 27, 10, 7, 59), jst(2026, 11, 27, 10, 5, 0)},
	}
	for _, tt := range tests {
		if got := tt.sched.Prev(tt.at); !got.Equal(tt.want) {
			t.Errorf("%s: Prev(%s) = %s, want %s", tt.name, tt.at, got.In(clock.JST), tt.want)
		}
	}
	if _, err := jobs.Cron("@every 5m"); err == nil {
		t.Error("Cron(@every) accepted; intervals go through Every")
	}
	if _, err := jobs.Cron("61 * * * *"); err == nil {
		t.Error("Cron accepted minute 61")
	}
}

// blockArgs is a job whose first run holds until Hold passes or it is cancelled; later runs
// finish at once.
type blockArgs struct {
	Hold time.Duration `json:"hold"`
}

func (blockArgs) Kind() string { return "test.block" }

type blocker struct {
	river.WorkerDefaults[blockArgs]
	started            chan struct{}
	running, maxRun    atomic.Int32
	attempts, finished atomic.Int32
}

func (w *blocker) NextRetry(*river.Job[blockArgs]) time.Time {
	return time.Now().Add(20 * time.Millisecond)
}

func (w *blocker) Work(ctx context.Context, job *river.Job[blockArgs]) error {
	n := w.running.Add(1)
	defer w.running.Add(-1)
	for {
		m := w.maxRun.Load()
		if n <= m || w.maxRun.CompareAndSwap(m, n) {
			break
		}
	}
	if w.attempts.Add(1) == 1 {
		w.started <- struct{}{}
		select {
		case <-time.After(job.Args.Hold):
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	w.finished.Add(1)
	return nil
}

// A job running at shutdown either finishes within the drain time, or is cancelled and then
// retried by the next instance: never lost, never twice at once.
func TestShutdownDrainsOrRetries(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		hold    time.Duration
		timeout time.Duration
		runs    int32 // Work calls in total, across both instances
	}{
		{"finishes within the drain time", 300 * time.Millisecond, 10 * time.Second, 1},
		{"cut off, then retried by the next instance", time.Hour, time.Second, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			d := openDB(t)
			w := &blocker{started: make(chan struct{}, 10)}
			cfg := jobs.Config{PollInterval: 20 * time.Millisecond, ScheduleEvery: time.Hour}
			q, err := jobs.New(ctx, d, cfg)
			if err != nil {
				t.Fatal(err)
			}
			if err := jobs.AddWorker(q, w); err != nil {
				t.Fatal(err)
			}
			if err := q.Start(ctx); err != nil {
				t.Fatal(err)
			}
			id, _, err := q.Insert(ctx, blockArgs{Hold: tt.hold}, nil)
			if err != nil {
				t.Fatal(err)
			}
			<-w.started
			sctx, cancel := context.WithTimeout(ctx, tt.timeout)
			err = q.Stop(sctx)
			cancel()
			q.Close()
			if err != nil {
				t.Fatalf("Stop: %v", err)
			}
			// The next instance picks up whatever the first one left.
			next := startQueue(t, d, clock.NewSandbox(), func(q *jobs.Queue) {
				if err := jobs.AddWorker(q, w); err != nil {
					t.Fatal(err)
				}
			})
			row := waitState(t, next, id, rivertype.JobStateCompleted)
			// River puts a job interrupted by shutdown back without counting the attempt.
			if got := w.attempts.Load(); got != tt.runs || row.Attempt != 1 {
				t.Errorf("ran %d times (attempt %d), want %d (attempt 1)", got, row.Attempt, tt.runs)
			}
			if w.finished.Load() != 1 || w.maxRun.Load() != 1 {
				t.Errorf("finished %d times, at most %d at once; want 1 and 1", w.finished.Load(), w.maxRun.Load())
			}
		})
	}
}

// A job inserted by this process runs at once, however long the poll interval: polling is
// only for retries and scheduled jobs, which is why the default can be long (an hour here:
// a job that waited for the poll would fail the test).
func TestInsertedJobDoesNotWaitForThePoll(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	d := openDB(t)
	q, err := jobs.New(ctx, d, jobs.Config{PollInterval: time.Hour, ScheduleEvery: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	w := newRecorder()
	if err := jobs.AddWorker(q, w); err != nil {
		t.Fatal(err)
	}
	if err := q.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = q.Stop(sctx)
		q.Close()
	})
	for i := range 3 {
		if _, _, err := q.Insert(ctx, recordArgs{N: i}, nil); err != nil {
			t.Fatal(err)
		}
		w.waitFor(t, 1)
		// On PostgreSQL River sends at most one insert NOTIFY per queue per FetchCooldown;
		// an insert inside that window is found by the next poll (DefaultPollInterval in
		// production, an hour here), so the inserts are spaced past it.
		time.Sleep(river.FetchCooldownDefault + 100*time.Millisecond)
	}
}
