package commerce_test

import (
	"net/http"
	"strings"
	"testing"

	"kessai/internal/platform/auth"
)

// /cases without a kind lists both kinds, so each row says which it is; a kind's list doesn't
// repeat it. The import page's links back keep the kind.
func TestCaseListKindColumnAndImportLinks(t *testing.T) {
	t.Parallel()
	e := newPages(t, auth.RoleStaff)
	e.cases(t, "takuhai", 1)
	e.cases(t, "ippan", 1)
	tests := []struct {
		path   string
		has    []string
		hasNot []string
	}{
		{"/cases", []string{">種別</th>", "<td>宅配買取</td>", "<td>一般仕入</td>", `href="/cases/import"`}, nil},
		{"/cases?kind=ippan", []string{`href="/cases/import?kind=ippan"`}, []string{">種別</th>", "<td>一般仕入</td>"}},
		{"/cases/import?kind=ippan", []string{`href="/cases?kind=ippan">一覧へ</a>`}, nil},
		{"/cases/import", []string{`href="/cases">一覧へ</a>`}, nil},
	}
	for _, tt := range tests {
		status, body := e.get(t, tt.path)
		if status != http.StatusOK {
			t.Errorf("%s: status %d", tt.path, status)
			continue
		}
		for _, s := range tt.has {
			if !strings.Contains(body, s) {
				t.Errorf("%s: lacks %q", tt.path, s)
			}
		}
		for _, s := range tt.hasNot {
			if strings.Contains(body, s) {
				t.Errorf("%s: has %q", tt.path, s)
			}
		}
	}
}
