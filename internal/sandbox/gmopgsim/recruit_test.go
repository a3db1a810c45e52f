package gmopgsim_test

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"kessai/internal/platform/clock"
	"kessai/internal/provider/gmopg"
	"kessai/internal/sandbox/gmopgsim"
)

const retURL = "http://kessai.test/kantan/return"

// recruitOrder registers and starts a Recruit payment and returns its access and start.
func (e *env) recruitOrder(id string, job gmopg.JobCd, amount int64) (gmopg.Access, gmopg.RecruitStart) {
	e.t.Helper()
	ctx := context.Background()
	a, err := e.client.EntryTranRecruit(ctx, gmopg.RecruitEntryInput{OrderID: id, JobCd: job, Amount: amount, Tax: amount / 11})
	if err != nil {
		e.t.Fatal(err)
	}
	st, err := e.client.ExecTranRecruit(ctx, gmopg.RecruitExecInput{Access: a, RetURL: retURL, ItemName: "定期便 ３月分"})
	if err != nil {
		e.t.Fatal(err)
	}
	return a, st
}

// post sends a CP932 form like a browser on a Shift_JIS page and returns the decoded page.
func post(t *testing.T, url string, v gmopg.Values) (int, string) {
	t.Helper()
	body, err := gmopg.EncodeForm(v)
	if err != nil {
		t.Fatal(err)
	}
	res, err := http.Post(url, "application/x-www-form-urlencoded", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	if ct := res.Header.Get("Content-Type"); ct != "text/html; charset=Shift_JIS" {
		t.Errorf("page Content-Type = %s", ct)
	}
	return res.StatusCode, gmopg.DecodeCP932(b)
}

func TestRecruitCheckoutThroughBuyerPage(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()
	a, st := e.recruitOrder("rc-1", gmopg.JobAuth, 3300)
	if st.StartURL != e.srv.URL+prefix+gmopgsim.StartPath || st.AccessID != a.AccessID || st.Token == "" ||
		!st.StartLimitDate.Equal(start.Add(30*time.Minute)) {
		t.Fatalf("start = %+v", st)
	}
	if mt, err := e.client.SearchTradeMulti(ctx, "rc-1", gmopg.PayTypeRecruit); err != nil || mt.Status != gmopg.StatusReqSuccess || mt.OrderID != "rc-1" {
		t.Fatalf("before paying: %+v, %v", mt, err)
	}
	code, page := post(t, st.StartURL, gmopg.Values{{Key: "AccessID", Value: st.AccessID}, {Key: "Token", Value: st.Token + "x"}})
	if code != http.StatusBadRequest || !strings.Contains(page, "トークン") {
		t.Errorf("wrong token: %d %s", code, page)
	}
	code, page = post(t, st.StartURL, gmopg.Values{{Key: "AccessID", Value: st.AccessID}, {Key: "Token", Value: st.Token}})
	if code != http.StatusOK || !strings.Contains(page, "定期便 ３月分") || !strings.Contains(page, "3300円") || !strings.Contains(page, "ポイントのみで支払う") {
		t.Fatalf("start page: %d %s", code, page)
	}
	code, page = post(t, e.srv.URL+prefix+"/recruit/pay", gmopg.Values{{Key: "AccessID", Value: st.AccessID}, {Key: "Token", Value: st.Token}, {Key: "action", Value: "pay"}})
	if code != http.StatusOK || !strings.Contains(page, `action="`+retURL+`"`) || !strings.Contains(page, `name="Status" value="AUTH"`) ||
		!strings.Contains(page, `name="OrderID" value="rc-1"`) || !strings.Contains(page, `name="PayType" value="O"`) {
		t.Fatalf("return page: %d %s", code, page)
	}
	// The StartURL is used once.
	if code, _ := post(t, st.StartURL, gmopg.Values{{Key: "AccessID", Value: st.AccessID}, {Key: "Token", Value: st.Token}}); code != http.StatusBadRequest {
		t.Errorf("second start = %d", code)
	}
	mt, err := e.client.SearchTradeMulti(ctx, "rc-1", gmopg.PayTypeRecruit)
	if err != nil || mt.Status != gmopg.StatusAuth || mt.RcUsePoint != 100 || mt.RcOrderID == "" || mt.PayType != gmopg.PayTypeRecruit ||
		mt.Amount != 3300 || mt.RcUpdateAuthDay.IsZero() {
		t.Fatalf("after paying: %+v, %v", mt, err)
	}
	r, err := e.client.RecruitSales(ctx, a)
	if err != nil || r.Status != gmopg.StatusSales || r.OrderID != "rc-1" {
		t.Fatalf("RecruitSales = %+v, %v", r, err)
	}
	_, err = e.client.RecruitSales(ctx, a)
	wantInfos(t, "capture twice", err, gmopg.InfoJobCdNotAllowed)

	// Notifications of the payment and the capture, in order, as kessai would receive them.
	if n := e.sim.DeliverNotifications(ctx); n != 2 {
		t.Fatalf("delivered %d", n)
	}
	got := e.recv.all()
	if len(got) != 2 || got[0].Status != gmopg.StatusAuth || got[1].Status != gmopg.StatusSales || got[0].OrderID != "rc-1" ||
		got[0].PayType != gmopg.PayTypeRecruit || got[0].ShopID != gmopgsim.DefaultShopID || got[0].RcUsePoint != 100 ||
		got[0].Values.Get("ShopPass") != "**********" || got[0].IsPing() || got[0].Failed() {
		t.Errorf("notifications = %+v", got)
	}
	if e.sim.DeliverNotifications(ctx) != 0 || len(e.recv.all()) != 2 {
		t.Error("a delivered notification was sent again")
	}
}

func TestRecruitBuyerOutcomes(t *testing.T) {
	t.Parallel()
	tests := []struct {
		action  gmopgsim.BuyerAction
		job     gmopg.JobCd
		want    gmopg.Status
		points  int64
		errInfo string
		notices int
	}{
		{gmopgsim.BuyerPay, gmopg.JobAuth, gmopg.StatusAuth, 100, "", 1},
		{gmopgsim.BuyerPay, gmopg.JobCapture, gmopg.StatusCapture, 100, "", 1},
		{gmopgsim.BuyerPoints, gmopg.JobAuth, gmopg.StatusAuth, 2000, "", 1},
		{gmopgsim.BuyerAbandon, gmopg.JobAuth, gmopg.StatusReqSuccess, 0, "", 0},
		{gmopgsim.BuyerFail, gmopg.JobAuth, gmopg.StatusPayFail, 0, "RC1000009", 1},
	}
	for _, tt := range tests {
		t.Run(string(tt.action)+"-"+string(tt.job), func(t *testing.T) {
			t.Parallel()
			e := newEnv(t)
			_, st := e.recruitOrder("rc-b", tt.job, 2000)
			ret, back, err := e.sim.Buy(st.AccessID, st.Token, tt.action)
			if err != nil || ret != retURL || back.Get("Status") != string(tt.want) || back.Get("ErrInfo") != tt.errInfo {
				t.Fatalf("Buy = %s %v %v", ret, back, err)
			}
			mt, err := e.client.SearchTradeMulti(context.Background(), "rc-b", gmopg.PayTypeRecruit)
			if err != nil || mt.Status != tt.want || mt.RcUsePoint != tt.points {
				t.Errorf("trade = %+v, %v", mt, err)
			}
			e.sim.DeliverNotifications(context.Background())
			if n := len(e.recv.all()); n != tt.notices {
				t.Errorf("notifications = %d, want %d", n, tt.notices)
			}
		})
	}
	// The start window runs on the Sim's clock.
	e := newEnv(t)
	_, st := e.recruitOrder("rc-late", gmopg.JobAuth, 100)
	e.clk.Advance(31 * time.Minute)
	if _, _, err := e.sim.Buy(st.AccessID, st.Token, gmopgsim.BuyerPay); err != gmopgsim.ErrStartExpired {
		t.Errorf("late buyer: %v", err)
	}
}

// paid returns an env at start with a Recruit payment authorized (and, with captureAt, captured
// at that time); points says the buyer paid with points only.
func paid(t *testing.T, points bool, captureAt time.Time) (*env, gmopg.Access) {
	t.Helper()
	e := newEnv(t)
	a, st := e.recruitOrder("rc-x", gmopg.JobAuth, 5000)
	action := gmopgsim.BuyerPay
	if points {
		action = gmopgsim.BuyerPoints
	}
	if _, _, err := e.sim.Buy(st.AccessID, st.Token, action); err != nil {
		t.Fatal(err)
	}
	if !captureAt.IsZero() {
		e.clk.Advance(captureAt.Sub(e.clk.Now()))
		if _, err := e.client.RecruitSales(context.Background(), a); err != nil {
			t.Fatal(err)
		}
	}
	return e, a
}

func jst(month time.Month, day, hour, min int) time.Time {
	return time.Date(2026, month, day, hour, min, 0, 0, clock.JST)
}

func TestRecruitChangeRules(t *testing.T) {
	t.Parallel()
	capture := jst(3, 10, 15, 0) // captured 2026-03-10 15:00 JST
	tests := []struct {
		name    string
		points  bool
		capture time.Time // zero: still authorized
		at      time.Time
		amount  int64
		want    []string
	}{
		{"authorized: decrease", false, time.Time{}, jst(3, 3, 10, 0), 4000, nil},
		{"authorized: increase", false, time.Time{}, jst(3, 3, 10, 0), 6000, nil},
		{"authorized, points only: increase", true, time.Time{}, jst(3, 3, 10, 0), 6000, []string{gmopg.InfoChangeAmountInvalid}},
		{"authorized, points only: decrease", true, time.Time{}, jst(3, 3, 10, 0), 4000, nil},
		{"authorized: zero", false, time.Time{}, jst(3, 3, 10, 0), 0, []string{gmopg.InfoChangeAmountInvalid}},
		{"captured: capture day", false, capture, jst(3, 10, 23, 59), 4000, []string{gmopg.InfoChangePeriod}},
		{"captured: next day 0:30", false, capture, jst(3, 11, 0, 30), 4000, []string{gmopg.InfoChangePeriod}},
		{"captured: next day 1:00", false, capture, jst(3, 11, 1, 0), 4000, nil},
		{"captured: increase", false, capture, jst(3, 12, 10, 0), 5001, []string{gmopg.InfoChangeAmountInvalid}},
		{"captured: end of following month", false, capture, jst(4, 30, 23, 59), 4000, nil},
		{"captured: after the following month", false, capture, jst(5, 1, 0, 0), 4000, []string{gmopg.InfoAfterCaptureDeadline}},
		{"captured: late increase, both rules", false, capture, jst(5, 1, 0, 0), 6000, []string{gmopg.InfoAfterCaptureDeadline, gmopg.InfoChangeAmountInvalid}},
		{"captured, points only: increase", true, capture, jst(3, 12, 10, 0), 6000, []string{gmopg.InfoChangeAmountInvalid}},
		{"captured, points only: decrease", true, capture, jst(3, 12, 10, 0), 3000, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e, a := paid(t, tt.points, tt.capture)
			e.clk.Advance(tt.at.Sub(e.clk.Now()))
			r, err := e.client.RecruitChange(context.Background(), a, tt.amount, 0)
			wantInfos(t, tt.name, err, tt.want...)
			mt, _ := e.client.SearchTradeMulti(context.Background(), "rc-x", gmopg.PayTypeRecruit)
			if tt.want == nil {
				if r.Amount != tt.amount || mt.Amount != tt.amount {
					t.Errorf("changed: answer %d, trade %d, want %d", r.Amount, mt.Amount, tt.amount)
				}
				if tt.points && mt.RcUsePoint != tt.amount {
					t.Errorf("points-only trade uses %d points, want %d", mt.RcUsePoint, tt.amount)
				}
			} else if mt.Amount != 5000 {
				t.Errorf("refused change moved the amount to %d", mt.Amount)
			}
		})
	}
}

func TestRecruitCancelAndExtend(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	t.Run("cancel authorized is VOID", func(t *testing.T) {
		t.Parallel()
		e, a := paid(t, false, time.Time{})
		r, err := e.client.RecruitCancel(ctx, a)
		if err != nil || r.Status != gmopg.StatusVoid {
			t.Fatalf("cancel = %+v, %v", r, err)
		}
		_, err = e.client.RecruitCancel(ctx, a)
		wantInfos(t, "cancel twice", err, gmopg.InfoJobCdNotAllowed)
	})
	t.Run("cancel captured is CANCEL until the end of the following month", func(t *testing.T) {
		t.Parallel()
		e, a := paid(t, false, jst(3, 10, 15, 0))
		e.clk.Advance(jst(4, 30, 12, 0).Sub(e.clk.Now()))
		if r, err := e.client.RecruitCancel(ctx, a); err != nil || r.Status != gmopg.StatusCancel {
			t.Fatalf("cancel = %+v, %v", r, err)
		}
		e2, a2 := paid(t, false, jst(3, 10, 15, 0))
		e2.clk.Advance(jst(5, 1, 0, 0).Sub(e2.clk.Now()))
		_, err := e2.client.RecruitCancel(ctx, a2)
		wantInfos(t, "late cancel", err, gmopg.InfoAfterCaptureDeadline)
	})
	t.Run("extend, then lapse", func(t *testing.T) {
		t.Parallel()
		e, a := paid(t, false, time.Time{})
		e.clk.Advance(50 * 24 * time.Hour) // 2026-04-21
		r, err := e.client.RecruitUpdateAuth(ctx, a)
		want := time.Date(2026, 6, 20, 23, 59, 59, 0, clock.JST) // 60 days from 04-21, to the end of the day
		if err != nil || r.Status != gmopg.StatusAuth || r.RcUpdateAuthDay.In(clock.JST).Format("20060102") != "20260620" {
			t.Fatalf("extend = %+v, %v", r, err)
		}
		e.clk.Advance(want.Sub(e.clk.Now()))
		if mt, _ := e.client.SearchTradeMulti(ctx, "rc-x", gmopg.PayTypeRecruit); mt.Status != gmopg.StatusAuth {
			t.Fatalf("on the last second: %s", mt.Status)
		}
		e.clk.Advance(2 * time.Second)
		if mt, _ := e.client.SearchTradeMulti(ctx, "rc-x", gmopg.PayTypeRecruit); mt.Status != gmopg.StatusExpired {
			t.Fatalf("after the period: %s", mt.Status)
		}
		_, err = e.client.RecruitUpdateAuth(ctx, a)
		wantInfos(t, "extend expired", err, gmopg.InfoExtendDeadline)
		_, err = e.client.RecruitSales(ctx, a)
		wantInfos(t, "capture expired", err, gmopg.InfoAuthPeriodOver)
	})
	t.Run("extend a captured payment", func(t *testing.T) {
		t.Parallel()
		e, a := paid(t, false, jst(3, 10, 15, 0))
		_, err := e.client.RecruitUpdateAuth(ctx, a)
		wantInfos(t, "extend captured", err, gmopg.InfoExtendNoTarget)
	})
	t.Run("Recruit validation", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t)
		a, err := e.client.EntryTranRecruit(ctx, gmopg.RecruitEntryInput{OrderID: "rc-v", JobCd: gmopg.JobAuth, Amount: 100})
		if err != nil {
			t.Fatal(err)
		}
		_, err = e.client.ExecTranRecruit(ctx, gmopg.RecruitExecInput{Access: a, ItemName: strings.Repeat("長", 33)})
		wantInfos(t, "no RetURL, long item", err, "E01350001", gmopg.InfoItemNameTooLong)
		_, err = e.client.EntryTranRecruit(ctx, gmopg.RecruitEntryInput{OrderID: "rc-v2", JobCd: gmopg.JobCheck, Amount: 100})
		wantInfos(t, "CHECK is not a Recruit JobCd", err, gmopg.InfoJobCdUndefined)
		_, err = e.client.SearchTradeMulti(ctx, "rc-v", gmopg.PayTypeCard)
		wantInfos(t, "wrong PayType", err, gmopg.InfoMultiOrderNotFound)
		_, err = e.client.RecruitSales(ctx, a)
		wantInfos(t, "capture before paying", err, gmopg.InfoJobCdNotAllowed)
	})
}
