package payout

import (
	"context"
	"fmt"
	"strings"

	"kessai/internal/commerce"
	"kessai/internal/platform/audit"
	"kessai/internal/platform/bulk"
	"kessai/internal/platform/db"
	"kessai/internal/platform/errs"
)

// BulkResult is the outcome of a bulk request, per case: requested (a transfer was registered),
// an error with its reason, or skipped (the case already has a transfer).
type BulkResult struct {
	Requested []string    `json:"requested"`
	Errors    []BulkError `json:"errors"`
	Skipped   []string    `json:"skipped"`
}

// BulkError is one case that could not be requested.
type BulkError struct {
	CaseID   string `json:"case_id"`
	CaseCode string `json:"case_code,omitempty"`
	Reason   string `json:"reason"`
}

// MaxBulk bounds one bulk request.
const MaxBulk = 50_000

// readChunk and insertChunk keep every statement well under both engines' bind-parameter limits.
const (
	readChunk   = 900
	insertChunk = 300
)

// BulkRequest registers a transfer for each case from its customer's registered account and its
// purchase amount. It reads all cases and customers in a few queries, checks them in memory and
// inserts in one transaction, so 10,000 cases take well under a second on SQLite.
func (s *Service) BulkRequest(ctx context.Context, caseIDs []string) (BulkResult, error) {
	res := BulkResult{Requested: []string{}, Errors: []BulkError{}, Skipped: []string{}}
	ids := bulk.Dedupe(caseIDs)
	if len(ids) == 0 {
		return res, errs.Invalid("買取ケースを1件以上選んでください").Field("case_ids", "1件以上指定してください")
	}
	if len(ids) > MaxBulk {
		return res, errs.Invalid(fmt.Sprintf("一度に依頼できるのは%d件までです", MaxBulk)).Field("case_ids", "多すぎます")
	}
	err := s.db.InTx(ctx, func(tx *db.Tx) error {
		var err error
		res, err = s.BulkRequestTx(ctx, tx, ids)
		return err
	})
	return res, err
}

// BulkRequestTx is BulkRequest inside the caller's transaction (the bulk-action pattern runs
// batches this way); ids must be deduplicated.
func (s *Service) BulkRequestTx(ctx context.Context, tx *db.Tx, ids []string) (BulkResult, error) {
	res := BulkResult{Requested: []string{}, Errors: []BulkError{}, Skipped: []string{}}
	cases, err := s.readBulk(ctx, tx, ids)
	if err != nil {
		return res, err
	}
	now := s.now()
	who := actor(ctx)
	var rows []bulkRow
	for _, id := range ids {
		c, ok := cases[id]
		switch {
		case !ok:
			res.Errors = append(res.Errors, BulkError{CaseID: id, Reason: "買取ケースが見つかりません"})
			continue
		case c.hasTransfer:
			res.Skipped = append(res.Skipped, id)
			continue
		case !commerce.CaseStatuses.Allows(c.Status, "transfer"):
			res.Errors = append(res.Errors, BulkError{CaseID: id, CaseCode: c.Code,
				Reason: "「" + commerce.CaseStatuses.Label(c.Status) + "」のため振込できません（入庫完了のケースのみ）"})
			continue
		case c.Bank.IsZero():
			res.Errors = append(res.Errors, BulkError{CaseID: id, CaseCode: c.Code, Reason: "顧客の振込先口座が登録されていません"})
			continue
		case c.PurchaseAmount <= 0:
			res.Errors = append(res.Errors, BulkError{CaseID: id, CaseCode: c.Code, Reason: "買取金額が0円です"})
			continue
		}
		b, fields := check(s.banks, Input{}.fillFrom(c.Bank, c.PurchaseAmount))
		if len(fields) > 0 {
			res.Errors = append(res.Errors, BulkError{CaseID: id, CaseCode: c.Code, Reason: "振込先口座に誤りがあります: " + firstMessage(fields)})
			continue
		}
		rows = append(rows, bulkRow{id: db.NewID("trf"), caseID: id, customerID: c.CustomerID, b: b})
	}
	inserted, err := insertBulk(ctx, tx, rows, who, now)
	if err != nil {
		return res, err
	}
	for _, r := range rows {
		if !inserted[r.caseID] {
			res.Skipped = append(res.Skipped, r.caseID) // another request got there first
			continue
		}
		res.Requested = append(res.Requested, r.caseID)
	}
	if len(res.Requested) == 0 {
		return res, nil
	}
	// One audit entry for the whole request: who asked for which cases. Each transfer's
	// later changes are audited one by one.
	return res, s.audit.Record(ctx, tx, audit.Entry{Action: "transfer.bulk_request", RecordType: "transfer_bulk",
		RecordID: db.NewID("tbk"), After: res,
		Note: fmt.Sprintf("依頼 %d件、エラー %d件、スキップ %d件", len(res.Requested), len(res.Errors), len(res.Skipped))})
}

// bulkCase is a case with its customer's account, read for a bulk request.
type bulkCase struct {
	CaseInfo
	hasTransfer bool
}

func (s *Service) readBulk(ctx context.Context, q db.Querier, ids []string) (map[string]bulkCase, error) {
	out := make(map[string]bulkCase, len(ids))
	for start := 0; start < len(ids); start += readChunk {
		chunk := ids[start:min(start+readChunk, len(ids))]
		args := make([]any, len(chunk))
		for i, id := range chunk {
			args[i] = id
		}
		rows, err := q.QueryContext(ctx, `SELECT c.id, c.code, c.status, c.purchase_amount, cu.id,
			cu.bank_code, cu.bank_name, cu.branch_code, cu.branch_name, cu.account_type, cu.account_number,
			cu.account_holder_kana, t.id IS NOT NULL
			FROM purchase_cases c JOIN customers cu ON cu.id = c.customer_id
			LEFT JOIN transfers t ON t.case_id = c.id
			WHERE c.id IN (`+db.Placeholders(len(chunk))+`)`, args...)
		if err != nil {
			return nil, fmt.Errorf("read cases for bulk request: %w", err)
		}
		for rows.Next() {
			var c bulkCase
			if err := rows.Scan(&c.ID, &c.Code, &c.Status, &c.PurchaseAmount, &c.CustomerID,
				&c.Bank.BankCode, &c.Bank.BankName, &c.Bank.BranchCode, &c.Bank.BranchName, &c.Bank.AccountType,
				&c.Bank.AccountNumber, &c.Bank.HolderKana, &c.hasTransfer); err != nil {
				rows.Close()
				return nil, fmt.Errorf("read cases for bulk request: %w", err)
			}
			out[c.ID] = c
		}
		if err := rows.Close(); err != nil {
			return nil, err
		}
		if err := rows.Err(); err != nil {
			return nil, err
		}
	}
	return out, nil
}

type bulkRow struct {
	id, caseID, customerID string
	b                      beneficiary
}

// insertBulk inserts rows with multi-row INSERTs and reports which cases got their transfer (a
// case that got one meanwhile from a concurrent request is left out, not an error).
func insertBulk(ctx context.Context, tx *db.Tx, rows []bulkRow, who string, now any) (map[string]bool, error) {
	inserted := make(map[string]bool, len(rows))
	const cols = 15
	for start := 0; start < len(rows); start += insertChunk {
		chunk := rows[start:min(start+insertChunk, len(rows))]
		var sb strings.Builder
		sb.WriteString(`INSERT INTO transfers (id, case_id, customer_id, bank_code, bank_name, branch_code, branch_name,
			account_type, account_number, holder_kana, amount, status, requested_by, created_at, updated_at) VALUES `)
		args := make([]any, 0, len(chunk)*cols)
		row := "(" + db.Placeholders(cols) + ")"
		for i, r := range chunk {
			if i > 0 {
				sb.WriteString(", ")
			}
			sb.WriteString(row)
			args = append(args, r.id, r.caseID, r.customerID, r.b.BankCode, r.b.BankName, r.b.BranchCode, r.b.BranchName,
				r.b.AccountType, r.b.AccountNumber, r.b.HolderKana, r.b.Amount, StatusAwaitingExecution, who, now, now)
		}
		sb.WriteString(" ON CONFLICT (case_id) DO NOTHING RETURNING case_id")
		res, err := tx.QueryContext(ctx, sb.String(), args...)
		if err != nil {
			return nil, fmt.Errorf("insert transfers: %w", err)
		}
		for res.Next() {
			var id string
			if err := res.Scan(&id); err != nil {
				res.Close()
				return nil, fmt.Errorf("insert transfers: %w", err)
			}
			inserted[id] = true
		}
		if err := res.Close(); err != nil {
			return nil, err
		}
		if err := res.Err(); err != nil {
			return nil, fmt.Errorf("insert transfers: %w", err)
		}
	}
	return inserted, nil
}
