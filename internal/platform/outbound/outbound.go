// Package outbound is the HTTP side of a money call: a request that is sent at most once, and
// a record of whether any of it left this process. Only a request that may have reached the
// provider can have an unknown outcome; one that never left certainly did nothing, so the
// difference decides between "ask the provider" and "failed, safe to send again".
package outbound

import (
	"net/http"
	"net/http/httptrace"
	"sync/atomic"
)

// Sent reports, after the call, whether the request may have reached the server.
type Sent struct{ wrote atomic.Bool }

// Left reports whether any of the request was written to a connection. It is true from the
// moment the headers were written: a server may act on a request whose body write failed.
func (s *Sent) Left() bool { return s != nil && s.wrote.Load() }

// Once prepares req to be sent at most once and to record whether it left. net/http silently
// replays a request on a reused connection that dropped before the answer when it can rewind
// the body (GetBody) and the request looks idempotent — an Idempotency-Key header is enough to
// make a POST look so. Without GetBody the transport cannot replay it: a lost answer then comes
// back to the caller, who settles it by asking the provider.
func Once(req *http.Request) (*http.Request, *Sent) {
	s := &Sent{}
	req.GetBody = nil
	trace := &httptrace.ClientTrace{WroteHeaders: func() { s.wrote.Store(true) }}
	return req.WithContext(httptrace.WithClientTrace(req.Context(), trace)), s
}

// Track records whether req left, like Once, but leaves replays as they are (for read-only
// calls, which may safely be sent again).
func Track(req *http.Request) (*http.Request, *Sent) {
	s := &Sent{}
	trace := &httptrace.ClientTrace{WroteHeaders: func() { s.wrote.Store(true) }}
	return req.WithContext(httptrace.WithClientTrace(req.Context(), trace)), s
}
