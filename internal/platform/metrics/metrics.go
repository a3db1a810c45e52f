// Package metrics keeps kessai's Prometheus metrics and writes them in the text exposition
// format with the standard library: a few counters and one histogram don't justify the
// client module and its dependencies.
//
// /metrics is public like /healthz. kessai listens on 127.0.0.1 by default, so only the host
// (and a Prometheus on it, or a reverse proxy that chooses to expose it) can scrape it; a
// deployment that binds a public address should block /metrics at its proxy.
package metrics

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Buckets are the request duration histogram's upper bounds in seconds.
var Buckets = []float64{0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10}

type reqKey struct{ method, route, class string }

type histogram struct {
	counts []uint64 // per bucket, not cumulative
	sum    float64
	n      uint64
}

// Registry holds the request metrics of one instance. It is safe for concurrent use.
type Registry struct {
	route func(*http.Request) string

	mu       sync.Mutex
	requests map[reqKey]uint64
	duration map[reqKey]*histogram
}

// NewRegistry returns a registry that labels requests with route(r), the route pattern that
// served r (never the raw path, which would make one series per record ID).
func NewRegistry(route func(*http.Request) string) *Registry {
	return &Registry{route: route, requests: map[reqKey]uint64{}, duration: map[reqKey]*histogram{}}
}

// Observe records one finished request; it is a web.Observer.
func (reg *Registry) Observe(r *http.Request, status int, d time.Duration) {
	if status == 0 {
		status = http.StatusOK
	}
	k := reqKey{method: r.Method, route: reg.route(r), class: strconv.Itoa(status/100) + "xx"}
	secs := d.Seconds()
	reg.mu.Lock()
	defer reg.mu.Unlock()
	reg.requests[k]++
	h := reg.duration[k]
	if h == nil {
		h = &histogram{counts: make([]uint64, len(Buckets))}
		reg.duration[k] = h
	}
	for i, b := range Buckets {
		if secs <= b {
			h.counts[i]++
			break
		}
	}
	h.sum += secs
	h.n++
}

// RouteMatcher returns a route function for NewRegistry that finds a request's pattern among
// patterns ("GET /jobs/{id}", "/static/"), built on first use so every route is registered by
// then. Requests that match nothing are labelled "other".
func RouteMatcher(patterns func() []string) func(*http.Request) string {
	var once sync.Once
	mux := http.NewServeMux()
	noop := http.HandlerFunc(func(http.ResponseWriter, *http.Request) {})
	return func(r *http.Request) string {
		once.Do(func() {
			for _, p := range patterns() {
				func() {
					defer func() { _ = recover() }() // a duplicate pattern must not break metrics
					mux.Handle(p, noop)
				}()
			}
		})
		_, pattern := mux.Handler(r)
		if pattern == "" {
			return "other"
		}
		if _, path, ok := strings.Cut(pattern, " "); ok {
			return path
		}
		return pattern
	}
}

// Writer writes families in the text exposition format.
type Writer struct {
	w   io.Writer
	err error
}

// Family starts a metric family (HELP and TYPE lines); typ is "counter", "gauge" or "histogram".
func (e *Writer) Family(name, help, typ string) {
	e.printf("# HELP %s %s\n# TYPE %s %s\n", name, help, name, typ)
}

// Sample writes one sample; labels are name/value pairs.
func (e *Writer) Sample(name string, value float64, labels ...string) {
	e.printf("%s%s %s\n", name, formatLabels(labels), formatValue(value))
}

func (e *Writer) printf(format string, args ...any) {
	if e.err == nil {
		_, e.err = fmt.Fprintf(e.w, format, args...)
	}
}

func formatLabels(kv []string) string {
	if len(kv) == 0 {
		return ""
	}
	var b strings.Builder
	b.WriteByte('{')
	for i := 0; i+1 < len(kv); i += 2 {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(kv[i])
		b.WriteString(`="`)
		b.WriteString(escapeLabel(kv[i+1]))
		b.WriteByte('"')
	}
	b.WriteByte('}')
	return b.String()
}

var labelEscaper = strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`)

func escapeLabel(s string) string { return labelEscaper.Replace(s) }

func formatValue(v float64) string {
	switch {
	case math.IsInf(v, +1):
		return "+Inf"
	case math.IsInf(v, -1):
		return "-Inf"
	}
	return strconv.FormatFloat(v, 'g', -1, 64)
}

// Collector writes families read at scrape time (jobs by state, database up, build info).
type Collector func(ctx context.Context, w *Writer) error

// Handler serves the registry's request metrics followed by each collector's families. A
// failing collector is logged and skipped so one broken source doesn't hide the rest.
func (reg *Registry) Handler(log *slog.Logger, collectors ...Collector) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
		e := &Writer{w: w}
		reg.write(e)
		for _, c := range collectors {
			if err := c(r.Context(), e); err != nil {
				log.ErrorContext(r.Context(), "metrics collector failed", "err", err)
			}
		}
	})
}

func (reg *Registry) write(e *Writer) {
	reg.mu.Lock()
	keys := make([]reqKey, 0, len(reg.requests))
	for k := range reg.requests {
		keys = append(keys, k)
	}
	reqs := make(map[reqKey]uint64, len(keys))
	hists := make(map[reqKey]histogram, len(keys))
	for _, k := range keys {
		reqs[k] = reg.requests[k]
		h := reg.duration[k]
		hists[k] = histogram{counts: append([]uint64(nil), h.counts...), sum: h.sum, n: h.n}
	}
	reg.mu.Unlock()
	sort.Slice(keys, func(i, j int) bool {
		a, b := keys[i], keys[j]
		if a.route != b.route {
			return a.route < b.route
		}
		if a.method != b.method {
			return a.method < b.method
		}
		return a.class < b.class
	})
	e.Family("kessai_http_requests_total", "HTTP requests by method, route pattern and status class.", "counter")
	for _, k := range keys {
		e.Sample("kessai_http_requests_total", float64(reqs[k]), "method", k.method, "route", k.route, "code", k.class)
	}
	e.Family("kessai_http_request_duration_seconds", "HTTP request duration by method, route pattern and status class.", "histogram")
	for _, k := range keys {
		h := hists[k]
		var cum uint64
		for i, b := range Buckets {
			cum += h.counts[i]
			e.Sample("kessai_http_request_duration_seconds_bucket", float64(cum),
				"method", k.method, "route", k.route, "code", k.class, "le", formatValue(b))
		}
		e.Sample("kessai_http_request_duration_seconds_bucket", float64(h.n),
			"method", k.method, "route", k.route, "code", k.class, "le", "+Inf")
		e.Sample("kessai_http_request_duration_seconds_sum", h.sum, "method", k.method, "route", k.route, "code", k.class)
		e.Sample("kessai_http_request_duration_seconds_count", float64(h.n), "method", k.method, "route", k.route, "code", k.class)
	}
}
