package cardupdate

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	"kessai/internal/platform/db"
	"kessai/internal/provider/gmopg"
)

// Fetch reads run's result file from the SFTP server and applies it (Apply). Before the
// result day, or while the file is not there and the deadline has not passed, it returns
// ErrNotReady; past the deadline, an error file from GMO-PG, or a file that does not check
// clean fails the run with the reason. Nothing of a bad file is applied.
func (s *Service) Fetch(ctx context.Context, runID string) (Run, error) {
	run, err := s.GetRun(ctx, s.db, runID)
	if err != nil {
		return Run{}, err
	}
	if run.Status == RunApplied {
		return run, nil
	}
	if run.UploadedAt.IsZero() {
		return run, fmt.Errorf("cardupdate: %s: 依頼ファイルがまだ送信されていません", run.Month)
	}
	sc, err := s.Schedule(ctx)
	if err != nil {
		return run, err
	}
	resultAt := sc.ResultTime(run.Month)
	if s.clock.Now().Before(resultAt) {
		return run, ErrNotReady
	}
	deadline := resultAt.AddDate(0, 0, sc.DeadlineDays)
	pastDeadline := !s.clock.Now().Before(deadline)
	siteID, _, ok := gmopg.ParseRequestFileName(run.FileName)
	if !ok {
		return run, fmt.Errorf("cardupdate %s: request file name %q unreadable", run.Month, run.FileName)
	}
	c, err := s.dial(ctx)
	if err != nil {
		if pastDeadline {
			return s.failed(ctx, run, "結果ファイルを取得できません（SFTP）: "+reasonOf(err))
		}
		return run, fmt.Errorf("cardupdate %s: 結果ファイルを取得できません（SFTP）: %w", run.Month, err)
	}
	defer c.Close()
	rc, err := c.Open(gmopg.ResultDir, gmopg.ResultFileName(siteID, run.Month))
	if gmopg.IsNotExist(err) {
		if er, err2 := c.Open(gmopg.ResultDir, gmopg.ErrorFileName(siteID, run.Month)); err2 == nil {
			rows, rerr := gmopg.ReadErrorFile(er)
			er.Close()
			msg := "GMO-PG が依頼ファイルを読めませんでした（エラーファイル）"
			if rerr != nil {
				msg += ": " + rerr.Error()
			}
			for _, r := range rows {
				msg += fmt.Sprintf("\n%d行目 %s: %s", r.Row, r.Field, r.Message)
			}
			return s.failed(ctx, run, msg)
		}
		if pastDeadline {
			return s.failed(ctx, run, fmt.Sprintf("結果ファイルが期限（%s）までに届きませんでした", deadline.In(jstLoc()).Format("2006/01/02 15:04")))
		}
		return run, ErrNotReady
	}
	if err != nil {
		return run, fmt.Errorf("cardupdate %s: open result: %w", run.Month, err)
	}
	defer rc.Close()
	f, err := s.tempFile("cardupdate-res-*.csv")
	if err != nil {
		return run, err
	}
	defer os.Remove(f.Name())
	defer f.Close()
	if _, err := io.Copy(f, rc); err != nil {
		return run, fmt.Errorf("cardupdate %s: download result: %w", run.Month, err)
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return run, err
	}
	return s.Apply(ctx, runID, f)
}

// failed marks run failed with reason and returns the run with an error carrying the reason.
func (s *Service) failed(ctx context.Context, run Run, reason string) (Run, error) {
	if err := s.fail(ctx, run.ID, reason); err != nil {
		return run, err
	}
	r, _ := s.GetRun(ctx, s.db, run.ID)
	return r, &RunError{Month: run.Month, Reason: reason}
}

// RunError is a month that failed: the reason is what a person reads (row numbers included).
type RunError struct {
	Month  string
	Reason string
}

func (e *RunError) Error() string { return "洗替 " + e.Month + " は失敗しました: " + e.Reason }

// Apply checks the result file in f (a seekable copy) whole, then applies it in one
// transaction: every record must be a member of the run, every member of the run must have a
// record. Any problem fails the run with row-numbered reasons and applies nothing.
func (s *Service) Apply(ctx context.Context, runID string, f io.ReadSeeker) (Run, error) {
	run, err := s.GetRun(ctx, s.db, runID)
	if err != nil {
		return Run{}, err
	}
	if _, err := gmopg.CheckResultFile(f, nil, 100); err != nil {
		return s.failed(ctx, run, "結果ファイルを反映できません（何も反映していません）:\n"+reasonOf(err))
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return run, err
	}
	var rejected []string
	err = s.db.InTx(ctx, func(tx *db.Tx) error {
		now := s.now()
		res, err := tx.ExecContext(ctx, `UPDATE cardupdate_runs SET status = ?, reason = '', applied_at = ?, updated_at = ?
			WHERE id = ? AND status IN (?, ?) AND uploaded_at IS NOT NULL`, RunApplied, now, now, runID, RunUploaded, RunFailed)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return fmt.Errorf("cardupdate %s: run is %s, not waiting for a result", run.Month, run.Status)
		}
		if err := s.step("claimed"); err != nil {
			return err
		}
		counts, ok, err := applyRows(ctx, tx, runID, f)
		if err != nil {
			return err
		}
		if !ok {
			return errMismatch
		}
		if err := s.step("results"); err != nil {
			return err
		}
		missing, err := missingMembers(ctx, tx, runID)
		if err != nil {
			return err
		}
		if len(missing) > 0 {
			rejected = missing
			return errRejected
		}
		// New expiries and numbers onto the cards, in one statement.
		if _, err := tx.ExecContext(ctx, `UPDATE customer_cards SET expire_ym = r.new_expire,
			masked_pan = CASE WHEN r.change_kind = 2 AND r.new_masked <> '' THEN r.new_masked ELSE customer_cards.masked_pan END,
			version = customer_cards.version + 1, updated_at = ?
			FROM cardupdate_results r WHERE r.run_id = ? AND r.change_kind > 0 AND r.card_id = customer_cards.id`, now, runID); err != nil {
			return fmt.Errorf("cardupdate: update cards: %w", err)
		}
		if err := s.step("cards"); err != nil {
			return err
		}
		// Each card's 洗替ステータス; a card whose result is the one it had keeps its row (most of a
		// month's cards: no write), so run_id and updated_at say when the status was set.
		if _, err := tx.ExecContext(ctx, `INSERT INTO cardupdate_card_status (card_id, status, run_id, updated_at)
			SELECT card_id, CASE result WHEN 0 THEN 'ok' WHEN 1 THEN 'invalid' WHEN 2 THEN 'mismatch' ELSE 'input_error' END, run_id, ?
			FROM cardupdate_results WHERE run_id = ?
			ON CONFLICT (card_id) DO UPDATE SET status = excluded.status, run_id = excluded.run_id, updated_at = excluded.updated_at
			WHERE cardupdate_card_status.status <> excluded.status`, now, runID); err != nil {
			return fmt.Errorf("cardupdate: card statuses: %w", err)
		}
		if err := s.step("statuses"); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE cardupdate_runs SET ok_count = ?, invalid_count = ?, mismatch_count = ?, input_error_count = ? WHERE id = ?`,
			counts[0], counts[1], counts[2], counts[3], runID); err != nil {
			return err
		}
		return s.step("counted")
	})
	if errors.Is(err, errMismatch) {
		// A record matched no open row of the run: find which ones, row by row, in a
		// transaction that is always rolled back.
		var derr error
		if rejected, derr = s.diagnose(ctx, runID, f); derr != nil {
			return run, derr
		}
	}
	if errors.Is(err, errRejected) || errors.Is(err, errMismatch) {
		return s.failed(ctx, run, "結果ファイルを反映できません（何も反映していません）:\n"+strings.Join(rejected, "\n"))
	}
	if err != nil {
		return run, err
	}
	if run.Targets >= analyzeAfter {
		if err := s.db.AnalyzeTables(ctx, "cardupdate_card_status", "customer_cards"); err != nil {
			return run, err
		}
	}
	return s.GetRun(ctx, s.db, runID)
}

var (
	errRejected = errors.New("cardupdate: result file rejected")
	errMismatch = errors.New("cardupdate: a result record matched no open row")
)

// applyBatch is how many result records one UPDATE writes (6 values each, below both engines'
// parameter limits): a million records are 2,000 statements, not a million round trips.
const applyBatch = 500

// applyRows writes the result records of f into the run's rows, applyBatch a statement, and
// counts them by result. ok is
// false when a statement matched fewer rows than it had records (a 会員ID not in the run, or a
// second result for one); the caller then rolls back and diagnoses.
func applyRows(ctx context.Context, tx *db.Tx, runID string, f io.Reader) ([4]int, bool, error) {
	var counts [4]int
	rr := gmopg.NewResultReader(f)
	args := make([]any, 0, applyBatch*6+1)
	n := 0
	flush := func() (bool, error) {
		if n == 0 {
			return true, nil
		}
		// VALUES columns are column1… on both engines; every value is sent as text.
		q := `UPDATE cardupdate_results SET result = CAST(v.column2 AS INTEGER), change_kind = CAST(v.column3 AS INTEGER),
			new_expire = v.column4, new_masked = v.column5, err_info = v.column6
			FROM (VALUES ` + strings.TrimSuffix(strings.Repeat("(?, ?, ?, ?, ?, ?), ", n), ", ") + `) AS v
			WHERE cardupdate_results.run_id = ? AND cardupdate_results.member_id = v.column1 AND cardupdate_results.result IS NULL`
		res, err := tx.ExecContext(ctx, q, append(args, runID)...)
		if err != nil {
			return false, fmt.Errorf("cardupdate: apply rows up to %d: %w", rr.Row(), err)
		}
		got, err := res.RowsAffected()
		if err != nil {
			return false, err
		}
		ok := got == int64(n)
		args, n = args[:0], 0
		return ok, nil
	}
	for {
		row, err := rr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return counts, false, err // checked clean before: only a changed file gets here
		}
		if row.Result >= 0 && int(row.Result) < len(counts) {
			counts[row.Result]++
		}
		args = append(args, row.MemberID, strconv.Itoa(int(row.Result)), strconv.Itoa(int(row.Change)), row.NewExpire, row.NewMaskedNo, row.ErrInfo)
		if n++; n == applyBatch {
			if ok, err := flush(); !ok || err != nil {
				return counts, false, err
			}
		}
	}
	ok, err := flush()
	return counts, ok, err
}

// diagnose reads f again and names every record that matches no open row of the run (at most
// 100), applying each alone in a transaction it rolls back.
func (s *Service) diagnose(ctx context.Context, runID string, f io.ReadSeeker) ([]string, error) {
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return nil, err
	}
	var rejected []string
	err := s.db.InTx(ctx, func(tx *db.Tx) error {
		stmt, err := tx.Std().PrepareContext(ctx, db.Rebind(tx.Dialect(), `UPDATE cardupdate_results SET result = ?
			WHERE run_id = ? AND member_id = ? AND result IS NULL`))
		if err != nil {
			return err
		}
		defer stmt.Close()
		rr := gmopg.NewResultReader(f)
		for len(rejected) < 100 {
			row, err := rr.Read()
			if err == io.EOF {
				break
			}
			if err != nil {
				return err
			}
			res, err := stmt.ExecContext(ctx, int(row.Result), runID, row.MemberID)
			if err != nil {
				return fmt.Errorf("cardupdate: check row %d: %w", rr.Row(), err)
			}
			if n, _ := res.RowsAffected(); n != 1 {
				rejected = append(rejected, fmt.Sprintf("%d行目 会員ID「%s」: 洗替依頼に含まれていないか、2回目の結果です", rr.Row(), row.MemberID))
			}
		}
		return errRollback
	})
	if !errors.Is(err, errRollback) {
		return nil, err
	}
	return rejected, nil
}

var errRollback = errors.New("cardupdate: diagnosis only")

func missingMembers(ctx context.Context, tx *db.Tx, runID string) ([]string, error) {
	var n int
	if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM cardupdate_results WHERE run_id = ? AND result IS NULL`, runID).Scan(&n); err != nil {
		return nil, err
	}
	if n == 0 {
		return nil, nil
	}
	rows, err := tx.QueryContext(ctx, `SELECT member_id FROM cardupdate_results WHERE run_id = ? AND result IS NULL ORDER BY member_id LIMIT 20`, runID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []string{"結果ファイルに " + strconv.Itoa(n) + " 件の会員の結果がありません（ファイルが途中で切れている可能性があります）"}
	for rows.Next() {
		var m string
		if err := rows.Scan(&m); err != nil {
			return nil, err
		}
		out = append(out, "会員ID「"+m+"」の結果がありません")
	}
	return out, rows.Err()
}
