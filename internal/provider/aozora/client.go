package aozora

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"kessai/internal/platform/clock"
	"kessai/internal/platform/outbound"
)

// Production base URLs. Staging (stg-api) answers 403 without a contract.
const (
	ProductionAuthBaseURL = "https://api.gmo-aozora.com/ganb/api/auth/v1"
	ProductionAPIBaseURL  = "https://api.gmo-aozora.com/ganb/api/corporation/v1"
)

// DefaultScope is what kessai asks for: accounts and both transfer kinds, plus offline_access,
// without which the bank issues no refresh token.
const DefaultScope = "private:account private:transfer private:bulk-transfer offline_access"

// The bank's documents declare exactly this media type; validators reject a bare
// application/json.
const contentTypeJSON = "application/json;charset=UTF-8"

// AuthMethod is how the client authenticates at the token endpoint, fixed when the client is
// registered with the bank.
type AuthMethod int

const (
	ClientSecretBasic AuthMethod = iota // Authorization: Basic base64(id:secret)
	ClientSecretPost                    // client_id and client_secret in the form body
)

// Config says where the bank is and who we are. Only the base URLs and the credentials differ
// between the real bank and the sandbox.
type Config struct {
	AuthBaseURL  string // e.g. ProductionAuthBaseURL
	APIBaseURL   string // e.g. ProductionAPIBaseURL
	ClientID     string
	ClientSecret string
	AuthMethod   AuthMethod
	RedirectURI  string
	Scope        string       // DefaultScope when empty
	HTTPClient   *http.Client // http.DefaultClient when nil; set a Timeout
	Clock        clock.Clock  // for token expiry; the system clock when nil
}

// Client talks to the bank. It is safe for concurrent use. The OAuth calls need no token; the
// business calls need a client bound to a TokenSource with WithTokenSource.
type Client struct {
	cfg    Config
	hc     *http.Client
	clock  clock.Clock
	tokens TokenSource
}

// New returns a client for cfg.
func New(cfg Config) *Client {
	c := &Client{cfg: cfg, hc: cfg.HTTPClient, clock: cfg.Clock}
	if c.hc == nil {
		c.hc = http.DefaultClient
	}
	if c.clock == nil {
		c.clock = clock.System{}
	}
	if c.cfg.Scope == "" {
		c.cfg.Scope = DefaultScope
	}
	c.cfg.AuthBaseURL = strings.TrimRight(c.cfg.AuthBaseURL, "/")
	c.cfg.APIBaseURL = strings.TrimRight(c.cfg.APIBaseURL, "/")
	return c
}

// WithTokenSource returns a copy of c whose business calls take their access token from ts.
func (c *Client) WithTokenSource(ts TokenSource) *Client {
	cp := *c
	cp.tokens = ts
	return &cp
}

// call describes one business API call.
type call struct {
	method      string
	path        string // below APIBaseURL, e.g. "/transfer/request"
	query       url.Values
	body        any
	idemKey     string
	moneyMoving bool
}

func (k call) op() string { return k.method + " " + k.path }

// do sends the call and decodes a 2xx answer into out. Every failure is an *APIError,
// *TransportError or a wrapped token error, so IsOutcomeUnknown can classify it.
func (c *Client) do(ctx context.Context, k call, out any) error {
	if c.tokens == nil {
		return fmt.Errorf("aozora: %s: no token source (use WithTokenSource)", k.op())
	}
	tok, err := c.tokens.Token(ctx)
	if err != nil {
		return fmt.Errorf("aozora: %s: access token: %w", k.op(), err)
	}
	var body io.Reader
	if k.body != nil {
		b, err := json.Marshal(k.body)
		if err != nil {
			return fmt.Errorf("aozora: %s: encode: %w", k.op(), err)
		}
		body = bytes.NewReader(b)
	}
	u := c.cfg.APIBaseURL + k.path
	if len(k.query) > 0 {
		u += "?" + k.query.Encode()
	}
	req, err := http.NewRequestWithContext(ctx, k.method, u, body)
	if err != nil {
		return fmt.Errorf("aozora: %s: %w", k.op(), err)
	}
	req.Header.Set("Accept", contentTypeJSON)
	if body != nil {
		req.Header.Set("Content-Type", contentTypeJSON)
	}
	req.Header.Set("x-access-token", tok.AccessToken)
	if k.idemKey != "" {
		req.Header.Set("Idempotency-Key", k.idemKey)
	}
	return c.send(req, k.op(), k.moneyMoving, out, parseAPIError)
}

// send performs req and decodes the answer. It notes whether the request left (outbound),
// because only a request that may have reached the bank can have an unknown outcome. A
// money-moving request is sent at most once: whether the bank honours Idempotency-Key is
// unconfirmed, so net/http must not replay it on a dropped connection.
func (c *Client) send(req *http.Request, op string, moving bool, out any, parseErr func(op string, status int, b []byte) error) error {
	var sent *outbound.Sent
	if moving {
		req, sent = outbound.Once(req)
	} else {
		req, sent = outbound.Track(req)
	}
	res, err := c.hc.Do(req)
	if err != nil {
		return &TransportError{Op: op, Sent: sent.Left(), MoneyMoving: moving, Err: err}
	}
	defer res.Body.Close()
	b, err := io.ReadAll(io.LimitReader(res.Body, 32<<20))
	if err != nil {
		return &TransportError{Op: op, Sent: true, MoneyMoving: moving, Err: fmt.Errorf("read answer (HTTP %d): %w", res.StatusCode, err)}
	}
	if res.StatusCode < 200 || res.StatusCode > 299 {
		err := parseErr(op, res.StatusCode, b)
		if ae, ok := errors.AsType[*APIError](err); ok {
			ae.MoneyMoving = moving
		}
		return err
	}
	if out == nil {
		return nil
	}
	if err := unmarshalLenient(b, out); err != nil {
		// The bank said yes but we cannot read what it did: for a transfer that is an
		// unknown outcome, not a failure.
		return &TransportError{Op: op, Sent: true, MoneyMoving: moving, Err: fmt.Errorf("decode answer (HTTP %d): %w", res.StatusCode, err)}
	}
	return nil
}

// wireError is the union of the bank's and the OAuth error formats.
type wireError struct {
	ErrorCode            string                `json:"errorCode"`
	ErrorMessage         string                `json:"errorMessage"`
	ErrorDetails         []ErrorDetail         `json:"errorDetails"`
	TransferErrorDetails []TransferErrorDetail `json:"transferErrorDetails"`
	OAuthError
}

// parseAPIError turns an error answer into *APIError or, if it is in the OAuth format,
// *OAuthError. An unreadable body (a proxy's HTML page) still gives an *APIError with the status.
func parseAPIError(op string, status int, b []byte) error {
	var w wireError
	if unmarshalLenient(b, &w) == nil {
		if w.ErrorCode == "" && w.OAuthError.Code != "" {
			oe := w.OAuthError
			oe.HTTPStatus = status
			return &oe
		}
		if w.ErrorCode != "" || w.ErrorMessage != "" {
			return &APIError{Op: op, HTTPStatus: status, Code: w.ErrorCode, Message: w.ErrorMessage,
				Details: w.ErrorDetails, TransferErrorDetails: w.TransferErrorDetails}
		}
	}
	msg := strings.TrimSpace(string(b))
	if len(msg) > 200 {
		msg = msg[:200]
	}
	if msg == "" {
		msg = http.StatusText(status)
	}
	return &APIError{Op: op, HTTPStatus: status, Message: msg}
}

// now returns the client's clock time.
func (c *Client) now() time.Time { return c.clock.Now() }
