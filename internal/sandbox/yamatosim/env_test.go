package yamatosim_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"kessai/internal/platform/clock"
	"kessai/internal/provider/yamato"
	"kessai/internal/sandbox/yamatosim"
)

const prefix = "/sandbox/yamato"

// start is Monday 2026-03-02 10:00 JST.
var start = time.Date(2026, 3, 2, 10, 0, 0, 0, clock.JST)

type env struct {
	clk    *clock.Sandbox
	sim    *yamatosim.Sim
	srv    *httptest.Server
	client *yamato.Client
	ctx    context.Context
}

type envOpt func(*yamatosim.Options)

// newEnv mounts a Sim under prefix on a real HTTP server and returns a client for it, like
// kessai wires them. The follow-up window is off unless an option sets it.
func newEnv(t *testing.T, opts ...envOpt) *env {
	t.Helper()
	e := &env{clk: clock.NewFrozen(start), ctx: context.Background()}
	so := yamatosim.Options{Clock: e.clk, Prefix: prefix, FollowUpWindow: -1}
	for _, o := range opts {
		o(&so)
	}
	e.sim = yamatosim.New(so)
	mux := http.NewServeMux()
	mux.Handle(prefix+"/", http.StripPrefix(prefix, e.sim))
	e.srv = httptest.NewServer(mux)
	t.Cleanup(e.srv.Close)
	e.client = yamato.New(yamato.Config{BaseURL: e.sim.BaseURL(e.srv.URL), StoreCode: yamatosim.DefaultStoreCode,
		Password: yamatosim.DefaultPassword, Clock: e.clk, Timeout: 10 * time.Second})
	return e
}

// order returns a good credit request; name and address vary the test data.
func order(no, name string) yamato.CreditRequest {
	return yamato.CreditRequest{OrderNo: no, OrderDate: start, ShipDate: start.AddDate(0, 0, 1), Name: name,
		NameKana: "ヤマダ タロウ", PostCode: "100-0005", Address: "東京都千代田区丸の内1-1-1 丸の内ビル" + no,
		Tel: "03-1234-5678", Email: "buyer@example.jp", TotalAmount: 3300,
		Items: []yamato.Item{{Name: "りんご", Count: 2, UnitPrice: 1500, SubTotal: 3000}, {Name: "送料", Count: 1, UnitPrice: 300, SubTotal: 300}}}
}

// approve sends a credit that must be approved.
func (e *env) approve(t *testing.T, no string) {
	t.Helper()
	a, err := e.client.Credit(e.ctx, order(no, "山田 太郎"))
	if err != nil || a.Decision() != yamato.Approved {
		t.Fatalf("credit %s = %+v, %v", no, a, err)
	}
}

// ship registers a valid tracking number for an approved order.
func (e *env) ship(t *testing.T, no, base11 string) {
	t.Helper()
	if _, err := e.client.RegisterShipment(e.ctx, yamato.ShipmentRequest{OrderNo: no, TrackingNo: yamato.WithCheckDigit(base11), ShipDate: start}); err != nil {
		t.Fatalf("shipment %s: %v", no, err)
	}
}

// raw posts a form straight to an endpoint, past the client's checks, so the Sim's own rules
// answer; it fills the credentials and requestDate unless the form sets them.
func (e *env) raw(t *testing.T, api yamato.API, f url.Values) yamato.Answer {
	t.Helper()
	for k, v := range map[string]string{"ycfStrCode": yamatosim.DefaultStoreCode, "password": yamatosim.DefaultPassword,
		"requestDate": e.clk.Now().In(clock.JST).Format("20060102150405")} {
		if _, set := f[k]; !set {
			f.Set(k, v)
		}
	}
	for k, v := range f {
		if len(v) == 1 && v[0] == "" {
			delete(f, k)
		}
	}
	res, err := http.PostForm(e.client.URL(api), f)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	if res.StatusCode != http.StatusOK || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/xml") {
		t.Fatalf("%s: HTTP %d %s: %s", api, res.StatusCode, res.Header.Get("Content-Type"), body)
	}
	a, err := yamato.ParseAnswer(body)
	if err != nil {
		t.Fatalf("%s: %v: %s", api, err, body)
	}
	if !a.HasRequestDate {
		t.Errorf("%s: answer without requestDate: %s", api, body)
	}
	return a
}

// code returns the provider's errorCode of err, or "" if err is not an *APIError.
func code(err error) string {
	if ae, ok := errors.AsType[*yamato.APIError](err); ok {
		return ae.Code
	}
	return ""
}
