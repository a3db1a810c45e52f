package cardupdate

import (
	"context"
	"errors"
	"fmt"

	"kessai/internal/platform/db"
	"kessai/internal/platform/errs"
	"kessai/internal/provider/gmopg"
)

func errConflict(msg string) error { return errs.Conflict(msg) }

// TickReport is what one schedule check did.
type TickReport struct {
	Started  string   // month whose run was prepared and uploaded now ("" when none)
	FetchDue []string // runs (IDs) waiting for a result whose result time has come
}

// Tick applies the schedule at the clock's now (JST): from the submit day, the month's run is
// prepared and uploaded once (a failure is recorded on the run, never retried silently); from
// the result day 0:00, uploaded runs are due for the fetch (the caller enqueues it).
func (s *Service) Tick(ctx context.Context) (TickReport, error) {
	var rep TickReport
	sc, err := s.Schedule(ctx)
	if err != nil {
		return rep, err
	}
	now := s.clock.Now()
	month := gmopg.MonthOf(now)
	if now.In(jstLoc()).Day() >= sc.SubmitDay && now.Before(sc.ResultTime(month)) {
		_, err := s.RunOf(ctx, month)
		if errors.Is(err, db.ErrNotFound) {
			run, err := s.Prepare(ctx, month)
			if err != nil {
				return rep, fmt.Errorf("cardupdate %s: prepare: %w", month, err)
			}
			rep.Started = month
			if _, err := s.Upload(ctx, run.ID); err != nil {
				return rep, fmt.Errorf("cardupdate %s: upload: %w", month, err)
			}
		} else if err != nil {
			return rep, err
		}
	}
	rows, err := s.db.QueryContext(ctx, `SELECT id, month FROM cardupdate_runs WHERE status = ? ORDER BY month`, RunUploaded)
	if err != nil {
		return rep, err
	}
	defer rows.Close()
	for rows.Next() {
		var id, m string
		if err := rows.Scan(&id, &m); err != nil {
			return rep, err
		}
		if !now.Before(sc.ResultTime(m)) {
			rep.FetchDue = append(rep.FetchDue, id)
		}
	}
	return rep, rows.Err()
}

func monthNow(s *Service) string { return gmopg.MonthOf(s.clock.Now()) }
