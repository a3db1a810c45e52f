package web

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"kessai/internal/platform/db/dbtest"
)

// endless is a query that never finishes by itself on either engine: only the context stops it.
const endless = `WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT COUNT(*) FROM c`

// captureLog routes slog's default logger into a buffer for the test.
func captureLog(t *testing.T) *bytes.Buffer {
	var buf bytes.Buffer
	old := slog.Default()
	slog.SetDefault(slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug})))
	t.Cleanup(func() { slog.SetDefault(old) })
	return &buf
}

func TestRequestPastItsDeadlineAnswers503WithRetryAfter(t *testing.T) {
	d := dbtest.Open(t)
	logs := captureLog(t)
	h := WithDeadline(100*time.Millisecond, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var n int64
		err := d.QueryRowContext(r.Context(), endless).Scan(&n)
		WriteError(w, r, err)
	}))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/api/v1/orders", nil))
	if rec.Code != http.StatusServiceUnavailable {
		t.Fatalf("status = %d, want 503; body %s", rec.Code, rec.Body)
	}
	if got := rec.Header().Get("Retry-After"); got != "5" {
		t.Errorf("Retry-After = %q, want 5", got)
	}
	var body ErrorBody
	if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil || body.Error.Code != "unavailable" || !strings.Contains(body.Error.Message, "しばらくしてから") {
		t.Errorf("body = %s (%v), want code unavailable and a message to retry", rec.Body, err)
	}
	if strings.Contains(logs.String(), "level=ERROR") {
		t.Errorf("a timeout was logged as an error:\n%s", logs)
	}
}

func TestClientGoneIsLoggedAsSuchNotError(t *testing.T) {
	d := dbtest.Open(t)
	logs := captureLog(t)
	ctx, cancel := context.WithCancel(context.Background())
	h := WithDeadline(10*time.Second, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		time.AfterFunc(50*time.Millisecond, cancel) // the client hangs up mid-query
		var n int64
		err := d.QueryRowContext(r.Context(), endless).Scan(&n)
		WriteError(w, r, err)
	}))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/api/v1/orders", nil).WithContext(ctx))
	if rec.Code != StatusClientGone || rec.Body.Len() != 0 {
		t.Errorf("status %d body %q, want %d and no body", rec.Code, rec.Body, StatusClientGone)
	}
	if !strings.Contains(logs.String(), "client went away") || strings.Contains(logs.String(), "level=ERROR") {
		t.Errorf("logs:\n%s\nwant one INFO 'client went away' and no ERROR", logs)
	}
}

func TestLongRequestsHaveNoDeadline(t *testing.T) {
	for _, p := range []string{"GET /orders.csv", "POST /orders/import", "GET /api/v1/orders/export", "POST /bulk/runs", "POST /api/v1/transfers/bulk-request"} {
		var has bool
		h := WithDeadline(time.Second, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			_, has = r.Context().Deadline()
		}))
		method, path, _ := strings.Cut(p, " ")
		h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(method, path, nil))
		if has {
			t.Errorf("%s got a deadline; streaming routes and bulk starts are bounded by size", p)
		}
	}
	var has bool
	for _, p := range []string{"/orders", "/bulk/runs/blk_1/progress"} {
		has = false
		WithDeadline(time.Second, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			_, has = r.Context().Deadline()
		})).ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, p, nil))
		if !has {
			t.Errorf("GET %s has no deadline", p)
		}
	}
}

// With every slot taken, a request waits at most its admission wait and answers 503 with
// Retry-After; probes and a provider's notification still answer; once a slot is free the next request runs.
func TestAdmissionRefusesWhenFull(t *testing.T) {
	release, entered := make(chan struct{}), make(chan struct{}, 4)
	h := WithAdmission(2, 10*time.Millisecond, []string{"/kantan/notify"}, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/hold" {
			entered <- struct{}{}
			<-release
		}
		w.WriteHeader(http.StatusOK)
	}))
	done := make(chan int, 2)
	for range 2 {
		go func() {
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/hold", nil))
			done <- rec.Code
		}()
	}
	<-entered
	<-entered
	for _, path := range []string{"/api/v1/orders", "/orders"} {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
		if rec.Code != http.StatusServiceUnavailable || rec.Header().Get("Retry-After") == "" || !strings.Contains(rec.Body.String(), "混み合っている") {
			t.Fatalf("%s while full = %d %q %s", path, rec.Code, rec.Header().Get("Retry-After"), rec.Body)
		}
	}
	for _, path := range []string{"GET /healthz", "GET /orders.csv", "POST /kantan/notify"} {
		method, path, _ := strings.Cut(path, " ")
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(method, path, nil))
		if rec.Code != http.StatusOK {
			t.Fatalf("%s while full = %d, want it let through", path, rec.Code)
		}
	}
	close(release)
	for range 2 {
		if code := <-done; code != http.StatusOK {
			t.Fatalf("held request = %d", code)
		}
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/api/v1/orders", nil))
	if rec.Code != http.StatusOK {
		t.Fatalf("after release = %d", rec.Code)
	}
}
