package app

import (
	"context"
)

// wireJobs attaches the job queue.
func (a *App) wireJobs(ctx context.Context) error { return nil }
