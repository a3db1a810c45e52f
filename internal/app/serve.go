package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"runtime"
	"strings"
	"time"

	"kessai/internal/api"
	"kessai/internal/commerce"
	"kessai/internal/platform/attempt"
	"kessai/internal/platform/auth"
	"kessai/internal/platform/bulk"
	"kessai/internal/platform/clock"
	"kessai/internal/platform/connection"
	"kessai/internal/platform/db"
	"kessai/internal/platform/jobs"
	"kessai/internal/platform/logs"
	"kessai/internal/platform/metrics"
	"kessai/internal/room"
	"kessai/internal/sandbox"
	"kessai/internal/web"
)

// App is a running kessai: what the serve command and the end-to-end tests hold.
type App struct {
	Config Config
	Log    *slog.Logger
	DB     *db.DB
	Clock  *clock.Sandbox
	Shell  *web.Shell
	// Platform is the shared plumbing every part uses: auth, audit log, secrets (wire_platform.go).
	Platform *Platform
	// Commerce is the store of the shared records: shops, customers, orders, cases, subscriptions (wire_commerce.go).
	Commerce *commerce.Store
	// Bulk runs one action over many records; CommercePages holds the case/customer/order
	// pages where rooms add case tabs (wire_commerce.go).
	Bulk          *bulk.Service
	BulkPages     *web.BulkPages
	CommercePages *commerce.Pages
	// Jobs is the job queue (River): rooms register workers and periodic jobs on it before
	// Start and enqueue with Jobs.Insert (wire_jobs.go).
	Jobs *jobs.Queue
	// Metrics counts HTTP requests for /metrics (wire_jobs.go).
	Metrics *metrics.Registry
	// Sandbox is the simulators' home (wire_sandbox.go); Simulator returns one by name.
	Sandbox *sandbox.Home
	// Connections are the provider connections, keyed by provider (wire_platform.go).
	Connections *connection.Registry
	// API is /api/v1; Attempts and Janitor the shared outgoing-call log and its janitor
	// (wire_api.go, wire_rooms.go).
	API      *api.API
	Attempts *attempt.Log
	Janitor  *attempt.Janitor

	// rooms are the workflow rooms this App attached (rooms.go).
	rooms []room.Room

	// stdout receives the one-time bootstrap messages (the first admin's generated password).
	stdout  io.Writer
	handler http.Handler
	// middleware wraps the shell, outermost last (auth puts the principal in the context).
	middleware []func(http.Handler) http.Handler
	// observe is told about every finished request (metrics).
	observe web.Observer
	// starters run when Serve starts (job queue), stoppers when it drains, closers at Close.
	starters []func(context.Context) error
	stoppers []func(context.Context) error
	closers  []func() error
}

// migrations lists every package's migrations in dependency order: a package that references
// another's tables comes after it; the rooms' come last, in the room list's order.
func migrations(rooms []room.Room) []db.Migrations {
	var out []db.Migrations
	out = append(out, platformMigrations()...)
	out = append(out, commerceMigrations()...)
	out = append(out, attempt.Migrations)
	for _, r := range rooms {
		out = append(out, r.Migrations...)
	}
	return out
}

// wiring is the order in which the parts are attached to a new App. Each step lives in its own
// wire_*.go file so the parts can grow without touching each other.
func (a *App) wiring() []func(context.Context) error {
	return []func(context.Context) error{
		a.wirePlatform, // secrets, audit, auth (sessions, API keys, CSRF), provider connections
		a.wireJobs,     // River on SQLite or PostgreSQL, periodic schedule, ジョブ管理
		a.wireCommerce, // shops, customers, orders, cases, subscriptions: pages, CSV, demo
		a.wireSandbox,  // the rooms' simulators under /sandbox/ and on their ports, サンドボックス page, clock
		a.wireAPI,      // /api/v1 conventions and commerce's operations
		a.wireRooms,    // every room of the room list (rooms.go), through the room contract
		a.wireDoc,      // the OpenAPI document (last: it lists every API route)
	}
}

// openDB opens and migrates the configured database.
func openDB(ctx context.Context, cfg Config, log *slog.Logger) (*db.DB, error) {
	d, err := db.Open(ctx, cfg.DatabaseURL, cfg.DataDir)
	if err != nil {
		return nil, err
	}
	n, err := d.Migrate(ctx, migrations(cfg.roomList())...)
	if err != nil {
		d.Close()
		return nil, err
	}
	if err := d.Analyze(ctx); err != nil {
		log.Warn("analyze", "err", err) // plans without statistics are slower, not wrong
	}
	log.Info("database ready", "engine", d.Dialect(), "migrations_applied", n)
	return d, nil
}

// New builds an App from cfg: database opened and migrated, routes registered. Nothing listens
// yet; Serve does that.
func New(ctx context.Context, cfg Config, log *slog.Logger, stdout io.Writer) (*App, error) {
	d, err := openDB(ctx, cfg, log)
	if err != nil {
		return nil, err
	}
	a := &App{Config: cfg, Log: log, DB: d, Clock: clock.NewSandbox(), stdout: stdout, rooms: cfg.roomList()}
	a.closers = append(a.closers, d.Close)
	// The sandbox clock continues where it was moved to before the restart.
	if err := sandbox.RestoreClock(a.Clock, a.sandboxClockPath()); err != nil {
		a.Close()
		return nil, err
	}
	render, err := web.NewRenderer(a.Clock, true)
	if err != nil {
		a.Close()
		return nil, err
	}
	a.Shell = web.NewShell(render)
	a.Shell.HandleFunc(http.MethodGet, "/healthz", auth.PermPublic, "稼働確認", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		fmt.Fprintln(w, "ok")
	})
	a.Shell.HandleFunc(http.MethodGet, "/readyz", auth.PermPublic, "準備確認（DB接続・マイグレーション）", a.readyz)
	for _, wire := range a.wiring() {
		if err := wire(ctx); err != nil {
			a.Close()
			return nil, err
		}
	}
	var h http.Handler = a.Shell
	for _, mw := range a.middleware {
		h = mw(h)
	}
	h = web.WithDeadline(a.Config.RequestTimeout, h)
	// Bodies are capped (by route) before the auth middleware's CSRF check reads a form.
	h = a.Shell.Bound(a.limits(), h)
	// Past what the machine answers, requests are refused quickly instead of all slowing down.
	// Provider posts (Foreign: /kantan/notify, the simulators) are never refused.
	h = web.WithAdmission(a.maxConcurrent(), admissionWait, a.Platform.Web.Foreign, h)
	h = web.WithSecurityHeaders(strings.HasPrefix(cfg.BaseURL, "https://"), h)
	h = web.WithLogging(log, a.observe, h)
	h = web.WithRequestID(h)
	// Outermost: every request's context carries the one logger (logs.From).
	h = logs.Middleware(log, h)
	a.handler = h
	return a, nil
}

// admissionWait is how long a request waits for a free slot before it answers 503.
const admissionWait = time.Second

func (a *App) maxConcurrent() int {
	if a.Config.MaxConcurrent == 0 {
		return 8 * runtime.GOMAXPROCS(0)
	}
	return a.Config.MaxConcurrent
}

// limits are the request bounds of web.Router.Bound from the config.
func (a *App) limits() web.Limits {
	return web.Limits{MaxUpload: a.Config.MaxImportBytes, BodyTimeout: a.Config.BodyTimeout, UploadIdle: a.Config.UploadIdle,
		WriteTimeout: writeTimeout, TempDir: a.Config.UploadDir}
}

// Server timeouts. A request's header must arrive within readHeaderTimeout; its body gets
// web.Limits' time (20 s for a bounded body, an upload as long as it keeps arriving at 256 KiB
// a minute); the response gets writeTimeout, counted from the end of an upload's file (enough
// for a CSV export of a million rows). An idle keep-alive connection is closed after idleTimeout.
const (
	readHeaderTimeout = 10 * time.Second
	writeTimeout      = 10 * time.Minute
	idleTimeout       = 60 * time.Second
)

// ConfigureServer sets srv's timeouts (serve and the end-to-end tests use the same).
func (a *App) ConfigureServer(srv *http.Server) { setTimeouts(srv, a.Config.BodyTimeout) }

// setTimeouts bounds every phase of srv's connections; a body gets bodyTimeout (20 s at least).
func setTimeouts(srv *http.Server, bodyTimeout time.Duration) {
	srv.ReadHeaderTimeout = readHeaderTimeout
	// ReadTimeout backs up web.Limits for a body no middleware saw (an upload route extends it).
	srv.ReadTimeout = readHeaderTimeout + max(bodyTimeout, 20*time.Second)
	srv.WriteTimeout = writeTimeout
	srv.IdleTimeout = idleTimeout
	srv.MaxHeaderBytes = 1 << 20
}

// Handler is the whole HTTP handler (tests serve it with httptest).
func (a *App) Handler() http.Handler { return a.handler }

// Close releases everything New opened, in reverse order.
func (a *App) Close() error {
	var errs []error
	for i := len(a.closers) - 1; i >= 0; i-- {
		errs = append(errs, a.closers[i]())
	}
	return errors.Join(errs...)
}

func (a *App) readyz(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 3*time.Second)
	defer cancel()
	if err := a.DB.SQL.PingContext(ctx); err != nil {
		http.Error(w, "database unreachable: "+err.Error(), http.StatusServiceUnavailable)
		return
	}
	pending, err := a.DB.Pending(ctx, migrations(a.rooms)...)
	if err != nil || pending > 0 {
		http.Error(w, fmt.Sprintf("migrations pending: %d %v", pending, err), http.StatusServiceUnavailable)
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	fmt.Fprintln(w, "ready")
}

func serve(ctx context.Context, cfg Config, stdout, stderr io.Writer) error {
	log := newLogger(cfg.LogFormat, stderr)
	// Listen first: a busy port fails before anything is migrated, and with port 0 the URLs
	// kessai prints and gives the bank (OAuth redirect) carry the port actually chosen.
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", cfg.Addr, err)
	}
	if cfg.BaseURL == "http://"+cfg.Addr {
		cfg.BaseURL = "http://" + ln.Addr().String()
	}
	a, err := New(ctx, cfg, log, stdout)
	if err != nil {
		ln.Close()
		return err
	}
	defer a.Close()
	return a.Serve(ctx, ln, stdout)
}

// Serve serves HTTP on ln until ctx is cancelled, then drains: new connections stop, requests
// in flight get ShutdownTimeout to finish.
func (a *App) Serve(ctx context.Context, ln net.Listener, stdout io.Writer) error {
	srv := &http.Server{
		Handler:     a.handler,
		BaseContext: func(net.Listener) context.Context { return logs.With(context.WithoutCancel(ctx), a.Log) },
	}
	a.ConfigureServer(srv)
	if err := a.Start(ctx); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "kessai %s: http://%s\n", version(), ln.Addr())
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return fmt.Errorf("http server: %w", err)
	case <-ctx.Done():
	}
	a.Log.Info("shutting down", "timeout", a.Config.ShutdownTimeout.String())
	sctx, cancel := context.WithTimeout(context.Background(), a.Config.ShutdownTimeout)
	defer cancel()
	var errs []error
	if err := srv.Shutdown(sctx); err != nil {
		errs = append(errs, fmt.Errorf("http shutdown: %w", err))
	}
	// Jobs drain after HTTP so a request that enqueued work still sees it accepted.
	errs = append(errs, a.Stop(sctx))
	return errors.Join(errs...)
}

// Start starts the background parts (job queue, periodic schedule).
func (a *App) Start(ctx context.Context) error {
	// Jobs run in contexts derived from this one: they log with the app's logger too.
	ctx = logs.With(ctx, a.Log)
	for _, start := range a.starters {
		if err := start(ctx); err != nil {
			return err
		}
	}
	return nil
}

// Stop drains the background parts: running jobs finish or are left to be retried safely.
func (a *App) Stop(ctx context.Context) error {
	var errs []error
	for i := len(a.stoppers) - 1; i >= 0; i-- {
		errs = append(errs, a.stoppers[i](ctx))
	}
	return errors.Join(errs...)
}

func migrateCmd(ctx context.Context, cfg Config, stdout, stderr io.Writer) error {
	log := newLogger(cfg.LogFormat, stderr)
	d, err := openDB(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer d.Close()
	// The job queue's tables (River's and ours) are migrated by opening the queue.
	q, err := jobs.New(ctx, d, jobs.Config{Log: log})
	if err != nil {
		return err
	}
	q.Close()
	fmt.Fprintln(stdout, "migrations applied on", d.Dialect())
	return nil
}
