package payout_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"kessai/internal/payout"
)

// TestAcceptedWithoutApplyNo: a bank that answers 201 to a transfer request without a usable
// applyNo must not leave the transfer 承認待ち with nothing to poll by: the outcome is unknown,
// the janitor finds the request by its EDI reference, and the transfer follows it to 振込完了.
func TestAcceptedWithoutApplyNo(t *testing.T) {
	t.Parallel()
	for i, applyNo := range []string{"", "12345"} {
		t.Run("applyNo "+applyNo, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t)
			e.answer = func(r *http.Request, status int, body []byte) []byte {
				if r.Method != http.MethodPost || !strings.HasSuffix(r.URL.Path, "/transfer/request") || status/100 != 2 {
					return body
				}
				var m map[string]any
				if err := json.Unmarshal(body, &m); err != nil {
					t.Errorf("simulator answer: %v", err)
					return body
				}
				m["applyNo"] = applyNo
				if applyNo == "" {
					delete(m, "applyNo")
				}
				b, _ := json.Marshal(m)
				return b
			}
			amount := int64(9300 + i)
			tr := e.register(seller{bank: "0001", branch: "001", number: "4444444", kana: "ｻﾄｳ ﾊﾅｺ", amount: amount, caseStatus: "stocked"})
			got, err := e.room.exec.ExecuteOne(e.ctx, tr.ID)
			if err != nil {
				t.Fatal(err)
			}
			if got.Status != payout.StatusSending {
				t.Fatalf("after a 201 without applyNo: %s applyNo %q, want 送信中 (outcome unknown)", got.Status, got.ApplyNo)
			}
			e.settle()
			got = e.get(tr.ID)
			var want string
			for _, v := range e.sim.Transfers() {
				if v.TotalAmount == amount {
					want = v.ApplyNo
				}
			}
			if got.Status != payout.StatusAwaitingApproval || got.ApplyNo != want || want == "" {
				t.Fatalf("after the janitor: %s applyNo %q, want 承認待ち with the bank's %q", got.Status, got.ApplyNo, want)
			}
			e.approve(got.ApplyNo)
			e.settle()
			if got = e.get(tr.ID); got.Status != payout.StatusCompleted {
				t.Fatalf("final %s, want 振込完了", got.Status)
			}
		})
	}
}
