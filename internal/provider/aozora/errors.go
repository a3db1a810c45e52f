package aozora

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
)

// APIError is an error answer in the bank's own format (errorCode, errorMessage, errorDetails,
// transferErrorDetails). The token endpoint also uses it, e.g. for maintenance.
type APIError struct {
	Op         string // e.g. "POST /transfer/request"
	HTTPStatus int
	Code       string // the bank's errorCode, kept verbatim for logs and support
	Message    string
	Details    []ErrorDetail
	// TransferErrorDetails names the items (itemId) that were refused, with their reasons.
	TransferErrorDetails []TransferErrorDetail
	// MoneyMoving is true when the call was a request or cancel: a 5xx then leaves the outcome
	// unknown.
	MoneyMoving bool
}

// ErrorDetail is one errorDetails item.
type ErrorDetail struct {
	Code    string `json:"errorDetailsCode,omitempty"`
	Message string `json:"errorDetailsMessage,omitempty"`
}

// TransferErrorDetail names the item a set of details belongs to.
type TransferErrorDetail struct {
	ItemID       int           `json:"itemId,string,omitempty"`
	ErrorDetails []ErrorDetail `json:"errorDetails,omitempty"`
}

func (e *APIError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "aozora: %s: HTTP %d %s %s", e.Op, e.HTTPStatus, e.Code, e.Message)
	for _, d := range e.Details {
		fmt.Fprintf(&b, "; %s %s", d.Code, d.Message)
	}
	for _, t := range e.TransferErrorDetails {
		for _, d := range t.ErrorDetails {
			fmt.Fprintf(&b, "; item %d: %s %s", t.ItemID, d.Code, d.Message)
		}
	}
	return b.String()
}

// OAuthError is an RFC 6749 error answer from the authorization server (error,
// error_description), e.g. invalid_grant for a used or expired code or refresh token.
type OAuthError struct {
	HTTPStatus  int    `json:"-"`
	Code        string `json:"error"`
	Description string `json:"error_description,omitempty"`
	URI         string `json:"error_uri,omitempty"`
	State       string `json:"state,omitempty"`
}

func (e *OAuthError) Error() string {
	return fmt.Sprintf("aozora: oauth: HTTP %d %s %s", e.HTTPStatus, e.Code, e.Description)
}

// TransportError is a call that got no usable answer: a connection error, a timeout, or a
// success answer that could not be read. Sent says whether the request may have reached the bank.
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
	return fmt.Sprintf("aozora: %s (%s): %v", e.Op, sent, e.Err)
}

func (e *TransportError) Unwrap() error { return e.Err }

// IsOutcomeUnknown reports whether err leaves it open whether the bank executed a money-moving
// call: a timeout or connection loss after the request was written, an unreadable success answer,
// or a 5xx answer other than maintenance. The caller must then ask the bank (request-result,
// status, or the same request with the same Idempotency-Key) and never send it with a new key.
// Errors of read-only calls are never "unknown": they can simply be retried.
func IsOutcomeUnknown(err error) bool {
	if te, ok := errors.AsType[*TransportError](err); ok {
		return te.MoneyMoving && te.Sent
	}
	if ae, ok := errors.AsType[*APIError](err); ok {
		// Maintenance is answered at the gate, before anything is processed.
		return ae.MoneyMoving && ae.HTTPStatus >= 500 && ae.Code != CodeMaintenance
	}
	return false
}

// IsMaintenance reports whether the bank answered that it is under maintenance (WG_ERR_300). The
// call was not executed; retry later with the same Idempotency-Key.
func IsMaintenance(err error) bool {
	if ae, ok := errors.AsType[*APIError](err); ok {
		return ae.Code == CodeMaintenance
	}
	return false
}

// IsUnauthorized reports whether the access token was refused (HTTP 401): the caller needs a new
// token, or a new authorization if refreshing fails with invalid_grant.
func IsUnauthorized(err error) bool {
	if ae, ok := errors.AsType[*APIError](err); ok {
		return ae.HTTPStatus == 401
	}
	if oe, ok := errors.AsType[*OAuthError](err); ok {
		return oe.Code == "invalid_grant" || oe.Code == "invalid_client"
	}
	return false
}

// isTimeout reports whether err is a deadline or a network timeout.
func isTimeout(err error) bool {
	if errors.Is(err, context.DeadlineExceeded) {
		return true
	}
	ne, ok := errors.AsType[net.Error](err)
	return ok && ne.Timeout()
}

// Timeout reports whether the call timed out (a deadline or a network timeout).
func (e *TransportError) Timeout() bool { return isTimeout(e.Err) }
