package app

import (
	"context"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/riverqueue/river"

	"kessai/internal/commerce"
	"kessai/internal/platform/audit"
	"kessai/internal/platform/bulk"
	"kessai/internal/platform/db"
	"kessai/internal/platform/jobs"
	"kessai/internal/web"
)

// demoSeed makes `kessai serve --demo` show the same demo data on every machine.
const demoSeed = 20260401

// wireCommerce attaches the merchant's records: the store every room and page uses, and the
// demo data when --demo is given (seeded once: nothing happens if shops exist).
func (a *App) wireCommerce(ctx context.Context) error {
	var log *audit.Log
	if a.Platform != nil && a.Platform.Audit != nil {
		log = a.Platform.Audit
	} else {
		log = &audit.Log{Now: a.Clock.Now, RequestID: web.RequestID}
	}
	a.Commerce = commerce.NewStore(a.DB, a.Clock, log)
	// CSV files over 1 MB are imported by csv.import jobs, with a progress page.
	if err := a.Commerce.UseImportQueue(a.Jobs, commerce.DefaultImportInRequest); err != nil {
		return fmt.Errorf("csv import jobs: %w", err)
	}

	// Bulk actions run as River jobs (kind bulk.run) so a restart or a second instance picks
	// up an interrupted run; items already done are never redone.
	a.Bulk = bulk.New(a.DB, a.Clock, log)
	if err := bulk.UseQueue(a.Bulk, a.Jobs); err != nil {
		return err
	}
	// A run whose enqueue was lost to a crash between its commit and Insert is picked up here.
	err := a.Jobs.AddPeriodic(jobs.Periodic{Name: bulk.SweepArgs{}.Kind(), Schedule: jobs.Every(time.Minute),
		Args: func() river.JobArgs { return bulk.SweepArgs{} }})
	if err != nil {
		return fmt.Errorf("bulk sweep: %w", err)
	}
	a.BulkPages = web.MountBulk(a.Shell, a.Bulk)
	pages, err := commerce.NewPages(a.Shell, a.Commerce, a.BulkPages, log)
	if err != nil {
		return fmt.Errorf("commerce pages: %w", err)
	}
	pages.Routes(a.Shell)
	a.CommercePages = pages

	if !a.Config.Demo {
		return nil
	}
	sum, err := commerce.Seed(ctx, a.Commerce, rand.New(rand.NewPCG(demoSeed, demoSeed)))
	if err != nil {
		return fmt.Errorf("seed demo data: %w", err)
	}
	if sum.Skipped {
		a.Log.Info("demo data already present: not seeded again")
		return nil
	}
	a.Log.Info("demo data seeded", "summary", sum.String(), "shops", sum.Shops, "customers", sum.Customers,
		"cards", sum.Cards, "cases", sum.Cases, "orders", sum.Orders, "subscriptions", sum.Subscriptions)
	return nil
}

func commerceMigrations() []db.Migrations { return []db.Migrations{commerce.Migrations} }
