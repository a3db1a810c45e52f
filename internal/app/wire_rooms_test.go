package app

import (
	"context"
	"io"
	"log/slog"
	"testing"

	"kessai/internal/platform/db/dbtest"
)

// TestPayoutRoomBuiltOnce: the pages, the API and the jobs share one payout room, hence one
// bank Connection and one TokenHolder (two holders would race the refresh-token rotation).
func TestPayoutRoomBuiltOnce(t *testing.T) {
	t.Parallel()
	cfg := Config{DataDir: t.TempDir(), DatabaseURL: dbtest.URL(t), LogFormat: "text", ShutdownTimeout: 5_000_000_000,
		SandboxClock: true, AdminEmail: "admin@example.com", AdminPass: "admin-password-1", BaseURL: "http://127.0.0.1:1"}
	a, err := New(context.Background(), cfg, slog.New(slog.NewTextHandler(io.Discard, nil)), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() })
	r1, err := a.payoutRoom()
	if err != nil {
		t.Fatal(err)
	}
	r2, err := a.payoutRoom()
	if err != nil {
		t.Fatal(err)
	}
	if r1 != r2 || r1.conn != r2.conn {
		t.Fatal("payoutRoom built a second room (a second Connection and TokenHolder)")
	}
}
