package rakuten

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
)

// APIError is an answer of RakutenPayOrderAPI itself that refused the request: HTTP 400 (or
// another non-2xx) with ERROR items, or a single-order call answered with an ERROR.
type APIError struct {
	Op         string // e.g. "searchOrder"
	HTTPStatus int
	Messages   Messages // every item, INFO and WARNING included
	// MoneyMoving is true for cancelOrder: a 5xx then leaves the outcome unknown.
	MoneyMoving bool
}

func (e *APIError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "rakuten: %s: HTTP %d", e.Op, e.HTTPStatus)
	errs := e.Messages.Errors()
	if len(errs) == 0 {
		errs = e.Messages
	}
	for i, m := range errs {
		if i == 0 {
			b.WriteString(": ")
		} else {
			b.WriteString("; ")
		}
		b.WriteString(m.Code + " " + m.Text)
	}
	return b.String()
}

// Has reports whether the answer carried code.
func (e *APIError) Has(code string) bool { return e.Messages.Has(code) }

// GatewayError is a refusal by Rakuten's API gateway before the order API ran, in its own body
// format {"Results":{"errorCode":"ES01-01","message":"Un-Authorised"}}: bad or expired
// credentials, a function not enabled for the shop (ES04-01), the gateway itself failing.
type GatewayError struct {
	Op         string
	HTTPStatus int
	Code       string // e.g. "ES01-01"
	Message    string
}

func (e *GatewayError) Error() string {
	return fmt.Sprintf("rakuten: %s: gateway HTTP %d %s %s", e.Op, e.HTTPStatus, e.Code, e.Message)
}

// Gateway codes kessai acts on.
const (
	GatewayUnauthorized = "ES01-01" // serviceSecret/licenseKey refused (wrong, or licenseKey expired)
	GatewayNotEnabled   = "ES04-01" // the API function is not enabled in RMS (利用機能編集)
)

// TransportError is a call that got no usable answer: a connection error, a timeout, or an
// answer that could not be read. Sent says whether the request may have reached Rakuten.
type TransportError struct {
	Op          string
	Sent        bool
	MoneyMoving bool
	Err         error
}

func (e *TransportError) Error() string {
	sent := "not sent"
	if e.Sent {
		sent = "may have been sent"
	}
	return fmt.Sprintf("rakuten: %s (%s): %v", e.Op, sent, e.Err)
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

// IsUnauthorized reports whether Rakuten's gateway refused the credentials (ES01-01): a wrong
// serviceSecret or licenseKey, or an expired licenseKey (it lives 90 days).
func IsUnauthorized(err error) bool {
	ge, ok := errors.AsType[*GatewayError](err)
	return ok && ge.Code == GatewayUnauthorized
}

// IsGateway reports whether err is a refusal by the gateway (the API did not run).
func IsGateway(err error) bool {
	_, ok := errors.AsType[*GatewayError](err)
	return ok
}

// IsOutcomeUnknown reports whether err leaves it open whether Rakuten executed a money-moving
// call (cancelOrder): a timeout or connection loss after the request was written, an unreadable
// answer, or a 5xx from the API. Settle it by reading the order (800/900), never by a blind
// re-send. Gateway refusals and read-only calls are never unknown.
func IsOutcomeUnknown(err error) bool {
	if te, ok := errors.AsType[*TransportError](err); ok {
		return te.MoneyMoving && te.Sent
	}
	if ae, ok := errors.AsType[*APIError](err); ok {
		return ae.MoneyMoving && ae.HTTPStatus >= 500
	}
	return false
}
