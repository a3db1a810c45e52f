package app

import (
	"context"
	"io"
	"log/slog"
	"strings"
	"testing"

	"kessai/internal/platform/db/dbtest"
)

// KESSAI_PAYOUT_NOT_FOUND_DAYS reaches the payout room through the room contract's Env: a bad
// value stops start-up naming the variable; a good one starts.
func TestPayoutNotFoundDaysFromEnv(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		value   string
		wantErr bool
	}{{"abc", true}, {"0", true}, {"7", false}} {
		cfg := Config{DataDir: t.TempDir(), DatabaseURL: dbtest.URL(t), LogFormat: "text", SandboxClock: true,
			AdminEmail: "admin@example.com", AdminPass: "admin-password-1", Addr: "127.0.0.1:0", BaseURL: "http://127.0.0.1:0",
			Getenv: func(k string) string {
				if k == "KESSAI_PAYOUT_NOT_FOUND_DAYS" {
					return tc.value
				}
				return ""
			}}
		a, err := New(context.Background(), cfg, slog.New(slog.NewTextHandler(io.Discard, nil)), io.Discard)
		if a != nil {
			a.Close()
		}
		if tc.wantErr != (err != nil) || (err != nil && !strings.Contains(err.Error(), "KESSAI_PAYOUT_NOT_FOUND_DAYS")) {
			t.Errorf("%q: %v, want error %v naming the variable", tc.value, err, tc.wantErr)
		}
	}
}
