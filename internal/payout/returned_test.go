package payout_test

import (
	"strings"
	"testing"
	"time"

	"kessai/internal/payout"
)

// TestCompletedTransferFollowedForReturns: after 振込完了 the bank can still report the money
// back (資金返却 22, 組戻済 25). Within FollowCompletedDays business days the poller sees it and
// the transfer becomes エラー with the reason; after that window it is no longer asked about.
func TestCompletedTransferFollowedForReturns(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		recalled bool
		wait     time.Duration
		want     string
		reason   string
	}{
		{"funds returned", false, 24 * time.Hour, payout.StatusFailed, "資金返却"},
		{"recalled", true, 3 * 24 * time.Hour, payout.StatusFailed, "組戻済"},
		{"after the window", false, 30 * 24 * time.Hour, payout.StatusCompleted, ""},
	}
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t)
			tr := e.register(seller{bank: "0001", branch: "001", number: "1212121", kana: "ｻﾄｳ ﾊﾅｺ", amount: int64(9400 + i), caseStatus: "stocked"})
			got, err := e.room.exec.ExecuteOne(e.ctx, tr.ID)
			if err != nil {
				t.Fatal(err)
			}
			e.approve(got.ApplyNo)
			e.settle()
			if got = e.get(tr.ID); got.Status != payout.StatusCompleted {
				t.Fatalf("status %s, want 振込完了", got.Status)
			}
			e.advance(tc.wait)
			if err := e.sim.ReturnFunds(got.ApplyNo, tc.recalled); err != nil {
				t.Fatal(err)
			}
			e.settle()
			got = e.get(tr.ID)
			if got.Status != tc.want || !strings.Contains(got.Reason, tc.reason) {
				t.Fatalf("status %s (%s), want %s with %q", got.Status, got.Reason, tc.want, tc.reason)
			}
		})
	}
}
