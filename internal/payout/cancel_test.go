package payout_test

import (
	"context"
	"testing"

	"kessai/internal/payout"
	"kessai/internal/platform/attempt"
)

// TestClientGoneAfterClaim: the person's request is cancelled (page closed, API client timed
// out) right after the claim; the execution still sends and records, so nothing is left 送信中.
func TestClientGoneAfterClaim(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tr := e.register(seller{bank: "0001", branch: "001", number: "1313131", kana: "ｻﾄｳ ﾊﾅｺ", amount: 9501, caseStatus: "stocked"})
	ctx, cancel := context.WithCancel(e.ctx)
	defer cancel()
	e.room.exec.StepHook = func(step attempt.Step) error {
		if step == payout.StepAfterAttempt {
			cancel()
		}
		return nil
	}
	got, err := e.room.exec.ExecuteOne(ctx, tr.ID)
	if err != nil {
		t.Fatalf("execute: %v", err)
	}
	if got = e.get(tr.ID); got.Status != payout.StatusAwaitingApproval || got.ApplyNo == "" {
		t.Fatalf("status %s applyNo %q, want 承認待ち with an applyNo", got.Status, got.ApplyNo)
	}
	if n := e.simTransfers(9501); n != 1 {
		t.Fatalf("bank holds %d requests, want 1", n)
	}
}
