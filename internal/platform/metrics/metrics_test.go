package metrics_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"kessai/internal/platform/metrics"
)

func TestRequestsAndCollectors(t *testing.T) {
	t.Parallel()
	route := metrics.RouteMatcher(func() []string { return []string{"GET /jobs/{id}", "/static/", "POST /jobs/{id}/retry"} })
	reg := metrics.NewRegistry(route)
	obs := []struct {
		method, path string
		status       int
		d            time.Duration
	}{
		{"GET", "/jobs/1", 200, 3 * time.Millisecond},
		{"GET", "/jobs/2", 200, 70 * time.Millisecond},
		{"POST", "/jobs/2/retry", 303, time.Millisecond},
		{"GET", "/static/style.css", 0, time.Millisecond}, // 0: handler wrote nothing, which is 200
		{"GET", "/nope", 404, time.Millisecond},
	}
	for _, o := range obs {
		reg.Observe(httptest.NewRequest(o.method, o.path, nil), o.status, o.d)
	}
	h := reg.Handler(slog.New(slog.DiscardHandler),
		func(ctx context.Context, w *metrics.Writer) error {
			w.Family("kessai_up", "Up.", "gauge")
			w.Sample("kessai_up", 1, "note", `a "quoted"\ value`)
			return nil
		},
		func(ctx context.Context, w *metrics.Writer) error { return errors.New("broken source") },
	)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	body, _ := io.ReadAll(rec.Body)
	got := string(body)
	for _, want := range []string{
		"# TYPE kessai_http_requests_total counter\n",
		`kessai_http_requests_total{method="GET",route="/jobs/{id}",code="2xx"} 2` + "\n",
		`kessai_http_requests_total{method="POST",route="/jobs/{id}/retry",code="3xx"} 1` + "\n",
		`kessai_http_requests_total{method="GET",route="/static/",code="2xx"} 1` + "\n",
		`kessai_http_requests_total{method="GET",route="other",code="4xx"} 1` + "\n",
		`kessai_http_request_duration_seconds_bucket{method="GET",route="/jobs/{id}",code="2xx",le="0.005"} 1` + "\n",
		`kessai_http_request_duration_seconds_bucket{method="GET",route="/jobs/{id}",code="2xx",le="0.1"} 2` + "\n",
		`kessai_http_request_duration_seconds_bucket{method="GET",route="/jobs/{id}",code="2xx",le="+Inf"} 2` + "\n",
		`kessai_http_request_duration_seconds_count{method="GET",route="/jobs/{id}",code="2xx"} 2` + "\n",
		`kessai_up{note="a \"quoted\"\\ value"} 1` + "\n",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("exposition lacks %q\n%s", want, got)
		}
	}
	if ct := rec.Header().Get("Content-Type"); !strings.HasPrefix(ct, "text/plain; version=0.0.4") {
		t.Errorf("Content-Type = %q", ct)
	}
	if strings.Count(got, "# TYPE kessai_http_request_duration_seconds histogram") != 1 {
		t.Error("histogram family declared more than once")
	}
}

func BenchmarkObserve(b *testing.B) {
	reg := metrics.NewRegistry(metrics.RouteMatcher(func() []string { return []string{"GET /jobs/{id}"} }))
	r := httptest.NewRequest("GET", "/jobs/1", nil)
	for b.Loop() {
		reg.Observe(r, 200, time.Millisecond)
	}
}
