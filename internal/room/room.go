// Package room is the contract between kessai and a workflow room (bank transfers, card update,
// Rakuten, かんたん決済, 後払い). A room is a Room value: its migrations, the simulators of the
// providers it talks to, and one Attach step that receives a Host — everything a room may use.
// internal/app lists the rooms in one place and attaches each once; nothing else in kessai
// names a room.
package room

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/riverqueue/river"

	"kessai/internal/api"
	"kessai/internal/commerce"
	"kessai/internal/platform/attempt"
	"kessai/internal/platform/audit"
	"kessai/internal/platform/bulk"
	"kessai/internal/platform/clock"
	"kessai/internal/platform/connection"
	"kessai/internal/platform/db"
	"kessai/internal/platform/jobs"
	"kessai/internal/sandbox"
	"kessai/internal/sandbox/sim"
	"kessai/internal/web"
)

// Room is what a workflow room exposes.
type Room struct {
	// Name is the room's stable code: attempts, audit entries and job kinds carry it.
	Name string
	// Label names the room for people: "銀行振込".
	Label string
	// Migrations are the room's tables, applied after the platform's and commerce's, in order.
	Migrations []db.Migrations
	// Simulators are the providers' simulators the room talks to in the sandbox. Two rooms may
	// list the same one (GMO-PG serves cardupdate and kantan): it is built once.
	Simulators []sim.Spec
	// Attach plugs the room in. It runs once per kessai process, after the platform, the job
	// queue, commerce, the connections and the sandbox exist, and before the API document is
	// built; whatever it registers on h is all kessai knows of the room.
	Attach func(ctx context.Context, h *Host) error
	// Foreign are path prefixes the room serves to another site (a provider's return and
	// notification posts): kessai's session cookie is ignored there, as on the simulators, so
	// a buyer logged in as staff is not refused for lacking a CSRF token. Their routes are
	// auth.PermPublic and check the provider's own proof.
	Foreign []string
}

// Host is everything a room may use while attaching. Fields are ready to use; a room keeps
// what it needs (closures, its own struct) and registers the rest.
type Host struct {
	// Room is the attaching room's Name (Resolve and the job helpers use it).
	Room string

	DB    *db.DB
	Clock clock.Clock
	Audit *audit.Log
	// Log is kessai's logger with room=Name; use it instead of slog's default.
	Log *slog.Logger
	// BaseURL is how browsers reach kessai (OAuth redirect URIs, links in mails).
	BaseURL string

	// Shell is the router and page shell: Shell.HandleFunc (every route with its permission),
	// Shell.Render.Add (templates), Shell.AddNav (a navigation entry, shown only to roles its
	// route admits), Shell.AddAttention (top-page cards), Shell.AddIntegration (the room's
	// entry on 設定 › 外部連携設定).
	Shell *web.Shell
	// API registers /api/v1 operations; each is documented in the OpenAPI document.
	API *api.API
	// Jobs is the job queue. Register workers with AddWorker and periodic jobs with
	// Host.Periodic (both take the Japanese label of the ジョブ管理 page); enqueue with
	// Jobs.Insert.
	Jobs *jobs.Queue
	// Attempts is the shared log of outgoing money calls; Resolve registers the janitor's
	// resolver of one of the room's operations.
	Attempts *attempt.Log
	Janitor  *attempt.Janitor
	// Bulk is where bulk actions are registered (Bulk.Register); every list's menu shows them.
	Bulk *bulk.Service
	// Commerce is the shared records (shops, customers, orders, cases, subscriptions) and
	// Pages their screens with the rooms' extension points (tabs, list columns and filters,
	// order history).
	Commerce *commerce.Store
	Pages    *commerce.Pages
	// Sandbox is the simulators' home: SimulatorURL gives a mounted simulator's base URL,
	// Sandbox.Addr a listener simulator's address, Sandbox.Lookup the simulator itself.
	Sandbox *sandbox.Home
	// Connections are the provider connections, keyed by provider (and shop).
	Connections *connection.Registry
	// Env reads the environment kessai was started with, for the room's own settings
	// (KESSAI_<ROOM>_…); never nil.
	Env func(key string) string
}

// Periodic registers a periodic job whose kind is labelled label on the ジョブ管理 page.
func (h *Host) Periodic(label string, p jobs.Periodic) error {
	if p.Args == nil {
		return fmt.Errorf("room %s: periodic %s has no Args", h.Room, p.Name)
	}
	if label != "" {
		h.Jobs.SetKindLabel(p.Args().Kind(), label)
	}
	if err := h.Jobs.AddPeriodic(p); err != nil {
		return fmt.Errorf("room %s: periodic %s: %w", h.Room, p.Name, err)
	}
	return nil
}

// AddWorker registers w on the room's queue with the kind's label for people ("" keeps the
// args' own Label method).
func AddWorker[T river.JobArgs](h *Host, w river.Worker[T], label string) error {
	if err := jobs.AddWorker(h.Jobs, w); err != nil {
		return fmt.Errorf("room %s: %w", h.Room, err)
	}
	if label != "" {
		var zero T
		h.Jobs.SetKindLabel(zero.Kind(), label)
	}
	return nil
}

// Resolve registers how the janitor settles the room's operation when its outcome is unknown:
// r asks the provider, never resends. staleAfter is how long a call of this operation may stay
// pending or sending before it is asked about — longer than the call's own timeout (zero:
// the janitor's default of 2 minutes).
func (h *Host) Resolve(operation string, r attempt.Resolver, staleAfter time.Duration) {
	h.Janitor.HandleAfter(h.Room, operation, r, staleAfter)
}

// SimulatorURL is the base URL of the HTTP simulator name as this kessai reaches it
// (BaseURL/sandbox/name), false when no such simulator is mounted.
func (h *Host) SimulatorURL(name string) (string, bool) {
	if h.Sandbox == nil {
		return "", false
	}
	s, ok := h.Sandbox.Lookup(name)
	if !ok || s.Handler == nil {
		return "", false
	}
	return h.BaseURL + s.Prefix(), true
}

// Check reports what is wrong with a room's declaration.
func (r Room) Check() error {
	if r.Name == "" || r.Label == "" || r.Attach == nil {
		return fmt.Errorf("room %q: needs Name, Label and Attach", r.Name)
	}
	return nil
}
