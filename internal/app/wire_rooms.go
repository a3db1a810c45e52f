package app

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/riverqueue/river"

	"kessai/internal/platform/attempt"
	"kessai/internal/platform/clock"
	"kessai/internal/platform/connection/connectionweb"
	"kessai/internal/platform/jobs"
	"kessai/internal/room"
	"kessai/internal/web"
)

// wireRooms attaches every room of the list through the room contract: each gets one Host
// with everything it may use, once. The shared janitor that settles every room's unknown
// outgoing calls runs as one periodic job.
func (a *App) wireRooms(ctx context.Context) error {
	// Attempts are stamped on the wall clock: their staleness decides whether a request may
	// have reached the provider, which moving the sandbox clock must not change.
	a.Attempts = attempt.New(clock.System{})
	a.Janitor = attempt.NewJanitor(a.DB, a.Attempts)
	seen := map[string]bool{}
	for _, r := range a.rooms {
		if err := r.Check(); err != nil {
			return err
		}
		if seen[r.Name] {
			return fmt.Errorf("room %s is listed twice", r.Name)
		}
		seen[r.Name] = true
		a.Platform.Web.Foreign = append(a.Platform.Web.Foreign, r.Foreign...)
		if err := r.Attach(ctx, a.host(r)); err != nil {
			return fmt.Errorf("room %s: %w", r.Name, err)
		}
	}
	a.listConnections()
	if err := jobs.AddWorker(a.Jobs, &attemptJanitorWorker{janitor: a.Janitor}); err != nil {
		return err
	}
	a.Jobs.SetKindLabel(attemptJanitorArgs{}.Kind(), "状態不明の送金の確認")
	return a.Jobs.AddPeriodic(jobs.Periodic{Name: attemptJanitorArgs{}.Kind(), Schedule: jobs.Every(time.Minute),
		Args: func() river.JobArgs { return attemptJanitorArgs{} }, RunOnStart: true})
}

// listConnections puts every declared provider connection on 設定 › 外部連携設定.
func (a *App) listConnections() {
	for _, p := range a.Connections.Providers() {
		link := p.Page
		if link == "" {
			link = connectionweb.Link(p.Key, "")
		}
		a.Shell.AddIntegration(web.Integration{Label: p.Label, Room: strings.Join(p.Rooms, "、"), Link: link,
			Status: func(ctx context.Context) (string, bool) {
				st, sandbox, err := a.Connections.Status(ctx, p, "")
				if err != nil {
					return "読み込めません", false
				}
				label := st.Label()
				if sandbox {
					label += "（サンドボックス）"
				}
				return label, st.Enabled
			}})
	}
}

// host is what room r receives.
func (a *App) host(r room.Room) *room.Host {
	return &room.Host{
		Room:        r.Name,
		DB:          a.DB,
		Clock:       a.Clock,
		Audit:       a.Platform.Audit,
		Log:         a.Log.With("room", r.Name),
		BaseURL:     a.Config.BaseURL,
		Shell:       a.Shell,
		API:         a.API,
		Jobs:        a.Jobs,
		Attempts:    a.Attempts,
		Janitor:     a.Janitor,
		Bulk:        a.Bulk,
		Commerce:    a.Commerce,
		Pages:       a.CommercePages,
		Sandbox:     a.Sandbox,
		Connections: a.Connections,
		Env: func(key string) string {
			if a.Config.Getenv == nil {
				return ""
			}
			return a.Config.Getenv(key)
		},
	}
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
