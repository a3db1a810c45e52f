package web

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"kessai/internal/platform/clock"
)

// TestFlashKinds: SetFlash is a success message, SetFlashError a refusal shown as an error.
func TestFlashKinds(t *testing.T) {
	t.Parallel()
	r, err := NewRenderer(clock.System{}, false)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		set       func(http.ResponseWriter, string)
		msg, want string
		notWant   string
	}{
		{SetFlash, "保存しました", `<div class="flash" role="status">保存しました</div>`, `flash error`},
		{SetFlashError, "操作する行にチェックを入れてください", `<div class="flash error" role="alert">操作する行にチェックを入れてください</div>`, `role="status"`},
	}
	for _, tt := range tests {
		set := httptest.NewRecorder()
		tt.set(set, tt.msg)
		req := httptest.NewRequest(http.MethodGet, "/", nil)
		for _, c := range set.Result().Cookies() {
			req.AddCookie(c)
		}
		rec := httptest.NewRecorder()
		r.Render(rec, req, http.StatusOK, "web/integrations.html", View{Title: "t"})
		body := rec.Body.String()
		if !strings.Contains(body, tt.want) || strings.Contains(body, tt.notWant) {
			t.Errorf("flash %q: want %s in\n%s", tt.msg, tt.want, body)
		}
	}
}
