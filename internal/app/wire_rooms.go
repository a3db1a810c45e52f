package app

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/riverqueue/river"

	"kessai/internal/api"
	"kessai/internal/commerce"
	"kessai/internal/payout"
	"kessai/internal/platform/attempt"
	"kessai/internal/platform/audit"
	"kessai/internal/platform/db"
	"kessai/internal/platform/jobs"
	"kessai/internal/platform/zengin"
	"kessai/internal/sandbox/aozorasim"
	"kessai/internal/web"
)

// wireRooms attaches the workflow rooms. Each room's parts are built once from App's fields by a
// function of its own (payoutRoom), and the screens and the API — wired later in their own
// files — get the same parts from it:
//
//	wire_screens.go: a.payoutScreens(commercePages, bulkService)
//	wire_api.go:     a.payoutAPI(v1)
func (a *App) wireRooms(ctx context.Context) error {
	r, err := a.payoutRoom()
	if err != nil {
		return err
	}
	r.pages.Routes(a.Shell)
	r.pages.Attach(a.Shell, nil, nil) // 外部連携設定 entry and top-page counts; tab and bulk in payoutScreens

	janitor := attempt.NewJanitor(a.DB, r.attempts)
	janitor.Handle(payout.Room, payout.OpRequest, payout.NewResolver(r.svc, r.conn.Bank))
	if a.Jobs == nil {
		return nil
	}
	if err := jobs.AddWorker(a.Jobs, &payout.PollWorker{Poller: payout.NewPoller(r.svc, r.conn.Bank)}); err != nil {
		return err
	}
	if err := jobs.AddWorker(a.Jobs, &payout.ExecuteWorker{Exec: r.exec}); err != nil {
		return err
	}
	if err := jobs.AddWorker(a.Jobs, &attemptJanitorWorker{janitor: janitor}); err != nil {
		return err
	}
	for _, p := range []jobs.Periodic{
		{Name: payout.PollArgs{}.Kind(), Schedule: jobs.Every(payout.PollEvery), Args: func() river.JobArgs { return payout.PollArgs{} }, RunOnStart: true},
		{Name: attemptJanitorArgs{}.Kind(), Schedule: jobs.Every(time.Minute), Args: func() river.JobArgs { return attemptJanitorArgs{} }, RunOnStart: true},
	} {
		if err := a.Jobs.AddPeriodic(p); err != nil {
			return err
		}
	}
	return nil
}

// roomMigrations: attempts (shared by every room's outgoing calls), then each room's tables.
func roomMigrations() []db.Migrations {
	return []db.Migrations{attempt.Migrations, payout.Migrations}
}

// payoutParts are the payout room's pieces for one App.
type payoutParts struct {
	svc      *payout.Service
	exec     *payout.Executor
	conn     *payout.Connection
	pages    *payout.Pages
	attempts *attempt.Log
}

// payoutRoom returns the App's payout room, building it on first use: the pages, the API and
// the jobs must share one Connection, whose TokenHolder is the only one refreshing (and
// rotating) the bank's refresh token. Wiring is sequential, so no lock is needed.
func (a *App) payoutRoom() (*payoutParts, error) {
	if a.payout != nil {
		return a.payout, nil
	}
	r, err := a.buildPayoutRoom()
	if err != nil {
		return nil, err
	}
	a.payout = r
	return r, nil
}

// buildPayoutRoom builds the payout room over App's database, clock, audit log and provider
// settings. While no real bank is configured the connection points at the in-process simulator
// (App.Aozora, mounted under /sandbox/aozora by wireSandbox) with its pre-registered client.
func (a *App) buildPayoutRoom() (*payoutParts, error) {
	banks, err := zengin.Load()
	if err != nil {
		return nil, fmt.Errorf("payout: bank master: %w", err)
	}
	var log *audit.Log
	if a.Platform != nil && a.Platform.Audit != nil {
		log = a.Platform.Audit
	} else {
		log = &audit.Log{Now: a.Clock.Now, RequestID: web.RequestID}
	}
	if a.Platform == nil || a.Platform.Providers == nil {
		return nil, fmt.Errorf("payout: provider settings store is not wired")
	}
	att := attempt.New(a.Clock)
	svc := payout.NewService(a.DB, a.Clock, log, att, banks)
	var sandboxURLs func() (string, string)
	if a.Aozora != nil {
		sandboxURLs = a.AozoraBaseURLs
	}
	conn := payout.NewConnection(a.DB, a.Platform.Providers, a.Clock, sandboxURLs, a.Config.BaseURL+"/settings/integrations/aozora/callback")
	if a.Aozora != nil {
		conn.SandboxClientID, conn.SandboxClientSecret = aozorasim.DefaultClientID, aozorasim.DefaultClientSecret
	}
	exec := payout.NewExecutor(svc, conn.Bank)
	pages, err := payout.NewPages(a.Shell.Render, svc, exec, conn)
	if err != nil {
		return nil, err
	}
	if a.Jobs != nil {
		q := a.Jobs
		pages.Enqueue = func(ctx context.Context, args payout.ExecuteArgs) (string, error) {
			id, _, err := q.Insert(ctx, args, nil)
			if err != nil {
				return "", err
			}
			return "/jobs/" + strconv.FormatInt(id, 10), nil
		}
	}
	return &payoutParts{svc: svc, exec: exec, conn: conn, pages: pages, attempts: att}, nil
}

// payoutScreens adds the 銀行振込 tab to the case detail page and 一括振込依頼 to the case
// list's bulk menu. wire_screens.go calls it once the commerce pages exist.
func (a *App) payoutScreens(pages *commerce.Pages, bulkPages *web.BulkPages) error {
	r, err := a.payoutRoom()
	if err != nil {
		return err
	}
	if pages != nil {
		pages.AddCaseTab(r.pages.CaseTab())
	}
	if bulkPages != nil {
		bulkPages.Service().Register(r.pages.BulkAction())
	}
	return nil
}

// payoutAPI routes and documents the payout API on v1. wire_api.go calls it.
func (a *App) payoutAPI(v1 *api.API) error {
	r, err := a.payoutRoom()
	if err != nil {
		return err
	}
	payout.RegisterAPI(v1, r.svc, r.exec)
	return nil
}

// attemptJanitorArgs is the periodic job that settles every room's unknown outgoing calls.
type attemptJanitorArgs struct{}

func (attemptJanitorArgs) Kind() string { return "attempt.janitor" }

func (attemptJanitorArgs) InsertOpts() river.InsertOpts { return river.InsertOpts{MaxAttempts: 2} }

type attemptJanitorWorker struct {
	river.WorkerDefaults[attemptJanitorArgs]
	janitor *attempt.Janitor
}

func (w *attemptJanitorWorker) Work(ctx context.Context, _ *river.Job[attemptJanitorArgs]) error {
	rep, err := w.janitor.Run(ctx)
	if err != nil {
		return err
	}
	return jobs.Finish(ctx, jobs.Result{Counts: []jobs.Count{{Label: "確認した送信", N: rep.Checked}, {Label: "結果が確定した送信", N: rep.Settled}}})
}
