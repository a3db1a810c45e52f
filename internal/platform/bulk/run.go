package bulk

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"kessai/internal/platform/audit"
	"kessai/internal/platform/auth"
	"kessai/internal/platform/db"
	"kessai/internal/platform/errs"
)

// Run states.
const (
	StatePending  = "pending"
	StateRunning  = "running"
	StateFinished = "finished"
	StateFailed   = "failed"
)

// StateLabel is the Japanese label of a run state.
func StateLabel(state string) string {
	switch state {
	case StatePending:
		return "待機中"
	case StateRunning:
		return "実行中"
	case StateFinished:
		return "完了"
	case StateFailed:
		return "失敗"
	}
	return state
}

// Request is a confirmed bulk action: which action, on which records, and the confirmation
// form's token that makes a double submit harmless.
type Request struct {
	Action string
	// Token identifies the confirmation: a second Start with the same token returns the run
	// the first created.
	Token string
	// IDs selects records by ID (「選択したN件」); when empty, Filter selects every record the
	// list shows for it (「全N件」).
	IDs    []string
	Filter url.Values
}

// Run is a bulk run with its progress.
type Run struct {
	ID         string
	Token      string
	Action     string
	RecordType string
	Principal  auth.Principal
	Selection  string     // "ids" or "filter"
	Filter     url.Values // the list's filter (for Selection "ids", the list it came from)
	State      string
	Total      int
	Done       int
	Counts     map[string]int
	Error      string
	CreatedAt  time.Time
	StartedAt  time.Time
	FinishedAt time.Time
}

// Finished reports whether the run will make no more progress.
func (r Run) Finished() bool { return r.State == StateFinished || r.State == StateFailed }

// Percent is Done as a percentage of Total.
func (r Run) Percent() int {
	if r.Total == 0 {
		return 100
	}
	return r.Done * 100 / r.Total
}

// Item is one record of a run.
type Item struct {
	Seq      int
	RecordID string
	Outcome  string
	Reason   string
	DoneAt   time.Time
}

// CleanFilter drops the list's paging, sorting and bulk-result parameters from q: what is left
// is what selects records.
func CleanFilter(q url.Values) url.Values {
	out := url.Values{}
	for k, v := range q {
		switch k {
		case "page", "per_page", "sort", "dir", "csrf_token":
			continue
		}
		var keep []string
		for _, s := range v {
			if s != "" {
				keep = append(keep, s)
			}
		}
		if len(keep) > 0 {
			out[k] = keep
		}
	}
	return out
}

// Resolve returns the record IDs req selects, without duplicates.
func (s *Service) Resolve(ctx context.Context, req Request) ([]string, error) {
	a, ok := s.Action(req.Action)
	if !ok {
		return nil, errs.NotFound("一括操作が見つかりません: " + req.Action)
	}
	if len(req.IDs) > 0 {
		return Dedupe(req.IDs), nil
	}
	src, ok := s.Source(a.RecordType)
	if !ok {
		return nil, fmt.Errorf("bulk: no source for %s", a.RecordType)
	}
	ids, err := src.Select(ctx, CleanFilter(req.Filter))
	if err != nil {
		return nil, fmt.Errorf("bulk: select %s: %w", a.RecordType, err)
	}
	return Dedupe(ids), nil
}

// Dedupe is a selection's IDs trimmed, without blanks and repeats, in the order first seen
// (a form or API body may send one twice; a room's own selection forms use it too).
func Dedupe(ids []string) []string {
	seen := make(map[string]bool, len(ids))
	out := make([]string, 0, len(ids))
	for _, id := range ids {
		id = strings.TrimSpace(id)
		if id == "" || seen[id] {
			continue
		}
		seen[id] = true
		out = append(out, id)
	}
	return out
}

// Start records a run for req, attributed to the principal of ctx, and hands it to the runner.
// created is false when the token was used before: the earlier run's ID is returned and
// nothing new is started.
func (s *Service) Start(ctx context.Context, req Request) (runID string, created bool, err error) {
	p := auth.FromContext(ctx)
	a, ok := s.Action(req.Action)
	switch {
	case !ok:
		return "", false, errs.NotFound("一括操作が見つかりません: " + req.Action)
	case p == nil || !p.Can(a.Perm):
		return "", false, errs.Forbidden("この一括操作を行う権限がありません")
	case req.Token == "":
		return "", false, errs.Invalid("確認画面からやり直してください（確認トークンがありません）")
	}
	if id, err := s.runByToken(ctx, s.db, req.Token); err == nil {
		return id, false, nil
	} else if !errors.Is(err, db.ErrNotFound) {
		return "", false, err
	}
	ids, err := s.Resolve(ctx, req)
	if err != nil {
		return "", false, err
	}
	if len(ids) == 0 {
		return "", false, errs.Invalid("対象の記録がありません。条件を確認してください")
	}
	// The filter is kept for IDs too: it tells the result page which list the run came from.
	selection, filter := "ids", CleanFilter(req.Filter).Encode()
	if len(req.IDs) == 0 {
		selection = "filter"
	}
	runID = db.NewID("blk")
	now := s.clock.Now().UTC()
	err = s.db.InTx(ctx, func(tx *db.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO bulk_runs (id, token, action, record_type,
			principal_kind, principal_id, principal_name, principal_role, selection, filter, state, total, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			runID, req.Token, a.Name, a.RecordType, string(p.Kind), p.ID, p.Name, string(p.Role),
			selection, filter, StatePending, len(ids), now)
		if err != nil {
			return err
		}
		if err := insertItems(ctx, tx, runID, ids); err != nil {
			return err
		}
		if s.audit == nil {
			return nil
		}
		return s.audit.Record(ctx, tx, audit.Entry{Action: "bulk.start", RecordType: "bulk_run", RecordID: runID,
			After: map[string]any{"action": a.Name, "record_type": a.RecordType, "total": len(ids), "selection": selection, "filter": filter}})
	})
	if db.IsUniqueViolation(err) {
		// A concurrent double submit won the race: show its run.
		id, err2 := s.runByToken(ctx, s.db, req.Token)
		if err2 != nil {
			return "", false, fmt.Errorf("bulk: find run by token: %w", err2)
		}
		return id, false, nil
	}
	if err != nil {
		return "", false, fmt.Errorf("bulk: start %s: %w", a.Name, err)
	}
	if err := s.Runner().Enqueue(ctx, runID); err != nil {
		// The run stays pending; Resume picks it up at the next start.
		return runID, true, fmt.Errorf("bulk: enqueue %s: %w", runID, err)
	}
	return runID, true, nil
}

// itemChunk keeps multi-row INSERTs well under both engines' parameter limits.
const itemChunk = 500

func insertItems(ctx context.Context, tx *db.Tx, runID string, ids []string) error {
	for start := 0; start < len(ids); start += itemChunk {
		end := min(start+itemChunk, len(ids))
		var b strings.Builder
		b.WriteString("INSERT INTO bulk_run_items (run_id, seq, record_id) VALUES ")
		args := make([]any, 0, 3*(end-start))
		for i := start; i < end; i++ {
			if i > start {
				b.WriteString(", ")
			}
			b.WriteString("(?, ?, ?)")
			args = append(args, runID, i+1, ids[i])
		}
		if _, err := tx.ExecContext(ctx, b.String(), args...); err != nil {
			return fmt.Errorf("insert items: %w", err)
		}
	}
	return nil
}

func (s *Service) runByToken(ctx context.Context, q db.Querier, token string) (string, error) {
	var id string
	err := q.QueryRowContext(ctx, `SELECT id FROM bulk_runs WHERE token = ?`, token).Scan(&id)
	return id, db.NotFound(err)
}

const runColumns = `id, token, action, record_type, principal_kind, principal_id, principal_name,
	principal_role, selection, filter, state, total, done, counts, error, created_at, started_at, finished_at`

func scanRun(row interface{ Scan(...any) error }) (Run, error) {
	var r Run
	var kind, role, filter, counts string
	var started, finished sql.NullTime
	err := row.Scan(&r.ID, &r.Token, &r.Action, &r.RecordType, &kind, &r.Principal.ID, &r.Principal.Name,
		&role, &r.Selection, &filter, &r.State, &r.Total, &r.Done, &counts, &r.Error, &r.CreatedAt, &started, &finished)
	if err != nil {
		return r, db.NotFound(err)
	}
	r.Principal.Kind, r.Principal.Role = auth.Kind(kind), auth.Role(role)
	r.Filter, _ = url.ParseQuery(filter)
	r.Counts = map[string]int{}
	if err := json.Unmarshal([]byte(counts), &r.Counts); err != nil {
		return r, fmt.Errorf("bulk run %s: counts: %w", r.ID, err)
	}
	r.StartedAt, r.FinishedAt = started.Time, finished.Time
	return r, nil
}

// Get returns run id.
func (s *Service) Get(ctx context.Context, id string) (Run, error) {
	r, err := scanRun(s.db.QueryRowContext(ctx, `SELECT `+runColumns+` FROM bulk_runs WHERE id = ?`, id))
	if errors.Is(err, db.ErrNotFound) {
		return r, errs.NotFound("一括操作の実行記録が見つかりません: " + id).Wrap(err)
	}
	return r, err
}

// Items returns up to limit items of run with outcome ("" = not yet processed), in run order.
func (s *Service) Items(ctx context.Context, runID, outcome string, limit int) ([]Item, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT seq, record_id, outcome, reason, done_at FROM bulk_run_items
		WHERE run_id = ? AND outcome = ? ORDER BY seq LIMIT ?`, runID, outcome, limit)
	if err != nil {
		return nil, fmt.Errorf("bulk items of %s: %w", runID, err)
	}
	defer rows.Close()
	var out []Item
	for rows.Next() {
		var it Item
		var done sql.NullTime
		if err := rows.Scan(&it.Seq, &it.RecordID, &it.Outcome, &it.Reason, &done); err != nil {
			return nil, fmt.Errorf("bulk items of %s: %w", runID, err)
		}
		it.DoneAt = done.Time
		out = append(out, it)
	}
	return out, rows.Err()
}

// ItemFilter is the bulk_run + outcome filter a room's list applies when it is opened from a
// result page. Zero means no filter.
type ItemFilter struct {
	Run     string
	Outcome string
}

// ItemFilterFrom reads bulk_run and outcome from a list's query.
func ItemFilterFrom(q url.Values) ItemFilter {
	return ItemFilter{Run: q.Get("bulk_run"), Outcome: q.Get("outcome")}
}

// IsZero reports whether no run is selected.
func (f ItemFilter) IsZero() bool { return f.Run == "" }

// SQL returns a condition restricting idColumn to the run's records (with the outcome, when
// set), for a room's list query:
//
//	cond, args := f.SQL("c.id") // "c.id IN (SELECT record_id FROM bulk_run_items WHERE …)"
func (f ItemFilter) SQL(idColumn string) (string, []any) {
	if f.Outcome == "" {
		return idColumn + " IN (SELECT record_id FROM bulk_run_items WHERE run_id = ?)", []any{f.Run}
	}
	return idColumn + " IN (SELECT record_id FROM bulk_run_items WHERE run_id = ? AND outcome = ?)", []any{f.Run, f.Outcome}
}

// RecordIDs returns the IDs of the run's records with f's outcome, for stores whose filters
// take an ID list rather than a SQL condition.
func (s *Service) RecordIDs(ctx context.Context, f ItemFilter) ([]string, error) {
	cond, args := f.SQL("record_id")
	rows, err := s.db.QueryContext(ctx, `SELECT record_id FROM bulk_run_items WHERE `+cond+` ORDER BY seq`, args...)
	if err != nil {
		return nil, fmt.Errorf("bulk records of %s: %w", f.Run, err)
	}
	defer rows.Close()
	ids := []string{}
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		ids = append(ids, id)
	}
	return ids, rows.Err()
}

// Pending lists runs that are not finished, oldest first (for Resume).
func (s *Service) Pending(ctx context.Context) ([]string, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT id FROM bulk_runs WHERE state IN (?, ?) ORDER BY created_at`, StatePending, StateRunning)
	if err != nil {
		return nil, fmt.Errorf("bulk pending runs: %w", err)
	}
	defer rows.Close()
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		ids = append(ids, id)
	}
	return ids, rows.Err()
}

// Resume hands every unfinished run to the runner again (after a restart). Items already done
// are skipped when the run is processed.
func (s *Service) Resume(ctx context.Context) error {
	ids, err := s.Pending(ctx)
	if err != nil {
		return err
	}
	for _, id := range ids {
		if err := s.Runner().Enqueue(ctx, id); err != nil {
			return fmt.Errorf("bulk: resume %s: %w", id, err)
		}
	}
	return nil
}
