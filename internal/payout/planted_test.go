package payout_test

import (
	"testing"

	"kessai/internal/payout"
	"kessai/internal/sandbox/aozorasim"
)

// TestResolverNeedsTheEDIReference: a second transfer to the same seller for the same amount,
// whose request never reached the bank, must not be taken for the first one that did — the
// bank's records are matched by the EDI reference, not by amount and account alone.
func TestResolverNeedsTheEDIReference(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	same := seller{bank: "0001", branch: "001", number: "2323232", kana: "ｻﾄｳ ﾊﾅｺ", amount: 4321, caseStatus: "stocked"}
	first := e.register(same)
	got, err := e.room.exec.ExecuteOne(e.ctx, first.ID)
	if err != nil || got.Status != payout.StatusAwaitingApproval {
		t.Fatalf("first: %v %s", err, got.Status)
	}
	second := e.register(same)
	if err := e.sim.SetFault(aozorasim.FaultHTTP500Before, 1); err != nil {
		t.Fatal(err)
	}
	if _, err := e.room.exec.ExecuteOne(e.ctx, second.ID); err != nil {
		t.Fatalf("second: %v", err)
	}
	if cur := e.get(second.ID); cur.Status != payout.StatusSending {
		t.Fatalf("second after a 5xx: %s, want 送信中 (outcome unknown)", cur.Status)
	}
	e.settle()
	cur := e.get(second.ID)
	if cur.ApplyNo == got.ApplyNo || cur.Status == payout.StatusAwaitingApproval || cur.Status == payout.StatusCompleted {
		t.Fatalf("second transfer %s applyNo %q: taken for the first (%s), although the bank never got it", cur.Status, cur.ApplyNo, got.ApplyNo)
	}
	if n := e.simTransfers(same.amount); n != 1 {
		t.Fatalf("bank holds %d", n)
	}
}

// TestStalePollDoesNotOverwriteAReExecution: a poll that read a transfer, asked the bank about
// its applyNo and then waited, must not write that old request's answer onto the transfer if
// it was meanwhile cancelled and re-executed (a new applyNo, again 承認待ち).
func TestStalePollDoesNotOverwriteAReExecution(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tr := e.register(seller{bank: "0001", branch: "001", number: "2424242", kana: "ｻﾄｳ ﾊﾅｺ", amount: 4322, caseStatus: "stocked"})
	first, err := e.room.exec.ExecuteOne(e.ctx, tr.ID)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.sim.Expire(first.ApplyNo); err != nil {
		t.Fatal(err)
	}
	other := e.open()
	var again payout.Transfer
	e.room.poller.Hook = func(t2 payout.Transfer) {
		if t2.ID != tr.ID || again.ID != "" {
			return
		}
		// Meanwhile another instance sees the expiry and staff execute the transfer again.
		if _, err := other.poller.Poll(e.ctx); err != nil {
			t.Error(err)
		}
		if cur := e.get(tr.ID); cur.Status != payout.StatusCancelled {
			t.Errorf("other instance's poll: %s, want キャンセル", cur.Status)
		}
		if again, err = other.exec.ExecuteOne(e.ctx, tr.ID); err != nil {
			t.Error(err)
		}
	}
	if _, err := e.room.poller.Poll(e.ctx); err != nil {
		t.Fatal(err)
	}
	cur := e.get(tr.ID)
	if again.ApplyNo == "" || cur.ApplyNo != again.ApplyNo || cur.Status != payout.StatusAwaitingApproval {
		t.Fatalf("after the stale poll: %s applyNo %q, want 承認待ち with the re-execution's %q", cur.Status, cur.ApplyNo, again.ApplyNo)
	}
	e.room.poller.Hook = nil
	e.approve(again.ApplyNo)
	e.settle()
	if cur = e.get(tr.ID); cur.Status != payout.StatusCompleted {
		t.Fatalf("final %s", cur.Status)
	}
}
