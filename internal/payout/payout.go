// Package payout is the room that pays sellers of purchase cases (宅配買取・一般仕入) by bank
// transfer through GMO あおぞらネット銀行: staff register transfers, an accountant executes them,
// the bank's approver approves by mail token, and a job follows each transfer at the bank until
// it is final.
//
// Money safety: executing claims a transfer with a conditional UPDATE and writes an attempt
// (platform/attempt) with its Idempotency-Key in the same transaction, marks the attempt sending
// after commit (refused once the janitor gave up on it), sends, and records the answer — also
// when it arrives after the attempt was settled. A call whose outcome is unknown is settled only by asking the bank
// (resolve.go); a transfer is never sent twice.
package payout

import (
	"embed"
	"time"

	"kessai/internal/platform/db"
	"kessai/internal/platform/status"
)

//go:embed migrations
var migrationsFS embed.FS

// Migrations creates the transfers table (after commerce and attempt).
var Migrations = db.Migrations{Module: "payout", FS: migrationsFS}

// Room, record type and operation names used in attempts and the audit log.
const (
	Room       = "payout"
	RecordType = "transfer"
	OpRequest  = "transfer.request"
	// OpBulkRequest is one 総合振込 (/bulktransfer/request) of a batch of transfers.
	OpBulkRequest   = "transfer.bulk_request"
	RecordTypeBatch = "transfer_batch"
)

// Status codes. They are stable: the database, the API and the tests use them.
const (
	StatusAwaitingExecution = "awaiting_execution"
	StatusSending           = "sending" // claimed for execution; the attempt says whether the bank answered
	StatusAwaitingApproval  = "awaiting_approval"
	StatusCompleted         = "completed"
	StatusCancelled         = "cancelled"
	StatusFailed            = "failed"
)

// Actions a status may allow.
const (
	ActEdit    = "edit"
	ActDelete  = "delete"
	ActExecute = "execute"
)

// Statuses is the one declaration of a transfer's statuses and what each allows.
var Statuses = status.NewSet("振込の状態",
	status.Status{Code: StatusAwaitingExecution, Label: "振込実行待ち", Actions: []string{ActEdit, ActDelete, ActExecute}},
	status.Status{Code: StatusSending, Label: "送信中", Level: "warn"},
	status.Status{Code: StatusAwaitingApproval, Label: "承認待ち", Level: "warn"},
	status.Status{Code: StatusCompleted, Label: "振込完了", Level: "ok", Final: true},
	status.Status{Code: StatusCancelled, Label: "キャンセル", Level: "error", Final: true, Actions: []string{ActEdit, ActDelete, ActExecute}},
	status.Status{Code: StatusFailed, Label: "エラー", Level: "error", Final: true, Actions: []string{ActEdit, ActDelete, ActExecute}},
)

// Transfer is one bank transfer to the seller of a purchase case.
type Transfer struct {
	ID              string     `json:"id"`
	CaseID          string     `json:"case_id"`
	CaseCode        string     `json:"case_code,omitempty"`
	CustomerID      string     `json:"customer_id"`
	CustomerName    string     `json:"customer_name,omitempty"`
	SourceAccountID string     `json:"source_account_id"`
	RemitterName    string     `json:"remitter_name"`
	Memo            string     `json:"memo"`
	BankCode        string     `json:"bank_code"`
	BankName        string     `json:"bank_name"`
	BranchCode      string     `json:"branch_code"`
	BranchName      string     `json:"branch_name"`
	AccountType     string     `json:"account_type"`
	AccountNumber   string     `json:"account_number"`
	HolderKana      string     `json:"holder_kana"`
	Amount          int64      `json:"amount"`
	Status          string     `json:"status"`
	StatusLabel     string     `json:"status_label"`
	Reason          string     `json:"reason,omitempty"`
	ApplyNo         string     `json:"apply_no,omitempty"`
	BankStatus      string     `json:"bank_status,omitempty"`
	IdempotencyKey  string     `json:"-"`
	AttemptID       string     `json:"-"`
	DesignatedDate  string     `json:"designated_date,omitempty"`
	RequestedBy     string     `json:"requested_by"`
	ExecutedBy      string     `json:"executed_by,omitempty"`
	ExecutedAt      *time.Time `json:"executed_at,omitempty"`
	CompletedAt     *time.Time `json:"completed_at,omitempty"`
	Fee             *int64     `json:"fee,omitempty"`              // 振込手数料 of the current request, once the bank reported it
	FileExportedAt  *time.Time `json:"file_exported_at,omitempty"` // last written to a 全銀 総合振込 file
	BatchID         string     `json:"batch_id,omitempty"`         // the 総合振込 it was last sent in ("" when sent alone)
	CreatedAt       time.Time  `json:"created_at"`
	UpdatedAt       time.Time  `json:"updated_at"`
}

// Allows reports whether the transfer's status allows action.
func (t Transfer) Allows(action string) bool { return Statuses.Allows(t.Status, action) }

// Warning is the hover text of the warning mark (キャンセル and エラー), "" for none.
func (t Transfer) Warning() string {
	if t.Status == StatusCancelled || t.Status == StatusFailed {
		if t.Reason == "" {
			return Statuses.Label(t.Status)
		}
		return t.Reason
	}
	return ""
}

// AccountTypeLabel is 普通, 当座 or 貯蓄.
func (t Transfer) AccountTypeLabel() string {
	switch t.AccountType {
	case "1":
		return "普通"
	case "2":
		return "当座"
	case "4":
		return "貯蓄"
	}
	return t.AccountType
}
