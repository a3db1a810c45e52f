package cardupdate_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"kessai/internal/cardupdate"
	"kessai/internal/commerce"
	"kessai/internal/platform/attempt"
	"kessai/internal/platform/attempt/attempttest"
	"kessai/internal/platform/db"
	"kessai/internal/sandbox/gmopgsim"
)

func (e *env) subscription(card commerce.Card, amount int64, due string) commerce.Subscription {
	e.t.Helper()
	shop := e.shop()
	sb, err := e.store.CreateSubscription(e.ctx, commerce.Subscription{ShopID: shop, CustomerID: card.CustomerID, CardID: card.ID,
		ProductName: "定期便", Amount: amount, CycleMonths: 1, NextBillingOn: due, Status: "active"})
	if err != nil {
		e.t.Fatal(err)
	}
	return sb
}

func (e *env) shop() string {
	e.t.Helper()
	var id string
	if err := e.db.QueryRowContext(e.ctx, `SELECT id FROM shops ORDER BY id LIMIT 1`).Scan(&id); err == nil {
		return id
	}
	sh, err := e.store.CreateShop(e.ctx, commerce.Shop{Code: "main", Name: "本店"})
	if err != nil {
		e.t.Fatal(err)
	}
	return sh.ID
}

// TestBillingSkipsFailedCards: after the month's 洗替, the billing run charges every due
// subscription whose card is good, once (a second run charges nothing again), and lists the
// subscriptions whose card failed as skipped with the reason until a new card is registered.
func TestBillingSkipsFailedCards(t *testing.T) {
	t.Parallel()
	e := newEnv(t, jst(2026, 11, 20, 9))
	ok := e.card("m-ok", gmopgsim.CardUpdateNewExpiry, "2611")
	bad := e.card("m-bad", gmopgsim.CardUpdateInvalid, "2612")
	unchecked := e.card("m-later", gmopgsim.CardOK, "2801")
	sOK := e.subscription(ok, 3980, "2026-11-28")
	sBad := e.subscription(bad, 2980, "2026-11-28")
	run := e.month("202611")
	if run.Invalid != 1 {
		t.Fatalf("run = %+v", run)
	}
	sLater := e.subscription(unchecked, 1000, "2026-11-28")
	e.setClock(jst(2026, 11, 28, 6))
	rep, err := e.svc.Bill(e.ctx, "2026-11-28")
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Charged) != 2 || len(rep.Skipped) != 1 || len(rep.Failed) != 0 {
		t.Fatalf("billing = %+v", rep)
	}
	if rep.Skipped[0].SubscriptionID != sBad.ID || !strings.Contains(rep.Skipped[0].Reason, "有効性NG") {
		t.Fatalf("skipped = %+v", rep.Skipped[0])
	}
	for _, c := range rep.Charged {
		tr, found := e.sim.Trade(c.OrderID)
		if !found || tr.Amount != c.Amount || string(tr.Status) != "CAPTURE" {
			t.Errorf("GMO-PG trade of %s: %+v %v", c.OrderID, tr, found)
		}
	}
	for _, sb := range []commerce.Subscription{sOK, sLater} {
		got, _ := e.store.GetSubscription(e.ctx, sb.ID)
		if got.NextBillingOn != "2026-12-28" {
			t.Errorf("%s next billing %s", sb.ID, got.NextBillingOn)
		}
	}
	// The same day again: nothing is charged twice; the failed card is still listed.
	trades := len(e.sim.Trades())
	rep, err = e.svc.Bill(e.ctx, "2026-11-28")
	if err != nil || len(rep.Charged) != 0 || len(rep.Skipped) != 1 || len(e.sim.Trades()) != trades {
		t.Fatalf("second run = %+v, %v (trades %d → %d)", rep, err, trades, len(e.sim.Trades()))
	}
	// A new card for the failed subscription: charged on the next run.
	fresh := e.card("m-new", gmopgsim.CardOK, "2911")
	if _, err := e.db.SQL.ExecContext(e.ctx, db.Rebind(e.db.Dialect(), `UPDATE subscriptions SET card_id = ? WHERE id = ?`), fresh.ID, sBad.ID); err != nil {
		t.Fatal(err)
	}
	rep, err = e.svc.Bill(e.ctx, "2026-11-28")
	if err != nil || len(rep.Charged) != 1 || rep.Charged[0].SubscriptionID != sBad.ID || len(rep.Skipped) != 0 {
		t.Fatalf("after the new card = %+v, %v", rep, err)
	}
}

// TestChargeMoneyCalls runs the billing charge through the conformance suite.
func TestChargeMoneyCalls(t *testing.T) {
	t.Parallel()
	attempttest.Run(t, attempttest.Room{New: chargeWorld})
}

func chargeWorld(t *testing.T) attempttest.World {
	e := newEnv(t, jst(2026, 11, 28, 6), func(o *gmopgsim.Options) { o.HangTimeout = 2 * time.Second })
	var mu sync.Mutex
	n := 0
	return attempttest.World{
		Prepare: func() string {
			mu.Lock()
			n++
			i := n
			mu.Unlock()
			c := e.card(fmt.Sprintf("m-%03d", i), gmopgsim.CardOK, "2912")
			sb := e.subscription(c, int64(1000+i), "2026-11-28")
			var id string
			now := e.clk.Now().UTC()
			id = "chg_" + sb.ID
			if _, err := e.db.ExecContext(e.ctx, `INSERT INTO cardupdate_charges (id, subscription_id, due_on, order_id, card_id, member_id, card_seq,
				amount, status, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'pending', ?, ?)`,
				id, sb.ID, sb.NextBillingOn, fmt.Sprintf("ORD%024d", i), c.ID, c.MemberID, c.CardSeq, sb.Amount, now, now); err != nil {
				t.Fatal(err)
			}
			return id
		},
		Open: func(second bool) attempttest.Instance {
			d := e.db
			if second && e.db.Dialect() == db.Postgres {
				d2, err := db.Open(context.Background(), e.db.URL, "")
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { d2.Close() })
				d = d2
			}
			svc := cardupdate.NewService(d, e.clk, attempt.NewRunner(d, e.log), e.conn)
			jan := attempt.NewJanitor(d, e.log)
			jan.Handle(cardupdate.Room, cardupdate.OpCharge, cardupdate.NewChargeResolver(svc))
			return chargeInstance{e: e, svc: svc, jan: jan}
		},
		Arm: func(f attempttest.Fault) {
			mode := map[attempttest.Fault]gmopgsim.FaultMode{
				attempttest.TimeoutAfterAccept:      gmopgsim.FaultTimeoutAfterAccept,
				attempttest.CloseAfterAccept:        gmopgsim.FaultCloseAfterAccept,
				attempttest.ServerErrorAfterAccept:  gmopgsim.FaultDoubleSubmission,
				attempttest.ServerErrorBeforeAccept: gmopgsim.FaultRateLimit,
			}[f]
			// E92 is refused unprocessed and the client tries it again (three attempts): refuse
			// every one, so the call really fails before GMO-PG accepts it.
			count := 1
			if f == attempttest.ServerErrorBeforeAccept {
				count = 3
			}
			if err := e.sim.SetFault(mode, count, "ExecTran"); err != nil {
				t.Fatal(err)
			}
		},
		Held: func(id string) int {
			c, err := e.svc.GetCharge(e.ctx, id)
			if err != nil {
				t.Fatal(err)
			}
			tr, ok := e.sim.Trade(c.OrderID)
			if ok && string(tr.Status) == "CAPTURE" {
				return 1
			}
			return 0
		},
		Agree: func(id string) error {
			c, err := e.svc.GetCharge(e.ctx, id)
			if err != nil {
				return err
			}
			cn, _ := e.conn.Get(e.ctx)
			cl, _ := e.conn.Client(cn)
			tr, err := cl.SearchTrade(e.ctx, c.OrderID)
			if err != nil {
				return err
			}
			if c.Status != cardupdate.ChargeCharged || c.TranID == "" || c.TranID != tr.TranID || tr.Amount != c.Amount {
				return fmt.Errorf("charge %s (%s) tran %q, GMO-PG %+v", c.Status, c.Reason, c.TranID, tr)
			}
			atts, err := e.log.ForRecord(e.ctx, e.db, cardupdate.RecordCharge, id)
			if err != nil {
				return err
			}
			for _, a := range atts {
				if !a.State.Final() {
					return fmt.Errorf("attempt %s left %s", a.ID, a.State)
				}
			}
			sb, _ := e.store.GetSubscription(e.ctx, c.SubscriptionID)
			if sb.NextBillingOn != "2026-12-28" {
				return fmt.Errorf("next billing %s", sb.NextBillingOn)
			}
			return nil
		},
		Advance: func(d time.Duration) { e.clk.Advance(d) },
		Settled: 15 * time.Minute,
	}
}

type chargeInstance struct {
	e   *env
	svc *cardupdate.Service
	jan *attempt.Janitor
}

func (in chargeInstance) Execute(ctx context.Context, id string, o attempttest.Options) error {
	r := in.svc.Runner()
	defer o.Apply(r)()
	_, err := in.svc.ChargeOne(in.e.ctx, id)
	return err
}

func (in chargeInstance) Settle(ctx context.Context) error {
	_, err := in.jan.Run(in.e.ctx)
	return err
}
