package payout_test

import (
	"errors"
	"testing"
	"time"

	"kessai/internal/payout"
	"kessai/internal/platform/attempt"
	"kessai/internal/platform/errs"
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

// TestLateAnswerOfAnOldAttempt: an answer for an attempt the transfer no longer belongs to (it
// was edited and executed again meanwhile) never overwrites the transfer; it is audited as an
// alert for a person to reconcile. (The bank then holds both requests: the residual case
// resolve.go documents — the content changed, so the key could not be reused.)
func TestLateAnswerOfAnOldAttempt(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tr := e.register(seller{bank: "0001", branch: "001", number: "1717171", kana: "ｻﾄｳ ﾊﾅｺ", amount: 9901, caseStatus: "stocked"})
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
		in := payout.Input{BankCode: "0001", BranchCode: "001", AccountType: "1", AccountNumber: "1717171", HolderName: "ｻﾄｳ ﾊﾅｺ", Amount: payout.Yen(9902)}
		if _, err := other.svc.Update(e.ctx, tr.ID, in); err != nil {
			t.Error(err)
		}
		var err error
		if second, err = other.exec.ExecuteOne(e.ctx, tr.ID); err != nil {
			t.Error(err)
		}
		return nil
	}
	if _, err := e.room.exec.ExecuteOne(e.ctx, tr.ID); err != nil {
		t.Fatal(err)
	}
	got := e.get(tr.ID)
	if got.ApplyNo != second.ApplyNo || got.Amount != 9902 || got.AttemptID != second.AttemptID {
		t.Fatalf("transfer applyNo %s attempt %s, want the re-execution's %s %s", got.ApplyNo, got.AttemptID, second.ApplyNo, second.AttemptID)
	}
	if e.auditCount(tr.ID, "transfer.late_answer_alert") != 1 {
		t.Fatal("no alert audited for the old attempt's late answer")
	}
}
