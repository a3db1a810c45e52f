package payout_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"kessai/internal/commerce"
	"kessai/internal/payout"
	"kessai/internal/platform/attempt"
	"kessai/internal/platform/audit"
	"kessai/internal/platform/auth"
	"kessai/internal/platform/clock"
	"kessai/internal/platform/db"
	"kessai/internal/platform/db/dbtest"
	"kessai/internal/platform/zengin"
	"kessai/internal/provider/aozora"
	"kessai/internal/sandbox/aozorasim"
)

// start is Monday 2026-03-02 10:00 JST, a business day.
var start = time.Date(2026, 3, 2, 10, 0, 0, 0, clock.JST)

const accountID = "101011234567" // the simulator's first account

// env is a payout room over a real database and the simulator on a real HTTP server.
type env struct {
	t     testing.TB
	ctx   context.Context
	clk   *clock.Sandbox // the business clock (the sandbox clock in kessai serve)
	wall  *clock.Sandbox // the wall clock: attempts' stamps, the janitor's staleness
	db    *db.DB
	sim   *aozorasim.Sim
	srv   *httptest.Server
	bank  payout.BankFunc
	room  *room
	shop  string
	accnt int
	// answer, when set, rewrites the simulator's answers (a bank that misbehaves in ways the
	// simulator does not play).
	answer func(r *http.Request, status int, body []byte) []byte
}

// room is what one process holds; a "restart" builds a new one over the same database.
type room struct {
	svc      *payout.Service
	exec     *payout.Executor
	resolver *payout.Resolver
	janitor  *attempt.Janitor
	poller   *payout.Poller
}

// newEnv builds the env; opts adjust the simulator's options.
func newEnv(t testing.TB, opts ...func(*aozorasim.Options)) *env {
	t.Helper()
	e := &env{t: t, clk: clock.NewFrozen(start), wall: clock.NewFrozen(start)}
	e.ctx = auth.WithPrincipal(context.Background(), &auth.Principal{Kind: auth.KindUser, ID: "u1", Name: "keiri@example.com", Role: auth.RoleAccountant})
	e.db = dbtest.Open(t, audit.Migrations, commerce.Migrations, attempt.Migrations, payout.Migrations)
	so := aozorasim.Options{Clock: e.clk, HangTimeout: 5 * time.Second}
	for _, o := range opts {
		o(&so)
	}
	e.sim = aozorasim.New(so)
	e.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if e.answer == nil {
			e.sim.ServeHTTP(w, r)
			return
		}
		rec := httptest.NewRecorder()
		e.sim.ServeHTTP(rec, r)
		for k, v := range rec.Header() {
			w.Header()[k] = v
		}
		w.WriteHeader(rec.Code)
		_, _ = w.Write(e.answer(r, rec.Code, rec.Body.Bytes()))
	}))
	t.Cleanup(e.srv.Close)
	cfg := aozora.Config{AuthBaseURL: e.sim.AuthBaseURL(e.srv.URL), APIBaseURL: e.sim.APIBaseURL(e.srv.URL),
		ClientID: aozorasim.DefaultClientID, ClientSecret: aozorasim.DefaultClientSecret,
		RedirectURI: "http://kessai.test/callback", Clock: e.clk, HTTPClient: &http.Client{Timeout: 5 * time.Second}}
	oauth := aozora.New(cfg)
	code, _, err := aozorasim.LogIn(e.ctx, nil, oauth.AuthCodeURL("s"), aozorasim.DefaultClientID, aozorasim.DefaultPassword)
	if err != nil {
		t.Fatalf("log in to the simulator: %v", err)
	}
	tok, err := oauth.Exchange(e.ctx, code)
	if err != nil {
		t.Fatalf("exchange: %v", err)
	}
	client := oauth.WithTokenSource(aozora.NewTokenHolder(oauth, tok, aozora.HolderOptions{Clock: e.clk}))
	e.bank = func(context.Context) (payout.Bank, error) {
		return payout.Bank{Client: client, AccountID: accountID}, nil
	}
	e.shop = db.NewID("shp")
	now := e.clk.Now()
	if _, err := e.db.ExecContext(e.ctx, `INSERT INTO shops (id, code, name, created_at, updated_at) VALUES (?, 'S1', '本店', ?, ?)`, e.shop, now, now); err != nil {
		t.Fatal(err)
	}
	e.room = e.open()
	return e
}

// open builds the room's parts afresh over the same database, as a restarted process would.
func (e *env) open() *room { return e.openOn(e.db) }

// openOn builds the room over d (a second pool to the same PostgreSQL database is a second
// instance).
func (e *env) openOn(d *db.DB) *room {
	banks, err := zengin.Load()
	if err != nil {
		e.t.Fatal(err)
	}
	att := attempt.New(e.wall)
	svc := payout.NewService(d, e.clk, &audit.Log{Now: e.clk.Now}, att, banks)
	r := &room{svc: svc, exec: payout.NewExecutor(svc, e.bank), resolver: payout.NewResolver(svc, e.bank), poller: payout.NewPoller(svc, e.bank)}
	// Long enough for a loaded CI machine (a bank call that times out leaves the transfer
	// 送信中 and fails tests that expect an answer); tests that inject a hanging bank shorten it.
	r.exec.CallTimeout = 10 * time.Second
	r.janitor = attempt.NewJanitor(d, att)
	r.janitor.Handle(payout.Room, payout.OpRequest, r.resolver)
	r.janitor.Handle(payout.Room, payout.OpBulkRequest, payout.NewBatchResolver(svc, e.bank))
	return r
}

// seller is a customer's bank account for seeding.
type seller struct {
	bank, branch, number, kana string
	amount                     int64
	caseStatus                 string
}

var goodSeller = seller{bank: "0001", branch: "001", number: "1234567", kana: "ﾔﾏﾀﾞ ﾀﾛｳ", amount: 12000, caseStatus: "stocked"}

// newCases inserts n cases, each with its own customer, in one transaction.
func (e *env) newCases(n int, s seller) []string {
	e.t.Helper()
	ids := make([]string, n)
	now := e.clk.Now()
	err := e.db.InTx(e.ctx, func(tx *db.Tx) error {
		for i := range ids {
			e.accnt++
			cus, cs := db.NewID("cus"), db.NewID("case")
			if _, err := tx.ExecContext(e.ctx, `INSERT INTO customers (id, code, name, bank_code, bank_name, branch_code, branch_name,
				account_type, account_number, account_holder_kana, created_at, updated_at) VALUES (?, ?, ?, ?, '', ?, '', ?, ?, ?, ?, ?)`,
				cus, fmt.Sprintf("C%07d", e.accnt), "山田 太郎", s.bank, s.branch, accountType(s), s.number, s.kana, now, now); err != nil {
				return err
			}
			if _, err := tx.ExecContext(e.ctx, `INSERT INTO purchase_cases (id, code, kind, shop_id, customer_id, status, confirmed_on,
				purchase_amount, created_at, updated_at) VALUES (?, ?, 'takuhai', ?, ?, ?, '2026-03-01', ?, ?, ?)`,
				cs, fmt.Sprintf("K%07d", e.accnt), e.shop, cus, s.caseStatus, s.amount, now, now); err != nil {
				return err
			}
			ids[i] = cs
		}
		return nil
	})
	if err != nil {
		e.t.Fatalf("seed cases: %v", err)
	}
	return ids
}

func accountType(s seller) string {
	if s.bank == "" {
		return ""
	}
	return "1"
}

// register requests one transfer for a new case with s.
func (e *env) register(s seller) payout.Transfer {
	e.t.Helper()
	id := e.newCases(1, s)[0]
	tr, err := e.room.svc.Register(e.ctx, id, payout.Input{})
	if err != nil {
		e.t.Fatalf("register: %v", err)
	}
	return tr
}

func (e *env) get(id string) payout.Transfer {
	e.t.Helper()
	tr, err := e.room.svc.Get(e.ctx, id)
	if err != nil {
		e.t.Fatal(err)
	}
	return tr
}

// simTransfers counts the requests the simulator received for amount.
func (e *env) simTransfers(amount int64) int {
	n := 0
	for _, v := range e.sim.Transfers() {
		if v.TotalAmount == amount {
			n++
		}
	}
	return n
}

// approve approves the waiting request applyNo in the simulator's mailbox.
func (e *env) approve(applyNo string) {
	e.t.Helper()
	for _, m := range e.sim.Mails() {
		if m.ApplyNo == applyNo && m.Kind == "approval" {
			if err := e.sim.Approve(m.Token, aozorasim.TransactionPassword); err != nil {
				e.t.Fatalf("approve %s: %v", applyNo, err)
			}
			return
		}
	}
	e.t.Fatalf("no approval mail for %s", applyNo)
}

// advance moves both clocks, as time passing does.
func (e *env) advance(d time.Duration) {
	e.clk.Advance(d)
	e.wall.Advance(d)
}

// settle runs the janitor and the poller as the periodic jobs would, after enough time for any
// stale or unknown attempt to be asked about and concluded.
func (e *env) settle() {
	e.t.Helper()
	e.advance(15 * time.Minute)
	if _, err := e.room.janitor.Run(e.ctx); err != nil {
		e.t.Fatalf("janitor: %v", err)
	}
	if _, err := e.room.poller.Poll(e.ctx); err != nil {
		e.t.Fatalf("poll: %v", err)
	}
}

func payoutInput() payout.Input { return payout.Input{} }
