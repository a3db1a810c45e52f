package connection

import (
	"net"
	"net/http"
	"time"
)

// Timeouts of every outgoing request a connection makes.
const (
	// DefaultTimeout bounds a whole request, answer included.
	DefaultTimeout = 60 * time.Second
	dialTimeout    = 10 * time.Second
	headerTimeout  = 45 * time.Second
)

// HTTPClient returns a client for a provider: the whole request is bounded by timeout
// (DefaultTimeout when zero) and the transport never sends a request twice. net/http retries a
// request on a reused connection that closed under it when the request can be replayed (its
// GetBody is set, or it has no body): a money-moving POST must never be resent on a guess, so
// every POST, PUT, PATCH and DELETE leaves with GetBody cleared and is sent exactly once; the
// caller (the attempt janitor) asks the provider what happened instead.
func HTTPClient(timeout time.Duration) *http.Client {
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	base := &http.Transport{
		Proxy:                 http.ProxyFromEnvironment,
		DialContext:           (&net.Dialer{Timeout: dialTimeout, KeepAlive: 30 * time.Second}).DialContext,
		TLSHandshakeTimeout:   dialTimeout,
		ResponseHeaderTimeout: min(headerTimeout, timeout),
		IdleConnTimeout:       90 * time.Second,
		MaxIdleConnsPerHost:   8,
		ForceAttemptHTTP2:     true,
	}
	return &http.Client{Timeout: timeout, Transport: NoReplay(base)}
}

// NoReplay wraps rt so a state-changing request cannot be replayed by net/http.
func NoReplay(rt http.RoundTripper) http.RoundTripper { return noReplay{rt} }

type noReplay struct{ rt http.RoundTripper }

func (n noReplay) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead && r.Method != http.MethodOptions && r.GetBody != nil {
		r = r.Clone(r.Context())
		r.GetBody = nil
	}
	return n.rt.RoundTrip(r)
}
