package payout_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"kessai/internal/payout"
	"kessai/internal/platform/attempt"
	"kessai/internal/platform/db"
	"kessai/internal/platform/errs"
	"kessai/internal/sandbox/aozorasim"
)

func TestLifecycleFollowsTheBank(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tests := []struct {
		name       string
		s          seller
		bank       func(applyNo string) // what happens at the bank after the request
		want       string
		wantReason string
	}{
		{"approved", seller{bank: "0001", branch: "001", number: "1111111", kana: "ﾔﾏﾀﾞ ﾀﾛｳ", amount: 1001, caseStatus: "stocked"},
			func(applyNo string) { e.approve(applyNo) }, payout.StatusCompleted, ""},
		{"expired", seller{bank: "0001", branch: "001", number: "2222222", kana: "ﾔﾏﾀﾞ ﾀﾛｳ", amount: 1002, caseStatus: "stocked"},
			func(applyNo string) {
				if err := e.sim.Expire(applyNo); err != nil {
					t.Fatal(err)
				}
			}, payout.StatusCancelled, "承認期限切れ"},
		{"unable after approval", seller{bank: "0001", branch: "001", number: aozorasim.ScenarioUnable, kana: "ﾔﾏﾀﾞ ﾀﾛｳ", amount: 1003, caseStatus: "stocked"},
			func(applyNo string) { e.approve(applyNo) }, payout.StatusFailed, "手続不成立"},
		{"rejected at request", seller{bank: "0001", branch: "001", number: aozorasim.ScenarioRejected, kana: "ﾔﾏﾀﾞ ﾀﾛｳ", amount: 1004, caseStatus: "stocked"},
			nil, payout.StatusFailed, "銀行エラー"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tr := e.register(tc.s)
			got, err := e.room.exec.ExecuteOne(e.ctx, tr.ID)
			if err != nil {
				t.Fatalf("execute: %v", err)
			}
			if tc.bank != nil {
				if got.Status != payout.StatusAwaitingApproval || len(got.ApplyNo) != 16 {
					t.Fatalf("after execute: %s applyNo %q, want 承認待ち with an applyNo", got.Status, got.ApplyNo)
				}
				tc.bank(got.ApplyNo)
				if _, err := e.room.poller.Poll(e.ctx); err != nil {
					t.Fatal(err)
				}
			}
			got = e.get(tr.ID)
			if got.Status != tc.want || !strings.Contains(got.Reason, tc.wantReason) {
				t.Fatalf("status %s (%s), want %s containing %q", got.Status, got.Reason, tc.want, tc.wantReason)
			}
			if got.Warning() == "" && (tc.want == payout.StatusFailed || tc.want == payout.StatusCancelled) {
				t.Fatalf("no warning text on %s", got.Status)
			}
		})
	}
}

func TestReExecuteAfterExpiry(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tr := e.register(seller{bank: "0001", branch: "001", number: "3333333", kana: "ﾔﾏﾀﾞ ﾀﾛｳ", amount: 2001, caseStatus: "stocked"})
	got, err := e.room.exec.ExecuteOne(e.ctx, tr.ID)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.sim.Expire(got.ApplyNo); err != nil {
		t.Fatal(err)
	}
	if _, err := e.room.poller.Poll(e.ctx); err != nil {
		t.Fatal(err)
	}
	if got = e.get(tr.ID); got.Status != payout.StatusCancelled {
		t.Fatalf("status %s, want cancelled", got.Status)
	}
	again, err := e.room.exec.ExecuteOne(e.ctx, tr.ID)
	if err != nil {
		t.Fatal(err)
	}
	if again.ApplyNo == got.ApplyNo || again.Status != payout.StatusAwaitingApproval {
		t.Fatalf("re-execution: %s applyNo %s (was %s)", again.Status, again.ApplyNo, got.ApplyNo)
	}
	e.approve(again.ApplyNo)
	if _, err := e.room.poller.Poll(e.ctx); err != nil {
		t.Fatal(err)
	}
	if got := e.get(tr.ID); got.Status != payout.StatusCompleted {
		t.Fatalf("status %s, want completed", got.Status)
	}
	atts, _ := e.room.svc.Attempts(e.ctx, tr.ID)
	if len(atts) != 2 || atts[0].IdempotencyKey == atts[1].IdempotencyKey {
		t.Fatalf("attempts %+v: want two with distinct keys", atts)
	}
	if _, err := e.room.exec.ExecuteOne(e.ctx, tr.ID); errs.KindOf(err) != errs.KindConflict {
		t.Fatalf("executing a completed transfer: %v, want conflict", err)
	}
}

var errKilled = errors.New("killed")

// TestMoneySafety covers what the platform's conformance suite (TestMoneyCalls: a crash at every
// step, timeouts, closed connections, 5xx before and after the bank accepted) does not: the
// bank's maintenance answer, which is certain not to have executed anything.
func TestMoneySafety(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		kill  attempt.Step        // step at which the process "dies"
		fault aozorasim.FaultMode // simulator fault on the request
		// sentBeforeSettle is how many requests the bank holds right after the failure.
		sentBeforeSettle int
	}{
		{"maintenance", "", aozorasim.FaultMaintenance, 0},
	}
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t)
			amount := int64(5000 + i)
			tr := e.register(seller{bank: "0001", branch: "001", number: "4444444", kana: "ｻﾄｳ ﾊﾅｺ", amount: amount, caseStatus: "stocked"})
			if tc.kill != "" {
				e.room.exec.StepHook = func(step attempt.Step) error {
					if step == tc.kill {
						return errKilled
					}
					return nil
				}
			}
			if tc.fault == aozorasim.FaultTimeoutAfterAccept {
				e.room.exec.CallTimeout = 300 * time.Millisecond // the bank hangs: give up soon
			}
			if tc.fault != "" {
				if err := e.sim.SetFault(tc.fault, 1); err != nil {
					t.Fatal(err)
				}
			}
			_, err := e.room.exec.ExecuteOne(e.ctx, tr.ID)
			if tc.kill != "" && !errors.Is(err, errKilled) {
				t.Fatalf("execute: %v, want killed", err)
			}
			if n := e.simTransfers(amount); n != tc.sentBeforeSettle {
				t.Fatalf("bank holds %d requests after the failure, want %d", n, tc.sentBeforeSettle)
			}

			// Restart. While the outcome is open nobody can send it again.
			e.room = e.open()
			if cur := e.get(tr.ID); cur.Status == payout.StatusSending {
				if _, err := e.room.exec.ExecuteOne(e.ctx, tr.ID); errs.KindOf(err) != errs.KindConflict {
					t.Fatalf("executing a transfer whose outcome is open: %v, want conflict", err)
				}
			}
			e.settle()
			cur := e.get(tr.ID)
			if n := e.simTransfers(amount); n != tc.sentBeforeSettle {
				t.Fatalf("settling sent something: bank holds %d requests, want %d", n, tc.sentBeforeSettle)
			}
			switch cur.Status {
			case payout.StatusAwaitingApproval:
			case payout.StatusAwaitingExecution, payout.StatusFailed:
				if tc.sentBeforeSettle != 0 {
					t.Fatalf("status %s (%s) although the bank has the request", cur.Status, cur.Reason)
				}
				if cur, err = e.room.exec.ExecuteOne(e.ctx, tr.ID); err != nil {
					t.Fatalf("re-execute: %v", err)
				}
			default:
				t.Fatalf("after settling: %s (%s)", cur.Status, cur.Reason)
			}
			e.approve(cur.ApplyNo)
			e.settle()
			if cur = e.get(tr.ID); cur.Status != payout.StatusCompleted {
				t.Fatalf("final status %s (%s), want completed", cur.Status, cur.Reason)
			}
			if n := e.simTransfers(amount); n != 1 {
				t.Fatalf("bank received %d requests, want exactly 1", n)
			}
			atts, err := e.room.svc.Attempts(e.ctx, tr.ID)
			if err != nil {
				t.Fatal(err)
			}
			for _, a := range atts {
				if !a.State.Final() {
					t.Fatalf("attempt %s left %s", a.ID, a.State)
				}
			}
		})
	}
}

// TestConcurrentExecutionSendsOnce executes the same transfer from several goroutines, each
// with its own room (on PostgreSQL: its own connection pool, like separate instances).
func TestConcurrentExecutionSendsOnce(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	const amount = 7777
	tr := e.register(seller{bank: "0001", branch: "001", number: "5555555", kana: "ｽｽﾞｷ ｲﾁﾛｳ", amount: amount, caseStatus: "stocked"})
	rooms := []*payout.Executor{e.room.exec}
	if e.db.Dialect() == db.Postgres {
		for range 3 {
			d2, err := db.Open(context.Background(), e.db.URL, "")
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { d2.Close() })
			rooms = append(rooms, e.openOn(d2).exec)
		}
	} else {
		rooms = append(rooms, e.open().exec, e.open().exec, e.open().exec)
	}
	var wg sync.WaitGroup
	results := make([]error, len(rooms)*2)
	for i := range results {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, results[i] = rooms[i%len(rooms)].ExecuteOne(e.ctx, tr.ID)
		}()
	}
	wg.Wait()
	ok := 0
	for _, err := range results {
		switch {
		case err == nil:
			ok++
		case errs.KindOf(err) == errs.KindConflict:
		default:
			t.Fatalf("execute: %v", err)
		}
	}
	if ok != 1 {
		t.Fatalf("%d executions succeeded, want 1", ok)
	}
	if n := e.simTransfers(amount); n != 1 {
		t.Fatalf("bank received %d requests, want 1", n)
	}
}

func TestEditDeleteOnlyWhereAllowed(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tr := e.register(seller{bank: "0001", branch: "001", number: "6666666", kana: "ﾀﾅｶ ｼﾞﾛｳ", amount: 3001, caseStatus: "stocked"})
	// A short account number is refused, never padded: a dropped digit is another account.
	in := payout.Input{BankCode: "0001", BranchCode: "001", AccountType: "1", AccountNumber: "123", HolderName: "たなか じろう", Amount: payout.Yen(3100)}
	if _, err := e.room.svc.Update(e.ctx, tr.ID, in); errs.As(err) == nil || errs.As(err).Fields["account_number"] == "" {
		t.Fatalf("update with a 3-digit account number: %v, want a field error", err)
	}
	in.AccountNumber = "０００0123" // full-width digits are read as digits
	up, err := e.room.svc.Update(e.ctx, tr.ID, in)
	if err != nil {
		t.Fatal(err)
	}
	if up.AccountNumber != "0000123" || up.HolderKana != "ﾀﾅｶ ｼﾞﾛｳ" || up.Amount != 3100 {
		t.Fatalf("updated %+v", up)
	}
	if _, err := e.room.exec.ExecuteOne(e.ctx, tr.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := e.room.svc.Update(e.ctx, tr.ID, in); errs.KindOf(err) != errs.KindConflict {
		t.Fatalf("edit while 承認待ち: %v, want conflict", err)
	}
	if err := e.room.svc.Delete(e.ctx, tr.ID); errs.KindOf(err) != errs.KindConflict {
		t.Fatalf("delete while 承認待ち: %v, want conflict", err)
	}
	tr2 := e.register(seller{bank: "0001", branch: "001", number: "6666667", kana: "ﾀﾅｶ ｼﾞﾛｳ", amount: 3002, caseStatus: "stocked"})
	if err := e.room.svc.Delete(e.ctx, tr2.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := e.room.svc.Get(e.ctx, tr2.ID); errs.KindOf(err) != errs.KindNotFound {
		t.Fatalf("deleted transfer: %v", err)
	}
}

func TestRegisterValidation(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	caseID := e.newCases(1, goodSeller)[0]
	tests := []struct {
		name  string
		in    payout.Input
		field string
		msg   string
	}{
		{"bad kana names the character", payout.Input{BankCode: "0001", BranchCode: "001", AccountNumber: "1", HolderName: "山田タロウ"}, "holder_name", "「山」（1文字目）"},
		{"unknown bank", payout.Input{BankCode: "9990", BranchCode: "001", AccountNumber: "1", HolderName: "ﾔﾏﾀﾞ"}, "bank_code", "金融機関マスタにありません"},
		{"unknown branch", payout.Input{BankCode: "0001", BranchCode: "999", AccountNumber: "1", HolderName: "ﾔﾏﾀﾞ"}, "branch_code", "にありません"},
		{"account too long", payout.Input{BankCode: "0001", BranchCode: "001", AccountNumber: "12345678", HolderName: "ﾔﾏﾀﾞ"}, "account_number", "7桁"},
		{"negative amount", payout.Input{BankCode: "0001", BranchCode: "001", AccountNumber: "1", HolderName: "ﾔﾏﾀﾞ", Amount: payout.Yen(-1)}, "amount", "1円以上"},
		{"explicit zero amount", payout.Input{Amount: payout.Yen(0)}, "amount", "1円以上"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := e.room.svc.Register(e.ctx, caseID, tc.in)
			ee := errs.As(err)
			if ee == nil || ee.Kind != errs.KindInvalid || !strings.Contains(ee.Fields[tc.field], tc.msg) {
				t.Fatalf("register: %v (fields %v), want %s containing %q", err, ee, tc.field, tc.msg)
			}
		})
	}
	if _, err := e.room.svc.Register(e.ctx, caseID, payout.Input{}); err != nil {
		t.Fatalf("register from the customer's account: %v", err)
	}
	if _, err := e.room.svc.Register(e.ctx, caseID, payout.Input{}); errs.KindOf(err) != errs.KindConflict {
		t.Fatalf("second transfer for a case: %v, want conflict", err)
	}
	notStocked := e.newCases(1, seller{bank: "0001", branch: "001", number: "1", kana: "ﾔﾏﾀﾞ", amount: 1, caseStatus: "appraising"})[0]
	if _, err := e.room.svc.Register(e.ctx, notStocked, payout.Input{}); errs.KindOf(err) != errs.KindConflict {
		t.Fatalf("transfer for a case being appraised: %v, want conflict", err)
	}
}
