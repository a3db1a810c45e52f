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

	"kessai/internal/app"
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
