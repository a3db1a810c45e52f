package commerce

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"kessai/internal/platform/audit"
	"kessai/internal/platform/clock"
	"kessai/internal/platform/db/dbtest"
)

// TestImportJobRetryAfterCrashCreatesNothingTwice: an attempt that committed its records and
// stopped before recording the outcome (a crash) is run again by River; the second attempt finds
// the import finished and creates nothing, where it used to import the whole file again.
func TestImportJobRetryAfterCrashCreatesNothingTwice(t *testing.T) {
	d := dbtest.Open(t, audit.Migrations, Migrations)
	c := clock.NewFrozen(time.Date(2026, 4, 10, 1, 0, 0, 0, time.UTC))
	s := NewStore(d, c, &audit.Log{Now: c.Now})
	s.imports = &importQueue{live: map[string]ImportProgress{}}
	ctx := context.Background()

	var b strings.Builder
	b.WriteString("氏名,フリガナ\r\n")
	for i := range 3 {
		fmt.Fprintf(&b, "取込 太郎%d,トリコミ タロウ\r\n", i)
	}
	path := filepath.Join(t.TempDir(), "customers.csv")
	if err := os.WriteFile(path, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	now := c.Now()
	if _, err := d.ExecContext(ctx, `INSERT INTO csv_imports (id, kind, status, file_name, file_path, file_size,
		created_by, principal_json, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		"imp_1", "customers", ImportQueued, "customers.csv", path, b.Len(), "", "", now, now); err != nil {
		t.Fatal(err)
	}
	job := func(attempt int) *river.Job[ImportArgs] {
		return &river.Job[ImportArgs]{JobRow: &rivertype.JobRow{Attempt: attempt, MaxAttempts: 3}, Args: ImportArgs{ImportID: "imp_1"}}
	}
	crashed := func() (p any) {
		defer func() { p = recover() }()
		w := &importWorker{s: s, committed: func() { panic("crash") }}
		_ = w.Work(ctx, job(1))
		return nil
	}()
	if crashed == nil {
		t.Fatal("the first attempt did not reach the commit")
	}
	if err := (&importWorker{s: s}).Work(ctx, job(2)); err != nil {
		t.Fatal(err)
	}
	var n int
	if err := d.QueryRowContext(ctx, `SELECT COUNT(*) FROM customers`).Scan(&n); err != nil || n != 3 {
		t.Fatalf("%d customers (%v) after the retry, want the file's 3 once", n, err)
	}
	run, err := s.GetImport(ctx, "imp_1")
	if err != nil || run.Status != ImportDone || run.Created != 0 || !strings.Contains(run.Message, "中断") {
		t.Fatalf("import %+v (%v), want done, saying the attempt stopped", run, err)
	}
}
