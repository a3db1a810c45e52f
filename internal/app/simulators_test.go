package app

import (
	"context"
	"io"
	"log/slog"
	"slices"
	"testing"

	"kessai/internal/platform/clock"
	"kessai/internal/platform/db/dbtest"
)

// TestServeAndSandboxBuildTheSameSimulators: `kessai serve` and `kessai sandbox` build their
// simulators from one list, the rooms' Simulators.
func TestServeAndSandboxBuildTheSameSimulators(t *testing.T) {
	t.Parallel()
	var want []string
	for _, s := range simulatorSpecs(Rooms()) {
		if !slices.Contains(want, s.Name) {
			want = append(want, s.Name)
		}
	}
	if len(want) == 0 {
		t.Fatal("no room lists a simulator")
	}
	_, home, err := sandboxHandler(clock.NewSandbox(), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	cfg := Config{DataDir: t.TempDir(), DatabaseURL: dbtest.URL(t), LogFormat: "text", ShutdownTimeout: 5_000_000_000,
		SandboxClock: true, AdminEmail: "admin@example.com", AdminPass: "admin-password-1", BaseURL: "http://127.0.0.1:1"}
	a, err := New(context.Background(), cfg, slog.New(slog.NewTextHandler(io.Discard, nil)), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() })
	var standalone, served []string
	for _, s := range home.Snapshot(context.Background()).Simulators {
		standalone = append(standalone, s.Name)
	}
	for _, s := range a.Sandbox.Snapshot(context.Background()).Simulators {
		served = append(served, s.Name)
	}
	if !slices.Equal(standalone, want) || !slices.Equal(served, want) {
		t.Fatalf("simulators: kessai sandbox %v, kessai serve %v, room list %v", standalone, served, want)
	}
}
