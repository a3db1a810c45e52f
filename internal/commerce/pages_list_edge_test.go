package commerce_test

import (
	"net/http"
	"strings"
	"testing"

	"kessai/internal/platform/auth"
)

// TestListEdgeCases: a bad sort says what is wrong in the 詳細検索 panel; a page past the last
// says so instead of 「0〜150件目」; page=abc and page=-1 are page 1; sorted headers are marked.
func TestListEdgeCases(t *testing.T) {
	t.Parallel()
	e := newPages(t, auth.RoleStaff)
	e.cases(t, "takuhai", 30)
	tests := []struct {
		query   string
		status  int
		want    []string
		notWant []string
	}{
		{"sort=bogus", http.StatusUnprocessableEntity, []string{"並び順は", "既定の並び順で表示する", `<details class="search" open>`}, nil},
		{"page=99", http.StatusOK, []string{"全<strong>30</strong>件（このページに該当はありません。最後のページは 2 ページ目です）", "最後のページへ"}, []string{"0〜"}},
		{"page=abc", http.StatusOK, []string{"（1〜20件目）", `<strong aria-current="page">1</strong>`}, nil},
		{"page=-1", http.StatusOK, []string{"（1〜20件目）", `<strong aria-current="page">1</strong>`}, nil},
		{"page=2", http.StatusOK, []string{"（21〜30件目）"}, nil},
		{"sort=-amount", http.StatusOK, []string{">買取金額</a>▼"}, []string{">買取金額</a>▲"}},
		{"sort=amount", http.StatusOK, []string{">買取金額</a>▲"}, nil},
	}
	for _, tt := range tests {
		code, body := e.get(t, "/cases?kind=takuhai&per_page=20&"+tt.query)
		if code != tt.status {
			t.Errorf("%s: status %d, want %d", tt.query, code, tt.status)
		}
		for _, w := range tt.want {
			if !strings.Contains(body, w) {
				t.Errorf("%s: missing %q", tt.query, w)
			}
		}
		for _, w := range tt.notWant {
			if strings.Contains(body, w) {
				t.Errorf("%s: unexpected %q", tt.query, w)
			}
		}
	}
}
