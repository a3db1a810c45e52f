// Package apptest starts a whole kessai — real database (SQLite, or PostgreSQL when the test run
// selects it), real HTTP server, in-process simulators — for end-to-end tests.
package apptest

import (
	"context"
	"io"
	"log/slog"
	"net/http/httptest"
	"os"
	"testing"
	"time"

	"kessai/internal/app"
	"kessai/internal/platform/clock"
	"kessai/internal/platform/db/dbtest"
)

// Instance is a running kessai.
type Instance struct {
	App *app.App
	URL string // base URL, no trailing slash
	srv *httptest.Server
}

// Options adjust the instance; the zero value is fine.
type Options struct {
	// DatabaseURL shares a database between instances; empty gives the test its own.
	DatabaseURL string
	// DataDir shares a data dir (SQLite file, key file); empty gives the test its own.
	DataDir string
	// Configure may change the config before the app is built.
	Configure func(*app.Config)
	// BankHours moves the sandbox clock forward, when needed, to 10:00 JST on the next bank
	// business day, so a test of bank transfers passes on any day it runs: the bank holds a
	// transfer to another bank executed on a Saturday, a holiday or at night until the next
	// business day, and it would not complete.
	BankHours bool
	// Built may adjust the built app's services before it starts and serves (nothing runs
	// yet, so no request races the change).
	Built func(*app.App)
}

// Start builds and serves a kessai for t; it is closed when t ends.
func Start(t testing.TB, opts Options) *Instance {
	t.Helper()
	cfg := app.Config{
		DataDir:         opts.DataDir,
		DatabaseURL:     opts.DatabaseURL,
		LogFormat:       "text",
		ShutdownTimeout: 5_000_000_000,
		SandboxClock:    true,
		AdminEmail:      "admin@example.com",
		AdminPass:       "admin-password-1",
	}
	if cfg.DataDir == "" {
		cfg.DataDir = t.TempDir()
	}
	if cfg.DatabaseURL == "" {
		cfg.DatabaseURL = dbtest.URL(t)
	}
	srv := httptest.NewUnstartedServer(nil)
	cfg.Addr = srv.Listener.Addr().String()
	cfg.BaseURL = "http://" + cfg.Addr
	if opts.Configure != nil {
		opts.Configure(&cfg)
	}
	var logw io.Writer = io.Discard
	if os.Getenv("KESSAI_TEST_LOG") != "" {
		logw = os.Stderr
	}
	a, err := app.New(context.Background(), cfg, slog.New(slog.NewTextHandler(logw, nil)), io.Discard)
	if err != nil {
		t.Fatalf("apptest: build app: %v", err)
	}
	if opts.BankHours {
		a.Clock.Advance(UntilBankHours(a.Clock.Now()))
	}
	if opts.Built != nil {
		opts.Built(a)
	}
	if err := a.Start(context.Background()); err != nil {
		t.Fatalf("apptest: start app: %v", err)
	}
	srv.Config.Handler = a.Handler()
	a.ConfigureServer(srv.Config)
	srv.Start()
	t.Cleanup(func() {
		srv.Close()
		_ = a.Stop(context.Background())
		_ = a.Close()
	})
	return &Instance{App: a, URL: srv.URL, srv: srv}
}

// UntilBankHours is how far now is from bank hours: zero from 9:00 to 14:00 JST on a bank
// business day, otherwise the time until 10:00 JST on the next business day that has them.
func UntilBankHours(now time.Time) time.Duration {
	jst := now.In(clock.JST)
	open := clock.IsBusinessDay(jst)
	switch {
	case open && jst.Hour() >= 9 && jst.Hour() < 14:
		return 0
	case open && jst.Hour() < 9:
		return clock.BusinessDayOnOrAfter(jst).Add(10 * time.Hour).Sub(now)
	default:
		return clock.NextBusinessDay(jst).Add(10 * time.Hour).Sub(now)
	}
}
