package logs_test

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"

	"kessai/internal/platform/logs"
)

// TestInjected: a line logged through From goes to the injected logger in its format, from a
// plain context and from a request.
func TestInjected(t *testing.T) {
	var buf bytes.Buffer
	l := slog.New(slog.NewJSONHandler(&buf, nil))
	logs.From(logs.With(context.Background(), l)).WarnContext(context.Background(), "late acceptance", "transfer", "trf_1")
	h := logs.Middleware(l, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		logs.From(r.Context()).ErrorContext(r.Context(), "from a request")
	}))
	h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, "/", nil))
	dec := json.NewDecoder(&buf)
	var msgs []string
	for dec.More() {
		var m map[string]any
		if err := dec.Decode(&m); err != nil {
			t.Fatalf("not JSON: %v (%s)", err, buf.String())
		}
		msgs = append(msgs, m["msg"].(string))
	}
	if len(msgs) != 2 || msgs[0] != "late acceptance" || msgs[1] != "from a request" {
		t.Fatalf("lines %v", msgs)
	}
	if logs.From(context.Background()) != slog.Default() {
		t.Fatal("no injected logger: From should fall back to slog's default")
	}
}
