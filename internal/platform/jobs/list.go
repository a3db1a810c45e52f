package jobs

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"github.com/riverqueue/river/rivertype"

	"kessai/internal/platform/status"
)

// States are the job states people see. Each groups one or more River states; the code is what
// the page's filter and the API use.
var States = status.NewSet("job",
	status.Status{Code: "waiting", Label: "待機中", Actions: []string{"cancel"}},
	status.Status{Code: "running", Label: "実行中", Actions: []string{"cancel"}},
	status.Status{Code: "retryable", Label: "再試行待ち", Level: "warn", Actions: []string{"retry", "cancel"}},
	status.Status{Code: "completed", Label: "完了", Level: "ok", Final: true, Actions: []string{"retry"}},
	status.Status{Code: "failed", Label: "失敗", Level: "error", Final: true, Actions: []string{"retry"}},
	status.Status{Code: "cancelled", Label: "取消", Final: true, Actions: []string{"retry"}},
)

// StateOf maps a River state to the code of States. The switch is exhaustive on purpose.
func StateOf(s rivertype.JobState) string {
	switch s {
	case rivertype.JobStateAvailable, rivertype.JobStateScheduled, rivertype.JobStatePending:
		return "waiting"
	case rivertype.JobStateRunning:
		return "running"
	case rivertype.JobStateRetryable:
		return "retryable"
	case rivertype.JobStateCompleted:
		return "completed"
	case rivertype.JobStateDiscarded:
		return "failed"
	case rivertype.JobStateCancelled:
		return "cancelled"
	}
	return string(s)
}

// riverStates is the inverse of StateOf.
func riverStates(code string) []string {
	var out []string
	for _, s := range rivertype.JobStates() {
		if StateOf(s) == code {
			out = append(out, string(s))
		}
	}
	return out
}

// Job is one line of the ジョブ管理 list: River's row joined with its result.
type Job struct {
	ID          int64
	Kind        string
	State       string // code of States
	Attempt     int
	MaxAttempts int
	CreatedAt   time.Time
	ScheduledAt time.Time
	StartedAt   time.Time // zero until the first attempt
	FinishedAt  time.Time // zero until final
	Run         Run       // zero when the job reported nothing
}

// Filter selects jobs for the list.
type Filter struct {
	Kind  string
	State string // code of States; "" for all
}

// List returns one page of jobs, newest first, and the total matching the filter. It reads
// River's table directly so it can page by number and join results on both engines.
func (q *Queue) List(ctx context.Context, f Filter, offset, limit int) ([]Job, int, error) {
	where := []string{"1 = 1"}
	var args []any
	if f.Kind != "" {
		where = append(where, "j.kind = ?")
		args = append(args, f.Kind)
	}
	if f.State != "" {
		states := riverStates(f.State)
		if len(states) == 0 {
			return nil, 0, nil
		}
		where = append(where, "j.state IN (?"+strings.Repeat(", ?", len(states)-1)+")")
		for _, s := range states {
			args = append(args, s)
		}
	}
	cond := strings.Join(where, " AND ")
	var total int
	if err := q.d.QueryRowContext(ctx, `SELECT COUNT(*) FROM river_job j WHERE `+cond, args...).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("jobs: count: %w", err)
	}
	rows, err := q.d.QueryContext(ctx, `SELECT j.id, j.kind, j.state, j.attempt, j.max_attempts,
			j.created_at, j.scheduled_at, j.attempted_at, j.finalized_at,
			COALESCE(r.done, 0), COALESCE(r.total, 0), COALESCE(r.counts_json, ''), COALESCE(r.note, ''),
			COALESCE(r.error, ''), COALESCE(r.csv_name, ''), COALESCE(r.csv_size, 0)
		FROM river_job j LEFT JOIN job_runs r ON r.job_id = j.id
		WHERE `+cond+` ORDER BY j.id DESC LIMIT ? OFFSET ?`, append(args, limit, offset)...)
	if err != nil {
		return nil, 0, fmt.Errorf("jobs: list: %w", err)
	}
	defer rows.Close()
	var out []Job
	for rows.Next() {
		var j Job
		var state, counts string
		var started, finished sql.NullTime
		if err := rows.Scan(&j.ID, &j.Kind, &state, &j.Attempt, &j.MaxAttempts, &j.CreatedAt, &j.ScheduledAt,
			&started, &finished, &j.Run.Done, &j.Run.Total, &counts, &j.Run.Note, &j.Run.Error,
			&j.Run.CSVName, &j.Run.CSVSize); err != nil {
			return nil, 0, fmt.Errorf("jobs: list: %w", err)
		}
		j.State = StateOf(rivertype.JobState(state))
		j.StartedAt, j.FinishedAt = started.Time, finished.Time
		j.Run.JobID, j.Run.Kind = j.ID, j.Kind
		if err := decodeCounts(counts, &j.Run.Counts); err != nil {
			return nil, 0, fmt.Errorf("jobs: counts of job %d: %w", j.ID, err)
		}
		out = append(out, j)
	}
	return out, total, rows.Err()
}

// KindStateCount is how many jobs of a kind are in a River state (for /metrics).
type KindStateCount struct {
	Kind  string
	State string // River's state
	N     int
}

// CountByKindState counts River's jobs by kind and state.
func (q *Queue) CountByKindState(ctx context.Context) ([]KindStateCount, error) {
	rows, err := q.d.QueryContext(ctx, `SELECT kind, state, COUNT(*) FROM river_job GROUP BY kind, state ORDER BY kind, state`)
	if err != nil {
		return nil, fmt.Errorf("jobs: count by kind and state: %w", err)
	}
	defer rows.Close()
	var out []KindStateCount
	for rows.Next() {
		var c KindStateCount
		if err := rows.Scan(&c.Kind, &c.State, &c.N); err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// OnRecordsClock moves a time River stamped (on the wall clock) onto the business clock the
// records use, so ジョブ管理 and the records agree after the sandbox clock was moved: it adds
// the clock's current offset from the wall clock (zero for the system clock).
func (q *Queue) OnRecordsClock(wall time.Time) time.Time {
	if wall.IsZero() {
		return wall
	}
	if o, ok := q.cfg.Clock.(interface{ Offset() time.Duration }); ok {
		return wall.Add(o.Offset())
	}
	return wall
}
