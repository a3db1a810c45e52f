package payout_test

import (
	"errors"
	"testing"
	"time"

	"kessai/internal/payout"
	"kessai/internal/platform/attempt"
)

// TestStaleSendingCounted: a transfer left 送信中 (the process died mid-send) is counted for the
// top page's warning once it has been so for StaleSendingAfter, not before.
func TestStaleSendingCounted(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tr := e.register(seller{bank: "0001", branch: "001", number: "1414141", kana: "ｻﾄｳ ﾊﾅｺ", amount: 9601, caseStatus: "stocked"})
	e.room.exec.StepHook = func(step attempt.Step) error {
		if step == payout.StepBeforeSend {
			return errKilled
		}
		return nil
	}
	if _, err := e.room.exec.ExecuteOne(e.ctx, tr.ID); !errors.Is(err, errKilled) {
		t.Fatalf("execute: %v, want killed", err)
	}
	for _, c := range []struct {
		wait time.Duration
		want int
	}{{time.Minute, 0}, {5 * time.Minute, 1}} {
		e.advance(c.wait)
		n, err := e.room.svc.StaleSending(e.ctx, payout.StaleSendingAfter)
		if err != nil {
			t.Fatal(err)
		}
		if n != c.want {
			t.Fatalf("after %v more: %d stale 送信中, want %d", c.wait, n, c.want)
		}
	}
}
