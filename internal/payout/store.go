package payout

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"kessai/internal/commerce"
	"kessai/internal/platform/attempt"
	"kessai/internal/platform/audit"
	"kessai/internal/platform/auth"
	"kessai/internal/platform/clock"
	"kessai/internal/platform/db"
	"kessai/internal/platform/errs"
	"kessai/internal/platform/zengin"
	"kessai/internal/provider/aozora"
)

// Service is the payout room's rules over its table: register, edit, delete, list, bulk
// request. Execution and following the bank are in Executor and Poller.
type Service struct {
	db       *db.DB
	clock    clock.Clock
	audit    *audit.Log
	attempts *attempt.Log
	banks    *zengin.Master
	// NotFoundDays is how many days a request the bank did not list is looked for again, and
	// its transfer kept from being edited, deleted or sent under a new key
	// (DefaultNotFoundDays when 0). See absence.go.
	NotFoundDays int
}

// NewService returns the room's service. banks is the bank master used to check codes.
func NewService(d *db.DB, c clock.Clock, a *audit.Log, att *attempt.Log, banks *zengin.Master) *Service {
	return &Service{db: d, clock: c, audit: a, attempts: att, banks: banks}
}

// DB is the room's database.
func (s *Service) DB() *db.DB { return s.db }

// Banks is the bank master (type-ahead on the form).
func (s *Service) Banks() *zengin.Master { return s.banks }

// now is the clock's time at the precision both engines store.
func (s *Service) now() time.Time { return s.clock.Now().UTC().Truncate(time.Microsecond) }

func actor(ctx context.Context) string {
	if p := auth.FromContext(ctx); p != nil {
		return p.Name
	}
	return "system"
}

const selectTransfer = `SELECT t.id, t.case_id, c.code, t.customer_id, cu.name, t.source_account_id, t.remitter_name,
	t.memo, t.bank_code, t.bank_name, t.branch_code, t.branch_name, t.account_type, t.account_number, t.holder_kana,
	t.amount, t.status, t.reason, t.apply_no, t.bank_status, t.idempotency_key, t.attempt_id, t.designated_date,
	t.requested_by, t.executed_by, t.executed_at, t.completed_at, t.created_at, t.updated_at, t.fee, t.fee_apply_no, t.file_exported_at, t.batch_id
	FROM transfers t JOIN purchase_cases c ON c.id = t.case_id JOIN customers cu ON cu.id = t.customer_id`

// scanTransferRow is scanTransfer in the shape db.Collect takes.
func scanTransferRow(r *sql.Rows) (Transfer, error) { return scanTransfer(r) }

func scanTransfer(r interface{ Scan(...any) error }) (Transfer, error) {
	var t Transfer
	var exec, done, exported sql.NullTime
	var fee sql.NullInt64
	var feeApplyNo string
	err := r.Scan(&t.ID, &t.CaseID, &t.CaseCode, &t.CustomerID, &t.CustomerName, &t.SourceAccountID, &t.RemitterName,
		&t.Memo, &t.BankCode, &t.BankName, &t.BranchCode, &t.BranchName, &t.AccountType, &t.AccountNumber, &t.HolderKana,
		&t.Amount, &t.Status, &t.Reason, &t.ApplyNo, &t.BankStatus, &t.IdempotencyKey, &t.AttemptID, &t.DesignatedDate,
		&t.RequestedBy, &t.ExecutedBy, &exec, &done, &t.CreatedAt, &t.UpdatedAt, &fee, &feeApplyNo, &exported, &t.BatchID)
	if exported.Valid {
		v := exported.Time.UTC()
		t.FileExportedAt = &v
	}
	if fee.Valid && feeApplyNo != "" && feeApplyNo == t.ApplyNo {
		t.Fee = &fee.Int64
	}
	if exec.Valid {
		v := exec.Time.UTC()
		t.ExecutedAt = &v
	}
	if done.Valid {
		v := done.Time.UTC()
		t.CompletedAt = &v
	}
	t.CreatedAt, t.UpdatedAt = t.CreatedAt.UTC(), t.UpdatedAt.UTC()
	t.StatusLabel = Statuses.Label(t.Status)
	return t, err
}

// Get returns the transfer id.
func (s *Service) Get(ctx context.Context, id string) (Transfer, error) { return s.get(ctx, s.db, id) }

func (s *Service) get(ctx context.Context, q db.Querier, id string) (Transfer, error) {
	t, err := scanTransfer(q.QueryRowContext(ctx, selectTransfer+` WHERE t.id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return t, errs.NotFound("振込 " + id + " が見つかりません")
	}
	if err != nil {
		return t, fmt.Errorf("transfer %s: %w", id, err)
	}
	return t, nil
}

// getForUpdate reads the transfer in tx and, on PostgreSQL, locks its row until tx ends, so an
// edit and an execution never act on different versions of it (SQLite transactions are
// serial already).
func (s *Service) getForUpdate(ctx context.Context, tx *db.Tx, id string) (Transfer, error) {
	lock := ""
	if tx.Dialect() == db.Postgres {
		lock = " FOR UPDATE OF t" // only the transfer, not its case and customer
	}
	t, err := scanTransfer(tx.QueryRowContext(ctx, selectTransfer+` WHERE t.id = ?`+lock, id))
	if errors.Is(err, sql.ErrNoRows) {
		return t, errs.NotFound("振込 " + id + " が見つかりません")
	}
	if err != nil {
		return t, fmt.Errorf("transfer %s: %w", id, err)
	}
	return t, nil
}

// ForCase returns the case's transfer, or nil when it has none.
func (s *Service) ForCase(ctx context.Context, caseID string) (*Transfer, error) {
	t, err := scanTransfer(s.db.QueryRowContext(ctx, selectTransfer+` WHERE t.case_id = ?`, caseID))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("transfer of case %s: %w", caseID, err)
	}
	return &t, nil
}

// Filter selects transfers for the list page and the API.
type Filter struct {
	Status   string
	CaseIDs  []string
	IDs      []string
	CaseCode string    // the purchase case's code (exact)
	Customer string    // part of the customer's name, kana or code
	ApplyNo  string    // the bank's 受付番号 (exact)
	From, To time.Time // registered at or after From, before To (zero = open)
	// CompletedFrom and CompletedTo bound 振込完了日時 like From and To.
	CompletedFrom, CompletedTo time.Time
	AmountMin, AmountMax       *int64 // 振込金額, both ends included
	Page                       int    // 1-based
	PerPage                    int    // 0 = all
}

// Summary is what a search adds up to: 合計件数 and 合計金額.
type Summary struct {
	Count  int
	Amount int64
}

func (f Filter) where() (string, []any) {
	var where []string
	var args []any
	if f.Status != "" {
		where = append(where, "t.status = ?")
		args = append(args, f.Status)
	}
	if len(f.IDs) > 0 {
		where = append(where, "t.id IN ("+db.Placeholders(len(f.IDs))+")")
		for _, id := range f.IDs {
			args = append(args, id)
		}
	}
	if len(f.CaseIDs) > 0 {
		where = append(where, "t.case_id IN ("+db.Placeholders(len(f.CaseIDs))+")")
		for _, id := range f.CaseIDs {
			args = append(args, id)
		}
	}
	if f.CaseCode != "" {
		where, args = append(where, "c.code = ?"), append(args, f.CaseCode)
	}
	if f.Customer != "" {
		like := "%" + strings.NewReplacer(`\`, `\\`, "%", `\%`, "_", `\_`).Replace(strings.ToLower(f.Customer)) + "%"
		where = append(where, `(LOWER(cu.name) LIKE ? ESCAPE '\' OR LOWER(cu.name_kana) LIKE ? ESCAPE '\' OR LOWER(cu.code) LIKE ? ESCAPE '\')`)
		args = append(args, like, like, like)
	}
	if f.ApplyNo != "" {
		where, args = append(where, "t.apply_no = ?"), append(args, f.ApplyNo)
	}
	if !f.From.IsZero() {
		where, args = append(where, "t.created_at >= ?"), append(args, f.From.UTC())
	}
	if !f.To.IsZero() {
		where, args = append(where, "t.created_at < ?"), append(args, f.To.UTC())
	}
	if !f.CompletedFrom.IsZero() {
		where, args = append(where, "t.completed_at >= ?"), append(args, f.CompletedFrom.UTC())
	}
	if !f.CompletedTo.IsZero() {
		where, args = append(where, "t.completed_at < ?"), append(args, f.CompletedTo.UTC())
	}
	if f.AmountMin != nil {
		where, args = append(where, "t.amount >= ?"), append(args, *f.AmountMin)
	}
	if f.AmountMax != nil {
		where, args = append(where, "t.amount <= ?"), append(args, *f.AmountMax)
	}
	if len(where) == 0 {
		return "", nil
	}
	return " WHERE " + strings.Join(where, " AND "), args
}

func (f Filter) check() error {
	if f.Status != "" && !Statuses.Valid(f.Status) {
		return errs.Invalid("状態は "+strings.Join(Statuses.Codes(), "、")+" のいずれかにしてください").Field("status", "不明な状態です")
	}
	return nil
}

// Summarize returns 合計件数 and 合計金額 of the transfers matching f (paging ignored).
func (s *Service) Summarize(ctx context.Context, f Filter) (Summary, error) {
	if err := f.check(); err != nil {
		return Summary{}, err
	}
	cond, args := f.where()
	var sum Summary
	err := s.db.QueryRowContext(ctx, `SELECT COUNT(*), COALESCE(SUM(t.amount), 0) FROM transfers t
		JOIN purchase_cases c ON c.id = t.case_id JOIN customers cu ON cu.id = t.customer_id`+cond, args...).Scan(&sum.Count, &sum.Amount)
	if err != nil {
		return sum, fmt.Errorf("sum transfers: %w", err)
	}
	return sum, nil
}

// List returns the transfers matching f, newest first, and the total count.
func (s *Service) List(ctx context.Context, f Filter) ([]Transfer, int, error) {
	sum, err := s.Summarize(ctx, f)
	if err != nil {
		return nil, 0, err
	}
	total := sum.Count
	cond, args := f.where()
	q := selectTransfer + cond + ` ORDER BY t.created_at DESC, t.id DESC`
	if f.PerPage > 0 {
		page := max(f.Page, 1)
		q += fmt.Sprintf(" LIMIT %d OFFSET %d", f.PerPage, (page-1)*f.PerPage)
	}
	out, err := db.Collect(ctx, s.db, q, args, scanTransferRow)
	if err != nil {
		return nil, 0, fmt.Errorf("list transfers: %w", err)
	}
	return out, total, nil
}

// recentlyCompleted returns the 振込完了 transfers completed at or after since.
func (s *Service) recentlyCompleted(ctx context.Context, since time.Time) ([]Transfer, error) {
	out, err := db.Collect(ctx, s.db, selectTransfer+` WHERE t.status = ? AND t.completed_at >= ? ORDER BY t.completed_at`,
		[]any{StatusCompleted, since.UTC()}, scanTransferRow)
	if err != nil {
		return nil, fmt.Errorf("recently completed transfers: %w", err)
	}
	return out, nil
}

// StaleSendingAfter is how long a transfer may stay 送信中 before the top page warns about it.
const StaleSendingAfter = 5 * time.Minute

// StaleSending counts the transfers 送信中 for longer than after.
func (s *Service) StaleSending(ctx context.Context, after time.Duration) (int, error) {
	var n int
	err := s.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM transfers WHERE status = ? AND updated_at < ?`,
		StatusSending, s.now().Add(-after)).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("count stale 送信中 transfers: %w", err)
	}
	return n, nil
}

// Counts returns the number of transfers per status.
func (s *Service) Counts(ctx context.Context) (map[string]int, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT status, COUNT(*) FROM transfers GROUP BY status`)
	if err != nil {
		return nil, fmt.Errorf("count transfers: %w", err)
	}
	defer rows.Close()
	out := map[string]int{}
	for rows.Next() {
		var st string
		var n int
		if err := rows.Scan(&st, &n); err != nil {
			return nil, err
		}
		out[st] = n
	}
	return out, rows.Err()
}

// CaseInfo is what the transfer form needs from the case and its customer.
type CaseInfo struct {
	ID             string
	Code           string
	Kind           string
	Status         string
	PurchaseAmount int64
	CustomerID     string
	CustomerName   string
	Bank           commerce.BankAccount
}

func (s *Service) caseInfo(ctx context.Context, q db.Querier, caseID string) (CaseInfo, error) {
	var c CaseInfo
	err := q.QueryRowContext(ctx, `SELECT c.id, c.code, c.kind, c.status, c.purchase_amount, cu.id, cu.name,
		cu.bank_code, cu.bank_name, cu.branch_code, cu.branch_name, cu.account_type, cu.account_number, cu.account_holder_kana
		FROM purchase_cases c JOIN customers cu ON cu.id = c.customer_id WHERE c.id = ?`, caseID).Scan(
		&c.ID, &c.Code, &c.Kind, &c.Status, &c.PurchaseAmount, &c.CustomerID, &c.CustomerName,
		&c.Bank.BankCode, &c.Bank.BankName, &c.Bank.BranchCode, &c.Bank.BranchName, &c.Bank.AccountType,
		&c.Bank.AccountNumber, &c.Bank.HolderKana)
	if errors.Is(err, sql.ErrNoRows) {
		return c, errs.NotFound("買取ケース " + caseID + " が見つかりません")
	}
	if err != nil {
		return c, fmt.Errorf("case %s: %w", caseID, err)
	}
	return c, nil
}

// Prefill returns the case and the form's starting values (the customer's account, the
// purchase amount).
func (s *Service) Prefill(ctx context.Context, caseID string) (CaseInfo, Input, error) {
	c, err := s.caseInfo(ctx, s.db, caseID)
	if err != nil {
		return c, Input{}, err
	}
	return c, Input{}.fillFrom(c.Bank, c.PurchaseAmount), nil
}

// Register creates the case's transfer in 振込実行待ち. Empty fields come from the customer.
func (s *Service) Register(ctx context.Context, caseID string, in Input) (Transfer, error) {
	var id string
	err := s.db.InTx(ctx, func(tx *db.Tx) error {
		c, err := s.caseInfo(ctx, tx, caseID)
		if err != nil {
			return err
		}
		if !commerce.CaseStatuses.Allows(c.Status, "transfer") {
			return errs.Conflict(fmt.Sprintf("買取ケース %s は「%s」のため振込できません（入庫完了のケースのみ）", c.Code, commerce.CaseStatuses.Label(c.Status)))
		}
		b, fields := check(s.banks, in.fillFrom(c.Bank, c.PurchaseAmount))
		if err := fields.Err(); err != nil {
			return err
		}
		now := s.now()
		id = db.NewID("trf")
		_, err = tx.ExecContext(ctx, `INSERT INTO transfers (id, case_id, customer_id, remitter_name, memo, bank_code,
			bank_name, branch_code, branch_name, account_type, account_number, holder_kana, amount, status,
			requested_by, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			id, c.ID, c.CustomerID, b.RemitterName, b.Memo, b.BankCode, b.BankName, b.BranchCode, b.BranchName,
			b.AccountType, b.AccountNumber, b.HolderKana, b.Amount, StatusAwaitingExecution, actor(ctx), now, now)
		if db.IsUniqueViolation(err) {
			return errs.Conflict(fmt.Sprintf("買取ケース %s の振込はすでに登録されています", c.Code))
		}
		if err != nil {
			return fmt.Errorf("insert transfer: %w", err)
		}
		return s.audit.Record(ctx, tx, audit.Entry{Action: "transfer.register", RecordType: RecordType, RecordID: id, After: b})
	})
	if err != nil {
		return Transfer{}, err
	}
	return s.Get(ctx, id)
}

// Update changes a transfer in 振込実行待ち, キャンセル or エラー. A fixed キャンセル/エラー
// transfer goes back to 振込実行待ち.
func (s *Service) Update(ctx context.Context, id string, in Input) (Transfer, error) {
	err := s.db.InTx(ctx, func(tx *db.Tx) error {
		t, err := s.getForUpdate(ctx, tx, id)
		if err != nil {
			return err
		}
		if !t.Allows(ActEdit) {
			return errs.Conflict(fmt.Sprintf("「%s」の振込は編集できません", t.StatusLabel))
		}
		if t.FileExportedAt != nil {
			return refuseExported(t, "内容を編集できません")
		}
		if a, until, open := s.unproven(ctx, tx, t); open {
			return refuseUnproven(t, a, until, "内容の編集は")
		}
		b, fields := check(s.banks, in)
		if err := fields.Err(); err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, `UPDATE transfers SET remitter_name = ?, memo = ?, bank_code = ?, bank_name = ?,
			branch_code = ?, branch_name = ?, account_type = ?, account_number = ?, holder_kana = ?, amount = ?,
			status = ?, reason = '', updated_at = ? WHERE id = ? AND status = ?`,
			b.RemitterName, b.Memo, b.BankCode, b.BankName, b.BranchCode, b.BranchName, b.AccountType, b.AccountNumber,
			b.HolderKana, b.Amount, StatusAwaitingExecution, s.now(), id, t.Status)
		if err != nil {
			return fmt.Errorf("update transfer %s: %w", id, err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return errs.Conflict("振込の状態が変わったため編集できませんでした。画面を更新してください")
		}
		return s.audit.Record(ctx, tx, audit.Entry{Action: "transfer.update", RecordType: RecordType, RecordID: id, Before: t, After: b})
	})
	if err != nil {
		return Transfer{}, err
	}
	return s.Get(ctx, id)
}

// Delete removes a transfer in 振込実行待ち, キャンセル or エラー; the case can then get a new one.
func (s *Service) Delete(ctx context.Context, id string) error {
	return s.db.InTx(ctx, func(tx *db.Tx) error {
		t, err := s.getForUpdate(ctx, tx, id)
		if err != nil {
			return err
		}
		if !t.Allows(ActDelete) {
			return errs.Conflict(fmt.Sprintf("「%s」の振込は削除できません", t.StatusLabel))
		}
		if t.FileExportedAt != nil {
			return refuseExported(t, "削除できません")
		}
		if a, until, open := s.unproven(ctx, tx, t); open {
			return refuseUnproven(t, a, until, "削除")
		}
		res, err := tx.ExecContext(ctx, `DELETE FROM transfers WHERE id = ? AND status = ?`, id, t.Status)
		if err != nil {
			return fmt.Errorf("delete transfer %s: %w", id, err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return errs.Conflict("振込の状態が変わったため削除できませんでした。画面を更新してください")
		}
		return s.audit.Record(ctx, tx, audit.Entry{Action: "transfer.delete", RecordType: RecordType, RecordID: id, Before: t})
	})
}

// Attempt returns the attempt id (a transfer's AttemptID: its own request or its batch's).
func (s *Service) Attempt(ctx context.Context, id string) (attempt.Attempt, error) {
	return s.attempts.Get(ctx, s.db, id)
}

// Attempts lists the transfer's calls to the bank, oldest first: its own requests and the
// 総合振込 it went in.
func (s *Service) Attempts(ctx context.Context, id string) ([]attempt.Attempt, error) {
	atts, _, err := s.attemptsWithItems(ctx, id)
	return atts, err
}

// attemptsWithItems is Attempts with the transfer's itemId in each 総合振込 attempt.
func (s *Service) attemptsWithItems(ctx context.Context, id string) ([]attempt.Attempt, map[string]int, error) {
	own, err := s.attempts.ForRecord(ctx, s.db, RecordType, id)
	if err != nil {
		return nil, nil, err
	}
	rows, err := s.db.QueryContext(ctx, `SELECT b.attempt_id, i.item_id FROM transfer_batch_items i
		JOIN transfer_batches b ON b.id = i.batch_id WHERE i.transfer_id = ?`, id)
	if err != nil {
		return nil, nil, fmt.Errorf("batches of transfer %s: %w", id, err)
	}
	defer rows.Close()
	items := map[string]int{}
	for rows.Next() {
		var att string
		var item int
		if err := rows.Scan(&att, &item); err != nil {
			return nil, nil, err
		}
		items[att] = item
	}
	if err := rows.Err(); err != nil {
		return nil, nil, err
	}
	for att := range items {
		a, err := s.attempts.Get(ctx, s.db, att)
		if err != nil {
			return nil, nil, err
		}
		own = append(own, a)
	}
	slices.SortStableFunc(own, func(a, b attempt.Attempt) int { return a.CreatedAt.Compare(b.CreatedAt) })
	return own, items, nil
}

// recordFee keeps the 振込手数料 the bank reported for t's current request (for the accounting
// export), each time the bank reports it: until 手続済 it is the fee the bank expects to charge.
func (s *Service) recordFee(ctx context.Context, t Transfer, d aozora.TransferDetail) error {
	if d.TransferStatus == "" {
		return nil
	}
	fee := d.TransferDetailFee
	if t.Fee != nil && *t.Fee == fee {
		return nil
	}
	_, err := s.db.ExecContext(ctx, `UPDATE transfers SET fee = ?, fee_apply_no = ? WHERE id = ? AND apply_no = ?`, fee, t.ApplyNo, t.ID, t.ApplyNo)
	if err != nil {
		return fmt.Errorf("transfer %s: store fee: %w", t.ID, err)
	}
	return nil
}
