package bulk

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"kessai/internal/platform/audit"
	"kessai/internal/platform/auth"
	"kessai/internal/platform/db"
	"kessai/internal/platform/logs"
)

type pending struct {
	seq      int
	recordID string
	// was is the outcome already recorded for the item ("" when unprocessed): a result that
	// replaces it moves the item between counts instead of counting it twice.
	was string
}

// batchError marks an error returned by the action (not by our own bookkeeping): the batch is
// rolled back and its items are retried one by one so one bad record can't sink the others.
type batchError struct{ err error }

func (e batchError) Error() string { return e.err.Error() }
func (e batchError) Unwrap() error { return e.err }

// Process works through the run's unprocessed items until none is left, then marks it
// finished. It is safe to call again after a crash or concurrently: items are claimed inside
// the transaction that records their outcome.
func (s *Service) Process(ctx context.Context, runID string) error {
	run, err := s.Get(ctx, runID)
	if err != nil {
		return err
	}
	if run.Finished() {
		return nil
	}
	a, ok := s.Action(run.Action)
	if !ok {
		return s.fail(ctx, runID, "一括操作 "+run.Action+" が登録されていません")
	}
	now := s.clock.Now().UTC()
	if _, err := s.db.ExecContext(ctx, `UPDATE bulk_runs SET state = ?, started_at = COALESCE(started_at, ?) WHERE id = ? AND state IN (?, ?)`,
		StateRunning, now, runID, StatePending, StateRunning); err != nil {
		return fmt.Errorf("bulk %s: mark running: %w", runID, err)
	}
	p := run.Principal
	ctx = auth.WithPrincipal(ctx, &p)
	size := max(s.BatchSize, 1)
	// Each claim starts after the last item claimed, so a batch reads only its own items and a
	// run is linear in its size. When that finds nothing, one claim from the start picks up
	// items another worker claimed and then rolled back; the run ends when even that is empty.
	after, rescanned := 0, false
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		last, err := s.processBatch(ctx, a, runID, after, size)
		if err != nil {
			return err
		}
		switch {
		case last > 0:
			after = last
		case after == 0 || rescanned:
			return s.finish(ctx, runID)
		default:
			after, rescanned = 0, true
		}
	}
}

// processBatch processes up to size items after seq after in one transaction and returns the
// seq of the last one (0 when none was left).
func (s *Service) processBatch(ctx context.Context, a *Action, runID string, after, size int) (int, error) {
	var claimed []pending
	var results []Result
	err := s.db.InTx(ctx, func(tx *db.Tx) error {
		var err error
		if claimed, err = claim(ctx, tx, runID, after, size); err != nil || len(claimed) == 0 {
			return err
		}
		if results, err = s.apply(ctx, tx, a, claimed); err != nil {
			return err
		}
		return s.record(ctx, tx, runID, claimed, results)
	})
	var be batchError
	if errors.As(err, &be) {
		logs.From(ctx).WarnContext(ctx, "bulk batch failed, retrying item by item", "run", runID, "action", a.Name, "err", be.err)
		for _, it := range claimed {
			if err := s.processOne(ctx, a, runID, it, be.err); err != nil {
				return 0, err
			}
		}
		return lastSeq(claimed), nil
	}
	if err != nil {
		return 0, fmt.Errorf("bulk %s: batch: %w", runID, err)
	}
	if err := s.after(ctx, a, runID, claimed, results); err != nil {
		return 0, err
	}
	return lastSeq(claimed), nil
}

func lastSeq(items []pending) int {
	if len(items) == 0 {
		return 0
	}
	return items[len(items)-1].seq
}

// after runs the action's After on the committed items and records the results it returns.
func (s *Service) after(ctx context.Context, a *Action, runID string, items []pending, results []Result) error {
	if a.After == nil {
		return nil
	}
	seq := map[string]pending{}
	for _, it := range items {
		seq[it.recordID] = it
	}
	var changed []pending
	var final []Result
	for _, r := range results {
		it, ok := seq[r.RecordID]
		if !ok || r.Outcome == "" || r.Outcome == OutcomeError {
			continue
		}
		nr := a.After(ctx, r)
		if nr.Outcome == "" || (nr.Outcome == r.Outcome && nr.Reason == r.Reason) {
			continue
		}
		nr.RecordID = r.RecordID
		it.was = r.Outcome
		changed, final = append(changed, it), append(final, nr)
	}
	if len(changed) == 0 {
		return nil
	}
	return s.db.InTx(ctx, func(tx *db.Tx) error { return s.record(ctx, tx, runID, changed, final) })
}

// processOne processes one item in its own transaction; an action error is recorded as the
// item's OutcomeError in a second one. Without Do (a DoBatch-only action), the item is recorded
// with batchErr, the error of the batch it was in.
func (s *Service) processOne(ctx context.Context, a *Action, runID string, it pending, batchErr error) error {
	err := error(batchError{batchErr})
	var done []Result
	if a.Do != nil {
		err = s.db.InTx(ctx, func(tx *db.Tx) error {
			var outcome string
			err := tx.QueryRowContext(ctx, `SELECT outcome FROM bulk_run_items WHERE run_id = ? AND seq = ?`+db.ForUpdate(tx.Dialect()),
				runID, it.seq).Scan(&outcome)
			if err != nil || outcome != "" {
				return err // done meanwhile: nothing to do
			}
			o, reason, err := a.Do(ctx, tx, it.recordID)
			if err != nil {
				return batchError{err}
			}
			done = []Result{{RecordID: it.recordID, Outcome: o, Reason: reason}}
			return s.record(ctx, tx, runID, []pending{it}, done)
		})
	}
	if err == nil && done != nil {
		return s.after(ctx, a, runID, []pending{it}, done)
	}
	var be batchError
	if !errors.As(err, &be) {
		if err != nil {
			return fmt.Errorf("bulk %s: item %d: %w", runID, it.seq, err)
		}
		return nil
	}
	return s.db.InTx(ctx, func(tx *db.Tx) error {
		var outcome string
		err := tx.QueryRowContext(ctx, `SELECT outcome FROM bulk_run_items WHERE run_id = ? AND seq = ?`+db.ForUpdate(tx.Dialect()),
			runID, it.seq).Scan(&outcome)
		if err != nil || outcome != "" {
			return err
		}
		return s.record(ctx, tx, runID, []pending{it}, []Result{{RecordID: it.recordID, Outcome: OutcomeError, Reason: be.err.Error()}})
	})
}

// claim returns up to size unprocessed items after seq after, in order. It walks the primary
// key (run_id, seq) from after, so it never rereads the items already done.
func claim(ctx context.Context, tx *db.Tx, runID string, after, size int) ([]pending, error) {
	lock := ""
	if tx.Dialect() == db.Postgres {
		lock = " FOR UPDATE SKIP LOCKED"
	}
	rows, err := tx.QueryContext(ctx, claimQuery+lock, runID, after, size)
	if err != nil {
		return nil, fmt.Errorf("claim items: %w", err)
	}
	defer rows.Close()
	var out []pending
	for rows.Next() {
		var p pending
		if err := rows.Scan(&p.seq, &p.recordID); err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, rows.Err()
}

// claimQuery reads the next items by the primary key (run_id, seq) from after; the plan test
// checks that no engine sorts the run's pending items for it.
const claimQuery = `SELECT seq, record_id FROM bulk_run_items
		WHERE run_id = ? AND seq > ? AND outcome = '' ORDER BY seq LIMIT ?`

// apply runs the action on the claimed items and returns one result per item.
func (s *Service) apply(ctx context.Context, tx *db.Tx, a *Action, items []pending) ([]Result, error) {
	if a.DoBatch != nil {
		ids := make([]string, len(items))
		for i, it := range items {
			ids[i] = it.recordID
		}
		results, err := a.DoBatch(ctx, tx, ids)
		if err != nil {
			return nil, batchError{err}
		}
		return results, nil
	}
	results := make([]Result, 0, len(items))
	for _, it := range items {
		o, reason, err := a.Do(ctx, tx, it.recordID)
		if err != nil {
			return nil, batchError{err}
		}
		results = append(results, Result{RecordID: it.recordID, Outcome: o, Reason: reason})
	}
	return results, nil
}

// record writes the items' outcomes and the run's counts. Items with the same outcome and no
// reason are written with one UPDATE, which keeps 10,000-item runs fast on SQLite.
func (s *Service) record(ctx context.Context, tx *db.Tx, runID string, items []pending, results []Result) error {
	a := map[string]Result{}
	for _, r := range results {
		a[r.RecordID] = r
	}
	now := s.clock.Now().UTC()
	plain := map[string][]any{} // outcome -> seqs
	delta := map[string]int{}
	fresh := 0 // items done for the first time
	for _, it := range items {
		r, ok := a[it.recordID]
		switch {
		case !ok:
			r = Result{Outcome: OutcomeError, Reason: "処理結果が返されませんでした"}
		case r.Outcome == "":
			r = Result{Outcome: OutcomeError, Reason: "処理結果が空です"}
		}
		delta[r.Outcome]++
		if it.was != "" {
			delta[it.was]--
		} else {
			fresh++
		}
		if r.Reason == "" {
			plain[r.Outcome] = append(plain[r.Outcome], it.seq)
			continue
		}
		if _, err := tx.ExecContext(ctx, `UPDATE bulk_run_items SET outcome = ?, reason = ?, done_at = ? WHERE run_id = ? AND seq = ?`,
			r.Outcome, r.Reason, now, runID, it.seq); err != nil {
			return fmt.Errorf("record item %d: %w", it.seq, err)
		}
	}
	for outcome, seqs := range plain {
		for start := 0; start < len(seqs); start += itemChunk {
			chunk := seqs[start:min(start+itemChunk, len(seqs))]
			q := `UPDATE bulk_run_items SET outcome = ?, done_at = ? WHERE run_id = ? AND seq IN (?` +
				strings.Repeat(", ?", len(chunk)-1) + `)`
			args := append([]any{outcome, now, runID}, chunk...)
			if _, err := tx.ExecContext(ctx, q, args...); err != nil {
				return fmt.Errorf("record items: %w", err)
			}
		}
	}
	return addCounts(ctx, tx, runID, delta, fresh)
}

// addCounts adds a batch's outcomes to the run's counts: one row read and written, whatever
// the run's size (the items just recorded were claimed unprocessed, so none is counted twice).
func addCounts(ctx context.Context, tx *db.Tx, runID string, delta map[string]int, n int) error {
	var raw string
	if err := tx.QueryRowContext(ctx, `SELECT counts FROM bulk_runs WHERE id = ?`+db.ForUpdate(tx.Dialect()), runID).Scan(&raw); err != nil {
		return fmt.Errorf("read counts: %w", err)
	}
	counts := map[string]int{}
	if err := json.Unmarshal([]byte(raw), &counts); err != nil {
		return fmt.Errorf("read counts of %s: %w", runID, err)
	}
	for o, k := range delta {
		if counts[o] += k; counts[o] == 0 {
			delete(counts, o)
		}
	}
	b, _ := json.Marshal(counts)
	_, err := tx.ExecContext(ctx, `UPDATE bulk_runs SET done = done + ?, counts = ? WHERE id = ?`, n, string(b), runID)
	return err
}

func (s *Service) finish(ctx context.Context, runID string) error {
	return s.db.InTx(ctx, func(tx *db.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE bulk_runs SET state = ?, finished_at = ? WHERE id = ? AND state = ?`,
			StateFinished, s.clock.Now().UTC(), runID, StateRunning)
		if err != nil {
			return fmt.Errorf("bulk %s: finish: %w", runID, err)
		}
		if n, _ := res.RowsAffected(); n == 0 || s.audit == nil {
			return nil
		}
		var counts string
		if err := tx.QueryRowContext(ctx, `SELECT counts FROM bulk_runs WHERE id = ?`, runID).Scan(&counts); err != nil {
			return err
		}
		return s.audit.Record(ctx, tx, audit.Entry{Action: "bulk.finish", RecordType: "bulk_run", RecordID: runID,
			After: json.RawMessage(counts)})
	})
}

func (s *Service) fail(ctx context.Context, runID, msg string) error {
	_, err := s.db.ExecContext(ctx, `UPDATE bulk_runs SET state = ?, error = ?, finished_at = ? WHERE id = ?`,
		StateFailed, msg, s.clock.Now().UTC(), runID)
	if err != nil {
		return fmt.Errorf("bulk %s: mark failed: %w", runID, err)
	}
	return nil
}
