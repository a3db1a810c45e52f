package app_test

import (
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"kessai/internal/app"
	"kessai/internal/app/apptest"
	"kessai/internal/platform/auth"
	"kessai/internal/platform/db/dbtest"
	"kessai/internal/platform/jobs"
)

func fastJobs(c *app.Config) { c.JobPollInterval = 20 * time.Millisecond }

// waitHeartbeat waits until a system.heartbeat job has run to completion on in: its row is
// written inside the job, a moment before River marks the job completed, so the row alone is
// not enough for the tests that count completed jobs.
func waitHeartbeat(t *testing.T, in *apptest.Instance) {
	t.Helper()
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		last, err := in.App.Jobs.LastHeartbeat(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		done, _, err := in.App.Jobs.List(context.Background(), jobs.Filter{Kind: jobs.HeartbeatArgs{}.Kind(), State: "completed"}, 0, 1)
		if err != nil {
			t.Fatal(err)
		}
		if !last.IsZero() && len(done) > 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatal("system.heartbeat never completed")
		}
	}
}

func TestMetricsAndJobsPage(t *testing.T) {
	t.Parallel()
	in := apptest.Start(t, apptest.Options{Configure: fastJobs})
	waitHeartbeat(t, in)
	anon := in.Anonymous(t)
	if res := anon.Get("/healthz"); res.Status != http.StatusOK {
		t.Fatalf("/healthz = %d", res.Status)
	}
	if res := anon.Get("/jobs"); res.Status != http.StatusSeeOther || !strings.HasPrefix(res.Location, "/login") {
		t.Fatalf("/jobs without a session = %d → %q, want a redirect to /login", res.Status, res.Location)
	}
	viewer := in.Client(t, auth.RoleViewer)
	if res := viewer.Get("/jobs?kind=system.heartbeat"); res.Status != http.StatusOK || !strings.Contains(res.Body, "system.heartbeat") || !strings.Contains(res.Body, "完了") {
		t.Fatalf("/jobs for a viewer = %d\n%s", res.Status, res.Body)
	}
	res := anon.Get("/metrics")
	if res.Status != http.StatusOK {
		t.Fatalf("/metrics = %d", res.Status)
	}
	for _, want := range []string{
		`kessai_http_requests_total{method="GET",route="/healthz",code="2xx"} 1`,
		`kessai_http_requests_total{method="GET",route="/jobs",code="3xx"} 1`,
		`kessai_http_request_duration_seconds_bucket{method="GET",route="/healthz",code="2xx",le="+Inf"} 1`,
		`kessai_database_up{engine="` + dbtest.Engine() + `"} 1`,
		`kessai_jobs{kind="system.heartbeat",state="completed"} `, // 1, or 2 across a minute boundary
		`kessai_build_info{version="`,
		`kessai_jobs_heartbeat_timestamp_seconds `,
	} {
		if !strings.Contains(res.Body, want) {
			t.Errorf("/metrics lacks %q\n%s", want, res.Body)
		}
	}
	if strings.Contains(res.Body, `kessai_jobs{kind="system.heartbeat",state="completed"} 0`) {
		t.Errorf("/metrics counts no completed heartbeat")
	}
}

type slowArgs struct{}

func (slowArgs) Kind() string { return "test.slow" }

type slowWorker struct {
	river.WorkerDefaults[slowArgs]
	started chan struct{}
	done    atomic.Int32
}

func (w *slowWorker) Work(ctx context.Context, job *river.Job[slowArgs]) error {
	w.started <- struct{}{}
	select {
	case <-time.After(300 * time.Millisecond):
	case <-ctx.Done():
		return ctx.Err()
	}
	w.done.Add(1)
	return nil
}

// Serve drains on shutdown: HTTP first, then the job running at that moment finishes.
func TestServeDrainsRunningJob(t *testing.T) {
	t.Parallel()
	cfg := app.Config{DataDir: t.TempDir(), DatabaseURL: dbtest.URL(t), LogFormat: "text",
		ShutdownTimeout: 10 * time.Second, SandboxClock: true, JobPollInterval: 20 * time.Millisecond,
		AdminEmail: "admin@example.com", AdminPass: "admin-password-1"}
	a, err := app.New(context.Background(), cfg, slog.New(slog.DiscardHandler), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	w := &slowWorker{started: make(chan struct{}, 1)}
	if err := jobs.AddWorker(a.Jobs, w); err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, stop := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- a.Serve(ctx, ln, io.Discard) }()
	id, _, err := a.Jobs.Insert(context.Background(), slowArgs{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	<-w.started
	stop()
	if err := <-served; err != nil {
		t.Fatalf("Serve: %v", err)
	}
	if w.done.Load() != 1 {
		t.Fatal("the running job did not finish before Serve returned")
	}
	row, err := a.Jobs.Get(context.Background(), id)
	if err != nil || row.State != rivertype.JobStateCompleted {
		t.Fatalf("job after shutdown: %+v, %v", row, err)
	}
	if _, err := http.Get("http://" + ln.Addr().String() + "/healthz"); err == nil {
		t.Error("HTTP still answers after shutdown")
	}
}
