package rakutensim_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"kessai/internal/platform/clock"
	"kessai/internal/provider/rakuten"
	"kessai/internal/sandbox/rakutensim"
)

const prefix = "/sandbox/rakuten"

// start is Monday 2026-03-02 10:00 JST.
var start = time.Date(2026, 3, 2, 10, 0, 0, 0, clock.JST)

type env struct {
	clk    *clock.Sandbox
	sim    *rakutensim.Sim
	srv    *httptest.Server
	client *rakuten.Client

	mu    sync.Mutex
	calls map[string]int // API calls by method
}

type envOpt func(*rakutensim.Options, *rakuten.Config)

// newEnv mounts a Sim under prefix on a real HTTP server and returns a client for the default
// shop with the throttle off.
func newEnv(t testing.TB, opts ...envOpt) *env {
	t.Helper()
	e := &env{clk: clock.NewFrozen(start), calls: map[string]int{}}
	so := rakutensim.Options{Clock: e.clk, Prefix: prefix}
	cfg := rakuten.Config{ServiceSecret: rakutensim.DefaultServiceSecret, LicenseKey: rakutensim.DefaultLicenseKey,
		Throttle: rakuten.NewThrottle(0), HTTPClient: &http.Client{Timeout: 30 * time.Second}}
	for _, o := range opts {
		o(&so, &cfg)
	}
	e.sim = rakutensim.New(so)
	mux := http.NewServeMux()
	mux.Handle(prefix+"/", http.StripPrefix(prefix, countCalls(e, e.sim)))
	e.srv = httptest.NewServer(mux)
	t.Cleanup(e.srv.Close)
	cfg.BaseURL = e.sim.BaseURL(e.srv.URL)
	e.client = rakuten.New(cfg)
	return e
}

func countCalls(e *env, h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if m, ok := strings.CutPrefix(r.URL.Path, rakuten.OrderPath); ok {
			e.mu.Lock()
			e.calls[strings.TrimSuffix(m, "/")]++
			e.mu.Unlock()
		}
		h.ServeHTTP(w, r)
	})
}

func (e *env) callCount(method string) int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.calls[method]
}

func (e *env) resetCalls() {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.calls = map[string]int{}
}

func (e *env) create(t testing.TB, n rakutensim.NewOrder, count int) []string {
	t.Helper()
	nums, err := e.sim.CreateOrders(n, count)
	if err != nil {
		t.Fatalf("create orders: %v", err)
	}
	return nums
}

func (e *env) order(t testing.TB, number string) rakuten.Order {
	t.Helper()
	r, err := e.client.GetOrders(context.Background(), []string{number})
	if err != nil {
		t.Fatalf("getOrder %s: %v", number, err)
	}
	if len(r.Orders) != 1 {
		t.Fatalf("getOrder %s: %d orders, messages %v", number, len(r.Orders), r.Messages)
	}
	return r.Orders[0]
}

func (e *env) payment(t testing.TB, number string) *rakuten.OrderPayment {
	t.Helper()
	r, err := e.client.GetPayment(context.Background(), number)
	if err != nil {
		t.Fatalf("getPayment %s: %v", number, err)
	}
	if r.Order == nil || len(r.Order.Payments) != 1 {
		t.Fatalf("getPayment %s: %+v", number, r)
	}
	return r.Order
}

func (e *env) progress(t testing.TB, number string) rakuten.OrderProgress {
	t.Helper()
	return e.order(t, number).OrderProgress
}

var ctx = context.Background()
