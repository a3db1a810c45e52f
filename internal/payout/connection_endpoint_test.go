package payout_test

import (
	"encoding/base64"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"kessai/internal/payout"
	"kessai/internal/platform/errs"
)

// recorder is a listener on another port standing for a host the secret was not entered for:
// it keeps everything it receives.
type recorder struct {
	mu  sync.Mutex
	got []string
	srv *httptest.Server
}

func newRecorder(t *testing.T) *recorder {
	r := &recorder{}
	// TLS: the bank is reached over https only (http is for the built-in simulator).
	r.srv = httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		b, _ := io.ReadAll(req.Body)
		r.mu.Lock()
		r.got = append(r.got, req.Method+" "+req.URL.String()+"\n"+req.Header.Get("Authorization")+"\n"+string(b))
		r.mu.Unlock()
		http.Error(w, `{"error":"invalid_client"}`, http.StatusUnauthorized)
	}))
	t.Cleanup(r.srv.Close)
	return r
}

func (r *recorder) saw(s string) (n int, found bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, g := range r.got {
		if strings.Contains(g, s) {
			found = true
		}
	}
	return len(r.got), found
}

// TestEndpointChangeClearsSecret: re-pointing the bank's URLs clears the stored client secret
// and requires it again, so the secret entered for one host is never sent to another.
func TestEndpointChangeClearsSecret(t *testing.T) {
	t.Parallel()
	c, _, _, ctx := newConnection(t)
	bank := newRecorder(t) // the host the secret is for
	other := newRecorder(t)
	c.HTTPClient = bank.srv.Client() // both test servers share httptest's certificate
	const id, secret = "merchant-1", "s3cret-merchant"
	basic := base64.StdEncoding.EncodeToString([]byte(id + ":" + secret))
	if err := c.Save(ctx, payout.SettingsInput{ClientID: id, ClientSecret: secret, AuthMethod: "basic",
		AuthBaseURL: bank.srv.URL, APIBaseURL: bank.srv.URL}); err != nil {
		t.Fatal(err)
	}
	_ = c.Complete(ctx, "code-1") // a token call to the bank: proves the recorder sees the secret
	if _, ok := bank.saw(basic); !ok {
		t.Fatalf("the bank did not receive the client secret; the recorder cannot prove anything")
	}

	// Re-pointing the auth URL (or the API URL) without typing the secret again is refused.
	for _, in := range []payout.SettingsInput{
		{ClientID: id, AuthMethod: "basic", AuthBaseURL: other.srv.URL, APIBaseURL: bank.srv.URL},
		{ClientID: id, AuthMethod: "basic", AuthBaseURL: bank.srv.URL, APIBaseURL: other.srv.URL},
		{ClientID: id, AuthMethod: "post", AuthBaseURL: other.srv.URL + "/", APIBaseURL: bank.srv.URL},
	} {
		err := c.Save(ctx, in)
		e := errs.As(err)
		if e == nil || !strings.Contains(e.Fields["client_secret"], "接続先URLが変わったため") {
			t.Fatalf("re-pointing to %s without the secret: %v, want the client_secret field error", in.AuthBaseURL, err)
		}
	}
	st, _ := c.State(ctx)
	if st.EffectiveAuthURL != bank.srv.URL || !st.HasSecret {
		t.Fatalf("a refused save changed the settings: %+v", st)
	}
	_ = c.Complete(ctx, "code-2")
	if n, _ := other.saw(""); n != 0 {
		t.Fatalf("the other host received %d requests after refused saves", n)
	}

	// With a new secret the move is saved; only the new secret goes to the new host.
	if err := c.Save(ctx, payout.SettingsInput{ClientID: id, ClientSecret: "new-secret", AuthMethod: "basic",
		AuthBaseURL: other.srv.URL, APIBaseURL: other.srv.URL}); err != nil {
		t.Fatal(err)
	}
	_ = c.Complete(ctx, "code-3")
	if n, ok := other.saw(base64.StdEncoding.EncodeToString([]byte(id + ":new-secret"))); n == 0 || !ok {
		t.Fatalf("the new host did not get the new secret (%d requests)", n)
	}
	if _, ok := other.saw(basic); ok {
		t.Fatal("the secret entered for the bank was sent to the other host")
	}
	if _, ok := other.saw(secret); ok {
		t.Fatal("the old secret appears in a request to the other host")
	}
}
