package web

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"kessai/internal/platform/errs"
	"kessai/internal/platform/logs"
)

// StatusClientGone is logged for a request whose client went away before the answer (nginx's
// 499): nothing is wrong with the server, so it is not an error.
const StatusClientGone = 499

// RetryAfter is the Retry-After a 503 carries, in seconds.
const RetryAfter = 5

// WithDeadline gives every request but the long ones (CSV export and import, bulk starts)
// d to finish. A handler whose database work outlives it answers 503 with Retry-After
// (see ended), so a slow moment sheds load instead of piling up requests.
func WithDeadline(d time.Duration, next http.Handler) http.Handler {
	if d <= 0 {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if long(r) {
			next.ServeHTTP(w, r)
			return
		}
		ctx, cancel := context.WithTimeout(r.Context(), d)
		defer cancel()
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

// long reports the requests bounded by their size, not by time: those that stream a file, and
// the start of a bulk action, which resolves and records its whole selection (a million IDs
// may take longer than a list) before the job takes over.
func long(r *http.Request) bool {
	p := r.URL.Path
	return strings.HasSuffix(p, ".csv") || strings.Contains(p, "/import") || strings.HasSuffix(p, "/export") ||
		r.Method == http.MethodPost && strings.Contains(p, "bulk")
}

// ended handles err when the request's own context has ended: a client that went away is
// logged at INFO and gets no body (it is not listening), a request past its deadline becomes
// a 503 with Retry-After. It returns the error to show, or nil when nothing must be written.
func ended(w http.ResponseWriter, r *http.Request, err error) (*errs.Error, bool) {
	if errs.KindOf(err) == errs.KindTimeout {
		// A body that arrived too slowly (Bound): the read failing ended the context, but
		// the client may well be listening for its 408.
		return nil, false
	}
	switch ctxErr := r.Context().Err(); {
	case errors.Is(ctxErr, context.Canceled):
		logs.From(r.Context()).InfoContext(r.Context(), "client went away", "request_id", RequestID(r.Context()),
			"path", r.URL.Path, "err", err)
		w.WriteHeader(StatusClientGone)
		return nil, true
	case errors.Is(ctxErr, context.DeadlineExceeded) || errors.Is(err, context.DeadlineExceeded):
		logs.From(r.Context()).WarnContext(r.Context(), "request timed out", "request_id", RequestID(r.Context()),
			"path", r.URL.Path, "err", err)
		return errs.E(errs.KindUnavailable, "混み合っているため時間内に処理できませんでした。しばらくしてから再度お試しください").Wrap(err), true
	}
	return nil, false
}

// setRetryAfter marks every 503 as retryable after RetryAfter seconds.
func setRetryAfter(w http.ResponseWriter, k errs.Kind) {
	if k == errs.KindUnavailable {
		w.Header().Set("Retry-After", strconv.Itoa(RetryAfter))
	}
}

// WithAdmission lets at most limit requests run at once (the long ones, health checks, static
// files and the paths under foreign aside); one that finds no room within wait answers 503 with
// Retry-After at once. foreign are the prefixes another site posts to (a provider's result
// notification, a buyer's return from the payment page): their sender is not ours to slow down
// or refuse, and a result refused is a payment kessai learns of late.
// Under more load than the machine can answer, the requests let in finish in their time and
// the rest are told to come back, instead of every request slowing down until all time out.
// limit <= 0 admits everything.
func WithAdmission(limit int, wait time.Duration, foreign []string, next http.Handler) http.Handler {
	if limit <= 0 {
		return next
	}
	slots := make(chan struct{}, limit)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if long(r) || unmetered(r.URL.Path) || slices.ContainsFunc(foreign, func(p string) bool { return strings.HasPrefix(r.URL.Path, p) }) {
			next.ServeHTTP(w, r)
			return
		}
		select {
		case slots <- struct{}{}:
		default:
			t := time.NewTimer(wait)
			select {
			case slots <- struct{}{}:
				t.Stop()
			case <-t.C:
				busy(w, r)
				return
			case <-r.Context().Done():
				t.Stop()
				return
			}
		}
		defer func() { <-slots }()
		next.ServeHTTP(w, r)
	})
}

// unmetered are the paths that must answer while the server is full: probes and static files.
func unmetered(p string) bool {
	return p == "/healthz" || p == "/readyz" || p == "/metrics" || strings.HasPrefix(p, "/static/")
}

// busy is the answer of a request that was not let in.
func busy(w http.ResponseWriter, r *http.Request) {
	const msg = "混み合っているため受け付けられませんでした。しばらくしてから再度お試しください"
	logs.From(r.Context()).WarnContext(r.Context(), "request refused: server busy", "request_id", RequestID(r.Context()), "path", r.URL.Path)
	if strings.HasPrefix(r.URL.Path, "/api/") {
		WriteError(w, r, errs.E(errs.KindUnavailable, msg))
		return
	}
	w.Header().Set("Retry-After", strconv.Itoa(RetryAfter))
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.WriteHeader(http.StatusServiceUnavailable)
	_, _ = w.Write([]byte(msg + "\n"))
}
