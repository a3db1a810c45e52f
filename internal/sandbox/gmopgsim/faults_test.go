package gmopgsim_test

import (
	"context"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"kessai/internal/provider/gmopg"
	"kessai/internal/sandbox/gmopgsim"
)

func countActions(tr gmopgsim.Trade, action string) int {
	n := 0
	for _, h := range tr.History {
		if h.Action == action {
			n++
		}
	}
	return n
}

func TestDoubleSubmissionIsNeverRetried(t *testing.T) {
	t.Parallel()
	e, a := paid(t, false, time.Time{})
	ctx := context.Background()
	if err := e.sim.SetFault(gmopgsim.FaultDoubleSubmission, 1, "RecruitSales"); err != nil {
		t.Fatal(err)
	}
	_, err := e.client.RecruitSales(ctx, a)
	if !gmopg.IsDoubleSubmission(err) || !gmopg.IsOutcomeUnknown(err) || gmopg.IsRetryable(err) || len(e.delays) != 0 {
		t.Fatalf("err = %v, delays %v: want E90010001, unknown outcome, no retry", err, e.delays)
	}
	// The first request did go through: reading back shows the capture, exactly once.
	mt, err := e.client.SearchTradeMulti(ctx, "rc-x", gmopg.PayTypeRecruit)
	tr, _ := e.sim.Trade("rc-x")
	if err != nil || mt.Status != gmopg.StatusSales || countActions(tr, "sales") != 1 {
		t.Fatalf("read back %+v, %v; history %+v", mt, err, tr.History)
	}
}

func TestRateLimitIsRetried(t *testing.T) {
	t.Parallel()
	e, a := paid(t, false, time.Time{})
	ctx := context.Background()
	e.sim.SetFault(gmopgsim.FaultRateLimit, 2, "RecruitSales")
	r, err := e.client.RecruitSales(ctx, a)
	if err != nil || r.Status != gmopg.StatusSales || len(e.delays) != 2 || e.delays[0] != time.Second || e.delays[1] != 2*time.Second {
		t.Fatalf("RecruitSales after two E92 = %+v, %v, delays %v", r, err, e.delays)
	}
	tr, _ := e.sim.Trade("rc-x")
	if countActions(tr, "sales") != 1 {
		t.Errorf("captured %d times", countActions(tr, "sales"))
	}
	// Armed until cleared: the client gives up after its attempts, nothing was processed.
	e.sim.SetFault(gmopgsim.FaultRateLimit, 0, "")
	_, err = e.client.RecruitCancel(ctx, a)
	if !gmopg.IsRetryable(err) || gmopg.IsOutcomeUnknown(err) || len(e.delays) != 4 {
		t.Fatalf("persistent E92: %v, delays %v", err, e.delays)
	}
	e.sim.ClearFaults()
	if mt, _ := e.client.SearchTradeMulti(ctx, "rc-x", gmopg.PayTypeRecruit); mt.Status != gmopg.StatusSales {
		t.Errorf("a refused cancel changed the trade to %s", mt.Status)
	}
}

func TestTimeoutAfterAccept(t *testing.T) {
	t.Parallel()
	for _, mode := range []gmopgsim.FaultMode{gmopgsim.FaultTimeoutAfterAccept, gmopgsim.FaultCloseAfterAccept} {
		t.Run(string(mode), func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, func(_ *gmopgsim.Options, c *gmopg.Config) { c.Timeout = 300 * time.Millisecond })
			e.member("m-1", gmopgsim.CardOK)
			ctx := context.Background()
			a, err := e.client.EntryTran(ctx, gmopg.EntryTranInput{OrderID: "to-1", JobCd: gmopg.JobAuth, Amount: 900})
			if err != nil {
				t.Fatal(err)
			}
			e.sim.SetFault(mode, 1, "ExecTran")
			_, err = e.client.ExecTran(ctx, gmopg.ExecTranInput{Access: a, MemberID: "m-1"})
			if !gmopg.IsOutcomeUnknown(err) {
				t.Fatalf("err = %v, want an unknown outcome", err)
			}
			tr, err := e.client.SearchTrade(ctx, "to-1")
			if err != nil || tr.Status != gmopg.StatusAuth {
				t.Fatalf("read back = %+v, %v: the call was processed", tr, err)
			}
		})
	}
}

func TestNotificationPingAndRefusal(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()
	e.sim.QueuePing()
	if n := e.sim.DeliverNotifications(ctx); n != 1 {
		t.Fatalf("delivered %d", n)
	}
	got := e.recv.all()
	if len(got) != 1 || !got[0].IsPing() || got[0].Failed() || got[0].ShopID != gmopgsim.DefaultShopID {
		t.Fatalf("ping = %+v", got)
	}
	// A receiver that answers anything but "0" gets the notification again.
	e.recv.mu.Lock()
	e.recv.answer = "NG"
	e.recv.mu.Unlock()
	e.member("m-1", gmopgsim.CardOK)
	a, _ := e.client.EntryTran(ctx, gmopg.EntryTranInput{OrderID: "n-1", JobCd: gmopg.JobAuth, Amount: 10})
	if _, err := e.client.ExecTran(ctx, gmopg.ExecTranInput{Access: a, MemberID: "m-1"}); err != nil {
		t.Fatal(err)
	}
	for range 6 {
		e.sim.DeliverNotifications(ctx)
	}
	ns := e.sim.Notices()
	last := ns[len(ns)-1]
	if last.Delivered || last.Attempts != 5 || !strings.Contains(last.Error, `"NG"`) || len(e.recv.all()) != 6 {
		t.Errorf("refused notification: %+v, received %d", last, len(e.recv.all()))
	}
}

func TestStateFileAndControlAPI(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.member("m-keep", gmopgsim.CardOK)
	ctx := context.Background()
	// Control API over HTTP.
	res, err := http.Post(e.srv.URL+prefix+"/_sim/faults", "application/json", strings.NewReader(`{"mode":"e92","count":1,"api":"SearchMember"}`))
	if err != nil || res.StatusCode != 200 {
		t.Fatalf("arm fault: %v %v", res, err)
	}
	res.Body.Close()
	res, _ = http.Post(e.srv.URL+prefix+"/_sim/faults", "application/json", strings.NewReader(`{"mode":"bogus"}`))
	if res.StatusCode != 400 {
		t.Errorf("unknown fault: %d", res.StatusCode)
	}
	res.Body.Close()
	if _, err := e.client.SearchMember(ctx, "m-keep"); err != nil || len(e.delays) != 1 {
		t.Errorf("SearchMember through one E92: %v, delays %v", err, e.delays)
	}
	res, err = http.Post(e.srv.URL+prefix+"/_sim/token", "application/json", strings.NewReader(`{"card_no":"4111111111111111","expire":"2812"}`))
	var tok struct{ Token string }
	if err != nil || json.NewDecoder(res.Body).Decode(&tok) != nil || tok.Token == "" {
		t.Fatalf("token: %v", err)
	}
	res.Body.Close()
	res, _ = http.Get(e.srv.URL + prefix + "/_sim/status")
	var st gmopgsim.Status
	json.NewDecoder(res.Body).Decode(&st)
	res.Body.Close()
	if st.Members != 1 || st.Cards != 1 || st.ResultDay != 27 {
		t.Errorf("status = %+v", st)
	}

	// A new Sim on the same state dir sees the member; a corrupt file is moved aside.
	again := e.newSim(gmopgsim.Options{Clock: e.clk, StateDir: e.dir})
	if got := again.Status(); got.Members != 1 || got.Cards != 1 {
		t.Errorf("reloaded status = %+v", got)
	}
	bad := t.TempDir()
	os.WriteFile(filepath.Join(bad, "gmopgsim.json"), []byte("{not json"), 0o600)
	fresh := e.newSim(gmopgsim.Options{Clock: e.clk, StateDir: bad})
	if w := fresh.Status().Warnings; len(w) != 1 || !strings.Contains(w[0], "moved to") {
		t.Errorf("warnings = %v", w)
	}
}
