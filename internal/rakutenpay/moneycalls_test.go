package rakutenpay_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"kessai/internal/commerce"
	"kessai/internal/platform/attempt"
	"kessai/internal/platform/attempt/attempttest"
	"kessai/internal/platform/db"
	"kessai/internal/provider/rakuten"
	"kessai/internal/rakutenpay"
	"kessai/internal/sandbox/rakutensim"
)

// TestCancelRequestMoneyCalls runs the cancel request (cancelOrder) through the platform's
// conformance suite: a crash at every step, every fault after and before Rakuten takes the
// request, concurrent executions, a stalled sender racing the janitor and a late answer —
// Rakuten must hold the cancel request exactly once and the slip must say キャンセル申請中 (or
// キャンセル確定) with no attempt left open.
func TestCancelRequestMoneyCalls(t *testing.T) {
	t.Parallel()
	attempttest.Run(t, attempttest.Room{New: cancelWorld})
}

type cancelInstance struct {
	e     *env
	d     *db.DB
	store *commerce.Store
	jan   *attempt.Janitor
	svc   *rakutenpay.Service
}

func (i cancelInstance) service(o attempttest.Options) *rakutenpay.Service {
	r := attempt.NewRunner(i.d, i.e.log)
	r.StepHook = o.Step
	if o.CallTimeout > 0 {
		r.CallTimeout = o.CallTimeout
	}
	svc := rakutenpay.NewService(i.d, i.e.clk, i.store, i.e.reg, r, rakutenpay.Options{Throttles: rakuten.NewThrottles(0), CallTimeout: 10 * time.Second})
	if err := svc.Declare(i.e.url); err != nil {
		i.e.t.Fatal(err)
	}
	return svc
}

func (i cancelInstance) Execute(ctx context.Context, id string, o attempttest.Options) error {
	_, err := i.service(o).RequestCancel(ctx, id, rakuten.CancelReasonBuyerCancel)
	return err
}

func (i cancelInstance) Settle(ctx context.Context) error {
	if _, err := i.jan.Run(ctx); err != nil {
		return err
	}
	_, err := i.svc.Poll(ctx, i.e.shop.ID)
	return err
}

func cancelWorld(t *testing.T) attempttest.World {
	e := newEnv(t)
	var mu sync.Mutex
	numbers := map[string]string{} // slip ID → Rakuten order number
	var fault attempttest.Fault
	e.wrap = func(w http.ResponseWriter, r *http.Request, next http.Handler) {
		if !strings.Contains(r.URL.Path, "cancelOrder") {
			next.ServeHTTP(w, r)
			return
		}
		mu.Lock()
		f := fault
		fault = ""
		mu.Unlock()
		switch f {
		case attempttest.ServerErrorBeforeAccept:
			http.Error(w, "boom", http.StatusInternalServerError)
			return
		case "":
			next.ServeHTTP(w, r)
			return
		}
		next.ServeHTTP(httptest.NewRecorder(), r) // Rakuten takes it…
		switch f {
		case attempttest.TimeoutAfterAccept:
			<-r.Context().Done()
		case attempttest.CloseAfterAccept:
			if hj, ok := w.(http.Hijacker); ok {
				if c, _, err := hj.Hijack(); err == nil {
					c.Close()
				}
			}
		case attempttest.ServerErrorAfterAccept:
			http.Error(w, "boom", http.StatusBadGateway)
		}
	}
	open := func(second bool) attempttest.Instance {
		d := e.db
		if second && e.db.Dialect() == db.Postgres {
			d2, err := db.Open(context.Background(), e.db.URL, "")
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { d2.Close() })
			d = d2
		}
		i := cancelInstance{e: e, d: d, store: commerce.NewStore(d, e.clk, e.audit)}
		i.svc = i.service(attempttest.Options{})
		i.jan = attempt.NewJanitor(d, e.log)
		i.jan.HandleAfter(rakutenpay.Room, rakutenpay.OpCancel, rakutenpay.NewCancelResolver(i.svc), 0)
		return i
	}
	return attempttest.World{
		Prepare: func() string {
			n := e.order(rakutensim.NewOrder{Confirmed: true, Authorize: "ok"})
			e.poll()
			s := e.slip(n)
			if _, err := e.store.CancelOrder(e.ctx, s.ID, s.Version); err != nil {
				t.Fatal(err)
			}
			mu.Lock()
			numbers[s.ID] = n
			mu.Unlock()
			return s.ID
		},
		Open: open,
		Arm:  func(f attempttest.Fault) { mu.Lock(); fault = f; mu.Unlock() },
		Held: func(id string) int {
			mu.Lock()
			n := numbers[id]
			mu.Unlock()
			res, err := rakuten.New(rakuten.Config{BaseURL: e.url, ServiceSecret: rakutensim.DefaultServiceSecret, LicenseKey: rakutensim.DefaultLicenseKey,
				Throttle: rakuten.NewThrottle(0)}).GetOrder(context.Background(), []string{n})
			if err != nil || len(res.Orders) != 1 {
				t.Fatalf("held: %v", err)
			}
			held := 0
			for _, c := range res.Orders[0].ChangeReasons {
				if c.ChangeType != nil && *c.ChangeType == 1 {
					held++
				}
			}
			return held
		},
		Agree: func(id string) error {
			l, err := e.svc.LinkOf(context.Background(), e.db, id)
			if err != nil {
				return err
			}
			if l.CancelState != rakutenpay.CancelRequested && l.CancelState != rakutenpay.CancelConfirmed {
				return fmt.Errorf("cancel state %q (%s)", l.CancelState, l.CancelError)
			}
			atts, err := e.log.ForRecord(context.Background(), e.db, rakutenpay.RecordOrder, id)
			if err != nil {
				return err
			}
			for _, a := range atts {
				if !a.State.Final() {
					return fmt.Errorf("attempt %s left %s", a.ID, a.State)
				}
			}
			return nil
		},
		Advance: func(d time.Duration) { e.wall.Advance(d); e.clk.Advance(d) },
		Settled: 5 * time.Minute,
	}
}
