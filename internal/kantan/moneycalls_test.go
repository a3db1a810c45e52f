package kantan_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"kessai/internal/kantan"
	"kessai/internal/platform/attempt"
	"kessai/internal/platform/attempt/attempttest"
	"kessai/internal/platform/db"
	"kessai/internal/provider/gmopg"
	"kessai/internal/sandbox/gmopgsim"
)

// The platform's conformance suite on each money call: a crash at every step, every fault of
// the simulator (timeout and close after GMO-PG did it, E90010001 after it did it — never
// retried —, E92 before), concurrent executions, a stalled sender racing the janitor and a late
// answer. GMO-PG must hold the operation exactly once and kessai's payment must show it.

func TestCaptureMoneyCalls(t *testing.T) {
	t.Parallel()
	attempttest.Run(t, moneyRoom(kantan.OpCapture))
}
func TestCancelMoneyCalls(t *testing.T) { t.Parallel(); attempttest.Run(t, moneyRoom(kantan.OpCancel)) }
func TestChangeMoneyCalls(t *testing.T) { t.Parallel(); attempttest.Run(t, moneyRoom(kantan.OpChange)) }
func TestExtendMoneyCalls(t *testing.T) { t.Parallel(); attempttest.Run(t, moneyRoom(kantan.OpExtend)) }

// The GMO-PG API and the trade history entry of each operation.
var cardAPI = map[string][2]string{
	kantan.OpAuthorize: {"ExecTran", "exec"},
	kantan.OpCapture:   {"AlterTran", "alter SALES"},
}

var opAPI = map[string][2]string{
	kantan.OpCapture: {"RecruitSales", "sales"},
	kantan.OpCancel:  {"RecruitCancel", "cancel"},
	kantan.OpChange:  {"RecruitChange", "change"},
	kantan.OpExtend:  {"RecruitUpdateAuth", "update_auth"},
}

func moneyRoom(op string) attempttest.Room {
	return attempttest.Room{New: func(t *testing.T) attempttest.World { return moneyWorld(t, op, false) }}
}

func moneyWorld(t *testing.T, op string, card bool) attempttest.World {
	e := newEnv(t, jst(2026, 12, 3, 10, 0), func(o *gmopgsim.Options) { o.HangTimeout = 2 * time.Second })
	api := opAPI[op]
	if card {
		api = cardAPI[op]
	}
	return attempttest.World{
		Prepare: func() string {
			if card {
				o := orderOf(e, "api", 10000)
				o.PaymentMethod = "credit_card"
				o, _, err := e.store.CreateOrderPayment(e.ctx, o)
				if err != nil {
					t.Fatal(err)
				}
				if op == kantan.OpCapture {
					tok, _ := e.sim.Tokenize(gmopgsim.CardOK, "2912", "123", "TARO YAMADA")
					if p, err := e.svc.PayCard(e.ctx, o.ID, tok); err != nil || p.Status != kantan.StatusAuthorized {
						t.Fatalf("card: %v %+v", err, p)
					}
				}
				return o.ID
			}
			o := e.checkout(10000, gmopgsim.BuyerPay)
			if op == kantan.OpExtend {
				e.clk.Advance(10 * 24 * time.Hour) // extended later than paid: the deadline moves
			}
			if op == kantan.OpChange {
				if err := e.setAmount(o.ID, 8000); err != nil {
					t.Fatal(err)
				}
			}
			return o.ID
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
			svc := e.service(d)
			return moneyInstance{e: e, op: op, svc: svc, jan: e.janitor(d, svc)}
		},
		Arm: func(f attempttest.Fault) {
			mode := map[attempttest.Fault]gmopgsim.FaultMode{
				attempttest.TimeoutAfterAccept:      gmopgsim.FaultTimeoutAfterAccept,
				attempttest.CloseAfterAccept:        gmopgsim.FaultCloseAfterAccept,
				attempttest.ServerErrorAfterAccept:  gmopgsim.FaultDoubleSubmission,
				attempttest.ServerErrorBeforeAccept: gmopgsim.FaultRateLimit,
			}[f]
			n := 1
			if f == attempttest.ServerErrorBeforeAccept {
				n = 3 // the client's own tries of an E92 (RetryPolicy.MaxAttempts): all refused
			}
			if err := e.sim.SetFault(mode, n, api[0]); err != nil {
				t.Fatal(err)
			}
		},
		Held: func(id string) int {
			p, err := e.svc.Payment(e.ctx, id)
			if err != nil {
				t.Fatal(err)
			}
			tr, _ := e.sim.Trade(p.PGOrderID)
			n := 0
			for _, h := range tr.History {
				if h.Action == api[1] {
					n++
				}
			}
			return n
		},
		Agree: func(id string) error {
			p, err := e.svc.Payment(e.ctx, id)
			if err != nil {
				return err
			}
			tr, _ := e.sim.Trade(p.PGOrderID)
			switch {
			case p.Busy != "":
				return fmt.Errorf("payment still in flight (%s)", p.Busy)
			case op == kantan.OpAuthorize && (p.Status != kantan.StatusAuthorized || tr.Status != gmopg.StatusAuth):
				return fmt.Errorf("authorize: kessai %s, GMO-PG %s (%s)", p.Status, tr.Status, p.Reason)
			case op == kantan.OpCapture && (p.Status != kantan.StatusCaptured || tr.Status != gmopg.StatusSales):
				return fmt.Errorf("capture: kessai %s, GMO-PG %s (%s)", p.Status, tr.Status, p.Reason)
			case op == kantan.OpCancel && (p.Status != kantan.StatusCancelled || tr.Status != gmopg.StatusVoid):
				return fmt.Errorf("cancel: kessai %s, GMO-PG %s (%s)", p.Status, tr.Status, p.Reason)
			case op == kantan.OpChange && (p.Amount != 8000 || tr.Amount != 8000):
				return fmt.Errorf("change: kessai %d, GMO-PG %d (%s)", p.Amount, tr.Amount, p.Reason)
			case op == kantan.OpExtend && p.AuthDeadline != tr.AuthDeadline.In(jstLoc()).Format("2006-01-02"):
				return fmt.Errorf("extend: kessai %s, GMO-PG %s (%s)", p.AuthDeadline, tr.AuthDeadline, p.Reason)
			}
			atts, err := e.log.ForRecord(e.ctx, e.db, kantan.RecordPayment, id)
			if err != nil {
				return err
			}
			return attempttest.Concluded(atts)
		},
		Advance: func(d time.Duration) { e.clk.Advance(d) },
		Settled: 5 * time.Minute,
	}
}

type moneyInstance struct {
	e   *env
	op  string
	svc *kantan.Service
	jan *attempt.Janitor
}

// Execute runs with the test's principal (the suite's context carries none).
func (in moneyInstance) Execute(_ context.Context, id string, o attempttest.Options) error {
	r := in.svc.Runner()
	defer o.Apply(r)()
	ctx := in.e.ctx
	var err error
	switch in.op {
	case kantan.OpCapture:
		_, err = in.svc.Capture(ctx, id)
	case kantan.OpCancel:
		// The order's キャンセル claims the cancel in commerce's transaction and sends it after
		// the commit; once the order is cancelled, the room's 取消を再実行 sends it again.
		store := in.svc.Store()
		ord, gerr := store.GetOrder(ctx, id)
		if gerr != nil {
			return gerr
		}
		if ord.OrderStatus == "cancelled" {
			_, err = in.svc.RetryCancel(ctx, id)
			break
		}
		// Runner.Claim (commerce's transaction) has no step before the claim: the crash
		// before anything is written happens here. The send runs after commerce's commit,
		// which cannot return its error: a crash there is reported by the step hook.
		if o.Step != nil {
			if err := o.Step(attempt.StepBeforeClaim); err != nil {
				return err
			}
		}
		var crashed error
		r.StepHook = func(s attempt.Step) error {
			if o.Step == nil {
				return nil
			}
			err := o.Step(s)
			if err != nil {
				crashed = err
			}
			return err
		}
		_, err = store.CancelOrder(ctx, id, ord.Version)
		if err == nil {
			err = crashed
		}
	case kantan.OpChange:
		_, err = in.svc.SendChange(ctx, id)
	case kantan.OpExtend:
		_, err = in.svc.Extend(ctx, id)
	case kantan.OpAuthorize:
		tok, terr := in.e.sim.Tokenize(gmopgsim.CardOK, "2912", "123", "TARO YAMADA") // a token is used once
		if terr != nil {
			return terr
		}
		_, err = in.svc.PayCard(ctx, id, tok)
	}
	return err
}

// Settle runs the janitor and the room's status sync.
func (in moneyInstance) Settle(ctx context.Context) error {
	if _, err := in.jan.Run(in.e.ctx); err != nil {
		return err
	}
	_, err := in.svc.Sync(in.e.ctx)
	return err
}

// The card's authorization (ExecTran with the storefront's token) and capture (AlterTran).
func TestCardAuthorizeMoneyCalls(t *testing.T) {
	t.Parallel()
	attempttest.Run(t, attempttest.Room{New: func(t *testing.T) attempttest.World { return moneyWorld(t, kantan.OpAuthorize, true) }})
}

func TestCardCaptureMoneyCalls(t *testing.T) {
	t.Parallel()
	attempttest.Run(t, attempttest.Room{New: func(t *testing.T) attempttest.World { return moneyWorld(t, kantan.OpCapture, true) }})
}

// TestResolverWaitsWhileGMOPGMayBeRunning: right after a capture was sent (E90010001, a
// timeout) a trade still 仮売上 is not proof that nothing happened — GMO-PG may still be running
// it — so the resolver keeps the outcome open; once the call is old enough, not done is final.
func TestResolverWaitsWhileGMOPGMayBeRunning(t *testing.T) {
	t.Parallel()
	e := newEnv(t, jst(2026, 12, 3, 10, 0))
	o := e.checkout(1000, gmopgsim.BuyerPay)
	p := e.payment(o.ID)
	a := attempt.Attempt{ID: "att_x", Room: kantan.Room, RecordType: kantan.RecordPayment, RecordID: o.ID, Operation: kantan.OpCapture,
		State: attempt.Unknown, SentAt: e.clk.Now(), RequestSummary: "OrderID=" + p.PGOrderID + " PayType=" + string(p.PayType) + " Amount=1000"}
	rv := kantan.NewResolver(e.svc, kantan.OpCapture)
	out, err := rv.Resolve(e.ctx, a)
	if err != nil || out.State != attempt.Unknown {
		t.Fatalf("just sent, trade %s: %+v %v", e.trade(o).Status, out, err)
	}
	e.clk.Advance(3 * time.Minute)
	if out, err := rv.Resolve(e.ctx, a); err != nil || out.State != attempt.Failed {
		t.Fatalf("3 minutes later: %+v %v", out, err)
	}
}
