package bulk

import (
	"context"
	"sync"

	"kessai/internal/platform/logs"
)

// GoRunner processes runs in goroutines of this process. It is the fallback until the job
// queue is wired; unlike a job it does not survive a restart by itself, so call Resume at
// start-up.
type GoRunner struct {
	svc *Service
	wg  sync.WaitGroup
	mu  sync.Mutex
	on  map[string]bool // runs being processed, so a double Enqueue doesn't start two loops
}

// NewGoRunner returns a runner for svc.
func NewGoRunner(svc *Service) *GoRunner { return &GoRunner{svc: svc, on: map[string]bool{}} }

// Enqueue starts processing runID in a goroutine detached from ctx's cancellation.
func (g *GoRunner) Enqueue(ctx context.Context, runID string) error {
	g.mu.Lock()
	if g.on[runID] {
		g.mu.Unlock()
		return nil
	}
	g.on[runID] = true
	g.mu.Unlock()
	g.wg.Add(1)
	ctx = context.WithoutCancel(ctx)
	go func() {
		defer g.wg.Done()
		defer func() { g.mu.Lock(); delete(g.on, runID); g.mu.Unlock() }()
		if err := g.svc.Process(ctx, runID); err != nil {
			logs.From(ctx).ErrorContext(ctx, "bulk run failed", "run", runID, "err", err)
		}
	}()
	return nil
}

// Wait blocks until every run started so far has been processed (tests, shutdown).
func (g *GoRunner) Wait() { g.wg.Wait() }
