package app

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/riverqueue/river"

	"kessai/internal/api"
	"kessai/internal/commerce"
	"kessai/internal/platform/jobs"
	"kessai/internal/platform/jobs/jobsui"
)

// wireAPI attaches the JSON API: the commerce operations and Idempotency-Key handling of every
// state-changing /api/v1 request. The rooms add theirs (room.Host.API); wireDoc then serves
// the OpenAPI document at /api/v1/openapi.json.
func (a *App) wireAPI(ctx context.Context) error {
	idem := api.NewIdempotency(a.DB, a.Clock.Now)
	// Keys are kept KeyTTL (24h); an hourly job forgets older ones.
	if err := jobs.AddWorker(a.Jobs, &idempotencyCleanup{idem: idem, now: a.Clock.Now}); err != nil {
		return err
	}
	if err := a.Jobs.AddPeriodic(jobs.Periodic{Name: idempotencyCleanupArgs{}.Kind(), Schedule: jobs.Every(time.Hour),
		Args: func() river.JobArgs { return idempotencyCleanupArgs{} }, RunOnStart: true}); err != nil {
		return err
	}
	a.Jobs.SetKindLabel(idempotencyCleanupArgs{}.Kind(), "冪等キーの整理")
	a.API = api.New(a.Shell)
	if a.Commerce != nil {
		commerce.RegisterAPI(a.API, a.Commerce)
	}
	jobsui.RegisterAPI(a.API, a.Jobs)
	// Innermost: after authentication has put the principal in the context (keys are scoped
	// per principal), before the route guard and handlers.
	a.middleware = append([]func(http.Handler) http.Handler{idem.Middleware}, a.middleware...)
	return nil
}

// wireDoc serves the OpenAPI document once every room has registered its operations.
func (a *App) wireDoc(ctx context.Context) error {
	a.API.ServeDoc()
	return nil
}

type idempotencyCleanupArgs struct{}

func (idempotencyCleanupArgs) Kind() string { return "api.idempotency_cleanup" }

type idempotencyCleanup struct {
	river.WorkerDefaults[idempotencyCleanupArgs]
	idem *api.Idempotency
	now  func() time.Time
}

func (w *idempotencyCleanup) Work(ctx context.Context, job *river.Job[idempotencyCleanupArgs]) error {
	if _, err := w.idem.DeleteExpired(ctx, w.now().Add(-api.KeyTTL)); err != nil {
		return fmt.Errorf("forget expired idempotency keys: %w", err)
	}
	return nil
}
