package bulk

import (
	"context"
	"fmt"

	"github.com/riverqueue/river"

	"kessai/internal/platform/jobs"
)

// RunArgs is the job that processes one bulk run.
type RunArgs struct {
	RunID string `json:"run_id"`
}

// Kind names the job in River and on the ジョブ管理 page.
func (RunArgs) Kind() string { return "bulk.run" }

// InsertOpts: processing is idempotent (done items are skipped), so retrying is always safe.
func (RunArgs) InsertOpts() river.InsertOpts { return river.InsertOpts{MaxAttempts: 10} }

type runWorker struct {
	river.WorkerDefaults[RunArgs]
	svc *Service
}

func (w *runWorker) Work(ctx context.Context, job *river.Job[RunArgs]) error {
	return w.svc.Process(ctx, job.Args.RunID)
}

// QueueRunner enqueues runs as River jobs.
type QueueRunner struct{ Queue *jobs.Queue }

// Enqueue inserts the job (after the run committed; never inside a transaction).
func (r QueueRunner) Enqueue(ctx context.Context, runID string) error {
	if _, _, err := r.Queue.Insert(ctx, RunArgs{RunID: runID}, nil); err != nil {
		return fmt.Errorf("bulk: enqueue %s: %w", runID, err)
	}
	return nil
}

// UseQueue registers the bulk.run worker on q (before it starts) and makes svc enqueue its
// runs there instead of running them in goroutines.
func UseQueue(svc *Service, q *jobs.Queue) error {
	if err := jobs.AddWorker(q, &runWorker{svc: svc}); err != nil {
		return fmt.Errorf("bulk: register worker: %w", err)
	}
	svc.SetRunner(QueueRunner{Queue: q})
	return nil
}
