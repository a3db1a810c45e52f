package web

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net/http"
	"runtime/debug"
	"strings"
	"time"
)

type requestIDKey struct{}

// RequestID returns the request's ID ("" outside a request).
func RequestID(ctx context.Context) string {
	s, _ := ctx.Value(requestIDKey{}).(string)
	return s
}

// WithRequestID gives every request an ID (taken from X-Request-ID when it is sane), echoes it
// in the response, and puts it in the context for logs and error bodies.
func WithRequestID(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := r.Header.Get("X-Request-ID")
		if len(id) == 0 || len(id) > 64 {
			var b [8]byte
			_, _ = rand.Read(b[:])
			id = hex.EncodeToString(b[:])
		}
		w.Header().Set("X-Request-ID", id)
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), requestIDKey{}, id)))
	})
}

type statusRecorder struct {
	http.ResponseWriter
	status int
	bytes  int
}

func (s *statusRecorder) WriteHeader(code int) {
	if s.status == 0 {
		s.status = code
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusRecorder) Write(b []byte) (int, error) {
	if s.status == 0 {
		s.status = http.StatusOK
	}
	n, err := s.ResponseWriter.Write(b)
	s.bytes += n
	return n, err
}

func (s *statusRecorder) Unwrap() http.ResponseWriter { return s.ResponseWriter }

// Observer is told about every finished request (metrics).
type Observer func(r *http.Request, status int, d time.Duration)

// WithLogging logs each request as one slog line with its request ID, and recovers from panics
// with a 500 so one bad handler can't take the server down.
func WithLogging(log *slog.Logger, observe Observer, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rec := &statusRecorder{ResponseWriter: w}
		defer func() {
			if p := recover(); p != nil {
				log.ErrorContext(r.Context(), "panic", "request_id", RequestID(r.Context()),
					"panic", fmt.Sprint(p), "stack", string(debug.Stack()))
				if rec.status == 0 {
					http.Error(rec, "内部エラーが発生しました", http.StatusInternalServerError)
				}
			}
			d := time.Since(start)
			if observe != nil {
				observe(r, rec.status, d)
			}
			if r.URL.Path == "/healthz" || r.URL.Path == "/metrics" {
				return
			}
			log.InfoContext(r.Context(), "http", "request_id", RequestID(r.Context()), "method", r.Method,
				"path", r.URL.Path, "status", rec.status, "bytes", rec.bytes, "duration_ms", d.Milliseconds())
		}()
		next.ServeHTTP(rec, r)
	})
}

// ContentSecurityPolicy allows scripts, styles and images from kessai itself only: no inline
// script (app.js reads data- attributes instead of onclick=), no framing (clickjacking). Inline
// style attributes are allowed; they cannot run code.
const ContentSecurityPolicy = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; " +
	"img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'"

// WithSecurityHeaders sets headers every response should carry. Responses are not stored by
// browsers or proxies (Cache-Control: no-store: pages, CSV and JSON carry personal data)
// unless a handler says otherwise (static files). With secureCookies (KESSAI_BASE_URL is
// https) every cookie any handler sets gets the Secure attribute.
func WithSecurityHeaders(secureCookies bool, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Referrer-Policy", "same-origin")
		h.Set("Content-Security-Policy", ContentSecurityPolicy)
		h.Set("Cache-Control", "no-store")
		if secureCookies || r.TLS != nil {
			w = &secureCookieWriter{ResponseWriter: w}
		}
		next.ServeHTTP(w, r)
	})
}

// secureCookieWriter adds Secure to every Set-Cookie header before the headers go out.
type secureCookieWriter struct {
	http.ResponseWriter
	done bool
}

func (s *secureCookieWriter) fix() {
	if s.done {
		return
	}
	s.done = true
	h := s.ResponseWriter.Header()
	cookies := h.Values("Set-Cookie")
	if len(cookies) == 0 {
		return
	}
	h.Del("Set-Cookie")
	for _, c := range cookies {
		if !hasCookieAttr(c, "secure") {
			c += "; Secure"
		}
		h.Add("Set-Cookie", c)
	}
}

func hasCookieAttr(cookie, attr string) bool {
	for _, part := range strings.Split(cookie, ";")[1:] {
		if strings.EqualFold(strings.TrimSpace(part), attr) {
			return true
		}
	}
	return false
}

func (s *secureCookieWriter) WriteHeader(code int) { s.fix(); s.ResponseWriter.WriteHeader(code) }

func (s *secureCookieWriter) Write(b []byte) (int, error) { s.fix(); return s.ResponseWriter.Write(b) }

func (s *secureCookieWriter) Unwrap() http.ResponseWriter { return s.ResponseWriter }

// Flush keeps streaming responses (progress, CSV) streaming.
func (s *secureCookieWriter) Flush() {
	s.fix()
	if f, ok := s.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}
