package cardupdate_test

import (
	"errors"
	"strings"
	"testing"

	"kessai/internal/cardupdate"
	"kessai/internal/sandbox/gmopgsim"
)

// TestResultRetriedUntilTheDeadline: kessai's result day (the 25th, a setting) comes before
// GMO-PG writes the file (the simulator's 27th). Until the deadline (one day) every fetch says
// "not there yet" and the schedule check keeps the month due; at the deadline the month fails
// with the reason and is counted for the top page; once the file is there an admin's rerun
// applies it.
func TestResultRetriedUntilTheDeadline(t *testing.T) {
	t.Parallel()
	e := newEnv(t, jst(2026, 10, 25, 10))
	card := e.card("m-1", gmopgsim.CardUpdateNewExpiry, "2611").ID
	if err := e.svc.SaveSchedule(e.ctx, cardupdate.Schedule{SubmitDay: 20, ResultDay: 25, DeadlineDays: 1}); err != nil {
		t.Fatal(err)
	}
	if err := e.svc.SaveSchedule(e.ctx, cardupdate.Schedule{SubmitDay: 25, ResultDay: 25, DeadlineDays: 1}); err == nil {
		t.Error("a result day on the submit day was saved")
	}
	e.setClock(jst(2026, 11, 20, 0))
	rep, err := e.svc.Tick(e.ctx) // the submit day: prepared and uploaded once
	if err != nil || rep.Started != "202611" || len(rep.FetchDue) != 0 {
		t.Fatalf("tick on the submit day = %+v, %v", rep, err)
	}
	run, err := e.svc.RunOf(e.ctx, "202611")
	if err != nil || run.Status != cardupdate.RunUploaded {
		t.Fatalf("run = %+v, %v", run, err)
	}
	for _, h := range []int{0, 6, 23} { // the 25th: not there yet, tried again
		e.setClock(jst(2026, 11, 25, h))
		rep, err := e.svc.Tick(e.ctx)
		if err != nil || len(rep.FetchDue) != 1 || rep.FetchDue[0] != run.ID {
			t.Fatalf("tick at %d:00 = %+v, %v", h, rep, err)
		}
		if _, err := e.svc.Fetch(e.ctx, run.ID); !errors.Is(err, cardupdate.ErrNotReady) {
			t.Fatalf("fetch at %d:00 = %v, want not ready", h, err)
		}
	}
	if n, _ := e.svc.FailedRuns(e.ctx); n != 0 {
		t.Fatalf("failed before the deadline: %d", n)
	}
	e.setClock(jst(2026, 11, 26, 0)) // the deadline
	run, err = e.svc.Fetch(e.ctx, run.ID)
	var re *cardupdate.RunError
	if !errors.As(err, &re) || !strings.Contains(re.Reason, "期限（2026/11/26 00:00）までに届きませんでした") {
		t.Fatalf("fetch at the deadline = %v", err)
	}
	if run.Status != cardupdate.RunFailed || !strings.Contains(run.Reason, "届きませんでした") {
		t.Fatalf("run = %+v", run)
	}
	if n, _ := e.svc.FailedRuns(e.ctx); n != 1 {
		t.Errorf("failed runs = %d, want 1 (the top page's alert)", n)
	}
	if rep, _ := e.svc.Tick(e.ctx); len(rep.FetchDue) != 0 {
		t.Errorf("a failed month is fetched again without a rerun: %+v", rep)
	}
	e.setClock(jst(2026, 11, 27, 0))
	e.sim.ProcessDue()
	run, err = e.svc.Rerun(e.ctx, run.ID)
	if err != nil || run.Status != cardupdate.RunApplied || run.OK != 1 {
		t.Fatalf("rerun = %+v, %v", run, err)
	}
	if st := e.cardStatus(card); st != cardupdate.StatusOK {
		t.Errorf("status after the rerun = %s", st)
	}
	if _, err := e.svc.Rerun(e.ctx, run.ID); err == nil {
		t.Error("an applied month was rerun")
	}
}
