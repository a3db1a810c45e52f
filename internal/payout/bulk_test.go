package payout_test

import (
	"slices"
	"strings"
	"testing"
)

func TestBulkRequest(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	good := e.newCases(3, goodSeller)
	already := e.newCases(1, goodSeller)
	if _, err := e.room.svc.Register(e.ctx, already[0], payoutInput()); err != nil {
		t.Fatal(err)
	}
	noBank := e.newCases(1, seller{amount: 1000, caseStatus: "stocked"})
	zero := e.newCases(1, seller{bank: "0001", branch: "001", number: "1234567", kana: "ﾔﾏﾀﾞ", amount: 0, caseStatus: "stocked"})
	badKana := e.newCases(1, seller{bank: "0001", branch: "001", number: "1234567", kana: "山田", amount: 1000, caseStatus: "stocked"})
	badBranch := e.newCases(1, seller{bank: "0001", branch: "998", number: "1234567", kana: "ﾔﾏﾀﾞ", amount: 1000, caseStatus: "stocked"})
	notStocked := e.newCases(1, seller{bank: "0001", branch: "001", number: "1234567", kana: "ﾔﾏﾀﾞ", amount: 1000, caseStatus: "appraising"})

	ids := slices.Concat(good, already, noBank, zero, badKana, badBranch, notStocked, []string{"case_missing", good[0]})
	res, err := e.room.svc.BulkRequest(e.ctx, ids)
	if err != nil {
		t.Fatal(err)
	}
	if !sameSet(res.Requested, good) {
		t.Errorf("requested %v, want %v", res.Requested, good)
	}
	if !sameSet(res.Skipped, already) {
		t.Errorf("skipped %v, want %v", res.Skipped, already)
	}
	wantErr := map[string]string{noBank[0]: "振込先口座が登録されていません", zero[0]: "0円", badKana[0]: "「山」",
		badBranch[0]: "支店コード 998", notStocked[0]: "入庫完了", "case_missing": "見つかりません"}
	if len(res.Errors) != len(wantErr) {
		t.Errorf("errors %+v, want %d", res.Errors, len(wantErr))
	}
	for _, be := range res.Errors {
		if !strings.Contains(be.Reason, wantErr[be.CaseID]) {
			t.Errorf("case %s: reason %q, want it to contain %q", be.CaseID, be.Reason, wantErr[be.CaseID])
		}
	}
	// Asking again skips everything that was requested.
	again, err := e.room.svc.BulkRequest(e.ctx, good)
	if err != nil {
		t.Fatal(err)
	}
	if len(again.Requested) != 0 || !sameSet(again.Skipped, good) {
		t.Fatalf("second request: %+v", again)
	}
}

func sameSet(a, b []string) bool {
	a, b = slices.Clone(a), slices.Clone(b)
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(a, b)
}

// BenchmarkBulkRequest10000 requests transfers for 10,000 cases at once (goal: ≤ 1 s on SQLite).
func BenchmarkBulkRequest10000(b *testing.B) {
	e := newEnv(b)
	for b.Loop() {
		b.StopTimer()
		ids := e.newCases(10_000, goodSeller)
		b.StartTimer()
		res, err := e.room.svc.BulkRequest(e.ctx, ids)
		if err != nil {
			b.Fatal(err)
		}
		if len(res.Requested) != 10_000 {
			b.Fatalf("requested %d", len(res.Requested))
		}
	}
}
