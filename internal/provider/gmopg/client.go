package gmopg

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptrace"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
)

// Base URLs of the multi-payment API. The path below them is /payment/<API>.idPass.
const (
	TestBaseURL       = "https://pt01.mul-pay.jp"
	ProductionBaseURL = "https://p01.mul-pay.jp"
)

// Config says where GMO-PG is and who we are. Only BaseURL and the credentials differ between the
// real service and the sandbox. Shop credentials serve the transaction calls, site credentials
// the member and card calls.
type Config struct {
	BaseURL  string // e.g. TestBaseURL; no trailing /payment
	ShopID   string
	ShopPass string
	SiteID   string
	SitePass string
	// HTTPClient sends the requests; a client with a 60-second Timeout when nil.
	HTTPClient *http.Client
	// Timeout bounds each attempt of each call (30 seconds when zero), so a hung peer can never
	// hold a money call open.
	Timeout time.Duration
	Retry   RetryPolicy
}

// RetryPolicy says how often a call GMO-PG refused unprocessed (E92 rate limit, 42C card
// company trouble) is tried again. Nothing else is retried here: a double submission
// (E90010001), a transport error or a business error is returned at once.
type RetryPolicy struct {
	MaxAttempts int           // total attempts including the first; 3 when zero, 1 disables
	BaseDelay   time.Duration // delay before the second attempt, doubled each time; 1s when zero
	MaxDelay    time.Duration // cap; 10s when zero
	// Sleep waits d or until ctx is done; tests replace it to record the delays without waiting.
	Sleep func(ctx context.Context, d time.Duration) error
}

// Client talks to GMO-PG. It keeps no state and is safe for concurrent use.
type Client struct {
	cfg Config
	hc  *http.Client
}

// New returns a client for cfg.
func New(cfg Config) *Client {
	c := &Client{cfg: cfg, hc: cfg.HTTPClient}
	if c.hc == nil {
		c.hc = &http.Client{Timeout: 60 * time.Second}
	}
	c.cfg.BaseURL = strings.TrimRight(cfg.BaseURL, "/")
	if c.cfg.Timeout <= 0 {
		c.cfg.Timeout = 30 * time.Second
	}
	r := &c.cfg.Retry
	if r.MaxAttempts <= 0 {
		r.MaxAttempts = 3
	}
	if r.BaseDelay <= 0 {
		r.BaseDelay = time.Second
	}
	if r.MaxDelay <= 0 {
		r.MaxDelay = 10 * time.Second
	}
	if r.Sleep == nil {
		r.Sleep = sleep
	}
	return c
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// kind says how a call may be sent.
type kind int

const (
	readOnly    kind = iota // a search: safe to repeat
	writes                  // changes GMO-PG's records but moves no money (SaveMember, EntryTran)
	moneyMoving             // executes, captures, cancels or changes a payment
)

func (c *Client) shop(v Values) Values {
	return append(Values{{"ShopID", c.cfg.ShopID}, {"ShopPass", c.cfg.ShopPass}}, v...)
}

func (c *Client) site(v Values) Values {
	return append(Values{{"SiteID", c.cfg.SiteID}, {"SitePass", c.cfg.SitePass}}, v...)
}

// call POSTs in to /payment/<api>.idPass and returns the answer. An answer with ErrCode is an
// *APIError; E92/42C refusals are tried again per the RetryPolicy.
func (c *Client) call(ctx context.Context, api string, in Values, k kind) (Values, error) {
	body, err := EncodeForm(in)
	if err != nil {
		return nil, fmt.Errorf("gmopg: %s: %w", api, err)
	}
	r := c.cfg.Retry
	delay := r.BaseDelay
	for attempt := 1; ; attempt++ {
		v, err := c.send(ctx, api, body, k)
		if err != nil {
			return nil, err
		}
		pairs := parseErrors(v)
		if len(pairs) == 0 {
			return v, nil
		}
		ae := &APIError{API: api, Pairs: pairs, MoneyMoving: k == moneyMoving}
		if !ae.Retryable() || attempt >= r.MaxAttempts {
			return v, ae
		}
		if err := r.Sleep(ctx, delay); err != nil {
			return v, ae
		}
		delay = min(delay*2, r.MaxDelay)
	}
}

// send performs one attempt. It notes whether the request was written, because only a request
// that may have reached GMO-PG can have an unknown outcome.
func (c *Client) send(ctx context.Context, api, body string, k kind) (Values, error) {
	ctx, cancel := context.WithTimeout(ctx, c.cfg.Timeout)
	defer cancel()
	var wrote atomic.Bool // set by the transport's goroutine
	ctx = httptrace.WithClientTrace(ctx, &httptrace.ClientTrace{WroteHeaders: func() { wrote.Store(true) }})
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.cfg.BaseURL+"/payment/"+api+".idPass", strings.NewReader(body))
	if err != nil {
		return nil, fmt.Errorf("gmopg: %s: %w", api, err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if k != readOnly {
		// net/http re-sends a request on a reused connection that dropped before the answer if
		// it can rewind the body. GMO-PG has no idempotency key beyond the OrderID, so a write
		// is sent at most once; the caller settles an unknown outcome with SearchTrade.
		req.GetBody = nil
	}
	moving := k == moneyMoving
	res, err := c.hc.Do(req)
	if err != nil {
		return nil, &TransportError{API: api, Sent: wrote.Load(), MoneyMoving: moving, Err: err}
	}
	defer res.Body.Close()
	b, err := io.ReadAll(io.LimitReader(res.Body, 4<<20))
	if err != nil {
		return nil, &TransportError{API: api, Sent: true, MoneyMoving: moving, Err: fmt.Errorf("read answer (HTTP %d): %w", res.StatusCode, err)}
	}
	if res.StatusCode != http.StatusOK {
		return nil, &TransportError{API: api, Sent: true, MoneyMoving: moving, Err: fmt.Errorf("HTTP %d: %s", res.StatusCode, snippet(b))}
	}
	return ParseAnswer(b), nil
}

func snippet(b []byte) string {
	s := strings.TrimSpace(DecodeCP932(b))
	if r := []rune(s); len(r) > 120 {
		s = string(r[:120]) + "…"
	}
	return s
}

// require checks that a success answer carries the keys it must; an answer without them (an
// HTML error page with status 200, a truncated body) is a transport error, not a success.
func require(api string, v Values, k kind, keys ...string) error {
	for _, key := range keys {
		if _, ok := v.Lookup(key); !ok {
			return &TransportError{API: api, Sent: true, MoneyMoving: k == moneyMoving, Err: fmt.Errorf("answer has no %s", key)}
		}
	}
	return nil
}

// parseInt reads a decimal field; empty is 0.
func parseInt(s string) int64 {
	n, _ := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
	return n
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
