package auditweb_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"kessai/internal/platform/audit"
	"kessai/internal/platform/audit/auditweb"
	"kessai/internal/platform/auth"
	"kessai/internal/platform/clock"
	"kessai/internal/platform/db"
	"kessai/internal/platform/db/dbtest"
	"kessai/internal/web"
)

func seed(t *testing.T) (*db.DB, *clock.Sandbox) {
	t.Helper()
	d := dbtest.Open(t, audit.Migrations)
	// 2026-03-31 23:30 JST = 14:30 UTC: the JST date differs from the UTC one at the end.
	c := clock.NewFrozen(time.Date(2026, 3, 31, 14, 30, 0, 0, time.UTC))
	l := &audit.Log{Now: c.Now}
	ctx := context.Background()
	hanako := auth.WithPrincipal(ctx, &auth.Principal{Kind: auth.KindUser, ID: "usr_1", Name: "hanako@example.com", Role: auth.RoleAdmin})
	key := auth.WithPrincipal(ctx, &auth.Principal{Kind: auth.KindAPIKey, ID: "key_1", Name: "倉庫システム", Role: auth.RoleStaff})
	add := func(ctx context.Context, e audit.Entry) {
		t.Helper()
		if err := d.InTx(ctx, func(tx *db.Tx) error { return l.Record(ctx, tx, e) }); err != nil {
			t.Fatal(err)
		}
		c.Advance(time.Hour)
	}
	add(hanako, audit.Entry{Action: "user.create", RecordType: "user", RecordID: "usr_2", After: map[string]any{"email": "jiro@example.com", "role": "staff"}})
	add(hanako, audit.Entry{Action: "user.role_change", RecordType: "user", RecordID: "usr_2",
		Before: map[string]any{"email": "jiro@example.com", "role": "staff"}, After: map[string]any{"email": "jiro@example.com", "role": "accountant"}})
	add(key, audit.Entry{Action: "case.create", RecordType: "purchase_case", RecordID: "case_1", After: map[string]any{"amount": 12000}})
	if err := d.InTx(ctx, func(tx *db.Tx) error {
		return l.RecordEvent(hanako, tx, auth.Event{Action: "apikey.revoke", RecordType: "api_key", RecordID: "key_1", Note: "漏洩のため"})
	}); err != nil {
		t.Fatal(err)
	}
	return d, c
}

func TestAuditPage(t *testing.T) {
	t.Parallel()
	d, c := seed(t)
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
		{auth.RoleAccountant, "", 200, []string{"全4件", "user.role_change", "accountant", "漏洩のため", "倉庫システム", "2026/03/31 23:30:00"}, nil},
		{auth.RoleAdmin, "?action=user.&per_page=1&page=2", 200, []string{"全2件", "user.create", "2 / 2 ページ", "前へ"}, []string{"case.create", "次へ"}},
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
