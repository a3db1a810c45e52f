package commerce_test

import (
	"net/http"
	"strings"
	"testing"

	"kessai/internal/platform/auth"
)

// TestCSVDownloadRefusesUnknownEncoding: the pages answer a bad encoding= as the API does,
// with the field and what is allowed, instead of sending Shift_JIS anyway.
func TestCSVDownloadRefusesUnknownEncoding(t *testing.T) {
	t.Parallel()
	e := newPages(t, auth.RoleAdmin)
	e.orders(t, "new")
	status, body := e.get(t, "/orders.csv?encoding=latin1")
	if status != http.StatusUnprocessableEntity || !strings.Contains(body, "cp932 か utf-8 を指定してください") {
		t.Errorf("bad encoding: %d %.200s", status, body)
	}
	status, body = e.get(t, "/orders.csv?encoding=utf-8")
	if status != http.StatusOK || !strings.Contains(body, "受注番号") {
		t.Errorf("utf-8 export: %d %.200s", status, body)
	}
}
