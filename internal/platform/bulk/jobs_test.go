package bulk_test

import (
	"context"
	"testing"
	"time"

	"kessai/internal/platform/auth"
	"kessai/internal/platform/bulk"
	"kessai/internal/platform/jobs"
)

func TestRunAsJob(t *testing.T) {
	t.Parallel()
	s, d := setup(t, 5, false)
	ctx := context.Background()
	q, err := jobs.New(ctx, d, jobs.Config{PollInterval: 20 * time.Millisecond, ScheduleEvery: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	if err := bulk.UseQueue(s, q); err != nil {
		t.Fatal(err)
	}
	if err := q.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = q.Stop(sctx)
		q.Close()
	})
	id, _, err := s.Start(auth.WithPrincipal(ctx, staff), bulk.Request{Action: "finish", Token: "job", IDs: []string{"t00000", "t00004"}})
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(20 * time.Second)
	for {
		run, err := s.Get(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if run.Finished() {
			if run.Counts["done"] != 2 {
				t.Errorf("counts %v", run.Counts)
			}
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("run still %s after 20s", run.State)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
