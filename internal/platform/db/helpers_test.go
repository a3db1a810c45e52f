package db_test

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"kessai/internal/platform/db"
	"kessai/internal/platform/db/dbtest"
)

func TestPlaceholders(t *testing.T) {
	for n, want := range map[int]string{0: "", 1: "?", 3: "?, ?, ?"} {
		if got := db.Placeholders(n); got != want {
			t.Errorf("Placeholders(%d) = %q, want %q", n, got, want)
		}
	}
}

// TestInsertBatchesAndCollect: 2,500 rows of 3 columns (7,500 parameters, more than one
// statement may bind) arrive whole on either engine, and read back in order.
func TestInsertBatchesAndCollect(t *testing.T) {
	t.Parallel()
	sqlText := "CREATE TABLE helper_rows (id TEXT PRIMARY KEY, n INTEGER NOT NULL, label TEXT NOT NULL);"
	d := dbtest.Open(t, db.Migrations{Module: "helpers_test", FS: fstest.MapFS{
		"migrations/sqlite/0001_rows.sql":   {Data: []byte(sqlText)},
		"migrations/postgres/0001_rows.sql": {Data: []byte(sqlText)},
	}})
	ctx := context.Background()
	const n = 2500
	err := d.InTx(ctx, func(tx *db.Tx) error {
		return db.InsertBatches(ctx, tx, "INSERT INTO helper_rows (id, n, label) VALUES ", 3, n, func(i int) []any {
			return []any{fmt.Sprintf("r%05d", i), i, fmt.Sprintf("行%d", i)}
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	ids, err := db.Strings(ctx, d, `SELECT id FROM helper_rows WHERE n >= ? ORDER BY id`, n-3)
	if err != nil || len(ids) != 3 || ids[0] != fmt.Sprintf("r%05d", n-3) {
		t.Fatalf("Strings: %v %v", ids, err)
	}
	type row struct {
		n     int
		label string
	}
	rows, err := db.Collect(ctx, d, `SELECT n, label FROM helper_rows ORDER BY n`, nil, func(r *sql.Rows) (row, error) {
		var x row
		err := r.Scan(&x.n, &x.label)
		return x, err
	})
	if err != nil || len(rows) != n || rows[n-1].n != n-1 || rows[7].label != "行7" {
		t.Fatalf("Collect: %d rows, %v", len(rows), err)
	}
	// A failing batch reports the engine's error (here: a duplicate key), and the transaction
	// keeps nothing of it.
	err = d.InTx(ctx, func(tx *db.Tx) error {
		return db.InsertBatches(ctx, tx, "INSERT INTO helper_rows (id, n, label) VALUES ", 3, 2, func(i int) []any {
			return []any{"dup", i, "x"}
		})
	})
	if err == nil {
		t.Fatal("a duplicate key was inserted")
	}
	if ids, _ := db.Strings(ctx, d, `SELECT id FROM helper_rows WHERE id = 'dup'`); len(ids) != 0 {
		t.Fatal("a failed batch left rows behind")
	}
}

// TestInsertRows: rows of text, integers, NULLs and timestamps arrive whole on either engine
// (by COPY inside a PostgreSQL transaction, which a failure's message shows); a duplicate key
// fails the set and leaves nothing, and is still a unique violation.
func TestInsertRows(t *testing.T) {
	t.Parallel()
	sqlText := "CREATE TABLE insert_rows (id TEXT PRIMARY KEY, n BIGINT NOT NULL, ref TEXT, at TIMESTAMPTZ NOT NULL);"
	d := dbtest.Open(t, db.Migrations{Module: "insertrows_test", FS: fstest.MapFS{
		"migrations/sqlite/0001_rows.sql":   {Data: []byte(strings.ReplaceAll(sqlText, "TIMESTAMPTZ", "TIMESTAMP"))},
		"migrations/postgres/0001_rows.sql": {Data: []byte(sqlText)},
	}})
	ctx := context.Background()
	at := time.Date(2026, 4, 1, 1, 2, 3, 0, time.UTC)
	cols := []string{"id", "n", "ref", "at"}
	for _, n := range []int{3, 2500} { // below and above the COPY threshold
		err := d.InTx(ctx, func(tx *db.Tx) error {
			return db.InsertRows(ctx, tx, "insert_rows", cols, n, func(i int) []any {
				var ref any
				if i%2 == 0 {
					ref = fmt.Sprintf("参照%d", i)
				}
				return []any{fmt.Sprintf("r%d-%05d", n, i), int64(i), ref, at.Add(time.Duration(i) * time.Second)}
			})
		})
		if err != nil {
			t.Fatalf("%d rows: %v", n, err)
		}
	}
	var count, nulls int
	var last time.Time
	if err := d.QueryRowContext(ctx, `SELECT COUNT(*), COUNT(*) - COUNT(ref) FROM insert_rows`).Scan(&count, &nulls); err != nil {
		t.Fatal(err)
	}
	if err := d.QueryRowContext(ctx, `SELECT at FROM insert_rows ORDER BY at DESC LIMIT 1`).Scan(&last); err != nil {
		t.Fatal(err)
	}
	if count != 2503 || nulls != 1+1250 || !last.Equal(at.Add(2499*time.Second)) {
		t.Fatalf("count %d, nulls %d, last %v", count, nulls, last)
	}
	err := d.InTx(ctx, func(tx *db.Tx) error {
		return db.InsertRows(ctx, tx, "insert_rows", cols, 100, func(i int) []any {
			id := fmt.Sprintf("new%d", i)
			if i == 99 {
				id = "r3-00000"
			}
			return []any{id, int64(i), nil, at}
		})
	})
	if err == nil || !db.IsUniqueViolation(err) {
		t.Fatalf("duplicate: %v", err)
	}
	if d.Dialect() == db.Postgres && !strings.Contains(err.Error(), "copy into insert_rows") {
		t.Fatalf("100 rows on PostgreSQL were not copied: %v", err)
	}
	if ids, _ := db.Strings(ctx, d, `SELECT id FROM insert_rows WHERE id LIKE 'new%'`); len(ids) != 0 {
		t.Fatalf("a failed set left %d rows", len(ids))
	}
}
