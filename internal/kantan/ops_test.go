package kantan_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"kessai/internal/platform/bulk"
	"kessai/internal/platform/db"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"kessai/internal/commerce"
	"kessai/internal/kantan"
	"kessai/internal/provider/gmopg"
	"kessai/internal/sandbox/gmopgsim"
)

// TestBulkCaptureMixed: a bulk capture reports each order: captured, skipped with the reason
// (要確認, an unsent change, already captured, an order without a GMO-PG payment) and failed
// (GMO-PG refusing: 売上失敗, the order held when the setting says so).
func TestBulkCaptureMixed(t *testing.T) {
	t.Parallel()
	e := newEnv(t, jst(2026, 12, 3, 10, 0))
	e.settings(func(s *kantan.Settings) { s.CaptureFail = kantan.CaptureFailHold })
	ok1, ok2 := e.checkout(1000, gmopgsim.BuyerPay), e.checkout(2000, gmopgsim.BuyerPoints)
	pending := e.checkout(3000, gmopgsim.BuyerAbandon)
	unsent := e.checkout(4000, gmopgsim.BuyerPay)
	if err := e.setAmount(unsent.ID, 3500); err != nil {
		t.Fatal(err)
	}
	done := e.into(kantan.StatusCaptured)
	refused := e.checkout(5000, gmopgsim.BuyerPay)
	p := e.payment(refused.ID)
	cl := gmopg.New(e.sim.Config(strings.TrimSuffix(e.simURL, prefix)))
	if _, err := cl.RecruitCancel(context.Background(), gmopg.Access{OrderID: p.PGOrderID, AccessID: p.AccessID, AccessPass: e.accessPass(refused.ID)}); err != nil {
		t.Fatal(err)
	}
	imported, err := e.store.CreateOrders(e.ctx, []commerce.Order{orderOf(e, "csv", 1000)})
	if err != nil {
		t.Fatal(err)
	}
	ids := []string{ok1.ID, ok2.ID, pending.ID, unsent.ID, done.ID, refused.ID, imported[0].ID}
	want := []string{kantan.OutcomeCaptured, kantan.OutcomeCaptured, kantan.OutcomeSkipped, kantan.OutcomeSkipped, kantan.OutcomeSkipped,
		kantan.OutcomeFailed, kantan.OutcomeSkipped}
	res := e.svc.CaptureMany(e.ctx, ids, 3)
	for i, r := range res {
		if r.OrderID != ids[i] || r.Outcome != want[i] {
			t.Errorf("order %d: %+v, want %s", i, r, want[i])
		}
		if r.Outcome != kantan.OutcomeCaptured && r.Reason == "" {
			t.Errorf("order %d: %s without a reason", i, r.Outcome)
		}
	}
	for _, o := range []commerce.Order{ok1, ok2} {
		if tr := e.trade(o); tr.Status != gmopg.StatusSales {
			t.Errorf("%s at GMO-PG: %s", o.Number, tr.Status)
		}
		if got := e.order(o.ID); got.PaymentStatus != "paid" {
			t.Errorf("%s 入金状況 %s", o.Number, got.PaymentStatus)
		}
	}
	if p := e.payment(refused.ID); p.Status != kantan.StatusCaptureFailed || !strings.Contains(p.Reason, gmopg.InfoJobCdNotAllowed) {
		t.Errorf("refused capture: %s %q", p.Status, p.Reason)
	}
	if got := e.order(refused.ID); got.OrderStatus != "on_hold" {
		t.Errorf("capture failure with the hold setting: order %s", got.OrderStatus)
	}
	// Nothing is captured twice: a second run skips every one.
	for i, r := range e.svc.CaptureMany(e.ctx, ids[:2], 2) {
		if r.Outcome != kantan.OutcomeSkipped {
			t.Errorf("second run, order %d: %+v", i, r)
		}
	}
}

// TestTrackingCapture: 伝票番号一括登録 ships each order; with 実売り同時処理 a 仮売上 order is
// captured, without it the row is refused with the reason; a 決済完了 order just ships.
func TestTrackingCapture(t *testing.T) {
	t.Parallel()
	e := newEnv(t, jst(2026, 12, 3, 10, 0))
	auth1 := e.checkout(1000, gmopgsim.BuyerPay)
	captured := e.into(kantan.StatusCaptured)
	res := e.svc.RegisterTracking(e.ctx, []kantan.TrackingItem{{Number: auth1.Number, TrackingNumber: "1111"}, {Number: captured.Number, TrackingNumber: "2222"},
		{Number: "main-999999", TrackingNumber: "3333"}})
	if res[0].Outcome != "error" || !strings.Contains(res[0].Reason, "実売り同時処理") || res[1].Outcome != "shipped" || res[2].Outcome != "error" {
		t.Fatalf("without 実売り同時処理: %+v", res)
	}
	e.settings(func(s *kantan.Settings) { s.ShipCapture = true })
	res = e.svc.RegisterTracking(e.ctx, []kantan.TrackingItem{{Number: auth1.Number, TrackingNumber: "1111"}})
	if res[0].Outcome != "shipped" || res[0].Payment != kantan.StatusCaptured {
		t.Fatalf("with 実売り同時処理: %+v", res)
	}
	if o := e.order(auth1.ID); o.OrderStatus != "shipped" || o.TrackingNumber != "1111" || e.trade(auth1).Status != gmopg.StatusSales {
		t.Errorf("order %s %s, GMO-PG %s", o.OrderStatus, o.TrackingNumber, e.trade(auth1).Status)
	}
}

// TestSyncRepairs: the sync batch puts a 売上失敗 whose authorization GMO-PG still holds back
// to 仮売上 (and the capture then succeeds), lapses an old authorization to 仮売上期限切れ, and
// a buyer who paid after leaving (要確認) becomes 仮売上; each change is in the order's history.
func TestSyncRepairs(t *testing.T) {
	t.Parallel()
	e := newEnv(t, jst(2026, 12, 3, 10, 0))
	failed := e.checkout(1000, gmopgsim.BuyerPay)
	if err := e.sim.SetFault(gmopgsim.FaultRateLimit, 0, "RecruitSales"); err != nil {
		t.Fatal(err)
	}
	if p, _ := e.svc.Capture(e.ctx, failed.ID); p.Status != kantan.StatusCaptureFailed {
		t.Fatalf("capture refused unprocessed: %s", p.Status)
	}
	// The reason says what makes the capture possible again (売上失敗 refuses it until the sync).
	if _, err := e.svc.Capture(e.ctx, failed.ID); err == nil || !strings.Contains(e.payment(failed.ID).Reason, "同期") {
		t.Fatalf("capture while 売上失敗: %v, reason %q", err, e.payment(failed.ID).Reason)
	}
	e.sim.ClearFaults()
	rep, err := e.svc.Sync(e.ctx)
	if err != nil || rep.Changed != 1 {
		t.Fatalf("sync: %+v %v", rep, err)
	}
	if p := e.payment(failed.ID); p.Status != kantan.StatusAuthorized {
		t.Fatalf("after sync: %s", p.Status)
	}
	if p, err := e.svc.Capture(e.ctx, failed.ID); err != nil || p.Status != kantan.StatusCaptured {
		t.Fatalf("capture after the repair: %v %s", err, p.Status)
	}
	hist, err := e.store.OrderHistory(e.ctx, failed.ID)
	if err != nil {
		t.Fatal(err)
	}
	var synced bool
	for _, h := range hist {
		synced = synced || (h.Kind == "status.synced" && strings.Contains(h.Summary, "売上失敗") && strings.Contains(h.Summary, "仮売上"))
	}
	if !synced {
		t.Errorf("no history line for the repair: %+v", hist)
	}

	old := e.checkout(2000, gmopgsim.BuyerPay)
	e.clk.Advance(61 * 24 * time.Hour)
	if _, err := e.svc.Sync(e.ctx); err != nil {
		t.Fatal(err)
	}
	if p := e.payment(old.ID); p.Status != kantan.StatusExpired || e.order(old.ID).AuthorizationStatus != "expired" {
		t.Errorf("lapsed authorization: %s", p.Status)
	}
	if p := e.payment(failed.ID); p.Status != kantan.StatusCaptured {
		t.Errorf("a captured payment changed in the sync: %s", p.Status)
	}
}

// TestNotifications: the ping is answered "0" and changes nothing; a notification of another
// shop is refused; a real one is read back and applied once (a repeat changes nothing); the
// simulator's deliveries reach the endpoint over HTTP.
func TestNotifications(t *testing.T) {
	t.Parallel()
	e := newEnv(t, jst(2026, 12, 3, 10, 0))
	var bodies [][]byte
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		bodies = append(bodies, b) // deliveries are sequential
		r.Body = io.NopCloser(bytes.NewReader(b))
		e.svc.ServeNotify(w, r)
	}))
	t.Cleanup(srv.Close)
	e.sim.SetNotifyURL(srv.URL)
	e.sim.QueuePing()
	o, pay := e.create(3000) // the buyer pays; kessai hears only the notification
	if _, _, err := e.sim.Buy(pay.AccessID, pay.Token, gmopgsim.BuyerPay); err != nil {
		t.Fatal(err)
	}
	if n := e.sim.DeliverNotifications(e.ctx); n != 2 {
		t.Fatalf("delivered %d of 2 (ping and payment): %+v", n, e.sim.Notices())
	}
	if p := e.payment(o.ID); p.Status != kantan.StatusAuthorized {
		t.Fatalf("after the notification: %s", p.Status)
	}
	body := bodies[len(bodies)-1]
	before, _ := e.store.OrderHistory(e.ctx, o.ID)
	got, err := e.svc.Notify(e.ctx, body)
	if err != nil || !got.Duplicate {
		t.Errorf("repeated notification: %+v %v", got, err)
	}
	after, _ := e.store.OrderHistory(e.ctx, o.ID)
	if len(after) != len(before) {
		t.Errorf("a repeated notification wrote history: %d → %d", len(before), len(after))
	}
	forged := strings.Replace(string(body), gmopgsim.DefaultShopID, "tshop99999999", 1)
	if _, err := e.svc.Notify(e.ctx, []byte(forged)); err == nil {
		t.Error("a notification of another shop was accepted")
	}
	ping, err := e.svc.Notify(e.ctx, []byte("ShopID=&ErrCode=E00&ErrInfo=E00000000"))
	if err != nil || !ping.Ping {
		t.Errorf("ping: %+v %v", ping, err)
	}
}

// TestExtend: オーソリ期間延長 moves the deadline on and is refused when the setting is off.
func TestExtend(t *testing.T) {
	t.Parallel()
	e := newEnv(t, jst(2026, 12, 3, 10, 0))
	o := e.checkout(3000, gmopgsim.BuyerPay)
	before := e.payment(o.ID).AuthDeadline
	e.setClock(jst(2027, 1, 20, 10, 0))
	p, err := e.svc.Extend(e.ctx, o.ID)
	if err != nil || p.AuthDeadline <= before || p.AuthDeadline != "2027-03-21" {
		t.Fatalf("extend: %v, deadline %s → %s", err, before, p.AuthDeadline)
	}
	e.settings(func(s *kantan.Settings) { s.ExtendAuth = false })
	if _, err := e.svc.Extend(e.ctx, o.ID); err == nil || !strings.Contains(err.Error(), "利用しない") {
		t.Errorf("extend with the setting off: %v", err)
	}
}

// TestBulkCaptureAction: the list's 一括処理 action claims every selected order in the batch's
// transaction (skipping with the reason what cannot be captured) and captures once the batch
// committed, in After; an item whose claim is rolled back with its batch sends nothing.
func TestBulkCaptureAction(t *testing.T) {
	t.Parallel()
	e := newEnv(t, jst(2026, 12, 3, 10, 0))
	ok, pending := e.checkout(1000, gmopgsim.BuyerPay), e.checkout(2000, gmopgsim.BuyerAbandon)
	act := e.svc.BulkCapture()
	var claimed []bulk.Result
	err := e.db.InTx(e.ctx, func(tx *db.Tx) error {
		for _, id := range []string{ok.ID, pending.ID} {
			out, reason, err := act.Do(e.ctx, tx, id)
			if err != nil {
				return err
			}
			claimed = append(claimed, bulk.Result{RecordID: id, Outcome: out, Reason: reason})
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if claimed[1].Outcome != kantan.OutcomeSkipped || !strings.Contains(claimed[1].Reason, "要確認") {
		t.Errorf("要確認 order: %+v", claimed[1])
	}
	if e.trade(ok).Status != gmopg.StatusAuth {
		t.Fatal("captured inside the batch's transaction")
	}
	if r := act.After(e.ctx, claimed[0]); r.Outcome != kantan.OutcomeCaptured || e.trade(ok).Status != gmopg.StatusSales {
		t.Errorf("after the batch: %+v, GMO-PG %s", r, e.trade(ok).Status)
	}
	if r := act.After(e.ctx, claimed[1]); r != claimed[1] {
		t.Errorf("a skipped item changed in After: %+v", r)
	}
	// A batch rolled back: its claim is gone, nothing is sent.
	again := e.checkout(3000, gmopgsim.BuyerPay)
	_ = e.db.InTx(e.ctx, func(tx *db.Tx) error {
		if _, _, err := act.Do(e.ctx, tx, again.ID); err != nil {
			return err
		}
		return errors.New("batch failed")
	})
	if p := e.payment(again.ID); p.Busy != "" || e.trade(again).Status != gmopg.StatusAuth {
		t.Errorf("rolled-back claim: busy %q, GMO-PG %s", p.Busy, e.trade(again).Status)
	}
}

// TestNotificationRetriedAfterCut: a notification whose read-back is cut off (GMO-PG's
// notifier hangs up, the request's context ends) is not marked as received, so GMO-PG's
// retry of the same body is applied instead of being dropped as a duplicate.
func TestNotificationRetriedAfterCut(t *testing.T) {
	t.Parallel()
	e := newEnv(t, jst(2026, 12, 3, 10, 0))
	var body []byte
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ = io.ReadAll(r.Body) // deliveries are sequential
		_, _ = io.WriteString(w, "0")
	}))
	t.Cleanup(srv.Close)
	e.sim.SetNotifyURL(srv.URL)
	o, pay := e.create(3000)
	if _, _, err := e.sim.Buy(pay.AccessID, pay.Token, gmopgsim.BuyerPay); err != nil {
		t.Fatal(err)
	}
	if n := e.sim.DeliverNotifications(e.ctx); n != 1 || body == nil {
		t.Fatalf("delivered %d: %+v", n, e.sim.Notices())
	}
	// The read-back hangs; the context ends once the simulator has taken the call.
	if err := e.sim.SetFault(gmopgsim.FaultTimeoutAfterAccept, 1, "SearchTradeMulti"); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(e.ctx)
	go func() {
		for len(e.sim.Faults()) > 0 && e.sim.Faults()[0].Remaining != 0 {
			time.Sleep(5 * time.Millisecond)
		}
		cancel()
	}()
	if _, err := e.svc.Notify(ctx, body); err == nil {
		t.Fatal("a notification whose read-back was cut off was acknowledged")
	}
	cancel()
	if p := e.payment(o.ID); p.Status != kantan.StatusNeedsCheck {
		t.Fatalf("after the cut: %s", p.Status)
	}
	got, err := e.svc.Notify(e.ctx, body)
	if err != nil || got.Duplicate {
		t.Fatalf("GMO-PG's retry: %+v %v", got, err)
	}
	if p := e.payment(o.ID); p.Status != kantan.StatusAuthorized {
		t.Errorf("after GMO-PG's retry: %s", p.Status)
	}
}
