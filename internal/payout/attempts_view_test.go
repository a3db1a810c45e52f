package payout_test

import (
	"strings"
	"testing"

	"kessai/internal/payout"
	"kessai/internal/sandbox/aozorasim"
)

// 銀行への送信履歴 says per attempt what was sent and what happened: a completed and a failed
// transfer no longer read the same (「成功 / 2 / 未完了」).
func TestAttemptViewsSayWhatHappened(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	views := func(id string) []payout.AttemptView {
		t.Helper()
		tr := e.get(id)
		atts, err := e.room.svc.Attempts(e.ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		return payout.AttemptViews(tr, atts)
	}
	done := e.register(goodSeller)
	got, err := e.room.exec.ExecuteOne(e.ctx, done.ID)
	if err != nil {
		t.Fatal(err)
	}
	if v := views(done.ID); len(v) != 1 || !strings.Contains(v[0].Outcome, "承認を待っています") {
		t.Fatalf("waiting: %+v", v)
	}
	e.approve(got.ApplyNo)
	unable := e.register(seller{bank: "0001", branch: "001", number: aozorasim.ScenarioUnable, kana: "ﾔﾏﾀﾞ ﾀﾛｳ", amount: 3003, caseStatus: "stocked"})
	ug, err := e.room.exec.ExecuteOne(e.ctx, unable.ID)
	if err != nil {
		t.Fatal(err)
	}
	e.approve(ug.ApplyNo)
	rejected := e.register(seller{bank: "0001", branch: "001", number: aozorasim.ScenarioRejected, kana: "ﾔﾏﾀﾞ ﾀﾛｳ", amount: 3004, caseStatus: "stocked"})
	if _, err := e.room.exec.ExecuteOne(e.ctx, rejected.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := e.room.poller.Poll(e.ctx); err != nil {
		t.Fatal(err)
	}

	v := views(done.ID)
	if len(v) != 1 || !strings.Contains(v[0].Answer, "銀行が受け付けました（受付番号 "+got.ApplyNo+"）") ||
		!strings.Contains(v[0].Outcome, "振込が完了しました") || v[0].Level != "ok" || !strings.Contains(v[0].Sent, "0001-001 普通 1234567 ﾔﾏﾀﾞ ﾀﾛｳ ¥12,000") {
		t.Errorf("completed: %+v", v)
	}
	v = views(unable.ID)
	if len(v) != 1 || !strings.Contains(v[0].Answer, "銀行が受け付けました") || !strings.HasPrefix(v[0].Outcome, "振込できませんでした：") ||
		!strings.Contains(v[0].Outcome, "手続不成立") || v[0].Level != "error" {
		t.Errorf("unable: %+v", v)
	}
	v = views(rejected.ID)
	if len(v) != 1 || !strings.Contains(v[0].Answer, "銀行が受け付けませんでした（銀行のエラーコード") || v[0].Level != "error" {
		t.Errorf("rejected: %+v", v)
	}

	// Edited after the failure: the old request is said to be over, not current.
	if _, err := e.room.svc.Update(e.ctx, unable.ID, payout.Input{BankCode: "0001", BranchCode: "001", AccountType: "1",
		AccountNumber: "1111112", HolderName: "ﾔﾏﾀﾞ ﾀﾛｳ", Amount: payout.Yen(3003)}); err != nil {
		t.Fatal(err)
	}
	v = views(unable.ID)
	if len(v) != 1 || v[0].Current || !strings.Contains(v[0].Outcome, "もう使われていません") {
		t.Errorf("after the edit: %+v", v)
	}
}
