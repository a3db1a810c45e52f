package rakuten

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptrace"
	"strings"
	"time"
)

// DefaultBaseURL is Rakuten's API host; paths below it are /es/2.0/order/<method>/.
const DefaultBaseURL = "https://api.rms.rakuten.co.jp"

// OrderPath is the path of the order API below the base URL; the simulator serves the same.
const OrderPath = "/es/2.0/order/"

// DefaultTimeout bounds every call when Config.Timeout is zero.
const DefaultTimeout = 30 * time.Second

// Rakuten documents this media type for both directions.
const contentTypeJSON = "application/json; charset=utf-8"

// Config says where Rakuten is and which shop we are. Only BaseURL and the credentials differ
// between Rakuten and the sandbox.
type Config struct {
	BaseURL       string // DefaultBaseURL when empty
	ServiceSecret string
	LicenseKey    string
	HTTPClient    *http.Client  // a client with DefaultTimeout when nil
	Timeout       time.Duration // per call, DefaultTimeout when zero
	// Throttle spaces this shop's requests; nil gives DefaultRequestsPerSecond for this client
	// alone. Share one between the clients of a shop; NewThrottle(0) turns it off.
	Throttle *Throttle
}

// Client talks to RakutenPayOrderAPI for one shop. It is safe for concurrent use.
type Client struct {
	base     string
	auth     string
	hc       *http.Client
	timeout  time.Duration
	throttle *Throttle
}

// New returns a client for cfg.
func New(cfg Config) *Client {
	c := &Client{base: strings.TrimRight(cfg.BaseURL, "/"), hc: cfg.HTTPClient, timeout: cfg.Timeout, throttle: cfg.Throttle}
	if c.base == "" {
		c.base = DefaultBaseURL
	}
	if c.timeout <= 0 {
		c.timeout = DefaultTimeout
	}
	if c.hc == nil {
		c.hc = &http.Client{Timeout: c.timeout}
	}
	if c.throttle == nil {
		c.throttle = NewThrottle(DefaultRequestsPerSecond)
	}
	c.auth = AuthorizationHeader(cfg.ServiceSecret, cfg.LicenseKey)
	return c
}

// AuthorizationHeader is the ESA header value: "ESA " + base64(serviceSecret:licenseKey).
func AuthorizationHeader(serviceSecret, licenseKey string) string {
	return "ESA " + base64.StdEncoding.EncodeToString([]byte(serviceSecret+":"+licenseKey))
}

// withMessages is every answer: they all carry MessageModelList.
type withMessages struct {
	Messages Messages `json:"MessageModelList"`
}

// gatewayBody is the gateway's own error format.
type gatewayBody struct {
	Results *struct {
		ErrorCode string `json:"errorCode"`
		Message   string `json:"message"`
	} `json:"Results"`
}

// call posts body to method and decodes the answer into out. A non-2xx answer is an *APIError
// (with the answer's messages) or a *GatewayError; out is filled in both cases when readable.
func (c *Client) call(ctx context.Context, method string, body, out any, moving bool) error {
	if err := c.throttle.Wait(ctx); err != nil {
		return &TransportError{Op: method, Err: fmt.Errorf("throttle: %w", err)}
	}
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	b, err := json.Marshal(body)
	if err != nil {
		return fmt.Errorf("rakuten: %s: encode: %w", method, err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.base+OrderPath+method+"/", bytes.NewReader(b))
	if err != nil {
		return fmt.Errorf("rakuten: %s: %w", method, err)
	}
	req.Header.Set("Authorization", c.auth)
	req.Header.Set("Content-Type", contentTypeJSON)
	req.Header.Set("Accept", "application/json")
	if moving {
		// A cancel request must reach Rakuten at most once: without GetBody net/http cannot
		// replay it on a dropped keep-alive connection, and the caller settles the unknown
		// outcome by reading the order.
		req.GetBody = nil
	}
	var wrote bool
	req = req.WithContext(httptrace.WithClientTrace(req.Context(), &httptrace.ClientTrace{
		WroteHeaders: func() { wrote = true },
	}))
	res, err := c.hc.Do(req)
	if err != nil {
		return &TransportError{Op: method, Sent: wrote, MoneyMoving: moving, Err: err}
	}
	defer res.Body.Close()
	rb, err := io.ReadAll(io.LimitReader(res.Body, 64<<20))
	if err != nil {
		return &TransportError{Op: method, Sent: true, MoneyMoving: moving, Err: fmt.Errorf("read answer (HTTP %d): %w", res.StatusCode, err)}
	}
	var gw gatewayBody
	if json.Unmarshal(rb, &gw) == nil && gw.Results != nil && gw.Results.ErrorCode != "" {
		return &GatewayError{Op: method, HTTPStatus: res.StatusCode, Code: gw.Results.ErrorCode, Message: gw.Results.Message}
	}
	if res.StatusCode < 200 || res.StatusCode > 299 {
		var wm withMessages
		if json.Unmarshal(rb, &wm) != nil || len(wm.Messages) == 0 {
			msg := strings.TrimSpace(string(rb))
			if len(msg) > 200 {
				msg = msg[:200]
			}
			if msg == "" {
				msg = http.StatusText(res.StatusCode)
			}
			wm.Messages = Messages{{Type: MessageError, Code: fmt.Sprintf("HTTP_%d", res.StatusCode), Text: msg}}
		}
		if out != nil {
			_ = json.Unmarshal(rb, out)
		}
		return &APIError{Op: method, HTTPStatus: res.StatusCode, Messages: wm.Messages, MoneyMoving: moving}
	}
	if err := json.Unmarshal(rb, out); err != nil {
		return &TransportError{Op: method, Sent: true, MoneyMoving: moving, Err: fmt.Errorf("decode answer (HTTP %d): %w", res.StatusCode, err)}
	}
	return nil
}
