package api_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"kessai/internal/api"
	"kessai/internal/platform/auth"
	"kessai/internal/platform/db/dbtest"
	"kessai/internal/platform/errs"
	"kessai/internal/web"
)

// testServer serves POST /api/v1/things through the idempotency middleware. The principal is
// the X-Test-Key header (a stand-in for the auth middleware, which this package doesn't own);
// the handler counts its runs and can be held to test concurrent retries.
type testServer struct {
	url   string
	idem  *api.Idempotency
	runs  atomic.Int32
	hold  chan struct{} // when non-nil, the handler waits on it
	now   atomic.Pointer[time.Time]
	entry chan struct{}
}

func newTestServer(t *testing.T) *testServer {
	t.Helper()
	d := dbtest.Open(t, api.Migrations)
	ts := &testServer{entry: make(chan struct{}, 10)}
	start := time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)
	ts.now.Store(&start)
	ts.idem = api.NewIdempotency(d, func() time.Time { return *ts.now.Load() })
	mux := http.NewServeMux()
	mux.HandleFunc("POST /api/v1/things", func(w http.ResponseWriter, r *http.Request) {
		n := ts.runs.Add(1)
		ts.entry <- struct{}{}
		if ts.hold != nil && n == 1 { // only the first run is held
			<-ts.hold
		}
		var in struct {
			Name string `json:"name"`
		}
		if err := web.DecodeJSON(r, &in); err != nil {
			web.WriteError(w, r, err)
			return
		}
		switch in.Name {
		case "boom":
			http.Error(w, "boom", http.StatusInternalServerError)
			return
		case "forbidden":
			web.WriteError(w, r, errs.Forbidden("だめ"))
			return
		}
		w.Header().Set("Location", "/api/v1/things/"+in.Name)
		web.WriteJSON(w, http.StatusCreated, map[string]any{"name": in.Name, "run": n})
	})
	var h http.Handler = ts.idem.Middleware(mux)
	h = principalFromHeader(h)
	h = web.WithRequestID(h)
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	ts.url = srv.URL
	return ts
}

func principalFromHeader(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if k := r.Header.Get("X-Test-Key"); k != "" {
			r = r.WithContext(auth.WithPrincipal(r.Context(), &auth.Principal{Kind: auth.KindAPIKey, ID: k, Role: auth.RoleStaff}))
		}
		next.ServeHTTP(w, r)
	})
}

type answer struct {
	status   int
	body     string
	replayed string
	location string
	code     string
}

func (ts *testServer) post(t *testing.T, principal, key, body string) answer {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, ts.url+"/api/v1/things", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if principal != "" {
		req.Header.Set("X-Test-Key", principal)
	}
	if key != "" {
		req.Header.Set(api.HeaderIdempotencyKey, key)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	a := answer{status: res.StatusCode, body: string(b), replayed: res.Header.Get(api.HeaderReplayed), location: res.Header.Get("Location")}
	var eb web.ErrorBody
	if json.Unmarshal(b, &eb) == nil {
		a.code = eb.Error.Code
	}
	return a
}

func TestIdempotencyReplayAndReuse(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	first := ts.post(t, "key_a", "k1", `{"name":"one"}`)
	if first.status != http.StatusCreated || first.replayed != "" {
		t.Fatalf("first: %+v", first)
	}
	tests := []struct {
		name, principal, key, body string
		wantStatus                 int
		wantReplayed, wantCode     string
		wantRuns                   int32
	}{
		{"same key, same body: replay", "key_a", "k1", `{"name":"one"}`, http.StatusCreated, "true", "", 1},
		{"same key, other body: refused", "key_a", "k1", `{"name":"two"}`, http.StatusUnprocessableEntity, "", api.CodeKeyReused, 1},
		{"same key, other principal: runs", "key_b", "k1", `{"name":"one"}`, http.StatusCreated, "", "", 2},
		{"no key: runs", "key_a", "", `{"name":"one"}`, http.StatusCreated, "", "", 3},
		{"new key: runs", "key_a", "k2", `{"name":"one"}`, http.StatusCreated, "", "", 4},
		{"key too long", "key_a", strings.Repeat("x", 256), `{"name":"one"}`, http.StatusUnprocessableEntity, "", "invalid", 4},
		{"key with a space", "key_a", "a b", `{"name":"one"}`, http.StatusUnprocessableEntity, "", "invalid", 4},
		{"key of 255 runs", "key_a", strings.Repeat("y", 255), `{"name":"one"}`, http.StatusCreated, "", "", 5},
		{"validation error is stored", "key_a", "k3", `{"name":`, http.StatusUnprocessableEntity, "", "invalid", 6},
		{"validation error replayed", "key_a", "k3", `{"name":`, http.StatusUnprocessableEntity, "true", "invalid", 6},
	}
	for _, tt := range tests {
		got := ts.post(t, tt.principal, tt.key, tt.body)
		if got.status != tt.wantStatus || got.replayed != tt.wantReplayed || got.code != tt.wantCode {
			t.Errorf("%s: got %d replayed=%q code=%q body=%s", tt.name, got.status, got.replayed, got.code, got.body)
		}
		if n := ts.runs.Load(); n != tt.wantRuns {
			t.Errorf("%s: handler ran %d times, want %d", tt.name, n, tt.wantRuns)
		}
	}
	again := ts.post(t, "key_a", "k1", `{"name":"one"}`)
	if again.body != first.body || again.location != "/api/v1/things/one" {
		t.Errorf("replay differs: %q %q, first %q", again.body, again.location, first.body)
	}
}

func TestIdempotencyFailureFreesKey(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		body   string
		status int
	}{
		{`{"name":"boom"}`, http.StatusInternalServerError},
		{`{"name":"forbidden"}`, http.StatusForbidden},
	} {
		ts := newTestServer(t)
		if got := ts.post(t, "key_a", "k", tt.body); got.status != tt.status {
			t.Fatalf("%s: got %+v", tt.body, got)
		}
		// The failed attempt left nothing behind: the retry runs (and a different body is allowed).
		if got := ts.post(t, "key_a", "k", `{"name":"fixed"}`); got.status != http.StatusCreated || got.replayed != "" {
			t.Fatalf("%s: retry: %+v", tt.body, got)
		}
		if n := ts.runs.Load(); n != 2 {
			t.Errorf("%s: runs = %d, want 2", tt.body, n)
		}
	}
}

func TestIdempotencyExpiry(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	ts.post(t, "key_a", "old", `{"name":"one"}`)
	later := ts.now.Load().Add(2 * time.Hour)
	ts.now.Store(&later)
	ts.post(t, "key_a", "new", `{"name":"one"}`)

	// A day after the first key, it's gone: the same key runs again, even with another body.
	day := ts.now.Load().Add(23 * time.Hour)
	ts.now.Store(&day)
	if got := ts.post(t, "key_a", "old", `{"name":"other"}`); got.status != http.StatusCreated || got.replayed != "" {
		t.Fatalf("expired key: %+v", got)
	}
	// The cleanup removes what is older than its cut-off ("new", made at +2h) and nothing
	// else ("old", made again at +25h).
	n, err := ts.idem.DeleteExpired(context.Background(), day.Add(-22*time.Hour))
	if err != nil || n != 1 {
		t.Fatalf("DeleteExpired = %d, %v; want 1", n, err)
	}
	if got := ts.post(t, "key_a", "old", `{"name":"other"}`); got.replayed != "true" {
		t.Errorf("fresh key lost: %+v", got)
	}
}

// Two requests with the same key at once: the handler runs once; the second gets 409 while
// the first runs, and the stored answer after.
func TestIdempotencyConcurrentDoublePost(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	ts.hold = make(chan struct{})
	var wg sync.WaitGroup
	var first answer
	wg.Add(1)
	go func() {
		defer wg.Done()
		first = ts.post(t, "key_a", "dup", `{"name":"one"}`)
	}()
	<-ts.entry // the first request is inside the handler
	const racers = 4
	results := make([]answer, racers)
	var rw sync.WaitGroup
	for i := range racers {
		rw.Add(1)
		go func() {
			defer rw.Done()
			results[i] = ts.post(t, "key_a", "dup", `{"name":"one"}`)
		}()
	}
	rw.Wait()
	close(ts.hold)
	wg.Wait()
	for i, r := range results {
		if r.status != http.StatusConflict || r.code != api.CodeKeyInUse {
			t.Errorf("racer %d: %d %s", i, r.status, r.body)
		}
	}
	if first.status != http.StatusCreated {
		t.Errorf("first: %+v", first)
	}
	if got := ts.post(t, "key_a", "dup", `{"name":"one"}`); got.replayed != "true" || got.body != first.body {
		t.Errorf("after: %+v", got)
	}
	if n := ts.runs.Load(); n != 1 {
		t.Errorf("handler ran %d times, want 1", n)
	}
}

func TestIdempotencyPassThrough(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	// Without a principal the middleware stays out of the way (the route guard answers 401).
	for i := range 2 {
		if got := ts.post(t, "", "k", `{"name":"one"}`); got.status != http.StatusCreated || got.replayed != "" {
			t.Fatalf("anonymous %d: %+v", i, got)
		}
	}
	if n := ts.runs.Load(); n != 2 {
		t.Errorf("runs = %d", n)
	}
}

func TestApplies(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		method, path string
		want         bool
	}{
		{"POST", "/api/v1/cases", true},
		{"PATCH", "/api/v1/cases/x", true},
		{"DELETE", "/api/v1/cases/x", true},
		{"GET", "/api/v1/cases", false},
		{"POST", "/cases", false},
		{"POST", "/api/v2/cases", false},
	} {
		r := httptest.NewRequest(tt.method, tt.path, nil)
		if got := api.Applies(r); got != tt.want {
			t.Errorf("Applies(%s %s) = %v", tt.method, tt.path, got)
		}
	}
}

// A first request that outlives StaleAfter loses its key to the retry that took it over; when it
// finally finishes it must not overwrite the retry's stored answer (nor release its claim).
func TestIdempotencySlowFirstRequestKeepsOffTheRetry(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	ts.hold = make(chan struct{})
	done := make(chan answer)
	go func() { done <- ts.post(t, "key_a", "slow", `{"name":"one"}`) }()
	<-ts.entry // the first request is inside the handler, holding the key
	later := ts.now.Load().Add(ts.idem.StaleAfter + time.Minute)
	ts.now.Store(&later)
	second := ts.post(t, "key_a", "slow", `{"name":"one"}`)
	if second.status != http.StatusCreated || !strings.Contains(second.body, `"run":2`) {
		t.Fatalf("retry after the first went stale: %+v", second)
	}
	close(ts.hold)
	<-done
	if got := ts.post(t, "key_a", "slow", `{"name":"one"}`); got.replayed != "true" || got.body != second.body {
		t.Errorf("replay after both finished = %+v, want the retry's answer %s", got, second.body)
	}
}
