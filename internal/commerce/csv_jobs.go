package commerce

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"sync"
	"time"

	"github.com/riverqueue/river"

	"kessai/internal/platform/auth"
	"kessai/internal/platform/db"
	"kessai/internal/platform/errs"
	"kessai/internal/platform/jobs"
	"kessai/internal/platform/logs"
	"kessai/internal/platform/status"
)

// Large CSV imports run as jobs. The upload route has streamed the file to disk under its own
// cap; StartImport records the import (claiming the form's one-time token in the same
// transaction) and enqueues a csv.import job, which runs the two-pass import on the file and
// removes it once the import has an outcome. The row in csv_imports is the import's page and
// API resource: phase, rows done of the total, and the outcome — records created, or every row
// error (the first maxStoredErrors kept) and nothing created.

// Import statuses.
const (
	ImportQueued  = "queued"
	ImportRunning = "running"
	ImportDone    = "done"
	ImportFailed  = "failed"
)

// ImportStatuses are the states of an import for labels.
var ImportStatuses = status.NewSet("import_status",
	status.Status{Code: ImportQueued, Label: "待機中", Level: "info"},
	status.Status{Code: ImportRunning, Label: "取込中", Level: "info"},
	status.Status{Code: ImportDone, Label: "完了", Level: "ok"},
	status.Status{Code: ImportFailed, Label: "エラー（何も登録していません）", Level: "error"},
)

// maxStoredErrors bounds the row errors kept with an import (ErrorCount counts them all).
const maxStoredErrors = 1000

// ImportRun is one CSV import run as a job.
type ImportRun struct {
	ID         string       `json:"id"`
	Kind       string       `json:"kind" doc:"customers、cases、orders"`
	Status     string       `json:"status" doc:"queued（待機中）、running（取込中）、done（完了）、failed（エラー・何も登録していません）"`
	Phase      string       `json:"phase,omitempty" doc:"checking（全行の確認）、writing（登録）"`
	FileName   string       `json:"file_name"`
	FileSize   int64        `json:"file_size"`
	Encoding   string       `json:"encoding,omitempty"`
	RowsDone   int          `json:"rows_done" doc:"この段階で処理した行数"`
	RowsTotal  int          `json:"rows_total" doc:"ファイルのデータ行数（確認が終わるまで0）"`
	Created    int          `json:"created"`
	FirstCode  string       `json:"first_code,omitempty"`
	LastCode   string       `json:"last_code,omitempty"`
	ErrorCount int          `json:"error_count"`
	Errors     []RowProblem `json:"errors,omitempty" doc:"行ごとのエラー（先頭1,000件）"`
	Message    string       `json:"message,omitempty"`
	JobID      int64        `json:"job_id"`
	CreatedBy  string       `json:"created_by"`
	CreatedAt  time.Time    `json:"created_at"`
	UpdatedAt  time.Time    `json:"updated_at"`
	FinishedAt time.Time    `json:"finished_at,omitzero"`

	path      string
	principal string
}

// RowProblem is one row error of an import, as the API shows it.
type RowProblem struct {
	Row     int    `json:"row" doc:"Excelと同じ行番号（見出しが1行目）"`
	Column  string `json:"column,omitempty"`
	Value   string `json:"value,omitempty"`
	Message string `json:"message"`
}

// Finished reports whether the import has its outcome.
func (r ImportRun) Finished() bool { return r.Status == ImportDone || r.Status == ImportFailed }

// Percent is the progress of the current phase, for the bar (0 while the total is unknown).
func (r ImportRun) Percent() int {
	if r.Finished() {
		return 100
	}
	if r.RowsTotal == 0 {
		return 0
	}
	return min(100, r.RowsDone*100/r.RowsTotal)
}

// importKindsByName are the record types a CSV import creates, with their importer.
var importRunners = map[string]func(s *Store, ctx context.Context, f io.Reader, opt ImportOptions) (ImportResult, error){
	"customers": (*Store).ImportCustomersWith,
	"cases":     (*Store).ImportCasesWith,
	"orders":    (*Store).ImportOrdersWith,
}

// importQueue is the store's link to the job queue and the progress of the write passes
// running in this process (their transaction holds SQLite's only writer, so that progress
// lives in memory until the import commits).
type importQueue struct {
	q         *jobs.Queue
	inRequest int64
	mu        sync.Mutex
	live      map[string]ImportProgress
}

// DefaultImportInRequest is the largest file imported while its request waits (about 4,000
// customers: well under a second); larger ones run as jobs.
const DefaultImportInRequest = 1 << 20

// UseImportQueue makes imports of files over inRequest bytes run as csv.import jobs on q
// (inRequest 0: every file). Call it while wiring, before the queue starts.
func (s *Store) UseImportQueue(q *jobs.Queue, inRequest int64) error {
	s.imports = &importQueue{q: q, inRequest: inRequest, live: map[string]ImportProgress{}}
	return jobs.AddWorker(q, &importWorker{s: s})
}

// ImportAsJob reports whether a file of size bytes is imported by a job (or force: the API's
// async=true), not in its request.
func (s *Store) ImportAsJob(size int64, force bool) bool {
	return s.imports != nil && (force || size > s.imports.inRequest)
}

// StartImport records an import of the file at path (which it now owns and removes when done)
// and enqueues its job. also runs in the recording transaction with the import's ID (the pages
// claim the form token there, so a repeated submit finds this import).
func (s *Store) StartImport(ctx context.Context, kind, path, fileName string, size int64, also ...Also) (ImportRun, error) {
	if s.imports == nil {
		return ImportRun{}, errors.New("commerce: imports have no job queue")
	}
	if _, ok := importRunners[kind]; !ok {
		return ImportRun{}, fmt.Errorf("commerce: no import of %q", kind)
	}
	now := s.now()
	run := ImportRun{ID: db.NewID("imp"), Kind: kind, Status: ImportQueued, FileName: fileName, FileSize: size,
		CreatedAt: now, UpdatedAt: now, path: path}
	if p := auth.FromContext(ctx); p != nil {
		run.CreatedBy = p.Name
		b, _ := json.Marshal(auth.Principal{Kind: p.Kind, ID: p.ID, Name: p.Name, Role: p.Role})
		run.principal = string(b)
	}
	err := s.db.InTx(ctx, func(tx *db.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO csv_imports (id, kind, status, file_name, file_path, file_size,
			created_by, principal_json, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			run.ID, kind, run.Status, fileName, path, size, run.CreatedBy, run.principal, now, now)
		if err != nil {
			return fmt.Errorf("record import: %w", err)
		}
		return runAlso(ctx, tx, run.ID, also)
	})
	if err != nil {
		_ = os.Remove(path)
		return ImportRun{}, err
	}
	jobID, _, err := s.imports.q.Insert(ctx, ImportArgs{ImportID: run.ID}, nil)
	if err != nil {
		s.finishImport(ctx, run.ID, ImportResult{}, fmt.Errorf("取込ジョブを登録できませんでした: %w", err))
		return ImportRun{}, err
	}
	run.JobID = jobID
	if _, err := s.db.ExecContext(ctx, `UPDATE csv_imports SET job_id = ? WHERE id = ?`, jobID, run.ID); err != nil {
		return ImportRun{}, fmt.Errorf("record import job: %w", err)
	}
	return run, nil
}

const importColumns = `id, kind, status, phase, file_name, file_path, file_size, encoding, rows_done, rows_total,
	created_count, first_code, last_code, error_count, errors_json, message, job_id, created_by, principal_json,
	created_at, updated_at, finished_at`

// GetImport returns an import with its latest progress.
func (s *Store) GetImport(ctx context.Context, id string) (ImportRun, error) {
	var r ImportRun
	var errorsJSON string
	var finished sql.NullTime
	err := s.db.QueryRowContext(ctx, `SELECT `+importColumns+` FROM csv_imports WHERE id = ?`, id).Scan(
		&r.ID, &r.Kind, &r.Status, &r.Phase, &r.FileName, &r.path, &r.FileSize, &r.Encoding, &r.RowsDone, &r.RowsTotal,
		&r.Created, &r.FirstCode, &r.LastCode, &r.ErrorCount, &errorsJSON, &r.Message, &r.JobID, &r.CreatedBy, &r.principal,
		&r.CreatedAt, &r.UpdatedAt, &finished)
	if err != nil {
		return r, db.NotFound(err)
	}
	r.CreatedAt, r.UpdatedAt = r.CreatedAt.UTC(), r.UpdatedAt.UTC()
	if finished.Valid {
		r.FinishedAt = finished.Time.UTC()
	}
	if errorsJSON != "" {
		if err := json.Unmarshal([]byte(errorsJSON), &r.Errors); err != nil {
			return r, fmt.Errorf("import %s: errors: %w", id, err)
		}
	}
	if s.imports != nil && r.Status == ImportRunning {
		s.imports.mu.Lock()
		if p, ok := s.imports.live[id]; ok {
			r.Phase, r.RowsDone, r.RowsTotal = p.Phase, p.Rows, p.Total
		}
		s.imports.mu.Unlock()
	}
	return r, nil
}

// ImportArgs is the job that runs one import.
type ImportArgs struct {
	ImportID string `json:"import_id"`
}

// Kind names the job in River and on the ジョブ管理 page.
func (ImportArgs) Kind() string { return "csv.import" }

// Label names the kind on the ジョブ管理 page.
func (ImportArgs) Label() string { return "CSV取込" }

// Link is the import's page.
func (a ImportArgs) Link() string { return "/imports/" + url.PathEscape(a.ImportID) }

// InsertOpts: an attempt either commits everything or nothing, so a retry after a failure of
// the database is safe; a file that is bad is an outcome, not a failure, and is not retried.
func (ImportArgs) InsertOpts() river.InsertOpts { return river.InsertOpts{MaxAttempts: 3} }

type importWorker struct {
	river.WorkerDefaults[ImportArgs]
	s *Store
	// committed, when set (tests), runs after an import's records committed and before its
	// outcome is recorded: where a crash would stop the attempt.
	committed func()
}

// errImportClaimed is an attempt whose import another attempt already committed.
var errImportClaimed = errors.New("commerce: import already committed by another attempt")

// phaseCommitted is an import whose records are committed and whose outcome is not yet recorded.
const phaseCommitted = "committed"

// claimImport marks the import committed in the transaction that creates its records: an
// attempt River runs again after a crash between that commit and finishImport (or beside a
// first one it thought stuck) finds it so and creates nothing a second time.
func (s *Store) claimImport(id string) Also {
	return func(ctx context.Context, tx *db.Tx, _ string) error {
		res, err := tx.ExecContext(ctx, `UPDATE csv_imports SET phase = ?, updated_at = ? WHERE id = ? AND status = ? AND phase <> ?`,
			phaseCommitted, s.now(), id, ImportRunning, phaseCommitted)
		if err != nil {
			return fmt.Errorf("import %s: claim: %w", id, err)
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return errImportClaimed
		}
		return nil
	}
}

// Timeout: a million-row file takes minutes (24 on a loaded 2-core machine), more than the
// queue's ten; an hour stays below River's rescue of jobs that look stuck (the job timeout plus
// an hour), which would run a second attempt beside the first.
func (*importWorker) Timeout(*river.Job[ImportArgs]) time.Duration { return time.Hour }

// progressWrite is how often the checking pass writes its progress to the import's row.
const progressWrite = time.Second

func (w *importWorker) Work(ctx context.Context, job *river.Job[ImportArgs]) error {
	s := w.s
	run, err := s.GetImport(ctx, job.Args.ImportID)
	if errors.Is(err, db.ErrNotFound) {
		return river.JobCancel(fmt.Errorf("import %s does not exist", job.Args.ImportID))
	}
	if err != nil {
		return err
	}
	if run.Finished() {
		return nil
	}
	if run.Phase == phaseCommitted { // an earlier attempt committed the records and stopped
		s.finishImport(ctx, run.ID, ImportResult{}, nil)
		_, err := s.db.ExecContext(ctx, `UPDATE csv_imports SET message = ? WHERE id = ?`,
			"登録しました（件数を記録する前に処理が中断しました。登録された件数は一覧でご確認ください）", run.ID)
		return err
	}
	if run.principal != "" {
		// The audit entries of the records name the person who uploaded the file.
		var p auth.Principal
		if json.Unmarshal([]byte(run.principal), &p) == nil && p.ID != "" {
			ctx = auth.WithPrincipal(ctx, &p)
		}
	}
	f, err := os.Open(run.path)
	if err != nil {
		s.finishImport(ctx, run.ID, ImportResult{}, errs.Invalid("取り込むファイルがありません（サーバーの再起動などで失われました）。もう一度アップロードしてください").Wrap(err))
		return nil
	}
	defer f.Close()
	started, err := s.db.ExecContext(ctx, `UPDATE csv_imports SET status = ?, phase = ?, rows_done = 0, rows_total = 0, updated_at = ?
		WHERE id = ? AND status IN (?, ?) AND phase <> ?`, ImportRunning, PhaseChecking, s.now(), run.ID, ImportQueued, ImportRunning, phaseCommitted)
	if err != nil {
		return fmt.Errorf("import %s: start: %w", run.ID, err)
	}
	if n, _ := started.RowsAffected(); n != 1 {
		return nil // committed or finished since it was read
	}
	defer func() {
		s.imports.mu.Lock()
		delete(s.imports.live, run.ID)
		s.imports.mu.Unlock()
	}()
	var last time.Time
	progress := func(p ImportProgress) {
		s.imports.mu.Lock()
		s.imports.live[run.ID] = p
		s.imports.mu.Unlock()
		if p.Phase != PhaseChecking || time.Since(last) < progressWrite {
			return // the write pass's transaction holds SQLite's writer: its progress stays in memory
		}
		last = time.Now()
		_ = jobs.Progress(ctx, p.Rows, p.Rows+1) // the total is known only at the end of this pass
		_, err := s.db.ExecContext(ctx, `UPDATE csv_imports SET phase = ?, rows_done = ?, rows_total = ?, updated_at = ? WHERE id = ?`,
			p.Phase, p.Rows, p.Total, s.now(), run.ID)
		if err != nil {
			logs.From(ctx).WarnContext(ctx, "import progress", "import_id", run.ID, "err", err)
		}
	}
	res, err := importRunners[run.Kind](s, ctx, f, ImportOptions{Progress: progress, Also: []Also{s.claimImport(run.ID)}})
	if errors.Is(err, errImportClaimed) {
		return nil // another attempt committed it and records its outcome
	}
	if err == nil && w.committed != nil {
		w.committed()
	}
	if err != nil && errs.KindOf(err) != errs.KindInvalid {
		if job.Attempt >= job.MaxAttempts { // the last attempt: the import fails, nothing was kept
			s.finishImport(ctx, run.ID, ImportResult{}, fmt.Errorf("取込に失敗しました（何も登録していません）: %w", err))
		}
		return fmt.Errorf("import %s: %w", run.ID, err) // the database's: River retries the attempt
	}
	s.finishImport(ctx, run.ID, res, err)
	counts := []jobs.Count{{Label: "読んだ行", N: res.Rows}, {Label: "登録した件数", N: res.Created}}
	if err != nil {
		counts = append(counts, jobs.Count{Label: "エラー", N: max(1, len(res.Errors))})
	}
	return jobs.Finish(ctx, jobs.Result{Counts: counts, Note: run.FileName})
}

// finishImport records an import's outcome and removes its file.
func (s *Store) finishImport(ctx context.Context, id string, res ImportResult, failure error) {
	ctx = context.WithoutCancel(ctx)
	st, msg, errorsJSON := ImportDone, "", ""
	first, last := "", res.LastCode
	if len(res.Codes) > 0 {
		first = res.Codes[0]
	}
	if failure != nil {
		st, msg = ImportFailed, failure.Error()
		if e := errs.As(failure); e != nil {
			msg = e.Message
		}
		if len(res.Errors) > 0 {
			ps := make([]RowProblem, min(len(res.Errors), maxStoredErrors))
			for i := range ps {
				e := res.Errors[i]
				ps[i] = RowProblem{Row: e.Row, Column: e.Column, Value: e.Value, Message: e.Message}
			}
			b, _ := json.Marshal(ps)
			errorsJSON = string(b)
		}
	}
	var path string
	_ = s.db.QueryRowContext(ctx, `SELECT file_path FROM csv_imports WHERE id = ?`, id).Scan(&path)
	now := s.now()
	_, err := s.db.ExecContext(ctx, `UPDATE csv_imports SET status = ?, phase = '', encoding = ?, rows_done = ?, rows_total = ?,
		created_count = ?, first_code = ?, last_code = ?, error_count = ?, errors_json = ?, message = ?, file_path = '',
		updated_at = ?, finished_at = ? WHERE id = ?`,
		st, res.Encoding, res.Rows, res.Rows, res.Created, first, last, len(res.Errors), errorsJSON, msg, now, now, id)
	if err != nil {
		logs.From(ctx).ErrorContext(ctx, "record import outcome", "import_id", id, "err", err)
		return // the file stays for a retry
	}
	if path != "" {
		if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
			logs.From(ctx).WarnContext(ctx, "remove imported file", "import_id", id, "path", path, "err", err)
		}
	}
}
