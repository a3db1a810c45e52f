package payout

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/riverqueue/river"

	"kessai/internal/platform/connection"
	"kessai/internal/platform/db"
	"kessai/internal/platform/jobs"
	"kessai/internal/platform/zengin"
	"kessai/internal/room"
	"kessai/internal/sandbox/aozorasim"
	"kessai/internal/sandbox/sim"
	"kessai/internal/web"
)

// Plugin is the payout room as kessai's room list holds it.
var Plugin = room.Room{
	Name:       Room,
	Label:      "銀行振込",
	Migrations: []db.Migrations{Migrations},
	Simulators: []sim.Spec{aozorasim.Spec},
	Attach:     attach,
}

// attach builds the room once over the host: one Connection (whose TokenHolder is the only one
// refreshing, and rotating, the bank's refresh token) shared by the pages, the API and the jobs.
// While no real bank is configured the connection points at the in-process simulator with its
// pre-registered client.
func attach(ctx context.Context, h *room.Host) error {
	banks, err := zengin.Load()
	if err != nil {
		return fmt.Errorf("bank master: %w", err)
	}
	svc := NewService(h.DB, h.Clock, h.Audit, h.Attempts, banks)
	if v := h.Env(EnvNotFoundDays); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 60 {
			return fmt.Errorf("%s=%q: 1〜60の日数を指定してください", EnvNotFoundDays, v)
		}
		svc.NotFoundDays = n
	}
	var sandboxURLs func() (string, string)
	base, hasSim := h.SimulatorURL(aozorasim.Name)
	if hasSim {
		sandboxURLs = func() (string, string) { return base + aozorasim.AuthPath, base + aozorasim.APIPath }
	}
	conn := NewConnection(h.DB, h.Connections.Settings(), h.Clock, sandboxURLs, h.BaseURL+settingsPath+"/callback")
	conn.HTTPClient = connection.HTTPClient(60 * time.Second)
	conn.Log = h.Log
	if hasSim {
		conn.SandboxClientID, conn.SandboxClientSecret = aozorasim.DefaultClientID, aozorasim.DefaultClientSecret
	}
	if _, err := h.Connections.Declare(connection.Provider{
		Key: Provider, Label: "GMOあおぞらネット銀行", Rooms: []string{"銀行振込（買取ケースの支払い）"},
		Simulator: aozorasim.Name, Page: settingsPath,
		Status: func(ctx context.Context, _ string) (connection.State, error) {
			st, err := conn.State(ctx)
			return connection.State{Enabled: st.Enabled, CheckedAt: st.VerifiedAt, LastError: st.LastError}, err
		},
		Sandbox: func(ctx context.Context, _ string) bool { return conn.IsSandbox(ctx) },
	}); err != nil {
		return err
	}

	exec := NewExecutor(svc, conn.Bank)
	pages, err := NewPages(h.Shell.Render, svc, exec, conn)
	if err != nil {
		return err
	}
	q := h.Jobs
	pages.Enqueue = func(ctx context.Context, args ExecuteArgs) (string, error) {
		id, _, err := q.Insert(ctx, args, nil)
		if err != nil {
			return "", err
		}
		return "/jobs/" + strconv.FormatInt(id, 10), nil
	}
	pages.Routes(h.Shell)
	h.Shell.AddNav(web.NavEntry{Key: "accounting", Label: "会計", Path: "/accounting", Order: web.NavRooms})
	h.Shell.AddAttention(pages.AttentionItems)
	h.Pages.AddCaseTab(pages.CaseTab())
	h.Pages.AddListExtension(pages.CaseListExtension())
	h.Bulk.Register(pages.BulkAction())
	RegisterAPI(h.API, svc, exec)

	h.Resolve(OpRequest, NewResolver(svc, conn.Bank), 0)
	h.Resolve(OpBulkRequest, NewBatchResolver(svc, conn.Bank), 0)
	poller := NewPoller(svc, conn.Bank)
	pages.Poller = poller
	if err := room.AddWorker(h, &PollWorker{Poller: poller}, "振込状況の確認"); err != nil {
		return err
	}
	if err := room.AddWorker(h, &ExecuteWorker{Exec: exec}, "振込実行"); err != nil {
		return err
	}
	return h.Periodic("振込状況の確認", jobs.Periodic{Name: PollArgs{}.Kind(), Schedule: jobs.Every(PollEvery),
		Args: func() river.JobArgs { return PollArgs{} }, RunOnStart: true})
}
