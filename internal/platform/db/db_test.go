package db_test

import (
	"context"
	"errors"
	"os"
	"testing"
	"time"

	"kessai/internal/platform/db"
	"kessai/internal/platform/db/dbtest"
)

var things = db.Migrations{Module: "dbtest", FS: os.DirFS("testdata")}

func TestRebind(t *testing.T) {
	tests := []struct{ in, want string }{
		{"SELECT 1", "SELECT 1"},
		{"SELECT * FROM t WHERE a = ? AND b = ?", "SELECT * FROM t WHERE a = $1 AND b = $2"},
		{"SELECT '?' , ? -- what?\n, ?", "SELECT '?' , $1 -- what?\n, $2"},
		{`SELECT "a?" FROM t WHERE x=?`, `SELECT "a?" FROM t WHERE x=$1`},
	}
	for _, tt := range tests {
		if got := db.Rebind(db.Postgres, tt.in); got != tt.want {
			t.Errorf("Rebind(%q) = %q, want %q", tt.in, got, tt.want)
		}
		if got := db.Rebind(db.SQLite, tt.in); got != tt.in {
			t.Errorf("Rebind on SQLite changed %q to %q", tt.in, got)
		}
	}
}

func TestNewIDSortsAndIsUnique(t *testing.T) {
	seen := map[string]bool{}
	prev := ""
	for i := 0; i < 1000; i++ {
		id := db.NewID("cus")
		if len(id) != len("cus_")+26 {
			t.Fatalf("NewID = %q, want 30 characters", id)
		}
		if seen[id] {
			t.Fatalf("duplicate id %q", id)
		}
		seen[id] = true
		if id <= prev { // strictly increasing, even within one millisecond
			t.Fatalf("id %q does not sort after %q", id, prev)
		}
		prev = id
	}
}

func TestMigrateAndRoundTrip(t *testing.T) {
	ctx := context.Background()
	d := dbtest.Open(t, things)
	// Applying again is a no-op.
	n, err := d.Migrate(ctx, things)
	if err != nil || n != 0 {
		t.Fatalf("second Migrate = %d, %v; want 0, nil", n, err)
	}
	if p, err := d.Pending(ctx, things); err != nil || p != 0 {
		t.Fatalf("Pending = %d, %v; want 0", p, err)
	}
	at := time.Date(2026, 11, 23, 1, 2, 3, 456000000, time.UTC)
	err = d.InTx(ctx, func(tx *db.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO things (id, name, amount, at, day) VALUES (?, ?, ?, ?, ?)`,
			db.NewID("th"), "一つ目", int64(12345678901), at, "2026-11-23")
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	var (
		name   string
		amount int64
		got    time.Time
		day    string
	)
	err = d.QueryRowContext(ctx, `SELECT name, amount, at, day FROM things WHERE day >= ? AND at <= ?`,
		"2026-11-01", at).Scan(&name, &amount, &got, &day)
	if err != nil {
		t.Fatal(err)
	}
	if name != "一つ目" || amount != 12345678901 || !got.Equal(at) || day != "2026-11-23" {
		t.Fatalf("round trip = %q %d %v %q", name, amount, got, day)
	}
	// A failing transaction leaves nothing behind.
	boom := errors.New("boom")
	err = d.InTx(ctx, func(tx *db.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO things (id, name, amount, at, day) VALUES (?, ?, ?, ?, ?)`,
			db.NewID("th"), "二つ目", 1, at, "2026-11-23"); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("InTx error = %v, want boom", err)
	}
	var count int
	if err := d.QueryRowContext(ctx, `SELECT COUNT(*) FROM things`).Scan(&count); err != nil || count != 1 {
		t.Fatalf("count = %d, %v; want 1 (rolled back)", count, err)
	}
	// Unique violations are recognised on both engines.
	_, err = d.ExecContext(ctx, `INSERT INTO things (id, name, amount, at, day) VALUES (?, ?, ?, ?, ?)`,
		db.NewID("th"), "一つ目", 1, at, "2026-11-23")
	if !db.IsUniqueViolation(err) {
		t.Fatalf("duplicate insert error = %v, want a unique violation", err)
	}
	err = d.QueryRowContext(ctx, `SELECT name FROM things WHERE id = ?`, "nope").Scan(&name)
	if !errors.Is(db.NotFound(err), db.ErrNotFound) {
		t.Fatalf("NotFound(%v) is not ErrNotFound", err)
	}
}

// Migrate releases its PostgreSQL lock: a second database handle (another instance) can
// migrate right after the first, instead of waiting forever on a lock left in the pool.
func TestMigrateTwiceFromTwoHandles(t *testing.T) {
	url := dbtest.URL(t)
	if url == "" {
		t.Skip("the migration lock exists on PostgreSQL only (run the PostgreSQL pass)")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	for i := 0; i < 2; i++ {
		d, err := db.Open(ctx, url, "")
		if err != nil {
			t.Fatal(err)
		}
		// Several calls on one handle too: the pool may hand out any of its sessions.
		for j := 0; j < 3; j++ {
			if _, err := d.Migrate(ctx, things); err != nil {
				t.Fatalf("instance %d, call %d: %v", i+1, j+1, err)
			}
		}
		defer d.Close()
	}
}
