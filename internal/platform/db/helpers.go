package db

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"
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

// copyFrom is how many rows make a COPY worth its extra round trip over a multi-row INSERT.
const copyFrom = 64

// InsertRows inserts n rows of the columns cols into table, each row's values given by row(i).
// In a PostgreSQL transaction with copyFrom rows or more it streams them with COPY (one round
// trip for the whole set, no statement to parse); otherwise it runs multi-row INSERTs
// (InsertBatches), the fastest SQLite has.
func InsertRows(ctx context.Context, q Querier, table string, cols []string, n int, row func(i int) []any) error {
	if tx, ok := q.(*Tx); ok && tx.conn != nil && n >= copyFrom {
		return tx.conn.Raw(func(dc any) error {
			c, ok := dc.(interface{ Conn() *pgx.Conn })
			if !ok {
				return fmt.Errorf("copy into %s: driver connection %T is not pgx", table, dc)
			}
			i := -1
			src := pgx.CopyFromFunc(func() ([]any, error) {
				if i++; i >= n {
					return nil, nil
				}
				return row(i), nil
			})
			if _, err := c.Conn().CopyFrom(ctx, pgx.Identifier{table}, cols, src); err != nil {
				return fmt.Errorf("copy into %s: %w", table, err)
			}
			return nil
		})
	}
	return InsertBatches(ctx, q, "INSERT INTO "+table+" ("+strings.Join(cols, ", ")+") VALUES ", len(cols), n, row)
}
