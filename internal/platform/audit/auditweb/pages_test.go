package auditweb_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"kessai/internal/platform/audit/audittest"
	"kessai/internal/platform/audit/auditweb"
	"kessai/internal/platform/auth"
	"kessai/internal/web"
)

func TestAuditPage(t *testing.T) {
	t.Parallel()
	d, c := audittest.Seed(t)
	render, err := web.NewRenderer(c, false)
	if err != nil {
		t.Fatal(err)
	}
	sh := web.NewShell(render)
	if err := auditweb.Routes(sh, d); err != nil {
		t.Fatal(err)
	}
	as := func(role auth.Role) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			p := &auth.Principal{Kind: auth.KindUser, ID: "usr_x", Name: "x@example.com", Role: role}
			sh.ServeHTTP(w, r.WithContext(auth.WithPrincipal(r.Context(), p)))
		})
	}
	tests := []struct {
		role   auth.Role
		query  string
		status int
		want   []string
		absent []string
	}{
		{auth.RoleAccountant, "", 200, []string{"全4件", "user.role_change", "accountant", "漏洩のため", "倉庫システム", "2026/03/31 23:30:00",
			// Pickers, not codes to type; field names in Japanese.
			`<select name="action">`, `<option value="transfer.execute" >振込実行</option>`, `<select name="record_type">`,
			`<option value="purchase_case" >買取ケース</option>`, `<td title="role">ロール</td>`}, []string{`<td>role</td>`}},
		{auth.RoleAdmin, "?action=user.&per_page=1&page=2", 200, []string{"全2件", "ユーザー登録</a>", "2 / 2 ページ", "前へ",
			`<option value="user." selected>user.</option>`}, []string{"買取ケース登録</a>", "次へ"}},
		{auth.RoleAdmin, "?action=user.create", 200, []string{`<option value="user.create" selected>ユーザー登録</option>`}, nil},
		{auth.RoleAdmin, "?from=bad", 422, []string{"日付は"}, nil},
		{auth.RoleStaff, "", 403, []string{"権限がありません"}, []string{"user.create"}},
		{auth.RoleViewer, "", 403, nil, []string{"user.create"}},
	}
	for _, tt := range tests {
		rec := httptest.NewRecorder()
		as(tt.role).ServeHTTP(rec, httptest.NewRequest("GET", "/audit"+tt.query, nil))
		body, _ := io.ReadAll(rec.Body)
		if rec.Code != tt.status {
			t.Errorf("%s %s: status %d, want %d", tt.role, tt.query, rec.Code, tt.status)
		}
		for _, s := range tt.want {
			if !strings.Contains(string(body), s) {
				t.Errorf("%s %s: page lacks %q", tt.role, tt.query, s)
			}
		}
		for _, s := range tt.absent {
			if strings.Contains(string(body), s) {
				t.Errorf("%s %s: page shows %q", tt.role, tt.query, s)
			}
		}
	}
}
