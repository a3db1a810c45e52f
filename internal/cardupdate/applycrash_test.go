package cardupdate_test

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"

	"kessai/internal/cardupdate"
	"kessai/internal/sandbox/gmopgsim"
)

var errCrash = errors.New("crash")

// TestApplyCrashAtEveryStep stops a result's apply after each of its steps (a process that
// died there: the transaction never commits) and then runs it again: every time nothing of
// the first try is left — the run is still 送信済み, no result, status or card change — and the
// retry applies the file exactly once (each new expiry moved once, each card's version raised
// once). Two applies at the same time apply it once too.
func TestApplyCrashAtEveryStep(t *testing.T) {
	t.Parallel()
	for _, step := range []string{"claimed", "results", "cards", "statuses", "counted"} {
		t.Run(step, func(t *testing.T) {
			t.Parallel()
			e, run, cards := uploadedMonth(t)
			e.svc.SetApplyHook(func(s string) error {
				if s == step {
					return errCrash
				}
				return nil
			})
			if _, err := e.svc.Fetch(e.ctx, run.ID); !errors.Is(err, errCrash) {
				t.Fatalf("fetch = %v, want the crash", err)
			}
			e.checkUntouched(run.ID, cards)
			e.svc.SetApplyHook(nil)
			got, err := e.svc.Fetch(e.ctx, run.ID)
			if err != nil {
				t.Fatal(err)
			}
			e.checkAppliedOnce(got, cards)
			// A third fetch of an applied month changes nothing.
			if again, err := e.svc.Fetch(e.ctx, run.ID); err != nil || again.AppliedAt != got.AppliedAt {
				t.Fatalf("fetch of an applied month = %+v, %v", again, err)
			}
			e.checkAppliedOnce(got, cards)
		})
	}
	t.Run("concurrent", func(t *testing.T) {
		t.Parallel()
		e, run, cards := uploadedMonth(t)
		var wg sync.WaitGroup
		errs := make([]error, 2)
		for i := range errs {
			wg.Go(func() {
				_, errs[i] = e.svc.Fetch(e.ctx, run.ID)
			})
		}
		wg.Wait()
		got, err := e.svc.GetRun(e.ctx, e.db, run.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.Status != cardupdate.RunApplied {
			t.Fatalf("run = %+v (errors %v)", got, errs)
		}
		e.checkAppliedOnce(got, cards)
	})
}

// uploadedMonth is November 2026 uploaded and past its result day: m-exp gets a new expiry,
// m-ng is 有効性NG, m-ok stays.
func uploadedMonth(t *testing.T) (*env, cardupdate.Run, map[string]string) {
	e := newEnv(t, jst(2026, 10, 25, 10))
	cards := map[string]string{}
	for _, c := range []struct{ m, no string }{{"m-exp", gmopgsim.CardUpdateNewExpiry}, {"m-ng", gmopgsim.CardUpdateInvalid}, {"m-ok", gmopgsim.CardOK}} {
		cards[c.m] = e.card(c.m, c.no, "2612").ID
	}
	e.setClock(jst(2026, 11, 20, 9))
	run, err := e.svc.Prepare(e.ctx, "202611")
	if err != nil {
		t.Fatal(err)
	}
	if run, err = e.svc.Upload(e.ctx, run.ID); err != nil || run.Status != cardupdate.RunUploaded {
		t.Fatalf("upload = %+v, %v", run, err)
	}
	e.setClock(jst(2026, 11, 27, 0))
	e.sim.ProcessDue()
	return e, run, cards
}

func (e *env) checkUntouched(runID string, cards map[string]string) {
	e.t.Helper()
	run, err := e.svc.GetRun(e.ctx, e.db, runID)
	if err != nil || run.Status != cardupdate.RunUploaded || !run.AppliedAt.IsZero() || run.OK+run.Invalid != 0 {
		e.t.Fatalf("run after the crash = %+v, %v", run, err)
	}
	var n int
	if err := e.db.QueryRowContext(e.ctx, `SELECT COUNT(*) FROM cardupdate_results WHERE run_id = ? AND result IS NOT NULL`, runID).Scan(&n); err != nil || n != 0 {
		e.t.Errorf("results recorded after the crash: %d %v", n, err)
	}
	for m, id := range cards {
		if st := e.cardStatus(id); st != cardupdate.StatusUnchecked {
			e.t.Errorf("%s: status %s after the crash", m, st)
		}
		if c, err := e.store.GetCard(e.ctx, id); err != nil || c.ExpireYM != "2612" || c.Version != 1 {
			e.t.Errorf("%s: card %+v after the crash (%v)", m, c, err)
		}
	}
}

func (e *env) checkAppliedOnce(run cardupdate.Run, cards map[string]string) {
	e.t.Helper()
	if run.Status != cardupdate.RunApplied || run.OK != 2 || run.Invalid != 1 || run.Targets != 3 {
		e.t.Fatalf("run = %+v", run)
	}
	want := map[string]struct {
		status, expire string
		version        int
	}{"m-exp": {cardupdate.StatusOK, "2912", 2}, "m-ng": {cardupdate.StatusInvalid, "2612", 1}, "m-ok": {cardupdate.StatusOK, "2612", 1}}
	var problems []string
	for m, w := range want {
		c, err := e.store.GetCard(e.ctx, cards[m])
		if st := e.cardStatus(cards[m]); err != nil || st != w.status || c.ExpireYM != w.expire || c.Version != w.version {
			problems = append(problems, fmt.Sprintf("%s: %s %s v%d (%v), want %+v", m, st, c.ExpireYM, c.Version, err, w))
		}
	}
	var n int
	if err := e.db.QueryRowContext(e.ctx, `SELECT COUNT(*) FROM cardupdate_results WHERE run_id = ? AND result IS NOT NULL`, run.ID).Scan(&n); err != nil || n != 3 {
		problems = append(problems, fmt.Sprintf("%d results (%v)", n, err))
	}
	if len(problems) > 0 {
		e.t.Error(strings.Join(problems, "\n"))
	}
}
