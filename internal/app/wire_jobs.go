package app

import (
	"context"
	"net/http"
	"runtime"
	"time"

	"kessai/internal/platform/auth"
	"kessai/internal/platform/jobs"
	"kessai/internal/platform/jobs/jobsui"
	"kessai/internal/platform/metrics"
	"kessai/internal/web"
)

// wireJobs attaches the job queue (River on the app's database), its schedule checker, the
// ジョブ管理 page, and /metrics.
//
// Rooms wired after this register their workers and periodic jobs on a.Jobs; the queue starts
// with Serve (a.starters) and drains after HTTP on shutdown (a.stoppers). Periodic schedules are
// checked every 5s — every JobPollInterval when that is set (tests) — against a.Clock, so moving
// the sandbox clock makes "the 27th at 0:00" due within seconds; the sandbox can also call
// a.Jobs.CheckSchedules right after moving it.
func (a *App) wireJobs(ctx context.Context) error {
	cfg := jobs.Config{Clock: a.Clock, Log: a.Log.With("part", "jobs"), PollInterval: a.Config.JobPollInterval}
	if a.Config.JobPollInterval > 0 {
		cfg.ScheduleEvery = a.Config.JobPollInterval
	}
	q, err := jobs.New(ctx, a.DB, cfg)
	if err != nil {
		return err
	}
	a.Jobs = q
	a.closers = append(a.closers, q.Close)
	a.starters = append(a.starters, q.Start)
	a.stoppers = append(a.stoppers, q.Stop)

	ui := &jobsui.Handler{Queue: q, Render: a.Shell.Render, DB: a.DB}
	if a.Platform != nil {
		ui.Audit = a.Platform.Audit
	}
	if err := ui.Routes(a.Shell); err != nil {
		return err
	}
	a.Shell.AddAttention(a.jobsAttention)
	a.Shell.AddNav(web.NavEntry{Key: "jobs", Label: "ジョブ管理", Path: "/jobs", Order: web.NavJobs})

	a.Metrics = metrics.NewRegistry(metrics.RouteMatcher(func() []string {
		var out []string
		for _, rt := range a.Shell.Routes() {
			p := rt.Pattern
			if rt.Method != "" {
				p = rt.Method + " " + p
			}
			out = append(out, p)
		}
		return out
	}))
	a.observe = a.Metrics.Observe
	// Public like /healthz: kessai binds 127.0.0.1 by default, so only the host can scrape it.
	// A deployment listening on a public address should block /metrics at its proxy.
	a.Shell.Handle(http.MethodGet, "/metrics", auth.PermPublic, "Prometheus メトリクス",
		a.Metrics.Handler(a.Log, a.databaseMetrics, a.jobMetrics, a.buildMetrics))
	return nil
}

// jobsAttention warns on the top page when the heartbeat job stopped running.
func (a *App) jobsAttention(ctx context.Context) ([]web.Attention, error) {
	ok, last, err := a.Jobs.Healthy(ctx)
	if err != nil || ok {
		return nil, err
	}
	label := "ジョブが実行されていません（まだ一度も動いていません）"
	if !last.IsZero() {
		label = "ジョブが止まっています（最終実行 " + web.FormatJST(last, "01/02 15:04") + "）"
	}
	return []web.Attention{{Label: label, Count: 1, Link: "/jobs?kind=system.heartbeat", Level: "error"}}, nil
}

func (a *App) databaseMetrics(ctx context.Context, w *metrics.Writer) error {
	pctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	up := 1.0
	if err := a.DB.SQL.PingContext(pctx); err != nil {
		up = 0
	}
	w.Family("kessai_database_up", "Whether the database answered a ping (1) or not (0).", "gauge")
	w.Sample("kessai_database_up", up, "engine", string(a.DB.Dialect()))
	return nil
}

func (a *App) jobMetrics(ctx context.Context, w *metrics.Writer) error {
	counts, err := a.Jobs.CountByKindState(ctx)
	if err != nil {
		return err
	}
	w.Family("kessai_jobs", "Jobs in River's table by kind and state.", "gauge")
	for _, c := range counts {
		w.Sample("kessai_jobs", float64(c.N), "kind", c.Kind, "state", c.State)
	}
	last, err := a.Jobs.LastHeartbeat(ctx)
	if err != nil {
		return err
	}
	if !last.IsZero() {
		w.Family("kessai_jobs_heartbeat_timestamp_seconds", "When system.heartbeat last ran (business clock, Unix seconds).", "gauge")
		w.Sample("kessai_jobs_heartbeat_timestamp_seconds", float64(last.Unix()))
	}
	return nil
}

func (a *App) buildMetrics(ctx context.Context, w *metrics.Writer) error {
	w.Family("kessai_build_info", "kessai's version and build; always 1.", "gauge")
	w.Sample("kessai_build_info", 1, "version", version(), "goversion", runtime.Version(), "engine", string(a.DB.Dialect()))
	return nil
}
