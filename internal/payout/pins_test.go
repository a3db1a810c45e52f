package payout_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"kessai/internal/payout"
	"kessai/internal/platform/attempt"
	"kessai/internal/platform/errs"
	"kessai/internal/sandbox/aozorasim"
)

// killAt makes the room's executor "die" at step.
func (e *env) killAt(step attempt.Step) {
	e.room.exec.StepHook = func(s attempt.Step) error {
		if s == step {
			return errKilled
		}
		return nil
	}
}

// TestNoEditWhileSending: a transfer 送信中 can be neither edited nor deleted.
func TestNoEditWhileSending(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tr := e.register(seller{bank: "0001", branch: "001", number: "1515151", kana: "ｻﾄｳ ﾊﾅｺ", amount: 9701, caseStatus: "stocked"})
	e.killAt(payout.StepBeforeSend)
	if _, err := e.room.exec.ExecuteOne(e.ctx, tr.ID); !errors.Is(err, errKilled) {
		t.Fatalf("execute: %v", err)
	}
	in := payout.Input{BankCode: "0001", BranchCode: "001", AccountType: "1", AccountNumber: "1515152", HolderName: "ｻﾄｳ ﾊﾅｺ", Amount: payout.Yen(9702)}
	if _, err := e.room.svc.Update(e.ctx, tr.ID, in); errs.KindOf(err) != errs.KindConflict {
		t.Fatalf("edit while 送信中: %v, want conflict", err)
	}
	if err := e.room.svc.Delete(e.ctx, tr.ID); errs.KindOf(err) != errs.KindConflict {
		t.Fatalf("delete while 送信中: %v, want conflict", err)
	}
	if got := e.get(tr.ID); got.Amount != 9701 || got.Status != payout.StatusSending {
		t.Fatalf("transfer changed: %s %d", got.Status, got.Amount)
	}
}

// TestResolverWaitsBeforeConcluding: a sent request the bank does not list yet is not concluded
// "never received" until NotFoundAfter has passed since it was sent.
func TestResolverWaitsBeforeConcluding(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tr := e.register(seller{bank: "0001", branch: "001", number: "1616161", kana: "ｻﾄｳ ﾊﾅｺ", amount: 9801, caseStatus: "stocked"})
	e.killAt(payout.StepBeforeSend) // marked sending, never sent
	if _, err := e.room.exec.ExecuteOne(e.ctx, tr.ID); !errors.Is(err, errKilled) {
		t.Fatalf("execute: %v", err)
	}
	for _, c := range []struct {
		wait time.Duration
		want string
	}{{3 * time.Minute, payout.StatusSending}, {6 * time.Minute, payout.StatusSending}, {2 * time.Minute, payout.StatusFailed}} {
		e.advance(c.wait)
		if _, err := e.room.janitor.Run(e.ctx); err != nil {
			t.Fatal(err)
		}
		if got := e.get(tr.ID); got.Status != c.want {
			t.Fatalf("after %v more: %s (%s), want %s", c.wait, got.Status, got.Reason, c.want)
		}
	}
}

// TestLateAnswerOfAnOldAttempt: the janitor concluded "not found" while the sender stalled.
// While that request may still reach the bank, the transfer cannot be edited, so the late
// answer finds the transfer unchanged and it follows the bank (one request). Once the search
// window has passed an edit is allowed; an answer for the attempt the transfer no longer
// belongs to then never overwrites it: it is audited as an alert for a person to reconcile.
func TestLateAnswerOfAnOldAttempt(t *testing.T) {
	t.Parallel()
	for _, afterWindow := range []bool{false, true} {
		t.Run(map[bool]string{false: "within the search window", true: "after the search window"}[afterWindow], func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, func(o *aozorasim.Options) { o.ApprovalWindow = 30 * 24 * time.Hour })
			amount := int64(9901)
			if afterWindow {
				amount = 9911
			}
			tr := e.register(seller{bank: "0001", branch: "001", number: "1717171", kana: "ｻﾄｳ ﾊﾅｺ", amount: amount, caseStatus: "stocked"})
			other := e.open()
			var second payout.Transfer
			e.room.exec.StepHook = func(step attempt.Step) error {
				if step != payout.StepBeforeSend {
					return nil
				}
				e.advance(15 * time.Minute)
				if _, err := other.janitor.Run(e.ctx); err != nil {
					t.Error(err)
				}
				if afterWindow {
					// The window is on the wall clock; the business date stays, so the bank
					// still accepts the old request when it finally leaves.
					e.wall.Advance(time.Duration(payout.DefaultNotFoundDays) * 24 * time.Hour)
				}
				in := payout.Input{BankCode: "0001", BranchCode: "001", AccountType: "1", AccountNumber: "1717171", HolderName: "ｻﾄｳ ﾊﾅｺ", Amount: payout.Yen(amount + 1)}
				_, err := other.svc.Update(e.ctx, tr.ID, in)
				if !afterWindow {
					if errs.KindOf(err) != errs.KindConflict || !strings.Contains(err.Error(), "確認できていません") {
						t.Errorf("edit while the old request may arrive: %v, want refused with the reason", err)
					}
					return nil
				}
				if err != nil {
					t.Error(err)
				}
				if second, err = other.exec.ExecuteOne(e.ctx, tr.ID); err != nil {
					t.Error(err)
				}
				return nil
			}
			if _, err := e.room.exec.ExecuteOne(e.ctx, tr.ID); err != nil {
				t.Fatal(err)
			}
			got := e.get(tr.ID)
			if !afterWindow {
				if got.Status != payout.StatusAwaitingApproval || got.ApplyNo == "" || e.simTransfers(amount) != 1 || e.simTransfers(amount+1) != 0 {
					t.Fatalf("transfer %s applyNo %q; bank holds %d+%d; want 承認待ち following the one request", got.Status, got.ApplyNo, e.simTransfers(amount), e.simTransfers(amount+1))
				}
				return
			}
			if got.ApplyNo != second.ApplyNo || got.Amount != amount+1 || got.AttemptID != second.AttemptID {
				t.Fatalf("transfer applyNo %s attempt %s, want the re-execution's %s %s", got.ApplyNo, got.AttemptID, second.ApplyNo, second.AttemptID)
			}
			if e.auditCount(tr.ID, "transfer.late_answer_alert") != 1 {
				t.Fatal("no alert audited for the old attempt's late answer")
			}
		})
	}
}
