package payout_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"kessai/internal/payout"
	"kessai/internal/platform/attempt"
	"kessai/internal/platform/attempt/attempttest"
	"kessai/internal/platform/db"
	"kessai/internal/sandbox/aozorasim"
)

// TestMoneyCalls runs payout's transfer request through the platform's conformance suite of
// money calls: a crash at every step, every fault of the simulator, concurrent executions, a
// stalled sender racing the janitor and a late answer — each must leave the bank holding the
// transfer exactly once, with the record following the bank to 振込完了.
func TestMoneyCalls(t *testing.T) {
	t.Parallel()
	attempttest.Run(t, attempttest.Room{New: payoutWorld})
}

// payoutWorld is one scenario: a room over a fresh database and simulator.
func payoutWorld(t *testing.T) attempttest.World {
	// The approver takes their time: settling moves the clock, and an expired request would
	// be one the suite could rightly send again.
	e := newEnv(t, func(o *aozorasim.Options) { o.ApprovalWindow = 30 * 24 * time.Hour })
	var mu sync.Mutex
	amount := int64(6000)
	return attempttest.World{
		Prepare: func() string {
			mu.Lock()
			amount++
			a := amount
			mu.Unlock()
			return e.register(seller{bank: "0001", branch: "001", number: "4444444", kana: "ｻﾄｳ ﾊﾅｺ", amount: a, caseStatus: "stocked"}).ID
		},
		Open: func(second bool) attempttest.Instance {
			if !second || e.db.Dialect() != db.Postgres {
				return instance{e: e, r: e.open()}
			}
			d2, err := db.Open(context.Background(), e.db.URL, "")
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { d2.Close() })
			return instance{e: e, r: e.openOn(d2)}
		},
		Arm: func(f attempttest.Fault) {
			mode := map[attempttest.Fault]aozorasim.FaultMode{
				attempttest.TimeoutAfterAccept:      aozorasim.FaultTimeoutAfterAccept,
				attempttest.CloseAfterAccept:        aozorasim.FaultCloseAfterAccept,
				attempttest.ServerErrorAfterAccept:  aozorasim.FaultHTTP500,
				attempttest.ServerErrorBeforeAccept: aozorasim.FaultHTTP500Before,
			}[f]
			if err := e.sim.SetFault(mode, 1); err != nil {
				t.Fatal(err)
			}
		},
		Held:    func(id string) int { return e.simTransfers(e.get(id).Amount) },
		Agree:   func(id string) error { return agree(e, id) },
		Advance: e.advance,
		Settled: 15 * time.Minute,
	}
}

type instance struct {
	e *env
	r *room
}

func (in instance) Execute(ctx context.Context, id string, o attempttest.Options) error {
	in.r.exec.StepHook = o.Step
	if o.CallTimeout > 0 {
		in.r.exec.CallTimeout = o.CallTimeout
	}
	defer func() { in.r.exec.StepHook, in.r.exec.CallTimeout = nil, 10*time.Second }()
	_, err := in.r.exec.ExecuteOne(in.e.ctx, id)
	return err
}

func (in instance) Settle(ctx context.Context) error {
	if _, err := in.r.janitor.Run(in.e.ctx); err != nil {
		return err
	}
	_, err := in.r.poller.Poll(in.e.ctx)
	return err
}

// agree: the transfer is 承認待ち with the applyNo of the one request the bank holds, every
// attempt is settled, and once the bank's approver approves, the transfer is 振込完了.
func agree(e *env, id string) error {
	tr := e.get(id)
	var held []string
	for _, v := range e.sim.Transfers() {
		if v.TotalAmount == tr.Amount {
			held = append(held, v.ApplyNo)
		}
	}
	if tr.Status != payout.StatusAwaitingApproval || len(held) != 1 || tr.ApplyNo != held[0] {
		return fmt.Errorf("transfer %s (%s) applyNo %q, bank holds %v", tr.Status, tr.Reason, tr.ApplyNo, held)
	}
	atts, err := e.room.svc.Attempts(e.ctx, id)
	if err != nil {
		return err
	}
	for _, a := range atts {
		if !a.State.Final() {
			return fmt.Errorf("attempt %s left %s", a.ID, a.State)
		}
	}
	if last := atts[len(atts)-1]; last.State != attempt.Succeeded || last.ID != tr.AttemptID {
		return fmt.Errorf("the transfer's attempt %s, last attempt %s is %s", tr.AttemptID, last.ID, last.State)
	}
	e.approve(tr.ApplyNo)
	if _, err := e.room.poller.Poll(e.ctx); err != nil {
		return err
	}
	if tr = e.get(id); tr.Status != payout.StatusCompleted {
		return fmt.Errorf("after approval: %s (%s), want 振込完了", tr.Status, tr.Reason)
	}
	return nil
}
