package bulk

import (
	"bytes"
	"context"
	"errors"
	"fmt"

	"kessai/internal/platform/jobs"
	"kessai/internal/platform/jpcsv"
)

// reportResult copies a finished run to its job's result on the ジョブ管理 page: a count per
// outcome (linking to the list filtered to those records, where the record type's Source
// knows the list) and a CSV of every item (record, outcome, reason). Outside a job it does
// nothing.
func (s *Service) reportResult(ctx context.Context, runID string) error {
	if jobs.JobID(ctx) == 0 {
		return nil
	}
	run, err := s.Get(ctx, runID)
	if err != nil {
		return err
	}
	if err := jobs.Progress(ctx, run.Done, run.Total); err != nil {
		return err
	}
	a, _ := s.Action(run.Action)
	src, _ := s.Source(run.RecordType)
	label := func(code string) string {
		if a != nil {
			if o, ok := a.Outcome(code); ok {
				return o.Label
			}
		}
		if code == OutcomeError {
			return "エラー"
		}
		return code
	}
	res := jobs.Result{CSVName: "bulk-" + runID + ".csv"}
	// Outcomes in the action's order, then any the action no longer declares.
	var order []string
	if a != nil {
		for _, o := range a.Outcomes {
			order = append(order, o.Code)
		}
	}
	seen := map[string]bool{}
	for _, code := range order {
		seen[code] = true
	}
	for code := range run.Counts {
		if !seen[code] {
			order = append(order, code)
		}
	}
	for _, code := range order {
		n := run.Counts[code]
		if n == 0 {
			continue
		}
		c := jobs.Count{Label: label(code), N: n}
		if src != nil {
			c.Link = src.ResultLink(run, code)
		}
		res.Counts = append(res.Counts, c)
	}
	if a != nil {
		res.Note = a.Label
	}
	if run.Error != "" {
		res.Note = run.Error
	}
	csv, err := s.resultCSV(ctx, run, src, label)
	if err != nil {
		return err
	}
	res.CSV = csv
	return jobs.Finish(ctx, res)
}

// resultCSV is every item of run in CP932 (UTF-8 with a BOM when a name can't be written in
// CP932, so the file is never lost to one character).
func (s *Service) resultCSV(ctx context.Context, run Run, src *Source, label func(string) string) ([]byte, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT record_id, outcome, reason FROM bulk_run_items WHERE run_id = ? ORDER BY seq`, run.ID)
	if err != nil {
		return nil, fmt.Errorf("bulk %s: result csv: %w", run.ID, err)
	}
	var ids []string
	var out [][]string
	for rows.Next() {
		var id, outcome, reason string
		if err := rows.Scan(&id, &outcome, &reason); err != nil {
			rows.Close()
			return nil, fmt.Errorf("bulk %s: result csv: %w", run.ID, err)
		}
		ids = append(ids, id)
		out = append(out, []string{id, "", label(outcome), reason})
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("bulk %s: result csv: %w", run.ID, err)
	}
	header := []string{"ID", "対象", "結果", "理由"}
	if src != nil && src.Describe != nil {
		names, err := src.Describe(ctx, ids)
		if err != nil {
			return nil, fmt.Errorf("bulk %s: describe records: %w", run.ID, err)
		}
		for _, r := range out {
			r[1] = names[r[0]]
		}
	}
	if src != nil && src.Label != "" {
		header[1] = src.Label
	}
	var buf bytes.Buffer
	err = jpcsv.WriteAll(&buf, jpcsv.CP932, header, out)
	var bad jpcsv.Errors
	if errors.As(err, &bad) {
		buf.Reset()
		err = jpcsv.WriteAll(&buf, jpcsv.UTF8, header, out)
	}
	if err != nil {
		return nil, fmt.Errorf("bulk %s: result csv: %w", run.ID, err)
	}
	return buf.Bytes(), nil
}
