package jobsui_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"kessai/internal/platform/audit"
	"kessai/internal/platform/auth"
	"kessai/internal/platform/clock"
	"kessai/internal/platform/db/dbtest"
	"kessai/internal/platform/jobs"
	"kessai/internal/platform/jobs/jobsui"
	"kessai/internal/web"
)

type reportArgs struct {
	Fail bool `json:"fail"`
}

func (reportArgs) Kind() string { return "test.report" }

// Label and Link are found by the queue: the page shows the label and links the record.
func (reportArgs) Label() string { return "テスト報告" }
func (a reportArgs) Link() string {
	if a.Fail {
		return ""
	}
	return "/things/ok"
}

type reporter struct {
	river.WorkerDefaults[reportArgs]
}

func (reporter) Work(ctx context.Context, job *river.Job[reportArgs]) error {
	if job.Args.Fail {
		return errors.New("接続できませんでした")
	}
	if err := jobs.Progress(ctx, 3, 3); err != nil {
		return err
	}
	return jobs.Finish(ctx, jobs.Result{Counts: []jobs.Count{{Label: "完了", N: 2}, {Label: "エラー", N: 1, Link: "/cases?err=1"}},
		CSV: []byte("\x83\x65\x83\x58\x83\x67\r\n"), CSVName: "洗替結果.csv"})
}

// withRole stands in for the auth middleware: the test picks the role per request.
func withRole(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if role := r.Header.Get("X-Test-Role"); role != "" {
			r = r.WithContext(auth.WithPrincipal(r.Context(), &auth.Principal{Kind: auth.KindUser, ID: "usr_1", Name: "tester", Role: auth.Role(role)}))
		}
		next.ServeHTTP(w, r)
	})
}

func TestPages(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	d := dbtest.Open(t, jobs.Migrations, audit.Migrations)
	q, err := jobs.New(ctx, d, jobs.Config{PollInterval: 20 * time.Millisecond, ScheduleEvery: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	if err := jobs.AddWorker(q, reporter{}); err != nil {
		t.Fatal(err)
	}
	if err := q.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		sctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		defer cancel()
		q.Stop(sctx)
		q.Close()
	})
	okID, _, err := q.Insert(ctx, reportArgs{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	failID, _, err := q.Insert(ctx, reportArgs{Fail: true}, &river.InsertOpts{MaxAttempts: 1})
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range []int64{okID, failID} {
		for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(20 * time.Millisecond) {
			row, err := q.Get(ctx, id)
			if err != nil {
				t.Fatal(err)
			}
			if row.State == rivertype.JobStateCompleted || row.State == rivertype.JobStateDiscarded {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("job %d still %s", id, row.State)
			}
		}
	}

	render, err := web.NewRenderer(clock.NewSandbox(), false)
	if err != nil {
		t.Fatal(err)
	}
	sh := web.NewShell(render)
	h := &jobsui.Handler{Queue: q, Render: render, Audit: &audit.Log{}, DB: d}
	if err := h.Routes(sh); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(withRole(sh))
	t.Cleanup(srv.Close)
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

	ids := func(id int64) string { return "/jobs/" + strings.TrimSpace(jsonNum(id)) }
	tests := []struct {
		name, method, path, role string
		status                   int
		contains                 []string
		lacks                    []string
	}{
		{"list needs a login", "GET", "/jobs", "", http.StatusSeeOther, nil, nil},
		{"list for a viewer", "GET", "/jobs?kind=test.report", "viewer", 200,
			[]string{"ジョブ管理", "<td>テスト報告<br>", `<option value="test.report" selected>テスト報告</option>`, `<option value="system.heartbeat" >稼働確認</option>`, "完了", "失敗", "完了 2", `<a href="/cases?err=1">エラー 1</a>`, "接続できませんでした", "全2件"}, nil},
		{"filtered by state", "GET", "/jobs?state=failed&kind=test.report", "viewer", 200,
			[]string{"接続できませんでした", "全1件"}, []string{"完了 2"}},
		{"unknown state", "GET", "/jobs?state=bogus", "viewer", http.StatusUnprocessableEntity, nil, nil},
		{"detail of a failed job", "GET", ids(failID), "admin", 200,
			[]string{"試行ごとのエラー", "接続できませんでした", "再実行", `&#34;fail&#34;: true`}, []string{">取消<"}},
		{"detail for a viewer has no actions", "GET", ids(failID), "viewer", 200, []string{"失敗"}, []string{"再実行</button>"}},
		{"detail for staff has no actions", "GET", ids(failID), "staff", 200, []string{"失敗"}, []string{"再実行</button>", "/retry"}},
		{"detail for an accountant has no actions", "GET", ids(failID), "accountant", 200, []string{"失敗"}, []string{"再実行</button>", "/retry"}},
		{"detail links what the job worked on", "GET", ids(okID), "viewer", 200, []string{"テスト報告", `<a href="/things/ok">処理の結果を見る</a>`}, []string{"取消</button>"}},
		{"no link without one", "GET", ids(failID), "viewer", 200, nil, []string{"処理の結果を見る"}},
		{"detail of an unknown job", "GET", "/jobs/987654", "viewer", http.StatusNotFound, nil, nil},
		{"result csv", "GET", ids(okID) + "/result.csv", "viewer", 200, []string{"\x83\x65\x83\x58\x83\x67\r\n"}, nil},
		{"no csv for the failed job", "GET", ids(failID) + "/result.csv", "viewer", http.StatusNotFound, nil, nil},
		{"viewer may not retry", "POST", ids(failID) + "/retry", "viewer", http.StatusForbidden, nil, nil},
		{"a completed job can't be cancelled", "POST", ids(okID) + "/cancel", "admin", http.StatusConflict, nil, nil},
		{"admin retries the failed job", "POST", ids(failID) + "/retry", "admin", http.StatusSeeOther, nil, nil},
	}
	for _, tt := range tests {
		req, _ := http.NewRequest(tt.method, srv.URL+tt.path, nil)
		if tt.role != "" {
			req.Header.Set("X-Test-Role", tt.role)
		}
		res, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != tt.status {
			t.Errorf("%s: status %d, want %d\n%s", tt.name, res.StatusCode, tt.status, body)
			continue
		}
		for _, s := range tt.contains {
			if !strings.Contains(string(body), s) {
				t.Errorf("%s: body lacks %q", tt.name, s)
			}
		}
		for _, s := range tt.lacks {
			if strings.Contains(string(body), s) {
				t.Errorf("%s: body has %q", tt.name, s)
			}
		}
		if tt.name == "result csv" {
			cd := res.Header.Get("Content-Disposition")
			if !strings.Contains(cd, `filename="job-`) || !strings.Contains(cd, "filename*=UTF-8''"+url.PathEscape("洗替結果.csv")) {
				t.Errorf("Content-Disposition = %q", cd)
			}
		}
	}

	// The retry was audited, and the job runs (and fails) again.
	var n int
	if err := d.QueryRowContext(ctx, `SELECT COUNT(*) FROM audit_log WHERE action = 'job.retry' AND record_id = ? AND actor_name = 'tester'`,
		jsonNum(failID)).Scan(&n); err != nil || n != 1 {
		t.Errorf("audit rows for the retry = %d, %v", n, err)
	}

	req, _ := http.NewRequest("GET", srv.URL+ids(okID)+"/progress", nil)
	req.Header.Set("X-Test-Role", "viewer")
	res, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var p struct {
		State     string       `json:"state"`
		Done      int          `json:"done"`
		Total     int          `json:"total"`
		Counts    []jobs.Count `json:"counts"`
		ResultURL string       `json:"result_url"`
	}
	if err := json.NewDecoder(res.Body).Decode(&p); err != nil {
		t.Fatal(err)
	}
	if p.State != "completed" || p.Done != 3 || p.Total != 3 || len(p.Counts) != 2 || !strings.HasSuffix(p.ResultURL, "/result.csv") {
		t.Errorf("progress = %+v", p)
	}
}

func jsonNum(id int64) string { b, _ := json.Marshal(id); return string(b) }

// ジョブ管理 shows times on the records' clock: with the sandbox clock 40 days ahead, a job run
// now is listed 40 days ahead, as the records it wrote are.
func TestTimesOnTheRecordsClock(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	d := dbtest.Open(t, jobs.Migrations, audit.Migrations)
	clk := clock.NewSandbox()
	clk.Advance(40 * 24 * time.Hour)
	q, err := jobs.New(ctx, d, jobs.Config{Clock: clk, PollInterval: 20 * time.Millisecond, ScheduleEvery: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	if err := jobs.AddWorker(q, reporter{}); err != nil {
		t.Fatal(err)
	}
	if err := q.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		sctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		defer cancel()
		q.Stop(sctx)
		q.Close()
	})
	id, _, err := q.Insert(ctx, reportArgs{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if row, err := q.Get(ctx, id); err != nil {
			t.Fatal(err)
		} else if row.State == rivertype.JobStateCompleted {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("job did not complete")
		}
	}
	render, err := web.NewRenderer(clk, false)
	if err != nil {
		t.Fatal(err)
	}
	sh := web.NewShell(render)
	if err := (&jobsui.Handler{Queue: q, Render: render, Audit: &audit.Log{}, DB: d}).Routes(sh); err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{"/jobs", "/jobs/" + jsonNum(id)} {
		req := httptest.NewRequest(http.MethodGet, path, nil)
		req.Header.Set("X-Test-Role", string(auth.RoleAdmin))
		rec := httptest.NewRecorder()
		withRole(sh).ServeHTTP(rec, req)
		body := rec.Body.String()
		want := web.FormatJST(clk.Now(), "2006/01/02")
		wall := web.FormatJST(time.Now(), "2006/01/02")
		if rec.Code != 200 || !strings.Contains(body, want) || strings.Contains(body, wall) {
			t.Errorf("%s: %d; want times on %s (the records' clock), not %s (the wall clock)", path, rec.Code, want, wall)
		}
	}
}
