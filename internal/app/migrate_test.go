package app

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"kessai/internal/platform/db"
	"kessai/internal/platform/db/dbtest"
)

// `kessai migrate` leaves a database that serve would find fully migrated: every package's
// migrations and the job queue's tables, on the engine of the run.
func TestMigrateCommand(t *testing.T) {
	t.Parallel()
	dir, url := t.TempDir(), dbtest.URL(t)
	env := func(k string) string {
		if k == "KESSAI_DATABASE_URL" {
			return url
		}
		return ""
	}
	var out, errb bytes.Buffer
	ctx := context.Background()
	if err := Run(ctx, []string{"migrate", "--data", dir}, env, &out, &errb); err != nil {
		t.Fatalf("migrate: %v\n%s", err, errb.String())
	}
	if !strings.Contains(out.String(), "migrations applied") {
		t.Fatalf("migrate printed %q", out.String())
	}
	d, err := db.Open(ctx, url, dir)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	if n, err := d.Pending(ctx, migrations(Rooms())...); err != nil || n != 0 {
		t.Fatalf("pending after migrate = %d, %v", n, err)
	}
	var jobsCount int
	if err := d.QueryRowContext(ctx, `SELECT COUNT(*) FROM river_job`).Scan(&jobsCount); err != nil {
		t.Fatalf("river tables missing after migrate: %v", err)
	}
	// Running it again is harmless.
	if err := Run(ctx, []string{"migrate", "--data", dir}, env, &out, &errb); err != nil {
		t.Fatalf("second migrate: %v", err)
	}
}
