package bulk_test

import (
	"context"
	"testing"
	"time"

	"golang.org/x/text/encoding/japanese"

	"kessai/internal/platform/auth"
	"kessai/internal/platform/bulk"
	"kessai/internal/platform/db"
	"kessai/internal/platform/jobs"
)

// startQueue wires s to a queue on d; start=false leaves it stopped (jobs wait).
func startQueue(t *testing.T, s *bulk.Service, d *db.DB, start bool) *jobs.Queue {
	t.Helper()
	ctx := context.Background()
	q, err := jobs.New(ctx, d, jobs.Config{PollInterval: 20 * time.Millisecond, ScheduleEvery: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	if err := bulk.UseQueue(s, q); err != nil {
		t.Fatal(err)
	}
	if start {
		if err := q.Start(ctx); err != nil {
			t.Fatal(err)
		}
	}
	t.Cleanup(func() {
		sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = q.Stop(sctx)
		q.Close()
	})
	return q
}

func waitFinished(t *testing.T, s *bulk.Service, id string) bulk.Run {
	t.Helper()
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		run, err := s.Get(context.Background(), id)
		if err != nil {
			t.Fatal(err)
		}
		if run.Finished() {
			return run
		}
		if time.Now().After(deadline) {
			t.Fatalf("run still %s after 20s", run.State)
		}
	}
}

func bulkJobs(t *testing.T, q *jobs.Queue) []jobs.Job {
	t.Helper()
	list, _, err := q.List(context.Background(), jobs.Filter{Kind: "bulk.run"}, 0, 10)
	if err != nil {
		t.Fatal(err)
	}
	return list
}

func TestJobReportsCountsAndCSV(t *testing.T) {
	t.Parallel()
	s, d := setup(t, 3, false)
	q := startQueue(t, s, d, true)
	ctx := context.Background()
	id, _, err := s.Start(auth.WithPrincipal(ctx, staff), bulk.Request{Action: "finish", Token: "report",
		IDs: []string{"t00000", "nope", "t00001"}})
	if err != nil {
		t.Fatal(err)
	}
	waitFinished(t, s, id)
	var run *jobs.Run
	for deadline := time.Now().Add(10 * time.Second); run == nil || run.CSVSize == 0; time.Sleep(20 * time.Millisecond) {
		list := bulkJobs(t, q)
		if len(list) != 1 {
			t.Fatalf("%d bulk.run jobs, want 1", len(list))
		}
		run, _ = q.GetRun(ctx, list[0].ID)
		if time.Now().After(deadline) {
			t.Fatalf("job reported %+v", run)
		}
	}
	if run.Done != 3 || run.Total != 3 {
		t.Errorf("progress %d/%d, want 3/3", run.Done, run.Total)
	}
	want := []jobs.Count{
		{Label: "完了", N: 2, Link: "/things?bulk_run=" + id + "&outcome=done"},
		{Label: "エラー", N: 1, Link: "/things?bulk_run=" + id + "&outcome=error"},
	}
	if len(run.Counts) != len(want) {
		t.Fatalf("counts %+v", run.Counts)
	}
	for i := range want {
		if run.Counts[i] != want[i] {
			t.Errorf("count %d = %+v, want %+v", i, run.Counts[i], want[i])
		}
	}
	name, data, err := q.ResultCSV(ctx, run.JobID)
	if err != nil {
		t.Fatal(err)
	}
	text, err := japanese.ShiftJIS.NewDecoder().Bytes(data)
	if err != nil {
		t.Fatal(err)
	}
	wantCSV := "ID,もの,結果,理由\r\nt00000,,完了,\r\nnope,,エラー,見つかりません\r\nt00001,,完了,\r\n"
	if string(text) != wantCSV || name != "bulk-"+id+".csv" {
		t.Errorf("csv %s =\n%q\nwant\n%q", name, text, wantCSV)
	}
	job, err := q.Get(ctx, run.JobID)
	if err != nil {
		t.Fatal(err)
	}
	if got := q.Link(job.Kind, job.EncodedArgs); got != "/bulk/runs/"+id {
		t.Errorf("link = %q", got)
	}
	if got := q.KindLabel("bulk.run"); got != "一括操作" {
		t.Errorf("label = %q", got)
	}
}

// A run whose enqueue was lost (committed, then a crash before Insert) is found by the sweep,
// which never gives one run two live jobs.
func TestSweepRestartsLostRuns(t *testing.T) {
	t.Parallel()
	s, d := setup(t, 2, false)
	q := startQueue(t, s, d, false)
	ctx := context.Background()
	s.SetRunner(manual{}) // the lost enqueue
	id, _, err := s.Start(auth.WithPrincipal(ctx, staff), bulk.Request{Action: "finish", Token: "lost", IDs: []string{"t00000", "t00001"}})
	if err != nil {
		t.Fatal(err)
	}
	s.SetRunner(bulk.QueueRunner{Queue: q})
	if n, err := s.Sweep(ctx); err != nil || n != 0 {
		t.Fatalf("sweep of a new run = %d, %v; want 0 (its enqueue may be under way)", n, err)
	}
	if _, err := d.ExecContext(ctx, `UPDATE bulk_runs SET created_at = ? WHERE id = ?`, time.Date(2026, 11, 20, 0, 58, 0, 0, time.UTC), id); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if n, err := s.Sweep(ctx); err != nil || n != 1 {
			t.Fatalf("sweep = %d, %v; want 1", n, err)
		}
	}
	if list := bulkJobs(t, q); len(list) != 1 {
		t.Fatalf("%d bulk.run jobs after two sweeps, want 1", len(list))
	}
	if err := q.Start(ctx); err != nil {
		t.Fatal(err)
	}
	if run := waitFinished(t, s, id); run.State != bulk.StateFinished || run.Counts["done"] != 2 {
		t.Errorf("run = %+v", run)
	}
	// Finished runs are left alone.
	if n, err := s.Sweep(ctx); err != nil || n != 0 {
		t.Errorf("sweep after the run finished = %d, %v", n, err)
	}
	if list := bulkJobs(t, q); len(list) != 1 {
		t.Errorf("%d bulk.run jobs, want 1", len(list))
	}
}
