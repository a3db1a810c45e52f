package aozora_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"kessai/internal/platform/clock"
	"kessai/internal/provider/aozora"
)

func TestErrorFormats(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name        string
		path        string
		status      int
		body        string
		wantAPI     string // errorCode of an *APIError
		wantOAuth   string // error of an *OAuthError
		unknown     bool
		maintenance bool
	}{
		{"bank 400 with item details", "/transfer/request", 400,
			`{"errorCode":"220011","errorMessage":"エラー","transferErrorDetails":[{"itemId":"2","errorDetails":[{"errorDetailsCode":"E1","errorDetailsMessage":"x"}]}]}`,
			"220011", "", false, false},
		{"bank 500 on a request", "/transfer/request", 500, `{"errorCode":"X","errorMessage":"boom"}`, "X", "", true, false},
		{"bank 504 html on a request", "/transfer/request", 504, `<html>gateway</html>`, "", "", true, false},
		{"bank 500 on a read", "/accounts", 500, `{"errorCode":"X","errorMessage":"boom"}`, "X", "", false, false},
		{"maintenance on a request", "/transfer/request", 503, `{"errorCode":"WG_ERR_300","errorMessage":"maintenance"}`, "WG_ERR_300", "", false, true},
		{"oauth format", "/accounts", 401, `{"error":"invalid_token","error_description":"expired"}`, "", "invalid_token", false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
				w.WriteHeader(tt.status)
				fmt.Fprint(w, tt.body)
			}))
			defer srv.Close()
			c := aozora.New(aozora.Config{APIBaseURL: srv.URL}).WithTokenSource(aozora.StaticToken("t"))
			var err error
			if tt.path == "/accounts" {
				_, err = c.Accounts(context.Background())
			} else {
				_, err = c.TransferRequest(context.Background(), aozora.TransferRequest{}, "k")
			}
			if ae, ok := errors.AsType[*aozora.APIError](err); ok {
				if ae.Code != tt.wantAPI || ae.HTTPStatus != tt.status {
					t.Errorf("APIError %+v", ae)
				}
				if tt.wantAPI == "220011" && (len(ae.TransferErrorDetails) != 1 || ae.TransferErrorDetails[0].ItemID != 2) {
					t.Errorf("item details %+v", ae.TransferErrorDetails)
				}
			} else if oe, ok := errors.AsType[*aozora.OAuthError](err); !ok || oe.Code != tt.wantOAuth {
				t.Fatalf("err = %v (%T)", err, err)
			}
			if aozora.IsOutcomeUnknown(err) != tt.unknown || aozora.IsMaintenance(err) != tt.maintenance {
				t.Errorf("IsOutcomeUnknown %v IsMaintenance %v for %v", aozora.IsOutcomeUnknown(err), aozora.IsMaintenance(err), err)
			}
		})
	}
}

func TestTransportErrors(t *testing.T) {
	t.Parallel()
	// Nothing listens here: the request is never sent, so nothing is unknown.
	c := aozora.New(aozora.Config{APIBaseURL: "http://127.0.0.1:1"}).WithTokenSource(aozora.StaticToken("t"))
	_, err := c.TransferRequest(context.Background(), aozora.TransferRequest{}, "k")
	if te, ok := errors.AsType[*aozora.TransportError](err); !ok || te.Sent || aozora.IsOutcomeUnknown(err) {
		t.Fatalf("refused connection: %v", err)
	}
	// A read that times out after being sent is not unknown either: reads move no money.
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { <-r.Context().Done() }))
	defer srv.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	_, err = aozora.New(aozora.Config{APIBaseURL: srv.URL}).WithTokenSource(aozora.StaticToken("t")).Accounts(ctx)
	if te, ok := errors.AsType[*aozora.TransportError](err); !ok || !te.Sent || !te.Timeout() || aozora.IsOutcomeUnknown(err) {
		t.Fatalf("read timeout: %v", err)
	}
}

// A refresh answer without refresh_token keeps the old one; OnRefresh sees every new token.
func TestTokenHolderKeepsRefreshToken(t *testing.T) {
	t.Parallel()
	var form []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_ = r.ParseForm()
		id, secret, _ := r.BasicAuth()
		form = append(form, r.PostForm.Get("refresh_token")+" "+id+":"+secret)
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"access_token":"a%d","token_type":"Bearer","expires_in":3600}`, len(form))
	}))
	defer srv.Close()
	clk := clock.NewFrozen(time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC))
	c := aozora.New(aozora.Config{AuthBaseURL: srv.URL, ClientID: "id", ClientSecret: "sec", Clock: clk})
	var seen []aozora.Token
	h := aozora.NewTokenHolder(c, aozora.Token{AccessToken: "a0", RefreshToken: "r0", Expiry: clk.Now().Add(time.Hour)},
		aozora.HolderOptions{Clock: clk, OnRefresh: func(t aozora.Token) { seen = append(seen, t) }})
	ctx := context.Background()
	tok, _ := h.Token(ctx)
	if tok.AccessToken != "a0" || len(form) != 0 {
		t.Fatalf("refreshed too early: %+v", tok)
	}
	clk.Advance(56 * time.Minute)
	tok, err := h.Token(ctx)
	if err != nil || tok.AccessToken != "a1" || tok.RefreshToken != "r0" || len(seen) != 1 {
		t.Fatalf("after refresh: %+v %v", tok, err)
	}
	if form[0] != "r0 id:sec" {
		t.Errorf("refresh request %q", form[0])
	}
	if want := clk.Now().Add(time.Hour); !tok.Expiry.Equal(want) {
		t.Errorf("expiry %v, want %v", tok.Expiry, want)
	}
}
