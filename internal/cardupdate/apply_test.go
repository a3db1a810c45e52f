package cardupdate_test

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"golang.org/x/text/encoding/japanese"

	"kessai/internal/cardupdate"
	"kessai/internal/sandbox/gmopgsim"
)

// TestBadResultFilesApplyNothing: a result file with unknown member IDs, bad rows, a missing
// member or cut off before its trailer is rejected with row-numbered reasons, the run fails with
// them, and nothing of it is applied; the good file applied afterwards (an admin's rerun) is.
func TestBadResultFilesApplyNothing(t *testing.T) {
	t.Parallel()
	const good = `"m-a","0","","0","1","2612","2912","",""` + "\r\n" +
		`"m-b","0","","1","","2612","","",""` + "\r\n"
	for _, tc := range []struct {
		name string
		file string
		want []string
	}{
		{"unknown member", good + `"m-zzz","0","","0","","2612","2612","",""` + "\r\n" + `"#END","3"` + "\r\n",
			[]string{"3行目 会員ID「m-zzz」", "洗替依頼に含まれていない"}},
		{"bad row", `"m-a","0","","9","","2612","","",""` + "\r\n" + `"m-b","0","","1","","2612","","",""` + "\r\n" + `"#END","2"` + "\r\n",
			[]string{"1行目", "洗替結果"}},
		{"ok without new expiry", `"m-a","0","","0","","2612","","",""` + "\r\n" + `"m-b","0","","1","","2612","","",""` + "\r\n" + `"#END","2"` + "\r\n",
			[]string{"1行目", "更新後有効期限"}},
		{"truncated", good, []string{"ファイルが不完全です"}},
		{"count disagrees", good + `"#END","5"` + "\r\n", []string{"ファイルが不完全です"}},
		{"member missing", `"m-a","0","","0","1","2612","2912","",""` + "\r\n" + `"#END","1"` + "\r\n",
			[]string{"1 件の会員の結果がありません", "会員ID「m-b」"}},
		{"member twice", good + `"m-a","0","","0","1","2612","2912","",""` + "\r\n" + `"#END","3"` + "\r\n",
			[]string{"3行目 会員ID「m-a」", "2回目"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, jst(2026, 11, 20, 9))
			a := e.card("m-a", gmopgsim.CardUpdateNewExpiry, "2612")
			b := e.card("m-b", gmopgsim.CardUpdateInvalid, "2612")
			run, err := e.svc.Prepare(e.ctx, "202611")
			if err != nil {
				t.Fatal(err)
			}
			if _, err := e.svc.Upload(e.ctx, run.ID); err != nil {
				t.Fatal(err)
			}
			sjis, err := japanese.ShiftJIS.NewEncoder().String(tc.file)
			if err != nil {
				t.Fatal(err)
			}
			run, err = e.svc.Apply(e.ctx, run.ID, bytes.NewReader([]byte(sjis)))
			var re *cardupdate.RunError
			if !errors.As(err, &re) {
				t.Fatalf("apply = %v, want a RunError", err)
			}
			for _, w := range tc.want {
				if !strings.Contains(re.Reason, w) || !strings.Contains(run.Reason, w) {
					t.Errorf("reason %q (run %q) lacks %q", re.Reason, run.Reason, w)
				}
			}
			if run.Status != cardupdate.RunFailed || !strings.Contains(run.Reason, "何も反映していません") {
				t.Errorf("run = %s %q", run.Status, run.Reason)
			}
			// Nothing applied: statuses unset, expiry unchanged, no result recorded.
			if st := e.cardStatus(a.ID); st != cardupdate.StatusUnchecked {
				t.Errorf("m-a status %s", st)
			}
			if st := e.cardStatus(b.ID); st != cardupdate.StatusUnchecked {
				t.Errorf("m-b status %s", st)
			}
			if c, _ := e.store.GetCard(e.ctx, a.ID); c.ExpireYM != "2612" {
				t.Errorf("m-a expiry changed to %s", c.ExpireYM)
			}
			var n int
			if err := e.db.QueryRowContext(e.ctx, `SELECT COUNT(*) FROM cardupdate_results WHERE run_id = ? AND result IS NOT NULL`, run.ID).Scan(&n); err != nil || n != 0 {
				t.Errorf("results recorded: %d %v", n, err)
			}
			// The rerun with the good file applies it.
			fixed, _ := japanese.ShiftJIS.NewEncoder().String(good + `"#END","2"` + "\r\n")
			run, err = e.svc.Apply(e.ctx, run.ID, bytes.NewReader([]byte(fixed)))
			if err != nil || run.Status != cardupdate.RunApplied || run.OK != 1 || run.Invalid != 1 {
				t.Fatalf("rerun = %+v, %v", run, err)
			}
			if st := e.cardStatus(b.ID); st != cardupdate.StatusInvalid {
				t.Errorf("m-b after rerun: %s", st)
			}
		})
	}
}
