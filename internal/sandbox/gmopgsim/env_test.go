package gmopgsim_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"kessai/internal/platform/clock"
	"kessai/internal/provider/gmopg"
	"kessai/internal/sandbox/gmopgsim"
)

const prefix = "/sandbox/gmopg"

// start is Monday 2026-03-02 10:00 JST.
var start = time.Date(2026, 3, 2, 10, 0, 0, 0, clock.JST)

type env struct {
	t      *testing.T
	clk    *clock.Sandbox
	sim    *gmopgsim.Sim
	srv    *httptest.Server
	client *gmopg.Client
	cfg    gmopg.Config
	dir    string
	recv   *receiver
	delays []time.Duration
}

// receiver stands for kessai's notification endpoint.
type receiver struct {
	mu     sync.Mutex
	got    []gmopg.Notification
	answer string
}

func (rc *receiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	n, err := gmopg.ReadNotification(r)
	rc.mu.Lock()
	defer rc.mu.Unlock()
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	rc.got = append(rc.got, n)
	io.WriteString(w, rc.answer)
}

func (rc *receiver) all() []gmopg.Notification {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([]gmopg.Notification(nil), rc.got...)
}

type envOpt func(*gmopgsim.Options, *gmopg.Config)

// newEnv mounts a Sim under prefix on a real HTTP server with a notification receiver, and a
// client whose retry sleeps are recorded instead of waited.
func newEnv(t *testing.T, opts ...envOpt) *env {
	t.Helper()
	e := &env{t: t, clk: clock.NewFrozen(start), dir: t.TempDir(), recv: &receiver{answer: gmopg.NotificationAck}}
	recvSrv := httptest.NewServer(e.recv)
	t.Cleanup(recvSrv.Close)
	so := gmopgsim.Options{Clock: e.clk, Prefix: prefix, StateDir: e.dir, NotifyURL: recvSrv.URL + "/notify"}
	var cfg gmopg.Config
	for _, o := range opts {
		o(&so, &cfg)
	}
	e.sim = e.newSim(so)
	mux := http.NewServeMux()
	mux.Handle(prefix+"/", http.StripPrefix(prefix, e.sim.Handler()))
	e.srv = httptest.NewServer(mux)
	t.Cleanup(e.srv.Close)
	base := e.sim.Config(e.srv.URL)
	base.Timeout, base.Retry = cfg.Timeout, cfg.Retry
	base.Retry.Sleep = func(_ context.Context, d time.Duration) error { e.delays = append(e.delays, d); return nil }
	e.cfg = base
	e.client = gmopg.New(base)
	return e
}

func (e *env) newSim(so gmopgsim.Options) *gmopgsim.Sim {
	e.t.Helper()
	sim, err := gmopgsim.New(so)
	if err != nil {
		e.t.Fatal(err)
	}
	e.t.Cleanup(func() { sim.Stop() })
	return sim
}

// raw POSTs a form to the API and returns the answer bytes and content type.
func (e *env) raw(api, form string) (string, string) {
	e.t.Helper()
	res, err := http.Post(e.srv.URL+prefix+"/payment/"+api+".idPass", "application/x-www-form-urlencoded", strings.NewReader(form))
	if err != nil {
		e.t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	if res.StatusCode != http.StatusOK {
		e.t.Fatalf("%s: HTTP %d", api, res.StatusCode)
	}
	return string(b), res.Header.Get("Content-Type")
}

func (e *env) shopForm(extra string) string {
	return "ShopID=" + gmopgsim.DefaultShopID + "&ShopPass=" + gmopgsim.DefaultShopPass + extra
}

// wantInfos fails unless err is an *APIError with exactly these ErrInfo codes, in order.
func wantInfos(t *testing.T, what string, err error, infos ...string) {
	t.Helper()
	if len(infos) == 0 {
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		return
	}
	ae, ok := errors.AsType[*gmopg.APIError](err)
	if !ok {
		t.Fatalf("%s: err = %v (%T), want ErrInfo %v", what, err, err, infos)
	}
	if !reflect.DeepEqual(ae.Infos(), infos) {
		t.Fatalf("%s: ErrInfo = %v, want %v", what, ae.Infos(), infos)
	}
}

func (e *env) member(id string, cards ...string) {
	e.t.Helper()
	ctx := context.Background()
	if err := e.client.SaveMember(ctx, id, "テスト 会員"); err != nil {
		e.t.Fatal(err)
	}
	for i, no := range cards {
		if _, err := e.client.SaveCard(ctx, gmopg.SaveCardInput{MemberID: id, CardNo: no, Expire: "2704", Default: i == 0}); err != nil {
			e.t.Fatal(err)
		}
	}
}

// token returns a sandbox token holding a raw "+" or "/", so the raw-answer path is exercised.
func (e *env) token(cardNo string) string {
	e.t.Helper()
	for range 100 {
		tok, err := e.sim.Tokenize(cardNo, "2812", "123", "TARO YAMADA")
		if err != nil {
			e.t.Fatal(err)
		}
		if strings.ContainsAny(tok, "+/") {
			return tok
		}
	}
	e.t.Fatal("no token with + or /")
	return ""
}
