package commerce_test

import (
	"strings"
	"testing"

	"kessai/internal/platform/auth"
)

// TestListActionsFollowTheRole: a viewer's lists offer no 新規登録 or CSV取込 (the routes refuse
// them anyway); staff see both.
func TestListActionsFollowTheRole(t *testing.T) {
	t.Parallel()
	viewer, staff := newPages(t, auth.RoleViewer), newPages(t, auth.RoleStaff)
	for _, path := range []string{"/cases?kind=takuhai", "/customers", "/orders", "/subscriptions"} {
		for _, tt := range []struct {
			e    *pagesEnv
			want bool
		}{{viewer, false}, {staff, true}} {
			_, body := tt.e.get(t, path)
			if got := strings.Contains(body, ">新規登録</a>"); got != tt.want {
				t.Errorf("%s as %v: 新規登録 shown %v, want %v", path, tt.e == staff, got, tt.want)
			}
			if path != "/subscriptions" && strings.Contains(body, ">CSV取込</a>") != tt.want {
				t.Errorf("%s: CSV取込 shown wrongly", path)
			}
		}
	}
}
