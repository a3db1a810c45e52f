package cardupdate

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"strconv"

	"kessai/internal/platform/jpcsv"
)

// ResultCSVHeader is the job's download: every targeted customer with the 洗替判定結果 and the
// card's old and new expiry.
var ResultCSVHeader = []string{"顧客コード", "顧客名", "会員ID", "カード登録連番", "洗替判定結果", "判定結果名", "更新区分", "更新前有効期限", "更新後有効期限", "エラーコード"}

// csvRowBytes is the size of a typical row of the result CSV (customer names vary).
const csvRowBytes = 64

// ResultCSV writes run's results as CP932 CSV (one row per targeted card, by 会員ID).
func (s *Service) ResultCSV(ctx context.Context, runID string) ([]byte, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT COALESCE(cu.code, ''), COALESCE(cu.name, ''), r.member_id, r.card_seq, r.result,
		r.change_kind, r.old_expire, r.new_expire, r.err_info
		FROM cardupdate_results r LEFT JOIN customers cu ON cu.id = r.customer_id
		WHERE r.run_id = ? ORDER BY r.member_id`, runID)
	if err != nil {
		return nil, fmt.Errorf("cardupdate: result csv: %w", err)
	}
	defer rows.Close()
	// One allocation of about the right size: a million rows are ~50 MB, and a growing buffer
	// would hold several copies of it at once.
	var n int
	if err := s.db.QueryRowContext(ctx, `SELECT targets FROM cardupdate_runs WHERE id = ?`, runID).Scan(&n); err != nil {
		return nil, fmt.Errorf("cardupdate: result csv: %w", err)
	}
	var buf bytes.Buffer
	buf.Grow(256 + n*csvRowBytes)
	w, err := jpcsv.NewWriter(&buf, jpcsv.CP932Replace, ResultCSVHeader)
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var code, name, member, seq, oldExp, newExp, info string
		var result sql.NullInt64
		var change int
		if err := rows.Scan(&code, &name, &member, &seq, &result, &change, &oldExp, &newExp, &info); err != nil {
			return nil, err
		}
		res, label := "", "未反映"
		if result.Valid {
			res, label = strconv.FormatInt(result.Int64, 10), CardStatuses.Label(statusOfCode(int(result.Int64)))
		}
		kind := map[int]string{0: "", 1: "有効期限更新", 2: "カード番号更新"}[change]
		if err := w.Write([]string{code, name, member, seq, res, label, kind, oldExp, newExp, info}); err != nil {
			return nil, err
		}
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if err := w.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func statusOfCode(r int) string {
	switch r {
	case 0:
		return StatusOK
	case 1:
		return StatusInvalid
	case 2:
		return StatusMismatch
	}
	return StatusInputError
}

// FailedRuns counts the runs that failed and were not rerun (the top page's alert).
func (s *Service) FailedRuns(ctx context.Context) (int, error) {
	var n int
	err := s.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM cardupdate_runs WHERE status = ?`, RunFailed).Scan(&n)
	return n, err
}

// rerunNow starts a failed run again for a person (page or API): the upload when the request
// never reached GMO-PG, else 「GMO 洗替結果取得」 enqueued (its job ID returned).
func (s *Service) rerunNow(ctx context.Context, runID string, enqueue func(context.Context, string) (int64, error)) (Run, int64, error) {
	run, err := s.GetRun(ctx, s.db, runID)
	if err != nil {
		return run, 0, err
	}
	if run.Status != RunFailed {
		return run, 0, errConflict(run.Month + " の洗替は失敗していないため再実行できません（" + RunStatuses.Label(run.Status) + "）")
	}
	if run.UploadedAt.IsZero() {
		run, err = s.Upload(ctx, run.ID)
		return run, 0, err
	}
	job, err := enqueue(ctx, run.ID)
	return run, job, err
}

// Rerun starts a failed run again where it stopped: the upload when the request never
// reached GMO-PG, else the fetch of the result (which the caller enqueues).
func (s *Service) Rerun(ctx context.Context, runID string) (Run, error) {
	run, err := s.GetRun(ctx, s.db, runID)
	if err != nil {
		return run, err
	}
	if run.Status != RunFailed {
		return run, errConflict(run.Month + " の洗替は失敗していないため再実行できません（" + RunStatuses.Label(run.Status) + "）")
	}
	if run.UploadedAt.IsZero() {
		return s.Upload(ctx, runID)
	}
	return s.Fetch(ctx, runID)
}
