package payout_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"kessai/internal/payout"
	"kessai/internal/platform/attempt"
	"kessai/internal/platform/attempt/attempttest"
	"kessai/internal/platform/db"
	"kessai/internal/platform/errs"
	"kessai/internal/sandbox/aozorasim"
)

// bulkHeld counts the 総合振込 requests the bank holds for total.
func (e *env) bulkHeld(total int64) int {
	n := 0
	for _, v := range e.sim.Transfers() {
		if v.Bulk && v.TotalAmount == total {
			n++
		}
	}
	return n
}

func (e *env) approvalMails() int {
	n := 0
	for _, m := range e.sim.Mails() {
		if m.Kind == "approval" {
			n++
		}
	}
	return n
}

// TestBatchOneApproval: まとめて executes the selection as one 総合振込 — one request, one
// approval mail — and each transfer then follows its own item: the one whose account the bank
// could not pay becomes エラー alone with the reason (once the bank has the items ready), the
// others 振込完了; fixed, it is executed again alone.
func TestBatchOneApproval(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	a := e.register(seller{bank: "0001", branch: "001", number: "5151515", kana: "ｻﾄｳ ﾊﾅｺ", amount: 7101, caseStatus: "stocked"})
	b := e.register(seller{bank: "0005", branch: "001", number: "5252525", kana: "ｽｽﾞｷ ｲﾁﾛｳ", amount: 7102, caseStatus: "stocked"})
	bad := e.register(seller{bank: "0001", branch: "001", number: aozorasim.ScenarioUnable, kana: "ﾀﾅｶ ｼﾞﾛｳ", amount: 7103, caseStatus: "stocked"})
	ids := []string{a.ID, b.ID, bad.ID}

	res, err := e.room.exec.ExecuteAs(e.ctx, ids, payout.ModeBulk)
	if err != nil || len(res) != 3 {
		t.Fatalf("execute: %v %+v", err, res)
	}
	for _, r := range res {
		if r.Error != "" || r.Status != payout.StatusAwaitingApproval || r.BatchID == "" || r.BatchID != res[0].BatchID {
			t.Fatalf("result %+v, want 承認待ち in one batch", r)
		}
	}
	held := e.sim.Transfers()
	if len(held) != 1 || !held[0].Bulk || held[0].Items != 3 || held[0].TotalAmount != 7101+7102+7103 || e.approvalMails() != 1 {
		t.Fatalf("bank holds %+v with %d approval mails, want one 総合振込 of 3 and one mail", held, e.approvalMails())
	}
	applyNo := e.get(a.ID).ApplyNo
	for _, id := range ids {
		if got := e.get(id); got.ApplyNo != applyNo || got.ApplyNo == "" {
			t.Fatalf("transfer %s applyNo %q, want the batch's %q", id, got.ApplyNo, applyNo)
		}
	}
	// Executing again while the bank has it: refused, nothing sent.
	if res, _ := e.room.exec.ExecuteAs(e.ctx, ids, payout.ModeBulk); res[0].Error == "" || len(e.sim.Transfers()) != 1 {
		t.Fatalf("second execution: %+v, bank holds %d", res, len(e.sim.Transfers()))
	}

	e.approve(applyNo)
	if _, err := e.room.poller.Poll(e.ctx); err != nil {
		t.Fatal(err)
	}
	// 不能・組戻あり at once, but the items are not ready: nobody is told a wrong result.
	for _, id := range ids {
		if got := e.get(id); got.Status != payout.StatusAwaitingApproval {
			t.Fatalf("before the items are ready: %s is %s", id, got.Status)
		}
	}
	e.advance(11 * time.Minute)
	if _, err := e.room.poller.Poll(e.ctx); err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{a.ID, b.ID} {
		if got := e.get(id); got.Status != payout.StatusCompleted || got.Fee == nil {
			t.Fatalf("paid item %s: %s fee %v, want 振込完了 with its fee", id, got.Status, got.Fee)
		}
	}
	failed := e.get(bad.ID)
	if failed.Status != payout.StatusFailed || !strings.Contains(failed.Reason, "手続不成立") {
		t.Fatalf("unpaid item: %s (%s), want エラー with the bank's reason", failed.Status, failed.Reason)
	}

	// Fixed and executed again alone.
	if _, err := e.room.svc.Update(e.ctx, bad.ID, payout.Input{BankCode: "0001", BranchCode: "001", AccountType: "1",
		AccountNumber: "5353535", HolderName: "ﾀﾅｶ ｼﾞﾛｳ", Amount: payout.Yen(7103)}); err != nil {
		t.Fatal(err)
	}
	res, err = e.room.exec.ExecuteAs(e.ctx, []string{bad.ID}, payout.ModeBulk)
	if err != nil || res[0].Status != payout.StatusAwaitingApproval || res[0].BatchID != "" {
		t.Fatalf("re-execute the fixed item: %v %+v, want sent alone", err, res)
	}
	again := e.get(bad.ID)
	e.approve(again.ApplyNo)
	if _, err := e.room.poller.Poll(e.ctx); err != nil {
		t.Fatal(err)
	}
	if got := e.get(bad.ID); got.Status != payout.StatusCompleted {
		t.Fatalf("fixed item: %s (%s)", got.Status, got.Reason)
	}
	if atts, err := e.room.svc.Attempts(e.ctx, bad.ID); err != nil || len(atts) != 2 || atts[0].Operation != payout.OpBulkRequest || atts[1].Operation != payout.OpRequest {
		t.Fatalf("the fixed item's 送信履歴: %v %+v, want the 総合振込 then its own request", err, atts)
	}
	if n := len(e.sim.Transfers()); n != 2 || e.simTransfers(7103) != 1 {
		t.Fatalf("bank holds %d requests (%d single for the fixed item), want the batch and the one re-execution", n, e.simTransfers(7103))
	}
}

// TestBatchRefusedItem: the bank refuses a 総合振込 because of one item: every transfer becomes
// エラー — the bad one with the bank's reason for its item, the others saying they were not
// sent — and after the fix they all go again in one batch.
func TestBatchRefusedItem(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	good := e.register(seller{bank: "0001", branch: "001", number: "5454545", kana: "ｻﾄｳ ﾊﾅｺ", amount: 7201, caseStatus: "stocked"})
	bad := e.register(seller{bank: "0001", branch: "001", number: aozorasim.ScenarioRejected, kana: "ﾀﾅｶ ｼﾞﾛｳ", amount: 7202, caseStatus: "stocked"})
	if _, err := e.room.exec.ExecuteAs(e.ctx, []string{good.ID, bad.ID}, payout.ModeBulk); err != nil {
		t.Fatal(err)
	}
	g, b := e.get(good.ID), e.get(bad.ID)
	if b.Status != payout.StatusFailed || !strings.Contains(b.Reason, "明細2") || !strings.Contains(b.Reason, "受取人口座が存在しません") {
		t.Errorf("bad item: %s (%s)", b.Status, b.Reason)
	}
	if g.Status != payout.StatusFailed || !strings.Contains(g.Reason, "ほかの明細") {
		t.Errorf("good item: %s (%s)", g.Status, g.Reason)
	}
	if len(e.sim.Transfers()) != 0 {
		t.Fatal("the bank holds a refused request")
	}
	if _, err := e.room.svc.Update(e.ctx, bad.ID, payout.Input{BankCode: "0001", BranchCode: "001", AccountType: "1",
		AccountNumber: "5555555", HolderName: "ﾀﾅｶ ｼﾞﾛｳ", Amount: payout.Yen(7202)}); err != nil {
		t.Fatal(err)
	}
	res, err := e.room.exec.ExecuteAs(e.ctx, []string{good.ID, bad.ID}, payout.ModeBulk)
	if err != nil || res[0].Status != payout.StatusAwaitingApproval || res[0].BatchID == "" || res[1].BatchID != res[0].BatchID {
		t.Fatalf("after the fix: %v %+v", err, res)
	}
	if e.bulkHeld(7201+7202) != 1 {
		t.Fatalf("bank holds %d batches", e.bulkHeld(7201+7202))
	}
}

// TestBatchLeavesOutWhatCannotGo: a transfer in a 全銀 file, one already sent, and a name longer
// than a 総合振込 carries (30) stay out of the batch, each with its reason; the rest go.
func TestBatchLeavesOutWhatCannotGo(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	mk := func(number, kana string, amount int64) payout.Transfer {
		return e.register(seller{bank: "0001", branch: "001", number: number, kana: kana, amount: amount, caseStatus: "stocked"})
	}
	a, b := mk("5656565", "ｻﾄｳ ﾊﾅｺ", 7301), mk("5757575", "ｽｽﾞｷ ｲﾁﾛｳ", 7302)
	exported, sent := mk("5858585", "ﾀﾅｶ ｼﾞﾛｳ", 7303), mk("5959595", "ﾀﾅｶ ｻﾌﾞﾛｳ", 7304)
	long := mk("6060606", "ｶﾌﾞｼｷｶﾞｲｼﾔ ｹﾂｻｲｻｰﾋﾞｽ ﾄｳｷﾖｳｼﾃﾝ ｴｲｷﾞﾖｳﾌﾞ", 7305)
	if _, err := e.room.svc.ExportZengin(e.ctx, zenginIn(), []string{exported.ID}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.room.exec.ExecuteOne(e.ctx, sent.ID); err != nil {
		t.Fatal(err)
	}
	res, err := e.room.exec.ExecuteAs(e.ctx, []string{a.ID, exported.ID, sent.ID, long.ID, b.ID}, payout.ModeBulk)
	if err != nil || len(res) != 5 {
		t.Fatalf("execute: %v %+v", err, res)
	}
	want := []string{"", exportedReason, "承認待ち", "30文字", ""}
	for i, r := range res {
		if want[i] == "" && (r.Error != "" || r.Status != payout.StatusAwaitingApproval) || want[i] != "" && !strings.Contains(r.Error, want[i]) {
			t.Errorf("row %d: %+v, want %q", i, r, want[i])
		}
	}
	if e.bulkHeld(7301+7302) != 1 || len(e.sim.Transfers()) != 2 {
		t.Fatalf("bank holds %v", e.sim.Transfers())
	}
	// 1件ずつ still sends the long name alone (/transfer/request keeps 48).
	if res, err := e.room.exec.ExecuteAs(e.ctx, []string{long.ID}, payout.ModeSingle); err != nil || res[0].Status != payout.StatusAwaitingApproval {
		t.Fatalf("long name alone: %v %+v", err, res)
	}
	if _, err := e.room.exec.ExecuteAs(e.ctx, []string{a.ID}, "sometimes"); errs.KindOf(err) != errs.KindInvalid {
		t.Fatalf("unknown mode: %v", err)
	}
}

// TestBatchMoneyCalls runs the 総合振込 through the platform's conformance suite: a crash at each
// step, every fault, concurrent executions, stalled senders and a late answer — the bank must
// hold the batch exactly once and every transfer of it must follow it to 振込完了.
func TestBatchMoneyCalls(t *testing.T) {
	t.Parallel()
	attempttest.Run(t, attempttest.Room{New: batchWorld})
}

// batchWorld: a record is a pair of transfers ("id1,id2"), executed まとめて.
func batchWorld(t *testing.T) attempttest.World {
	e := newEnv(t, func(o *aozorasim.Options) { o.ApprovalWindow = 30 * 24 * time.Hour })
	var mu sync.Mutex
	n := int64(0)
	totals := map[string]int64{}
	return attempttest.World{
		Prepare: func() string {
			mu.Lock()
			n++
			i := n
			mu.Unlock()
			x := e.register(seller{bank: "0001", branch: "001", number: "6161616", kana: "ｻﾄｳ ﾊﾅｺ", amount: 8000 + i, caseStatus: "stocked"})
			y := e.register(seller{bank: "0005", branch: "001", number: "6262626", kana: "ｽｽﾞｷ ｲﾁﾛｳ", amount: 9000 + 10*i, caseStatus: "stocked"})
			id := x.ID + "," + y.ID
			mu.Lock()
			totals[id] = x.Amount + y.Amount
			mu.Unlock()
			return id
		},
		Open: func(second bool) attempttest.Instance {
			if !second || e.db.Dialect() != db.Postgres {
				return batchInstance{e: e, r: e.open()}
			}
			d2, err := db.Open(context.Background(), e.db.URL, "")
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { d2.Close() })
			return batchInstance{e: e, r: e.openOn(d2)}
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
		Held: func(id string) int {
			mu.Lock()
			total := totals[id]
			mu.Unlock()
			single := 0
			for _, tid := range strings.Split(id, ",") {
				single += e.simTransfers(e.get(tid).Amount)
			}
			return e.bulkHeld(total) + single
		},
		Agree:   func(id string) error { return agreeBatch(e, id) },
		Advance: e.advance,
		Settled: 15 * time.Minute,
	}
}

type batchInstance struct {
	e *env
	r *room
}

func (in batchInstance) Execute(ctx context.Context, id string, o attempttest.Options) error {
	in.r.exec.StepHook = o.Step
	if o.CallTimeout > 0 {
		in.r.exec.CallTimeout = o.CallTimeout
	}
	defer func() { in.r.exec.StepHook, in.r.exec.CallTimeout = nil, 10*time.Second }()
	res, err := in.r.exec.ExecuteAs(in.e.ctx, strings.Split(id, ","), payout.ModeBulk)
	if err != nil {
		return err
	}
	for _, r := range res {
		if r.Error != "" {
			return fmt.Errorf("%s: %s", r.ID, r.Error)
		}
	}
	return nil
}

func (in batchInstance) Settle(ctx context.Context) error {
	return instance(in).Settle(ctx)
}

// agreeBatch: both transfers are 承認待ち with the applyNo of the one 総合振込 the bank holds,
// their attempt is the batch's and succeeded, and after the approval both are 振込完了.
func agreeBatch(e *env, id string) error {
	ids := strings.Split(id, ",")
	x, y := e.get(ids[0]), e.get(ids[1])
	var held []string
	for _, v := range e.sim.Transfers() {
		if v.Bulk && v.TotalAmount == x.Amount+y.Amount {
			held = append(held, v.ApplyNo)
		}
	}
	if len(held) != 1 {
		return fmt.Errorf("bank holds %v", held)
	}
	for _, tr := range []payout.Transfer{x, y} {
		if tr.Status != payout.StatusAwaitingApproval || tr.ApplyNo != held[0] || tr.BatchID == "" || tr.AttemptID != x.AttemptID {
			return fmt.Errorf("transfer %s: %s (%s) applyNo %q batch %q, bank holds %s", tr.ID, tr.Status, tr.Reason, tr.ApplyNo, tr.BatchID, held[0])
		}
	}
	a, err := e.room.svc.Attempt(e.ctx, x.AttemptID)
	if err != nil || a.State != attempt.Succeeded {
		return fmt.Errorf("the batch's attempt: %v %s", err, a.State)
	}
	e.approve(held[0])
	if _, err := e.room.poller.Poll(e.ctx); err != nil {
		return err
	}
	for _, tid := range ids {
		if tr := e.get(tid); tr.Status != payout.StatusCompleted {
			return fmt.Errorf("after approval: %s (%s), want 振込完了", tr.Status, tr.Reason)
		}
	}
	return nil
}

// TestBatchLostAnswerFoundByResolver: the bank accepted the 総合振込 but the answer was lost. The
// janitor finds it by its transferDataName in the bank's bulk listing — never by sending it again
// — and the batch's transfers follow it; a second batch to the same sellers for the same amounts
// (another name) is not taken for it.
func TestBatchLostAnswerFoundByResolver(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	pair := func() []string {
		a := e.register(seller{bank: "0001", branch: "001", number: "6363636", kana: "ｻﾄｳ ﾊﾅｺ", amount: 7401, caseStatus: "stocked"})
		b := e.register(seller{bank: "0001", branch: "001", number: "6464646", kana: "ｽｽﾞｷ ｲﾁﾛｳ", amount: 7402, caseStatus: "stocked"})
		return []string{a.ID, b.ID}
	}
	first, second := pair(), pair()
	if _, err := e.room.exec.ExecuteAs(e.ctx, first, payout.ModeBulk); err != nil {
		t.Fatal(err)
	}
	if err := e.sim.SetFault(aozorasim.FaultCloseAfterAccept, 1); err != nil {
		t.Fatal(err)
	}
	if _, err := e.room.exec.ExecuteAs(e.ctx, second, payout.ModeBulk); err != nil {
		t.Fatal(err)
	}
	if got := e.get(second[0]); got.Status != payout.StatusSending {
		t.Fatalf("after the lost answer: %s", got.Status)
	}
	calls := countRequests(e)
	e.advance(2 * time.Minute)
	if _, err := e.room.janitor.Run(e.ctx); err != nil {
		t.Fatal(err)
	}
	var secondApply string
	for _, v := range e.sim.Transfers() {
		if v.ApplyNo != e.get(first[0]).ApplyNo {
			secondApply = v.ApplyNo
		}
	}
	for _, id := range second {
		if got := e.get(id); got.Status != payout.StatusAwaitingApproval || got.ApplyNo != secondApply || secondApply == "" {
			t.Fatalf("resolved: %s applyNo %q, want 承認待ち with %q (not the first batch's)", got.Status, got.ApplyNo, secondApply)
		}
	}
	if calls.Load() != 0 || e.bulkHeld(7401+7402) != 2 {
		t.Fatalf("resolving sent %d requests; bank holds %d batches", calls.Load(), e.bulkHeld(7401+7402))
	}
}

// TestBatchExpired: a 総合振込 the approver never approved expires at the bank: every transfer
// of it becomes キャンセル with the reason, and they can be executed again together.
func TestBatchExpired(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	a := e.register(seller{bank: "0001", branch: "001", number: "6565656", kana: "ｻﾄｳ ﾊﾅｺ", amount: 7501, caseStatus: "stocked"})
	b := e.register(seller{bank: "0001", branch: "001", number: "6666666", kana: "ｽｽﾞｷ ｲﾁﾛｳ", amount: 7502, caseStatus: "stocked"})
	if _, err := e.room.exec.ExecuteAs(e.ctx, []string{a.ID, b.ID}, payout.ModeBulk); err != nil {
		t.Fatal(err)
	}
	if err := e.sim.Expire(e.get(a.ID).ApplyNo); err != nil {
		t.Fatal(err)
	}
	if _, err := e.room.poller.Poll(e.ctx); err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{a.ID, b.ID} {
		if got := e.get(id); got.Status != payout.StatusCancelled || !strings.Contains(got.Reason, "承認期限切れ") {
			t.Fatalf("after expiry: %s (%s), want キャンセル with the reason", got.Status, got.Reason)
		}
	}
	res, err := e.room.exec.ExecuteAs(e.ctx, []string{a.ID, b.ID}, payout.ModeBulk)
	if err != nil || res[0].Status != payout.StatusAwaitingApproval || res[0].BatchID == "" {
		t.Fatalf("re-execute: %v %+v", err, res)
	}
	if e.bulkHeld(7501+7502) != 2 || e.approvalMails() != 2 {
		t.Fatalf("bank holds %d batches with %d mails, want the expired one and the new one", e.bulkHeld(7501+7502), e.approvalMails())
	}
}

// TestExecuteModeSetting: まとめて is the default; an administrator's 1件ずつ makes a request that
// names no mode send each transfer alone; an explicit mode still wins. The change is audited.
func TestExecuteModeSetting(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	if m, err := e.room.svc.ExecuteMode(e.ctx); err != nil || m != payout.ModeBulk {
		t.Fatalf("default mode %q %v, want bulk", m, err)
	}
	if err := e.room.svc.SetExecuteMode(e.ctx, "both"); errs.KindOf(err) != errs.KindInvalid {
		t.Fatalf("unknown mode saved: %v", err)
	}
	if err := e.room.svc.SetExecuteMode(e.ctx, payout.ModeSingle); err != nil {
		t.Fatal(err)
	}
	if e.auditCount("execute_mode", "payout.settings") != 1 {
		t.Fatal("the setting is not audited")
	}
	reg := func(n string, amount int64) string {
		return e.register(seller{bank: "0001", branch: "001", number: n, kana: "ｻﾄｳ ﾊﾅｺ", amount: amount, caseStatus: "stocked"}).ID
	}
	ids := []string{reg("6767676", 7601), reg("6868686", 7602)}
	res, err := e.room.exec.ExecuteAs(e.ctx, ids, "")
	if err != nil || res[0].BatchID != "" || len(e.sim.Transfers()) != 2 {
		t.Fatalf("with 1件ずつ set: %v %+v, bank holds %d", err, res, len(e.sim.Transfers()))
	}
	more := []string{reg("6969696", 7603), reg("7070707", 7604)}
	if res, err := e.room.exec.ExecuteAs(e.ctx, more, payout.ModeBulk); err != nil || res[0].BatchID == "" || e.bulkHeld(7603+7604) != 1 {
		t.Fatalf("explicit bulk: %v %+v", err, res)
	}
}

// TestBatchSplitAtTheLimit: a selection larger than one 総合振込 may hold is sent as several,
// each approved once, every transfer in exactly one.
func TestBatchSplitAtTheLimit(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.room.exec.BatchMax = 2
	var ids []string
	for i := range 5 {
		ids = append(ids, e.register(seller{bank: "0001", branch: "001", number: fmt.Sprintf("71%05d", i), kana: "ｻﾄｳ ﾊﾅｺ",
			amount: int64(7700 + i), caseStatus: "stocked"}).ID)
	}
	res, err := e.room.exec.ExecuteAs(e.ctx, ids, payout.ModeBulk)
	if err != nil || len(res) != 5 {
		t.Fatalf("execute: %v %+v", err, res)
	}
	batches := map[string]int{}
	for _, r := range res {
		if r.Error != "" || r.BatchID == "" {
			t.Fatalf("row %+v", r)
		}
		batches[r.BatchID]++
	}
	held := e.sim.Transfers()
	if len(batches) != 3 || len(held) != 3 || e.approvalMails() != 3 {
		t.Fatalf("%d batches %v, bank holds %d, %d mails: want 3 (2+2+1)", len(batches), batches, len(held), e.approvalMails())
	}
	items := 0
	for _, v := range held {
		if !v.Bulk || v.Items > 2 {
			t.Fatalf("bank holds %+v", v)
		}
		items += v.Items
	}
	if items != 5 {
		t.Fatalf("%d items at the bank, want 5", items)
	}
}
