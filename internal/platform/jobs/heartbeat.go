package jobs

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"time"

	"github.com/riverqueue/river"

	"kessai/internal/platform/db"
)

//go:embed migrations
var migrationsFS embed.FS

// Migrations creates job_runs, job_schedule and job_heartbeats. New applies them (and River's
// own tables); `kessai migrate` can list them with the others.
var Migrations = db.Migrations{Module: "jobs", FS: migrationsFS}

// HeartbeatArgs is the built-in system job that runs every HeartbeatEvery on some instance and
// writes one row: the top page warns when the newest row is old, and the two-instance test
// counts the rows to prove each period ran once. It also prunes old heartbeats and results.
type HeartbeatArgs struct{}

// Kind is the job kind.
func (HeartbeatArgs) Kind() string { return "system.heartbeat" }

// Label names the kind on the ジョブ管理 page.
func (HeartbeatArgs) Label() string { return "稼働確認" }

// InsertOpts: a heartbeat that fails three times is stale anyway; the next period makes a new one.
func (HeartbeatArgs) InsertOpts() river.InsertOpts { return river.InsertOpts{MaxAttempts: 3} }

type heartbeatWorker struct {
	river.WorkerDefaults[HeartbeatArgs]
	q *Queue
}

const (
	heartbeatRetention = 7 * 24 * time.Hour
	// runRetention keeps results a while after River dropped the job (7 days after it finished).
	runRetention = 30 * 24 * time.Hour
)

func (w *heartbeatWorker) Work(ctx context.Context, job *river.Job[HeartbeatArgs]) error {
	now := w.q.cfg.Clock.Now().UTC()
	var period sql.NullTime
	if p, ok := PeriodOf(job.JobRow); ok {
		period = sql.NullTime{Time: p, Valid: true}
	}
	worker := ""
	if n := len(job.AttemptedBy); n > 0 {
		worker = job.AttemptedBy[n-1]
	}
	if _, err := w.q.d.ExecContext(ctx, `INSERT INTO job_heartbeats (id, job_id, period, worker, ran_at) VALUES (?, ?, ?, ?, ?)`,
		db.NewID("hb"), job.ID, period, worker, now); err != nil {
		return fmt.Errorf("heartbeat: %w", err)
	}
	if _, err := w.q.d.ExecContext(ctx, `DELETE FROM job_heartbeats WHERE ran_at < ?`, now.Add(-heartbeatRetention)); err != nil {
		return fmt.Errorf("heartbeat: prune: %w", err)
	}
	if _, err := w.q.d.ExecContext(ctx, `DELETE FROM job_runs WHERE updated_at < ?
		AND NOT EXISTS (SELECT 1 FROM river_job j WHERE j.id = job_runs.job_id)`, now.Add(-runRetention)); err != nil {
		return fmt.Errorf("heartbeat: prune results: %w", err)
	}
	return nil
}

// LastHeartbeat returns when system.heartbeat last ran (zero if never).
func (q *Queue) LastHeartbeat(ctx context.Context) (time.Time, error) {
	// ORDER BY … LIMIT 1 rather than MAX(): SQLite types an aggregate as text, a column as time.
	var t time.Time
	err := q.d.QueryRowContext(ctx, `SELECT ran_at FROM job_heartbeats ORDER BY ran_at DESC LIMIT 1`).Scan(&t)
	if errors.Is(err, sql.ErrNoRows) {
		return time.Time{}, nil
	}
	if err != nil {
		return time.Time{}, fmt.Errorf("jobs: last heartbeat: %w", err)
	}
	return t.UTC(), nil
}

// Healthy reports whether a heartbeat ran within three periods of Clock's now.
func (q *Queue) Healthy(ctx context.Context) (bool, time.Time, error) {
	last, err := q.LastHeartbeat(ctx)
	if err != nil {
		return false, last, err
	}
	return !last.IsZero() && q.cfg.Clock.Now().Sub(last) <= 3*q.cfg.HeartbeatEvery, last, nil
}
