package db

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
)

// Placeholders returns "?, ?, …" with n marks (for IN lists and multi-row VALUES).
func Placeholders(n int) string {
	if n <= 0 {
		return ""
	}
	return strings.Repeat("?, ", n-1) + "?"
}

// maxParams keeps a statement below both engines' limits on bound parameters (SQLite 32766,
// PostgreSQL 65535) with room to spare.
const maxParams = 3000

// InsertBatches runs multi-row INSERTs: prefix is "INSERT INTO t (a, b) VALUES ", each of the
// n rows has cols values given by row(i); rows are chunked below the engines' parameter limits.
func InsertBatches(ctx context.Context, q Querier, prefix string, cols, n int, row func(i int) []any) error {
	per := max(1, maxParams/cols)
	one := "(" + Placeholders(cols) + ")"
	for start := 0; start < n; start += per {
		end := min(n, start+per)
		var b strings.Builder
		b.WriteString(prefix)
		args := make([]any, 0, (end-start)*cols)
		for i := start; i < end; i++ {
			if i > start {
				b.WriteString(", ")
			}
			b.WriteString(one)
			args = append(args, row(i)...)
		}
		if _, err := q.ExecContext(ctx, b.String(), args...); err != nil {
			return err
		}
	}
	return nil
}

// Collect reads every row of query with scan.
func Collect[T any](ctx context.Context, q Querier, query string, args []any, scan func(*sql.Rows) (T, error)) ([]T, error) {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []T
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

// Strings reads the first column of every row (IDs, codes).
func Strings(ctx context.Context, q Querier, query string, args ...any) ([]string, error) {
	out, err := Collect(ctx, q, query, args, func(r *sql.Rows) (string, error) {
		var s string
		err := r.Scan(&s)
		return s, err
	})
	if err != nil {
		return nil, fmt.Errorf("list: %w", err)
	}
	return out, nil
}
