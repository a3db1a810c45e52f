package aozora

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
)

// A money-moving request is never replayed by net/http, even though it carries an
// Idempotency-Key: the bank answering nothing on a kept-alive connection leaves an unknown
// outcome for the caller to settle, not a second transfer.
func TestMoneyMovingRequestIsNotReplayedByTransport(t *testing.T) {
	var posts atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodGet {
			w.Header().Set("Content-Type", "application/json")
			w.Write([]byte(`{"accounts":[]}`))
			return
		}
		posts.Add(1)
		// Took the request, then the connection drops without an answer.
		conn, _, err := w.(http.Hijacker).Hijack()
		if err != nil {
			t.Error(err)
			return
		}
		conn.Close()
	}))
	defer srv.Close()
	c := New(Config{AuthBaseURL: srv.URL, APIBaseURL: srv.URL, HTTPClient: srv.Client()}).WithTokenSource(StaticToken("tok"))
	ctx := context.Background()
	// Warm a keep-alive connection: the transport only replays on reused connections.
	if _, err := c.Accounts(ctx); err != nil {
		t.Fatalf("accounts: %v", err)
	}
	_, err := c.TransferRequest(ctx, TransferRequest{AccountID: "101011234567",
		Transfers: []Transfer{{TransferAmount: 1000, BeneficiaryBankCode: "0001", BeneficiaryBranchCode: "001",
			AccountTypeCode: "1", AccountNumber: "1234567", BeneficiaryName: "ﾃｽﾄ"}}}, "key-1")
	if err == nil {
		t.Fatal("a dropped connection gave no error")
	}
	if !IsOutcomeUnknown(err) {
		t.Errorf("dropped after sending: IsOutcomeUnknown = false (%v)", err)
	}
	if n := posts.Load(); n != 1 {
		t.Fatalf("the bank received the transfer %d times, want 1", n)
	}
}
