package audit_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"kessai/internal/platform/audit"
	"kessai/internal/platform/auth"
	"kessai/internal/platform/db"
	"kessai/internal/platform/db/dbtest"
)

// RecordAll writes what Record writes, for every entry, across its 200-row statements.
func TestRecordAllMatchesRecord(t *testing.T) {
	t.Parallel()
	d := dbtest.Open(t, audit.Migrations)
	at := time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC)
	l := &audit.Log{Now: func() time.Time { return at }}
	ctx := auth.WithPrincipal(context.Background(), &auth.Principal{Kind: auth.KindUser, ID: "usr_1", Name: "hanako", Role: auth.RoleStaff})
	entries := make([]audit.Entry, 450)
	for i := range entries {
		entries[i] = audit.Entry{Action: "thing.create", RecordType: "thing", RecordID: fmt.Sprintf("t%03d", i), After: map[string]int{"n": i}}
	}
	if err := d.InTx(ctx, func(tx *db.Tx) error { return l.RecordAll(ctx, tx, entries) }); err != nil {
		t.Fatal(err)
	}
	if err := d.InTx(ctx, func(tx *db.Tx) error {
		return l.Record(ctx, tx, audit.Entry{Action: "thing.create", RecordType: "thing", RecordID: "single", After: map[string]int{"n": 7}})
	}); err != nil {
		t.Fatal(err)
	}
	items, total, err := audit.List(ctx, d, audit.Filter{Action: "thing.create", Limit: 1000})
	if err != nil || total != 451 || len(items) != 451 {
		t.Fatalf("listed %d of %d, %v; want 451", len(items), total, err)
	}
	byID := map[string]audit.Record{}
	for _, it := range items {
		byID[it.RecordID] = it
	}
	for _, id := range []string{"t000", "t199", "t200", "t449"} {
		r := byID[id]
		if r.ActorName != "hanako" || r.ActorKind != "user" || !r.At.Equal(at) || r.After == "" {
			t.Errorf("%s = %+v", id, r)
		}
	}
	if a, b := byID["t007"], byID["single"]; a.After != b.After || a.ActorID != b.ActorID {
		t.Errorf("RecordAll row %+v differs from Record's %+v", a, b)
	}
}
