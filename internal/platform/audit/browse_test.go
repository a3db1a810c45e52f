package audit_test

import (
	"context"
	"strings"
	"testing"

	"kessai/internal/platform/audit"
	"kessai/internal/platform/audit/audittest"
	"kessai/internal/platform/errs"
)

func TestListFilters(t *testing.T) {
	t.Parallel()
	d, _ := audittest.Seed(t)
	ctx := context.Background()
	tests := []struct {
		name string
		f    audit.Filter
		want string // actions, newest first
	}{
		{"all", audit.Filter{}, "apikey.revoke case.create user.role_change user.create"},
		{"actor by name part", audit.Filter{Actor: "HANAKO"}, "apikey.revoke user.role_change user.create"},
		{"actor by id", audit.Filter{Actor: "key_1"}, "case.create"},
		{"action exact", audit.Filter{Action: "user.create"}, "user.create"},
		{"action prefix", audit.Filter{Action: "user."}, "user.role_change user.create"},
		{"record", audit.Filter{RecordType: "user", RecordID: "usr_2"}, "user.role_change user.create"},
		{"JST day of the first entry", audit.Filter{From: "2026-03-31", To: "2026-03-31"}, "user.create"},
		{"JST day after", audit.Filter{From: "2026-04-01"}, "apikey.revoke case.create user.role_change"},
		{"paging", audit.Filter{Limit: 2, Offset: 2}, "user.role_change user.create"},
	}
	for _, tt := range tests {
		items, total, err := audit.List(ctx, d, tt.f)
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		var got []string
		for _, it := range items {
			got = append(got, it.Action)
		}
		if strings.Join(got, " ") != tt.want {
			t.Errorf("%s: got %v, want %s", tt.name, got, tt.want)
		}
		if tt.f.Limit == 0 && total != len(items) || tt.f.Limit == 2 && total != 4 {
			t.Errorf("%s: total = %d", tt.name, total)
		}
	}
	if _, _, err := audit.List(ctx, d, audit.Filter{From: "2026/03/31"}); errs.As(err) == nil || errs.As(err).Fields["from"] == "" {
		t.Errorf("bad date: %v", err)
	}
}

func TestChanges(t *testing.T) {
	t.Parallel()
	r := audit.Record{Before: `{"role":"staff","email":"a@b.jp","updated_at":"2026-03-31T15:30:00Z"}`,
		After: `{"role":"accountant","email":"a@b.jp","n":3,"updated_at":"2026-03-31T15:45:00.123Z"}`}
	got := r.Changes()
	// Field names in Japanese (the stored key beside them), times in JST.
	want := []audit.Change{{"メールアドレス", "email", "a@b.jp", "a@b.jp", false}, {"n", "n", "", "3", true},
		{"ロール", "role", "staff", "accountant", true}, {"更新日時", "updated_at", "2026/04/01 00:30:00", "2026/04/01 00:45:00", true}}
	if len(got) != len(want) {
		t.Fatalf("Changes = %+v", got)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("Changes[%d] = %+v, want %+v", i, got[i], want[i])
		}
	}
	if got := (audit.Record{Before: "[1]", After: ""}).Changes(); len(got) != 1 || got[0].Field != "値" {
		t.Errorf("non-object Changes = %+v", got)
	}
}

func TestLabels(t *testing.T) {
	tests := []struct{ code, action string }{
		{"user.login", "ログイン"},
		{"transfer.execute", "振込実行"},
		{"subscription.paused", "定期受注の休止"},
		{"something.new", "something.new"},
	}
	for _, tt := range tests {
		if got := audit.ActionLabel(tt.code); got != tt.action {
			t.Errorf("ActionLabel(%q) = %q, want %q", tt.code, got, tt.action)
		}
	}
	if audit.RecordTypeLabel("purchase_case") != "買取ケース" || audit.RecordTypeLabel("gizmo") != "gizmo" {
		t.Errorf("RecordTypeLabel = %q, %q", audit.RecordTypeLabel("purchase_case"), audit.RecordTypeLabel("gizmo"))
	}
}
