package cardupdate

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"kessai/internal/platform/attempt"
	"kessai/internal/platform/clock"
	"kessai/internal/platform/db"
	"kessai/internal/platform/errs"
	"kessai/internal/provider/gmopg"
	"kessai/internal/provider/gmopg/gmopgconn"
)

// Service holds the room's rules over its tables.
type Service struct {
	db     *db.DB
	clock  clock.Clock
	runner *attempt.Runner
	conn   *gmopgconn.Connection
	// TempDir holds request and result files while they are written or read ("" = os.TempDir).
	TempDir string
	// NotFoundAfter is how long after an upload was sent a missing file counts as never
	// received (10 minutes): the resolver must not conclude while the upload may still run.
	NotFoundAfter time.Duration
	// applyHook, when set (tests), runs after each step of a result's apply transaction; an
	// error there stands for a crash at that point.
	applyHook func(step string) error
}

func (s *Service) step(name string) error {
	if s.applyHook == nil {
		return nil
	}
	return s.applyHook(name)
}

// NewService returns the room's service.
func NewService(d *db.DB, c clock.Clock, r *attempt.Runner, conn *gmopgconn.Connection) *Service {
	return &Service{db: d, clock: c, runner: r, conn: conn, NotFoundAfter: 10 * time.Minute}
}

// Runner is the money-call runner uploads go through (tests set its StepHook).
func (s *Service) Runner() *attempt.Runner { return s.runner }

// Schedule is when the month's request is sent and its result read, in JST days of the month.
type Schedule struct {
	SubmitDay int `json:"submit_day"` // build and upload the request from this day (default 20)
	ResultDay int `json:"result_day"` // fetch the result from 0:00 JST of this day (default 27)
	// DeadlineDays after the result day without a result fail the month (default 3).
	DeadlineDays int `json:"deadline_days"`
}

// DefaultSchedule is ecforce's contract: results on the 27th at 0:00.
var DefaultSchedule = Schedule{SubmitDay: 20, ResultDay: gmopg.DefaultResultDay, DeadlineDays: 3}

// Validate checks the days (1–28, so every month has them; submit before result).
func (sc Schedule) Validate() error {
	f := errs.Fields{}
	if sc.SubmitDay < 1 || sc.SubmitDay > 28 {
		f.Add("submit_day", "依頼ファイルの送信日は1〜28日で指定してください")
	}
	if sc.ResultDay < 1 || sc.ResultDay > 28 {
		f.Add("result_day", "結果取得日は1〜28日で指定してください")
	} else if sc.SubmitDay >= sc.ResultDay {
		f.Add("result_day", "結果取得日は送信日より後の日にしてください")
	}
	if sc.DeadlineDays < 1 || sc.DeadlineDays > 10 {
		f.Add("deadline_days", "結果待ちの期限は1〜10日で指定してください")
	}
	return f.Err()
}

// Schedule reads the schedule (DefaultSchedule when none is saved).
func (s *Service) Schedule(ctx context.Context) (Schedule, error) {
	sc := DefaultSchedule
	err := s.db.QueryRowContext(ctx, `SELECT submit_day, result_day, deadline_days FROM cardupdate_settings WHERE id = 1`).
		Scan(&sc.SubmitDay, &sc.ResultDay, &sc.DeadlineDays)
	if errors.Is(err, sql.ErrNoRows) {
		return DefaultSchedule, nil
	}
	return sc, err
}

// SaveSchedule stores sc.
func (s *Service) SaveSchedule(ctx context.Context, sc Schedule) error {
	if err := sc.Validate(); err != nil {
		return err
	}
	return s.db.InTx(ctx, func(tx *db.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO cardupdate_settings (id, submit_day, result_day, deadline_days, updated_at) VALUES (1, ?, ?, ?, ?)
			ON CONFLICT (id) DO UPDATE SET submit_day = excluded.submit_day, result_day = excluded.result_day,
			deadline_days = excluded.deadline_days, updated_at = excluded.updated_at`, sc.SubmitDay, sc.ResultDay, sc.DeadlineDays, s.now())
		return err
	})
}

func (s *Service) now() time.Time { return s.clock.Now().UTC().Truncate(time.Microsecond) }

// monthStart is 0:00 JST on the first of month (YYYYMM).
func monthStart(month string) (time.Time, error) {
	t, err := time.ParseInLocation("200601", month, clock.JST)
	if err != nil || len(month) != 6 {
		return time.Time{}, errs.Invalid("月は YYYYMM で指定してください: " + month)
	}
	return t, nil
}

// ResultTime is 0:00 JST of the result day of month.
func (sc Schedule) ResultTime(month string) time.Time {
	t, _ := monthStart(month)
	return t.AddDate(0, 0, sc.ResultDay-1)
}

// Run is one month's card update.
type Run struct {
	ID         string    `json:"id"`
	Month      string    `json:"month"`
	Status     string    `json:"status"`
	FileName   string    `json:"file_name"`
	Targets    int       `json:"targets"`
	OK         int       `json:"ok"`
	Invalid    int       `json:"invalid"`
	Mismatch   int       `json:"mismatch"`
	InputError int       `json:"input_error"`
	Reason     string    `json:"reason,omitempty"`
	UploadedAt time.Time `json:"uploaded_at,omitzero"`
	AppliedAt  time.Time `json:"applied_at,omitzero"`
	CreatedAt  time.Time `json:"created_at"`
}

const runCols = `id, month, status, file_name, targets, ok_count, invalid_count, mismatch_count, input_error_count,
	reason, uploaded_at, applied_at, created_at`

func scanRun(r interface{ Scan(...any) error }) (Run, error) {
	var run Run
	var up, ap sql.NullTime
	err := r.Scan(&run.ID, &run.Month, &run.Status, &run.FileName, &run.Targets, &run.OK, &run.Invalid, &run.Mismatch,
		&run.InputError, &run.Reason, &up, &ap, &run.CreatedAt)
	run.UploadedAt, run.AppliedAt, run.CreatedAt = up.Time.UTC(), ap.Time.UTC(), run.CreatedAt.UTC()
	if !up.Valid {
		run.UploadedAt = time.Time{}
	}
	if !ap.Valid {
		run.AppliedAt = time.Time{}
	}
	return run, err
}

// GetRun reads a run by ID.
func (s *Service) GetRun(ctx context.Context, q db.Querier, id string) (Run, error) {
	r, err := scanRun(q.QueryRowContext(ctx, `SELECT `+runCols+` FROM cardupdate_runs WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return Run{}, errs.NotFound("洗替の実行が見つかりません: " + id)
	}
	return r, err
}

// RunOf reads the run of month (db.ErrNotFound when none).
func (s *Service) RunOf(ctx context.Context, month string) (Run, error) {
	r, err := scanRun(s.db.QueryRowContext(ctx, `SELECT `+runCols+` FROM cardupdate_runs WHERE month = ?`, month))
	if errors.Is(err, sql.ErrNoRows) {
		return Run{}, db.ErrNotFound
	}
	return r, err
}

// Runs lists the runs, newest month first.
func (s *Service) Runs(ctx context.Context, limit int) ([]Run, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT `+runCols+` FROM cardupdate_runs ORDER BY month DESC LIMIT ?`, limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Run
	for rows.Next() {
		r, err := scanRun(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// selection is the target rule, exactly: a GMO-PG card of an existing customer (deleted cards
// and customers are gone from customer_cards); registered before the month began; expiring this
// month or next; whose latest result is not 有効性NG / 照合エラー / 入力データエラー. The first run
// ever takes every stored card (still without failed ones). One card per 会員ID (the file is
// keyed by it): the first by ID.
const selection = ` FROM customer_cards cc
	WHERE cc.provider = ? AND (? OR (cc.created_at < ? AND cc.expire_ym IN (?, ?)))
	AND NOT EXISTS (SELECT 1 FROM cardupdate_card_status st WHERE st.card_id = cc.id AND st.status IN ('invalid', 'mismatch', 'input_error'))`

func (s *Service) selectionArgs(ctx context.Context, q db.Querier, month string) ([]any, error) {
	start, err := monthStart(month)
	if err != nil {
		return nil, err
	}
	var prior int
	if err := q.QueryRowContext(ctx, `SELECT COUNT(*) FROM cardupdate_runs WHERE month < ?`, month).Scan(&prior); err != nil {
		return nil, fmt.Errorf("cardupdate: prior runs: %w", err)
	}
	this, next := start.Format("0601"), start.AddDate(0, 1, 0).Format("0601")
	return []any{ProviderGMOPG, prior == 0, start.UTC(), this, next}, nil
}

// Target is one card a month's run would send.
type Target struct {
	CardID     string `json:"card_id"`
	CustomerID string `json:"customer_id"`
	MemberID   string `json:"member_id"`
	CardSeq    string `json:"card_seq"`
	ExpireYM   string `json:"expire_ym"`
	MaskedPAN  string `json:"masked_pan"`
}

// Preview counts the targets of month and lists the first limit of them, before anything runs.
func (s *Service) Preview(ctx context.Context, month string, limit int) (int, []Target, error) {
	args, err := s.selectionArgs(ctx, s.db, month)
	if err != nil {
		return 0, nil, err
	}
	var n int
	if err := s.db.QueryRowContext(ctx, `SELECT COUNT(DISTINCT cc.member_id)`+selection, args...).Scan(&n); err != nil {
		return 0, nil, fmt.Errorf("cardupdate: preview count: %w", err)
	}
	rows, err := s.db.QueryContext(ctx, `SELECT cc.id, cc.customer_id, cc.member_id, cc.card_seq, cc.expire_ym, cc.masked_pan`+selection+
		` AND cc.id = (SELECT MIN(c2.id) FROM customer_cards c2 WHERE c2.provider = cc.provider AND c2.member_id = cc.member_id)
		ORDER BY cc.member_id LIMIT ?`, append(args, limit)...)
	if err != nil {
		return 0, nil, fmt.Errorf("cardupdate: preview: %w", err)
	}
	defer rows.Close()
	var out []Target
	for rows.Next() {
		var t Target
		if err := rows.Scan(&t.CardID, &t.CustomerID, &t.MemberID, &t.CardSeq, &t.ExpireYM, &t.MaskedPAN); err != nil {
			return 0, nil, err
		}
		out = append(out, t)
	}
	return n, out, rows.Err()
}

// Prepare selects month's targets into a new run (status 対象抽出済み). A month has one run:
// preparing it again returns the existing one.
func (s *Service) Prepare(ctx context.Context, month string) (Run, error) {
	if r, err := s.RunOf(ctx, month); err == nil {
		return r, nil
	} else if !errors.Is(err, db.ErrNotFound) {
		return Run{}, err
	}
	cn, err := s.conn.Get(ctx)
	if err != nil {
		return Run{}, err
	}
	siteID := cn.Value(gmopgconn.FieldSiteID)
	id := db.NewID("cur")
	err = s.db.InTx(ctx, func(tx *db.Tx) error {
		now := s.now()
		if _, err := tx.ExecContext(ctx, `INSERT INTO cardupdate_runs (id, month, status, file_name, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)`,
			id, month, RunSelected, gmopg.RequestFileName(siteID, month), now, now); err != nil {
			if db.IsUniqueViolation(err) {
				return errs.Conflict(month + " の洗替はすでに作成されています")
			}
			return fmt.Errorf("cardupdate: new run: %w", err)
		}
		args, err := s.selectionArgs(ctx, tx, month)
		if err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, `INSERT INTO cardupdate_results (run_id, member_id, card_id, customer_id, card_seq, old_expire)
			SELECT ?, cc.member_id, cc.id, cc.customer_id, cc.card_seq, cc.expire_ym`+selection+` ORDER BY cc.id
			ON CONFLICT (run_id, member_id) DO NOTHING`, append([]any{id}, args...)...)
		if err != nil {
			return fmt.Errorf("cardupdate: select targets: %w", err)
		}
		n, _ := res.RowsAffected()
		_, err = tx.ExecContext(ctx, `UPDATE cardupdate_runs SET targets = ? WHERE id = ?`, n, id)
		return err
	})
	if err != nil {
		return Run{}, err
	}
	run, err := s.GetRun(ctx, s.db, id)
	if err != nil {
		return Run{}, err
	}
	// The result is applied 500 rows a statement by 会員ID: without fresh statistics the
	// planner may take a big run's rows for a handful and scan them for every statement.
	if run.Targets >= analyzeAfter {
		if err := s.db.AnalyzeTables(ctx, "cardupdate_results"); err != nil {
			return Run{}, err
		}
	}
	return run, nil
}

// analyzeAfter is how many rows a run writes before the planner's statistics are refreshed.
const analyzeAfter = 10_000

// WriteRequest writes run's request file to w from its stored targets (the same bytes every
// time, so a retried upload sends what the first one did).
func (s *Service) WriteRequest(ctx context.Context, runID string, w io.Writer) (int, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT member_id, card_seq FROM cardupdate_results WHERE run_id = ? ORDER BY member_id`, runID)
	if err != nil {
		return 0, fmt.Errorf("cardupdate: read targets: %w", err)
	}
	defer rows.Close()
	rw := gmopg.NewRequestWriter(w)
	for rows.Next() {
		var member, seq string
		if err := rows.Scan(&member, &seq); err != nil {
			return 0, err
		}
		row := gmopg.UpdateRequestRow{MemberID: member, CardSeq: gmopg.DefaultCardSeq}
		if seq != "" {
			if row.CardSeq, err = strconv.Atoi(seq); err != nil {
				return 0, fmt.Errorf("cardupdate: member %s: card seq %q: %w", member, seq, err)
			}
		}
		if err := rw.Write(row); err != nil {
			return 0, fmt.Errorf("cardupdate: member %s: %w", member, err)
		}
	}
	if err := rows.Err(); err != nil {
		return 0, err
	}
	return rw.Rows(), rw.Close()
}

func (s *Service) tempFile(pattern string) (*os.File, error) {
	return os.CreateTemp(s.TempDir, pattern)
}

// fail marks run failed with reason (never silent: the top page and the job show it).
func (s *Service) fail(ctx context.Context, runID, reason string) error {
	return s.db.InTx(ctx, func(tx *db.Tx) error {
		_, err := tx.ExecContext(ctx, `UPDATE cardupdate_runs SET status = ?, reason = ?, updated_at = ? WHERE id = ? AND status <> ?`,
			RunFailed, trim(reason, 2000), s.now(), runID, RunApplied)
		return err
	})
}

func trim(s string, n int) string {
	if r := []rune(s); len(r) > n {
		return string(r[:n]) + "…"
	}
	return s
}

// ErrNotReady is a result file that is not there yet (before the deadline): try again later.
var ErrNotReady = errors.New("cardupdate: result file not there yet")

// reasonOf is the Japanese text of err for a person.
func reasonOf(err error) string {
	if e := errs.As(err); e != nil && e.Message != "" {
		return e.Message
	}
	var fe gmopg.FileErrors
	if errors.As(err, &fe) {
		parts := make([]string, 0, len(fe))
		for _, e := range fe {
			parts = append(parts, e.Error())
		}
		return strings.Join(parts, "\n")
	}
	return err.Error()
}

func jstLoc() *time.Location { return clock.JST }
