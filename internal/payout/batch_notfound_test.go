package payout_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"kessai/internal/payout"
	"kessai/internal/platform/db"
	"kessai/internal/platform/errs"
	"kessai/internal/sandbox/aozorasim"
)

// hideBulkFromListings is hideFromListings for /bulktransfer/status by period.
func hideBulkFromListings(r *http.Request, status int, body []byte) []byte {
	if !strings.HasSuffix(r.URL.Path, "/bulktransfer/status") || status != http.StatusOK {
		return body
	}
	var m map[string]any
	if json.Unmarshal(body, &m) != nil || m["bulkTransferDetails"] == nil {
		return body
	}
	m["bulkTransferDetails"], m["count"] = []any{}, "0"
	b, _ := json.Marshal(m)
	return b
}

// TestBatchNotFoundReexecuted: the bank accepted a 総合振込, the answer was lost and the bank's
// listing left it out, so the janitor concluded "not found". Its transfers alone or with another
// cannot be sent under a new key; the same transfers the same day (in any order) are sent again as the very
// same request (key, transferDataName, references), which the bank dedupes: it holds one batch.
func TestBatchNotFoundReexecuted(t *testing.T) {
	t.Parallel()
	e := newEnv(t, func(o *aozorasim.Options) { o.ApprovalWindow = 30 * 24 * time.Hour })
	a := e.register(seller{bank: "0001", branch: "001", number: "6565656", kana: "ｻﾄｳ ﾊﾅｺ", amount: 7501, caseStatus: "stocked"})
	b := e.register(seller{bank: "0001", branch: "001", number: "6666666", kana: "ｽｽﾞｷ ｲﾁﾛｳ", amount: 7502, caseStatus: "stocked"})
	c := e.register(seller{bank: "0001", branch: "001", number: "6767676", kana: "ﾀﾅｶ ｼﾞﾛｳ", amount: 7503, caseStatus: "stocked"})
	if err := e.sim.SetFault(aozorasim.FaultCloseAfterAccept, 1); err != nil {
		t.Fatal(err)
	}
	e.answer = hideBulkFromListings
	if _, err := e.room.exec.ExecuteAs(e.ctx, []string{a.ID, b.ID}, payout.ModeBulk); err != nil {
		t.Fatal(err)
	}
	e.settle()
	first := e.get(a.ID)
	if first.Status != payout.StatusFailed || !strings.Contains(first.Reason, "照会を続け") {
		t.Fatalf("after settling: %s (%s), want エラー saying kessai keeps looking", first.Status, first.Reason)
	}
	// Alone, or with a transfer that was not in it, is another request: refused.
	for name, ids := range map[string][]string{"alone": {a.ID}, "with another": {a.ID, b.ID, c.ID}} {
		res, err := e.room.exec.ExecuteAs(e.ctx, ids, payout.ModeBulk)
		if err != nil && errs.KindOf(err) != errs.KindConflict {
			t.Fatalf("%s: %v", name, err)
		}
		for _, r := range res {
			if r.ID != c.ID && (r.Error == "" || !strings.Contains(r.Error, "まだ確認できていません")) {
				t.Errorf("%s: %s sent (%s, error %q), want refused while the batch may be at the bank", name, r.ID, r.Status, r.Error)
			}
		}
		if err != nil && !strings.Contains(err.Error(), "まだ確認できていません") {
			t.Errorf("%s: %v, want refused while the batch may be at the bank", name, err)
		}
	}
	if n := e.bulkHeld(7501 + 7502); n != 1 {
		t.Fatalf("bank holds %d batches of the pair, want 1", n)
	}
	// Listed in another order than the first time (an API caller, a re-sorted list): still the
	// same request, its items in the first request's order.
	res, err := e.room.exec.ExecuteAs(e.ctx, []string{b.ID, a.ID}, payout.ModeBulk)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range res {
		if r.Error != "" || r.Status != payout.StatusAwaitingApproval {
			t.Fatalf("re-executed the same day: %s %s (%s) error %q, want 承認待ち", r.ID, r.Status, r.Reason, r.Error)
		}
	}
	again := e.get(a.ID)
	if again.IdempotencyKey != first.IdempotencyKey {
		t.Fatalf("re-executed with key %q, want the first request's %q", again.IdempotencyKey, first.IdempotencyKey)
	}
	if n := e.bulkHeld(7501 + 7502); n != 1 {
		t.Fatalf("bank holds %d batches of the pair, want 1 (the same key deduped)", n)
	}
	e.answer = nil
	e.approve(again.ApplyNo)
	e.advance(72 * time.Hour)
	e.settle()
	for _, id := range []string{a.ID, b.ID} {
		if got := e.get(id); got.Status != payout.StatusCompleted {
			t.Fatalf("after approval: %s (%s), want 振込完了", got.Status, got.Reason)
		}
	}
}

// TestExportRacesBatch: a 全銀 export and a 総合振込 of the same two transfers at once (two
// instances on PostgreSQL): exactly one wins, for both transfers — either both are in the file
// and the bank holds no batch, or the bank holds one batch of both and nothing is marked.
func TestExportRacesBatch(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	other := e.room
	if e.db.Dialect() == db.Postgres {
		d2, err := db.Open(context.Background(), e.db.URL, "")
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { d2.Close() })
		other = e.openOn(d2)
	}
	for i := range 6 {
		amount := int64(5400 + 2*i)
		x := e.register(seller{bank: "0001", branch: "001", number: "3636363", kana: "ｻﾄｳ ﾊﾅｺ", amount: amount, caseStatus: "stocked"})
		y := e.register(seller{bank: "0001", branch: "001", number: "3737373", kana: "ｽｽﾞｷ ｲﾁﾛｳ", amount: amount + 1, caseStatus: "stocked"})
		ids := []string{x.ID, y.ID}
		var wg sync.WaitGroup
		var exportErr, execErr error
		var res []payout.ExecResult
		start := make(chan struct{})
		wg.Add(2)
		go func() {
			defer wg.Done()
			<-start
			_, exportErr = e.room.svc.ExportZengin(e.ctx, zenginIn(), ids)
		}()
		go func() {
			defer wg.Done()
			<-start
			res, execErr = other.exec.ExecuteAs(e.ctx, ids, payout.ModeBulk)
		}()
		close(start)
		wg.Wait()
		if execErr != nil {
			t.Fatalf("round %d: execute: %v", i, execErr)
		}
		sentAll := len(res) == 2
		for _, r := range res {
			sentAll = sentAll && r.Error == ""
		}
		cx, cy := e.get(x.ID), e.get(y.ID)
		held := e.bulkHeld(2*amount+1) + e.simTransfers(amount) + e.simTransfers(amount+1)
		switch {
		case exportErr == nil && cx.FileExportedAt != nil && cy.FileExportedAt != nil && held == 0 && !sentAll &&
			cx.Status == payout.StatusAwaitingExecution && cy.Status == payout.StatusAwaitingExecution:
		case exportErr != nil && cx.FileExportedAt == nil && cy.FileExportedAt == nil && held == 1 && sentAll &&
			cx.Status == payout.StatusAwaitingApproval && cy.Status == payout.StatusAwaitingApproval && cx.BatchID != "" && cx.BatchID == cy.BatchID:
		default:
			t.Fatalf("round %d: export err %v, exported %v/%v; bank holds %d; results %+v; status %s/%s: want exactly one to win for both",
				i, exportErr, cx.FileExportedAt != nil, cy.FileExportedAt != nil, held, res, cx.Status, cy.Status)
		}
	}
}
