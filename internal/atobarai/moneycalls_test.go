package atobarai_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"kessai/internal/atobarai"
	"kessai/internal/platform/attempt"
	"kessai/internal/platform/attempt/attempttest"
	"kessai/internal/platform/db"
	"kessai/internal/platform/db/dbtest"
	"kessai/internal/provider/yamato"
	"kessai/internal/sandbox/yamatosim"
)

// TestMoneyCalls runs the shared crash suite on each of the room's money calls against the
// simulator over real HTTP: credit (KAARA0010), shipment registration (KAASL0010), cancel
// (KAACL0010) and amount reduction (KAAKK0010).
func TestMoneyCalls(t *testing.T) {
	t.Parallel()
	for _, op := range []string{atobarai.OpCredit, atobarai.OpShipment, atobarai.OpCancel, atobarai.OpReduce} {
		t.Run(op, func(t *testing.T) {
			t.Parallel()
			attempttest.Run(t, attempttest.Room{New: func(t *testing.T) attempttest.World { return newMoneyWorld(t, op) }})
		})
	}
}

var faultModes = map[attempttest.Fault]yamatosim.FaultMode{
	attempttest.TimeoutAfterAccept:      yamatosim.FaultHangAfter,
	attempttest.CloseAfterAccept:        yamatosim.FaultDropAfter,
	attempttest.ServerErrorAfterAccept:  yamatosim.FaultSystemErrorAfter,
	attempttest.ServerErrorBeforeAccept: yamatosim.FaultHTTP503Before,
}

type moneyInstance struct {
	op  string
	d   *db.DB
	log *attempt.Log
	svc *atobarai.Service
	jan *attempt.Janitor
}

func newService(d *db.DB, l *attempt.Log, e *simEnv) *atobarai.Service {
	svc := atobarai.NewService(d, e.clk, attempt.NewRunner(d, l), e.clients, nil, nil)
	svc.FollowUp = 0 // the simulator's window is off here
	return svc
}

func newMoneyWorld(t *testing.T, op string) attempttest.World {
	e := newSim(t)
	d := dbtest.Open(t, attempt.Migrations, atobarai.Migrations)
	ctx := context.Background()
	base := newService(d, attempt.New(e.clk), e)
	open := func(second bool) attempttest.Instance {
		pool := d
		if second && d.Dialect() == db.Postgres {
			d2, err := db.Open(ctx, d.URL, "")
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { d2.Close() })
			pool = d2
		}
		l := attempt.New(e.clk)
		in := &moneyInstance{op: op, d: pool, log: l, svc: newService(pool, l, e), jan: attempt.NewJanitor(pool, l)}
		for name, r := range in.svc.Resolvers() {
			in.jan.Handle(atobarai.Room, name, r)
		}
		return in
	}
	held := map[string]string{atobarai.OpShipment: "出荷情報登録", atobarai.OpCancel: "与信取消", atobarai.OpReduce: "金額変更（減額）"}
	orderNo := func(id string) string {
		tx, err := base.Txn(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		return tx.OrderNo
	}
	return attempttest.World{
		Prepare: func() string {
			tx, err := base.Prepare(ctx, "", atobarai.ModeAPI, creditRequest("山田 太郎", 5500))
			if err != nil {
				t.Fatal(err)
			}
			if op != atobarai.OpCredit {
				if tx, err = base.Credit(ctx, tx.ID); err != nil || tx.Credit != atobarai.CreditOK {
					t.Fatalf("credit for %s: %+v, %v", op, tx, err)
				}
			}
			return tx.ID
		},
		Open: open,
		Arm: func(f attempttest.Fault) {
			if err := e.sim.SetFault(faultModes[f], 1); err != nil {
				t.Fatal(err)
			}
		},
		Held: func(id string) int {
			no := orderNo(id)
			if op == atobarai.OpCredit {
				if _, ok := e.sim.Order(no); ok {
					return 1
				}
				return 0
			}
			return historyCount(e.sim, no, held[op])
		},
		Agree: func(id string) error {
			tx, err := base.Txn(ctx, id)
			if err != nil {
				return err
			}
			so, ok := e.sim.Order(tx.OrderNo)
			if !ok {
				return fmt.Errorf("simulator has no order %s", tx.OrderNo)
			}
			if tx.Busy != "" {
				return fmt.Errorf("transaction still busy with %s", tx.Busy)
			}
			switch op {
			case atobarai.OpCredit:
				if tx.Credit != atobarai.CreditOK || so.Result != yamato.CreditOK || tx.CreditResult != "0" {
					return fmt.Errorf("credit %s result %q; simulator %s", tx.Credit, tx.CreditResult, so.Result)
				}
			case atobarai.OpShipment:
				if tx.Status != "3" || tx.TrackingNo != so.TrackingNo || so.Status != yamato.StatusShipped {
					return fmt.Errorf("status %s tracking %s; simulator %s %s", tx.Status, tx.TrackingNo, so.Status, so.TrackingNo)
				}
			case atobarai.OpCancel:
				if tx.Status != "2" || so.Status != yamato.StatusCancelled {
					return fmt.Errorf("status %s; simulator %s", tx.Status, so.Status)
				}
			case atobarai.OpReduce:
				if tx.Total != 3000 || so.Total != 3000 {
					return fmt.Errorf("total %d; simulator %d", tx.Total, so.Total)
				}
			}
			return openAttempts(ctx, d, attempt.New(e.clk), id)
		},
		Advance: e.clk.Advance,
		Settled: 5 * time.Minute,
	}
}

var trackingNo = yamato.WithCheckDigit("12345678901")

func (in *moneyInstance) Execute(ctx context.Context, id string, o attempttest.Options) error {
	r := attempt.NewRunner(in.d, in.log)
	r.StepHook = o.Step
	if o.CallTimeout > 0 {
		r.CallTimeout = o.CallTimeout
	}
	svc := in.svc.WithRunner(r)
	var err error
	switch in.op {
	case atobarai.OpCredit:
		_, err = svc.Credit(ctx, id)
	case atobarai.OpShipment:
		_, err = svc.Ship(ctx, id, atobarai.ShipmentInput{TrackingNo: trackingNo})
	case atobarai.OpCancel:
		_, err = svc.Cancel(ctx, id)
	case atobarai.OpReduce:
		_, err = svc.Reduce(ctx, id, atobarai.ReduceInput{Total: 3000, Items: []yamato.Item{
			{Name: "りんご", Count: 1, UnitPrice: 2500, SubTotal: 2500}, {Name: "送料", Count: 1, UnitPrice: 500, SubTotal: 500}}})
	}
	return err
}

func (in *moneyInstance) Settle(ctx context.Context) error {
	if _, err := in.jan.Run(ctx); err != nil {
		return err
	}
	_, err := in.svc.RunQueued(ctx)
	return err
}
