package cardupdate_test

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"kessai/internal/cardupdate"
	"kessai/internal/commerce"
	"kessai/internal/platform/attempt"
	"kessai/internal/platform/audit"
	"kessai/internal/platform/auth"
	"kessai/internal/platform/clock"
	"kessai/internal/platform/connection"
	"kessai/internal/platform/db"
	"kessai/internal/platform/db/dbtest"
	"kessai/internal/platform/secrets"
	"kessai/internal/provider/gmopg/gmopgconn"
	"kessai/internal/sandbox/gmopgsim"
)

const prefix = "/sandbox/gmopg"

type env struct {
	t     testing.TB
	ctx   context.Context
	clk   *clock.Sandbox
	db    *db.DB
	store *commerce.Store
	sim   *gmopgsim.Sim
	conn  *gmopgconn.Connection
	svc   *cardupdate.Service
	log   *attempt.Log
	jan   *attempt.Janitor
}

// newEnv is kessai's database with the room's tables, the simulator over real HTTP and SFTP,
// and the room's service, all on one frozen clock at start.
func newEnv(t testing.TB, start time.Time, opts ...func(*gmopgsim.Options)) *env {
	t.Helper()
	e := &env{t: t, clk: clock.NewFrozen(start)}
	e.db = dbtest.Open(t, audit.Migrations, secrets.Migrations, commerce.Migrations, attempt.Migrations, cardupdate.Migrations)
	al := &audit.Log{Now: e.clk.Now}
	e.store = commerce.NewStore(e.db, e.clk, al)
	sealer, err := secrets.New(bytes.Repeat([]byte{5}, 32))
	if err != nil {
		t.Fatal(err)
	}
	reg := connection.New(e.db, &secrets.Store{Sealer: sealer, Audit: al, Now: e.clk.Now}, e.clk, nil)
	so := gmopgsim.Options{Clock: e.clk, Prefix: prefix, StateDir: t.TempDir()}
	for _, o := range opts {
		o(&so)
	}
	sim, err := gmopgsim.New(so)
	if err != nil {
		t.Fatal(err)
	}
	if err := sim.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sim.Stop() })
	e.sim = sim
	mux := http.NewServeMux()
	mux.Handle(prefix+"/", http.StripPrefix(prefix, sim.Handler()))
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	e.conn, err = gmopgconn.Declare(e.db, reg, gmopgconn.Options{RoomLabel: "カード洗替", SandboxAPI: srv.URL + prefix, SandboxSFTP: sim.Addr, Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	e.log = attempt.New(e.clk)
	e.svc = cardupdate.NewService(e.db, e.clk, attempt.NewRunner(e.db, e.log), e.conn)
	e.svc.TempDir = t.TempDir()
	e.jan = attempt.NewJanitor(e.db, e.log)
	e.jan.HandleAfter(cardupdate.Room, cardupdate.OpUpload, cardupdate.NewResolver(e.svc), 0)
	e.ctx = auth.WithPrincipal(context.Background(), &auth.Principal{Kind: auth.KindUser, ID: "u1", Name: "admin@example.com", Role: auth.RoleAdmin})
	return e
}

// card registers a customer with a GMO-PG card (at kessai and at the simulator), now.
func (e *env) card(member, number, expire string) commerce.Card {
	e.t.Helper()
	cu, err := e.store.CreateCustomer(e.ctx, commerce.Customer{Code: member, Name: "顧客 " + member, NameKana: "コキャク"})
	if err != nil {
		e.t.Fatal(err)
	}
	c, err := e.store.CreateCard(e.ctx, commerce.Card{CustomerID: cu.ID, Provider: cardupdate.ProviderGMOPG, MemberID: member, CardSeq: "0",
		MaskedPAN: "************" + number[12:], ExpireYM: expire})
	if err != nil {
		e.t.Fatal(err)
	}
	e.sim.SeedMembers(func(yield func(gmopgsim.SeedCard) bool) {
		yield(gmopgsim.SeedCard{MemberID: member, CardNo: number, Expire: expire})
	})
	return c
}

func (e *env) cardStatus(cardID string) string {
	e.t.Helper()
	var st string
	err := e.db.QueryRowContext(e.ctx, `SELECT status FROM cardupdate_card_status WHERE card_id = ?`, cardID).Scan(&st)
	if err != nil {
		return cardupdate.StatusUnchecked
	}
	return st
}

var jstLoc = clock.JST

func jst(y int, m time.Month, d, h int) time.Time { return time.Date(y, m, d, h, 0, 0, 0, clock.JST) }

// setClock moves the frozen clock forward to t.
func (e *env) setClock(t time.Time) {
	e.t.Helper()
	d := t.Sub(e.clk.Now())
	if d < 0 {
		e.t.Fatalf("clock would go back from %s to %s", e.clk.Now(), t)
	}
	e.clk.Advance(d)
}
