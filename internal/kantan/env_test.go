package kantan_test

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"kessai/internal/commerce"
	"kessai/internal/kantan"
	"kessai/internal/platform/attempt"
	"kessai/internal/platform/audit"
	"kessai/internal/platform/auth"
	"kessai/internal/platform/clock"
	"kessai/internal/platform/connection"
	"kessai/internal/platform/db"
	"kessai/internal/platform/db/dbtest"
	"kessai/internal/platform/secrets"
	"kessai/internal/provider/gmopg"
	"kessai/internal/provider/gmopg/gmopgconn"
	"kessai/internal/sandbox/gmopgsim"
)

const prefix = "/sandbox/gmopg"

type env struct {
	t      testing.TB
	ctx    context.Context
	clk    *clock.Sandbox
	db     *db.DB
	store  *commerce.Store
	sim    *gmopgsim.Sim
	simURL string
	conn   *gmopgconn.Connection
	svc    *kantan.Service
	log    *attempt.Log
	jan    *attempt.Janitor
	shop   commerce.Shop
}

// newEnv is kessai's database with commerce and the room, the GMO-PG simulator over real HTTP,
// the room's service as commerce's payment handler of kantan orders, all on one frozen clock.
func newEnv(t testing.TB, start time.Time, opts ...func(*gmopgsim.Options)) *env {
	t.Helper()
	e := &env{t: t, clk: clock.NewFrozen(start)}
	e.db = dbtest.Open(t, audit.Migrations, secrets.Migrations, commerce.Migrations, attempt.Migrations, kantan.Migrations)
	al := &audit.Log{Now: e.clk.Now}
	sealer, err := secrets.New(bytes.Repeat([]byte{7}, 32))
	if err != nil {
		t.Fatal(err)
	}
	reg := connection.New(e.db, &secrets.Store{Sealer: sealer, Audit: al, Now: e.clk.Now}, e.clk, nil)
	so := gmopgsim.Options{Clock: e.clk, Prefix: prefix, StateDir: t.TempDir()}
	for _, o := range opts {
		o(&so)
	}
	e.sim, err = gmopgsim.New(so)
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle(prefix+"/", http.StripPrefix(prefix, e.sim.Handler()))
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	e.simURL = srv.URL + prefix
	e.conn, err = gmopgconn.Declare(e.db, reg, gmopgconn.Options{RoomLabel: "かんたん決済", SandboxAPI: e.simURL, Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	e.log = attempt.New(e.clk)
	e.svc = e.service(e.db)
	e.store = e.svc.Store()
	e.jan = e.janitor(e.db, e.svc)
	e.ctx = auth.WithPrincipal(context.Background(), &auth.Principal{Kind: auth.KindUser, ID: "u1", Name: "keiri@example.com", Role: auth.RoleAdmin})
	e.shop, err = e.store.CreateShop(e.ctx, commerce.Shop{Code: "main", Name: "本店"})
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func (e *env) service(d *db.DB) *kantan.Service {
	store := commerce.NewStore(d, e.clk, &audit.Log{Now: e.clk.Now})
	svc := kantan.NewService(d, e.clk, attempt.NewRunner(d, e.log), e.conn, store, nil, nil, "http://kessai.test")
	store.AddPaymentHandler(svc.Handler(), "kantan", "credit_card")
	return svc
}

func (e *env) janitor(d *db.DB, svc *kantan.Service) *attempt.Janitor {
	j := attempt.NewJanitor(d, e.log)
	for _, op := range []string{kantan.OpCapture, kantan.OpCancel, kantan.OpChange, kantan.OpExtend, kantan.OpAuthorize} {
		j.HandleAfter(kantan.Room, op, kantan.NewResolver(svc, op), 0)
	}
	return j
}

// checkout creates a kantan order of amount through commerce (as POST /api/v1/orders does)
// and lets the buyer act on the simulator's payment page; it returns the order.
func (e *env) checkout(amount int64, action gmopgsim.BuyerAction) commerce.Order {
	e.t.Helper()
	o, st := e.create(amount)
	_, back, err := e.sim.Buy(st.AccessID, st.Token, action)
	if err != nil {
		e.t.Fatal(err)
	}
	body, err := gmopg.EncodeForm(back)
	if err != nil {
		e.t.Fatal(err)
	}
	if _, err := e.svc.Returned(e.ctx, []byte(body)); err != nil {
		e.t.Fatal(err)
	}
	return o
}

func (e *env) payment(orderID string) kantan.Payment {
	e.t.Helper()
	p, err := e.svc.Payment(e.ctx, orderID)
	if err != nil {
		e.t.Fatal(err)
	}
	return p
}

func (e *env) order(id string) commerce.Order {
	e.t.Helper()
	o, err := e.store.GetOrder(e.ctx, id)
	if err != nil {
		e.t.Fatal(err)
	}
	return o
}

func (e *env) trade(o commerce.Order) gmopgsim.Trade {
	e.t.Helper()
	t, ok := e.sim.Trade(e.payment(o.ID).PGOrderID)
	if !ok {
		e.t.Fatalf("no trade for %s", o.Number)
	}
	return t
}

func (e *env) settings(f func(*kantan.Settings)) {
	e.t.Helper()
	st := kantan.DefaultSettings
	f(&st)
	if err := e.svc.SaveSettings(e.ctx, st); err != nil {
		e.t.Fatal(err)
	}
}

// setAmount edits the order's total (注文内容修正) to amount.
func (e *env) setAmount(id string, amount int64) error {
	_, err := e.store.ModifyOrder(e.ctx, id, func(o *commerce.Order) error {
		o.Lines = []commerce.OrderLine{{Name: "テスト商品", UnitPrice: amount, Quantity: 1}}
		o.Subtotal, o.Total = 0, 0
		return nil
	})
	return err
}

func jst(y int, m time.Month, d, h, min int) time.Time {
	return time.Date(y, m, d, h, min, 0, 0, clock.JST)
}

func (e *env) setClock(t time.Time) {
	e.t.Helper()
	d := t.Sub(e.clk.Now())
	if d < 0 {
		e.t.Fatalf("clock would go back from %s to %s", e.clk.Now(), t)
	}
	e.clk.Advance(d)
}

func orderOf(e *env, source string, amount int64) commerce.Order {
	return commerce.Order{ShopID: e.shop.ID, Source: source, PaymentMethod: "kantan",
		Lines: []commerce.OrderLine{{Name: "テスト商品", UnitPrice: amount, Quantity: 1}}}
}

// start is what the buyer's browser posts to StartURL.
type start struct{ URL, AccessID, Token string }

// create creates a kantan order of amount as POST /api/v1/orders does.
func (e *env) create(amount int64) (commerce.Order, start) {
	e.t.Helper()
	o, pay, err := e.store.CreateOrderPayment(e.ctx, orderOf(e, "api", amount))
	if err != nil {
		e.t.Fatal(err)
	}
	u, _ := pay["start_url"].(string)
	a, _ := pay["access_id"].(string)
	tok, _ := pay["token"].(string)
	if u == "" || a == "" || tok == "" {
		e.t.Fatalf("no start: %+v", pay)
	}
	return o, start{u, a, tok}
}

func jstLoc() *time.Location { return clock.JST }
