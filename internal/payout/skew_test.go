package payout_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"kessai/internal/payout"
	"kessai/internal/platform/clock"
	"kessai/internal/platform/errs"
	"kessai/internal/sandbox/aozorasim"
)

// skewed is the bank's clock: kessai's plus d.
type skewed struct {
	c clock.Clock
	d time.Duration
}

func (s skewed) Now() time.Time { return s.c.Now().Add(s.d) }

// TestClockSkewAtMidnight: the bank's clock is 40 seconds off kessai's across 0:00 JST and the
// answer to the request is lost (connection closed after the bank accepted). The bank dates the
// request by its own clock — another day, maybe across a weekend or a holiday — and the
// resolver must still find it, so the transfer follows the one request instead of becoming
// エラー and being paid again.
func TestClockSkewAtMidnight(t *testing.T) {
	t.Parallel()
	at := func(y int, m time.Month, d, h, min, s int) time.Time {
		return time.Date(y, m, d, h, min, s, 0, clock.JST)
	}
	tests := []struct {
		name   string
		kessai time.Time
		skew   time.Duration // bank = kessai + skew
	}{
		{"kessai ahead at midnight", at(2026, 3, 3, 0, 0, 20), -40 * time.Second},
		{"kessai on Monday, the bank still on Sunday", at(2026, 3, 9, 0, 0, 20), -40 * time.Second},
		{"kessai on Saturday, the bank still on a holiday (春分の日)", at(2026, 3, 21, 0, 0, 20), -40 * time.Second},
		{"the bank 3 minutes behind", at(2026, 3, 10, 0, 1, 0), -3 * time.Minute},
	}
	// (A bank ahead of kessai at midnight refuses the request, whose designated date is then
	// in the past for it: nothing is paid. searchPeriod's test covers the later side.)
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, func(o *aozorasim.Options) { o.Clock = skewed{o.Clock, tc.skew} })
			e.advance(tc.kessai.Sub(e.clk.Now()))
			amount := int64(4500 + i)
			tr := e.register(seller{bank: "0001", branch: "001", number: "2727272", kana: "ｻﾄｳ ﾊﾅｺ", amount: amount, caseStatus: "stocked"})
			if err := e.sim.SetFault(aozorasim.FaultCloseAfterAccept, 1); err != nil {
				t.Fatal(err)
			}
			if _, err := e.room.exec.ExecuteOne(e.ctx, tr.ID); err != nil {
				t.Fatal(err)
			}
			e.settle()
			cur := e.get(tr.ID)
			var held []string
			for _, v := range e.sim.Transfers() {
				if v.TotalAmount == amount {
					held = append(held, v.ApplyNo+" "+v.CreatedAt.In(clock.JST).Format(time.DateTime))
				}
			}
			if cur.Status != payout.StatusAwaitingApproval || len(held) != 1 || !strings.HasPrefix(held[0], cur.ApplyNo+" ") || cur.ApplyNo == "" {
				t.Fatalf("transfer %s (%s) applyNo %q; bank holds %v: want 承認待ち following the one request", cur.Status, cur.Reason, cur.ApplyNo, held)
			}
			e.approve(cur.ApplyNo)
			e.advance(72 * time.Hour) // past the weekend: the bank executes on a business day
			e.settle()
			if cur = e.get(tr.ID); cur.Status != payout.StatusCompleted || e.simTransfers(amount) != 1 {
				t.Fatalf("final %s, bank holds %d", cur.Status, e.simTransfers(amount))
			}
		})
	}
}

// hideFromListings makes the bank leave every request out of its status-by-period answers, as
// it does for one not yet 申請中 (or, with a skewed clock, dated outside the period asked).
func hideFromListings(r *http.Request, status int, body []byte) []byte {
	if !strings.HasSuffix(r.URL.Path, "/transfer/status") || status != http.StatusOK {
		return body
	}
	var m map[string]any
	if json.Unmarshal(body, &m) != nil {
		return body
	}
	m["transferDetails"], m["count"] = []any{}, "0"
	b, _ := json.Marshal(m)
	return b
}

// TestNotFoundIsLookedForAgain: a request the bank did not list stays in question for
// NotFoundDays: the transfer cannot be edited, deleted or sent under a new key (a re-execution
// the next day would be one), each refusal saying why; when the bank lists it later, the
// transfer follows it again.
func TestNotFoundIsLookedForAgain(t *testing.T) {
	t.Parallel()
	e := newEnv(t, func(o *aozorasim.Options) { o.ApprovalWindow = 30 * 24 * time.Hour })
	tr := e.register(seller{bank: "0001", branch: "001", number: "2828282", kana: "ｻﾄｳ ﾊﾅｺ", amount: 4601, caseStatus: "stocked"})
	if err := e.sim.SetFault(aozorasim.FaultCloseAfterAccept, 1); err != nil {
		t.Fatal(err)
	}
	e.answer = hideFromListings
	if _, err := e.room.exec.ExecuteOne(e.ctx, tr.ID); err != nil {
		t.Fatal(err)
	}
	e.settle()
	cur := e.get(tr.ID)
	if cur.Status != payout.StatusFailed || !strings.Contains(cur.Reason, "照会を続け") {
		t.Fatalf("after settling: %s (%s), want エラー saying kessai keeps looking", cur.Status, cur.Reason)
	}
	e.advance(24 * time.Hour) // the next day
	in := payout.Input{BankCode: "0001", BranchCode: "001", AccountType: "1", AccountNumber: "2828282", HolderName: "ｻﾄｳ ﾊﾅｺ", Amount: payout.Yen(4602)}
	refusals := map[string]error{}
	_, refusals["edit"] = e.room.svc.Update(e.ctx, tr.ID, in)
	refusals["delete"] = e.room.svc.Delete(e.ctx, tr.ID)
	_, refusals["re-execute the next day"] = e.room.exec.ExecuteOne(e.ctx, tr.ID)
	for what, err := range refusals {
		if errs.KindOf(err) != errs.KindConflict || !strings.Contains(err.Error(), "まだ確認できていません") || !strings.Contains(err.Error(), "まで銀行への照会を続けます") {
			t.Errorf("%s while the request may be at the bank: %v, want refused with the reason", what, err)
		}
	}
	if n := e.simTransfers(4601) + e.simTransfers(4602); n != 1 {
		t.Fatalf("bank holds %d requests, want 1", n)
	}
	e.answer = nil // the bank lists it now
	e.settle()
	cur = e.get(tr.ID)
	held := e.sim.Transfers()
	if cur.Status != payout.StatusAwaitingApproval || len(held) != 1 || cur.ApplyNo != held[0].ApplyNo {
		t.Fatalf("after the bank listed it: %s (%s) applyNo %q, want 承認待ち with %s", cur.Status, cur.Reason, cur.ApplyNo, held[0].ApplyNo)
	}
	if e.auditCount(tr.ID, "transfer.found_after_not_found") != 1 {
		t.Fatal("finding the request later is not in the audit log")
	}
	e.approve(cur.ApplyNo)
	e.settle()
	if cur = e.get(tr.ID); cur.Status != payout.StatusCompleted || e.simTransfers(4601) != 1 {
		t.Fatalf("final %s, bank holds %d", cur.Status, e.simTransfers(4601))
	}
}

// TestNotFoundProvenAbsent: the bank really never got the request. Once the configured number
// of days has passed without the bank listing it, it counts as absent and the transfer may be
// sent again under a new key — once.
func TestNotFoundProvenAbsent(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.room.svc.NotFoundDays = 2
	tr := e.register(seller{bank: "0001", branch: "001", number: "2929292", kana: "ｻﾄｳ ﾊﾅｺ", amount: 4701, caseStatus: "stocked"})
	if err := e.sim.SetFault(aozorasim.FaultHTTP500Before, 1); err != nil {
		t.Fatal(err)
	}
	if _, err := e.room.exec.ExecuteOne(e.ctx, tr.ID); err != nil {
		t.Fatal(err)
	}
	e.settle()
	e.advance(24 * time.Hour)
	if _, err := e.room.exec.ExecuteOne(e.ctx, tr.ID); errs.KindOf(err) != errs.KindConflict {
		t.Fatalf("re-execute a day later: %v, want refused (2 days configured)", err)
	}
	e.advance(24*time.Hour + time.Minute)
	got, err := e.room.exec.ExecuteOne(e.ctx, tr.ID)
	if err != nil || got.Status != payout.StatusAwaitingApproval {
		t.Fatalf("re-execute after 2 days: %v %s (%s), want sent", err, got.Status, got.Reason)
	}
	if n := e.simTransfers(4701); n != 1 {
		t.Fatalf("bank holds %d", n)
	}
}
