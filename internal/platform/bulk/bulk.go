// Package bulk runs one action over many records: the 「全N件を一括操作」 and 「選択したN件を操作」
// menus of every list page. A room registers its actions (and, once per record type, how a list
// filter selects records); the shell confirms, starts a run, and shows its progress and result.
//
// A run is a bulk_runs row plus one bulk_run_items row per record. Items are processed in
// batches; each batch is one transaction holding the action's own changes and the items'
// outcomes, so a job that is retried after a crash skips what was done and never does it twice.
package bulk

import (
	"context"
	"embed"
	"fmt"
	"net/url"
	"sort"
	"sync"

	"kessai/internal/platform/audit"
	"kessai/internal/platform/auth"
	"kessai/internal/platform/clock"
	"kessai/internal/platform/db"
)

//go:embed migrations
var migrationsFS embed.FS

// Migrations creates bulk_runs and bulk_run_items.
var Migrations = db.Migrations{Module: "bulk", FS: migrationsFS}

// OutcomeError is the outcome every action has: an item whose Do returned an error is recorded
// with it, and the error's text as the reason.
const OutcomeError = "error"

// Outcome is one way an item can end, e.g. {"done", "完了", "ok"}.
type Outcome struct {
	Code  string
	Label string
	Level string // "", "ok", "warn", "error": how the UI colours the count
}

// Result is what an action did to one record.
type Result struct {
	RecordID string
	Outcome  string
	Reason   string // shown next to the record on the result page; say what to do
}

// Action is one bulk operation a room offers on a record type.
//
// Do (or DoBatch) runs inside the transaction that also records the items' outcomes: do all
// database work through tx — never through another handle, which deadlocks on SQLite — and
// never call a provider inside it. An action that moves money claims the record and writes its
// attempt here (attempt.Runner.Claim) and makes the call in After, once the batch committed.
//
// Returning an outcome (even OutcomeError with a reason) commits what Do wrote; returning err
// rolls the item back and records it as OutcomeError with err's text.
type Action struct {
	Name       string // stable code, e.g. "case_stock"
	Label      string // menu text, e.g. 「一括ステータス変更：入庫完了にする」
	RecordType string // e.g. "purchase_case"; a Source must be registered for it
	Perm       auth.Perm
	// Description is shown on the confirmation page (what will happen, what is skipped).
	Description string
	// Outcomes in display order; OutcomeError is appended when missing.
	Outcomes []Outcome
	// Summary, when set, adds a line to the confirmation page about the selected records,
	// e.g. 「合計金額 ¥1,234,000」 of the cases a 一括振込依頼 will pay.
	Summary func(ctx context.Context, ids []string) (string, error)

	Do func(ctx context.Context, tx *db.Tx, recordID string) (outcome, reason string, err error)
	// DoBatch, when set, is used instead of Do: one call per batch, returning one Result per ID
	// (IDs without a result are recorded as OutcomeError). If it returns err the batch is rolled
	// back and retried one item at a time with Do when Do is set, else recorded as errors.
	DoBatch func(ctx context.Context, tx *db.Tx, recordIDs []string) ([]Result, error)
	// After, when set, runs once the batch has committed, outside any transaction, for each
	// item Do gave an outcome other than OutcomeError: a money action makes its call here
	// (attempt.Runner.Send), and the Result it returns replaces the item's (an empty Outcome
	// keeps Do's). A crash before or during After leaves committed attempts that the janitor
	// settles; a retried job does not call After again for items already recorded.
	After func(ctx context.Context, r Result) Result
}

// Outcome returns the outcome with code.
func (a *Action) Outcome(code string) (Outcome, bool) {
	for _, o := range a.Outcomes {
		if o.Code == code {
			return o, true
		}
	}
	return Outcome{}, false
}

// Source tells the shell how records of one type are listed and selected by a filter.
type Source struct {
	RecordType string
	Label      string // e.g. 「買取ケース」
	// ListPath is the room's list page; result counts link to
	// ListPath?bulk_run=RUN&outcome=CODE plus KeepParams taken from the run's filter.
	ListPath   string
	KeepParams []string
	// RecordPath, when set, links an item to its record: RecordPath + ID (e.g. "/cases/").
	RecordPath string
	// Describe, when set, names records on the result page (e.g. case codes instead of IDs).
	Describe func(ctx context.Context, ids []string) (map[string]string, error)
	// Select returns the IDs of every record the list shows for filter (all pages), in list
	// order. It runs outside any transaction.
	Select func(ctx context.Context, filter url.Values) ([]string, error)
}

// ResultLink is the list of run's records with outcome: ListPath with the KeepParams of the
// run's filter, bulk_run and outcome.
func (src *Source) ResultLink(r Run, outcome string) string {
	q := url.Values{}
	for _, k := range src.KeepParams {
		if v := r.Filter.Get(k); v != "" {
			q.Set(k, v)
		}
	}
	q.Set("bulk_run", r.ID)
	if outcome != "" {
		q.Set("outcome", outcome)
	}
	return src.ListPath + "?" + q.Encode()
}

// Runner starts the processing of a run in the background (a job, or a goroutine until the
// job queue is wired). Enqueue is called after the run is committed, never inside a
// transaction.
type Runner interface {
	Enqueue(ctx context.Context, runID string) error
}

// Service holds the registered actions and sources and runs them.
type Service struct {
	db    *db.DB
	clock clock.Clock
	audit *audit.Log

	// BatchSize is how many items one transaction processes.
	BatchSize int

	mu      sync.RWMutex
	actions map[string]*Action
	sources map[string]*Source
	runner  Runner
}

// New returns a service over d. Until SetRunner is called runs are processed by a GoRunner.
func New(d *db.DB, c clock.Clock, a *audit.Log) *Service {
	s := &Service{db: d, clock: c, audit: a, BatchSize: 500,
		actions: map[string]*Action{}, sources: map[string]*Source{}}
	s.runner = NewGoRunner(s)
	return s
}

// SetRunner replaces the runner (the job queue's, once wired).
func (s *Service) SetRunner(r Runner) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.runner = r
}

// Runner returns the current runner.
func (s *Service) Runner() Runner {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.runner
}

// Register adds an action. It panics on a declaration error (duplicate name, no Do), which
// shows at start-up.
func (s *Service) Register(a Action) {
	switch {
	case a.Name == "" || a.Label == "" || a.RecordType == "":
		panic(fmt.Sprintf("bulk: action %q needs Name, Label and RecordType", a.Name))
	case a.Do == nil && a.DoBatch == nil:
		panic(fmt.Sprintf("bulk: action %q needs Do or DoBatch", a.Name))
	case a.Perm == "" || a.Perm == auth.PermPublic:
		panic(fmt.Sprintf("bulk: action %q needs a permission", a.Name))
	}
	if _, ok := a.Outcome(OutcomeError); !ok {
		a.Outcomes = append(append([]Outcome(nil), a.Outcomes...), Outcome{Code: OutcomeError, Label: "エラー", Level: "error"})
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, dup := s.actions[a.Name]; dup {
		panic(fmt.Sprintf("bulk: action %q registered twice", a.Name))
	}
	s.actions[a.Name] = &a
}

// RegisterSource adds how records of src.RecordType are selected by filter.
func (s *Service) RegisterSource(src Source) {
	if src.RecordType == "" || src.Select == nil || src.ListPath == "" {
		panic(fmt.Sprintf("bulk: source %q needs RecordType, ListPath and Select", src.RecordType))
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.sources[src.RecordType] = &src
}

// Action returns the registered action name.
func (s *Service) Action(name string) (*Action, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	a, ok := s.actions[name]
	return a, ok
}

// Source returns the source of recordType.
func (s *Service) Source(recordType string) (*Source, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	src, ok := s.sources[recordType]
	return src, ok
}

// Actions lists the actions on recordType that p may run, by label.
func (s *Service) Actions(recordType string, p *auth.Principal) []*Action {
	s.mu.RLock()
	defer s.mu.RUnlock()
	var out []*Action
	for _, a := range s.actions {
		if a.RecordType == recordType && p.Can(a.Perm) {
			out = append(out, a)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Label < out[j].Label })
	return out
}
