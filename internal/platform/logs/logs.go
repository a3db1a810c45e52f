// Package logs carries kessai's one logger in the context: the app injects it into every
// request and every job (so each line follows KESSAI_LOG_FORMAT), and code that has a context
// but no logger of its own logs with From(ctx).
package logs

import (
	"context"
	"log/slog"
	"net/http"
)

type key struct{}

// With returns ctx carrying l.
func With(ctx context.Context, l *slog.Logger) context.Context {
	return context.WithValue(ctx, key{}, l)
}

// From is the logger ctx carries. Without one (a unit test building a part alone) it is
// slog's default.
func From(ctx context.Context) *slog.Logger {
	if l, ok := ctx.Value(key{}).(*slog.Logger); ok && l != nil {
		return l
	}
	return slog.Default()
}

// Middleware puts l into every request's context.
func Middleware(l *slog.Logger, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		next.ServeHTTP(w, r.WithContext(With(r.Context(), l)))
	})
}
