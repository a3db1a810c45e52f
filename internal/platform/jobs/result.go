package jobs

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"kessai/internal/platform/auth"
	"kessai/internal/platform/db"
)

// Results for people live in job_runs, one row per River job, not in River's metadata: a
// result CSV can be megabytes (River copies metadata on every state change and lists), progress
// is written many times while River itself updates the row, and results should outlive River's
// retention of finished jobs. A row exists only for jobs that reported progress, a result or an
// error.

// Count is one outcome of a job ("完了" 12). Link optionally points at the records.
type Count struct {
	Label string `json:"label"`
	N     int    `json:"n"`
	Link  string `json:"link,omitempty"`
}

// Result is what a job reports when it is done.
type Result struct {
	Counts []Count
	// Note is one line for people ("3月分の洗替結果を反映しました").
	Note string
	// CSV is an optional download (already encoded, e.g. CP932 by jpcsv); CSVName its file
	// name ("cardupdate-2026-11.csv").
	CSV     []byte
	CSVName string
}

// Run is a job's row in job_runs.
type Run struct {
	JobID     int64
	Kind      string
	Done      int
	Total     int
	Counts    []Count
	Note      string
	Error     string
	CSVName   string
	CSVSize   int
	UpdatedAt time.Time
}

type runKey struct{}

// run is what the worker middleware puts in a job's context.
type run struct {
	q   *Queue
	job *rivertype.JobRow

	mu        sync.Mutex
	lastWrite time.Time
}

// workContext gives every job its run (for Progress and Finish) and a job principal, so audit
// entries written by jobs name the job.
func (q *Queue) workContext(ctx context.Context, job *rivertype.JobRow, doInner func(context.Context) error) error {
	ctx = context.WithValue(ctx, runKey{}, &run{q: q, job: job})
	if auth.FromContext(ctx) == nil {
		ctx = auth.WithPrincipal(ctx, &auth.Principal{Kind: auth.KindJob, ID: fmt.Sprint(job.ID), Name: job.Kind, Role: auth.RoleAdmin})
	}
	return doInner(ctx)
}

// JobID returns the ID of the job ctx belongs to (0 outside a job).
func JobID(ctx context.Context) int64 {
	if r, ok := ctx.Value(runKey{}).(*run); ok {
		return r.job.ID
	}
	return 0
}

// progressEvery limits progress writes: a bulk action over 10,000 records reports each one, the
// page polls every second or so.
const progressEvery = 500 * time.Millisecond

// Progress records that done of total items are finished. Calls are cheap: the row is written
// at most twice a second, and always when done reaches total. Call it outside any transaction
// (SQLite has one connection). Outside a job it does nothing.
func Progress(ctx context.Context, done, total int) error {
	r, ok := ctx.Value(runKey{}).(*run)
	if !ok {
		return nil
	}
	r.mu.Lock()
	now := time.Now()
	if done < total && now.Sub(r.lastWrite) < progressEvery {
		r.mu.Unlock()
		return nil
	}
	r.lastWrite = now
	r.mu.Unlock()
	return r.q.SetProgress(ctx, r.job.ID, r.job.Kind, done, total)
}

// Finish records the job's result. Call it once, at the end of Work, outside any transaction.
// Outside a job it does nothing.
func Finish(ctx context.Context, res Result) error {
	r, ok := ctx.Value(runKey{}).(*run)
	if !ok {
		return nil
	}
	return r.q.SetResult(ctx, r.job.ID, r.job.Kind, res)
}

// SetProgress is Progress for a known job ID (e.g. from code that is not the worker itself).
func (q *Queue) SetProgress(ctx context.Context, jobID int64, kind string, done, total int) error {
	now := q.cfg.Clock.Now().UTC()
	_, err := q.d.ExecContext(ctx, `INSERT INTO job_runs (job_id, kind, done, total, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?)
		ON CONFLICT (job_id) DO UPDATE SET done = excluded.done, total = excluded.total, updated_at = excluded.updated_at`,
		jobID, kind, done, total, now, now)
	if err != nil {
		return fmt.Errorf("jobs: progress of job %d: %w", jobID, err)
	}
	return nil
}

// SetResult is Finish for a known job ID.
func (q *Queue) SetResult(ctx context.Context, jobID int64, kind string, res Result) error {
	counts, err := json.Marshal(res.Counts)
	if err != nil {
		return fmt.Errorf("jobs: result of job %d: %w", jobID, err)
	}
	if res.Counts == nil {
		counts = []byte("[]")
	}
	name := res.CSVName
	if len(res.CSV) > 0 && name == "" {
		name = fmt.Sprintf("job-%d.csv", jobID)
	}
	var csv any // NULL when there is none
	if len(res.CSV) > 0 {
		csv = res.CSV
	}
	now := q.cfg.Clock.Now().UTC()
	_, err = q.d.ExecContext(ctx, `INSERT INTO job_runs (job_id, kind, counts_json, note, csv, csv_name, csv_size, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (job_id) DO UPDATE SET counts_json = excluded.counts_json, note = excluded.note,
			csv = excluded.csv, csv_name = excluded.csv_name, csv_size = excluded.csv_size, updated_at = excluded.updated_at`,
		jobID, kind, string(counts), res.Note, csv, name, len(res.CSV), now, now)
	if err != nil {
		return fmt.Errorf("jobs: result of job %d: %w", jobID, err)
	}
	return nil
}

// maxErrorLen keeps the short error of job_runs short; the whole error of every attempt stays
// in River's row.
const maxErrorLen = 500

func (q *Queue) setError(ctx context.Context, job *rivertype.JobRow, msg string) {
	if len(msg) > maxErrorLen {
		msg = msg[:maxErrorLen]
		for !utf8.ValidString(msg) {
			msg = msg[:len(msg)-1]
		}
	}
	now := q.cfg.Clock.Now().UTC()
	_, err := q.d.ExecContext(context.WithoutCancel(ctx), `INSERT INTO job_runs (job_id, kind, error, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?)
		ON CONFLICT (job_id) DO UPDATE SET error = excluded.error, updated_at = excluded.updated_at`,
		job.ID, job.Kind, msg, now, now)
	if err != nil {
		q.log.Error("jobs: record job error", "job_id", job.ID, "kind", job.Kind, "err", err)
	}
}

// errorRecorder copies each failed attempt's error to job_runs for the list page and logs it
// with the job ID.
type errorRecorder struct{ q *Queue }

func (e errorRecorder) HandleError(ctx context.Context, job *rivertype.JobRow, err error) *river.ErrorHandlerResult {
	e.q.log.Warn("job attempt failed", "job_id", job.ID, "kind", job.Kind, "attempt", job.Attempt, "err", err)
	e.q.setError(ctx, job, fmt.Sprintf("試行%d: %v", job.Attempt, err))
	return nil
}

func (e errorRecorder) HandlePanic(ctx context.Context, job *rivertype.JobRow, panicVal any, trace string) *river.ErrorHandlerResult {
	e.q.log.Error("job panicked", "job_id", job.ID, "kind", job.Kind, "attempt", job.Attempt, "panic", fmt.Sprint(panicVal), "trace", trace)
	e.q.setError(ctx, job, fmt.Sprintf("試行%d: panic: %v", job.Attempt, panicVal))
	return nil
}

// GetRun returns a job's row in job_runs; db.ErrNotFound when the job reported nothing.
func (q *Queue) GetRun(ctx context.Context, jobID int64) (*Run, error) {
	var r Run
	var counts string
	err := q.d.QueryRowContext(ctx, `SELECT job_id, kind, done, total, counts_json, note, error, csv_name, csv_size, updated_at
		FROM job_runs WHERE job_id = ?`, jobID).
		Scan(&r.JobID, &r.Kind, &r.Done, &r.Total, &counts, &r.Note, &r.Error, &r.CSVName, &r.CSVSize, &r.UpdatedAt)
	if err != nil {
		return nil, db.NotFound(err)
	}
	if err := decodeCounts(counts, &r.Counts); err != nil {
		return nil, fmt.Errorf("jobs: counts of job %d: %w", jobID, err)
	}
	return &r, nil
}

// ResultCSV returns a job's result CSV and its file name; db.ErrNotFound when there is none.
func (q *Queue) ResultCSV(ctx context.Context, jobID int64) (name string, data []byte, err error) {
	err = q.d.QueryRowContext(ctx, `SELECT csv_name, csv FROM job_runs WHERE job_id = ? AND csv IS NOT NULL`, jobID).Scan(&name, &data)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil, db.ErrNotFound
	}
	if err != nil {
		return "", nil, fmt.Errorf("jobs: result csv of job %d: %w", jobID, err)
	}
	return name, data, nil
}

func decodeCounts(s string, out *[]Count) error {
	if s == "" {
		return nil
	}
	return json.Unmarshal([]byte(s), out)
}
