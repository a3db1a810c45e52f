package gmopg

import (
	"context"
	"errors"
	"fmt"
	"net"
	"slices"
	"strings"
)

// ErrPair is one error GMO-PG reported: ErrCode (3 characters, e.g. "E01") and ErrInfo
// (9 characters, e.g. "E01390002").
type ErrPair struct {
	Code string
	Info string
}

// Message is the Japanese text for the pair, or "" when the code is unknown here.
func (p ErrPair) Message() string { return Message(p.Info) }

func (p ErrPair) String() string {
	if m := p.Message(); m != "" {
		return p.Info + " " + m
	}
	return p.Info
}

// Retryable reports whether GMO-PG refused the call without processing it and asks to try
// again later: E92 (流量制限) and 42C (card-company connection trouble).
func (p ErrPair) Retryable() bool {
	return strings.HasPrefix(p.Info, "E92") || strings.HasPrefix(p.Info, "42C")
}

// APIError is an answer with ErrCode/ErrInfo (GMO-PG answers them with HTTP 200). Every pair is
// kept, in the order GMO-PG listed them, unknown codes verbatim.
type APIError struct {
	API         string // e.g. "EntryTran"
	Pairs       []ErrPair
	MoneyMoving bool
}

func (e *APIError) Error() string {
	parts := make([]string, len(e.Pairs))
	for i, p := range e.Pairs {
		parts[i] = p.String()
	}
	return fmt.Sprintf("gmopg: %s: %s", e.API, strings.Join(parts, "; "))
}

// Has reports whether any pair has one of the ErrInfo codes.
func (e *APIError) Has(infos ...string) bool {
	return slices.ContainsFunc(e.Pairs, func(p ErrPair) bool { return slices.Contains(infos, p.Info) })
}

// Infos lists the ErrInfo codes.
func (e *APIError) Infos() []string {
	out := make([]string, len(e.Pairs))
	for i, p := range e.Pairs {
		out[i] = p.Info
	}
	return out
}

// Retryable reports whether every pair is retryable (E92, 42C). One business error among them
// makes the call final.
func (e *APIError) Retryable() bool {
	return len(e.Pairs) > 0 && !slices.ContainsFunc(e.Pairs, func(p ErrPair) bool { return !p.Retryable() })
}

// parseErrors reads ErrCode/ErrInfo: "|"-separated lists aligned by index. An ErrInfo without a
// matching ErrCode takes its first three characters, so no code is ever dropped.
func parseErrors(v Values) []ErrPair {
	codes, infos := splitErrors(v.Get("ErrCode")), splitErrors(v.Get("ErrInfo"))
	n := max(len(codes), len(infos))
	if n == 0 {
		return nil
	}
	out := make([]ErrPair, n)
	for i := range n {
		if i < len(infos) {
			out[i].Info = infos[i]
		}
		if i < len(codes) {
			out[i].Code = codes[i]
		} else if len(out[i].Info) >= 3 {
			out[i].Code = out[i].Info[:3]
		}
	}
	return out
}

// TransportError is a call that got no usable answer: connection error, timeout, a non-200
// status, or an answer without the keys a success has. Sent says whether the request may have
// reached GMO-PG.
type TransportError struct {
	API         string
	Sent        bool
	MoneyMoving bool
	Err         error
}

func (e *TransportError) Error() string {
	sent := "not sent"
	if e.Sent {
		sent = "may have been sent"
	}
	return fmt.Sprintf("gmopg: %s (%s): %v", e.API, sent, e.Err)
}

func (e *TransportError) Unwrap() error { return e.Err }

// Timeout reports whether the call timed out.
func (e *TransportError) Timeout() bool {
	if errors.Is(e.Err, context.DeadlineExceeded) {
		return true
	}
	ne, ok := errors.AsType[net.Error](e.Err)
	return ok && ne.Timeout()
}

// HasInfo reports whether err is an *APIError with one of the ErrInfo codes.
func HasInfo(err error, infos ...string) bool {
	ae, ok := errors.AsType[*APIError](err)
	return ok && ae.Has(infos...)
}

// IsDoubleSubmission reports E90010001: an identical request is still being processed. It is
// never retried (the client does not, and callers must not): read the state back with
// SearchTrade or SearchTradeMulti instead.
func IsDoubleSubmission(err error) bool { return HasInfo(err, InfoDoubleSubmission) }

// IsRetryable reports whether err is GMO-PG refusing the call unprocessed (E92, 42C), after
// the client's own retries ran out.
func IsRetryable(err error) bool {
	ae, ok := errors.AsType[*APIError](err)
	return ok && ae.Retryable()
}

// IsOutcomeUnknown reports whether err leaves it open whether GMO-PG executed a money-moving
// call: a timeout or connection loss after the request was written, an unreadable answer, a
// double submission (the first request may still succeed) or a system error (E91). The caller
// must read the state back (SearchTrade, SearchTradeMulti) and never send the call again on a
// guess. Errors of read-only calls are never unknown.
func IsOutcomeUnknown(err error) bool {
	if te, ok := errors.AsType[*TransportError](err); ok {
		return te.MoneyMoving && te.Sent
	}
	if ae, ok := errors.AsType[*APIError](err); ok {
		if !ae.MoneyMoving {
			return false
		}
		return slices.ContainsFunc(ae.Pairs, func(p ErrPair) bool {
			return p.Info == InfoDoubleSubmission || strings.HasPrefix(p.Info, "E91")
		})
	}
	return false
}

// ParseErrorPairs reads the ErrCode/ErrInfo pairs of an answer or notification (nil when none).
func ParseErrorPairs(v Values) []ErrPair { return parseErrors(v) }
