package payout_test

import (
	"testing"
	"time"

	"kessai/internal/payout"
	"kessai/internal/platform/attempt"
	"kessai/internal/sandbox/aozorasim"
)

// TestSandboxClockMovedDuringACall: moving the business (sandbox) clock far ahead while a call
// is in flight must not make the janitor ask about it or conclude anything: whether a request
// may have reached the bank is decided on the wall clock.
func TestSandboxClockMovedDuringACall(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tr := e.register(seller{bank: "0001", branch: "001", number: "2525252", kana: "ｻﾄｳ ﾊﾅｺ", amount: 4401, caseStatus: "stocked"})
	other := e.open()
	e.room.exec.StepHook = func(s attempt.Step) error {
		if s != payout.StepBeforeSend {
			return nil
		}
		e.clk.Advance(time.Hour) // someone moves the sandbox clock; the wall clock stays
		rep, err := other.janitor.Run(e.ctx)
		if err != nil {
			t.Error(err)
		}
		if rep.Checked != 0 {
			t.Errorf("the janitor looked at %d attempts of a call still in flight", rep.Checked)
		}
		return nil
	}
	got, err := e.room.exec.ExecuteOne(e.ctx, tr.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Status != payout.StatusAwaitingApproval || e.auditCount(tr.ID, "transfer.late_answer") != 0 {
		t.Fatalf("after the call: %s (%s); want 承認待ち recorded as the call's own answer", got.Status, got.Reason)
	}
}

// TestSandboxClockDoesNotConcludeNotFound: an unknown outcome is concluded "not received" only
// once the wall clock says the request is old enough, however far the sandbox clock moved.
func TestSandboxClockDoesNotConcludeNotFound(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tr := e.register(seller{bank: "0001", branch: "001", number: "2626262", kana: "ｻﾄｳ ﾊﾅｺ", amount: 4402, caseStatus: "stocked"})
	if err := e.sim.SetFault(aozorasim.FaultHTTP500Before, 1); err != nil {
		t.Fatal(err)
	}
	if _, err := e.room.exec.ExecuteOne(e.ctx, tr.ID); err != nil {
		t.Fatal(err)
	}
	e.clk.Advance(2 * time.Hour)
	if _, err := e.room.janitor.Run(e.ctx); err != nil {
		t.Fatal(err)
	}
	if cur := e.get(tr.ID); cur.Status != payout.StatusSending {
		t.Fatalf("sandbox clock +2h, wall clock unchanged: %s (%s), want still 送信中", cur.Status, cur.Reason)
	}
	e.wall.Advance(15 * time.Minute)
	if _, err := e.room.janitor.Run(e.ctx); err != nil {
		t.Fatal(err)
	}
	if cur := e.get(tr.ID); cur.Status != payout.StatusFailed {
		t.Fatalf("wall clock +15m: %s, want エラー (not found)", cur.Status)
	}
}
