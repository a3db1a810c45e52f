package rakutenpay_test

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"kessai/internal/commerce"
	"kessai/internal/platform/attempt"
	"kessai/internal/platform/audit"
	"kessai/internal/platform/auth"
	"kessai/internal/platform/clock"
	"kessai/internal/platform/connection"
	"kessai/internal/platform/db"
	"kessai/internal/platform/db/dbtest"
	"kessai/internal/platform/lease"
	"kessai/internal/platform/secrets"
	"kessai/internal/provider/rakuten"
	"kessai/internal/rakutenpay"
	"kessai/internal/sandbox/rakutensim"
)

const prefix = "/sandbox/rakuten"

// start is Monday 2026-03-02 10:00 JST.
var start = time.Date(2026, 3, 2, 10, 0, 0, 0, clock.JST)

type env struct {
	t     testing.TB
	ctx   context.Context
	clk   *clock.Sandbox
	wall  *clock.Sandbox // the attempts' clock
	db    *db.DB
	store *commerce.Store
	audit *audit.Log
	reg   *connection.Registry
	sim   *rakutensim.Sim
	svc   *rakutenpay.Service
	shop  commerce.Shop
	log   *attempt.Log
	jan   *attempt.Janitor
	url   string

	mu    sync.Mutex
	calls map[string]int
	// wrap, when set, serves the simulator's requests (fault injection).
	wrap func(w http.ResponseWriter, r *http.Request, next http.Handler)
}

// newEnv is kessai's database with the room's tables, the simulator over real HTTP, and the
// room's service for one shop whose Rakuten import is on, all on one frozen clock, with the
// throttle off.
func newEnv(t testing.TB, settings ...map[string]string) *env {
	t.Helper()
	e := &env{t: t, clk: clock.NewFrozen(start), calls: map[string]int{}}
	e.db = dbtest.Open(t, audit.Migrations, secrets.Migrations, lease.Migrations, commerce.Migrations, attempt.Migrations, rakutenpay.Migrations)
	al := &audit.Log{Now: e.clk.Now}
	e.audit = al
	e.store = commerce.NewStore(e.db, e.clk, al)
	sealer, err := secrets.New(bytes.Repeat([]byte{7}, 32))
	if err != nil {
		t.Fatal(err)
	}
	e.reg = connection.New(e.db, &secrets.Store{Sealer: sealer, Audit: al, Now: e.clk.Now}, e.clk, nil)
	e.sim = rakutensim.New(rakutensim.Options{Clock: e.clk, Prefix: prefix})
	mux := http.NewServeMux()
	mux.Handle(prefix+"/", http.StripPrefix(prefix, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if m, ok := strings.CutPrefix(r.URL.Path, rakuten.OrderPath); ok {
			e.mu.Lock()
			e.calls[strings.TrimSuffix(m, "/")]++
			wrap := e.wrap
			e.mu.Unlock()
			if wrap != nil {
				wrap(w, r, e.sim)
				return
			}
		}
		e.sim.ServeHTTP(w, r)
	})))
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	e.url = srv.URL + prefix
	e.wall = clock.NewFrozen(time.Date(2026, 3, 2, 1, 0, 0, 0, time.UTC))
	e.log = attempt.New(e.wall)
	e.svc = rakutenpay.NewService(e.db, e.clk, e.store, e.reg, attempt.NewRunner(e.db, e.log),
		rakutenpay.Options{Throttles: rakuten.NewThrottles(0), CallTimeout: 10 * time.Second})
	if err := e.svc.Declare(e.url); err != nil {
		t.Fatal(err)
	}
	e.jan = attempt.NewJanitor(e.db, e.log)
	e.jan.HandleAfter(rakutenpay.Room, rakutenpay.OpCancel, rakutenpay.NewCancelResolver(e.svc), 0)
	e.ctx = auth.WithPrincipal(context.Background(), &auth.Principal{Kind: auth.KindUser, ID: "u1", Name: "staff@example.com", Role: auth.RoleAdmin})
	e.shop, err = e.store.CreateShop(e.ctx, commerce.Shop{Code: "rk", Name: "楽天店"})
	if err != nil {
		t.Fatal(err)
	}
	in := map[string]string{rakutenpay.FieldServiceSecret: rakutensim.DefaultServiceSecret, rakutenpay.FieldLicenseKey: rakutensim.DefaultLicenseKey,
		rakutenpay.FieldImport: "on", "_environment": "sandbox"}
	for _, c := range rakuten.SettlementCodes() {
		switch {
		case c == rakuten.SettleCOD:
			in[rakutenpay.MapField(c)] = "cod"
		case c.DefaultRakutenPay():
			in[rakutenpay.MapField(c)] = "rakuten_pay"
		}
	}
	for _, s := range settings {
		for k, v := range s {
			in[k] = v
		}
	}
	if err := e.reg.Save(e.ctx, rakutenpay.ProviderKey, e.shop.ID, in); err != nil {
		t.Fatal(err)
	}
	return e
}

func (e *env) callCount(method string) int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.calls[method]
}

// orders creates count sim orders like n.
func (e *env) orders(n rakutensim.NewOrder, count int) []string {
	e.t.Helper()
	nums, err := e.sim.CreateOrders(n, count)
	if err != nil {
		e.t.Fatal(err)
	}
	return nums
}

func (e *env) order(n rakutensim.NewOrder) string { return e.orders(n, 1)[0] }

// poll runs one poll of the shop and fails the test on an error.
func (e *env) poll() rakutenpay.Report {
	e.t.Helper()
	rep, err := e.svc.Poll(e.ctx, e.shop.ID)
	if err != nil {
		e.t.Fatalf("poll: %v (report %+v)", err, rep)
	}
	return rep
}

// slip is the slip imported from Rakuten order number.
func (e *env) slip(number string) commerce.Order {
	e.t.Helper()
	var id string
	if err := e.db.QueryRowContext(e.ctx, `SELECT order_id FROM rakutenpay_orders WHERE rakuten_number = ?`, number).Scan(&id); err != nil {
		e.t.Fatalf("slip of %s: %v", number, err)
	}
	o, err := e.store.GetOrder(e.ctx, id)
	if err != nil {
		e.t.Fatal(err)
	}
	return o
}

func (e *env) link(orderID string) rakutenpay.Link {
	e.t.Helper()
	l, err := e.svc.LinkOf(e.ctx, e.db, orderID)
	if err != nil {
		e.t.Fatal(err)
	}
	return l
}

// advance moves the clock by d.
func (e *env) advance(d time.Duration) { e.clk.Advance(d) }

// history is the slip's rakutenpay history summaries.
func (e *env) history(orderID string) []string {
	e.t.Helper()
	hs, err := e.store.OrderHistory(e.ctx, orderID)
	if err != nil {
		e.t.Fatal(err)
	}
	var out []string
	for _, h := range hs {
		if h.Room == rakutenpay.Room {
			out = append(out, h.Summary+" | "+h.Detail)
		}
	}
	return out
}

type slipWant struct{ status, payment, auth, on string }

func (e *env) wantSlip(o commerce.Order, w slipWant) {
	e.t.Helper()
	got := slipWant{o.OrderStatus, o.PaymentStatus, o.AuthorizationStatus, o.AuthorizedOn}
	if got != w {
		e.t.Fatalf("slip %s (%s): got 受注状態/入金/承認/承認日 %+v, want %+v\nhistory:\n%s", o.Number, o.ExternalRef, got, w, strings.Join(e.history(o.ID), "\n"))
	}
}

var (
	initial    = slipWant{"new", "unpaid", "pending", ""}
	day        = 24 * time.Hour
	jstDate    = func(t time.Time) string { return t.In(clock.JST).Format("2006-01-02") }
	paidOn     = func(t time.Time) slipWant { return slipWant{"new", "paid", "authorized", jstDate(t)} }
	cancelled  = slipWant{"cancelled", "unpaid", "pending", ""}
	card       = rakuten.SettleCard
	rakutenPay = "rakuten_pay"
)
