package aozorasim

import (
	"time"

	"kessai/internal/provider/aozora"
)

// Beneficiary account numbers that trigger scenarios (documented in doc.go and on the pages).
const (
	ScenarioUnable   = "9999999" // approved, then 手続不成立 (40) with a reason
	ScenarioRejected = "9999998" // refused at request time: 400 220011
	ScenarioSlow     = "9999997" // approved, then 手続中 (12) for an hour before 手続済 (20)
)

// slowFor is how long ScenarioSlow stays 手続中.
const slowFor = time.Hour

// bulkDetailDelay is how long after completion the items of a bulk transfer become readable
// (detailInfoResult true); the spec says "about 10 minutes".
const bulkDetailDelay = 10 * time.Minute

// ownBank is GMO あおぞらネット銀行's bank code: transfers to it run on non-business days and
// cost nothing in the sandbox.
const ownBank = "0310"

// transfer is one request (single or bulk) and its state.
type transfer struct {
	ApplyNo         string                `json:"apply_no"`
	Bulk            bool                  `json:"bulk"`
	ClientID        string                `json:"client_id"`
	AccountID       string                `json:"account_id"`
	RemitterName    string                `json:"remitter_name"`
	DesignatedDate  aozora.Date           `json:"designated_date"`
	ExecDate        aozora.Date           `json:"exec_date"` // after the holiday rule
	DataName        string                `json:"data_name,omitempty"`
	ApplyComment    string                `json:"apply_comment,omitempty"`
	Items           []item                `json:"items"`
	TotalAmount     int64                 `json:"total_amount"`
	Status          aozora.TransferStatus `json:"status"`
	Result          aozora.ResultCode     `json:"result"`
	ResultAt        time.Time             `json:"result_at,omitzero"` // completion of the latest request on the applyNo
	CreatedAt       time.Time             `json:"created_at"`
	Deadline        time.Time             `json:"deadline"`
	ApprovedAt      time.Time             `json:"approved_at,omitzero"`
	AcceptNo        string                `json:"accept_no,omitempty"`
	ProcessingUntil time.Time             `json:"processing_until,omitzero"`
	FinishedAt      time.Time             `json:"finished_at,omitzero"`
	MailToken       string                `json:"mail_token"`
	CancelClass     aozora.CancelTarget   `json:"cancel_class,omitempty"`
}

// item is one beneficiary of a transfer.
type item struct {
	ItemID         int    `json:"item_id"`
	BankCode       string `json:"bank_code"`
	BankName       string `json:"bank_name,omitempty"`
	BranchCode     string `json:"branch_code"`
	BranchName     string `json:"branch_name,omitempty"`
	AccountType    string `json:"account_type"`
	AccountNumber  string `json:"account_number"`
	Name           string `json:"name"`
	EDI            string `json:"edi,omitempty"`
	Identification string `json:"identification,omitempty"`
	Amount         int64  `json:"amount"`
	Fee            int64  `json:"fee"`
	Unable         bool   `json:"unable,omitempty"`
	UnableReason   string `json:"unable_reason,omitempty"`
}

func (t *transfer) fee() int64 {
	var f int64
	for _, it := range t.Items {
		f += it.Fee
	}
	return f
}

// feeFor is the sandbox's fee table: free to the bank's own accounts, 145 yen elsewhere.
func feeFor(bankCode string) int64 {
	if bankCode == ownBank {
		return 0
	}
	return 145
}

// settleLocked moves every transfer forward to now: expiry of unapproved requests, execution of
// reserved ones whose date has come, and the end of slow processing. State changes only here and
// in the handlers, so the sandbox clock alone decides what "later" means.
func (s *Sim) settleLocked() {
	now := s.now()
	changed := false
	for _, t := range s.st.Transfers {
		switch t.Status {
		case aozora.StatusApplying:
			if !now.Before(t.Deadline) {
				t.Status, t.Result, t.ResultAt = aozora.StatusExpired, aozora.ResultExpired, time.Time{}
				changed = true
			}
		case aozora.StatusReserved:
			if !aozora.DateOf(now).Before(t.ExecDate) {
				s.executeLocked(t, now)
				changed = true
			}
		case aozora.StatusProcessing:
			if !now.Before(t.ProcessingUntil) {
				s.finishLocked(t, now)
				changed = true
			}
		}
	}
	if changed {
		s.saveLocked()
	}
}

// approveLocked is the approver entering the transaction password.
func (s *Sim) approveLocked(t *transfer, now time.Time) {
	t.ApprovedAt = now
	t.Result, t.ResultAt = aozora.ResultCompleted, now
	t.AcceptNo = s.nextNumberLocked()
	if aozora.DateOf(now).Before(t.ExecDate) {
		t.Status = aozora.StatusReserved
		return
	}
	s.executeLocked(t, now)
}

// executeLocked starts the transfer on its execution date.
func (s *Sim) executeLocked(t *transfer, now time.Time) {
	for _, it := range t.Items {
		if it.AccountNumber == ScenarioSlow {
			t.Status, t.ProcessingUntil = aozora.StatusProcessing, now.Add(slowFor)
			return
		}
	}
	s.finishLocked(t, now)
}

// finishLocked decides each item: the unable scenario fails, everything else arrives.
func (s *Sim) finishLocked(t *transfer, now time.Time) {
	unable := 0
	for i := range t.Items {
		if t.Items[i].AccountNumber == ScenarioUnable {
			t.Items[i].Unable, t.Items[i].UnableReason = true, "受取人口座なし（口座番号相違）"
			unable++
		}
	}
	t.FinishedAt = now
	switch {
	case unable == 0:
		t.Status = aozora.StatusCompleted
	case unable == len(t.Items) || !t.Bulk:
		t.Status = aozora.StatusUnable
	default:
		t.Status = aozora.StatusPartlyUnable
	}
	if unable > 0 {
		s.mailUnableLocked(t, now)
	}
}
