package bulk

import (
	"context"
	"fmt"
	"net/url"
	"time"

	"github.com/riverqueue/river"

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

// InsertOpts: processing is idempotent (done items are skipped), so retrying is always safe.
func (RunArgs) InsertOpts() river.InsertOpts { return river.InsertOpts{MaxAttempts: 10} }

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
