package jobs_test

import (
	"context"
	"testing"

	"kessai/internal/platform/db/dbtest"
	"kessai/internal/platform/jobs"
)

func TestKindLabels(t *testing.T) {
	t.Parallel()
	d := dbtest.Open(t, jobs.Migrations)
	q, err := jobs.New(context.Background(), d, jobs.Config{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { q.Close() })
	q.SetKindLabel("payout.poll", "振込状況の確認")
	tests := []struct{ kind, want string }{
		{"system.heartbeat", "稼働確認"},     // from HeartbeatArgs.Label
		{"payout.poll", "振込状況の確認"},       // from SetKindLabel
		{"test.unknown", "test.unknown"}, // falls back to the code
	}
	for _, tt := range tests {
		if got := q.KindLabel(tt.kind); got != tt.want {
			t.Errorf("KindLabel(%s) = %q, want %q", tt.kind, got, tt.want)
		}
	}
	if got := q.Link("system.heartbeat", []byte(`{}`)); got != "" {
		t.Errorf("heartbeat link = %q", got)
	}
}
