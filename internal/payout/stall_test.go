package payout_test

import (
	"testing"
	"time"

	"kessai/internal/payout"
	"kessai/internal/platform/attempt"
	"kessai/internal/platform/errs"
)

// auditCount counts the transfer's audit entries with action.
func (e *env) auditCount(id, action string) int {
	e.t.Helper()
	var n int
	if err := e.db.QueryRowContext(e.ctx, `SELECT COUNT(*) FROM audit_log WHERE record_id = ? AND action = ?`, id, action).Scan(&n); err != nil {
		e.t.Fatal(err)
	}
	return n
}

// TestStalledSenderNeverSendsTwice is the reviewer's scenario: the executing process stalls
// after the claim for longer than the janitor waits; another instance's janitor settles the
// attempt; then the stalled process resumes, and staff re-execute. The bank must end up holding
// exactly one request, and the transfer must follow it to 振込完了.
func TestStalledSenderNeverSendsTwice(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name        string
		stallAt     attempt.Step
		reExecuteIn bool // re-execute from another instance while the sender is still stalled
		wantErr     bool // the resumed execution reports that it did not send
		wantAudit   string
	}{
		{"stalled before marking the attempt sending", payout.StepAfterAttempt, false, true, ""},
		{"stalled after marking, resumes first", payout.StepBeforeSend, false, false, "transfer.late_answer"},
		{"stalled after marking, re-executed meanwhile", payout.StepBeforeSend, true, false, ""},
	}
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t)
			amount := int64(8100 + i)
			tr := e.register(seller{bank: "0001", branch: "001", number: "4444444", kana: "ｻﾄｳ ﾊﾅｺ", amount: amount, caseStatus: "stocked"})
			other := e.open() // another instance
			stalled := e.room.exec
			stalled.StepHook = func(step attempt.Step) error {
				if step != tc.stallAt {
					return nil
				}
				e.advance(15 * time.Minute)
				if _, err := other.janitor.Run(e.ctx); err != nil {
					t.Errorf("janitor: %v", err)
				}
				if got := e.get(tr.ID); got.Status != payout.StatusFailed {
					t.Errorf("after the janitor: %s (%s), want エラー", got.Status, got.Reason)
				}
				if tc.reExecuteIn {
					if _, err := other.exec.ExecuteOne(e.ctx, tr.ID); err != nil {
						t.Errorf("re-execute while the sender is stalled: %v", err)
					}
				}
				return nil
			}
			_, err := stalled.ExecuteOne(e.ctx, tr.ID)
			if tc.wantErr != (err != nil) {
				t.Fatalf("resumed execution: %v, want error %v", err, tc.wantErr)
			}
			stalled.StepHook = nil
			if cur := e.get(tr.ID); cur.Status == payout.StatusFailed {
				if _, err := other.exec.ExecuteOne(e.ctx, tr.ID); err != nil {
					t.Fatalf("re-execute: %v", err)
				}
			} else if _, err := other.exec.ExecuteOne(e.ctx, tr.ID); errs.KindOf(err) != errs.KindConflict {
				t.Fatalf("re-execute a %s transfer: %v, want conflict", cur.Status, err)
			}
			if n := e.simTransfers(amount); n != 1 {
				t.Fatalf("bank holds %d requests, want exactly 1", n)
			}
			cur := e.get(tr.ID)
			if cur.Status != payout.StatusAwaitingApproval || cur.ApplyNo == "" {
				t.Fatalf("transfer %s applyNo %q, want 承認待ち with the bank's applyNo", cur.Status, cur.ApplyNo)
			}
			if tc.wantAudit != "" && e.auditCount(tr.ID, tc.wantAudit) != 1 {
				t.Fatalf("no %s audit entry", tc.wantAudit)
			}
			e.approve(cur.ApplyNo)
			e.settle()
			if cur = e.get(tr.ID); cur.Status != payout.StatusCompleted {
				t.Fatalf("final %s (%s), want 振込完了", cur.Status, cur.Reason)
			}
			if n := e.simTransfers(amount); n != 1 {
				t.Fatalf("bank holds %d requests at the end, want exactly 1", n)
			}
		})
	}
}
