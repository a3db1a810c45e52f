package commerce_test

import (
	"testing"

	"kessai/internal/commerce"
	"kessai/internal/platform/db/dbtest"
)

// The schema applies on the engine of the run (SQLite, or PostgreSQL in the second pass).
func TestMigrationsApply(t *testing.T) {
	d := dbtest.Open(t, commerce.Migrations)
	var n int
	if err := d.QueryRowContext(t.Context(), `SELECT COUNT(*) FROM purchase_cases`).Scan(&n); err != nil {
		t.Fatal(err)
	}
}
