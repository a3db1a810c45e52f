package aozorasim_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"kessai/internal/platform/clock"
	"kessai/internal/provider/aozora"
	"kessai/internal/sandbox/aozorasim"
)

const (
	prefix    = "/sandbox/aozora"
	redirect  = "http://kessai.test/payout/aozora/callback"
	accountID = "101011234567"
)

// start is Monday 2026-03-02 10:00 JST, a business day.
var start = time.Date(2026, 3, 2, 10, 0, 0, 0, clock.JST)

type env struct {
	clk    *clock.Sandbox
	sim    *aozorasim.Sim
	srv    *httptest.Server
	client *aozora.Client // OAuth only
	api    *aozora.Client // bound to holder
	holder *aozora.TokenHolder
	tok    aozora.Token
}

type envOpt func(*aozorasim.Options, *aozora.Config)

// newEnv mounts a Sim under prefix on a real HTTP server, logs in through the login form and
// returns a client with a token holder, like kessai does.
func newEnv(t *testing.T, opts ...envOpt) *env {
	t.Helper()
	e := &env{clk: clock.NewFrozen(start)}
	so := aozorasim.Options{Clock: e.clk, Prefix: prefix}
	cfg := aozora.Config{ClientID: aozorasim.DefaultClientID, ClientSecret: aozorasim.DefaultClientSecret,
		RedirectURI: redirect, Clock: e.clk, HTTPClient: &http.Client{Timeout: 10 * time.Second}}
	for _, o := range opts {
		o(&so, &cfg)
	}
	e.sim = aozorasim.New(so)
	mux := http.NewServeMux()
	mux.Handle(prefix+"/", http.StripPrefix(prefix, e.sim))
	e.srv = httptest.NewServer(mux)
	t.Cleanup(e.srv.Close)
	cfg.AuthBaseURL, cfg.APIBaseURL = e.sim.AuthBaseURL(e.srv.URL), e.sim.APIBaseURL(e.srv.URL)
	e.client = aozora.New(cfg)

	ctx := context.Background()
	code, state, err := aozorasim.LogIn(ctx, nil, e.client.AuthCodeURL("st-123"), aozorasim.DefaultClientID, aozorasim.DefaultPassword)
	if err != nil {
		t.Fatalf("log in: %v", err)
	}
	if state != "st-123" {
		t.Fatalf("state = %q, want st-123", state)
	}
	e.tok, err = e.client.Exchange(ctx, code)
	if err != nil {
		t.Fatalf("exchange: %v", err)
	}
	e.holder = aozora.NewTokenHolder(e.client, e.tok, aozora.HolderOptions{Clock: e.clk})
	e.api = e.client.WithTokenSource(e.holder)
	return e
}

func today() aozora.Date { return aozora.DateOf(start) }

func single(accountNumber string, amount int64) aozora.TransferRequest {
	return aozora.TransferRequest{AccountID: accountID, TransferDesignatedDate: today(),
		Transfers: []aozora.Transfer{{TransferAmount: amount, BeneficiaryBankCode: "0001", BeneficiaryBranchCode: "001",
			AccountTypeCode: aozora.AccountOrdinary, AccountNumber: accountNumber, BeneficiaryName: "ﾔﾏﾀﾞ ﾀﾛｳ"}}}
}

// mailToken returns the approval token mailed for applyNo.
func (e *env) mailToken(t *testing.T, applyNo string) string {
	t.Helper()
	for _, m := range e.sim.Mails() {
		if m.ApplyNo == applyNo && m.Kind == "approval" {
			return m.Token
		}
	}
	t.Fatalf("no approval mail for %s", applyNo)
	return ""
}

func (e *env) status(t *testing.T, applyNo string) aozora.TransferDetail {
	t.Helper()
	st, err := e.api.TransferStatus(context.Background(), aozora.StatusQuery{AccountID: accountID, QueryKeyClass: aozora.QueryByApplyNo, ApplyNo: applyNo})
	if err != nil {
		t.Fatalf("status: %v", err)
	}
	if len(st.TransferDetails) != 1 {
		t.Fatalf("status: %d details, want 1", len(st.TransferDetails))
	}
	return st.TransferDetails[0]
}

func (e *env) result(t *testing.T, applyNo string) aozora.RequestResultResponse {
	t.Helper()
	r, err := e.api.TransferRequestResult(context.Background(), accountID, applyNo)
	if err != nil {
		t.Fatalf("request-result: %v", err)
	}
	return r
}
