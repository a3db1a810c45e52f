// Package audittest holds the audit log fixture shared by the log's own tests and its page's.
package audittest

import (
	"context"
	"testing"
	"time"

	"kessai/internal/platform/audit"
	"kessai/internal/platform/auth"
	"kessai/internal/platform/clock"
	"kessai/internal/platform/db"
	"kessai/internal/platform/db/dbtest"
)

// Seed returns a database holding four entries an hour apart by a person and an API key —
// user.create, user.role_change, case.create, apikey.revoke — and the frozen clock they were
// written on (it starts at 2026-03-31 23:30 JST, so the JST date differs from the UTC one).
func Seed(t testing.TB) (*db.DB, *clock.Sandbox) {
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
