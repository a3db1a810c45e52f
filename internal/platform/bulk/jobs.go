package bulk

import (
	"context"
	"fmt"
	"net/url"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"kessai/internal/platform/jobs"
)

// RunArgs is the job that processes one bulk run.
type RunArgs struct {
	RunID string `json:"run_id"`
}

// Kind names the job in River and on the ジョブ管理 page.
func (RunArgs) Kind() string { return "bulk.run" }

// Label names the kind on the ジョブ管理 page.
func (RunArgs) Label() string { return "一括操作" }

// Link is the run's result page.
func (a RunArgs) Link() string { return "/bulk/runs/" + url.PathEscape(a.RunID) }

// liveStates are River's non-final states: while a run's job is in one of them, inserting
// another job for the run is a no-op, so the sweeper can't start a second concurrent job.
var liveStates = []rivertype.JobState{
	rivertype.JobStateAvailable, rivertype.JobStatePending, rivertype.JobStateRetryable,
	rivertype.JobStateRunning, rivertype.JobStateScheduled,
}

// InsertOpts: processing is idempotent (done items are skipped), so retrying is always safe;
// one live job per run.
func (RunArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{MaxAttempts: 10, UniqueOpts: river.UniqueOpts{ByArgs: true, ByState: liveStates}}
}

type runWorker struct {
	river.WorkerDefaults[RunArgs]
	svc *Service
}

// progressEvery is how often a running job copies the run's progress to the ジョブ管理 page.
const progressEvery = time.Second

func (w *runWorker) Work(ctx context.Context, job *river.Job[RunArgs]) error {
	id := job.Args.RunID
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(progressEvery)
		defer t.Stop()
		for {
			select {
			case <-stop:
				return
			case <-t.C:
				if r, err := w.svc.Get(ctx, id); err == nil {
					_ = jobs.Progress(ctx, r.Done, r.Total)
				}
			}
		}
	}()
	err := w.svc.Process(ctx, id)
	close(stop)
	<-done
	if err != nil {
		return err
	}
	return w.svc.reportResult(ctx, id)
}

// QueueRunner enqueues runs as River jobs.
type QueueRunner struct{ Queue *jobs.Queue }

// Enqueue inserts the job (after the run committed; never inside a transaction). While the
// run has a live job, it does nothing.
func (r QueueRunner) Enqueue(ctx context.Context, runID string) error {
	if _, _, err := r.Queue.Insert(ctx, RunArgs{RunID: runID}, nil); err != nil {
		return fmt.Errorf("bulk: enqueue %s: %w", runID, err)
	}
	return nil
}

// SweepArgs is the periodic job that finds runs whose job was lost: Start commits the run and
// enqueues after, so a crash in between leaves a run 待機中 with no job.
type SweepArgs struct{}

// Kind names the job.
func (SweepArgs) Kind() string { return "bulk.sweep" }

// Label names the kind on the ジョブ管理 page.
func (SweepArgs) Label() string { return "止まった一括操作の再開" }

// InsertOpts: the next period sweeps again.
func (SweepArgs) InsertOpts() river.InsertOpts { return river.InsertOpts{MaxAttempts: 1} }

type sweepWorker struct {
	river.WorkerDefaults[SweepArgs]
	svc *Service
}

func (w *sweepWorker) Work(ctx context.Context, _ *river.Job[SweepArgs]) error {
	_, err := w.svc.Sweep(ctx)
	return err
}

// sweepAge leaves alone runs just started, whose Enqueue is probably under way.
const sweepAge = time.Minute

// Sweep hands every unfinished run older than a minute to the runner again and returns how
// many it handed. With the queue's runner a run that still has a live job is left to it
// (RunArgs is unique while live), so this never starts a second job for one run.
func (s *Service) Sweep(ctx context.Context) (int, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT id FROM bulk_runs WHERE state IN (?, ?) AND created_at < ? ORDER BY created_at`,
		StatePending, StateRunning, s.clock.Now().UTC().Add(-sweepAge))
	if err != nil {
		return 0, fmt.Errorf("bulk: sweep: %w", err)
	}
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return 0, fmt.Errorf("bulk: sweep: %w", err)
		}
		ids = append(ids, id)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, fmt.Errorf("bulk: sweep: %w", err)
	}
	for i, id := range ids {
		if err := s.Runner().Enqueue(ctx, id); err != nil {
			return i, err
		}
	}
	return len(ids), nil
}

// UseQueue registers the bulk.run and bulk.sweep workers on q (before it starts) and makes svc
// enqueue its runs there instead of running them in goroutines. The caller schedules the sweep
// (q.AddPeriodic with SweepArgs, every minute).
func UseQueue(svc *Service, q *jobs.Queue) error {
	if err := jobs.AddWorker(q, &runWorker{svc: svc}); err != nil {
		return fmt.Errorf("bulk: register worker: %w", err)
	}
	if err := jobs.AddWorker(q, &sweepWorker{svc: svc}); err != nil {
		return fmt.Errorf("bulk: register sweeper: %w", err)
	}
	svc.SetRunner(QueueRunner{Queue: q})
	return nil
}
