package atobarai_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"kessai/internal/atobarai"
	"kessai/internal/platform/attempt"
	"kessai/internal/platform/clock"
	"kessai/internal/platform/db"
	"kessai/internal/provider/yamato"
	"kessai/internal/sandbox/yamatosim"
)

const prefix = "/sandbox/yamato"

// start is Monday 2026-03-02 10:00 JST.
var start = time.Date(2026, 3, 2, 10, 0, 0, 0, clock.JST)

// simClients is a fixed client to a test's simulator.
type simClients struct {
	base string
	clk  clock.Clock
	mode string
}

func (c simClients) Client(context.Context) (*yamato.Client, atobarai.Settings, error) {
	return yamato.New(yamato.Config{BaseURL: c.base, StoreCode: yamatosim.DefaultStoreCode, Password: yamatosim.DefaultPassword,
		Clock: c.clk, Timeout: 10 * time.Second}), atobarai.Settings{Mode: c.mode, Sandbox: true, BaseURL: c.base}, nil
}

// simEnv is the simulator on a real HTTP server with one frozen clock.
type simEnv struct {
	clk     *clock.Sandbox
	sim     *yamatosim.Sim
	clients simClients
}

func newSim(t *testing.T, opts ...func(*yamatosim.Options)) *simEnv {
	t.Helper()
	e := &simEnv{clk: clock.NewFrozen(start)}
	so := yamatosim.Options{Clock: e.clk, Prefix: prefix, FollowUpWindow: -1}
	for _, o := range opts {
		o(&so)
	}
	e.sim = yamatosim.New(so)
	mux := http.NewServeMux()
	mux.Handle(prefix+"/", http.StripPrefix(prefix, e.sim))
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	e.clients = simClients{base: e.sim.BaseURL(srv.URL), clk: e.clk, mode: atobarai.ModeAPI}
	return e
}

var addrSeq struct {
	sync.Mutex
	n int
}

// creditRequest is a good request for a buyer named name, to an address no other test uses
// (the simulator's repeated-address rule counts orders per address).
func creditRequest(name string, total int64) yamato.CreditRequest {
	addrSeq.Lock()
	addrSeq.n++
	n := addrSeq.n
	addrSeq.Unlock()
	return yamato.CreditRequest{OrderDate: start, ShipDate: start, Name: name, NameKana: "ヤマダ タロウ", PostCode: "100-0005",
		Address: fmt.Sprintf("東京都千代田区丸の内1-%d-1", n), Tel: "03-1234-5678", Email: "buyer@example.jp", TotalAmount: total,
		Items: []yamato.Item{{Name: "りんご", Count: 1, UnitPrice: total - 500, SubTotal: total - 500}, {Name: "送料", Count: 1, UnitPrice: 500, SubTotal: 500}}}
}

// historyCount counts the simulator's history lines of an order starting with what.
func historyCount(sim *yamatosim.Sim, orderNo, what string) int {
	o, ok := sim.Order(orderNo)
	if !ok {
		return 0
	}
	n := 0
	for _, h := range o.History {
		if strings.HasPrefix(h.What, what) {
			n++
		}
	}
	return n
}

// openAttempts fails unless every attempt of the transaction is final.
func openAttempts(ctx context.Context, d *db.DB, l *attempt.Log, id string) error {
	atts, err := l.ForRecord(ctx, d, atobarai.RecordType, id)
	if err != nil {
		return err
	}
	for _, a := range atts {
		if !a.State.Final() {
			return fmt.Errorf("attempt %s (%s) left %s", a.ID, a.Operation, a.State)
		}
	}
	return nil
}
