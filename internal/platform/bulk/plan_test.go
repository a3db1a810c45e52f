package bulk

import (
	"context"
	"strings"
	"testing"

	"kessai/internal/platform/audit"
	"kessai/internal/platform/db"
	"kessai/internal/platform/db/dbtest"
)

// The claim walks the primary key from the last item claimed: no temporary sort of the run's
// pending items, no scan of the items already done.
func TestClaimPlanWalksThePrimaryKey(t *testing.T) {
	d := dbtest.Open(t, audit.Migrations, Migrations)
	plan := explain(t, d, claimQuery, "blk_x", 500, 500)
	switch d.Dialect() {
	case db.SQLite:
		if !strings.Contains(plan, "sqlite_autoindex_bulk_run_items_1") || !strings.Contains(plan, "seq>?") || strings.Contains(plan, "TEMP B-TREE") {
			t.Fatalf("claim plan:\n%s\nwant a range on the primary key (run_id=? AND seq>?) and no temporary sort", plan)
		}
	case db.Postgres:
		if !strings.Contains(plan, "bulk_run_items_pkey") || strings.Contains(plan, "Sort") {
			t.Fatalf("claim plan:\n%s\nwant the primary key in order, no sort", plan)
		}
	}
}

// explain returns q's plan as text; on PostgreSQL sequential scans are priced out so a tiny
// test table shows the index the planner would use on a big one.
func explain(t *testing.T, d *db.DB, q string, args ...any) string {
	t.Helper()
	ctx := context.Background()
	var out []string
	err := d.InTx(ctx, func(tx *db.Tx) error {
		prefix := "EXPLAIN QUERY PLAN "
		if d.Dialect() == db.Postgres {
			prefix = "EXPLAIN "
			if _, err := tx.ExecContext(ctx, "SET LOCAL enable_seqscan = off"); err != nil {
				return err
			}
		}
		rows, err := tx.QueryContext(ctx, prefix+q, args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		cols, _ := rows.Columns()
		for rows.Next() {
			vals := make([]any, len(cols))
			ptrs := make([]any, len(cols))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			if err := rows.Scan(ptrs...); err != nil {
				return err
			}
			out = append(out, toString(vals[len(vals)-1]))
		}
		return rows.Err()
	})
	if err != nil {
		t.Fatalf("explain %s: %v", q, err)
	}
	return strings.Join(out, "\n")
}

func toString(v any) string {
	switch x := v.(type) {
	case []byte:
		return string(x)
	case string:
		return x
	}
	return ""
}
