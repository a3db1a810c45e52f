package app_test

import (
	"net/http"
	"strings"
	"testing"

	"kessai/internal/app/apptest"
	"kessai/internal/platform/auth"
)

// A mistyped URL shows a Japanese page in the layout (menu and the way back), not net/http's
// 「404 page not found」; the API keeps its JSON errors.
func TestJapaneseNotFoundPage(t *testing.T) {
	t.Parallel()
	inst := apptest.Start(t, apptest.Options{})
	c := inst.Client(t, auth.RoleStaff)
	res := c.Get("/no-such-page")
	if res.Status != http.StatusNotFound || !strings.Contains(res.Body, "ページが見つかりません") || !strings.Contains(res.Body, "/no-such-page") ||
		!strings.Contains(res.Body, `href="/"`) || strings.Contains(res.Body, "404 page not found") {
		t.Fatalf("404 page: %d %.500s", res.Status, res.Body)
	}
	if ct := res.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/html") {
		t.Errorf("404 content type %q", ct)
	}
	res = c.Get("/accounting/transfers/execute") // a POST-only route opened by GET
	if res.Status != http.StatusMethodNotAllowed || !strings.Contains(res.Body, "この操作はこのページではできません") {
		t.Errorf("405 page: %d %.300s", res.Status, res.Body)
	}
	key := inst.APIKey(t, auth.RoleStaff)
	if res := inst.API(t, key, http.MethodGet, "/api/v1/no-such", nil); res.Status != http.StatusNotFound || !strings.Contains(res.Body, `"error"`) {
		t.Errorf("API 404: %d %s", res.Status, res.Body)
	}
}
