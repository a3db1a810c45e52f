// Package dbtest gives tests a fresh, real database: a SQLite file in the test's temp dir, or —
// when KESSAI_TEST_POSTGRES_URL is set, as the test command does for its PostgreSQL pass — a
// throwaway database created on that server and dropped when the test ends.
package dbtest

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"kessai/internal/platform/db"
)

// EnvPostgres names the variable holding an admin URL of a PostgreSQL server for tests, e.g.
// postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable.
const EnvPostgres = "KESSAI_TEST_POSTGRES_URL"

// Open returns a migrated database for t on the engine the test run selects.
func Open(t testing.TB, modules ...db.Migrations) *db.DB {
	t.Helper()
	ctx := context.Background()
	var d *db.DB
	var err error
	if admin := os.Getenv(EnvPostgres); admin != "" {
		d, err = db.Open(ctx, NewPostgresDatabase(t, admin), "")
	} else {
		d, err = db.OpenSQLite(ctx, filepath.Join(t.TempDir(), "test.db"))
	}
	if err != nil {
		t.Fatalf("dbtest: open: %v", err)
	}
	t.Cleanup(func() { d.Close() })
	if _, err := d.Migrate(ctx, modules...); err != nil {
		t.Fatalf("dbtest: migrate: %v", err)
	}
	return d
}

// URL returns a connection URL for a new empty database for t: a PostgreSQL database when the
// run selects PostgreSQL, "" (meaning SQLite in a data dir) otherwise.
func URL(t testing.TB) string {
	t.Helper()
	if admin := os.Getenv(EnvPostgres); admin != "" {
		return NewPostgresDatabase(t, admin)
	}
	return ""
}

// NewPostgresDatabase creates an empty database on the server at adminURL, drops it when t
// ends, and returns its URL.
func NewPostgresDatabase(t testing.TB, adminURL string) string {
	t.Helper()
	admin, err := sql.Open("pgx", adminURL)
	if err != nil {
		t.Fatalf("dbtest: %v", err)
	}
	defer admin.Close()
	name := "kessai_test_" + strings.ToLower(strings.ReplaceAll(db.NewID(""), "-", ""))
	if _, err := admin.Exec("CREATE DATABASE " + name); err != nil {
		t.Fatalf("dbtest: create database on %s: %v", adminURL, err)
	}
	t.Cleanup(func() {
		a, err := sql.Open("pgx", adminURL)
		if err != nil {
			return
		}
		defer a.Close()
		if _, err := a.Exec("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)"); err != nil {
			t.Logf("dbtest: drop %s: %v", name, err)
		}
	})
	u, err := url.Parse(adminURL)
	if err != nil {
		t.Fatalf("dbtest: parse %s: %v", adminURL, err)
	}
	u.Path = "/" + name
	return u.String()
}

// Engine names the engine tests run on, for test names and skips with a reason.
func Engine() string {
	if os.Getenv(EnvPostgres) != "" {
		return fmt.Sprint(db.Postgres)
	}
	return fmt.Sprint(db.SQLite)
}
